//! A whole data set as rows, backend-neutral: what `migrate` reads from one
//! database and writes to another. Keys are kept, so every reference
//! (records to members, cards to keys) means the same on both sides.

use uuid::Uuid;

/// The tables `migrate` copies and compares, in an order that respects
/// references. Left behind on purpose: console sessions (log in again),
/// enrolment codes (a day's worth; make new ones) and kiosk heartbeats (two
/// hours of them; the kiosks send the next within a minute).
pub const TABLES: [&str; 15] = [
    "members",
    "activities",
    "card_keys",
    "cards",
    "kiosks",
    "batches",
    "attendance",
    "voids",
    "visitors",
    "office_users",
    "office_tokens",
    "audit",
    "communities",
    "organizations",
    "pairings",
];

/// Every row of a database. Times are Unix milliseconds, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSet {
    pub members: Vec<MemberRow>,
    pub activities: Vec<ActivityRow>,
    pub card_keys: Vec<CardKeyRow>,
    pub cards: Vec<CardRow>,
    pub kiosks: Vec<KioskRow>,
    pub batches: Vec<BatchRow>,
    pub attendance: Vec<AttendanceRow>,
    pub voids: Vec<VoidRow>,
    pub visitors: Vec<VisitorRow>,
    pub office_users: Vec<OfficeUserRow>,
    pub office_tokens: Vec<OfficeTokenRow>,
    pub audit: Vec<AuditRow>,
    pub communities: Vec<CommunityRow>,
    pub organizations: Vec<OrganizationRow>,
    pub pairings: Vec<PairingRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityRow {
    pub community_id: String,
    pub name: String,
    pub subdistrict: String,
    pub district: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRow {
    pub organization_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingRow {
    pub organization_id: String,
    pub community_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub member_key: i64,
    pub member_id: String,
    pub name: String,
    pub organization: String,
    pub community: String,
    pub card_serial: Option<i64>,
    pub visits_elsewhere: bool,
    pub inactive_since: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub activity_key: i64,
    pub activity_id: String,
    pub title: String,
    pub kind: String,
    pub community: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardKeyRow {
    pub key_id: i64,
    pub public_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    pub serial: i64,
    pub member_id: String,
    pub key_id: i64,
    pub issued_at: i64,
    pub expires_on: String,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskRow {
    pub kiosk_id: String,
    pub name: String,
    pub community: String,
    pub token_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub last_clock_offset_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub batch_id: Uuid,
    pub kiosk_id: String,
    pub sent_at: i64,
    pub received_at: i64,
    pub clock_offset_ms: i64,
    pub records: i64,
    pub voids: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    pub record_id: Uuid,
    pub kiosk_id: String,
    pub batch_id: Uuid,
    pub member_id: String,
    pub activity_id: String,
    pub member_key: Option<i64>,
    pub activity_key: Option<i64>,
    pub scanned_at: i64,
    pub corrected_at: i64,
    pub method: String,
    pub card: Option<String>,
    pub received_at: i64,
    pub status: String,
    pub reason: Option<String>,
    pub community: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidRow {
    pub record_id: Uuid,
    pub community: String,
    pub kiosk_id: String,
    pub batch_id: Uuid,
    pub reason: String,
    pub voided_at: Option<i64>,
    pub received_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorRow {
    pub community: String,
    pub member_key: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeUserRow {
    pub user_id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub communities: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeTokenRow {
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub audit_id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub note: String,
}
