//! The kiosk core put together: camera thread → scan thread (decode,
//! debounce, decide, store) → outcomes; and the sync thread beside them.
//! The window app and the headless mode are thin readers of `outcomes`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use baodao_shared::enrol::EnrolCode;
use baodao_shared::protocol::{self, CameraHealth, RosterEntry};
use baodao_shared::{Activity, AttendanceRecord, MemberId, Method, bounds};
use chrono::{DateTime, Utc};
use crossbeam_channel::{Receiver as Inbox, Sender as Outbox, bounded, select};
use uuid::Uuid;

use crate::camera::{self, CameraStatus, Frame, Supervisor};
use crate::clock::SharedClock;
use crate::config::{ActivityChoice, Config};
use crate::desk::Desk;
use crate::domain::checkin::{Decision, Presented, decide, pick_activity};
use crate::domain::offline::OfflineData;
use crate::domain::standing;
use crate::error::{Error, Result};
use crate::outcome::{KioskReason, Outcome, Reason, Standing, Timing, Where, Who};
use crate::scan::{Debouncer, QrDecoder};
use crate::store::{CheckIn, Store};
use crate::sync::heartbeat::{Probe, Vitals};
use crate::sync::worker::{SharedOffline, SyncSetup};
use crate::sync::{SyncHandle, SyncStatus};

/// What staff and scanners ask of the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A keyboard-wedge scanner typed a card.
    Typed(String),
    /// Staff checked a member in by name; `staff` is who (the name of the
    /// PIN that unlocked staff mode).
    Manual {
        member: MemberId,
        staff: Option<String>,
    },
    Void {
        record_id: Uuid,
        reason: String,
        staff: Option<String>,
    },
    SetActivity(ActivityChoice),
}

/// Counters for the staff screen and the benchmark.
#[derive(Debug)]
pub struct ScanStats {
    pub frames: AtomicU64,
    pub decode_micros: AtomicU64,
    pub decoder_panics: AtomicU64,
    /// Free bytes under the data dir, sampled once a minute; `u64::MAX`
    /// until known.
    pub disk_free: AtomicU64,
}

impl Default for ScanStats {
    fn default() -> Self {
        Self {
            frames: AtomicU64::new(0),
            decode_micros: AtomicU64::new(0),
            decoder_panics: AtomicU64::new(0),
            disk_free: AtomicU64::new(u64::MAX),
        }
    }
}

/// How often the scan thread looks at the disk's free space.
const DISK_EVERY: Duration = Duration::from_mins(1);

/// How the core is started.
pub struct Setup {
    pub config: Config,
    /// Called after each frame and each outcome: a window repaints.
    pub on_change: Option<Arc<dyn Fn() + Send + Sync>>,
    /// What `camera = synthetic` shows (the demo's cards).
    pub demo_cards: Option<Vec<String>>,
    /// Opens the frame source; `None` uses the configuration's camera.
    pub camera: Option<camera::supervisor::Opener>,
    pub camera_retry: Duration,
    /// The time decisions and records use; the system's unless a test
    /// moves it by hand.
    pub clock: SharedClock,
    /// systemd's watchdog: the scan thread beats in it.
    pub watchdog: Option<Arc<crate::watchdog::Watchdog>>,
}

impl Setup {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            on_change: None,
            demo_cards: None,
            camera: None,
            camera_retry: Duration::from_secs(3),
            clock: crate::clock::system(),
            watchdog: None,
        }
    }
}

pub struct Engine {
    pub outcomes: Receiver<Outcome>,
    commands: Outbox<Command>,
    camera: Option<Supervisor>,
    sync: SyncSlot,
    probe: Probe,
    enrol_seen: EnrolSeen,
    offline: SharedOffline,
    stats: Arc<ScanStats>,
    stop: Arc<AtomicBool>,
    scan: Option<JoinHandle<()>>,
    database: PathBuf,
    preview: Preview,
    config: Config,
    camera_spec: Arc<std::sync::Mutex<crate::config::CameraSpec>>,
    clock: SharedClock,
    desk: Desk,
    started: chrono::DateTime<chrono::Utc>,
}

