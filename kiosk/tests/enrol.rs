//! Enrolment against the real sync server (in this process, on port 0):
//! `baodao-kiosk enroll` from a shell, and the enrolment screen under
//! `egui_kittest`, with a typed code and with the office's QR code shown
//! to the (replayed) camera. The token lands 0600 in the data dir and the
//! kiosk starts syncing with it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use baodao_kiosk::app::sound::Sounds;
use baodao_kiosk::app::{KioskApp, Screen, fonts};
use baodao_kiosk::config::Config;
use baodao_kiosk::engine::{Engine, Setup};
use baodao_shared::KioskId;
use baodao_shared::enrol::EnrolCode;
use baodao_sync_server::{AppState, Office, Settings};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

/// A sync server with one kiosk of C01, on 127.0.0.1:0.
struct Server {
    runtime: tokio::runtime::Runtime,
    office: Office,
    url: String,
    kiosk: KioskId,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (office, url, kiosk) = runtime.block_on(async {
            let office = Office::open(Settings::new(dir.path().join("server")))
                .await
                .unwrap();
            let registration = office
                .register_kiosk("門口", &"C01".parse().unwrap())
                .await
                .unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let state = AppState::new(&office).await.unwrap();
            tokio::spawn(baodao_sync_server::serve(
                listener,
                state,
                std::future::pending(),
            ));
            (office, url, registration.kiosk.kiosk_id)
        });
        Self {
            runtime,
            office,
            url,
            kiosk,
            _dir: dir,
        }
    }

    fn code(&self) -> EnrolCode {
        self.runtime
            .block_on(self.office.enrol_code(&self.kiosk))
            .unwrap()
            .0
    }

    /// Whether `token` is this server's kiosk's token now.
    fn accepts(&self, token: &str) -> bool {
        self.runtime
            .block_on(self.office.store().authenticate(token.trim().to_owned()))
            .unwrap()
            .is_some_and(|k| k.kiosk_id == self.kiosk)
    }

    fn heartbeats(&self) -> Vec<baodao_shared::protocol::Heartbeat> {
        self.runtime
            .block_on(self.office.store().heartbeats(self.kiosk.clone(), 10))
            .unwrap()
            .into_iter()
            .map(|h| h.report)
            .collect()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn enroll(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_baodao-kiosk"))
        .arg("enroll")
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn enroll_from_a_shell_writes_the_token_0600_once() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let code = server.code();
    let data_arg = data.display().to_string();
    let typed = code.to_string().to_lowercase();
    let (status, out, err) = enroll(&[
        "--server",
        &server.url,
        "--code",
        &typed,
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(status, Some(0), "{out}{err}");
    let token_file = data.join("token");
    assert_eq!(
        out.lines().last(),
        Some(format!("token written to {}", token_file.display()).as_str()),
        "{out}"
    );
    assert!(out.contains("of community C01"), "{out}");
    assert_eq!(mode(&token_file), 0o600);
    assert_eq!(mode(&data), 0o700);
    assert!(server.accepts(&std::fs::read_to_string(&token_file).unwrap()));

    // The same code again: refused, and the token written stays good.
    let (status, out, err) = enroll(&[
        "--server",
        &server.url,
        "--code",
        code.as_str(),
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(status, Some(1), "{out}");
    assert!(err.contains("used already"), "{err}");
    assert!(server.accepts(&std::fs::read_to_string(&token_file).unwrap()));

    // A wrong code, a malformed one, a plain-HTTP server elsewhere.
    let (status, _, err) = enroll(&[
        "--server",
        &server.url,
        "--code",
        "2345-6789",
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(status, Some(1));
    assert!(err.contains("no such enrolment code"), "{err}");
    let (status, _, err) = enroll(&[
        "--server",
        &server.url,
        "--code",
        "OOPS",
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(status, Some(1));
    assert!(err.contains("'O'"), "{err}");
    let (status, _, err) = enroll(&[
        "--server",
        "http://192.0.2.1",
        "--code",
        code.as_str(),
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(status, Some(1));
    assert!(err.contains("plain HTTP"), "{err}");
}

/// A kiosk config with a server and no token; `camera` as given.
fn config(dir: &Path, server: &Server, camera: &str) -> Config {
    let path = dir.join("kiosk.toml");
    std::fs::write(
        &path,
        format!(
            "server_url = \"{}\"\ncommunity = \"C01\"\ndata_dir = \"{}\"\ncamera = \"{camera}\"\nsync_interval_secs = 1\n",
            server.url,
            dir.join("data").display()
        ),
    )
    .unwrap();
    Config::from_sources(Some(&path), |_| None).unwrap()
}

fn harness(config: Config) -> Harness<'static, KioskApp> {
    harness_sized(config, egui::vec2(1280.0, 800.0))
}

fn harness_sized(config: Config, size: egui::Vec2) -> Harness<'static, KioskApp> {
    let engine = Engine::start(Setup::new(config)).unwrap();
    let app = KioskApp::new(engine, Sounds::off());
    Harness::builder()
        .with_size(size)
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut KioskApp| app.show(ui), app)
}

/// Steps the UI until `done` holds (the exchange runs on its own thread).
fn step_until(
    harness: &mut Harness<'static, KioskApp>,
    what: &str,
    done: impl Fn(&KioskApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
}

fn type_code(harness: &mut Harness<'static, KioskApp>, code: &str) {
    harness.get_by_label("清空").click();
    harness.run_steps(1);
    assert!(harness.state().enrol.code.is_empty());
    for c in code.chars().filter(|c| *c != '-') {
        // The key, not a digit that happens to stand alone in a text.
        harness
            .get_by_role_and_label(
                egui::accesskit::Role::Button,
                &c.to_ascii_lowercase().to_string(),
            )
            .click();
        harness.run_steps(1);
    }
    // The field shows what the keys typed from the next frame.
    harness.run_steps(1);
}

#[test]
fn the_enrolment_screen_takes_a_typed_code_then_the_kiosk_syncs() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(config(dir.path(), &server, "none"));
    harness.run_steps(2);
    assert_eq!(harness.state().screen, Screen::Enrol);
    harness.get_by_label("登记本签到机");
    harness.get_by_label_contains(&server.url);

    // A typo the kiosk can tell by itself: said at once, nothing sent.
    type_code(&mut harness, "2345");
    harness.get_by_label("登记").click();
    harness.run_steps(2);
    harness.get_by_label_contains("注册码是 8 位字母和数字");
    // A code of the right shape that the office never made.
    type_code(&mut harness, "2345-6789");
    harness.get_by_label("2345-6789");
    harness.get_by_label("登记").click();
    harness.run_steps(1);
    assert!(harness.state().enrol.busy());
    step_until(&mut harness, "the refusal", |app| {
        !app.enrol.busy() && app.enrol.message.is_some()
    });
    harness.run_steps(1);
    harness.get_by_label_contains("没有这个注册码");
    assert_eq!(harness.state().screen, Screen::Enrol);

    let code = server.code();
    type_code(&mut harness, &code.to_string());
    harness.get_by_label(&code.to_string());
    harness.get_by_label("登记").click();
    step_until(&mut harness, "the enrolment", |app| {
        app.screen == Screen::Scan
    });
    let token_file: PathBuf = dir.path().join("data/token");
    assert_eq!(mode(&token_file), 0o600);
    assert!(server.accepts(&std::fs::read_to_string(&token_file).unwrap()));
    // It syncs with the new token at once, heartbeat included.
    step_until(&mut harness, "the first sync", |app| {
        app.engine.sync_status().last_success.is_some()
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let heartbeat = loop {
        if let Some(h) = server.heartbeats().pop() {
            break h;
        }
        assert!(Instant::now() < deadline, "no heartbeat reached the server");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(heartbeat.version, env!("CARGO_PKG_VERSION"));
    // `camera = "none"`: a scanner-only kiosk, not a failing camera.
    assert_eq!(heartbeat.camera, baodao_shared::protocol::CameraHealth::Off);
    assert_eq!(heartbeat.pending, 0);
    assert!(
        heartbeat.disk_free_mb.is_some_and(|mb| mb > 0),
        "{heartbeat:?}"
    );
    assert!(heartbeat.last_error.is_none(), "{heartbeat:?}");
    // The next start finds the token in the data dir: no enrolment screen.
    drop(harness);
    let mut again = self::harness(config(dir.path(), &server, "none"));
    again.run_steps(2);
    assert_eq!(again.state().screen, Screen::Scan);
}

#[test]
fn the_offices_qr_code_shown_to_the_camera_enrols_the_kiosk() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    // What `kiosks enrol-code --qr` writes, as the camera sees it.
    let code = server.code();
    let image = baodao_sync_server::card_image::qr_image(&code.qr_text(), 6).unwrap();
    let mut frame = image::GrayImage::from_pixel(640, 480, image::Luma([235]));
    image::imageops::overlay(&mut frame, &image, 170, 90);
    frame.save(frames.join("qr.png")).unwrap();

    let mut harness = harness(config(
        dir.path(),
        &server,
        &format!("replay:{}", frames.display()),
    ));
    // The camera may read the code within the first frames: no wait here.
    assert_eq!(harness.state().screen, Screen::Enrol);
    step_until(&mut harness, "the enrolment by camera", |app| {
        app.screen == Screen::Scan
    });
    let token = std::fs::read_to_string(dir.path().join("data/token")).unwrap();
    assert!(server.accepts(&token));
}

/// Every key of the code's keyboard on screen and a fingertip wide, on
/// the small screen and the large one (the widest row once ran off the
/// right edge at 1280 px).
#[test]
fn every_key_is_on_screen_and_big_enough_for_a_finger() {
    let server = Server::start();
    for size in [egui::vec2(1280.0, 800.0), egui::vec2(1920.0, 1080.0)] {
        let dir = tempfile::tempdir().unwrap();
        let mut harness = harness_sized(config(dir.path(), &server, "none"), size);
        harness.run_steps(3);
        let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
        let buttons: Vec<_> = harness
            .root()
            .children_recursive()
            .filter(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
            .map(|n| (n.accesskit_node().label(), n.rect()))
            .collect();
        assert!(buttons.len() >= 40, "{buttons:?}");
        for (label, rect) in buttons {
            assert!(
                screen.contains_rect(rect),
                "{label:?} at {size:?}: {rect:?}"
            );
            assert!(
                rect.height() >= 48.0 && rect.width() >= 48.0,
                "{label:?}: {rect:?}"
            );
        }
    }
}

/// A kiosk whose token the server refuses (revoked, or replaced by another
/// enrolment): staff enrol it again from the Sync tab, and it syncs.
#[test]
fn staff_enrol_again_when_the_server_refuses_the_token() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let pin_hash = baodao_kiosk::app::pin::hash("246810").unwrap();
    let path = dir.path().join("kiosk.toml");
    std::fs::write(
        &path,
        format!(
            "server_url = \"{}\"\ntoken = \"bdk_{}\"\ncommunity = \"C01\"\ndata_dir = \"{}\"\ncamera = \"none\"\nsync_interval_secs = 1\nstaff_pin_hash = \"{pin_hash}\"\n",
            server.url,
            "0".repeat(64),
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let mut harness = harness(Config::from_sources(Some(&path), |_| None).unwrap());
    harness.run_steps(2);
    assert_eq!(harness.state().screen, Screen::Scan);
    step_until(&mut harness, "the refusal", |app| {
        app.engine.sync_status().token_refused
    });

    harness.get_by_label("工作人员").click();
    harness.run_steps(2);
    for digit in "246810".chars() {
        harness.get_by_label(&digit.to_string()).click();
        harness.run_steps(1);
    }
    harness.get_by_label("进入").click();
    harness.run_steps(1);
    step_until(&mut harness, "the PIN check", |app| {
        matches!(app.screen, Screen::Staff(_))
    });
    harness.get_by_label("同步").click();
    harness.run_steps(2);
    harness.get_by_label_contains("refused this kiosk's token");
    harness.get_by_label("用新的注册码重新登记本机").click();
    harness.run_steps(2);
    assert_eq!(harness.state().screen, Screen::Enrol);
    // Staff may go back: the kiosk keeps working offline meanwhile.
    harness.get_by_label("返回签到").click();
    harness.run_steps(2);
    assert_eq!(harness.state().screen, Screen::Scan);

    harness
        .state_mut()
        .act(baodao_kiosk::app::Action::StartEnrol);
    harness.run_steps(2);
    let code = server.code();
    type_code(&mut harness, &code.to_string());
    harness.get_by_label("登记").click();
    step_until(&mut harness, "the enrolment", |app| {
        app.screen == Screen::Scan
    });
    step_until(&mut harness, "a sync with the new token", |app| {
        let status = app.engine.sync_status();
        status.last_success.is_some() && !status.token_refused
    });
    let token = std::fs::read_to_string(dir.path().join("data/token")).unwrap();
    assert!(server.accepts(&token));
}
