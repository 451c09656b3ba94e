//! The office's command line, run as the real binary on real files.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use baodao_shared::card::{self, CardKey, Keyring};

mod common;
#[cfg(unix)]
use common::{signal, spawn_server, spawn_server_with};

fn run(data_dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baodao-sync-server"));
    let (group, rest) = args.split_at(if matches!(args[0], "points" | "backup" | "restore") {
        1
    } else {
        2
    });
    command
        .args(group)
        .arg("--data-dir")
        .arg(data_dir)
        .args(rest);
    command.env("RUST_LOG", "warn").output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn member_count(data_dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(data_dir.join("baodao.sqlite")).unwrap();
    conn.query_row("SELECT COUNT(*) FROM members", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_bad_row_is_reported_by_line_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "member_id,name,organization,community\nM1,張偉,市財政局黨支部,C01\n",
    )
    .unwrap();
    assert!(
        stdout(&run(&data, &["members", "import", good.to_str().unwrap()])).contains("1 added")
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "member_id,name,organization,community\nM1,張偉偉,局,C01\nM2,李娜,局,C01\nM 3,王芳,局,C01\n",
    )
    .unwrap();
    let output = run(&data, &["members", "import", bad.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 4"), "{stderr}");
    assert_eq!(member_count(&data), 1, "M2 must not be half-imported");

    let again = stdout(&run(&data, &["members", "import", good.to_str().unwrap()]));
    assert!(again.contains("1 unchanged"), "{again}");

    let missing = run(&data, &["members", "import", "/nonexistent.csv"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.csv"));
}

#[test]
fn a_printed_card_decodes_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let members = dir.path().join("m.csv");
    std::fs::write(
        &members,
        "member_id,name,organization,community\nM0011,歐陽曉嵐,市生態環境局黨支部,C01\n",
    )
    .unwrap();
    stdout(&run(
        &data,
        &["members", "import", members.to_str().unwrap()],
    ));
    let png = dir.path().join("card.png");
    let said = stdout(&run(
        &data,
        &[
            "cards",
            "issue",
            "--member",
            "M0011",
            "--out",
            png.to_str().unwrap(),
        ],
    ));
    assert!(said.contains("card 1 for M0011"), "{said}");

    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (meta, text) = grids[0].decode().unwrap();
    assert!(meta.version.0 <= 6, "QR version {}", meta.version.0);

    let conn = rusqlite::Connection::open(data.join("baodao.sqlite")).unwrap();
    let key: CardKey = conn
        .query_row("SELECT key_id, public_key FROM card_keys", [], |r| {
            Ok(CardKey {
                key_id: r.get(0)?,
                public_key: r.get(1)?,
            })
        })
        .unwrap();
    let card = card::decode(&text, &Keyring::new([&key]).unwrap()).unwrap();
    assert_eq!(card.member_id.as_str(), "M0011");
    assert_eq!(card.serial, 1);

    let unknown = run(
        &data,
        &[
            "cards",
            "issue",
            "--member",
            "M404",
            "--out",
            png.to_str().unwrap(),
        ],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("M404"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("card-signing-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn an_unwritable_card_path_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let members = dir.path().join("m.csv");
    std::fs::write(
        &members,
        "member_id,name,organization,community\nM1,張偉,局,C01\n",
    )
    .unwrap();
    stdout(&run(
        &data,
        &["members", "import", members.to_str().unwrap()],
    ));
    let output = run(
        &data,
        &[
            "cards",
            "issue",
            "--member",
            "M1",
            "--out",
            "/nonexistent/dir/card.png",
        ],
    );
    assert!(!output.status.success());
    let conn = rusqlite::Connection::open(data.join("baodao.sqlite")).unwrap();
    let cards: i64 = conn
        .query_row("SELECT COUNT(*) FROM cards", [], |r| r.get(0))
        .unwrap();
    let serial: Option<i64> = conn
        .query_row("SELECT card_serial FROM members", [], |r| r.get(0))
        .unwrap();
    assert_eq!((cards, serial), (0, None));
}

#[test]
fn imports_say_how_they_read_the_file_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("名册.csv");
    let roster = "编号,姓名,所属党组织,社区,备注\r\nM001,張偉,市財政局機關黨支部,C01,\r\nM002,李娜,區教育局黨支部,C01,新\r\n";
    std::fs::write(&file, encoding_rs::GB18030.encode(roster).0).unwrap();
    let path = file.to_str().unwrap();
    let said = stdout(&run(&data, &["members", "import", "--dry-run", path]));
    assert!(said.contains("read as CSV in gb18030"), "{said}");
    assert!(said.contains("columns ignored: 备注"), "{said}");
    assert!(
        said.contains("M001: new (張偉, 市財政局機關黨支部, C01)"),
        "{said}"
    );
    assert!(
        said.trim_end().ends_with(
            "members (dry run, nothing written): 2 would be added, 0 updated, 0 unchanged"
        ),
        "{said}"
    );
    assert_eq!(member_count(&data), 0);
    let said = stdout(&run(&data, &["members", "import", path]));
    assert!(
        said.contains("members: 2 added, 0 updated, 0 unchanged"),
        "{said}"
    );
    // Named wrongly, the encoding says so; unknown, it is refused by name.
    let wrong = run(&data, &["members", "import", "--encoding", "utf-8", path]);
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    // The file, the place, what is wrong.
    assert!(
        said.contains(&format!("error: {path}: 1 bad row(s), nothing imported:"))
            && said.contains("line 1: the file is not valid UTF-8"),
        "{said}"
    );
    let unknown = run(&data, &["members", "import", "--encoding", "klingon", path]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown encoding"));
}

#[test]
fn enrolment_codes_and_silent_kiosks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for name in ["門口", "禮堂"] {
        stdout(&run(
            &data,
            &["kiosks", "register", "--name", name, "--community", "C01"],
        ));
    }
    let png = dir.path().join("enrol.png");
    let said = stdout(&run(
        &data,
        &[
            "kiosks",
            "enrol-code",
            "--kiosk",
            "K0001",
            "--qr",
            png.to_str().unwrap(),
        ],
    ));
    // The code is the last line, as a person types it; the QR says the same.
    let code = said.lines().last().unwrap();
    let parsed = baodao_shared::enrol::EnrolCode::parse(code).unwrap();
    assert_eq!(code, parsed.to_string(), "{said}");
    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().unwrap().1, parsed.qr_text());
    // Two codes are never the same; a revoked or unknown kiosk gets none.
    let again = stdout(&run(&data, &["kiosks", "enrol-code", "--kiosk", "K0001"]));
    assert_ne!(again.lines().last().unwrap(), code);
    stdout(&run(&data, &["kiosks", "revoke", "--kiosk", "K0002"]));
    for kiosk in ["K0002", "K0009"] {
        let refused = run(&data, &["kiosks", "enrol-code", "--kiosk", kiosk]);
        assert!(!refused.status.success());
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(
            err.contains(&format!("active kiosk {kiosk} not found")),
            "{err}"
        );
    }

    // A kiosk whose last heartbeat is 20 minutes old is SILENT (the limit
    // is 10 minutes), with what that heartbeat said.
    let report = serde_json::json!({
        "sent_at": "2026-01-01T00:00:00Z", "version": "0.1.0", "uptime_secs": 7200,
        "pending": 4, "oldest_pending_secs": 5400, "camera": "failing",
        "camera_detail": "/dev/video0 gone", "scan_fps": 0.0, "decode_ms": 0.0,
        "decoder_panics": 0, "disk_free_mb": 812, "last_error": null, "clock_offset_ms": 0
    });
    let then = chrono::Utc::now().timestamp_millis() - 20 * 60_000;
    let conn = rusqlite::Connection::open(data.join("baodao.sqlite")).unwrap();
    conn.execute(
        "INSERT INTO kiosk_heartbeats (kiosk_id, received_at, report) VALUES ('K0001', ?1, ?2)",
        rusqlite::params![then, report.to_string()],
    )
    .unwrap();
    conn.execute(
        "UPDATE kiosks SET last_seen_at = ?1 WHERE kiosk_id = 'K0001'",
        [then],
    )
    .unwrap();
    drop(conn);
    let listed = stdout(&run(&data, &["kiosks", "list"]));
    let first = listed.lines().next().unwrap();
    assert!(first.starts_with("K0001\tC01\t門口\tSILENT\t"), "{listed}");
    for part in [
        "camera failing",
        "waiting 4",
        "oldest 90 min",
        "disk free 812 MB",
        "/dev/video0 gone",
    ] {
        assert!(first.contains(part), "{part}: {first}");
    }
    assert!(
        listed.lines().nth(1).unwrap().contains("\trevoked\t"),
        "{listed}"
    );
    let history = stdout(&run(&data, &["kiosks", "history", "--kiosk", "K0001"]));
    assert_eq!(history.lines().count(), 1, "{history}");
    assert!(history.contains("camera failing"), "{history}");
    let none = stdout(&run(&data, &["kiosks", "history", "--kiosk", "K0002"]));
    assert!(none.contains("no heartbeat"), "{none}");
}

#[test]
fn kiosk_tokens_and_the_points_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let said = stdout(&run(
        &data,
        &[
            "kiosks",
            "register",
            "--name",
            "東湖社區服務中心",
            "--community",
            "C01",
        ],
    ));
    let token = said.lines().last().unwrap();
    assert!(token.starts_with("bdk_") && token.len() == 68, "{said}");
    let conn = rusqlite::Connection::open(data.join("baodao.sqlite")).unwrap();
    let stored: String = conn
        .query_row("SELECT token_hash FROM kiosks", [], |r| r.get(0))
        .unwrap();
    assert!(!stored.contains(&token[4..]), "only a hash is stored");
    drop(conn);
    let listed = stdout(&run(&data, &["kiosks", "list"]));
    assert!(
        listed.contains("K0001")
            && listed.contains("\tnever\t")
            && listed.contains("no heartbeat yet"),
        "{listed}"
    );
    stdout(&run(&data, &["kiosks", "revoke", "--kiosk", "K0001"]));
    assert!(stdout(&run(&data, &["kiosks", "list"])).contains("revoked"));
    assert!(
        !run(&data, &["kiosks", "revoke", "--kiosk", "K0001"])
            .status
            .success()
    );

    let members = dir.path().join("m.csv");
    std::fs::write(
        &members,
        "member_id,name,organization,community\nM2,李娜,局,C01\nM1,張偉,局,C01\n",
    )
    .unwrap();
    stdout(&run(
        &data,
        &["members", "import", members.to_str().unwrap()],
    ));
    let csv = stdout(&run(&data, &["points", "--year", "2026"]));
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        vec![
            "member_id,name,organization,community,year,attended,points",
            "M1,張偉,局,C01,2026,0,0",
            "M2,李娜,局,C01,2026,0,0"
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&run(
        &data,
        &["points", "--year", "2026", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(json[0]["member_id"], "M1");
    assert_eq!(json[1]["points"], 0);
}

#[cfg(unix)]
/// `GET /healthz` over plain TCP: the whole answer, head and body.
fn healthz(addr: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // `serve` never reads the private signing key: a key file it would
    // refuse (others may read it) does not stop it, and stays untouched.
    let key = dir.path().join("card-signing-key");
    std::fs::write(&key, "not even a key").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let (mut child, addr, _log) = spawn_server(dir.path(), "127.0.0.1:0", &[]);
    let response = healthz(&addr);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");

    let pid = child.id().to_string();
    signal(&pid, "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "not even a key");
}

/// Under systemd (`Type=notify`): READY=1 once the database is open and the
/// port answers, STOPPING=1 on SIGTERM, to the socket `NOTIFY_SOCKET` names.
#[test]
fn serve_tells_systemd_when_it_is_ready_and_when_it_stops() {
    use std::os::unix::net::UnixDatagram;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_mins(1)))
        .unwrap();
    let notify = path.to_str().unwrap();
    let (mut child, addr, _log) = spawn_server_with(
        &dir.path().join("data"),
        "127.0.0.1:0",
        &[],
        &[("NOTIFY_SOCKET", notify)],
    );
    let mut buf = [0u8; 256];
    let mut said = || {
        let n = socket.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).trim().to_owned()
    };
    assert_eq!(said(), "READY=1");
    // Ready means serving: the database answers the health check.
    let response = healthz(&addr);
    assert!(response.contains("\"status\":\"ok\""), "{response}");
    signal(&child.id().to_string(), "-TERM");
    assert_eq!(said(), "STOPPING=1");
    assert!(child.wait().unwrap().success());
}

#[test]
fn keys_rotate_list_and_retire() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rotated = stdout(&run(&data, &["keys", "rotate"]));
    assert!(
        rotated.contains("card signing key 1 is now in use"),
        "{rotated}"
    );
    let rotated = stdout(&run(&data, &["keys", "rotate"]));
    assert!(
        rotated.contains("card signing key 2 is now in use"),
        "{rotated}"
    );
    assert!(data.join("card-signing-key.1.old").exists());
    let in_use = run(&data, &["keys", "retire", "--key-id", "2"]);
    assert!(!in_use.status.success());
    assert!(String::from_utf8_lossy(&in_use.stderr).contains("keys rotate"));
    stdout(&run(&data, &["keys", "retire", "--key-id", "1"]));
    let listed = stdout(&run(&data, &["keys", "list"]));
    let lines: Vec<_> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].starts_with("1\t") && lines[0].contains("retired"),
        "{listed}"
    );
    assert!(
        lines[1].starts_with("2\t") && lines[1].contains("in force"),
        "{listed}"
    );
    let again = run(&data, &["keys", "retire", "--key-id", "1"]);
    assert!(!again.status.success());
}

#[cfg(unix)]
#[test]
fn plain_http_says_so_and_https_reloads_its_certificate_on_sighup() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

    let dir = tempfile::tempdir().unwrap();
    // Plain HTTP on a non-loopback address is announced as such.
    let (mut plain, _, log) = spawn_server(&dir.path().join("plain"), "0.0.0.0:0", &[]);
    plain.kill().unwrap();
    let _ = plain.wait();
    let log = log.join().unwrap();
    assert!(
        log.contains("plain HTTP") && log.contains("in clear"),
        "{log}"
    );

    // A new CA and a certificate it signed, written over cert.pem/key.pem.
    let write_cert = || -> String {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
        ca.pem()
    };
    let first_ca = write_cert();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let (mut child, addr, log) = spawn_server(
        &dir.path().join("tls"),
        "127.0.0.1:0",
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let get = |ca: &str| {
        let client = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
            .build()
            .unwrap();
        runtime.block_on(async {
            client
                .get(format!("https://localhost:{port}/healthz"))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    assert_eq!(get(&first_ca).unwrap(), 200);

    let second_ca = write_cert();
    let pid = child.id().to_string();
    signal(&pid, "-HUP");
    let mut renewed = false;
    for _ in 0..50 {
        if get(&second_ca).is_ok_and(|s| s == 200) {
            renewed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(renewed, "the renewed certificate is served after SIGHUP");
    assert!(get(&first_ca).is_err(), "the old one is not");
    signal(&pid, "-TERM");
    assert!(child.wait().unwrap().success());
    let log = log.join().unwrap();
    assert!(
        log.contains("serving HTTPS") && log.contains("reloaded the TLS certificate"),
        "{log}"
    );
}

#[test]
fn command_line_values_at_their_edges_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (args, needle) in [
        (
            vec!["kiosks", "register", "--name", "", "--community", "C01"],
            "kiosk name",
        ),
        (
            vec!["kiosks", "register", "--name", "a\nb", "--community", "C01"],
            "kiosk name",
        ),
        (
            vec!["kiosks", "register", "--name", "x", "--community", "東湖"],
            "community",
        ),
        (vec!["points", "--year", "99999"], "year"),
        (vec!["points", "--year", "-2147483648"], "year"),
        (vec!["keys", "retire", "--key-id", "300"], "300"),
    ] {
        let output = run(&data, &args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn office_users_and_their_tokens() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let add = |args: &[&str], password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_baodao-sync-server"))
            .args(["users", "add", "--data-dir"])
            .arg(dir.path())
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = add(
        &[
            "--username",
            "li",
            "--role",
            "officer",
            "--community",
            "C01",
        ],
        "staple battery horse",
    );
    assert!(stdout(&out).contains("added officer user li"));
    for (args, password, needle) in [
        (
            &["--username", "wang", "--role", "boss"][..],
            "long enough pass",
            "unknown role",
        ),
        (
            &["--username", "wang", "--role", "admin"][..],
            "short",
            "at least 10",
        ),
        (
            &["--username", "wang", "--role", "officer"][..],
            "long enough pass",
            "officer has one or more",
        ),
        (
            &["--username", "li", "--role", "viewer"][..],
            "long enough pass",
            "exists",
        ),
    ] {
        let out = add(args, password);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let token = stdout(&run(dir.path(), &["users", "token", "--username", "li"]));
    let last = token.lines().last().unwrap();
    assert!(last.starts_with("bdo_") && last.len() == 68, "{token}");
    let missing = run(dir.path(), &["users", "token", "--username", "nobody"]);
    assert!(!missing.status.success());
    let revoked = stdout(&run(dir.path(), &["users", "revoke", "--username", "li"]));
    assert!(
        revoked.contains("revoked 1 API token(s) of li"),
        "{revoked}"
    );
}

#[test]
fn issue_cards_needs_the_key_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let serve = || {
        Command::new(env!("CARGO_BIN_EXE_baodao-sync-server"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("BAODAO_ISSUE_CARDS", "true")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = serve();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("issue_cards is on but") && stderr.contains("holds no signing key"),
        "{stderr}"
    );
}
