//! Batch ingest on PostgreSQL: the facts every record of the batch needs
//! are fetched in a few set queries, `domain::ingest::decide` rules on each
//! record against them (and against the batch's own earlier records), and
//! the verdicts are written in one statement.

use std::collections::{HashMap, HashSet};

use baodao_shared::protocol::{BatchReceipt, Reason, RecordReceipt, RecordStatus, VoidReceipt};
use baodao_shared::{Activity, AttendanceRecord, Method, Void};
use chrono::{DateTime, Utc};
use deadpool_postgres::{Object, Transaction};
use uuid::Uuid;

use super::admin::{self, row_to_activity};
use super::{XID, from_ms, to_ms};
use crate::domain::ingest::{self, Lookup, MAX_CARD_CHARS, MemberFacts, Verdict};
use crate::domain::staff::{self, StaffEntry};
use crate::domain::upload::{Item, Upload};
use crate::domain::void::{self as domain_void, record_receipt};
use crate::error::Result;
use crate::store::{Change, Decoded, Intake};

pub(super) async fn ingest(
    client: &mut Object,
    intake: &Intake,
    upload: &Upload,
    decoded: &Decoded,
) -> Result<BatchReceipt> {
    let tx = client.transaction().await?;
    let kiosk_id = intake.kiosk.kiosk_id.as_str();
    let community = intake.kiosk.community.as_str();
    // One kiosk's batches are decided one at a time, whichever instance
    // receives them: a retry racing its original waits, then finds it.
    execute(
        &tx,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&kiosk_id],
    )
    .await?;
    let raw_offset_ms = record_batch(&tx, intake, upload).await?;
    let valid: Vec<&AttendanceRecord> = upload.records.iter().filter_map(Item::valid).collect();
    let mut facts = Facts::fetch(&tx, intake, &valid, decoded).await?;
    let (mut records, rows) = decide_all(&mut facts, intake, upload, decoded)?;

    let inserted = rows.insert(&tx, intake, upload.batch_id, community).await?;
    // A row not inserted was inserted meanwhile by another kiosk's batch
    // (the lock is per kiosk): the same record id from two kiosks.
    for receipt in &mut records {
        if rows.ids.contains(&receipt.record_id) && !inserted.contains(&receipt.record_id) {
            receipt.status = RecordStatus::Rejected;
            receipt.reason = Some(Reason::RecordIdConflict);
        }
    }
    note_visitors(&tx, community, &facts.visitors).await?;
    // Most batches name no staff: no receipt lookup for them.
    let named: Vec<&&AttendanceRecord> = valid
        .iter()
        .filter(|r| r.entered_by.is_some() && inserted.contains(&r.record_id))
        .collect();
    if !named.is_empty() {
        let answered: HashMap<Uuid, &RecordReceipt> =
            records.iter().map(|r| (r.record_id, r)).collect();
        for record in named {
            if let Some(entry) = answered.get(&record.record_id).and_then(|receipt| {
                staff::manual_check_in(kiosk_id, record, receipt.status, receipt.reason)
            }) {
                audit_staff(&tx, intake, &entry).await?;
            }
        }
    }

    let mut voids = Vec::with_capacity(upload.voids.len());
    for item in &upload.voids {
        voids.push(match item {
            Item::Valid(void) => apply_void(&tx, intake, upload.batch_id, void).await?,
            Item::Malformed(record_id) => domain_void::refused(*record_id, Reason::MalformedRecord),
        });
    }
    tx.commit().await?;
    Ok(BatchReceipt {
        batch_id: upload.batch_id,
        received_at: intake.received_at,
        clock_offset_ms: raw_offset_ms,
        records,
        voids,
    })
}

/// Keeps the batch's evidence of the kiosk's clock; answers the offset.
async fn record_batch(tx: &Transaction<'_>, intake: &Intake, upload: &Upload) -> Result<i64> {
    let kiosk_id = intake.kiosk.kiosk_id.as_str();
    let received_ms = to_ms(intake.received_at);
    let raw_offset_ms = intake.raw_offset_ms(upload.sent_at);
    let len = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    execute(tx,
        "INSERT INTO batches (batch_id, kiosk_id, sent_at, received_at, clock_offset_ms, records, voids)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (batch_id) DO NOTHING",
        &[
            &upload.batch_id,
            &kiosk_id,
            &to_ms(upload.sent_at),
            &received_ms,
            &raw_offset_ms,
            &len(upload.records.len()),
            &len(upload.voids.len()),
        ],
    )
    .await?;
    execute(
        tx,
        "UPDATE kiosks SET last_seen_at = $2, last_clock_offset_ms = $3 WHERE kiosk_id = $1",
        &[&kiosk_id, &received_ms, &raw_offset_ms],
    )
    .await?;
    Ok(raw_offset_ms)
}

