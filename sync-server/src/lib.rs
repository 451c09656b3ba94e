//! The Baodao sync server as a library: `main.rs` only parses the command
//! line; tests and the kiosk demo start the same server in-process.

pub mod card_cache;
pub mod card_image;
pub mod domain;
pub mod error;
pub mod import;
pub mod keys;
pub mod office;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use error::{Error, Result};
pub use office::Office;
pub use routes::router;
pub use settings::Settings;

use crate::card_cache::CardDecoder;
use crate::store::Store;

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Arc<Store>,
    pub cards: Arc<CardDecoder>,
}

impl AppState {
    pub fn new(office: &Office) -> Result<Self> {
        Ok(Self {
            settings: Arc::new(office.settings().clone()),
            store: office.store(),
            cards: Arc::new(CardDecoder::new(office.keyring()?)),
        })
    }
}

/// Serves the API on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn launch(
    office: &Office,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let state = AppState::new(office)?;
    let addr = listener
        .local_addr()
        .map_err(Error::io("reading the listening address"))?;
    tracing::info!(%addr, data_dir = %office.settings().data_dir.display(), "serving");
    serve(listener, state, shutdown)
        .await
        .map_err(Error::io("serving HTTP"))
}

/// Serves `state` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
