//! Batch ingest throughput, next to a raw SQLite prepared-insert loop of the
//! same rows, measured in the same run on the same disk.
//!
//! `cargo bench -p baodao-sync-server --bench ingest`
//! (`BENCH_MEMBERS`, `BENCH_ACTIVITIES`, `BENCH_BATCH` change the shape.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::path::Path;
use std::time::{Duration, Instant};

use baodao_shared::card::CardSigner;
use baodao_shared::protocol::{BATCHES_PATH, BatchRequest, RecordStatus};
use baodao_shared::{Activity, ActivityKind, AttendanceRecord, Member, Method};
use baodao_sync_server::card_cache::CardDecoder;
use baodao_sync_server::domain::upload::Upload;
use baodao_sync_server::net::tls::{Tls, TlsFiles};
use baodao_sync_server::store::{Change, Intake};
use baodao_sync_server::{AppState, Office, Settings};
use chrono::{Duration as Span, NaiveDate, Utc};

const RUNS: usize = 3;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Data {
    members: Vec<Member>,
    activities: Vec<Activity>,
    batches: Vec<BatchRequest>,
}

fn office(dir: &Path, data: &Data) -> Office {
    let mut settings = Settings::new(dir);
    // One kiosk sends every batch back to back: the rate limits would be
    // measured instead of ingest.
    settings.net.kiosk_requests_per_minute = 1_000_000;
    settings.net.address_requests_per_minute = 1_000_000;
    block_on(async {
        let office = Office::open(settings).await.unwrap();
        let store = office.store();
        store
            .upsert_members(data.members.clone(), Change::cli("bench"))
            .await
            .unwrap();
        store
            .upsert_activities(data.activities.clone(), Change::cli("bench"))
            .await
            .unwrap();
        office
    })
}

/// Runs a future to completion on a small runtime of its own.
fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Members × activities, every record carrying its member's signed card.
fn make_data(signer: &CardSigner, members: usize, activities: usize, batch: usize) -> Data {
    let now = Utc::now();
    let members: Vec<Member> = (0..members)
        .map(|i| Member {
            member_id: format!("M{i:06}").parse().unwrap(),
            name: "王芳".into(),
            organization: "市財政局機關黨支部".into(),
            community: "C01".parse().unwrap(),
        })
        .collect();
    let activities: Vec<Activity> = (0..activities)
        .map(|i| Activity {
            activity_id: format!("A{i:04}").parse().unwrap(),
            title: "環境衛生整治".into(),
            kind: ActivityKind::Sanitation,
            community: "C01".parse().unwrap(),
            starts_at: now - Span::hours(1),
            ends_at: now + Span::hours(3),
        })
        .collect();
    let expires = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let cards: Vec<String> = members
        .iter()
        .map(|m| signer.sign(&m.member_id, 0, expires).unwrap())
        .collect();
    let mut records = Vec::new();
    for a in &activities {
        for (m, card) in members.iter().zip(&cards) {
            records.push(AttendanceRecord {
                record_id: uuid::Uuid::now_v7(),
                member_id: m.member_id.clone(),
                activity_id: a.activity_id.clone(),
                scanned_at: now,
                method: Method::Qr,
                card: Some(card.clone()),
                entered_by: None,
            });
        }
    }
    let batches = records
        .chunks(batch)
        .map(|chunk| BatchRequest {
            batch_id: uuid::Uuid::now_v7(),
            sent_at: now,
            records: chunk.to_vec(),
            voids: vec![],
        })
        .collect();
    Data {
        members,
        activities,
        batches,
    }
}

