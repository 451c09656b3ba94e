//! The records the office and the kiosks agree on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ActivityId, ActivityKind, Community, Error, MemberId};

/// A registered party member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub member_id: MemberId,
    pub name: String,
    /// The party branch of the member's home agency or organisation.
    pub organization: String,
    /// The community the member registered with.
    pub community: Community,
}

/// One scheduled activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub activity_id: ActivityId,
    pub title: String,
    pub kind: ActivityKind,
    pub community: Community,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Activity {
    pub fn validate(&self) -> Result<(), Error> {
        if self.ends_at < self.starts_at {
            return Err(Error::ActivityEndsBeforeStart);
        }
        Ok(())
    }

    /// Whether `at` lies within the activity, widened by `grace` on both ends.
    pub fn is_open_at(&self, at: DateTime<Utc>, grace: chrono::Duration) -> bool {
        let opens = self.starts_at.checked_sub_signed(grace);
        let closes = self.ends_at.checked_add_signed(grace);
        opens.is_none_or(|opens| opens <= at) && closes.is_none_or(|closes| at <= closes)
    }

    /// Whether `at` lies after the activity's end and `grace`.
    pub fn is_over_at(&self, at: DateTime<Utc>, grace: chrono::Duration) -> bool {
        self.ends_at
            .checked_add_signed(grace)
            .is_some_and(|closes| at > closes)
    }
}

/// How a check-in was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A member card read by the kiosk camera.
    Qr,
    /// Staff checked the member in by name.
    Manual,
    /// A keyboard-wedge scanner typed the card.
    Keyboard,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::Manual => "manual",
            Self::Keyboard => "keyboard",
        }
    }

    /// Whether a check-in by this method must carry the card it read.
    pub fn needs_card(self) -> bool {
        matches!(self, Self::Qr | Self::Keyboard)
    }
}

/// One check-in as the kiosk took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceRecord {
    pub record_id: uuid::Uuid,
    pub member_id: MemberId,
    pub activity_id: ActivityId,
    /// In the kiosk's clock.
    pub scanned_at: DateTime<Utc>,
    pub method: Method,
    /// The card payload that was read, for `qr` and `keyboard` check-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    /// For a check-in staff entered by hand: who did it, by the name of
    /// the PIN they unlocked the kiosk with (at most 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entered_by: Option<String>,
}

/// A staff correction: the record does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Void {
    pub record_id: uuid::Uuid,
    pub reason: String,
    /// In the kiosk's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_at: Option<DateTime<Utc>>,
    /// Who voided it, by the name of the PIN they unlocked the kiosk with
    /// (at most 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_by: Option<String>,
}
