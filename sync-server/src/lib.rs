//! The Baodao sync server as a library: `main.rs` only parses the command
//! line; tests and the kiosk demo start the same server in-process.

pub mod card_cache;
pub mod card_image;
pub mod card_sheet;
pub mod console;
pub mod domain;
pub mod error;
pub mod import;
pub mod keys;
pub mod migrate;
pub mod net;
pub mod office;
pub mod openapi;
pub mod pdf;
pub mod reports;
pub mod routes;
pub mod settings;
pub mod statement;
pub mod store;
pub mod table;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use error::{Error, Result};
pub use office::Office;
pub use routes::router;
pub use settings::Settings;

use crate::card_cache::CardDecoder;
use crate::store::Storage;

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Storage>,
    pub cards: Arc<CardDecoder>,
    pub limiters: Arc<net::Limiters>,
    /// The card signing key, on an instance that issues cards from the
    /// console (its data directory holds the key); `None` elsewhere.
    pub signer: Option<Arc<baodao_shared::card::CardSigner>>,
}

impl AppState {
    /// What a server instance needs: its settings and the database (with
    /// the card keys' public halves). Never the signing key, which stays
    /// with the office.
    pub async fn from_store(settings: Settings, store: Arc<dyn Storage>) -> Result<Self> {
        Ok(Self {
            cards: Arc::new(CardDecoder::with_keys(store.card_keys().await?)?),
            limiters: Arc::new(net::Limiters::new(&settings.net)),
            settings: Arc::new(settings),
            store,
            signer: None,
        })
    }

    /// The state of a server beside an office (tests, the kiosk demo): it
    /// issues cards with the office's key.
    pub async fn new(office: &Office) -> Result<Self> {
        let mut state = Self::from_store(office.settings().clone(), office.store()).await?;
        state.signer = Some(office.signer().await?);
        Ok(state)
    }
}

/// Opens the database of `settings` (migrating it), serves the API on
/// `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn launch(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let store = store::open(
        &settings.database_url(),
        settings.database_pool_size,
        settings.policy.time_zone,
    )
    .await?;
    let mut state = AppState::from_store(settings, store).await?;
    // The office's own instance issues cards from the console when told
    // to (`issue_cards`); the others never read the key.
    if state.settings.issue_cards {
        let path = state.settings.signing_key_path();
        let signer = keys::load(&path)?.ok_or_else(|| {
            Error::Config(format!(
                "issue_cards is on but {} holds no signing key; run `baodao-sync-server cards issue` once, or turn issue_cards off",
                path.display()
            ))
        })?;
        let usable = state
            .store
            .card_key_list()
            .await?
            .iter()
            .any(|k| k.key.key_id == signer.key_id() && k.retired_at.is_none());
        if !usable {
            return Err(Error::Config(format!(
                "the signing key {} is retired or not in this database; run `baodao-sync-server keys rotate`",
                signer.key_id()
            )));
        }
        tracing::info!(key_id = %signer.key_id(), "this instance issues cards from the console");
        state.signer = Some(Arc::new(signer));
    }
    let addr = listener
        .local_addr()
        .map_err(Error::io("reading the listening address"))?;
    let settings = &state.settings;
    let tls = settings
        .net
        .tls
        .clone()
        .map(|files| net::tls::Tls::load(files).map(Arc::new))
        .transpose()?;
    let database = settings.database_url().redacted();
    match &tls {
        Some(_) => tracing::info!(%addr, %database, "serving HTTPS"),
        None if addr.ip().is_loopback() => {
            tracing::info!(%addr, %database, "serving plain HTTP on loopback (put a TLS proxy in front, or set tls_cert and tls_key)");
        }
        None => tracing::warn!(
            %addr,
            %database,
            "serving plain HTTP: tokens and rosters travel in clear; set tls_cert and tls_key (or --tls-cert/--tls-key), or put a TLS proxy in front"
        ),
    }
    if let Some(tls) = &tls {
        reload_on_sighup(Arc::clone(tls));
    }
    // The database is open and the port bound: a `Type=notify` unit (and
    // what is ordered after it) may start now.
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    let shutdown = async move {
        shutdown.await;
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    };
    serve_tls(listener, state.clone(), tls, shutdown)
        .await
        .map_err(Error::io("serving HTTP"))
}

/// Serves `state` over plain HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_tls(listener, state, None, shutdown).await
}

/// Serves `state` on `listener`, over TLS when `tls` is given.
pub async fn serve_tls(
    listener: TcpListener,
    state: AppState,
    tls: Option<Arc<net::tls::Tls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let net = state.settings.net.clone();
    let refresh = tokio::spawn(refresh_keys(state.clone()));
    let served = net::serve(listener, router(state), &net, tls, shutdown).await;
    refresh.abort();
    served
}

/// Reads the card keys again every `key_refresh_secs` (5): a key rotated
/// or retired by the office is in force on every instance within that
/// long, no restart. (Card and kiosk revocations need no refresh: every
/// request reads them from the database.)
async fn refresh_keys(state: AppState) {
    let period = std::time::Duration::from_secs(state.settings.key_refresh_secs);
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match state.store.card_keys().await {
            Ok(keys) => match state.cards.refresh(keys) {
                Ok(true) => tracing::info!("card keys changed; now in force"),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "a card key in the database is unusable"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot read the card keys"),
        }
    }
}

/// Reads the certificate again on each SIGHUP.
fn reload_on_sighup(tls: Arc<net::tls::Tls>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; certificate reloads need a restart");
            return;
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!("reloaded the TLS certificate"),
                Err(e) => tracing::error!(error = %e, "kept the old TLS certificate"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = tls;
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: a SIGTERM that arrives
/// while the server starts (a service manager stopping it at once) must
/// stop it cleanly, not kill it. Call it inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        let install = |kind: SignalKind, name: &'static str| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for {name}");
                None
            }
        };
        (
            install(SignalKind::interrupt(), "Ctrl-C"),
            install(SignalKind::terminate(), "SIGTERM"),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let (interrupt, terminate) = handlers;
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    }
}
