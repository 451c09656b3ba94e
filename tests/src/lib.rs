//! A real sync server for end-to-end tests: a fresh data directory with a
//! real database (a SQLite file, or a fresh PostgreSQL database of the
//! test cluster: see [`pg`]), the server bound to `127.0.0.1:0`, and an
//! HTTP client.

// Test support: a bad fixture should stop the test loudly.
#![allow(clippy::missing_panics_doc, clippy::expect_used)]

pub mod pg;

use std::fmt::Write;
use std::net::SocketAddr;
use std::path::Path;

use baodao_shared::card::CardSigner;
use baodao_shared::protocol::{
    BATCHES_PATH, BatchReceipt, BatchRequest, MemberPoints, SNAPSHOT_PATH, Snapshot,
};
use baodao_shared::{AttendanceRecord, Community, Method, Void};
use baodao_sync_server::store::DatabaseUrl;
use baodao_sync_server::{Office, Settings};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub use baodao_sync_server;

/// A running server with demo-like data: members `M001..=M0nn` in community
/// `C01`, activities of `C01` and `C02`, one kiosk per community.
pub struct TestServer {
    pub dir: TempDir,
    pub addr: SocketAddr,
    pub office: Office,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Which database a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

impl TestServer {
    /// Starts a server on a fresh data directory (SQLite) with `settings`
    /// applied.
    pub async fn start(configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        Self::start_on(Backend::Sqlite, configure).await
    }

