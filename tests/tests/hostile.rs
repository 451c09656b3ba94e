//! What a kiosk token in the wrong hands can try, and what the server does:
//! no input stops it, no kiosk mints or erases points or reads beyond its
//! community. Each test here failed on the server before these defences.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use baodao_shared::Void;
use baodao_shared::protocol::{Reason, RecordStatus, VoidStatus};
use baodao_tests::{TestServer, batch, open_now, record};
use chrono::{Duration, Utc};
use serde_json::json;

/// C01 with members M001..M012, C02 with M900; A1 (C01) and B1 (C02) open
/// now, A2 (C01) ended yesterday; one kiosk per community.
async fn district() -> (TestServer, String, String) {
    let server = TestServer::start(|s| s.max_manual_per_activity = 3)
        .await
        .unwrap();
    let mut members: Vec<(String, &str)> = (1..=12).map(|i| (format!("M{i:03}"), "C01")).collect();
    members.push(("M900".into(), "C02"));
    let rows: Vec<_> = members
        .iter()
        .map(|(id, c)| (id.as_str(), "張偉", *c))
        .collect();
    server.import_members(&rows).await.unwrap();
    let (start, end) = open_now();
    let yesterday = start - Duration::days(1);
    server
        .import_activities(&[
            ("A1", "C01", start, end),
            ("B1", "C02", start, end),
            ("A2", "C01", yesterday, yesterday + Duration::hours(2)),
        ])
        .await
        .unwrap();
    let c01 = server.register_kiosk("C01").await.unwrap();
    let c02 = server.register_kiosk("C02").await.unwrap();
    (server, c01, c02)
}

fn raw_record(scanned_at: &str, method: &str) -> serde_json::Value {
    json!({
        "record_id": uuid::Uuid::now_v7(),
        "member_id": "M001",
        "activity_id": "A1",
        "scanned_at": scanned_at,
        "method": method,
    })
}

