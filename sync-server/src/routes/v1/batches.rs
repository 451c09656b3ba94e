use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use baodao_shared::protocol::{BatchReceipt, BatchRequest, ErrorBody};
use chrono::{Duration, Utc};

use super::blocking;
use crate::AppState;
use crate::domain::upload::{self, Refusal, Upload};
use crate::error::{Error, Result};
use crate::routes::KioskAuth;
use crate::store::Intake;

/// Upload attendance records and voids from a kiosk's outbox.
///
/// Idempotent: sending the same batch again, any number of times, changes
/// nothing and answers `already_received` for each record. A record or
/// void that is wrong by itself is answered `rejected` with its reason; the
/// rest of the batch goes through.
#[utoipa::path(
    post,
    path = "/api/v1/attendance/batches",
    request_body = BatchRequest,
    security(("kiosk_token" = [])),
    responses(
        (status = 200, description = "What happened to each record", body = BatchReceipt),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "JSON, but not a batch (or an item without a record id)", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    KioskAuth(kiosk): KioskAuth,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<BatchReceipt>> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        Error::BadRequest {
            status,
            code: if status == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "unreadable_body"
            },
            message: rejection.body_text(),
        }
    })?;
    let upload = parse(&headers, &body, state.settings.limits.batch_records)?;
    let upload = Arc::new(upload);
    // Signature checks are the costly part: off the async threads.
    let decoded = {
        let (cards, upload) = (Arc::clone(&state.cards), Arc::clone(&upload));
        blocking(move || {
            let texts: Vec<Option<&str>> = upload
                .records
                .iter()
                .map(|r| r.valid().and_then(|r| r.card.as_deref()))
                .collect();
            Ok(cards.decode_all(&texts))
        })
        .await?
    };
    let settings = &state.settings;
    let intake = Intake {
        kiosk,
        received_at: Utc::now(),
        policy: settings.policy,
        grace: Duration::minutes(settings.hold_grace_minutes),
        max_clock_offset: Duration::minutes(settings.max_clock_offset_minutes),
        manual_limit: settings.max_manual_per_activity,
    };
    let receipt = state.store.ingest(intake, upload, decoded).await?;
    Ok(Json(receipt))
}

/// The request's own problems (not JSON, no envelope, too many items) fail
/// it whole; an item's problems are the item's. A send time out of range is
/// a kiosk clock not to be trusted: its records are held, not refused.
fn parse(headers: &HeaderMap, body: &[u8], limit: usize) -> Result<Upload> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json")
                || (v.starts_with("application/") && v.ends_with("+json"))
        });
    if !is_json {
        return Err(Error::BadRequest {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "expected a body of Content-Type: application/json".into(),
        });
    }
    upload::parse(body, limit).map_err(|refusal| match refusal {
        Refusal::Syntax(message) => Error::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
            message,
        },
        Refusal::Shape(message) => Error::bad_request("malformed_json", message),
        Refusal::TooMany { limit } => Error::BadRequest {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "batch_too_large",
            message: format!("at most {limit} records and voids a batch; split the upload"),
        },
    })
}
