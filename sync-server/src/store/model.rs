//! What the storage contract speaks in: the values every backend takes and
//! returns, independent of SQL.

use std::collections::HashMap;

use baodao_shared::bounds;
use baodao_shared::card::CardKey;
use baodao_shared::protocol::{MemberPoints, Reason, RecordStatus};
use baodao_shared::{Community, KioskId, MemberId};
use baodao_shared::{MemberYear, Policy};
use chrono::{DateTime, Duration, Utc};

use crate::domain::ingest::Arrival;

/// An authenticated kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub kiosk_id: KioskId,
    pub community: Community,
}

/// A new kiosk and the token it must keep; the token is shown only once.
#[derive(Debug)]
pub struct Registration {
    pub kiosk: Kiosk,
    pub token: String,
}

#[derive(Debug, Clone)]
pub struct KioskInfo {
    pub kiosk: Kiosk,
    pub name: String,
    pub revoked: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_clock_offset_ms: Option<i64>,
    /// The latest heartbeat, if the kiosk sent one.
    pub heartbeat: Option<HeartbeatEntry>,
}

/// One heartbeat as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatEntry {
    pub received_at: DateTime<Utc>,
    pub report: baodao_shared::protocol::Heartbeat,
}

impl HeartbeatEntry {
    /// From the stored JSON; `None` for a report this version cannot read.
    pub fn from_stored(received_at: DateTime<Utc>, json: &str) -> Option<Self> {
        serde_json::from_str(json).ok().map(|report| Self {
            received_at,
            report,
        })
    }
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "added {}, updated {}, unchanged {}",
            self.added, self.updated, self.unchanged
        )
    }
}

/// Who makes a change, when and why: its audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// An office user's name, or `cli` for the server's own commands.
    pub actor: String,
    pub at: DateTime<Utc>,
    /// E.g. the imported file's name.
    pub note: String,
}

impl Change {
    /// A change made by the server's command line.
    pub fn cli(note: impl Into<String>) -> Self {
        Self {
            actor: "cli".into(),
            at: Utc::now(),
            note: note.into(),
        }
    }
}

/// One line of the office's points report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub member_id: MemberId,
    pub name: String,
    pub organization: String,
    pub community: String,
    pub year: i32,
    pub attended: u32,
    pub points: u32,
}

/// Which members a points report lists (all by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Members of these communities only.
    pub communities: Option<Vec<Community>>,
    /// Members of this home organisation only (its exact name).
    pub organization: Option<String>,
}

impl ReportFilter {
    /// The communities as one comma-separated text (ids have no commas).
    pub fn communities_text(&self) -> Option<String> {
        self.communities
            .as_deref()
            .map(crate::domain::office::communities_text)
    }
}

/// A signing key as the office sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub key: CardKey,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// A card the office just issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCard {
    pub serial: u32,
    /// The member's previous card, now revoked.
    pub replaced: Option<u32>,
}

/// Writes new cards out (signs, renders, saves) given their serials, in
/// the order of the members; if it fails, no card is recorded.
pub type CardWriter = Box<dyn FnOnce(&[u32]) -> crate::Result<()> + Send>;

/// A record the server held or refused, with its evidence, for the
/// office's review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub record_id: uuid::Uuid,
    pub member_id: String,
    pub activity_id: String,
    /// The community of the kiosk that sent it.
    pub community: String,
    pub kiosk_id: String,
    /// `qr` or `manual`.
    pub method: String,
    pub status: RecordStatus,
    /// Why the server held or refused it (kept after a decision).
    pub reason: Option<Reason>,
    pub scanned_at: DateTime<Utc>,
    /// The scan time corrected for the kiosk's clock.
    pub corrected_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The activity's title and window, when the activity is known: what
    /// the scan time is judged against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_starts_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_ends_at: Option<DateTime<Utc>>,
}

/// A community as the office registered it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommunityInfo {
    pub community_id: Community,
    /// Its name, e.g. 灣子街社區 (unique).
    pub name: String,
    /// Its subdistrict (街道) and district (區), for roll-ups; may be empty.
    pub subdistrict: String,
    pub district: String,
}

/// A home organisation (an agency's party branch) and the communities it
/// is paired with (結對共建).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Organization {
    pub organization_id: String,
    /// Its name, e.g. 市住建局機關黨支部 (unique): members carry it.
    pub name: String,
    pub communities: Vec<Community>,
}

/// The office's registry of communities and organisations, indexed by id
/// and by name: a city's report looks a community up for each of its
/// million members, so a lookup must not walk thousands of communities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    communities: Vec<CommunityInfo>,
    organizations: Vec<Organization>,
    community_ids: HashMap<String, usize>,
    community_names: HashMap<String, usize>,
    organization_ids: HashMap<String, usize>,
    organization_names: HashMap<String, usize>,
}

