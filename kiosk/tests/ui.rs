//! The real app state under `egui_kittest`: what a member and the staff see
//! and touch. The bundled CJK font is loaded as the app loads it; kittest
//! fails on any glyph no loaded font has.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use baodao_kiosk::app::sound::Sounds;
use baodao_kiosk::app::{KioskApp, Screen, fonts, i18n};
use baodao_kiosk::clock::{ManualClock, SharedClock};
use baodao_kiosk::engine::{Command, Engine, Setup};
use baodao_kiosk::outcome::OutcomeKind;
use baodao_shared::card::CardSigner;
use chrono::NaiveDate;
use common::Fixture;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

const PIN: &str = "246810";

fn fixture() -> Fixture {
    let hash = baodao_kiosk::app::pin::hash(PIN).unwrap();
    // A personal PIN: staff mode knows who unlocked it.
    Fixture::with_settings(
        6,
        &format!("[[staff]]\nname = \"王芳\"\npin_hash = \"{hash}\""),
    )
}

fn harness(fixture: &Fixture) -> Harness<'static, KioskApp> {
    harness_sized(fixture, egui::vec2(1280.0, 800.0))
}

fn harness_sized(fixture: &Fixture, size: egui::Vec2) -> Harness<'static, KioskApp> {
    harness_at(fixture, size, baodao_kiosk::clock::system())
}

fn harness_at(
    fixture: &Fixture,
    size: egui::Vec2,
    clock: SharedClock,
) -> Harness<'static, KioskApp> {
    let mut setup = Setup::new(fixture.config.clone());
    setup.clock = clock;
    let engine = Engine::start(setup).unwrap();
    let app = KioskApp::new(engine, Sounds::off());
    Harness::builder()
        .with_size(size)
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut KioskApp| app.show(ui), app)
}

