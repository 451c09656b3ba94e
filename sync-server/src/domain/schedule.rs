//! The office's schedule: creating, editing and cancelling activities, and
//! who may. Plain functions; the store reads the activity as it is and
//! writes what is decided here with its audit entry.

use std::fmt::Write;

use baodao_shared::{Activity, bounds};
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};

use crate::domain::office::OfficeUser;
use crate::error::{Error, Result};

/// What the office keeps about an activity beyond what kiosks need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActivityDetails {
    /// Where, e.g. 社區黨群服務中心二樓.
    #[serde(default)]
    pub place: String,
    /// Who organises it (a person or a party branch).
    #[serde(default)]
    pub organiser: String,
    /// How many may attend; none for no limit.
    #[serde(default)]
    pub capacity: Option<u32>,
}

impl ActivityDetails {
    /// Checked where it enters: texts of at most 200 characters (empty is
    /// fine), a capacity of 1 to 100,000.
    pub fn check(self) -> Result<Self> {
        for (field, value) in [("place", &self.place), ("organiser", &self.organiser)] {
            if !value.is_empty() {
                bounds::check_text(field, value, bounds::MAX_NAME_CHARS)?;
            }
        }
        if self.capacity.is_some_and(|c| !(1..=100_000).contains(&c)) {
            return Err(Error::Invalid("capacity: 1 to 100000, or none".into()));
        }
        Ok(self)
    }
}

/// An activity as it stands in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub activity: Activity,
    pub details: ActivityDetails,
    pub cancelled: bool,
}

/// Whether `user` may save `new` over `existing`; answers the audit
/// action (`activity.create` or `activity.edit`).
pub fn may_save(
    user: &OfficeUser,
    existing: Option<&Scheduled>,
    new: &Activity,
) -> Result<&'static str> {
    let mine = |community: &str| {
        if user.may_change(community) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "community {community} is not yours to change"
            )))
        }
    };
    mine(new.community.as_str())?;
    new.validate()?;
    match existing {
        None => Ok("activity.create"),
        Some(old) => {
            mine(old.activity.community.as_str())?;
            if old.cancelled {
                return Err(Error::Conflict(format!(
                    "activity {} is cancelled",
                    old.activity.activity_id
                )));
            }
            Ok("activity.edit")
        }
    }
}

/// Whether `user` may cancel `existing`.
pub fn may_cancel(user: &OfficeUser, existing: &Scheduled) -> Result<()> {
    if !user.may_change(existing.activity.community.as_str()) {
        return Err(Error::Forbidden(format!(
            "community {} is not yours to change",
            existing.activity.community
        )));
    }
    if existing.cancelled {
        return Err(Error::Conflict("the activity is cancelled already".into()));
    }
    Ok(())
}

/// As the audit log words an activity.
pub fn describe(activity: &Activity, details: &ActivityDetails) -> String {
    let mut text = format!(
        "{} ({}, {}), {} to {}",
        activity.title,
        activity.kind.code(),
        activity.community,
        activity
            .starts_at
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        activity.ends_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    for (label, value) in [("place", &details.place), ("organiser", &details.organiser)] {
        if !value.is_empty() {
            let _ = write!(text, ", {label} {value}");
        }
    }
    if let Some(capacity) = details.capacity {
        let _ = write!(text, ", capacity {capacity}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::office::Role;
    use baodao_shared::ActivityKind;
    use chrono::{Duration, Utc};

    fn activity(community: &str) -> Activity {
        let start = Utc::now();
        Activity {
            activity_id: "A1".parse().unwrap(),
            title: "黨課".into(),
            kind: ActivityKind::PartyLesson,
            community: community.parse().unwrap(),
            starts_at: start,
            ends_at: start + Duration::hours(2),
        }
    }

    #[test]
    fn officers_schedule_in_their_communities_and_cancelled_stays_cancelled() {
        let officer = OfficeUser {
            username: "li".into(),
            role: Role::Officer,
            communities: vec!["C01".parse().unwrap()],
        };
        assert_eq!(
            may_save(&officer, None, &activity("C01")).unwrap(),
            "activity.create"
        );
        assert!(matches!(
            may_save(&officer, None, &activity("C02")),
            Err(Error::Forbidden(_))
        ));
        let old = Scheduled {
            activity: activity("C02"),
            details: ActivityDetails::default(),
            cancelled: false,
        };
        // Not by moving another community's activity into one's own.
        assert!(matches!(
            may_save(&officer, Some(&old), &activity("C01")),
            Err(Error::Forbidden(_))
        ));
        let mine = Scheduled {
            activity: activity("C01"),
            ..old.clone()
        };
        assert_eq!(
            may_save(&officer, Some(&mine), &activity("C01")).unwrap(),
            "activity.edit"
        );
        may_cancel(&officer, &mine).unwrap();
        let cancelled = Scheduled {
            cancelled: true,
            ..mine
        };
        assert!(matches!(
            may_cancel(&officer, &cancelled),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            may_save(&officer, Some(&cancelled), &activity("C01")),
            Err(Error::Conflict(_))
        ));
        let mut backwards = activity("C01");
        backwards.ends_at = backwards.starts_at - Duration::hours(1);
        assert!(may_save(&officer, None, &backwards).is_err());
    }

    #[test]
    fn details_are_checked_where_they_enter() {
        assert!(
            ActivityDetails {
                capacity: Some(0),
                ..Default::default()
            }
            .check()
            .is_err()
        );
        assert!(
            ActivityDetails {
                place: "x\u{0}".into(),
                ..Default::default()
            }
            .check()
            .is_err()
        );
        let ok = ActivityDetails {
            place: "社區黨群服務中心".into(),
            organiser: String::new(),
            capacity: Some(40),
        };
        assert_eq!(ok.clone().check().unwrap(), ok);
        assert!(describe(&activity("C01"), &ok).ends_with(", place 社區黨群服務中心, capacity 40"));
    }
}
