//! Arbitrary batches through the real router (no socket): whatever a kiosk
//! token's holder sends, the server never answers 5xx, its database stays
//! consistent, and an ordinary batch afterwards is accepted.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::Request;
use baodao_shared::Policy;
use baodao_shared::protocol::{BATCHES_PATH, BatchReceipt, RecordStatus};
use baodao_tests::baodao_sync_server::{AppState, router};
use baodao_tests::{TestServer, batch, open_now, record};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A time anywhere in chrono's range, often near its ends and near now,
/// with any offset chrono parses.
fn any_time() -> impl Strategy<Value = Value> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    let now = Utc::now().timestamp();
    prop_oneof![
        (min..=max).prop_map(|s| s),
        Just(min),
        Just(max),
        (now - 86_400 * 400..now + 86_400 * 400).prop_map(|s| s),
    ]
    .prop_flat_map(|secs| (Just(secs), -86_399i32..=86_399))
    .prop_map(|(secs, offset)| {
        let at = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let zone = chrono::FixedOffset::east_opt(offset).unwrap();
        json!(at.with_timezone(&zone).to_rfc3339())
    })
}

fn any_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("M001")),
        Just(json!("A1")),
        Just(json!("B1")),
        Just(json!("")),
        "\\PC{0,40}".prop_map(Value::from),
        "[A-Za-z0-9_.-]{1,40}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(Value::Null),
        Just(json!(["nested", {"x": 1}])),
    ]
}

fn any_record(ids: Vec<uuid::Uuid>) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(ids),
        any_text(),
        any_text(),
        any_time(),
        prop_oneof![
            Just(json!("qr")),
            Just(json!("manual")),
            Just(json!("keyboard")),
            any_text()
        ],
        prop::option::of(prop_oneof![
            any_text(),
            "BD1:[0-9A-Z $%*+./:-]{0,300}".prop_map(Value::from)
        ]),
    )
        .prop_map(|(id, member, activity, at, method, card)| {
            let mut r = json!({"record_id": id, "member_id": member, "activity_id": activity,
                               "scanned_at": at, "method": method});
            if let Some(card) = card {
                r["card"] = card;
            }
            r
        })
}

fn any_void(ids: Vec<uuid::Uuid>) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(ids),
        prop_oneof![any_text(), "\\PC{490,520}".prop_map(Value::from)],
        prop::option::of(any_time()),
    )
        .prop_map(|(id, reason, at)| json!({"record_id": id, "reason": reason, "voided_at": at}))
}

fn any_batch() -> impl Strategy<Value = Value> {
    // A few ids, so duplicates within and across batches are common.
    let ids: Vec<uuid::Uuid> = (0..12).map(|_| uuid::Uuid::now_v7()).collect();
    (
        prop::collection::vec(any_record(ids.clone()), 0..12),
        prop::collection::vec(any_void(ids), 0..6),
        any_time(),
    )
        .prop_map(|(records, voids, sent_at)| {
            json!({"batch_id": uuid::Uuid::now_v7(), "sent_at": sent_at, "records": records, "voids": voids})
        })
}

async fn post(app: &axum::Router, token: &str, body: &Value) -> (u16, Value) {
    let request = Request::post(BATCHES_PATH)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// What must hold whatever was sent.
fn check_invariants(runtime: &tokio::runtime::Runtime, server: &TestServer, cap: u32) {
    let one = |sql: &str| server.query_sqlite(sql).unwrap();
    assert_eq!(
        one("SELECT COUNT(*) FROM attendance WHERE status IN ('accepted', 'repeat') AND community NOT IN
             (SELECT community FROM activities x WHERE x.activity_key = attendance.activity_key)"),
        0,
        "a counting record outside its activity's community"
    );
    assert_eq!(
        one(
            "SELECT COUNT(*) FROM attendance WHERE status IN ('accepted', 'repeat') AND (member_key IS NULL OR activity_key IS NULL)"
        ),
        0,
        "a counting record of an unknown member or activity"
    );
    assert_eq!(
        one(
            "SELECT COUNT(*) FROM attendance a JOIN kiosks k ON k.kiosk_id = a.kiosk_id WHERE k.community <> a.community"
        ),
        0,
        "a record filed under another community than its kiosk's"
    );
    assert_eq!(
        one(
            "SELECT COUNT(*) FROM (SELECT member_key, activity_key FROM attendance
             WHERE status = 'accepted' GROUP BY 1, 2 HAVING COUNT(*) > 1)"
        ),
        0,
        "one member accepted twice at one activity"
    );
    let year = Policy::default().year_of(Utc::now());
    let report = runtime.block_on(server.office.points_report(year));
    for row in report.unwrap() {
        assert!(row.points <= cap, "{row:?}");
    }
}

#[test]
fn arbitrary_batches_never_harm_the_server() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, app, c01, c02, card) = runtime.block_on(async {
        let server = TestServer::start(|_| {}).await.unwrap();
        let members: Vec<_> = (1..=5).map(|i| format!("M{i:03}")).collect();
        let rows: Vec<_> = members
            .iter()
            .map(|m| (m.as_str(), "張偉", "C01"))
            .collect();
        server.import_members(&rows).await.unwrap();
        let (start, end) = open_now();
        server
            .import_activities(&[("A1", "C01", start, end), ("B1", "C02", start, end)])
            .await
            .unwrap();
        let c01 = server.register_kiosk("C01").await.unwrap();
        let c02 = server.register_kiosk("C02").await.unwrap();
        let card = server.issue_card("M002", None).await.unwrap();
        let app = router(AppState::new(&server.office).await.unwrap());
        (server, app, c01, c02, card)
    });
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(body in any_batch(), from_c02 in any::<bool>())| {
        let token = if from_c02 { &c02 } else { &c01 };
        let (status, answer) = runtime.block_on(post(&app, token, &body));
        prop_assert!(status < 500, "{status} {answer} for {body}");
        if status == 200 {
            let receipt: BatchReceipt = serde_json::from_value(answer).unwrap();
            prop_assert_eq!(receipt.records.len(), body["records"].as_array().unwrap().len());
            prop_assert_eq!(receipt.voids.len(), body["voids"].as_array().unwrap().len());
        } else {
            prop_assert!(answer["error"]["code"].is_string(), "{status} {answer}");
        }
        check_invariants(&runtime, &server, Policy::default().annual_cap);
    });
    // After all that, an ordinary check-in is accepted.
    let normal = batch(vec![record("M002", "A1", Utc::now(), Some(&card))], vec![]);
    let (status, answer) =
        runtime.block_on(post(&app, &c01, &serde_json::to_value(&normal).unwrap()));
    assert_eq!(status, 200, "{answer}");
    let receipt: BatchReceipt = serde_json::from_value(answer).unwrap();
    assert!(matches!(
        receipt.records[0].status,
        RecordStatus::Accepted | RecordStatus::Repeat
    ));
}
