//! A data set into PostgreSQL, for `migrate`, and the row counts it checks.

use deadpool_postgres::{Object, Transaction};
use tokio_postgres::types::ToSql;

use crate::error::Result;
use crate::store::DataSet;
use crate::store::dataset::TABLES;

/// Rows a statement carries: big enough that round trips do not matter,
/// small enough that one statement's arrays stay a few megabytes.
const CHUNK: usize = 5_000;

pub(super) async fn table_counts(client: &Object) -> Result<Vec<(&'static str, u64)>> {
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let n: i64 = client
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
            .await?
            .get(0);
        counts.push((table, u64::try_from(n).unwrap_or_default()));
    }
    Ok(counts)
}

/// Inserts `rows` in chunks with `sql`, whose parameters are the columns
/// `columns` makes of a chunk.
async fn chunked<T>(
    tx: &Transaction<'_>,
    sql: &str,
    rows: &[T],
    columns: impl Fn(&[T]) -> Vec<Box<dyn ToSql + Sync + Send>>,
) -> Result<()> {
    let stmt = tx.prepare(sql).await?;
    for chunk in rows.chunks(CHUNK) {
        let values = columns(chunk);
        let params: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        tx.execute(&stmt, &params).await?;
    }
    Ok(())
}

macro_rules! column {
    ($rows:expr, $field:ident) => {
        Box::new($rows.iter().map(|r| r.$field.clone()).collect::<Vec<_>>())
            as Box<dyn ToSql + Sync + Send>
    };
}

