//! Snapshots and points on PostgreSQL.
//!
//! # The cursor
//!
//! Every row a snapshot sends carries, in `seq`, the id of the transaction
//! that last wrote it (`pg_current_xact_id()`). Instances commit in any
//! order, so "the largest id seen" is no cursor: a transaction with a
//! smaller id may still be running and commit later, and `seq > cursor`
//! would skip its rows for good.
//!
//! The cursor is instead the snapshot's *xmin horizon* minus one: the
//! snapshot is taken in a REPEATABLE READ transaction, and
//! `pg_snapshot_xmin(pg_current_snapshot())` is the oldest transaction id
//! still running when it was taken. Every transaction with a smaller id
//! has ended, so its rows, if committed, are in this snapshot; rows of
//! transactions at or above the horizon may or may not be, and the next
//! poll (`seq > cursor`, that is `seq >= horizon`) reads them again.
//! Nothing committed is ever skipped; a row may be sent twice, which the
//! kiosk applies idempotently. Horizons only move forward, and while one
//! writer stays open the kiosks' cursors wait for it (they re-read a few
//! rows; they never miss one). `tests/tests/conformance.rs` holds a
//! writer's transaction open while others commit and a kiosk polls.

use baodao_shared::protocol::{MemberPoints, Snapshot};
use baodao_shared::{Community, MemberId, MemberYear, Policy};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use deadpool_postgres::Object;
use tokio_postgres::IsolationLevel;

use super::admin::{card_keys, roster_entry, row_to_activity};
use super::{count, parse, to_ms};
use crate::error::Result;
use crate::store::model::{
    Kiosk, ReportFilter, ReportRow, member_points, usable_cursor, year_range,
};

/// How far ahead a kiosk sees the programme.
const DAYS_AHEAD: i64 = 30;

/// The members a kiosk may see: its community's, and those who attended
/// one of its community's activities.
const SCOPE: &str = "SELECT member_key FROM members WHERE community = $1
     UNION SELECT member_key FROM visitors WHERE community = $1";

/// Distinct (member, activity) pairs that count in `$1..$2`, narrowed by
/// the caller's `AND` clause: an index-only scan of `attendance_counting`
/// in (member, activity) order.
macro_rules! counted_pairs {
    ($and:literal) => {
        concat!(
            "SELECT DISTINCT a.member_key, a.activity_key
             FROM attendance a
             WHERE a.status IN ",
            counting!(),
            $and,
            " AND a.activity_key IN (SELECT activity_key FROM activities
                                      WHERE starts_at >= $1 AND starts_at < $2)
               AND NOT EXISTS (SELECT 1 FROM voids v
                               WHERE v.record_id = a.record_id AND v.community = a.community)"
        )
    };
}

