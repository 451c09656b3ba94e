//! The bundled CJK font, loaded explicitly: the kiosk never depends on what
//! fonts the host has. egui's own fonts draw Latin; Droid Sans Fallback every
//! Chinese glyph after them.

use std::sync::Arc;

use egui::{FontData, FontDefinitions, FontFamily};

pub static CJK_FONT: &[u8] = include_bytes!("../../../assets/fonts/DroidSansFallbackFull.ttf");

/// Fonts and the light look the kiosk uses everywhere.
pub fn install(ctx: &egui::Context) {
    ctx.set_fonts(definitions());
    // Dark text on light paper: readable in a bright hall.
    ctx.set_visuals(egui::Visuals::light());
}

pub fn definitions() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        "droid-sans-fallback".into(),
        Arc::new(FontData::from_static(CJK_FONT)),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("droid-sans-fallback".into());
    }
    fonts
}
