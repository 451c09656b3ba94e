//! `--demo`: a whole Baodao on one machine. An embedded sync server on a
//! free local port with demo members (Chinese names), an activity open now
//! and a registered kiosk; a simulated camera that shows demo cards one
//! after another (valid ones, a repeat, a forged one, an expired one).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use baodao_shared::card::CardSigner;
use baodao_sync_server::store::Registration;
use baodao_sync_server::{Office, Settings};
use chrono::{Duration, NaiveDate, SecondsFormat, Utc};

use crate::config::{CameraSpec, Config};
use crate::error::{Error, Result};

static COMMUNITIES: &str = include_str!("../../assets/demo/communities.csv");
static ORGANIZATIONS: &str = include_str!("../../assets/demo/organizations.csv");
static MEMBERS: &str = include_str!("../../assets/demo/members.csv");

/// The staff PIN of the demo, shown on screen and in the log.
pub const DEMO_PIN: &str = "246810";
/// Who the demo's PIN belongs to.
pub const DEMO_STAFF: &str = "王芳";

pub struct Demo {
    pub config: Config,
    /// What the simulated camera shows, in order.
    pub cards: Vec<String>,
    pub server: SocketAddr,
    _runtime: tokio::runtime::Runtime,
    _office: Arc<Office>,
}

fn demo_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("demo setup: {e}"))
}

/// Sets up the demo under `dir` and starts its server.
pub fn start(dir: &Path, camera: Option<CameraSpec>) -> Result<Demo> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("baodao-demo-server")
        .enable_all()
        .build()
        .map_err(Error::io("starting the demo server"))?;
    let (office, registration, cards, server) = runtime.block_on(set_up(dir))?;
    let cards_dir = dir.join("cards");
    let config_path = dir.join("kiosk.toml");
    let pin_hash = crate::app::pin::hash(DEMO_PIN)?;
    std::fs::write(
        &config_path,
        format!(
            "server_url = \"http://{server}\"\ntoken = \"{}\"\ncommunity = \"C01\"\ndata_dir = \"{}\"\ncamera = \"synthetic\"\nsync_interval_secs = 5\n\n# The demo's staff member: her manual check-ins and voids carry her name.\n[[staff]]\nname = \"{DEMO_STAFF}\"\npin_hash = \"{pin_hash}\"\n",
            registration.token,
            dir.join("kiosk").display()
        ),
    )
    .map_err(Error::io("writing the demo kiosk config"))?;
    let mut config = Config::from_sources(Some(&config_path), |_| None)?;
    if let Some(camera) = camera {
        config.camera = camera;
    }
    tracing::info!(%server, cards = %cards_dir.display(), pin = DEMO_PIN, "demo ready");
    Ok(Demo {
        config,
        cards,
        server,
        _runtime: runtime,
        _office: office,
    })
}

/// Where the demo keeps its files: a fresh folder each run.
pub fn folder() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("baodao-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(Error::io(format!("creating {}", dir.display())))?;
    Ok(dir)
}

/// The demo's office data (members, activities, a kiosk, cards) and its
/// running server.
async fn set_up(dir: &Path) -> Result<(Arc<Office>, Registration, Vec<String>, SocketAddr)> {
    let server_dir = dir.join("server");
    let office = Office::open(Settings::new(&server_dir))
        .await
        .map_err(demo_error)?;
    // The registry first: the kiosk shows the community's name, and the
    // office's roll-ups group by organisation.
    let communities = dir.join("communities.csv");
    std::fs::write(&communities, COMMUNITIES).map_err(Error::io("writing demo communities"))?;
    office
        .import_communities(&communities)
        .await
        .map_err(demo_error)?;
    let organizations = dir.join("organizations.csv");
    std::fs::write(&organizations, ORGANIZATIONS)
        .map_err(Error::io("writing demo organisations"))?;
    office
        .import_organizations(&organizations)
        .await
        .map_err(demo_error)?;
    let members = dir.join("members.csv");
    std::fs::write(&members, MEMBERS).map_err(Error::io("writing demo members"))?;
    office.import_members(&members).await.map_err(demo_error)?;
    let now = Utc::now();
    let at = |d: Duration| (now + d).to_rfc3339_opts(SecondsFormat::Secs, true);
    let activities = dir.join("activities.csv");
    std::fs::write(
        &activities,
        format!(
            "activity_id,title,kind,community,starts_at,ends_at\n\
             DEMO-NOW,黨員固定活動日：社區環境衛生整治,activity_day,C01,{},{}\n\
             DEMO-NEXT,政策宣講：基層治理新規解讀,policy_talk,C01,{},{}\n",
            at(Duration::minutes(-30)),
            at(Duration::hours(3)),
            at(Duration::days(1)),
            at(Duration::days(1) + Duration::hours(2)),
        ),
    )
    .map_err(Error::io("writing demo activities"))?;
    office
        .import_activities(&activities)
        .await
        .map_err(demo_error)?;
    let registration = office
        .register_kiosk("demo kiosk", &"C01".parse()?)
        .await
        .map_err(demo_error)?;

    // Cards: issued properly (printable PNGs land in DIR/cards), one expired,
    // one forged by a key the office never had.
    let cards_dir = dir.join("cards");
    std::fs::create_dir_all(&cards_dir).map_err(Error::io("creating the demo card folder"))?;
    let mut issued = Vec::new();
    for (member, expires) in [
        ("M0001", None),
        ("M0011", None),
        ("M0005", None),
        ("M0007", NaiveDate::from_ymd_opt(2025, 12, 31)),
    ] {
        let id = member.parse()?;
        issued.push(
            office
                .issue_card(&id, expires, &cards_dir.join(format!("{member}.png")))
                .await
                .map_err(demo_error)?
                .payload,
        );
    }
    let [first, second, third, expired] =
        <[String; 4]>::try_from(issued).map_err(|_| demo_error("four demo cards"))?;
    let forged = CardSigner::from_seed(1, &[0x5a; 32]).sign(
        &"M0002".parse()?,
        2,
        NaiveDate::from_ymd_opt(2030, 1, 1).unwrap_or_default(),
    )?;
    let cards = vec![first.clone(), second, first, forged, expired, third];

    let office = Arc::new(office);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(Error::io("binding the demo server"))?;
    let addr = listener
        .local_addr()
        .map_err(Error::io("demo server address"))?;
    let state = baodao_sync_server::AppState::new(&office)
        .await
        .map_err(demo_error)?;
    tokio::spawn(baodao_sync_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    Ok((office, registration, cards, addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_registers_its_communities_and_organisations() {
        let dir = tempfile::tempdir().unwrap();
        let demo = start(dir.path(), None).unwrap();
        // The demo server's database, read as the office would.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let registry = runtime
            .block_on(async {
                let office = Office::open(Settings::new(dir.path().join("server"))).await?;
                office.store().registry().await
            })
            .unwrap();
        // The kiosk's header shows this name, not `C01`.
        assert_eq!(registry.community_name("C01"), "東湖社區");
        // Every demo member's organisation is a registered one.
        for line in MEMBERS.lines().skip(1) {
            let organization = line.split(',').nth(2).unwrap();
            assert!(
                registry.organization(organization).is_some(),
                "{organization} is not registered"
            );
        }
        assert_eq!(demo.cards.len(), 6);
    }
}