/// The sync thread, once the kiosk has a token (at start, or after it
/// enrolled on its enrolment screen).
type SyncSlot = Arc<std::sync::Mutex<Option<Arc<SyncHandle>>>>;

/// The latest enrolment code the camera saw, for the enrolment screen.
type EnrolSeen = Arc<std::sync::Mutex<Option<EnrolCode>>>;

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn start_sync(
    config: &Config,
    url: &str,
    token: &str,
    offline: &SharedOffline,
    probe: &Probe,
) -> Result<Arc<SyncHandle>> {
    Ok(Arc::new(SyncHandle::start(
        SyncSetup {
            server_url: url.to_owned(),
            token: token.to_owned(),
            database: config.database_path(),
            community: config.community.clone(),
            interval: Duration::from_secs(config.sync_interval_secs),
            ca_file: config.ca_file.clone(),
            probe: Some(probe.clone()),
        },
        Arc::clone(offline),
    )?))
}

/// What the heartbeat reads of the scan side: the camera's state and the
/// scan thread's counters.
fn probe(
    camera: &Supervisor,
    stats: &Arc<ScanStats>,
    spec: &Arc<std::sync::Mutex<crate::config::CameraSpec>>,
) -> Probe {
    let camera_state = camera.status_reader();
    let (stats, spec) = (Arc::clone(stats), Arc::clone(spec));
    Probe(Arc::new(move || {
        let off = *lock(&spec) == crate::config::CameraSpec::None;
        let (camera, detail) = match camera_state() {
            _ if off => (CameraHealth::Off, None),
            CameraStatus::Running { .. } => (CameraHealth::Working, None),
            CameraStatus::Unavailable { reason } => (CameraHealth::Failing, Some(reason)),
            CameraStatus::Starting | CameraStatus::Stopped => (CameraHealth::Unknown, None),
        };
        let disk = stats.disk_free.load(Ordering::Relaxed);
        Vitals {
            camera: Some(camera),
            camera_detail: detail,
            frames: stats.frames.load(Ordering::Relaxed),
            decode_micros: stats.decode_micros.load(Ordering::Relaxed),
            decoder_panics: stats.decoder_panics.load(Ordering::Relaxed),
            disk_free_bytes: (disk != u64::MAX).then_some(disk),
        }
    }))
}

/// The latest frame, for the live preview.
pub type Preview = Arc<std::sync::Mutex<Option<Arc<Frame>>>>;

impl Engine {
    pub fn start(setup: Setup) -> Result<Self> {
        let config = setup.config.clone();
        let database = config.database_path();
        let store = Store::open(&database)?;
        let offline: SharedOffline = Arc::new(RwLock::new(Arc::new(
            store.load_offline(&config.community)?,
        )));

        let camera_spec = Arc::new(std::sync::Mutex::new(config.camera.clone()));
        let opener = setup.camera.unwrap_or_else(|| {
            let spec = Arc::clone(&camera_spec);
            let fps = config.replay_fps;
            let demo_cards = setup.demo_cards;
            Box::new(move || {
                let spec = spec
                    .lock()
                    .map_or(crate::config::CameraSpec::None, |s| s.clone());
                match (&spec, &demo_cards) {
                    (crate::config::CameraSpec::Synthetic, Some(cards)) => Ok(Box::new(
                        camera::synthetic::DemoCards::new(cards.clone(), 30.0),
                    )
                        as Box<dyn camera::FrameSource>),
                    _ => camera::open(&spec, fps),
                }
            })
        });
        let (camera, frames) = Supervisor::start(opener, setup.camera_retry, 2)?;
        let stats = Arc::new(ScanStats::default());
        let probe = probe(&camera, &stats, &camera_spec);
        let sync: SyncSlot = Arc::default();
        match (&config.server_url, &config.token) {
            (Some(url), Some(token)) => {
                let handle = start_sync(&config, url, token, &offline, &probe)?;
                *lock(&sync) = Some(handle);
            }
            (Some(_), None) => {
                tracing::warn!("no token yet: enrol this kiosk with a code from the office");
            }
            _ => tracing::warn!("no server_url configured: working offline only"),
        }

        let (commands, command_rx) = bounded(64);
        let (outcome_tx, outcomes) = sync_channel(256);
        let enrol_seen: EnrolSeen = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let preview: Preview = Arc::default();
        let scan = {
            let mut worker = ScanWorker {
                store,
                offline: Arc::clone(&offline),
                decoder: QrDecoder::new(),
                debouncer: Debouncer::default(),
                choice: config.activity.clone(),
                outcomes: outcome_tx,
                sync: Arc::clone(&sync),
                enrol_seen: Arc::clone(&enrol_seen),
                stats: Arc::clone(&stats),
                told_already: HashMap::new(),
                preview: Arc::clone(&preview),
                on_change: setup.on_change,
                clock: Arc::clone(&setup.clock),
                heartbeat: setup.watchdog.as_ref().map(|w| w.heartbeat("scan")),
                data_dir: config.data_dir.clone(),
                disk_checked: None,
            };
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("baodao-scan".into())
                .spawn(move || worker.run(&frames, &command_rx, &stop))
                .map_err(Error::io("starting the scan thread"))?
        };
        let desk = Desk::start(database.clone())?;
        Ok(Self {
            desk,
            outcomes,
            commands,
            camera: Some(camera),
            sync,
            probe,
            enrol_seen,
            offline,
            stats,
            stop,
            scan: Some(scan),
            database,
            preview,
            config,
            camera_spec,
            started: setup.clock.now(),
            clock: setup.clock,
        })
    }

