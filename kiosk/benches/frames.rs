//! The window's frame time in staff mode with a busy day in the database:
//! 5,000 check-ins today, the attendance list open, the search changing
//! every few frames so the desk answers again and again. Each frame is the
//! app's own work plus egui's layout and tessellation (kittest, no GPU).
//!
//! The peer, in the same run: the same frames with the list query done
//! inline, as the window did before the staff desk (every two seconds and
//! on every search change), i.e. what a frame cost when it had to wait.
//!
//!   cargo bench -p baodao-kiosk --bench frames

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use baodao_kiosk::app::pin::{PinCheck, PinGate};
use baodao_kiosk::app::sound::Sounds;
use baodao_kiosk::app::{KioskApp, Screen, StaffTab, fonts};
use baodao_kiosk::config::StaffPin;
use baodao_kiosk::engine::{Engine, Setup};
use baodao_kiosk::store::{CheckIn, Store};
use baodao_shared::{AttendanceRecord, Method};
use chrono::Utc;
use common::{Fixture, member_id};
use egui_kittest::Harness;

const CHECK_INS: usize = 5_000;
const FRAMES: usize = 600;
const MEMBERS: usize = 50;

fn main() {
    let fixture = Fixture::new(MEMBERS);
    let mut store = Store::open(&fixture.config.database_path()).unwrap();
    let now = Utc::now();
    for n in 0..CHECK_INS {
        let member = member_id(n % MEMBERS);
        store
            .record_check_in(&CheckIn {
                record: AttendanceRecord {
                    record_id: uuid::Uuid::now_v7(),
                    member_id: member.parse().unwrap(),
                    activity_id: "A1".parse().unwrap(),
                    scanned_at: now - chrono::Duration::seconds(i64::try_from(n).unwrap()),
                    method: Method::Qr,
                    card: None,
                    entered_by: None,
                },
                member_name: format!("成員{n}"),
            })
            .unwrap();
    }

    let engine = Engine::start(Setup::new(fixture.config.clone())).unwrap();
    let mut app = KioskApp::new(engine, Sounds::off());
    app.screen = Screen::Staff(StaffTab::Attendance);
    app.staff.all_today = true;
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut KioskApp| app.show(ui), app);
    // Until the first list is on screen.
    let deadline = Instant::now() + Duration::from_mins(1);
    while harness.state().staff.rows.is_empty() {
        assert!(Instant::now() < deadline, "the list never came");
        harness.step();
    }

    let searches = ["", "M00", "成員1", "成員49", "M0001", "成員"];
    let mut frames = Vec::with_capacity(FRAMES);
    let mut inline = Vec::with_capacity(FRAMES);
    let mut rows_seen = 0usize;
    for n in 0..FRAMES {
        let search = searches[(n / 10) % searches.len()];
        search.clone_into(&mut harness.state_mut().staff.search);
        let started = Instant::now();
        harness.step();
        let frame = started.elapsed();
        frames.push(frame);
        rows_seen = rows_seen.max(harness.state().staff.rows.len());
        // The peer: what the old window did on the same frame, inline.
        if n % 10 == 0 {
            let started = Instant::now();
            let rows = store.check_ins(None, None, search, 200).unwrap();
            inline.push(frame + started.elapsed());
            assert!(rows.len() <= 200);
        } else {
            inline.push(frame);
        }
    }
    assert_eq!(rows_seen, 200, "the list showed a full page");
    report("staff mode, list from the desk (now)", &mut frames);
    report(
        "peer: the same frames with the query inline (before)",
        &mut inline,
    );

    // The other thing the window used to wait for: the PIN's argon2.
    let pins = [StaffPin {
        name: "王芳".into(),
        pin_hash: baodao_kiosk::app::pin::hash("246810").unwrap(),
    }];
    let mut gate = PinGate::default();
    let mut checks: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            let check = gate.check("246810", &pins, Utc::now());
            assert!(matches!(check, PinCheck::Unlocked { .. }));
            started.elapsed()
        })
        .collect();
    report(
        "peer: one PIN check inline, one staff member (before: on the frame that unlocked)",
        &mut checks,
    );
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i].as_secs_f64() * 1000.0
    };
    println!(
        "{name}: {} samples, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0)
    );
}
