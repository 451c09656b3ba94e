//! Card signing keys: rotated and retired by the office while the server
//! runs, in force without a restart.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_tests::{TestServer, batch, record};
use chrono::Utc;

async fn status_of(
    server: &TestServer,
    token: &str,
    member: &str,
    card: &str,
) -> (RecordStatus, Option<Reason>) {
    let receipt = server
        .post_batch(
            token,
            &batch(vec![record(member, "A1", Utc::now(), Some(card))], vec![]),
        )
        .await
        .unwrap();
    (receipt.records[0].status, receipt.records[0].reason)
}

/// Polls until `check` holds, for at most ten seconds (the server reads
/// the keys every second here).
async fn eventually<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the running server never saw the key change");
}

#[tokio::test]
async fn a_rotated_key_signs_new_cards_and_a_retired_one_stops_old_cards() {
    let server = TestServer::start(|s| s.key_refresh_secs = 1).await.unwrap();
    let token = server.open_activity(1..=4).await.unwrap();

    let old = server.issue_card("M001", None).await.unwrap();
    let old_key = server.signer().await.key_id();
    eventually(|| async {
        status_of(&server, &token, "M001", &old).await.0 == RecordStatus::Accepted
    })
    .await;

    let new_key = server.office.rotate_key().await.unwrap();
    assert_eq!(new_key.key_id, old_key + 1);
    let new = server.issue_card("M002", None).await.unwrap();
    assert_eq!(server.signer().await.key_id(), new_key.key_id);
    // The running server learns the new key by itself; old cards still verify.
    eventually(|| async {
        status_of(&server, &token, "M002", &new).await.0 == RecordStatus::Accepted
    })
    .await;
    assert_eq!(
        server.office.store().card_key_list().await.unwrap().len(),
        2
    );
    let snapshot = server.snapshot(&token, None).await.unwrap();
    assert_eq!(snapshot.card_keys.len(), 2);

    // The key in use cannot be retired; the old one can.
    assert!(server.office.retire_key(new_key.key_id).await.is_err());
    server.office.retire_key(old_key).await.unwrap();
    eventually(|| async {
        status_of(&server, &token, "M001", &old).await
            == (RecordStatus::Rejected, Some(Reason::CardUnknownKey))
    })
    .await;
    assert_eq!(
        status_of(
            &server,
            &token,
            "M004",
            &server.issue_card("M004", None).await.unwrap()
        )
        .await
        .0,
        RecordStatus::Accepted
    );
    let snapshot = server.snapshot(&token, None).await.unwrap();
    let ids: Vec<_> = snapshot.card_keys.iter().map(|k| k.key_id).collect();
    assert_eq!(
        ids,
        vec![new_key.key_id],
        "kiosks stop trusting the retired key"
    );
    server.stop().await;
}
