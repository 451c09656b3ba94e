//! A restored backup is a database in the past: kiosks' cursors of the lost
//! state must not be trusted, or they would miss revocations made since.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use baodao_sync_server::{Office, Settings};
use baodao_tests::TestServer;
use chrono::Utc;

#[tokio::test]
async fn after_a_restore_every_kiosk_gets_a_full_snapshot() {
    let server = TestServer::start(|_| {}).await.unwrap();
    let token = server.open_activity(1..=2).await.unwrap();
    server.issue_card("M001", None).await.unwrap();
    let keep = tempfile::tempdir().unwrap();
    let backup = keep.path().join("backup.sqlite");
    server.office.store().backup(backup.clone()).await.unwrap();

    // After the backup: a card is revoked, the kiosk syncs past it.
    server.office.revoke_card(1).await.unwrap();
    let before = server.snapshot(&token, None).await.unwrap();
    assert_eq!(before.revoked_serials, vec![1]);
    let settings = Settings::new(keep.path().join("restored"));
    server.stop().await;

    // The office restores the backup: the revocation is gone from the
    // database, and the kiosk's cursor points past what it holds.
    let (office, epoch) = Office::restore(settings.clone(), &backup).await.unwrap();
    assert_ne!(epoch, before.epoch);
    let kiosk = office
        .store()
        .authenticate(token.clone())
        .await
        .unwrap()
        .expect("the kiosk is in the backup");
    let policy = office.settings().policy;
    let after = office
        .store()
        .snapshot(
            kiosk.clone(),
            Some(before.cursor),
            Some(before.epoch),
            Utc::now(),
            policy,
        )
        .await
        .unwrap();
    assert!(
        after.full,
        "a cursor of the lost state gets a full snapshot"
    );
    assert_eq!(after.epoch, epoch);
    assert!(after.revoked_serials.is_empty());
    assert_eq!(after.members.len(), 2);
    // Its own cursors work as before.
    let next = office
        .store()
        .snapshot(
            kiosk,
            Some(after.cursor),
            Some(after.epoch),
            Utc::now(),
            policy,
        )
        .await
        .unwrap();
    assert!(!next.full);

    // A file that is not a Baodao database is refused before anything is replaced.
    let junk = office.settings().data_dir.join("junk.sqlite");
    std::fs::write(&junk, "not a database").unwrap();
    drop(office);
    assert!(
        Office::restore(Settings::new(settings.data_dir.clone()), &junk)
            .await
            .is_err()
    );
    let intact = Office::open(Settings::new(settings.data_dir))
        .await
        .unwrap();
    assert_eq!(intact.store().kiosks().await.unwrap().len(), 1);
}
