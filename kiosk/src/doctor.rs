//! `baodao-kiosk doctor`: what a volunteer (or someone on the phone with one)
//! checks when a kiosk misbehaves, one line per check with the fix for each
//! failure. It reads and asks; it changes nothing on the machine.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::camera;
use crate::config::{CameraSpec, Config};
use crate::domain::health::{DISK_FULL, DISK_LOW};
use crate::sync::client::SyncClient;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do about a warning or a failure.
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn bad(
        name: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            name,
            status,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        write!(f, "{status} {}: {}", self.name, self.detail)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n     fix: {fix}")?;
        }
        Ok(())
    }
}

/// Whether every check passed (warnings pass).
pub fn healthy(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}

/// How long the camera may take to give its first frame.
const FIRST_FRAME: Duration = Duration::from_secs(10);

/// Runs every check against the configuration at `config_path`.
pub fn run(config_path: &Path) -> Vec<Check> {
    let config = match Config::load(Some(config_path)) {
        Ok(config) => config,
        Err(e) => {
            return vec![Check::bad(
                "config",
                Status::Fail,
                format!("{}: {e}", config_path.display()),
                format!(
                    "edit {} (the template is /usr/share/doc/baodao-kiosk/kiosk.toml), or name another with --config",
                    config_path.display()
                ),
            )];
        }
    };
    let mut checks = vec![Check::ok("config", config_path.display().to_string())];
    checks.push(data_dir(&config.data_dir));
    checks.push(disk(&config.data_dir));
    checks.push(font());
    checks.push(camera(&config.camera, config.replay_fps));
    checks.extend(server(&config));
    checks
}

fn data_dir(dir: &Path) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let fix = format!(
        "create it for the kiosk's user: install -d -m 0700 -o baodao-kiosk -g baodao-kiosk {}",
        dir.display()
    );
    let meta = match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => meta,
        Ok(_) => {
            return Check::bad(
                "data dir",
                Status::Fail,
                format!("{} is not a directory", dir.display()),
                fix,
            );
        }
        Err(e) => {
            return Check::bad(
                "data dir",
                Status::Fail,
                format!("{}: {e}", dir.display()),
                fix,
            );
        }
    };
    // A write that reaches the disk, as a check-in's does.
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let written = std::fs::File::create(&probe)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"probe").and_then(|()| f.sync_all()));
    let _ = std::fs::remove_file(&probe);
    if let Err(e) = written {
        return Check::bad(
            "data dir",
            Status::Fail,
            format!("{}: cannot write: {e}", dir.display()),
            format!(
                "give it to the kiosk's user: chown -R baodao-kiosk: {}",
                dir.display()
            ),
        );
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Check::bad(
            "data dir",
            Status::Warn,
            format!(
                "{} is readable by others (mode {mode:o}): it holds members' names",
                dir.display()
            ),
            format!("chmod 700 {}", dir.display()),
        );
    }
    // The kiosk refuses to start with a database or token others can read.
    for name in ["kiosk.sqlite", "token"] {
        let file = dir.join(name);
        if file.exists()
            && let Err(e) = crate::files::check_private(&file)
        {
            return Check::bad(
                "data dir",
                Status::Fail,
                e.to_string(),
                format!("chmod 600 {}", file.display()),
            );
        }
    }
    Check::ok(
        "data dir",
        format!("{} (mode {mode:o}, writable)", dir.display()),
    )
}

/// Pure: the verdict on `free` bytes: a day of check-ins is kilobytes, but
/// SQLite needs room to checkpoint and the journal to log. The banner's
/// lines.
pub fn disk_status(free: u64) -> Status {
    if free < DISK_FULL {
        Status::Fail
    } else if free < DISK_LOW {
        Status::Warn
    } else {
        Status::Ok
    }
}

fn disk(dir: &Path) -> Check {
    let free = match crate::files::free_space(dir) {
        Ok(free) => free,
        Err(e) => {
            return Check::bad(
                "disk",
                Status::Fail,
                e.to_string(),
                "see the data dir check",
            );
        }
    };
    let detail = format!("{} MiB free for {}", free >> 20, dir.display());
    match disk_status(free) {
        Status::Ok => Check::ok("disk", detail),
        status => Check::bad(
            "disk",
            status,
            detail,
            "free space: sudo journalctl --vacuum-size=100M; sudo apt-get clean; remove old files from USB exports",
        ),
    }
}

