//! What a kiosk needs to work offline, whole or since a cursor.

use baodao_shared::Policy;
use baodao_shared::protocol::Snapshot;
use chrono::{DateTime, Duration, Utc};

use super::points::{member_points, standings};
use super::{Kiosk, Store, activities, cards, current_seq, members, parse_column};
use crate::error::Result;

/// How far ahead a kiosk sees the programme.
const DAYS_AHEAD: i64 = 30;

impl Store {
    pub fn snapshot(
        &self,
        kiosk: &Kiosk,
        since: Option<u64>,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Snapshot> {
        self.read(|tx| {
            let cursor = current_seq(tx)?;
            // A cursor from the future means the server's database was
            // replaced: start the kiosk over with everything.
            let since = since
                .and_then(|s| i64::try_from(s).ok())
                .filter(|&s| s <= cursor);
            let year = policy.year_of(now);

            let changed_members: Option<Vec<i64>> = match since {
                None => None,
                Some(since) => {
                    let mut stmt = tx.prepare_cached(
                        "SELECT member_key FROM attendance WHERE seq > ?1 AND member_key IS NOT NULL
                         UNION
                         SELECT a.member_key FROM voids v JOIN attendance a ON a.record_id = v.record_id
                         WHERE v.seq > ?1 AND a.member_key IS NOT NULL",
                    )?;
                    let rows = stmt.query_map([since], |r| r.get(0))?;
                    Some(rows.collect::<rusqlite::Result<_>>()?)
                }
            };
            let standings = standings(tx, policy, changed_members.as_deref())?;
            let mut ids = tx.prepare_cached("SELECT member_id FROM members WHERE member_key = ?1")?;
            let mut points = Vec::new();
            for ((key, standing_year), standing) in standings {
                if standing_year == year {
                    let id: String = ids.query_row([key], |r| r.get(0))?;
                    points.push(member_points(parse_column(0, &id)?, year, standing, policy));
                }
            }
            points.sort_by(|a, b| a.member_id.cmp(&b.member_id));

            Ok(Snapshot {
                server_time: now,
                cursor: u64::try_from(cursor).unwrap_or_default(),
                full: since.is_none(),
                community: kiosk.community.clone(),
                policy: *policy,
                members: members::roster_since(tx, since)?,
                revoked_serials: cards::revoked_since(tx, since)?,
                card_keys: cards::card_keys(tx)?,
                activities: activities::in_window(
                    tx,
                    &kiosk.community,
                    now - Duration::days(1),
                    now + Duration::days(DAYS_AHEAD),
                )?,
                points,
            })
        })
    }
}
