//! The HTTP side of sync.

use std::path::Path;
use std::time::Duration;

use baodao_shared::enrol::EnrolCode;
use baodao_shared::protocol::{
    BATCHES_PATH, BatchReceipt, BatchRequest, ENROL_PATH, EnrolRequest, Enrolment, ErrorBody,
    HEARTBEAT_PATH, Heartbeat, HeartbeatReceipt, PROTOCOL_HEADER, PROTOCOL_VERSION, SNAPSHOT_PATH,
    Snapshot,
};

use crate::error::{Error, Result};

pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl SyncClient {
    /// A client for `base` (e.g. `https://office.example`), trusting the
    /// system's roots and those in `ca_file` (the office's own CA). Fails,
    /// rather than panics, on a machine without CA certificates.
    pub fn new(base: &str, token: &str, ca_file: Option<&Path>) -> Result<Self> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_mins(1))
            .https_only(!is_plain_http(base))
            .user_agent(concat!("baodao-kiosk/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_file {
            let pem = std::fs::read(path)
                .map_err(Error::io(format!("reading ca_file {}", path.display())))?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::Config(format!(
                    "ca_file {}: not PEM certificates: {e}",
                    path.display()
                ))
            })?;
            if roots.is_empty() {
                return Err(Error::Config(format!(
                    "ca_file {}: no certificate in it",
                    path.display()
                )));
            }
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder.build().map_err(|e| {
            Error::Network(format!(
                "cannot set up HTTPS (are CA certificates installed?): {e}"
            ))
        })?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    pub async fn upload(&self, batch: &BatchRequest) -> Result<BatchReceipt> {
        let response = self
            .http
            .post(format!("{}{BATCHES_PATH}", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION)
            .json(batch)
            .send()
            .await
            .map_err(network)?;
        read(response).await
    }

    /// Exchanges an enrolment code for this kiosk's token (the client's
    /// own token is not sent). A refusal is `Error::Enrol` with the
    /// server's code (`enrol_code_used`, ...).
    pub async fn enrol(&self, code: &EnrolCode) -> Result<Enrolment> {
        let response = self
            .http
            .post(format!("{}{ENROL_PATH}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION)
            .json(&EnrolRequest {
                code: code.as_str().to_owned(),
            })
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        if status.is_client_error() && status.as_u16() != 429 {
            let body = body(response).await?;
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(body) => Error::Enrol {
                    code: body.error.code,
                    message: body.error.message,
                },
                Err(_) => Error::Server(format!("HTTP {}: no details", status.as_u16())),
            });
        }
        read(response).await
    }

    pub async fn heartbeat(&self, heartbeat: &Heartbeat) -> Result<HeartbeatReceipt> {
        let response = self
            .http
            .post(format!("{}{HEARTBEAT_PATH}", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION)
            .json(heartbeat)
            .send()
            .await
            .map_err(network)?;
        read(response).await
    }

    /// Asks `/healthz`; the server's clock from its `Date` header, if any.
    pub async fn health(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        let response = self
            .http
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .map_err(network)?;
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        let _: serde_json::Value = read(response).await?;
        Ok(date)
    }

    pub async fn snapshot(&self, since: Option<(u64, u64)>) -> Result<Snapshot> {
        let query = since
            .map(|(cursor, epoch)| format!("?since={cursor}&epoch={epoch}"))
            .unwrap_or_default();
        let response = self
            .http
            .get(format!("{}{SNAPSHOT_PATH}{query}", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION)
            .send()
            .await
            .map_err(network)?;
        read(response).await
    }
}

/// Makes ring the TLS crypto provider of this process (the only one built
/// in). Any HTTP client built in a process that links the kiosk needs it;
/// calling it again is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

// `map_err` hands the error over by value.
#[allow(clippy::needless_pass_by_value)]
fn network(e: reqwest::Error) -> Error {
    Error::Network(if e.is_connect() {
        "cannot reach the server".into()
    } else if e.is_timeout() {
        "the server did not answer in time".into()
    } else {
        e.to_string()
    })
}

/// Whether `base` is plain HTTP (which the configuration allows only to
/// this machine, or with `allow_insecure_http`). An HTTPS base never
/// follows a redirect to plain HTTP.
fn is_plain_http(base: &str) -> bool {
    reqwest::Url::parse(base).is_ok_and(|url| url.scheme() == "http")
}

/// The largest answer read: a full snapshot of a large community is a few
/// megabytes; a server (or something in its place) sending more is cut off.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

async fn body(mut response: reqwest::Response) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Error::Network(format!("the answer was cut off: {e}")))?
    {
        if out.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Error::Server(format!(
                "the answer is larger than {} MiB; refused",
                MAX_ANSWER_BYTES >> 20
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let status = response.status();
    if status.is_success() {
        let bytes = body(response).await?;
        return serde_json::from_slice(&bytes)
            .map_err(|e| Error::Network(format!("the answer was cut off or garbled: {e}")));
    }
    if status.as_u16() == 429 {
        let secs = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(60)
            .clamp(1, 3600);
        return Err(Error::RateLimited(Duration::from_secs(secs)));
    }
    let detail = match body(response)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ErrorBody>(&bytes).ok())
    {
        Some(body) => format!("{} ({})", body.error.message, body.error.code),
        None => "no details".into(),
    };
    Err(match status.as_u16() {
        401 => Error::TokenRefused(format!(
            "the server refused this kiosk's token: ask the office for an enrolment code and enrol the kiosk again (staff mode, Sync) ({detail})"
        )),
        code => Error::Server(format!("HTTP {code}: {detail}")),
    })
}
