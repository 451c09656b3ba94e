//! Office users, their tokens, the review of held and refused records, and
//! the audit log, on SQLite.

use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_shared::{ActivityId, Community, MemberId};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use uuid::Uuid;

use super::{Store, from_ms, next_seq, to_ms};
use crate::domain::office::{
    self, Decision, OfficeUser, Role, communities_text, parse_communities,
};
use crate::domain::token::hash_token;
use crate::error::{Error, Result};
use crate::store::{AuditEntry, MemberRecord, PeriodAttendance, ReviewItem};

const REVIEW_COLUMNS: &str =
    "a.record_id, a.member_id, a.activity_id, a.community, a.kiosk_id, a.method, a.status,
     a.reason, a.scanned_at, a.corrected_at, a.received_at, act.title, act.starts_at, act.ends_at";

/// Each record with its activity, when known (`a`, `act`).
const WITH_ACTIVITY: &str = "LEFT JOIN activities act ON act.activity_id = a.activity_id";

impl Store {
    pub fn add_office_user(
        &self,
        user: &OfficeUser,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let inserted = tx.execute(
                "INSERT INTO office_users (username, password_hash, role, communities, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (username) DO NOTHING",
                params![
                    user.username,
                    password_hash,
                    user.role.code(),
                    communities_text(&user.communities),
                    to_ms(now)
                ],
            )?;
            if inserted == 0 {
                return Err(Error::Conflict(format!("user {} exists", user.username)));
            }
            Ok(())
        })
    }

    pub fn add_office_token(
        &self,
        username: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let user: Option<i64> = tx
                .query_row(
                    "SELECT user_id FROM office_users WHERE username = ?1",
                    [username],
                    |r| r.get(0),
                )
                .optional()?;
            let user = user.ok_or_else(|| Error::NotFound(format!("user {username}")))?;
            tx.execute(
                "INSERT INTO office_tokens (token_hash, user_id, created_at) VALUES (?1, ?2, ?3)",
                params![token_hash, user, to_ms(now)],
            )?;
            Ok(())
        })
    }

    pub fn revoke_office_tokens(&self, username: &str, now: DateTime<Utc>) -> Result<u64> {
        self.write(|tx| {
            let user: i64 = tx
                .query_row(
                    "SELECT user_id FROM office_users WHERE username = ?1",
                    [username],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("user {username}")))?;
            let revoked = tx.execute(
                "UPDATE office_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                params![user, to_ms(now)],
            )?;
            // A lost laptop's browser session ends with its tokens.
            tx.execute("DELETE FROM office_sessions WHERE user_id = ?1", [user])?;
            Ok(u64::try_from(revoked).unwrap_or_default())
        })
    }

    pub fn office_authenticate(&self, token: &str) -> Result<Option<OfficeUser>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT u.username, u.role, u.communities FROM office_tokens t
                     JOIN office_users u ON u.user_id = t.user_id
                     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL",
                )?
                .query_row([hash_token(token)], |r| {
                    let role: String = r.get(1)?;
                    let communities: String = r.get(2)?;
                    Ok((r.get::<_, String>(0)?, role, communities))
                })
                .optional()?
                .and_then(|(username, role, communities)| {
                    Some(OfficeUser {
                        username,
                        role: role.parse::<Role>().ok()?,
                        communities: parse_communities(&communities),
                    })
                }))
        })
    }

    pub fn review_queue(&self, scope: Option<&[Community]>, limit: u32) -> Result<Vec<ReviewItem>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {REVIEW_COLUMNS} FROM attendance a INDEXED BY attendance_review {WITH_ACTIVITY}
                 WHERE a.status IN ('held', 'rejected')
                 ORDER BY a.received_at, a.record_id"
            ))?;
            let rows = stmt.query_map([], review_item)?;
            let mut items = Vec::new();
            for item in rows {
                let item = item?;
                if scope.is_none_or(|s| s.iter().any(|c| c.as_str() == item.community)) {
                    items.push(item);
                    if items.len() >= limit as usize {
                        break;
                    }
                }
            }
            Ok(items)
        })
    }

    pub fn review_count(&self, scope: Option<&[Community]>) -> Result<u64> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT a.community, COUNT(*) FROM attendance a INDEXED BY attendance_review
                 WHERE a.status IN ('held', 'rejected') GROUP BY a.community",
            )?;
            let mut rows = stmt.query([])?;
            let mut count = 0;
            while let Some(r) = rows.next()? {
                let community: String = r.get(0)?;
                if scope.is_none_or(|s| s.iter().any(|c| c.as_str() == community)) {
                    count += r.get::<_, i64>(1)?.unsigned_abs();
                }
            }
            Ok(count)
        })
    }

    pub fn review(
        &self,
        record_id: Uuid,
        decision: Decision,
        user: &OfficeUser,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        self.write(|tx| {
            let before = find(tx, record_id)?
                .ok_or_else(|| Error::NotFound(format!("record {record_id}")))?;
            let status = office::review(user, &before.community, before.status, decision)?;
            let seq = next_seq(tx)?;
            tx.execute(
                "UPDATE attendance SET status = ?2, seq = ?3 WHERE record_id = ?1",
                params![record_id.as_bytes().as_slice(), status.code(), seq],
            )?;
            let (action, subject, was, is) =
                office::review_audit(record_id, decision, (before.status, before.reason), status);
            audit(
                tx,
                now,
                user,
                (action, &subject),
                (Some(&was), Some(&is)),
                note,
            )?;
            find(tx, record_id)?.ok_or_else(|| Error::Internal("a reviewed record vanished".into()))
        })
    }

    pub fn enter_attendance(
        &self,
        member_id: &MemberId,
        activity_id: &ActivityId,
        user: &OfficeUser,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        self.write(|tx| {
            let member: i64 = tx
                .query_row(
                    "SELECT member_key FROM members WHERE member_id = ?1",
                    [member_id.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("member {member_id}")))?;
            let (activity, community, starts_at): (i64, String, i64) = tx
                .query_row(
                    "SELECT activity_key, community, starts_at FROM activities WHERE activity_id = ?1",
                    [activity_id.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("activity {activity_id}")))?;
            let already = tx
                .prepare_cached(concat!(
                    "SELECT 1 FROM attendance WHERE member_key = ?1 AND activity_key = ?2 AND status IN ",
                    counting!()
                ))?
                .exists([member, activity])?;
            office::may_enter(user, &community, already)?;
            let record_id = Uuid::now_v7();
            let seq = next_seq(tx)?;
            tx.execute(
                "INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key,
                     activity_key, scanned_at, corrected_at, method, card, received_at, status, reason, seq,
                     community)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 'office', NULL, ?9, 'accepted', NULL, ?10, ?11)",
                params![
                    record_id.as_bytes().as_slice(),
                    office::office_kiosk(user),
                    Uuid::nil().as_bytes().as_slice(),
                    member_id.as_str(),
                    activity_id.as_str(),
                    member,
                    activity,
                    starts_at,
                    to_ms(now),
                    seq,
                    community
                ],
            )?;
            audit(
                tx,
                now,
                user,
                ("attendance.enter", &format!("record:{record_id}")),
                (None, Some(&format!("{member_id} at {activity_id}: accepted"))),
                note,
            )?;
            find(tx, record_id)?.ok_or_else(|| Error::Internal("an entered record vanished".into()))
        })
    }

    pub fn office_void(
        &self,
        record_id: Uuid,
        user: &OfficeUser,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<ReviewItem> {
        self.write(|tx| {
            let record = find(tx, record_id)?
                .ok_or_else(|| Error::NotFound(format!("record {record_id}")))?;
            let key = record_id.as_bytes().as_slice();
            let voided = tx
                .prepare_cached("SELECT 1 FROM voids WHERE record_id = ?1 AND community = ?2")?
                .exists(params![key, record.community])?;
            office::may_void(user, &record.community, voided)?;
            let seq = next_seq(tx)?;
            tx.execute(
                "INSERT INTO voids (record_id, community, kiosk_id, batch_id, reason, voided_at, received_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                params![
                    key,
                    record.community,
                    office::office_kiosk(user),
                    Uuid::nil().as_bytes().as_slice(),
                    office::void_reason(note),
                    to_ms(now),
                    seq
                ],
            )?;
            audit(
                tx,
                now,
                user,
                ("record.void", &format!("record:{record_id}")),
                (Some(record.status.code()), Some("voided")),
                note,
            )?;
            Ok(record)
        })
    }

    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT at, actor, action, subject, before_value, after_value, note FROM audit
                 ORDER BY audit_id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(AuditEntry {
                    at: from_ms(r.get(0)?)?,
                    actor: r.get(1)?,
                    action: r.get(2)?,
                    subject: r.get(3)?,
                    before: r.get(4)?,
                    after: r.get(5)?,
                    note: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

/// Writes an audit entry: (action, subject), (before, after), note.
fn audit(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
    user: &OfficeUser,
    (action, subject): (&str, &str),
    (before, after): (Option<&str>, Option<&str>),
    note: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, before_value, after_value, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            to_ms(at),
            user.username,
            action,
            subject,
            before,
            after,
            note
        ],
    )?;
    Ok(())
}

