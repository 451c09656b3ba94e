//! Scale-out figures, each next to its peer in the same run:
//!
//! - ingest over HTTP by eight kiosks at once, on SQLite and on PostgreSQL
//!   with one and with two server instances, next to raw prepared INSERTs
//!   (same rows, same transactions, eight connections) and one COPY;
//! - the yearly points report for 1M records of 100k members on both
//!   backends, and for 10M records of 1M members on PostgreSQL;
//! - a kiosk's snapshot in a city of 1M members: full, and incremental
//!   with nothing changed or after one batch;
//! - the office console on 100k members and 1M records: the points page,
//!   the per-organisation roll-up and the XLSX of all members, next to the
//!   same report as JSON.
//!
//! Needs a PostgreSQL: `bench/scale.sh` starts a durable throwaway one
//! (`fsync` and `synchronous_commit` on, as in production) and runs
//! `cargo bench -p baodao-sync-server --bench scale`. `BENCH_PART`
//! (`ingest`, `points`, `city`, `console`) runs one part; `BENCH_SMALL=1` shrinks
//! every size tenfold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation
)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use baodao_shared::card::CardSigner;
use baodao_shared::protocol::{BATCHES_PATH, BatchRequest, RecordStatus};
use baodao_shared::{AttendanceRecord, Method, Policy};
use baodao_sync_server::store::DatabaseUrl;
use baodao_sync_server::{AppState, Office, Settings};
use chrono::{Duration as Span, NaiveDate, TimeZone, Utc};
use futures_util::SinkExt;
use tokio_postgres::NoTls;

const KIOSKS: usize = 8;
const BATCH: usize = 100;

fn small() -> bool {
    std::env::var("BENCH_SMALL").is_ok_and(|v| v == "1")
}

fn scaled(n: usize) -> usize {
    if small() { n / 10 } else { n }
}

fn part(name: &str) -> bool {
    std::env::var("BENCH_PART").map_or(true, |p| p == name)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

async fn pg(client_url: &str) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
    let (client, connection) = tokio_postgres::connect(client_url, NoTls).await.unwrap();
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    (client, driver)
}

fn settings(dir: &Path, database: Option<String>) -> Settings {
    let mut settings = Settings::new(dir);
    settings.database = database.map(DatabaseUrl::Postgres);
    settings.net.kiosk_requests_per_minute = 1_000_000;
    settings.net.address_requests_per_minute = 1_000_000;
    settings
}

/// Eight kiosks' uploads: `per_kiosk` batches of 100 records each, every
/// record with its member's signed card.
struct Load {
    members: usize,
    batches: Vec<Vec<BatchRequest>>,
}

fn load(signer: &CardSigner, members: usize, per_kiosk: usize) -> Load {
    let now = Utc::now();
    let expires = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let cards: Vec<String> = (0..members)
        .map(|i| {
            signer
                .sign(&format!("M{i:06}").parse().unwrap(), 0, expires)
                .unwrap()
        })
        .collect();
    let mut n = 0usize;
    let batches = (0..KIOSKS)
        .map(|_| {
            (0..per_kiosk)
                .map(|_| {
                    let records = (0..BATCH)
                        .map(|_| {
                            n += 1;
                            let m = (n * 7919) % members;
                            AttendanceRecord {
                                record_id: uuid::Uuid::now_v7(),
                                member_id: format!("M{m:06}").parse().unwrap(),
                                activity_id: format!("A{}", n % 5).parse().unwrap(),
                                scanned_at: now,
                                method: Method::Qr,
                                card: Some(cards[m].clone()),
                                entered_by: None,
                            }
                        })
                        .collect();
                    BatchRequest {
                        batch_id: uuid::Uuid::now_v7(),
                        sent_at: now,
                        records,
                        voids: vec![],
                    }
                })
                .collect()
        })
        .collect();
    Load { members, batches }
}

