//! Results, big and unmistakable: colour, an icon drawn as shapes, words,
//! and (elsewhere) a sound; never colour alone.

use egui::{Align, Color32, CornerRadius, Layout, Rect, RichText, Stroke, vec2};

use super::i18n::{Text, reason, t};
use super::scan_ui::area;
use super::{Action, OVERLAY_SECS, Overlay};
use crate::config::Language;
use chrono::{DateTime, Utc};

use crate::outcome::{Outcome, Standing, Where};

const GREEN: Color32 = Color32::from_rgb(0x1b, 0x5e, 0x20);
const AMBER: Color32 = Color32::from_rgb(0x8d, 0x5a, 0x00);
const CRIMSON: Color32 = Color32::from_rgb(0xa3, 0x16, 0x16);

#[derive(Clone, Copy)]
enum Icon {
    Check,
    Info,
    Cross,
}

pub fn ui(
    ui: &mut egui::Ui,
    overlay: &Overlay,
    language: Language,
    zone: chrono_tz::Tz,
    actions: &mut Vec<Action>,
) {
    let outcome = &overlay.outcome;
    let full = ui.max_rect();
    let unit = (full.height() / 60.0).max(8.0);
    let (color, icon, title) = match outcome {
        Outcome::Accepted { .. } => (GREEN, Icon::Check, t(language, Text::CheckedIn)),
        Outcome::Duplicate { .. } => (AMBER, Icon::Info, t(language, Text::AlreadyCheckedIn)),
        Outcome::Voided { .. } => (AMBER, Icon::Info, t(language, Text::VoidedTitle)),
        Outcome::Rejected { .. } => (CRIMSON, Icon::Cross, t(language, Text::Refused)),
        Outcome::Error { .. } => (CRIMSON, Icon::Cross, t(language, Text::Storage)),
    };
    let painter = ui.painter().clone();
    painter.rect_filled(full, CornerRadius::ZERO, color);
    let icon_centre = full.center_top() + vec2(0.0, full.height() * 0.2);
    draw_icon(&painter, icon, icon_centre, unit * 7.0);

    let text = Rect::from_min_max(
        full.min + vec2(unit * 4.0, full.height() * 0.33),
        full.max - vec2(unit * 4.0, unit * 4.0),
    );
    area(ui, text, Layout::top_down(Align::Center), |ui| {
        ui.label(
            RichText::new(title)
                .size(unit * 5.0)
                .strong()
                .color(Color32::WHITE),
        );
        ui.add_space(unit * 1.5);
        if let Some(name) = outcome.member_name() {
            ui.label(
                RichText::new(name)
                    .size(unit * 7.0)
                    .strong()
                    .color(Color32::WHITE),
            );
        }
        ui.add_space(unit * 1.5);
        match outcome {
            Outcome::Accepted {
                standing, activity, ..
            } => standing_lines(ui, language, unit, *standing, None, activity, zone),
            Outcome::Duplicate {
                standing,
                activity,
                first_scanned_at,
                ..
            } => standing_lines(
                ui,
                language,
                unit,
                *standing,
                Some(*first_scanned_at),
                activity,
                zone,
            ),
            Outcome::Rejected { reason: why, .. } | Outcome::Error { reason: why, .. } => {
                ui.label(
                    RichText::new(reason(language, *why))
                        .size(unit * 3.6)
                        .strong()
                        .color(Color32::WHITE),
                );
                ui.add_space(unit);
                ui.label(
                    RichText::new(t(language, Text::SeeStaff))
                        .size(unit * 2.4)
                        .color(Color32::from_white_alpha(220)),
                );
            }
            Outcome::Voided { .. } => {}
        }
    });

    // How long until the scan screen comes back.
    let left = 1.0 - (overlay.since.elapsed().as_secs_f32() / OVERLAY_SECS).clamp(0.0, 1.0);
    let bar = Rect::from_min_size(
        full.left_bottom() - vec2(0.0, unit * 0.8),
        vec2(full.width() * left, unit * 0.8),
    );
    painter.rect_filled(bar, CornerRadius::ZERO, Color32::from_white_alpha(160));
    if ui
        .interact(full, ui.scope_id().with("overlay"), egui::Sense::click())
        .clicked()
    {
        actions.push(Action::DismissOverlay);
    }
}

/// Points this year, the first check-in's time for a repeat, the activity.
fn standing_lines(
    ui: &mut egui::Ui,
    language: Language,
    unit: f32,
    standing: Standing,
    first: Option<DateTime<Utc>>,
    activity: &Where,
    zone: chrono_tz::Tz,
) {
    ui.label(
        RichText::new(format!(
            "{} {}/{}",
            t(language, Text::PointsThisYear),
            standing.points,
            standing.cap
        ))
        .size(unit * 3.6)
        .color(Color32::WHITE),
    );
    if let Some(first) = first {
        ui.label(
            RichText::new(format!(
                "{} {}",
                t(language, Text::FirstCheckedInAt),
                first.with_timezone(&zone).format("%H:%M")
            ))
            .size(unit * 2.6)
            .color(Color32::WHITE),
        );
    }
    ui.label(
        RichText::new(&activity.activity_title)
            .size(unit * 2.2)
            .color(Color32::from_white_alpha(220)),
    );
}

fn draw_icon(painter: &egui::Painter, icon: Icon, centre: egui::Pos2, radius: f32) {
    painter.circle_filled(centre, radius, Color32::WHITE);
    let stroke = |color| Stroke::new(radius * 0.22, color);
    let r = radius;
    match icon {
        Icon::Check => painter.add(egui::Shape::line(
            vec![
                centre + vec2(-0.5 * r, 0.0),
                centre + vec2(-0.12 * r, 0.4 * r),
                centre + vec2(0.55 * r, -0.38 * r),
            ],
            stroke(GREEN),
        )),
        Icon::Info => {
            painter.line_segment(
                [centre + vec2(0.0, -0.1 * r), centre + vec2(0.0, 0.55 * r)],
                stroke(AMBER),
            );
            painter.circle_filled(centre + vec2(0.0, -0.45 * r), r * 0.13, AMBER)
        }
        Icon::Cross => {
            painter.line_segment(
                [
                    centre + vec2(-0.45 * r, -0.45 * r),
                    centre + vec2(0.45 * r, 0.45 * r),
                ],
                stroke(CRIMSON),
            );
            painter.line_segment(
                [
                    centre + vec2(0.45 * r, -0.45 * r),
                    centre + vec2(-0.45 * r, 0.45 * r),
                ],
                stroke(CRIMSON),
            )
        }
    };
}
