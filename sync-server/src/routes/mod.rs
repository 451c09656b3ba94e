//! HTTP routes. Handlers live one resource a file under `v1/`.

mod extract;
pub mod health;
pub mod v1;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baodao_shared::protocol::{
    BATCHES_PATH, ENROL_PATH, HEARTBEAT_PATH, PROTOCOL_HEADER, PROTOCOL_VERSION, SNAPSHOT_PATH,
};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use extract::{ApiJson, KioskAuth, OfficeAuth};

use crate::AppState;
use crate::error::Error;

pub fn router(state: AppState) -> Router {
    let limits = state.settings.limits;
    let api = Router::new()
        .route("/healthz", get(health::get))
        .route("/readyz", get(health::ready))
        .route("/api/openapi.json", get(crate::openapi::get))
        .route(BATCHES_PATH, post(v1::batches::post))
        .route(SNAPSHOT_PATH, get(v1::snapshot::get))
        .route(ENROL_PATH, post(v1::kiosks::enrol))
        .route(HEARTBEAT_PATH, post(v1::kiosks::heartbeat))
        .route("/api/v1/members/{member_id}/points", get(v1::points::get))
        .route("/api/v1/office/review", get(v1::office::queue))
        .route(
            "/api/v1/office/review/{record_id}",
            post(v1::office::decide),
        )
        .route("/api/v1/office/audit", get(v1::office::audit))
        .route("/api/v1/office/points", get(v1::office::points))
        .route("/api/v1/office/attendance", post(v1::office::enter))
        .route("/api/v1/office/activities", post(v1::office::save_activity))
        .route(
            "/api/v1/office/activities/{activity_id}/cancel",
            post(v1::office::cancel_activity),
        )
        .route(
            "/api/v1/office/members/{member_id}",
            post(v1::office::change_member),
        )
        .route(
            "/api/v1/office/records/{record_id}/void",
            post(v1::office::void),
        )
        .route(
            "/api/v1/office/reports/points.csv",
            get(v1::office::points_csv),
        )
        .route(
            "/api/v1/office/reports/points.xlsx",
            get(v1::office::points_xlsx),
        )
        .route(
            "/api/v1/office/reports/organization.xlsx",
            get(v1::office::organization_xlsx),
        )
        .merge(crate::console::routes())
        .fallback(|| async { Error::NotFound("route".into()) })
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.limiters),
            crate::net::limit_rate,
        ))
        .with_state(state);
    guarded(api)
}

/// The layers every route sits behind: a request id in every log line and
/// response, and a panic answered 500 (logged once, with that id) instead
/// of tearing down the connection. Public so a test can put a panicking
/// route behind the same layers.
pub fn guarded(routes: Router) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    routes
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::map_response(protocol_header))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

const REQUEST_ID: &str = "x-request-id";

// The signature is CatchPanicLayer's.
#[allow(clippy::needless_pass_by_value)]
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    Error::Internal(format!("a request handler panicked: {detail}")).into_response()
}

async fn protocol_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(PROTOCOL_HEADER, HeaderValue::from(PROTOCOL_VERSION));
    response
}