fn rate(records: usize, elapsed: Duration) -> f64 {
    records as f64 / elapsed.as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The peer: the same rows into the same table shape with the same pragmas
/// (WAL, synchronous=FULL) and the same transaction per batch, no checks.
fn raw_sqlite(path: &Path, data: &Data) -> Duration {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE attendance (
            record_id BLOB PRIMARY KEY, kiosk_id TEXT NOT NULL, batch_id BLOB NOT NULL,
            member_id TEXT NOT NULL, activity_id TEXT NOT NULL, member_key INTEGER, activity_key INTEGER,
            scanned_at INTEGER NOT NULL, corrected_at INTEGER NOT NULL, method TEXT NOT NULL, card TEXT,
            received_at INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, seq INTEGER NOT NULL,
            community TEXT NOT NULL);
         -- The store's indexes on attendance, so the peer pays what it pays.
         CREATE INDEX attendance_counting ON attendance (member_key, activity_key, record_id, community)
             WHERE status IN ('accepted', 'repeat');
         CREATE INDEX attendance_seq ON attendance (seq);
         CREATE INDEX attendance_manual ON attendance (activity_key, kiosk_id) WHERE method = 'manual';",
    )
    .unwrap();
    let start = Instant::now();
    let mut conn = conn;
    for (seq, batch) in data.batches.iter().enumerate() {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO attendance VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 'C01')",
                )
                .unwrap();
            for (i, r) in batch.records.iter().enumerate() {
                let ms = r.scanned_at.timestamp_millis();
                insert
                    .execute(rusqlite::params![
                        r.record_id.as_bytes().as_slice(),
                        "K0001",
                        batch.batch_id.as_bytes().as_slice(),
                        r.member_id.as_str(),
                        r.activity_id.as_str(),
                        i64::try_from(i).unwrap(),
                        1i64,
                        ms,
                        ms,
                        "qr",
                        r.card,
                        ms,
                        "accepted",
                        None::<String>,
                        i64::try_from(seq).unwrap()
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    start.elapsed()
}

/// Our ingest through the store, with card signatures checked. With
/// `warm`, the signature cache already knows every card (a server that has
/// seen these members before); without, each card's first record pays for
/// an Ed25519 verification.
fn store_ingest(dir: &Path, data: &Data, signer: &CardSigner, warm: bool) -> Duration {
    let office = office(dir, data);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = office.store();
    let mut keyring_keys = runtime.block_on(store.card_keys()).unwrap();
    keyring_keys.push(signer.public_key());
    let cache = CardDecoder::new(baodao_shared::card::Keyring::new(&keyring_keys).unwrap());
    let kiosk = runtime
        .block_on(office.register_kiosk("bench", &"C01".parse().unwrap()))
        .unwrap()
        .kiosk;
    let policy = office.settings().policy;
    if warm {
        for r in data.batches.iter().flat_map(|b| &b.records) {
            let _ = r.card.as_deref().map(|c| cache.decode(c));
        }
    }
    let uploads: Vec<std::sync::Arc<Upload>> = data
        .batches
        .iter()
        .cloned()
        .map(|b| std::sync::Arc::new(Upload::from(b)))
        .collect();
    let start = Instant::now();
    for (batch, upload) in data.batches.iter().zip(&uploads) {
        let cards: Vec<Option<&str>> = batch.records.iter().map(|r| r.card.as_deref()).collect();
        let decoded = cache.decode_all(&cards);
        let intake = Intake {
            kiosk: kiosk.clone(),
            received_at: Utc::now(),
            policy,
            grace: Span::hours(2),
            max_clock_offset: Span::days(1),
            manual_limit: 30,
        };
        let receipt = runtime
            .block_on(store.ingest(intake, std::sync::Arc::clone(upload), decoded))
            .unwrap();
        assert!(
            receipt
                .records
                .iter()
                .all(|r| r.status == RecordStatus::Accepted)
        );
    }
    start.elapsed()
}

/// A CA and a certificate for `localhost` it signed, as the PEM files the
/// server reads, and the CA for the client.
fn certificates(dir: &Path) -> (TlsFiles, reqwest::Certificate) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    (
        files,
        reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap(),
    )
}

/// The whole path: HTTP (or HTTPS) on loopback, JSON, auth, ingest. One
/// client, connections kept alive, as a kiosk draining its outbox.
fn http_ingest(dir: &Path, data: &Data, signer: &CardSigner, https: bool) -> Duration {
    let office = office(dir, data);
    // Cards in this run are signed by the bench key; trust it as key 0.
    let store = office.store();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(store.register_card_key(signer.public_key(), Utc::now()))
        .unwrap();
    let token = runtime
        .block_on(office.register_kiosk("bench", &"C01".parse().unwrap()))
        .unwrap()
        .token;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (tls, client) = if https {
        let (files, ca) = certificates(&dir.join("tls"));
        let tls = std::sync::Arc::new(Tls::load(files).unwrap());
        let client = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([ca])
            .build()
            .unwrap();
        (Some(tls), client)
    } else {
        (None, reqwest::Client::builder().no_proxy().build().unwrap())
    };
    runtime.block_on(async {
        let state = AppState::new(&office).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = if https {
            format!("https://localhost:{port}{BATCHES_PATH}")
        } else {
            format!("http://127.0.0.1:{port}{BATCHES_PATH}")
        };
        tokio::spawn(baodao_sync_server::serve_tls(
            listener,
            state,
            tls,
            std::future::pending(),
        ));
        let start = Instant::now();
        for batch in &data.batches {
            let response = client
                .post(&url)
                .bearer_auth(&token)
                .json(batch)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            let _: serde_json::Value = response.json().await.unwrap();
        }
        start.elapsed()
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let members = env_or("BENCH_MEMBERS", 10_000);
    let activities = env_or("BENCH_ACTIVITIES", 5);
    let batch = env_or("BENCH_BATCH", 500);
    // Key id 0 so it does not clash with the office key each Office creates.
    let signer = CardSigner::from_seed(0, &[9; 32]);
    let data = make_data(&signer, members, activities, batch);
    let total: usize = data.batches.iter().map(|b| b.records.len()).sum();
    println!(
        "ingest: {members} members x {activities} activities = {total} records, {batch} a batch, \
         every record with a signed card; median of {RUNS} runs"
    );

    let mut raw = vec![];
    let mut store = vec![];
    let mut warm = vec![];
    let mut http = vec![];
    let mut https = vec![];
    for _ in 0..RUNS {
        let dir = tempfile::tempdir_in(
            std::env::var("BENCH_DIR").unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").into()),
        )
        .unwrap();
        raw.push(rate(
            total,
            raw_sqlite(&dir.path().join("raw.sqlite"), &data),
        ));
        store.push(rate(
            total,
            store_ingest(&dir.path().join("store"), &data, &signer, false),
        ));
        warm.push(rate(
            total,
            store_ingest(&dir.path().join("warm"), &data, &signer, true),
        ));
        http.push(rate(
            total,
            http_ingest(&dir.path().join("http"), &data, &signer, false),
        ));
        https.push(rate(
            total,
            http_ingest(&dir.path().join("https"), &data, &signer, true),
        ));
    }
    let (raw, store, warm) = (median(raw), median(store), median(warm));
    let (http, https) = (median(http), median(https));
    println!("| path | records/s | vs raw SQLite |");
    println!("|---|---:|---:|");
    println!("| raw SQLite prepared INSERT, same rows, same pragmas (peer) | {raw:.0} | 100% |");
    println!(
        "| Store::ingest, every card new to the server (checks, dedup, Ed25519, receipts) | {store:.0} | {:.0}% |",
        100.0 * store / raw
    );
    println!(
        "| Store::ingest, cards seen before (signature cache warm) | {warm:.0} | {:.0}% |",
        100.0 * warm / raw
    );
    println!(
        "| HTTP POST /api/v1/attendance/batches on loopback, every card new | {http:.0} | {:.0}% |",
        100.0 * http / raw
    );
    println!(
        "| HTTPS (rustls, TLS 1.3) POST on loopback, every card new | {https:.0} | {:.0}% ({:.0}% of HTTP) |",
        100.0 * https / raw,
        100.0 * https / http
    );
}
