//! The connection side: clients that never finish, clients that flood,
//! and HTTPS with the office's own CA, as a kiosk meets them.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use baodao_kiosk::sync::client::SyncClient;
use baodao_sync_server::net::tls::{Tls, TlsFiles};
use baodao_sync_server::{AppState, Office, Settings};
use baodao_tests::{TestServer, open_now};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_that_never_finish_their_headers_block_nobody() {
    let server = TestServer::start(|s| s.net.header_read_timeout_secs = 4)
        .await
        .unwrap();
    let mut slow = Vec::with_capacity(1_000);
    for _ in 0..1_000 {
        let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        socket
            .write_all(b"POST /api/v1/attendance/batches HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(socket);
    }
    // A normal request still answers, well within two seconds.
    let answered = tokio::time::timeout(
        Duration::from_secs(2),
        server.client.get(server.url("/healthz")).send(),
    )
    .await
    .expect("a normal request answered within 2 s")
    .unwrap();
    assert_eq!(answered.status().as_u16(), 200);

    // And the server lets go of the slow ones after the header timeout.
    let mut closed = 0;
    for socket in &mut slow {
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(Duration::from_secs(15), socket.read(&mut buf)).await;
        // Hyper closes the connection (0 bytes) or answers 408 first.
        if matches!(read, Ok(Ok(0) | Err(_)))
            || matches!(read, Ok(Ok(n)) if buf[..n].starts_with(b"HTTP/1.1 408"))
        {
            closed += 1;
        }
    }
    assert_eq!(closed, 1_000, "every slow client was cut off");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_closed_on_arrival() {
    let server = TestServer::start(|s| {
        s.net.max_connections = 5;
        s.net.header_read_timeout_secs = 2;
    })
    .await
    .unwrap();
    let mut idle = Vec::new();
    for _ in 0..5 {
        idle.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    // Give the server a moment to accept all five.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut sixth = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    sixth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .ok();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), sixth.read_to_end(&mut answer)).await;
    assert!(answer.is_empty(), "over the cap: closed without an answer");
    // When the idle ones are gone (the header timeout), there is room again.
    drop(idle);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let response = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_token_that_floods_is_slowed_and_another_kiosk_is_not() {
    let server = TestServer::start(|s| s.net.kiosk_requests_per_minute = 60)
        .await
        .unwrap();
    let (start, end) = open_now();
    server
        .import_members(&[("M001", "張偉", "C01")])
        .await
        .unwrap();
    server
        .import_activities(&[("A1", "C01", start, end)])
        .await
        .unwrap();
    let flooder = server.register_kiosk("C01").await.unwrap();
    let quiet = server.register_kiosk("C01").await.unwrap();
    let snapshot = |token: &str| {
        server
            .client
            .get(server.url(baodao_shared::protocol::SNAPSHOT_PATH))
            .bearer_auth(token)
            .send()
    };
    let mut limited = None;
    for _ in 0..40 {
        let response = snapshot(&flooder).await.unwrap();
        if response.status().as_u16() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status().as_u16(), 200);
    }
    let limited = limited.expect("the flood was slowed (a burst of 15 at 60 a minute)");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: baodao_shared::protocol::ErrorBody = limited.json().await.unwrap();
    assert_eq!(body.error.code, "rate_limited");
    // The other kiosk is served as usual.
    assert_eq!(snapshot(&quiet).await.unwrap().status().as_u16(), 200);

    // The kiosk's client reports the wait the server asked for.
    let client = SyncClient::new(&server.url(""), &flooder, None).unwrap();
    let err = client.snapshot(None).await.unwrap_err();
    assert!(
        matches!(err, baodao_kiosk::Error::RateLimited(wait) if wait.as_secs() >= 1),
        "{err}"
    );
    server.stop().await;
}

/// A CA of the office's own and a certificate it signed for `localhost`.
fn write_certificates(dir: &Path, name: &str) -> (TlsFiles, std::path::PathBuf) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} office CA"));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let files = TlsFiles {
        cert: dir.join(format!("{name}-cert.pem")),
        key: dir.join(format!("{name}-key.pem")),
    };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    let ca_file = dir.join(format!("{name}-ca.pem"));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    (files, ca_file)
}

#[tokio::test]
async fn https_with_the_offices_own_ca_and_a_certificate_renewed_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (files, ca_file) = write_certificates(dir.path(), "first");
    let office = Office::open(Settings::new(dir.path().join("data")))
        .await
        .unwrap();
    let token = office
        .register_kiosk("kiosk", &"C01".parse().unwrap())
        .await
        .unwrap()
        .token;
    let tls = Arc::new(Tls::load(files.clone()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = AppState::new(&office).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(baodao_sync_server::serve_tls(
        listener,
        state,
        Some(Arc::clone(&tls)),
        async {
            let _ = stopped.await;
        },
    ));
    let url = format!("https://localhost:{port}");

    // The kiosk trusts the office's CA through ca_file.
    let kiosk = SyncClient::new(&url, &token, Some(&ca_file)).unwrap();
    let snapshot = kiosk.snapshot(None).await.unwrap();
    assert_eq!(snapshot.community.as_str(), "C01");
    // Without it, the certificate is refused: nothing is sent in clear.
    let stranger = SyncClient::new(&url, &token, None).unwrap();
    assert!(stranger.snapshot(None).await.is_err());
    // Plain HTTP to the TLS port gets nowhere.
    let plain = SyncClient::new(&format!("http://127.0.0.1:{port}"), &token, None).unwrap();
    assert!(plain.snapshot(None).await.is_err());

    // A renewed certificate from another CA, written over the files and
    // reloaded (what SIGHUP does), serves new connections.
    let (renewed, new_ca) = write_certificates(dir.path(), "second");
    std::fs::copy(&renewed.cert, &files.cert).unwrap();
    std::fs::copy(&renewed.key, &files.key).unwrap();
    tls.reload().unwrap();
    let renewed_kiosk = SyncClient::new(&url, &token, Some(&new_ca)).unwrap();
    assert!(renewed_kiosk.snapshot(None).await.is_ok());
    // A broken file keeps the certificate in use.
    std::fs::write(&files.key, "not a key").unwrap();
    assert!(tls.reload().is_err());
    let again = SyncClient::new(&url, &token, Some(&new_ca)).unwrap();
    assert!(again.snapshot(None).await.is_ok());

    // A ca_file without certificates is a configuration error, not a panic.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    assert!(SyncClient::new(&url, &token, Some(&empty)).is_err());

    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_is_cut_off_not_read_into_memory() {
    // Something in the server's place answers a snapshot with no end.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let impostor = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
            .await
            .unwrap();
        let chunk = vec![b' '; 1 << 20];
        // 80 MiB, more than the kiosk reads, unless it hangs up first.
        for _ in 0..80 {
            if socket.write_all(&chunk).await.is_err() {
                return true;
            }
        }
        false
    });
    let client = SyncClient::new(&format!("http://{addr}"), "bdk_token", None).unwrap();
    let err = client.snapshot(None).await.unwrap_err().to_string();
    assert!(err.contains("larger than 64 MiB"), "{err}");
    assert!(impostor.await.unwrap(), "the kiosk hung up before the end");
}
