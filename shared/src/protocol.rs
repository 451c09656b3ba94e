//! The v1 wire protocol between kiosks and the sync server.
//!
//! Compatibility rules: fields are only ever added, as `#[serde(default)]`,
//! and every enum a kiosk reads has an `Unknown` catch-all, so a kiosk built
//! today keeps working against a newer server.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::card::CardKey;
use crate::{Activity, AttendanceRecord, Community, MemberId, Policy, Void};

/// Sent by both sides as `Baodao-Protocol`.
pub const PROTOCOL_HEADER: &str = "baodao-protocol";
pub const PROTOCOL_VERSION: u32 = 1;

pub const BATCHES_PATH: &str = "/api/v1/attendance/batches";
pub const SNAPSHOT_PATH: &str = "/api/v1/sync/snapshot";
/// Exchanges an enrolment code for a kiosk's token (no bearer token).
pub const ENROL_PATH: &str = "/api/v1/kiosks/enrol";
/// A kiosk says how it is, once a minute, also when idle.
pub const HEARTBEAT_PATH: &str = "/api/v1/kiosks/heartbeat";

/// One upload from a kiosk's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRequest {
    /// Client-made; a retry sends the same id.
    pub batch_id: Uuid,
    /// The kiosk's clock when it sent the batch; the server compares it with
    /// its own to measure the kiosk's clock offset.
    pub sent_at: DateTime<Utc>,
    pub records: Vec<AttendanceRecord>,
    #[serde(default)]
    pub voids: Vec<Void>,
}

/// What happened to each record and void of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchReceipt {
    pub batch_id: Uuid,
    pub received_at: DateTime<Utc>,
    /// Server time minus kiosk time, in milliseconds.
    pub clock_offset_ms: i64,
    pub records: Vec<RecordReceipt>,
    #[serde(default)]
    pub voids: Vec<VoidReceipt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordReceipt {
    pub record_id: uuid::Uuid,
    pub status: RecordStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// For `already_received`: what the server decided the first time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_status: Option<RecordStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// New attendance; it counts.
    Accepted,
    /// This record id was received before (a retry); nothing changed.
    AlreadyReceived,
    /// The member already attended this activity; stored, counts once.
    Repeat,
    /// Stored for the office to review; does not count until approved.
    Held,
    /// Stored with its reason; does not count.
    Rejected,
    #[serde(other)]
    Unknown,
}

impl RecordStatus {
    /// Every status, `Unknown` (a newer server's) included.
    pub const ALL: [Self; 6] = [
        Self::Accepted,
        Self::AlreadyReceived,
        Self::Repeat,
        Self::Held,
        Self::Rejected,
        Self::Unknown,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::AlreadyReceived => "already_received",
            Self::Repeat => "repeat",
            Self::Held => "held",
            Self::Rejected => "rejected",
            Self::Unknown => "unknown",
        }
    }

    /// Whether a record with this status counts toward points (once per
    /// member and activity, voids aside): the one place that says so.
    pub fn counts(self) -> bool {
        matches!(self, Self::Accepted | Self::Repeat)
    }

    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Self::Unknown)
    }
}

/// Why a record was held or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    UnknownMember,
    UnknownActivity,
    /// The activity belongs to another community than the kiosk.
    OtherCommunity,
    /// A `qr` or `keyboard` check-in without the card it read.
    CardMissing,
    NotBaodaoCard,
    CardMalformed,
    CardUnknownKey,
    BadCardSignature,
    /// The card verifies but names another member than the record.
    CardOfAnotherMember,
    CardExpired,
    CardRevoked,
    CardReplaced,
    /// The scan time, corrected for the kiosk's clock offset, is far outside
    /// the activity's time.
    OutsideActivityWindow,
    /// The record or void is not valid JSON of its kind (an id with
    /// characters ids may not have, a method nobody knows, ...).
    MalformedRecord,
    /// A time outside the years this system deals with (2000 to 2100).
    InvalidTime,
    /// A void without a reason, or with one longer than 500 characters or with control characters.
    InvalidReason,
    /// Another kiosk already sent a record with this id.
    RecordIdConflict,
    /// The scan time, corrected for the kiosk's clock, lies in the server's future.
    ScannedInFuture,
    /// The kiosk's clock is further off than the server accepts to correct.
    ClockUntrusted,
    /// A manual check-in that reached the server after the activity's end and grace.
    ManualAfterActivity,
    /// A manual check-in of a member of another community.
    ManualForOtherCommunity,
    /// More manual check-ins for one activity from one kiosk than the office allows.
    ManualLimit,
    /// The same member counted at another community's activity at the same time.
    AttendedElsewhere,
    /// The office made the membership inactive before the check-in.
    MemberInactive,
    /// The office cancelled the activity.
    ActivityCancelled,
    #[serde(other)]
    Unknown,
}

