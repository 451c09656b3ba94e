//! The kiosk core against the real sync server: weeks offline, a network
//! that drops answers, and records the office refuses.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use baodao_kiosk::config::{ActivityChoice, Config};
use baodao_kiosk::engine::{Command, Engine, Setup};
use baodao_kiosk::outcome::{Outcome, OutcomeKind};
use baodao_kiosk::store::Store;
use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_tests::{Backend, TestServer, open_now};
use chrono::NaiveDate;

fn config(dir: &Path, server: &str, token: &str) -> Config {
    config_of("C01", dir, server, token)
}

fn config_of(community: &str, dir: &Path, server: &str, token: &str) -> Config {
    let path = dir.join("kiosk.toml");
    std::fs::write(
        &path,
        format!(
            "server_url = \"{server}\"\ntoken = \"{token}\"\ncommunity = \"{community}\"\ndata_dir = \"{}\"\ncamera = \"none\"\nsync_interval_secs = 1\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    Config::from_sources(Some(&path), |_| None).unwrap()
}

fn engine(config: Config) -> Engine {
    let mut setup = Setup::new(config);
    setup.camera_retry = Duration::from_mins(1);
    Engine::start(setup).unwrap()
}

/// Waits until `done` holds, failing after `secs`.
fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn send(engine: &Engine, command: &Command) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !engine.send(command.clone()) {
        assert!(
            Instant::now() < deadline,
            "the kiosk never took the command"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    engine
        .outcomes
        .recv_timeout(Duration::from_secs(30))
        .expect("an outcome")
}

/// Syncs once with the server so the kiosk has its roster, then stops.
fn first_sync(dir: &Path, server: &TestServer, token: &str, members: usize) {
    let online = engine(config(dir, &server.url(""), token));
    wait_for(30, "the first snapshot", || {
        online.offline().roster.len() == members
    });
}

/// Runs a kiosk until everything it holds is uploaded.
fn sync_all(dir: &Path, url: &str, token: &str) -> Engine {
    let kiosk = engine(config(dir, url, token));
    wait_for(120, "the outbox to drain", || {
        let status = kiosk.sync_status();
        status.last_success.is_some() && status.pending == 0
    });
    kiosk
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_check_ins_offline_then_exact_points() {
    // Staff check in most of the 770 by name: the office allowed it. The
    // test reads every member's points through the API, faster than a
    // kiosk may ask.
    let server = TestServer::start(|s| {
        s.max_manual_per_activity = 1_000;
        s.net.kiosk_requests_per_minute = 100_000;
    })
    .await
    .unwrap();
    let members: Vec<String> = (0..770).map(|i| format!("M{i:04}")).collect();
    let rows: Vec<_> = members
        .iter()
        .map(|m| (m.as_str(), "王芳", "C01"))
        .collect();
    server.import_members(&rows).await.unwrap();
    let (start, end) = open_now();
    let activities: Vec<String> = (1..=13).map(|i| format!("A{i:02}")).collect();
    let rows: Vec<_> = activities
        .iter()
        .map(|a| (a.as_str(), "C01", start, end))
        .collect();
    server.import_activities(&rows).await.unwrap();
    let token = server.register_kiosk("C01").await.unwrap();
    let expires = NaiveDate::from_ymd_opt(2035, 1, 1).unwrap();
    let signer = server.signer().await;
    let cards: Vec<String> = members
        .iter()
        .map(|m| signer.sign(&m.parse().unwrap(), 0, expires).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("");

    let (dir_path, members2, token2) = (dir.path().to_owned(), members.clone(), token.clone());
    let server = std::sync::Arc::new(server);
    let server2 = server.clone();
    tokio::task::spawn_blocking(move || {
        first_sync(&dir_path, &server2, &token2, members2.len());

        // Weeks without network: the server address answers nothing.
        let offline = engine(config(&dir_path, "http://127.0.0.1:9", &token2));
        let mut last = None;
        for (a, activity) in activities.iter().enumerate() {
            assert!(offline.send(Command::SetActivity(ActivityChoice::Fixed(
                activity.parse().unwrap()
            ))));
            for (i, member) in members2.iter().enumerate() {
                // A tenth by card (signatures checked offline), the rest by name.
                let command = if (i + a) % 10 == 0 {
                    Command::Typed(cards[i].clone())
                } else {
                    Command::Manual {
                        member: member.parse().unwrap(),
                        staff: None,
                    }
                };
                let outcome = send(&offline, &command);
                assert_eq!(outcome.kind(), OutcomeKind::Accepted, "{outcome:?}");
                last = Some(outcome);
            }
        }
        // The last member's 13th check-in shows the capped total offline.
        let last = last.unwrap();
        assert_eq!(last.standing().map(|s| (s.points, s.cap)), Some((12, 12)));
        let status = offline.sync_status();
        assert!(!status.online && status.last_error.is_some(), "{status:?}");
        drop(offline);
        assert_eq!(
            Store::open(&dir_path.join("data/kiosk.sqlite"))
                .unwrap()
                .pending_count()
                .unwrap(),
            10_010
        );

        let back = sync_all(&dir_path, &url, &token2);
        assert_eq!(back.sync_status().refused, 0);
    })
    .await
    .unwrap();

    let year = baodao_shared::Policy::default().year_of(start);
    for m in &members {
        let points = server.points(&token, m, year).await.unwrap();
        assert_eq!((points.attended, points.points), (13, 12), "{m}");
    }
    let counts: std::collections::HashMap<_, _> =
        server.table_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts["attendance"], 10_010);
}

/// A proxy that lets requests through but loses the first `drops` answers,
/// as a network that fails after the server did the work.
async fn lossy_proxy(
    upstream: std::net::SocketAddr,
    drops: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if n < drops {
                    // Forward the request, wait for the server's answer, then
                    // hang up on the client without passing it on.
                    let mut buf = vec![0u8; 1 << 20];
                    let Ok(read) = client.read(&mut buf).await else {
                        return;
                    };
                    let mut request = buf[..read].to_vec();
                    // Read the whole body when it came in several packets.
                    while let Ok(Ok(more)) =
                        tokio::time::timeout(Duration::from_millis(200), client.read(&mut buf))
                            .await
                    {
                        if more == 0 {
                            break;
                        }
                        request.extend_from_slice(&buf[..more]);
                    }
                    let _ = server.write_all(&request).await;
                    let _ = server.read(&mut buf).await;
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (format!("http://{addr}"), connections)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_mid_batch_are_retried_without_double_counting() {
    let server = TestServer::start(|_| {}).await.unwrap();
    let members: Vec<String> = (0..30).map(|i| format!("M{i:03}")).collect();
    let token = server.open_activity(0..30).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (proxy, connections) = lossy_proxy(server.addr, 3).await;

    let server = std::sync::Arc::new(server);
    let (path, server2, token2, members2) = (
        dir.path().to_owned(),
        server.clone(),
        token.clone(),
        members.clone(),
    );
    tokio::task::spawn_blocking(move || {
        first_sync(&path, &server2, &token2, members2.len());
        let kiosk = engine(config(&path, "http://127.0.0.1:9", &token2));
        for m in &members2 {
            assert_eq!(
                send(
                    &kiosk,
                    &Command::Manual {
                        member: m.parse().unwrap(),
                        staff: None
                    }
                )
                .kind(),
                OutcomeKind::Accepted
            );
        }
        drop(kiosk);
        let kiosk = sync_all(&path, &proxy, &token2);
        drop(kiosk);
        let store = Store::open(&path.join("data/kiosk.sqlite")).unwrap();
        let rows = store.check_ins(None, None, "", 100).unwrap();
        assert!(
            rows.iter()
                .all(|r| r.server_status == Some(RecordStatus::Accepted)),
            "{rows:?}"
        );
    })
    .await
    .unwrap();

    assert!(
        connections.load(std::sync::atomic::Ordering::SeqCst) > 3,
        "the kiosk came back after lost answers"
    );
    let counts: std::collections::HashMap<_, _> =
        server.table_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts["attendance"], 30, "each record stored once");
    assert!(counts["batches"] >= 2, "the batch was sent more than once");
    let year = baodao_shared::Policy::default().year_of(open_now().0);
    for m in &members {
        assert_eq!(
            server.points(&token, m, year).await.unwrap().points,
            1,
            "{m}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_the_office_refuses_are_kept_with_their_reasons() {
    let server = TestServer::start(|_| {}).await.unwrap();
    server
        .import_members(&[("M001", "張偉", "C01"), ("M002", "李娜", "C01")])
        .await
        .unwrap();
    let (start, end) = open_now();
    server
        .import_activities(&[("A1", "C01", start, end), ("A2", "C01", start, end)])
        .await
        .unwrap();
    let card = server.issue_card("M001", None).await.unwrap();
    let token = server.register_kiosk("C01").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let server = std::sync::Arc::new(server);

    let (server2, token2) = (server.clone(), token.clone());
    let path2 = path.clone();
    tokio::task::spawn_blocking(move || first_sync(&path2, &server2, &token2, 2))
        .await
        .unwrap();

    // While the kiosk is offline, the office revokes M001's card and moves
    // A2 to another community.
    server.office.revoke_card(1).await.unwrap();
    server
        .import_activities(&[("A2", "C02", start, end)])
        .await
        .unwrap();

    let token2 = token.clone();
    let url = server.url("");
    tokio::task::spawn_blocking(move || {
        let kiosk = engine(config(&path, "http://127.0.0.1:9", &token2));
        assert!(kiosk.send(Command::SetActivity(ActivityChoice::Fixed(
            "A1".parse().unwrap()
        ))));
        assert_eq!(
            send(&kiosk, &Command::Typed(card)).kind(),
            OutcomeKind::Accepted,
            "the kiosk did not know yet"
        );
        assert!(kiosk.send(Command::SetActivity(ActivityChoice::Fixed(
            "A2".parse().unwrap()
        ))));
        assert_eq!(
            send(
                &kiosk,
                &Command::Manual {
                    member: "M002".parse().unwrap(),
                    staff: None
                }
            )
            .kind(),
            OutcomeKind::Accepted
        );
        drop(kiosk);

        let kiosk = sync_all(&path, &url, &token2);
        assert_eq!(kiosk.sync_status().refused, 2);
        // More syncs later: still there.
        let before = kiosk.sync_status().last_success;
        kiosk.sync_now();
        wait_for(30, "another sync", || {
            kiosk.sync_status().last_success != before
        });
        assert_eq!(kiosk.sync_status().refused, 2);
        drop(kiosk);
        let store = Store::open(&path.join("data/kiosk.sqlite")).unwrap();
        let mut rows: Vec<_> = store
            .check_ins(None, None, "", 10)
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.record.member_id.to_string(),
                    r.server_status,
                    r.server_reason,
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            rows,
            vec![
                (
                    "M001".into(),
                    Some(RecordStatus::Held),
                    Some(Reason::CardRevoked)
                ),
                (
                    "M002".into(),
                    Some(RecordStatus::Rejected),
                    Some(Reason::OtherCommunity)
                ),
            ]
        );
        assert_eq!(store.pending_count().unwrap(), 0);
        assert_eq!(store.refused_count().unwrap(), 2);
        assert_eq!(
            store.refused_check_ins(10).unwrap().len(),
            2,
            "the staff list shows both"
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_void_reason_of_501_characters_never_blocks_the_outbox() {
    let server = TestServer::start(|_| {}).await.unwrap();
    let token = server.open_activity(1..=2).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let server = std::sync::Arc::new(server);
    let (server2, token2, path2) = (server.clone(), token.clone(), path.clone());
    tokio::task::spawn_blocking(move || first_sync(&path2, &server2, &token2, 2))
        .await
        .unwrap();

    let url = server.url("");
    tokio::task::spawn_blocking(move || {
        let kiosk = engine(config(&path, "http://127.0.0.1:9", &token));
        assert!(kiosk.send(Command::SetActivity(ActivityChoice::Fixed(
            "A1".parse().unwrap()
        ))));
        let first = send(
            &kiosk,
            &Command::Manual {
                member: "M001".parse().unwrap(),
                staff: None,
            },
        );
        let record_id = first.record_id().unwrap();
        // Today's kiosk refuses a reason the server would not keep ...
        let refused = send(
            &kiosk,
            &Command::Void {
                record_id,
                reason: "字".repeat(501),
                staff: None,
            },
        );
        assert_eq!(
            (refused.kind(), refused.reason()),
            (
                OutcomeKind::Rejected,
                Some(baodao_shared::protocol::Reason::InvalidReason.into())
            )
        );
        drop(kiosk);
        // ... and one already in an older kiosk's outbox is answered by
        // itself: the check-in after it still syncs.
        store_void(
            &path.join("data/kiosk.sqlite"),
            record_id,
            &"字".repeat(501),
        );
        let kiosk = engine(config(&path, "http://127.0.0.1:9", &token));
        assert!(kiosk.send(Command::SetActivity(ActivityChoice::Fixed(
            "A1".parse().unwrap()
        ))));
        let later = send(
            &kiosk,
            &Command::Manual {
                member: "M002".parse().unwrap(),
                staff: None,
            },
        );
        assert_eq!(later.kind(), OutcomeKind::Accepted);
        drop(kiosk);
        let kiosk = sync_all(&path, &url, &token);
        drop(kiosk);
        let store = Store::open(&path.join("data/kiosk.sqlite")).unwrap();
        assert_eq!(store.pending_count().unwrap(), 0, "nothing left to resend");
    })
    .await
    .unwrap();
    let policy = baodao_shared::Policy::default();
    let year = policy.year_of(open_now().0);
    let store = server.office.store();
    let points = async |m: &str| {
        store
            .member_points(m.parse().unwrap(), None, year, policy)
            .await
            .unwrap()
            .unwrap()
            .points
    };
    assert_eq!(
        points("M002").await,
        1,
        "the check-in after the bad void counted"
    );
    assert_eq!(points("M001").await, 1, "the bad void did not apply");
}

/// Puts a void in the kiosk's outbox as an older kiosk, which did not bound
/// reasons, would have.
fn store_void(database: &Path, record_id: uuid::Uuid, reason: &str) {
    let conn = rusqlite::Connection::open(database).unwrap();
    conn.execute(
        "INSERT INTO voids (record_id, reason, voided_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![
            record_id.as_bytes().as_slice(),
            reason,
            chrono::Utc::now().timestamp_millis()
        ],
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_naming_another_community_says_so() {
    let server = TestServer::start(|_| {}).await.unwrap();
    server
        .import_members(&[("M001", "張偉", "C01")])
        .await
        .unwrap();
    let (start, end) = open_now();
    server
        .import_activities(&[("A1", "C01", start, end)])
        .await
        .unwrap();
    let token = server.register_kiosk("C01").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("");
    tokio::task::spawn_blocking(move || {
        // The token is C01's; the config says C02.
        let wrong = engine(config_of("C02", dir.path(), &url, &token));
        wait_for(30, "the sync error", || {
            wrong.sync_status().last_error.is_some()
        });
        let error = wrong.sync_status().last_error.unwrap();
        assert!(
            error.contains("community C01") && error.contains("config says C02"),
            "{error}"
        );
        // Nothing of C01 was taken in under C02's name.
        assert!(wrong.offline().activities.is_empty());
        assert!(wrong.offline().roster.is_empty());
        drop(wrong);
        // Corrected, the same kiosk syncs.
        let right = engine(config_of("C01", dir.path(), &url, &token));
        wait_for(30, "the snapshot", || right.offline().activities.len() == 1);
        assert!(right.sync_status().last_error.is_none());
        // The activity window's grace is the server's (its default: 2 h).
        assert_eq!(right.offline().grace, chrono::Duration::minutes(120));
    })
    .await
    .unwrap();
}

/// A manual check-in and a void made by named staff reach the office's
/// audit with the staff member's name and the kiosk's.
async fn staff_names_reach_the_audit(backend: Backend) {
    let server = std::sync::Arc::new(TestServer::start_on(backend, |_| {}).await.unwrap());
    let token = server.open_activity(1..=2).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, url) = (dir.path().to_owned(), server.url(""));
    let (server2, token2) = (server.clone(), token.clone());
    tokio::task::spawn_blocking(move || {
        first_sync(&path, &server2, &token2, 2);
        let kiosk = engine(config(&path, "http://127.0.0.1:9", &token2));
        assert!(kiosk.send(Command::SetActivity(ActivityChoice::Fixed(
            "A1".parse().unwrap()
        ))));
        let manual = |member: &str, staff: &str| {
            send(
                &kiosk,
                &Command::Manual {
                    member: member.parse().unwrap(),
                    staff: Some(staff.into()),
                },
            )
        };
        assert_eq!(manual("M001", "王芳").kind(), OutcomeKind::Accepted);
        let wrong = manual("M002", "王芳").record_id().unwrap();
        let voided = send(
            &kiosk,
            &Command::Void {
                record_id: wrong,
                reason: "點錯人".into(),
                staff: Some("李強".into()),
            },
        );
        assert_eq!(voided.kind(), OutcomeKind::Voided);
        drop(kiosk);
        drop(sync_all(&path, &url, &token2));
    })
    .await
    .unwrap();
    let audit = server.office.store().audit_log(100).await.unwrap();
    let by = |action: &str| -> Vec<(String, String)> {
        audit
            .iter()
            .filter(|e| e.action == action)
            .map(|e| (e.actor.clone(), e.after.clone().unwrap_or_default()))
            .collect()
    };
    let mut manual = by("kiosk.manual_check_in");
    manual.sort();
    assert_eq!(manual.len(), 2, "{audit:?}");
    assert!(
        manual
            .iter()
            .all(|(actor, _)| actor.starts_with("王芳 (kiosk "))
    );
    assert_eq!(manual[0].1, "M001 @ A1: accepted");
    let voids = by("kiosk.void");
    assert_eq!(voids.len(), 1, "{audit:?}");
    assert!(voids[0].0.starts_with("李強 (kiosk "), "{voids:?}");
    assert_eq!(voids[0].1, "voided: 點錯人");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_names_reach_the_audit_on_sqlite() {
    staff_names_reach_the_audit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_names_reach_the_audit_on_postgres() {
    staff_names_reach_the_audit(Backend::Postgres).await;
}