/// Every record's receipt, and the new records to write.
fn decide_all(
    facts: &mut Facts,
    intake: &Intake,
    upload: &Upload,
    decoded: &Decoded,
) -> Result<(Vec<RecordReceipt>, Rows)> {
    let kiosk_id = intake.kiosk.kiosk_id.as_str();
    let arrival = intake.arrival(upload.sent_at);

    let mut rows = Rows::default();
    let mut records = Vec::with_capacity(upload.records.len());
    for (index, item) in upload.records.iter().enumerate() {
        let record = match item {
            Item::Valid(record) => record,
            Item::Malformed(record_id) => {
                records.push(record_receipt(
                    *record_id,
                    RecordStatus::Rejected,
                    Some(Reason::MalformedRecord),
                ));
                continue;
            }
        };
        if let Some(earlier) = facts.earlier.get(&record.record_id) {
            // The same id from another kiosk is a collision or a replay,
            // never a retry: it must not learn the first kiosk's answer.
            records.push(if earlier.kiosk_id == kiosk_id {
                RecordReceipt {
                    record_id: record.record_id,
                    status: RecordStatus::AlreadyReceived,
                    reason: earlier.reason,
                    original_status: Some(earlier.status),
                }
            } else {
                record_receipt(
                    record.record_id,
                    RecordStatus::Rejected,
                    Some(Reason::RecordIdConflict),
                )
            });
            continue;
        }
        let member = facts.members.get(record.member_id.as_str()).cloned();
        let activity = facts.activities.get(record.activity_id.as_str()).cloned();
        let verdict = ingest::for_cancelled(
            ingest::decide(
                record,
                member.as_ref(),
                activity.as_ref().map(|(key, a)| (key, a)),
                decoded.get(index).cloned().flatten(),
                &arrival,
                facts,
            )?,
            activity
                .as_ref()
                .is_some_and(|(key, _)| facts.cancelled.contains(key)),
        );
        let member_key = member.as_ref().map(|m| m.handle);
        let activity_key = activity.as_ref().map(|(key, _)| *key);
        facts.note(record, member.as_ref(), activity_key, &verdict, kiosk_id);
        rows.push(record, member_key, activity_key, &verdict);
        records.push(record_receipt(
            record.record_id,
            verdict.status,
            verdict.reason,
        ));
    }
    Ok((records, rows))
}

/// Members counted away from home: the community's kiosks now carry them,
/// and their later records are checked for two places at once.
async fn note_visitors(
    tx: &Transaction<'_>,
    community: &str,
    visitors: &HashSet<i64>,
) -> Result<()> {
    let visitors: Vec<i64> = visitors.iter().copied().collect();
    if !visitors.is_empty() {
        execute(
            tx,
            &format!(
                "INSERT INTO visitors (community, member_key) SELECT $1, unnest($2::bigint[])
                 ON CONFLICT (community, member_key) DO UPDATE SET seq = {XID}"
            ),
            &[&community, &visitors],
        )
        .await?;
        execute(
            tx,
            "UPDATE members SET visits_elsewhere = true
             WHERE member_key = ANY($1) AND NOT visits_elsewhere",
            &[&visitors],
        )
        .await?;
    }
    Ok(())
}

/// Runs a statement prepared once per connection (ingest runs the same
/// dozen statements for every batch).
async fn query(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query(&statement, params).await?)
}

async fn query_opt(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Option<tokio_postgres::Row>> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_opt(&statement, params).await?)
}

async fn execute(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&statement, params).await?)
}

/// An activity's start and end.
type Span = (DateTime<Utc>, DateTime<Utc>);

struct Earlier {
    kiosk_id: String,
    status: RecordStatus,
    reason: Option<Reason>,
}

/// What the batch's decisions need, fetched once and kept up to date with
/// the batch's own verdicts.
struct Facts {
    earlier: HashMap<Uuid, Earlier>,
    members: HashMap<String, MemberFacts<i64>>,
    activities: HashMap<String, (i64, Activity)>,
    /// Those of them the office cancelled.
    cancelled: HashSet<i64>,
    revoked: HashSet<u32>,
    /// Counting (member, activity) pairs.
    attended: HashSet<(i64, i64)>,
    /// When members count at other communities' activities.
    elsewhere: HashMap<i64, Vec<Span>>,
    /// Counting manual check-ins by this kiosk, per activity.
    manual: HashMap<i64, u32>,
    /// Members counted away from home in this batch.
    visitors: HashSet<i64>,
}