impl Reason {
    pub const ALL: [Reason; 25] = [
        Self::UnknownMember,
        Self::UnknownActivity,
        Self::OtherCommunity,
        Self::CardMissing,
        Self::NotBaodaoCard,
        Self::CardMalformed,
        Self::CardUnknownKey,
        Self::BadCardSignature,
        Self::CardOfAnotherMember,
        Self::CardExpired,
        Self::CardRevoked,
        Self::CardReplaced,
        Self::OutsideActivityWindow,
        Self::MalformedRecord,
        Self::InvalidTime,
        Self::InvalidReason,
        Self::RecordIdConflict,
        Self::ScannedInFuture,
        Self::ClockUntrusted,
        Self::ManualAfterActivity,
        Self::ManualForOtherCommunity,
        Self::ManualLimit,
        Self::AttendedElsewhere,
        Self::MemberInactive,
        Self::ActivityCancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::UnknownMember => "unknown_member",
            Self::UnknownActivity => "unknown_activity",
            Self::OtherCommunity => "other_community",
            Self::CardMissing => "card_missing",
            Self::NotBaodaoCard => "not_baodao_card",
            Self::CardMalformed => "card_malformed",
            Self::CardUnknownKey => "card_unknown_key",
            Self::BadCardSignature => "bad_card_signature",
            Self::CardOfAnotherMember => "card_of_another_member",
            Self::CardExpired => "card_expired",
            Self::CardRevoked => "card_revoked",
            Self::CardReplaced => "card_replaced",
            Self::OutsideActivityWindow => "outside_activity_window",
            Self::MalformedRecord => "malformed_record",
            Self::InvalidTime => "invalid_time",
            Self::InvalidReason => "invalid_reason",
            Self::RecordIdConflict => "record_id_conflict",
            Self::ScannedInFuture => "scanned_in_future",
            Self::ClockUntrusted => "clock_untrusted",
            Self::ManualAfterActivity => "manual_after_activity",
            Self::ManualForOtherCommunity => "manual_for_other_community",
            Self::ManualLimit => "manual_limit",
            Self::AttendedElsewhere => "attended_elsewhere",
            Self::MemberInactive => "member_inactive",
            Self::ActivityCancelled => "activity_cancelled",
            Self::Unknown => "unknown",
        }
    }

    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .unwrap_or(Self::Unknown)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoidReceipt {
    pub record_id: uuid::Uuid,
    pub status: VoidStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoidStatus {
    Voided,
    AlreadyVoided,
    Rejected,
    #[serde(other)]
    Unknown,
}

/// Query of `GET /api/v1/sync/snapshot`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct SnapshotQuery {
    /// The `cursor` of the last snapshot applied; absent for a full one.
    #[serde(default)]
    pub since: Option<u64>,
    /// The `epoch` of that snapshot. A cursor is only meaningful within the
    /// database it came from: another epoch (a restored backup, a new
    /// database) or none gets a full snapshot.
    #[serde(default)]
    pub epoch: Option<u64>,
}

