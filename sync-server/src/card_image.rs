//! The printable member card: the signed QR code and, for people, the
//! member's name, organisation and the card's validity. Text is drawn with
//! the bundled CJK font, so every Chinese name prints whatever the host has.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};

use crate::error::{Error, Result};

pub(crate) static LATIN_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(crate) static CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Latin first, CJK for what Latin lacks.
struct Fonts {
    latin: FontRef<'static>,
    cjk: FontRef<'static>,
}

impl Fonts {
    fn load() -> Result<Self> {
        let load = |bytes| {
            FontRef::try_from_slice(bytes)
                .map_err(|_| Error::Internal("bundled font unreadable".into()))
        };
        Ok(Self {
            latin: load(LATIN_FONT)?,
            cjk: load(CJK_FONT)?,
        })
    }

    /// The font that has `c`, with its glyph id.
    fn pick(&self, c: char) -> (&FontRef<'static>, ab_glyph::GlyphId) {
        let id = self.latin.glyph_id(c);
        if id.0 != 0 {
            return (&self.latin, id);
        }
        (&self.cjk, self.cjk.glyph_id(c))
    }
}

/// ID-1 card proportions at 300 dpi.
const WIDTH: u32 = 1012;
const HEIGHT: u32 = 638;
const MARGIN: u32 = 36;
/// Modules of white around the code, as the QR standard asks.
const QUIET_ZONE: u32 = 4;

/// What the card shows besides the code.
#[derive(Debug, Clone)]
pub struct CardFace<'a> {
    pub payload: &'a str,
    pub name: &'a str,
    pub member_id: &'a str,
    pub organization: &'a str,
    pub expires_on: chrono::NaiveDate,
    pub serial: u32,
}

/// The QR code alone, `module_px` pixels a module, with its quiet zone.
pub fn qr_image(payload: &str, module_px: u32) -> Result<GrayImage> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Internal(format!("card does not fit a QR code: {e}")))?;
    let modules = u32::try_from(code.width()).map_err(|_| Error::Internal("QR too wide".into()))?;
    let size = (modules + 2 * QUIET_ZONE) * module_px;
    let colors = code.to_colors();
    Ok(GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = (x / module_px, y / module_px);
        let dark = mx >= QUIET_ZONE
            && my >= QUIET_ZONE
            && mx < modules + QUIET_ZONE
            && my < modules + QUIET_ZONE
            && colors
                .get(((my - QUIET_ZONE) * modules + (mx - QUIET_ZONE)) as usize)
                .is_some_and(|c| *c == Color::Dark);
        Luma([if dark { 0 } else { 255 }])
    }))
}

/// Renders the whole card.
#[allow(clippy::cast_precision_loss)]
pub fn render(face: &CardFace<'_>) -> Result<GrayImage> {
    let fonts = Fonts::load()?;
    let mut card = GrayImage::from_pixel(WIDTH, HEIGHT, Luma([255]));

    let probe = qr_image(face.payload, 1)?;
    let module_px = ((HEIGHT - 2 * MARGIN) / probe.width()).max(1);
    let qr = qr_image(face.payload, module_px)?;
    let top = (HEIGHT - qr.height()) / 2;
    image::imageops::overlay(&mut card, &qr, i64::from(MARGIN), i64::from(top));

    let left = MARGIN * 2 + qr.width();
    let room = WIDTH.saturating_sub(left + MARGIN);
    let lines: [(&str, f32, u8); 6] = [
        ("黨員服務卡 · Member card", 30.0, 90),
        (face.name, 72.0, 0),
        (face.member_id, 36.0, 0),
        (face.organization, 30.0, 40),
        (&format!("有效期至 Valid to {}", face.expires_on), 26.0, 60),
        (&format!("No. {}", face.serial), 26.0, 60),
    ];
    let mut baseline = MARGIN as f32 + 20.0;
    for (text, size, shade) in lines {
        baseline += size * 1.45;
        draw_text(&mut card, &fonts, text, size, left, baseline, room, shade);
    }
    Ok(card)
}

/// Encodes an image as PNG.
pub fn png(image: &GrayImage) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::Internal(format!("PNG encoding: {e}")))?;
    Ok(out.into_inner())
}

/// Draws one line, shrinking it to fit `room`.
#[allow(
    clippy::too_many_arguments,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn draw_text(
    image: &mut GrayImage,
    fonts: &Fonts,
    text: &str,
    size: f32,
    left: u32,
    baseline: f32,
    room: u32,
    shade: u8,
) {
    let width_at = |size: f32| -> f32 {
        text.chars()
            .map(|c| {
                let (font, id) = fonts.pick(c);
                font.as_scaled(PxScale::from(size)).h_advance(id)
            })
            .sum()
    };
    let size = (size * (room as f32 / width_at(size).max(1.0)).min(1.0)).max(8.0);
    let mut x = left as f32;
    for c in text.chars() {
        let (font, id) = fonts.pick(c);
        let glyph = id.with_scale_and_position(size, point(x, baseline));
        x += font.as_scaled(PxScale::from(size)).h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if let (Ok(px), Ok(py)) = (u32::try_from(px), u32::try_from(py))
                && px < image.width()
                && py < image.height()
            {
                let old = f32::from(image.get_pixel(px, py)[0]);
                let ink = f32::from(shade);
                let value = old + (ink - old) * coverage.clamp(0.0, 1.0);
                image.put_pixel(px, py, Luma([value.round() as u8]));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_of_the_card_text_is_in_the_font() {
        let fonts = Fonts::load().unwrap();
        let text = "黨員服務卡 · Member card 有效期至 Valid to No. 0123456789-ABCXYZ_.\
                    張偉李娜王芳劉洋陳靜楊帆趙磊黃敏周傑吳霞歐陽曉嵐司馬懿张伟刘洋陈静杨帆赵磊黄敏周杰吴霞欧阳晓岚";
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            assert_ne!(fonts.pick(c).1.0, 0, "no glyph for {c:?}");
        }
        assert_eq!(
            fonts.cjk.glyph_id('M').0,
            0,
            "the CJK font has no Latin: the fallback order matters"
        );
    }

    #[test]
    fn the_code_is_a_low_version_at_level_m() {
        let payload = format!("BD1:{}", "0".repeat(122));
        let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).unwrap();
        assert!(
            code.width() <= 41,
            "version 6 or lower, got width {}",
            code.width()
        );
    }
}
