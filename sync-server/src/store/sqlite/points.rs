//! Points, counted by SQLite: per member, the distinct activities of the
//! year with a counting, unvoided record, times the points per activity,
//! capped. `shared::points::tally` is the reference; the conformance suite
//! checks this query against it on random data.

use baodao_shared::protocol::MemberPoints;
use baodao_shared::{Community, MemberId, MemberYear, Policy};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, parse_column, tally, to_ms};
use crate::error::Result;
use crate::store::model::{ReportFilter, ReportRow, member_points, year_range};

/// `(member_key, attended, points)` for the year `?1..?2`, with `?3`
/// points an activity and a cap of `?4`; `$member` narrows it. Distinct
/// pairs first, read in order from the `attendance_counting` index (no
/// sorting, no temporary tables), then counted per member.
macro_rules! attended_sql {
    ($member:literal) => {
        concat!(
            "SELECT member_key, COUNT(*), MIN(COUNT(*) * ?3, ?4) FROM (
                 SELECT DISTINCT a.member_key, a.activity_key
                 FROM attendance a INDEXED BY attendance_counting
                 WHERE a.status IN ",
            counting!(),
            $member,
            " AND a.activity_key IN (SELECT activity_key FROM activities
                                      WHERE starts_at >= ?1 AND starts_at < ?2)
                   AND NOT EXISTS (SELECT 1 FROM voids v
                                   WHERE v.record_id = a.record_id AND v.community = a.community)
             ) GROUP BY member_key"
        )
    };
}

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
            let standing = standing(tx, policy, year, key)?;
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
    pub fn points_report(
        &self,
        year: i32,
        policy: &Policy,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportRow>> {
        self.read(|tx| {
            if tally::serves(tx, policy.time_zone, year)? {
                return report_from_tally(tx, year, policy, filter);
            }
            let (from, to) = year_range(policy, year);
            let mut stmt = tx.prepare(concat!(
                "WITH attended (member_key, n, points) AS (",
                attended_sql!(""),
                ")
                 SELECT m.member_id, m.name, m.organization, m.community, COALESCE(t.n, 0),
                        COALESCE(t.points, 0)
                 FROM members m LEFT JOIN attended t ON t.member_key = m.member_key
                 WHERE (?5 IS NULL OR instr(',' || ?5 || ',', ',' || m.community || ',') > 0)
                   AND (?6 IS NULL OR m.organization = ?6)
                 ORDER BY m.member_id"
            ))?;
            let rows = stmt.query_map(
                params![
                    to_ms(from),
                    to_ms(to),
                    policy.points_per_activity,
                    policy.annual_cap,
                    filter.communities_text(),
                    filter.organization
                ],
                |r| report_row(r, year),
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

/// The report read from the stored tally: one row per member.
fn report_from_tally(
    tx: &Transaction<'_>,
    year: i32,
    policy: &Policy,
    filter: &ReportFilter,
) -> Result<Vec<ReportRow>> {
    let mut stmt = tx.prepare_cached(
        "SELECT m.member_id, m.name, m.organization, m.community, COALESCE(t.attended, 0),
                MIN(COALESCE(t.attended, 0) * ?2, ?3)
         FROM members m LEFT JOIN member_tally t ON t.member_key = m.member_key AND t.year = ?1
         WHERE (?4 IS NULL OR instr(',' || ?4 || ',', ',' || m.community || ',') > 0)
           AND (?5 IS NULL OR m.organization = ?5)
         ORDER BY m.member_id",
    )?;
    let rows = stmt.query_map(
        params![
            year,
            policy.points_per_activity,
            policy.annual_cap,
            filter.communities_text(),
            filter.organization
        ],
        |r| report_row(r, year),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn report_row(r: &rusqlite::Row<'_>, year: i32) -> rusqlite::Result<ReportRow> {
    Ok(ReportRow {
        member_id: parse_column(0, &r.get::<_, String>(0)?)?,
        name: r.get(1)?,
        organization: r.get(2)?,
        community: r.get(3)?,
        year,
        attended: count(r.get(4)?),
        points: count(r.get(5)?),
    })
}

/// One member's standing in `year`.
pub(super) fn standing(
    tx: &Transaction<'_>,
    policy: &Policy,
    year: i32,
    member_key: i64,
) -> Result<MemberYear> {
    let (from, to) = year_range(policy, year);
    let found: Option<(i64, i64)> = tx
        .prepare_cached(attended_sql!(" AND a.member_key = ?5"))?
        .query_row(
            params![
                to_ms(from),
                to_ms(to),
                policy.points_per_activity,
                policy.annual_cap,
                member_key
            ],
            |r| Ok((r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (attended, points) = found.unwrap_or_default();
    Ok(MemberYear {
        attended: count(attended),
        points: count(points),
    })
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
