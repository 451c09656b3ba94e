//! The office API: the review of held and refused records, and the audit
//! log. Office tokens only (`baodao-sync-server users token`); each call
//! obeys the user's role and communities.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baodao_shared::bounds;
use baodao_shared::protocol::ErrorBody;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use baodao_shared::Community;

use crate::domain::membership::MemberChange;
use crate::domain::office::{Decision, OfficeUser, Role};
use crate::domain::schedule::ActivityDetails;
use crate::error::{Error, Result};
use crate::reports::{self, GroupBy};
use crate::routes::{ApiJson, OfficeAuth};
use crate::store::{AuditEntry, ReportFilter, ReportRow, ReviewItem};

/// A query string as axum parses it, its rejection answered in the API's
/// shape (422 `invalid_query`) rather than axum's plain text.
type QueryResult<T> = std::result::Result<Query<T>, QueryRejection>;

fn query_or_422<T>(query: QueryResult<T>) -> Result<T> {
    query
        .map(|Query(q)| q)
        .map_err(|e| Error::bad_request("invalid_query", e.body_text()))
}

/// At most this many items an answer.
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// How many (default 200, at most 1000).
    pub limit: Option<u32>,
}

fn limit(query: &ListQuery) -> u32 {
    query.limit.unwrap_or(200).clamp(1, MAX_LIMIT)
}

/// Held and refused records, oldest first, with their evidence: of the
/// officer's communities, or of all for an admin or a viewer.
#[utoipa::path(
    get,
    path = "/api/v1/office/review",
    params(ListQuery),
    security(("office_token" = [])),
    responses(
        (status = 200, body = Vec<ReviewItem>),
        (status = 422, description = "A query that is not a limit", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    query: QueryResult<ListQuery>,
) -> Result<Json<Vec<ReviewItem>>> {
    let query = query_or_422(query)?;
    let scope = user.scope().map(<[_]>::to_vec);
    Ok(Json(state.store.review_queue(scope, limit(&query)).await?))
}

/// An office decision on a held or refused record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewRequest {
    pub decision: Decision,
    /// Why (kept in the audit log), at most 500 characters.
    #[serde(default)]
    pub note: String,
}

/// Accepts or rejects a held or refused record; the points follow, and the
/// audit log keeps who, when, before, after and the note.
#[utoipa::path(
    post,
    path = "/api/v1/office/review/{record_id}",
    params(("record_id" = Uuid, Path)),
    request_body = ReviewRequest,
    security(("office_token" = [])),
    responses(
        (status = 200, description = "The record as it now is", body = ReviewItem),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 413, description = "A body over the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
        (status = 403, description = "A viewer, or another community's record", body = ErrorBody),
        (status = 404, description = "No such record", body = ErrorBody),
        (status = 409, description = "Not a held or rejected record", body = ErrorBody),
        (status = 422, description = "Not a decision, or a bad note", body = ErrorBody),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    Path(record_id): Path<String>,
    ApiJson(request): ApiJson<ReviewRequest>,
) -> Result<Json<ReviewItem>> {
    let record_id = parse_record_id(&record_id)?;
    let note = optional_reason(&request.note)?;
    let item = state
        .store
        .review(record_id, request.decision, user, note, Utc::now())
        .await?;
    Ok(Json(item))
}

