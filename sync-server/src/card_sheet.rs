//! Member cards on A4 for a guillotine: ten ID-1 cards (85.6 × 54 mm) a
//! page in two columns, with cut marks outside the grid. The QR code is
//! vector (one square a dark module), the text is the bundled CJK font,
//! embedded and subset to the glyphs used.

// Grid positions and QR module counts (under 200) as page coordinates.
#![allow(clippy::cast_precision_loss)]

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;
use qrcode::{Color, EcLevel, QrCode};

use crate::error::{Error, Result};
use crate::pdf::{Fonts, MM, PAGE_H, PAGE_W, fill};
const CARD_W: f32 = 85.6 * MM;
const CARD_H: f32 = 54.0 * MM;
const COLUMNS: usize = 2;
const ROWS: usize = 5;
/// Cards a page.
pub const PER_PAGE: usize = COLUMNS * ROWS;
const QUIET_ZONE: usize = 4;

/// What one card shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCard {
    pub payload: String,
    pub name: String,
    pub member_id: String,
    pub organization: String,
    pub community: String,
    pub serial: u32,
    pub expires_on: chrono::NaiveDate,
}

/// The sheets for `cards`, as PDF bytes.
pub fn sheet(cards: &[SheetCard]) -> Result<Vec<u8>> {
    let fonts = Fonts::load()?;
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| Error::Internal("A4 is not a page size".into()))?;
    let left = (PAGE_W - CARD_W * COLUMNS as f32) / 2.0;
    let top = (PAGE_H - CARD_H * ROWS as f32) / 2.0;
    for page_cards in cards.chunks(PER_PAGE) {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        cut_marks(&mut surface, left, top);
        for (i, card) in page_cards.iter().enumerate() {
            let x = left + CARD_W * (i % COLUMNS) as f32;
            let y = top + CARD_H * (i / COLUMNS) as f32;
            draw_card(&mut surface, &fonts, card, x, y)?;
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::Internal(format!("writing the card sheet: {e:?}")))
}

/// Short lines outside the grid where every card edge meets the margin.
fn cut_marks(surface: &mut Surface<'_>, left: f32, top: f32) {
    const GAP: f32 = 2.0 * MM;
    const LEN: f32 = 6.0 * MM;
    let right = left + CARD_W * COLUMNS as f32;
    let bottom = top + CARD_H * ROWS as f32;
    let mut marks = PathBuilder::new();
    for c in 0..=COLUMNS {
        let x = left + CARD_W * c as f32;
        marks.move_to(x, top - GAP);
        marks.line_to(x, top - GAP - LEN);
        marks.move_to(x, bottom + GAP);
        marks.line_to(x, bottom + GAP + LEN);
    }
    for r in 0..=ROWS {
        let y = top + CARD_H * r as f32;
        marks.move_to(left - GAP, y);
        marks.line_to(left - GAP - LEN, y);
        marks.move_to(right + GAP, y);
        marks.line_to(right + GAP + LEN, y);
    }
    if let Some(path) = marks.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.5,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

fn draw_card(
    surface: &mut Surface<'_>,
    fonts: &Fonts,
    card: &SheetCard,
    x: f32,
    y: f32,
) -> Result<()> {
    const PAD: f32 = 4.0 * MM;
    // The QR code on the left, as tall as the card allows.
    let code = QrCode::with_error_correction_level(card.payload.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Internal(format!("card does not fit a QR code: {e}")))?;
    let modules = code.width();
    let side = CARD_H - 2.0 * PAD;
    let module = side / (modules + 2 * QUIET_ZONE) as f32;
    let origin = (x + PAD, y + PAD);
    let mut dark = PathBuilder::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
            if let Some(rect) = Rect::from_xywh(
                origin.0 + mx as f32 * module,
                origin.1 + my as f32 * module,
                module,
                module,
            ) {
                dark.push_rect(rect);
            }
        }
    }
    if let Some(path) = dark.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(0)));
        surface.draw_path(&path);
    }
    // The text to its right.
    let text_x = x + PAD + side + 2.0 * MM;
    let lines: [(&str, f32, u8); 6] = [
        ("黨員服務卡 · 报到", 7.0, 90),
        (&card.name, 15.0, 0),
        (&card.member_id, 9.0, 0),
        (&card.organization, 7.0, 40),
        (&card.community, 7.0, 40),
        (
            &format!("有效期至 {} · No. {}", card.expires_on, card.serial),
            6.5,
            60,
        ),
    ];
    let mut baseline = y + PAD + 2.0;
    let room = x + CARD_W - PAD - text_x;
    for (text, size, lightness) in lines {
        baseline += size * 1.5;
        surface.set_fill(Some(fill(lightness)));
        let width = fonts.width(text, size);
        let fitted = if width > room {
            size * room / width
        } else {
            size
        };
        fonts.draw(surface, Point::from_xy(text_x, baseline), fitted, text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(i: u32) -> SheetCard {
        SheetCard {
            payload: format!("BD1.test-payload-{i}"),
            name: "歐陽建國".into(),
            member_id: format!("M{i:03}"),
            organization: "市住房和城鄉建設局機關第一黨支部".into(),
            community: "灣子街社區".into(),
            serial: i,
            expires_on: chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        }
    }

    #[test]
    fn eleven_cards_make_two_pages_with_the_font_subset() {
        let cards: Vec<_> = (1..=11).map(card).collect();
        let pdf = sheet(&cards).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // poppler's reading of it (scripts/deps.sh installs poppler-utils).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cards.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let info = std::process::Command::new("pdfinfo")
            .arg(&path)
            .output()
            .unwrap();
        let info = String::from_utf8(info.stdout).unwrap();
        assert!(info.contains("Pages:           2"), "{info}");
        assert!(info.contains("x 841.89 pts (A4)"), "{info}");
        // The 4 MB font is subset to the few glyphs used.
        assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
    }

    #[test]
    fn text_is_measured_in_the_font_that_draws_it() {
        let fonts = Fonts::load().unwrap();
        let cjk = fonts.width("張偉", 10.0);
        assert!((cjk - 20.0).abs() < 1.0, "{cjk}");
        let latin = fonts.width("M001", 10.0);
        assert!(latin > 20.0 && latin < 35.0, "{latin}");
        assert!(std::ptr::eq(fonts.for_char('張'), &raw const fonts.cjk));
        assert!(std::ptr::eq(fonts.for_char('M'), &raw const fonts.latin));
    }
}
