//! `migrate`: a SQLite data set moved up to PostgreSQL, checked before it
//! is called done.

use std::collections::BTreeSet;
use std::fmt;

use chrono::DateTime;

use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::store::postgres::PgStorage;
use crate::store::sqlite::SqliteStorage;
use crate::store::{DatabaseUrl, ReportFilter, Storage};

/// What was copied and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Rows per table, the same on both sides.
    pub counts: Vec<(&'static str, u64)>,
    /// Years whose points reports were compared, with their member counts.
    pub years: Vec<(i32, usize)>,
    /// The target's new epoch: kiosks pull a full snapshot from it.
    pub epoch: u64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (table, n) in &self.counts {
            writeln!(f, "{table}: {n} rows on both sides")?;
        }
        for (year, members) in &self.years {
            writeln!(f, "points {year}: identical for {members} members")?;
        }
        writeln!(
            f,
            "migrated; new database epoch {}: every kiosk pulls a full snapshot next",
            self.epoch
        )
    }
}

/// Copies `from` (SQLite) into `to` (PostgreSQL) in one transaction,
/// keeping every key, then compares row counts and the points report of
/// every year with an activity. Rows already in `to` from an earlier run
/// are kept, so a second run copies nothing and checks again.
pub async fn run(from: &DatabaseUrl, to: &DatabaseUrl, settings: &Settings) -> Result<Report> {
    let DatabaseUrl::Sqlite(path) = from else {
        return Err(Error::Invalid(
            "--from must be sqlite:PATH (PostgreSQL to PostgreSQL is pg_dump's job)".into(),
        ));
    };
    let DatabaseUrl::Postgres(url) = to else {
        return Err(Error::Invalid("--to must be postgres://...".into()));
    };
    if !path.is_file() {
        return Err(Error::NotFound(format!(
            "SQLite database {}",
            path.display()
        )));
    }
    let policy = settings.policy;
    let source = SqliteStorage::open(path).await?;
    let target = PgStorage::connect(url, 4).await?;
    let source_counts = source.table_counts().await?;
    tracing::info!(counts = ?source_counts, "copying");
    let data = source.export().await?;
    target.import(&data).await?;
    let target_counts = target.table_counts().await?;
    if source_counts != target_counts {
        let differences: Vec<String> = source_counts
            .iter()
            .zip(&target_counts)
            .filter(|(a, b)| a != b)
            .map(|((table, a), (_, b))| format!("{table}: {a} in SQLite, {b} in PostgreSQL"))
            .collect();
        return Err(Error::Invalid(format!(
            "the databases differ after copying (a target with data of its own?): {}",
            differences.join("; ")
        )));
    }
    let years: BTreeSet<i32> = data
        .activities
        .iter()
        .filter_map(|a| DateTime::from_timestamp_millis(a.starts_at))
        .map(|at| policy.year_of(at))
        .collect();
    let mut compared = Vec::new();
    for year in years {
        let (a, b) = (
            source
                .points_report(year, policy, ReportFilter::default())
                .await?,
            target
                .points_report(year, policy, ReportFilter::default())
                .await?,
        );
        if a != b {
            let first = a.iter().zip(&b).find(|(x, y)| x != y).map_or_else(
                || format!("{} rows in SQLite, {} in PostgreSQL", a.len(), b.len()),
                |(x, y)| format!("{x:?} in SQLite, {y:?} in PostgreSQL"),
            );
            return Err(Error::Invalid(format!(
                "points for {year} differ after copying: {first}"
            )));
        }
        compared.push((year, a.len()));
    }
    let epoch = target.new_epoch().await?;
    Ok(Report {
        counts: target_counts,
        years: compared,
        epoch,
    })
}