impl Registry {
    /// The registry of `communities` and `organizations`, each organisation
    /// paired with the communities `pairs` give it (pairs naming an unknown
    /// organisation are left out, as the database's foreign keys would).
    pub fn new(
        communities: Vec<CommunityInfo>,
        mut organizations: Vec<Organization>,
        pairs: impl IntoIterator<Item = (String, Community)>,
    ) -> Self {
        let index = |keys: Vec<String>| -> HashMap<String, usize> {
            let mut map = HashMap::with_capacity(keys.len());
            for (i, key) in keys.into_iter().enumerate() {
                // The first wins, as a search from the front would.
                map.entry(key).or_insert(i);
            }
            map
        };
        let organization_ids = index(
            organizations
                .iter()
                .map(|o| o.organization_id.clone())
                .collect(),
        );
        for (organization, community) in pairs {
            if let Some(&i) = organization_ids.get(&organization) {
                organizations[i].communities.push(community);
            }
        }
        Self {
            community_ids: index(
                communities
                    .iter()
                    .map(|c| c.community_id.as_str().to_owned())
                    .collect(),
            ),
            community_names: index(communities.iter().map(|c| c.name.clone()).collect()),
            organization_names: index(organizations.iter().map(|o| o.name.clone()).collect()),
            organization_ids,
            communities,
            organizations,
        }
    }

    pub fn communities(&self) -> &[CommunityInfo] {
        &self.communities
    }

    pub fn organizations(&self) -> &[Organization] {
        &self.organizations
    }

    /// The community `text` names: its id, or its exact name.
    pub fn community(&self, text: &str) -> Option<&CommunityInfo> {
        self.community_with_id(text)
            .or_else(|| self.community_named(text))
    }

    pub fn community_with_id(&self, id: &str) -> Option<&CommunityInfo> {
        self.community_ids.get(id).map(|&i| &self.communities[i])
    }

    pub fn community_named(&self, name: &str) -> Option<&CommunityInfo> {
        self.community_names
            .get(name)
            .map(|&i| &self.communities[i])
    }

    /// The organisation `text` names: its id, or its exact name.
    pub fn organization(&self, text: &str) -> Option<&Organization> {
        self.organization_with_id(text)
            .or_else(|| self.organization_named(text))
    }

    pub fn organization_with_id(&self, id: &str) -> Option<&Organization> {
        self.organization_ids
            .get(id)
            .map(|&i| &self.organizations[i])
    }

    pub fn organization_named(&self, name: &str) -> Option<&Organization> {
        self.organization_names
            .get(name)
            .map(|&i| &self.organizations[i])
    }

    /// A community's name, or its id when it has none.
    pub fn community_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.community_ids
            .get(id)
            .map_or(id, |&i| self.communities[i].name.as_str())
    }
}

/// What a console login is decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFacts {
    pub user: crate::domain::office::OfficeUser,
    pub password_hash: String,
    /// Set after too many wrong passwords in a row.
    pub locked_until: Option<DateTime<Utc>>,
}

/// A live console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub user: crate::domain::office::OfficeUser,
    /// The token every state-changing form of this session carries.
    pub csrf: String,
}

/// An activity and how many members it counted so far.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ActivityTurnout {
    pub activity: baodao_shared::Activity,
    pub details: crate::domain::schedule::ActivityDetails,
    pub cancelled: bool,
    /// Distinct members with a counting, unvoided record.
    pub attended: u32,
}

/// One of a member's records, with what the office needs to explain it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MemberRecord {
    pub record: ReviewItem,
    pub voided: bool,
}

/// A counted attendance of a period, for an organisation's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodAttendance {
    pub member_id: String,
    pub activity_id: String,
    pub activity_title: String,
    pub starts_at: DateTime<Utc>,
}

/// One change in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The office user who made the change.
    pub actor: String,
    /// What was done, e.g. `review.accept`.
    pub action: String,
    /// What it was done to, e.g. `record:0192...`.
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub note: String,
}

/// The server's side of an upload.
#[derive(Debug, Clone)]
pub struct Intake {
    pub kiosk: Kiosk,
    pub received_at: DateTime<Utc>,
    pub policy: Policy,
    pub grace: Duration,
    /// The largest kiosk clock offset the server corrects; beyond it,
    /// records are held.
    pub max_clock_offset: Duration,
    /// Counting manual check-ins one kiosk may make for one activity.
    pub manual_limit: u32,
}

