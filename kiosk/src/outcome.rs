//! What a scan (or a staff action) came to: shown on screen, played as a
//! sound, printed as a JSON line in headless mode.

use baodao_shared::protocol;
use baodao_shared::{ActivityId, MemberId, Method};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Why the kiosk said no. Wherever the kiosk and the server mean the same
/// thing they use the server's word (a forged card is `bad_card_signature`
/// on both sides); the rest only the kiosk can say. Serialised as the bare
/// code, as headless mode has always printed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Reason {
    Shared(protocol::Reason),
    Kiosk(KioskReason),
}

/// Refusals and failures that exist only at the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KioskReason {
    /// Staff picked, or a scanner typed, a member this community's roster
    /// does not carry (a valid card of a visitor checks in).
    NotRegisteredHere,
    /// No activity is open at this community now.
    NoActivity,
    /// The disk is full: nothing was stored, nothing acknowledged.
    StorageFull,
    /// Storing failed otherwise: nothing was stored.
    StorageError,
    /// A void of a check-in this kiosk does not have, or already voided.
    UnknownOrVoidedRecord,
}

impl KioskReason {
    pub const ALL: [Self; 5] = [
        Self::NotRegisteredHere,
        Self::NoActivity,
        Self::StorageFull,
        Self::StorageError,
        Self::UnknownOrVoidedRecord,
    ];
}

impl Reason {
    /// Every reason the kiosk can give or show (the server's included).
    pub fn all() -> impl Iterator<Item = Self> {
        protocol::Reason::ALL
            .into_iter()
            .chain([protocol::Reason::Unknown])
            .map(Self::Shared)
            .chain(KioskReason::ALL.into_iter().map(Self::Kiosk))
    }
}

impl From<protocol::Reason> for Reason {
    fn from(reason: protocol::Reason) -> Self {
        Self::Shared(reason)
    }
}

impl From<KioskReason> for Reason {
    fn from(reason: KioskReason) -> Self {
        Self::Kiosk(reason)
    }
}

/// The member an outcome is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Who {
    pub member_id: MemberId,
    pub member_name: String,
}

/// The activity an outcome is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Where {
    pub activity_id: ActivityId,
    pub activity_title: String,
}

/// A member's points this year, check-ins not yet synced included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub points: u32,
    pub cap: u32,
}

/// When it was decided, and how long it took from the frame's arrival
/// (or the input) to the decision, durable write included.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timing {
    pub at: DateTime<Utc>,
    pub latency_ms: f64,
}

/// What a scan or a staff action came to. In JSON, tagged `outcome`, with
/// the fields of each case flattened under their old names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Checked in: stored on disk before this was said.
    Accepted {
        #[serde(flatten)]
        member: Who,
        #[serde(flatten)]
        activity: Where,
        record_id: Uuid,
        method: Method,
        #[serde(flatten)]
        standing: Standing,
        #[serde(flatten)]
        timing: Timing,
    },
    /// Already checked in at this activity.
    Duplicate {
        #[serde(flatten)]
        member: Who,
        #[serde(flatten)]
        activity: Where,
        method: Method,
        first_scanned_at: DateTime<Utc>,
        #[serde(flatten)]
        standing: Standing,
        #[serde(flatten)]
        timing: Timing,
    },
    /// Refused; nothing was stored.
    Rejected {
        reason: Reason,
        #[serde(skip_serializing_if = "Option::is_none")]
        method: Option<Method>,
        #[serde(flatten)]
        member: Option<Who>,
        #[serde(flatten)]
        activity: Option<Where>,
        /// For a refused void: the check-in it named.
        #[serde(skip_serializing_if = "Option::is_none")]
        record_id: Option<Uuid>,
        #[serde(flatten)]
        timing: Timing,
    },
    /// A staff void took effect.
    Voided {
        record_id: Uuid,
        #[serde(flatten)]
        timing: Timing,
    },
    /// The kiosk could not store the check-in (disk full, ...): nothing
    /// was acknowledged; the member should see staff.
    Error {
        reason: Reason,
        #[serde(skip_serializing_if = "Option::is_none")]
        method: Option<Method>,
        #[serde(flatten)]
        member: Option<Who>,
        #[serde(flatten)]
        activity: Option<Where>,
        #[serde(flatten)]
        timing: Timing,
    },
}

