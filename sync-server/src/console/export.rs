//! Every console table as Excel or CSV: `/console/export/{table}?format=`.
//! Each export shows the user what the page shows them (an officer's
//! communities only; users for admins; the audit log not for officers),
//! with every row instead of the page's first ones. The points report and
//! its roll-ups are exported from the office API (links on that page).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baodao_shared::Community;
use chrono::{TimeDelta, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::failure;
use super::i18n::{Lang, T};
use super::session::Console;
use crate::AppState;
use crate::domain::office::{OfficeUser, Role, communities_text};
use crate::error::Error;
use crate::table::{Cell, FileFormat, Table};

/// An officer's communities; `None` for everyone's.
type Scope = Option<Vec<Community>>;

/// Rows of the review queue and the audit log exported at most.
const MAX_ROWS: u32 = 100_000;

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    /// The audit log's search, as on its page.
    q: Option<String>,
}

/// The "Export: Excel · CSV" links of `table`, keeping the page's `q`.
pub fn links(lang: Lang, table: &str, q: Option<&str>) -> Markup {
    let q = q
        .filter(|q| !q.is_empty())
        .map(|q| format!("&q={}", super::layout::encode(q)))
        .unwrap_or_default();
    html! {
        p.exports {
            (lang.t(T::Export)) ": "
            a id={ "export-" (table) "-xlsx" } href={ "/console/export/" (table) "?format=xlsx" (q) } { "Excel" }
            " · "
            a id={ "export-" (table) "-csv" } href={ "/console/export/" (table) "?format=csv" (q) } { "CSV" }
        }
    }
}

