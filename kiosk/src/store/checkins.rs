use baodao_shared::protocol::{BatchReceipt, Reason, RecordStatus, VoidStatus};
use baodao_shared::{ActivityId, AttendanceRecord, MemberId, Method, Void};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Store, from_ms, parse_column};
use crate::error::Result;

/// A check-in about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub record: AttendanceRecord,
    /// Kept with the record so staff lists work without the roster.
    pub member_name: String,
}

/// A stored check-in with what the server and staff said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRow {
    pub record: AttendanceRecord,
    pub member_name: String,
    /// `None` until the server answered.
    pub server_status: Option<RecordStatus>,
    pub server_reason: Option<Reason>,
    /// The staff's reason, when voided.
    pub voided: Option<String>,
}

fn method(code: &str) -> Method {
    match code {
        "manual" => Method::Manual,
        "keyboard" => Method::Keyboard,
        _ => Method::Qr,
    }
}

fn row_to_check_in(r: &rusqlite::Row<'_>) -> rusqlite::Result<CheckInRow> {
    let id: Vec<u8> = r.get(0)?;
    Ok(CheckInRow {
        record: AttendanceRecord {
            record_id: Uuid::from_slice(&id).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Blob,
                    Box::new(e),
                )
            })?,
            member_id: parse_column(1, &r.get::<_, String>(1)?)?,
            activity_id: parse_column(2, &r.get::<_, String>(2)?)?,
            scanned_at: from_ms(r.get(3)?)?,
            method: method(&r.get::<_, String>(4)?),
            card: r.get(5)?,
            entered_by: r.get(10)?,
        },
        member_name: r.get(6)?,
        server_status: r
            .get::<_, Option<String>>(7)?
            .map(|s| RecordStatus::from_code(&s)),
        server_reason: r
            .get::<_, Option<String>>(8)?
            .map(|s| Reason::from_code(&s)),
        voided: r.get(9)?,
    })
}

const CHECK_IN_COLUMNS: &str =
    "c.record_id, c.member_id, c.activity_id, c.scanned_at, c.method, c.card,
     c.member_name, c.server_status, c.server_reason, v.reason, c.entered_by";

