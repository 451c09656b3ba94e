//! The connection side of the server: how long a client may take, how many
//! may connect, how often one may ask, and TLS. `axum::serve` sets none of
//! these (hyper runs without a timer there, so even the header-read
//! timeout is off); this loop sets them all.

pub mod rate;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::error::Error;
use crate::settings::Net;
use rate::{Rate, RateLimiter};
use tls::Tls;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The per-token and per-address limiters of one server.
#[derive(Debug)]
pub struct Limiters {
    kiosk: RateLimiter,
    address: RateLimiter,
    /// Console password attempts per client address: slows a guesser
    /// across accounts, where the per-account lockout cannot.
    login: RateLimiter,
    /// Enrolment code attempts per client address, and from everywhere
    /// together (a guesser with many addresses): a code cannot be found
    /// by trying.
    enrol: RateLimiter,
    enrol_all: RateLimiter,
    behind_proxy: bool,
}

impl Limiters {
    pub fn new(net: &Net) -> Self {
        let rate = |per_minute: u32| Rate {
            per_minute,
            burst: (per_minute / 4).max(10),
        };
        Self {
            kiosk: RateLimiter::new(rate(net.kiosk_requests_per_minute)),
            address: RateLimiter::new(rate(net.address_requests_per_minute)),
            login: RateLimiter::new(Rate {
                per_minute: 10,
                burst: 10,
            }),
            enrol: RateLimiter::new(ENROL_PER_ADDRESS),
            enrol_all: RateLimiter::new(ENROL_ALL),
            behind_proxy: net.behind_proxy,
        }
    }

    /// The client's address. Behind a reverse proxy every request comes
    /// from the proxy; the client is the last address the proxy added.
    pub fn client_address(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<String> {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let forwarded = self
            .behind_proxy
            .then(|| headers.get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        forwarded.or(peer)
    }

    /// `Ok` when `address` may try an enrolment code now; else how long
    /// to wait.
    pub fn enrol_attempt(&self, address: Option<&str>, now: Instant) -> Result<(), Duration> {
        self.enrol_all.check("*", now)?;
        self.enrol.check(address.unwrap_or("-"), now)
    }

    /// `Ok` when `address` may try a password now; else how long to wait.
    pub fn login_attempt(&self, address: Option<&str>, now: Instant) -> Result<(), Duration> {
        self.login.check(address.unwrap_or("-"), now)
    }
}

/// Middleware: 429 with `Retry-After` for an address or a token over its
/// rate, before any work (the token is not even looked up).
pub async fn limit_rate(
    State(limiters): State<Arc<Limiters>>,
    request: Request,
    next: Next,
) -> Response {
    let now = Instant::now();
    let address = limiters.client_address(request.headers(), request.extensions());
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(&v.as_bytes()[..v.len().min(128)]).into_owned());
    let verdict = address
        .map_or(Ok(()), |a| limiters.address.check(&a, now))
        .and_then(|()| token.map_or(Ok(()), |t| limiters.kiosk.check(&t, now)));
    match verdict {
        Ok(()) => next.run(request).await,
        Err(wait) => too_many(wait),
    }
}

/// Five tries at once (a volunteer's typos), then one a minute.
const ENROL_PER_ADDRESS: Rate = Rate {
    per_minute: 1,
    burst: 5,
};
/// At most 60 codes a minute from everywhere, per instance: with 29⁸
/// codes, a whole day of guessing at this rate finds a given live code
/// with odds of 1 in 6 million (and a code lives a day). The price: a
/// guesser can make genuine enrolments wait their turn.
const ENROL_ALL: Rate = Rate {
    per_minute: 60,
    burst: 60,
};

/// 429 with `Retry-After`.
pub fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = Error::BadRequest {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "rate_limited",
        message: format!("too many requests; try again in {secs} s"),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    response
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until
/// `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    net: &Net,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(net.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        // Also the idle timeout: hyper starts it whenever it waits for the
        // next request's head.
        .header_read_timeout(Duration::from_secs(net.header_read_timeout_secs))
        .max_buf_size(64 * 1024);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached; closing a new connection");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        ));
        let http = http.clone();
        let watcher = graceful.watcher();
        let tls = tls.as_ref().map(|tls| tls.acceptor());
        tokio::spawn(async move {
            let _permit = permit;
            let result = match tls {
                None => {
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), service))
                        .await
                }
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            watcher
                                .watch(http.serve_connection(TokioIo::new(stream), service))
                                .await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
    Ok(())
}