    /// Starts a server on a fresh database of `backend`.
    pub async fn start_on(
        backend: Backend,
        configure: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut settings = Settings::new(dir.path().join("data"));
        if backend == Backend::Postgres {
            settings.database = Some(baodao_sync_server::store::DatabaseUrl::Postgres(
                pg::fresh_database().await?,
            ));
        }
        // Every test client comes from 127.0.0.1, as kiosks behind one
        // proxy would: the per-address limit is for tests that set it.
        settings.net.address_requests_per_minute = 1_000_000;
        configure(&mut settings);
        let office = Office::open(settings).await?;
        // The office has made its signing key before the server starts, so
        // the server trusts it from the first request.
        office.signer().await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let state = baodao_sync_server::AppState::new(&office).await?;
        let task = tokio::spawn(async move {
            let serve = baodao_sync_server::serve(listener, state, async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("test server failed: {e}");
            }
        });
        // The kiosk in this workspace builds reqwest without a default TLS
        // provider; every client here needs one installed.
        baodao_kiosk::sync::client::install_crypto_provider();
        let client = reqwest::Client::builder().no_proxy().build()?;
        Ok(Self {
            dir,
            addr,
            office,
            client,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn data_dir(&self) -> &Path {
        &self.office.settings().data_dir
    }

    /// Writes and imports a members CSV.
    pub async fn import_members(&self, rows: &[(&str, &str, &str)]) -> anyhow::Result<()> {
        let mut csv = String::from("member_id,name,organization,community\n");
        for (id, name, community) in rows {
            let _ = writeln!(csv, "{id},{name},測試黨支部,{community}");
        }
        let path = self.dir.path().join("members.csv");
        std::fs::write(&path, csv)?;
        self.office.import_members(&path).await?;
        Ok(())
    }

    /// Writes and imports an activities CSV: (id, community, start, end).
    pub async fn import_activities(
        &self,
        rows: &[(&str, &str, DateTime<Utc>, DateTime<Utc>)],
    ) -> anyhow::Result<()> {
        let mut csv = String::from("activity_id,title,kind,community,starts_at,ends_at\n");
        for (id, community, start, end) in rows {
            let _ = writeln!(
                csv,
                "{id},社區活動 {id},sanitation,{community},{},{}",
                start.to_rfc3339_opts(SecondsFormat::Secs, true),
                end.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
        }
        let path = self.dir.path().join("activities.csv");
        std::fs::write(&path, csv)?;
        self.office.import_activities(&path).await?;
        Ok(())
    }

    /// Members `M{i:03}` for each `i` in `ids` of community `C01`, one
    /// activity `A1` of it open now, and a registered kiosk: where most
    /// tests start. Returns the kiosk's token.
    pub async fn open_activity(
        &self,
        ids: impl IntoIterator<Item = usize>,
    ) -> anyhow::Result<String> {
        let members: Vec<String> = ids.into_iter().map(|i| format!("M{i:03}")).collect();
        let rows: Vec<_> = members
            .iter()
            .map(|m| (m.as_str(), "張偉", "C01"))
            .collect();
        self.import_members(&rows).await?;
        let (start, end) = open_now();
        self.import_activities(&[("A1", "C01", start, end)]).await?;
        self.register_kiosk("C01").await
    }

    pub async fn register_kiosk(&self, community: &str) -> anyhow::Result<String> {
        let community: Community = community.parse()?;
        Ok(self
            .office
            .register_kiosk("test kiosk", &community)
            .await?
            .token)
    }

    /// Issues a card and returns its QR text.
    pub async fn issue_card(
        &self,
        member: &str,
        expires_on: Option<NaiveDate>,
    ) -> anyhow::Result<String> {
        let out = self.dir.path().join(format!("{member}.png"));
        Ok(self
            .office
            .issue_card(&member.parse()?, expires_on, &out)
            .await?
            .payload)
    }

    pub async fn signer(&self) -> std::sync::Arc<CardSigner> {
        self.office.signer().await.expect("the office signing key")
    }

    pub async fn post_batch(
        &self,
        token: &str,
        batch: &BatchRequest,
    ) -> anyhow::Result<BatchReceipt> {
        let response = self
            .client
            .post(self.url(BATCHES_PATH))
            .bearer_auth(token)
            .json(batch)
            .send()
            .await?
            .error_for_status()?;
        Ok(response.json().await?)
    }

    /// A snapshot, incremental after `since` (a cursor and its epoch).
    pub async fn snapshot(
        &self,
        token: &str,
        since: Option<(u64, u64)>,
    ) -> anyhow::Result<Snapshot> {
        let query = since
            .map(|(cursor, epoch)| format!("?since={cursor}&epoch={epoch}"))
            .unwrap_or_default();
        let request = self
            .client
            .get(self.url(&format!("{SNAPSHOT_PATH}{query}")))
            .bearer_auth(token);
        Ok(request.send().await?.error_for_status()?.json().await?)
    }

    pub async fn points(
        &self,
        token: &str,
        member: &str,
        year: i32,
    ) -> anyhow::Result<MemberPoints> {
        Ok(self
            .client
            .get(self.url(&format!("/api/v1/members/{member}/points?year={year}")))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Posts any JSON as a batch; the status and the body as JSON.
    pub async fn post_raw(
        &self,
        token: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let response = self
            .client
            .post(self.url(BATCHES_PATH))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// Posts JSON to `path` with a bearer `token`; the status and the
    /// body as JSON (`null` when it is not JSON).
    pub async fn post_json(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                (
                    status,
                    response.json().await.unwrap_or(serde_json::Value::Null),
                )
            }
            Err(e) => panic!("POST {path}: {e}"),
        }
    }

    /// One integer read straight from the SQLite file.
    pub fn query_sqlite(&self, sql: &str) -> anyhow::Result<i64> {
        let conn = rusqlite::Connection::open_with_flags(
            self.office.settings().database_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        Ok(conn.query_row(sql, [], |r| r.get(0))?)
    }

    /// One integer read straight from the database, whichever it is (SQL
    /// both accept; [`Self::uuid_literal`] writes ids).
    pub async fn query_one(&self, sql: &str) -> anyhow::Result<i64> {
        match self.office.settings().database_url() {
            DatabaseUrl::Sqlite(_) => self.query_sqlite(sql),
            DatabaseUrl::Postgres(url) => {
                let (client, connection) =
                    tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                let driver = tokio::spawn(connection);
                let value: i64 = client.query_one(sql, &[]).await?.get(0);
                drop(client);
                let _ = driver.await;
                Ok(value)
            }
        }
    }

    /// A UUID as an SQL literal of the server's database.
    pub fn uuid_literal(&self, id: uuid::Uuid) -> String {
        match self.office.settings().database_url() {
            DatabaseUrl::Sqlite(_) => format!("x'{}'", id.simple()),
            DatabaseUrl::Postgres(_) => format!("'{id}'::uuid"),
        }
    }

    /// Row counts of every table, as the database reports them.
    pub async fn table_counts(&self) -> anyhow::Result<Vec<(String, i64)>> {
        Ok(self
            .office
            .store()
            .table_counts()
            .await?
            .into_iter()
            .map(|(table, n)| (table.to_owned(), i64::try_from(n).unwrap_or(i64::MAX)))
            .collect())
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(self) {
        drop(self.stop_keeping_files().await);
    }

    /// Stops the server; its data directory stays until the answer drops.
    pub async fn stop_keeping_files(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let Self { dir, .. } = self;
        dir
    }
}

/// A check-in record as a kiosk makes it.
pub fn record(
    member: &str,
    activity: &str,
    scanned_at: DateTime<Utc>,
    card: Option<&str>,
) -> AttendanceRecord {
    AttendanceRecord {
        record_id: uuid::Uuid::now_v7(),
        member_id: member.parse().expect("a valid member id"),
        activity_id: activity.parse().expect("a valid activity id"),
        scanned_at,
        method: if card.is_some() {
            Method::Qr
        } else {
            Method::Manual
        },
        card: card.map(str::to_owned),
        entered_by: None,
    }
}

pub fn batch(records: Vec<AttendanceRecord>, voids: Vec<Void>) -> BatchRequest {
    BatchRequest {
        batch_id: uuid::Uuid::now_v7(),
        sent_at: Utc::now(),
        records,
        voids,
    }
}

/// An activity window around now: started an hour ago, ends in two.
pub fn open_now() -> (DateTime<Utc>, DateTime<Utc>) {
    let now = Utc::now();
    (now - Duration::hours(1), now + Duration::hours(2))
}

/// Logs in to the console as `username`; the session cookie's
/// `name=value`.
pub async fn console_session(server: &TestServer, username: &str, password: &str) -> String {
    let response = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
        .post(server.url("/console/login"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .expect("the console answers");
    assert_eq!(response.status().as_u16(), 303, "the login succeeds");
    response.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .expect("a cookie")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Each check once a backend: `sqlite::name` and `postgres::name`, each
/// `name(Backend)` of the calling file run as a test.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await;
                }
            )*
        }
    };
}
