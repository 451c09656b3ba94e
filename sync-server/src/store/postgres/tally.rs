//! The stored tally of attended activities per member and year, which the
//! triggers of `V6__tally.sql` keep as records, voids and activities
//! change: its time zone, its rebuild when that changes, and the report
//! read from it.

use baodao_shared::Policy;
use chrono_tz::Tz;
use deadpool_postgres::{GenericClient, Object};

use super::MIGRATION_LOCK;
use super::snapshot::{report_rows, scope};
use crate::error::Result;
use crate::store::model::{ReportFilter, ReportRow, TALLY_YEARS, tally_years};

/// Every member's count per year, from the records (what each trigger
/// computes for one member).
const REBUILD: &str = concat!(
    "INSERT INTO member_tally (member_key, year, attended)
     SELECT a.member_key, ay.year, COUNT(DISTINCT a.activity_key)
     FROM attendance a
     JOIN (SELECT t.activity_key, y.year
           FROM activities t JOIN tally_years y
                ON y.from_ms <= t.starts_at AND t.starts_at < y.to_ms) ay
          ON ay.activity_key = a.activity_key
     WHERE a.status IN ",
    counting!(),
    " AND a.member_key IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM voids v
                       WHERE v.record_id = a.record_id AND v.community = a.community)
     GROUP BY a.member_key, ay.year"
);

/// Makes the tally count the years of `zone`, recounting it when it
/// counted another zone's. Instances starting at once take turns; writers
/// wait while it recounts, so none of them adds to the tally with the old
/// years' boundaries.
pub(super) async fn keep_in(client: &mut Object, zone: Tz) -> Result<bool> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let current: String = tx
        .query_one("SELECT zone FROM tally_zone", &[])
        .await?
        .get(0);
    if current == zone.name() {
        tx.commit().await?;
        return Ok(false);
    }
    tx.batch_execute(
        "LOCK TABLE attendance, voids, activities IN SHARE MODE;
         SET LOCAL work_mem = '256MB';
         DELETE FROM tally_years;
         TRUNCATE member_tally;",
    )
    .await?;
    let years = tally_years(zone);
    let (year, from, to): (Vec<i32>, Vec<i64>, Vec<i64>) =
        years
            .into_iter()
            .fold(Default::default(), |mut acc, (y, f, t)| {
                acc.0.push(y);
                acc.1.push(f);
                acc.2.push(t);
                acc
            });
    tx.execute(
        "INSERT INTO tally_years (year, from_ms, to_ms)
         SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[])",
        &[&year, &from, &to],
    )
    .await?;
    tx.execute(REBUILD, &[]).await?;
    tx.execute("UPDATE tally_zone SET zone = $1", &[&zone.name()])
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Whether the stored tally answers for `year` in `zone`.
pub(super) async fn serves(client: &impl GenericClient, zone: Tz, year: i32) -> Result<bool> {
    if !TALLY_YEARS.contains(&year) {
        return Ok(false);
    }
    let current: String = client
        .query_one("SELECT zone FROM tally_zone", &[])
        .await?
        .get(0);
    Ok(current == zone.name())
}

/// The report read from the stored tally: one row per member.
pub(super) async fn report(
    client: &impl GenericClient,
    year: i32,
    policy: &Policy,
    filter: &ReportFilter,
) -> Result<Vec<ReportRow>> {
    let rows = client
        .query(
            "SELECT m.member_id, m.name, m.organization, m.community, COALESCE(t.attended, 0)::bigint,
                    LEAST(COALESCE(t.attended, 0)::bigint * $2, $3)
             FROM members m LEFT JOIN member_tally t ON t.member_key = m.member_key AND t.year = $1
             WHERE ($4::text[] IS NULL OR m.community = ANY($4))
               AND ($5::text IS NULL OR m.organization = $5)
             ORDER BY m.member_id",
            &[
                &year,
                &i64::from(policy.points_per_activity),
                &i64::from(policy.annual_cap),
                &scope(filter),
                &filter.organization,
            ],
        )
        .await?;
    report_rows(&rows, year)
}
