//! Server settings: defaults, then a TOML file, then `BAODAO_*` variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use baodao_shared::Policy;
use baodao_shared::points::parse_time_zone;
use serde::Deserialize;

use crate::error::{Error, Result};
pub use crate::net::tls::TlsFiles;
use crate::store::DatabaseUrl;

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub policy: Policy,
    pub limits: Limits,
    pub net: Net,
    /// Records whose corrected scan time is further than this outside their
    /// activity are held for review.
    pub hold_grace_minutes: i64,
    /// Validity of a newly issued card.
    pub card_validity_days: u32,
    /// Whether this instance issues cards from the console: it then reads
    /// the signing key from its data directory at start (the office's own
    /// instance). Off by default: an instance never reads the key.
    pub issue_cards: bool,
    /// The largest kiosk clock offset corrected; records of a kiosk further
    /// off are held for review.
    pub max_clock_offset_minutes: i64,
    /// Counting manual check-ins one kiosk may make for one activity; more
    /// are held for review.
    pub max_manual_per_activity: u32,
    /// How often a running server reads the card keys again.
    pub key_refresh_secs: u64,
    /// A kiosk not heard from for longer (its heartbeat comes once a
    /// minute) is flagged silent in `kiosks list` and the console.
    pub kiosk_silent_minutes: u32,
    /// Where the data lives; the default is SQLite in the data directory.
    pub database: Option<DatabaseUrl>,
    /// Connections each instance keeps to PostgreSQL.
    pub database_pool_size: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub body_bytes: usize,
    pub batch_records: usize,
    pub request_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 2 * 1024 * 1024,
            batch_records: 2_000,
            request_timeout_secs: 30,
        }
    }
}

/// Connections: TLS, time limits, caps and request rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Net {
    pub tls: Option<TlsFiles>,
    /// How long a client may take to send a request's head; also how long
    /// an idle connection stays open.
    pub header_read_timeout_secs: u64,
    /// Connections served at once; more are closed on arrival.
    pub max_connections: usize,
    /// Requests per minute of one kiosk token (bursts of a quarter of it).
    pub kiosk_requests_per_minute: u32,
    /// Requests per minute from one client address.
    pub address_requests_per_minute: u32,
    /// Behind a reverse proxy (which sets `X-Forwarded-For`): limit by the
    /// address it names, not the proxy's own.
    pub behind_proxy: bool,
}

impl Default for Net {
    fn default() -> Self {
        Self {
            tls: None,
            header_read_timeout_secs: 10,
            max_connections: 4096,
            kiosk_requests_per_minute: 240,
            address_requests_per_minute: 1200,
            behind_proxy: false,
        }
    }
}

