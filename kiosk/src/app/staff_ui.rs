//! Staff mode, behind the PIN: attendance, manual check-in, sync, settings.

use std::sync::atomic::Ordering;

use egui::{Align, Color32, Layout, RichText, vec2};

use super::i18n::{Text, reason, status, t};
use super::keyboard_ui::keyboard;
use super::scan_ui::{INK, MUTED, RED, status_badges};
use super::{Action, KioskApp, StaffTab};
use crate::config::{ActivityChoice, CameraSpec, Language};
use crate::outcome::Reason;

fn unit(ui: &egui::Ui) -> f32 {
    (ui.max_rect().height() / 60.0).max(8.0)
}

/// The least height of anything staff touch: a fingertip on the kiosk's
/// touchscreen, whatever its resolution.
const TOUCH_PX: f32 = 48.0;

/// Sizes `ui`'s controls for a finger: buttons, tabs and text fields at
/// least [`TOUCH_PX`] high (more on a large screen), with room around the
/// text.
fn touch_first(ui: &mut egui::Ui, unit: f32) {
    let spacing = ui.spacing_mut();
    spacing.interact_size.y = (unit * 4.0).max(TOUCH_PX);
    spacing.button_padding = vec2(unit * 1.2, unit * 0.8);
    spacing.item_spacing = vec2(unit * 1.0, unit * 0.8);
}

/// A one-line text field a finger can hit: as high as `ui`'s buttons.
fn field<'t>(ui: &egui::Ui, text: &'t mut String, unit: f32) -> egui::TextEdit<'t> {
    egui::TextEdit::singleline(text)
        .font(egui::FontId::proportional(unit * 1.8))
        .desired_width(unit * 30.0)
        .min_size(vec2(0.0, ui.spacing().interact_size.y))
        .align(egui::Align2::LEFT_CENTER)
}

