//! The office's people and what each may do: roles, their communities, and
//! the review of records the server held or refused. Plain functions; the
//! store reads users and records and writes what is decided here.

use baodao_shared::Community;
use baodao_shared::protocol::RecordStatus;
use serde::{Deserialize, Serialize};

/// What an office user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, everywhere.
    Admin,
    /// Reads and decides in their own communities only.
    Officer,
    /// Reads everything, changes nothing.
    Viewer,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Officer => "officer",
            Self::Viewer => "viewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "officer" => Ok(Self::Officer),
            "viewer" => Ok(Self::Viewer),
            other => Err(format!(
                "unknown role {:?}: admin, officer or viewer",
                other.chars().take(32).collect::<String>()
            )),
        }
    }
}

/// An authenticated office user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeUser {
    pub username: String,
    pub role: Role,
    /// An officer's communities (empty for the other roles).
    pub communities: Vec<Community>,
}

impl OfficeUser {
    /// Whether the user may see records of `community`.
    pub fn may_read(&self, community: &str) -> bool {
        match self.role {
            Role::Admin | Role::Viewer => true,
            Role::Officer => self.communities.iter().any(|c| c.as_str() == community),
        }
    }

    /// Whether the user may change records of `community`.
    pub fn may_change(&self, community: &str) -> bool {
        self.role != Role::Viewer && self.may_read(community)
    }

    /// The communities the user's reads are limited to; `None` for all.
    pub fn scope(&self) -> Option<&[Community]> {
        (self.role == Role::Officer).then_some(self.communities.as_slice())
    }
}

/// An office decision on a record the server held or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The record counts (the office checked the paper list, the clock...).
    Accept,
    /// The record does not count.
    Reject,
}

/// Why a review was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewRefusal {
    /// The user may not change this community's records.
    Forbidden,
    /// Only held and rejected records are reviewed; this one is `status`.
    NotReviewable(RecordStatus),
}

/// The status a record takes when `user` decides on it.
pub fn review(
    user: &OfficeUser,
    community: &str,
    status: RecordStatus,
    decision: Decision,
) -> Result<RecordStatus, ReviewRefusal> {
    if !user.may_change(community) {
        return Err(ReviewRefusal::Forbidden);
    }
    if !matches!(status, RecordStatus::Held | RecordStatus::Rejected) {
        return Err(ReviewRefusal::NotReviewable(status));
    }
    Ok(match decision {
        Decision::Accept => RecordStatus::Accepted,
        Decision::Reject => RecordStatus::Rejected,
    })
}

/// The kiosk id office entries are filed under: who entered them.
pub fn office_kiosk(user: &OfficeUser) -> String {
    format!("office:{}", user.username)
}

/// Whether `user` may enter attendance for an activity of `community` for
/// a member who `already_counts` there.
pub fn may_enter(user: &OfficeUser, community: &str, already_counts: bool) -> crate::Result<()> {
    if !user.may_change(community) {
        return Err(crate::Error::Forbidden(format!(
            "community {community} is not yours to change"
        )));
    }
    if already_counts {
        return Err(crate::Error::Conflict(
            "the member already counts at this activity".into(),
        ));
    }
    Ok(())
}

/// The reason an office void is stored with (the API requires one; a
/// caller of the store without one gets this).
pub fn void_reason(note: &str) -> &str {
    if note.is_empty() {
        "voided by the office"
    } else {
        note
    }
}

/// Whether `user` may void a record of `community` that is `voided` already.
pub fn may_void(user: &OfficeUser, community: &str, voided: bool) -> crate::Result<()> {
    if !user.may_change(community) {
        return Err(crate::Error::Forbidden(format!(
            "community {community} is not yours to change"
        )));
    }
    if voided {
        return Err(crate::Error::Conflict(
            "the record is voided already".into(),
        ));
    }
    Ok(())
}

/// The audit log's wording of a review: action, subject, before, after.
pub fn review_audit(
    record_id: uuid::Uuid,
    decision: Decision,
    before: (RecordStatus, Option<baodao_shared::protocol::Reason>),
    after: RecordStatus,
) -> (&'static str, String, String, String) {
    let describe =
        |(status, reason): (RecordStatus, Option<baodao_shared::protocol::Reason>)| match reason {
            Some(reason) => format!("{} ({})", status.code(), reason.code()),
            None => status.code().to_owned(),
        };
    (
        match decision {
            Decision::Accept => "review.accept",
            Decision::Reject => "review.reject",
        },
        format!("record:{record_id}"),
        describe(before),
        describe((after, before.1)),
    )
}

impl From<ReviewRefusal> for crate::Error {
    fn from(refusal: ReviewRefusal) -> Self {
        match refusal {
            ReviewRefusal::Forbidden => {
                crate::Error::Forbidden("this record's community is not yours to change".into())
            }
            ReviewRefusal::NotReviewable(status) => crate::Error::Conflict(format!(
                "only held and rejected records are reviewed; this one is {}",
                status.code()
            )),
        }
    }
}

/// An officer's communities as stored (comma-separated), and back.
pub fn communities_text(communities: &[Community]) -> String {
    communities
        .iter()
        .map(Community::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn parse_communities(text: &str) -> Vec<Community> {
    text.split(',')
        .filter(|c| !c.is_empty())
        .filter_map(|c| c.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, communities: &[&str]) -> OfficeUser {
        OfficeUser {
            username: "u".into(),
            role,
            communities: communities.iter().map(|c| c.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn roles_read_and_change_what_they_should() {
        let admin = user(Role::Admin, &[]);
        let officer = user(Role::Officer, &["C01"]);
        let viewer = user(Role::Viewer, &[]);
        assert!(admin.may_change("C02") && admin.may_read("C02"));
        assert!(officer.may_change("C01") && !officer.may_read("C02"));
        assert!(viewer.may_read("C02") && !viewer.may_change("C02"));
        assert_eq!(admin.scope(), None);
        assert_eq!(officer.scope().map(<[_]>::len), Some(1));
    }

    #[test]
    fn only_held_and_rejected_records_are_reviewed_by_whoever_may_change_them() {
        let officer = user(Role::Officer, &["C01"]);
        assert_eq!(
            review(&officer, "C01", RecordStatus::Held, Decision::Accept),
            Ok(RecordStatus::Accepted)
        );
        assert_eq!(
            review(&officer, "C01", RecordStatus::Rejected, Decision::Reject),
            Ok(RecordStatus::Rejected)
        );
        assert_eq!(
            review(&officer, "C02", RecordStatus::Held, Decision::Accept),
            Err(ReviewRefusal::Forbidden)
        );
        assert_eq!(
            review(&officer, "C01", RecordStatus::Accepted, Decision::Reject),
            Err(ReviewRefusal::NotReviewable(RecordStatus::Accepted))
        );
        assert_eq!(
            review(
                &user(Role::Viewer, &[]),
                "C01",
                RecordStatus::Held,
                Decision::Accept
            ),
            Err(ReviewRefusal::Forbidden)
        );
        assert!("boss".parse::<Role>().is_err());
        assert_eq!("officer".parse::<Role>(), Ok(Role::Officer));
    }
}
