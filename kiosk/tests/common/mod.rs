//! A kiosk with a data directory and a snapshot, as if it had synced: for
//! tests that drive the core without a server.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use baodao_kiosk::config::Config;
use baodao_kiosk::store::Store;
use baodao_shared::card::CardSigner;
use baodao_shared::protocol::{RosterEntry, Snapshot};
use baodao_shared::{Activity, ActivityKind, Policy};
use chrono::{Duration, NaiveDate, Utc};
use tempfile::TempDir;

pub struct Fixture {
    pub dir: TempDir,
    pub signer: CardSigner,
    pub config: Config,
    pub snapshot: Snapshot,
}

pub fn member_id(i: usize) -> String {
    format!("M{i:04}")
}

impl Fixture {
    /// `members` members of C01 holding card serial `i + 1`; member 0's
    /// previous card (serial 1000) was replaced; activity A1 is open now.
    pub fn new(members: usize) -> Self {
        Self::with_settings(members, "")
    }

    /// As `new`, with more lines for `kiosk.toml`.
    pub fn with_settings(members: usize, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let signer = CardSigner::from_seed(1, &[11; 32]);
        let now = Utc::now();
        let snapshot = Snapshot {
            server_time: now,
            cursor: 1,
            epoch: 1,
            full: true,
            community: "C01".parse().unwrap(),
            community_name: Some("灣子街社區".into()),
            policy: Policy::default(),
            grace_minutes: Some(30),
            members: (0..members)
                .map(|i| RosterEntry {
                    member_id: member_id(i).parse().unwrap(),
                    name: ["張偉", "李娜", "歐陽曉嵐", "王芳"][i % 4].into(),
                    organization: "市財政局機關黨支部".into(),
                    community: "C01".parse().unwrap(),
                    card_serial: Some(u32::try_from(i).unwrap() + 1),
                    inactive: false,
                })
                .collect(),
            revoked_serials: vec![1000],
            card_keys: vec![signer.public_key()],
            activities: vec![Activity {
                activity_id: "A1".parse().unwrap(),
                title: "黨員固定活動日：環境衛生整治".into(),
                kind: ActivityKind::ActivityDay,
                community: "C01".parse().unwrap(),
                starts_at: now - Duration::hours(1),
                ends_at: now + Duration::hours(2),
            }],
            points: vec![],
        };
        let path = dir.path().join("kiosk.toml");
        std::fs::write(
            &path,
            format!(
                "community = \"C01\"\ndata_dir = \"{}\"\ncamera = \"none\"\n{extra}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let config = Config::from_sources(Some(&path), |_| None).unwrap();
        Store::open(&config.database_path())
            .unwrap()
            .apply_snapshot(&snapshot, now)
            .unwrap();
        Self {
            dir,
            signer,
            config,
            snapshot,
        }
    }

    pub fn config_path(&self) -> std::path::PathBuf {
        self.dir.path().join("kiosk.toml")
    }

    /// Member `i`'s current card.
    pub fn card(&self, i: usize) -> String {
        self.card_with(
            i,
            u32::try_from(i).unwrap() + 1,
            NaiveDate::from_ymd_opt(2035, 1, 1).unwrap(),
        )
    }

    pub fn card_with(&self, i: usize, serial: u32, expires: NaiveDate) -> String {
        self.signer
            .sign(&member_id(i).parse().unwrap(), serial, expires)
            .unwrap()
    }
}
