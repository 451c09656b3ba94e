//! Under systemd (`Type=notify`, `WatchdogSec=`): the real binary, headless,
//! with `NOTIFY_SOCKET` pointed at a socket this test reads, says READY=1
//! and pings the watchdog while its scan thread runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Fixture;

#[test]
fn the_headless_kiosk_says_ready_and_pings_the_watchdog() {
    let fixture = Fixture::new(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_baodao-kiosk"))
        .args(["--headless", "--config"])
        .arg(fixture.config_path())
        .env("RUST_LOG", "warn")
        .env("NOTIFY_SOCKET", &path)
        // 400 ms: a ping every 200 ms.
        .env("WATCHDOG_USEC", "400000")
        .env_remove("WATCHDOG_PID")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let mut messages = Vec::new();
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut buf = [0u8; 512];
    while messages.iter().filter(|m| *m == "WATCHDOG=1").count() < 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "only {messages:?} in a minute");
        socket.set_read_timeout(Some(left)).unwrap();
        let Ok(n) = socket.recv(&mut buf) else {
            continue;
        };
        messages.push(String::from_utf8_lossy(&buf[..n]).trim().to_owned());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(messages[0], "READY=1", "{messages:?}");
    assert!(
        messages[1..].iter().all(|m| m == "WATCHDOG=1"),
        "{messages:?}"
    );
}
