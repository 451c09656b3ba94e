//! Extractors that answer with the API's error body.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::AppState;
use crate::domain::office::OfficeUser;
use crate::domain::session::csrf_matches;
use crate::domain::token::{bearer, office_bearer};
use crate::error::Error;
use crate::store::Kiosk;

/// JSON body whose rejections use the API error body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// The bearer token of the request, if `shape` accepts it (a kiosk's or an
/// office user's: each kind is its own prefix).
fn token(parts: &Parts, shape: fn(&str) -> Option<&str>) -> Result<String, Error> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(shape)
        .map(str::to_owned)
        .ok_or(Error::Unauthorized)
}

/// The kiosk behind the request's bearer token. Runs before the body is
/// read, so an unauthenticated upload costs the server nothing.
#[derive(Debug)]
pub struct KioskAuth(pub Kiosk);

impl FromRequestParts<AppState> for KioskAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = token(parts, bearer)?;
        let kiosk = state.store.authenticate(token).await?;
        kiosk.map(Self).ok_or(Error::Unauthorized)
    }
}

/// The office user behind the request: a bearer token (`bdo_...`), or the
/// console's session cookie, which for anything but a read must come with
/// the session's CSRF token in `X-CSRF-Token`. A kiosk token is neither:
/// it never reaches the office API.
#[derive(Debug)]
pub struct OfficeAuth(pub OfficeUser);

/// The header a browser session's changes carry their CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequestParts<AppState> for OfficeAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        if parts.headers.contains_key(AUTHORIZATION) {
            let token = token(parts, office_bearer)?;
            let user = state.store.office_authenticate(token).await?;
            return user.map(Self).ok_or(Error::Unauthorized);
        }
        let secure = crate::console::secure_cookies(&state.settings);
        let hash = crate::console::session_hash(parts, secure).ok_or(Error::Unauthorized)?;
        let session = state
            .store
            .session(hash, chrono::Utc::now())
            .await?
            .ok_or(Error::Unauthorized)?;
        if !parts.method.is_safe() {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !csrf_matches(sent, &session.csrf) {
                return Err(Error::Forbidden(format!(
                    "a change by a browser session needs its {CSRF_HEADER} header"
                )));
            }
        }
        Ok(Self(session.user))
    }
}
