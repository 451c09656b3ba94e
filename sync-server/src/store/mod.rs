//! Storage: the contract every backend keeps ([`Storage`]), and its two
//! backends: SQLite (embedded, one host) and PostgreSQL (many server
//! instances on one database). The server holds an `Arc<dyn Storage>` and
//! never knows which; decisions are made in `domain`, not here.

/// The statuses that count toward points, as an SQL list for `status IN`.
/// The rule is `RecordStatus::counts` in `shared`; a test holds this list
/// to it. (A macro, so that queries stay `&'static str` for statement
/// caches; defined before the modules below, which see it.)
macro_rules! counting {
    () => {
        "('accepted', 'repeat')"
    };
}

pub mod dataset;
pub mod model;
pub mod postgres;
pub mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use baodao_shared::card::{Card, CardKey, CardRefusal, KeyId};
use baodao_shared::protocol::{
    BatchReceipt, Enrolment, Heartbeat, MemberPoints, RosterEntry, Snapshot,
};
use baodao_shared::{Activity, ActivityId, Community, KioskId, Member, MemberId, Policy};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use dataset::DataSet;
pub use model::{
    ActivityTurnout, AuditEntry, CardWriter, Change, CommunityInfo, HeartbeatEntry, ImportSummary,
    Intake, IssuedCard, KeyInfo, Kiosk, KioskInfo, LoginFacts, MemberRecord, Organization,
    PeriodAttendance, Registration, Registry, ReportFilter, ReportRow, ReviewItem, SessionInfo,
};

use crate::domain::membership::MemberChange;
use crate::domain::office::{Decision, OfficeUser};
use crate::domain::schedule::ActivityDetails;
use crate::domain::session::Lockout;
use crate::domain::upload::Upload;
use crate::error::{Error, Result};

/// Each record's card after the signature check, in upload order (`None`
/// for a record without a card or a malformed item).
pub type Decoded = Vec<Option<std::result::Result<Card, CardRefusal>>>;