/// The case of an outcome without its details: for sounds and colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Accepted,
    Duplicate,
    Rejected,
    Voided,
    Error,
}

impl Outcome {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Self::Accepted { .. } => OutcomeKind::Accepted,
            Self::Duplicate { .. } => OutcomeKind::Duplicate,
            Self::Rejected { .. } => OutcomeKind::Rejected,
            Self::Voided { .. } => OutcomeKind::Voided,
            Self::Error { .. } => OutcomeKind::Error,
        }
    }

    pub fn who(&self) -> Option<&Who> {
        match self {
            Self::Accepted { member, .. } | Self::Duplicate { member, .. } => Some(member),
            Self::Rejected { member, .. } | Self::Error { member, .. } => member.as_ref(),
            Self::Voided { .. } => None,
        }
    }

    pub fn member_name(&self) -> Option<&str> {
        self.who().map(|w| w.member_name.as_str())
    }

    pub fn activity(&self) -> Option<&Where> {
        match self {
            Self::Accepted { activity, .. } | Self::Duplicate { activity, .. } => Some(activity),
            Self::Rejected { activity, .. } | Self::Error { activity, .. } => activity.as_ref(),
            Self::Voided { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<Reason> {
        match self {
            Self::Rejected { reason, .. } | Self::Error { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The check-in stored or voided.
    pub fn record_id(&self) -> Option<Uuid> {
        match self {
            Self::Accepted { record_id, .. } | Self::Voided { record_id, .. } => Some(*record_id),
            _ => None,
        }
    }

    pub fn standing(&self) -> Option<Standing> {
        match self {
            Self::Accepted { standing, .. } | Self::Duplicate { standing, .. } => Some(*standing),
            _ => None,
        }
    }

    pub fn method(&self) -> Option<Method> {
        match self {
            Self::Accepted { method, .. } | Self::Duplicate { method, .. } => Some(*method),
            Self::Rejected { method, .. } | Self::Error { method, .. } => *method,
            Self::Voided { .. } => None,
        }
    }

    pub fn timing(&self) -> Timing {
        match self {
            Self::Accepted { timing, .. }
            | Self::Duplicate { timing, .. }
            | Self::Rejected { timing, .. }
            | Self::Voided { timing, .. }
            | Self::Error { timing, .. } => *timing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing {
            at: "2026-12-01T01:00:00Z".parse().unwrap(),
            latency_ms: 12.5,
        }
    }

    #[test]
    fn json_keeps_the_field_names_headless_mode_printed() {
        let accepted = Outcome::Accepted {
            member: Who {
                member_id: "M001".parse().unwrap(),
                member_name: "張偉".into(),
            },
            activity: Where {
                activity_id: "A1".parse().unwrap(),
                activity_title: "政策宣講".into(),
            },
            record_id: Uuid::nil(),
            method: Method::Qr,
            standing: Standing { points: 3, cap: 12 },
            timing: timing(),
        };
        let json = serde_json::to_value(&accepted).unwrap();
        assert_eq!(json["outcome"], "accepted");
        assert_eq!(json["member_id"], "M001");
        assert_eq!(json["member_name"], "張偉");
        assert_eq!(json["activity_title"], "政策宣講");
        assert_eq!(
            (json["points"].as_u64(), json["cap"].as_u64()),
            (Some(3), Some(12))
        );
        assert_eq!(json["latency_ms"], 12.5);
        assert_eq!(json["method"], "qr");

        let refused = Outcome::Rejected {
            reason: protocol::Reason::BadCardSignature.into(),
            method: Some(Method::Qr),
            member: None,
            activity: None,
            record_id: None,
            timing: timing(),
        };
        let json = serde_json::to_value(&refused).unwrap();
        assert_eq!(json["outcome"], "rejected");
        assert_eq!(json["reason"], "bad_card_signature", "the server's word");
        assert!(json.get("member_id").is_none());
        let json = serde_json::to_value(Outcome::Error {
            reason: KioskReason::StorageFull.into(),
            method: None,
            member: None,
            activity: None,
            timing: timing(),
        })
        .unwrap();
        assert_eq!(json["reason"], "storage_full");
    }

    #[test]
    fn every_reason_has_a_distinct_code() {
        let codes: std::collections::HashSet<String> = Reason::all()
            .map(|r| {
                serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(codes.len(), Reason::all().count());
    }
}
