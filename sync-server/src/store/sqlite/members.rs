use baodao_shared::protocol::RosterEntry;
use baodao_shared::{Community, Member, MemberId};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, next_seq, parse_column};
use chrono::{DateTime, Utc};

use crate::domain::membership::{self, MemberChange, Membership};
use crate::domain::office::OfficeUser;
use crate::error::{Error, Result};
use crate::store::model::{Change, ImportSummary};

impl Store {
    /// Adds or updates members in one transaction. Unchanged rows keep their
    /// sequence, so incremental snapshots carry only real changes.
    pub fn upsert_members(&self, members: &[Member], change: &Change) -> Result<ImportSummary> {
        self.write(|tx| {
            let seq = next_seq(tx)?;
            let mut summary = ImportSummary::default();
            let mut find = tx.prepare_cached(
                "SELECT name, organization, community FROM members WHERE member_id = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO members (member_id, name, organization, community, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE members SET name = ?2, organization = ?3, community = ?4, seq = ?5 WHERE member_id = ?1",
            )?;
            for m in members {
                let existing: Option<(String, String, String)> = find
                    .query_row([m.member_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                let values = params![m.member_id.as_str(), m.name, m.organization, m.community.as_str(), seq];
                match existing {
                    None => {
                        insert.execute(values)?;
                        summary.added += 1;
                    }
                    Some((name, org, community))
                        if name == m.name && org == m.organization && community == m.community.as_str() =>
                    {
                        summary.unchanged += 1;
                    }
                    Some(_) => {
                        update.execute(values)?;
                        summary.updated += 1;
                    }
                }
            }
            super::audit_import(tx, change, "members.import", members.len(), summary)?;
            Ok(summary)
        })
    }

    pub fn member(&self, member_id: &MemberId) -> Result<Option<RosterEntry>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT member_id, name, organization, community, card_serial, inactive_since IS NOT NULL
                     FROM members WHERE member_id = ?1",
                    [member_id.as_str()],
                    roster_entry,
                )
                .optional()?)
        })
    }
}

pub(super) fn roster_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<RosterEntry> {
    Ok(RosterEntry {
        member_id: parse_column(0, &row.get::<_, String>(0)?)?,
        name: row.get(1)?,
        organization: row.get(2)?,
        community: parse_column(3, &row.get::<_, String>(3)?)?,
        card_serial: row.get(4)?,
        inactive: row.get(5)?,
    })
}

/// Members in `community`'s scope added or changed after `since` (all when
/// `None`), by id. A member enters the scope by attending there, so one
/// who attended since the cursor is sent as well.
pub(super) fn roster_since(
    tx: &Transaction<'_>,
    community: &Community,
    since: Option<i64>,
) -> Result<Vec<RosterEntry>> {
    let mut stmt = tx.prepare_cached(
        "SELECT member_id, name, organization, community, card_serial, inactive_since IS NOT NULL
         FROM members m
         WHERE m.seq > ?2 AND m.community = ?1
         UNION
         SELECT m.member_id, m.name, m.organization, m.community, m.card_serial,
                m.inactive_since IS NOT NULL
         FROM visitors v JOIN members m ON m.member_key = v.member_key
         WHERE v.community = ?1 AND (m.seq > ?2 OR v.seq > ?2)
         ORDER BY 1",
    )?;
    let rows = stmt.query_map(
        params![community.as_str(), since.unwrap_or(-1)],
        roster_entry,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    pub fn change_member(
        &self,
        member_id: &MemberId,
        change: &MemberChange,
        user: &OfficeUser,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<RosterEntry> {
        self.write(|tx| {
            let current: Option<(String, Option<i64>)> = tx
                .query_row(
                    "SELECT community, inactive_since FROM members WHERE member_id = ?1",
                    [member_id.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (community, inactive) =
                current.ok_or_else(|| Error::NotFound(format!("member {member_id}")))?;
            let before = Membership {
                community: parse_column(0, &community)?,
                inactive_since: inactive.map(super::from_ms).transpose()?,
            };
            let after = membership::apply(user, &before, change, now)?;
            let seq = next_seq(tx)?;
            tx.execute(
                "UPDATE members SET community = ?2, inactive_since = ?3, seq = ?4 WHERE member_id = ?1",
                params![
                    member_id.as_str(),
                    after.community.as_str(),
                    after.inactive_since.map(super::to_ms),
                    seq
                ],
            )?;
            super::audit_change(
                tx,
                &Change {
                    actor: user.username.clone(),
                    at: now,
                    note: note.to_owned(),
                },
                membership::action(change),
                &format!("member:{member_id}"),
                (Some(&before.describe()), Some(&after.describe())),
            )?;
            Ok(tx.query_row(
                "SELECT member_id, name, organization, community, card_serial, inactive_since IS NOT NULL
                 FROM members WHERE member_id = ?1",
                [member_id.as_str()],
                roster_entry,
            )?)
        })
    }
}
