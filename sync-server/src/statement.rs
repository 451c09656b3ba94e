//! A member's annual statement as PDF (A4, one page a 40 lines): who, the
//! year's counted activities with their dates, the points. The texts come
//! in already in the office's language.

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;

use crate::error::{Error, Result};
use crate::pdf::{Fonts, MM, PAGE_H, PAGE_W, fill};

/// Lines of the table a page.
const LINES_PER_PAGE: usize = 40;

/// What the statement says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub title: String,
    /// Label and value: name, member id, organisation, community...
    pub facts: Vec<(String, String)>,
    /// The table's header and rows (date, activity, how it counted).
    pub header: [String; 3],
    pub rows: Vec<[String; 3]>,
    /// The closing line, e.g. the points and the date issued.
    pub total: String,
}

pub fn statement(s: &Statement) -> Result<Vec<u8>> {
    let fonts = Fonts::load()?;
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| Error::Internal("A4 is not a page size".into()))?;
    let left = 20.0 * MM;
    let columns = [left, left + 35.0 * MM, left + 135.0 * MM];
    let chunks: Vec<&[[String; 3]]> = if s.rows.is_empty() {
        vec![&[]]
    } else {
        s.rows.chunks(LINES_PER_PAGE).collect()
    };
    for (page_no, rows) in chunks.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut y = 25.0 * MM;
        surface.set_fill(Some(fill(0)));
        fonts.draw(&mut surface, Point::from_xy(left, y), 16.0, &s.title);
        y += 12.0 * MM;
        if page_no == 0 {
            for (label, value) in &s.facts {
                surface.set_fill(Some(fill(90)));
                fonts.draw(&mut surface, Point::from_xy(left, y), 10.0, label);
                surface.set_fill(Some(fill(0)));
                fonts.draw(&mut surface, Point::from_xy(columns[1], y), 10.0, value);
                y += 6.5 * MM;
            }
            y += 4.0 * MM;
        }
        surface.set_fill(Some(fill(60)));
        for (x, text) in columns.iter().zip(&s.header) {
            fonts.draw(&mut surface, Point::from_xy(*x, y), 9.0, text);
        }
        rule(&mut surface, left, y + 2.0 * MM);
        y += 7.0 * MM;
        surface.set_fill(Some(fill(0)));
        for row in *rows {
            for (x, text) in columns.iter().zip(row) {
                fonts.draw(&mut surface, Point::from_xy(*x, y), 9.0, text);
            }
            y += 5.5 * MM;
        }
        if page_no + 1 == chunks.len() {
            rule(&mut surface, left, y - 2.0 * MM);
            y += 4.0 * MM;
            fonts.draw(&mut surface, Point::from_xy(left, y), 11.0, &s.total);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::Internal(format!("writing the statement: {e:?}")))
}

fn rule(surface: &mut Surface<'_>, left: f32, y: f32) {
    let mut line = PathBuilder::new();
    line.move_to(left, y);
    line.line_to(PAGE_W - left, y);
    if let Some(path) = line.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.4,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(fill(0)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_year_takes_two_pages_and_the_text_is_extractable() {
        let s = Statement {
            title: "2026 年度黨員報到積分證明".into(),
            facts: vec![
                ("姓名".into(), "歐陽建國".into()),
                ("編號".into(), "M001".into()),
            ],
            header: ["日期".into(), "活動".into(), "計分".into()],
            rows: (0..45)
                .map(|i| {
                    [
                        format!("2026-03-{:02}", i % 28 + 1),
                        format!("社區活動 A{i}"),
                        "計分".into(),
                    ]
                })
                .collect(),
            total: "本年度積分：12 / 12".into(),
        };
        let pdf = statement(&s).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let info = std::process::Command::new("pdfinfo")
            .arg(&path)
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&info.stdout).contains("Pages:           2"));
        // The fonts are embedded with their text: poppler reads it back.
        let text = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8(text.stdout).unwrap();
        assert!(text.contains("歐陽建國") && text.contains("M001"), "{text}");
        assert!(text.contains("本年度積分"), "{text}");
    }
}
