//! The review queue: held and refused records with their evidence;
//! accept or reject one or many at once, with a note that goes to the
//! audit log.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::protocol::RecordStatus;
use chrono::Utc;
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::{Lang, T};
use super::layout::{Nav, notice, page};
use super::session::{Console, Posted};
use super::{failure, respond};
use crate::AppState;
use crate::domain::office::{Decision, Role};
use crate::error::Error;

/// Records shown (oldest first); a decision makes room for the next.
const SHOWN: u32 = 300;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<usize>,
    failed: Option<usize>,
}

pub fn status_text(lang: Lang, status: RecordStatus) -> &'static str {
    match status {
        RecordStatus::Accepted => lang.t(T::StatusAccepted),
        RecordStatus::Repeat => lang.t(T::StatusRepeat),
        RecordStatus::Held => lang.t(T::StatusHeld),
        RecordStatus::Rejected => lang.t(T::StatusRejected),
        // Receipt-only statuses: never stored, so never in the queue.
        RecordStatus::AlreadyReceived | RecordStatus::Unknown => status.code(),
    }
}

pub async fn get(
    State(state): State<AppState>,
    console: Console,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let done = done.map(|Query(q)| q).unwrap_or_default();
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let scope = console.user.scope().map(<[_]>::to_vec);
    let items = match state.store.review_queue(scope, SHOWN).await {
        Ok(items) => items,
        Err(e) => return failure(lang, &e),
    };
    let may_decide = console.user.role != Role::Viewer;
    let body = html! {
        h1 { (lang.t(T::Review)) }
        @if let (Some(done), Some(failed)) = (done.done, done.failed) {
            (notice(failed == 0, &lang.review_done(done, failed)))
        }
        @if items.is_empty() {
            p.muted { (lang.t(T::NothingToReview)) }
        } @else {
            (super::export::links(lang, "review", None))
            form method="post" action="/console/review" {
                input type="hidden" name="csrf" value=(console.csrf);
                table #queue {
                    thead { tr {
                        th {}
                        th { (lang.t(T::Member)) } th { (lang.t(T::Activity)) } th { (lang.t(T::Kiosk)) }
                        th { (lang.t(T::Status)) } th { (lang.t(T::Reason)) }
                        th { (lang.t(T::ScannedAt)) } th { (lang.t(T::CorrectedAt)) } th.num { (lang.t(T::ClockShift)) }
                    } }
                    tbody {
                        @for item in &items {
                            tr data-record=(item.record_id) {
                                td { @if may_decide {
                                    input type="checkbox" name="record" value=(item.record_id)
                                        aria-label=(item.record_id);
                                } }
                                td { (item.member_id) }
                                td.activity {
                                    @if let Some(title) = &item.activity_title { (title) br; }
                                    span.muted { (item.activity_id) }
                                    @if let (Some(from), Some(to)) = (item.activity_starts_at, item.activity_ends_at) {
                                        br; span.window { (lang.time(from, zone)) " – " (lang.time(to, zone)) }
                                    }
                                }
                                td { (item.kiosk_id) br; span.muted { (item.community) " · " (item.method) } }
                                td { (status_text(lang, item.status)) }
                                td { @if let Some(reason) = item.reason { (super::i18n::reason(lang, reason)) } }
                                td { (lang.time(item.scanned_at, zone)) }
                                td { (lang.time(item.corrected_at, zone)) }
                                td.num { (super::today::seconds((item.corrected_at - item.scanned_at).num_milliseconds())) }
                            }
                        }
                    }
                }
                @if may_decide {
                    div.actions {
                        label { (lang.t(T::Note)) input name="note" size="40" maxlength="500"; }
                        button.primary type="submit" name="decision" value="accept" { (lang.t(T::Accept)) }
                        button type="submit" name="decision" value="reject" { (lang.t(T::Reject)) }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(&console, Nav::Review, "/console/review", &body),
    )
}

pub async fn post(State(state): State<AppState>, Posted { console, form }: Posted) -> Response {
    let decision = match form.get("decision") {
        "accept" => Decision::Accept,
        "reject" => Decision::Reject,
        _ => {
            return failure(
                console.lang,
                &Error::bad_request("invalid_decision", "accept or reject"),
            );
        }
    };
    let note: String = form.get("note").chars().take(500).collect();
    let (mut done, mut failed) = (0, 0);
    for record in form.all("record").take(SHOWN as usize) {
        let Ok(record_id) = record.parse::<Uuid>() else {
            failed += 1;
            continue;
        };
        match state
            .store
            .review(
                record_id,
                decision,
                console.user.clone(),
                note.clone(),
                Utc::now(),
            )
            .await
        {
            Ok(_) => done += 1,
            Err(e) => {
                tracing::info!(%record_id, error = %e, "console review refused");
                failed += 1;
            }
        }
    }
    Redirect::to(&format!("/console/review?done={done}&failed={failed}")).into_response()
}