/// The storage contract. Every API and CLI command goes through it, and
/// the conformance suite (`tests/tests/conformance.rs`) runs the same
/// checks against each backend.
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// `sqlite` or `postgres`, for logs.
    fn backend(&self) -> &'static str;

    /// Whether the database answers (for `/readyz`).
    async fn ready(&self) -> Result<()>;

    /// Stores a batch in one transaction and says what happened to each
    /// record and void. Idempotent by record id, also when two instances
    /// receive the same batch at once.
    async fn ingest(
        &self,
        intake: Intake,
        upload: Arc<Upload>,
        decoded: Decoded,
    ) -> Result<BatchReceipt>;

    /// What `kiosk` needs offline: everything, or what changed since a
    /// cursor of this database's current epoch.
    async fn snapshot(
        &self,
        kiosk: Kiosk,
        since: Option<u64>,
        epoch: Option<u64>,
        now: DateTime<Utc>,
        policy: Policy,
    ) -> Result<Snapshot>;

    /// One member's standing in `year`; `None` for an unknown member, or
    /// one outside `community`'s scope when it is given.
    async fn member_points(
        &self,
        member_id: MemberId,
        community: Option<Community>,
        year: i32,
        policy: Policy,
    ) -> Result<Option<MemberPoints>>;

    /// Makes the stored tally (attended activities per member and year,
    /// which the database keeps as records change) count the years of
    /// `zone`, recounting it from the records when it counted another
    /// zone's; says whether it recounted. Until then, and for a report in
    /// another zone, reports count from the records.
    async fn keep_tally_in(&self, zone: chrono_tz::Tz) -> Result<bool>;

    /// Every member's standing in `year`, members without points included,
    /// ordered by member id. Computed by the database.
    async fn points_report(
        &self,
        year: i32,
        policy: Policy,
        filter: ReportFilter,
    ) -> Result<Vec<ReportRow>>;

    /// Adds or updates members in one transaction; unchanged rows are not
    /// touched, so incremental snapshots carry only real changes.
    /// Adds or updates members, in one transaction with the audit entry
    /// of `change` (`members.import`, with what it changed).
    async fn upsert_members(&self, members: Vec<Member>, change: Change) -> Result<ImportSummary>;
    /// Adds or updates activities, with the audit entry of `change`.
    async fn upsert_activities(
        &self,
        activities: Vec<Activity>,
        change: Change,
    ) -> Result<ImportSummary>;
    async fn member(&self, member_id: MemberId) -> Result<Option<RosterEntry>>;

    /// Records the public half of an office key, refusing a different key
    /// under an id already in use (a swapped key file would void every card).
    async fn register_card_key(&self, key: CardKey, now: DateTime<Utc>) -> Result<()>;
    /// The keys cards may be signed with: every key not retired.
    async fn card_keys(&self) -> Result<Vec<CardKey>>;
    /// Every key ever registered, retired ones included, by id.
    async fn card_key_list(&self) -> Result<Vec<KeyInfo>>;
    /// The id a new signing key gets: one past every id used so far.
    async fn next_key_id(&self) -> Result<KeyId>;
    async fn retire_card_key(&self, key_id: KeyId, now: DateTime<Utc>) -> Result<()>;
    /// Issues a new card to each member (each once) and revokes their
    /// previous ones, in one transaction: `write` gets the serials and must
    /// write the cards out (a PNG, a sheet of them), or nothing is recorded.
    async fn issue_cards(
        &self,
        member_ids: Vec<MemberId>,
        key_id: KeyId,
        expires_on: NaiveDate,
        now: DateTime<Utc>,
        write: CardWriter,
    ) -> Result<Vec<IssuedCard>>;
    /// Revokes a card (lost, or the member left) without issuing a new one.
    async fn revoke_card(&self, serial: u32, now: DateTime<Utc>) -> Result<()>;

    async fn register_kiosk(
        &self,
        name: String,
        community: Community,
        secret: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Registration>;
    async fn revoke_kiosk(&self, kiosk_id: KioskId, now: DateTime<Utc>) -> Result<()>;
    /// The kiosk a bearer token belongs to, if registered and not revoked.
    async fn authenticate(&self, token: String) -> Result<Option<Kiosk>>;
    /// Every kiosk, with its latest heartbeat.
    async fn kiosks(&self) -> Result<Vec<KioskInfo>>;
    /// Keeps an enrolment code (its hash) for an active kiosk, good until
    /// `expires_at`.
    async fn add_enrol_code(
        &self,
        kiosk_id: KioskId,
        code_hash: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Exchanges a code for a new token (`secret`'s) of its kiosk, as
    /// `domain::enrolment::judge` decides, in one transaction: the code is
    /// used up and the kiosk's previous token stops working. Two kiosks
    /// racing with one code: one wins, the other hears `enrol_code_used`.
    async fn redeem_enrol_code(
        &self,
        code_hash: String,
        secret: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Enrolment>;
    /// Stores a kiosk's heartbeat (the kiosk is seen at `now`, its clock
    /// `clock_offset_ms` behind), dropping its heartbeats older than
    /// `domain::heartbeat::HISTORY`.
    async fn record_heartbeat(
        &self,
        kiosk_id: KioskId,
        heartbeat: Heartbeat,
        now: DateTime<Utc>,
        clock_offset_ms: i64,
    ) -> Result<()>;
    /// A kiosk's kept heartbeats, newest first, at most `limit`.
    async fn heartbeats(&self, kiosk_id: KioskId, limit: u32) -> Result<Vec<HeartbeatEntry>>;

    /// Gives the database a new identity: every kiosk's cursor becomes
    /// foreign and its next snapshot is a full one (after a restore or a
    /// migration, when cursors kiosks hold may mean nothing here).
    async fn new_epoch(&self) -> Result<u64>;

    /// Writes a consistent copy of the database to `out` while it is in
    /// use (SQLite); PostgreSQL is backed up with `pg_dump`.
    async fn backup(&self, out: PathBuf) -> Result<()>;

    /// Adds an office user (the password already hashed).
    async fn add_office_user(
        &self,
        user: OfficeUser,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Stores an API token's hash for `username`.
    async fn add_office_token(
        &self,
        username: String,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Every office user, by name.
    async fn office_users(&self) -> Result<Vec<OfficeUser>>;
    /// Revokes every API token of `username`; answers how many.
    async fn revoke_office_tokens(&self, username: String, now: DateTime<Utc>) -> Result<u64>;
    /// The office user an API token belongs to, if it is not revoked.
    async fn office_authenticate(&self, token: String) -> Result<Option<OfficeUser>>;
    /// Held and refused records, oldest first, of `scope`'s communities
    /// (all when `None`), at most `limit`.
    async fn review_queue(
        &self,
        scope: Option<Vec<Community>>,
        limit: u32,
    ) -> Result<Vec<ReviewItem>>;
    /// How many records wait in `scope`'s review queue (all when `None`).
    async fn review_count(&self, scope: Option<Vec<Community>>) -> Result<u64>;
    /// Decides on a held or refused record as `user` (`domain::office`
    /// rules), in one transaction with its audit entry; answers the record
    /// as it now is.
    async fn review(
        &self,
        record_id: Uuid,
        decision: Decision,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem>;
    /// Enters attendance after the fact (from a paper list) as `user`: a
    /// counting record of the activity's community, with its audit entry.
    async fn enter_attendance(
        &self,
        member_id: MemberId,
        activity_id: ActivityId,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem>;
    /// Voids a record as `user`, with its audit entry; the points follow.
    async fn office_void(
        &self,
        record_id: Uuid,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem>;
    /// Writes an audit entry for `change`: `action` done to `subject`,
    /// with what it is now.
    async fn audit(
        &self,
        change: Change,
        action: String,
        subject: String,
        after: Option<String>,
    ) -> Result<()>;
    /// Changes a membership as `user` (`domain::membership` rules), with
    /// its audit entry; kiosks hear of it at their next snapshot.
    async fn change_member(
        &self,
        member_id: MemberId,
        change: MemberChange,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<RosterEntry>;
    /// Creates or edits an activity as `user` (`domain::schedule` rules),
    /// with its audit entry.
    async fn save_activity(
        &self,
        activity: Activity,
        details: ActivityDetails,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Cancels an activity as `user`: it leaves the kiosks at their next
    /// snapshot, and its counting records are held (`activity_cancelled`);
    /// answers how many. With its audit entry.
    async fn cancel_activity(
        &self,
        activity_id: ActivityId,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<u64>;
    /// The counted, unvoided attendances of members of `organization`
    /// (its name) at activities starting in `from..to`, of `scope`'s
    /// communities (all when `None`), by member and start.
    async fn period_attendance(
        &self,
        organization: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<Vec<Community>>,
    ) -> Result<Vec<PeriodAttendance>>;
    /// Every record of a member, by corrected time, with whether it was
    /// voided and its activity's title and start.
    async fn member_records(&self, member_id: MemberId) -> Result<Vec<MemberRecord>>;
    /// The registry of communities and organisations, by id.
    async fn registry(&self) -> Result<Registry>;
    /// Adds or updates communities (a name stays unique), with the audit
    /// entry of `change`.
    async fn upsert_communities(
        &self,
        communities: Vec<CommunityInfo>,
        change: Change,
    ) -> Result<ImportSummary>;
    /// Adds or updates organisations and their pairings; a renamed one's
    /// members carry the new name. With the audit entry of `change`.
    async fn upsert_organizations(
        &self,
        organizations: Vec<Organization>,
        change: Change,
    ) -> Result<ImportSummary>;
    /// The latest changes, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>>;

    /// What a console login of `username` is decided on.
    async fn login_facts(&self, username: String) -> Result<Option<LoginFacts>>;
    /// Counts a wrong password for `username` (atomically, whichever
    /// instance answers) and locks the account as `lockout` says; answers
    /// until when it is locked.
    async fn login_failed(
        &self,
        username: String,
        lockout: Lockout,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>>;
    /// Starts a session for `username` (the secret already hashed) and
    /// clears its wrong-password count; drops sessions idle too long.
    async fn open_session(
        &self,
        username: String,
        secret_hash: String,
        csrf: String,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The live session with this secret's hash, marked used at `now`; an
    /// idle one is ended and answers `None`.
    async fn session(&self, secret_hash: String, now: DateTime<Utc>)
    -> Result<Option<SessionInfo>>;
    /// Ends a session (logout).
    async fn close_session(&self, secret_hash: String) -> Result<()>;
    /// Activities starting in `from..to`, of `scope`'s communities (all
    /// when `None`), by start, with their turnout.
    async fn activities_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<Vec<Community>>,
    ) -> Result<Vec<ActivityTurnout>>;

    /// Rows per table (`members`, `activities`, ... `visitors`), for
    /// `migrate` to compare two databases.
    async fn table_counts(&self) -> Result<Vec<(&'static str, u64)>>;
}

/// Where the data lives, as `--database` / `BAODAO_DATABASE_URL` say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH` (or a plain path).
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Self::Postgres(text.to_owned()));
        }
        let path = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
            .unwrap_or(text);
        if path.is_empty() || text.contains("://") && !text.starts_with("sqlite") {
            return Err(Error::Config(format!(
                "database {:?}: expected sqlite:PATH or postgres://USER@HOST/DB",
                redact(text)
            )));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// For logs: a PostgreSQL URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{}", path.display()),
            Self::Postgres(url) => redact(url),
        }
    }
}

/// Hides the password of a `scheme://user:password@host` URL.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Opens (creating and migrating when needed) the database at `url`, its
/// tally counting the years of `zone` (the policy's).
pub async fn open(
    url: &DatabaseUrl,
    pool_size: usize,
    zone: chrono_tz::Tz,
) -> Result<Arc<dyn Storage>> {
    let store: Arc<dyn Storage> = match url {
        DatabaseUrl::Sqlite(path) => Arc::new(sqlite::SqliteStorage::open(path).await?),
        DatabaseUrl::Postgres(url) => Arc::new(postgres::PgStorage::connect(url, pool_size).await?),
    };
    let started = std::time::Instant::now();
    if store.keep_tally_in(zone).await? {
        tracing::info!(
            zone = zone.name(),
            seconds = started.elapsed().as_secs_f64(),
            "counted every member's points per year from the records"
        );
    }
    Ok(store)
}

/// The SQLite file of a data directory, the default database.
pub fn default_sqlite(data_dir: &Path) -> DatabaseUrl {
    DatabaseUrl::Sqlite(data_dir.join("baodao.sqlite"))
}

#[cfg(test)]
mod tests {
    use baodao_shared::protocol::RecordStatus;

    use super::*;

    #[test]
    fn the_sql_list_of_counting_statuses_is_the_shared_rule() {
        let listed: Vec<&str> = counting!()
            .trim_matches(['(', ')'])
            .split(',')
            .map(|s| s.trim().trim_matches('\''))
            .collect();
        let counting: Vec<&str> = [
            RecordStatus::Accepted,
            RecordStatus::AlreadyReceived,
            RecordStatus::Repeat,
            RecordStatus::Held,
            RecordStatus::Rejected,
            RecordStatus::Unknown,
        ]
        .into_iter()
        .filter(|s| s.counts())
        .map(RecordStatus::code)
        .collect();
        assert_eq!(listed, counting);
    }

    #[test]
    fn urls_name_their_backend_and_logs_hide_passwords() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:/var/lib/baodao/baodao.sqlite").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/baodao/baodao.sqlite".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/db.sqlite").unwrap(),
            DatabaseUrl::Sqlite("data/db.sqlite".into())
        );
        let pg = DatabaseUrl::parse("postgres://baodao:s3cret@db.example/baodao").unwrap();
        assert_eq!(pg.redacted(), "postgres://baodao:***@db.example/baodao");
        assert!(DatabaseUrl::parse("mysql://x@y/z").is_err());
        assert!(DatabaseUrl::parse("sqlite:").is_err());
    }
}
