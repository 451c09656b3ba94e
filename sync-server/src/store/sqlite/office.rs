//! Office users, their tokens, the review of held and refused records, and
//! the audit log, on SQLite.

use baodao_shared::Community;
use baodao_shared::protocol::{Reason, RecordStatus};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use uuid::Uuid;

use super::{Store, from_ms, next_seq, to_ms};
use crate::domain::office::{
    self, Decision, OfficeUser, Role, communities_text, parse_communities,
};
use crate::domain::token::hash_token;
use crate::error::{Error, Result};
use crate::store::{AuditEntry, ReviewItem};

const REVIEW_COLUMNS: &str =
    "record_id, member_id, activity_id, community, kiosk_id, method, status,
     reason, scanned_at, corrected_at, received_at";

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
                "SELECT {REVIEW_COLUMNS} FROM attendance INDEXED BY attendance_review
                 WHERE status IN ('held', 'rejected')
                 ORDER BY received_at, record_id"
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
            tx.execute(
                "INSERT INTO audit (at, actor, action, subject, before_value, after_value, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![to_ms(now), user.username, action, subject, was, is, note],
            )?;
            find(tx, record_id)?.ok_or_else(|| Error::Internal("a reviewed record vanished".into()))
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

fn find(tx: &Transaction<'_>, record_id: Uuid) -> Result<Option<ReviewItem>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {REVIEW_COLUMNS} FROM attendance WHERE record_id = ?1"
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
    })
}
