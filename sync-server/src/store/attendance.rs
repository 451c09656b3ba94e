//! Batch ingest: one transaction per batch, idempotent by record id.

use std::collections::HashMap;

use baodao_shared::card::{self, Card, CardRefusal, CardStatus};
use baodao_shared::protocol::{
    BatchReceipt, BatchRequest, Reason, RecordReceipt, RecordStatus, VoidReceipt, VoidStatus,
};
use baodao_shared::{Activity, ActivityId, AttendanceRecord, MemberId, Policy, Void};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Kiosk, Store, activities, cards, next_seq, to_ms};
use crate::domain::judge::{Facts, judge};
use crate::error::Result;

/// The server's side of an upload.
#[derive(Debug, Clone, Copy)]
pub struct Intake<'a> {
    pub kiosk: &'a Kiosk,
    pub received_at: DateTime<Utc>,
    pub policy: &'a Policy,
    pub grace: Duration,
}

/// What the card checks inside the transaction see of the roster.
struct Known {
    current: Option<u32>,
    revoked: bool,
}

impl CardStatus for Known {
    fn current_serial(&self, _: &MemberId) -> Option<u32> {
        self.current
    }
    fn is_revoked(&self, _: u32) -> bool {
        self.revoked
    }
}

impl Store {
    /// Stores a batch and says what happened to each record and void.
    ///
    /// `decoded` holds, for each record in order, its card after the
    /// signature check (done before the write lock, as it is the costly
    /// part); revocation and expiry are checked here against current data.
    pub fn ingest(
        &self,
        intake: &Intake<'_>,
        batch: &BatchRequest,
        decoded: &[Option<Result<Card, CardRefusal>>],
    ) -> Result<BatchReceipt> {
        let offset = intake.received_at - batch.sent_at;
        self.write(|tx| {
            let mut batch_tx = BatchTx {
                tx,
                intake,
                seq: next_seq(tx)?,
                batch_key: batch.batch_id.as_bytes(),
                offset,
                activities: HashMap::new(),
            };
            batch_tx.record_batch(batch)?;
            let records = batch
                .records
                .iter()
                .enumerate()
                .map(|(index, record)| {
                    batch_tx.record(record, decoded.get(index).cloned().flatten())
                })
                .collect::<Result<_>>()?;
            let voids = batch
                .voids
                .iter()
                .map(|void| batch_tx.void(void))
                .collect::<Result<_>>()?;
            Ok(BatchReceipt {
                batch_id: batch.batch_id,
                received_at: intake.received_at,
                clock_offset_ms: offset.num_milliseconds(),
                records,
                voids,
            })
        })
    }
}

/// One batch's transaction and what it has looked up so far.
struct BatchTx<'t, 'a> {
    tx: &'t Transaction<'t>,
    intake: &'a Intake<'a>,
    seq: i64,
    batch_key: &'a [u8; 16],
    offset: Duration,
    activities: HashMap<ActivityId, Option<(i64, Activity)>>,
}

impl BatchTx<'_, '_> {
    fn kiosk_id(&self) -> &str {
        self.intake.kiosk.kiosk_id.as_str()
    }

