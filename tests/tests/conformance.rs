//! The storage contract, end to end: each check here runs twice, against
//! the real server on 127.0.0.1:0 over a real SQLite file and over a fresh
//! PostgreSQL database (the cluster `scripts/test.sh` starts; without it
//! the PostgreSQL half fails, it is never skipped).

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// A scenario reads top to bottom; `#[tokio::test]` used to hide their length.
#![allow(clippy::too_many_lines)]

use std::collections::{BTreeMap, HashMap};

use baodao_shared::points::{Attendance, tally};
use baodao_shared::protocol::{
    BATCHES_PATH, ErrorBody, Reason, RecordStatus, SNAPSHOT_PATH, VoidStatus,
};
use baodao_shared::{Policy, Void};
use baodao_tests::{Backend, TestServer, batch, open_now, record};
use chrono::{Datelike, Duration, NaiveDate, Utc};

/// Twelve members of C01, one of C02; activities A1 (open now) and A2..A20
/// (C01, earlier this year), B1 (C02, open now); kiosks for C01 and C02.
async fn community(backend: Backend) -> (TestServer, String, String) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let mut members: Vec<(String, &str, &str)> = (1..=12)
        .map(|i| (format!("M{i:03}"), "張偉", "C01"))
        .collect();
    members.push(("M900".into(), "李娜", "C02"));
    let rows: Vec<(&str, &str, &str)> = members
        .iter()
        .map(|(id, n, c)| (id.as_str(), *n, *c))
        .collect();
    server.import_members(&rows).await.unwrap();
    let (start, end) = open_now();
    let mut activities = vec![
        ("A1".to_owned(), "C01", start, end),
        ("B1".to_owned(), "C02", start, end),
    ];
    for i in 2..=20 {
        let s = start - Duration::days(i);
        activities.push((format!("A{i}"), "C01", s, s + Duration::hours(2)));
    }
    let rows: Vec<_> = activities
        .iter()
        .map(|(id, c, s, e)| (id.as_str(), *c, *s, *e))
        .collect();
    server.import_activities(&rows).await.unwrap();
    let c01 = server.register_kiosk("C01").await.unwrap();
    let c02 = server.register_kiosk("C02").await.unwrap();
    (server, c01, c02)
}

/// The entries of `delta` that `before` does not already hold.
fn news<'a, T: PartialEq>(delta: &'a [T], before: &[T]) -> Vec<&'a T> {
    delta.iter().filter(|x| !before.contains(x)).collect()
}

fn this_year() -> i32 {
    Policy::default().year_of(Utc::now())
}

async fn a_card_check_in_is_accepted_and_earns_a_point(backend: Backend) {
    let (server, token, _) = community(backend).await;
    let card = server.issue_card("M001", None).await.unwrap();
    let r = record("M001", "A1", Utc::now(), Some(&card));
    let receipt = server
        .post_batch(&token, &batch(vec![r.clone()], vec![]))
        .await
        .unwrap();
    assert_eq!(receipt.records.len(), 1);
    assert_eq!(receipt.records[0].record_id, r.record_id);
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    assert!(receipt.clock_offset_ms.abs() < 60_000);

    let points = server.points(&token, "M001", this_year()).await.unwrap();
    assert_eq!((points.points, points.attended, points.cap), (1, 1, 12));
    let nobody = server.points(&token, "M002", this_year()).await.unwrap();
    assert_eq!(nobody.points, 0);
    server.stop().await;
}

