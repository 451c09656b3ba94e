//! The enrolment screen: a kiosk without a token shows it until staff
//! show the office's enrolment QR code to the camera or type its code.

use egui::{Align, Color32, CornerRadius, FontId, Layout, Rect, RichText, pos2, vec2};

use super::i18n::{Text, t};
use super::keyboard_ui::keyboard;
use super::scan_ui::{INK, MUTED, RED, area, camera_view};
use super::{Action, KioskApp};
use crate::config::Language;

const GOOD: Color32 = Color32::from_rgb(0x1b, 0x5e, 0x20);

pub fn ui(ui: &mut egui::Ui, app: &mut KioskApp, actions: &mut Vec<Action>) {
    let full = ui.max_rect();
    let unit = (full.height() / 60.0).max(8.0);
    let language = app.language;

    let bar = Rect::from_min_size(full.min, vec2(full.width(), unit * 7.0));
    top_bar(ui, language, bar, unit, actions);

    let body = Rect::from_min_max(pos2(full.min.x, bar.max.y), full.max).shrink(unit * 2.0);
    let camera_width = (body.width() * 0.42).min(body.height() * 4.0 / 3.0);
    let camera = Rect::from_min_size(body.min, vec2(camera_width, camera_width * 3.0 / 4.0));
    camera_view(ui, app, camera, unit);
    let below = Rect::from_min_max(
        pos2(body.min.x, camera.max.y + unit),
        pos2(camera.max.x, body.max.y),
    );
    area(ui, below, Layout::top_down(Align::Min), |ui| {
        ui.label(
            RichText::new(t(language, Text::EnrolHow))
                .size(unit * 2.2)
                .color(INK),
        );
        if let Some(server) = &app.engine.config().server_url {
            ui.add_space(unit);
            ui.label(RichText::new(server).size(unit * 1.6).color(MUTED));
        }
    });
    let side = Rect::from_min_max(pos2(camera.max.x + unit * 3.0, body.min.y), body.max);
    area(ui, side, Layout::top_down(Align::Min), |ui| {
        code_panel(ui, app, side.width(), unit, actions);
    });
}

/// The title, and the language: whoever enrols the kiosk may not read the
/// configured one.
fn top_bar(ui: &mut egui::Ui, language: Language, bar: Rect, unit: f32, actions: &mut Vec<Action>) {
    ui.painter().rect_filled(bar, CornerRadius::ZERO, RED);
    area(
        ui,
        bar.shrink2(vec2(unit * 2.0, 0.0)),
        Layout::left_to_right(Align::Center),
        |ui| {
            ui.label(
                RichText::new(t(language, Text::EnrolTitle))
                    .size(unit * 3.2)
                    .strong()
                    .color(Color32::WHITE),
            );
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                for (choice, name) in [
                    (Language::En, "EN"),
                    (Language::ZhHant, "繁"),
                    (Language::ZhHans, "简"),
                ] {
                    let button = egui::Button::new(RichText::new(name).size(unit * 2.0))
                        .min_size(vec2(unit * 6.0, unit * 4.8))
                        .selected(language == choice);
                    if ui.add(button).clicked() {
                        actions.push(Action::SetLanguage(choice));
                    }
                }
            });
        },
    );
}

/// The code as typed, the keys, the button and what happened.
fn code_panel(
    ui: &mut egui::Ui,
    app: &mut KioskApp,
    width: f32,
    unit: f32,
    actions: &mut Vec<Action>,
) {
    let language = app.language;
    {
        ui.label(
            RichText::new(t(language, Text::EnrolCodeLabel))
                .size(unit * 2.2)
                .color(MUTED),
        );
        let shown = shown_code(&app.enrol.code);
        egui::Frame::new()
            .fill(Color32::WHITE)
            .stroke(egui::Stroke::new(2.0, MUTED))
            .corner_radius(CornerRadius::same(8))
            .inner_margin(egui::Margin::symmetric(16, 8))
            .show(ui, |ui| {
                ui.set_width(width - 40.0);
                ui.label(
                    RichText::new(shown)
                        .font(FontId::monospace(unit * 4.4))
                        .color(INK),
                );
            });
        ui.add_space(unit);
        // The keys' widest row is 55 units: all of it on screen.
        keyboard(
            ui,
            &mut app.enrol.code,
            (width / 56.0).min(unit),
            (t(language, Text::Delete), t(language, Text::Clear)),
            &baodao_shared::enrol::is_code_char,
        );
        ui.add_space(unit);
        let busy = app.enrol.busy();
        let label = if busy {
            t(language, Text::Enrolling)
        } else {
            t(language, Text::EnrolButton)
        };
        let button = egui::Button::new(RichText::new(label).size(unit * 2.6).color(Color32::WHITE))
            .fill(RED)
            .min_size(vec2(unit * 20.0, unit * 6.0));
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, button).clicked() {
                actions.push(Action::SubmitEnrol);
            }
            // Staff came here from the Sync tab: the kiosk still has its
            // (refused) token and may go back to the door.
            if !app.engine.needs_enrolment()
                && ui
                    .add_enabled(
                        !busy,
                        egui::Button::new(RichText::new(t(language, Text::Back)).size(unit * 2.2))
                            .min_size(vec2(unit * 10.0, unit * 6.0)),
                    )
                    .clicked()
            {
                actions.push(Action::CancelEnrol);
            }
        });
        if let Some((good, words)) = &app.enrol.message {
            ui.add_space(unit);
            ui.label(
                RichText::new(words)
                    .size(unit * 2.2)
                    .strong()
                    .color(if *good { GOOD } else { RED }),
            );
        }
    }
}

/// The code as it will be sent: capitals in two fours, the characters still
/// to type as dots (`K7QM-····`).
fn shown_code(typed: &str) -> String {
    let mut chars: Vec<char> = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    while chars.len() < baodao_shared::enrol::CODE_LEN {
        chars.push('·');
    }
    let (head, tail) = chars.split_at(4);
    format!(
        "{}-{}",
        head.iter().collect::<String>(),
        tail.iter().collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::shown_code;

    #[test]
    fn the_code_shows_as_two_fours_with_dots_still_to_type() {
        assert_eq!(shown_code(""), "····-····");
        assert_eq!(shown_code("k7q"), "K7Q·-····");
        assert_eq!(shown_code("k7qm-2"), "K7QM-2···");
        assert_eq!(shown_code("K7QM 2345"), "K7QM-2345");
        assert_eq!(shown_code("K7QM23456"), "K7QM-23456");
    }
}
