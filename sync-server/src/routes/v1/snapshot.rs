use axum::Json;
use axum::extract::{Query, State};
use baodao_shared::protocol::{ErrorBody, Snapshot, SnapshotQuery};
use chrono::Utc;

use crate::AppState;
use crate::error::{Error, Result};
use crate::routes::KioskAuth;

/// Everything a kiosk needs offline; with `since`, only what changed.
#[utoipa::path(
    get,
    path = "/api/v1/sync/snapshot",
    params(SnapshotQuery),
    security(("kiosk_token" = [])),
    responses(
        (status = 200, body = Snapshot),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 422, description = "A query that is not a cursor and an epoch", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    KioskAuth(kiosk): KioskAuth,
    query: std::result::Result<Query<SnapshotQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Snapshot>> {
    let Query(query) = query.map_err(|e| Error::bad_request("invalid_query", e.body_text()))?;
    let mut snapshot = state
        .store
        .snapshot(
            kiosk,
            query.since,
            query.epoch,
            Utc::now(),
            state.settings.policy,
        )
        .await?;
    // The settings keep it within a week.
    snapshot.grace_minutes = u32::try_from(state.settings.hold_grace_minutes).ok();
    Ok(Json(snapshot))
}
