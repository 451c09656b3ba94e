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
