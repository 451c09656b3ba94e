//! Console logins and sessions, and the day's activities with their
//! turnout, on PostgreSQL.

use baodao_shared::Community;
use chrono::{DateTime, Utc};
use deadpool_postgres::Object;

use super::admin::row_to_activity;
use super::{from_ms, to_ms};
use crate::domain::office::{OfficeUser, Role, communities_text, parse_communities};
use crate::domain::schedule::ActivityDetails;
use crate::domain::session::{IDLE, Lockout, is_idle};
use crate::error::Result;
use crate::store::{ActivityTurnout, LoginFacts, SessionInfo};

/// A session's last use is written at most this often (milliseconds).
const TOUCH_EVERY_MS: i64 = 60_000;

fn user(username: String, role: &str, communities: &str) -> Option<OfficeUser> {
    Some(OfficeUser {
        username,
        role: role.parse::<Role>().ok()?,
        communities: parse_communities(communities),
    })
}

pub(super) async fn login_facts(client: &Object, username: &str) -> Result<Option<LoginFacts>> {
    let stmt = client
        .prepare_cached(
            "SELECT username, role, communities, password_hash, locked_until
             FROM office_users WHERE username = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&username]).await? else {
        return Ok(None);
    };
    let locked: Option<i64> = row.get(4);
    Ok(
        user(row.get(0), row.get(1), row.get(2)).map(|user| LoginFacts {
            user,
            password_hash: row.get(3),
            locked_until: locked.and_then(|ms| from_ms(ms).ok()),
        }),
    )
}

pub(super) async fn login_failed(
    client: &Object,
    username: &str,
    lockout: Lockout,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    // One statement: instances counting at once each add one.
    let failures: Option<i32> = client
        .query_opt(
            "UPDATE office_users SET failed_logins = failed_logins + 1
             WHERE username = $1 RETURNING failed_logins",
            &[&username],
        )
        .await?
        .map(|r| r.get(0));
    let until = failures
        .and_then(|n| u32::try_from(n).ok())
        .and_then(|n| lockout.locked_until(n, now));
    if let Some(until) = until {
        client
            .execute(
                "UPDATE office_users SET locked_until = $2, failed_logins = 0 WHERE username = $1",
                &[&username, &to_ms(until)],
            )
            .await?;
    }
    Ok(until)
}

pub(super) async fn open_session(
    client: &mut Object,
    username: &str,
    secret_hash: &str,
    csrf: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute(
        "DELETE FROM office_sessions WHERE last_seen_at <= $1",
        &[&(to_ms(now) - idle_ms())],
    )
    .await?;
    tx.execute(
        "UPDATE office_users SET failed_logins = 0, locked_until = NULL WHERE username = $1",
        &[&username],
    )
    .await?;
    tx.execute(
        "INSERT INTO office_sessions (secret_hash, user_id, csrf, created_at, last_seen_at)
         SELECT $2, user_id, $3, $4, $4 FROM office_users WHERE username = $1",
        &[&username, &secret_hash, &csrf, &to_ms(now)],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn session(
    client: &Object,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionInfo>> {
    let stmt = client
        .prepare_cached(
            "SELECT u.username, u.role, u.communities, s.csrf, s.last_seen_at
             FROM office_sessions s JOIN office_users u ON u.user_id = s.user_id
             WHERE s.secret_hash = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&secret_hash]).await? else {
        return Ok(None);
    };
    let last_seen: i64 = row.get(4);
    if from_ms(last_seen).map_or(true, |seen| is_idle(seen, now)) {
        close_session(client, secret_hash).await?;
        return Ok(None);
    }
    if to_ms(now) - last_seen >= TOUCH_EVERY_MS {
        client
            .execute(
                "UPDATE office_sessions SET last_seen_at = $2 WHERE secret_hash = $1",
                &[&secret_hash, &to_ms(now)],
            )
            .await?;
    }
    Ok(
        user(row.get(0), row.get(1), row.get(2)).map(|user| SessionInfo {
            user,
            csrf: row.get(3),
        }),
    )
}

pub(super) async fn close_session(client: &Object, secret_hash: &str) -> Result<()> {
    client
        .execute(
            "DELETE FROM office_sessions WHERE secret_hash = $1",
            &[&secret_hash],
        )
        .await?;
    Ok(())
}

pub(super) async fn activities_between(
    client: &Object,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: Option<&[Community]>,
) -> Result<Vec<ActivityTurnout>> {
    let stmt = client
        .prepare_cached(concat!(
            "SELECT a.activity_id, a.title, a.kind, a.community, a.starts_at, a.ends_at,
                    (SELECT COUNT(DISTINCT t.member_key) FROM attendance t
                     WHERE t.activity_key = a.activity_key AND t.status IN ",
            counting!(),
            "          AND NOT EXISTS (SELECT 1 FROM voids v
                                       WHERE v.record_id = t.record_id
                                         AND v.community = t.community)),
                    a.place, a.organiser, a.capacity, a.cancelled_at IS NOT NULL
             FROM activities a
             WHERE a.starts_at >= $1 AND a.starts_at < $2
               AND ($3::text IS NULL OR a.community = ANY(string_to_array($3, ',')))
             ORDER BY a.starts_at, a.activity_id"
        ))
        .await?;
    let scope = scope.map(communities_text);
    client
        .query(&stmt, &[&to_ms(from), &to_ms(to), &scope])
        .await?
        .iter()
        .map(|row| {
            Ok(ActivityTurnout {
                activity: row_to_activity(row, 0)?,
                attended: u32::try_from(row.get::<_, i64>(6)).unwrap_or(u32::MAX),
                details: ActivityDetails {
                    place: row.get(7),
                    organiser: row.get(8),
                    capacity: row
                        .get::<_, Option<i32>>(9)
                        .and_then(|c| u32::try_from(c).ok()),
                },
                cancelled: row.get(10),
            })
        })
        .collect()
}

fn idle_ms() -> i64 {
    i64::try_from(IDLE.as_millis()).unwrap_or(i64::MAX)
}
