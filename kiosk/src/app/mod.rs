//! The full-screen kiosk app. State and logic live here; the `*_ui` files
//! only draw and report what was clicked, as [`Action`]s this file carries
//! out. Nothing here blocks: the engine's threads do the work and report
//! back over channels.

mod enrol_ui;
pub mod fonts;
pub mod i18n;
mod keyboard_ui;
mod overlay_ui;
pub mod pin;
mod scan_ui;
pub mod sound;
mod staff_ui;
mod texture;

use std::sync::Arc;
use std::time::{Duration, Instant};

use baodao_shared::MemberId;
use chrono::Utc;
use uuid::Uuid;

use crate::config::{ActivityChoice, Language};
use crate::desk::{Answer, Ask, ListKey};
use crate::domain::offline::OfflineData;
use crate::engine::{Command, Engine};
use crate::outcome::Outcome;
use crate::store::CheckInRow;
use pin::PinCheck;
use sound::Sounds;

/// How long a result stays on screen unless a new scan replaces it.
pub const OVERLAY_SECS: f32 = 4.0;
/// Staff mode closes itself after this long without a touch.
pub const STAFF_IDLE: Duration = Duration::from_mins(3);
/// The preview is drawn near its own size: the nearest texel is as sharp
/// as a blend of four, and a renderer without a GPU samples a quarter as
/// much.
const PREVIEW_FILTER: egui::TextureOptions = egui::TextureOptions::NEAREST;
/// The preview's pace: at least 10 fps looks live; without a GPU each frame
/// of it is the window's main cost. A repaint lands a little after it is
/// due, so the interval is under 100 ms for 10 fps to hold (measured: 100 ms
/// gave 9.9 fps).
const PREVIEW_INTERVAL: Duration = Duration::from_millis(90);
/// The pointer hides after this long without moving.
const CURSOR_IDLE: Duration = Duration::from_secs(3);

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// No token yet: scan or type the office's enrolment code.
    Enrol,
    Scan,
    Pin {
        entry: String,
        message: Option<String>,
    },
    Staff(StaffTab),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffTab {
    Attendance,
    Manual,
    Sync,
    Settings,
}

/// What the user asked for, from the drawing code.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    OpenStaff,
    PinDigit(char),
    PinBackspace,
    PinSubmit,
    CloseStaff,
    Tab(StaffTab),
    ManualCheckIn(MemberId),
    StartVoid(Uuid),
    ConfirmVoid,
    CancelVoid,
    SetActivity(ActivityChoice),
    SetLanguage(Language),
    SetCamera(crate::config::CameraSpec),
    FindCameras,
    ShowToday(bool),
    SyncNow,
    Export,
    DismissOverlay,
    /// Exchange the typed (or scanned) enrolment code.
    SubmitEnrol,
    /// Staff: the server refuses the token; enrol again with a new code.
    StartEnrol,
    /// Back from an enrolment staff started (the kiosk has a token).
    CancelEnrol,
}

/// The enrolment screen's state.
#[derive(Debug, Default)]
pub struct EnrolState {
    /// The code as typed (or as the camera read it).
    pub code: String,
    /// What happened last: (good news, words).
    pub message: Option<(bool, String)>,
    /// The exchange on its way, answered on this channel.
    pending: Option<std::sync::mpsc::Receiver<crate::Result<crate::enrol::Enrolled>>>,
}

impl EnrolState {
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }
}

/// A result on screen.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub outcome: Outcome,
    pub since: Instant,
}

/// The staff screens' inputs and what they last loaded.
#[derive(Debug, Default)]
pub struct StaffState {
    pub search: String,
    pub member_search: String,
    pub rows: Vec<CheckInRow>,
    pub loaded_for: Option<ListKey>,
    pub loaded_at: Option<Instant>,
    pub voiding: Option<Uuid>,
    pub void_reason: String,
    pub export_path: String,
    pub message: Option<String>,
    pub refused: Vec<CheckInRow>,
    /// Cameras found by "find cameras": index and name.
    pub cameras: Vec<(u32, String)>,
    /// The attendance list shows all of today rather than the current activity.
    pub all_today: bool,
    /// The last manual search: its query, the offline data it searched
    /// (held, so a new snapshot is never mistaken for it) and the members
    /// found, in id order.
    pub found: Option<(String, Arc<OfflineData>, Vec<MemberId>)>,
    /// What the desk is working on for staff mode.
    pub waiting: Waiting,
    /// Who unlocked staff mode: recorded with their manual check-ins and voids.
    pub signed_in: Option<String>,
}

