//! The kiosk core end to end, without a server: frames or typed cards in,
//! outcomes out, check-ins in the SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use baodao_kiosk::camera::synthetic::{Scene, render};
use baodao_kiosk::camera::{CameraStatus, FrameSource};
use baodao_kiosk::clock::{ManualClock, SharedClock};
use baodao_kiosk::config::ActivityChoice;
use baodao_kiosk::engine::{Command, Engine, Setup};
use baodao_kiosk::outcome::{KioskReason, Outcome, OutcomeKind, Reason};
use baodao_kiosk::store::Store;
use baodao_shared::card::CardSigner;
use baodao_shared::protocol::Reason as Shared;
use chrono::NaiveDate;
use common::Fixture;
use image::GrayImage;

/// Plays a list of frames once, then reports the camera unplugged.
struct Frames(std::vec::IntoIter<GrayImage>);

impl FrameSource for Frames {
    fn describe(&self) -> String {
        "test frames".into()
    }
    fn next_frame(&mut self) -> baodao_kiosk::Result<GrayImage> {
        std::thread::sleep(Duration::from_millis(5));
        self.0
            .next()
            .ok_or_else(|| baodao_kiosk::Error::Camera("unplugged".into()))
    }
}

fn start(fixture: &Fixture, frames: Vec<GrayImage>) -> Engine {
    start_at(fixture, frames, ManualClock::at(chrono::Utc::now()))
}

/// Starts the core on a clock the test moves by hand.
fn start_at(fixture: &Fixture, frames: Vec<GrayImage>, clock: SharedClock) -> Engine {
    let mut setup = Setup::new(fixture.config.clone());
    setup.clock = clock;
    let mut frames = Some(frames);
    setup.camera_retry = Duration::from_millis(50);
    setup.camera = Some(Box::new(move || match frames.take() {
        Some(f) => Ok(Box::new(Frames(f.into_iter())) as Box<dyn FrameSource>),
        None => Err(baodao_kiosk::Error::Camera("no camera found".into())),
    }));
    Engine::start(setup).unwrap()
}

fn next(engine: &Engine) -> Outcome {
    engine
        .outcomes
        .recv_timeout(Duration::from_secs(30))
        .expect("an outcome")
}

/// Asserts that what was sent before said nothing: a void of no check-in
/// goes through the same queue, so its refusal comes next only if nothing
/// else was said first. No waiting for time to pass.
fn assert_silent(engine: &Engine, why: &str) {
    let marker = uuid::Uuid::nil();
    assert!(engine.send(Command::Void {
        record_id: marker,
        reason: "marker".into(),
        staff: None,
    }));
    let outcome = next(engine);
    assert_eq!(
        (outcome.reason(), outcome_record(&outcome)),
        (
            Some(KioskReason::UnknownOrVoidedRecord.into()),
            Some(marker)
        ),
        "{why}: {outcome:?}"
    );
}

fn outcome_record(outcome: &Outcome) -> Option<uuid::Uuid> {
    match outcome {
        Outcome::Rejected { record_id, .. } => *record_id,
        other => other.record_id(),
    }
}

/// Past the debounce: the same card again is a new presentation.
const PAST_DEBOUNCE: Duration = Duration::from_millis(1600);

fn typed(engine: &Engine, text: &str) -> Outcome {
    assert!(engine.send(Command::Typed(text.to_owned())));
    next(engine)
}

