use baodao_shared::{Activity, ActivityId, Community};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, from_ms, next_seq, parse_column, to_ms};
use crate::domain::office::OfficeUser;
use crate::domain::schedule::{self, ActivityDetails, Scheduled};
use crate::error::{Error, Result};
use crate::store::model::{ActivityTurnout, Change, ImportSummary};

const COLUMNS: &str = "activity_id, title, kind, community, starts_at, ends_at";

impl Store {
    pub fn upsert_activities(
        &self,
        activities: &[Activity],
        change: &Change,
    ) -> Result<ImportSummary> {
        self.write(|tx| {
            let seq = next_seq(tx)?;
            let mut summary = ImportSummary::default();
            for a in activities {
                let existing = find(tx, &a.activity_id)?;
                if existing.as_ref() == Some(a) {
                    summary.unchanged += 1;
                    continue;
                }
                tx.prepare_cached(
                    "INSERT INTO activities (activity_id, title, kind, community, starts_at, ends_at, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (activity_id) DO UPDATE SET title = ?2, kind = ?3, community = ?4,
                         starts_at = ?5, ends_at = ?6, seq = ?7",
                )?
                .execute(params![
                    a.activity_id.as_str(),
                    a.title,
                    a.kind.code(),
                    a.community.as_str(),
                    to_ms(a.starts_at),
                    to_ms(a.ends_at),
                    seq
                ])?;
                if existing.is_some() {
                    summary.updated += 1;
                } else {
                    summary.added += 1;
                }
            }
            super::audit_import(tx, change, "activities.import", activities.len(), summary)?;
            Ok(summary)
        })
    }
}

impl Store {
    pub fn activities_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<&[Community]>,
    ) -> Result<Vec<ActivityTurnout>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(concat!(
                "SELECT a.activity_id, a.title, a.kind, a.community, a.starts_at, a.ends_at,
                        (SELECT COUNT(DISTINCT t.member_key)
                         FROM attendance t INDEXED BY attendance_turnout
                         WHERE t.activity_key = a.activity_key AND t.status IN ",
                counting!(),
                "         AND NOT EXISTS (SELECT 1 FROM voids v
                                          WHERE v.record_id = t.record_id
                                            AND v.community = t.community)),
                        a.place, a.organiser, a.capacity, a.cancelled_at IS NOT NULL
                 FROM activities a INDEXED BY activities_start
                 WHERE a.starts_at >= ?1 AND a.starts_at < ?2
                   AND (?3 IS NULL OR instr(',' || ?3 || ',', ',' || a.community || ',') > 0)
                 ORDER BY a.starts_at, a.activity_id"
            ))?;
            let rows = stmt.query_map(
                params![
                    to_ms(from),
                    to_ms(to),
                    scope.map(crate::domain::office::communities_text)
                ],
                |r| {
                    Ok(ActivityTurnout {
                        activity: row_to_activity(r)?,
                        attended: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(u32::MAX),
                        details: ActivityDetails {
                            place: r.get(7)?,
                            organiser: r.get(8)?,
                            capacity: r.get(9)?,
                        },
                        cancelled: r.get(10)?,
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

impl Store {
    pub fn save_activity(
        &self,
        activity: &Activity,
        details: &ActivityDetails,
        user: &OfficeUser,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let existing = scheduled(tx, &activity.activity_id)?;
            let action = schedule::may_save(user, existing.as_ref(), activity)?;
            let seq = next_seq(tx)?;
            tx.execute(
                "INSERT INTO activities (activity_id, title, kind, community, starts_at, ends_at, seq,
                     place, organiser, capacity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (activity_id) DO UPDATE SET title = ?2, kind = ?3, community = ?4,
                     starts_at = ?5, ends_at = ?6, seq = ?7, place = ?8, organiser = ?9, capacity = ?10",
                params![
                    activity.activity_id.as_str(),
                    activity.title,
                    activity.kind.code(),
                    activity.community.as_str(),
                    to_ms(activity.starts_at),
                    to_ms(activity.ends_at),
                    seq,
                    details.place,
                    details.organiser,
                    details.capacity
                ],
            )?;
            let before = existing.map(|e| schedule::describe(&e.activity, &e.details));
            super::audit_change(
                tx,
                &Change {
                    actor: user.username.clone(),
                    at: now,
                    note: note.to_owned(),
                },
                action,
                &format!("activity:{}", activity.activity_id),
                (before.as_deref(), Some(&schedule::describe(activity, details))),
            )
        })
    }

    pub fn cancel_activity(
        &self,
        activity_id: &ActivityId,
        user: &OfficeUser,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.write(|tx| {
            let existing = scheduled(tx, activity_id)?
                .ok_or_else(|| Error::NotFound(format!("activity {activity_id}")))?;
            schedule::may_cancel(user, &existing)?;
            let seq = next_seq(tx)?;
            tx.execute(
                "UPDATE activities SET cancelled_at = ?2, seq = ?3 WHERE activity_id = ?1",
                params![activity_id.as_str(), to_ms(now), seq],
            )?;
            // Its counting records stop counting, for the office to decide.
            let held = tx.execute(
                concat!(
                    "UPDATE attendance SET status = 'held', reason = 'activity_cancelled', seq = ?2
                     WHERE activity_key = (SELECT activity_key FROM activities WHERE activity_id = ?1)
                       AND status IN ",
                    counting!()
                ),
                params![activity_id.as_str(), seq],
            )?;
            super::audit_change(
                tx,
                &Change {
                    actor: user.username.clone(),
                    at: now,
                    note: note.to_owned(),
                },
                "activity.cancel",
                &format!("activity:{activity_id}"),
                (
                    Some(&schedule::describe(&existing.activity, &existing.details)),
                    Some(&format!("cancelled; {held} records held")),
                ),
            )?;
            Ok(u64::try_from(held).unwrap_or_default())
        })
    }
}

fn scheduled(tx: &Transaction<'_>, id: &ActivityId) -> Result<Option<Scheduled>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, place, organiser, capacity, cancelled_at IS NOT NULL
             FROM activities WHERE activity_id = ?1"
        ))?
        .query_row([id.as_str()], |r| {
            Ok(Scheduled {
                activity: row_to_activity(r)?,
                details: ActivityDetails {
                    place: r.get(6)?,
                    organiser: r.get(7)?,
                    capacity: r.get(8)?,
                },
                cancelled: r.get(9)?,
            })
        })
        .optional()?)
}

pub(super) fn row_to_activity(row: &rusqlite::Row<'_>) -> rusqlite::Result<Activity> {
    Ok(Activity {
        activity_id: parse_column(0, &row.get::<_, String>(0)?)?,
        title: row.get(1)?,
        kind: parse_column(2, &row.get::<_, String>(2)?)?,
        community: parse_column(3, &row.get::<_, String>(3)?)?,
        starts_at: from_ms(row.get(4)?)?,
        ends_at: from_ms(row.get(5)?)?,
    })
}

pub(super) fn find(tx: &Transaction<'_>, id: &ActivityId) -> Result<Option<Activity>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM activities WHERE activity_id = ?1"
        ))?
        .query_row([id.as_str()], row_to_activity)
        .optional()?)
}

/// The community's activities that overlap `from..=to`, by start.
pub(super) fn in_window(
    tx: &Transaction<'_>,
    community: &Community,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Activity>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM activities
         WHERE community = ?1 AND starts_at <= ?3 AND ends_at >= ?2 AND cancelled_at IS NULL
         ORDER BY starts_at, activity_id"
    ))?;
    let rows = stmt.query_map(
        params![community.as_str(), to_ms(from), to_ms(to)],
        row_to_activity,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