/// Questions asked of the desk and not answered yet: one of each at a time.
#[derive(Debug, Default)]
pub struct Waiting {
    pub export: bool,
    pub pin: bool,
    pub list: bool,
}

pub struct KioskApp {
    pub engine: Engine,
    pub language: Language,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub staff: StaffState,
    pub enrol: EnrolState,
    pub activity: ActivityChoice,
    sounds: Sounds,
    /// Characters a keyboard-wedge scanner typed on the scan screen.
    scanner: String,
    last_touch: Instant,
    last_pointer_move: Instant,
    preview: Option<(u64, egui::TextureHandle)>,
    /// When the preview texture was last replaced.
    preview_at: Option<Instant>,
    /// The latest outcome seen, for tests and staff messages.
    pub last_outcome: Option<Outcome>,
    /// When the process started, to log the time to the first frame shown.
    pub started: Option<Instant>,
    trimmer: crate::memory::Trimmer,
    /// Staff mode closed: empty the glyph atlas at the next frame.
    redraw_glyphs: bool,
    /// systemd's watchdog sees each frame drawn.
    pub heartbeat: Option<crate::watchdog::Heartbeat>,
}

impl KioskApp {
    pub fn new(engine: Engine, sounds: Sounds) -> Self {
        let config = engine.config().clone();
        Self {
            language: config.language,
            activity: config.activity.clone(),
            screen: if engine.needs_enrolment() {
                Screen::Enrol
            } else {
                Screen::Scan
            },
            engine,
            enrol: EnrolState::default(),
            overlay: None,
            staff: StaffState {
                export_path: default_export_path(&config.export_dir),
                ..StaffState::default()
            },
            sounds,
            scanner: String::new(),
            last_touch: Instant::now(),
            last_pointer_move: Instant::now(),
            preview: None,
            preview_at: None,
            last_outcome: None,
            started: None,
            trimmer: crate::memory::Trimmer::default(),
            redraw_glyphs: false,
            heartbeat: None,
        }
    }

