//! What kiosks say about themselves: enrolment (a code for a token) and
//! the heartbeat.

use std::time::Instant;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use baodao_shared::enrol::EnrolCode;
use baodao_shared::protocol::{EnrolRequest, Enrolment, ErrorBody, Heartbeat, HeartbeatReceipt};
use chrono::Utc;

use crate::AppState;
use crate::domain::enrolment::hash_code;
use crate::error::{Error, Result};
use crate::routes::{ApiJson, KioskAuth};

/// Exchanges a one-time enrolment code for the kiosk's token. Any token
/// the kiosk had before stops working.
#[utoipa::path(
    post,
    path = "/api/v1/kiosks/enrol",
    request_body = EnrolRequest,
    responses(
        (status = 200, body = Enrolment),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 403, description = "The code's kiosk was revoked", body = ErrorBody),
        (status = 404, description = "No such code", body = ErrorBody),
        (status = 409, description = "The code was used already", body = ErrorBody),
        (status = 410, description = "The code expired", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "Not a code's shape", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    )
)]
pub async fn enrol(State(state): State<AppState>, request: Request) -> Response {
    match exchange(&state, request).await {
        Ok(enrolment) => Json(enrolment).into_response(),
        Err(e) => e,
    }
}

async fn exchange(state: &AppState, request: Request) -> std::result::Result<Enrolment, Response> {
    let (parts, body) = request.into_parts();
    let address = state
        .limiters
        .client_address(&parts.headers, &parts.extensions);
    // Before the body is even read: a guess costs a try, right or wrong.
    state
        .limiters
        .enrol_attempt(address.as_deref(), Instant::now())
        .map_err(crate::net::too_many)?;
    let ApiJson(request) =
        ApiJson::<EnrolRequest>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
    let code = EnrolCode::parse(&request.code)
        .map_err(|e| Error::bad_request("invalid_code", e.to_string()).into_response())?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| Error::Internal(format!("no OS randomness: {e}")).into_response())?;
    let enrolment = state
        .store
        .redeem_enrol_code(hash_code(&code), secret, Utc::now())
        .await
        .map_err(IntoResponse::into_response)?;
    tracing::info!(kiosk = %enrolment.kiosk_id, "kiosk enrolled with a code");
    Ok(enrolment)
}

/// A kiosk's state, once a minute: the office sees that an idle kiosk is
/// alive, and what is wrong with one that is not well.
#[utoipa::path(
    post,
    path = "/api/v1/kiosks/heartbeat",
    request_body = Heartbeat,
    security(("kiosk_token" = [])),
    responses(
        (status = 200, body = HeartbeatReceipt),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "A value outside what a kiosk can report", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn heartbeat(
    State(state): State<AppState>,
    KioskAuth(kiosk): KioskAuth,
    ApiJson(heartbeat): ApiJson<Heartbeat>,
) -> Result<Json<HeartbeatReceipt>> {
    heartbeat
        .check()
        .map_err(|e| Error::bad_request("invalid_heartbeat", e.to_string()))?;
    let now = Utc::now();
    let clock_offset_ms = (now - heartbeat.sent_at).num_milliseconds();
    state
        .store
        .record_heartbeat(kiosk.kiosk_id, heartbeat, now, clock_offset_ms)
        .await?;
    Ok(Json(HeartbeatReceipt { received_at: now }))
}
