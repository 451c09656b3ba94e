//! The whole data set out of SQLite, for `migrate`.

use rusqlite::{Row, Transaction};
use uuid::Uuid;

use super::Store;
use crate::error::Result;
use crate::store::dataset::{
    ActivityRow, AttendanceRow, AuditRow, BatchRow, CardKeyRow, CardRow, CommunityRow, DataSet,
    KioskRow, MemberRow, OfficeTokenRow, OfficeUserRow, OrganizationRow, PairingRow, TABLES,
    VisitorRow, VoidRow,
};

impl Store {
    /// Every row, read in one transaction (one consistent state).
    pub fn export(&self) -> Result<DataSet> {
        self.read(|tx| {
            let mut data = DataSet::default();
            roster(tx, &mut data)?;
            records(tx, &mut data)?;
            office(tx, &mut data)?;
            registry(tx, &mut data)?;
            Ok(data)
        })
    }

    /// Rows per table, in the order of [`TABLES`].
    pub fn table_counts(&self) -> Result<Vec<(&'static str, u64)>> {
        self.read(|tx| {
            TABLES
                .iter()
                .map(|table| {
                    let n: i64 =
                        tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
                    Ok((*table, u64::try_from(n).unwrap_or_default()))
                })
                .collect()
        })
    }
}

