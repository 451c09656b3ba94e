//! Scale-out, with the real binary on the test PostgreSQL: `migrate` from
//! SQLite, and three server instances taking twenty kiosks' uploads while
//! two of them are killed with SIGKILL and restarted.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]
#![cfg(unix)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as Wait;

use baodao_shared::protocol::{
    BATCHES_PATH, BatchReceipt, BatchRequest, RecordStatus, SNAPSHOT_PATH, Snapshot,
};
use baodao_shared::{Policy, Void};
use baodao_sync_server::domain::office::{Decision, Role};
use baodao_sync_server::store::DatabaseUrl;
use baodao_sync_server::{Office, Settings};
use baodao_tests::{TestServer, batch, open_now, pg, record};
use chrono::{Duration, NaiveDate, Utc};
use common::{signal, spawn_server_with};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_baodao-sync-server"))
}

fn migrate(data_dir: &std::path::Path, from: &std::path::Path, to: &str) -> std::process::Output {
    binary()
        .args(["migrate", "--data-dir"])
        .arg(data_dir)
        .arg("--from")
        .arg(format!("sqlite:{}", from.display()))
        .args(["--to", to])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

async fn office_on(data_dir: &std::path::Path, url: &str) -> Office {
    let mut settings = Settings::new(data_dir);
    settings.database = Some(DatabaseUrl::Postgres(url.to_owned()));
    Office::open(settings).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_every_kind_of_row_and_is_safe_to_run_again() {
    // A SQLite data set with every kind of row.
    let server = TestServer::start(|_| {}).await.unwrap();
    let token = server.open_activity(1..=4).await.unwrap();
    server
        .import_members(&[("M900", "李娜", "C02")])
        .await
        .unwrap();
    let (start, end) = open_now();
    let last_week = start - Duration::days(7);
    server
        .import_activities(&[
            ("A2", "C01", last_week, last_week + Duration::hours(2)),
            ("B1", "C02", start, end),
        ])
        .await
        .unwrap();
    let c02 = server.register_kiosk("C02").await.unwrap();
    let gone = server.register_kiosk("C01").await.unwrap();
    let old_card = server.issue_card("M001", None).await.unwrap();
    let card1 = server.issue_card("M001", None).await.unwrap();
    let card2 = server.issue_card("M002", None).await.unwrap();
    let card900 = server.issue_card("M900", None).await.unwrap();
    server.office.rotate_key().await.unwrap();
    let card3 = server.issue_card("M003", None).await.unwrap();
    let voided = record("M002", "A1", Utc::now(), Some(&card2));
    let receipt = server
        .post_batch(
            &token,
            &batch(
                vec![
                    record("M001", "A1", Utc::now(), Some(&card1)),
                    record("M001", "A1", Utc::now(), Some(&card1)),
                    voided.clone(),
                    record("M003", "A1", Utc::now(), Some(&card3)),
                    record("M004", "A2", Utc::now(), None),
                    record("M001", "A1", Utc::now(), Some(&old_card)),
                    record("M900", "A1", Utc::now(), Some(&card900)),
                ],
                vec![
                    Void {
                        record_id: voided.record_id,
                        reason: "登記錯了".into(),
                        voided_at: None,
                        voided_by: None,
                    },
                    Void {
                        record_id: uuid::Uuid::now_v7(),
                        reason: "記錄未到".into(),
                        voided_at: None,
                        voided_by: None,
                    },
                ],
            ),
        )
        .await
        .unwrap();
    let statuses: HashSet<_> = receipt.records.iter().map(|r| r.status).collect();
    for status in [
        RecordStatus::Accepted,
        RecordStatus::Repeat,
        RecordStatus::Held,
        RecordStatus::Rejected,
    ] {
        assert!(statuses.contains(&status), "{status:?} in {receipt:?}");
    }
    let elsewhere = server
        .post_batch(
            &c02,
            &batch(
                vec![record("M900", "B1", Utc::now(), Some(&card900))],
                vec![],
            ),
        )
        .await
        .unwrap();
    assert_eq!(elsewhere.records[0].status, RecordStatus::Held);
    // A retired key, an office user with a token, a decision in the audit log.
    server.office.retire_key(1).await.unwrap();
    server
        .office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
    let office_token = server.office.issue_user_token("wang").await.unwrap();
    let wang = server
        .office
        .store()
        .office_authenticate(office_token.clone())
        .await
        .unwrap()
        .unwrap();
    let held = receipt
        .records
        .iter()
        .find(|r| r.status == RecordStatus::Held)
        .unwrap()
        .record_id;
    server
        .office
        .store()
        .review(
            held,
            Decision::Reject,
            wang.clone(),
            "查無此人".into(),
            Utc::now(),
        )
        .await
        .unwrap();
    // The registry goes along: communities, organisations, pairings.
    let registry_dir = tempfile::tempdir().unwrap();
    let communities = registry_dir.path().join("communities.csv");
    std::fs::write(
        &communities,
        "community_id,name,subdistrict,district\nC01,灣子街社區,灣子街道,江岸區\n",
    )
    .unwrap();
    server
        .office
        .import_communities(&communities)
        .await
        .unwrap();
    let organizations = registry_dir.path().join("organizations.csv");
    std::fs::write(
        &organizations,
        "organization_id,name,communities\nJSJ,市住建局機關黨支部,灣子街社區\n",
    )
    .unwrap();
    server
        .office
        .import_organizations(&organizations)
        .await
        .unwrap();
    let sqlite_registry = server.office.store().registry().await.unwrap();
    let sqlite_audit = server.office.store().audit_log(10).await.unwrap();
    let before = server.snapshot(&token, None).await.unwrap();
    let kiosk_gone = server.office.store().kiosks().await.unwrap()[2]
        .kiosk
        .kiosk_id
        .clone();
    server.office.revoke_kiosk(&kiosk_gone).await.unwrap();
    let year = Policy::default().year_of(Utc::now());
    let sqlite_report = server.office.points_report(year).await.unwrap();
    let sqlite_counts = server.table_counts().await.unwrap();
    let sqlite_kiosks = server.office.store().kiosks().await.unwrap();
    let sqlite_keys = server.office.store().card_key_list().await.unwrap();
    let data_dir = server.data_dir().to_owned();
    let files = server.stop_keeping_files().await;
    let sqlite = data_dir.join("baodao.sqlite");

    // Up to PostgreSQL.
    let url = pg::fresh_database().await.unwrap();
    let output = migrate(&data_dir, &sqlite, &url);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("attendance: 8 rows on both sides"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("points {year}: identical for 5 members")),
        "{stdout}"
    );

    let office = office_on(&data_dir, &url).await;
    let store = office.store();
    assert_eq!(store.backend(), "postgres");
    assert_eq!(office.points_report(year).await.unwrap(), sqlite_report);
    assert_eq!(store.registry().await.unwrap(), sqlite_registry);
    assert_eq!(sqlite_registry.organizations()[0].communities.len(), 1);
    let counts: Vec<(String, i64)> = store
        .table_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(t, n)| (t.to_owned(), i64::try_from(n).unwrap()))
        .collect();
    assert_eq!(counts, sqlite_counts);
    let kiosks = store.kiosks().await.unwrap();
    assert_eq!(
        kiosks
            .iter()
            .map(|k| (&k.kiosk, &k.name, k.revoked, k.last_seen_at))
            .collect::<Vec<_>>(),
        sqlite_kiosks
            .iter()
            .map(|k| (&k.kiosk, &k.name, k.revoked, k.last_seen_at))
            .collect::<Vec<_>>()
    );
    assert_eq!(store.card_key_list().await.unwrap(), sqlite_keys);
    assert_eq!(store.audit_log(10).await.unwrap(), sqlite_audit);
    assert_eq!(
        store
            .office_authenticate(office_token.clone())
            .await
            .unwrap(),
        Some(wang)
    );
    // Tokens keep working (their hashes moved); the revoked one does not.
    let kiosk = store.authenticate(token.clone()).await.unwrap().unwrap();
    assert!(store.authenticate(gone.clone()).await.unwrap().is_none());
    // A kiosk's old cursor means nothing here: it starts over.
    let after = store
        .snapshot(
            kiosk.clone(),
            Some(before.cursor),
            Some(before.epoch),
            Utc::now(),
            Policy::default(),
        )
        .await
        .unwrap();
    assert!(after.full);
    assert_eq!(after.members, before.members);
    assert_eq!(after.points, before.points);
    assert_eq!(after.revoked_serials, before.revoked_serials);
    // Ids continue after the copied ones.
    let next = office
        .register_kiosk("new kiosk", &"C01".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(next.kiosk.kiosk_id.as_str(), "K0004");
    let out = files.path().join("M004.png");
    let issued = office
        .issue_card(&"M004".parse().unwrap(), None, &out)
        .await
        .unwrap();
    assert_eq!(issued.issued.serial, 6);

    // Run again into this database, which has moved on (a kiosk and a card
    // more than SQLite): refused, naming the tables that differ. Into a
    // fresh one, twice: the second run copies nothing and checks again.
    let output = migrate(&data_dir, &sqlite, &url);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("kiosks: 3 in SQLite, 4 in PostgreSQL"),
        "{stderr}"
    );
    let clean = pg::fresh_database().await.unwrap();
    for _ in 0..2 {
        let output = migrate(&data_dir, &sqlite, &clean);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let office = office_on(&data_dir, &clean).await;
    assert_eq!(office.points_report(year).await.unwrap(), sqlite_report);
    // Refused: not SQLite to PostgreSQL, or a file that is not there.
    let output = migrate(&data_dir, &files.path().join("nothing.sqlite"), &clean);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not found"));
}

/// A server process and where it listens; killed if the test fails.
struct Instance {
    child: Child,
    addr: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_instance(data_dir: &std::path::Path, listen: &str, url: &str) -> Instance {
    let (child, addr, _log) = spawn_server_with(
        data_dir,
        listen,
        &["--database", url],
        &[
            ("BAODAO_KEY_REFRESH_SECS", "1"),
            ("BAODAO_KIOSK_REQUESTS_PER_MINUTE", "1000000"),
            ("BAODAO_ADDRESS_REQUESTS_PER_MINUTE", "1000000"),
            ("BAODAO_DATABASE_POOL_SIZE", "8"),
        ],
    );
    Instance { child, addr }
}

/// A small deterministic generator.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap()
    }
}