fn find(tx: &Transaction<'_>, record_id: Uuid) -> Result<Option<ReviewItem>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {REVIEW_COLUMNS} FROM attendance a {WITH_ACTIVITY} WHERE a.record_id = ?1"
        ))?
        .query_row([record_id.as_bytes().as_slice()], review_item)
        .optional()?)
}

fn review_item(r: &Row<'_>) -> rusqlite::Result<ReviewItem> {
    let id: Vec<u8> = r.get(0)?;
    let status: String = r.get(6)?;
    let reason: Option<String> = r.get(7)?;
    Ok(ReviewItem {
        record_id: Uuid::from_slice(&id).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
        })?,
        member_id: r.get(1)?,
        activity_id: r.get(2)?,
        community: r.get(3)?,
        kiosk_id: r.get(4)?,
        method: r.get(5)?,
        status: RecordStatus::from_code(&status),
        reason: reason.as_deref().map(Reason::from_code),
        scanned_at: from_ms(r.get(8)?)?,
        corrected_at: from_ms(r.get(9)?)?,
        received_at: from_ms(r.get(10)?)?,
        activity_title: r.get(11)?,
        activity_starts_at: r.get::<_, Option<i64>>(12)?.map(from_ms).transpose()?,
        activity_ends_at: r.get::<_, Option<i64>>(13)?.map(from_ms).transpose()?,
    })
}