pub fn pin_ui(
    ui: &mut egui::Ui,
    language: Language,
    entry: &str,
    message: Option<&str>,
    actions: &mut Vec<Action>,
) {
    // The paper is the window's clear colour, as on the scan screen.
    let unit = unit(ui);
    ui.vertical_centered(|ui| {
        ui.add_space(unit * 6.0);
        ui.label(
            RichText::new(t(language, Text::EnterPin))
                .size(unit * 3.2)
                .strong()
                .color(INK),
        );
        ui.add_space(unit);
        ui.label(
            RichText::new("*".repeat(entry.chars().count()) + " ")
                .size(unit * 3.0)
                .color(INK),
        );
        if let Some(message) = message {
            ui.label(RichText::new(message).size(unit * 2.0).color(RED));
        }
        ui.add_space(unit * 2.0);
        let key = vec2(unit * 9.0, unit * 6.0);
        for row in [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]] {
            ui.horizontal(|ui| {
                ui.add_space((ui.available_width() - key.x * 3.0 - unit * 2.0) / 2.0);
                for digit in row {
                    if ui
                        .add(egui::Button::new(RichText::new(digit).size(unit * 3.0)).min_size(key))
                        .clicked()
                        && let Some(c) = digit.chars().next()
                    {
                        actions.push(Action::PinDigit(c));
                    }
                }
            });
        }
        ui.horizontal(|ui| {
            ui.add_space((ui.available_width() - key.x * 3.0 - unit * 2.0) / 2.0);
            if ui
                .add(
                    egui::Button::new(RichText::new(t(language, Text::Delete)).size(unit * 2.4))
                        .min_size(key),
                )
                .clicked()
            {
                actions.push(Action::PinBackspace);
            }
            if ui
                .add(egui::Button::new(RichText::new("0").size(unit * 3.0)).min_size(key))
                .clicked()
            {
                actions.push(Action::PinDigit('0'));
            }
            if ui
                .add(
                    egui::Button::new(RichText::new(t(language, Text::Unlock)).size(unit * 2.4))
                        .min_size(key),
                )
                .clicked()
            {
                actions.push(Action::PinSubmit);
            }
        });
        ui.add_space(unit * 2.0);
        if ui
            .add(
                egui::Button::new(RichText::new(t(language, Text::Cancel)).size(unit * 2.2))
                    .min_size(vec2(key.x, (unit * 4.0).max(TOUCH_PX))),
            )
            .clicked()
        {
            actions.push(Action::CloseStaff);
        }
    });
    // Digits typed on a keyboard work too.
    let typed: Vec<egui::Event> = ui.ctx().input(|i| i.events.clone());
    for event in typed {
        match event {
            egui::Event::Text(text) => actions.extend(
                text.chars()
                    .filter(char::is_ascii_digit)
                    .map(Action::PinDigit),
            ),
            egui::Event::Key {
                key: egui::Key::Enter,
                pressed: true,
                ..
            } => actions.push(Action::PinSubmit),
            egui::Event::Key {
                key: egui::Key::Backspace,
                pressed: true,
                ..
            } => actions.push(Action::PinBackspace),
            _ => {}
        }
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut KioskApp, tab: StaffTab, actions: &mut Vec<Action>) {
    let language = app.language;
    // The paper is the window's clear colour, as on the scan screen.
    let unit = unit(ui);
    egui::Frame::new()
        .inner_margin(egui::Margin::same(16))
        .show(ui, |ui| {
            touch_first(ui, unit);
            ui.horizontal(|ui| {
                for (this, text) in [
                    (StaffTab::Attendance, Text::Attendance),
                    (StaffTab::Manual, Text::ManualCheckIn),
                    (StaffTab::Sync, Text::SyncTab),
                    (StaffTab::Settings, Text::Settings),
                ] {
                    if ui
                        .selectable_label(
                            tab == this,
                            RichText::new(t(language, text)).size(unit * 2.2),
                        )
                        .clicked()
                    {
                        actions.push(Action::Tab(this));
                    }
                }
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui
                        .add(egui::Button::new(
                            RichText::new(t(language, Text::Back)).size(unit * 2.2),
                        ))
                        .clicked()
                    {
                        actions.push(Action::CloseStaff);
                    }
                    if let Some(who) = &app.staff.signed_in {
                        ui.label(
                            RichText::new(format!("{}：{who}", t(language, Text::SignedIn)))
                                .size(unit * 1.8)
                                .color(MUTED),
                        );
                    }
                });
            });
            if let Some(message) = &app.staff.message {
                ui.label(RichText::new(message).size(unit * 1.8).color(RED));
            }
            ui.separator();
            match tab {
                StaffTab::Attendance => attendance(ui, app, unit, actions),
                StaffTab::Manual => manual(ui, app, unit, actions),
                StaffTab::Sync => sync(ui, app, unit, actions),
                StaffTab::Settings => settings(ui, app, unit, actions),
            }
        });
}

