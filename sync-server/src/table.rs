//! Any of the console's tables as a file the office opens in Excel or WPS:
//! CSV (UTF-8 with a BOM, so the Chinese reads right; formula-safe) or an
//! Excel workbook (text as text, numbers as numbers, the header frozen and
//! filterable). Times are written as RFC 3339 in the policy's time zone,
//! which the imports read back.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use baodao_shared::bounds::spreadsheet_safe;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    pub fn number(n: impl Into<f64>) -> Self {
        Self::Number(n.into())
    }

    /// A time in `zone`, to the second, with its offset.
    pub fn time(at: DateTime<Utc>, zone: Tz) -> Self {
        Self::Text(
            at.with_timezone(&zone)
                .to_rfc3339_opts(SecondsFormat::Secs, false),
        )
    }

    pub fn optional<T>(value: Option<T>, cell: impl FnOnce(T) -> Self) -> Self {
        value.map_or(Self::Empty, cell)
    }

    fn as_csv(&self) -> String {
        match self {
            Self::Text(t) => spreadsheet_safe(t).into_owned(),
            Self::Number(n) => n.to_string(),
            Self::Empty => String::new(),
        }
    }
}

/// A table: its sheet name (also the file's), column names and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

impl Table {
    /// The table as a file in `format`.
    pub fn file(&self, format: FileFormat) -> crate::Result<Vec<u8>> {
        let written = match format {
            FileFormat::Csv => self.csv().map_err(|e| e.to_string()),
            FileFormat::Xlsx => self.xlsx().map_err(|e| e.to_string()),
        };
        written.map_err(|e| crate::Error::Internal(format!("writing {}: {e}", self.name)))
    }

    fn csv(&self) -> csv::Result<Vec<u8>> {
        let mut csv = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
        csv.write_record(self.columns)?;
        for row in &self.rows {
            csv.write_record(row.iter().map(Cell::as_csv))?;
        }
        csv.into_inner().map_err(|e| e.into_error().into())
    }

    fn xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(self.name)?;
        let bold = Format::new().set_bold();
        for (col, name) in (0u16..).zip(self.columns) {
            sheet.write_string_with_format(0, col, *name, &bold)?;
            sheet.set_column_width(col, 16)?;
        }
        for (row, cells) in (1u32..).zip(&self.rows) {
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    // A text cell is never a formula, whatever it starts with.
                    Cell::Text(t) => sheet.write_string(row, col, t)?,
                    Cell::Number(n) => sheet.write_number(row, col, *n)?,
                    Cell::Empty => sheet,
                };
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        let last_row = u32::try_from(self.rows.len()).unwrap_or(u32::MAX).max(1);
        let last_col = u16::try_from(self.columns.len().saturating_sub(1)).unwrap_or(0);
        sheet.autofilter(0, 0, last_row, last_col)?;
        workbook.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn table() -> Table {
        Table {
            name: "audit",
            columns: &["at", "actor", "count", "note"],
            rows: vec![
                vec![
                    Cell::time(
                        Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap(),
                        chrono_tz::Asia::Shanghai,
                    ),
                    Cell::text("=cmd|' /C calc'!A0"),
                    Cell::number(3),
                    Cell::Empty,
                ],
                vec![
                    Cell::text("張偉"),
                    Cell::text("a,b"),
                    Cell::number(0.5),
                    Cell::text(""),
                ],
            ],
        }
    }

    #[test]
    fn csv_has_a_bom_local_times_and_no_formulas() {
        let bytes = table().file(FileFormat::Csv).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[0], "at,actor,count,note");
        assert_eq!(lines[1], "2027-01-01T01:00:00+08:00,'=cmd|' /C calc'!A0,3,");
        assert_eq!(lines[2], "張偉,\"a,b\",0.5,");
    }

    #[test]
    fn xlsx_keeps_text_as_text_and_numbers_as_numbers() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = table().file(FileFormat::Xlsx).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("audit").unwrap();
        assert_eq!(
            range.get((1, 1)),
            Some(&Data::String("=cmd|' /C calc'!A0".into()))
        );
        assert_eq!(range.get((1, 2)), Some(&Data::Float(3.0)));
        assert_eq!(range.get((2, 0)), Some(&Data::String("張偉".into())));
    }
}