/// An office with the load's members, five activities open now, and eight
/// kiosks; returns their tokens.
async fn prepare(office: &Office, dir: &Path, load: &Load, signer: &CardSigner) -> Vec<String> {
    let mut csv = String::from("member_id,name,organization,community\n");
    for i in 0..load.members {
        writeln!(csv, "M{i:06},王芳,市財政局機關黨支部,C01").unwrap();
    }
    std::fs::write(dir.join("members.csv"), csv).unwrap();
    office
        .import_members(&dir.join("members.csv"))
        .await
        .unwrap();
    let now = Utc::now();
    let mut csv = String::from("activity_id,title,kind,community,starts_at,ends_at\n");
    for a in 0..5 {
        writeln!(
            csv,
            "A{a},環境衛生整治,sanitation,C01,{},{}",
            (now - Span::hours(1)).to_rfc3339(),
            (now + Span::hours(3)).to_rfc3339()
        )
        .unwrap();
    }
    std::fs::write(dir.join("activities.csv"), csv).unwrap();
    office
        .import_activities(&dir.join("activities.csv"))
        .await
        .unwrap();
    office
        .store()
        .register_card_key(signer.public_key(), Utc::now())
        .await
        .unwrap();
    let mut tokens = vec![];
    for _ in 0..KIOSKS {
        tokens.push(
            office
                .register_kiosk("bench", &"C01".parse().unwrap())
                .await
                .unwrap()
                .token,
        );
    }
    tokens
}

/// Serves `offices` (one instance each) on loopback and sends the load,
/// kiosk k to instance k mod n; the time from the first request to the
/// last receipt.
async fn http_ingest(offices: &[Office], tokens: &[String], load: &Load) -> Duration {
    let mut urls = vec![];
    for office in offices {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push(format!(
            "http://{}{BATCHES_PATH}",
            listener.local_addr().unwrap()
        ));
        let state = AppState::new(office).await.unwrap();
        tokio::spawn(baodao_sync_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
    }
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let start = Instant::now();
    let mut kiosks = tokio::task::JoinSet::new();
    for (k, batches) in load.batches.iter().cloned().enumerate() {
        let (client, url, token) = (
            client.clone(),
            urls[k % urls.len()].clone(),
            tokens[k].clone(),
        );
        kiosks.spawn(async move {
            for upload in batches {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&upload)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                let receipt: baodao_shared::protocol::BatchReceipt = response.json().await.unwrap();
                assert!(
                    receipt
                        .records
                        .iter()
                        .all(|r| matches!(r.status, RecordStatus::Accepted | RecordStatus::Repeat))
                );
            }
        });
    }
    while let Some(done) = kiosks.join_next().await {
        done.unwrap();
    }
    start.elapsed()
}