impl Facts {
    async fn fetch(
        tx: &Transaction<'_>,
        intake: &Intake,
        records: &[&AttendanceRecord],
        decoded: &Decoded,
    ) -> Result<Self> {
        let community = intake.kiosk.community.as_str();
        let members = members(tx, community, records).await?;
        let (activities, cancelled) = activities(tx, records).await?;
        let member_keys: Vec<i64> = members.values().map(|m| m.handle).collect();
        let activity_keys: Vec<i64> = activities.values().map(|(key, _)| *key).collect();
        let travelling: Vec<i64> = members
            .values()
            .filter(|m| !m.local || m.visits_elsewhere)
            .map(|m| m.handle)
            .collect();
        Ok(Self {
            earlier: earlier(tx, records).await?,
            revoked: revoked(tx, decoded).await?,
            attended: attended(tx, &member_keys, &activity_keys).await?,
            elsewhere: elsewhere(tx, community, &travelling).await?,
            manual: manual(tx, intake.kiosk.kiosk_id.as_str(), &activity_keys).await?,
            members,
            activities,
            cancelled,
            visitors: HashSet::new(),
        })
    }

    /// Keeps the facts true after a verdict, for the batch's later records.
    fn note(
        &mut self,
        record: &AttendanceRecord,
        member: Option<&MemberFacts<i64>>,
        activity: Option<i64>,
        verdict: &Verdict,
        kiosk_id: &str,
    ) {
        self.earlier.insert(
            record.record_id,
            Earlier {
                kiosk_id: kiosk_id.to_owned(),
                status: verdict.status,
                reason: verdict.reason,
            },
        );
        if !verdict.status.counts() {
            return;
        }
        if let (Some(member), Some(activity)) = (member, activity) {
            self.attended.insert((member.handle, activity));
            if record.method == Method::Manual {
                *self.manual.entry(activity).or_default() += 1;
            }
        }
        if let Some(member) = member.filter(|m| !m.local) {
            self.visitors.insert(member.handle);
            if let Some(m) = self.members.get_mut(record.member_id.as_str()) {
                m.visits_elsewhere = true;
            }
        }
    }
}

/// Decisions already made on the batch's record ids.
async fn earlier(
    tx: &Transaction<'_>,
    records: &[&AttendanceRecord],
) -> Result<HashMap<Uuid, Earlier>> {
    let ids: Vec<Uuid> = records.iter().map(|r| r.record_id).collect();
    Ok(query(
        tx,
        "SELECT record_id, kiosk_id, status, reason FROM attendance WHERE record_id = ANY($1)",
        &[&ids],
    )
    .await?
    .iter()
    .map(|r| {
        (
            r.get(0),
            Earlier {
                kiosk_id: r.get(1),
                status: RecordStatus::from_code(r.get(2)),
                reason: r.get::<_, Option<&str>>(3).map(Reason::from_code),
            },
        )
    })
    .collect())
}

async fn members(
    tx: &Transaction<'_>,
    community: &str,
    records: &[&AttendanceRecord],
) -> Result<HashMap<String, MemberFacts<i64>>> {
    let ids: Vec<&str> = records.iter().map(|r| r.member_id.as_str()).collect();
    Ok(query(
        tx,
        "SELECT member_id, member_key, card_serial, community = $2, visits_elsewhere, inactive_since
             FROM members WHERE member_id = ANY($1)",
        &[&ids, &community],
    )
    .await?
    .iter()
    .map(|r| {
        (
            r.get::<_, String>(0),
            MemberFacts {
                handle: r.get(1),
                card_serial: r
                    .get::<_, Option<i64>>(2)
                    .and_then(|s| u32::try_from(s).ok()),
                local: r.get(3),
                visits_elsewhere: r.get(4),
                inactive_since: r
                    .get::<_, Option<i64>>(5)
                    .and_then(chrono::DateTime::from_timestamp_millis),
            },
        )
    })
    .collect())
}