/// The latest changes, newest first (admins and viewers).
#[utoipa::path(
    get,
    path = "/api/v1/office/audit",
    params(ListQuery),
    security(("office_token" = [])),
    responses(
        (status = 200, body = Vec<AuditEntry>),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
        (status = 403, description = "An officer (the log spans every community)", body = ErrorBody),
        (status = 422, description = "A query that is not a limit", body = ErrorBody),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    query: QueryResult<ListQuery>,
) -> Result<Json<Vec<AuditEntry>>> {
    let query = query_or_422(query)?;
    if user.role == Role::Officer {
        return Err(Error::Forbidden(
            "the audit log spans every community: admins and viewers read it".into(),
        ));
    }
    Ok(Json(state.store.audit_log(limit(&query)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PointsQuery {
    /// The year (this year by default).
    pub year: Option<i32>,
    /// One community's members only.
    pub community: Option<String>,
    /// One home organisation's members only (its exact name).
    pub organization: Option<String>,
    /// The files only: a row a member (default), a home organisation or a
    /// community.
    #[param(inline)]
    pub group_by: Option<GroupBy>,
}

/// Whom a points request lists: what it asks, within the user's reach.
fn report_filter(user: &OfficeUser, query: &PointsQuery) -> Result<ReportFilter> {
    let community: Option<Community> = query
        .community
        .as_deref()
        .map(|c| {
            c.parse().map_err(|e: baodao_shared::Error| {
                Error::bad_request("invalid_community", e.to_string())
            })
        })
        .transpose()?;
    let communities = match (community, user.scope()) {
        (Some(c), Some(mine)) if !mine.contains(&c) => {
            return Err(Error::Forbidden(format!("community {c} is not yours")));
        }
        (Some(c), _) => Some(vec![c]),
        (None, mine) => mine.map(<[_]>::to_vec),
    };
    let organization = query
        .organization
        .as_deref()
        .map(|o| {
            bounds::check_text("organization", o, bounds::MAX_NAME_CHARS)
                .map(str::to_owned)
                .map_err(|e| Error::bad_request("invalid_organization", e.to_string()))
        })
        .transpose()?;
    Ok(ReportFilter {
        communities,
        organization,
    })
}

async fn report(
    state: &AppState,
    user: &OfficeUser,
    query: &PointsQuery,
) -> Result<Vec<ReportRow>> {
    let policy = state.settings.policy;
    let year = query.year.unwrap_or_else(|| policy.year_of(Utc::now()));
    let year =
        bounds::check_year(year).map_err(|e| Error::bad_request("invalid_year", e.to_string()))?;
    let filter = report_filter(user, query)?;
    state.store.points_report(year, policy, filter).await
}

/// Every member's points in a year (distinct activities attended, points
/// after the cap), by member id; an officer's communities only.
#[utoipa::path(
    get,
    path = "/api/v1/office/points",
    params(PointsQuery),
    security(("office_token" = [])),
    responses(
        (status = 200, body = Vec<ReportRow>),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
        (status = 403, description = "An officer asking for another community", body = ErrorBody),
        (status = 422, description = "A year outside 2000-2100, a bad community or organisation", body = ErrorBody),
    )
)]
pub async fn points(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    query: QueryResult<PointsQuery>,
) -> Result<Json<Vec<ReportRow>>> {
    let query = query_or_422(query)?;
    Ok(Json(report(&state, &user, &query).await?))
}

/// The same as a CSV file for a spreadsheet (UTF-8 with a BOM, so Excel
/// reads the Chinese; cells that look like formulas are written as text).
#[utoipa::path(
    get,
    path = "/api/v1/office/reports/points.csv",
    params(PointsQuery),
    security(("office_token" = [])),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv"),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
        (status = 403, description = "An officer asking for another community", body = ErrorBody),
        (status = 422, description = "A year outside 2000-2100, a bad community or organisation", body = ErrorBody),
    )
)]
pub async fn points_csv(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    query: QueryResult<PointsQuery>,
) -> Result<Response> {
    let query = query_or_422(query)?;
    let rows = report(&state, &user, &query).await?;
    let group_by = query.group_by.unwrap_or_default();
    let year = rows
        .first()
        .map_or_else(|| report_year(&state, &query), |r| r.year);
    let mut body = "\u{feff}".as_bytes().to_vec();
    match group_by.groups(&rows, state.settings.policy.annual_cap) {
        None => reports::points_csv(&mut body, &rows),
        Some(groups) => reports::groups_csv(&mut body, &groups, year),
    }
    .map_err(|e| Error::Internal(format!("writing the CSV: {e}")))?;
    Ok(file(
        "text/csv; charset=utf-8",
        &format!("points-{year}-{}.csv", group_by.code()),
        body,
    ))
}