#[test]
fn a_card_held_for_a_second_is_one_durable_check_in() {
    let fixture = Fixture::new(4);
    let card = render(&Scene::new(Some(fixture.card(2)))).unwrap();
    let empty = render(&Scene::new(None)).unwrap();
    let mut frames = vec![empty.clone(); 3];
    frames.extend(std::iter::repeat_n(card, 30));
    frames.extend(std::iter::repeat_n(empty, 3));
    let engine = start(&fixture, frames);

    let outcome = next(&engine);
    assert_eq!(outcome.kind(), OutcomeKind::Accepted, "{outcome:?}");
    assert_eq!(outcome.member_name(), Some("歐陽曉嵐"));
    assert_eq!(
        outcome.activity().map(|a| a.activity_id.as_str()),
        Some("A1")
    );
    assert_eq!(outcome.standing().map(|s| (s.points, s.cap)), Some((1, 12)));
    assert!(outcome.timing().latency_ms > 0.0);
    // Every frame read before the camera "unplugged"; then nothing more.
    while !matches!(engine.camera_status(), CameraStatus::Unavailable { .. }) {
        std::thread::yield_now();
    }
    assert_silent(&engine, "thirty frames of one card are one event");

    let store = Store::open(engine.database()).unwrap();
    let rows = store.check_ins(None, None, "", 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(Some(rows[0].record.record_id), outcome.record_id());
    assert!(rows[0].record.card.as_deref().unwrap().starts_with("BD1:"));
    assert_eq!(store.pending_count().unwrap(), 1);
}

#[test]
fn every_refusal_reaches_the_member_with_its_reason() {
    let fixture = Fixture::new(4);
    let clock = ManualClock::at(chrono::Utc::now());
    let engine = start_at(&fixture, vec![], clock.clone());
    let forger = CardSigner::from_seed(1, &[99; 32]);
    let stranger = CardSigner::from_seed(9, &[98; 32]);
    let far = NaiveDate::from_ymd_opt(2035, 1, 1).unwrap();
    let good = fixture.card(1);
    let cases = [
        (
            "weixin://wxpay/bizpayurl?pr=abc".to_owned(),
            Shared::NotBaodaoCard,
        ),
        (good[..50].to_owned(), Shared::CardMalformed),
        (
            forger.sign(&"M0001".parse().unwrap(), 2, far).unwrap(),
            Shared::BadCardSignature,
        ),
        (
            stranger.sign(&"M0001".parse().unwrap(), 2, far).unwrap(),
            Shared::CardUnknownKey,
        ),
        (
            fixture.card_with(1, 2, NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
            Shared::CardExpired,
        ),
        (fixture.card_with(0, 1000, far), Shared::CardRevoked),
        (fixture.card_with(3, 1, far), Shared::CardReplaced),
    ];
    for (text, reason) in cases {
        let outcome = typed(&engine, &text);
        assert_eq!(
            outcome.kind(),
            OutcomeKind::Rejected,
            "{reason:?}: {outcome:?}"
        );
        assert_eq!(outcome.reason(), Some(reason.into()));
    }
    // A valid card of a member this kiosk's roster does not carry (another
    // community's, visiting) checks in; the server judges the rest.
    let visitor = typed(&engine, &fixture.card_with(77, 78, far));
    assert_eq!(visitor.kind(), OutcomeKind::Accepted, "{visitor:?}");
    assert!(engine.send(Command::SetActivity(ActivityChoice::Fixed(
        "Z9".parse().unwrap()
    ))));
    let outcome = typed(&engine, &good);
    assert_eq!(outcome.reason(), Some(KioskReason::NoActivity.into()));
    assert_eq!(
        outcome.member_name(),
        Some("李娜"),
        "the member is greeted even when refused"
    );

    assert!(engine.send(Command::SetActivity(ActivityChoice::Auto)));
    // The same card again within a second and a half is the same presentation.
    clock.advance(PAST_DEBOUNCE);
    assert_eq!(typed(&engine, &good).kind(), OutcomeKind::Accepted);
    // A scanner firing twice at once is ignored; a real second scan says "already".
    assert!(engine.send(Command::Typed(good.clone())));
    assert_silent(&engine, "a scanner firing twice is one scan");
    clock.advance(PAST_DEBOUNCE);
    let again = typed(&engine, &good);
    assert_eq!(again.kind(), OutcomeKind::Duplicate);
    assert!(matches!(again, Outcome::Duplicate { .. }));
    // Shown again and again: one "already" a minute is enough.
    clock.advance(PAST_DEBOUNCE);
    assert!(engine.send(Command::Typed(good.clone())));
    assert_silent(&engine, "one calm \"already\"");
    clock.advance(Duration::from_secs(61));
    assert_eq!(
        typed(&engine, &good).kind(),
        OutcomeKind::Duplicate,
        "a minute later, it says so again"
    );

    let store = Store::open(engine.database()).unwrap();
    assert_eq!(
        store.check_ins(None, None, "", 100).unwrap().len(),
        2,
        "refusals store nothing: the visitor and the good card only"
    );
}

#[test]
fn manual_check_in_and_void() {
    let fixture = Fixture::new(4);
    let engine = start(&fixture, vec![]);
    let staff = Some("王芳".to_owned());
    assert!(engine.send(Command::Manual {
        member: "M0002".parse().unwrap(),
        staff: staff.clone(),
    }));
    let outcome = next(&engine);
    assert_eq!(outcome.kind(), OutcomeKind::Accepted);
    assert_eq!(outcome.method(), Some(baodao_shared::Method::Manual));
    let record_id = outcome.record_id().unwrap();

    assert!(engine.send(Command::Void {
        record_id,
        reason: "掃錯人".into(),
        staff: Some("李強".into()),
    }));
    assert_eq!(next(&engine).kind(), OutcomeKind::Voided);
    assert!(engine.send(Command::Void {
        record_id,
        reason: "again".into(),
        staff: None,
    }));
    assert_eq!(
        next(&engine).reason(),
        Some(KioskReason::UnknownOrVoidedRecord.into()),
        "a second void changes nothing"
    );
    assert!(engine.send(Command::Void {
        record_id,
        reason: " ".repeat(3),
        staff: None,
    }));
    assert_eq!(
        next(&engine).reason(),
        Some(Reason::Shared(Shared::InvalidReason)),
        "a void needs a reason"
    );

    // Somebody this community's roster does not carry: staff are told so,
    // not "unknown member".
    assert!(engine.send(Command::Manual {
        member: "M9999".parse().unwrap(),
        staff: None
    }));
    assert_eq!(
        next(&engine).reason(),
        Some(KioskReason::NotRegisteredHere.into())
    );

    // Voided, the member may check in again.
    assert!(engine.send(Command::Manual {
        member: "M0002".parse().unwrap(),
        staff: None
    }));
    assert_eq!(next(&engine).kind(), OutcomeKind::Accepted);
    let store = Store::open(engine.database()).unwrap();
    let rows = store.check_ins(None, None, "M0002", 10).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].voided.as_deref(), Some("掃錯人"));
    // Who did it goes up with the record and the void.
    assert_eq!(rows[1].record.entered_by, staff);
    assert_eq!(rows[0].record.entered_by, None);
    let voids = store.pending_voids(10).unwrap();
    assert_eq!(voids.len(), 1);
    assert_eq!(voids[0].voided_by.as_deref(), Some("李強"));
}

