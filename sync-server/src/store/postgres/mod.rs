//! PostgreSQL storage, for a district or a city: many stateless server
//! instances share one database through a connection pool each
//! (tokio-postgres + deadpool). Nothing a request needs is kept in one
//! process: every fact is read from the database in the request's
//! transaction.
//!
//! Concurrency: a batch is one READ COMMITTED transaction that first takes
//! a transaction-scoped advisory lock on its kiosk, so two instances given
//! the same batch (a retry after a timeout) decide it one after the other
//! and the second answers `already_received`. Different kiosks never wait
//! for each other. Snapshot cursors are transaction ids: see `snapshot.rs`.

mod admin;
mod ingest;
mod office;
mod registry;
mod sessions;
mod snapshot;
mod tally;
mod transfer;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use baodao_shared::card::{CardKey, KeyId};
use baodao_shared::protocol::{
    BatchReceipt, Enrolment, Heartbeat, MemberPoints, RosterEntry, Snapshot,
};
use baodao_shared::{Activity, ActivityId, Community, KioskId, Member, MemberId, Policy};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::domain::upload::Upload;
use crate::error::{Error, Result};
use uuid::Uuid;

use crate::domain::membership::MemberChange;
use crate::domain::office::{Decision, OfficeUser};
use crate::domain::schedule::ActivityDetails;
use crate::domain::session::Lockout;
use crate::store::{
    ActivityTurnout, AuditEntry, CardWriter, Change, CommunityInfo, DataSet, Decoded,
    HeartbeatEntry, ImportSummary, Intake, IssuedCard, KeyInfo, Kiosk, KioskInfo, LoginFacts,
    MemberRecord, Organization, PeriodAttendance, Registration, Registry, ReportFilter, ReportRow,
    ReviewItem, SessionInfo, Storage,
};

refinery::embed_migrations!("migrations/postgres");

/// The row's writer, as the `seq` columns store it.
const XID: &str = "pg_current_xact_id()::text::bigint";

/// Serialises schema migrations of instances starting at once.
const MIGRATION_LOCK: i64 = 0x62_616f_6461_6f01;

/// How often a transaction that lost a deadlock or a serialization race is
/// tried again before the error reaches the client (who retries anyway).
const ATTEMPTS: usize = 3;

/// Awaits `$attempt` (an expression making a fresh future each time) and
/// makes it again when it lost a deadlock or a serialization race, up to
/// [`ATTEMPTS`] times: writes that move the tally's counts lock members,
/// and two of them may meet in opposite orders.
macro_rules! retrying {
    ($what:literal, $attempt:expr) => {{
        let mut attempt = 1;
        loop {
            match $attempt.await {
                Err(e) if attempt < ATTEMPTS && is_retryable(&e) => {
                    tracing::info!(error = %e, attempt, what = $what, "lost a race; trying again");
                    attempt += 1;
                }
                other => break other,
            }
        }
    }};
}

/// PostgreSQL behind the storage contract.
#[derive(Clone)]
pub struct PgStorage {
    pool: Pool,
}

impl std::fmt::Debug for PgStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStorage")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PgStorage {
    /// Connects a pool of `pool_size` connections and brings the schema up
    /// to date.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| Error::Config(format!("database URL: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .wait_timeout(Some(std::time::Duration::from_secs(30)))
            .build()
            .map_err(|e| Error::Config(format!("database pool: {e}")))?;
        let storage = Self { pool };
        storage.migrate().await?;
        Ok(storage)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let pg: &mut tokio_postgres::Client = &mut client;
        let outcome = migrations::runner().run_async(pg).await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await?;
        outcome.map_err(|e| Error::Database(Box::new(e)))?;
        Ok(())
    }

    /// Adds `data` in one transaction, keeping every key; rows already
    /// here (a re-run) are left as they are.
    pub async fn import(&self, data: &DataSet) -> Result<()> {
        let mut client = self.client().await?;
        transfer::import(&mut client, data).await
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Error::Database(Box::new(other)),
        })
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Error::Database(Box::new(e))
    }
}

