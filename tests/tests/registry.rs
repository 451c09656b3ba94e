//! The office's registry on both backends: communities and organisations
//! with names, imports that take either an id or a name, a renamed
//! organisation's members following it, and the kiosk hearing the
//! community's name.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use baodao_sync_server::Error;
use baodao_tests::{Backend, TestServer};

async fn names_in_imports_and_snapshots(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let office = &server.office;
    let summary = office
        .import_communities(&write(
            "communities.csv",
            "community_id,name,subdistrict,district\n\
             C01,灣子街社區,灣子街道,江岸區\n\
             C02,花橋社區,花橋街道,江岸區\n",
        ))
        .await
        .unwrap();
    assert_eq!((summary.added, summary.updated), (2, 0));
    // Organisations paired with communities given by id or by name.
    office
        .import_organizations(&write(
            "orgs.csv",
            "organization_id,name,communities\n\
             JSJ,市住建局機關黨支部,C01;花橋社區\n\
             CZJ,市財政局機關黨支部,灣子街社區\n",
        ))
        .await
        .unwrap();
    let registry = office.store().registry().await.unwrap();
    let jsj = registry.organization("JSJ").unwrap();
    assert_eq!(jsj.name, "市住建局機關黨支部");
    assert_eq!(
        jsj.communities
            .iter()
            .map(baodao_shared::Community::as_str)
            .collect::<Vec<_>>(),
        ["C01", "C02"]
    );
    assert_eq!(registry.community("花橋社區").unwrap().district, "江岸區");

    // Members by community name and organisation id: stored as the id and
    // the organisation's name; today's files (ids, free text) still work.
    office
        .import_members(&write(
            "members.csv",
            "member_id,name,organization,community\n\
             M001,張偉,JSJ,灣子街社區\n\
             M002,李娜,市財政局機關黨支部,C01\n\
             M003,王芳,某街道辦黨支部,C09\n",
        ))
        .await
        .unwrap();
    let m1 = office
        .store()
        .member("M001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m1.community.as_str(), m1.organization.as_str()),
        ("C01", "市住建局機關黨支部")
    );
    let m3 = office
        .store()
        .member("M003".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m3.community.as_str(), m3.organization.as_str()),
        ("C09", "某街道辦黨支部")
    );
    // A name that is neither: refused, with the line, nothing imported.
    let err = office
        .import_members(&write(
            "bad.csv",
            "member_id,name,organization,community\n\
             M004,趙敏,JSJ,C01\n\
             M005,錢程,JSJ,灣子街\n",
        ))
        .await
        .unwrap_err();
    let Error::Import(rows) = err else {
        panic!("{err}")
    };
    assert_eq!(rows[0].line, 3);
    assert!(
        rows[0]
            .message
            .contains("neither a community id nor the name"),
        "{}",
        rows[0].message
    );
    assert!(
        office
            .store()
            .member("M004".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    // A community's name is its own.
    let err = office
        .import_communities(&write(
            "dup.csv",
            "community_id,name,subdistrict,district\nC03,花橋社區,,\n",
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("C02's already"), "{err}");

    // The kiosk of C01 hears its community's name, and of a renamed
    // organisation, with its members.
    let kiosk = server.register_kiosk("C01").await.unwrap();
    let first = server.snapshot(&kiosk, None).await.unwrap();
    assert_eq!(first.community_name.as_deref(), Some("灣子街社區"));
    office
        .import_organizations(&write(
            "rename.csv",
            "organization_id,name,communities\nJSJ,市住房和城鄉建設局機關黨支部,C01\n",
        ))
        .await
        .unwrap();
    let m1 = office
        .store()
        .member("M001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m1.organization, "市住房和城鄉建設局機關黨支部");
    let delta = server
        .snapshot(&kiosk, Some((first.cursor, first.epoch)))
        .await
        .unwrap();
    assert!(
        delta
            .members
            .iter()
            .any(|m| m.member_id.as_str() == "M001"
                && m.organization == "市住房和城鄉建設局機關黨支部"),
        "{:?}",
        delta.members
    );
    let log = office.store().audit_log(20).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "organizations.import" && e.note == "rename.csv")
    );
    assert!(log.iter().any(|e| e.action == "communities.import"));
    server.stop().await;
}

#[tokio::test]
async fn names_in_imports_and_snapshots_on_sqlite() {
    names_in_imports_and_snapshots(Backend::Sqlite).await;
}

#[tokio::test]
async fn names_in_imports_and_snapshots_on_postgres() {
    names_in_imports_and_snapshots(Backend::Postgres).await;
}

async fn quarterly_report_per_organisation(backend: Backend) {
    use calamine::Reader;
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let kiosk = server.open_activity(1..=3).await.unwrap();
    server
        .post_batch(
            &kiosk,
            &baodao_tests::batch(
                vec![baodao_tests::record("M002", "A1", chrono::Utc::now(), None)],
                vec![],
            ),
        )
        .await
        .unwrap();
    let office = &server.office;
    office
        .add_user(
            "wang",
            baodao_sync_server::domain::office::Role::Admin,
            vec![],
            "correct horse battery",
        )
        .await
        .unwrap();
    let token = office.issue_user_token("wang").await.unwrap();
    let get = |query: &str| {
        server
            .client
            .get(server.url(&format!("/api/v1/office/reports/organization.xlsx?{query}")))
            .bearer_auth(&token)
            .send()
    };
    let response = get("organization=%E6%B8%AC%E8%A9%A6%E9%BB%A8%E6%94%AF%E9%83%A8")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("report").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    let title = rows[0][0].to_string();
    assert!(title.starts_with("測試黨支部 · "), "{title}");
    assert_eq!(rows[2][0], calamine::Data::String("member_id".into()));
    assert_eq!(rows.len(), 6, "title, blank, header, three members");
    let m2 = rows
        .iter()
        .find(|r| r[0] == calamine::Data::String("M002".into()))
        .unwrap();
    assert_eq!(m2[3], calamine::Data::Float(1.0));
    assert_eq!(m2[4], calamine::Data::String("社區活動 A1".into()));
    assert_eq!(m2[5], calamine::Data::Float(1.0));
    let m1 = rows
        .iter()
        .find(|r| r[0] == calamine::Data::String("M001".into()))
        .unwrap();
    assert_eq!(m1[3], calamine::Data::Float(0.0));
    // A period before the activity: nobody attended in it.
    let response = get(
        "organization=%E6%B8%AC%E8%A9%A6%E9%BB%A8%E6%94%AF%E9%83%A8&from=2020-01-01&to=2020-03-31",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    for bad in [
        "organization=",
        "organization=x&from=2020-13-01",
        "organization=x&from=2026-04-01&to=2026-01-01",
        "organization=x&from=1900-01-01",
    ] {
        assert_eq!(get(bad).await.unwrap().status(), 422, "{bad}");
    }
    server.stop().await;
}

#[tokio::test]
async fn quarterly_report_per_organisation_on_sqlite() {
    quarterly_report_per_organisation(Backend::Sqlite).await;
}

#[tokio::test]
async fn quarterly_report_per_organisation_on_postgres() {
    quarterly_report_per_organisation(Backend::Postgres).await;
}
