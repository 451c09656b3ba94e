use axum::Json;
use axum::extract::{Path, Query, State};
use baodao_shared::protocol::{ErrorBody, MemberPoints, PointsQuery};
use baodao_shared::{MemberId, bounds};
use chrono::Utc;

use crate::AppState;
use crate::error::{Error, Result};
use crate::routes::KioskAuth;

/// A member's points in a year (this year by default). A kiosk sees only
/// members of its community and members who attended there; others are 404.
#[utoipa::path(
    get,
    path = "/api/v1/members/{member_id}/points",
    params(("member_id" = String, Path), PointsQuery),
    security(("kiosk_token" = [])),
    responses(
        (status = 200, body = MemberPoints),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 404, description = "No such member in this kiosk's community", body = ErrorBody),
        (status = 422, description = "Not a member id, or a year outside 2000-2100", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    KioskAuth(kiosk): KioskAuth,
    Path(member_id): Path<String>,
    query: std::result::Result<Query<PointsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<MemberPoints>> {
    let Query(query) = query.map_err(|e| Error::bad_request("invalid_query", e.body_text()))?;
    let member_id: MemberId = member_id.parse().map_err(|e: baodao_shared::Error| {
        Error::bad_request("invalid_member_id", e.to_string())
    })?;
    let policy = state.settings.policy;
    let year = query.year.unwrap_or_else(|| policy.year_of(Utc::now()));
    let year =
        bounds::check_year(year).map_err(|e| Error::bad_request("invalid_year", e.to_string()))?;
    let points = state
        .store
        .member_points(member_id, Some(kiosk.community), year, policy)
        .await?;
    points
        .map(Json)
        .ok_or_else(|| Error::NotFound("member".into()))
}
