//! Kiosks: every kiosk of the user's communities with when it was last
//! heard from; register one (its token shown once, on this page only) or
//! revoke one (a stolen kiosk's uploads stop at once).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::{Community, KioskId, bounds};
use chrono::Utc;
use maud::{Markup, html};

use super::form::Form;
use super::i18n::T;
use super::layout::{Nav, encode, notice, page};
use super::session::{Console, Posted};
use super::{failure, respond};
use crate::AppState;
use crate::domain::office::Role;
use crate::error::Error;
use crate::store::Registration;

pub async fn get(State(state): State<AppState>, console: Console) -> Response {
    list(&state, &console, None).await
}

async fn list(state: &AppState, console: &Console, registered: Option<&Registration>) -> Response {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let (kiosks, registry) = match (state.store.kiosks().await, state.store.registry().await) {
        (Ok(k), Ok(r)) => (k, r),
        (Err(e), _) | (_, Err(e)) => return failure(lang, &e),
    };
    let may_change = console.user.role != Role::Viewer;
    let body = html! {
        h1 { (lang.t(T::Kiosks)) }
        @if let Some(r) = registered {
            (notice(true, lang.t(T::TokenShownOnce)))
            p #registered { (r.kiosk.kiosk_id) " · " (r.kiosk.community) }
            pre #token { (r.token) }
        }
        @if may_change { (register_form(console)) }
        (super::export::links(lang, "kiosks", None))
        table #kiosks {
            thead { tr {
                th { (lang.t(T::Kiosk)) } th { (lang.t(T::Community)) } th { (lang.t(T::LastSeen)) }
                th { (lang.t(T::State)) } th {}
            } }
            tbody {
                @for k in kiosks.iter().filter(|k| console.user.may_read(k.kiosk.community.as_str())) {
                    tr {
                        td { (k.name) br; span.muted { (k.kiosk.kiosk_id) } }
                        td { (registry.community_name(k.kiosk.community.as_str())) }
                        td { @match k.last_seen_at {
                            Some(at) => (lang.time(at, zone)),
                            None => span.muted { (lang.t(T::Never)) },
                        } }
                        td { @if k.revoked { span.muted { (lang.t(T::Revoked)) } } @else { span.good { (lang.t(T::Fine)) } } }
                        td {
                            @if may_change && !k.revoked && console.user.may_change(k.kiosk.community.as_str()) {
                                form method="post" action={ "/console/kiosks/" (encode(k.kiosk.kiosk_id.as_str())) "/revoke" } {
                                    input type="hidden" name="csrf" value=(console.csrf);
                                    button type="submit" { (lang.t(T::Revoke)) }
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
        &page(console, Nav::Kiosks, "/console/kiosks", &body),
    )
}

fn register_form(console: &Console) -> Markup {
    let lang = console.lang;
    html! {
        h2 { (lang.t(T::RegisterKiosk)) }
        form.filters #register-kiosk method="post" action="/console/kiosks" {
            input type="hidden" name="csrf" value=(console.csrf);
            label { (lang.t(T::Name)) input name="name" required size="24" maxlength="200"; }
            label { (lang.t(T::Community)) input name="community" required size="8"; }
            button.primary type="submit" { (lang.t(T::RegisterKiosk)) }
        }
    }
}

pub async fn post(State(state): State<AppState>, Posted { console, form }: Posted) -> Response {
    let lang = console.lang;
    match register(&state, &console, &form).await {
        // The token is shown here once and never again: no redirect.
        Ok(registration) => list(&state, &console, Some(&registration)).await,
        Err(e) => failure(lang, &e),
    }
}

async fn register(state: &AppState, console: &Console, form: &Form) -> Result<Registration, Error> {
    let name =
        bounds::check_text("kiosk name", form.get("name"), bounds::MAX_NAME_CHARS)?.to_owned();
    let community: Community = form
        .get("community")
        .parse()
        .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string()))?;
    if !console.user.may_change(community.as_str()) {
        return Err(Error::Forbidden(format!(
            "community {community} is not yours to change"
        )));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
    let registration = state
        .store
        .register_kiosk(name.clone(), community.clone(), secret, Utc::now())
        .await?;
    super::audit(
        state,
        console,
        "kiosk.register",
        format!("kiosk:{}", registration.kiosk.kiosk_id),
        format!("{name}, {community}"),
    )
    .await?;
    Ok(registration)
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(kiosk_id): Path<String>,
    Posted { console, .. }: Posted,
) -> Response {
    let lang = console.lang;
    let result = async {
        let id: KioskId = kiosk_id
            .parse()
            .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string()))?;
        let kiosk = state
            .store
            .kiosks()
            .await?
            .into_iter()
            .find(|k| k.kiosk.kiosk_id == id)
            .ok_or_else(|| Error::NotFound(format!("kiosk {id}")))?;
        if console.user.role == Role::Viewer
            || !console.user.may_change(kiosk.kiosk.community.as_str())
        {
            return Err(Error::Forbidden(format!(
                "kiosk {id} is not yours to change"
            )));
        }
        state.store.revoke_kiosk(id.clone(), Utc::now()).await?;
        super::audit(
            &state,
            &console,
            "kiosk.revoke",
            format!("kiosk:{id}"),
            "revoked".into(),
        )
        .await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/kiosks").into_response(),
        Err(e) => failure(lang, &e),
    }
}
