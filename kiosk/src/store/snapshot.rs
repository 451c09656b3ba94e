//! The cached snapshot: written whole or incrementally as the server sends
//! it, read back into memory for decisions.

use std::collections::{HashMap, HashSet};

use baodao_shared::card::{CardKey, Keyring};
use baodao_shared::protocol::{MemberPoints, RosterEntry, Snapshot};
use baodao_shared::{Activity, Community, Policy};
use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::{Store, from_ms, parse_column};
use crate::domain::offline::OfflineData;
use crate::error::Result;

impl Store {
    /// Applies a snapshot in one transaction; `fetched_at` is the kiosk's
    /// clock when it arrived, to measure the clock offset.
    pub fn apply_snapshot(&mut self, snapshot: &Snapshot, fetched_at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        if snapshot.full {
            tx.execute_batch("DELETE FROM roster; DELETE FROM revoked; DELETE FROM points;")?;
        }
        {
            let mut member = tx.prepare_cached(
                "INSERT INTO roster (member_id, name, organization, community, card_serial, inactive)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (member_id) DO UPDATE SET name = ?2, organization = ?3, community = ?4,
                     card_serial = ?5, inactive = ?6",
            )?;
            for m in &snapshot.members {
                member.execute(params![
                    m.member_id.as_str(),
                    m.name,
                    m.organization,
                    m.community.as_str(),
                    m.card_serial,
                    m.inactive
                ])?;
            }
            let mut revoked =
                tx.prepare_cached("INSERT OR IGNORE INTO revoked (serial) VALUES (?1)")?;
            for serial in &snapshot.revoked_serials {
                revoked.execute([serial])?;
            }
            let mut points = tx.prepare_cached(
                "INSERT INTO points (member_id, year, points, attended) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (member_id) DO UPDATE SET year = ?2, points = ?3, attended = ?4",
            )?;
            for p in &snapshot.points {
                points.execute(params![p.member_id.as_str(), p.year, p.points, p.attended])?;
            }
        }
        // Keys and the activity window always come whole.
        tx.execute("DELETE FROM card_keys", [])?;
        tx.execute("DELETE FROM activities", [])?;
        for key in &snapshot.card_keys {
            tx.execute(
                "INSERT INTO card_keys (key_id, public_key) VALUES (?1, ?2)",
                params![key.key_id, key.public_key],
            )?;
        }
        for a in &snapshot.activities {
            tx.execute(
                "INSERT INTO activities (activity_id, title, kind, community, starts_at, ends_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    a.activity_id.as_str(),
                    a.title,
                    a.kind.code(),
                    a.community.as_str(),
                    a.starts_at.timestamp_millis(),
                    a.ends_at.timestamp_millis()
                ],
            )?;
        }
        let offset_ms = (snapshot.server_time - fetched_at).num_milliseconds();
        let policy = serde_json::to_string(&snapshot.policy)
            .map_err(|e| crate::Error::Internal(e.to_string()))?;
        for (key, value) in [
            ("cursor", snapshot.cursor.to_string()),
            ("epoch", snapshot.epoch.to_string()),
            ("clock_offset_ms", offset_ms.to_string()),
            ("policy", policy),
            (
                "grace_minutes",
                snapshot
                    .grace_minutes
                    .unwrap_or(crate::domain::checkin::OPEN_GRACE_MINUTES)
                    .to_string(),
            ),
            (
                "community_name",
                snapshot.community_name.clone().unwrap_or_default(),
            ),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The cursor and epoch to pass as `since` and `epoch`, once a
    /// snapshot was applied.
    pub fn snapshot_cursor(&self) -> Result<Option<(u64, u64)>> {
        let cursor = self.meta("cursor")?.and_then(|v| v.parse().ok());
        let epoch = self.meta("epoch")?.and_then(|v| v.parse().ok());
        Ok(cursor.zip(epoch))
    }

    /// Everything the decisions need, in memory. A kiosk that never synced
    /// gets an empty roster: every card is then "unknown member".
    pub fn load_offline(&self, community: &Community) -> Result<OfflineData> {
        let mut data = OfflineData::empty(community.clone());
        if let Some(policy) = self
            .meta("policy")?
            .and_then(|p| serde_json::from_str::<Policy>(&p).ok())
        {
            data.policy = policy;
        }
        data.community_name = self.meta("community_name")?.filter(|n| !n.is_empty());
        if let Some(minutes) = self
            .meta("grace_minutes")?
            .and_then(|m| m.parse::<u32>().ok())
        {
            data.grace = Duration::minutes(minutes.into());
        }
        data.clock_offset = Duration::milliseconds(
            self.meta("clock_offset_ms")?
                .and_then(|v| v.parse().ok())
                .unwrap_or_default(),
        );
        let mut stmt = self
            .conn
            .prepare("SELECT key_id, public_key FROM card_keys ORDER BY key_id")?;
        data.keys = stmt
            .query_map([], |r| {
                Ok(CardKey {
                    key_id: r.get(0)?,
                    public_key: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        // A key that does not parse is left out rather than blocking every card.
        data.keyring = Keyring::new(&data.keys).or_else(|_| {
            let good: Vec<CardKey> = data
                .keys
                .iter()
                .filter(|k| Keyring::new([*k]).is_ok())
                .cloned()
                .collect();
            Keyring::new(&good)
        })?;
        let mut stmt = self.conn.prepare(
            "SELECT member_id, name, organization, community, card_serial, inactive FROM roster",
        )?;
        data.roster = stmt
            .query_map([], |r| {
                let entry = RosterEntry {
                    member_id: parse_column(0, &r.get::<_, String>(0)?)?,
                    name: r.get(1)?,
                    organization: r.get(2)?,
                    community: parse_column(3, &r.get::<_, String>(3)?)?,
                    card_serial: r.get(4)?,
                    inactive: r.get(5)?,
                };
                Ok((entry.member_id.clone(), entry))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        let mut stmt = self.conn.prepare("SELECT serial FROM revoked")?;
        data.revoked = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<HashSet<u32>>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT activity_id, title, kind, community, starts_at, ends_at FROM activities ORDER BY starts_at",
        )?;
        data.activities = stmt
            .query_map([], |r| {
                Ok(Activity {
                    activity_id: parse_column(0, &r.get::<_, String>(0)?)?,
                    title: r.get(1)?,
                    kind: parse_column(2, &r.get::<_, String>(2)?)?,
                    community: parse_column(3, &r.get::<_, String>(3)?)?,
                    starts_at: from_ms(r.get(4)?)?,
                    ends_at: from_ms(r.get(5)?)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self
            .conn
            .prepare("SELECT member_id, year, points, attended FROM points")?;
        data.points = stmt
            .query_map([], |r| {
                let p = MemberPoints {
                    member_id: parse_column(0, &r.get::<_, String>(0)?)?,
                    year: r.get(1)?,
                    points: r.get(2)?,
                    attended: r.get(3)?,
                    cap: data.policy.annual_cap,
                };
                Ok((p.member_id.clone(), p))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(data)
    }
}
