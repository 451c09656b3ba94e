//! Memberships the office changes, on both backends: inactive (the kiosks
//! hear of it, the server refuses the member's check-ins from then), active
//! again, transferred; within an officer's communities; each audited with
//! before and after; and the member page that explains every record.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_sync_server::domain::office::Role;
use baodao_tests::{Backend, TestServer, batch, record};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

async fn change(server: &TestServer, token: &str, member: &str, body: &Value) -> (u16, Value) {
    server
        .post_json(token, &format!("/api/v1/office/members/{member}"), body)
        .await
}

async fn inactive_transferred_and_back(backend: Backend) {
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
    office
        .add_user("zhao", Role::Viewer, vec![], "battery staple correct")
        .await
        .unwrap();
    let officer = office.issue_user_token("li").await.unwrap();
    let viewer = office.issue_user_token("zhao").await.unwrap();
    let first = server.snapshot(&kiosk, None).await.unwrap();

    // Who may: not a viewer, not a kiosk; a note is required.
    let off = json!({"change": "deactivate", "note": "遷出本市"});
    assert_eq!(change(&server, &viewer, "M001", &off).await.0, 403);
    assert_eq!(change(&server, &kiosk, "M001", &off).await.0, 401);
    assert_eq!(
        change(&server, &officer, "M001", &json!({"change": "deactivate"}))
            .await
            .0,
        422
    );
    assert_eq!(
        change(
            &server,
            &officer,
            "M001",
            &json!({"change": "vanish", "note": "x"})
        )
        .await
        .0,
        422
    );
    assert_eq!(change(&server, &officer, "NOBODY", &off).await.0, 404);

    // Inactive: the kiosk's next snapshot says so, and the server refuses
    // a check-in made from then.
    let (status, body) = change(&server, &officer, "M001", &off).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["inactive"], true);
    assert_eq!(change(&server, &officer, "M001", &off).await.0, 409);
    let delta = server
        .snapshot(&kiosk, Some((first.cursor, first.epoch)))
        .await
        .unwrap();
    let m1 = delta
        .members
        .iter()
        .find(|m| m.member_id.as_str() == "M001")
        .unwrap();
    assert!(m1.inactive);
    let later = Utc::now() + Duration::seconds(1);
    let receipt = server
        .post_batch(
            &kiosk,
            &batch(vec![record("M001", "A1", later, None)], vec![]),
        )
        .await
        .unwrap();
    assert_eq!(
        (receipt.records[0].status, receipt.records[0].reason),
        (RecordStatus::Rejected, Some(Reason::MemberInactive))
    );

    // Active again: counts again.
    let (status, _) = change(
        &server,
        &officer,
        "M001",
        &json!({"change": "reactivate", "note": "回遷"}),
    )
    .await;
    assert_eq!(status, 200);
    let receipt = server
        .post_batch(
            &kiosk,
            &batch(
                vec![record(
                    "M001",
                    "A1",
                    Utc::now() + Duration::seconds(2),
                    None,
                )],
                vec![],
            ),
        )
        .await
        .unwrap();
    assert_eq!(receipt.records[0].status, RecordStatus::Accepted);

    // Transferred away: out of the officer's reach from then on.
    let before = server.snapshot(&kiosk, None).await.unwrap();
    let away = json!({"change": "transfer", "community": "C02", "note": "轉至花橋社區"});
    let (status, body) = change(&server, &officer, "M002", &away).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["community"], "C02");
    assert_eq!(change(&server, &officer, "M002", &off).await.0, 403);
    // The old community's kiosk learns it at its next poll, not only at
    // its next full snapshot.
    let news = server
        .snapshot(&kiosk, Some((before.cursor, before.epoch)))
        .await
        .unwrap();
    let m002: Vec<_> = news
        .members
        .iter()
        .filter(|m| m.member_id.as_str() == "M002")
        .collect();
    assert_eq!(m002.len(), 1, "{:?}", news.members);
    assert_eq!(m002[0].community.as_str(), "C02");

    // Each in the audit log, with before and after.
    let log = office.store().audit_log(50).await.unwrap();
    let member_log: Vec<_> = log
        .iter()
        .filter(|e| e.subject.starts_with("member:"))
        .map(|e| {
            (
                e.action.as_str(),
                e.subject.as_str(),
                e.before.as_deref().unwrap_or(""),
                e.note.as_str(),
            )
        })
        .collect();
    assert_eq!(member_log.len(), 3, "{member_log:?}");
    assert_eq!(
        member_log[0],
        (
            "member.transfer",
            "member:M002",
            "active, C01",
            "轉至花橋社區"
        )
    );
    assert_eq!(member_log[2].0, "member.deactivate");
    assert!(
        log.iter()
            .any(|e| e.after.as_deref() == Some("active, C02"))
    );
    server.stop().await;
}

#[tokio::test]
async fn inactive_transferred_and_back_on_sqlite() {
    inactive_transferred_and_back(Backend::Sqlite).await;
}

#[tokio::test]
async fn inactive_transferred_and_back_on_postgres() {
    inactive_transferred_and_back(Backend::Postgres).await;
}
