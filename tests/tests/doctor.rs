//! `baodao-kiosk doctor` against the real sync server: a healthy kiosk
//! passes every check; a broken one fails each broken part with its fix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use baodao_kiosk::doctor::{self, Check, Status};
use baodao_tests::TestServer;

fn write_config(dir: &Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("kiosk.toml");
    std::fs::write(&path, body).unwrap();
    path
}

fn by_name<'a>(checks: &'a [Check], name: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks:#?}"))
}

async fn run(config: std::path::PathBuf) -> Vec<Check> {
    tokio::task::spawn_blocking(move || doctor::run(&config))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_kiosk_passes_every_check() {
    let server = TestServer::start(|_| {}).await.unwrap();
    server
        .import_members(&[("M001", "張偉", "C01"), ("M002", "李娜", "C01")])
        .await
        .unwrap();
    let token = server.register_kiosk("C01").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "server_url = \"{}\"\ntoken = \"{token}\"\ncommunity = \"C01\"\ndata_dir = \"{}\"\ncamera = \"synthetic\"\n",
            server.url(""),
            data.display()
        ),
    );
    let checks = run(config).await;
    let printed: Vec<String> = checks.iter().map(ToString::to_string).collect();
    for name in [
        "config", "data dir", "disk", "font", "camera", "server", "clock", "token",
    ] {
        let check = by_name(&checks, name);
        assert_eq!(check.status, Status::Ok, "{printed:#?}");
        assert!(check.fix.is_none());
    }
    assert!(
        by_name(&checks, "token").detail.contains("2 members"),
        "{printed:#?}"
    );
    assert!(doctor::healthy(&checks));
    // Nothing was left behind in the data dir.
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_kiosk_fails_each_broken_part_with_its_fix() {
    let server = TestServer::start(|_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The data dir is a file, the camera folder is gone, the token is not one
    // the office gave.
    let data = dir.path().join("data");
    std::fs::write(&data, "not a directory").unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "server_url = \"{}\"\ntoken = \"bdk_notatokentheofficegaveatalltoday0000000\"\ncommunity = \"C01\"\ndata_dir = \"{}\"\ncamera = \"replay:{}\"\n",
            server.url(""),
            data.display(),
            dir.path().join("gone").display()
        ),
    );
    let checks = run(config).await;
    let printed: Vec<String> = checks.iter().map(ToString::to_string).collect();
    for name in ["data dir", "camera", "token"] {
        let check = by_name(&checks, name);
        assert_eq!(check.status, Status::Fail, "{name}: {printed:#?}");
        assert!(check.fix.is_some(), "{name}: {printed:#?}");
    }
    // What works still says so.
    for name in ["config", "font", "server", "clock"] {
        assert_eq!(
            by_name(&checks, name).status,
            Status::Ok,
            "{name}: {printed:#?}"
        );
    }
    assert!(!doctor::healthy(&checks));

    // No server at all: one clear line, and the fix names the network.
    let config = write_config(
        dir.path(),
        "server_url = \"http://127.0.0.1:9\"\ntoken = \"bdk_x\"\ncommunity = \"C01\"\ncamera = \"none\"\n",
    );
    let checks = run(config).await;
    let server_check = by_name(&checks, "server");
    assert_eq!(server_check.status, Status::Fail);
    assert!(
        server_check.to_string().contains("fix: check the network"),
        "{server_check}"
    );

    // A config that does not parse: one line, naming the file.
    let config = write_config(dir.path(), "camera = [\n");
    let checks = run(config.clone()).await;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].name, "config");
    assert_eq!(checks[0].status, Status::Fail);
    assert!(checks[0].detail.contains(&config.display().to_string()));
}