/// The rows the server writes for the load, as raw prepared INSERTs: eight
/// connections, one transaction a batch, one statement a row.
async fn raw_insert(url: &str, load: &Load) -> Duration {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (k, batches) in load.batches.iter().cloned().enumerate() {
        let url = url.to_owned();
        tasks.spawn(async move {
            let (mut client, _driver) = pg(&url).await;
            let insert = client
                .prepare(
                    "INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key,
                         activity_key, scanned_at, corrected_at, method, card, received_at, status, community)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 'qr', $9, $8, 'accepted', 'C01')",
                )
                .await
                .unwrap();
            let kiosk = format!("R{k}");
            for upload in batches {
                let tx = client.transaction().await.unwrap();
                for r in &upload.records {
                    let m: i64 = r.member_id.as_str()[1..].parse().unwrap();
                    tx.execute(
                        &insert,
                        &[
                            &r.record_id,
                            &kiosk,
                            &upload.batch_id,
                            &r.member_id.as_str(),
                            &r.activity_id.as_str(),
                            &m,
                            &1i64,
                            &r.scanned_at.timestamp_millis(),
                            &r.card,
                        ],
                    )
                    .await
                    .unwrap();
                }
                tx.commit().await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    start.elapsed()
}

/// The same rows in one COPY.
async fn raw_copy(url: &str, load: &Load) -> Duration {
    let (client, _driver) = pg(url).await;
    let start = Instant::now();
    let sink = client
        .copy_in(
            "COPY attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key, activity_key,
                              scanned_at, corrected_at, method, card, received_at, status, community) FROM STDIN",
        )
        .await
        .unwrap();
    futures_util::pin_mut!(sink);
    let mut chunk = String::new();
    for upload in load.batches.iter().flatten() {
        for r in &upload.records {
            let t = r.scanned_at.timestamp_millis();
            writeln!(
                chunk,
                "{}\tC\t{}\t{}\t{}\t{}\t1\t{t}\t{t}\tqr\t{}\t{t}\taccepted\tC01",
                r.record_id,
                upload.batch_id,
                r.member_id,
                r.activity_id,
                &r.member_id.as_str()[1..],
                r.card.as_deref().unwrap_or_default(),
            )
            .unwrap();
        }
        if chunk.len() > 1 << 20 {
            sink.send(bytes::Bytes::from(std::mem::take(&mut chunk)))
                .await
                .unwrap();
        }
    }
    sink.send(bytes::Bytes::from(chunk)).await.unwrap();
    sink.finish().await.unwrap();
    start.elapsed()
}

fn ingest_part(runtime: &tokio::runtime::Runtime, cluster: &str) {
    let signer = CardSigner::from_seed(0, &[9; 32]);
    let per_kiosk = scaled(60);
    let data = load(&signer, scaled(20_000), per_kiosk);
    let total = KIOSKS * per_kiosk * BATCH;
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    let mut rows: Vec<(&str, Vec<f64>)> = vec![
        ("SQLite, 1 instance (`synchronous=FULL`)", vec![]),
        ("PostgreSQL, 1 instance", vec![]),
        ("PostgreSQL, 2 instances", vec![]),
        (
            "peer: raw prepared INSERT, same rows, 8 connections, a transaction per 100",
            vec![],
        ),
        ("peer: raw COPY, same rows, one stream", vec![]),
    ];
    for _ in 0..3 {
        runtime.block_on(async {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
            let sqlite = Office::open(settings(&dir.path().join("sqlite"), None))
                .await
                .unwrap();
            let tokens = prepare(&sqlite, dir.path(), &data, &signer).await;
            rows[0]
                .1
                .push(rate(http_ingest(&[sqlite], &tokens, &data).await));

            for (row, instances) in [(1, 1), (2, 2)] {
                let url = baodao_tests::pg::fresh_database_in(cluster).await.unwrap();
                let mut offices = vec![];
                for i in 0..instances {
                    offices.push(
                        Office::open(settings(
                            &dir.path().join(format!("pg{i}")),
                            Some(url.clone()),
                        ))
                        .await
                        .unwrap(),
                    );
                }
                let tokens = prepare(&offices[0], dir.path(), &data, &signer).await;
                rows[row]
                    .1
                    .push(rate(http_ingest(&offices, &tokens, &data).await));
            }
            let url = baodao_tests::pg::fresh_database_in(cluster).await.unwrap();
            drop(
                Office::open(settings(&dir.path().join("raw"), Some(url.clone())))
                    .await
                    .unwrap(),
            );
            rows[3].1.push(rate(raw_insert(&url, &data).await));
            let url = baodao_tests::pg::fresh_database_in(cluster).await.unwrap();
            drop(
                Office::open(settings(&dir.path().join("copy"), Some(url.clone())))
                    .await
                    .unwrap(),
            );
            rows[4].1.push(rate(raw_copy(&url, &data).await));
        });
    }
    println!(
        "\ningest: {total} records ({KIOSKS} kiosks × {per_kiosk} batches × {BATCH}), every record with a signed card, over HTTP on loopback; median of 3 runs"
    );
    println!("| path | records/s | vs raw INSERT |");
    println!("|---|---:|---:|");
    let medians: Vec<f64> = rows
        .iter()
        .map(|(_, v)| {
            let mut v = v.clone();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    for ((name, _), m) in rows.iter().zip(&medians) {
        println!("| {name} | {m:.0} | {:.0}% |", m / medians[3] * 100.0);
    }
}

/// A generator that loads the same data every run.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A data set's shape: members spread over communities, activities over
/// 2025-2026, records (90% counting, 1% voided).
#[derive(Clone, Copy)]
struct Shape {
    members: u64,
    communities: u64,
    activities: u64,
    records: u64,
}

/// One of 500 home organisations (agency party branches).
fn organization(member: u64) -> String {
    format!("第{:03}機關黨支部", member % 500)
}

fn status(rng: &mut XorShift) -> &'static str {
    match rng.below(100) {
        0..=89 => "accepted",
        90..=95 => "repeat",
        96..=97 => "held",
        _ => "rejected",
    }
}

fn activity_start(i: u64, shape: Shape) -> i64 {
    // Spread over 18 months from July 2025, some on New Year's Eve night.
    let first = Utc.with_ymd_and_hms(2025, 7, 1, 1, 0, 0).unwrap();
    let span_hours = 18 * 30 * 24;
    (first + Span::hours((i * span_hours / shape.activities) as i64)).timestamp_millis()
}

/// Loads a shape into a migrated PostgreSQL database with COPY.
async fn load_pg(url: &str, shape: Shape) {
    let (client, _driver) = pg(url).await;
    // Loaded as rows an older server wrote (no tally, its triggers off):
    // the server recounts on its next start, which the parts time.
    client
        .batch_execute("SET session_replication_role = replica; UPDATE tally_zone SET zone = ''")
        .await
        .unwrap();
    let copy = async |sql: &str, rows: &mut dyn FnMut(&mut String) -> bool| {
        let sink = client.copy_in(sql).await.unwrap();
        futures_util::pin_mut!(sink);
        let mut chunk = String::new();
        while rows(&mut chunk) {
            if chunk.len() > 4 << 20 {
                sink.send(bytes::Bytes::from(std::mem::take(&mut chunk)))
                    .await
                    .unwrap();
            }
        }
        sink.send(bytes::Bytes::from(chunk)).await.unwrap();
        sink.finish().await.unwrap();
    };
    let mut i = 0;
    copy(
        "COPY members (member_key, member_id, name, organization, community) FROM STDIN",
        &mut |out| {
            writeln!(
                out,
                "{i}\tM{i:07}\t王芳\t{}\tC{:04}",
                organization(i),
                i % shape.communities
            )
            .unwrap();
            i += 1;
            i < shape.members
        },
    )
    .await;
    let mut i = 0;
    copy(
        "COPY activities (activity_key, activity_id, title, kind, community, starts_at, ends_at) FROM STDIN",
        &mut |out| {
            let start = activity_start(i, shape);
            writeln!(out, "{i}\tA{i:06}\t黨課\tparty_lesson\tC{:04}\t{start}\t{}", i % shape.communities, start + 7_200_000).unwrap();
            i += 1;
            i < shape.activities
        },
    )
    .await;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut voided = vec![];
    let mut i = 0;
    copy(
        "COPY attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key, activity_key,
                          scanned_at, corrected_at, method, received_at, status, community) FROM STDIN",
        &mut |out| {
            let id = uuid::Uuid::from_u64_pair(0, i);
            let member = rng.below(shape.members);
            // Members attend in their own community mostly.
            let community = member % shape.communities;
            let per = (shape.activities / shape.communities).max(1);
            let activity = (rng.below(per) * shape.communities + community) % shape.activities;
            writeln!(
                out,
                "{id}\tK0001\t{}\tM\tA\t{member}\t{activity}\t0\t0\tqr\t0\t{}\tC{community:04}",
                uuid::Uuid::nil(),
                status(&mut rng)
            )
            .unwrap();
            if rng.below(100) == 0 {
                voided.push((id, community));
            }
            i += 1;
            i < shape.records
        },
    )
    .await;
    let mut voids = voided.into_iter();
    copy(
        "COPY voids (record_id, community, kiosk_id, batch_id, reason, received_at) FROM STDIN",
        &mut |out| match voids.next() {
            Some((id, community)) => {
                writeln!(
                    out,
                    "{id}\tC{community:04}\tK0001\t{}\tbench\t0",
                    uuid::Uuid::nil()
                )
                .unwrap();
                true
            }
            None => false,
        },
    )
    .await;
    client.batch_execute("VACUUM ANALYZE").await.unwrap();
}

/// The same shape into SQLite (prepared inserts in one transaction).
fn load_sqlite(path: &Path, shape: Shape) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    // As rows an older server wrote: no tally (its triggers find no year
    // to count); the server recounts on its next start.
    tx.execute_batch("UPDATE tally_zone SET zone = ''; DELETE FROM tally_years;")
        .unwrap();
    {
        let mut members = tx.prepare("INSERT INTO members (member_key, member_id, name, organization, community, seq) VALUES (?1, ?2, '王芳', ?4, ?3, 1)").unwrap();
        for i in 0..shape.members {
            members
                .execute(rusqlite::params![
                    i as i64,
                    format!("M{i:07}"),
                    format!("C{:04}", i % shape.communities),
                    organization(i)
                ])
                .unwrap();
        }
        let mut activities = tx.prepare("INSERT INTO activities (activity_key, activity_id, title, kind, community, starts_at, ends_at, seq) VALUES (?1, ?2, '黨課', 'party_lesson', ?3, ?4, ?5, 1)").unwrap();
        for i in 0..shape.activities {
            let start = activity_start(i, shape);
            activities
                .execute(rusqlite::params![
                    i as i64,
                    format!("A{i:06}"),
                    format!("C{:04}", i % shape.communities),
                    start,
                    start + 7_200_000
                ])
                .unwrap();
        }
        let mut records = tx.prepare("INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key, activity_key, scanned_at, corrected_at, method, received_at, status, seq, community) VALUES (?1, 'K0001', x'00', 'M', 'A', ?2, ?3, 0, 0, 'qr', 0, ?4, 1, ?5)").unwrap();
        let mut voids = tx.prepare("INSERT INTO voids (record_id, community, kiosk_id, batch_id, reason, received_at, seq) VALUES (?1, ?2, 'K0001', x'00', 'bench', 0, 1)").unwrap();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for i in 0..shape.records {
            let id = uuid::Uuid::from_u64_pair(0, i);
            let member = rng.below(shape.members);
            let community = member % shape.communities;
            let per = (shape.activities / shape.communities).max(1);
            let activity = (rng.below(per) * shape.communities + community) % shape.activities;
            let community_id = format!("C{community:04}");
            records
                .execute(rusqlite::params![
                    id.as_bytes().as_slice(),
                    member as i64,
                    activity as i64,
                    status(&mut rng),
                    community_id
                ])
                .unwrap();
            if rng.below(100) == 0 {
                voids
                    .execute(rusqlite::params![id.as_bytes().as_slice(), community_id])
                    .unwrap();
            }
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("ANALYZE").unwrap();
}

const PEER_SQL: &str =
    "SELECT COUNT(*) FROM (SELECT a.member_key, COUNT(DISTINCT a.activity_key) AS n
     FROM attendance a LEFT JOIN voids v ON v.record_id = a.record_id AND v.community = a.community
     WHERE a.status IN ('accepted', 'repeat') AND v.record_id IS NULL
     GROUP BY a.member_key) t";

/// Times the 2026 report (median of 3) and the peer aggregate.
fn time_report(
    runtime: &tokio::runtime::Runtime,
    office: &Office,
    peer: impl Fn() -> i64,
) -> (Duration, Duration, u64, i64) {
    let mut ours = vec![];
    let mut theirs = vec![];
    let mut points = 0;
    let mut groups = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let report = runtime.block_on(office.points_report(2026)).unwrap();
        ours.push(start.elapsed());
        points = report.iter().map(|r| u64::from(r.points)).sum();
        let start = Instant::now();
        groups = peer();
        theirs.push(start.elapsed());
    }
    (median(ours), median(theirs), points, groups)
}

