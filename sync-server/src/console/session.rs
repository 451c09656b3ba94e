//! Who is at the console: the session behind the cookie and the language
//! the pages speak.

use axum::extract::FromRequestParts;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use super::i18n::Lang;
use crate::AppState;
use crate::domain::office::OfficeUser;
use crate::domain::session::{csrf_matches, secret_hash, secret_in};
use crate::settings::Settings;

/// The cookie that keeps the chosen language (not a secret).
pub const LANG_COOKIE: &str = "baodao_lang";

/// Whether cookies are marked `Secure`: under TLS, ours or a proxy's.
pub fn secure_cookies(settings: &Settings) -> bool {
    settings.net.tls.is_some() || settings.net.behind_proxy
}

fn cookies(parts: &Parts) -> impl Iterator<Item = &str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
}

/// The language of the request: the chosen one, else the browser's.
pub fn lang_of(parts: &Parts) -> Lang {
    cookies(parts)
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == LANG_COOKIE)
        .and_then(|(_, value)| Lang::from_code(value.trim()))
        .unwrap_or_else(|| {
            Lang::negotiate(
                parts
                    .headers
                    .get(ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// The session's secret hash in the request's cookies, if any.
pub fn session_hash(parts: &Parts, secure: bool) -> Option<String> {
    secret_in(cookies(parts), secure).map(secret_hash)
}

/// A signed-in office user at the console. Without a live session the
/// browser is sent to the login page.
#[derive(Debug, Clone)]
pub struct Console {
    pub user: OfficeUser,
    pub csrf: String,
    pub lang: Lang,
    pub secret_hash: String,
}

impl Console {
    /// Whether a submitted form carries this session's CSRF token.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        csrf_matches(sent, &self.csrf)
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let secure = secure_cookies(&state.settings);
        let Some(hash) = session_hash(parts, secure) else {
            return Err(Redirect::to("/console/login").into_response());
        };
        match state.store.session(hash.clone(), Utc::now()).await {
            Ok(Some(session)) => Ok(Self {
                user: session.user,
                csrf: session.csrf,
                lang: lang_of(parts),
                secret_hash: hash,
            }),
            Ok(None) => Err(Redirect::to("/console/login?ended=1").into_response()),
            Err(e) => Err(super::failure(lang_of(parts), &e)),
        }
    }
}

/// The language of a visitor who may not be signed in (the login page).
#[derive(Debug, Clone, Copy)]
pub struct Visitor(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(lang_of(parts)))
    }
}

/// A form posted by a signed-in user, carrying this session's CSRF token:
/// a change the console may make. Without the token it is refused before
/// the handler runs, and nothing is done.
#[derive(Debug)]
pub struct Posted {
    pub console: Console,
    pub form: super::form::Form,
}

impl axum::extract::FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let console = Console::from_request_parts(&mut parts, state).await?;
        let request = axum::extract::Request::from_parts(parts, body);
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = super::form::Form::parse(&body);
        if !console.csrf_ok(form.get("csrf")) {
            return Err(super::csrf_refused(console.lang));
        }
        Ok(Self { console, form })
    }
}