/// The same as an Excel workbook: numbers as numbers, text as text (never
/// a formula), the header row frozen and filterable.
#[utoipa::path(
    get,
    path = "/api/v1/office/reports/points.xlsx",
    params(PointsQuery),
    security(("office_token" = [])),
    responses(
        (status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
        (status = 403, description = "An officer asking for another community", body = ErrorBody),
        (status = 422, description = "A year outside 2000-2100, a bad community, organisation or grouping", body = ErrorBody),
    )
)]
pub async fn points_xlsx(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    query: QueryResult<PointsQuery>,
) -> Result<Response> {
    let query = query_or_422(query)?;
    let rows = report(&state, &user, &query).await?;
    let group_by = query.group_by.unwrap_or_default();
    let year = rows
        .first()
        .map_or_else(|| report_year(&state, &query), |r| r.year);
    let cap = state.settings.policy.annual_cap;
    // Building a workbook of 100k rows takes a while: off the async threads.
    let body = tokio::task::spawn_blocking(move || {
        let groups = group_by.groups(&rows, cap);
        reports::points_xlsx(&rows, groups.as_deref(), year)
    })
    .await
    .map_err(|e| Error::Internal(format!("writing the workbook: {e}")))?
    .map_err(|e| Error::Internal(format!("writing the workbook: {e}")))?;
    Ok(file(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("points-{year}-{}.xlsx", group_by.code()),
        body,
    ))
}

fn report_year(state: &AppState, query: &PointsQuery) -> i32 {
    query
        .year
        .unwrap_or_else(|| state.settings.policy.year_of(Utc::now()))
}

/// A file to download under `name` (ASCII: ids and digits).
fn file(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Attendance entered after the fact, from a paper list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AttendanceRequest {
    pub member_id: String,
    pub activity_id: String,
    /// Why (e.g. "the kiosk was down; paper list signed by the organiser"),
    /// 1 to 500 characters; kept in the audit log.
    pub note: String,
}

/// A record id from the path.
fn parse_record_id(text: &str) -> Result<Uuid> {
    text.parse()
        .map_err(|_| Error::bad_request("invalid_record_id", "not a record id (a UUID)"))
}

/// A reason the office may give or leave empty.
fn optional_reason(note: &str) -> Result<String> {
    if note.is_empty() {
        Ok(String::new())
    } else {
        reason(note)
    }
}

/// A reason the office gives, required.
fn reason(note: &str) -> Result<String> {
    bounds::check_text("note", note, bounds::MAX_REASON_CHARS)
        .map(str::to_owned)
        .map_err(|e| Error::bad_request("invalid_note", e.to_string()))
}

/// Enters attendance after the fact: a counting record of the activity's
/// community (admins, and officers there), with its audit entry.
#[utoipa::path(
    post,
    path = "/api/v1/office/attendance",
    request_body = AttendanceRequest,
    security(("office_token" = [])),
    responses(
        (status = 200, description = "The record entered", body = ReviewItem),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 403, description = "A viewer, or another community's activity", body = ErrorBody),
        (status = 404, description = "No such member or activity", body = ErrorBody),
        (status = 409, description = "The member already counts at the activity", body = ErrorBody),
        (status = 413, description = "A body over the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "Bad ids, or a missing or bad note", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn enter(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    ApiJson(request): ApiJson<AttendanceRequest>,
) -> Result<Json<ReviewItem>> {
    let member_id = request
        .member_id
        .parse()
        .map_err(|e: baodao_shared::Error| {
            Error::bad_request("invalid_member_id", e.to_string())
        })?;
    let activity_id = request
        .activity_id
        .parse()
        .map_err(|e: baodao_shared::Error| {
            Error::bad_request("invalid_activity_id", e.to_string())
        })?;
    let note = reason(&request.note)?;
    let item = state
        .store
        .enter_attendance(member_id, activity_id, user, note, Utc::now())
        .await?;
    Ok(Json(item))
}

/// Why a record is voided.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VoidRequest {
    /// 1 to 500 characters; kept in the audit log.
    pub note: String,
}