impl Store {
    pub fn member_records(&self, member_id: &MemberId) -> Result<Vec<MemberRecord>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT a.record_id, a.member_id, a.activity_id, a.community, a.kiosk_id, a.method,
                        a.status, a.reason, a.scanned_at, a.corrected_at, a.received_at,
                        act.title, act.starts_at, act.ends_at, v.record_id IS NOT NULL
                 FROM attendance a
                 LEFT JOIN voids v ON v.record_id = a.record_id AND v.community = a.community
                 LEFT JOIN activities act ON act.activity_id = a.activity_id
                 WHERE a.member_id = ?1
                 ORDER BY a.corrected_at, a.record_id",
            )?;
            let rows = stmt.query_map([member_id.as_str()], |r| {
                Ok(MemberRecord {
                    record: review_item(r)?,
                    voided: r.get(14)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

impl Store {
    pub fn period_attendance(
        &self,
        organization: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<&[Community]>,
    ) -> Result<Vec<PeriodAttendance>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(concat!(
                "SELECT DISTINCT m.member_id, act.activity_id, act.title, act.starts_at
                 FROM members m
                 JOIN attendance a ON a.member_key = m.member_key
                 JOIN activities act ON act.activity_key = a.activity_key
                 WHERE m.organization = ?1 AND act.starts_at >= ?2 AND act.starts_at < ?3
                   AND (?4 IS NULL OR instr(',' || ?4 || ',', ',' || m.community || ',') > 0)
                   AND a.status IN ",
                counting!(),
                " AND NOT EXISTS (SELECT 1 FROM voids v
                                  WHERE v.record_id = a.record_id AND v.community = a.community)
                 ORDER BY m.member_id, act.starts_at, act.activity_id"
            ))?;
            let rows = stmt.query_map(
                params![
                    organization,
                    to_ms(from),
                    to_ms(to),
                    scope.map(communities_text)
                ],
                |r| {
                    Ok(PeriodAttendance {
                        member_id: r.get(0)?,
                        activity_id: r.get(1)?,
                        activity_title: r.get(2)?,
                        starts_at: from_ms(r.get(3)?)?,
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

impl Store {
    pub fn office_users(&self) -> Result<Vec<OfficeUser>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT username, role, communities FROM office_users ORDER BY username",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            Ok(rows
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter_map(|(username, role, communities)| {
                    Some(OfficeUser {
                        username,
                        role: role.parse().ok()?,
                        communities: parse_communities(&communities),
                    })
                })
                .collect())
        })
    }
}