    /// Draws one frame and carries out what was asked.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        if let Some(heartbeat) = &self.heartbeat {
            heartbeat.beat();
        }
        self.receive();
        self.watch_input(ui.ctx());
        let mut actions = Vec::new();
        match self.screen.clone() {
            Screen::Enrol => {
                self.update_preview(ui.ctx());
                self.watch_enrolment();
                enrol_ui::ui(ui, self, &mut actions);
            }
            Screen::Scan => {
                self.update_preview(ui.ctx());
                scan_ui::ui(ui, self, &mut actions);
                if let Some(overlay) = &self.overlay {
                    let zone = self.engine.offline().policy.time_zone;
                    overlay_ui::ui(ui, overlay, self.language, zone, &mut actions);
                }
            }
            Screen::Pin { entry, message } => {
                staff_ui::pin_ui(ui, self.language, &entry, message.as_deref(), &mut actions);
            }
            Screen::Staff(tab) => {
                self.refresh_staff(tab);
                staff_ui::ui(ui, self, tab, &mut actions);
            }
        }
        for action in actions {
            self.act(action);
        }
        if std::mem::take(&mut self.redraw_glyphs) {
            // egui has no call to empty its glyph atlas; setting the font
            // providers (the kiosk has none: its fonts are bundled) reloads
            // the fonts from their definitions with a new, small atlas.
            ui.ctx().set_font_providers(Vec::new());
        }
        self.trimmer.tick(Instant::now());
        // The clock and the overlay timer move on their own.
        ui.ctx().request_repaint_after(Duration::from_millis(250));
    }

    fn receive(&mut self) {
        while let Some(answer) = self.engine.desk().answer() {
            self.answered(answer);
        }
        while let Ok(outcome) = self.engine.outcomes.try_recv() {
            self.sounds.play(outcome.kind());
            if let Screen::Staff(_) = self.screen {
                self.staff.message = Some(self.describe(&outcome));
                self.staff.loaded_at = None;
            } else {
                // Frame arrival to decision, then decision to this frame.
                let timing = outcome.timing();
                let shown_ms = timing.latency_ms
                    + (self.engine.clock().now() - timing.at)
                        .to_std()
                        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
                tracing::debug!(target: "baodao_kiosk::latency", overlay_ms = shown_ms, outcome = ?outcome.kind(), "overlay shown");
                self.overlay = Some(Overlay {
                    outcome: outcome.clone(),
                    since: Instant::now(),
                });
            }
            self.last_outcome = Some(outcome);
        }
        if self
            .overlay
            .as_ref()
            .is_some_and(|o| o.since.elapsed().as_secs_f32() > OVERLAY_SECS)
        {
            self.overlay = None;
        }
    }

    fn watch_input(&mut self, ctx: &egui::Context) {
        let (events, moved) =
            ctx.input(|i| (i.events.clone(), i.pointer.delta() != egui::Vec2::ZERO));
        if moved || !events.is_empty() {
            self.last_touch = Instant::now();
        }
        if moved {
            self.last_pointer_move = Instant::now();
        }
        if self.screen == Screen::Scan {
            // A keyboard-wedge scanner types the card and Enter.
            for event in &events {
                match event {
                    egui::Event::Text(text) => self.scanner.push_str(text),
                    egui::Event::Key {
                        key: egui::Key::Enter,
                        pressed: true,
                        ..
                    } => {
                        let text = std::mem::take(&mut self.scanner);
                        if !text.trim().is_empty() {
                            self.engine.send(Command::Typed(text));
                        }
                    }
                    _ => {}
                }
            }
            if self.scanner.len() > 4096 {
                self.scanner.clear();
            }
            if self.last_pointer_move.elapsed() > CURSOR_IDLE {
                ctx.set_cursor_icon(egui::CursorIcon::None);
            }
        } else if self.screen == Screen::Enrol {
            // Left open by staff on a kiosk that has a token: back to the
            // door, as staff mode would be, so members can check in.
            if self.last_touch.elapsed() > STAFF_IDLE
                && !self.engine.needs_enrolment()
                && !self.enrol.busy()
            {
                self.screen = Screen::Scan;
            }
            // A keyboard, when one is plugged in, types the code too.
            for event in &events {
                match event {
                    egui::Event::Text(text) if self.enrol.code.chars().count() < 32 => {
                        self.enrol.code.push_str(text);
                    }
                    egui::Event::Key {
                        key: egui::Key::Backspace,
                        pressed: true,
                        ..
                    } => {
                        self.enrol.code.pop();
                    }
                    egui::Event::Key {
                        key: egui::Key::Enter,
                        pressed: true,
                        ..
                    } => self.submit_enrolment(),
                    _ => {}
                }
            }
        } else if self.last_touch.elapsed() > STAFF_IDLE {
            self.close_staff();
        }
    }

    /// Back to the door: whoever was signed in is signed out (also when
    /// staff mode timed out), and the glyphs only staff screens drew (names,
    /// lists, the keyboard) leave the atlas, which would otherwise keep the
    /// window 20 MB larger for as long as it runs.
    fn close_staff(&mut self) {
        if matches!(self.screen, Screen::Scan | Screen::Enrol) {
            return;
        }
        self.screen = Screen::Scan;
        self.staff.voiding = None;
        self.staff.message = None;
        self.staff.signed_in = None;
        self.redraw_glyphs = true;
        self.trimmer.soon(Instant::now());
    }

    fn update_preview(&mut self, ctx: &egui::Context) {
        let Some(frame) = self.engine.preview() else {
            return;
        };
        // The preview sets the window's pace: one repaint per preview frame,
        // whatever else repaints it (a scan, the clock) in between.
        ctx.request_repaint_after(PREVIEW_INTERVAL);
        if self
            .preview
            .as_ref()
            .is_some_and(|(seq, _)| *seq == frame.seq)
        {
            return;
        }
        if self
            .preview_at
            .is_some_and(|at| at.elapsed() < PREVIEW_INTERVAL)
        {
            return;
        }
        self.preview_at = Some(Instant::now());
        let image = texture::preview(&frame.luma);
        tracing::debug!(target: "baodao_kiosk::latency", "preview shown");
        if let Some((seq, texture)) = &mut self.preview {
            texture.set(image, PREVIEW_FILTER);
            *seq = frame.seq;
        } else {
            let texture = ctx.load_texture("camera", image, PREVIEW_FILTER);
            self.preview = Some((frame.seq, texture));
            if let Some(started) = self.started {
                tracing::info!(
                    ms = started.elapsed().as_millis(),
                    "first camera frame on screen"
                );
            }
        }
    }

    pub fn preview_texture(&self) -> Option<&egui::TextureHandle> {
        self.preview.as_ref().map(|(_, t)| t)
    }

    /// Asks the desk for the tab's list when the search or activity
    /// changed or every two seconds; the answer arrives in `answered`.
    fn refresh_staff(&mut self, tab: StaffTab) {
        if self.staff.waiting.list {
            return;
        }
        let offline = self.engine.offline();
        let now = self.engine.clock().now();
        let activity = match &self.activity {
            ActivityChoice::Fixed(id) => Some(id.clone()),
            ActivityChoice::Auto => crate::domain::checkin::pick_activity(
                &offline,
                now + offline.clock_offset,
                &ActivityChoice::Auto,
            )
            .map(|a| a.activity_id.clone()),
        };
        let zone = offline.policy.time_zone;
        let today = now
            .with_timezone(&zone)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(zone).earliest())
            .map(|t| t.with_timezone(&Utc));
        let (activity, since) = if self.staff.all_today {
            (None, today)
        } else {
            (activity, Some(now - chrono::Duration::hours(24)))
        };
        let key = (self.staff.search.clone(), activity);
        let stale = self
            .staff
            .loaded_at
            .is_none_or(|at| at.elapsed() > Duration::from_secs(2));
        if self.staff.loaded_for.as_ref() == Some(&key) && !stale {
            return;
        }
        // Only the attendance tab lists check-ins; only the sync tab shows
        // what the office refused.
        let ask = match tab {
            StaffTab::Attendance => Ask::CheckIns {
                key: key.clone(),
                since,
            },
            StaffTab::Sync => Ask::Refused,
            StaffTab::Manual | StaffTab::Settings => return,
        };
        if self.engine.desk().ask(ask) {
            self.staff.waiting.list = true;
            self.staff.loaded_for = Some(key);
            self.staff.loaded_at = Some(Instant::now());
        }
    }

    /// What the desk answered.
    fn answered(&mut self, answer: Answer) {
        match answer {
            Answer::CheckIns { key, rows } => {
                self.staff.waiting.list = false;
                // An answer to an older search is not shown.
                if self.staff.loaded_for.as_ref() == Some(&key) {
                    self.staff.rows = rows;
                }
            }
            Answer::Refused(rows) => {
                self.staff.waiting.list = false;
                self.staff.refused = rows;
            }
            Answer::Pin(check) => self.pin_checked(check),
            Answer::Cameras(cameras) => self.staff.cameras = cameras,
            Answer::Exported(result) => {
                self.staff.waiting.export = false;
                self.staff.message = Some(match result {
                    Ok((n, path)) => format!(
                        "{} {n} → {}",
                        i18n::t(self.language, i18n::Text::Exported),
                        path.display()
                    ),
                    Err(e) => e.to_string(),
                });
            }
        }
    }

    fn describe(&self, outcome: &Outcome) -> String {
        let language = self.language;
        let name = outcome.member_name().unwrap_or_default();
        match outcome {
            Outcome::Accepted { .. } => {
                format!("{name}: {}", i18n::t(language, i18n::Text::CheckedIn))
            }
            Outcome::Duplicate { .. } => {
                format!(
                    "{name}: {}",
                    i18n::t(language, i18n::Text::AlreadyCheckedIn)
                )
            }
            Outcome::Voided { .. } => i18n::t(language, i18n::Text::Voided).to_owned(),
            Outcome::Rejected { reason, .. } | Outcome::Error { reason, .. } => {
                format!("{name} {}", i18n::reason(language, *reason))
            }
        }
    }

    /// Carries out one action.
    pub fn act(&mut self, action: Action) {
        self.last_touch = Instant::now();
        match action {
            Action::OpenStaff => {
                self.overlay = None;
                self.screen = Screen::Pin {
                    entry: String::new(),
                    message: None,
                };
            }
            Action::PinDigit(digit) => {
                if let Screen::Pin { entry, .. } = &mut self.screen
                    && entry.len() < 12
                {
                    entry.push(digit);
                }
            }
            Action::PinBackspace => {
                if let Screen::Pin { entry, .. } = &mut self.screen {
                    entry.pop();
                }
            }
            Action::PinSubmit => self.check_pin(),
            Action::CloseStaff => self.close_staff(),
            Action::Tab(tab) => {
                self.screen = Screen::Staff(tab);
                self.staff.loaded_at = None;
            }
            Action::ManualCheckIn(member) => {
                self.engine.send(Command::Manual {
                    member,
                    staff: self.staff.signed_in.clone(),
                });
            }
            Action::StartVoid(record_id) => {
                self.staff.voiding = Some(record_id);
                self.staff.void_reason.clear();
            }
            Action::ConfirmVoid => {
                if let Some(record_id) = self.staff.voiding.take() {
                    let reason = self.staff.void_reason.trim().to_owned();
                    self.engine.send(Command::Void {
                        record_id,
                        reason,
                        staff: self.staff.signed_in.clone(),
                    });
                    self.staff.loaded_at = None;
                }
            }
            Action::CancelVoid => self.staff.voiding = None,
            Action::SetActivity(choice) => {
                self.activity = choice.clone();
                self.engine.send(Command::SetActivity(choice));
                self.staff.loaded_at = None;
            }
            Action::SetLanguage(language) => self.language = language,
            Action::SetCamera(spec) => self.engine.switch_camera(spec),
            Action::FindCameras => {
                self.engine.desk().ask(Ask::Cameras);
            }
            Action::ShowToday(all) => {
                self.staff.all_today = all;
                self.staff.loaded_at = None;
            }
            Action::SyncNow => self.engine.sync_now(),
            Action::Export => self.export(),
            Action::DismissOverlay => self.overlay = None,
            Action::SubmitEnrol => self.submit_enrolment(),
            Action::StartEnrol => {
                self.close_staff();
                self.enrol = EnrolState::default();
                self.screen = Screen::Enrol;
            }
            Action::CancelEnrol => {
                if !self.engine.needs_enrolment() && !self.enrol.busy() {
                    self.screen = Screen::Scan;
                }
            }
        }
    }

    /// A code the camera read fills the field and goes at once; the
    /// answer of an exchange on its way is taken in.
    fn watch_enrolment(&mut self) {
        if let Some(code) = self.engine.take_enrol_code()
            && !self.enrol.busy()
        {
            self.enrol.code = code.to_string();
            self.submit_enrolment();
        }
        let Some(pending) = &self.enrol.pending else {
            return;
        };
        let answer = match pending.try_recv() {
            Ok(answer) => answer,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Err(crate::Error::Internal(
                "the enrolment thread ended without an answer".into(),
            )),
        };
        self.enrol.pending = None;
        let language = self.language;
        match answer.and_then(|enrolled| {
            let words = format!(
                "{} {} ({})",
                i18n::t(language, i18n::Text::EnrolledAs),
                enrolled.kiosk_id,
                enrolled.name
            );
            self.engine.enrolled(enrolled.token)?;
            Ok(words)
        }) {
            Ok(words) => {
                tracing::info!("{words}");
                self.enrol.message = Some((true, words));
                self.enrol.code.clear();
                self.screen = Screen::Scan;
            }
            Err(e) => {
                tracing::warn!(error = %e, "enrolment failed");
                self.enrol.message = Some((false, i18n::enrol_failure(language, &e)));
            }
        }
    }

    /// Checks the code's shape here (a typo is told at once), then
    /// exchanges it on its own thread: the network may take seconds.
    fn submit_enrolment(&mut self) {
        if self.enrol.busy() {
            return;
        }
        let code = match baodao_shared::enrol::EnrolCode::parse(&self.enrol.code) {
            Ok(code) => code,
            Err(e) => {
                self.enrol.message = Some((
                    false,
                    i18n::enrol_failure(self.language, &crate::Error::Domain(e)),
                ));
                return;
            }
        };
        let config = self.engine.config().clone();
        let Some(server) = config.server_url.clone() else {
            return;
        };
        let (answer, pending) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("baodao-enrol".into())
            .spawn(move || {
                let result = crate::enrol::enrol(
                    &server,
                    config.ca_file.as_deref(),
                    &config.data_dir,
                    &code,
                );
                let _ = answer.send(result);
            });
        match spawned {
            Ok(_) => {
                self.enrol.pending = Some(pending);
                self.enrol.message = None;
            }
            Err(e) => {
                self.enrol.message = Some((false, format!("{e}")));
            }
        }
    }

    /// Asks the desk to check the PIN: argon2 takes tens of milliseconds
    /// a staff member, too long for a frame.
    fn check_pin(&mut self) {
        let Screen::Pin { entry, message } = &mut self.screen else {
            return;
        };
        if self.staff.waiting.pin {
            return;
        }
        let ask = Ask::Pin {
            pin: std::mem::take(entry),
            pins: self.engine.config().staff_pins(),
            now: self.engine.clock().now(),
        };
        *message = Some(i18n::t(self.language, i18n::Text::Checking).to_owned());
        self.staff.waiting.pin = self.engine.desk().ask(ask);
    }

    fn pin_checked(&mut self, result: PinCheck) {
        self.staff.waiting.pin = false;
        if !matches!(self.screen, Screen::Pin { .. }) {
            // Cancelled meanwhile.
            return;
        }
        let language = self.language;
        let message = |text| Some(i18n::t(language, text).to_owned());
        self.screen = match result {
            PinCheck::Unlocked { staff } => {
                tracing::info!(%staff, "staff mode unlocked");
                self.staff.signed_in = Some(staff);
                self.staff.loaded_at = None;
                Screen::Staff(StaffTab::Attendance)
            }
            PinCheck::Wrong { attempts_left } => Screen::Pin {
                entry: String::new(),
                message: Some(format!(
                    "{} ({attempts_left})",
                    i18n::t(language, i18n::Text::WrongPin)
                )),
            },
            PinCheck::Locked { for_secs } => Screen::Pin {
                entry: String::new(),
                message: Some(format!(
                    "{} ({for_secs} s)",
                    i18n::t(language, i18n::Text::LockedOut)
                )),
            },
            PinCheck::NotConfigured => Screen::Pin {
                entry: String::new(),
                message: message(i18n::Text::NoPinConfigured),
            },
        };
    }

    /// Writes the attendance list to the chosen path (a USB stick) as CSV,
    /// on its own thread.
    fn export(&mut self) {
        let config = self.engine.config();
        let path = match crate::export::target(
            &config.export_dir,
            &config.data_dir,
            &self.staff.export_path,
        ) {
            Ok(path) => path,
            Err(e) => {
                self.staff.message = Some(e.to_string());
                return;
            }
        };
        if !self.staff.waiting.export {
            self.staff.waiting.export = self.engine.desk().ask(Ask::Export(path));
        }
    }
}

impl eframe::App for KioskApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    /// The screens' paper colour, as the clear colour: the GPU (or, without
    /// one, Mesa's llvmpipe on the CPU) fills the window once a frame, not
    /// twice, which at 1280×800 is a million fewer pixels shaded per frame.
    fn clear_color(&self, _visuals: &egui::Visuals) -> [f32; 4] {
        scan_ui::PAPER.to_normalized_gamma_f32()
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        texture::limit_side(raw_input);
    }
}

fn default_export_path(export_dir: &std::path::Path) -> String {
    let day = Utc::now().format("%Y%m%d");
    // A USB stick mounts under /media on most kiosks.
    export_dir
        .join("usb")
        .join(format!("baodao-attendance-{day}.csv"))
        .display()
        .to_string()
}

/// Shared handle for the repaint callback.
pub fn repaint_callback(ctx: &egui::Context) -> Arc<dyn Fn() + Send + Sync> {
    let ctx = ctx.clone();
    Arc::new(move || ctx.request_repaint())
}
