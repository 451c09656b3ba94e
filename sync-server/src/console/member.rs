//! One member: who they are, every record and how it counted, the history
//! of changes to the membership, and the forms to change it (inactive,
//! active again, transferred), each with a note for the audit log.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::MemberId;
use chrono::Utc;
use maud::{Markup, html};

use super::form::Form;
use super::i18n::{Lang, T};
use super::layout::{Nav, encode, page};
use super::session::Console;
use super::{csrf_refused, failure, respond};
use crate::AppState;
use crate::domain::membership::MemberChange;
use crate::domain::office::Role;
use crate::domain::report::{Counted, Entry, explain};
use crate::error::Error;

fn counted_text(lang: Lang, counted: Counted) -> &'static str {
    lang.t(match counted {
        Counted::Counted => T::HowCounted,
        Counted::Repeat => T::HowRepeat,
        Counted::OverCap => T::HowOverCap,
        Counted::Voided => T::HowVoided,
        Counted::Held => T::StatusHeld,
        Counted::Rejected => T::StatusRejected,
    })
}

pub async fn get(
    State(state): State<AppState>,
    console: Console,
    Path(member_id): Path<String>,
) -> Response {
    let lang = console.lang;
    match show(&state, &console, &member_id).await {
        Ok(body) => respond(
            StatusCode::OK,
            &page(
                &console,
                Nav::Points,
                &format!("/console/members/{}", encode(&member_id)),
                &body,
            ),
        ),
        Err(e) => failure(lang, &e),
    }
}

async fn show(state: &AppState, console: &Console, member_id: &str) -> Result<Markup, Error> {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let id: MemberId = member_id
        .parse()
        .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string()))?;
    let member = state
        .store
        .member(id.clone())
        .await?
        .ok_or_else(|| Error::NotFound(format!("member {id}")))?;
    if !console.user.may_read(member.community.as_str()) {
        return Err(Error::Forbidden(format!(
            "member {id} is not of your communities"
        )));
    }
    let records = state.store.member_records(id.clone()).await?;
    let how = explain(
        &records
            .iter()
            .map(|r| Entry {
                status: r.record.status,
                voided: r.voided,
                activity: &r.record.activity_id,
                starts_at: r.activity_starts_at,
            })
            .collect::<Vec<_>>(),
        &state.settings.policy,
    );
    let subject = format!("member:{id}");
    let history: Vec<_> = state
        .store
        .audit_log(1000)
        .await?
        .into_iter()
        .filter(|e| e.subject == subject)
        .collect();
    let registry = state.store.registry().await?;
    let may_change =
        console.user.role != Role::Viewer && console.user.may_change(member.community.as_str());
    Ok(html! {
        h1 { (member.name) " · " (member.member_id) }
        div.cards {
            div.card { div.muted { (lang.t(T::Organization)) } div { (member.organization) } }
            div.card { div.muted { (lang.t(T::Community)) } div { (registry.community_name(member.community.as_str())) } }
            div.card #membership { div.muted { (lang.t(T::State)) }
                @if member.inactive { div.bad { (lang.t(T::Inactive)) } } @else { div.good { (lang.t(T::Active)) } }
            }
        }
        @if may_change {
            form.filters #change-member method="post" action={ "/console/members/" (encode(member_id)) } {
                input type="hidden" name="csrf" value=(console.csrf);
                label { (lang.t(T::Note)) input name="note" size="30" maxlength="500" required; }
                @if member.inactive {
                    button.primary type="submit" name="change" value="reactivate" { (lang.t(T::Reactivate)) }
                } @else {
                    button type="submit" name="change" value="deactivate" { (lang.t(T::Deactivate)) }
                }
                label { (lang.t(T::TransferTo)) input name="community" size="8"; }
                button type="submit" name="change" value="transfer" { (lang.t(T::Transfer)) }
            }
        }
        h2 { (lang.t(T::Records)) }
        table #records {
            thead { tr {
                th { (lang.t(T::Activity)) } th { (lang.t(T::ScannedAt)) } th { (lang.t(T::Kiosk)) }
                th { (lang.t(T::Status)) } th { (lang.t(T::Reason)) }
            } }
            tbody {
                @for (r, how) in records.iter().zip(&how) {
                    tr data-record=(r.record.record_id) {
                        td { (r.activity_title.as_deref().unwrap_or("")) br; span.muted { (r.record.activity_id) } }
                        td { (lang.time(r.record.corrected_at, zone)) }
                        td { (r.record.kiosk_id) br; span.muted { (r.record.method) } }
                        td class=(if *how == Counted::Counted { "good" } else { "muted" }) { (counted_text(lang, *how)) }
                        td { @if let Some(reason) = r.record.reason { (reason.code()) } }
                    }
                }
            }
        }
        h2 { (lang.t(T::History)) }
        table #history {
            thead { tr { th { (lang.t(T::When)) } th { (lang.t(T::Who)) } th { (lang.t(T::Action)) } th { (lang.t(T::Before)) } th { (lang.t(T::After)) } th { (lang.t(T::Note)) } } }
            tbody {
                @for e in &history {
                    tr {
                        td { (lang.time(e.at, zone)) } td { (e.actor) } td { (e.action) }
                        td { (e.before.as_deref().unwrap_or("")) } td { (e.after.as_deref().unwrap_or("")) } td { (e.note) }
                    }
                }
            }
        }
    })
}

pub async fn post(
    State(state): State<AppState>,
    console: Console,
    Path(member_id): Path<String>,
    body: Bytes,
) -> Response {
    let lang = console.lang;
    let form = Form::parse(&body);
    if !console.csrf_ok(form.get("csrf")) {
        return csrf_refused(lang);
    }
    let change = match form.get("change") {
        "deactivate" => Ok(MemberChange::Deactivate),
        "reactivate" => Ok(MemberChange::Reactivate),
        "transfer" => form
            .get("community")
            .parse()
            .map(|community| MemberChange::Transfer { community })
            .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string())),
        _ => Err(Error::Invalid("deactivate, reactivate or transfer".into())),
    };
    let note = form.get("note").chars().take(500).collect::<String>();
    let result = match (change, member_id.parse::<MemberId>()) {
        (Ok(_), _) if note.is_empty() => Err(Error::Invalid(lang.t(T::NoteRequired).into())),
        (Ok(change), Ok(id)) => state
            .store
            .change_member(id, change, console.user.clone(), note, Utc::now())
            .await
            .map(|_| ()),
        (Err(e), _) => Err(e),
        (_, Err(e)) => Err(Error::Invalid(e.to_string())),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/console/members/{}", encode(&member_id))).into_response(),
        Err(e) => failure(lang, &e),
    }
}
