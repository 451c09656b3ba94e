//! The kiosk's settings: a TOML file, then `BAODAO_*` variables.

use std::path::{Path, PathBuf};

use baodao_shared::{ActivityId, Community};
use serde::Deserialize;

use crate::error::{Error, Result};

pub const DEFAULT_CONFIG: &str = "/etc/baodao/kiosk.toml";

/// Where frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSpec {
    /// The first camera that opens.
    Auto,
    Index(u32),
    /// The first camera whose name contains this text.
    Name(String),
    /// Image files of a folder, in name order, looped.
    Replay(PathBuf),
    /// Rendered demo cards over a background.
    Synthetic,
    None,
}

impl std::str::FromStr for CameraSpec {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        Ok(match text.split_once(':') {
            _ if text == "auto" => Self::Auto,
            _ if text == "synthetic" => Self::Synthetic,
            _ if text == "none" => Self::None,
            Some(("index", n)) => {
                Self::Index(n.parse().map_err(|_| {
                    Error::Config(format!("camera: {text:?}: index:N takes a number"))
                })?)
            }
            Some(("name", name)) if !name.is_empty() => Self::Name(name.to_owned()),
            Some(("replay", dir)) if !dir.is_empty() => Self::Replay(PathBuf::from(dir)),
            _ => {
                return Err(Error::Config(format!(
                    "camera: {text:?}: use auto, index:N, name:TEXT, replay:DIR, synthetic or none"
                )));
            }
        })
    }
}

/// As written in the config (and read back by `FromStr`).
impl std::fmt::Display for CameraSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Index(n) => write!(f, "index:{n}"),
            Self::Name(name) => write!(f, "name:{name}"),
            Self::Replay(dir) => write!(f, "replay:{}", dir.display()),
            Self::Synthetic => f.write_str("synthetic"),
            Self::None => f.write_str("none"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-Hans")]
    ZhHans,
    #[serde(rename = "zh-Hant")]
    ZhHant,
    #[serde(rename = "en")]
    En,
}

impl std::str::FromStr for Language {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "zh-Hans" => Ok(Self::ZhHans),
            "zh-Hant" => Ok(Self::ZhHant),
            "en" => Ok(Self::En),
            _ => Err(Error::Config(format!(
                "language: {text:?}: use zh-Hans, zh-Hant or en"
            ))),
        }
    }
}

/// Which activity check-ins are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityChoice {
    /// The one scheduled now at this kiosk's community.
    Auto,
    Fixed(ActivityId),
}

#[derive(Clone)]
pub struct Config {
    pub server_url: Option<String>,
    pub token: Option<String>,
    pub community: Community,
    pub data_dir: PathBuf,
    pub camera: CameraSpec,
    pub language: Language,
    pub staff_pin_hash: Option<String>,
    /// Personal staff PINs: who unlocked staff mode is recorded with each
    /// manual check-in and void.
    pub staff: Vec<StaffPin>,
    pub activity: ActivityChoice,
    pub sync_interval_secs: u64,
    pub replay_fps: f32,
    /// Extra trusted roots (PEM): the office's own CA, beside the system's.
    pub ca_file: Option<PathBuf>,
    /// Where staff may export CSV (a USB stick's mount point); exports go
    /// nowhere else.
    pub export_dir: PathBuf,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("server_url", &self.server_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("community", &self.community)
            .field("data_dir", &self.data_dir)
            .field("camera", &self.camera)
            .field("language", &self.language)
            .field(
                "staff_pin_hash",
                &self.staff_pin_hash.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "staff",
                &self.staff.iter().map(|s| &s.name).collect::<Vec<_>>(),
            )
            .field("activity", &self.activity)
            .field("sync_interval_secs", &self.sync_interval_secs)
            .field("ca_file", &self.ca_file)
            .field("export_dir", &self.export_dir)
            .finish_non_exhaustive()
    }
}

/// The file's keys, all optional so the environment can fill them in.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKeys {
    server_url: Option<String>,
    token: Option<String>,
    token_file: Option<PathBuf>,
    community: Option<String>,
    data_dir: Option<PathBuf>,
    camera: Option<String>,
    language: Option<String>,
    staff_pin_hash: Option<String>,
    #[serde(default)]
    staff: Vec<StaffPin>,
    activity: Option<String>,
    sync_interval_secs: Option<u64>,
    replay_fps: Option<f32>,
    allow_insecure_http: Option<bool>,
    ca_file: Option<PathBuf>,
    export_dir: Option<PathBuf>,
}

