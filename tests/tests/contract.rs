//! More of the storage contract, on both backends: the points query against
//! the shared rule on random data, the office's commands (imports, kiosks,
//! cards, keys) with ids allocated under concurrency, and, on PostgreSQL,
//! the snapshot cursor while a writer's transaction is held open.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::too_many_lines)]

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use baodao_shared::points::{Attendance, tally};
use baodao_shared::protocol::RecordStatus;
use baodao_shared::{Policy, Void};
use baodao_sync_server::Error;
use baodao_sync_server::store::DatabaseUrl;
use baodao_tests::{Backend, TestServer, batch, open_now, record};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A random roster and attendance around New Year in Shanghai, where the
/// year an activity counts for depends on the time zone.
#[derive(Debug, Clone)]
struct Case {
    cap: u32,
    members: usize,
    /// Activity starts, in hours from 2025-12-31 16:00 UTC (midnight in
    /// Shanghai).
    activities: Vec<i64>,
    /// (member, activity, voided afterwards)
    records: Vec<(usize, usize, bool)>,
}

fn any_case() -> impl Strategy<Value = Case> {
    (
        1u32..=4,
        1usize..=6,
        prop::collection::vec(-30i64..30, 1..=8),
    )
        .prop_flat_map(|(cap, members, activities)| {
            let n = activities.len();
            (
                Just(cap),
                Just(members),
                Just(activities),
                prop::collection::vec((0..members, 0..n, prop::bool::weighted(0.2)), 0..40),
            )
                .prop_map(|(cap, members, activities, records)| Case {
                    cap,
                    members,
                    activities,
                    records,
                })
        })
}

thread_local! {
    /// Records that counted over one run's cases (`block_on` polls each
    /// case on the test's thread): the rule must have had work.
    static COUNTED: Cell<usize> = const { Cell::new(0) };
}

async fn check_points(backend: Backend, case: Case) -> Result<(), TestCaseError> {
    let server = TestServer::start_on(backend, |s| s.policy.annual_cap = case.cap)
        .await
        .unwrap();
    let members: Vec<String> = (0..case.members).map(|i| format!("M{i:03}")).collect();
    let rows: Vec<_> = members
        .iter()
        .map(|m| (m.as_str(), "王芳", "C01"))
        .collect();
    server.import_members(&rows).await.unwrap();
    let midnight = Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap();
    let starts: Vec<DateTime<Utc>> = case
        .activities
        .iter()
        .map(|h| midnight + Duration::hours(*h) + Duration::minutes(30))
        .collect();
    let ids: Vec<String> = (0..starts.len()).map(|j| format!("A{j}")).collect();
    let rows: Vec<_> = ids
        .iter()
        .zip(&starts)
        .map(|(id, s)| (id.as_str(), "C01", *s, *s + Duration::hours(1)))
        .collect();
    server.import_activities(&rows).await.unwrap();
    let token = server.register_kiosk("C01").await.unwrap();
    let signer = server.signer().await;
    let expires = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let cards: Vec<String> = members
        .iter()
        .map(|m| signer.sign(&m.parse().unwrap(), 0, expires).unwrap())
        .collect();

    let records: Vec<_> = case
        .records
        .iter()
        .map(|&(m, a, _)| {
            record(
                &members[m],
                &ids[a],
                starts[a] + Duration::minutes(10),
                Some(&cards[m]),
            )
        })
        .collect();
    let receipt = server
        .post_batch(&token, &batch(records.clone(), vec![]))
        .await
        .unwrap();
    let voids: Vec<Void> = case
        .records
        .iter()
        .zip(&records)
        .filter(|((_, _, voided), _)| *voided)
        .map(|(_, r)| Void {
            record_id: r.record_id,
            reason: "登記錯了".into(),
            voided_at: None,
            voided_by: None,
        })
        .collect();
    let voided: HashSet<_> = voids.iter().map(|v| v.record_id).collect();
    server
        .post_batch(&token, &batch(vec![], voids))
        .await
        .unwrap();

    // The reference: the shared rule over what the server decided.
    let policy = Policy {
        annual_cap: case.cap,
        ..Policy::default()
    };
    let counted = case
        .records
        .iter()
        .zip(&records)
        .zip(&receipt.records)
        .filter(|(_, receipt)| receipt.status.counts())
        .map(|(((m, a, _), r), _)| Attendance {
            member: *m,
            activity: *a,
            voided: voided.contains(&r.record_id),
        });
    let counted: Vec<_> = counted.collect();
    COUNTED.with(|n| n.set(n.get() + counted.len()));
    let expected = tally(&policy, counted, |a| starts.get(*a).copied());
    for year in [2025, 2026] {
        let report = server.office.points_report(year).await.unwrap();
        let got: BTreeMap<usize, (u32, u32)> = report
            .iter()
            .map(|r| {
                let m: usize = r.member_id.as_str()[1..].parse().unwrap();
                (m, (r.attended, r.points))
            })
            .collect();
        for (m, _) in members.iter().enumerate() {
            let want = expected.get(&(m, year)).copied().unwrap_or_default();
            prop_assert_eq!(
                got.get(&m).copied(),
                Some((want.attended, want.points)),
                "member {} in {}",
                m,
                year
            );
            let api = server.points(&token, &members[m], year).await.unwrap();
            prop_assert_eq!((api.attended, api.points), (want.attended, want.points));
        }
    }
    server.stop().await;
    Ok(())
}