pub(super) async fn snapshot(
    client: &mut Object,
    kiosk: &Kiosk,
    since: Option<u64>,
    epoch: Option<u64>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Snapshot> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let row = tx
        .query_one(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1,
                    (SELECT value FROM meta WHERE key = 'epoch')",
            &[],
        )
        .await?;
    let cursor: i64 = row.get(0);
    let current_epoch = u64::try_from(row.get::<_, i64>(1)).unwrap_or_default();
    let since = usable_cursor(since, epoch, current_epoch, cursor);
    let community = kiosk.community.as_str();
    let year = policy.year_of(now);

    let points = changed_points(&tx, community, since, year, policy).await?;

    let members = tx
        .query(
            "SELECT member_id, name, organization, community, card_serial, inactive_since IS NOT NULL
             FROM members m
             WHERE m.seq > $2 AND m.community = $1
             UNION
             SELECT m.member_id, m.name, m.organization, m.community, m.card_serial,
                    m.inactive_since IS NOT NULL
             FROM visitors v JOIN members m ON m.member_key = v.member_key
             WHERE v.community = $1 AND (m.seq > $2 OR v.seq > $2)
             ORDER BY 1",
            &[&community, &since.unwrap_or(-1)],
        )
        .await?
        .iter()
        .map(roster_entry)
        .collect::<Result<_>>()?;
    let revoked_serials = tx
        .query(
            "SELECT serial FROM cards WHERE revoked_seq IS NOT NULL AND revoked_seq > $1 ORDER BY serial",
            &[&since.unwrap_or(-1)],
        )
        .await?
        .iter()
        .filter_map(|r| u32::try_from(r.get::<_, i64>(0)).ok())
        .collect();
    let activities = tx
        .query(
            "SELECT activity_id, title, kind, community, starts_at, ends_at FROM activities
             WHERE community = $1 AND starts_at <= $3 AND ends_at >= $2 AND cancelled_at IS NULL
             ORDER BY starts_at, activity_id",
            &[
                &community,
                &to_ms(now - Duration::days(1)),
                &to_ms(now + Duration::days(DAYS_AHEAD)),
            ],
        )
        .await?
        .iter()
        .map(|r| row_to_activity(r, 0))
        .collect::<Result<_>>()?;
    let card_keys = card_keys(&tx).await?;
    let community_name: Option<String> = tx
        .query_opt(
            "SELECT name FROM communities WHERE community_id = $1",
            &[&kiosk.community.as_str()],
        )
        .await?
        .map(|r| r.get(0));
    tx.commit().await?;
    Ok(Snapshot {
        server_time: now,
        cursor: u64::try_from(cursor).unwrap_or_default(),
        epoch: current_epoch,
        full: since.is_none(),
        community: kiosk.community.clone(),
        community_name,
        policy: *policy,
        grace_minutes: None,
        members,
        revoked_serials,
        card_keys,
        activities,
        points,
    })
}

/// This year's standing of the kiosk's members whose points may have
/// changed after `since` (all of them when `None`).
async fn changed_points(
    tx: &deadpool_postgres::Transaction<'_>,
    community: &str,
    since: Option<i64>,
    year: i32,
    policy: &Policy,
) -> Result<Vec<MemberPoints>> {
    let changed: Vec<i64> = match since {
        None => tx.query(SCOPE, &[&community]).await?,
        Some(since) => {
            // (Parenthesised: in PostgreSQL, INTERSECT binds tighter than
            // UNION; unscoped, other communities' members would leak.)
            let sql = format!(
                "SELECT member_key FROM (
                     SELECT member_key FROM attendance WHERE seq > $2 AND member_key IS NOT NULL
                     UNION
                     SELECT a.member_key FROM voids v
                     JOIN attendance a ON a.record_id = v.record_id AND a.community = v.community
                     WHERE v.seq > $2 AND a.member_key IS NOT NULL
                 ) changed
                 WHERE member_key IN ({SCOPE})"
            );
            tx.query(&sql, &[&community, &since]).await?
        }
    }
    .iter()
    .map(|r| r.get(0))
    .collect();
    let mut points: Vec<MemberPoints> = standings(tx, policy, year, &changed)
        .await?
        .into_iter()
        // A change since the cursor may be a void that took the last
        // point away: then zero is news too.
        .filter(|(_, _, standing)| standing.attended > 0 || since.is_some())
        .map(|(_, member_id, standing)| member_points(member_id, year, standing, policy))
        .collect();
    points.sort_by(|a, b| a.member_id.cmp(&b.member_id));

    Ok(points)
}

