//! The storage contract over the blocking SQLite store: each call runs on
//! tokio's blocking pool, so a slow disk never stalls the async threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use baodao_shared::card::{CardKey, KeyId};
use baodao_shared::protocol::{
    BatchReceipt, Enrolment, Heartbeat, MemberPoints, RosterEntry, Snapshot,
};
use baodao_shared::{Activity, ActivityId, Community, KioskId, Member, MemberId, Policy};
use chrono::{DateTime, NaiveDate, Utc};

use super::Store;
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

/// SQLite behind the storage contract.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    store: Arc<Store>,
}

impl SqliteStorage {
    /// Opens (creating and migrating when needed) the database at `path`.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(Error::io(format!("creating {}", parent.display())))?;
        }
        let path = path.to_owned();
        let store = run(move || Store::open(&path)).await?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// Every row, read in one transaction, for `migrate`.
    pub async fn export(&self) -> Result<DataSet> {
        self.with(Store::export).await
    }

    /// Runs `f` with the store on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = Arc::clone(&self.store);
        run(move || f(&store)).await
    }
}

async fn run<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("database task failed: {e}")))?
}

#[async_trait]
impl Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ready(&self) -> Result<()> {
        self.with(|s| s.card_keys().map(drop)).await
    }

    async fn ingest(
        &self,
        intake: Intake,
        upload: Arc<Upload>,
        decoded: Decoded,
    ) -> Result<BatchReceipt> {
        self.with(move |s| s.ingest(&intake, &upload, &decoded))
            .await
    }

    async fn snapshot(
        &self,
        kiosk: Kiosk,
        since: Option<u64>,
        epoch: Option<u64>,
        now: DateTime<Utc>,
        policy: Policy,
    ) -> Result<Snapshot> {
        self.with(move |s| s.snapshot(&kiosk, since, epoch, now, &policy))
            .await
    }

    async fn member_points(
        &self,
        member_id: MemberId,
        community: Option<Community>,
        year: i32,
        policy: Policy,
    ) -> Result<Option<MemberPoints>> {
        self.with(move |s| s.member_points(&member_id, community.as_ref(), year, &policy))
            .await
    }

    async fn keep_tally_in(&self, zone: chrono_tz::Tz) -> Result<bool> {
        self.with(move |s| s.keep_tally_in(zone)).await
    }

    async fn points_report(
        &self,
        year: i32,
        policy: Policy,
        filter: ReportFilter,
    ) -> Result<Vec<ReportRow>> {
        self.with(move |s| s.points_report(year, &policy, &filter))
            .await
    }

    async fn upsert_members(&self, members: Vec<Member>, change: Change) -> Result<ImportSummary> {
        self.with(move |s| s.upsert_members(&members, &change))
            .await
    }

    async fn upsert_activities(
        &self,
        activities: Vec<Activity>,
        change: Change,
    ) -> Result<ImportSummary> {
        self.with(move |s| s.upsert_activities(&activities, &change))
            .await
    }

    async fn member(&self, member_id: MemberId) -> Result<Option<RosterEntry>> {
        self.with(move |s| s.member(&member_id)).await
    }

    async fn register_card_key(&self, key: CardKey, now: DateTime<Utc>) -> Result<()> {
        self.with(move |s| s.register_card_key(&key, now)).await
    }

    async fn card_keys(&self) -> Result<Vec<CardKey>> {
        self.with(Store::card_keys).await
    }

    async fn card_key_list(&self) -> Result<Vec<KeyInfo>> {
        self.with(Store::card_key_list).await
    }

    async fn next_key_id(&self) -> Result<KeyId> {
        self.with(Store::next_key_id).await
    }

    async fn retire_card_key(&self, key_id: KeyId, now: DateTime<Utc>) -> Result<()> {
        self.with(move |s| s.retire_card_key(key_id, now)).await
    }

    async fn issue_cards(
        &self,
        member_ids: Vec<MemberId>,
        key_id: KeyId,
        expires_on: NaiveDate,
        now: DateTime<Utc>,
        write: CardWriter,
    ) -> Result<Vec<IssuedCard>> {
        self.with(move |s| s.issue_cards(&member_ids, key_id, expires_on, now, write))
            .await
    }

    async fn revoke_card(&self, serial: u32, now: DateTime<Utc>) -> Result<()> {
        self.with(move |s| s.revoke_card(serial, now)).await
    }

    async fn register_kiosk(
        &self,
        name: String,
        community: Community,
        secret: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Registration> {
        self.with(move |s| s.register_kiosk(&name, &community, &secret, now))
            .await
    }

    async fn revoke_kiosk(&self, kiosk_id: KioskId, now: DateTime<Utc>) -> Result<()> {
        self.with(move |s| s.revoke_kiosk(&kiosk_id, now)).await
    }

    async fn authenticate(&self, token: String) -> Result<Option<Kiosk>> {
        self.with(move |s| s.authenticate(&token)).await
    }

    async fn kiosks(&self) -> Result<Vec<KioskInfo>> {
        self.with(Store::kiosks).await
    }

    async fn add_enrol_code(
        &self,
        kiosk_id: KioskId,
        code_hash: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.with(move |s| s.add_enrol_code(&kiosk_id, &code_hash, now, expires_at))
            .await
    }

    async fn redeem_enrol_code(
        &self,
        code_hash: String,
        secret: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Enrolment> {
        self.with(move |s| s.redeem_enrol_code(&code_hash, &secret, now))
            .await
    }

    async fn record_heartbeat(
        &self,
        kiosk_id: KioskId,
        heartbeat: Heartbeat,
        now: DateTime<Utc>,
        clock_offset_ms: i64,
    ) -> Result<()> {
        self.with(move |s| s.record_heartbeat(&kiosk_id, &heartbeat, now, clock_offset_ms))
            .await
    }

    async fn heartbeats(&self, kiosk_id: KioskId, limit: u32) -> Result<Vec<HeartbeatEntry>> {
        self.with(move |s| s.heartbeats(&kiosk_id, limit)).await
    }

    async fn new_epoch(&self) -> Result<u64> {
        self.with(Store::new_epoch).await
    }

    async fn backup(&self, out: PathBuf) -> Result<()> {
        self.with(move |s| s.backup(&out)).await
    }

    async fn add_office_user(
        &self,
        user: OfficeUser,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(move |s| s.add_office_user(&user, &password_hash, now))
            .await
    }

    async fn add_office_token(
        &self,
        username: String,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(move |s| s.add_office_token(&username, &token_hash, now))
            .await
    }

    async fn revoke_office_tokens(&self, username: String, now: DateTime<Utc>) -> Result<u64> {
        self.with(move |s| s.revoke_office_tokens(&username, now))
            .await
    }

    async fn office_users(&self) -> Result<Vec<OfficeUser>> {
        self.with(Store::office_users).await
    }

    async fn office_authenticate(&self, token: String) -> Result<Option<OfficeUser>> {
        self.with(move |s| s.office_authenticate(&token)).await
    }

    async fn review_queue(
        &self,
        scope: Option<Vec<Community>>,
        limit: u32,
    ) -> Result<Vec<ReviewItem>> {
        self.with(move |s| s.review_queue(scope.as_deref(), limit))
            .await
    }

    async fn review_count(&self, scope: Option<Vec<Community>>) -> Result<u64> {
        self.with(move |s| s.review_count(scope.as_deref())).await
    }

    async fn review(
        &self,
        record_id: Uuid,
        decision: Decision,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        self.with(move |s| s.review(record_id, decision, &user, &note, now))
            .await
    }

    async fn enter_attendance(
        &self,
        member_id: MemberId,
        activity_id: ActivityId,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        self.with(move |s| s.enter_attendance(&member_id, &activity_id, &user, &note, now))
            .await
    }

    async fn office_void(
        &self,
        record_id: Uuid,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        self.with(move |s| s.office_void(record_id, &user, &note, now))
            .await
    }

    async fn login_facts(&self, username: String) -> Result<Option<LoginFacts>> {
        self.with(move |s| s.login_facts(&username)).await
    }

    async fn login_failed(
        &self,
        username: String,
        lockout: Lockout,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        self.with(move |s| s.login_failed(&username, lockout, now))
            .await
    }

    async fn open_session(
        &self,
        username: String,
        secret_hash: String,
        csrf: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(move |s| s.open_session(&username, &secret_hash, &csrf, now))
            .await
    }

    async fn session(
        &self,
        secret_hash: String,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionInfo>> {
        self.with(move |s| s.session(&secret_hash, now)).await
    }

    async fn close_session(&self, secret_hash: String) -> Result<()> {
        self.with(move |s| s.close_session(&secret_hash)).await
    }

    async fn activities_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<Vec<Community>>,
    ) -> Result<Vec<ActivityTurnout>> {
        self.with(move |s| s.activities_between(from, to, scope.as_deref()))
            .await
    }

    async fn audit(
        &self,
        change: Change,
        action: String,
        subject: String,
        after: Option<String>,
    ) -> Result<()> {
        self.with(move |s| s.write_audit(&change, &action, &subject, after.as_deref()))
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
        self.with(move |s| s.change_member(&member_id, &change, &user, &note, now))
            .await
    }

    async fn save_activity(
        &self,
        activity: Activity,
        details: ActivityDetails,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(move |s| s.save_activity(&activity, &details, &user, &note, now))
            .await
    }

    async fn cancel_activity(
        &self,
        activity_id: ActivityId,
        user: OfficeUser,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.with(move |s| s.cancel_activity(&activity_id, &user, &note, now))
            .await
    }

    async fn period_attendance(
        &self,
        organization: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<Vec<Community>>,
    ) -> Result<Vec<PeriodAttendance>> {
        self.with(move |s| s.period_attendance(&organization, from, to, scope.as_deref()))
            .await
    }

    async fn member_records(&self, member_id: MemberId) -> Result<Vec<MemberRecord>> {
        self.with(move |s| s.member_records(&member_id)).await
    }

    async fn registry(&self) -> Result<Registry> {
        self.with(Store::registry).await
    }

    async fn upsert_communities(
        &self,
        communities: Vec<CommunityInfo>,
        change: Change,
    ) -> Result<ImportSummary> {
        self.with(move |s| s.upsert_communities(&communities, &change))
            .await
    }

    async fn upsert_organizations(
        &self,
        organizations: Vec<Organization>,
        change: Change,
    ) -> Result<ImportSummary> {
        self.with(move |s| s.upsert_organizations(&organizations, &change))
            .await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.with(move |s| s.audit_log(limit)).await
    }

    async fn table_counts(&self) -> Result<Vec<(&'static str, u64)>> {
        self.with(Store::table_counts).await
    }
}