impl Intake {
    /// The kiosk's clock offset (server minus kiosk), bounded, and whether
    /// it was within the bound. (A difference of two chrono times always
    /// fits a `Duration`: its range is far wider than theirs.)
    pub fn clock_offset(&self, sent_at: DateTime<Utc>) -> (Duration, bool) {
        if bounds::check_time("sent_at", sent_at).is_err() {
            return (Duration::zero(), false);
        }
        let raw = self.received_at.signed_duration_since(sent_at);
        let bound = self.max_clock_offset;
        (raw.clamp(-bound, bound), raw.abs() <= bound)
    }

    /// What the domain's decision needs of the upload, made once a batch.
    pub fn arrival(&self, sent_at: DateTime<Utc>) -> Arrival<'_> {
        let (offset, clock_trusted) = self.clock_offset(sent_at);
        Arrival {
            kiosk_community: &self.kiosk.community,
            received_at: self.received_at,
            policy: &self.policy,
            grace: self.grace,
            offset,
            clock_trusted,
            manual_limit: self.manual_limit,
        }
    }

    /// The offset as measured, unbounded, for the batch's evidence.
    pub fn raw_offset_ms(&self, sent_at: DateTime<Utc>) -> i64 {
        self.received_at
            .signed_duration_since(sent_at)
            .num_milliseconds()
    }
}

/// The cursor a snapshot continues from: the kiosk's, when it belongs to
/// this database's epoch and is not from its future; `None` (everything)
/// otherwise. A cursor of another database, or of one since replaced by a
/// backup, must not leave the kiosk with a state the database never had.
pub fn usable_cursor(
    since: Option<u64>,
    epoch: Option<u64>,
    current_epoch: u64,
    cursor: i64,
) -> Option<i64> {
    since
        .filter(|_| epoch == Some(current_epoch))
        .and_then(|s| i64::try_from(s).ok())
        .filter(|&s| s <= cursor)
}

/// A member's standing in `year`, as the API answers it.
pub fn member_points(
    member_id: MemberId,
    year: i32,
    standing: MemberYear,
    policy: &Policy,
) -> MemberPoints {
    MemberPoints {
        member_id,
        year,
        points: standing.points,
        attended: standing.attended,
        cap: policy.annual_cap,
    }
}

/// The instant range of `year` in the policy's time zone: an activity
/// counts for `year` when it starts inside it. Queries filter on this
/// range, which an index can serve, rather than converting every start.
/// The first instant of the calendar day `day` in `zone` (the earliest,
/// where a clock change makes midnight twice); `None` where it has none.
pub fn day_start(zone: chrono_tz::Tz, day: chrono::NaiveDate) -> Option<DateTime<Utc>> {
    day.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(zone)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

pub fn year_range(policy: &Policy, year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| day_start(policy.time_zone, d))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    (start_of(year), start_of(year.saturating_add(1)))
}

/// The years the stored tally covers; reports of other years count from
/// the records.
pub const TALLY_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Each tallied year's first instant and the next year's, in milliseconds,
/// in `zone`: what the databases' `tally_years` table holds.
pub fn tally_years(zone: chrono_tz::Tz) -> Vec<(i32, i64, i64)> {
    let policy = Policy {
        time_zone: zone,
        ..Policy::default()
    };
    TALLY_YEARS
        .map(|year| {
            let (from, to) = year_range(&policy, year);
            (year, from.timestamp_millis(), to.timestamp_millis())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn only_a_cursor_of_this_epoch_and_not_from_the_future_is_used() {
        assert_eq!(usable_cursor(Some(5), Some(7), 7, 9), Some(5));
        assert_eq!(usable_cursor(Some(5), Some(8), 7, 9), None);
        assert_eq!(usable_cursor(Some(5), None, 7, 9), None);
        assert_eq!(usable_cursor(Some(10), Some(7), 7, 9), None);
        assert_eq!(usable_cursor(Some(u64::MAX), Some(7), 7, i64::MAX), None);
        assert_eq!(usable_cursor(None, Some(7), 7, 9), None);
    }

    proptest! {
        /// The range says the same as the shared rule's `year_of`.
        #[test]
        fn an_instant_is_in_the_range_of_the_year_the_rule_gives_it(ms in 946_684_800_000_i64..4_102_444_800_000) {
            let at = Utc.timestamp_millis_opt(ms).unwrap();
            for zone in [chrono_tz::Asia::Shanghai, chrono_tz::America::New_York, chrono_tz::Pacific::Kiritimati] {
                let policy = Policy { time_zone: zone, ..Policy::default() };
                let year = policy.year_of(at);
                let (from, to) = year_range(&policy, year);
                prop_assert!(from <= at && at < to, "{at} not in {from}..{to} for {zone}");
            }
        }
    }
}
