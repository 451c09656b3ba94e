//! Kiosks in the field, on both backends: enrolment codes (once only,
//! 24 hours, wrong and malformed codes, a revoked kiosk, the rate limit),
//! heartbeats reaching the office, a silent kiosk flagged, and the
//! history kept short.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use baodao_shared::KioskId;
use baodao_shared::enrol::EnrolCode;
use baodao_shared::protocol::{
    CameraHealth, ENROL_PATH, Enrolment, HEARTBEAT_PATH, Heartbeat, SNAPSHOT_PATH,
};
use baodao_sync_server::domain::enrolment::hash_code;
use baodao_sync_server::domain::office::Role;
use baodao_tests::{Backend, TestServer};
use chrono::{Duration, Utc};

/// Posts an enrolment attempt as if from `address` (the server sits
/// behind a proxy in these tests, so each test picks its own addresses).
async fn enrol(server: &TestServer, address: &str, code: &str) -> (u16, serde_json::Value) {
    let response = server
        .client
        .post(server.url(ENROL_PATH))
        .header("x-forwarded-for", address)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn error_code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn kiosk_ids(server: &TestServer) -> Vec<KioskId> {
    server
        .office
        .store()
        .kiosks()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kiosk.kiosk_id)
        .collect()
}

/// A console page in English, as the signed-in user sees it.
async fn console_page(server: &TestServer, cookie: &str, path: &str) -> String {
    server
        .client
        .get(server.url(path))
        .header("cookie", cookie)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn snapshot_status(server: &TestServer, token: &str) -> u16 {
    server
        .client
        .get(server.url(SNAPSHOT_PATH))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_code_enrols_one_kiosk_once_within_a_day(backend: Backend) {
    let server = TestServer::start_on(backend, |s| s.net.behind_proxy = true)
        .await
        .unwrap();
    let old_token = server.register_kiosk("C01").await.unwrap();
    server.register_kiosk("C02").await.unwrap();
    let ids = kiosk_ids(&server).await;
    let (first, second) = (ids[0].clone(), ids[1].clone());

    let (code, expires_at) = server.office.enrol_code(&first).await.unwrap();
    let lifetime = expires_at - Utc::now();
    assert!(
        lifetime > Duration::hours(23) && lifetime <= Duration::hours(24),
        "{lifetime}"
    );
    // Typed as a person would: lower case, a space instead of the dash.
    let typed = code.to_string().to_lowercase().replace('-', " ");
    let (status, body) = enrol(&server, "10.0.0.1", &typed).await;
    assert_eq!(status, 200, "{body}");
    let enrolment: Enrolment = serde_json::from_value(body).unwrap();
    assert_eq!(enrolment.kiosk_id, first);
    assert_eq!(enrolment.community.as_str(), "C01");
    assert_eq!(snapshot_status(&server, &enrolment.token).await, 200);
    // The token the kiosk had before stops working.
    assert_eq!(snapshot_status(&server, &old_token).await, 401);

    // Once only.
    let (status, body) = enrol(&server, "10.0.0.2", &code.to_string()).await;
    assert_eq!(
        (status, error_code(&body)),
        (409, "enrol_code_used"),
        "{body}"
    );
    assert_eq!(snapshot_status(&server, &enrolment.token).await, 200);

    // A code of the right shape that nobody made.
    let wrong = EnrolCode::from_random([7; 8]);
    let (status, body) = enrol(&server, "10.0.0.3", wrong.as_str()).await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "enrol_code_unknown"),
        "{body}"
    );
    // Not a code at all: said before the database is asked.
    for (address, bad) in [
        ("10.0.0.4", "hello"),
        ("10.0.0.5", "ABCD-EFG0"),
        ("10.0.0.6", ""),
    ] {
        let (status, body) = enrol(&server, address, bad).await;
        assert_eq!(
            (status, error_code(&body)),
            (422, "invalid_code"),
            "{bad}: {body}"
        );
    }
    let (status, body) = server
        .post_json("", ENROL_PATH, &serde_json::json!({ "code": 12 }))
        .await;
    assert_eq!(status, 422, "{body}");

    // Expired: made 25 hours ago.
    let stale = EnrolCode::from_random([9; 8]);
    let made = Utc::now() - Duration::hours(25);
    server
        .office
        .store()
        .add_enrol_code(
            second.clone(),
            hash_code(&stale),
            made,
            made + Duration::hours(24),
        )
        .await
        .unwrap();
    let (status, body) = enrol(&server, "10.0.0.7", stale.as_str()).await;
    assert_eq!(
        (status, error_code(&body)),
        (410, "enrol_code_expired"),
        "{body}"
    );

    // A kiosk revoked after its code was made: the code is dead too, and
    // a revoked kiosk gets no new code.
    let (late, _) = server.office.enrol_code(&second).await.unwrap();
    server.office.revoke_kiosk(&second).await.unwrap();
    let (status, body) = enrol(&server, "10.0.0.8", late.as_str()).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "kiosk_revoked"),
        "{body}"
    );
    let refused = server.office.enrol_code(&second).await.unwrap_err();
    assert!(refused.to_string().contains("not found"), "{refused}");

    // The database holds hashes, never a code.
    let stored = server
        .query_one("SELECT COUNT(*) FROM enrol_codes")
        .await
        .unwrap();
    assert_eq!(stored, 3);
    for plain in [&code, &late] {
        let sql = format!(
            "SELECT COUNT(*) FROM enrol_codes WHERE code_hash LIKE '%{}%'",
            plain.as_str()
        );
        assert_eq!(server.query_one(&sql).await.unwrap(), 0);
    }
    server.stop().await;
}

