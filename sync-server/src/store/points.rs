//! Points, computed by the shared rule over what the store holds. The SQL
//! only fetches counting records; the rule itself lives in one place.

use std::collections::HashMap;

use baodao_shared::points::{Attendance, tally};
use baodao_shared::protocol::MemberPoints;
use baodao_shared::{Community, MemberId, MemberYear, Policy};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction};

use super::{Store, from_ms, parse_column};
use crate::error::Result;

/// One line of the office's points report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReportRow {
    pub member_id: MemberId,
    pub name: String,
    pub organization: String,
    pub community: String,
    pub year: i32,
    pub attended: u32,
    pub points: u32,
}

const COUNTING: &str = concat!(
    "SELECT a.member_key, a.activity_key, v.record_id IS NOT NULL
     FROM attendance a LEFT JOIN voids v ON v.record_id = a.record_id AND v.community = a.community
     WHERE a.status IN ",
    counting!()
);

impl Store {
    /// One member's standing in `year`; `None` for an unknown member, or
    /// one outside `community`'s scope when it is given.
    pub fn member_points(
        &self,
        member_id: &MemberId,
        community: Option<&Community>,
        year: i32,
        policy: &Policy,
    ) -> Result<Option<MemberPoints>> {
        self.read(|tx| {
            let key: Option<i64> = tx
                .query_row(
                    "SELECT member_key FROM members WHERE member_id = ?1",
                    [member_id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(key) = key else { return Ok(None) };
            if let Some(community) = community
                && !Store::in_scope(tx, community, key)?
            {
                return Ok(None);
            }
            let standing = standings(tx, policy, Some(&[key]))?
                .remove(&(key, year))
                .unwrap_or_default();
            Ok(Some(member_points(
                member_id.clone(),
                year,
                standing,
                policy,
            )))
        })
    }

    /// Every member's standing in `year`, members without points included,
    /// ordered by member id.
    pub fn points_report(&self, year: i32, policy: &Policy) -> Result<Vec<ReportRow>> {
        self.read(|tx| {
            let standings = standings(tx, policy, None)?;
            let mut stmt = tx.prepare(
                "SELECT member_key, member_id, name, organization, community FROM members ORDER BY member_id",
            )?;
            let rows = stmt.query_map([], |r| {
                let key: i64 = r.get(0)?;
                let standing = standings.get(&(key, year)).copied().unwrap_or_default();
                Ok(ReportRow {
                    member_id: parse_column(1, &r.get::<_, String>(1)?)?,
                    name: r.get(2)?,
                    organization: r.get(3)?,
                    community: r.get(4)?,
                    year,
                    attended: standing.attended,
                    points: standing.points,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

pub(super) fn member_points(
    member_id: MemberId,
    year: i32,
    standing: MemberYear,
    policy: &Policy,
) -> MemberPoints {
    MemberPoints {
        member_id,
        year,
        points: standing.points,
        attended: standing.attended,
        cap: policy.annual_cap,
    }
}

/// Standings by (member key, year), for the given members or for all.
pub(super) fn standings(
    tx: &Transaction<'_>,
    policy: &Policy,
    members: Option<&[i64]>,
) -> Result<std::collections::BTreeMap<(i64, i32), MemberYear>> {
    let starts = activity_starts(tx)?;
    let mut records = Vec::new();
    let mut push = |r: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
        records.push(Attendance {
            member: r.get::<_, i64>(0)?,
            activity: r.get::<_, i64>(1)?,
            voided: r.get(2)?,
        });
        Ok(())
    };
    match members {
        None => {
            let mut stmt = tx.prepare(COUNTING)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                push(row)?;
            }
        }
        Some(keys) => {
            let mut stmt = tx.prepare_cached(&format!("{COUNTING} AND a.member_key = ?1"))?;
            for key in keys {
                let mut rows = stmt.query([key])?;
                while let Some(row) = rows.next()? {
                    push(row)?;
                }
            }
        }
    }
    Ok(tally(policy, records, |activity| {
        starts.get(activity).copied()
    }))
}

fn activity_starts(tx: &Transaction<'_>) -> Result<HashMap<i64, DateTime<Utc>>> {
    let mut stmt = tx.prepare_cached("SELECT activity_key, starts_at FROM activities")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, from_ms(r.get(1)?)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