async fn retries_change_nothing_and_say_what_happened_first(backend: Backend) {
    let (server, token, _) = community(backend).await;
    let card = server.issue_card("M001", None).await.unwrap();
    let good = record("M001", "A1", Utc::now(), Some(&card));
    let bad = record("M404", "A1", Utc::now(), None);
    let upload = batch(vec![good.clone(), bad.clone()], vec![]);
    let first = server.post_batch(&token, &upload).await.unwrap();
    let counts = server.table_counts().await.unwrap();
    for _ in 0..5 {
        let again = server.post_batch(&token, &upload).await.unwrap();
        assert_eq!(again.records[0].status, RecordStatus::AlreadyReceived);
        assert_eq!(
            again.records[0].original_status,
            Some(RecordStatus::Accepted)
        );
        assert_eq!(again.records[1].status, RecordStatus::AlreadyReceived);
        assert_eq!(
            again.records[1].original_status,
            Some(RecordStatus::Rejected)
        );
        assert_eq!(again.records[1].reason, Some(Reason::UnknownMember));
    }
    // The same records in a new batch (a kiosk that lost the receipt).
    let rebatched = server
        .post_batch(&token, &batch(vec![good, bad], vec![]))
        .await
        .unwrap();
    assert!(
        rebatched
            .records
            .iter()
            .all(|r| r.status == RecordStatus::AlreadyReceived)
    );
    assert_eq!(first.records[0].status, RecordStatus::Accepted);
    let mut after = server.table_counts().await.unwrap();
    // Only the new batch row is added; no attendance row.
    let batches = after.iter_mut().find(|(t, _)| t == "batches").unwrap();
    batches.1 -= 1;
    assert_eq!(after, counts);
    assert_eq!(
        server
            .points(&token, "M001", this_year())
            .await
            .unwrap()
            .points,
        1
    );
    server.stop().await;
}

async fn repeats_count_once_and_the_cap_holds(backend: Backend) {
    let (server, token, _) = community(backend).await;
    let card = server.issue_card("M002", None).await.unwrap();
    // Past activities: the kiosk was offline; scans are at their real times.
    let mut records = vec![];
    for i in 2..=20 {
        let at = Utc::now() - Duration::days(i) - Duration::minutes(30);
        records.push(record("M002", &format!("A{i}"), at, Some(&card)));
    }
    records.push(record("M002", "A1", Utc::now(), Some(&card)));
    records.push(record("M002", "A1", Utc::now(), Some(&card)));
    let receipt = server
        .post_batch(&token, &batch(records, vec![]))
        .await
        .unwrap();
    let statuses: Vec<_> = receipt.records.iter().map(|r| r.status).collect();
    assert_eq!(statuses.last(), Some(&RecordStatus::Repeat));
    let year = this_year();
    let expected_attended = receipt
        .records
        .iter()
        .filter(|r| r.status == RecordStatus::Accepted)
        .count();
    let points = server.points(&token, "M002", year).await.unwrap();
    // Activities that fell in last year (early January) count there.
    assert_eq!(
        points.attended as usize,
        expected_attended - count_last_year()
    );
    assert_eq!(points.points, points.attended.min(12));
    server.stop().await;
}

/// Past activities A2..A20 that started in the previous year.
fn count_last_year() -> usize {
    let policy = Policy::default();
    let (start, _) = open_now();
    (2..=20)
        .filter(|i| policy.year_of(start - Duration::days(*i)) != policy.year_of(Utc::now()))
        .count()
}

