//! What the office's PDFs share: A4, the fonts (`DejaVu` for Latin, the CJK
//! font for the rest, both embedded and subset by krilla) and grey fills.

use ab_glyph::{Font as _, FontRef};
use krilla::color::luma;
use krilla::geom::Point;
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use crate::error::{Error, Result};

/// Points a millimetre.
pub const MM: f32 = 72.0 / 25.4;
pub const PAGE_W: f32 = 210.0 * MM;
pub const PAGE_H: f32 = 297.0 * MM;

/// `DejaVu` for what it has (Latin, digits), the CJK font for the rest: the
/// CJK font has no Latin letters. Each with its metrics, to place runs.
pub struct Fonts {
    pub latin: (Font, FontRef<'static>),
    pub cjk: (Font, FontRef<'static>),
}

impl Fonts {
    pub fn load() -> Result<Self> {
        let load = |bytes: &'static [u8]| {
            let unreadable = || Error::Internal("a bundled font is unreadable".into());
            Ok::<_, Error>((
                Font::new(bytes.into(), 0).ok_or_else(unreadable)?,
                FontRef::try_from_slice(bytes).map_err(|_| unreadable())?,
            ))
        };
        Ok(Self {
            latin: load(crate::card_image::LATIN_FONT)?,
            cjk: load(crate::card_image::CJK_FONT)?,
        })
    }

    pub fn for_char(&self, c: char) -> &(Font, FontRef<'static>) {
        if self.latin.1.glyph_id(c).0 == 0 {
            &self.cjk
        } else {
            &self.latin
        }
    }

    /// How wide `text` is at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| {
                let (_, metrics) = self.for_char(c);
                let upem = metrics.units_per_em().unwrap_or(1000.0);
                metrics.h_advance_unscaled(metrics.glyph_id(c)) / upem * size
            })
            .sum()
    }

    /// Draws `text` from `at`, each run of characters in the font that has
    /// them.
    pub fn draw(&self, surface: &mut Surface<'_>, at: Point, size: f32, text: &str) {
        let mut x = at.x;
        let mut rest = text;
        while let Some(first) = rest.chars().next() {
            let font = self.for_char(first);
            let end = rest
                .char_indices()
                .find(|(_, c)| !std::ptr::eq(self.for_char(*c), font))
                .map_or(rest.len(), |(i, _)| i);
            let run = &rest[..end];
            surface.draw_text(
                Point::from_xy(x, at.y),
                font.0.clone(),
                size,
                run,
                false,
                TextDirection::Auto,
            );
            x += self.width(run, size);
            rest = &rest[end..];
        }
    }
}

/// A fill of grey `lightness` (0 black, 255 white).
pub fn fill(lightness: u8) -> Fill {
    Fill {
        paint: luma::Color::new(lightness).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}