pub(super) async fn import(client: &mut Object, data: &DataSet) -> Result<()> {
    let tx = client.transaction().await?;
    import_roster(&tx, data).await?;
    import_kiosks(&tx, data).await?;
    import_records(&tx, data).await?;
    import_office(&tx, data).await?;
    import_registry(&tx, data).await?;
    continue_identities(&tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Members, activities, keys and cards.
async fn import_roster(tx: &Transaction<'_>, data: &DataSet) -> Result<()> {
    chunked(
        tx,
        "INSERT INTO members (member_key, member_id, name, organization, community, card_serial, visits_elsewhere,
                              inactive_since)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bool[],
                              $8::bigint[])
         ON CONFLICT DO NOTHING",
        &data.members,
        |rows| {
            vec![
                column!(rows, member_key),
                column!(rows, member_id),
                column!(rows, name),
                column!(rows, organization),
                column!(rows, community),
                column!(rows, card_serial),
                column!(rows, visits_elsewhere),
                column!(rows, inactive_since),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO activities (activity_key, activity_id, title, kind, community, starts_at, ends_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
         ON CONFLICT DO NOTHING",
        &data.activities,
        |rows| {
            vec![
                column!(rows, activity_key),
                column!(rows, activity_id),
                column!(rows, title),
                column!(rows, kind),
                column!(rows, community),
                column!(rows, starts_at),
                column!(rows, ends_at),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO card_keys (key_id, public_key, created_at, retired_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])
         ON CONFLICT DO NOTHING",
        &data.card_keys,
        |rows| {
            vec![
                column!(rows, key_id),
                column!(rows, public_key),
                column!(rows, created_at),
                column!(rows, retired_at),
            ]
        },
    )
    .await?;
    // A revoked card's `revoked_seq` is this transaction: kiosks, which
    // start over with a full snapshot after a migration, get it anyway.
    chunked(
        tx,
        "INSERT INTO cards (serial, member_id, key_id, issued_at, expires_on, revoked_at, revoked_seq)
         SELECT r.*, CASE WHEN r.revoked_at IS NULL THEN NULL ELSE pg_current_xact_id()::text::bigint END
         FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[])
             AS r (serial, member_id, key_id, issued_at, expires_on, revoked_at)
         ON CONFLICT DO NOTHING",
        &data.cards,
        |rows| {
            vec![
                column!(rows, serial),
                column!(rows, member_id),
                column!(rows, key_id),
                column!(rows, issued_at),
                column!(rows, expires_on),
                column!(rows, revoked_at),
            ]
        },
    )
    .await?;
    Ok(())
}

async fn import_kiosks(tx: &Transaction<'_>, data: &DataSet) -> Result<()> {
    // Kiosk numbers follow their ids (`K0007` is number 7), so the next
    // registration continues the series.
    chunked(
        tx,
        "INSERT INTO kiosks (kiosk_number, kiosk_id, name, community, token_hash, created_at, revoked_at,
                             last_seen_at, last_clock_offset_ms)
         SELECT COALESCE(CASE WHEN r.kiosk_id ~ '^K[0-9]{1,18}$' THEN substr(r.kiosk_id, 2)::bigint END,
                         nextval(pg_get_serial_sequence('kiosks', 'kiosk_number'))), r.*
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                     $7::bigint[], $8::bigint[])
             AS r (kiosk_id, name, community, token_hash, created_at, revoked_at, last_seen_at,
                   last_clock_offset_ms)
         ON CONFLICT DO NOTHING",
        &data.kiosks,
        |rows| {
            vec![
                column!(rows, kiosk_id),
                column!(rows, name),
                column!(rows, community),
                column!(rows, token_hash),
                column!(rows, created_at),
                column!(rows, revoked_at),
                column!(rows, last_seen_at),
                column!(rows, last_clock_offset_ms),
            ]
        },
    )
    .await?;
    Ok(())
}

/// Batches, records, voids and visits.
async fn import_records(tx: &Transaction<'_>, data: &DataSet) -> Result<()> {
    chunked(
        tx,
        "INSERT INTO batches (batch_id, kiosk_id, sent_at, received_at, clock_offset_ms, records, voids)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                              $7::bigint[])
         ON CONFLICT DO NOTHING",
        &data.batches,
        |rows| {
            vec![
                column!(rows, batch_id),
                column!(rows, kiosk_id),
                column!(rows, sent_at),
                column!(rows, received_at),
                column!(rows, clock_offset_ms),
                column!(rows, records),
                column!(rows, voids),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key, activity_key,
                                 scanned_at, corrected_at, method, card, received_at, status, reason, community)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::bigint[],
                              $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[],
                              $13::text[], $14::text[], $15::text[])
         ON CONFLICT DO NOTHING",
        &data.attendance,
        |rows| {
            vec![
                column!(rows, record_id),
                column!(rows, kiosk_id),
                column!(rows, batch_id),
                column!(rows, member_id),
                column!(rows, activity_id),
                column!(rows, member_key),
                column!(rows, activity_key),
                column!(rows, scanned_at),
                column!(rows, corrected_at),
                column!(rows, method),
                column!(rows, card),
                column!(rows, received_at),
                column!(rows, status),
                column!(rows, reason),
                column!(rows, community),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO voids (record_id, community, kiosk_id, batch_id, reason, voided_at, received_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::bigint[],
                              $7::bigint[])
         ON CONFLICT DO NOTHING",
        &data.voids,
        |rows| {
            vec![
                column!(rows, record_id),
                column!(rows, community),
                column!(rows, kiosk_id),
                column!(rows, batch_id),
                column!(rows, reason),
                column!(rows, voided_at),
                column!(rows, received_at),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO visitors (community, member_key)
         SELECT * FROM unnest($1::text[], $2::bigint[])
         ON CONFLICT DO NOTHING",
        &data.visitors,
        |rows| vec![column!(rows, community), column!(rows, member_key)],
    )
    .await?;
    Ok(())
}

/// The office's users, their tokens and the audit log.
async fn import_office(tx: &Transaction<'_>, data: &DataSet) -> Result<()> {
    chunked(
        tx,
        "INSERT INTO office_users (user_id, username, password_hash, role, communities, created_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
         ON CONFLICT DO NOTHING",
        &data.office_users,
        |rows| {
            vec![
                column!(rows, user_id),
                column!(rows, username),
                column!(rows, password_hash),
                column!(rows, role),
                column!(rows, communities),
                column!(rows, created_at),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO office_tokens (token_hash, user_id, created_at, revoked_at)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])
         ON CONFLICT DO NOTHING",
        &data.office_tokens,
        |rows| {
            vec![
                column!(rows, token_hash),
                column!(rows, user_id),
                column!(rows, created_at),
                column!(rows, revoked_at),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO audit (audit_id, at, actor, action, subject, before_value, after_value, note)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                              $7::text[], $8::text[])
         ON CONFLICT DO NOTHING",
        &data.audit,
        |rows| {
            vec![
                column!(rows, audit_id),
                column!(rows, at),
                column!(rows, actor),
                column!(rows, action),
                column!(rows, subject),
                column!(rows, before_value),
                column!(rows, after_value),
                column!(rows, note),
            ]
        },
    )
    .await?;
    Ok(())
}

/// The registry of communities and organisations.
async fn import_registry(tx: &Transaction<'_>, data: &DataSet) -> Result<()> {
    chunked(
        tx,
        "INSERT INTO communities (community_id, name, subdistrict, district)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT DO NOTHING",
        &data.communities,
        |rows| {
            vec![
                column!(rows, community_id),
                column!(rows, name),
                column!(rows, subdistrict),
                column!(rows, district),
            ]
        },
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO organizations (organization_id, name)
         SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT DO NOTHING",
        &data.organizations,
        |rows| vec![column!(rows, organization_id), column!(rows, name)],
    )
    .await?;
    chunked(
        tx,
        "INSERT INTO pairings (organization_id, community_id)
         SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT DO NOTHING",
        &data.pairings,
        |rows| vec![column!(rows, organization_id), column!(rows, community_id)],
    )
    .await?;
    Ok(())
}

async fn continue_identities(tx: &Transaction<'_>) -> Result<()> {
    // Identity columns continue after the copied keys.
    for (table, column) in [
        ("members", "member_key"),
        ("activities", "activity_key"),
        ("cards", "serial"),
        ("kiosks", "kiosk_number"),
        ("office_users", "user_id"),
        ("audit", "audit_id"),
    ] {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                               GREATEST((SELECT MAX({column}) FROM {table}), 1))"
            ),
            &[],
        )
        .await?;
    }
    Ok(())
}
