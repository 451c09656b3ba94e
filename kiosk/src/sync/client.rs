//! The HTTP side of sync.

use std::time::Duration;

use baodao_shared::protocol::{
    BATCHES_PATH, BatchReceipt, BatchRequest, ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION,
    SNAPSHOT_PATH, Snapshot,
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
    /// A client for `base` (e.g. `https://office.example`). Fails, rather
    /// than panics, on a machine without CA certificates.
    pub fn new(base: &str, token: &str) -> Result<Self> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_mins(1))
            .user_agent(concat!("baodao-kiosk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
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

async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .map_err(|e| Error::Network(format!("the answer was cut off or garbled: {e}")));
    }
    let detail = match response.json::<ErrorBody>().await {
        Ok(body) => format!("{} ({})", body.error.message, body.error.code),
        Err(_) => "no details".into(),
    };
    Err(Error::Server(match status.as_u16() {
        401 => format!(
            "the server refused this kiosk's token: ask the office to register the kiosk ({detail})"
        ),
        code => format!("HTTP {code}: {detail}"),
    }))
}
