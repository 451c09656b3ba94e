//! An on-screen keyboard for the search fields. The kiosk is a touchscreen
//! with no keyboard, and Chinese names are found by their pinyin initials
//! (`zw` finds 張偉) or a member id's digits, so letters and digits are
//! all a search needs: no input method.

use egui::{RichText, vec2};

const ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// The longest search the keys type.
const MAX_CHARS: usize = 32;

/// Draws the keys under a search field; a key pressed edits `text`.
/// `delete` and `clear` are the two editing keys' words; keys for which
/// `usable` says no are greyed out (an enrolment code has no 0, 1, I, ...).
pub fn keyboard(
    ui: &mut egui::Ui,
    text: &mut String,
    unit: f32,
    (delete, clear): (&str, &str),
    usable: &dyn Fn(char) -> bool,
) {
    // A fingertip, whatever the screen: at least 48 px each way.
    let key = vec2((unit * 4.4).max(48.0), (unit * 3.8).max(48.0));
    let spacing = ui.spacing().item_spacing.x;
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing = vec2(unit * 0.5, unit * 0.5);
        for (row_index, row) in ROWS.iter().enumerate() {
            ui.horizontal(|ui| {
                // Staggered like a keyboard, so it reads as one.
                #[allow(clippy::cast_precision_loss)]
                ui.add_space(key.x * 0.4 * row_index as f32);
                for c in row.chars() {
                    let pressed = ui
                        .add_enabled(
                            usable(c),
                            egui::Button::new(RichText::new(c.to_string()).size(unit * 2.2))
                                .min_size(key),
                        )
                        .clicked();
                    if pressed && text.chars().count() < MAX_CHARS {
                        text.push(c);
                    }
                }
                if row_index == ROWS.len() - 1 {
                    ui.add_space(spacing);
                    let wide = vec2(key.x * 1.6, key.y);
                    if ui
                        .add(
                            egui::Button::new(RichText::new(delete).size(unit * 1.8))
                                .min_size(wide),
                        )
                        .clicked()
                    {
                        text.pop();
                    }
                    if ui
                        .add(
                            egui::Button::new(RichText::new(clear).size(unit * 1.8)).min_size(wide),
                        )
                        .clicked()
                    {
                        text.clear();
                    }
                }
            });
        }
    });
}