async fn every_refusal_is_stored_with_its_reason(backend: Backend) {
    let (server, token, _) = community(backend).await;
    let now = Utc::now();
    let card1 = server.issue_card("M001", None).await.unwrap();
    let expired = server
        .issue_card("M003", Some(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()))
        .await
        .unwrap();
    let replaced = server.issue_card("M004", None).await.unwrap();
    let _current = server.issue_card("M004", None).await.unwrap();
    let forged = baodao_shared::card::CardSigner::from_seed(1, &[42; 32])
        .sign(
            &"M005".parse().unwrap(),
            99,
            NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        )
        .unwrap();
    let mut qr_without_card = record("M006", "A1", now, None);
    qr_without_card.method = baodao_shared::Method::Qr;

    let cases = vec![
        (
            record("M404", "A1", now, None),
            RecordStatus::Rejected,
            Some(Reason::UnknownMember),
        ),
        (
            record("M001", "Z9", now, Some(&card1)),
            RecordStatus::Rejected,
            Some(Reason::UnknownActivity),
        ),
        (
            record("M001", "B1", now, Some(&card1)),
            RecordStatus::Rejected,
            Some(Reason::OtherCommunity),
        ),
        (
            record("M002", "A1", now, Some(&card1)),
            RecordStatus::Rejected,
            Some(Reason::CardOfAnotherMember),
        ),
        (
            record("M003", "A1", now, Some(&expired)),
            RecordStatus::Rejected,
            Some(Reason::CardExpired),
        ),
        (
            record("M004", "A1", now, Some(&replaced)),
            RecordStatus::Held,
            Some(Reason::CardReplaced),
        ),
        (
            record("M005", "A1", now, Some(&forged)),
            RecordStatus::Rejected,
            Some(Reason::BadCardSignature),
        ),
        (
            record("M005", "A1", now, Some("http://weixin.qq.com/r/abc")),
            RecordStatus::Rejected,
            Some(Reason::NotBaodaoCard),
        ),
        (
            record("M005", "A1", now, Some("BD1:0000")),
            RecordStatus::Rejected,
            Some(Reason::CardMalformed),
        ),
        (
            qr_without_card,
            RecordStatus::Rejected,
            Some(Reason::CardMissing),
        ),
        (
            record("M007", "A1", now - Duration::days(2), None),
            RecordStatus::Held,
            Some(Reason::OutsideActivityWindow),
        ),
    ];
    let records: Vec<_> = cases.iter().map(|(r, _, _)| r.clone()).collect();
    let receipt = server
        .post_batch(&token, &batch(records, vec![]))
        .await
        .unwrap();
    for ((sent, status, reason), got) in cases.iter().zip(&receipt.records) {
        assert_eq!(got.record_id, sent.record_id);
        assert_eq!(
            (got.status, got.reason),
            (*status, *reason),
            "member {}",
            sent.member_id
        );
    }
    // Nothing is dropped: every record is in the database.
    let counts: HashMap<_, _> = server.table_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts["attendance"], i64::try_from(cases.len()).unwrap());
    // And none of them counts.
    for m in ["M001", "M002", "M003", "M004", "M005", "M007"] {
        assert_eq!(
            server.points(&token, m, this_year()).await.unwrap().points,
            0,
            "{m}"
        );
    }
    server.stop().await;
}

async fn a_kiosk_clock_that_is_off_is_measured_and_corrected(backend: Backend) {
    let (server, token, _) = community(backend).await;
    let card = server.issue_card("M001", None).await.unwrap();
    // The kiosk's clock is three hours behind: it stamps scans and the batch
    // three hours ago, but the scan happened now, during A1.
    let skew = Duration::hours(3);
    let mut upload = batch(
        vec![record("M001", "A1", Utc::now() - skew, Some(&card))],
        vec![],
    );
    upload.sent_at = Utc::now() - skew;
    let receipt = server.post_batch(&token, &upload).await.unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    let offset = Duration::milliseconds(receipt.clock_offset_ms);
    assert!((offset - skew).num_seconds().abs() < 60, "offset {offset}");
    let kiosks = server.office.store().kiosks().await.unwrap();
    let offset_ms = kiosks[0].last_clock_offset_ms.unwrap();
    assert!((offset_ms - skew.num_milliseconds()).abs() < 60_000);

    // Three days off is more than the server corrects: the record is kept,
    // held for a person, and the evidence (the kiosk's claim) is kept.
    let far = Duration::days(3);
    let card2 = server.issue_card("M002", None).await.unwrap();
    let mut upload = batch(
        vec![record("M002", "A1", Utc::now() - far, Some(&card2))],
        vec![],
    );
    upload.sent_at = Utc::now() - far;
    let receipt = server.post_batch(&token, &upload).await.unwrap();
    assert_eq!(
        (receipt.records[0].status, receipt.records[0].reason),
        (RecordStatus::Held, Some(Reason::ClockUntrusted))
    );
    let claimed: i64 = server
        .query_one(&format!(
            "SELECT sent_at FROM batches WHERE batch_id = {}",
            server.uuid_literal(upload.batch_id)
        ))
        .await
        .unwrap();
    assert_eq!(claimed, upload.sent_at.timestamp_millis());
    server.stop().await;
}