/// The batch's activities by id, and the keys of those cancelled.
async fn activities(
    tx: &Transaction<'_>,
    records: &[&AttendanceRecord],
) -> Result<(HashMap<String, (i64, Activity)>, HashSet<i64>)> {
    let ids: Vec<&str> = records.iter().map(|r| r.activity_id.as_str()).collect();
    let rows = query(
        tx,
        "SELECT activity_key, activity_id, title, kind, community, starts_at, ends_at,
                cancelled_at IS NOT NULL
         FROM activities WHERE activity_id = ANY($1)",
        &[&ids],
    )
    .await?;
    let cancelled = rows
        .iter()
        .filter(|r| r.get::<_, bool>(7))
        .map(|r| r.get(0))
        .collect();
    let activities = rows
        .iter()
        .map(|r| Ok((r.get::<_, String>(1), (r.get(0), row_to_activity(r, 1)?))))
        .collect::<Result<_>>()?;
    Ok((activities, cancelled))
}

/// The revoked ones among the batch's card serials.
async fn revoked(tx: &Transaction<'_>, decoded: &Decoded) -> Result<HashSet<u32>> {
    let serials: Vec<i64> = decoded
        .iter()
        .filter_map(|d| d.as_ref().and_then(|d| d.as_ref().ok()))
        .map(|card| i64::from(card.serial))
        .collect();
    Ok(query(
        tx,
        "SELECT serial FROM cards WHERE serial = ANY($1) AND revoked_at IS NOT NULL",
        &[&serials],
    )
    .await?
    .iter()
    .filter_map(|r| u32::try_from(r.get::<_, i64>(0)).ok())
    .collect())
}

async fn attended(
    tx: &Transaction<'_>,
    members: &[i64],
    activities: &[i64],
) -> Result<HashSet<(i64, i64)>> {
    Ok(query(
        tx,
        concat!(
            "SELECT member_key, activity_key FROM attendance
                 WHERE member_key = ANY($1) AND activity_key = ANY($2) AND status IN ",
            counting!()
        ),
        &[&members, &activities],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

async fn elsewhere(
    tx: &Transaction<'_>,
    community: &str,
    travelling: &[i64],
) -> Result<HashMap<i64, Vec<Span>>> {
    let mut spans: HashMap<i64, Vec<Span>> = HashMap::new();
    if travelling.is_empty() {
        return Ok(spans);
    }
    for r in query(
        tx,
        concat!(
            "SELECT a.member_key, x.starts_at, x.ends_at
                 FROM attendance a JOIN activities x ON x.activity_key = a.activity_key
                 WHERE a.member_key = ANY($1) AND a.community <> $2 AND a.status IN ",
            counting!(),
            " AND NOT EXISTS (SELECT 1 FROM voids v
                                   WHERE v.record_id = a.record_id AND v.community = a.community)"
        ),
        &[&travelling, &community],
    )
    .await?
    {
        spans
            .entry(r.get(0))
            .or_default()
            .push((from_ms(r.get(1))?, from_ms(r.get(2))?));
    }
    Ok(spans)
}

async fn manual(
    tx: &Transaction<'_>,
    kiosk_id: &str,
    activities: &[i64],
) -> Result<HashMap<i64, u32>> {
    Ok(query(tx,
            concat!(
                "SELECT activity_key, COUNT(*) FROM attendance
                 WHERE method = 'manual' AND kiosk_id = $1 AND activity_key = ANY($2) AND status IN ",
                counting!(),
                " GROUP BY activity_key"
            ),
            &[&kiosk_id, &activities],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), u32::try_from(r.get::<_, i64>(1)).unwrap_or(u32::MAX)))
        .collect())
}

/// The questions of `domain::ingest`, answered from the fetched facts.
impl Lookup for Facts {
    type Member = i64;
    type Activity = i64;

    fn is_revoked(&mut self, serial: u32) -> Result<bool> {
        Ok(self.revoked.contains(&serial))
    }

    fn already_attended(&mut self, member: &i64, activity: &i64) -> Result<bool> {
        Ok(self.attended.contains(&(*member, *activity)))
    }

    fn attended_elsewhere(
        &mut self,
        member: &i64,
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self
            .elsewhere
            .get(member)
            .is_some_and(|spans| spans.iter().any(|&(s, e)| s <= ends && e >= starts)))
    }

    fn manual_so_far(&mut self, activity: &i64) -> Result<u32> {
        Ok(self.manual.get(activity).copied().unwrap_or(0))
    }
}

