//! Console logins and sessions on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, from_ms, to_ms};
use crate::domain::office::{OfficeUser, Role, parse_communities};
use crate::domain::session::{IDLE, Lockout, is_idle};
use crate::error::Result;
use crate::store::{LoginFacts, SessionInfo};

/// A session's last use is written at most this often (milliseconds): a
/// page's requests do not each write.
const TOUCH_EVERY_MS: i64 = 60_000;

impl Store {
    pub fn login_facts(&self, username: &str) -> Result<Option<LoginFacts>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT username, role, communities, password_hash, locked_until
                     FROM office_users WHERE username = ?1",
                )?
                .query_row([username], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                })
                .optional()?
                .and_then(|(username, role, communities, password_hash, locked)| {
                    Some(LoginFacts {
                        user: OfficeUser {
                            username,
                            role: role.parse::<Role>().ok()?,
                            communities: parse_communities(&communities),
                        },
                        password_hash,
                        locked_until: locked.and_then(|ms| from_ms(ms).ok()),
                    })
                }))
        })
    }

    pub fn login_failed(
        &self,
        username: &str,
        lockout: Lockout,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        self.write(|tx| {
            let failures: Option<u32> = tx
                .query_row(
                    "UPDATE office_users SET failed_logins = failed_logins + 1
                     WHERE username = ?1 RETURNING failed_logins",
                    [username],
                    |r| r.get(0),
                )
                .optional()?;
            let until = failures.and_then(|n| lockout.locked_until(n, now));
            if let Some(until) = until {
                tx.execute(
                    "UPDATE office_users SET locked_until = ?2, failed_logins = 0 WHERE username = ?1",
                    params![username, to_ms(until)],
                )?;
            }
            Ok(until)
        })
    }

    pub fn open_session(
        &self,
        username: &str,
        secret_hash: &str,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM office_sessions WHERE last_seen_at <= ?1",
                [to_ms(now) - idle_ms()],
            )?;
            tx.execute(
                "UPDATE office_users SET failed_logins = 0, locked_until = NULL WHERE username = ?1",
                [username],
            )?;
            tx.execute(
                "INSERT INTO office_sessions (secret_hash, user_id, csrf, created_at, last_seen_at)
                 SELECT ?2, user_id, ?3, ?4, ?4 FROM office_users WHERE username = ?1",
                params![username, secret_hash, csrf, to_ms(now)],
            )?;
            Ok(())
        })
    }

    pub fn session(&self, secret_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionInfo>> {
        let found = self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT u.username, u.role, u.communities, s.csrf, s.last_seen_at
                     FROM office_sessions s JOIN office_users u ON u.user_id = s.user_id
                     WHERE s.secret_hash = ?1",
                )?
                .query_row([secret_hash], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                })
                .optional()?)
        })?;
        let Some((username, role, communities, csrf, last_seen)) = found else {
            return Ok(None);
        };
        let idle = from_ms(last_seen).map_or(true, |seen| is_idle(seen, now));
        if idle {
            self.close_session(secret_hash)?;
            return Ok(None);
        }
        if to_ms(now) - last_seen >= TOUCH_EVERY_MS {
            self.write(|tx| {
                tx.execute(
                    "UPDATE office_sessions SET last_seen_at = ?2 WHERE secret_hash = ?1",
                    params![secret_hash, to_ms(now)],
                )?;
                Ok(())
            })?;
        }
        Ok(role.parse::<Role>().ok().map(|role| SessionInfo {
            user: OfficeUser {
                username,
                role,
                communities: parse_communities(&communities),
            },
            csrf,
        }))
    }

    pub fn close_session(&self, secret_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM office_sessions WHERE secret_hash = ?1",
                [secret_hash],
            )?;
            Ok(())
        })
    }
}

fn idle_ms() -> i64 {
    i64::try_from(IDLE.as_millis()).unwrap_or(i64::MAX)
}