/// Recounts the tally from the loaded records (as a server starting on an
/// older database does), then times the report read from it (median of
/// 3): the recount, the report, and the points it gives.
fn tallied_report(runtime: &tokio::runtime::Runtime, office: &Office) -> (Duration, Duration, u64) {
    let start = Instant::now();
    assert!(
        runtime
            .block_on(office.store().keep_tally_in(Policy::default().time_zone))
            .unwrap()
    );
    let recount = start.elapsed();
    let (report, _, points, _) = time_report(runtime, office, || 0);
    (recount, report, points)
}

fn points_part(runtime: &tokio::runtime::Runtime, cluster: &str) {
    println!(
        "\npoints: the yearly report (`points --year 2026`: distinct activities, voids, year in Asia/Shanghai, cap 12, every member) computed by the database; peer: one SQL COUNT(DISTINCT) per member, voids excluded, no year, no cap, counting groups only; median of 3 runs"
    );
    println!(
        "| data | backend | report from the records | recount into the tally (once) | report from the tally | peer | points in 2026 |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let medium = Shape {
        members: scaled(100_000) as u64,
        communities: 100,
        activities: 600,
        records: scaled(1_000_000) as u64,
    };
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let sqlite = runtime
        .block_on(Office::open(settings(&dir.path().join("sqlite"), None)))
        .unwrap();
    let path = dir.path().join("sqlite").join("baodao.sqlite");
    load_sqlite(&path, medium);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (ours, peer, points, _) = time_report(runtime, &sqlite, || {
        conn.query_row(PEER_SQL, [], |r| r.get(0)).unwrap()
    });
    let (recount, tallied, tally_points) = tallied_report(runtime, &sqlite);
    assert_eq!(points, tally_points, "the tally agrees with the records");
    println!(
        "| {}k members, {}M records | SQLite | {} | {} | {} | {} | {points} |",
        medium.members / 1000,
        medium.records as f64 / 1e6,
        ms(ours),
        ms(recount),
        ms(tallied),
        ms(peer)
    );

    for shape in [
        medium,
        Shape {
            members: scaled(1_000_000) as u64,
            communities: 5000,
            activities: 20_000,
            records: scaled(10_000_000) as u64,
        },
    ] {
        let url = runtime
            .block_on(baodao_tests::pg::fresh_database_in(cluster))
            .unwrap();
        let office = runtime
            .block_on(Office::open(settings(
                &dir.path().join("pg"),
                Some(url.clone()),
            )))
            .unwrap();
        let loaded = Instant::now();
        runtime.block_on(load_pg(&url, shape));
        let loaded = loaded.elapsed();
        let (client, _driver) = runtime.block_on(pg(&url));
        let (ours, peer, points, _) = time_report(runtime, &office, || {
            runtime.block_on(async { client.query_one(PEER_SQL, &[]).await.unwrap().get(0) })
        });
        let (recount, tallied, tally_points) = tallied_report(runtime, &office);
        assert_eq!(points, tally_points, "the tally agrees with the records");
        println!(
            "| {}k members, {}M records (loaded by COPY in {:.0} s) | PostgreSQL | {} | {} | {} | {} | {points} |",
            shape.members / 1000,
            shape.records as f64 / 1e6,
            loaded.as_secs_f64(),
            ms(ours),
            ms(recount),
            ms(tallied),
            ms(peer)
        );
        if shape.communities == 5000 && part("city") {
            city_part(runtime, &office, &url);
        }
    }
}

