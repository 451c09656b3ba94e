//! The audit log: who changed what, when, before and after, and why;
//! filtered by any word in it.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::i18n::T;
use super::layout::{Nav, page};
use super::session::Console;
use super::{failure, respond};
use crate::AppState;
use crate::domain::office::Role;
use crate::error::Error;
use crate::store::AuditEntry;

/// Entries read (newest first).
const SHOWN: u32 = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    q: Option<String>,
}

/// Whether the search `q` (lower case; empty for all) finds `entry`.
pub fn shown(entry: &AuditEntry, q: &str) -> bool {
    q.is_empty()
        || [&entry.actor, &entry.action, &entry.subject, &entry.note]
            .iter()
            .any(|field| field.to_lowercase().contains(q))
}

pub async fn get(
    State(state): State<AppState>,
    console: Console,
    filter: Result<Query<Filter>, QueryRejection>,
) -> Response {
    let lang = console.lang;
    if console.user.role == Role::Officer {
        return failure(
            lang,
            &Error::Forbidden("the audit log is for admins and viewers".into()),
        );
    }
    let filter = filter.map(|Query(q)| q).unwrap_or_default();
    let q = filter.q.as_deref().map_or("", str::trim).to_lowercase();
    let entries = match state.store.audit_log(SHOWN).await {
        Ok(entries) => entries,
        Err(e) => return failure(lang, &e),
    };
    let zone = state.settings.policy.time_zone;
    let shown = entries.iter().filter(|e| shown(e, &q));
    let body = html! {
        h1 { (lang.t(T::Audit)) }
        form.filters method="get" action="/console/audit" {
            label { (lang.t(T::Search)) input type="search" name="q" value=(q); }
            button.primary type="submit" { (lang.t(T::Show)) }
        }
        (super::export::links(lang, "audit", Some(&q)))
        @if entries.is_empty() { p.muted { (lang.t(T::NoChanges)) } }
        table #audit {
            thead { tr {
                th { (lang.t(T::When)) } th { (lang.t(T::Who)) } th { (lang.t(T::Action)) }
                th { (lang.t(T::Subject)) } th { (lang.t(T::Before)) } th { (lang.t(T::After)) }
                th { (lang.t(T::Note)) }
            } }
            tbody {
                @for e in shown {
                    tr {
                        td { (lang.time(e.at, zone)) } td { (e.actor) } td { (e.action) }
                        td { (e.subject) }
                        td { (e.before.as_deref().unwrap_or("")) } td { (e.after.as_deref().unwrap_or("")) }
                        td { (e.note) }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(&console, Nav::Audit, "/console/audit", &body),
    )
}
