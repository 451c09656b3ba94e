//! The systemd units, as systemd reads them: `systemd-analyze verify` on a
//! root holding the repository's units, the system's own units (targets)
//! and an executable at every path the units run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn units() -> Vec<PathBuf> {
    let mut units: Vec<PathBuf> = std::fs::read_dir(repo().join("systemd"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "service"))
        .collect();
    units.sort();
    units
}

/// The programs a unit runs: the first word of each `Exec*=` line, without
/// systemd's prefixes (`-`, `@`, `+`, `!`, `:`).
fn programs(unit: &str) -> Vec<String> {
    unit.lines()
        .filter_map(|line| line.trim().strip_prefix("Exec"))
        .filter_map(|rest| rest.split_once('=').map(|(_, command)| command))
        .filter_map(|command| command.split_whitespace().next())
        .map(|program| {
            program
                .trim_start_matches(['-', '@', '+', '!', ':'])
                .to_owned()
        })
        .collect()
}

#[test]
fn every_unit_passes_systemd_analyze_verify() {
    let root = tempfile::tempdir().unwrap();
    let system = ["/lib/systemd/system", "/usr/lib/systemd/system"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.join("multi-user.target").exists())
        .expect("systemd's own units (apt-get install systemd; scripts/deps.sh does)");
    std::fs::create_dir_all(root.path().join("lib/systemd")).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(system)
        .arg(root.path().join("lib/systemd/"))
        .status()
        .unwrap();
    assert!(copied.success());
    let units_dir = root.path().join("etc/systemd/system");
    std::fs::create_dir_all(&units_dir).unwrap();
    let mut names = Vec::new();
    for unit in units() {
        let text = std::fs::read_to_string(&unit).unwrap();
        for program in programs(&text) {
            assert!(
                program.starts_with('/'),
                "{}: {program} is not an absolute path",
                unit.display()
            );
            let path = root.path().join(program.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
        }
        let name = unit.file_name().unwrap().to_owned();
        std::fs::copy(&unit, units_dir.join(&name)).unwrap();
        names.push(name);
    }
    assert!(names.len() >= 3, "{names:?}");
    let output = Command::new("systemd-analyze")
        .args(["verify", "--man=no", "--generators=no"])
        .arg(format!("--root={}", root.path().display()))
        .args(&names)
        .output()
        .expect("systemd-analyze (apt-get install systemd; scripts/deps.sh does)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // verify prints what it ignores (a misspelt key, a bad value) and still
    // exits 0: any word from it is a failure.
    assert!(output.status.success() && said.trim().is_empty(), "{said}");
}

#[test]
fn the_kiosk_units_restart_a_hung_kiosk() {
    for name in ["baodao-kiosk.service", "baodao-kiosk-headless.service"] {
        let text = std::fs::read_to_string(repo().join("systemd").join(name)).unwrap();
        for key in [
            "Type=notify",
            "WatchdogSec=",
            "Restart=always",
            "StartLimitBurst=",
        ] {
            assert!(
                text.lines().any(|l| l.starts_with(key)),
                "{name} lacks {key}"
            );
        }
    }
    let server =
        std::fs::read_to_string(repo().join("systemd/baodao-sync-server.service")).unwrap();
    assert!(server.lines().any(|l| l == "Type=notify"));
}
