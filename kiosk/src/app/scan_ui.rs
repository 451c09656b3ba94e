//! The scan screen: what a member sees at the door.

use egui::{
    Align, Color32, CornerRadius, FontId, Layout, Rect, RichText, Stroke, UiBuilder, Vec2, pos2,
    vec2,
};

use super::i18n::{Text, kind, t};
use super::{Action, KioskApp};
use crate::camera::CameraStatus;
use crate::config::ActivityChoice;
use crate::domain::checkin::pick_activity;

pub const RED: Color32 = Color32::from_rgb(0xb7, 0x1c, 0x1c);
pub const INK: Color32 = Color32::from_rgb(0x21, 0x21, 0x21);
pub const PAPER: Color32 = Color32::from_rgb(0xfa, 0xf7, 0xf2);
pub const MUTED: Color32 = Color32::from_rgb(0x61, 0x61, 0x61);

/// Lays out `add` inside `rect`.
pub fn area<R>(
    ui: &mut egui::Ui,
    rect: Rect,
    layout: Layout,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    ui.scope_builder(UiBuilder::new().max_rect(rect).layout(layout), add)
        .inner
}

pub fn ui(ui: &mut egui::Ui, app: &KioskApp, actions: &mut Vec<Action>) {
    let full = ui.max_rect();
    // The paper is the window's clear colour (`KioskApp::clear_color`):
    // painting it again would shade every pixel twice a frame.
    let unit = (full.height() / 60.0).max(8.0);
    let offline = app.engine.offline();
    let now = app.engine.clock().now() + offline.clock_offset;
    let activity = pick_activity(&offline, now, &app.activity).cloned();

    let bar = Rect::from_min_size(full.min, vec2(full.width(), unit * 7.0));
    top_bar(ui, app, bar, unit, activity.as_ref(), actions);
    let body = Rect::from_min_max(pos2(full.min.x, bar.max.y), full.max).shrink(unit * 2.0);
    // No wider than the camera's own frame on screen: scaled up it shows
    // nothing more, and every pixel of it is drawn ten times a second.
    #[allow(clippy::cast_precision_loss)]
    let native = app.preview_texture().map_or(f32::INFINITY, |t| {
        t.size()[0] as f32 / ui.ctx().pixels_per_point()
    });
    let camera_width = (body.width() * 0.58)
        .min(body.height() * 4.0 / 3.0)
        .min(native);
    let camera = Rect::from_min_size(body.min, vec2(camera_width, camera_width * 3.0 / 4.0));
    camera_view(ui, app, camera, unit);
    let problems = app.engine.problems();
    if let Some(&first) = problems.first() {
        let below = Rect::from_min_max(
            pos2(body.min.x, camera.max.y + unit),
            pos2(camera.max.x, body.max.y),
        );
        banner(ui, app.language, first, problems.len() - 1, below, unit);
    }
    let side = Rect::from_min_max(pos2(camera.max.x + unit * 3.0, body.min.y), body.max);
    side_panel(ui, app, side, unit, activity.as_ref());

    // Two badges a row: egui cannot wrap frames it has not measured yet.
    let badges = Rect::from_min_max(pos2(side.min.x, body.max.y - unit * 13.0), body.max);
    area(ui, badges, Layout::top_down(Align::Min), |ui| {
        for pair in status_badges(app).chunks(2) {
            ui.horizontal(|ui| {
                for (text, good) in pair {
                    badge(ui, text, *good, unit);
                }
            });
        }
    });
}

/// The activity and the clock, and the way into staff mode.
fn top_bar(
    ui: &mut egui::Ui,
    app: &KioskApp,
    bar: Rect,
    unit: f32,
    activity: Option<&baodao_shared::Activity>,
    actions: &mut Vec<Action>,
) {
    let language = app.language;
    ui.painter().rect_filled(bar, CornerRadius::ZERO, RED);
    let offline = app.engine.offline();
    let local =
        (app.engine.clock().now() + offline.clock_offset).with_timezone(&offline.policy.time_zone);
    let title = activity.map_or_else(
        || t(language, Text::NoActivityNow).to_owned(),
        |a| a.title.clone(),
    );
    area(
        ui,
        bar.shrink2(vec2(unit * 2.0, unit)),
        Layout::left_to_right(Align::Center),
        |ui| {
            ui.label(
                RichText::new(title)
                    .size(unit * 3.2)
                    .strong()
                    .color(Color32::WHITE),
            );
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let staff =
                    egui::Button::new(RichText::new(t(language, Text::Staff)).size(unit * 1.8))
                        .min_size(vec2(unit * 10.0, unit * 4.0));
                if ui.add(staff).clicked() {
                    actions.push(Action::OpenStaff);
                }
                ui.add_space(unit * 2.0);
                ui.label(
                    RichText::new(local.format("%H:%M:%S").to_string())
                        .size(unit * 3.4)
                        .color(Color32::WHITE)
                        .monospace(),
                );
            });
        },
    );
}