    fn record_batch(&self, batch: &BatchRequest) -> Result<()> {
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
                to_ms(batch.sent_at),
                received_ms,
                self.offset.num_milliseconds(),
                count(batch.records.len()),
                count(batch.voids.len())
            ])?;
        self.tx
            .prepare_cached("UPDATE kiosks SET last_seen_at = ?2, last_clock_offset_ms = ?3 WHERE kiosk_id = ?1")?
            .execute(params![self.kiosk_id(), received_ms, self.offset.num_milliseconds()])?;
        Ok(())
    }

    fn record(
        &mut self,
        record: &AttendanceRecord,
        decoded: Option<Result<Card, CardRefusal>>,
    ) -> Result<RecordReceipt> {
        let tx = self.tx;
        let record_key = record.record_id.as_bytes().as_slice();
        if let Some((status, reason)) = earlier_decision(tx, record_key)? {
            return Ok(RecordReceipt {
                record_id: record.record_id,
                status: RecordStatus::AlreadyReceived,
                reason,
                original_status: Some(status),
            });
        }
        let member: Option<(i64, Option<u32>)> = tx
            .prepare_cached("SELECT member_key, card_serial FROM members WHERE member_id = ?1")?
            .query_row([record.member_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if !self.activities.contains_key(&record.activity_id) {
            let found = activity_key(tx, &record.activity_id)?;
            self.activities.insert(record.activity_id.clone(), found);
        }
        let activity = self
            .activities
            .get(&record.activity_id)
            .and_then(Option::as_ref);
        let corrected_at = record.scanned_at + self.offset;
        let card = match decoded {
            Some(Ok(card)) => {
                let known = Known {
                    current: member.and_then(|(_, serial)| serial),
                    revoked: cards::is_revoked(tx, card.serial)?,
                };
                let today = corrected_at
                    .with_timezone(&self.intake.policy.time_zone)
                    .date_naive();
                Some(card::check(card, today, &known))
            }
            other => other,
        };
        let already_attended = match (member, activity) {
            (Some((member_key, _)), Some((activity_key, _))) => tx
                .prepare_cached(
                    "SELECT 1 FROM attendance WHERE member_key = ?1 AND activity_key = ?2
                     AND status IN ('accepted', 'repeat')",
                )?
                .exists([member_key, *activity_key])?,
            _ => false,
        };
        let (status, reason) = judge(&Facts {
            record,
            kiosk_community: &self.intake.kiosk.community,
            member_known: member.is_some(),
            activity: activity.map(|(_, a)| a),
            card: card.as_ref(),
            corrected_at,
            grace: self.intake.grace,
            already_attended,
        });
        tx.prepare_cached(
            "INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key,
                 activity_key, scanned_at, corrected_at, method, card, received_at, status, reason, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
            record_key,
            self.kiosk_id(),
            self.batch_key.as_slice(),
            record.member_id.as_str(),
            record.activity_id.as_str(),
            member.map(|(key, _)| key),
            activity.map(|(key, _)| *key),
            to_ms(record.scanned_at),
            to_ms(corrected_at),
            record.method.code(),
            record.card,
            to_ms(self.intake.received_at),
            status.code(),
            reason.map(Reason::code),
            self.seq
        ])?;
        Ok(RecordReceipt {
            record_id: record.record_id,
            status,
            reason,
            original_status: None,
        })
    }

    fn void(&self, void: &Void) -> Result<VoidReceipt> {
        let record_key = void.record_id.as_bytes().as_slice();
        let community: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT k.community FROM attendance a JOIN kiosks k ON k.kiosk_id = a.kiosk_id
                 WHERE a.record_id = ?1",
            )?
            .query_row([record_key], |r| r.get(0))
            .optional()?;
        if community.is_some_and(|c| c != self.intake.kiosk.community.as_str()) {
            return Ok(VoidReceipt {
                record_id: void.record_id,
                status: VoidStatus::Rejected,
                reason: Some(Reason::OtherCommunity),
            });
        }
        // A void may arrive before its record (another kiosk's upload still
        // pending); it is kept and applies when the record arrives.
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO voids (record_id, kiosk_id, batch_id, reason, voided_at, received_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (record_id) DO NOTHING",
            )?
            .execute(params![
                record_key,
                self.kiosk_id(),
                self.batch_key.as_slice(),
                void.reason,
                void.voided_at.map(to_ms),
                to_ms(self.intake.received_at),
                self.seq
            ])?;
        Ok(VoidReceipt {
            record_id: void.record_id,
            status: if inserted == 1 {
                VoidStatus::Voided
            } else {
                VoidStatus::AlreadyVoided
            },
            reason: None,
        })
    }
}

fn earlier_decision(
    tx: &Transaction<'_>,
    record_key: &[u8],
) -> Result<Option<(RecordStatus, Option<Reason>)>> {
    Ok(tx
        .prepare_cached("SELECT status, reason FROM attendance WHERE record_id = ?1")?
        .query_row([record_key], |r| {
            let status: String = r.get(0)?;
            let reason: Option<String> = r.get(1)?;
            Ok((
                RecordStatus::from_code(&status),
                reason.as_deref().map(Reason::from_code),
            ))
        })
        .optional()?)
}

fn activity_key(tx: &Transaction<'_>, id: &ActivityId) -> Result<Option<(i64, Activity)>> {
    let key: Option<i64> = tx
        .prepare_cached("SELECT activity_key FROM activities WHERE activity_id = ?1")?
        .query_row([id.as_str()], |r| r.get(0))
        .optional()?;
    Ok(match key {
        Some(key) => activities::find(tx, id)?.map(|a| (key, a)),
        None => None,
    })
}
