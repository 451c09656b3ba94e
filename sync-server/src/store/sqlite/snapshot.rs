//! What a kiosk needs to work offline, whole or since a cursor: only its
//! own community's share of the district.

use baodao_shared::protocol::Snapshot;
use baodao_shared::{Community, Policy};
use chrono::{DateTime, Duration, Utc};
use rusqlite::Transaction;

use super::points::standing;
use super::{Store, activities, cards, current_seq, members, parse_column};
use crate::error::Result;
use crate::store::model::{Kiosk, member_points, usable_cursor};

/// How far ahead a kiosk sees the programme.
const DAYS_AHEAD: i64 = 30;

/// The members a kiosk may see: its community's, and those who attended
/// one of its community's activities (a paired agency's member checking in
/// with their own card).
const SCOPE: &str = "SELECT member_key FROM members WHERE community = ?1
     UNION SELECT member_key FROM visitors WHERE community = ?1";

impl Store {
    pub fn snapshot(
        &self,
        kiosk: &Kiosk,
        since: Option<u64>,
        epoch: Option<u64>,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Snapshot> {
        self.read(|tx| {
            let cursor = current_seq(tx)?;
            let current_epoch = super::epoch(tx)?;
            let since = usable_cursor(since, epoch, current_epoch, cursor);
            let year = policy.year_of(now);
            let community = &kiosk.community;

            let changed_members = members_with_new_points(tx, community, since)?;
            let mut ids =
                tx.prepare_cached("SELECT member_id FROM members WHERE member_key = ?1")?;
            let mut points = Vec::new();
            for key in changed_members {
                let standing = standing(tx, policy, year, key)?;
                // A change since the cursor may be a void that took the
                // last point away: then zero is news too.
                if standing.attended > 0 || since.is_some() {
                    let id: String = ids.query_row([key], |r| r.get(0))?;
                    points.push(member_points(parse_column(0, &id)?, year, standing, policy));
                }
            }
            points.sort_by(|a, b| a.member_id.cmp(&b.member_id));

            Ok(Snapshot {
                server_time: now,
                cursor: u64::try_from(cursor).unwrap_or_default(),
                epoch: current_epoch,
                full: since.is_none(),
                community: community.clone(),
                community_name: super::registry::community_name(tx, community.as_str())?,
                policy: *policy,
                grace_minutes: None,
                members: members::roster_since(tx, community, since)?,
                revoked_serials: cards::revoked_since(tx, since)?,
                card_keys: cards::card_keys(tx)?,
                activities: activities::in_window(
                    tx,
                    community,
                    now - Duration::days(1),
                    now + Duration::days(DAYS_AHEAD),
                )?,
                points,
            })
        })
    }

    /// Whether `kiosk` may see `member_key`'s data.
    pub(super) fn in_scope(
        tx: &Transaction<'_>,
        community: &Community,
        member_key: i64,
    ) -> Result<bool> {
        Ok(tx
            .prepare_cached(&format!("SELECT 1 FROM ({SCOPE}) WHERE member_key = ?2"))?
            .exists(rusqlite::params![community.as_str(), member_key])?)
    }
}

/// Members in the kiosk's scope whose points may have changed after
/// `since` (all of them when `None`).
fn members_with_new_points(
    tx: &Transaction<'_>,
    community: &Community,
    since: Option<i64>,
) -> Result<Vec<i64>> {
    let sql = match since {
        None => SCOPE.to_owned(),
        Some(_) => format!(
            "SELECT member_key FROM (
                 SELECT member_key FROM attendance WHERE seq > ?2 AND member_key IS NOT NULL
                 UNION
                 SELECT a.member_key FROM voids v
                 JOIN attendance a ON a.record_id = v.record_id AND a.community = v.community
                 WHERE v.seq > ?2 AND a.member_key IS NOT NULL
             )
             WHERE member_key IN ({SCOPE})"
        ),
    };
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut rows = match since {
        None => stmt.query([community.as_str()])?,
        Some(since) => stmt.query(rusqlite::params![community.as_str(), since])?,
    };
    let mut keys = Vec::new();
    while let Some(row) = rows.next()? {
        keys.push(row.get(0)?);
    }
    Ok(keys)
}