fn attendance(ui: &mut egui::Ui, app: &mut KioskApp, unit: f32, actions: &mut Vec<Action>) {
    let language = app.language;
    ui.horizontal(|ui| {
        let all = app.staff.all_today;
        if ui
            .selectable_label(
                !all,
                RichText::new(t(language, Text::CurrentActivity)).size(unit * 1.8),
            )
            .clicked()
        {
            actions.push(Action::ShowToday(false));
        }
        if ui
            .selectable_label(
                all,
                RichText::new(t(language, Text::TodayAll)).size(unit * 1.8),
            )
            .clicked()
        {
            actions.push(Action::ShowToday(true));
        }
    });
    ui.horizontal(|ui| {
        // Labelled, so a screen reader (and kittest) names the field.
        let label = ui.label(RichText::new(t(language, Text::Search)).size(unit * 1.8));
        ui.add(field(ui, &mut app.staff.search, unit))
            .labelled_by(label.id);
    });
    if let Some(record_id) = app.staff.voiding {
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new(t(language, Text::VoidReason)).size(unit * 1.8));
            ui.add(
                // No more than the server keeps: a longer one would be refused.
                field(ui, &mut app.staff.void_reason, unit)
                    .char_limit(baodao_shared::bounds::MAX_REASON_CHARS),
            )
            .labelled_by(label.id);
            let ready = !app.staff.void_reason.trim().is_empty();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(
                        RichText::new(t(language, Text::ConfirmVoid)).size(unit * 1.8),
                    ),
                )
                .clicked()
            {
                actions.push(Action::ConfirmVoid);
            }
            if ui
                .button(RichText::new(t(language, Text::Cancel)).size(unit * 1.8))
                .clicked()
            {
                actions.push(Action::CancelVoid);
            }
            ui.label(
                RichText::new(record_id.to_string())
                    .size(unit * 1.2)
                    .color(MUTED),
            );
        });
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("attendance")
            .striped(true)
            .spacing(vec2(unit * 2.0, unit * 0.6))
            .show(ui, |ui| {
                for header in [Text::Time, Text::Name, Text::Member, Text::Status] {
                    ui.label(RichText::new(t(language, header)).strong().size(unit * 1.6));
                }
                ui.label("");
                ui.end_row();
                for row in &app.staff.rows {
                    let zone = app.engine.offline().policy.time_zone;
                    ui.label(
                        RichText::new(
                            row.record
                                .scanned_at
                                .with_timezone(&zone)
                                .format("%H:%M:%S")
                                .to_string(),
                        )
                        .size(unit * 1.6),
                    );
                    ui.label(RichText::new(&row.member_name).size(unit * 1.6));
                    ui.label(RichText::new(row.record.member_id.as_str()).size(unit * 1.6));
                    ui.label(RichText::new(row_status(language, row)).size(unit * 1.6));
                    if row.voided.is_none()
                        && ui
                            .button(RichText::new(t(language, Text::Void)).size(unit * 1.6))
                            .clicked()
                    {
                        actions.push(Action::StartVoid(row.record.record_id));
                    }
                    ui.end_row();
                }
            });
    });
}

fn row_status(language: Language, row: &crate::store::CheckInRow) -> String {
    if let Some(reason) = &row.voided {
        return format!("{}: {reason}", t(language, Text::Voided));
    }
    match (row.server_status, row.server_reason) {
        (None, _) => t(language, Text::NotYetSynced).to_owned(),
        (Some(said), None) => status(language, said).to_owned(),
        (Some(said), Some(why)) => format!(
            "{}: {}",
            status(language, said),
            reason(language, Reason::Shared(why))
        ),
    }
}

fn manual(ui: &mut egui::Ui, app: &mut KioskApp, unit: f32, actions: &mut Vec<Action>) {
    let language = app.language;
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new(t(language, Text::Search)).size(unit * 1.8));
        ui.add(field(ui, &mut app.staff.member_search, unit))
            .labelled_by(label.id);
    });
    keyboard(
        ui,
        &mut app.staff.member_search,
        unit,
        (t(language, Text::Delete), t(language, Text::Clear)),
        &|_| true,
    );
    let query = app.staff.member_search.trim().to_lowercase();
    if query.is_empty() {
        return;
    }
    let offline = app.engine.offline();
    // By name, id digits or pinyin (`zw` finds 張偉): staff without a
    // Chinese keyboard find a member too. Searched again only when the
    // query or the roster changed, not every frame.
    if app
        .staff
        .found
        .as_ref()
        .is_none_or(|(q, searched, _)| *q != query || !std::sync::Arc::ptr_eq(searched, &offline))
    {
        let mut ids: Vec<_> = offline
            .roster
            .values()
            .filter(|m| baodao_shared::search::matches(&query, &m.name, m.member_id.as_str()))
            .map(|m| m.member_id.clone())
            .collect();
        ids.sort();
        app.staff.found = Some((query, std::sync::Arc::clone(&offline), ids));
    }
    let matches: Vec<_> = app
        .staff
        .found
        .iter()
        .flat_map(|(_, _, ids)| ids)
        .filter_map(|id| offline.roster.get(id))
        .collect();
    egui::ScrollArea::vertical().show(ui, |ui| members(ui, language, unit, &matches, actions));
}