/// Only whoever may change a kiosk's community makes its codes: an officer
/// of another community and a viewer are refused, and no code is made.
#[tokio::test]
async fn another_communitys_officer_or_a_viewer_gets_no_code() {
    let server = TestServer::start(|_| {}).await.unwrap();
    server.register_kiosk("C01").await.unwrap();
    let id = kiosk_ids(&server).await.remove(0);
    server
        .office
        .add_user(
            "li",
            Role::Officer,
            vec!["C02".parse().unwrap()],
            "battery staple correct",
        )
        .await
        .unwrap();
    server
        .office
        .add_user("zhao", Role::Viewer, vec![], "battery staple correct")
        .await
        .unwrap();
    for user in ["li", "zhao"] {
        let cookie = baodao_tests::console_session(&server, user, "battery staple correct").await;
        let page = console_page(&server, &cookie, "/console/kiosks").await;
        let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = page[at..at + 64].to_owned();
        let status = server
            .client
            .post(server.url(&format!("/console/kiosks/{id}/enrol-code")))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 403, "{user}");
    }
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM enrol_codes")
            .await
            .unwrap(),
        0
    );
    server.stop().await;
}

/// Five tries at once from one address, then one a minute; a good code
/// sent during the pause waits its turn too (a guess costs a try whether
/// right or wrong). Other addresses are not held up.
#[tokio::test]
async fn guessing_codes_is_slowed_to_one_a_minute() {
    let server = TestServer::start(|s| s.net.behind_proxy = true)
        .await
        .unwrap();
    server.register_kiosk("C01").await.unwrap();
    let id = kiosk_ids(&server).await.remove(0);
    let (code, _) = server.office.enrol_code(&id).await.unwrap();
    for n in 0..5u8 {
        let guess = EnrolCode::from_random([n; 8]);
        let (status, body) = enrol(&server, "192.0.2.9", guess.as_str()).await;
        assert_eq!(status, 404, "try {n}: {body}");
    }
    let response = server
        .client
        .post(server.url(ENROL_PATH))
        .header("x-forwarded-for", "192.0.2.9")
        .json(&serde_json::json!({ "code": code.as_str() }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The code was not used up by the refused try: another address enrols.
    let (status, body) = enrol(&server, "192.0.2.10", code.as_str()).await;
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}

fn heartbeat() -> Heartbeat {
    Heartbeat {
        sent_at: Utc::now(),
        version: "0.1.0".into(),
        uptime_secs: 3_600,
        pending: 3,
        oldest_pending_secs: Some(120),
        camera: CameraHealth::Failing,
        camera_detail: Some("/dev/video0: no such device".into()),
        scan_fps: 0.0,
        decode_ms: 0.0,
        decoder_panics: 0,
        disk_free_mb: Some(20_000),
        last_error: Some("network: cannot reach the server".into()),
        clock_offset_ms: Some(-800),
    }
}

async fn heartbeats_reach_the_office_and_silence_is_flagged(backend: Backend) {
    let server = TestServer::start_on(backend, |s| s.kiosk_silent_minutes = 10)
        .await
        .unwrap();
    let token = server.register_kiosk("C01").await.unwrap();
    server.register_kiosk("C01").await.unwrap();
    let ids = kiosk_ids(&server).await;

    let sent = heartbeat();
    let (status, body) = server
        .post_json(
            &token,
            HEARTBEAT_PATH,
            &serde_json::to_value(&sent).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let kiosks = server.office.store().kiosks().await.unwrap();
    let latest = kiosks[0].heartbeat.as_ref().expect("the heartbeat is kept");
    assert_eq!(latest.report, sent);
    assert!(kiosks[0].last_seen_at.is_some());
    assert!(kiosks[1].heartbeat.is_none());

    // Values no kiosk can report are refused and change nothing.
    for (field, value) in [
        ("version", serde_json::json!("")),
        ("scan_fps", serde_json::json!(-1.0)),
        ("decode_ms", serde_json::json!(1e300)),
        ("pending", serde_json::json!(u64::MAX)),
        ("clock_offset_ms", serde_json::json!(i64::MIN)),
        ("sent_at", serde_json::json!("+262143-01-01T00:00:00Z")),
        ("last_error", serde_json::json!("x".repeat(501))),
    ] {
        let mut body = serde_json::to_value(heartbeat()).unwrap();
        body[field] = value;
        let (status, answer) = server.post_json(&token, HEARTBEAT_PATH, &body).await;
        assert_eq!(status, 422, "{field}: {answer}");
    }
    let (status, _) = server
        .post_json(
            &token,
            HEARTBEAT_PATH,
            &serde_json::json!({ "version": "1" }),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = server
        .post_json(
            "bdk_0000000000000000000000000000000000000000000000000000000000000000",
            HEARTBEAT_PATH,
            &serde_json::to_value(heartbeat()).unwrap(),
        )
        .await;
    assert_eq!(status, 401);
    // A board that booted without a clock says 1970: heard, and the office
    // sees how far off it is.
    let mut lost = heartbeat();
    lost.sent_at = chrono::DateTime::UNIX_EPOCH;
    let (status, body) = server
        .post_json(
            &token,
            HEARTBEAT_PATH,
            &serde_json::to_value(&lost).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let offset = server.office.store().kiosks().await.unwrap()[0]
        .last_clock_offset_ms
        .unwrap();
    assert!(offset > 50 * 365 * 86_400_000, "{offset}");
    let history = server
        .office
        .store()
        .heartbeats(ids[0].clone(), 100)
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "refused heartbeats are not kept");

    // The second kiosk last spoke 30 minutes ago: silent. History older
    // than two hours is dropped as new heartbeats come.
    let store = server.office.store();
    let now = Utc::now();
    for minutes in [180, 90, 30] {
        let mut old = heartbeat();
        old.camera = CameraHealth::Working;
        store
            .record_heartbeat(ids[1].clone(), old, now - Duration::minutes(minutes), 0)
            .await
            .unwrap();
    }
    let history = store.heartbeats(ids[1].clone(), 100).await.unwrap();
    assert_eq!(history.len(), 2, "the three-hour-old heartbeat is gone");
    assert!(
        history[0].received_at > history[1].received_at,
        "newest first"
    );

    // The console shows both: one alive with its camera failing, one silent.
    server
        .office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
    let cookie = baodao_tests::console_session(&server, "wang", "correct horse battery").await;
    let kiosks = console_page(&server, &cookie, "/console/kiosks").await;
    let rows: Vec<&str> = kiosks.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{kiosks}");
    assert!(
        rows[0].contains("Camera failing") && !rows[0].contains("Silent"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains("v0.1.0"), "{}", rows[0]);
    assert!(rows[1].contains("Silent"), "{}", rows[1]);
    // One kiosk's page lists its recent heartbeats.
    let page = console_page(&server, &cookie, &format!("/console/kiosks/{}", ids[1])).await;
    assert_eq!(page.matches(">working<").count(), 2, "{page}");

    // The console makes enrolment codes: shown once, with a QR code, and
    // audited.
    let at = kiosks.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = kiosks[at..at + 64].to_owned();
    let page = server
        .client
        .post(server.url(&format!("/console/kiosks/{}/enrol-code", ids[0])))
        .header("cookie", &cookie)
        .header("accept-language", "en")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find("id=\"code\">").expect("the code is shown") + 10;
    let shown = &page[at..at + 9];
    assert!(page.contains("<svg"), "a QR code is drawn");
    let code = EnrolCode::parse(shown).unwrap();
    let (status, body) = server
        .post_json("", ENROL_PATH, &serde_json::json!({ "code": shown }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kiosk_id"], ids[0].as_str());
    let audit = server.office.store().audit_log(10).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "kiosk.enrol_code"),
        "{audit:?}"
    );
    assert!(
        !audit
            .iter()
            .any(|e| format!("{e:?}").contains(code.as_str())),
        "the audit never holds the code"
    );
    server.stop().await;
}

baodao_tests::on_both_backends!(
    a_code_enrols_one_kiosk_once_within_a_day,
    heartbeats_reach_the_office_and_silence_is_flagged,
);