#[tokio::test]
async fn times_at_the_edges_of_chrono_never_stop_ingest() {
    let (server, token, _) = district().await;
    let card = server.issue_card("M002", None).await.unwrap();
    let edges = [
        "-262143-01-01T00:00:00Z",
        "+262142-12-31T23:59:59Z",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "1970-01-01T00:00:00+14:00",
    ];
    for edge in edges {
        // As a record's scan time: that record is refused, the batch is not.
        let (status, body) = server
            .post_raw(
                &token,
                &json!({"batch_id": uuid::Uuid::now_v7(), "sent_at": Utc::now(),
                        "records": [raw_record(edge, "manual")]}),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "scanned_at {edge}: {body}");
        assert_eq!(body["records"][0]["status"], "rejected", "{edge}");
        assert_eq!(body["records"][0]["reason"], "invalid_time", "{edge}");

        // As the batch's send time: the kiosk's clock is not trusted, its
        // records are kept and held.
        let (status, body) = server
            .post_raw(
                &token,
                &json!({"batch_id": uuid::Uuid::now_v7(), "sent_at": edge,
                        "records": [raw_record(&Utc::now().to_rfc3339(), "manual")]}),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "sent_at {edge}: {body}");
        assert_eq!(body["records"][0]["status"], "held", "{edge}");
        assert_eq!(body["records"][0]["reason"], "clock_untrusted", "{edge}");

        // As a void's time.
        let (status, body) = server
            .post_raw(
                &token,
                &json!({"batch_id": uuid::Uuid::now_v7(), "sent_at": Utc::now(), "records": [],
                        "voids": [{"record_id": uuid::Uuid::now_v7(), "reason": "wrong", "voided_at": edge}]}),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "voided_at {edge}: {body}");
        assert_eq!(body["voids"][0]["status"], "rejected", "{edge}");
        assert_eq!(body["voids"][0]["reason"], "invalid_time", "{edge}");
    }
    // Every later batch from every kiosk still works.
    let receipt = server
        .post_batch(
            &token,
            &batch(vec![record("M002", "A1", Utc::now(), Some(&card))], vec![]),
        )
        .await
        .unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_item_is_refused_alone() {
    let (server, token, _) = district().await;
    let card = server.issue_card("M001", None).await.unwrap();
    let good = record("M001", "A1", Utc::now(), Some(&card));
    let bad_id = uuid::Uuid::now_v7();
    let (status, body) = server
        .post_raw(
            &token,
            &json!({"batch_id": uuid::Uuid::now_v7(), "sent_at": Utc::now(),
            "records": [
                good,
                {"record_id": bad_id, "member_id": "'; DROP TABLE members;--", "activity_id": "A1",
                 "scanned_at": Utc::now(), "method": "manual"},
                {"record_id": uuid::Uuid::now_v7(), "member_id": "M002", "activity_id": "A1",
                 "scanned_at": Utc::now(), "method": "teleport"},
                {"record_id": uuid::Uuid::now_v7(), "member_id": "M003", "activity_id": "A1",
                 "scanned_at": Utc::now(), "method": "qr", "card": "x".repeat(100_000)},
            ],
            "voids": [
                {"record_id": uuid::Uuid::now_v7(), "reason": "x".repeat(501)},
                {"record_id": uuid::Uuid::now_v7(), "reason": "   "},
                {"record_id": uuid::Uuid::now_v7(), "reason": "line\u{0}break"},
                {"record_id": uuid::Uuid::now_v7(), "reason": 42},
            ]}),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let records = body["records"].as_array().unwrap();
    assert_eq!(records[0]["status"], "accepted");
    assert_eq!(records[1]["record_id"], bad_id.to_string());
    assert_eq!(
        (&records[1]["status"], &records[1]["reason"]),
        (&json!("rejected"), &json!("malformed_record"))
    );
    assert_eq!(records[2]["reason"], "malformed_record");
    assert_eq!(
        (&records[3]["status"], &records[3]["reason"]),
        (&json!("rejected"), &json!("card_malformed"))
    );
    let voids = body["voids"].as_array().unwrap();
    for (void, reason) in voids.iter().zip([
        "invalid_reason",
        "invalid_reason",
        "invalid_reason",
        "malformed_record",
    ]) {
        assert_eq!(
            (&void["status"], &void["reason"]),
            (&json!("rejected"), &json!(reason))
        );
    }
    // The 100 kB card text is not stored.
    assert_eq!(
        server
            .query_one("SELECT COALESCE(MAX(LENGTH(card)), 0) FROM attendance")
            .await
            .unwrap(),
        i64::try_from(card.len()).unwrap()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_void_from_another_community_never_erases_a_record() {
    let (server, c01, c02) = district().await;
    let card = server.issue_card("M001", None).await.unwrap();
    let r = record("M001", "A1", Utc::now(), Some(&card));
    // C02's kiosk learns (or guesses) the id and voids it before it arrives.
    let void = Void {
        record_id: r.record_id,
        reason: "erase".into(),
        voided_at: None,
        voided_by: None,
    };
    let early = server
        .post_batch(&c02, &batch(vec![], vec![void.clone()]))
        .await
        .unwrap();
    assert_eq!(early.voids[0].status, VoidStatus::Voided);
    let receipt = server
        .post_batch(&c01, &batch(vec![r.clone()], vec![]))
        .await
        .unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    let year = baodao_shared::Policy::default().year_of(Utc::now());
    assert_eq!(server.points(&c01, "M001", year).await.unwrap().points, 1);
    // After the record arrived, C02's void is refused outright.
    let late = server
        .post_batch(&c02, &batch(vec![], vec![void.clone()]))
        .await
        .unwrap();
    assert_eq!(
        (late.voids[0].status, late.voids[0].reason),
        (VoidStatus::Rejected, Some(Reason::OtherCommunity))
    );
    assert_eq!(server.points(&c01, "M001", year).await.unwrap().points, 1);
    // C01's own void of it works, even though C02 voided the id first.
    let own = server
        .post_batch(&c01, &batch(vec![], vec![void]))
        .await
        .unwrap();
    assert_eq!(own.voids[0].status, VoidStatus::Voided);
    assert_eq!(server.points(&c01, "M001", year).await.unwrap().points, 0);
    server.stop().await;
}

#[tokio::test]
async fn a_record_id_of_another_kiosk_is_a_conflict_not_a_retry() {
    let (server, c01, c02) = district().await;
    let card = server.issue_card("M001", None).await.unwrap();
    let r = record("M001", "A1", Utc::now(), Some(&card));
    server
        .post_batch(&c01, &batch(vec![r.clone()], vec![]))
        .await
        .unwrap();
    let mut replay = r.clone();
    replay.activity_id = "B1".parse().unwrap();
    let receipt = server
        .post_batch(&c02, &batch(vec![replay], vec![]))
        .await
        .unwrap();
    assert_eq!(
        (
            receipt.records[0].status,
            receipt.records[0].reason,
            receipt.records[0].original_status
        ),
        (RecordStatus::Rejected, Some(Reason::RecordIdConflict), None)
    );
    // The owner's retry is still a retry.
    let retry = server
        .post_batch(&c01, &batch(vec![r], vec![]))
        .await
        .unwrap();
    assert_eq!(retry.records[0].status, RecordStatus::AlreadyReceived);
    server.stop().await;
}

#[tokio::test]
async fn manual_check_ins_the_kiosk_alone_vouches_for_are_held() {
    use RecordStatus::{Accepted, Held};
    let (server, c01, _) = district().await;
    let now = Utc::now();
    let yesterday = now - Duration::days(1) - Duration::minutes(30);
    // Backdated to yesterday's activity: the kiosk's clock says it was then,
    // but the server receives it a day after the activity ended.
    let late = record("M001", "A2", yesterday, None);
    // A member of another community, by name.
    let stranger = record("M900", "A1", now, None);
    // More by hand than the office allows (3 here).
    let by_hand: Vec<_> = (2..=5)
        .map(|i| record(&format!("M{i:03}"), "A1", now, None))
        .collect();
    let mut records = vec![late, stranger];
    records.extend(by_hand);
    let receipt = server
        .post_batch(&c01, &batch(records, vec![]))
        .await
        .unwrap();
    let got: Vec<_> = receipt
        .records
        .iter()
        .map(|r| (r.status, r.reason))
        .collect();
    assert_eq!(
        got,
        vec![
            (Held, Some(Reason::ManualAfterActivity)),
            (Held, Some(Reason::ManualForOtherCommunity)),
            (Accepted, None),
            (Accepted, None),
            (Accepted, None),
            (Held, Some(Reason::ManualLimit)),
        ]
    );
    // A scan the kiosk dates in the server's future is held as well.
    let card = server.issue_card("M006", None).await.unwrap();
    let future = record("M006", "A1", now + Duration::minutes(90), Some(&card));
    let receipt = server
        .post_batch(&c01, &batch(vec![future], vec![]))
        .await
        .unwrap();
    assert_eq!(
        (receipt.records[0].status, receipt.records[0].reason),
        (Held, Some(Reason::ScannedInFuture))
    );
    server.stop().await;
}

#[tokio::test]
async fn one_card_at_two_communities_at_once_is_held() {
    let (server, c01, c02) = district().await;
    let card = server.issue_card("M001", None).await.unwrap();
    let first = server
        .post_batch(
            &c01,
            &batch(vec![record("M001", "A1", Utc::now(), Some(&card))], vec![]),
        )
        .await
        .unwrap();
    assert_eq!(first.records[0].status, RecordStatus::Accepted);
    // Someone shows a photo of the same card at C02's activity, same hours.
    let second = server
        .post_batch(
            &c02,
            &batch(vec![record("M001", "B1", Utc::now(), Some(&card))], vec![]),
        )
        .await
        .unwrap();
    assert_eq!(
        (second.records[0].status, second.records[0].reason),
        (RecordStatus::Held, Some(Reason::AttendedElsewhere))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_kiosk_sees_only_its_community() {
    let (server, c01, c02) = district().await;
    let year = baodao_shared::Policy::default().year_of(Utc::now());
    let c02_snapshot = server.snapshot(&c02, None).await.unwrap();
    let ids: Vec<_> = c02_snapshot
        .members
        .iter()
        .map(|m| m.member_id.as_str())
        .collect();
    assert_eq!(ids, vec!["M900"]);
    // C02's kiosk cannot read C01's members' points ...
    let response = server
        .client
        .get(server.url(&format!("/api/v1/members/M001/points?year={year}")))
        .bearer_auth(&c02)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(server.points(&c01, "M001", year).await.is_ok());

    // ... until M001 attends there with their own card: then C02 needs them.
    let card = server.issue_card("M001", None).await.unwrap();
    let b1 = record("M001", "B1", Utc::now(), Some(&card));
    server
        .post_batch(&c02, &batch(vec![b1], vec![]))
        .await
        .unwrap();
    let delta = server
        .snapshot(&c02, Some((c02_snapshot.cursor, c02_snapshot.epoch)))
        .await
        .unwrap();
    let ids: Vec<_> = delta.members.iter().map(|m| m.member_id.as_str()).collect();
    assert_eq!(ids, vec!["M001"]);
    assert_eq!(server.points(&c02, "M001", year).await.unwrap().points, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_panic_in_one_request_never_harms_the_next() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    // A panicking handler answers 500 with the API's body (the store's
    // side is a unit test of `store`).
    let (server, token, _) = district().await;
    let routes = axum::Router::new().route(
        "/boom",
        axum::routing::get(|| async {
            panic!("handler bug");
            #[allow(unreachable_code)]
            ""
        }),
    );
    let app = baodao_tests::baodao_sync_server::routes::guarded(routes);
    let response = app
        .clone()
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    assert!(response.headers().contains_key("x-request-id"));
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "internal");
    assert_eq!(body["error"]["message"], "internal server error");
    // And the real server next to it still answers.
    let card = server.issue_card("M001", None).await.unwrap();
    let receipt = server
        .post_batch(
            &token,
            &batch(vec![record("M001", "A1", Utc::now(), Some(&card))], vec![]),
        )
        .await
        .unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    server.stop().await;
}

#[tokio::test]
async fn staff_names_a_kiosk_sends_are_checked_item_by_item() {
    let (server, c01, _) = district().await;
    let named = |member: &str, name: &str| {
        let mut r = record(member, "A1", Utc::now(), None);
        r.entered_by = Some(name.to_owned());
        r
    };
    let fine = named("M001", "王芳");
    let records = vec![
        fine.clone(),
        named("M002", &"字".repeat(65)),
        named("M003", "王\n芳"),
        named("M004", ""),
        named("M005", &"x".repeat(100_000)),
    ];
    let voids = vec![Void {
        record_id: fine.record_id,
        reason: "點錯人".into(),
        voided_at: None,
        voided_by: Some("李強\u{0}".into()),
    }];
    let receipt = server
        .post_batch(&c01, &batch(records, voids))
        .await
        .unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);
    for refused in &receipt.records[1..] {
        assert_eq!(
            (refused.status, refused.reason),
            (RecordStatus::Rejected, Some(Reason::MalformedRecord)),
            "{refused:?}"
        );
    }
    assert_eq!(
        (receipt.voids[0].status, receipt.voids[0].reason),
        (VoidStatus::Rejected, Some(Reason::MalformedRecord))
    );
    // Only the good name reached the audit; nothing was voided.
    let audit = server.office.store().audit_log(100).await.unwrap();
    let staff: Vec<_> = audit
        .iter()
        .filter(|e| e.action.starts_with("kiosk."))
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(staff.len(), 1, "{staff:?}");
    assert_eq!(staff[0].0, "kiosk.manual_check_in");
    assert!(staff[0].1.starts_with("王芳 (kiosk "), "{staff:?}");
    let year = baodao_shared::Policy::default().year_of(Utc::now());
    assert_eq!(server.points(&c01, "M001", year).await.unwrap().points, 1);
    server.stop().await;
}