/// Members, activities, keys, cards and kiosks.
fn roster(tx: &Transaction<'_>, data: &mut DataSet) -> Result<()> {
    data.members = all(
        tx,
        "SELECT member_key, member_id, name, organization, community, card_serial, visits_elsewhere,
                inactive_since
         FROM members ORDER BY member_key",
        |r| {
            Ok(MemberRow {
                member_key: r.get(0)?,
                member_id: r.get(1)?,
                name: r.get(2)?,
                organization: r.get(3)?,
                community: r.get(4)?,
                card_serial: r.get(5)?,
                visits_elsewhere: r.get(6)?,
                inactive_since: r.get(7)?,
            })
        },
    )?;
    data.activities = all(
        tx,
        "SELECT activity_key, activity_id, title, kind, community, starts_at, ends_at
         FROM activities ORDER BY activity_key",
        |r| {
            Ok(ActivityRow {
                activity_key: r.get(0)?,
                activity_id: r.get(1)?,
                title: r.get(2)?,
                kind: r.get(3)?,
                community: r.get(4)?,
                starts_at: r.get(5)?,
                ends_at: r.get(6)?,
            })
        },
    )?;
    data.card_keys = all(
        tx,
        "SELECT key_id, public_key, created_at, retired_at FROM card_keys ORDER BY key_id",
        |r| {
            Ok(CardKeyRow {
                key_id: r.get(0)?,
                public_key: r.get(1)?,
                created_at: r.get(2)?,
                retired_at: r.get(3)?,
            })
        },
    )?;
    data.cards = all(
        tx,
        "SELECT serial, member_id, key_id, issued_at, expires_on, revoked_at FROM cards ORDER BY serial",
        |r| {
            Ok(CardRow {
                serial: r.get(0)?,
                member_id: r.get(1)?,
                key_id: r.get(2)?,
                issued_at: r.get(3)?,
                expires_on: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        },
    )?;
    data.kiosks = all(
        tx,
        "SELECT kiosk_id, name, community, token_hash, created_at, revoked_at, last_seen_at,
                last_clock_offset_ms
         FROM kiosks ORDER BY rowid",
        |r| {
            Ok(KioskRow {
                kiosk_id: r.get(0)?,
                name: r.get(1)?,
                community: r.get(2)?,
                token_hash: r.get(3)?,
                created_at: r.get(4)?,
                revoked_at: r.get(5)?,
                last_seen_at: r.get(6)?,
                last_clock_offset_ms: r.get(7)?,
            })
        },
    )?;
    Ok(())
}

/// Batches, records, voids and visits.
fn records(tx: &Transaction<'_>, data: &mut DataSet) -> Result<()> {
    data.batches = all(
        tx,
        "SELECT batch_id, kiosk_id, sent_at, received_at, clock_offset_ms, records, voids
         FROM batches ORDER BY received_at, batch_id",
        |r| {
            Ok(BatchRow {
                batch_id: uuid(r, 0)?,
                kiosk_id: r.get(1)?,
                sent_at: r.get(2)?,
                received_at: r.get(3)?,
                clock_offset_ms: r.get(4)?,
                records: r.get(5)?,
                voids: r.get(6)?,
            })
        },
    )?;
    data.attendance = all(
        tx,
        "SELECT record_id, kiosk_id, batch_id, member_id, activity_id, member_key, activity_key,
                scanned_at, corrected_at, method, card, received_at, status, reason, community
         FROM attendance ORDER BY seq, record_id",
        |r| {
            Ok(AttendanceRow {
                record_id: uuid(r, 0)?,
                kiosk_id: r.get(1)?,
                batch_id: uuid(r, 2)?,
                member_id: r.get(3)?,
                activity_id: r.get(4)?,
                member_key: r.get(5)?,
                activity_key: r.get(6)?,
                scanned_at: r.get(7)?,
                corrected_at: r.get(8)?,
                method: r.get(9)?,
                card: r.get(10)?,
                received_at: r.get(11)?,
                status: r.get(12)?,
                reason: r.get(13)?,
                community: r.get(14)?,
            })
        },
    )?;
    data.voids = all(
        tx,
        "SELECT record_id, community, kiosk_id, batch_id, reason, voided_at, received_at
         FROM voids ORDER BY seq, record_id",
        |r| {
            Ok(VoidRow {
                record_id: uuid(r, 0)?,
                community: r.get(1)?,
                kiosk_id: r.get(2)?,
                batch_id: uuid(r, 3)?,
                reason: r.get(4)?,
                voided_at: r.get(5)?,
                received_at: r.get(6)?,
            })
        },
    )?;
    data.visitors = all(
        tx,
        "SELECT community, member_key FROM visitors ORDER BY community, member_key",
        |r| {
            Ok(VisitorRow {
                community: r.get(0)?,
                member_key: r.get(1)?,
            })
        },
    )?;
    Ok(())
}

/// The office's users, their tokens and the audit log.
fn office(tx: &Transaction<'_>, data: &mut DataSet) -> Result<()> {
    data.office_users = all(
        tx,
        "SELECT user_id, username, password_hash, role, communities, created_at
         FROM office_users ORDER BY user_id",
        |r| {
            Ok(OfficeUserRow {
                user_id: r.get(0)?,
                username: r.get(1)?,
                password_hash: r.get(2)?,
                role: r.get(3)?,
                communities: r.get(4)?,
                created_at: r.get(5)?,
            })
        },
    )?;
    data.office_tokens = all(
        tx,
        "SELECT token_hash, user_id, created_at, revoked_at FROM office_tokens ORDER BY created_at",
        |r| {
            Ok(OfficeTokenRow {
                token_hash: r.get(0)?,
                user_id: r.get(1)?,
                created_at: r.get(2)?,
                revoked_at: r.get(3)?,
            })
        },
    )?;
    data.audit = all(
        tx,
        "SELECT audit_id, at, actor, action, subject, before_value, after_value, note
         FROM audit ORDER BY audit_id",
        |r| {
            Ok(AuditRow {
                audit_id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                before_value: r.get(5)?,
                after_value: r.get(6)?,
                note: r.get(7)?,
            })
        },
    )?;
    Ok(())
}

/// The registry of communities and organisations.
fn registry(tx: &Transaction<'_>, data: &mut DataSet) -> Result<()> {
    data.communities = all(
        tx,
        "SELECT community_id, name, subdistrict, district FROM communities ORDER BY community_id",
        |r| {
            Ok(CommunityRow {
                community_id: r.get(0)?,
                name: r.get(1)?,
                subdistrict: r.get(2)?,
                district: r.get(3)?,
            })
        },
    )?;
    data.organizations = all(
        tx,
        "SELECT organization_id, name FROM organizations ORDER BY organization_id",
        |r| {
            Ok(OrganizationRow {
                organization_id: r.get(0)?,
                name: r.get(1)?,
            })
        },
    )?;
    data.pairings = all(
        tx,
        "SELECT organization_id, community_id FROM pairings ORDER BY organization_id, community_id",
        |r| {
            Ok(PairingRow {
                organization_id: r.get(0)?,
                community_id: r.get(1)?,
            })
        },
    )?;
    Ok(())
}

fn all<T>(
    tx: &Transaction<'_>,
    sql: &str,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map([], map)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn uuid(row: &Row<'_>, index: usize) -> rusqlite::Result<Uuid> {
    let bytes: Vec<u8> = row.get(index)?;
    Uuid::from_slice(&bytes).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Blob, Box::new(e))
    })
}