/// The batch's new records, column by column, for one `unnest` insert.
#[derive(Default)]
struct Rows {
    ids: HashSet<Uuid>,
    record_id: Vec<Uuid>,
    member_id: Vec<String>,
    activity_id: Vec<String>,
    member_key: Vec<Option<i64>>,
    activity_key: Vec<Option<i64>>,
    scanned_at: Vec<i64>,
    corrected_at: Vec<i64>,
    method: Vec<&'static str>,
    card: Vec<Option<String>>,
    status: Vec<&'static str>,
    reason: Vec<Option<&'static str>>,
}

impl Rows {
    fn push(
        &mut self,
        record: &AttendanceRecord,
        member_key: Option<i64>,
        activity_key: Option<i64>,
        verdict: &Verdict,
    ) {
        self.ids.insert(record.record_id);
        self.record_id.push(record.record_id);
        self.member_id.push(record.member_id.as_str().to_owned());
        self.activity_id
            .push(record.activity_id.as_str().to_owned());
        self.member_key.push(member_key);
        self.activity_key.push(activity_key);
        self.scanned_at.push(to_ms(record.scanned_at));
        self.corrected_at.push(to_ms(verdict.corrected_at));
        self.method.push(record.method.code());
        self.card.push(
            record
                .card
                .clone()
                .filter(|c| c.chars().count() <= MAX_CARD_CHARS),
        );
        self.status.push(verdict.status.code());
        self.reason.push(verdict.reason.map(Reason::code));
    }

    /// Inserts the rows; answers the ids inserted. In member order: the
    /// tally's trigger locks each member in turn, and batches that lock
    /// members in one order never deadlock.
    async fn insert(
        &self,
        tx: &Transaction<'_>,
        intake: &Intake,
        batch_id: Uuid,
        community: &str,
    ) -> Result<HashSet<Uuid>> {
        if self.record_id.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(query(
            tx,
            "INSERT INTO attendance (record_id, member_id, activity_id, member_key, activity_key,
                     scanned_at, corrected_at, method, card, status, reason,
                     kiosk_id, batch_id, received_at, community)
                 SELECT r.*, $12, $13, $14, $15
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                             $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[],
                             $11::text[]) AS r
                 ORDER BY 4 -- member_key
                 ON CONFLICT (record_id) DO NOTHING
                 RETURNING record_id",
            &[
                &self.record_id,
                &self.member_id,
                &self.activity_id,
                &self.member_key,
                &self.activity_key,
                &self.scanned_at,
                &self.corrected_at,
                &self.method,
                &self.card,
                &self.status,
                &self.reason,
                &intake.kiosk.kiosk_id.as_str(),
                &batch_id,
                &to_ms(intake.received_at),
                &community,
            ],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
    }
}

async fn apply_void(
    tx: &Transaction<'_>,
    intake: &Intake,
    batch_id: Uuid,
    void: &Void,
) -> Result<VoidReceipt> {
    let reason = match domain_void::check(void) {
        Ok(reason) => reason,
        Err(refusal) => return Ok(domain_void::refused(void.record_id, refusal)),
    };
    let community = intake.kiosk.community.as_str();
    let owner: Option<String> = query_opt(
        tx,
        "SELECT community FROM attendance WHERE record_id = $1",
        &[&void.record_id],
    )
    .await?
    .map(|r| r.get(0));
    if let Err(refusal) = domain_void::may_void(owner.as_deref(), community) {
        return Ok(domain_void::refused(void.record_id, refusal));
    }
    let inserted = execute(
        tx,
        "INSERT INTO voids (record_id, community, kiosk_id, batch_id, reason, voided_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (record_id, community) DO NOTHING",
        &[
            &void.record_id,
            &community,
            &intake.kiosk.kiosk_id.as_str(),
            &batch_id,
            &reason,
            &void.voided_at.map(to_ms),
            &to_ms(intake.received_at),
        ],
    )
    .await?;
    if inserted == 1
        && let Some(entry) = staff::void(intake.kiosk.kiosk_id.as_str(), void, reason)
    {
        audit_staff(tx, intake, &entry).await?;
    }
    Ok(domain_void::done(void.record_id, inserted == 1))
}

/// What a kiosk's staff did, in the office's audit, with the batch.
async fn audit_staff(tx: &Transaction<'_>, intake: &Intake, entry: &StaffEntry) -> Result<()> {
    let change = Change {
        actor: entry.actor.clone(),
        at: intake.received_at,
        note: String::new(),
    };
    admin::audit_change(
        &**tx,
        &change,
        entry.action,
        &entry.subject,
        (None, Some(&entry.after)),
    )
    .await
}