impl Settings {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8420)),
            policy: Policy::default(),
            limits: Limits::default(),
            net: Net::default(),
            hold_grace_minutes: 120,
            card_validity_days: 3 * 365,
            issue_cards: false,
            max_clock_offset_minutes: 24 * 60,
            max_manual_per_activity: 50,
            key_refresh_secs: 5,
            kiosk_silent_minutes: 10,
            database: None,
            database_pool_size: 16,
        }
    }

    /// The SQLite file of the data directory (the default database).
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("baodao.sqlite")
    }

    /// The database: as set, or SQLite in the data directory.
    pub fn database_url(&self) -> DatabaseUrl {
        self.database
            .clone()
            .unwrap_or_else(|| crate::store::default_sqlite(&self.data_dir))
    }

    pub fn signing_key_path(&self) -> PathBuf {
        self.data_dir.join("card-signing-key")
    }

    /// Defaults, then `file` (or `DATA_DIR/server.toml` when it exists), then
    /// the environment.
    pub fn load(data_dir: &Path, file: Option<&Path>) -> Result<Self> {
        let mut settings = Self::new(data_dir);
        let default_file = data_dir.join("server.toml");
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| default_file.exists().then_some(default_file));
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .map_err(Error::io(format!("reading {}", path.display())))?;
            let overrides: Overrides = toml::from_str(&text)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
            settings.apply(overrides)?;
        }
        settings.apply(Overrides::from_env(|name| std::env::var(name).ok())?)?;
        Ok(settings)
    }

    fn apply(&mut self, o: Overrides) -> Result<()> {
        if let Some(listen) = o.listen {
            self.listen = listen
                .parse()
                .map_err(|_| Error::Config(format!("listen: {listen:?} is not an address:port")))?;
        }
        if let Some(zone) = o.time_zone {
            self.policy.time_zone = parse_time_zone(&zone)?;
        }
        if let Some(v) = o.annual_cap {
            self.policy.annual_cap = v;
        }
        if let Some(v) = o.points_per_activity {
            self.policy.points_per_activity = v;
        }
        if let Some(v) = o.max_body_bytes {
            self.limits.body_bytes = v;
        }
        if let Some(v) = o.max_batch_records {
            self.limits.batch_records = v;
        }
        if let Some(v) = o.request_timeout_secs {
            self.limits.request_timeout_secs = v;
        }
        if let Some(v) = o.hold_grace_minutes {
            self.hold_grace_minutes = v;
        }
        if let Some(v) = o.card_validity_days {
            self.card_validity_days = v;
        }
        if let Some(v) = o.issue_cards {
            self.issue_cards = v;
        }
        match (o.tls_cert, o.tls_key) {
            (Some(cert), Some(key)) => {
                self.net.tls = Some(TlsFiles {
                    cert: cert.into(),
                    key: key.into(),
                });
            }
            (None, None) => {}
            _ => {
                return Err(Error::Config(
                    "tls_cert and tls_key go together: set both or neither".into(),
                ));
            }
        }
        if let Some(v) = o.header_read_timeout_secs {
            self.net.header_read_timeout_secs = v;
        }
        if let Some(v) = o.max_connections {
            self.net.max_connections = v;
        }
        if let Some(v) = o.kiosk_requests_per_minute {
            self.net.kiosk_requests_per_minute = v;
        }
        if let Some(v) = o.address_requests_per_minute {
            self.net.address_requests_per_minute = v;
        }
        if let Some(v) = o.behind_proxy {
            self.net.behind_proxy = v;
        }
        if let Some(v) = o.max_clock_offset_minutes {
            self.max_clock_offset_minutes = v;
        }
        if let Some(v) = o.max_manual_per_activity {
            self.max_manual_per_activity = v;
        }
        if let Some(v) = o.key_refresh_secs {
            self.key_refresh_secs = v;
        }
        if let Some(v) = o.kiosk_silent_minutes {
            self.kiosk_silent_minutes = v;
        }
        if let Some(url) = o.database_url {
            self.database = Some(DatabaseUrl::parse(&url)?);
        }
        if let Some(v) = o.database_pool_size {
            self.database_pool_size = v;
        }
        self.check()
    }

    /// Every number within what the server can work with: a setting at the
    /// edge of its type must fail at start, not overflow in a request.
    fn check(&self) -> Result<()> {
        let within = |name: &str, value: i128, low: i128, high: i128| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{name} = {value} is outside {low}..={high}"
                )))
            }
        };
        within("annual_cap", self.policy.annual_cap.into(), 1, 366)?;
        within(
            "points_per_activity",
            self.policy.points_per_activity.into(),
            1,
            100,
        )?;
        within(
            "max_body_bytes",
            i128::try_from(self.limits.body_bytes).unwrap_or(i128::MAX),
            1024,
            256 << 20,
        )?;
        within(
            "max_batch_records",
            i128::try_from(self.limits.batch_records).unwrap_or(i128::MAX),
            1,
            100_000,
        )?;
        within(
            "request_timeout_secs",
            self.limits.request_timeout_secs.into(),
            1,
            3600,
        )?;
        within(
            "hold_grace_minutes",
            self.hold_grace_minutes.into(),
            0,
            7 * 24 * 60,
        )?;
        within(
            "card_validity_days",
            self.card_validity_days.into(),
            1,
            20 * 366,
        )?;
        within(
            "max_clock_offset_minutes",
            self.max_clock_offset_minutes.into(),
            0,
            366 * 24 * 60,
        )?;
        within(
            "database_pool_size",
            i128::try_from(self.database_pool_size).unwrap_or(i128::MAX),
            1,
            1000,
        )?;
        within(
            "key_refresh_secs",
            self.key_refresh_secs.into(),
            1,
            24 * 3600,
        )?;
        within(
            "kiosk_silent_minutes",
            self.kiosk_silent_minutes.into(),
            2,
            30 * 24 * 60,
        )?;
        within(
            "max_manual_per_activity",
            self.max_manual_per_activity.into(),
            0,
            100_000,
        )?;
        Ok(())
    }
}

/// The keys a settings file or the environment may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    listen: Option<String>,
    time_zone: Option<String>,
    annual_cap: Option<u32>,
    points_per_activity: Option<u32>,
    max_body_bytes: Option<usize>,
    max_batch_records: Option<usize>,
    request_timeout_secs: Option<u64>,
    hold_grace_minutes: Option<i64>,
    card_validity_days: Option<u32>,
    issue_cards: Option<bool>,
    max_clock_offset_minutes: Option<i64>,
    max_manual_per_activity: Option<u32>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    header_read_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    kiosk_requests_per_minute: Option<u32>,
    address_requests_per_minute: Option<u32>,
    behind_proxy: Option<bool>,
    key_refresh_secs: Option<u64>,
    kiosk_silent_minutes: Option<u32>,
    database_url: Option<String>,
    database_pool_size: Option<usize>,
}