/// Voids a record (admins, and officers of its community); its points go.
#[utoipa::path(
    post,
    path = "/api/v1/office/records/{record_id}/void",
    params(("record_id" = Uuid, Path)),
    request_body = VoidRequest,
    security(("office_token" = [])),
    responses(
        (status = 200, description = "The record voided", body = ReviewItem),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 403, description = "A viewer, or another community's record", body = ErrorBody),
        (status = 404, description = "No such record", body = ErrorBody),
        (status = 409, description = "Voided already", body = ErrorBody),
        (status = 413, description = "A body over the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "Not a record id, or a missing or bad note", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn void(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    Path(record_id): Path<String>,
    ApiJson(request): ApiJson<VoidRequest>,
) -> Result<Json<ReviewItem>> {
    let record_id = parse_record_id(&record_id)?;
    let note = reason(&request.note)?;
    let item = state
        .store
        .office_void(record_id, user, note, Utc::now())
        .await?;
    Ok(Json(item))
}

/// A change to a membership, and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MemberChangeRequest {
    #[serde(flatten)]
    pub change: MemberChange,
    /// 1 to 500 characters; kept in the audit log.
    pub note: String,
}

/// Makes a membership inactive (the kiosks refuse the member from now),
/// active again, or transfers it to another community (admins, and
/// officers of the member's community); audited, kiosks hear of it.
#[utoipa::path(
    post,
    path = "/api/v1/office/members/{member_id}",
    params(("member_id" = String, Path)),
    request_body = MemberChangeRequest,
    security(("office_token" = [])),
    responses(
        (status = 200, description = "The member as they now are", body = baodao_shared::protocol::RosterEntry),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 403, description = "A viewer, or another community's member", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "Inactive or active already, or of that community already", body = ErrorBody),
        (status = 413, description = "A body over the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "A bad member id, change, community or note", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn change_member(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    Path(member_id): Path<String>,
    ApiJson(request): ApiJson<MemberChangeRequest>,
) -> Result<Json<baodao_shared::protocol::RosterEntry>> {
    let member_id = member_id.parse().map_err(|e: baodao_shared::Error| {
        Error::bad_request("invalid_member_id", e.to_string())
    })?;
    let note = reason(&request.note)?;
    let entry = state
        .store
        .change_member(member_id, request.change, user, note, Utc::now())
        .await?;
    Ok(Json(entry))
}

/// An activity to create or edit, with what the office keeps about it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ActivityRequest {
    pub activity: baodao_shared::Activity,
    #[serde(default)]
    pub details: ActivityDetails,
    /// Why (kept in the audit log), at most 500 characters.
    #[serde(default)]
    pub note: String,
}