/// The camera, mirrored, with a frame showing where to hold the card.
pub(super) fn camera_view(ui: &egui::Ui, app: &KioskApp, camera: Rect, unit: f32) {
    let painter = ui.painter();
    painter.rect_filled(camera, CornerRadius::same(12), Color32::from_gray(30));
    if let Some(texture) = app.preview_texture() {
        let whole = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
        painter.image(texture.id(), camera, whole, Color32::WHITE);
    } else {
        let reason = match app.engine.camera_status() {
            CameraStatus::Unavailable { reason } => reason,
            _ => String::new(),
        };
        // Wrapped inside the frame: a device's error can be a long line.
        let galley = painter.layout(
            format!("{}\n{reason}", t(app.language, Text::CameraOff)),
            FontId::proportional(unit * 2.0),
            Color32::from_gray(200),
            camera.width() - unit * 4.0,
        );
        let at = camera.center() - galley.size() / 2.0;
        painter.galley(at, galley, Color32::from_gray(200));
    }
    let target = Rect::from_center_size(camera.center(), Vec2::splat(camera.height() * 0.62));
    corners(
        painter,
        target,
        unit * 4.0,
        Stroke::new(unit * 0.7, Color32::from_rgb(0xff, 0xd5, 0x4f)),
    );
}

/// What to do, and what is on.
fn side_panel(
    ui: &mut egui::Ui,
    app: &KioskApp,
    side: Rect,
    unit: f32,
    activity: Option<&baodao_shared::Activity>,
) {
    let language = app.language;
    let zone = app.engine.offline().policy.time_zone;
    area(ui, side, Layout::top_down(Align::Min), |ui| {
        ui.label(
            RichText::new(t(language, Text::ShowCard))
                .size(unit * 4.2)
                .strong()
                .color(INK),
        );
        ui.add_space(unit);
        ui.label(
            RichText::new(t(language, Text::HoldInFrame))
                .size(unit * 2.6)
                .color(MUTED),
        );
        ui.add_space(unit * 3.0);
        let Some(a) = activity else {
            ui.label(
                RichText::new(t(language, Text::NoActivityNow))
                    .size(unit * 2.6)
                    .color(RED),
            );
            return;
        };
        let (starts, ends) = (
            a.starts_at.with_timezone(&zone),
            a.ends_at.with_timezone(&zone),
        );
        ui.label(
            RichText::new(t(language, Text::CurrentActivity))
                .size(unit * 1.8)
                .color(MUTED),
        );
        ui.label(RichText::new(&a.title).size(unit * 2.8).strong().color(INK));
        let when = format!(
            "{} · {}–{}",
            kind(language, a.kind),
            starts.format("%m-%d %H:%M"),
            ends.format("%H:%M")
        );
        ui.label(RichText::new(when).size(unit * 2.0).color(INK));
        let pinned = if matches!(app.activity, ActivityChoice::Fixed(_)) {
            " ★"
        } else {
            ""
        };
        let offline = app.engine.offline();
        let community = match &offline.community_name {
            Some(name) if offline.community == a.community => name.as_str(),
            _ => a.community.as_str(),
        };
        ui.label(
            RichText::new(format!("{community}{pinned}"))
                .size(unit * 1.8)
                .color(MUTED),
        );
    });
}

