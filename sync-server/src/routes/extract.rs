//! Extractors that answer with the API's error body.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::AppState;
use crate::domain::office::OfficeUser;
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

/// The office user behind the request's bearer token (`bdo_...`). A kiosk
/// token is not one: it never reaches the office API.
#[derive(Debug)]
pub struct OfficeAuth(pub OfficeUser);

impl FromRequestParts<AppState> for OfficeAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = token(parts, office_bearer)?;
        let user = state.store.office_authenticate(token).await?;
        user.map(Self).ok_or(Error::Unauthorized)
    }
}