/// p50 and p95 of `n` timed GETs of `path` with the session `cookie`; the
/// answer's size.
async fn timed_gets(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    path: &str,
    n: usize,
) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let start = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        size = response.bytes().await.unwrap().len();
        times.push(start.elapsed());
    }
    times.sort();
    (times[n / 2], times[(n * 95).div_ceil(100) - 1], size)
}

/// An office on a fresh database of `backend` loaded with `shape`, its
/// tally counted.
fn loaded_office(
    runtime: &tokio::runtime::Runtime,
    cluster: &str,
    dir: &Path,
    backend: &str,
    shape: Shape,
) -> Office {
    let office = if backend == "SQLite" {
        let office = runtime
            .block_on(Office::open(settings(&dir.join("sqlite"), None)))
            .unwrap();
        load_sqlite(&dir.join("sqlite").join("baodao.sqlite"), shape);
        office
    } else {
        let url = runtime
            .block_on(baodao_tests::pg::fresh_database_in(cluster))
            .unwrap();
        let office = runtime
            .block_on(Office::open(settings(&dir.join("pg"), Some(url.clone()))))
            .unwrap();
        runtime.block_on(load_pg(&url, shape));
        office
    };
    runtime
        .block_on(office.store().keep_tally_in(Policy::default().time_zone))
        .unwrap();
    office
}