/// Standings in `year` of the members `keys`, those without any included.
async fn standings(
    client: &impl GenericClient,
    policy: &Policy,
    year: i32,
    keys: &[i64],
) -> Result<Vec<(i64, MemberId, MemberYear)>> {
    let (from, to) = year_range(policy, year);
    let sql = concat!(
        "WITH pairs AS (",
        counted_pairs!(" AND a.member_key = ANY($3)"),
        "), attended AS (SELECT member_key, COUNT(*) AS n FROM pairs GROUP BY member_key)
         SELECT m.member_key, m.member_id, COALESCE(t.n, 0), LEAST(COALESCE(t.n, 0) * $4, $5)
         FROM members m LEFT JOIN attended t ON t.member_key = m.member_key
         WHERE m.member_key = ANY($3)"
    );
    client
        .query(
            sql,
            &[
                &to_ms(from),
                &to_ms(to),
                &keys,
                &i64::from(policy.points_per_activity),
                &i64::from(policy.annual_cap),
            ],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.get(0),
                parse("member_id", r.get(1))?,
                MemberYear {
                    attended: count(r.get(2)),
                    points: count(r.get(3)),
                },
            ))
        })
        .collect()
}

pub(super) async fn member_points_of(
    client: &Object,
    member_id: &MemberId,
    community: Option<&Community>,
    year: i32,
    policy: &Policy,
) -> Result<Option<MemberPoints>> {
    let Some(row) = client
        .query_opt(
            "SELECT member_key FROM members WHERE member_id = $1",
            &[&member_id.as_str()],
        )
        .await?
    else {
        return Ok(None);
    };
    let key: i64 = row.get(0);
    if let Some(community) = community {
        let sql = format!("SELECT 1 FROM ({SCOPE}) s WHERE member_key = $2");
        if client
            .query_opt(&sql, &[&community.as_str(), &key])
            .await?
            .is_none()
        {
            return Ok(None);
        }
    }
    let standing = standings(client, policy, year, &[key])
        .await?
        .pop()
        .map(|(_, _, s)| s)
        .unwrap_or_default();
    Ok(Some(member_points(
        member_id.clone(),
        year,
        standing,
        policy,
    )))
}

pub(super) async fn points_report(
    client: &mut Object,
    year: i32,
    policy: &Policy,
    filter: &ReportFilter,
) -> Result<Vec<ReportRow>> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    // A city's report aggregates millions of pairs: enough memory that
    // its hashing and sorting stay off the disk, for this query only.
    if super::tally::serves(&tx, policy.time_zone, year).await? {
        let rows = super::tally::report(&tx, year, policy, filter).await;
        tx.commit().await?;
        return rows;
    }
    tx.batch_execute("SET LOCAL work_mem = '256MB'").await?;
    let (from, to) = year_range(policy, year);
    let sql = concat!(
        "WITH pairs AS (",
        counted_pairs!(""),
        "), attended AS (SELECT member_key, COUNT(*) AS n FROM pairs GROUP BY member_key)
         SELECT m.member_id, m.name, m.organization, m.community, COALESCE(t.n, 0),
                LEAST(COALESCE(t.n, 0) * $3, $4)
         FROM members m LEFT JOIN attended t ON t.member_key = m.member_key
         WHERE ($5::text[] IS NULL OR m.community = ANY($5))
           AND ($6::text IS NULL OR m.organization = $6)
         ORDER BY m.member_id"
    );
    let rows = tx
        .query(
            sql,
            &[
                &to_ms(from),
                &to_ms(to),
                &i64::from(policy.points_per_activity),
                &i64::from(policy.annual_cap),
                &scope(filter),
                &filter.organization,
            ],
        )
        .await?;
    tx.commit().await?;
    report_rows(&rows, year)
}

/// The filter's communities as an SQL array (`NULL`: every community).
pub(super) fn scope(filter: &ReportFilter) -> Option<Vec<&str>> {
    filter
        .communities
        .as_ref()
        .map(|c| c.iter().map(Community::as_str).collect())
}

/// Report rows from `member_id, name, organization, community, attended,
/// points`.
pub(super) fn report_rows(rows: &[tokio_postgres::Row], year: i32) -> Result<Vec<ReportRow>> {
    rows.iter()
        .map(|r| {
            Ok(ReportRow {
                member_id: parse("member_id", r.get(0))?,
                name: r.get(1),
                organization: r.get(2),
                community: r.get(3),
                year,
                attended: count(r.get(4)),
                points: count(r.get(5)),
            })
        })
        .collect()
}
