//! The office's schedule on both backends: activities created and edited
//! with place, organiser and capacity, within an officer's communities;
//! cancelled: gone from the kiosks, their records held for review, later
//! uploads for them held too; each change audited.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use baodao_shared::Policy;
use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_sync_server::domain::office::Role;
use baodao_tests::{Backend, TestServer, batch, open_now, record};
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

async fn post(server: &TestServer, token: &str, path: &str, body: &Value) -> (u16, Value) {
    server.post_json(token, path, body).await
}

async fn created_edited_cancelled(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let kiosk = server.open_activity(1..=3).await.unwrap();
    let office = &server.office;
    office
        .add_user(
            "li",
            Role::Officer,
            vec!["C01".parse().unwrap()],
            "staple battery horse",
        )
        .await
        .unwrap();
    let officer = office.issue_user_token("li").await.unwrap();
    let (start, end) = open_now();
    let at = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let activity = |community: &str, title: &str| {
        json!({
            "activity": {
                "activity_id": "A9", "title": title, "kind": "sanitation", "community": community,
                "starts_at": at(start), "ends_at": at(end),
            },
            "details": {"place": "社區廣場", "organiser": "社區黨委", "capacity": 30},
            "note": "月度計劃",
        })
    };
    let (status, body) = post(
        &server,
        &officer,
        "/api/v1/office/activities",
        &activity("C02", "x"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = post(
        &server,
        &officer,
        "/api/v1/office/activities",
        &activity("C01", "環境衛生整治"),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let mut edited = activity("C01", "環境衛生整治（改期）");
    edited["details"]["capacity"] = json!(0);
    assert_eq!(
        post(&server, &officer, "/api/v1/office/activities", &edited)
            .await
            .0,
        422
    );
    edited["details"]["capacity"] = json!(40);
    assert_eq!(
        post(&server, &officer, "/api/v1/office/activities", &edited)
            .await
            .0,
        204
    );
    let snapshot = server.snapshot(&kiosk, None).await.unwrap();
    assert!(
        snapshot
            .activities
            .iter()
            .any(|a| a.title == "環境衛生整治（改期）")
    );

    // Two check-ins count; then the activity is cancelled.
    let records: Vec<_> = ["M001", "M002"]
        .iter()
        .map(|m| record(m, "A9", start + Duration::minutes(10), None))
        .collect();
    let receipt = server
        .post_batch(&kiosk, &batch(records, vec![]))
        .await
        .unwrap();
    assert!(
        receipt
            .records
            .iter()
            .all(|r| r.status == RecordStatus::Accepted)
    );
    let year = Policy::default().year_of(start);
    assert_eq!(server.points(&kiosk, "M001", year).await.unwrap().points, 1);
    let cancel = json!({"note": "暴雨預警，活動取消"});
    assert_eq!(
        post(
            &server,
            &kiosk,
            "/api/v1/office/activities/A9/cancel",
            &cancel
        )
        .await
        .0,
        401
    );
    assert_eq!(
        post(
            &server,
            &officer,
            "/api/v1/office/activities/A9/cancel",
            &json!({"note": ""})
        )
        .await
        .0,
        422
    );
    assert_eq!(
        post(
            &server,
            &officer,
            "/api/v1/office/activities/NONE/cancel",
            &cancel
        )
        .await
        .0,
        404
    );
    let (status, body) = post(
        &server,
        &officer,
        "/api/v1/office/activities/A9/cancel",
        &cancel,
    )
    .await;
    assert_eq!((status, body), (200, json!(2)));
    assert_eq!(
        post(
            &server,
            &officer,
            "/api/v1/office/activities/A9/cancel",
            &cancel
        )
        .await
        .0,
        409
    );
    assert_eq!(
        post(&server, &officer, "/api/v1/office/activities", &edited)
            .await
            .0,
        409
    );

    // Its points are gone, its records wait for review, the kiosks drop it,
    // and a check-in uploaded later is held too.
    assert_eq!(server.points(&kiosk, "M001", year).await.unwrap().points, 0);
    let queue = office.store().review_queue(None, 100).await.unwrap();
    assert_eq!(
        queue
            .iter()
            .filter(|i| i.activity_id == "A9" && i.reason == Some(Reason::ActivityCancelled))
            .count(),
        2
    );
    // The console's count agrees with the queue, community by community.
    let store = office.store();
    let count = |scope: Option<&str>| store.review_count(scope.map(|c| vec![c.parse().unwrap()]));
    assert_eq!(count(None).await.unwrap(), queue.len() as u64);
    assert_eq!(
        count(Some("C01")).await.unwrap(),
        queue.iter().filter(|i| i.community == "C01").count() as u64
    );
    assert_eq!(count(Some("C99")).await.unwrap(), 0);
    let after = server.snapshot(&kiosk, None).await.unwrap();
    assert!(
        after
            .activities
            .iter()
            .all(|a| a.activity_id.as_str() != "A9")
    );
    let late = server
        .post_batch(
            &kiosk,
            &batch(
                vec![record("M003", "A9", start + Duration::minutes(20), None)],
                vec![],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        (late.records[0].status, late.records[0].reason),
        (RecordStatus::Held, Some(Reason::ActivityCancelled))
    );

    let log = office.store().audit_log(50).await.unwrap();
    let actions: Vec<&str> = log
        .iter()
        .filter(|e| e.subject == "activity:A9")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        ["activity.cancel", "activity.edit", "activity.create"]
    );
    let edit = log.iter().find(|e| e.action == "activity.edit").unwrap();
    assert!(edit.before.as_deref().unwrap().contains("capacity 30"));
    assert!(edit.after.as_deref().unwrap().contains("capacity 40"));
    server.stop().await;
}

#[tokio::test]
async fn created_edited_cancelled_on_sqlite() {
    created_edited_cancelled(Backend::Sqlite).await;
}

#[tokio::test]
async fn created_edited_cancelled_on_postgres() {
    created_edited_cancelled(Backend::Postgres).await;
}