/// Members found by the search, each with its check-in button.
fn members(
    ui: &mut egui::Ui,
    language: Language,
    unit: f32,
    matches: &[&baodao_shared::protocol::RosterEntry],
    actions: &mut Vec<Action>,
) {
    egui::Grid::new("members")
        .striped(true)
        .spacing(vec2(unit * 2.0, unit * 0.6))
        .show(ui, |ui| {
            for member in matches.iter().take(20) {
                ui.label(RichText::new(&member.name).size(unit * 2.0));
                ui.label(RichText::new(member.member_id.as_str()).size(unit * 1.6));
                ui.label(
                    RichText::new(&member.organization)
                        .size(unit * 1.6)
                        .color(MUTED),
                );
                // Namesakes told apart by their card.
                ui.label(
                    RichText::new(
                        member
                            .card_serial
                            .map(|s| format!("#{s}"))
                            .unwrap_or_default(),
                    )
                    .size(unit * 1.4)
                    .color(MUTED),
                );
                if ui
                    .add(egui::Button::new(
                        RichText::new(format!("{} {}", t(language, Text::CheckIn), member.name))
                            .size(unit * 1.8),
                    ))
                    .clicked()
                {
                    actions.push(Action::ManualCheckIn(member.member_id.clone()));
                }
                ui.end_row();
            }
        });
}

fn sync(ui: &mut egui::Ui, app: &mut KioskApp, unit: f32, actions: &mut Vec<Action>) {
    let language = app.language;
    ui.horizontal_wrapped(|ui| {
        for (text, good) in status_badges(app) {
            ui.label(
                RichText::new(text)
                    .size(unit * 1.8)
                    .color(if good { INK } else { RED }),
            );
            ui.add_space(unit);
        }
    });
    let status = app.engine.sync_status();
    if let Some(error) = status.last_error {
        ui.label(RichText::new(error).size(unit * 1.5).color(RED));
    }
    if status.token_refused
        && ui
            .add(egui::Button::new(
                RichText::new(t(language, Text::EnrolAgain)).size(unit * 2.2),
            ))
            .clicked()
    {
        actions.push(Action::StartEnrol);
    }
    if ui
        .add(egui::Button::new(
            RichText::new(t(language, Text::SyncNow)).size(unit * 2.2),
        ))
        .clicked()
    {
        actions.push(Action::SyncNow);
    }
    ui.separator();
    ui.label(
        RichText::new(format!(
            "{}: {}",
            t(language, Text::ServerSaid),
            app.staff.refused.len()
        ))
        .size(unit * 2.0)
        .strong(),
    );
    egui::ScrollArea::vertical().show(ui, |ui| {
        for row in &app.staff.refused {
            ui.label(
                RichText::new(format!(
                    "{} {} — {}",
                    row.member_name,
                    row.record.member_id,
                    row_status(language, row)
                ))
                .size(unit * 1.6)
                .color(Color32::from_rgb(0x8d, 0x5a, 0x00)),
            );
        }
    });
}

