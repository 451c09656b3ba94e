//! HTTP routes. Handlers live one resource a file under `v1/`.

mod extract;
mod health;
pub mod v1;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{get, post};
use baodao_shared::protocol::{BATCHES_PATH, PROTOCOL_HEADER, PROTOCOL_VERSION, SNAPSHOT_PATH};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use extract::{ApiJson, KioskAuth};

use crate::AppState;
use crate::error::Error;

pub fn router(state: AppState) -> Router {
    let limits = state.settings.limits;
    Router::new()
        .route("/healthz", get(health::get))
        .route("/api/openapi.json", get(crate::openapi::get))
        .route(BATCHES_PATH, post(v1::batches::post))
        .route(SNAPSHOT_PATH, get(v1::snapshot::get))
        .route("/api/v1/members/{member_id}/points", get(v1::points::get))
        .fallback(|| async { Error::NotFound("route".into()) })
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(axum::middleware::map_response(protocol_header))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn protocol_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(PROTOCOL_HEADER, HeaderValue::from(PROTOCOL_VERSION));
    response
}