/// The office console on 100k members and 1M records, over HTTP from a
/// signed-in browser session, on both backends: the points page (the
/// member list's first 500 rows, roll-ups per organisation and community,
/// the distribution), the per-organisation roll-up as a file, and the XLSX
/// of all members; peer: the same report as JSON from the office API.
fn console_part(runtime: &tokio::runtime::Runtime, cluster: &str) {
    println!(
        "\nconsole: 100k members in 500 organisations and 100 communities, 1M records; a signed-in session over HTTP on 127.0.0.1; p50 / p95 of 20 requests (XLSX: of 5)"
    );
    println!(
        "| backend | points page | roll-up per organisation (CSV) | XLSX, all members | peer: JSON report |"
    );
    println!("|---|---:|---:|---:|---:|");
    let shape = Shape {
        members: scaled(100_000) as u64,
        communities: 100,
        activities: 600,
        records: scaled(1_000_000) as u64,
    };
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    for backend in ["SQLite", "PostgreSQL"] {
        let office = loaded_office(runtime, cluster, dir.path(), backend, shape);
        runtime
            .block_on(office.add_user(
                "bench",
                baodao_sync_server::domain::office::Role::Admin,
                vec![],
                "bench password",
            ))
            .unwrap();
        let row = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let state = AppState::new(&office).await.unwrap();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(baodao_sync_server::serve(listener, state, async {
                let _ = stopped.await;
            }));
            let client = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let login = client
                .post(format!("{base}/console/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("username=bench&password=bench+password")
                .send()
                .await
                .unwrap();
            let cookie = login.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            let page = timed_gets(&client, &base, &cookie, "/console/points?year=2026", 20).await;
            let rollup = timed_gets(
                &client,
                &base,
                &cookie,
                "/api/v1/office/reports/points.csv?year=2026&group_by=organization",
                20,
            )
            .await;
            let xlsx = timed_gets(&client, &base, &cookie, "/api/v1/office/reports/points.xlsx?year=2026", 5).await;
            let json = timed_gets(&client, &base, &cookie, "/api/v1/office/points?year=2026", 20).await;
            let _ = stop.send(());
            let _ = server.await;
            format!(
                "| {backend} | {} / {} ({} kB) | {} / {} | {} / {} ({:.1} MB) | {} / {} ({:.1} MB) |",
                ms(page.0),
                ms(page.1),
                page.2 / 1024,
                ms(rollup.0),
                ms(rollup.1),
                ms(xlsx.0),
                ms(xlsx.1),
                xlsx.2 as f64 / 1e6,
                ms(json.0),
                ms(json.1),
                json.2 as f64 / 1e6,
            )
        });
        println!("{row}");
    }
}