/// The badges' texts, each with whether it is good news.
pub fn status_badges(app: &KioskApp) -> Vec<(String, bool)> {
    let language = app.language;
    let mut out = Vec::new();
    let camera_ok = matches!(app.engine.camera_status(), CameraStatus::Running { .. });
    out.push((
        t(
            language,
            if camera_ok {
                Text::CameraOk
            } else {
                Text::CameraOff
            },
        )
        .to_owned(),
        camera_ok,
    ));
    let sync = app.engine.sync_status();
    if sync.configured {
        out.push((
            t(
                language,
                if sync.online {
                    Text::Online
                } else {
                    Text::Offline
                },
            )
            .to_owned(),
            sync.online,
        ));
        let last = sync.last_success.map_or_else(
            || t(language, Text::Never).to_owned(),
            |at| {
                at.with_timezone(&app.engine.offline().policy.time_zone)
                    .format("%H:%M")
                    .to_string()
            },
        );
        out.push((
            format!("{} {}", sync.pending, t(language, Text::Waiting)),
            sync.pending == 0,
        ));
        out.push((
            format!("{} {last}", t(language, Text::LastSync)),
            sync.last_success.is_some(),
        ));
        if sync.clock_skewed() {
            let minutes = sync.clock_offset_ms.unwrap_or_default() / 60_000;
            out.push((
                format!("{} {minutes} min", t(language, Text::ClockWarning)),
                false,
            ));
        }
        if sync.refused > 0 {
            out.push((
                format!("{} {}", sync.refused, t(language, Text::HeldOrRejected)),
                false,
            ));
        }
    } else {
        out.push((t(language, Text::NotConfigured).to_owned(), false));
    }
    out
}

/// Degraded mode: the most pressing problem, what to do about it, and how
/// many more there are (the badges beside name each).
fn banner(
    ui: &mut egui::Ui,
    language: crate::config::Language,
    problem: crate::domain::health::Problem,
    more: usize,
    rect: Rect,
    unit: f32,
) {
    let (headline, fix) = super::i18n::problem(language, problem);
    area(ui, rect, Layout::top_down(Align::Min), |ui| {
        egui::Frame::new()
            .fill(Color32::from_rgb(0xff, 0xf3, 0xe0))
            .stroke(Stroke::new(2.0, Color32::from_rgb(0xe6, 0x51, 0x00)))
            .corner_radius(CornerRadius::same(8))
            .inner_margin(egui::Margin::same(12))
            .show(ui, |ui| {
                ui.set_width(rect.width() - 28.0);
                let title = if more > 0 {
                    format!("{headline} (+{more})")
                } else {
                    headline
                };
                ui.horizontal(|ui| {
                    // A square, as on the status badges: shape and words,
                    // not colour alone.
                    let (mark, _) =
                        ui.allocate_exact_size(Vec2::splat(unit * 1.6), egui::Sense::hover());
                    ui.painter().rect_filled(
                        mark.shrink(unit * 0.15),
                        CornerRadius::same(2),
                        Color32::from_rgb(0xe6, 0x51, 0x00),
                    );
                    ui.label(RichText::new(title).size(unit * 2.0).strong().color(INK));
                });
                ui.label(RichText::new(fix).size(unit * 1.5).color(INK));
            });
    });
}

fn badge(ui: &mut egui::Ui, text: &str, good: bool, unit: f32) {
    // A dot for good news, a square for bad: shape and words, not colour alone.
    let (fill, dot) = if good {
        (
            Color32::from_rgb(0xe8, 0xf5, 0xe9),
            Color32::from_rgb(0x2e, 0x7d, 0x32),
        )
    } else {
        (
            Color32::from_rgb(0xff, 0xf3, 0xe0),
            Color32::from_rgb(0xe6, 0x51, 0x00),
        )
    };
    egui::Frame::new()
        .fill(fill)
        .corner_radius(CornerRadius::same(8))
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(Vec2::splat(unit * 1.2), egui::Sense::hover());
                if good {
                    ui.painter().circle_filled(rect.center(), unit * 0.5, dot);
                } else {
                    ui.painter()
                        .rect_filled(rect.shrink(unit * 0.1), CornerRadius::same(2), dot);
                }
                ui.label(RichText::new(text).size(unit * 1.6).color(INK));
            });
        });
}

/// Four corner marks of a square: where the card goes.
fn corners(painter: &egui::Painter, rect: Rect, length: f32, stroke: Stroke) {
    for (corner, dx, dy) in [
        (rect.left_top(), 1.0, 1.0),
        (rect.right_top(), -1.0, 1.0),
        (rect.left_bottom(), 1.0, -1.0),
        (rect.right_bottom(), -1.0, -1.0),
    ] {
        painter.line_segment([corner, corner + vec2(dx * length, 0.0)], stroke);
        painter.line_segment([corner, corner + vec2(0.0, dy * length)], stroke);
    }
}