async fn voids_remove_points_once_and_only_in_their_community(backend: Backend) {
    let (server, token, other) = community(backend).await;
    let card = server.issue_card("M001", None).await.unwrap();
    let r = record("M001", "A1", Utc::now(), Some(&card));
    server
        .post_batch(&token, &batch(vec![r.clone()], vec![]))
        .await
        .unwrap();
    assert_eq!(
        server
            .points(&token, "M001", this_year())
            .await
            .unwrap()
            .points,
        1
    );

    let void = Void {
        record_id: r.record_id,
        reason: "掃錯人".into(),
        voided_at: Some(Utc::now()),
        voided_by: None,
    };
    let foreign = server
        .post_batch(&other, &batch(vec![], vec![void.clone()]))
        .await
        .unwrap();
    assert_eq!(foreign.voids[0].status, VoidStatus::Rejected);
    assert_eq!(
        server
            .points(&token, "M001", this_year())
            .await
            .unwrap()
            .points,
        1
    );

    let first = server
        .post_batch(&token, &batch(vec![], vec![void.clone()]))
        .await
        .unwrap();
    assert_eq!(first.voids[0].status, VoidStatus::Voided);
    let again = server
        .post_batch(&token, &batch(vec![], vec![void]))
        .await
        .unwrap();
    assert_eq!(again.voids[0].status, VoidStatus::AlreadyVoided);
    assert_eq!(
        server
            .points(&token, "M001", this_year())
            .await
            .unwrap()
            .points,
        0
    );
    server.stop().await;
}

async fn ten_kiosks_with_overlapping_retries_give_exact_points(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let members: Vec<String> = (1..=40).map(|i| format!("M{i:03}")).collect();
    let rows: Vec<_> = members
        .iter()
        .map(|m| (m.as_str(), "王芳", "C01"))
        .collect();
    server.import_members(&rows).await.unwrap();
    let (start, end) = open_now();
    let activities: Vec<String> = (1..=16).map(|i| format!("A{i}")).collect();
    // All open now, so every scan is within its window.
    let rows: Vec<_> = activities
        .iter()
        .map(|a| (a.as_str(), "C01", start, end))
        .collect();
    server.import_activities(&rows).await.unwrap();
    let mut cards: HashMap<String, String> = HashMap::new();
    for m in &members {
        cards.insert(m.clone(), server.issue_card(m, None).await.unwrap());
    }

    // Deterministic pseudo-random attendance: member i at activity j when
    // (i * 7 + j * 3 + kiosk) % 5 < 2; members often show up at two kiosks.
    let mut per_kiosk = vec![];
    let mut all_records = vec![];
    for k in 0..10usize {
        let token = server.register_kiosk("C01").await.unwrap();
        let mut records = vec![];
        for (i, m) in members.iter().enumerate() {
            for (j, a) in activities.iter().enumerate() {
                if (i * 7 + j * 3 + k) % 5 < 2 && (i + j + k) % 3 == 0 {
                    records.push(record(m, a, Utc::now(), Some(&cards[m])));
                }
            }
        }
        all_records.extend(records.clone());
        per_kiosk.push((token, records));
    }
    let server = std::sync::Arc::new(server);
    let mut tasks = vec![];
    for (k, (token, records)) in per_kiosk.into_iter().enumerate() {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let batches: Vec<_> = records
                .chunks(7)
                .map(|c| batch(c.to_vec(), vec![]))
                .collect();
            for (n, b) in batches.iter().enumerate() {
                server.post_batch(&token, b).await.unwrap();
                // Resend an earlier batch now and then, as after a lost receipt.
                if (n + k) % 2 == 0 {
                    server.post_batch(&token, &batches[n / 2]).await.unwrap();
                }
            }
            for b in &batches {
                server.post_batch(&token, b).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let policy = Policy::default();
    let expected = tally(
        &policy,
        all_records.iter().map(|r| Attendance {
            member: r.member_id.to_string(),
            activity: r.activity_id.to_string(),
            voided: false,
        }),
        |_| Some(start),
    );
    let year = policy.year_of(start);
    assert!(
        expected.values().any(|s| s.attended > 12),
        "the cap must be exercised"
    );
    let reader = server.register_kiosk("C01").await.unwrap();
    for m in &members {
        let want = expected
            .get(&(m.clone(), year))
            .copied()
            .unwrap_or_default();
        let got = server.points(&reader, m, year).await.unwrap();
        assert_eq!(
            (got.attended, got.points),
            (want.attended, want.points),
            "{m}"
        );
    }
    let report: BTreeMap<String, u32> = server
        .office
        .points_report(year)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.member_id.to_string(), r.points))
        .collect();
    for m in &members {
        let want = expected.get(&(m.clone(), year)).map_or(0, |s| s.points);
        assert_eq!(report[m], want, "{m}");
    }
    let counts: HashMap<_, _> = server.table_counts().await.unwrap().into_iter().collect();
    assert_eq!(
        counts["attendance"],
        i64::try_from(all_records.len()).unwrap()
    );
}