fn settings(ui: &mut egui::Ui, app: &mut KioskApp, unit: f32, actions: &mut Vec<Action>) {
    let language = app.language;
    ui.label(
        RichText::new(t(language, Text::CurrentActivity))
            .size(unit * 2.0)
            .strong(),
    );
    if ui
        .radio(
            app.activity == ActivityChoice::Auto,
            RichText::new(t(language, Text::Automatic)).size(unit * 1.8),
        )
        .clicked()
    {
        actions.push(Action::SetActivity(ActivityChoice::Auto));
    }
    for activity in &app.engine.offline().activities {
        let choice = ActivityChoice::Fixed(activity.activity_id.clone());
        if ui
            .radio(
                app.activity == choice,
                RichText::new(&activity.title).size(unit * 1.8),
            )
            .clicked()
        {
            actions.push(Action::SetActivity(choice));
        }
    }
    ui.separator();
    ui.label(
        RichText::new(t(language, Text::Language))
            .size(unit * 2.0)
            .strong(),
    );
    ui.horizontal(|ui| {
        for (this, name) in [
            (Language::ZhHans, "简体中文"),
            (Language::ZhHant, "繁體中文"),
            (Language::En, "English"),
        ] {
            if ui
                .selectable_label(language == this, RichText::new(name).size(unit * 1.8))
                .clicked()
            {
                actions.push(Action::SetLanguage(this));
            }
        }
    });
    ui.separator();
    ui.label(
        RichText::new(t(language, Text::Camera))
            .size(unit * 2.0)
            .strong(),
    );
    camera_choice(ui, app, unit, actions);
    ui.separator();
    let label = ui.label(
        RichText::new(t(language, Text::ExportTo))
            .size(unit * 2.0)
            .strong(),
    );
    ui.horizontal(|ui| {
        ui.add(field(ui, &mut app.staff.export_path, unit).desired_width(unit * 40.0))
            .labelled_by(label.id);
        if ui
            .add_enabled(
                !app.staff.waiting.export,
                egui::Button::new(RichText::new(t(language, Text::ExportCsv)).size(unit * 1.8)),
            )
            .clicked()
        {
            actions.push(Action::Export);
        }
    });
}

/// Which camera the kiosk uses, switched without a restart.
fn camera_choice(ui: &mut egui::Ui, app: &KioskApp, unit: f32, actions: &mut Vec<Action>) {
    let language = app.language;
    let current = app.engine.camera_spec();
    let mut choices = vec![(CameraSpec::Auto, t(language, Text::AutoCamera).to_owned())];
    choices.extend(
        app.staff
            .cameras
            .iter()
            .map(|(i, name)| (CameraSpec::Index(*i), format!("{i}: {name}"))),
    );
    choices.push((
        CameraSpec::Synthetic,
        t(language, Text::Simulated).to_owned(),
    ));
    choices.push((CameraSpec::None, t(language, Text::NoCamera).to_owned()));
    if let CameraSpec::Replay(dir) = &current {
        choices.push((current.clone(), format!("replay: {}", dir.display())));
    }
    ui.horizontal_wrapped(|ui| {
        for (spec, name) in choices {
            if ui
                .radio(current == spec, RichText::new(name).size(unit * 1.8))
                .clicked()
            {
                actions.push(Action::SetCamera(spec));
            }
        }
        if ui
            .button(RichText::new(t(language, Text::RefreshCameras)).size(unit * 1.6))
            .clicked()
        {
            actions.push(Action::FindCameras);
        }
    });
    let status = match app.engine.camera_status() {
        crate::camera::CameraStatus::Running { source } => source,
        crate::camera::CameraStatus::Unavailable { reason } => reason,
        other => format!("{other:?}"),
    };
    ui.label(RichText::new(status).size(unit * 1.4).color(MUTED));
    // How decoding goes: a reader that faults or a slow machine shows here
    // before members notice.
    let decoding = app.engine.stats();
    let frames = decoding.frames.load(Ordering::Relaxed);
    let micros = decoding.decode_micros.load(Ordering::Relaxed);
    #[allow(clippy::cast_precision_loss)]
    let ms = if frames == 0 {
        0.0
    } else {
        micros as f64 / frames as f64 / 1000.0
    };
    ui.label(
        RichText::new(format!(
            "{} {frames} · {ms:.1} {} · {} {}",
            t(language, Text::FramesScanned),
            t(language, Text::MsPerFrame),
            t(language, Text::ReaderFaults),
            decoding.decoder_panics.load(Ordering::Relaxed)
        ))
        .size(unit * 1.4)
        .color(MUTED),
    );
}
