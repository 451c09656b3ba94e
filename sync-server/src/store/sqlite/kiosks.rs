use baodao_shared::{Community, KioskId};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, from_ms, parse_column, to_ms};
use crate::domain::token::{format_token, hash_token};
use crate::error::{Error, Result};
use crate::store::model::{Kiosk, KioskInfo, Registration};

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
                "SELECT kiosk_id, community, name, revoked_at IS NOT NULL, last_seen_at, last_clock_offset_ms
                 FROM kiosks ORDER BY kiosk_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(KioskInfo {
                    kiosk: Kiosk {
                        kiosk_id: parse_column(0, &r.get::<_, String>(0)?)?,
                        community: parse_column(1, &r.get::<_, String>(1)?)?,
                    },
                    name: r.get(2)?,
                    revoked: r.get(3)?,
                    last_seen_at: r.get::<_, Option<i64>>(4)?.map(from_ms).transpose()?,
                    last_clock_offset_ms: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