pub async fn get(
    State(state): State<AppState>,
    console: Console,
    Path(table): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let result = match query.format.as_deref().and_then(FileFormat::parse) {
        None => Err(Error::Invalid("format: csv or xlsx".into())),
        Some(format) => export(&state, &console, &table, query.q.as_deref())
            .await
            .and_then(|t| Ok((t.name, format, t.file(format)?))),
    };
    match result {
        Ok((name, format, body)) => (
            [
                (header::CONTENT_TYPE, format.content_type().to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.{}\"", format.extension()),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => failure(console.lang, &e),
    }
}

/// Offsets are milliseconds of a clock: far below 2^53, exact as numbers.
#[allow(clippy::cast_precision_loss)]
fn milliseconds(ms: i64) -> Cell {
    Cell::Number(ms as f64)
}

async fn export(
    state: &AppState,
    console: &Console,
    table: &str,
    q: Option<&str>,
) -> Result<Table, Error> {
    let zone = state.settings.policy.time_zone;
    let user = &console.user;
    let scope = user.scope().map(<[_]>::to_vec);
    match table {
        "activities" => activities(state, scope, zone).await,
        "review" => review(state, scope, zone).await,
        "kiosks" => kiosks(state, user, zone).await,
        "audit" => audit(state, user, q, zone).await,
        "users" => users(state, user).await,
        "communities" => communities(state).await,
        "organizations" => organizations(state).await,
        other => Err(Error::NotFound(format!("no table {other:?}"))),
    }
}

/// The activities page's window: the last 30 days and the next 90.
async fn activities(state: &AppState, scope: Scope, zone: Tz) -> Result<Table, Error> {
    let now = Utc::now();
    let activities = state
        .store
        .activities_between(now - TimeDelta::days(30), now + TimeDelta::days(90), scope)
        .await?;
    Ok(Table {
        name: "activities",
        columns: &[
            "activity_id",
            "title",
            "kind",
            "community",
            "starts_at",
            "ends_at",
            "place",
            "organiser",
            "capacity",
            "attended",
            "cancelled",
        ],
        rows: activities
            .into_iter()
            .map(|a| {
                vec![
                    Cell::text(a.activity.activity_id.as_str()),
                    Cell::text(a.activity.title),
                    Cell::text(a.activity.kind.code()),
                    Cell::text(a.activity.community.as_str()),
                    Cell::time(a.activity.starts_at, zone),
                    Cell::time(a.activity.ends_at, zone),
                    Cell::text(a.details.place),
                    Cell::text(a.details.organiser),
                    Cell::optional(a.details.capacity, Cell::number),
                    Cell::number(a.attended),
                    yes_no(a.cancelled),
                ]
            })
            .collect(),
    })
}

async fn review(state: &AppState, scope: Scope, zone: Tz) -> Result<Table, Error> {
    let items = state.store.review_queue(scope, MAX_ROWS).await?;
    Ok(Table {
        name: "review",
        columns: &[
            "record_id",
            "member_id",
            "activity_id",
            "activity_title",
            "community",
            "kiosk_id",
            "method",
            "status",
            "reason",
            "scanned_at",
            "corrected_at",
            "received_at",
        ],
        rows: items
            .into_iter()
            .map(|i| {
                vec![
                    Cell::text(i.record_id.to_string()),
                    Cell::text(i.member_id),
                    Cell::text(i.activity_id),
                    Cell::optional(i.activity_title, Cell::text),
                    Cell::text(i.community),
                    Cell::text(i.kiosk_id),
                    Cell::text(i.method),
                    Cell::text(i.status.code()),
                    Cell::optional(i.reason, |r| Cell::text(r.code())),
                    Cell::time(i.scanned_at, zone),
                    Cell::time(i.corrected_at, zone),
                    Cell::time(i.received_at, zone),
                ]
            })
            .collect(),
    })
}

async fn kiosks(state: &AppState, user: &OfficeUser, zone: Tz) -> Result<Table, Error> {
    let kiosks = state.store.kiosks().await?;
    Ok(Table {
        name: "kiosks",
        columns: &[
            "kiosk_id",
            "name",
            "community",
            "revoked",
            "last_seen_at",
            "clock_offset_ms",
            "version",
            "camera",
            "waiting",
            "oldest_waiting_secs",
            "disk_free_mb",
            "last_error",
        ],
        rows: kiosks
            .into_iter()
            .filter(|k| user.may_read(k.kiosk.community.as_str()))
            .map(|k| {
                let mut row = vec![
                    Cell::text(k.kiosk.kiosk_id.to_string()),
                    Cell::text(k.name),
                    Cell::text(k.kiosk.community.as_str()),
                    yes_no(k.revoked),
                    Cell::optional(k.last_seen_at, |t| Cell::time(t, zone)),
                    Cell::optional(k.last_clock_offset_ms, milliseconds),
                ];
                let h = k.heartbeat.map(|h| h.report);
                let h = h.as_ref();
                row.extend([
                    Cell::optional(h, |h| Cell::text(h.version.clone())),
                    Cell::optional(h, |h| Cell::text(h.camera.code())),
                    // Counts are checked under 2^53 where they enter: exact as f64.
                    #[allow(clippy::cast_precision_loss)]
                    Cell::optional(h, |h| Cell::number(h.pending as f64)),
                    #[allow(clippy::cast_precision_loss)]
                    Cell::optional(h.and_then(|h| h.oldest_pending_secs), |s| {
                        Cell::number(s as f64)
                    }),
                    #[allow(clippy::cast_precision_loss)]
                    Cell::optional(h.and_then(|h| h.disk_free_mb), |mb| Cell::number(mb as f64)),
                    Cell::optional(h.and_then(|h| h.last_error.clone()), Cell::text),
                ]);
                row
            })
            .collect(),
    })
}

async fn audit(
    state: &AppState,
    user: &OfficeUser,
    q: Option<&str>,
    zone: Tz,
) -> Result<Table, Error> {
    if user.role == Role::Officer {
        return Err(Error::Forbidden(
            "the audit log is for admins and viewers".into(),
        ));
    }
    let q = q.map_or("", str::trim).to_lowercase();
    let entries = state.store.audit_log(MAX_ROWS).await?;
    Ok(Table {
        name: "audit",
        columns: &[
            "at", "actor", "action", "subject", "before", "after", "note",
        ],
        rows: entries
            .into_iter()
            .filter(|e| super::audit::shown(e, &q))
            .map(|e| {
                vec![
                    Cell::time(e.at, zone),
                    Cell::text(e.actor),
                    Cell::text(e.action),
                    Cell::text(e.subject),
                    Cell::optional(e.before, Cell::text),
                    Cell::optional(e.after, Cell::text),
                    Cell::text(e.note),
                ]
            })
            .collect(),
    })
}

async fn users(state: &AppState, user: &OfficeUser) -> Result<Table, Error> {
    if user.role != Role::Admin {
        return Err(Error::Forbidden("users are for admins".into()));
    }
    let users = state.store.office_users().await?;
    Ok(Table {
        name: "users",
        columns: &["username", "role", "communities"],
        rows: users
            .into_iter()
            .map(|u| {
                vec![
                    Cell::text(u.username),
                    Cell::text(u.role.code()),
                    Cell::text(communities_text(&u.communities)),
                ]
            })
            .collect(),
    })
}

// The registry in the import's own format: what is exported imports back
// unchanged.

async fn communities(state: &AppState) -> Result<Table, Error> {
    let registry = state.store.registry().await?;
    Ok(Table {
        name: "communities",
        columns: &crate::import::COMMUNITY_HEADER,
        rows: registry
            .communities()
            .iter()
            .map(|c| {
                vec![
                    Cell::text(c.community_id.as_str()),
                    Cell::text(&c.name),
                    Cell::text(&c.subdistrict),
                    Cell::text(&c.district),
                ]
            })
            .collect(),
    })
}

async fn organizations(state: &AppState) -> Result<Table, Error> {
    let registry = state.store.registry().await?;
    Ok(Table {
        name: "organizations",
        columns: &crate::import::ORGANIZATION_HEADER,
        rows: registry
            .organizations()
            .iter()
            .map(|o| {
                vec![
                    Cell::text(&o.organization_id),
                    Cell::text(&o.name),
                    // The import's separator.
                    Cell::text(
                        o.communities
                            .iter()
                            .map(Community::as_str)
                            .collect::<Vec<_>>()
                            .join(";"),
                    ),
                ]
            })
            .collect(),
    })
}

fn yes_no(yes: bool) -> Cell {
    Cell::text(if yes { "yes" } else { "no" })
}