impl Config {
    /// Reads `path` (when it exists or was named) and applies `BAODAO_*`.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        Self::from_sources(path, |name| std::env::var(name).ok())
    }

    pub fn from_sources(path: Option<&Path>, var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let default = Path::new(DEFAULT_CONFIG);
        let file = match path {
            Some(path) => Some(read(path)?),
            None if default.exists() => Some(read(default)?),
            None => None,
        };
        let mut f = file.unwrap_or_default();
        let env = |key: &str, slot: &mut Option<String>| {
            if let Some(v) = var(key) {
                *slot = Some(v);
            }
        };
        env("BAODAO_SERVER_URL", &mut f.server_url);
        env("BAODAO_TOKEN", &mut f.token);
        env("BAODAO_COMMUNITY", &mut f.community);
        env("BAODAO_CAMERA", &mut f.camera);
        env("BAODAO_LANGUAGE", &mut f.language);
        env("BAODAO_STAFF_PIN_HASH", &mut f.staff_pin_hash);
        env("BAODAO_ACTIVITY", &mut f.activity);
        if let Some(v) = var("BAODAO_TOKEN_FILE") {
            f.token_file = Some(v.into());
        }
        if let Some(v) = var("BAODAO_DATA_DIR") {
            f.data_dir = Some(v.into());
        }
        if let Some(v) = var("BAODAO_CA_FILE") {
            f.ca_file = Some(v.into());
        }
        if let Some(v) = var("BAODAO_EXPORT_DIR") {
            f.export_dir = Some(v.into());
        }
        if let Some(v) = var("BAODAO_ALLOW_INSECURE_HTTP") {
            f.allow_insecure_http = Some(matches!(v.as_str(), "1" | "true" | "yes"));
        }
        if let Some(v) = var("BAODAO_SYNC_INTERVAL_SECS") {
            f.sync_interval_secs = Some(
                v.parse()
                    .map_err(|_| Error::Config(format!("BAODAO_SYNC_INTERVAL_SECS: {v:?}")))?,
            );
        }

        let data_dir = f
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/var/lib/baodao-kiosk"));
        // An enrolled kiosk's token is in its data dir; a token or a
        // token_file set by hand comes first.
        let enrolled = crate::enrol::token_path(&data_dir);
        let token_file = f
            .token_file
            .or_else(|| enrolled.exists().then_some(enrolled));
        let token = match (f.token, token_file) {
            (Some(token), _) => Some(token),
            (None, Some(file)) => {
                crate::files::check_private(&file)?;
                Some(
                    std::fs::read_to_string(&file)
                        .map_err(Error::io(format!("reading token_file {}", file.display())))?
                        .trim()
                        .to_owned(),
                )
            }
            (None, None) => None,
        };
        let community = f
            .community
            .ok_or_else(|| {
                Error::Config("community is required (e.g. community = \"C01\")".into())
            })?
            .parse()?;
        let activity = match f.activity.as_deref() {
            None | Some("auto") => ActivityChoice::Auto,
            Some(id) => ActivityChoice::Fixed(id.parse()?),
        };
        let server_url = f.server_url.map(|url| url.trim_end_matches('/').to_owned());
        if let Some(url) = &server_url {
            check_server_url(url, f.allow_insecure_http.unwrap_or(false))?;
        }
        Ok(Self {
            server_url,
            token,
            community,
            data_dir,
            camera: f.camera.as_deref().unwrap_or("auto").parse()?,
            language: f.language.as_deref().unwrap_or("zh-Hans").parse()?,
            staff_pin_hash: f.staff_pin_hash,
            staff: check_staff(f.staff)?,
            activity,
            sync_interval_secs: f.sync_interval_secs.unwrap_or(30).max(1),
            replay_fps: f.replay_fps.unwrap_or(10.0).clamp(0.1, 120.0),
            ca_file: f.ca_file,
            export_dir: f.export_dir.unwrap_or_else(|| PathBuf::from("/media")),
        })
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("kiosk.sqlite")
    }

    /// Every PIN that opens staff mode, with whose it is. The shared
    /// `staff_pin_hash` of older configurations is "staff".
    pub fn staff_pins(&self) -> Vec<StaffPin> {
        self.staff_pin_hash
            .iter()
            .map(|hash| StaffPin {
                name: SHARED_PIN_NAME.into(),
                pin_hash: hash.clone(),
            })
            .chain(self.staff.iter().cloned())
            .collect()
    }
}

/// The name recorded for the shared `staff_pin_hash`.
pub const SHARED_PIN_NAME: &str = "staff";

/// One staff member's PIN (`[[staff]]` in the configuration).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffPin {
    pub name: String,
    /// From `baodao-kiosk hash-pin`.
    pub pin_hash: String,
}

impl std::fmt::Debug for StaffPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffPin")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Names are what the office's audit shows: 1 to 64 characters, no
/// control characters, each once.
fn check_staff(staff: Vec<StaffPin>) -> Result<Vec<StaffPin>> {
    let mut seen = std::collections::HashSet::new();
    staff
        .into_iter()
        .map(|pin| {
            let name = baodao_shared::bounds::check_text(
                "staff name",
                &pin.name,
                baodao_shared::bounds::MAX_STAFF_CHARS,
            )
            .map_err(|e| Error::Config(format!("[[staff]] {:?}: {e}", pin.name)))?
            .to_owned();
            if name == SHARED_PIN_NAME || !seen.insert(name.clone()) {
                return Err(Error::Config(format!(
                    "[[staff]] {name:?} is named twice (or is the shared PIN's name)"
                )));
            }
            Ok(StaffPin { name, ..pin })
        })
        .collect()
}

