//! Batch ingest: one transaction per batch, idempotent by record id.

use std::collections::HashMap;
use std::rc::Rc;

use baodao_shared::card::{Card, CardRefusal};
use baodao_shared::protocol::{BatchReceipt, Reason, RecordReceipt, RecordStatus, VoidReceipt};
use baodao_shared::{Activity, ActivityId, AttendanceRecord, MemberId, Void};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, activities, audit_change, cards, next_seq, to_ms};
use crate::domain::ingest::{self, Arrival, Lookup, MAX_CARD_CHARS, MemberFacts, Verdict};
use crate::domain::staff::{self, StaffEntry};
use crate::domain::upload::{Item, Upload};
use crate::domain::void::{self as domain_void, record_receipt};
use crate::error::Result;
use crate::store::model::{Change, Intake};

impl Store {
    /// Stores a batch and says what happened to each record and void.
    ///
    /// `decoded` holds, for each record in order, its card after the
    /// signature check (done before the write lock, as it is the costly
    /// part); revocation and expiry are checked here against current data.
    pub fn ingest(
        &self,
        intake: &Intake,
        upload: &Upload,
        decoded: &[Option<Result<Card, CardRefusal>>],
    ) -> Result<BatchReceipt> {
        let raw_offset_ms = intake.raw_offset_ms(upload.sent_at);
        let arrival = intake.arrival(upload.sent_at);
        self.write(|tx| {
            let mut batch_tx = BatchTx {
                tx,
                intake,
                arrival,
                seq: next_seq(tx)?,
                batch_key: upload.batch_id.as_bytes(),
                activities: HashMap::new(),
                cancelled: std::collections::HashSet::new(),
            };
            batch_tx.record_batch(upload, raw_offset_ms)?;
            let records = upload
                .records
                .iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Item::Valid(record) => {
                        batch_tx.record(record, decoded.get(index).cloned().flatten())
                    }
                    Item::Malformed(record_id) => Ok(RecordReceipt {
                        record_id: *record_id,
                        status: RecordStatus::Rejected,
                        reason: Some(Reason::MalformedRecord),
                        original_status: None,
                    }),
                })
                .collect::<Result<_>>()?;
            let voids = upload
                .voids
                .iter()
                .map(|item| match item {
                    Item::Valid(void) => batch_tx.void(void),
                    Item::Malformed(record_id) => {
                        Ok(domain_void::refused(*record_id, Reason::MalformedRecord))
                    }
                })
                .collect::<Result<_>>()?;
            Ok(BatchReceipt {
                batch_id: upload.batch_id,
                received_at: intake.received_at,
                clock_offset_ms: raw_offset_ms,
                records,
                voids,
            })
        })
    }
}

/// One batch's transaction and what it has looked up so far.
struct BatchTx<'t, 'a> {
    tx: &'t Transaction<'t>,
    intake: &'a Intake,
    /// What the domain's decision needs of the upload, made once a batch.
    arrival: Arrival<'a>,
    seq: i64,
    batch_key: &'a [u8; 16],
    /// Activities looked up so far; shared so a record's decision can hold
    /// one while the transaction answers questions.
    activities: HashMap<ActivityId, Option<(i64, Rc<Activity>)>>,
    /// Those of them the office cancelled.
    cancelled: std::collections::HashSet<i64>,
}

impl BatchTx<'_, '_> {
    fn kiosk_id(&self) -> &str {
        self.intake.kiosk.kiosk_id.as_str()
    }

    fn community(&self) -> &str {
        self.intake.kiosk.community.as_str()
    }

    /// Keeps the batch's evidence of the kiosk's clock: what it claimed,
    /// when it arrived and the offset measured.
    fn record_batch(&self, upload: &Upload, raw_offset_ms: i64) -> Result<()> {
        let received_ms = to_ms(self.intake.received_at);
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.tx
            .prepare_cached(
                "INSERT INTO batches (batch_id, kiosk_id, sent_at, received_at, clock_offset_ms, records, voids)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (batch_id) DO NOTHING",
            )?
            .execute(params![
                self.batch_key.as_slice(),
                self.kiosk_id(),
                to_ms(upload.sent_at),
                received_ms,
                raw_offset_ms,
                count(upload.records.len()),
                count(upload.voids.len())
            ])?;
        self.tx
            .prepare_cached("UPDATE kiosks SET last_seen_at = ?2, last_clock_offset_ms = ?3 WHERE kiosk_id = ?1")?
            .execute(params![self.kiosk_id(), received_ms, raw_offset_ms])?;
        Ok(())
    }

