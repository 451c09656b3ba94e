//! One member: who they are, every record and how it counted, the history
//! of changes to the membership, and the forms to change it (inactive,
//! active again, transferred), each with a note for the audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::MemberId;
use chrono::Utc;
use maud::{Markup, html};

use super::i18n::{Lang, T};
use super::layout::{Nav, encode, page};
use super::session::{Console, Posted};
use super::{failure, respond};
use crate::AppState;
use crate::domain::membership::MemberChange;
use crate::domain::office::Role;
use crate::domain::report::{Counted, Entry, explain};
use crate::error::Error;
use crate::store::MemberRecord;
use baodao_shared::protocol::RosterEntry;

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

/// A member within the user's reach, their records and how each counted.
struct Explained {
    member: RosterEntry,
    records: Vec<MemberRecord>,
    how: Vec<Counted>,
}

async fn explained(
    state: &AppState,
    console: &Console,
    member_id: &str,
) -> Result<Explained, Error> {
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
    let records = state.store.member_records(id).await?;
    let how = explain(
        &records
            .iter()
            .map(|r| Entry {
                status: r.record.status,
                voided: r.voided,
                activity: &r.record.activity_id,
                starts_at: r.record.activity_starts_at,
            })
            .collect::<Vec<_>>(),
        &state.settings.policy,
    );
    Ok(Explained {
        member,
        records,
        how,
    })
}

async fn show(state: &AppState, console: &Console, member_id: &str) -> Result<Markup, Error> {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let Explained {
        member,
        records,
        how,
    } = explained(state, console, member_id).await?;
    let id = member.member_id.clone();
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
        p { a #statement href={ "/console/members/" (encode(member_id)) "/statement.pdf" } { (lang.t(T::Statement)) } }
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
                        td { (r.record.activity_title.as_deref().unwrap_or("")) br; span.muted { (r.record.activity_id) } }
                        td { (lang.time(r.record.corrected_at, zone)) }
                        td { (r.record.kiosk_id) br; span.muted { (r.record.method) } }
                        td class=(if *how == Counted::Counted { "good" } else { "muted" }) { (counted_text(lang, *how)) }
                        td { @if let Some(reason) = r.record.reason { (super::i18n::reason(lang, reason)) } }
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
    Path(member_id): Path<String>,
    Posted { console, form }: Posted,
) -> Response {
    let lang = console.lang;
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

#[derive(Debug, Default, serde::Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

/// The member's statement for a year as PDF: the activities that counted,
/// with their dates, and the points, in the console's language.
pub async fn statement(
    State(state): State<AppState>,
    console: Console,
    Path(member_id): Path<String>,
    query: Result<axum::extract::Query<YearQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = console.lang;
    let query = query.map(|q| q.0).unwrap_or_default();
    match statement_pdf(&state, &console, &member_id, query.year).await {
        Ok((name, pdf)) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/pdf".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            pdf,
        )
            .into_response(),
        Err(e) => failure(lang, &e),
    }
}

async fn statement_pdf(
    state: &AppState,
    console: &Console,
    member_id: &str,
    year: Option<i32>,
) -> Result<(String, Vec<u8>), Error> {
    let lang = console.lang;
    let policy = state.settings.policy;
    let zone = policy.time_zone;
    let now = Utc::now();
    let year = year.unwrap_or_else(|| policy.year_of(now));
    baodao_shared::bounds::check_year(year)?;
    let Explained {
        member,
        records,
        how,
    } = explained(state, console, member_id).await?;
    let registry = state.store.registry().await?;
    let rows: Vec<[String; 3]> = records
        .iter()
        .zip(&how)
        .filter(|(r, how)| {
            matches!(how, Counted::Counted | Counted::OverCap)
                && r.record
                    .activity_starts_at
                    .is_some_and(|at| policy.year_of(at) == year)
        })
        .map(|(r, how)| {
            [
                r.record
                    .activity_starts_at
                    .map(|at| at.with_timezone(&zone).format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                r.record
                    .activity_title
                    .clone()
                    .unwrap_or_else(|| r.record.activity_id.clone()),
                counted_text(lang, *how).to_owned(),
            ]
        })
        .collect();
    let counted = u32::try_from(
        rows.iter()
            .filter(|r| r[2] == counted_text(lang, Counted::Counted))
            .count(),
    )
    .unwrap_or(u32::MAX);
    let points = policy.points_for(counted);
    let statement = crate::statement::Statement {
        title: lang.statement_title(year),
        facts: vec![
            (lang.t(T::Name).into(), member.name.clone()),
            (lang.t(T::MemberId).into(), member.member_id.to_string()),
            (lang.t(T::Organization).into(), member.organization.clone()),
            (
                lang.t(T::Community).into(),
                registry
                    .community_name(member.community.as_str())
                    .to_owned(),
            ),
        ],
        header: [
            lang.t(T::When).into(),
            lang.t(T::Activity).into(),
            lang.t(T::Status).into(),
        ],
        rows,
        total: lang.statement_total(
            points,
            policy.annual_cap,
            &now.with_timezone(&zone).format("%Y-%m-%d").to_string(),
        ),
    };
    let pdf = tokio::task::spawn_blocking(move || crate::statement::statement(&statement))
        .await
        .map_err(|e| Error::Internal(format!("statement: {e}")))??;
    Ok((format!("statement-{}-{year}.pdf", member.member_id), pdf))
}