impl Store {
    /// Stores a check-in; when this returns, it is on disk.
    pub fn record_check_in(&mut self, check_in: &CheckIn) -> Result<()> {
        let r = &check_in.record;
        self.conn.execute(
            "INSERT INTO checkins (record_id, member_id, member_name, activity_id, scanned_at, method, card,
                 entered_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                r.record_id.as_bytes().as_slice(),
                r.member_id.as_str(),
                check_in.member_name,
                r.activity_id.as_str(),
                r.scanned_at.timestamp_millis(),
                r.method.code(),
                r.card,
                r.entered_by
            ],
        )?;
        Ok(())
    }

    /// When the member first checked in at the activity, not counting
    /// voided check-ins.
    pub fn first_check_in(
        &self,
        member: &MemberId,
        activity: &ActivityId,
    ) -> Result<Option<DateTime<Utc>>> {
        let ms: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MIN(c.scanned_at) FROM checkins c LEFT JOIN voids v ON v.record_id = c.record_id
                 WHERE c.member_id = ?1 AND c.activity_id = ?2 AND v.record_id IS NULL",
            )?
            .query_row([member.as_str(), activity.as_str()], |r| r.get(0))?;
        Ok(ms.map(from_ms).transpose()?)
    }

    /// Voids a check-in as `by` (a staff member); `false` when there is no
    /// such check-in or it was voided already.
    pub fn void(
        &mut self,
        record_id: Uuid,
        reason: &str,
        at: DateTime<Utc>,
        by: Option<&str>,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM checkins WHERE record_id = ?1",
                [record_id.as_bytes().as_slice()],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        let inserted = exists
            && tx.execute(
                "INSERT INTO voids (record_id, reason, voided_at, voided_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                params![record_id.as_bytes().as_slice(), reason, at.timestamp_millis(), by],
            )? == 1;
        tx.commit()?;
        Ok(inserted)
    }

    /// Check-ins the server has not answered yet, oldest first.
    pub fn pending_records(&self, limit: usize) -> Result<Vec<AttendanceRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CHECK_IN_COLUMNS} FROM checkins c LEFT JOIN voids v ON v.record_id = c.record_id
             WHERE c.server_status IS NULL ORDER BY c.seq LIMIT ?1"
        ))?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], row_to_check_in)?;
        Ok(rows
            .map(|r| r.map(|row| row.record))
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn pending_voids(&self, limit: usize) -> Result<Vec<Void>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record_id, reason, voided_at, voided_by FROM voids WHERE server_status IS NULL
             ORDER BY voided_at LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            let id: Vec<u8> = r.get(0)?;
            Ok(Void {
                record_id: Uuid::from_slice(&id).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Blob,
                        Box::new(e),
                    )
                })?,
                reason: r.get(1)?,
                voided_at: Some(from_ms(r.get(2)?)?),
                voided_by: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Check-ins and voids still to upload.
    pub fn pending_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM checkins WHERE server_status IS NULL)
                  + (SELECT COUNT(*) FROM voids WHERE server_status IS NULL)",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// When the oldest check-in or void still waiting to upload was made.
    pub fn oldest_pending_at(&self) -> Result<Option<DateTime<Utc>>> {
        let ms: Option<i64> = self.conn.query_row(
            "SELECT MIN(at) FROM (
                 SELECT scanned_at AS at FROM checkins WHERE server_status IS NULL
                 UNION ALL
                 SELECT voided_at FROM voids WHERE server_status IS NULL)",
            [],
            |r| r.get(0),
        )?;
        Ok(ms.map(from_ms).transpose()?)
    }

    /// Check-ins the server held or rejected, for staff to see.
    pub fn refused_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM checkins WHERE server_status IN ('held', 'rejected')",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// The check-ins the server held or rejected, newest first.
    pub fn refused_check_ins(&self, limit: usize) -> Result<Vec<CheckInRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CHECK_IN_COLUMNS} FROM checkins c LEFT JOIN voids v ON v.record_id = c.record_id
             WHERE c.server_status IN ('held', 'rejected') ORDER BY c.seq DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], row_to_check_in)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks what the server said. Nothing is deleted: rejected and held
    /// check-ins stay, with their reasons.
    pub fn apply_receipt(&mut self, receipt: &BatchReceipt, at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut record = tx.prepare_cached(
                "UPDATE checkins SET server_status = ?2, server_reason = ?3, synced_at = ?4 WHERE record_id = ?1",
            )?;
            for r in &receipt.records {
                let status = match (r.status, r.original_status) {
                    (RecordStatus::AlreadyReceived, Some(original)) => original,
                    (status, _) => status,
                };
                record.execute(params![
                    r.record_id.as_bytes().as_slice(),
                    status.code(),
                    r.reason.map(Reason::code),
                    at.timestamp_millis()
                ])?;
            }
            let mut void = tx.prepare_cached(
                "UPDATE voids SET server_status = ?2, server_reason = ?3 WHERE record_id = ?1",
            )?;
            for v in &receipt.voids {
                let status = match v.status {
                    VoidStatus::Voided | VoidStatus::AlreadyVoided => "voided",
                    VoidStatus::Rejected => "rejected",
                    VoidStatus::Unknown => "unknown",
                };
                void.execute(params![
                    v.record_id.as_bytes().as_slice(),
                    status,
                    v.reason.map(Reason::code)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Check-ins, newest first: of one activity, or since a time, matching
    /// a name or member id.
    pub fn check_ins(
        &self,
        activity: Option<&ActivityId>,
        since: Option<DateTime<Utc>>,
        search: &str,
        limit: usize,
    ) -> Result<Vec<CheckInRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CHECK_IN_COLUMNS} FROM checkins c LEFT JOIN voids v ON v.record_id = c.record_id
             WHERE (?1 IS NULL OR c.activity_id = ?1) AND (?2 IS NULL OR c.scanned_at >= ?2)
               AND (?3 = '' OR instr(c.member_name, ?3) > 0 OR instr(lower(c.member_id), lower(?3)) > 0)
             ORDER BY c.seq DESC LIMIT ?4"
        ))?;
        let rows = stmt.query_map(
            params![
                activity.map(ActivityId::as_str),
                since.map(|t| t.timestamp_millis()),
                search.trim(),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            row_to_check_in,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Activities of the member's check-ins the server has not answered
    /// yet (not voided): points the server does not know about.
    pub fn unsynced_activities(&self, member: &MemberId) -> Result<Vec<ActivityId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT c.activity_id FROM checkins c LEFT JOIN voids v ON v.record_id = c.record_id
             WHERE c.member_id = ?1 AND c.server_status IS NULL AND v.record_id IS NULL",
        )?;
        let rows = stmt.query_map([member.as_str()], |r| {
            parse_column(0, &r.get::<_, String>(0)?)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
