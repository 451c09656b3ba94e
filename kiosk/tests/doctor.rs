//! `baodao-kiosk doctor` from a shell: a line per check, the fix under each
//! failure, and a non-zero exit when one fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn doctor_prints_a_line_per_check_and_fails_on_a_broken_kiosk() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "server_url = \"http://127.0.0.1:9\"\ntoken = \"bdk_x\"\ncommunity = \"C01\"\ndata_dir = \"{}\"\ncamera = \"synthetic\"\n",
            dir.path().join("missing").display()
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_baodao-kiosk"))
        .args(["doctor", "--config"])
        .arg(&config)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ok   config: "), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with("FAIL data dir: ")),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.starts_with("ok   disk: ")), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with("ok   camera: ")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("FAIL server: ")),
        "{text}"
    );
    // Every failure is followed by its fix.
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("FAIL") {
            assert!(
                lines
                    .get(i + 1)
                    .is_some_and(|l| l.trim_start().starts_with("fix: ")),
                "{text}"
            );
        }
    }
}
