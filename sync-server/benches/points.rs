//! The yearly points report for 1M attendance records of 100k members,
//! next to a plain SQL aggregate over the same rows in the same run.
//!
//! `cargo bench -p baodao-sync-server --bench points`
//! (`BENCH_MEMBERS`, `BENCH_RECORDS` change the size.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::time::{Duration, Instant};

use baodao_sync_server::{Office, Settings};
use chrono::{Duration as Span, TimeZone, Utc};

const RUNS: usize = 5;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator, so every run loads the same data.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[allow(clippy::too_many_lines)]
fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let members = env_or("BENCH_MEMBERS", 100_000);
    let records = env_or("BENCH_RECORDS", 1_000_000);
    let activities = 600i64;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let office = runtime
        .block_on(Office::open(Settings::new(dir.path())))
        .unwrap();

    // Bulk load straight into the schema the store made: the import path is
    // not what is measured here.
    let load = Instant::now();
    let mut conn = rusqlite::Connection::open(dir.path().join("baodao.sqlite")).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut m = tx
            .prepare("INSERT INTO members (member_key, member_id, name, organization, community, seq) VALUES (?1, ?2, '王芳', '市財政局機關黨支部', 'C01', 1)")
            .unwrap();
        for i in 0..members as i64 {
            m.execute(rusqlite::params![i, format!("M{i:06}")]).unwrap();
        }
        // Activities through 2025 and 2026, some on New Year's Eve night.
        let first = Utc.with_ymd_and_hms(2025, 7, 1, 1, 0, 0).unwrap();
        let mut a = tx
            .prepare("INSERT INTO activities (activity_key, activity_id, title, kind, community, starts_at, ends_at, seq) VALUES (?1, ?2, '黨課', 'party_lesson', 'C01', ?3, ?4, 1)")
            .unwrap();
        for i in 0..activities {
            let start = first + Span::hours(i * 21);
            a.execute(rusqlite::params![
                i,
                format!("A{i:04}"),
                start.timestamp_millis(),
                (start + Span::hours(2)).timestamp_millis()
            ])
            .unwrap();
        }
        let mut r = tx
            .prepare("INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key, activity_key, scanned_at, corrected_at, method, received_at, status, seq, community) VALUES (?1, 'K0001', x'00', 'M', 'A', ?2, ?3, 0, 0, 'qr', 0, ?4, 1, 'C01')")
            .unwrap();
        let mut v = tx
            .prepare("INSERT INTO voids (record_id, community, kiosk_id, batch_id, reason, received_at, seq) VALUES (?1, 'C01', 'K0001', x'00', 'bench', 0, 1)")
            .unwrap();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for i in 0..records as u64 {
            let id = uuid::Uuid::from_u64_pair(0, i);
            let status = match rng.below(100) {
                0..=89 => "accepted",
                90..=95 => "repeat",
                96..=97 => "held",
                _ => "rejected",
            };
            r.execute(rusqlite::params![
                id.as_bytes().as_slice(),
                rng.below(members as u64) as i64,
                rng.below(activities as u64) as i64,
                status
            ])
            .unwrap();
            if rng.below(100) == 0 {
                v.execute([id.as_bytes().as_slice()]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    let load = load.elapsed();

    let mut ours = vec![];
    let mut peer = vec![];
    let mut checksum = (0u64, 0u64);
    for _ in 0..RUNS {
        let start = Instant::now();
        let report = runtime.block_on(office.points_report(2026)).unwrap();
        ours.push(start.elapsed());
        assert_eq!(report.len(), members);
        checksum.0 = report.iter().map(|r| u64::from(r.points)).sum();

        let start = Instant::now();
        let total: i64 = conn
            .query_row(
                "SELECT SUM(n) FROM (SELECT a.member_key, COUNT(DISTINCT a.activity_key) AS n
                 FROM attendance a LEFT JOIN voids v ON v.record_id = a.record_id AND v.community = a.community
                 WHERE a.status IN ('accepted', 'repeat') AND v.record_id IS NULL
                 GROUP BY a.member_key)",
                [],
                |row| row.get(0),
            )
            .unwrap();
        peer.push(start.elapsed());
        checksum.1 = u64::try_from(total).unwrap();
    }
    println!(
        "points: {members} members, {records} records over {activities} activities in 2025-2026 (loaded in {load:.1?}); median of {RUNS} runs"
    );
    println!("| query | time | result |");
    println!("|---|---:|---|");
    println!(
        "| `points --year 2026`: shared rule (distinct, voids, Asia/Shanghai year, cap 12), every member | {:.0} ms | {} points in 2026 |",
        median(ours).as_secs_f64() * 1000.0,
        checksum.0
    );
    println!(
        "| peer: one SQL `COUNT(DISTINCT)` GROUP BY member, voids excluded, no year, no cap | {:.0} ms | {} member-activities, all years |",
        median(peer).as_secs_f64() * 1000.0,
        checksum.1
    );
}
