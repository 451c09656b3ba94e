//! Any body a kiosk token's holder may post, parsed and ingested into a
//! scratch store with members, activities and cards: no panic, and the
//! store keeps working.
#![no_main]

use std::sync::LazyLock;

use baodao_shared::card::{CardSigner, Keyring};
use baodao_sync_server::card_cache::CardDecoder;
use baodao_sync_server::domain::upload;
use baodao_sync_server::store::{Intake, Kiosk};
use baodao_sync_server::{Office, Settings};
use chrono::{Duration, Utc};
use libfuzzer_sys::fuzz_target;

struct Scratch {
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    office: Office,
    kiosk: Kiosk,
    cards: CardDecoder,
}

static SCRATCH: LazyLock<Scratch> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a scratch folder");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let office = runtime
        .block_on(Office::open(Settings::new(dir.path().join("data"))))
        .expect("a scratch store");
    let members = dir.path().join("m.csv");
    std::fs::write(
        &members,
        "member_id,name,organization,community\nM1,張偉,局,C01\nM2,李娜,局,C02\n",
    )
    .expect("members");
    runtime
        .block_on(office.import_members(&members))
        .expect("members imported");
    let now = Utc::now();
    let activities = dir.path().join("a.csv");
    std::fs::write(
        &activities,
        format!(
            "activity_id,title,kind,community,starts_at,ends_at\nA1,x,sanitation,C01,{},{}\nB1,x,sanitation,C02,{},{}\n",
            (now - Duration::hours(1)).to_rfc3339(),
            (now + Duration::hours(1)).to_rfc3339(),
            (now - Duration::hours(1)).to_rfc3339(),
            (now + Duration::hours(1)).to_rfc3339(),
        ),
    )
    .expect("activities");
    runtime
        .block_on(office.import_activities(&activities))
        .expect("activities imported");
    let kiosk = runtime
        .block_on(office.register_kiosk("fuzz", &"C01".parse().expect("community")))
        .expect("kiosk")
        .kiosk;
    let keys = [CardSigner::from_seed(1, &[7; 32]).public_key()];
    let cards = CardDecoder::new(Keyring::new(&keys).expect("keyring"));
    Scratch {
        _dir: dir,
        runtime,
        office,
        kiosk,
        cards,
    }
});

fuzz_target!(|data: &[u8]| {
    let scratch = &*SCRATCH;
    let Ok(upload) = upload::parse(data, 2_000) else {
        return;
    };
    let cards: Vec<Option<&str>> = upload
        .records
        .iter()
        .map(|r| r.valid().and_then(|r| r.card.as_deref()))
        .collect();
    let decoded = scratch.cards.decode_all(&cards);
    let settings = scratch.office.settings();
    let intake = Intake {
        kiosk: scratch.kiosk.clone(),
        received_at: Utc::now(),
        policy: settings.policy,
        grace: Duration::minutes(settings.hold_grace_minutes),
        max_clock_offset: Duration::minutes(settings.max_clock_offset_minutes),
        manual_limit: settings.max_manual_per_activity,
    };
    let (records, voids) = (upload.records.len(), upload.voids.len());
    let receipt = scratch
        .runtime
        .block_on(
            scratch
                .office
                .store()
                .ingest(intake, std::sync::Arc::new(upload), decoded),
        )
        .expect("ingest answers every parsed batch");
    assert_eq!(receipt.records.len(), records);
    assert_eq!(receipt.voids.len(), voids);
});
