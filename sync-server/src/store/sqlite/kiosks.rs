use baodao_shared::protocol::{Enrolment, Heartbeat};
use baodao_shared::{Community, KioskId};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, from_ms, parse_column, to_ms};
use crate::domain::enrolment::{CodeState, judge};
use crate::domain::heartbeat::HISTORY;
use crate::domain::token::{format_token, hash_token};
use crate::error::{Error, Result};
use crate::store::model::{HeartbeatEntry, Kiosk, KioskInfo, Registration};

impl Store {
    pub fn register_kiosk(
        &self,
        name: &str,
        community: &Community,
        secret: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Registration> {
        let token = format_token(secret);
        self.write(|tx| {
            // The number comes from the row SQLite allocates, not from a
            // count read beforehand: two registrations never get one id.
            let hash = hash_token(&token);
            tx.execute(
                "INSERT INTO kiosks (kiosk_id, name, community, token_hash, created_at) VALUES (?1, ?2, ?3, ?1, ?4)",
                params![hash, name, community.as_str(), to_ms(now)],
            )?;
            let number = tx.last_insert_rowid();
            let kiosk_id = KioskId::new(format!("K{number:04}"))?;
            tx.execute(
                "UPDATE kiosks SET kiosk_id = ?1 WHERE rowid = ?2",
                params![kiosk_id.as_str(), number],
            )?;
            Ok(Registration {
                kiosk: Kiosk {
                    kiosk_id,
                    community: community.clone(),
                },
                token: token.clone(),
            })
        })
    }

    /// Revokes a kiosk's token; its later requests are refused.
    pub fn revoke_kiosk(&self, kiosk_id: &KioskId, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE kiosks SET revoked_at = ?2 WHERE kiosk_id = ?1 AND revoked_at IS NULL",
                params![kiosk_id.as_str(), to_ms(now)],
            )?;
            if changed == 0 {
                return Err(Error::NotFound(format!("active kiosk {kiosk_id}")));
            }
            Ok(())
        })
    }

    /// The kiosk a bearer token belongs to, if it is registered and not revoked.
    pub fn authenticate(&self, token: &str) -> Result<Option<Kiosk>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT kiosk_id, community FROM kiosks WHERE token_hash = ?1 AND revoked_at IS NULL",
                )?
                .query_row([hash_token(token)], |r| {
                    Ok(Kiosk {
                        kiosk_id: parse_column(0, &r.get::<_, String>(0)?)?,
                        community: parse_column(1, &r.get::<_, String>(1)?)?,
                    })
                })
                .optional()?)
        })
    }

    pub fn kiosks(&self) -> Result<Vec<KioskInfo>> {
        self.read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT k.kiosk_id, k.community, k.name, k.revoked_at IS NOT NULL, k.last_seen_at,
                        k.last_clock_offset_ms, h.received_at, h.report
                 FROM kiosks k
                 LEFT JOIN kiosk_heartbeats h ON h.kiosk_id = k.kiosk_id
                      AND h.received_at = (SELECT MAX(received_at) FROM kiosk_heartbeats
                                           WHERE kiosk_id = k.kiosk_id)
                 ORDER BY k.kiosk_id",
            )?;
            let rows = stmt.query_map([], |r| {
                let heartbeat = match (r.get::<_, Option<i64>>(6)?, r.get::<_, Option<String>>(7)?)
                {
                    (Some(at), Some(json)) => HeartbeatEntry::from_stored(from_ms(at)?, &json),
                    _ => None,
                };
                Ok(KioskInfo {
                    kiosk: Kiosk {
                        kiosk_id: parse_column(0, &r.get::<_, String>(0)?)?,
                        community: parse_column(1, &r.get::<_, String>(1)?)?,
                    },
                    name: r.get(2)?,
                    revoked: r.get(3)?,
                    last_seen_at: r.get::<_, Option<i64>>(4)?.map(from_ms).transpose()?,
                    last_clock_offset_ms: r.get(5)?,
                    heartbeat,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn add_enrol_code(
        &self,
        kiosk_id: &KioskId,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let active: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM kiosks WHERE kiosk_id = ?1 AND revoked_at IS NULL)",
                    [kiosk_id.as_str()],
                    |r| r.get(0),
                )?;
            if !active {
                return Err(Error::NotFound(format!("active kiosk {kiosk_id}")));
            }
            tx.execute(
                "INSERT INTO enrol_codes (code_hash, kiosk_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![code_hash, kiosk_id.as_str(), to_ms(now), to_ms(expires_at)],
            )?;
            Ok(())
        })
    }

    pub fn redeem_enrol_code(
        &self,
        code_hash: &str,
        secret: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Enrolment> {
        let token = format_token(secret);
        self.write(|tx| {
            let row = tx
                .query_row(
                    "SELECT c.expires_at, c.used_at, k.revoked_at IS NOT NULL, k.kiosk_id, k.name, k.community
                     FROM enrol_codes c JOIN kiosks k ON k.kiosk_id = c.kiosk_id
                     WHERE c.code_hash = ?1",
                    [code_hash],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, Option<i64>>(1)?,
                            r.get::<_, bool>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()?;
            let state = row
                .as_ref()
                .map(|(expires, used, revoked, ..)| -> Result<CodeState> {
                    Ok(CodeState {
                        expires_at: from_ms(*expires)?,
                        used_at: used.map(from_ms).transpose()?,
                        kiosk_revoked: *revoked,
                    })
                })
                .transpose()?;
            judge(state.as_ref(), now)?;
            let Some((_, _, _, kiosk_id, name, community)) = row else {
                return Err(Error::Internal("a judged code without a row".into()));
            };
            tx.execute(
                "UPDATE enrol_codes SET used_at = ?2 WHERE code_hash = ?1",
                params![code_hash, to_ms(now)],
            )?;
            tx.execute(
                "UPDATE kiosks SET token_hash = ?2 WHERE kiosk_id = ?1",
                params![kiosk_id, hash_token(&token)],
            )?;
            Ok(Enrolment {
                kiosk_id: kiosk_id.parse()?,
                name,
                community: community.parse()?,
                token: token.clone(),
            })
        })
    }

    pub fn record_heartbeat(
        &self,
        kiosk_id: &KioskId,
        heartbeat: &Heartbeat,
        now: DateTime<Utc>,
        clock_offset_ms: i64,
    ) -> Result<()> {
        let report = serde_json::to_string(heartbeat)
            .map_err(|e| Error::Internal(format!("heartbeat as JSON: {e}")))?;
        self.write(|tx| {
            tx.execute(
                "UPDATE kiosks SET last_seen_at = MAX(COALESCE(last_seen_at, ?2), ?2), last_clock_offset_ms = ?3
                 WHERE kiosk_id = ?1",
                params![kiosk_id.as_str(), to_ms(now), clock_offset_ms],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO kiosk_heartbeats (kiosk_id, received_at, report) VALUES (?1, ?2, ?3)",
                params![kiosk_id.as_str(), to_ms(now), report],
            )?;
            tx.execute(
                "DELETE FROM kiosk_heartbeats WHERE kiosk_id = ?1 AND received_at < ?2",
                params![kiosk_id.as_str(), to_ms(now - HISTORY)],
            )?;
            Ok(())
        })
    }

    pub fn heartbeats(&self, kiosk_id: &KioskId, limit: u32) -> Result<Vec<HeartbeatEntry>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT received_at, report FROM kiosk_heartbeats WHERE kiosk_id = ?1
                 ORDER BY received_at DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![kiosk_id.as_str(), limit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut entries = Vec::with_capacity(rows.len());
            for (at, json) in rows {
                if let Some(entry) = HeartbeatEntry::from_stored(from_ms(at)?, &json) {
                    entries.push(entry);
                }
            }
            Ok(entries)
        })
    }
}
