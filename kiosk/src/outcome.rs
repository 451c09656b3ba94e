//! What a scan (or a staff action) came to: shown on screen, printed as a
//! JSON line in headless mode.

use baodao_shared::{ActivityId, MemberId, Method};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Checked in: stored on disk before this was said.
    Accepted,
    /// Already checked in at this activity.
    Duplicate,
    /// Refused; `reason` says why.
    Rejected,
    /// A staff void took effect.
    Voided,
    /// The kiosk could not store the check-in (disk full, ...): nothing
    /// was acknowledged; the member should see staff.
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub outcome: OutcomeKind,
    pub member_id: Option<MemberId>,
    pub member_name: Option<String>,
    pub activity_id: Option<ActivityId>,
    pub activity_title: Option<String>,
    /// A refusal or error code (`forged_card`, `no_activity`, `storage_full`, ...).
    pub reason: Option<String>,
    pub record_id: Option<Uuid>,
    pub method: Option<Method>,
    /// This year's points including check-ins not yet synced, and the cap.
    pub points: Option<u32>,
    pub cap: Option<u32>,
    /// For `duplicate`: when the member first checked in.
    pub first_scanned_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    /// From frame arrival (or input) to the decision, durable write included.
    pub latency_ms: f64,
}

impl Outcome {
    pub fn new(outcome: OutcomeKind, at: DateTime<Utc>) -> Self {
        Self {
            outcome,
            member_id: None,
            member_name: None,
            activity_id: None,
            activity_title: None,
            reason: None,
            record_id: None,
            method: None,
            points: None,
            cap: None,
            first_scanned_at: None,
            at,
            latency_ms: 0.0,
        }
    }
}