fn font() -> Check {
    match ab_glyph::FontRef::try_from_slice(crate::app::fonts::CJK_FONT) {
        Ok(font) => {
            use ab_glyph::Font;
            let missing: String = "報到签到積分"
                .chars()
                .filter(|&c| font.glyph_id(c).0 == 0)
                .collect();
            if missing.is_empty() {
                Check::ok(
                    "font",
                    format!(
                        "bundled CJK font ({} KiB) draws Chinese",
                        crate::app::fonts::CJK_FONT.len() >> 10
                    ),
                )
            } else {
                Check::bad(
                    "font",
                    Status::Fail,
                    format!("the bundled font lacks {missing}"),
                    "reinstall the baodao-kiosk package",
                )
            }
        }
        Err(e) => Check::bad(
            "font",
            Status::Fail,
            format!("the bundled CJK font does not load: {e}"),
            "reinstall the baodao-kiosk package",
        ),
    }
}

/// How far the camera got.
enum Grab {
    NotOpened(crate::Error),
    NoFrame(String, crate::Error),
    Frame(String, u32, u32),
}

fn camera(spec: &CameraSpec, fps: f32) -> Check {
    let fix = "plug the camera in (ls -l /dev/video*: the kiosk's user must be in group video), or set camera = \"index:N\" from the staff screen's camera list";
    // A stalled driver never returns: the camera is opened and read on a
    // thread of its own, and waited for at most FIRST_FRAME.
    let started = Instant::now();
    let (sent, grabbed) = crossbeam_channel::bounded(1);
    let opening = spec.clone();
    let thread = std::thread::Builder::new()
        .name("baodao-doctor-camera".into())
        .spawn(move || {
            let grab = match camera::open(&opening, fps) {
                Err(e) => Grab::NotOpened(e),
                Ok(mut source) => {
                    let describe = source.describe();
                    match source.next_frame() {
                        Ok(image) => Grab::Frame(describe, image.width(), image.height()),
                        Err(e) => Grab::NoFrame(describe, e),
                    }
                }
            };
            let _ = sent.send(grab);
        });
    if let Err(e) = thread {
        return Check::bad("camera", Status::Fail, e.to_string(), fix);
    }
    match grabbed.recv_timeout(FIRST_FRAME) {
        Ok(Grab::Frame(describe, width, height)) => Check::ok(
            "camera",
            format!(
                "{describe}: a {width}×{height} frame in {} ms",
                started.elapsed().as_millis()
            ),
        ),
        Ok(Grab::NotOpened(e)) => {
            let why = match e {
                crate::Error::Camera(why) => why,
                other => other.to_string(),
            };
            Check::bad(
                "camera",
                Status::Fail,
                format!("camera = \"{spec}\": {why}{}", present_cameras()),
                fix,
            )
        }
        Ok(Grab::NoFrame(describe, e)) => Check::bad(
            "camera",
            Status::Fail,
            format!("{describe} opened but gave no frame: {e}"),
            fix,
        ),
        Err(_) => Check::bad(
            "camera",
            Status::Fail,
            format!("{spec} gave no frame within {} s", FIRST_FRAME.as_secs()),
            "unplug the camera and plug it in again; try another USB port",
        ),
    }
}