    fn member(&self, id: &MemberId) -> Result<Option<MemberFacts<i64>>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT member_key, card_serial, community = ?2, visits_elsewhere, inactive_since
                 FROM members WHERE member_id = ?1",
            )?
            .query_row(params![id.as_str(), self.community()], |r| {
                Ok(MemberFacts {
                    handle: r.get(0)?,
                    card_serial: r.get(1)?,
                    local: r.get(2)?,
                    visits_elsewhere: r.get(3)?,
                    inactive_since: r
                        .get::<_, Option<i64>>(4)?
                        .map(super::from_ms)
                        .transpose()?,
                })
            })
            .optional()?)
    }

    /// A member counted away from home: the community's kiosks now carry
    /// them, and their later records are checked for two places at once.
    fn note_visit(&self, member: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO visitors (community, member_key, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (community, member_key) DO UPDATE SET seq = excluded.seq",
            )?
            .execute(params![self.community(), member, self.seq])?;
        self.tx
            .prepare_cached(
                "UPDATE members SET visits_elsewhere = 1 WHERE member_key = ?1 AND visits_elsewhere = 0",
            )?
            .execute([member])?;
        Ok(())
    }

    /// Looks an activity up once a batch.
    fn cache_activity(&mut self, id: &ActivityId) -> Result<()> {
        if !self.activities.contains_key(id) {
            let found = activity_key(self.tx, id)?.map(|(key, a, cancelled)| {
                if cancelled {
                    self.cancelled.insert(key);
                }
                (key, Rc::new(a))
            });
            self.activities.insert(id.clone(), found);
        }
        Ok(())
    }

    fn record(
        &mut self,
        record: &AttendanceRecord,
        decoded: Option<Result<Card, CardRefusal>>,
    ) -> Result<RecordReceipt> {
        let tx = self.tx;
        let record_key = record.record_id.as_bytes().as_slice();
        if let Some(earlier) = earlier_decision(tx, record_key)? {
            // The same id from another kiosk is a collision or a replay,
            // never a retry: it must not learn the first kiosk's answer.
            if earlier.kiosk_id != self.kiosk_id() {
                return Ok(record_receipt(
                    record.record_id,
                    RecordStatus::Rejected,
                    Some(Reason::RecordIdConflict),
                ));
            }
            return Ok(RecordReceipt {
                record_id: record.record_id,
                status: RecordStatus::AlreadyReceived,
                reason: earlier.reason,
                original_status: Some(earlier.status),
            });
        }
        let member = self.member(&record.member_id)?;
        self.cache_activity(&record.activity_id)?;
        let activity = self
            .activities
            .get(&record.activity_id)
            .and_then(Option::as_ref)
            .cloned();
        let card_text = record
            .card
            .as_deref()
            .filter(|c| c.chars().count() <= MAX_CARD_CHARS);
        // A copy: `self` answers the decision's questions meanwhile.
        let arrival = self.arrival;
        let Verdict {
            status,
            reason,
            corrected_at,
        } = ingest::for_cancelled(
            ingest::decide(
                record,
                member.as_ref(),
                activity.as_ref().map(|(key, a)| (key, a.as_ref())),
                decoded,
                &arrival,
                self,
            )?,
            activity
                .as_ref()
                .is_some_and(|(key, _)| self.cancelled.contains(key)),
        );
        tx.prepare_cached(
            "INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key,
                 activity_key, scanned_at, corrected_at, method, card, received_at, status, reason, seq,
                 community)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(params![
            record_key,
            self.kiosk_id(),
            self.batch_key.as_slice(),
            record.member_id.as_str(),
            record.activity_id.as_str(),
            member.as_ref().map(|m| m.handle),
            activity.as_ref().map(|(key, _)| *key),
            to_ms(record.scanned_at),
            to_ms(corrected_at),
            record.method.code(),
            card_text,
            to_ms(self.intake.received_at),
            status.code(),
            reason.map(Reason::code),
            self.seq,
            self.community(),
        ])?;
        if let Some(member) = member.as_ref().filter(|m| !m.local)
            && status.counts()
        {
            self.note_visit(member.handle)?;
        }
        if let Some(entry) = staff::manual_check_in(self.kiosk_id(), record, status, reason) {
            self.audit(&entry)?;
        }
        Ok(record_receipt(record.record_id, status, reason))
    }

    fn void(&self, void: &Void) -> Result<VoidReceipt> {
        let reason = match domain_void::check(void) {
            Ok(reason) => reason,
            Err(refusal) => return Ok(domain_void::refused(void.record_id, refusal)),
        };
        let record_key = void.record_id.as_bytes().as_slice();
        let owner: Option<String> = self
            .tx
            .prepare_cached("SELECT community FROM attendance WHERE record_id = ?1")?
            .query_row([record_key], |r| r.get(0))
            .optional()?;
        if let Err(refusal) = domain_void::may_void(owner.as_deref(), self.community()) {
            return Ok(domain_void::refused(void.record_id, refusal));
        }
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO voids (record_id, community, kiosk_id, batch_id, reason, voided_at, received_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (record_id, community) DO NOTHING",
            )?
            .execute(params![
                record_key,
                self.community(),
                self.kiosk_id(),
                self.batch_key.as_slice(),
                reason,
                void.voided_at.map(to_ms),
                to_ms(self.intake.received_at),
                self.seq
            ])?;
        if inserted == 1
            && let Some(entry) = staff::void(self.kiosk_id(), void, reason)
        {
            self.audit(&entry)?;
        }
        Ok(domain_void::done(void.record_id, inserted == 1))
    }

    /// What a kiosk's staff did, in the office's audit, with the batch.
    fn audit(&self, entry: &StaffEntry) -> Result<()> {
        let change = Change {
            actor: entry.actor.clone(),
            at: self.intake.received_at,
            note: String::new(),
        };
        audit_change(
            self.tx,
            &change,
            entry.action,
            &entry.subject,
            (None, Some(&entry.after)),
        )
    }
}