async fn bad_requests_are_refused_and_change_nothing(backend: Backend) {
    let (server, token, _) = community(backend).await;
    let card = server.issue_card("M001", None).await.unwrap();
    let good = batch(vec![record("M001", "A1", Utc::now(), Some(&card))], vec![]);
    let before = server.table_counts().await.unwrap();
    let url = server.url(BATCHES_PATH);
    let client = &server.client;

    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("no token", client.post(&url).json(&good), 401, "unauthorized"),
        ("wrong token", client.post(&url).bearer_auth(format!("bdk_{}", "0".repeat(64))).json(&good), 401, "unauthorized"),
        ("not a bearer token", client.post(&url).header("authorization", "Basic YWJj").json(&good), 401, "unauthorized"),
        ("malformed JSON", client.post(&url).bearer_auth(&token).header("content-type", "application/json").body("{\"batch_id\": }"), 400, "malformed_json"),
        ("wrong shape", client.post(&url).bearer_auth(&token).json(&serde_json::json!({"batch_id": "x", "records": 5})), 422, "malformed_json"),
        ("a record without an id", client.post(&url).bearer_auth(&token).json(&serde_json::json!({
            "batch_id": uuid::Uuid::now_v7(), "sent_at": Utc::now(),
            "records": [{"member_id": "M001", "activity_id": "A1", "scanned_at": Utc::now(), "method": "manual"}]})), 422, "malformed_json"),
        ("not JSON", client.post(&url).bearer_auth(&token).header("content-type", "text/plain").body("hello"), 415, "unsupported_media_type"),
        ("huge body", client.post(&url).bearer_auth(&token).header("content-type", "application/json").body(vec![b' '; 3 * 1024 * 1024]), 413, "payload_too_large"),
    ];
    for (what, request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}");
        assert_eq!(response.headers()["baodao-protocol"], "1", "{what}");
        let body: ErrorBody = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(body.error.code, code, "{what}: {}", body.error.message);
    }

    let too_many = batch(
        (0..2_001)
            .map(|_| record("M001", "A1", Utc::now(), None))
            .collect(),
        vec![],
    );
    let response = client
        .post(&url)
        .bearer_auth(&token)
        .json(&too_many)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        response.json::<ErrorBody>().await.unwrap().error.code,
        "batch_too_large"
    );

    // Revoked kiosks are refused too.
    let kiosk = server.office.store().kiosks().await.unwrap()[0]
        .kiosk
        .kiosk_id
        .clone();
    server.office.revoke_kiosk(&kiosk).await.unwrap();
    let response = client
        .post(&url)
        .bearer_auth(&token)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let response = client
        .get(server.url(SNAPSHOT_PATH))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    assert_eq!(server.table_counts().await.unwrap(), before);
    server.stop().await;
}