/// Whether `e` is a lost race PostgreSQL asks the client to retry.
fn is_retryable(e: &Error) -> bool {
    use tokio_postgres::error::SqlState;
    let Error::Database(source) = e else {
        return false;
    };
    source
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::code)
        .is_some_and(|code| {
            *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE
        })
}

fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| Error::Internal(format!("time {ms} ms out of range in the database")))
}

/// Parses a text column into a domain value.
fn parse<T: std::str::FromStr>(column: &str, text: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| Error::Internal(format!("{column} {text:?} in the database: {e}")))
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[async_trait]
impl Storage for PgStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ready(&self) -> Result<()> {
        self.client().await?.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn ingest(
        &self,
        intake: Intake,
        upload: Arc<Upload>,
        decoded: Decoded,
    ) -> Result<BatchReceipt> {
        let mut client = self.client().await?;
        retrying!(
            "batch",
            ingest::ingest(&mut client, &intake, &upload, &decoded)
        )
    }

    async fn snapshot(
        &self,
        kiosk: Kiosk,
        since: Option<u64>,
        epoch: Option<u64>,
        now: DateTime<Utc>,
        policy: Policy,
    ) -> Result<Snapshot> {
        let mut client = self.client().await?;
        snapshot::snapshot(&mut client, &kiosk, since, epoch, now, &policy).await
    }

    async fn member_points(
        &self,
        member_id: MemberId,
        community: Option<Community>,
        year: i32,
        policy: Policy,
    ) -> Result<Option<MemberPoints>> {
        let client = self.client().await?;
        snapshot::member_points_of(&client, &member_id, community.as_ref(), year, &policy).await
    }

    async fn keep_tally_in(&self, zone: chrono_tz::Tz) -> Result<bool> {
        let mut client = self.client().await?;
        tally::keep_in(&mut client, zone).await
    }

    async fn points_report(
        &self,
        year: i32,
        policy: Policy,
        filter: ReportFilter,
    ) -> Result<Vec<ReportRow>> {
        let mut client = self.client().await?;
        snapshot::points_report(&mut client, year, &policy, &filter).await
    }

    async fn upsert_members(&self, members: Vec<Member>, change: Change) -> Result<ImportSummary> {
        let mut client = self.client().await?;
        admin::upsert_members(&mut client, &members, &change).await
    }

    async fn upsert_activities(
        &self,
        activities: Vec<Activity>,
        change: Change,
    ) -> Result<ImportSummary> {
        let mut client = self.client().await?;
        retrying!(
            "activities import",
            admin::upsert_activities(&mut client, &activities, &change)
        )
    }

    async fn member(&self, member_id: MemberId) -> Result<Option<RosterEntry>> {
        let client = self.client().await?;
        admin::member(&client, &member_id).await
    }

    async fn register_card_key(&self, key: CardKey, now: DateTime<Utc>) -> Result<()> {
        let mut client = self.client().await?;
        admin::register_card_key(&mut client, &key, now).await
    }

    async fn card_keys(&self) -> Result<Vec<CardKey>> {
        let client = self.client().await?;
        admin::card_keys(&client).await
    }

    async fn card_key_list(&self) -> Result<Vec<KeyInfo>> {
        let client = self.client().await?;
        admin::card_key_list(&client).await
    }

    async fn next_key_id(&self) -> Result<KeyId> {
        let client = self.client().await?;
        admin::next_key_id(&client).await
    }

    async fn retire_card_key(&self, key_id: KeyId, now: DateTime<Utc>) -> Result<()> {
        let client = self.client().await?;
        admin::retire_card_key(&client, key_id, now).await
    }

    async fn issue_cards(
        &self,
        member_ids: Vec<MemberId>,
        key_id: KeyId,
        expires_on: NaiveDate,
        now: DateTime<Utc>,
        write: CardWriter,
    ) -> Result<Vec<IssuedCard>> {
        let mut client = self.client().await?;
        admin::issue_cards(&mut client, &member_ids, key_id, expires_on, now, write).await
    }