fn present_cameras() -> String {
    match camera::present() {
        Ok(list) if list.is_empty() => " (no camera present)".into(),
        Ok(list) => format!(
            " (present: {})",
            list.iter()
                .map(|(i, name)| format!("index:{i} {name}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(_) => String::new(),
    }
}

/// Pure: the verdict on the kiosk's clock against the server's.
pub fn clock_status(offset: chrono::Duration) -> Status {
    let off = offset.num_seconds().unsigned_abs();
    if off <= 60 {
        Status::Ok
    } else if off <= 600 {
        Status::Warn
    } else {
        Status::Fail
    }
}

fn server(config: &Config) -> Vec<Check> {
    let Some(url) = &config.server_url else {
        return vec![Check::bad(
            "server",
            Status::Fail,
            "no server_url: the kiosk works offline and never syncs",
            "set server_url in the config to the office's server",
        )];
    };
    let Some(token) = &config.token else {
        return vec![Check::bad(
            "token",
            Status::Fail,
            "not enrolled: the kiosk has no token yet",
            format!(
                "ask the office for an enrolment code (kiosks enrol-code), then type it on the kiosk's screen or run: baodao-kiosk enroll --code CODE --data-dir {}",
                config.data_dir.display()
            ),
        )];
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return vec![Check::bad(
                "server",
                Status::Fail,
                e.to_string(),
                "see the journal",
            )];
        }
    };
    runtime.block_on(ask_server(url, token, config.ca_file.as_deref()))
}

async fn ask_server(url: &str, token: &str, ca_file: Option<&Path>) -> Vec<Check> {
    let client = match SyncClient::new(url, token, ca_file) {
        Ok(client) => client,
        Err(e) => {
            return vec![Check::bad(
                "tls",
                Status::Fail,
                e.to_string(),
                "apt-get install ca-certificates; check ca_file in the config",
            )];
        }
    };
    let mut checks = Vec::new();
    let asked = Utc::now();
    let date = match client.health().await {
        Ok(date) => {
            checks.push(Check::ok("server", format!("{url} answers")));
            date
        }
        Err(e) => {
            let text = e.to_string();
            let tls = text.contains("certificate") || text.contains("tls") || text.contains("TLS");
            checks.push(if tls {
                Check::bad(
                    "tls",
                    Status::Fail,
                    format!("{url}: {text}"),
                    "the server's certificate is not trusted: set ca_file to the office's CA, and check this machine's date",
                )
            } else {
                Check::bad(
                    "server",
                    Status::Fail,
                    format!("{url}: {text}"),
                    format!("check the network cable or Wi-Fi, then: curl {url}/healthz"),
                )
            });
            return checks;
        }
    };
    checks.push(clock(date, asked));
    checks.push(match client.snapshot(None).await {
        Ok(snapshot) => Check::ok(
            "token",
            format!(
                "accepted: community {}, {} members",
                snapshot.community,
                snapshot.members.len()
            ),
        ),
        Err(e) => Check::bad(
            "token",
            Status::Fail,
            e.to_string(),
            "the token was revoked or replaced: ask the office for an enrolment code and run baodao-kiosk enroll",
        ),
    });
    checks
}

fn clock(date: Option<DateTime<Utc>>, asked: DateTime<Utc>) -> Check {
    let Some(date) = date else {
        return Check::bad(
            "clock",
            Status::Warn,
            "the server sent no Date header to compare with",
            "compare `date` with a phone's clock",
        );
    };
    // The header has whole seconds; the request took a moment.
    let offset = asked - date;
    let detail = format!(
        "{:+} s against the server ({})",
        offset.num_seconds(),
        Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    );
    match clock_status(offset) {
        Status::Ok => Check::ok("clock", detail),
        status => Check::bad(
            "clock",
            status,
            detail,
            "turn on network time: sudo timedatectl set-ntp true (check-ins carry the kiosk's clock)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_and_clock_verdicts() {
        assert_eq!(disk_status(0), Status::Fail);
        assert_eq!(disk_status((100 << 20) - 1), Status::Fail);
        assert_eq!(disk_status(100 << 20), Status::Warn);
        assert_eq!(disk_status(1 << 30), Status::Ok);
        assert_eq!(disk_status(u64::MAX), Status::Ok);
        let s = chrono::Duration::seconds;
        assert_eq!(clock_status(s(0)), Status::Ok);
        assert_eq!(clock_status(s(-60)), Status::Ok);
        assert_eq!(clock_status(s(61)), Status::Warn);
        assert_eq!(clock_status(s(-600)), Status::Warn);
        assert_eq!(clock_status(s(601)), Status::Fail);
        assert_eq!(clock_status(chrono::Duration::MIN), Status::Fail);
    }

    #[test]
    fn a_failure_prints_its_fix_under_it() {
        let check = Check::bad("disk", Status::Fail, "3 MiB free", "free space");
        assert_eq!(
            check.to_string(),
            "FAIL disk: 3 MiB free\n     fix: free space"
        );
        assert_eq!(Check::ok("font", "fine").to_string(), "ok   font: fine");
        assert!(!healthy(&[Check::ok("a", ""), check]));
        assert!(healthy(&[Check::bad("b", Status::Warn, "", "")]));
    }
}
