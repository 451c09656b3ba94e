use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use baodao_shared::protocol::{BatchReceipt, BatchRequest, ErrorBody};
use chrono::{Duration, Utc};

use super::blocking;
use crate::AppState;
use crate::error::{Error, Result};
use crate::routes::{ApiJson, KioskAuth};
use crate::store::attendance::Intake;

/// Longest void reason kept.
const MAX_REASON_CHARS: usize = 500;

/// Upload attendance records and voids from a kiosk's outbox.
///
/// Idempotent: sending the same batch again, any number of times, changes
/// nothing and answers `already_received` for each record.
#[utoipa::path(
    post,
    path = "/api/v1/attendance/batches",
    request_body = BatchRequest,
    security(("kiosk_token" = [])),
    responses(
        (status = 200, description = "What happened to each record", body = BatchReceipt),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 422, description = "Malformed batch", body = ErrorBody),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    KioskAuth(kiosk): KioskAuth,
    ApiJson(batch): ApiJson<BatchRequest>,
) -> Result<Json<BatchReceipt>> {
    let limit = state.settings.limits.batch_records;
    if batch.records.len() + batch.voids.len() > limit {
        return Err(Error::BadRequest {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "batch_too_large",
            message: format!("at most {limit} records and voids a batch; split the upload"),
        });
    }
    if let Some(void) = batch
        .voids
        .iter()
        .find(|v| v.reason.trim().is_empty() || v.reason.chars().count() > MAX_REASON_CHARS)
    {
        return Err(Error::bad_request(
            "invalid_void",
            format!(
                "void of {} needs a reason of 1 to {MAX_REASON_CHARS} characters",
                void.record_id
            ),
        ));
    }
    let receipt = blocking(move || {
        let cards: Vec<Option<&str>> = batch.records.iter().map(|r| r.card.as_deref()).collect();
        let decoded = state.cards.decode_all(&cards);
        let intake = Intake {
            kiosk: &kiosk,
            received_at: Utc::now(),
            policy: &state.settings.policy,
            grace: Duration::minutes(state.settings.hold_grace_minutes),
        };
        state.store.ingest(&intake, &batch, &decoded)
    })
    .await?;
    Ok(Json(receipt))
}
