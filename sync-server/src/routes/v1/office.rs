//! The office API: the review of held and refused records, and the audit
//! log. Office tokens only (`baodao-sync-server users token`); each call
//! obeys the user's role and communities.

use axum::Json;
use axum::extract::{Path, Query, State};
use baodao_shared::bounds;
use baodao_shared::protocol::ErrorBody;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::domain::office::{Decision, Role};
use crate::error::{Error, Result};
use crate::routes::{ApiJson, OfficeAuth};
use crate::store::{AuditEntry, ReviewItem};

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
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ReviewItem>>> {
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
        (status = 401, description = "Missing, unknown or revoked office token", body = ErrorBody),
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
    let record_id: Uuid = record_id
        .parse()
        .map_err(|_| Error::bad_request("invalid_record_id", "not a record id (a UUID)"))?;
    let note = if request.note.is_empty() {
        String::new()
    } else {
        bounds::check_text("note", &request.note, bounds::MAX_REASON_CHARS)
            .map_err(|e| Error::bad_request("invalid_note", e.to_string()))?
            .to_owned()
    };
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
        (status = 403, description = "An officer (the log spans every community)", body = ErrorBody),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    OfficeAuth(user): OfficeAuth,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<AuditEntry>>> {
    if user.role == Role::Officer {
        return Err(Error::Forbidden(
            "the audit log spans every community: admins and viewers read it".into(),
        ));
    }
    Ok(Json(state.store.audit_log(limit(&query)).await?))
}
