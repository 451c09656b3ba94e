//! The office console over HTTP, on both backends: logins, lockout and the
//! per-address limit, the session cookie, CSRF on every change, roles and
//! communities, and the API reached with a browser session. (The browser
//! itself drives the console in `browser.rs`.)

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use baodao_shared::protocol::Reason;
use baodao_shared::{Method, Policy};
use baodao_sync_server::domain::office::Role;
use baodao_tests::{Backend, TestServer, batch, open_now, record};
use chrono::Duration;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

/// A browser without a cookie jar: the tests hold the cookie themselves.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Page {
    status: u16,
    location: Option<String>,
    set_cookie: Option<String>,
    text: String,
}

async fn send(request: reqwest::RequestBuilder) -> Page {
    let response = request.send().await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (location, set_cookie) = (header(LOCATION), header(SET_COOKIE));
    Page {
        status: response.status().as_u16(),
        location,
        set_cookie,
        text: response.text().await.unwrap(),
    }
}

async fn login(server: &TestServer, username: &str, password: &str) -> Page {
    send(
        browser()
            .post(server.url("/console/login"))
            .form(&[("username", username), ("password", password)]),
    )
    .await
}

/// The `name=value` of a successful login's cookie.
async fn session(server: &TestServer, username: &str, password: &str) -> String {
    let page = login(server, username, password).await;
    assert_eq!(page.status, 303, "{}", page.text);
    assert_eq!(page.location.as_deref(), Some("/console/"));
    let cookie = page.set_cookie.unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn get(server: &TestServer, cookie: &str, path: &str) -> Page {
    send(browser().get(server.url(path)).header(COOKIE, cookie)).await
}

async fn post(server: &TestServer, cookie: &str, path: &str, form: &[(&str, &str)]) -> Page {
    send(
        browser()
            .post(server.url(path))
            .header(COOKIE, cookie)
            .form(form),
    )
    .await
}

/// The CSRF token a page's forms carry.
fn csrf(page: &Page) -> String {
    let at = page.text.find("name=\"csrf\" value=\"").unwrap() + 19;
    page.text[at..at + 64].to_owned()
}

async fn sessions_and_lockout(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    server
        .office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();

    // Nothing without a session: the login page.
    let page = send(browser().get(server.url("/console/"))).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/console/login"));
    let page = send(browser().get(server.url("/console/login"))).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("登录"), "{}", page.text);

    // A wrong password, and an unknown user, answer the same.
    let wrong = login(&server, "wang", "wrong password!").await;
    let nobody = login(&server, "nobody", "wrong password!").await;
    assert_eq!((wrong.status, nobody.status), (401, 401));
    assert!(wrong.text.contains("用户名或密码错误"));
    assert!(nobody.text.contains("用户名或密码错误"));
    assert!(wrong.set_cookie.is_none());

    // The cookie: HttpOnly, SameSite=Strict, no Secure on plain HTTP.
    let page = login(&server, "wang", "correct horse battery").await;
    assert_eq!(page.status, 303);
    let set = page.set_cookie.unwrap();
    assert!(set.starts_with("baodao_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let today = get(&server, &cookie, "/console/").await;
    assert_eq!(today.status, 200, "{}", today.text);
    assert!(today.text.contains("wang"));

    // An admin adds an officer, who logs in; cut off, their session ends.
    let users = get(&server, &cookie, "/console/users").await;
    assert_eq!(users.status, 200, "{}", users.text);
    let add = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf(&users))];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
        let cookie = cookie.clone();
        let server = &server;
        async move {
            send(
                browser()
                    .post(server.url("/console/users"))
                    .header(COOKIE, cookie)
                    .form(&form),
            )
            .await
        }
    };
    let short = add(vec![
        ("username", "li"),
        ("role", "officer"),
        ("communities", "C01"),
        ("password", "short"),
    ])
    .await;
    assert_eq!(short.status, 422);
    let nowhere = add(vec![
        ("username", "li"),
        ("role", "officer"),
        ("password", "staple battery horse"),
    ])
    .await;
    assert_eq!(nowhere.status, 422);
    let added = add(vec![
        ("username", "li"),
        ("role", "officer"),
        ("communities", "C01"),
        ("password", "staple battery horse"),
    ])
    .await;
    assert_eq!(added.status, 303, "{}", added.text);
    let officer = session(&server, "li", "staple battery horse").await;
    assert_eq!(get(&server, &officer, "/console/").await.status, 200);
    assert_eq!(get(&server, &officer, "/console/users").await.status, 403);
    let page = post(
        &server,
        &cookie,
        "/console/users/li/revoke",
        &[("csrf", &csrf(&users))],
    )
    .await;
    assert_eq!(page.status, 303);
    assert_eq!(get(&server, &officer, "/console/").await.status, 303);

    // Logout needs the form's token, then ends the session.
    let refused = post(&server, &cookie, "/console/logout", &[("csrf", "x")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(get(&server, &cookie, "/console/").await.status, 200);
    let out = post(
        &server,
        &cookie,
        "/console/logout",
        &[("csrf", &csrf(&today))],
    )
    .await;
    assert_eq!(out.status, 303);
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    let after = get(&server, &cookie, "/console/").await;
    assert_eq!(after.status, 303);
    assert_eq!(after.location.as_deref(), Some("/console/login?ended=1"));

    // Five wrong passwords in a row lock the account, even against the
    // right one; a forged cookie is nobody's.
    for _ in 0..4 {
        assert_eq!(login(&server, "wang", "not the password").await.status, 401);
    }
    let locked = login(&server, "wang", "not the password").await;
    assert_eq!(locked.status, 429, "{}", locked.text);
    assert!(locked.text.contains("锁定"), "{}", locked.text);
    let still = login(&server, "wang", "correct horse battery").await;
    assert_eq!(still.status, 429);
    let forged = format!("baodao_session={}", "0".repeat(64));
    assert_eq!(get(&server, &forged, "/console/").await.status, 303);
    server.stop().await;
}

#[tokio::test]
async fn sessions_and_lockout_on_sqlite() {
    sessions_and_lockout(Backend::Sqlite).await;
}

#[tokio::test]
async fn sessions_and_lockout_on_postgres() {
    sessions_and_lockout(Backend::Postgres).await;
}

#[tokio::test]
async fn one_address_may_try_ten_passwords_a_minute() {
    let server = TestServer::start(|_| {}).await.unwrap();
    server
        .office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
    // Spread over many usernames, so no account lockout is involved.
    for i in 0..10 {
        let page = login(&server, &format!("user{i}"), "wrong password!").await;
        assert_eq!(page.status, 401);
    }
    let limited = login(&server, "wang", "correct horse battery").await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    assert!(limited.set_cookie.is_none());
    server.stop().await;
}

async fn roles_csrf_and_the_audit_log(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    server
        .import_members(&[("M001", "張偉", "C01"), ("M900", "王芳", "C02")])
        .await
        .unwrap();
    let (start, _) = open_now();
    let last_week = start - Duration::days(7);
    server
        .import_activities(&[
            ("A2", "C01", last_week, last_week + Duration::hours(2)),
            ("B2", "C02", last_week, last_week + Duration::hours(2)),
        ])
        .await
        .unwrap();
    let c01 = server.register_kiosk("C01").await.unwrap();
    let c02 = server.register_kiosk("C02").await.unwrap();
    let mut late = record("M001", "A2", last_week + Duration::minutes(30), None);
    late.method = Method::Manual;
    let mut elsewhere = record("M900", "B2", last_week + Duration::minutes(30), None);
    elsewhere.method = Method::Manual;
    for (kiosk, r) in [(&c01, &late), (&c02, &elsewhere)] {
        let receipt = server
            .post_batch(kiosk, &batch(vec![r.clone()], vec![]))
            .await
            .unwrap();
        assert_eq!(receipt.records[0].reason, Some(Reason::ManualAfterActivity));
    }
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
    let admin = session(&server, "wang", "correct horse battery").await;
    let officer = session(&server, "li", "staple battery horse").await;
    let viewer = session(&server, "zhao", "battery staple correct").await;
    let late_id = late.record_id.to_string();
    let elsewhere_id = elsewhere.record_id.to_string();

    // The officer sees only C01's record; the viewer sees both, with no
    // way to decide.
    let queue = get(&server, &officer, "/console/review").await;
    assert!(queue.text.contains(&late_id) && !queue.text.contains(&elsewhere_id));
    // With the activity's window to judge the scan time against.
    let window = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    assert!(
        queue.text.contains(&format!(
            "{} – {}",
            window(last_week),
            window(last_week + Duration::hours(2))
        )),
        "{}",
        queue.text
    );
    let seen = get(&server, &viewer, "/console/review").await;
    assert!(seen.text.contains(&late_id) && seen.text.contains(&elsewhere_id));
    assert!(!seen.text.contains("type=\"checkbox\""));

    // Today counts the same queue, each user's part of it.
    let today = get(&server, &officer, "/console/").await;
    assert!(today.text.contains("1 条记录待审核"), "{}", today.text);
    let today = get(&server, &viewer, "/console/").await;
    assert!(today.text.contains("2 条记录待审核"), "{}", today.text);

    // Every table exports as each user may see it.
    let export = |cookie: &str, path: &str| {
        let request = browser().get(server.url(path)).header(COOKIE, cookie);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_owned());
            (status, kind, response.bytes().await.unwrap().to_vec())
        }
    };
    let (status, kind, csv) = export(&officer, "/console/export/review?format=csv").await;
    assert_eq!(
        (status, kind.as_deref()),
        (200, Some("text/csv; charset=utf-8"))
    );
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("\u{feff}record_id,member_id,"), "{csv}");
    assert!(
        csv.contains(&late_id) && !csv.contains(&elsewhere_id),
        "{csv}"
    );
    let (status, _, xlsx) = export(&viewer, "/console/export/review?format=xlsx").await;
    assert_eq!(status, 200);
    let mut book: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "review").unwrap();
    assert_eq!(sheet.height(), 3, "a header and both records");
    for (who, table, expected) in [
        (&officer, "audit", 403),
        (&viewer, "audit", 200),
        (&officer, "users", 403),
        (&viewer, "users", 403),
        (&admin, "users", 200),
        (&officer, "kiosks", 200),
        (&viewer, "activities", 200),
        (&viewer, "nothing", 404),
    ] {
        let path = format!("/console/export/{table}?format=csv");
        assert_eq!(export(who, &path).await.0, expected, "{table}");
    }
    assert_eq!(
        export(&viewer, "/console/export/audit?format=pdf").await.0,
        422
    );
    assert_eq!(export("", "/console/export/audit?format=csv").await.0, 303);
    let (_, _, kiosks) = export(&officer, "/console/export/kiosks?format=csv").await;
    let kiosks = String::from_utf8(kiosks).unwrap();
    assert_eq!(
        kiosks.lines().count(),
        2,
        "the officer's one kiosk: {kiosks}"
    );
    // The registry exports in its import format: it imports back unchanged.
    let registry = tempfile::tempdir().unwrap();
    let communities = registry.path().join("communities.csv");
    std::fs::write(
        &communities,
        "community_id,name,subdistrict,district\nC01,灣子街社區,東湖街道,江岸區\nC02,東湖社區,,\n",
    )
    .unwrap();
    office.import_communities(&communities).await.unwrap();
    let (_, _, exported) = export(&viewer, "/console/export/communities?format=csv").await;
    let exported = String::from_utf8(exported).unwrap();
    assert!(
        exported.contains("C01,灣子街社區,東湖街道,江岸區"),
        "{exported}"
    );
    std::fs::write(&communities, exported).unwrap();
    let again = office.import_communities(&communities).await.unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 2));

    // A viewer's decision, and an officer's outside C01, change nothing.
    let page = post(
        &server,
        &viewer,
        "/console/review",
        &[
            ("csrf", &csrf(&seen)),
            ("decision", "accept"),
            ("record", &late_id),
        ],
    )
    .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/console/review?done=0&failed=1")
    );
    let page = post(
        &server,
        &officer,
        "/console/review",
        &[
            ("csrf", &csrf(&queue)),
            ("decision", "accept"),
            ("record", &elsewhere_id),
        ],
    )
    .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/console/review?done=0&failed=1")
    );
    // A form without the session's token, or with another session's.
    let admin_page = get(&server, &admin, "/console/review").await;
    for token in ["", "0", &csrf(&queue)] {
        let page = post(
            &server,
            &admin,
            "/console/review",
            &[
                ("csrf", token),
                ("decision", "accept"),
                ("record", &late_id),
            ],
        )
        .await;
        assert_eq!(page.status, 403, "{token}");
    }
    let year = Policy::default().year_of(last_week);
    assert_eq!(server.points(&c01, "M001", year).await.unwrap().points, 0);
    let status = |id: &str| {
        format!(
            "SELECT COUNT(*) FROM attendance WHERE record_id = {} AND status = 'held'",
            server.uuid_literal(id.parse().unwrap())
        )
    };
    assert_eq!(server.query_one(&status(&late_id)).await.unwrap(), 1);

    // The officer accepts, with a note: the point counts.
    let page = post(
        &server,
        &officer,
        "/console/review",
        &[
            ("csrf", &csrf(&queue)),
            ("decision", "accept"),
            ("note", "簽到表核對無誤"),
            ("record", &late_id),
        ],
    )
    .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/console/review?done=1&failed=0")
    );
    assert_eq!(server.points(&c01, "M001", year).await.unwrap().points, 1);
    let points = get(&server, &officer, &format!("/console/points?year={year}")).await;
    assert!(points.text.contains("張偉") && !points.text.contains("王芳"));
    // Found by pinyin, in full or by initials.
    for q in ["zhangwei", "zw", "wangfang"] {
        let found = get(
            &server,
            &admin,
            &format!("/console/points?year={year}&q={q}"),
        )
        .await;
        let table = &found.text[found.text.find("id=\"members\"").unwrap()..];
        assert_eq!(table.contains("張偉"), q != "wangfang", "{q}");
        assert_eq!(table.contains("王芳"), q == "wangfang", "{q}");
    }

    // The API takes the session: reads as is, changes with the header.
    let api = |cookie: &str| {
        browser()
            .post(server.url(&format!("/api/v1/office/review/{elsewhere_id}")))
            .header(COOKIE, cookie.to_owned())
            .json(&serde_json::json!({"decision": "reject", "note": "no list"}))
    };
    assert_eq!(send(api(&admin)).await.status, 403);
    let page = send(api(&admin).header("x-csrf-token", csrf(&admin_page))).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let page = send(
        browser()
            .get(server.url("/api/v1/office/review"))
            .header(COOKIE, &viewer),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        server.query_one(&status(&elsewhere_id)).await.unwrap(),
        0,
        "rejected"
    );

    // A kiosk's token reaches neither the console nor the office API.
    let page = send(browser().get(server.url("/console/")).bearer_auth(&c01)).await;
    assert_eq!(page.status, 303);
    let page = send(
        browser()
            .get(server.url("/api/v1/office/review"))
            .bearer_auth(&c01),
    )
    .await;
    assert_eq!(page.status, 401);

    // Imports and new activities: within the officer's communities only,
    // never for a viewer, never without the form's token.
    let members = server
        .query_one("SELECT COUNT(*) FROM members")
        .await
        .unwrap();
    let roster = "member_id,name,organization,community\nM500,周杰,財政局機關黨支部,C02\n";
    let import = |cookie: String, token: String| {
        let server = &server;
        async move {
            post(
                server,
                &cookie,
                "/console/members/import",
                &[("csrf", &token), ("name", "r.csv"), ("file", roster)],
            )
            .await
        }
    };
    let officer_token = csrf(&queue);
    let page = import(officer.clone(), officer_token.clone()).await;
    assert_eq!(page.status, 403, "{}", page.text);
    let page = import(viewer.clone(), csrf(&seen)).await;
    assert_eq!(page.status, 403, "{}", page.text);
    let page = import(admin.clone(), String::new()).await;
    assert_eq!(page.status, 403, "{}", page.text);
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM members")
            .await
            .unwrap(),
        members
    );
    let page = import(admin.clone(), csrf(&admin_page)).await;
    assert_eq!(page.status, 303, "{}", page.text);
    assert_eq!(
        page.location.as_deref(),
        Some("/console/members?added=1&updated=0&unchanged=0")
    );
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM members")
            .await
            .unwrap(),
        members + 1
    );
    let activity = |community: &'static str, starts: &'static str| {
        [
            ("activity_id", "N1"),
            ("title", "政策宣講"),
            ("kind", "policy_talk"),
            ("community", community),
            ("starts_at", starts),
            ("ends_at", "2026-12-05T11:00"),
        ]
    };
    let create = |cookie: &str, token: &str, fields: [(&'static str, &'static str); 6]| {
        let mut form = vec![("csrf", token.to_owned())];
        form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let form: Vec<(&str, String)> = form;
        let cookie = cookie.to_owned();
        let server = &server;
        async move {
            send(
                browser()
                    .post(server.url("/console/activities"))
                    .header(COOKIE, cookie)
                    .form(&form),
            )
            .await
        }
    };
    let page = create(
        &officer,
        &officer_token,
        activity("C02", "2026-12-05T09:00"),
    )
    .await;
    assert_eq!(page.status, 403);
    let page = create(
        &officer,
        &officer_token,
        activity("C01", "2026-12-05T12:00"),
    )
    .await;
    assert_eq!(page.status, 422, "ends before it starts");
    assert!(page.text.contains("notice error"));
    let page = create(
        &officer,
        &officer_token,
        activity("C01", "9999-99-99T00:00"),
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM activities WHERE activity_id = 'N1'")
            .await
            .unwrap(),
        0
    );
    let page = create(
        &officer,
        &officer_token,
        activity("C01", "2026-12-05T09:00"),
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.text);
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM activities WHERE activity_id = 'N1'")
            .await
            .unwrap(),
        1
    );

    // Cards: never by a viewer, never outside the officer's communities,
    // never without the form's token; nothing issued by a refusal.
    let cards = || async {
        server
            .query_one("SELECT COUNT(*) FROM cards")
            .await
            .unwrap()
    };
    let before = cards().await;
    for (cookie, token, members) in [
        (&viewer, csrf(&seen), "M001"),
        (&officer, officer_token.clone(), "M900"),
        (&officer, officer_token.clone(), "M001 M900"),
        (&admin, String::new(), "M001"),
    ] {
        let page = post(
            &server,
            cookie,
            "/console/cards",
            &[("csrf", &token), ("members", members)],
        )
        .await;
        assert_eq!(page.status, 403, "{members}: {}", page.text);
    }
    let page = post(
        &server,
        &officer,
        "/console/cards",
        &[("csrf", &officer_token), ("members", "NOBODY")],
    )
    .await;
    assert_eq!(page.status, 404);
    assert_eq!(cards().await, before);
    let page = post(
        &server,
        &officer,
        "/console/cards",
        &[("csrf", &officer_token), ("community", "C01")],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.starts_with("%PDF-"));
    assert_eq!(cards().await, before + 1, "C01 has one member, M001");

    // Kiosks: registered by an officer in C01, the token shown once and
    // working; not in C02, not by a viewer; revoked, it stops at once.
    let page = post(
        &server,
        &officer,
        "/console/kiosks",
        &[
            ("csrf", &officer_token),
            ("name", "社區服務站"),
            ("community", "C02"),
        ],
    )
    .await;
    assert_eq!(page.status, 403);
    let page = post(
        &server,
        &viewer,
        "/console/kiosks",
        &[("csrf", &csrf(&seen)), ("name", "x"), ("community", "C01")],
    )
    .await;
    assert_eq!(page.status, 403);
    let page = post(
        &server,
        &officer,
        "/console/kiosks",
        &[
            ("csrf", &officer_token),
            ("name", "社區服務站"),
            ("community", "C01"),
        ],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let at = page.text.find("bdk_").expect("the token, shown once");
    let token = page.text[at..at + 68].to_owned();
    assert!(server.snapshot(&token, None).await.is_ok());
    assert!(
        !get(&server, &officer, "/console/kiosks")
            .await
            .text
            .contains(&token)
    );
    let at = page.text.find("id=\"registered\">").unwrap() + "id=\"registered\">".len();
    let kiosk_id = page.text[at..].split(' ').next().unwrap().to_owned();
    let page = post(
        &server,
        &officer,
        &format!("/console/kiosks/{kiosk_id}/revoke"),
        &[("csrf", &officer_token)],
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.text);
    assert!(server.snapshot(&token, None).await.is_err());

    // Every change is in the audit log; officers do not read it.
    let audit = get(&server, &admin, "/console/audit").await;
    assert_eq!(audit.status, 200);
    assert!(audit.text.contains("review.accept") && audit.text.contains("簽到表核對無誤"));
    assert!(audit.text.contains("review.reject") && audit.text.contains("no list"));
    assert!(audit.text.contains("members.import") && audit.text.contains("r.csv"));
    assert!(audit.text.contains("kiosk.register") && audit.text.contains("kiosk.revoke"));
    assert!(
        audit.text.contains("activity.create")
            && audit.text.contains("政策宣講 (policy_talk, C01)")
    );
    assert_eq!(get(&server, &officer, "/console/audit").await.status, 403);
    let filtered = get(&server, &admin, "/console/audit?q=no+list").await;
    assert!(!filtered.text.contains("簽到表核對無誤"));

    // The pages speak the chosen language.
    let switch = get(&server, &admin, "/console/lang/en?back=/console/points").await;
    assert_eq!(switch.location.as_deref(), Some("/console/points"));
    let lang = switch.set_cookie.unwrap();
    let english = get(
        &server,
        &format!("{admin}; {}", lang.split(';').next().unwrap()),
        "/console/",
    )
    .await;
    assert!(
        english.text.contains("Today's activities"),
        "{}",
        english.text
    );
    let open = get(&server, &admin, "/console/lang/en?back=//evil.example").await;
    assert_eq!(open.location.as_deref(), Some("/console/"));
    server.stop().await;
}

#[tokio::test]
async fn roles_csrf_and_the_audit_log_on_sqlite() {
    roles_csrf_and_the_audit_log(Backend::Sqlite).await;
}

#[tokio::test]
async fn roles_csrf_and_the_audit_log_on_postgres() {
    roles_csrf_and_the_audit_log(Backend::Postgres).await;
}