/// Steps the UI until `label` shows (outcomes arrive from other threads).
fn wait_for(harness: &mut Harness<'static, KioskApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        harness.run_steps(2);
        if harness.query_all_by_label_contains(label).next().is_some() {
            return;
        }
        assert!(Instant::now() < deadline, "{label:?} never showed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scan(harness: &mut Harness<'static, KioskApp>, text: &str) {
    assert!(harness.state().engine.send(Command::Typed(text.to_owned())));
}

fn unlock(harness: &mut Harness<'static, KioskApp>) {
    // A result on screen would take the first touch.
    harness.state_mut().overlay = None;
    harness.run_steps(1);
    harness.get_by_label("工作人员").click();
    harness.run_steps(2);
    for digit in PIN.chars() {
        harness.get_by_label(&digit.to_string()).click();
        harness.run_steps(1);
    }
    submit_pin(harness);
    assert!(matches!(harness.state().screen, Screen::Staff(_)));
    harness.get_by_label("当前工作人员：王芳");
}

/// Presses "unlock" and steps the UI until the PIN check, which runs on
/// its own thread, has answered.
fn submit_pin(harness: &mut Harness<'static, KioskApp>) {
    harness.get_by_label("进入").click();
    harness.run_steps(1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness.state().staff.waiting.pin {
        assert!(Instant::now() < deadline, "the PIN check never answered");
        std::thread::yield_now();
        harness.run_steps(1);
    }
    harness.run_steps(1);
}

#[test]
fn a_valid_scan_shows_the_name_and_points_then_a_repeat_says_already() {
    let fixture = fixture();
    let clock = ManualClock::at(chrono::Utc::now());
    let mut harness = harness_at(&fixture, egui::vec2(1280.0, 800.0), clock.clone());
    harness.run_steps(2);
    harness.get_by_label("请出示党员服务卡");
    // The community by the name the office registered, not its id.
    harness.get_by_label_contains("灣子街社區");
    scan(&mut harness, &fixture.card(2));
    wait_for(&mut harness, "签到成功");
    harness.get_by_label("歐陽曉嵐");
    harness.get_by_label("本年度积分 1/12");

    // Past the debounce: the same card again is a second presentation.
    clock.advance(Duration::from_millis(1600));
    scan(&mut harness, &fixture.card(2));
    wait_for(&mut harness, "您已签到");
    harness.get_by_label_contains("首次签到时间");
    assert_eq!(
        harness.state().last_outcome.as_ref().unwrap().kind(),
        OutcomeKind::Duplicate
    );
}

#[test]
fn each_refusal_shows_its_reason_in_plain_words() {
    let fixture = fixture();
    let mut harness = harness(&fixture);
    let far = NaiveDate::from_ymd_opt(2035, 1, 1).unwrap();
    let forged = CardSigner::from_seed(1, &[77; 32])
        .sign(&"M0001".parse().unwrap(), 2, far)
        .unwrap();
    let cases = [
        ("https://example.com/pay".to_owned(), "这不是党员服务卡"),
        (forged, "卡片验证失败（疑似伪造）"),
        (
            fixture.card_with(1, 2, NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
            "卡片已过期",
        ),
        (fixture.card_with(3, 1, far), "卡片已换新，请使用新卡"),
        (fixture.card_with(0, 1000, far), "卡片已挂失或停用"),
        (fixture.card(4)[..60].to_owned(), "卡片无法完整读取，请重试"),
    ];
    for (card, text) in cases {
        scan(&mut harness, &card);
        wait_for(&mut harness, text);
        harness.get_by_label("无法签到");
    }
    harness
        .state_mut()
        .act(baodao_kiosk::app::Action::SetActivity(
            baodao_kiosk::config::ActivityChoice::Fixed("Z9".parse().unwrap()),
        ));
    scan(&mut harness, &fixture.card(5));
    wait_for(&mut harness, "当前没有进行中的活动");

    // A visiting member (not in this community's roster) with a valid card
    // is checked in, greeted by member id.
    harness
        .state_mut()
        .act(baodao_kiosk::app::Action::SetActivity(
            baodao_kiosk::config::ActivityChoice::Auto,
        ));
    scan(&mut harness, &fixture.card_with(50, 51, far));
    wait_for(&mut harness, "签到成功");
    harness.get_by_label_contains("M0050");
}

#[test]
fn the_staff_pin_locks_out_after_five_wrong_tries() {
    let fixture = fixture();
    let mut harness = harness(&fixture);
    harness.run_steps(2);
    harness.get_by_label("工作人员").click();
    harness.run_steps(2);
    harness.get_by_label("请输入工作人员密码");
    for attempt in 1..=5 {
        for _ in 0..4 {
            harness.get_by_label("9").click();
            harness.run_steps(1);
        }
        submit_pin(&mut harness);
        if attempt < 5 {
            harness.get_by_label_contains("密码错误");
        }
    }
    harness.get_by_label_contains("输错次数过多");
    // The right PIN does not open it during the lockout.
    for digit in PIN.chars() {
        harness.get_by_label(&digit.to_string()).click();
        harness.run_steps(1);
    }
    submit_pin(&mut harness);
    assert!(matches!(harness.state().screen, Screen::Pin { .. }));
}

#[test]
fn staff_check_in_by_name_and_void_it() {
    let fixture = fixture();
    let mut harness = harness(&fixture);
    harness.run_steps(2);
    unlock(&mut harness);
    harness.get_by_label("手工签到").click();
    harness.run_steps(2);
    harness.state_mut().staff.member_search = "李娜".into();
    harness.run_steps(2);
    // Two members share the name; staff pick the first (M0001).
    harness
        .get_all_by_label("签到 李娜")
        .next()
        .unwrap()
        .click();
    harness.run_steps(2);
    wait_for(&mut harness, "李娜: 签到成功");

    harness.get_by_label("签到记录").click();
    wait_for(&mut harness, "M0001");
    harness.get_by_label("作废").click_accesskit();
    harness.run_steps(2);
    harness.state_mut().staff.void_reason = "工作人员误操作".into();
    harness.run_steps(2);
    harness.get_by_label("确认作废").click_accesskit();
    harness.run_steps(2);
    wait_for(&mut harness, "已作废: 工作人员误操作");
}

#[test]
fn language_switches_at_run_time() {
    let fixture = fixture();
    let mut harness = harness(&fixture);
    harness.run_steps(2);
    unlock(&mut harness);
    harness.get_by_label("设置").click();
    harness.run_steps(2);
    harness.get_by_label("繁體中文").click();
    harness.run_steps(2);
    harness.get_by_label("返回簽到").click();
    harness.run_steps(2);
    harness.get_by_label("請出示黨員服務卡");
    harness
        .state_mut()
        .act(baodao_kiosk::app::Action::SetLanguage(
            baodao_kiosk::config::Language::En,
        ));
    harness.run_steps(2);
    harness.get_by_label("Please show your member card");
    scan(&mut harness, &fixture.card(1));
    wait_for(&mut harness, "Checked in");
    harness.get_by_label("Points this year 1/12");
}

#[test]
fn every_string_in_all_three_languages_renders_with_the_bundled_font() {
    let strings = i18n::all_strings();
    let names = "張偉 李娜 王芳 劉洋 陳靜 楊帆 趙磊 黃敏 周傑 吳霞 歐陽曉嵐 司馬懿 张伟 刘洋 陈静 杨帆 赵磊 黄敏 周杰 吴霞 欧阳晓岚 \
                 黨員固定活動日：社區環境衛生整治 党员固定活动日 政策宣講 困難群眾幫扶 交通秩序維護 家居服務 黨課 聯席會議";
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 6000.0))
        .with_context_setup(fonts::install)
        .build_ui(move |ui| {
            for text in &strings {
                ui.label(*text);
            }
            ui.label(names);
        });
    // kittest fails the test on any glyph that no loaded font has.
    harness.run_steps(2);
    harness.get_by_label("簽到成功");
    harness.get_by_label("Already checked in");
    // Every reason, the server's included, in all three languages.
    harness.get_by_label("未在本社区登记，请找工作人员");
    harness.get_by_label("未在本社區登記，請找工作人員");
    harness.get_by_label("Not registered at this community: please see staff");
    harness.get_by_label("同一時段已在其他社區簽到");
}

#[test]
fn staff_switch_the_camera_without_a_restart() {
    let fixture = fixture();
    let mut harness = harness(&fixture);
    harness.run_steps(2);
    unlock(&mut harness);
    harness.get_by_label("设置").click();
    harness.run_steps(2);
    harness.get_by_label("模拟摄像头（演示）").click_accesskit();
    harness.run_steps(2);
    assert_eq!(
        harness.state().engine.camera_spec(),
        baodao_kiosk::config::CameraSpec::Synthetic
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(
        harness.state().engine.camera_status(),
        baodao_kiosk::camera::CameraStatus::Running { .. }
    ) {
        assert!(Instant::now() < deadline, "the chosen camera never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    harness
        .get_by_label("不用摄像头（仅扫码枪）")
        .click_accesskit();
    harness.run_steps(2);
    let deadline = Instant::now() + Duration::from_secs(10);
    while matches!(
        harness.state().engine.camera_status(),
        baodao_kiosk::camera::CameraStatus::Running { .. }
    ) {
        assert!(Instant::now() < deadline, "the camera never stopped");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn attendance_shows_the_current_activity_or_all_of_today() {
    let fixture = fixture();
    let mut harness = harness(&fixture);
    harness.run_steps(2);
    scan(&mut harness, &fixture.card(3));
    wait_for(&mut harness, "签到成功");
    unlock(&mut harness);
    wait_for(&mut harness, "M0003");
    harness.get_by_label("今天全部").click_accesskit();
    harness.run_steps(2);
    assert!(harness.state().staff.all_today);
    wait_for(&mut harness, "M0003");
}

/// What a finger can touch: buttons, tabs, text fields, choices.
fn touchable(node: &egui_kittest::Node<'_>) -> bool {
    use egui::accesskit::Role;
    matches!(
        node.accesskit_node().role(),
        Role::Button
            | Role::Tab
            | Role::CheckBox
            | Role::RadioButton
            | Role::ComboBox
            | Role::TextInput
            | Role::MultilineTextInput
            | Role::SearchInput
            | Role::Slider
            | Role::Link
    )
}

/// Every touchable widget on screen under 48 px high, described.
fn too_small(harness: &Harness<'static, KioskApp>) -> Vec<String> {
    harness
        .root()
        .children_recursive()
        .filter(touchable)
        .filter(|n| n.rect().height() < 48.0)
        .map(|n| {
            format!(
                "{:?} {:?}: {:.0} px",
                n.accesskit_node().role(),
                n.accesskit_node().label(),
                n.rect().height()
            )
        })
        .collect()
}

#[test]
fn every_staff_control_is_big_enough_for_a_finger() {
    for size in [egui::vec2(1280.0, 800.0), egui::vec2(1920.0, 1080.0)] {
        let fixture = fixture();
        let mut harness = harness_sized(&fixture, size);
        harness.run_steps(2);
        // A check-in, so that the attendance list has a row to void.
        scan(&mut harness, &fixture.card(2));
        wait_for(&mut harness, "签到成功");
        // The PIN pad first.
        harness.state_mut().overlay = None;
        harness.run_steps(1);
        harness.get_by_label("工作人员").click();
        harness.run_steps(2);
        let small = too_small(&harness);
        assert!(small.is_empty(), "PIN at {size:?}: {small:#?}");
        harness.get_by_label("取消").click();
        harness.run_steps(2);
        unlock(&mut harness);
        for tab in ["签到记录", "手工签到", "同步", "设置"] {
            harness.get_by_label(tab).click();
            harness.run_steps(2);
            if tab == "手工签到" {
                harness.state_mut().staff.member_search = "李".into();
            }
            harness.run_steps(3);
            let small = too_small(&harness);
            assert!(small.is_empty(), "{tab} at {size:?}: {small:#?}");
        }
    }
}

#[test]
fn manual_check_in_finds_members_by_pinyin_initials_and_id_digits() {
    let fixture = fixture();
    let mut harness = harness(&fixture);
    harness.run_steps(2);
    unlock(&mut harness);
    harness.get_by_label("手工签到").click();
    harness.run_steps(2);
    let shown = |harness: &mut Harness<'static, KioskApp>, query: &str| {
        harness.state_mut().staff.member_search = query.into();
        harness.run_steps(2);
        let mut names: Vec<String> = harness
            .query_all_by_label_contains("签到 ")
            .filter_map(|n| n.accesskit_node().label())
            .collect();
        names.sort();
        names
    };
    // 張偉 by the initials of zhang wei; 歐陽曉嵐 by ou yang xiao lan.
    assert_eq!(shown(&mut harness, "zw"), ["签到 張偉", "签到 張偉"]);
    assert_eq!(shown(&mut harness, "oyxl"), ["签到 歐陽曉嵐"]);
    assert_eq!(shown(&mut harness, "lina"), ["签到 李娜", "签到 李娜"]);
    assert!(shown(&mut harness, "wz").is_empty());
    // Namesakes are told apart by their card serial.
    harness.state_mut().staff.member_search = "zw".into();
    harness.run_steps(2);
    harness.get_by_label("#1");
    harness.get_by_label("#5");
}

#[test]
fn every_staff_tab_names_its_fields_for_a_screen_reader() {
    use baodao_kiosk::app::StaffTab;
    let fixture = fixture();
    for tab in [
        StaffTab::Attendance,
        StaffTab::Manual,
        StaffTab::Sync,
        StaffTab::Settings,
    ] {
        let engine = Engine::start(Setup::new(fixture.config.clone())).unwrap();
        let mut app = KioskApp::new(engine, Sounds::off());
        app.screen = Screen::Staff(tab);
        app.staff.member_search = "zw".into();
        // kittest checks, as it builds, that every widget has an
        // accessible name (a text field without its label fails).
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .with_context_setup(fonts::install)
            .build_ui_state(|ui, app: &mut KioskApp| app.show(ui), app);
        harness.run_steps(2);
    }
}

/// systemd's watchdog sees a blocked window: its heartbeat goes stale while
/// the scan thread's keeps going, and comes back with the next frame.
#[test]
fn a_window_that_stops_drawing_stops_the_watchdog() {
    use baodao_kiosk::watchdog::Watchdog;
    use std::sync::Arc;
    let fixture = fixture();
    let watchdog = Arc::new(Watchdog::default());
    let mut setup = Setup::new(fixture.config.clone());
    setup.watchdog = Some(Arc::clone(&watchdog));
    let engine = Engine::start(setup).unwrap();
    let mut app = KioskApp::new(engine, Sounds::off());
    app.heartbeat = Some(watchdog.heartbeat("window"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut KioskApp| app.show(ui), app);
    let limit = Duration::from_millis(500);
    harness.run_steps(2);
    assert_eq!(watchdog.stalled(Instant::now(), limit), None);
    // The window draws no frame (as if its thread hung): within the limit
    // the watchdog names it, and only it, since the scan thread still runs.
    let deadline = Instant::now() + Duration::from_mins(1);
    let stall = loop {
        if let Some(stall) = watchdog.stalled(Instant::now(), limit) {
            break stall;
        }
        assert!(
            Instant::now() < deadline,
            "the stopped window was never seen"
        );
        std::thread::yield_now();
    };
    assert_eq!(stall.0, "window");
    harness.run_steps(1);
    assert_eq!(
        watchdog.stalled(Instant::now(), limit),
        None,
        "drawing again"
    );
}

/// Degraded mode: a camera that cannot be opened, then a sync silent for
/// over an hour, each named on the scan screen with what to do.
#[test]
fn the_banner_names_what_is_wrong_and_what_to_do() {
    let fixture = fixture();
    let mut config = fixture.config.clone();
    config.camera = baodao_kiosk::config::CameraSpec::Replay(fixture.config.data_dir.join("gone"));
    // Nothing listens there: every sync fails.
    config.server_url = Some("http://127.0.0.1:9".into());
    config.token = Some("bdk_test".into());
    let clock = ManualClock::at(chrono::Utc::now());
    let mut setup = Setup::new(config);
    setup.clock = clock.clone();
    setup.camera_retry = Duration::from_mins(1);
    let engine = Engine::start(setup).unwrap();
    let app = KioskApp::new(engine, Sounds::off());
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut KioskApp| app.show(ui), app);
    wait_for(&mut harness, "摄像头无法使用");
    assert!(harness.query_by_label_contains("重新插拔摄像头").is_some());
    assert!(harness.query_by_label_contains("小时未能").is_none());
    // An hour and a minute later, the office has still heard nothing.
    clock.advance(Duration::from_mins(61));
    wait_for(&mut harness, "(+1)");
    harness.state_mut().language = baodao_kiosk::config::Language::En;
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("The camera is not working")
            .is_some()
    );
    assert_eq!(
        harness.state().engine.problems(),
        [
            baodao_kiosk::domain::health::Problem::Camera,
            baodao_kiosk::domain::health::Problem::Sync { silent_hours: 1 }
        ]
    );
}
