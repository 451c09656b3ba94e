//! The office's writes and the small reads: members, activities, card
//! keys, cards, kiosks.

use baodao_shared::card::{CardKey, KeyId};
use baodao_shared::protocol::{Enrolment, Heartbeat, RosterEntry};
use baodao_shared::{Activity, ActivityId, Community, KioskId, Member, MemberId};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Object;
use tokio_postgres::Row;

use super::{XID, from_ms, parse, to_ms};
use crate::domain::enrolment::{CodeState, judge};
use crate::domain::heartbeat::HISTORY;
use crate::domain::membership::{self, MemberChange, Membership};
use crate::domain::office::OfficeUser;
use crate::domain::schedule::{self, ActivityDetails, Scheduled};
use crate::domain::token::{format_token, hash_token};
use crate::error::{Error, Result};
use crate::store::{
    CardWriter, Change, HeartbeatEntry, ImportSummary, IssuedCard, KeyInfo, Kiosk, KioskInfo,
    Registration,
};

pub(super) async fn upsert_members(
    client: &mut Object,
    members: &[Member],
    change: &Change,
) -> Result<ImportSummary> {
    let tx = client.transaction().await?;
    let find = tx
        .prepare_cached("SELECT name, organization, community FROM members WHERE member_id = $1")
        .await?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO members (member_id, name, organization, community) VALUES ($1, $2, $3, $4)",
        )
        .await?;
    let update = tx
        .prepare_cached(&format!(
            "UPDATE members SET name = $2, organization = $3, community = $4, seq = {XID}
             WHERE member_id = $1"
        ))
        .await?;
    let mut summary = ImportSummary::default();
    for m in members {
        let existing = tx.query_opt(&find, &[&m.member_id.as_str()]).await?;
        let values: [&(dyn tokio_postgres::types::ToSql + Sync); 4] = [
            &m.member_id.as_str(),
            &m.name,
            &m.organization,
            &m.community.as_str(),
        ];
        match existing {
            None => {
                tx.execute(&insert, &values).await?;
                summary.added += 1;
            }
            Some(row)
                if row.get::<_, &str>(0) == m.name
                    && row.get::<_, &str>(1) == m.organization
                    && row.get::<_, &str>(2) == m.community.as_str() =>
            {
                summary.unchanged += 1;
            }
            Some(_) => {
                tx.execute(&update, &values).await?;
                summary.updated += 1;
            }
        }
    }
    audit_import(&tx, change, "members.import", members.len(), summary).await?;
    tx.commit().await?;
    Ok(summary)
}

const ACTIVITY_COLUMNS: &str = "activity_id, title, kind, community, starts_at, ends_at";

pub(super) fn row_to_activity(row: &Row, first: usize) -> Result<Activity> {
    Ok(Activity {
        activity_id: parse("activity_id", row.get(first))?,
        title: row.get(first + 1),
        kind: parse("kind", row.get(first + 2))?,
        community: parse("community", row.get(first + 3))?,
        starts_at: from_ms(row.get(first + 4))?,
        ends_at: from_ms(row.get(first + 5))?,
    })
}

pub(super) async fn upsert_activities(
    client: &mut Object,
    activities: &[Activity],
    change: &Change,
) -> Result<ImportSummary> {
    let tx = client.transaction().await?;
    let find = tx
        .prepare_cached(&format!(
            "SELECT {ACTIVITY_COLUMNS} FROM activities WHERE activity_id = $1"
        ))
        .await?;
    let upsert = tx
        .prepare_cached(&format!(
            "INSERT INTO activities (activity_id, title, kind, community, starts_at, ends_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (activity_id) DO UPDATE SET title = $2, kind = $3, community = $4,
                 starts_at = $5, ends_at = $6, seq = {XID}"
        ))
        .await?;
    let mut summary = ImportSummary::default();
    for a in activities {
        let existing = match tx.query_opt(&find, &[&a.activity_id.as_str()]).await? {
            Some(row) => Some(row_to_activity(&row, 0)?),
            None => None,
        };
        if existing.as_ref() == Some(a) {
            summary.unchanged += 1;
            continue;
        }
        tx.execute(
            &upsert,
            &[
                &a.activity_id.as_str(),
                &a.title,
                &a.kind.code(),
                &a.community.as_str(),
                &to_ms(a.starts_at),
                &to_ms(a.ends_at),
            ],
        )
        .await?;
        if existing.is_some() {
            summary.updated += 1;
        } else {
            summary.added += 1;
        }
    }
    audit_import(&tx, change, "activities.import", activities.len(), summary).await?;
    tx.commit().await?;
    Ok(summary)
}

