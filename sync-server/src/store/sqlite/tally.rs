//! The stored tally of attended activities per member and year, which the
//! triggers of migration 8 keep as records, voids and activities change:
//! its time zone, and its rebuild when that changes.

use chrono_tz::Tz;
use rusqlite::{Transaction, params};

use super::Store;
use crate::error::Result;
use crate::store::model::{TALLY_YEARS, tally_years};

/// Every member's count per year, from the records (what each trigger
/// computes for one member).
const REBUILD: &str = concat!(
    "INSERT INTO member_tally (member_key, year, attended)
     SELECT a.member_key, ay.year, COUNT(DISTINCT a.activity_key)
     FROM attendance a INDEXED BY attendance_counting
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

impl Store {
    /// Makes the tally count the years of `zone`: when it counted those of
    /// another zone (or none yet), sets the years' boundaries and recounts
    /// every member from the records, in one transaction. Says whether it
    /// recounted.
    pub fn keep_tally_in(&self, zone: Tz) -> Result<bool> {
        self.write(|tx| {
            let current: String = tx.query_row("SELECT zone FROM tally_zone", [], |r| r.get(0))?;
            if current == zone.name() {
                return Ok(false);
            }
            tx.execute("DELETE FROM tally_years", [])?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO tally_years (year, from_ms, to_ms) VALUES (?1, ?2, ?3)",
                )?;
                for (year, from, to) in tally_years(zone) {
                    insert.execute(params![year, from, to])?;
                }
            }
            tx.execute("DELETE FROM member_tally", [])?;
            tx.execute(REBUILD, [])?;
            tx.execute("UPDATE tally_zone SET zone = ?1", [zone.name()])?;
            Ok(true)
        })
    }
}

/// Whether the stored tally answers for `year` in `zone`.
pub(super) fn serves(tx: &Transaction<'_>, zone: Tz, year: i32) -> Result<bool> {
    if !TALLY_YEARS.contains(&year) {
        return Ok(false);
    }
    let current: String = tx.query_row("SELECT zone FROM tally_zone", [], |r| r.get(0))?;
    Ok(current == zone.name())
}