async fn snapshots_are_whole_then_incremental(backend: Backend) {
    let (server, token, other) = community(backend).await;
    let full = server.snapshot(&token, None).await.unwrap();
    assert!(full.full);
    // C01's twelve, not C02's M900.
    assert_eq!(full.members.len(), 12);
    assert!(full.members.iter().all(|m| m.community.as_str() == "C01"));
    assert_eq!(full.community.as_str(), "C01");
    assert_eq!(full.card_keys.len(), 1);
    assert_eq!(full.policy, Policy::default());
    let ids: Vec<_> = full
        .activities
        .iter()
        .map(|a| a.activity_id.as_str())
        .collect();
    assert_eq!(
        ids,
        vec!["A1"],
        "only C01's, from yesterday on (A2 ended two days ago; B1 is C02's)"
    );
    assert!((full.server_time - Utc::now()).num_seconds().abs() < 60);

    let nothing = server
        .snapshot(&token, Some((full.cursor, full.epoch)))
        .await
        .unwrap();
    assert!(!nothing.full);
    // Nothing new. (On PostgreSQL a cursor may send again what a
    // transaction still open at the last poll wrote, in any database of
    // the cluster: the same rows, never news.)
    assert!(news(&nothing.members, &full.members).is_empty());
    assert!(news(&nothing.points, &full.points).is_empty());
    assert!(nothing.revoked_serials.is_empty());
    assert!(nothing.cursor >= full.cursor);

    // A reissued card: one member changes and the old serial is revoked.
    let old = server.issue_card("M001", None).await.unwrap();
    server.issue_card("M001", None).await.unwrap();
    let card = server.issue_card("M002", None).await.unwrap();
    server
        .post_batch(
            &token,
            &batch(vec![record("M002", "A1", Utc::now(), Some(&card))], vec![]),
        )
        .await
        .unwrap();
    let delta = server
        .snapshot(&token, Some((full.cursor, full.epoch)))
        .await
        .unwrap();
    let changed: Vec<_> = news(&delta.members, &full.members)
        .iter()
        .map(|m| (m.member_id.as_str(), m.card_serial))
        .collect();
    assert_eq!(changed, vec![("M001", Some(2)), ("M002", Some(3))]);
    assert_eq!(delta.revoked_serials, vec![1]);
    let points = news(&delta.points, &full.points);
    assert_eq!(points.len(), 1);
    assert_eq!(
        (points[0].member_id.as_str(), points[0].points),
        ("M002", 1)
    );
    assert!(old.starts_with("BD1:"));

    // Another community's check-in is not this kiosk's news: no roster
    // entry, no points of a member it does not serve.
    let card900 = server.issue_card("M900", None).await.unwrap();
    let receipt = server
        .post_batch(
            &other,
            &batch(
                vec![record("M900", "B1", Utc::now(), Some(&card900))],
                vec![],
            ),
        )
        .await
        .unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    let elsewhere = server
        .snapshot(&token, Some((delta.cursor, delta.epoch)))
        .await
        .unwrap();
    assert!(
        elsewhere
            .points
            .iter()
            .chain(&delta.points)
            .all(|p| p.member_id.as_str() != "M900"),
        "{:?}",
        elsewhere.points
    );
    assert!(
        elsewhere
            .members
            .iter()
            .all(|m| m.member_id.as_str() != "M900")
    );

    // A cursor from the future (a restored server) gets everything.
    let reset = server
        .snapshot(&token, Some((delta.cursor + 1000, delta.epoch)))
        .await
        .unwrap();
    assert!(reset.full);
    assert_eq!(reset.members.len(), 12);
    // So does a cursor of another database, even one that looks current.
    let other_epoch = server
        .snapshot(&token, Some((delta.cursor, delta.epoch.wrapping_add(1))))
        .await
        .unwrap();
    assert!(other_epoch.full);
    server.stop().await;
}

async fn health_openapi_and_unknown_routes(backend: Backend) {
    let (server, token, _) = community(backend).await;
    let health: serde_json::Value = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let doc: serde_json::Value = server
        .client
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        BATCHES_PATH,
        SNAPSHOT_PATH,
        "/api/v1/members/{member_id}/points",
        "/healthz",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["BatchRequest"].is_object());
    let missing = server
        .client
        .get(server.url("/api/v2/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let unknown = server
        .client
        .get(server.url("/api/v1/members/M999/points"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let bad_year = server
        .client
        .get(server.url("/api/v1/members/M001/points?year=abc"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_year.status().as_u16(), 422);
    let default_year = server.points(&token, "M001", this_year()).await.unwrap();
    assert_eq!(
        default_year.year,
        Utc::now().with_timezone(&chrono_tz_shanghai()).year()
    );
    server.stop().await;
}

fn chrono_tz_shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}

baodao_tests::on_both_backends!(
    a_card_check_in_is_accepted_and_earns_a_point,
    retries_change_nothing_and_say_what_happened_first,
    repeats_count_once_and_the_cap_holds,
    every_refusal_is_stored_with_its_reason,
    a_kiosk_clock_that_is_off_is_measured_and_corrected,
    voids_remove_points_once_and_only_in_their_community,
    ten_kiosks_with_overlapping_retries_give_exact_points,
    bad_requests_are_refused_and_change_nothing,
    snapshots_are_whole_then_incremental,
    health_openapi_and_unknown_routes,
);
