//! The sync thread: uploads the outbox, pulls the snapshot, and keeps at it
//! with backoff until the network comes back. Runs its own small async
//! runtime so nothing of it touches the UI thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use baodao_shared::Community;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::backoff;
use super::client::SyncClient;
use super::heartbeat::{self, Probe, Queue, Vitals};
use super::plan::{BATCH_RECORDS, next_batch};
use crate::domain::offline::OfflineData;
use crate::error::{Error, Result};
use crate::store::Store;

/// What the status badges show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// A server is configured at all.
    pub configured: bool,
    /// The last attempt reached the server.
    pub online: bool,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Check-ins and voids not yet uploaded.
    pub pending: u64,
    /// Check-ins the server held or rejected.
    pub refused: u64,
    /// Server clock minus kiosk clock, from the last snapshot.
    pub clock_offset_ms: Option<i64>,
    pub uploaded: u64,
    /// The last attempt was refused for the token: staff may enrol again.
    pub token_refused: bool,
}

impl SyncStatus {
    pub fn clock_skewed(&self) -> bool {
        self.clock_offset_ms
            .is_some_and(crate::domain::health::clock_off)
    }
}

/// Where the current offline data lives; swapped whole after a snapshot.
pub type SharedOffline = Arc<RwLock<Arc<OfflineData>>>;

/// Why the sync thread is woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// New check-ins: sync soon, but not while backing off from failures.
    Nudge,
    /// Staff asked: sync now, whatever the backoff says.
    Force,
}