    /// A handle for other threads (a scanner reader) to send commands.
    pub fn commander(&self) -> Outbox<Command> {
        self.commands.clone()
    }

    /// Sends a command to the scan thread; `false` if its queue is full.
    pub fn send(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// The camera in use now.
    pub fn camera_spec(&self) -> crate::config::CameraSpec {
        self.camera_spec
            .lock()
            .map_or(crate::config::CameraSpec::None, |s| s.clone())
    }

    /// Switches to another camera (staff's choice) without a restart.
    pub fn switch_camera(&self, spec: crate::config::CameraSpec) {
        if let Ok(mut current) = self.camera_spec.lock() {
            *current = spec;
        }
        if let Some(camera) = &self.camera {
            camera.reopen();
        }
    }

    pub fn camera_status(&self) -> CameraStatus {
        self.camera
            .as_ref()
            .map_or(CameraStatus::Stopped, Supervisor::status)
    }

    pub fn sync_status(&self) -> SyncStatus {
        lock(&self.sync)
            .as_ref()
            .map(|s| s.status())
            .unwrap_or_default()
    }

    pub fn sync_now(&self) {
        if let Some(sync) = lock(&self.sync).as_ref() {
            sync.sync_now();
        }
    }

    /// A server is configured but the kiosk has no token: the window shows
    /// the enrolment screen.
    pub fn needs_enrolment(&self) -> bool {
        self.config.server_url.is_some() && lock(&self.sync).is_none()
    }

    /// The enrolment code the camera saw last, once.
    pub fn take_enrol_code(&self) -> Option<EnrolCode> {
        lock(&self.enrol_seen).take()
    }

    /// The kiosk enrolled (its token now in the data dir): syncs with
    /// `token` from now on, instead of any token it had.
    pub fn enrolled(&mut self, token: String) -> Result<()> {
        let url = self
            .config
            .server_url
            .clone()
            .ok_or_else(|| Error::Config("no server_url to sync with".into()))?;
        let handle = start_sync(&self.config, &url, &token, &self.offline, &self.probe)?;
        self.config.token = Some(token);
        // The old sync thread (a refused token's) is joined after the slot
        // is unlocked: the scan thread nudges through that lock.
        let old = lock(&self.sync).replace(handle);
        drop(old);
        Ok(())
    }

    /// The offline data decisions use now.
    pub fn offline(&self) -> Arc<OfflineData> {
        // A poisoned lock still holds the last good data.
        Arc::clone(
            &self
                .offline
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Where staff mode's questions are answered, off the window's thread.
    pub fn desk(&self) -> &Desk {
        &self.desk
    }

    /// The time the core goes by.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub fn stats(&self) -> &ScanStats {
        &self.stats
    }

    pub fn database(&self) -> &std::path::Path {
        &self.database
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the degraded-mode banner names, most pressing first.
    pub fn problems(&self) -> Vec<crate::domain::health::Problem> {
        let sync = self.sync_status();
        let disk_free = self.stats.disk_free.load(Ordering::Relaxed);
        crate::domain::health::problems(&crate::domain::health::Signals {
            // `camera = "none"` (a scanner-only kiosk) is a choice, not a fault.
            camera_failing: self.camera_spec() != crate::config::CameraSpec::None
                && matches!(self.camera_status(), CameraStatus::Unavailable { .. }),
            sync_configured: sync.configured,
            last_sync: sync.last_success,
            started: self.started,
            now: self.clock.now(),
            disk_free: (disk_free != u64::MAX).then_some(disk_free),
            clock_offset_ms: sync.clock_offset_ms,
        })
    }

    /// The newest camera frame, if any.
    pub fn preview(&self) -> Option<Arc<Frame>> {
        self.preview.lock().ok().and_then(|p| p.clone())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.camera.take());
        if let Some(scan) = self.scan.take() {
            let _ = scan.join();
        }
        let sync = lock(&self.sync).take();
        drop(sync);
    }
}

struct ScanWorker {
    store: Store,
    offline: SharedOffline,
    decoder: QrDecoder,
    debouncer: Debouncer,
    choice: ActivityChoice,
    outcomes: SyncSender<Outcome>,
    sync: SyncSlot,
    enrol_seen: EnrolSeen,
    stats: Arc<ScanStats>,
    /// When each member was last told "already checked in".
    told_already: HashMap<MemberId, Instant>,
    preview: Preview,
    on_change: Option<Arc<dyn Fn() + Send + Sync>>,
    clock: SharedClock,
    heartbeat: Option<crate::watchdog::Heartbeat>,
    data_dir: std::path::PathBuf,
    disk_checked: Option<Instant>,
}

/// After one "already checked in", more within this time are not shown.
const ALREADY_QUIET: Duration = Duration::from_mins(1);

impl ScanWorker {
    fn run(&mut self, frames: &Inbox<Frame>, commands: &Inbox<Command>, stop: &AtomicBool) {
        let mut camera_gone = false;
        while !stop.load(Ordering::Relaxed) {
            // At least every 100 ms (the select's default) while it runs.
            if let Some(heartbeat) = &self.heartbeat {
                heartbeat.beat();
            }
            self.watch_disk();
            // Staff and scanners first: a command never waits for a frame.
            while let Ok(command) = commands.try_recv() {
                self.command(command);
            }
            let never = crossbeam_channel::never();
            let frames = if camera_gone { &never } else { frames };
            select! {
                recv(commands) -> command => {
                    if let Ok(command) = command {
                        self.command(command);
                    }
                }
                recv(frames) -> frame => match frame {
                    Ok(frame) => self.frame(frame),
                    // The camera thread ended: keep serving commands.
                    Err(_) => camera_gone = true,
                },
                default(Duration::from_millis(100)) => {}
            }
        }
    }

    /// The banner's disk figure, once a minute: a cheap system call, on
    /// this thread because it writes to that disk.
    fn watch_disk(&mut self) {
        if self
            .disk_checked
            .is_some_and(|at| at.elapsed() < DISK_EVERY)
        {
            return;
        }
        self.disk_checked = Some(Instant::now());
        match crate::files::free_space(&self.data_dir) {
            Ok(free) => self.stats.disk_free.store(free, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "cannot read the free disk space"),
        }
    }

    fn frame(&mut self, frame: Frame) {
        let frame = Arc::new(frame);
        if let Ok(mut preview) = self.preview.lock() {
            *preview = Some(Arc::clone(&frame));
        }
        let started = Instant::now();
        let texts = self.decoder.scan(&frame.luma);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats.frames.fetch_add(1, Ordering::Relaxed);
        self.stats
            .decode_micros
            .fetch_add(micros, Ordering::Relaxed);
        self.stats
            .decoder_panics
            .store(self.decoder.panics(), Ordering::Relaxed);
        let seen = self.clock.instant();
        for text in texts {
            // The office's enrolment QR is not a card: the enrolment
            // screen takes it (an enrolled kiosk ignores it).
            if EnrolCode::is_qr_text(&text) {
                if let Ok(code) = EnrolCode::parse(&text) {
                    *lock(&self.enrol_seen) = Some(code);
                    self.changed();
                }
                continue;
            }
            if self.debouncer.sight(&text, seen) {
                self.present(&Presented::Card(&text), Method::Qr, frame.captured_at, None);
            }
        }
        // No repaint per frame: the window paces its preview itself
        // (10 fps); outcomes still repaint at once.
    }

    fn command(&mut self, command: Command) {
        let now = self.clock.instant();
        match command {
            Command::Typed(text) => {
                let text = text.trim().to_owned();
                // A scanner that fires twice for one scan types the text twice.
                if !text.is_empty() && self.debouncer.sight(&text, now) {
                    self.present(
                        &Presented::Card(&text),
                        Method::Keyboard,
                        Instant::now(),
                        None,
                    );
                }
            }
            Command::Manual { member, staff } => {
                self.present(
                    &Presented::Member(&member),
                    Method::Manual,
                    Instant::now(),
                    staff.as_deref(),
                );
            }
            Command::Void {
                record_id,
                reason,
                staff,
            } => {
                let outcome = self.void(record_id, &reason, staff.as_deref());
                self.emit(outcome);
            }
            Command::SetActivity(choice) => self.choice = choice,
        }
    }

    fn void(&mut self, record_id: Uuid, reason: &str, staff: Option<&str>) -> Outcome {
        let timing = Timing {
            at: self.clock.now(),
            latency_ms: 0.0,
        };
        let refused = |reason: Reason| Outcome::Rejected {
            reason,
            method: None,
            member: None,
            activity: None,
            record_id: Some(record_id),
            timing,
        };
        let Ok(reason) = bounds::check_text("reason", reason, bounds::MAX_REASON_CHARS) else {
            return refused(protocol::Reason::InvalidReason.into());
        };
        match self.store.void(record_id, reason, timing.at, staff) {
            Ok(true) => {
                self.nudge_sync();
                Outcome::Voided { record_id, timing }
            }
            Ok(false) => refused(KioskReason::UnknownOrVoidedRecord.into()),
            Err(e) => storage_error(&e, None, None, None, timing),
        }
    }

    /// Decide, store, say: the decision is the domain's; this stores what
    /// it accepts and words the answer.
    fn present(
        &mut self,
        presented: &Presented<'_>,
        method: Method,
        arrived: Instant,
        staff: Option<&str>,
    ) {
        let offline = Arc::clone(
            &self
                .offline
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let kiosk_now = self.clock.now();
        let now = kiosk_now + offline.clock_offset;
        // Taken when the outcome is made: the durable write counts.
        let timing = || Timing {
            at: kiosk_now,
            latency_ms: arrived.elapsed().as_secs_f64() * 1000.0,
        };
        let decision = match self.decide(presented, now, &offline) {
            Ok(decision) => decision,
            Err(e) => {
                let outcome = storage_error(&e, Some(method), None, None, timing());
                self.emit(outcome);
                return;
            }
        };
        let outcome = match decision {
            Decision::Refused { reason, member } => Outcome::Rejected {
                reason,
                method: Some(method),
                member: member.map(who),
                activity: pick_activity(&offline, now, &self.choice).map(place),
                record_id: None,
                timing: timing(),
            },
            Decision::Already {
                member,
                activity,
                first_at,
            } => {
                if self.told_recently(&member.member_id) {
                    return;
                }
                Outcome::Duplicate {
                    standing: self.standing(&offline, &member.member_id, &activity),
                    member: who(member),
                    activity: place(&activity),
                    method,
                    first_scanned_at: first_at,
                    timing: timing(),
                }
            }
            Decision::CheckIn { member, activity } => {
                let stored =
                    self.store_check_in(presented, method, &member, &activity, kiosk_now, staff);
                match stored {
                    Ok(record_id) => {
                        self.nudge_sync();
                        Outcome::Accepted {
                            standing: self.standing(&offline, &member.member_id, &activity),
                            member: who(member),
                            activity: place(&activity),
                            record_id,
                            method,
                            timing: timing(),
                        }
                    }
                    Err(e) => storage_error(
                        &e,
                        Some(method),
                        Some(who(member)),
                        Some(place(&activity)),
                        timing(),
                    ),
                }
            }
        };
        self.emit(outcome);
    }

    fn decide(
        &self,
        presented: &Presented<'_>,
        now: DateTime<Utc>,
        offline: &OfflineData,
    ) -> Result<Decision> {
        let mut lookup_error = None;
        let decision = decide(presented, now, offline, &self.choice, |member, activity| {
            self.store
                .first_check_in(member, activity)
                .unwrap_or_else(|e| {
                    lookup_error = Some(e);
                    None
                })
        });
        lookup_error.map_or(Ok(decision), Err)
    }

    /// Stores an accepted check-in durably; nothing is said before this.
    fn store_check_in(
        &mut self,
        presented: &Presented<'_>,
        method: Method,
        member: &RosterEntry,
        activity: &Activity,
        kiosk_now: DateTime<Utc>,
        staff: Option<&str>,
    ) -> Result<Uuid> {
        let card = match presented {
            Presented::Card(text) => Some((*text).to_owned()),
            Presented::Member(_) => None,
        };
        let record = AttendanceRecord {
            record_id: Uuid::now_v7(),
            member_id: member.member_id.clone(),
            activity_id: activity.activity_id.clone(),
            // The kiosk's own clock: the server corrects it by the
            // offset it measures on upload.
            scanned_at: kiosk_now,
            method,
            card,
            entered_by: staff.map(str::to_owned),
        };
        let record_id = record.record_id;
        self.store.record_check_in(&CheckIn {
            member_name: member.name.clone(),
            record,
        })?;
        Ok(record_id)
    }

    /// One calm "already checked in" a minute per member, not one per
    /// wave of the card.
    fn told_recently(&mut self, member: &MemberId) -> bool {
        let now = self.clock.instant();
        self.told_already
            .retain(|_, at| now.saturating_duration_since(*at) < ALREADY_QUIET);
        self.told_already.insert(member.clone(), now).is_some()
    }

    /// The member's points for `activity`'s year: the server's count plus
    /// check-ins it has not seen; a local database that cannot say what
    /// waits to upload counts nothing of it.
    fn standing(&self, offline: &OfflineData, member: &MemberId, activity: &Activity) -> Standing {
        let unsynced = self.store.unsynced_activities(member).unwrap_or_default();
        Standing {
            points: standing::points(offline, member, activity, &unsynced),
            cap: offline.policy.annual_cap,
        }
    }

    fn nudge_sync(&self) {
        if let Some(sync) = lock(&self.sync).as_ref() {
            sync.nudge();
        }
    }

    fn changed(&self) {
        if let Some(on_change) = &self.on_change {
            on_change();
        }
    }

    fn emit(&self, outcome: Outcome) {
        match self.outcomes.try_send(outcome) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(dropped)) => {
                tracing::warn!(outcome = ?dropped.kind(), "nobody is reading outcomes; one was dropped (it is stored)");
            }
        }
        self.changed();
    }
}

fn who(member: RosterEntry) -> Who {
    Who {
        member_id: member.member_id,
        member_name: member.name,
    }
}

fn place(activity: &Activity) -> Where {
    Where {
        activity_id: activity.activity_id.clone(),
        activity_title: activity.title.clone(),
    }
}

fn storage_error(
    error: &Error,
    method: Option<Method>,
    member: Option<Who>,
    activity: Option<Where>,
    timing: Timing,
) -> Outcome {
    tracing::error!(%error, "could not store a check-in");
    let reason = if error.is_disk_full() {
        KioskReason::StorageFull
    } else {
        KioskReason::StorageError
    };
    Outcome::Error {
        reason: reason.into(),
        method,
        member,
        activity,
        timing,
    }
}