pub(super) fn roster_entry(row: &Row) -> Result<RosterEntry> {
    Ok(RosterEntry {
        member_id: parse("member_id", row.get(0))?,
        name: row.get(1),
        organization: row.get(2),
        community: parse("community", row.get(3))?,
        card_serial: row
            .get::<_, Option<i64>>(4)
            .map(|s| u32::try_from(s).map_err(|_| Error::Internal(format!("card serial {s}"))))
            .transpose()?,
        inactive: row.get(5),
    })
}

pub(super) async fn member(client: &Object, member_id: &MemberId) -> Result<Option<RosterEntry>> {
    client
        .query_opt(
            "SELECT member_id, name, organization, community, card_serial, inactive_since IS NOT NULL
             FROM members WHERE member_id = $1",
            &[&member_id.as_str()],
        )
        .await?
        .as_ref()
        .map(roster_entry)
        .transpose()
}

pub(super) async fn register_card_key(
    client: &mut Object,
    key: &CardKey,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = client.transaction().await?;
    let key_id = i64::from(key.key_id);
    // Two instances registering one key at once: the loser re-reads.
    tx.execute(
        "INSERT INTO card_keys (key_id, public_key, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (key_id) DO NOTHING",
        &[&key_id, &key.public_key, &to_ms(now)],
    )
    .await?;
    let public: String = tx
        .query_one(
            "SELECT public_key FROM card_keys WHERE key_id = $1",
            &[&key_id],
        )
        .await?
        .get(0);
    if public != key.public_key {
        return Err(Error::Config(format!(
            "the card signing key file does not match key {} recorded in the database; \
             restore the original key file",
            key.key_id
        )));
    }
    tx.commit().await?;
    Ok(())
}

fn key_id(value: i64) -> Result<KeyId> {
    KeyId::try_from(value).map_err(|_| Error::Internal(format!("card key id {value}")))
}

pub(super) async fn card_keys(
    client: &impl deadpool_postgres::GenericClient,
) -> Result<Vec<CardKey>> {
    client
        .query(
            "SELECT key_id, public_key FROM card_keys WHERE retired_at IS NULL ORDER BY key_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(CardKey {
                key_id: key_id(r.get(0))?,
                public_key: r.get(1),
            })
        })
        .collect()
}

pub(super) async fn card_key_list(client: &Object) -> Result<Vec<KeyInfo>> {
    client
        .query(
            "SELECT key_id, public_key, created_at, retired_at FROM card_keys ORDER BY key_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(KeyInfo {
                key: CardKey {
                    key_id: key_id(r.get(0))?,
                    public_key: r.get(1),
                },
                created_at: from_ms(r.get(2))?,
                retired_at: r.get::<_, Option<i64>>(3).map(from_ms).transpose()?,
            })
        })
        .collect()
}

pub(super) async fn next_key_id(client: &Object) -> Result<KeyId> {
    let max: Option<i64> = client
        .query_one("SELECT MAX(key_id) FROM card_keys", &[])
        .await?
        .get(0);
    KeyId::try_from(max.unwrap_or(0) + 1)
        .map_err(|_| Error::Invalid("every key id (1 to 255) is used".into()))
}

pub(super) async fn retire_card_key(
    client: &Object,
    key_id: KeyId,
    now: DateTime<Utc>,
) -> Result<()> {
    let changed = client
        .execute(
            "UPDATE card_keys SET retired_at = $2 WHERE key_id = $1 AND retired_at IS NULL",
            &[&i64::from(key_id), &to_ms(now)],
        )
        .await?;
    if changed == 0 {
        return Err(Error::NotFound(format!("card key {key_id} in use")));
    }
    Ok(())
}

