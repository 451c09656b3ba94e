//! The office API on both backends: the review queue, decisions by role
//! and community, points that follow, the audit log, and tokens that never
//! pass for each other.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use baodao_shared::protocol::{Reason, RecordStatus, SNAPSHOT_PATH};
use baodao_shared::{Method, Policy};
use baodao_sync_server::domain::office::Role;
use baodao_sync_server::store::{AuditEntry, ReviewItem};
use baodao_tests::{Backend, TestServer, batch, open_now, record};
use calamine::Reader;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

async fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let response = server
        .client
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn decide(server: &TestServer, token: &str, record: &str, body: &Value) -> (u16, Value) {
    post(
        server,
        token,
        &format!("/api/v1/office/review/{record}"),
        body,
    )
    .await
}

async fn held_records_are_reviewed_by_role_and_community(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    server
        .import_members(&[
            ("M001", "張偉", "C01"),
            ("M002", "李娜", "C01"),
            ("M900", "王芳", "C02"),
        ])
        .await
        .unwrap();
    let (start, end) = open_now();
    let last_week = start - Duration::days(7);
    server
        .import_activities(&[
            ("A1", "C01", start, end),
            ("A2", "C01", last_week, last_week + Duration::hours(2)),
            ("B2", "C02", last_week, last_week + Duration::hours(2)),
        ])
        .await
        .unwrap();
    let c01 = server.register_kiosk("C01").await.unwrap();
    let c02 = server.register_kiosk("C02").await.unwrap();
    let before = server.snapshot(&c01, None).await.unwrap();

    // Two paper-list check-ins entered after the fact: held.
    let mut late = record("M001", "A2", last_week + Duration::minutes(30), None);
    late.method = Method::Manual;
    let receipt = server
        .post_batch(&c01, &batch(vec![late.clone()], vec![]))
        .await
        .unwrap();
    assert_eq!(
        (receipt.records[0].status, receipt.records[0].reason),
        (RecordStatus::Held, Some(Reason::ManualAfterActivity))
    );
    let mut elsewhere = record("M900", "B2", last_week + Duration::minutes(30), None);
    elsewhere.method = Method::Manual;
    server
        .post_batch(&c02, &batch(vec![elsewhere.clone()], vec![]))
        .await
        .unwrap();

    let office = &server.office;
    office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
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
    assert!(
        office
            .add_user("wang", Role::Admin, vec![], "another password")
            .await
            .is_err()
    );
    assert!(
        office
            .add_user("short", Role::Admin, vec![], "short")
            .await
            .is_err()
    );
    assert!(
        office
            .add_user("nowhere", Role::Officer, vec![], "an officer without")
            .await
            .is_err()
    );
    let admin = office.issue_user_token("wang").await.unwrap();
    let officer = office.issue_user_token("li").await.unwrap();
    let viewer = office.issue_user_token("zhao").await.unwrap();
    assert!(office.issue_user_token("nobody").await.is_err());

    // Tokens never pass for each other.
    assert_eq!(get(&server, &c01, "/api/v1/office/review").await.0, 401);
    assert_eq!(get(&server, &admin, SNAPSHOT_PATH).await.0, 401);
    assert_eq!(
        get(&server, "bdo_nothing", "/api/v1/office/review").await.0,
        401
    );

    // Each sees the queue of their communities.
    let queue = |token: String| {
        let server = &server;
        async move {
            let (status, body) = get(server, &token, "/api/v1/office/review").await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_value::<Vec<ReviewItem>>(body).unwrap()
        }
    };
    let all = queue(admin.clone()).await;
    assert_eq!(all.len(), 2);
    assert_eq!(queue(viewer.clone()).await, all);
    let mine = queue(officer.clone()).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].record_id, late.record_id);
    assert_eq!(mine[0].reason, Some(Reason::ManualAfterActivity));
    assert_eq!(mine[0].community, "C01");
    // The evidence includes the activity's window, to judge the scan by.
    // (Imports keep whole seconds.)
    let millis = |t: chrono::DateTime<Utc>| t.timestamp();
    assert_eq!(
        (
            mine[0].activity_starts_at.map(millis),
            mine[0].activity_ends_at.map(millis)
        ),
        (
            Some(millis(last_week)),
            Some(millis(last_week + Duration::hours(2)))
        )
    );

    // Who may decide what.
    let accept = json!({"decision": "accept", "note": "簽到表核對無誤"});
    let (status, body) = decide(&server, &viewer, &late.record_id.to_string(), &accept).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = decide(&server, &officer, &elsewhere.record_id.to_string(), &accept).await;
    assert_eq!(status, 403);
    let (status, body) = decide(&server, &officer, "not-a-uuid", &accept).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = decide(&server, &officer, &uuid::Uuid::nil().to_string(), &accept).await;
    assert_eq!(status, 404);
    let (status, _) = decide(
        &server,
        &officer,
        &late.record_id.to_string(),
        &json!({"decision": "maybe"}),
    )
    .await;
    assert_eq!(status, 422);

    // The officer accepts: the point counts, kiosks hear of it.
    let (status, body) = decide(&server, &officer, &late.record_id.to_string(), &accept).await;
    assert_eq!(status, 200, "{body}");
    let item: ReviewItem = serde_json::from_value(body).unwrap();
    assert_eq!(item.status, RecordStatus::Accepted);
    let year = Policy::default().year_of(last_week);
    assert_eq!(server.points(&c01, "M001", year).await.unwrap().points, 1);
    let delta = server
        .snapshot(&c01, Some((before.cursor, before.epoch)))
        .await
        .unwrap();
    assert!(
        delta
            .points
            .iter()
            .any(|p| p.member_id.as_str() == "M001" && p.points == 1),
        "{:?}",
        delta.points
    );
    // Decided once: again is a conflict; it left the queue.
    let (status, body) = decide(&server, &admin, &late.record_id.to_string(), &accept).await;
    assert_eq!(status, 409, "{body}");
    assert!(queue(officer.clone()).await.is_empty());

    // The admin rejects the other community's.
    let (status, body) = decide(
        &server,
        &admin,
        &elsewhere.record_id.to_string(),
        &json!({"decision": "reject"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.points(&c02, "M900", year).await.unwrap().points, 0);

    // Every change in the audit log, newest first; officers do not read it.
    let (status, body) = get(&server, &admin, "/api/v1/office/audit").await;
    assert_eq!(status, 200, "{body}");
    let log: Vec<AuditEntry> = serde_json::from_value(body).unwrap();
    // The roster and schedule imports of the set-up are there too.
    let (imports, log): (Vec<AuditEntry>, Vec<AuditEntry>) =
        log.into_iter().partition(|e| e.action.ends_with(".import"));
    assert_eq!(
        imports
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str(), e.after.as_deref()))
            .collect::<Vec<_>>(),
        [
            (
                "cli",
                "activities.import",
                Some("added 3, updated 0, unchanged 0")
            ),
            (
                "cli",
                "members.import",
                Some("added 3, updated 0, unchanged 0")
            ),
        ]
    );
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[1].actor.as_str(), log[1].action.as_str()),
        ("li", "review.accept")
    );
    assert_eq!(log[1].subject, format!("record:{}", late.record_id));
    assert_eq!(
        log[1].before.as_deref(),
        Some("held (manual_after_activity)")
    );
    assert_eq!(
        log[1].after.as_deref(),
        Some("accepted (manual_after_activity)")
    );
    assert_eq!(log[1].note, "簽到表核對無誤");
    assert!((log[1].at - Utc::now()).num_seconds().abs() < 60);
    assert_eq!(
        (log[0].actor.as_str(), log[0].action.as_str()),
        ("wang", "review.reject")
    );
    assert_eq!(get(&server, &viewer, "/api/v1/office/audit").await.0, 200);
    assert_eq!(get(&server, &officer, "/api/v1/office/audit").await.0, 403);

    // A lost laptop: the viewer's tokens are revoked, a new one works.
    assert_eq!(office.revoke_user_tokens("zhao").await.unwrap(), 1);
    assert_eq!(get(&server, &viewer, "/api/v1/office/review").await.0, 401);
    let fresh = office.issue_user_token("zhao").await.unwrap();
    assert_eq!(get(&server, &fresh, "/api/v1/office/review").await.0, 200);
    assert_eq!(get(&server, &admin, "/api/v1/office/review").await.0, 200);
    assert!(office.revoke_user_tokens("nobody").await.is_err());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_held_records_are_reviewed_by_role_and_community() {
    held_records_are_reviewed_by_role_and_community(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_held_records_are_reviewed_by_role_and_community() {
    held_records_are_reviewed_by_role_and_community(Backend::Postgres).await;
}

async fn points_by_community_and_organisation_as_json_and_csv(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let token = server.open_activity(1..=3).await.unwrap();
    server
        .import_members(&[("M900", "=HYPERLINK(\"x\")", "C02")])
        .await
        .unwrap();
    let card = server.issue_card("M002", None).await.unwrap();
    server
        .post_batch(
            &token,
            &batch(vec![record("M002", "A1", Utc::now(), Some(&card))], vec![]),
        )
        .await
        .unwrap();
    let office = &server.office;
    office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
    office
        .add_user(
            "li",
            Role::Officer,
            vec!["C02".parse().unwrap()],
            "staple battery horse",
        )
        .await
        .unwrap();
    let admin = office.issue_user_token("wang").await.unwrap();
    let officer = office.issue_user_token("li").await.unwrap();
    let year = Policy::default().year_of(Utc::now());

    let rows = |body: Value| -> Vec<(String, u32)> {
        serde_json::from_value::<Vec<baodao_sync_server::store::ReportRow>>(body)
            .unwrap()
            .into_iter()
            .map(|r| (r.member_id.as_str().to_owned(), r.points))
            .collect()
    };
    let (status, body) = get(
        &server,
        &admin,
        &format!("/api/v1/office/points?year={year}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        rows(body),
        vec![
            ("M001".into(), 0),
            ("M002".into(), 1),
            ("M003".into(), 0),
            ("M900".into(), 0)
        ]
    );
    let (_, body) = get(&server, &admin, "/api/v1/office/points?community=C01").await;
    assert_eq!(rows(body).len(), 3);
    let (_, body) = get(
        &server,
        &admin,
        "/api/v1/office/points?organization=%E6%B8%AC%E8%A9%A6%E9%BB%A8%E6%94%AF%E9%83%A8",
    )
    .await;
    assert_eq!(rows(body).len(), 4, "every test member is of 測試黨支部");
    let (_, body) = get(&server, &admin, "/api/v1/office/points?organization=nobody").await;
    assert!(rows(body).is_empty());
    // An officer sees their community only, and may not ask for another.
    let (_, body) = get(&server, &officer, "/api/v1/office/points").await;
    assert_eq!(rows(body), vec![("M900".into(), 0)]);
    assert_eq!(
        get(&server, &officer, "/api/v1/office/points?community=C01")
            .await
            .0,
        403
    );
    for bad in [
        "?year=1999",
        "?year=x",
        "?community=%20",
        "?limit=-1&year=99999999999",
    ] {
        let (status, body) = get(&server, &admin, &format!("/api/v1/office/points{bad}")).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body["error"]["code"].is_string(), "{bad}: {body}");
    }
    assert_eq!(get(&server, &token, "/api/v1/office/points").await.0, 401);

    // The CSV: a BOM for Excel, the same rows, formulas as text.
    let response = server
        .client
        .get(server.url(&format!("/api/v1/office/reports/points.csv?year={year}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "member_id,name,organization,community,year,attended,points"
    );
    assert_eq!(lines.len(), 5);
    assert!(
        lines[2].starts_with("M002,") && lines[2].ends_with(",1,1"),
        "{}",
        lines[2]
    );
    assert!(lines[4].contains("'=HYPERLINK"), "{}", lines[4]);

    // Rolled up by community, as CSV and as a workbook.
    let download = |path: String, token: String| {
        let server = &server;
        async move {
            let response = server
                .client
                .get(server.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let disposition = response
                .headers()
                .get("content-disposition")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                status,
                disposition,
                response.bytes().await.unwrap().to_vec(),
            )
        }
    };
    let (status, _, body) = download(
        format!("/api/v1/office/reports/points.csv?year={year}&group_by=community"),
        admin.clone(),
    )
    .await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        [
            "group,year,members,points,mean_points,at_zero,at_cap",
            &format!("C01,{year},3,1,0.3,2,0"),
            &format!("C02,{year},1,0,0.0,1,0"),
        ]
    );
    let (status, disposition, body) = download(
        format!("/api/v1/office/reports/points.xlsx?year={year}"),
        admin.clone(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition.unwrap(),
        format!("attachment; filename=\"points-{year}-member.xlsx\"")
    );
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(body)).unwrap();
    let sheet = book.worksheet_range("points").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[2][0], calamine::Data::String("M002".into()));
    assert_eq!(rows[2][6], calamine::Data::Float(1.0));
    // A would-be formula is a text cell, as written.
    assert_eq!(
        rows[4][1],
        calamine::Data::String("=HYPERLINK(\"x\")".into())
    );
    let (status, _, body) = download(
        "/api/v1/office/reports/points.xlsx?group_by=organization".into(),
        officer.clone(),
    )
    .await;
    assert_eq!(status, 200);
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(body)).unwrap();
    let sheet = book.worksheet_range("groups").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "the officer's one community, one branch");
    assert_eq!(rows[1][0], calamine::Data::String("測試黨支部".into()));
    assert_eq!(rows[1][2], calamine::Data::Float(1.0));
    for bad in ["?group_by=street", "?group_by="] {
        let (status, _, _) = download(
            format!("/api/v1/office/reports/points.xlsx{bad}"),
            admin.clone(),
        )
        .await;
        assert_eq!(status, 422, "{bad}");
    }
    let (status, _, _) = download("/api/v1/office/reports/points.xlsx".into(), token.clone()).await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_points_by_community_and_organisation_as_json_and_csv() {
    points_by_community_and_organisation_as_json_and_csv(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_points_by_community_and_organisation_as_json_and_csv() {
    points_by_community_and_organisation_as_json_and_csv(Backend::Postgres).await;
}

async fn post(server: &TestServer, token: &str, path: &str, body: &Value) -> (u16, Value) {
    server.post_json(token, path, body).await
}

async fn paper_lists_and_voids_by_the_office(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let kiosk = server.open_activity(1..=2).await.unwrap();
    server
        .import_members(&[("M900", "王芳", "C02")])
        .await
        .unwrap();
    let (start, end) = open_now();
    server
        .import_activities(&[("B1", "C02", start, end)])
        .await
        .unwrap();
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
    let year = Policy::default().year_of(Utc::now());
    let before = server.snapshot(&kiosk, None).await.unwrap();

    // The kiosk was down: the officer enters M001 from the paper list.
    let paper = json!({"member_id": "M001", "activity_id": "A1", "note": "簽到表（紙本）"});
    let (status, body) = post(&server, &viewer, "/api/v1/office/attendance", &paper).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = post(&server, &officer, "/api/v1/office/attendance", &paper).await;
    assert_eq!(status, 200, "{body}");
    let entered: ReviewItem = serde_json::from_value(body).unwrap();
    assert_eq!(entered.status, RecordStatus::Accepted);
    assert_eq!(entered.method, "office");
    assert_eq!(entered.kiosk_id, "office:li");
    assert_eq!(server.points(&kiosk, "M001", year).await.unwrap().points, 1);
    let delta = server
        .snapshot(&kiosk, Some((before.cursor, before.epoch)))
        .await
        .unwrap();
    assert!(
        delta
            .points
            .iter()
            .any(|p| p.member_id.as_str() == "M001" && p.points == 1)
    );
    // Not twice, not elsewhere, not without a reason, not for nobody.
    assert_eq!(
        post(&server, &officer, "/api/v1/office/attendance", &paper)
            .await
            .0,
        409
    );
    let other = json!({"member_id": "M900", "activity_id": "B1", "note": "x"});
    assert_eq!(
        post(&server, &officer, "/api/v1/office/attendance", &other)
            .await
            .0,
        403
    );
    let bare = json!({"member_id": "M002", "activity_id": "A1", "note": ""});
    assert_eq!(
        post(&server, &officer, "/api/v1/office/attendance", &bare)
            .await
            .0,
        422
    );
    let nobody = json!({"member_id": "M404", "activity_id": "A1", "note": "x"});
    assert_eq!(
        post(&server, &officer, "/api/v1/office/attendance", &nobody)
            .await
            .0,
        404
    );

    // Entered in error: voided, the point goes; not twice.
    let path = format!("/api/v1/office/records/{}/void", entered.record_id);
    assert_eq!(
        post(&server, &viewer, &path, &json!({"note": "x"})).await.0,
        403
    );
    assert_eq!(
        post(&server, &officer, &path, &json!({"note": ""})).await.0,
        422
    );
    let (status, body) = post(&server, &officer, &path, &json!({"note": "錄錯了人"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.points(&kiosk, "M001", year).await.unwrap().points, 0);
    assert_eq!(
        post(&server, &officer, &path, &json!({"note": "again"}))
            .await
            .0,
        409
    );
    let missing = format!("/api/v1/office/records/{}/void", uuid::Uuid::nil());
    assert_eq!(
        post(&server, &officer, &missing, &json!({"note": "x"}))
            .await
            .0,
        404
    );

    // Both in the audit log, with who and why.
    let log = office.store().audit_log(10).await.unwrap();
    let actions: Vec<(&str, &str, &str)> = log
        .iter()
        .filter(|e| e.actor != "cli")
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.note.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("li", "record.void", "錄錯了人"),
            ("li", "attendance.enter", "簽到表（紙本）")
        ]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_paper_lists_and_voids_by_the_office() {
    paper_lists_and_voids_by_the_office(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_paper_lists_and_voids_by_the_office() {
    paper_lists_and_voids_by_the_office(Backend::Postgres).await;
}