#[test]
fn no_camera_is_a_status_and_the_kiosk_keeps_working() {
    let fixture = Fixture::new(2);
    let engine = start(&fixture, vec![GrayImage::new(64, 48); 3]);
    let deadline = Instant::now() + Duration::from_secs(10);
    // Three frames, then "unplugged", then "no camera found" on every retry.
    loop {
        if let CameraStatus::Unavailable { reason } = engine.camera_status() {
            assert!(
                reason.contains("unplugged") || reason.contains("no camera"),
                "{reason}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "status never said the camera is gone"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        typed(&engine, &fixture.card(1)).kind(),
        OutcomeKind::Accepted,
        "a scanner still works"
    );
    assert!(
        engine
            .stats()
            .frames
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 3
    );
}

#[test]
fn a_full_disk_is_an_error_outcome_and_acknowledges_nothing() {
    let fixture = Fixture::new(2);
    let clock = ManualClock::at(chrono::Utc::now());
    let engine = start_at(&fixture, vec![], clock.clone());
    // Make the database read-only underneath the running kiosk, as a full or
    // failing disk would: the write fails and nothing is acknowledged.
    let conn = rusqlite::Connection::open(engine.database()).unwrap();
    conn.execute_batch("CREATE TRIGGER full BEFORE INSERT ON checkins BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;")
        .unwrap();
    let outcome = typed(&engine, &fixture.card(1));
    assert_eq!(outcome.kind(), OutcomeKind::Error);
    assert_eq!(outcome.record_id(), None);
    conn.execute_batch("DROP TRIGGER full;").unwrap();
    clock.advance(PAST_DEBOUNCE);
    assert_eq!(
        typed(&engine, &fixture.card(1)).kind(),
        OutcomeKind::Accepted,
        "works again once there is room"
    );
}