pub(super) async fn issue_cards(
    client: &mut Object,
    member_ids: &[MemberId],
    key_id: KeyId,
    expires_on: NaiveDate,
    now: DateTime<Utc>,
    write: CardWriter,
) -> Result<Vec<IssuedCard>> {
    let tx = client.transaction().await?;
    // Locks the members' rows, in one order so that two offices printing
    // overlapping sheets queue instead of deadlocking; the second revokes
    // the first's cards.
    let mut locked: Vec<&str> = member_ids.iter().map(MemberId::as_str).collect();
    locked.sort_unstable();
    locked.dedup();
    let found = tx
        .query(
            "SELECT member_id FROM members WHERE member_id = ANY($1) ORDER BY member_id FOR UPDATE",
            &[&locked],
        )
        .await?;
    if found.len() < locked.len() {
        let found: Vec<String> = found.iter().map(|r| r.get(0)).collect();
        let missing = locked
            .iter()
            .find(|m| !found.iter().any(|f| f == *m))
            .unwrap_or(&"?");
        return Err(Error::NotFound(format!("member {missing}")));
    }
    let mut issued = Vec::with_capacity(member_ids.len());
    for member_id in member_ids {
        issued.push(issue(&tx, member_id, key_id, expires_on, now).await?);
    }
    // Signing and rendering take milliseconds a card; they happen before
    // the commit, so a card on paper or on disk always has its row.
    // A sheet of cards takes a while: off the runtime's threads.
    let serials: Vec<u32> = issued.iter().map(|c| c.serial).collect();
    tokio::task::spawn_blocking(move || write(&serials))
        .await
        .map_err(|e| Error::Internal(format!("writing cards: {e}")))??;
    tx.commit().await?;
    Ok(issued)
}

