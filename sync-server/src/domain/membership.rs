//! What the office changes about a membership: inactive from a date (moved
//! away, left: the kiosks refuse the member's check-ins from then), active
//! again, or transferred to another community. Plain functions; the store
//! reads the member, writes what is decided here and its audit entry.

use baodao_shared::Community;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::office::OfficeUser;
use crate::error::{Error, Result};

/// A change the office makes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum MemberChange {
    /// Inactive from now: check-ins from now on are refused.
    Deactivate,
    /// Active again.
    Reactivate,
    /// Registered with another community from now.
    Transfer { community: Community },
}

/// A membership as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub community: Community,
    pub inactive_since: Option<DateTime<Utc>>,
}

impl Membership {
    /// As the audit log words it.
    pub fn describe(&self) -> String {
        match self.inactive_since {
            None => format!("active, {}", self.community),
            Some(since) => format!(
                "inactive since {}, {}",
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                self.community
            ),
        }
    }
}

/// The membership after `change` by `user` at `now`, or why not.
pub fn apply(
    user: &OfficeUser,
    current: &Membership,
    change: &MemberChange,
    now: DateTime<Utc>,
) -> Result<Membership> {
    if !user.may_change(current.community.as_str()) {
        return Err(Error::Forbidden(format!(
            "community {} is not yours to change",
            current.community
        )));
    }
    let mut next = current.clone();
    match change {
        MemberChange::Deactivate if current.inactive_since.is_some() => {
            return Err(Error::Conflict("the membership is inactive already".into()));
        }
        MemberChange::Deactivate => next.inactive_since = Some(now),
        MemberChange::Reactivate if current.inactive_since.is_none() => {
            return Err(Error::Conflict("the membership is active already".into()));
        }
        MemberChange::Reactivate => next.inactive_since = None,
        MemberChange::Transfer { community } if *community == current.community => {
            return Err(Error::Conflict(format!(
                "the member is of {community} already"
            )));
        }
        MemberChange::Transfer { community } => next.community = community.clone(),
    }
    Ok(next)
}

/// The audit log's action for `change`.
pub fn action(change: &MemberChange) -> &'static str {
    match change {
        MemberChange::Deactivate => "member.deactivate",
        MemberChange::Reactivate => "member.reactivate",
        MemberChange::Transfer { .. } => "member.transfer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::office::Role;

    fn officer() -> OfficeUser {
        OfficeUser {
            username: "li".into(),
            role: Role::Officer,
            communities: vec!["C01".parse().unwrap()],
        }
    }

    #[test]
    fn deactivate_reactivate_and_transfer_within_reach() {
        let now = Utc::now();
        let active = Membership {
            community: "C01".parse().unwrap(),
            inactive_since: None,
        };
        let off = apply(&officer(), &active, &MemberChange::Deactivate, now).unwrap();
        assert_eq!(off.inactive_since, Some(now));
        assert!(matches!(
            apply(&officer(), &off, &MemberChange::Deactivate, now),
            Err(Error::Conflict(_))
        ));
        let on = apply(&officer(), &off, &MemberChange::Reactivate, now).unwrap();
        assert_eq!(on, active);
        let moved = MemberChange::Transfer {
            community: "C02".parse().unwrap(),
        };
        let away = apply(&officer(), &active, &moved, now).unwrap();
        assert_eq!(away.community.as_str(), "C02");
        // Once away, no longer the officer's to change.
        assert!(matches!(
            apply(&officer(), &away, &MemberChange::Deactivate, now),
            Err(Error::Forbidden(_))
        ));
        let viewer = OfficeUser {
            role: Role::Viewer,
            communities: vec![],
            ..officer()
        };
        assert!(matches!(
            apply(&viewer, &active, &MemberChange::Deactivate, now),
            Err(Error::Forbidden(_))
        ));
        assert_eq!(active.describe(), "active, C01");
    }
}
