//! Running the real server binary: start it, find its address, signal it.

// Each test binary uses some of these.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

/// Reads the server's address from its log.
#[cfg(unix)]
pub fn spawn_server(
    dir: &Path,
    listen: &str,
    extra: &[&str],
) -> (std::process::Child, String, std::thread::JoinHandle<String>) {
    spawn_server_with(dir, listen, extra, &[])
}

/// [`spawn_server`] with environment variables set.
#[cfg(unix)]
pub fn spawn_server_with(
    dir: &Path,
    listen: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_baodao-sync-server"))
        .args(["serve", "--listen", listen, "--data-dir"])
        .arg(dir)
        .args(extra)
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut seen = String::new();
    let mut line = String::new();
    while addr.is_none() && stderr.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        addr = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("addr="))
            .map(str::to_owned);
        line.clear();
    }
    let rest = std::thread::Builder::new()
        .name("server-log".into())
        .spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            seen + &rest
        })
        .unwrap();
    (child, addr.expect("the server logs its address"), rest)
}

#[cfg(unix)]
pub fn signal(pid: &str, name: &str) {
    assert!(
        Command::new("kill")
            .args([name, pid])
            .status()
            .unwrap()
            .success()
    );
}