impl Overrides {
    fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        fn number<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<Option<T>> {
            value
                .map(|v| {
                    v.parse()
                        .map_err(|_| Error::Config(format!("{name}: {v:?} is not a number")))
                })
                .transpose()
        }
        Ok(Self {
            listen: var("BAODAO_LISTEN"),
            time_zone: var("BAODAO_TIME_ZONE"),
            annual_cap: number("BAODAO_ANNUAL_CAP", var("BAODAO_ANNUAL_CAP"))?,
            points_per_activity: number(
                "BAODAO_POINTS_PER_ACTIVITY",
                var("BAODAO_POINTS_PER_ACTIVITY"),
            )?,
            max_body_bytes: number("BAODAO_MAX_BODY_BYTES", var("BAODAO_MAX_BODY_BYTES"))?,
            max_batch_records: number("BAODAO_MAX_BATCH_RECORDS", var("BAODAO_MAX_BATCH_RECORDS"))?,
            request_timeout_secs: number(
                "BAODAO_REQUEST_TIMEOUT_SECS",
                var("BAODAO_REQUEST_TIMEOUT_SECS"),
            )?,
            hold_grace_minutes: number(
                "BAODAO_HOLD_GRACE_MINUTES",
                var("BAODAO_HOLD_GRACE_MINUTES"),
            )?,
            card_validity_days: number(
                "BAODAO_CARD_VALIDITY_DAYS",
                var("BAODAO_CARD_VALIDITY_DAYS"),
            )?,
            issue_cards: number("BAODAO_ISSUE_CARDS", var("BAODAO_ISSUE_CARDS"))?,
            max_clock_offset_minutes: number(
                "BAODAO_MAX_CLOCK_OFFSET_MINUTES",
                var("BAODAO_MAX_CLOCK_OFFSET_MINUTES"),
            )?,
            max_manual_per_activity: number(
                "BAODAO_MAX_MANUAL_PER_ACTIVITY",
                var("BAODAO_MAX_MANUAL_PER_ACTIVITY"),
            )?,
            tls_cert: var("BAODAO_TLS_CERT"),
            tls_key: var("BAODAO_TLS_KEY"),
            header_read_timeout_secs: number(
                "BAODAO_HEADER_READ_TIMEOUT_SECS",
                var("BAODAO_HEADER_READ_TIMEOUT_SECS"),
            )?,
            max_connections: number("BAODAO_MAX_CONNECTIONS", var("BAODAO_MAX_CONNECTIONS"))?,
            kiosk_requests_per_minute: number(
                "BAODAO_KIOSK_REQUESTS_PER_MINUTE",
                var("BAODAO_KIOSK_REQUESTS_PER_MINUTE"),
            )?,
            address_requests_per_minute: number(
                "BAODAO_ADDRESS_REQUESTS_PER_MINUTE",
                var("BAODAO_ADDRESS_REQUESTS_PER_MINUTE"),
            )?,
            key_refresh_secs: number("BAODAO_KEY_REFRESH_SECS", var("BAODAO_KEY_REFRESH_SECS"))?,
            kiosk_silent_minutes: number(
                "BAODAO_KIOSK_SILENT_MINUTES",
                var("BAODAO_KIOSK_SILENT_MINUTES"),
            )?,
            database_url: var("BAODAO_DATABASE_URL"),
            database_pool_size: number(
                "BAODAO_DATABASE_POOL_SIZE",
                var("BAODAO_DATABASE_POOL_SIZE"),
            )?,
            behind_proxy: var("BAODAO_BEHIND_PROXY")
                .map(|v| matches!(v.as_str(), "1" | "true" | "yes")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("server.toml"),
            "time_zone = \"Asia/Taipei\"\nannual_cap = 10\nlisten = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let mut settings = Settings::load(dir.path(), None).unwrap();
        assert_eq!(settings.policy.annual_cap, 10);
        assert_eq!(settings.policy.time_zone.name(), "Asia/Taipei");
        assert_eq!(settings.listen.port(), 9000);

        let env = Overrides::from_env(|name| (name == "BAODAO_ANNUAL_CAP").then(|| "8".to_owned()))
            .unwrap();
        settings.apply(env).unwrap();
        assert_eq!(settings.policy.annual_cap, 8);
    }

    #[test]
    fn bad_values_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.toml"), "annual_kap = 3\n").unwrap();
        assert!(Settings::load(dir.path(), None).is_err());
        let err = Overrides::from_env(|_| Some("many".to_owned())).unwrap_err();
        assert!(err.to_string().contains("BAODAO_ANNUAL_CAP"), "{err}");
        let mut settings = Settings::new(dir.path());
        let zone = Overrides {
            time_zone: Some("Mars/Base".into()),
            ..Overrides::default()
        };
        assert!(settings.apply(zone).is_err());
        for (key, value) in [
            ("hold_grace_minutes", i64::MAX.to_string()),
            ("hold_grace_minutes", "-1".to_owned()),
            ("max_clock_offset_minutes", i64::MIN.to_string()),
            ("annual_cap", "0".to_owned()),
            ("request_timeout_secs", u64::MAX.to_string()),
        ] {
            std::fs::write(dir.path().join("server.toml"), format!("{key} = {value}\n")).unwrap();
            let err = Settings::load(dir.path(), None).unwrap_err().to_string();
            assert!(err.contains(key), "{key} = {value}: {err}");
        }
    }
}
