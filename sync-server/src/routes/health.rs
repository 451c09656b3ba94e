use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;
use crate::error::Result;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub protocol: u32,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn get(State(state): State<AppState>) -> Result<Json<Health>> {
    let store = state.store.clone();
    crate::routes::v1::blocking(move || store.card_keys().map(|_| ())).await?;
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        protocol: baodao_shared::protocol::PROTOCOL_VERSION,
    }))
}
