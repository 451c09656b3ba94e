//! Office users (admins only): who may use the console and the office API,
//! in which role and communities; add one, or cut one off (their API tokens
//! and browser sessions end at once).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::html;

use super::i18n::T;
use super::layout::{Nav, encode, page};
use super::session::{Console, Posted};
use super::{failure, respond};
use crate::AppState;
use crate::domain::office::{OfficeUser, Role, parse_communities};
use crate::error::Error;

fn admin_only(console: &Console) -> Result<(), Error> {
    if console.user.role == Role::Admin {
        Ok(())
    } else {
        Err(Error::Forbidden("office users are an admin's".into()))
    }
}

pub async fn get(State(state): State<AppState>, console: Console) -> Response {
    let lang = console.lang;
    if let Err(e) = admin_only(&console) {
        return failure(lang, &e);
    }
    let users = match state.store.office_users().await {
        Ok(u) => u,
        Err(e) => return failure(lang, &e),
    };
    let body = html! {
        h1 { (lang.t(T::Users)) }
        h2 { (lang.t(T::AddUser)) }
        form.filters #add-user method="post" action="/console/users" {
            input type="hidden" name="csrf" value=(console.csrf);
            label { (lang.t(T::Username)) input name="username" required size="14" maxlength="64" autocomplete="off"; }
            label { (lang.t(T::Role))
                select name="role" {
                    option value="officer" { "officer" }
                    option value="viewer" { "viewer" }
                    option value="admin" { "admin" }
                }
            }
            label { (lang.t(T::Communities)) input name="communities" size="14" placeholder="C01,C02"; }
            label { (lang.t(T::Password)) input type="password" name="password" required minlength="10" autocomplete="new-password"; }
            button.primary type="submit" { (lang.t(T::AddUser)) }
        }
        (super::export::links(lang, "users", None))
        table #users {
            thead { tr { th { (lang.t(T::Username)) } th { (lang.t(T::Role)) } th { (lang.t(T::Communities)) } th {} } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.username) } td { (u.role.code()) }
                        td { (crate::domain::office::communities_text(&u.communities)) }
                        td {
                            @if u.username != console.user.username {
                                form method="post" action={ "/console/users/" (encode(&u.username)) "/revoke" } {
                                    input type="hidden" name="csrf" value=(console.csrf);
                                    button type="submit" { (lang.t(T::CutOff)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(&console, Nav::Users, "/console/users", &body),
    )
}

pub async fn post(State(state): State<AppState>, Posted { console, form }: Posted) -> Response {
    let lang = console.lang;
    let result = async {
        admin_only(&console)?;
        let username = baodao_shared::bounds::check_text("username", form.get("username"), 64)?;
        if username.chars().any(char::is_whitespace) {
            return Err(Error::Invalid("a username has no spaces".into()));
        }
        let role: Role = form.get("role").parse().map_err(Error::Invalid)?;
        let communities = parse_communities(form.get("communities"));
        if (role == Role::Officer) == communities.is_empty() {
            return Err(Error::Invalid(
                "an officer has one or more communities; the other roles none".into(),
            ));
        }
        let password = form.get_raw("password").to_owned();
        if password.chars().count() < 10 {
            return Err(Error::Invalid(
                "a password has at least 10 characters".into(),
            ));
        }
        let hash = tokio::task::spawn_blocking(move || crate::domain::password::hash(&password))
            .await
            .map_err(|e| Error::Internal(format!("password hash: {e}")))??;
        let user = OfficeUser {
            username: username.to_owned(),
            role,
            communities,
        };
        let after = format!(
            "{}, {}",
            role.code(),
            crate::domain::office::communities_text(&user.communities)
        );
        state.store.add_office_user(user, hash, Utc::now()).await?;
        super::audit(
            &state,
            &console,
            "user.add",
            format!("user:{username}"),
            after,
        )
        .await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/users").into_response(),
        Err(e) => failure(lang, &e),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Posted { console, .. }: Posted,
) -> Response {
    let lang = console.lang;
    let result = async {
        admin_only(&console)?;
        let revoked = state
            .store
            .revoke_office_tokens(username.clone(), Utc::now())
            .await?;
        super::audit(
            &state,
            &console,
            "user.revoke",
            format!("user:{username}"),
            format!("{revoked} tokens revoked, sessions ended"),
        )
        .await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/users").into_response(),
        Err(e) => failure(lang, &e),
    }
}
