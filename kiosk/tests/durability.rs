//! Killing the kiosk at any moment (kill -9) loses no check-in it showed as
//! done: the real binary, headless, killed mid-stream.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baodao_kiosk::store::Store;
use common::Fixture;

#[test]
fn kill_9_loses_no_acknowledged_check_in() {
    let fixture = Fixture::new(400);
    let mut child = Command::new(env!("CARGO_BIN_EXE_baodao-kiosk"))
        .args(["--headless", "--config"])
        .arg(fixture.config_path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // A scanner types cards as fast as the kiosk takes them.
    let mut stdin = child.stdin.take().unwrap();
    let cards: Vec<String> = (0..400).map(|i| fixture.card(i)).collect();
    let writer = std::thread::Builder::new()
        .name("scanner".into())
        .spawn(move || {
            for card in cards {
                if writeln!(stdin, "{card}").is_err() {
                    break;
                }
            }
            // Keep stdin open until killed.
            std::thread::sleep(Duration::from_secs(30));
        })
        .unwrap();

    let (lines_tx, lines) = std::sync::mpsc::sync_channel(1000);
    let stdout = child.stdout.take().unwrap();
    std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    let mut acknowledged = HashSet::new();
    let deadline = Instant::now() + Duration::from_mins(1);
    while acknowledged.len() < 150 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines.recv_timeout(left) else {
            let _ = child.kill();
            panic!("only {} check-ins acknowledged in time", acknowledged.len());
        };
        let outcome: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(outcome["outcome"], "accepted", "{line}");
        acknowledged.insert(outcome["record_id"].as_str().unwrap().to_owned());
    }
    // Mid-stream: more cards are queued and being written right now.
    child.kill().unwrap();
    child.wait().unwrap();
    drop(writer);

    assert!(acknowledged.len() >= 150);
    let store = Store::open(&fixture.config.database_path()).unwrap();
    let stored: HashSet<String> = store
        .check_ins(None, None, "", 10_000)
        .unwrap()
        .into_iter()
        .map(|row| row.record.record_id.to_string())
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}
