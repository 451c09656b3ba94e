//! Logging in and out. A wrong password counts against the account (five
//! in a row lock it for fifteen minutes) and against the client's address
//! (ten a minute); both answer the same page, so the form tells a guesser
//! nothing about which usernames exist.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::html;
use serde::Deserialize;

use super::form::Form;
use super::i18n::{Lang, T};
use super::layout::{bare, notice};
use super::session::{Posted, Visitor, secure_cookies};
use super::{failure, respond};
use crate::AppState;
use crate::domain::password;
use crate::domain::session::{LOCKOUT, NewSession, clear_cookie, is_locked, set_cookie};
use crate::error::Error;

/// The largest login form read.
const MAX_FORM: usize = 4 * 1024;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    ended: Option<String>,
}

pub async fn form(Visitor(lang): Visitor, Query(query): Query<LoginQuery>) -> Response {
    let message = query
        .ended
        .is_some()
        .then(|| lang.t(T::SessionEnded).to_owned());
    page(lang, StatusCode::OK, "", message.as_deref())
}

fn page(lang: Lang, status: StatusCode, username: &str, error: Option<&str>) -> Response {
    let body = html! {
        form.login method="post" action="/console/login" {
            h1 { (lang.t(T::LogIn)) }
            @if let Some(error) = error { (notice(false, error)) }
            label { (lang.t(T::Username))
                input name="username" value=(username) autocomplete="username" required autofocus;
            }
            label { (lang.t(T::Password))
                input type="password" name="password" autocomplete="current-password" required;
            }
            button.primary type="submit" { (lang.t(T::LogIn)) }
        }
    };
    respond(
        status,
        &bare(lang, lang.t(T::LogIn), "/console/login", &body),
    )
}

pub async fn post(
    State(state): State<AppState>,
    Visitor(lang): Visitor,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let address = state
        .limiters
        .client_address(&parts.headers, &parts.extensions);
    let Ok(body) = axum::body::to_bytes(body, MAX_FORM).await else {
        return page(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
            Some(lang.t(T::WrongPassword)),
        );
    };
    let form = Form::parse(&body);
    let username = form.get("username").chars().take(64).collect::<String>();
    let password = form.get("password").to_owned();
    if let Err(wait) = state
        .limiters
        .login_attempt(address.as_deref(), Instant::now())
    {
        let until = Utc::now() + wait;
        let until = lang.time(until, state.settings.policy.time_zone);
        return page(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            &username,
            Some(&lang.locked_until(&until)),
        );
    }
    match attempt(&state, &username, password).await {
        Ok(Outcome::Session(session)) => {
            let cookie = set_cookie(&session.secret, secure_cookies(&state.settings));
            tracing::info!(username = %username, "console login");
            ([(SET_COOKIE, cookie)], Redirect::to("/console/")).into_response()
        }
        Ok(Outcome::Wrong) => page(
            lang,
            StatusCode::UNAUTHORIZED,
            &username,
            Some(lang.t(T::WrongPassword)),
        ),
        Ok(Outcome::Locked(until)) => {
            tracing::warn!(username = %username, "console account locked");
            let until = lang.time(until, state.settings.policy.time_zone);
            page(
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                &username,
                Some(&lang.locked_until(&until)),
            )
        }
        Err(e) => failure(lang, &e),
    }
}

enum Outcome {
    Session(NewSession),
    Wrong,
    Locked(chrono::DateTime<Utc>),
}

async fn attempt(state: &AppState, username: &str, password: String) -> Result<Outcome, Error> {
    let now = Utc::now();
    let facts = state.store.login_facts(username.to_owned()).await?;
    if let Some(until) = facts
        .as_ref()
        .and_then(|f| f.locked_until)
        .filter(|u| is_locked(Some(*u), now))
    {
        return Ok(Outcome::Locked(until));
    }
    // An unknown user costs the same hash check as a known one.
    let hash = facts
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |f| f.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .map_err(|e| Error::Internal(format!("password check: {e}")))?;
    let Some(facts) = facts.filter(|_| matches) else {
        let locked = state
            .store
            .login_failed(username.to_owned(), LOCKOUT, now)
            .await?;
        return Ok(locked.map_or(Outcome::Wrong, Outcome::Locked));
    };
    let session = new_session()?;
    state
        .store
        .open_session(
            facts.user.username,
            session.secret_hash(),
            session.csrf.clone(),
            now,
        )
        .await?;
    Ok(Outcome::Session(session))
}

fn new_session() -> Result<NewSession, Error> {
    let mut secret = [0u8; 32];
    let mut csrf = [0u8; 32];
    getrandom::fill(&mut secret)
        .and_then(|()| getrandom::fill(&mut csrf))
        .map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
    Ok(NewSession::from_random(&secret, &csrf))
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash("not anyone's password").unwrap_or_default())
}

pub async fn logout(State(state): State<AppState>, Posted { console, .. }: Posted) -> Response {
    if let Err(e) = state.store.close_session(console.secret_hash).await {
        return failure(console.lang, &e);
    }
    let cookie = clear_cookie(secure_cookies(&state.settings));
    ([(SET_COOKIE, cookie)], Redirect::to("/console/login")).into_response()
}
