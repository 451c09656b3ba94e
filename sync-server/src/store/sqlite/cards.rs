use baodao_shared::MemberId;
use baodao_shared::card::{CardKey, KeyId};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, from_ms, next_seq, to_ms};
use crate::error::{Error, Result};
use crate::store::model::{IssuedCard, KeyInfo};

impl Store {
    /// Records the public half of the office key, refusing a different key
    /// under an id already in use (a swapped key file would void every card).
    pub fn register_card_key(&self, key: &CardKey, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let existing: Option<String> = tx
                .query_row("SELECT public_key FROM card_keys WHERE key_id = ?1", [key.key_id], |r| r.get(0))
                .optional()?;
            match existing {
                Some(public) if public == key.public_key => Ok(()),
                Some(_) => Err(Error::Config(format!(
                    "the card signing key file does not match key {} recorded in the database; \
                     restore the original key file",
                    key.key_id
                ))),
                None => {
                    tx.execute(
                        "INSERT INTO card_keys (key_id, public_key, created_at) VALUES (?1, ?2, ?3)",
                        params![key.key_id, key.public_key, to_ms(now)],
                    )?;
                    Ok(())
                }
            }
        })
    }

    /// The keys cards may be signed with: every key not retired.
    pub fn card_keys(&self) -> Result<Vec<CardKey>> {
        self.read(card_keys)
    }

    /// Every key ever registered, retired ones included, by id.
    pub fn card_key_list(&self) -> Result<Vec<KeyInfo>> {
        self.read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT key_id, public_key, created_at, retired_at FROM card_keys ORDER BY key_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(KeyInfo {
                    key: CardKey {
                        key_id: r.get(0)?,
                        public_key: r.get(1)?,
                    },
                    created_at: from_ms(r.get(2)?)?,
                    retired_at: r.get::<_, Option<i64>>(3)?.map(from_ms).transpose()?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The id a new signing key gets: one past every id used so far.
    pub fn next_key_id(&self) -> Result<KeyId> {
        self.read(|tx| {
            let max: Option<i64> =
                tx.query_row("SELECT MAX(key_id) FROM card_keys", [], |r| r.get(0))?;
            KeyId::try_from(max.unwrap_or(0) + 1)
                .map_err(|_| Error::Invalid("every key id (1 to 255) is used".into()))
        })
    }

    /// Stops accepting cards signed with `key_id`.
    pub fn retire_card_key(&self, key_id: KeyId, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE card_keys SET retired_at = ?2 WHERE key_id = ?1 AND retired_at IS NULL",
                params![key_id, to_ms(now)],
            )?;
            if changed == 0 {
                return Err(Error::NotFound(format!("card key {key_id} in use")));
            }
            next_seq(tx)?;
            Ok(())
        })
    }

    /// Issues a new card to a member and revokes their previous one. `finish`
    /// gets the new serial and must write the card out; if it fails, nothing
    /// is recorded.
    pub fn issue_cards(
        &self,
        member_ids: &[MemberId],
        key_id: KeyId,
        expires_on: NaiveDate,
        now: DateTime<Utc>,
        finish: impl FnOnce(&[u32]) -> Result<()>,
    ) -> Result<Vec<IssuedCard>> {
        self.write(|tx| {
            let seq = next_seq(tx)?;
            let issued = member_ids
                .iter()
                .map(|m| issue(tx, m, key_id, expires_on, now, seq))
                .collect::<Result<Vec<_>>>()?;
            let serials: Vec<u32> = issued.iter().map(|c| c.serial).collect();
            finish(&serials)?;
            Ok(issued)
        })
    }

    /// Revokes a card (lost, or the member left) without issuing a new one.
    pub fn revoke_card(&self, serial: u32, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let seq = next_seq(tx)?;
            if revoke(tx, serial, now, seq)? == 0 {
                return Err(Error::NotFound(format!("unrevoked card {serial}")));
            }
            Ok(())
        })
    }
}

/// A new card for one member, revoking the previous one.
fn issue(
    tx: &Transaction<'_>,
    member_id: &MemberId,
    key_id: KeyId,
    expires_on: NaiveDate,
    now: DateTime<Utc>,
    seq: i64,
) -> Result<IssuedCard> {
    let previous: Option<Option<u32>> = tx
        .query_row(
            "SELECT card_serial FROM members WHERE member_id = ?1",
            [member_id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(previous) = previous else {
        return Err(Error::NotFound(format!("member {member_id}")));
    };
    tx.execute(
        "INSERT INTO cards (member_id, key_id, issued_at, expires_on) VALUES (?1, ?2, ?3, ?4)",
        params![
            member_id.as_str(),
            key_id,
            to_ms(now),
            expires_on.to_string()
        ],
    )?;
    let serial = u32::try_from(tx.last_insert_rowid())
        .map_err(|_| Error::Internal("card serials exhausted".into()))?;
    if let Some(old) = previous {
        revoke(tx, old, now, seq)?;
    }
    tx.execute(
        "UPDATE members SET card_serial = ?2, seq = ?3 WHERE member_id = ?1",
        params![member_id.as_str(), serial, seq],
    )?;
    Ok(IssuedCard {
        serial,
        replaced: previous,
    })
}

fn revoke(tx: &Transaction<'_>, serial: u32, now: DateTime<Utc>, seq: i64) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE cards SET revoked_at = ?2, revoked_seq = ?3 WHERE serial = ?1 AND revoked_at IS NULL",
        params![serial, to_ms(now), seq],
    )?)
}

pub(super) fn card_keys(tx: &Transaction<'_>) -> Result<Vec<CardKey>> {
    let mut stmt = tx.prepare_cached(
        "SELECT key_id, public_key FROM card_keys WHERE retired_at IS NULL ORDER BY key_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(CardKey {
            key_id: r.get(0)?,
            public_key: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn is_revoked(tx: &Transaction<'_>, serial: u32) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM cards WHERE serial = ?1 AND revoked_at IS NOT NULL")?
        .exists([serial])?)
}

pub(super) fn revoked_since(tx: &Transaction<'_>, since: Option<i64>) -> Result<Vec<u32>> {
    let mut stmt = tx.prepare_cached(
        "SELECT serial FROM cards WHERE revoked_seq IS NOT NULL AND revoked_seq > ?1 ORDER BY serial",
    )?;
    let rows = stmt.query_map([since.unwrap_or(-1)], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