/// A new card for one (locked) member, revoking the previous one.
async fn issue(
    tx: &deadpool_postgres::Transaction<'_>,
    member_id: &MemberId,
    key_id: KeyId,
    expires_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<IssuedCard> {
    let previous = tx
        .query_one(
            "SELECT card_serial FROM members WHERE member_id = $1",
            &[&member_id.as_str()],
        )
        .await?
        .get::<_, Option<i64>>(0);
    let serial: i64 = tx
        .query_one(
            "INSERT INTO cards (member_id, key_id, issued_at, expires_on) VALUES ($1, $2, $3, $4)
             RETURNING serial",
            &[
                &member_id.as_str(),
                &i64::from(key_id),
                &to_ms(now),
                &expires_on.to_string(),
            ],
        )
        .await?
        .get(0);
    let serial =
        u32::try_from(serial).map_err(|_| Error::Internal("card serials exhausted".into()))?;
    if let Some(old) = previous {
        revoke(tx, old, now).await?;
    }
    tx.execute(
        &format!("UPDATE members SET card_serial = $2, seq = {XID} WHERE member_id = $1"),
        &[&member_id.as_str(), &i64::from(serial)],
    )
    .await?;
    Ok(IssuedCard {
        serial,
        replaced: previous.and_then(|s| u32::try_from(s).ok()),
    })
}

pub(super) async fn revoke_card(
    client: &mut Object,
    serial: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = client.transaction().await?;
    if revoke(&tx, i64::from(serial), now).await? == 0 {
        return Err(Error::NotFound(format!("unrevoked card {serial}")));
    }
    tx.commit().await?;
    Ok(())
}

async fn revoke(
    tx: &deadpool_postgres::Transaction<'_>,
    serial: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(tx
        .execute(
            &format!(
                "UPDATE cards SET revoked_at = $2, revoked_seq = {XID}
                 WHERE serial = $1 AND revoked_at IS NULL"
            ),
            &[&serial, &to_ms(now)],
        )
        .await?)
}

pub(super) async fn register_kiosk(
    client: &mut Object,
    name: &str,
    community: &Community,
    secret: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Registration> {
    let token = format_token(secret);
    let hash = hash_token(&token);
    let tx = client.transaction().await?;
    // The number comes from the identity column: two registrations on two
    // instances never get one id.
    let number: i64 = tx
        .query_one(
            "INSERT INTO kiosks (kiosk_id, name, community, token_hash, created_at)
             VALUES ($1, $2, $3, $1, $4) RETURNING kiosk_number",
            &[&hash, &name, &community.as_str(), &to_ms(now)],
        )
        .await?
        .get(0);
    let kiosk_id = KioskId::new(format!("K{number:04}"))?;
    tx.execute(
        "UPDATE kiosks SET kiosk_id = $1 WHERE kiosk_number = $2",
        &[&kiosk_id.as_str(), &number],
    )
    .await?;
    tx.commit().await?;
    Ok(Registration {
        kiosk: Kiosk {
            kiosk_id,
            community: community.clone(),
        },
        token,
    })
}

pub(super) async fn revoke_kiosk(
    client: &Object,
    kiosk_id: &KioskId,
    now: DateTime<Utc>,
) -> Result<()> {
    let changed = client
        .execute(
            "UPDATE kiosks SET revoked_at = $2 WHERE kiosk_id = $1 AND revoked_at IS NULL",
            &[&kiosk_id.as_str(), &to_ms(now)],
        )
        .await?;
    if changed == 0 {
        return Err(Error::NotFound(format!("active kiosk {kiosk_id}")));
    }
    Ok(())
}

pub(super) async fn authenticate(client: &Object, token: &str) -> Result<Option<Kiosk>> {
    let stmt = client
        .prepare_cached(
            "SELECT kiosk_id, community FROM kiosks WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .await?;
    client
        .query_opt(&stmt, &[&hash_token(token)])
        .await?
        .map(|r| {
            Ok(Kiosk {
                kiosk_id: parse("kiosk_id", r.get(0))?,
                community: parse("community", r.get(1))?,
            })
        })
        .transpose()
}

pub(super) async fn kiosks(client: &Object) -> Result<Vec<KioskInfo>> {
    client
        .query(
            "SELECT k.kiosk_id, k.community, k.name, k.revoked_at IS NOT NULL, k.last_seen_at,
                    k.last_clock_offset_ms, h.received_at, h.report
             FROM kiosks k
             LEFT JOIN LATERAL (SELECT received_at, report FROM kiosk_heartbeats
                                WHERE kiosk_id = k.kiosk_id
                                ORDER BY received_at DESC LIMIT 1) h ON true
             ORDER BY k.kiosk_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let heartbeat = match (r.get::<_, Option<i64>>(6), r.get::<_, Option<String>>(7)) {
                (Some(at), Some(json)) => HeartbeatEntry::from_stored(from_ms(at)?, &json),
                _ => None,
            };
            Ok(KioskInfo {
                kiosk: Kiosk {
                    kiosk_id: parse("kiosk_id", r.get(0))?,
                    community: parse("community", r.get(1))?,
                },
                name: r.get(2),
                revoked: r.get(3),
                last_seen_at: r.get::<_, Option<i64>>(4).map(from_ms).transpose()?,
                last_clock_offset_ms: r.get(5),
                heartbeat,
            })
        })
        .collect()
}

pub(super) async fn add_enrol_code(
    client: &Object,
    kiosk_id: &KioskId,
    code_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    let added = client
        .execute(
            "INSERT INTO enrol_codes (code_hash, kiosk_id, created_at, expires_at)
             SELECT $1, kiosk_id, $3, $4 FROM kiosks WHERE kiosk_id = $2 AND revoked_at IS NULL",
            &[
                &code_hash,
                &kiosk_id.as_str(),
                &to_ms(now),
                &to_ms(expires_at),
            ],
        )
        .await?;
    if added == 0 {
        return Err(Error::NotFound(format!("active kiosk {kiosk_id}")));
    }
    Ok(())
}

pub(super) async fn redeem_enrol_code(
    client: &mut Object,
    code_hash: &str,
    secret: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Enrolment> {
    let token = format_token(secret);
    let tx = client.transaction().await?;
    // FOR UPDATE: two instances given one code at once take turns, and
    // the second sees it used.
    let row = tx
        .query_opt(
            "SELECT c.expires_at, c.used_at, k.revoked_at IS NOT NULL, k.kiosk_id, k.name, k.community
             FROM enrol_codes c JOIN kiosks k ON k.kiosk_id = c.kiosk_id
             WHERE c.code_hash = $1 FOR UPDATE OF c",
            &[&code_hash],
        )
        .await?;
    let state = row
        .as_ref()
        .map(|r| -> Result<CodeState> {
            Ok(CodeState {
                expires_at: from_ms(r.get(0))?,
                used_at: r.get::<_, Option<i64>>(1).map(from_ms).transpose()?,
                kiosk_revoked: r.get(2),
            })
        })
        .transpose()?;
    judge(state.as_ref(), now)?;
    let Some(row) = row else {
        return Err(Error::Internal("a judged code without a row".into()));
    };
    let kiosk_id: String = row.get(3);
    tx.execute(
        "UPDATE enrol_codes SET used_at = $2 WHERE code_hash = $1",
        &[&code_hash, &to_ms(now)],
    )
    .await?;
    tx.execute(
        "UPDATE kiosks SET token_hash = $2 WHERE kiosk_id = $1",
        &[&kiosk_id, &hash_token(&token)],
    )
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        kiosk_id: parse("kiosk_id", &kiosk_id)?,
        name: row.get(4),
        community: parse("community", row.get(5))?,
        token,
    })
}

pub(super) async fn record_heartbeat(
    client: &mut Object,
    kiosk_id: &KioskId,
    heartbeat: &Heartbeat,
    now: DateTime<Utc>,
    clock_offset_ms: i64,
) -> Result<()> {
    let report = serde_json::to_string(heartbeat)
        .map_err(|e| Error::Internal(format!("heartbeat as JSON: {e}")))?;
    let tx = client.transaction().await?;
    tx.execute(
        "UPDATE kiosks SET last_seen_at = GREATEST(last_seen_at, $2), last_clock_offset_ms = $3
         WHERE kiosk_id = $1",
        &[&kiosk_id.as_str(), &to_ms(now), &clock_offset_ms],
    )
    .await?;
    tx.execute(
        "INSERT INTO kiosk_heartbeats (kiosk_id, received_at, report) VALUES ($1, $2, $3)
         ON CONFLICT (kiosk_id, received_at) DO UPDATE SET report = excluded.report",
        &[&kiosk_id.as_str(), &to_ms(now), &report],
    )
    .await?;
    tx.execute(
        "DELETE FROM kiosk_heartbeats WHERE kiosk_id = $1 AND received_at < $2",
        &[&kiosk_id.as_str(), &to_ms(now - HISTORY)],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn heartbeats(
    client: &Object,
    kiosk_id: &KioskId,
    limit: u32,
) -> Result<Vec<HeartbeatEntry>> {
    let mut entries = Vec::new();
    for r in client
        .query(
            "SELECT received_at, report FROM kiosk_heartbeats WHERE kiosk_id = $1
             ORDER BY received_at DESC LIMIT $2",
            &[&kiosk_id.as_str(), &i64::from(limit)],
        )
        .await?
    {
        if let Some(entry) = HeartbeatEntry::from_stored(from_ms(r.get(0))?, r.get(1)) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// The audit entry of an import, in its transaction.
async fn audit_import(
    tx: &tokio_postgres::Transaction<'_>,
    change: &Change,
    action: &str,
    rows: usize,
    summary: ImportSummary,
) -> Result<()> {
    audit_change(
        tx,
        change,
        action,
        &format!("{rows} rows"),
        (None, Some(&summary.to_string())),
    )
    .await
}

/// An audit entry for `change`.
pub(super) async fn audit_change(
    client: &impl tokio_postgres::GenericClient,
    change: &Change,
    action: &str,
    subject: &str,
    (before, after): (Option<&str>, Option<&str>),
) -> Result<()> {
    client
        .execute(
            "INSERT INTO audit (at, actor, action, subject, before_value, after_value, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &to_ms(change.at),
                &change.actor,
                &action,
                &subject,
                &before,
                &after,
                &change.note,
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn change_member(
    client: &mut Object,
    member_id: &MemberId,
    change: &MemberChange,
    user: &OfficeUser,
    note: &str,
    now: DateTime<Utc>,
) -> Result<RosterEntry> {
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT community, inactive_since FROM members WHERE member_id = $1 FOR UPDATE",
            &[&member_id.as_str()],
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("member {member_id}")))?;
    let before = Membership {
        community: parse("community", row.get(0))?,
        inactive_since: row.get::<_, Option<i64>>(1).map(from_ms).transpose()?,
    };
    let after = membership::apply(user, &before, change, now)?;
    tx.execute(
        &format!(
            "UPDATE members SET community = $2, inactive_since = $3, seq = {XID} WHERE member_id = $1"
        ),
        &[
            &member_id.as_str(),
            &after.community.as_str(),
            &after.inactive_since.map(to_ms),
        ],
    )
    .await?;
    audit_change(
        &*tx,
        &Change {
            actor: user.username.clone(),
            at: now,
            note: note.to_owned(),
        },
        membership::action(change),
        &format!("member:{member_id}"),
        (Some(&before.describe()), Some(&after.describe())),
    )
    .await?;
    let entry = tx
        .query_one(
            "SELECT member_id, name, organization, community, card_serial, inactive_since IS NOT NULL
             FROM members WHERE member_id = $1",
            &[&member_id.as_str()],
        )
        .await?;
    let entry = roster_entry(&entry)?;
    tx.commit().await?;
    Ok(entry)
}

async fn scheduled(
    tx: &impl deadpool_postgres::GenericClient,
    id: &ActivityId,
) -> Result<Option<Scheduled>> {
    tx.query_opt(
        &format!(
            "SELECT {ACTIVITY_COLUMNS}, place, organiser, capacity, cancelled_at IS NOT NULL
             FROM activities WHERE activity_id = $1 FOR UPDATE"
        ),
        &[&id.as_str()],
    )
    .await?
    .map(|r| {
        Ok(Scheduled {
            activity: row_to_activity(&r, 0)?,
            details: ActivityDetails {
                place: r.get(6),
                organiser: r.get(7),
                capacity: r
                    .get::<_, Option<i32>>(8)
                    .and_then(|c| u32::try_from(c).ok()),
            },
            cancelled: r.get(9),
        })
    })
    .transpose()
}

pub(super) async fn save_activity(
    client: &mut Object,
    activity: &Activity,
    details: &ActivityDetails,
    user: &OfficeUser,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = client.transaction().await?;
    let existing = scheduled(&tx, &activity.activity_id).await?;
    let action = schedule::may_save(user, existing.as_ref(), activity)?;
    let capacity = details.capacity.map(i64::from);
    tx.execute(
        &format!(
            "INSERT INTO activities (activity_id, title, kind, community, starts_at, ends_at,
                 place, organiser, capacity)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (activity_id) DO UPDATE SET title = $2, kind = $3, community = $4,
                 starts_at = $5, ends_at = $6, place = $7, organiser = $8, capacity = $9, seq = {XID}"
        ),
        &[
            &activity.activity_id.as_str(),
            &activity.title,
            &activity.kind.code(),
            &activity.community.as_str(),
            &to_ms(activity.starts_at),
            &to_ms(activity.ends_at),
            &details.place,
            &details.organiser,
            &capacity.and_then(|c| i32::try_from(c).ok()),
        ],
    )
    .await?;
    let before = existing.map(|e| schedule::describe(&e.activity, &e.details));
    audit_change(
        &*tx,
        &Change {
            actor: user.username.clone(),
            at: now,
            note: note.to_owned(),
        },
        action,
        &format!("activity:{}", activity.activity_id),
        (
            before.as_deref(),
            Some(&schedule::describe(activity, details)),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn cancel_activity(
    client: &mut Object,
    activity_id: &ActivityId,
    user: &OfficeUser,
    note: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let tx = client.transaction().await?;
    let existing = scheduled(&tx, activity_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("activity {activity_id}")))?;
    schedule::may_cancel(user, &existing)?;
    tx.execute(
        &format!("UPDATE activities SET cancelled_at = $2, seq = {XID} WHERE activity_id = $1"),
        &[&activity_id.as_str(), &to_ms(now)],
    )
    .await?;
    // Its counting records stop counting, for the office to decide.
    let held = tx
        .execute(
            &format!(
                concat!(
                    "UPDATE attendance SET status = 'held', reason = 'activity_cancelled', seq = {} ",
                    "WHERE activity_key = (SELECT activity_key FROM activities WHERE activity_id = $1) ",
                    "AND status IN ",
                    counting!()
                ),
                XID
            ),
            &[&activity_id.as_str()],
        )
        .await?;
    audit_change(
        &*tx,
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
    )
    .await?;
    tx.commit().await?;
    Ok(held)
}