struct Cluster {
    instances: Vec<Mutex<String>>,
    client: reqwest::Client,
}

impl Cluster {
    fn addr(&self, i: usize) -> String {
        self.instances[i % self.instances.len()]
            .lock()
            .unwrap()
            .clone()
    }

    /// Posts `upload` to instance `i`; `None` when the instance is down.
    async fn post(&self, i: usize, token: &str, upload: &BatchRequest) -> Option<BatchReceipt> {
        let response = self
            .client
            .post(format!("http://{}{BATCHES_PATH}", self.addr(i)))
            .bearer_auth(token)
            .json(upload)
            .timeout(Wait::from_secs(20))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    async fn snapshot(&self, i: usize, token: &str, since: Option<(u64, u64)>) -> Option<Snapshot> {
        let query = since
            .map(|(c, e)| format!("?since={c}&epoch={e}"))
            .unwrap_or_default();
        self.client
            .get(format!("http://{}{SNAPSHOT_PATH}{query}", self.addr(i)))
            .bearer_auth(token)
            .timeout(Wait::from_secs(20))
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?
            .json()
            .await
            .ok()
    }

    async fn status(&self, i: usize, token: &str) -> Option<u16> {
        let response = self
            .client
            .get(format!("http://{}{SNAPSHOT_PATH}", self.addr(i)))
            .bearer_auth(token)
            .send()
            .await
            .ok()?;
        Some(response.status().as_u16())
    }
}

/// One kiosk's run: its batches sent to random instances (some twice, some
/// to two instances at once), retried on whatever fails, snapshots pulled
/// from random instances. Returns the serials it learnt were revoked.
async fn kiosk_run(
    cluster: Arc<Cluster>,
    k: usize,
    token: String,
    batches: Vec<BatchRequest>,
    progress: Arc<AtomicUsize>,
    mut office_done: tokio::sync::watch::Receiver<bool>,
) -> HashSet<u32> {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (k as u64 + 1));
    let mut cursor = None;
    let mut revoked = HashSet::new();
    for upload in &batches {
        let receipt = loop {
            let first = rng.below(3);
            let got = if rng.below(10) == 0 {
                // Overlapping retries: the same batch to two instances at once.
                let (a, b) = tokio::join!(
                    cluster.post(first, &token, upload),
                    cluster.post(first + 1, &token, upload)
                );
                a.or(b)
            } else {
                cluster.post(first, &token, upload).await
            };
            match got {
                Some(receipt) => break receipt,
                None => tokio::time::sleep(Wait::from_millis(50)).await,
            }
        };
        assert_eq!(receipt.records.len(), upload.records.len());
        for r in &receipt.records {
            assert!(
                matches!(
                    r.status,
                    RecordStatus::Accepted | RecordStatus::Repeat | RecordStatus::AlreadyReceived
                ),
                "kiosk {k}: {r:?}"
            );
        }
        if rng.below(5) == 0 {
            // A lost answer: the kiosk sends the batch again, elsewhere.
            if let Some(again) = cluster.post(rng.below(3), &token, upload).await {
                assert!(
                    again
                        .records
                        .iter()
                        .all(|r| r.status == RecordStatus::AlreadyReceived)
                );
            }
        }
        if rng.below(3) == 0
            && let Some(snapshot) = cluster.snapshot(rng.below(3), &token, cursor).await
        {
            revoked.extend(snapshot.revoked_serials.iter().copied());
            cursor = Some((snapshot.cursor, snapshot.epoch));
        }
        progress.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Wait::from_millis(5)).await;
    }
    // A last poll, from wherever it lands, once the office has acted.
    office_done.wait_for(|done| *done).await.unwrap();
    loop {
        if let Some(snapshot) = cluster.snapshot(rng.below(3), &token, cursor).await {
            revoked.extend(snapshot.revoked_serials.iter().copied());
            break;
        }
        tokio::time::sleep(Wait::from_millis(50)).await;
    }
    revoked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_twenty_kiosks_two_killed_exact_points() {
    let url = pg::fresh_database().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let office = office_on(&data_dir, &url).await;
    office.signer().await.unwrap();

    // 200 members, 15 activities open now, 20 kiosks (and one to revoke).
    let members: Vec<String> = (0..200).map(|i| format!("M{i:03}")).collect();
    let csv = dir.path().join("members.csv");
    let mut text = String::from("member_id,name,organization,community\n");
    for m in &members {
        writeln!(text, "{m},王芳,市財政局機關黨支部,C01").unwrap();
    }
    text.push_str("M900,李娜,市財政局機關黨支部,C01\n");
    std::fs::write(&csv, text).unwrap();
    office.import_members(&csv).await.unwrap();
    let (start, end) = open_now();
    let activities: Vec<String> = (0..15).map(|j| format!("A{j}")).collect();
    let csv = dir.path().join("activities.csv");
    let mut text = String::from("activity_id,title,kind,community,starts_at,ends_at\n");
    for a in &activities {
        writeln!(
            text,
            "{a},黨課,party_lesson,C01,{},{}",
            start.to_rfc3339(),
            end.to_rfc3339()
        )
        .unwrap();
    }
    std::fs::write(&csv, text).unwrap();
    office.import_activities(&csv).await.unwrap();
    let mut tokens = vec![];
    for _ in 0..21 {
        tokens.push(
            office
                .register_kiosk("kiosk", &"C01".parse().unwrap())
                .await
                .unwrap()
                .token,
        );
    }
    let doomed = tokens.pop().unwrap();
    let signer = office.signer().await.unwrap();
    let expires = NaiveDate::from_ymd_opt(2035, 1, 1).unwrap();
    let cards: Vec<String> = members
        .iter()
        .map(|m| signer.sign(&m.parse().unwrap(), 0, expires).unwrap())
        .collect();

    // Attendance: member i at activity j from kiosk k, pseudo-randomly;
    // members often check in at two kiosks for one activity.
    let mut rng = XorShift(42);
    let mut expected: BTreeMap<usize, HashSet<usize>> = BTreeMap::new();
    let mut per_kiosk: Vec<Vec<BatchRequest>> = vec![];
    let mut sent = 0;
    for _ in 0..tokens.len() {
        let mut records = vec![];
        for _ in 0..250 {
            let (i, j) = (rng.below(members.len()), rng.below(activities.len()));
            expected.entry(i).or_default().insert(j);
            records.push(record(
                &members[i],
                &activities[j],
                Utc::now(),
                Some(&cards[i]),
            ));
        }
        sent += records.len();
        per_kiosk.push(
            records
                .chunks(25)
                .map(|c| batch(c.to_vec(), vec![]))
                .collect(),
        );
    }
    let total_batches: usize = per_kiosk.iter().map(Vec::len).sum();

    let mut instances: Vec<Instance> = (0..3)
        .map(|_| start_instance(&data_dir, "127.0.0.1:0", &url))
        .collect();
    let cluster = Arc::new(Cluster {
        instances: instances
            .iter()
            .map(|i| Mutex::new(i.addr.clone()))
            .collect(),
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
    });
    let progress = Arc::new(AtomicUsize::new(0));
    let (office_acted, office_done) = tokio::sync::watch::channel(false);
    let mut kiosks = tokio::task::JoinSet::new();
    for (k, (token, batches)) in tokens.iter().cloned().zip(per_kiosk).enumerate() {
        kiosks.spawn(kiosk_run(
            Arc::clone(&cluster),
            k,
            token,
            batches,
            Arc::clone(&progress),
            office_done.clone(),
        ));
    }

    // Mid-stream, from the office: a card revoked, a kiosk revoked, a new
    // signing key; and two instances killed and restarted on their ports.
    let wait_for = |share: usize| {
        let progress = Arc::clone(&progress);
        async move {
            while progress.load(Ordering::Relaxed) * 3 < total_batches * share {
                tokio::time::sleep(Wait::from_millis(20)).await;
            }
        }
    };
    wait_for(1).await;
    let lost = office
        .issue_card(&"M900".parse().unwrap(), None, &dir.path().join("M900.png"))
        .await
        .unwrap();
    office.revoke_card(lost.issued.serial).await.unwrap();
    let store = office.store();
    let doomed_kiosk = store.authenticate(doomed.clone()).await.unwrap().unwrap();
    assert_eq!(cluster.status(0, &doomed).await, Some(200));
    office.revoke_kiosk(&doomed_kiosk.kiosk_id).await.unwrap();
    for i in 0..3 {
        assert_eq!(
            cluster.status(i, &doomed).await,
            Some(401),
            "instance {i} refuses a revoked kiosk at once"
        );
    }
    signal(&instances[0].child.id().to_string(), "-KILL");
    instances[0].child.wait().unwrap();
    let new_key = office.rotate_key().await.unwrap();
    let new_card = office
        .issue_card(
            &"M900".parse().unwrap(),
            None,
            &dir.path().join("M900-2.png"),
        )
        .await
        .unwrap();
    assert!(new_key.key_id > 1);
    tokio::time::sleep(Wait::from_millis(300)).await;
    let addr0 = instances[0].addr.clone();
    instances[0] = start_instance(&data_dir, &addr0, &url);

    wait_for(2).await;
    signal(&instances[1].child.id().to_string(), "-KILL");
    instances[1].child.wait().unwrap();
    tokio::time::sleep(Wait::from_millis(300)).await;
    let addr1 = instances[1].addr.clone();
    instances[1] = start_instance(&data_dir, &addr1, &url);

    // Every instance trusts the new key within seconds (refresh: 1 s).
    tokio::time::sleep(Wait::from_millis(2500)).await;
    for (i, activity) in activities.iter().take(3).enumerate() {
        let upload = batch(
            vec![record(
                "M900",
                activity,
                Utc::now(),
                Some(&new_card.payload),
            )],
            vec![],
        );
        let receipt = cluster.post(i, &tokens[0], &upload).await.unwrap();
        assert_eq!(
            receipt.records[0].status,
            RecordStatus::Accepted,
            "instance {i}: {receipt:?}"
        );
    }

    office_acted.send(true).unwrap();
    while let Some(done) = kiosks.join_next().await {
        let revoked = done.unwrap();
        assert!(
            revoked.contains(&lost.issued.serial),
            "every kiosk learnt of the revoked card"
        );
    }

    // Exact points: every record stored once, every member's distinct
    // activities counted once, capped at 12.
    let attendance = store
        .table_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(t, _)| *t == "attendance")
        .unwrap()
        .1;
    assert_eq!(attendance, u64::try_from(sent + 3).unwrap());
    let year = Policy::default().year_of(Utc::now());
    let report = office.points_report(year).await.unwrap();
    for (i, m) in members.iter().enumerate() {
        let row = report.iter().find(|r| r.member_id.as_str() == m).unwrap();
        let attended = u32::try_from(expected.get(&i).map_or(0, HashSet::len)).unwrap();
        assert_eq!(
            (row.attended, row.points),
            (attended, attended.min(12)),
            "{m}"
        );
    }
    let m900 = report
        .iter()
        .find(|r| r.member_id.as_str() == "M900")
        .unwrap();
    assert_eq!(m900.attended, 3);

    // A graceful stop: SIGTERM ends every instance cleanly.
    for instance in &mut instances {
        signal(&instance.child.id().to_string(), "-TERM");
        assert!(instance.child.wait().unwrap().success());
    }
}