/// A kiosk of community C0042 in the city just loaded.
fn city_part(runtime: &tokio::runtime::Runtime, office: &Office, url: &str) {
    let store = office.store();
    let kiosk = runtime
        .block_on(office.register_kiosk("city kiosk", &"C0042".parse().unwrap()))
        .unwrap()
        .kiosk;
    let policy = Policy::default();
    let snap = |since: Option<(u64, u64)>| {
        runtime
            .block_on(store.snapshot(
                kiosk.clone(),
                since.map(|s| s.0),
                since.map(|s| s.1),
                Utc::now(),
                policy,
            ))
            .unwrap()
    };
    let time = |since: Option<(u64, u64)>| {
        median(
            (0..21)
                .map(|_| {
                    let start = Instant::now();
                    drop(snap(since));
                    start.elapsed()
                })
                .collect(),
        )
    };
    let full = snap(None);
    let cursor = Some((full.cursor, full.epoch));
    let full_time = time(None);
    let nothing_time = time(cursor);
    let nothing = snap(cursor);
    // One batch elsewhere in the city: other communities' news is not this kiosk's.
    let (client, _driver) = runtime.block_on(pg(url));
    runtime
        .block_on(client.batch_execute(
            "INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key, activity_key,
                 scanned_at, corrected_at, method, received_at, status, community)
             SELECT gen_random_uuid(), 'K0002', gen_random_uuid(), 'M', 'A', m, 1, 0, 0, 'qr', 0, 'accepted', 'C0001'
             FROM generate_series(1, 100) AS m",
        ))
        .unwrap();
    let after_time = time(cursor);
    let after = snap(cursor);
    println!(
        "\ncity: a kiosk's snapshot (community C0042: {} members) in a city of {} communities; store call, median of 21",
        full.members.len(),
        5000
    );
    println!("| snapshot | time | members | points |");
    println!("|---|---:|---:|---:|");
    println!(
        "| peer: full | {} | {} | {} |",
        ms(full_time),
        full.members.len(),
        full.points.len()
    );
    println!(
        "| incremental, nothing changed | {} | {} | {} |",
        ms(nothing_time),
        nothing.members.len(),
        nothing.points.len()
    );
    println!(
        "| incremental, after a batch of 100 elsewhere | {} | {} | {} |",
        ms(after_time),
        after.members.len(),
        after.points.len()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let cluster = std::env::var(baodao_tests::pg::URL_VAR).unwrap_or_else(|_| {
        eprintln!("scale: needs a PostgreSQL; run bench/scale.sh");
        std::process::exit(2);
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if part("ingest") {
        ingest_part(&runtime, &cluster);
    }
    if part("console") {
        console_part(&runtime, &cluster);
    }
    if part("points") || part("city") {
        // (`BENCH_PART=city` loads the city too, to have one.)
        points_part(&runtime, &cluster);
    }
}