/// Creates an activity, or edits one not cancelled (admins, and officers
/// of its community); kiosks hear of it at their next snapshot.
#[utoipa::path(
    post,
    path = "/api/v1/office/activities",
    request_body = ActivityRequest,
    security(("office_token" = [])),
    responses(
        (status = 204, description = "Saved"),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 403, description = "A viewer, or another community's activity", body = ErrorBody),
        (status = 409, description = "The activity is cancelled", body = ErrorBody),
        (status = 413, description = "A body over the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "Bad fields, or an end before the start", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn save_activity(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    ApiJson(request): ApiJson<ActivityRequest>,
) -> Result<axum::http::StatusCode> {
    let a = &request.activity;
    bounds::check_text("title", &a.title, bounds::MAX_NAME_CHARS)
        .and_then(|_| bounds::check_time("starts_at", a.starts_at))
        .and_then(|_| bounds::check_time("ends_at", a.ends_at))
        .map_err(|e| Error::bad_request("invalid_activity", e.to_string()))?;
    let details = request
        .details
        .check()
        .map_err(|e| Error::bad_request("invalid_details", e.to_string()))?;
    let note = optional_reason(&request.note)?;
    state
        .store
        .save_activity(request.activity, details, user, note, Utc::now())
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Cancels an activity: kiosks drop it at their next snapshot, its counting
/// records are held for review (`activity_cancelled`); answers how many.
#[utoipa::path(
    post,
    path = "/api/v1/office/activities/{activity_id}/cancel",
    params(("activity_id" = String, Path)),
    request_body = VoidRequest,
    security(("office_token" = [])),
    responses(
        (status = 200, description = "How many records are now held", body = u64),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 403, description = "A viewer, or another community's activity", body = ErrorBody),
        (status = 404, description = "No such activity", body = ErrorBody),
        (status = 409, description = "Cancelled already", body = ErrorBody),
        (status = 413, description = "A body over the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "A bad activity id, or a missing or bad note", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn cancel_activity(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    Path(activity_id): Path<String>,
    ApiJson(request): ApiJson<VoidRequest>,
) -> Result<Json<u64>> {
    let activity_id = activity_id.parse().map_err(|e: baodao_shared::Error| {
        Error::bad_request("invalid_activity_id", e.to_string())
    })?;
    let note = reason(&request.note)?;
    Ok(Json(
        state
            .store
            .cancel_activity(activity_id, user, note, Utc::now())
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OrganizationReportQuery {
    /// The home organisation, by its registered id or its name.
    pub organization: String,
    /// The period's first day (`YYYY-MM-DD`, the policy's time zone);
    /// this quarter's by default.
    pub from: Option<chrono::NaiveDate>,
    /// The period's last day; this quarter's by default.
    pub to: Option<chrono::NaiveDate>,
}

/// The report to a home organisation for a period (quarterly by default):
/// its members (of the user's communities), the activities each attended
/// in the period, and their points this year, as an Excel workbook.
#[utoipa::path(
    get,
    path = "/api/v1/office/reports/organization.xlsx",
    params(OrganizationReportQuery),
    security(("office_token" = [])),
    responses(
        (status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
        (status = 422, description = "A bad organisation or period", body = ErrorBody),
    )
)]
pub async fn organization_xlsx(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    query: QueryResult<OrganizationReportQuery>,
) -> Result<Response> {
    let query = query_or_422(query)?;
    let policy = state.settings.policy;
    let zone = policy.time_zone;
    let organization =
        bounds::check_text("organization", &query.organization, bounds::MAX_NAME_CHARS)
            .map_err(|e| Error::bad_request("invalid_organization", e.to_string()))?;
    let registry = state.store.registry().await?;
    let name = registry
        .organization(organization)
        .map_or_else(|| organization.to_owned(), |o| o.name.clone());
    let today = Utc::now().with_timezone(&zone).date_naive();
    let (quarter_from, quarter_to) = crate::domain::report::quarter_of(today);
    let (from, to) = (
        query.from.unwrap_or(quarter_from),
        query.to.unwrap_or(quarter_to),
    );
    let instant = |day: chrono::NaiveDate| {
        crate::store::model::day_start(zone, day)
            .ok_or_else(|| Error::bad_request("invalid_period", format!("{day} has no midnight")))
            .and_then(|t| {
                bounds::check_time("period", t)
                    .map_err(|e| Error::bad_request("invalid_period", e.to_string()))
            })
    };
    let (start, end) = (instant(from)?, instant(to.succ_opt().unwrap_or(to))?);
    if end <= start {
        return Err(Error::bad_request(
            "invalid_period",
            "the period ends before it starts",
        ));
    }
    let scope = user.scope().map(<[_]>::to_vec);
    let year = policy.year_of(start);
    let members = state
        .store
        .points_report(
            year,
            policy,
            ReportFilter {
                communities: scope.clone(),
                organization: Some(name.clone()),
            },
        )
        .await?;
    let attended = state
        .store
        .period_attendance(name.clone(), start, end, scope)
        .await?;
    let title = format!("{name} · {from} – {to}");
    let body = tokio::task::spawn_blocking(move || {
        // Each member's activities, gathered in one pass (in their order):
        // an agency's branch may have thousands of members.
        let mut by_member: HashMap<&str, Vec<&str>> = HashMap::new();
        for a in &attended {
            by_member
                .entry(a.member_id.as_str())
                .or_default()
                .push(a.activity_title.as_str());
        }
        let lines: Vec<reports::MemberPeriod<'_>> = members
            .iter()
            .map(|row| reports::MemberPeriod {
                row,
                community: registry.community_name(&row.community),
                activities: by_member.remove(row.member_id.as_str()).unwrap_or_default(),
            })
            .collect();
        reports::organization_xlsx(&title, &lines)
    })
    .await
    .map_err(|e| Error::Internal(format!("writing the workbook: {e}")))?
    .map_err(|e| Error::Internal(format!("writing the workbook: {e}")))?;
    Ok(file(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("organization-{from}-{to}.xlsx"),
        body,
    ))
}