/// What a kiosk needs to work offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub server_time: DateTime<Utc>,
    /// Pass as `since` next time to receive only what changed.
    pub cursor: u64,
    /// The identity of the server's database; send it back with `since`.
    #[serde(default)]
    pub epoch: u64,
    /// True when this snapshot replaces everything the kiosk had.
    pub full: bool,
    pub community: Community,
    /// The community's name as the office registered it (e.g. 灣子街社區),
    /// for the kiosk's screen; absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_name: Option<String>,
    pub policy: Policy,
    /// How long before an activity's start and after its end the kiosk
    /// takes check-ins for it: the server's own grace, outside which it
    /// holds a record for review. Older servers send none (the kiosk then
    /// takes 30 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_minutes: Option<u32>,
    /// Members of this community, and members who attended here, added or
    /// changed since `since` (all of them when `full`).
    pub members: Vec<RosterEntry>,
    /// Serials revoked since `since` (all when `full`).
    pub revoked_serials: Vec<u32>,
    /// Every key that may have signed a card in use.
    pub card_keys: Vec<CardKey>,
    /// This community's activities from yesterday to 30 days ahead.
    pub activities: Vec<Activity>,
    /// This year's standing of those members whose points changed since `since`.
    pub points: Vec<MemberPoints>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RosterEntry {
    pub member_id: MemberId,
    pub name: String,
    pub organization: String,
    pub community: Community,
    /// The serial of the member's current card; none before the first issue.
    #[serde(default)]
    pub card_serial: Option<u32>,
    /// The office made the membership inactive (moved away, left): the
    /// kiosk refuses the member's check-ins and sends them to staff.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inactive: bool,
}

/// A member's points in one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberPoints {
    pub member_id: MemberId,
    pub year: i32,
    pub points: u32,
    /// Distinct activities attended, before the cap.
    pub attended: u32,
    #[serde(default)]
    pub cap: u32,
}

/// Query of `GET /api/v1/members/{member_id}/points`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct PointsQuery {
    /// Defaults to the current year in the policy's time zone.
    #[serde(default)]
    pub year: Option<i32>,
}

/// Body of `POST /api/v1/kiosks/enrol`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolRequest {
    /// As typed or scanned (`ABCD-EFGH`, any case, or the QR code's text).
    pub code: String,
}

/// A kiosk's credentials, answered once for a good enrolment code. Any
/// token the kiosk had before stops working.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolment {
    pub kiosk_id: crate::KioskId,
    pub name: String,
    pub community: Community,
    pub token: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("kiosk_id", &self.kiosk_id)
            .field("name", &self.name)
            .field("community", &self.community)
            .finish_non_exhaustive()
    }
}

/// How a kiosk's camera is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CameraHealth {
    /// Frames arrive.
    Working,
    /// Configured but not delivering (unplugged, busy, broken).
    Failing,
    /// `camera = "none"`: a scanner-only kiosk.
    Off,
    #[serde(other)]
    Unknown,
}

impl CameraHealth {
    pub fn code(self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::Failing => "failing",
            Self::Off => "off",
            Self::Unknown => "unknown",
        }
    }
}

/// Body of `POST /api/v1/kiosks/heartbeat`: how a kiosk is, sent once a
/// minute whether or not anyone checks in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    /// The kiosk's clock when it sent this.
    pub sent_at: DateTime<Utc>,
    /// The kiosk program's version (`0.1.0`).
    pub version: String,
    pub uptime_secs: u64,
    /// Check-ins and voids not yet uploaded.
    pub pending: u64,
    /// How long the oldest of them has waited.
    #[serde(default)]
    pub oldest_pending_secs: Option<u64>,
    pub camera: CameraHealth,
    /// The camera's error, when failing.
    #[serde(default)]
    pub camera_detail: Option<String>,
    /// Frames scanned per second since the last heartbeat.
    pub scan_fps: f32,
    /// Mean time to look for a code in a frame, in milliseconds.
    pub decode_ms: f32,
    /// Panics the decoder caught since the kiosk started.
    pub decoder_panics: u64,
    /// Free space under the kiosk's data dir.
    #[serde(default)]
    pub disk_free_mb: Option<u64>,
    /// The last sync error, if the last sync failed.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Server clock minus kiosk clock at the last snapshot.
    #[serde(default)]
    pub clock_offset_ms: Option<i64>,
}

/// Longest version text and error text a heartbeat may carry.
pub const MAX_VERSION_CHARS: usize = 40;
pub const MAX_HEARTBEAT_TEXT_CHARS: usize = 500;
/// The largest count a heartbeat may carry: exact as a double, and in any
/// database's integer column.
pub const MAX_HEARTBEAT_COUNT: u64 = 1 << 53;
/// The largest clock offset a heartbeat may carry: a century.
pub const MAX_CLOCK_OFFSET_MS: i64 = 100 * 366 * 86_400_000;