fn points_in_the_database_are_the_shared_rule(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 10,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&any_case(), |case| {
            runtime.block_on(check_points(backend, case))
        })
        .unwrap();
    assert!(
        COUNTED.with(Cell::get) > 20,
        "the random cases made records that count"
    );
}

#[test]
fn sqlite_points_in_the_database_are_the_shared_rule() {
    points_in_the_database_are_the_shared_rule(Backend::Sqlite);
}

#[test]
fn postgres_points_in_the_database_are_the_shared_rule() {
    points_in_the_database_are_the_shared_rule(Backend::Postgres);
}

async fn office_commands_and_ids_under_concurrency(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let store = server.office.store();

    // Imports say what they changed.
    server
        .import_members(&[("M001", "張偉", "C01"), ("M002", "李娜", "C01")])
        .await
        .unwrap();
    let csv = server.dir.path().join("again.csv");
    std::fs::write(
        &csv,
        "member_id,name,organization,community\nM001,張偉,測試黨支部,C01\nM002,李娜,建設局機關黨支部,C01\nM003,王芳,測試黨支部,C02\n",
    )
    .unwrap();
    let summary = server.office.import_members(&csv).await.unwrap();
    assert_eq!(
        (summary.added, summary.updated, summary.unchanged),
        (1, 1, 1)
    );
    let (start, end) = open_now();
    server
        .import_activities(&[("A1", "C01", start, end)])
        .await
        .unwrap();
    let csv = server.dir.path().join("activities-again.csv");
    std::fs::write(
        &csv,
        format!(
            "activity_id,title,kind,community,starts_at,ends_at\nA1,社區活動 A1,sanitation,C01,{},{}\n",
            start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
    .unwrap();
    let summary = server.office.import_activities(&csv).await.unwrap();
    assert_eq!(
        (summary.added, summary.updated, summary.unchanged),
        (0, 0, 1)
    );

    // Kiosk ids: twenty registrations at once, twenty different ids.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store
                .register_kiosk(
                    format!("kiosk {i}"),
                    "C01".parse().unwrap(),
                    [u8::try_from(i).unwrap(); 32],
                    Utc::now(),
                )
                .await
                .unwrap()
        });
    }
    let mut kiosk_ids = HashSet::new();
    let mut tokens = vec![];
    while let Some(done) = tasks.join_next().await {
        let registration = done.unwrap();
        assert!(kiosk_ids.insert(registration.kiosk.kiosk_id.clone()));
        tokens.push(registration);
    }
    assert_eq!(store.kiosks().await.unwrap().len(), 20);
    let first = &tokens[0];
    assert_eq!(
        store.authenticate(first.token.clone()).await.unwrap(),
        Some(first.kiosk.clone())
    );
    server
        .office
        .revoke_kiosk(&first.kiosk.kiosk_id)
        .await
        .unwrap();
    assert_eq!(store.authenticate(first.token.clone()).await.unwrap(), None);
    assert!(
        server
            .office
            .revoke_kiosk(&first.kiosk.kiosk_id)
            .await
            .is_err()
    );
    assert!(
        store
            .kiosks()
            .await
            .unwrap()
            .iter()
            .any(|k| k.kiosk == first.kiosk && k.revoked)
    );

    // Card serials: a reissue replaces, issues at once never share one.
    let one = server.issue_card("M001", None).await.unwrap();
    assert!(one.starts_with("BD1:"));
    let out = server.dir.path().join("again.png");
    let again = server
        .office
        .issue_card(&"M001".parse().unwrap(), None, &out)
        .await
        .unwrap();
    assert_eq!(again.issued.replaced, Some(1));
    let mut serials = HashSet::from([1, again.issued.serial]);
    let office = Arc::new(server.office.store());
    let mut tasks = tokio::task::JoinSet::new();
    for m in ["M002", "M003"] {
        let store = Arc::clone(&office);
        tasks.spawn(async move {
            store
                .issue_cards(
                    vec![m.parse().unwrap()],
                    1,
                    NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
                    Utc::now(),
                    Box::new(|_| Ok(())),
                )
                .await
                .unwrap()[0]
                .serial
        });
    }
    while let Some(done) = tasks.join_next().await {
        assert!(serials.insert(done.unwrap()));
    }
    // A sheet is all or nothing: when its cards cannot be written (or one
    // member is unknown), no card is issued and the old ones still work.
    let current = |m: &'static str| {
        let store = Arc::clone(&office);
        async move {
            store
                .member(m.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .card_serial
        }
    };
    let before = (current("M002").await, current("M003").await);
    let expires = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let members = || vec!["M002".parse().unwrap(), "M003".parse().unwrap()];
    let failed = office
        .issue_cards(
            members(),
            1,
            expires,
            Utc::now(),
            Box::new(|_| Err(Error::Internal("the printer's font is missing".into()))),
        )
        .await;
    assert!(failed.is_err());
    let unknown = office
        .issue_cards(
            vec!["M002".parse().unwrap(), "M999".parse().unwrap()],
            1,
            expires,
            Utc::now(),
            Box::new(|_| Ok(())),
        )
        .await;
    assert!(matches!(unknown, Err(Error::NotFound(_))), "{unknown:?}");
    assert_eq!((current("M002").await, current("M003").await), before);
    let written = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sheet = {
        let written = Arc::clone(&written);
        office
            .issue_cards(
                members(),
                1,
                expires,
                Utc::now(),
                Box::new(move |s| {
                    written.lock().unwrap().extend_from_slice(s);
                    Ok(())
                }),
            )
            .await
            .unwrap()
    };
    assert_eq!(
        sheet.iter().map(|c| c.serial).collect::<Vec<_>>(),
        *written.lock().unwrap()
    );
    assert_eq!(
        sheet.iter().map(|c| c.replaced).collect::<Vec<_>>(),
        [before.0, before.1]
    );
    assert_eq!(
        (current("M002").await, current("M003").await),
        (Some(sheet[0].serial), Some(sheet[1].serial))
    );
    for card in &sheet {
        assert!(serials.insert(card.serial));
    }
    server
        .office
        .revoke_card(again.issued.serial)
        .await
        .unwrap();
    assert!(
        server
            .office
            .revoke_card(again.issued.serial)
            .await
            .is_err()
    );
    assert!(
        server
            .office
            .issue_card(&"M999".parse().unwrap(), None, &out)
            .await
            .is_err()
    );

    // Keys: rotate, list, retire.
    assert_eq!(store.card_key_list().await.unwrap().len(), 1);
    let new_key = server.office.rotate_key().await.unwrap();
    assert_eq!(store.card_key_list().await.unwrap().len(), 2);
    assert_eq!(store.next_key_id().await.unwrap(), new_key.key_id + 1);
    server.office.retire_key(new_key.key_id - 1).await.unwrap();
    let in_force: Vec<_> = store
        .card_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.key_id)
        .collect();
    assert_eq!(in_force, vec![new_key.key_id]);

    // The report lists every member, those without points too.
    let report = server
        .office
        .points_report(Policy::default().year_of(Utc::now()))
        .await
        .unwrap();
    assert_eq!(report.len(), 3);
    assert!(report.iter().all(|r| r.points == 0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_office_commands_and_ids_under_concurrency() {
    office_commands_and_ids_under_concurrency(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_office_commands_and_ids_under_concurrency() {
    office_commands_and_ids_under_concurrency(Backend::Postgres).await;
}

/// Transactions commit out of order on PostgreSQL: one that started first
/// (a smaller transaction id) may commit after others a kiosk has already
/// seen. The kiosk must still get its change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cursor_skips_nothing_while_a_writer_is_held_open() {
    let server = TestServer::start_on(Backend::Postgres, |_| {})
        .await
        .unwrap();
    let token = server.open_activity(1..=3).await.unwrap();
    let first = server.snapshot(&token, None).await.unwrap();
    let DatabaseUrl::Postgres(url) = server.office.settings().database_url() else {
        unreachable!("a PostgreSQL test server");
    };

    // A slow writer: it takes its transaction id, changes M001, and waits.
    let (slow, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    slow.batch_execute("BEGIN").await.unwrap();
    let slow_xid: i64 = slow
        .query_one(
            "UPDATE members SET name = '張偉（已遷入）', seq = pg_current_xact_id()::text::bigint
             WHERE member_id = 'M001' RETURNING seq",
            &[],
        )
        .await
        .unwrap()
        .get(0);

    // Meanwhile others commit, with larger ids, and the kiosk polls.
    let card = server.issue_card("M002", None).await.unwrap();
    let receipt = server
        .post_batch(
            &token,
            &batch(vec![record("M002", "A1", Utc::now(), Some(&card))], vec![]),
        )
        .await
        .unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    let during = server
        .snapshot(&token, Some((first.cursor, first.epoch)))
        .await
        .unwrap();
    assert!(
        during
            .members
            .iter()
            .any(|m| m.member_id.as_str() == "M002"),
        "the committed change arrives"
    );
    assert!(
        during.members.iter().all(|m| m.name != "張偉（已遷入）"),
        "the open transaction is not visible yet"
    );
    let later_xid = server
        .query_one("SELECT MAX(seq) FROM attendance")
        .await
        .unwrap();
    assert!(
        later_xid > slow_xid,
        "a later commit has a larger id: a cursor of the largest id seen would skip the slow writer"
    );
    assert!(
        during.cursor < u64::try_from(slow_xid).unwrap(),
        "the cursor waits for the open transaction"
    );

    // The slow writer commits; the kiosk's next poll from its cursor has it.
    slow.batch_execute("COMMIT").await.unwrap();
    drop(slow);
    let _ = driver.await;
    let after = server
        .snapshot(&token, Some((during.cursor, during.epoch)))
        .await
        .unwrap();
    assert!(!after.full);
    assert!(
        after
            .members
            .iter()
            .any(|m| m.member_id.as_str() == "M001" && m.name == "張偉（已遷入）"),
        "the late commit is not skipped: {:?}",
        after.members
    );
    assert!(after.cursor >= during.cursor);
    server.stop().await;
}

/// A database that goes away: the instance says it is not ready (so a load
/// balancer sends kiosks elsewhere), stays alive, and answers errors in the
/// API's shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_readiness_follows_the_database() {
    let server = TestServer::start_on(Backend::Postgres, |_| {})
        .await
        .unwrap();
    let token = server.open_activity(1..=2).await.unwrap();
    let ready = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "postgres");

    let DatabaseUrl::Postgres(url) = server.office.settings().database_url() else {
        unreachable!("a PostgreSQL test server");
    };
    let name = url.rsplit('/').next().unwrap().to_owned();
    let (admin, connection) = tokio_postgres::connect(
        &baodao_tests::pg::cluster_url().unwrap(),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();

    let ready = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let alive = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status(), 200);
    let (status, body) = server
        .post_raw(
            &token,
            &serde_json::to_value(batch(vec![record("M001", "A1", Utc::now(), None)], vec![]))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(body["error"]["code"].is_string(), "{body}");
    server.stop().await;
}
