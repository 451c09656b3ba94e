//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`:
//! its database answers too), for load balancers and systemd.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub protocol: u32,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

fn health(state: &AppState, status: &'static str) -> Json<Health> {
    Json(Health {
        status,
        version: env!("CARGO_PKG_VERSION"),
        protocol: baodao_shared::protocol::PROTOCOL_VERSION,
        database: state.store.backend(),
    })
}

/// Liveness: the process serves requests (the database is not asked, so a
/// database outage does not get every instance restarted).
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn get(State(state): State<AppState>) -> Json<Health> {
    health(&state, "ok")
}

/// Readiness: the database answers; a load balancer sends requests only to
/// ready instances.
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.ready().await {
        Ok(()) => (StatusCode::OK, health(&state, "ok")),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                health(&state, "database unavailable"),
            )
        }
    }
}