pub struct SyncHandle {
    trigger: SyncSender<Wake>,
    status: Arc<Mutex<SyncStatus>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What the sync thread needs.
#[derive(Debug, Clone)]
pub struct SyncSetup {
    pub server_url: String,
    pub token: String,
    pub database: PathBuf,
    pub community: Community,
    pub interval: Duration,
    /// Extra trusted roots for the server's certificate.
    pub ca_file: Option<PathBuf>,
    /// What the heartbeat reads of the scan side.
    pub probe: Option<Probe>,
}

impl SyncHandle {
    pub fn start(setup: SyncSetup, offline: SharedOffline) -> Result<Self> {
        let (trigger, wake) = sync_channel(1);
        let status = Arc::new(Mutex::new(SyncStatus {
            configured: true,
            ..SyncStatus::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (status, stop) = (Arc::clone(&status), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("baodao-sync".into())
                .spawn(move || run(&setup, &offline, &wake, &status, &stop))
                .map_err(Error::io("starting the sync thread"))?
        };
        Ok(Self {
            trigger,
            status,
            stop,
            thread: Some(thread),
        })
    }

    /// New check-ins to upload: syncs soon, unless the server has been
    /// failing, when the backoff decides (an offline kiosk must not retry
    /// on every scan).
    pub fn nudge(&self) {
        let _ = self.trigger.try_send(Wake::Nudge);
    }

    /// Staff's "sync now": tries at once, whatever the backoff.
    pub fn sync_now(&self) {
        let _ = self.trigger.try_send(Wake::Force);
    }

    pub fn status(&self) -> SyncStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.trigger.try_send(Wake::Force);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    setup: &SyncSetup,
    offline: &SharedOffline,
    wake: &Receiver<Wake>,
    status: &Mutex<SyncStatus>,
    stop: &AtomicBool,
) {
    let update = |f: &dyn Fn(&mut SyncStatus)| {
        if let Ok(mut s) = status.lock() {
            f(&mut s);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            update(&|s| s.last_error = Some(format!("cannot start networking: {e}")));
            return;
        }
    };
    let mut failures = 0u32;
    let mut retry_after = Duration::ZERO;
    let mut store = None;
    let mut client = None;
    let started = Instant::now();
    let mut beat = Beat::default();
    while !stop.load(Ordering::Relaxed) {
        let result = (|| -> Result<Round> {
            if store.is_none() {
                store = Some(Store::open(&setup.database)?);
            }
            if client.is_none() {
                client = Some(SyncClient::new(
                    &setup.server_url,
                    &setup.token,
                    setup.ca_file.as_deref(),
                )?);
            }
            let (Some(store), Some(client)) = (store.as_mut(), client.as_ref()) else {
                return Err(Error::Internal("sync not set up".into()));
            };
            runtime.block_on(round(client, store, offline, &setup.community))
        })();
        let counts = store.as_ref().and_then(counts);
        // The counts change with the round's result, in the same update: a
        // reader never sees this round's success with the last round's counts.
        let counted = |s: &mut SyncStatus| {
            if let Some((pending, refused)) = counts {
                s.pending = pending;
                s.refused = refused;
            }
        };
        match result {
            Ok(round) => {
                failures = 0;
                update(&|s| {
                    counted(s);
                    s.online = true;
                    s.last_success = Some(Utc::now());
                    s.last_error = None;
                    s.token_refused = false;
                    s.clock_offset_ms = Some(round.clock_offset_ms);
                    s.uploaded += round.uploaded;
                });
                if round.uploaded > 0
                    && let Some(store) = &store
                {
                    let _ = store.log(
                        "info",
                        &format!("uploaded {} check-ins and voids", round.uploaded),
                        Utc::now(),
                    );
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                // The server asked for a pause: honour it, whatever the backoff says.
                retry_after = match &e {
                    Error::RateLimited(wait) => *wait,
                    _ => Duration::ZERO,
                };
                let message = e.to_string();
                let token_refused = matches!(e, Error::TokenRefused(_));
                tracing::warn!(error = %message, failures, "sync failed; will retry");
                if let Some(store) = &store {
                    let _ = store.log("warn", &message, Utc::now());
                }
                update(&|s| {
                    counted(s);
                    s.online = false;
                    s.last_error = Some(message.clone());
                    s.token_refused = token_refused;
                });
            }
        }
        let waited = Waiting::after(setup.interval, failures, retry_after);
        let mut send = |beat: &mut Beat| {
            if let (Some(client), Some(store)) = (client.as_ref(), store.as_ref()) {
                beat.send(&runtime, client, store, setup, status, started);
            } else {
                beat.sent_at = Some((Instant::now(), Vitals::default()));
            }
        };
        if !waited.wait(wake, stop, &mut beat, &mut send) {
            return;
        }
    }
}

/// Between two rounds.
struct Waiting {
    until: Instant,
    /// The server's Retry-After.
    not_before: Instant,
    failures: u32,
}

impl Waiting {
    /// The next round: after the interval, or the backoff while failing.
    fn after(interval: Duration, failures: u32, retry_after: Duration) -> Self {
        let now = Instant::now();
        Self {
            until: now
                + if failures == 0 {
                    interval
                } else {
                    backoff::delay(failures - 1, backoff::random_jitter()).max(retry_after)
                },
            not_before: now + retry_after,
            failures,
        }
    }

    /// Waits for the next round, sending heartbeats once a minute
    /// meanwhile (also while backing off: the office then sees why; never
    /// against the server's Retry-After). `false` when the thread must end.
    fn wait(
        &self,
        wake: &Receiver<Wake>,
        stop: &AtomicBool,
        beat: &mut Beat,
        send_heartbeat: &mut dyn FnMut(&mut Beat),
    ) -> bool {
        loop {
            let now = Instant::now();
            let beat_at = beat.due().unwrap_or(now);
            if now >= beat_at && now >= self.not_before {
                send_heartbeat(beat);
                continue;
            }
            let deadline = self.until.min(beat_at.max(self.not_before));
            match wake.recv_timeout(deadline.saturating_duration_since(now)) {
                Ok(Wake::Nudge) if self.failures > 0 && !stop.load(Ordering::Relaxed) => {}
                // Not even staff's "sync now" comes before the server's Retry-After.
                Ok(Wake::Force)
                    if Instant::now() < self.not_before && !stop.load(Ordering::Relaxed) => {}
                Ok(_) => return true,
                Err(RecvTimeoutError::Timeout) if Instant::now() >= self.until => return true,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return false,
            }
            if stop.load(Ordering::Relaxed) {
                return false;
            }
        }
    }
}

/// When the last heartbeat went out, with the vitals it reported.
#[derive(Default)]
struct Beat {
    sent_at: Option<(Instant, Vitals)>,
}

impl Beat {
    /// When the next one is due; `None`: none went out yet, so now.
    fn due(&self) -> Option<Instant> {
        self.sent_at.as_ref().map(|(at, _)| *at + heartbeat::EVERY)
    }

    fn send(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        client: &SyncClient,
        store: &Store,
        setup: &SyncSetup,
        status: &Mutex<SyncStatus>,
        started: Instant,
    ) {
        let now = Instant::now();
        let vitals = setup.probe.as_ref().map(|p| (p.0)()).unwrap_or_default();
        let sync = status.lock().map(|s| s.clone()).unwrap_or_default();
        let queue = Queue {
            pending: store.pending_count().unwrap_or(sync.pending),
            oldest_pending_at: store.oldest_pending_at().ok().flatten(),
            last_error: sync.last_error,
            clock_offset_ms: sync.clock_offset_ms,
        };
        let report = heartbeat::compose(
            &vitals,
            self.sent_at.as_ref().map(|(_, v)| v),
            self.sent_at
                .as_ref()
                .map_or(Duration::ZERO, |(at, _)| now.saturating_duration_since(*at)),
            &queue,
            Utc::now(),
            now.saturating_duration_since(started),
        );
        if let Err(e) = runtime.block_on(client.heartbeat(&report)) {
            // The round's own error says what is wrong with the network.
            tracing::debug!(error = %e, "heartbeat not delivered");
        }
        self.sent_at = Some((now, vitals));
    }
}

fn community_mismatch(registered: &Community, configured: &Community) -> Error {
    Error::Config(format!(
        "the office registered this kiosk for community {registered}, but its config says {configured}: set community = \"{registered}\" in the config (nothing was downloaded)"
    ))
}

struct Round {
    uploaded: u64,
    clock_offset_ms: i64,
}

/// One sync: upload everything pending, then refresh the snapshot.
async fn round(
    client: &SyncClient,
    store: &mut Store,
    offline: &SharedOffline,
    community: &Community,
) -> Result<Round> {
    let mut uploaded = 0u64;
    loop {
        let records = store.pending_records(BATCH_RECORDS)?;
        let voids = store.pending_voids(BATCH_RECORDS)?;
        let Some(batch) = next_batch(
            &records,
            &voids,
            BATCH_RECORDS,
            uuid::Uuid::now_v7(),
            Utc::now(),
        ) else {
            break;
        };
        let receipt = client.upload(&batch).await?;
        store.apply_receipt(&receipt, Utc::now())?;
        uploaded += u64::try_from(batch.records.len() + batch.voids.len()).unwrap_or_default();
        // A receipt that answered nothing would loop forever.
        if receipt.records.len() + receipt.voids.len() == 0 {
            return Err(Error::Server(
                "the server answered an upload with an empty receipt".into(),
            ));
        }
    }
    let since = store.snapshot_cursor()?;
    let snapshot = client.snapshot(since).await?;
    // The token says which community this kiosk serves; a config that
    // names another would show "no activity" forever without a word.
    if snapshot.community != *community {
        return Err(community_mismatch(&snapshot.community, community));
    }
    let fetched_at = Utc::now();
    store.apply_snapshot(&snapshot, fetched_at)?;
    let clock_offset_ms = (snapshot.server_time - fetched_at).num_milliseconds();
    let current = offline
        .read()
        .map(|o| Arc::clone(&o))
        .map_err(|_| Error::Internal("offline data lock".into()))?;
    let changed = snapshot.full
        || !snapshot.members.is_empty()
        || !snapshot.revoked_serials.is_empty()
        || !snapshot.points.is_empty()
        || snapshot.activities != current.activities
        || snapshot.card_keys != current.keys
        || snapshot.policy != current.policy
        || snapshot
            .grace_minutes
            .is_some_and(|m| chrono::Duration::minutes(m.into()) != current.grace)
        || (clock_offset_ms - current.clock_offset.num_milliseconds()).abs() > 5_000;
    if changed {
        let fresh = Arc::new(store.load_offline(community)?);
        if let Ok(mut slot) = offline.write() {
            *slot = fresh;
        }
    }
    Ok(Round {
        uploaded,
        clock_offset_ms,
    })
}

/// What waits to upload and what the office refused, when the database
/// can say.
fn counts(store: &Store) -> Option<(u64, u64)> {
    Some((store.pending_count().ok()?, store.refused_count().ok()?))
}