/// The questions of `domain::ingest`, answered inside the batch's transaction.
impl Lookup for BatchTx<'_, '_> {
    type Member = i64;
    type Activity = i64;

    fn is_revoked(&mut self, serial: u32) -> Result<bool> {
        cards::is_revoked(self.tx, serial)
    }

    fn already_attended(&mut self, member: &i64, activity: &i64) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(concat!(
                "SELECT 1 FROM attendance WHERE member_key = ?1 AND activity_key = ?2
                 AND status IN ",
                counting!()
            ))?
            .exists([member, activity])?)
    }

    fn attended_elsewhere(
        &mut self,
        member: &i64,
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(concat!(
                "SELECT 1 FROM attendance a JOIN activities x ON x.activity_key = a.activity_key
                 WHERE a.member_key = ?1 AND a.status IN ",
                counting!(),
                " AND a.community <> ?2
                   AND x.starts_at <= ?4 AND x.ends_at >= ?3
                   AND NOT EXISTS (SELECT 1 FROM voids v
                                   WHERE v.record_id = a.record_id AND v.community = a.community)",
            ))?
            .exists(params![
                member,
                self.community(),
                to_ms(starts),
                to_ms(ends)
            ])?)
    }

    fn manual_so_far(&mut self, activity: &i64) -> Result<u32> {
        let n: i64 = self
            .tx
            .prepare_cached(concat!(
                "SELECT COUNT(*) FROM attendance WHERE method = 'manual' AND activity_key = ?1
                 AND kiosk_id = ?2 AND status IN ",
                counting!()
            ))?
            .query_row(params![activity, self.kiosk_id()], |r| r.get(0))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

struct Earlier {
    kiosk_id: String,
    status: RecordStatus,
    reason: Option<Reason>,
}

fn earlier_decision(tx: &Transaction<'_>, record_key: &[u8]) -> Result<Option<Earlier>> {
    Ok(tx
        .prepare_cached("SELECT kiosk_id, status, reason FROM attendance WHERE record_id = ?1")?
        .query_row([record_key], |r| {
            let status: String = r.get(1)?;
            let reason: Option<String> = r.get(2)?;
            Ok(Earlier {
                kiosk_id: r.get(0)?,
                status: RecordStatus::from_code(&status),
                reason: reason.as_deref().map(Reason::from_code),
            })
        })
        .optional()?)
}

fn activity_key(tx: &Transaction<'_>, id: &ActivityId) -> Result<Option<(i64, Activity, bool)>> {
    let key: Option<(i64, bool)> = tx
        .prepare_cached(
            "SELECT activity_key, cancelled_at IS NOT NULL FROM activities WHERE activity_id = ?1",
        )?
        .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match key {
        Some((key, cancelled)) => activities::find(tx, id)?.map(|a| (key, a, cancelled)),
        None => None,
    })
}