impl Heartbeat {
    /// Every value within what a kiosk can truly report: counts that fit
    /// any database column, finite rates, offsets under a century. `sent_at`
    /// may be any time chrono reads: a board without a battery-backed
    /// clock boots in 1970, and the office must see that offset, not a
    /// refusal. (A difference of two such times fits an `i64` of
    /// milliseconds many times over.)
    pub fn check(&self) -> Result<(), crate::Error> {
        let refuse = |what: &'static str, why: String| Err(crate::Error::OutOfRange { what, why });
        crate::bounds::check_text("version", &self.version, MAX_VERSION_CHARS)?;
        for (what, text) in [
            ("camera_detail", &self.camera_detail),
            ("last_error", &self.last_error),
        ] {
            if let Some(text) = text
                && text.chars().count() > MAX_HEARTBEAT_TEXT_CHARS
            {
                return refuse(
                    what,
                    format!("is longer than {MAX_HEARTBEAT_TEXT_CHARS} characters"),
                );
            }
        }
        for (what, n) in [
            ("uptime_secs", self.uptime_secs),
            ("pending", self.pending),
            ("oldest_pending_secs", self.oldest_pending_secs.unwrap_or(0)),
            ("decoder_panics", self.decoder_panics),
            ("disk_free_mb", self.disk_free_mb.unwrap_or(0)),
        ] {
            if n > MAX_HEARTBEAT_COUNT {
                return refuse(what, format!("{n} is larger than {MAX_HEARTBEAT_COUNT}"));
            }
        }
        for (what, x, max) in [
            ("scan_fps", self.scan_fps, 1_000.0),
            ("decode_ms", self.decode_ms, 1_000_000.0),
        ] {
            if !(x.is_finite() && (0.0..=max).contains(&x)) {
                return refuse(what, format!("{x} is not between 0 and {max}"));
            }
        }
        if let Some(ms) = self.clock_offset_ms
            && !(-MAX_CLOCK_OFFSET_MS..=MAX_CLOCK_OFFSET_MS).contains(&ms)
        {
            return refuse("clock_offset_ms", format!("{ms} is over a century"));
        }
        Ok(())
    }
}

/// What the server answers a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatReceipt {
    pub received_at: DateTime<Utc>,
}

/// The one error body of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unauthorized`, `malformed_json`, ...
    pub code: String,
    /// For people; may change between versions.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_statuses_and_reasons_from_a_newer_server_still_parse() {
        let json = r#"{"record_id":"01890a5d-ac96-774b-bcce-b302099a8057","status":"teleported","reason":"moon_phase","extra":1}"#;
        let receipt: RecordReceipt = serde_json::from_str(json).unwrap();
        assert_eq!(receipt.status, RecordStatus::Unknown);
        assert_eq!(receipt.reason, Some(Reason::Unknown));
    }

    #[test]
    fn a_batch_without_voids_or_cards_parses() {
        let json = r#"{"batch_id":"01890a5d-ac96-774b-bcce-b302099a8057","sent_at":"2026-11-30T10:00:00Z",
            "records":[{"record_id":"01890a5d-ac96-774b-bcce-b302099a8058","member_id":"M1","activity_id":"A1",
            "scanned_at":"2026-11-30T09:59:00+08:00","method":"manual"}]}"#;
        let batch: BatchRequest = serde_json::from_str(json).unwrap();
        assert!(batch.voids.is_empty());
        assert_eq!(batch.records[0].card, None);
    }

    #[test]
    fn codes_round_trip() {
        for reason in Reason::ALL {
            assert_eq!(Reason::from_code(reason.code()), reason);
            assert_eq!(
                serde_json::to_string(&reason).unwrap(),
                format!("\"{}\"", reason.code())
            );
        }
        for status in [
            RecordStatus::Accepted,
            RecordStatus::Repeat,
            RecordStatus::Held,
        ] {
            assert_eq!(RecordStatus::from_code(status.code()), status);
        }
    }
}
