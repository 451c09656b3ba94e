//! The office console: server-rendered HTML pages over the same store and
//! rules as the office API. No script and no build step; forms post back,
//! each with the session's CSRF token.

mod activities;
mod audit;
mod cards;
mod export;
mod form;
mod i18n;
mod kiosks;
mod layout;
mod login;
mod member;
mod members;
mod points;
mod registry;
mod review;
mod session;
mod today;
mod users;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

pub use i18n::{Lang, T};
pub use session::{secure_cookies, session_hash};

use crate::AppState;
use crate::error::Error;
use layout::bare;
use session::LANG_COOKIE;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(today::get))
        .route("/console/login", get(login::form).post(login::post))
        .route("/console/logout", post(login::logout))
        .route("/console/points", get(points::get))
        .route("/console/review", get(review::get).post(review::post))
        .route("/console/audit", get(audit::get))
        .route("/console/export/{table}", get(export::get))
        .route("/console/members", get(members::get))
        .route(
            "/console/members/{member_id}",
            get(member::get).post(member::post),
        )
        .route(
            "/console/members/{member_id}/statement.pdf",
            get(member::statement),
        )
        .route("/console/organizations", get(registry::get))
        .route("/console/kiosks", get(kiosks::get).post(kiosks::post))
        .route("/console/users", get(users::get).post(users::post))
        .route("/console/users/{username}/revoke", post(users::revoke))
        .route("/console/kiosks/{kiosk_id}", get(kiosks::show))
        .route("/console/kiosks/{kiosk_id}/revoke", post(kiosks::revoke))
        .route(
            "/console/kiosks/{kiosk_id}/enrol-code",
            post(kiosks::enrol_code),
        )
        .route("/console/cards", post(cards::post))
        .route(
            "/console/activities",
            get(activities::get).post(activities::post),
        )
        .route("/console/activities/{activity_id}", get(activities::show))
        .route(
            "/console/activities/{activity_id}/cancel",
            post(activities::cancel),
        )
        .route(
            "/console/members/preview",
            post(members::preview).layer(DefaultBodyLimit::max(members::MAX_FILE)),
        )
        .route(
            "/console/members/import",
            // The file comes back URL-encoded: up to three bytes a byte.
            post(members::import).layer(DefaultBodyLimit::max(3 * members::MAX_FILE)),
        )
        .route("/console/lang/{code}", get(switch_language))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/cjk.ttf", get(font))
        .layer(axum::middleware::map_response(protect))
}

/// Headers every console answer carries: nothing runs but our own style
/// sheet and font, no other site frames or posts into it, nothing cached.
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// An HTML answer.
fn respond(status: StatusCode, markup: &Markup) -> Response {
    (status, Html(markup.clone().into_string())).into_response()
}

/// A failure as a page: what went wrong in the user's language, the detail
/// of a 5xx kept in the log.
pub fn failure(lang: Lang, error: &Error) -> Response {
    let (status, _) = error.status_and_code();
    let text = match error {
        Error::Forbidden(_) => lang.t(T::Forbidden).to_owned(),
        _ if status.is_server_error() => {
            tracing::error!(error = %error, "console request failed");
            "internal server error".to_owned()
        }
        other => other.to_string(),
    };
    respond(
        status,
        &bare(
            lang,
            lang.t(T::Product),
            "/console/",
            &layout::notice(false, &text),
        ),
    )
}

/// Writes the audit entry of a change made at the console by `console`.
pub async fn audit(
    state: &AppState,
    console: &session::Console,
    action: &str,
    subject: String,
    after: String,
) -> Result<(), Error> {
    state
        .store
        .audit(
            crate::store::Change {
                actor: console.user.username.clone(),
                at: chrono::Utc::now(),
                note: String::new(),
            },
            action.into(),
            subject,
            Some(after),
        )
        .await
}

/// A form posted without this session's CSRF token: refused, nothing done.
pub fn csrf_refused(lang: Lang) -> Response {
    respond(
        StatusCode::FORBIDDEN,
        &bare(
            lang,
            lang.t(T::Product),
            "/console/",
            &message(lang.t(T::FormExpired)),
        ),
    )
}

#[derive(Debug, Deserialize)]
struct Back {
    back: Option<String>,
}

/// Remembers the chosen language and goes back to the page it was chosen
/// on (a console page only: never an open redirect).
async fn switch_language(Path(code): Path<String>, Query(back): Query<Back>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return Redirect::to("/console/").into_response();
    };
    let back = back
        .back
        .filter(|b| b.starts_with("/console/") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/console/".to_owned());
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/console; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    ([(SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

async fn css() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        layout::CSS,
    )
        .into_response()
}

/// The bundled CJK font, for browsers on machines without one.
async fn font() -> Response {
    (
        [
            (CONTENT_TYPE, "font/ttf"),
            (CACHE_CONTROL, "public, max-age=604800, immutable"),
        ],
        crate::card_image::CJK_FONT,
    )
        .into_response()
}

/// A small page body for a message and a link back.
fn message(text: &str) -> Markup {
    html! { (layout::notice(false, text)) }
}