    async fn revoke_card(&self, serial: u32, now: DateTime<Utc>) -> Result<()> {
        let mut client = self.client().await?;
        admin::revoke_card(&mut client, serial, now).await
    }

    async fn register_kiosk(
        &self,
        name: String,
        community: Community,
        secret: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Registration> {
        let mut client = self.client().await?;
        admin::register_kiosk(&mut client, &name, &community, &secret, now).await
    }

    async fn revoke_kiosk(&self, kiosk_id: KioskId, now: DateTime<Utc>) -> Result<()> {
        let client = self.client().await?;
        admin::revoke_kiosk(&client, &kiosk_id, now).await
    }

    async fn authenticate(&self, token: String) -> Result<Option<Kiosk>> {
        let client = self.client().await?;
        admin::authenticate(&client, &token).await
    }

    async fn kiosks(&self) -> Result<Vec<KioskInfo>> {
        let client = self.client().await?;
        admin::kiosks(&client).await
    }

    async fn add_enrol_code(
        &self,
        kiosk_id: KioskId,
        code_hash: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let client = self.client().await?;
        admin::add_enrol_code(&client, &kiosk_id, &code_hash, now, expires_at).await
    }

    async fn redeem_enrol_code(
        &self,
        code_hash: String,
        secret: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Enrolment> {
        let mut client = self.client().await?;
        admin::redeem_enrol_code(&mut client, &code_hash, &secret, now).await
    }

    async fn record_heartbeat(
        &self,
        kiosk_id: KioskId,
        heartbeat: Heartbeat,
        now: DateTime<Utc>,
        clock_offset_ms: i64,
    ) -> Result<()> {
        let mut client = self.client().await?;
        admin::record_heartbeat(&mut client, &kiosk_id, &heartbeat, now, clock_offset_ms).await
    }

    async fn heartbeats(&self, kiosk_id: KioskId, limit: u32) -> Result<Vec<HeartbeatEntry>> {
        let client = self.client().await?;
        admin::heartbeats(&client, &kiosk_id, limit).await
    }

    async fn new_epoch(&self) -> Result<u64> {
        let client = self.client().await?;
        let value: i64 = client
            .query_one(
                "UPDATE meta SET value = floor(random() * 4294967294)::bigint + 1
                 WHERE key = 'epoch' RETURNING value",
                &[],
            )
            .await?
            .get(0);
        Ok(u64::try_from(value).unwrap_or_default())
    }

    async fn backup(&self, _out: PathBuf) -> Result<()> {
        Err(Error::Invalid(
            "a PostgreSQL database is backed up with pg_dump (see docs/scale-out.md)".into(),
        ))
    }

    async fn add_office_user(
        &self,
        user: OfficeUser,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let client = self.client().await?;
        office::add_office_user(&client, &user, &password_hash, now).await
    }

    async fn add_office_token(
        &self,
        username: String,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let client = self.client().await?;
        office::add_office_token(&client, &username, &token_hash, now).await
    }

    async fn revoke_office_tokens(&self, username: String, now: DateTime<Utc>) -> Result<u64> {
        let client = self.client().await?;
        office::revoke_office_tokens(&client, &username, now).await
    }

    async fn office_users(&self) -> Result<Vec<OfficeUser>> {
        let client = self.client().await?;
        office::office_users(&client).await
    }

    async fn office_authenticate(&self, token: String) -> Result<Option<OfficeUser>> {
        let client = self.client().await?;
        office::office_authenticate(&client, &token).await
    }

    async fn review_queue(
        &self,
        scope: Option<Vec<Community>>,
        limit: u32,
    ) -> Result<Vec<ReviewItem>> {
        let client = self.client().await?;
        office::review_queue(&client, scope.as_deref(), limit).await
    }

    async fn review_count(&self, scope: Option<Vec<Community>>) -> Result<u64> {
        let client = self.client().await?;
        office::review_count(&client, scope.as_deref()).await
    }

    async fn review(
        &self,
        record_id: Uuid,
        decision: Decision,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        let mut client = self.client().await?;
        retrying!(
            "review",
            office::review(&mut client, record_id, decision, &user, &note, now)
        )
    }

    async fn enter_attendance(
        &self,
        member_id: MemberId,
        activity_id: ActivityId,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        let mut client = self.client().await?;
        retrying!(
            "attendance entry",
            office::enter_attendance(&mut client, &member_id, &activity_id, &user, &note, now)
        )
    }

    async fn office_void(
        &self,
        record_id: Uuid,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        let mut client = self.client().await?;
        retrying!(
            "void",
            office::office_void(&mut client, record_id, &user, &note, now)
        )
    }

    async fn login_facts(&self, username: String) -> Result<Option<LoginFacts>> {
        let client = self.client().await?;
        sessions::login_facts(&client, &username).await
    }

    async fn login_failed(
        &self,
        username: String,
        lockout: Lockout,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let client = self.client().await?;
        sessions::login_failed(&client, &username, lockout, now).await
    }

    async fn open_session(
        &self,
        username: String,
        secret_hash: String,
        csrf: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut client = self.client().await?;
        sessions::open_session(&mut client, &username, &secret_hash, &csrf, now).await
    }

    async fn session(
        &self,
        secret_hash: String,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionInfo>> {
        let client = self.client().await?;
        sessions::session(&client, &secret_hash, now).await
    }

    async fn close_session(&self, secret_hash: String) -> Result<()> {
        let client = self.client().await?;
        sessions::close_session(&client, &secret_hash).await
    }

    async fn activities_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<Vec<Community>>,
    ) -> Result<Vec<ActivityTurnout>> {
        let client = self.client().await?;
        sessions::activities_between(&client, from, to, scope.as_deref()).await
    }

    async fn audit(
        &self,
        change: Change,
        action: String,
        subject: String,
        after: Option<String>,
    ) -> Result<()> {
        let client = self.client().await?;
        admin::audit_change(
            &**client,
            &change,
            &action,
            &subject,
            (None, after.as_deref()),
        )
        .await
    }

    async fn change_member(
        &self,
        member_id: MemberId,
        change: MemberChange,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<RosterEntry> {
        let mut client = self.client().await?;
        admin::change_member(&mut client, &member_id, &change, &user, &note, now).await
    }

    async fn save_activity(
        &self,
        activity: Activity,
        details: ActivityDetails,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut client = self.client().await?;
        retrying!(
            "activity",
            admin::save_activity(&mut client, &activity, &details, &user, &note, now)
        )
    }

    async fn cancel_activity(
        &self,
        activity_id: ActivityId,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut client = self.client().await?;
        retrying!(
            "cancellation",
            admin::cancel_activity(&mut client, &activity_id, &user, &note, now)
        )
    }

    async fn period_attendance(
        &self,
        organization: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<Vec<Community>>,
    ) -> Result<Vec<PeriodAttendance>> {
        let client = self.client().await?;
        office::period_attendance(&client, &organization, from, to, scope.as_deref()).await
    }

    async fn member_records(&self, member_id: MemberId) -> Result<Vec<MemberRecord>> {
        let client = self.client().await?;
        office::member_records(&client, member_id.as_str()).await
    }

    async fn registry(&self) -> Result<Registry> {
        let client = self.client().await?;
        registry::registry(&client).await
    }

    async fn upsert_communities(
        &self,
        communities: Vec<CommunityInfo>,
        change: Change,
    ) -> Result<ImportSummary> {
        let mut client = self.client().await?;
        registry::upsert_communities(&mut client, &communities, &change).await
    }

    async fn upsert_organizations(
        &self,
        organizations: Vec<Organization>,
        change: Change,
    ) -> Result<ImportSummary> {
        let mut client = self.client().await?;
        registry::upsert_organizations(&mut client, &organizations, &change).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let client = self.client().await?;
        office::audit_log(&client, limit).await
    }

    async fn table_counts(&self) -> Result<Vec<(&'static str, u64)>> {
        let client = self.client().await?;
        transfer::table_counts(&client).await
    }
}