/// HTTPS, or plain HTTP to this machine. Plain HTTP across a network shows
/// the token and the roster to anyone on the way, and lets them swap the
/// card keys: only with `allow_insecure_http = true`, for a closed network.
/// Refuses a server URL that is not HTTP(S), or plain HTTP to another
/// machine unless allowed.
pub fn check_server_url(url: &str, allow_insecure_http: bool) -> Result<()> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::Config(format!("server_url: {url:?} is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback || allow_insecure_http {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "server_url: {url:?} is plain HTTP to another machine: the token and the roster \
                     would travel in clear. Use https://, or set allow_insecure_http = true on a closed network"
                )))
            }
        }
        _ => Err(Error::Config(format!(
            "server_url: {url:?} must start with http:// or https://"
        ))),
    }
}

fn read(path: &Path) -> Result<FileKeys> {
    let text =
        std::fs::read_to_string(path).map_err(Error::io(format!("reading {}", path.display())))?;
    toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        std::fs::write(dir.path().join("token"), "bdk_secret\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = std::fs::Permissions::from_mode(0o600);
            std::fs::set_permissions(dir.path().join("token"), private).unwrap();
        }
        std::fs::write(
            &path,
            format!(
                "server_url = \"http://127.0.0.1:8420/\"\ntoken_file = \"{}\"\ncommunity = \"C01\"\ncamera = \"replay:/tmp/frames\"\nlanguage = \"en\"\nactivity = \"A7\"\n",
                dir.path().join("token").display()
            ),
        )
        .unwrap();
        let config = Config::from_sources(Some(&path), |_| None).unwrap();
        assert_eq!(config.server_url.as_deref(), Some("http://127.0.0.1:8420"));
        assert_eq!(config.token.as_deref(), Some("bdk_secret"));
        assert_eq!(config.camera, CameraSpec::Replay("/tmp/frames".into()));
        assert_eq!(config.language, Language::En);
        assert_eq!(
            config.activity,
            ActivityChoice::Fixed("A7".parse().unwrap())
        );
        assert!(
            !format!("{config:?}").contains("bdk_secret"),
            "Debug redacts the token"
        );

        let env = Config::from_sources(Some(&path), |k| {
            (k == "BAODAO_CAMERA").then(|| "index:2".to_owned())
        })
        .unwrap();
        assert_eq!(env.camera, CameraSpec::Index(2));
    }

    #[test]
    fn mistakes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        for (text, needle) in [
            ("community = \"C01\"\ncamera = \"webcam\"\n", "camera"),
            ("community = \"C01\"\nlanguage = \"fr\"\n", "language"),
            ("", "community"),
            ("community = \"C01\"\ncolour = 1\n", "colour"),
            (
                "community = \"C01\"\nserver_url = \"ftp://x\"\n",
                "server_url",
            ),
            (
                "community = \"C01\"\nserver_url = \"http://office.example:8420\"\n",
                "allow_insecure_http",
            ),
            (
                "community = \"C01\"\nserver_url = \"http://10.0.0.5\"\n",
                "in clear",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = Config::from_sources(Some(&path), |_| None)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err}");
        }
        for (url, extra) in [
            ("https://office.example", ""),
            ("http://127.0.0.1:8420", ""),
            ("http://localhost:8420", ""),
            ("http://[::1]:8420", ""),
            ("http://10.0.0.5:8420", "allow_insecure_http = true\n"),
        ] {
            std::fs::write(
                &path,
                format!("community = \"C01\"\nserver_url = \"{url}\"\n{extra}"),
            )
            .unwrap();
            assert!(Config::from_sources(Some(&path), |_| None).is_ok(), "{url}");
        }
    }

    #[test]
    fn personal_staff_pins_are_named_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        let entry = |name: &str| format!("[[staff]]\nname = \"{name}\"\npin_hash = \"h\"\n");
        std::fs::write(
            &path,
            format!(
                "community = \"C01\"\nstaff_pin_hash = \"shared\"\n{}{}",
                entry(" 王芳 "),
                entry("李強")
            ),
        )
        .unwrap();
        let config = Config::from_sources(Some(&path), |_| None).unwrap();
        let names: Vec<String> = config.staff_pins().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["staff", "王芳", "李強"]);
        assert!(!format!("{config:?}").contains("pin_hash = "));
        for (staff, needle) in [
            (entry("王芳") + &entry("王芳"), "twice"),
            (entry("staff"), "twice"),
            (entry(""), "staff name"),
            (entry(&"字".repeat(65)), "longer than 64"),
            ("[[staff]]\nname = \"x\"\n".to_owned(), "pin_hash"),
        ] {
            std::fs::write(&path, format!("community = \"C01\"\n{staff}")).unwrap();
            let err = Config::from_sources(Some(&path), |_| None)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{staff}: {err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "bdk_secret\n").unwrap();
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let path = dir.path().join("kiosk.toml");
        std::fs::write(
            &path,
            format!(
                "community = \"C01\"\ntoken_file = \"{}\"\n",
                token.display()
            ),
        )
        .unwrap();
        let err = Config::from_sources(Some(&path), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        let config = Config::from_sources(Some(&path), |_| None).unwrap();
        assert_eq!(config.token.as_deref(), Some("bdk_secret"));
    }
}
