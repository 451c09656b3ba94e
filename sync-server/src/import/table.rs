//! A file as rows of text cells, whatever produced it: an `.xlsx` workbook
//! (its first sheet), or CSV in UTF-8 (with or without BOM), UTF-16
//! (Excel's "Unicode text", tab-separated) or GB18030 (Excel and WPS on
//! Chinese Windows, "CSV (逗号分隔)"; it covers GBK). Nothing here knows
//! what the columns mean.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::problem::Problem;
use encoding_rs::{Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

/// Where a row came from, as the office would find it in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A CSV line (1 is the header).
    Line(u64),
    /// A spreadsheet row (1-based, as Excel numbers them).
    Row { sheet: String, row: u64 },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Line(line) => write!(f, "line {line}"),
            Self::Row { sheet, row } => write!(f, "sheet {sheet}, row {row}"),
        }
    }
}

impl Place {
    /// The line or row number alone.
    pub fn number(&self) -> u64 {
        match self {
            Self::Line(n) | Self::Row { row: n, .. } => *n,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub place: Place,
    pub cells: Vec<String>,
}

/// A file read whole.
pub type Table = Vec<Row>;

/// Why a file could not be read at all, and where.
pub type Unreadable = (Place, Problem);

/// How the text of a CSV file was decoded, for the import's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv(&'static Encoding),
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Xlsx => f.write_str("xlsx"),
            Self::Csv(encoding) => write!(f, "CSV in {}", encoding.name()),
        }
    }
}

/// An encoding by the name the office would type (`--encoding gbk`).
pub fn encoding_named(name: &str) -> Result<&'static Encoding, String> {
    let label = match name.trim().to_ascii_lowercase().as_str() {
        "utf-16" | "utf16" | "unicode" => "utf-16le",
        "gbk" | "gb2312" | "cp936" => "gb18030",
        other => {
            return Encoding::for_label(other.as_bytes()).ok_or_else(|| {
                format!("unknown encoding {name:?}; use utf-8, utf-16le, utf-16be or gb18030")
            });
        }
    };
    Encoding::for_label(label.as_bytes()).ok_or_else(|| format!("unknown encoding {name:?}"))
}

/// Reads `bytes` as a workbook when they are one (a zip), else as CSV:
/// decoded by `encoding` when given, else by its BOM, else as UTF-8 when
/// it is valid UTF-8, else as GB18030.
pub fn read(
    bytes: &[u8],
    encoding: Option<&'static Encoding>,
) -> Result<(Format, Table), Unreadable> {
    if bytes.starts_with(b"PK\x03\x04") && encoding.is_none() {
        return read_xlsx(bytes).map(|t| (Format::Xlsx, t));
    }
    let (text, used) = decode(bytes, encoding)?;
    read_csv(&text).map(|t| (Format::Csv(used), t))
}

fn decode(
    bytes: &[u8],
    forced: Option<&'static Encoding>,
) -> Result<(String, &'static Encoding), Unreadable> {
    let (encoding, body) = match forced {
        Some(encoding) => (encoding, bytes),
        None => match Encoding::for_bom(bytes) {
            Some((encoding, bom)) => (encoding, &bytes[bom..]),
            None if std::str::from_utf8(bytes).is_ok() => (UTF_8, bytes),
            // Excel's "Unicode text" without its BOM: every other byte of
            // ASCII text is zero.
            None if looks_utf16(bytes, 1) => (UTF_16LE, bytes),
            None if looks_utf16(bytes, 0) => (UTF_16BE, bytes),
            None => (GB18030, bytes),
        },
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        return Err((
            Place::Line(1),
            Problem::NotText {
                encoding: encoding.name().to_owned(),
            },
        ));
    }
    Ok((text.into_owned(), encoding))
}

/// Whether the text looks like UTF-16 with the zero bytes of its ASCII at
/// `zero_at` of each pair (1: little-endian): no text in UTF-8 or GB18030
/// has a zero byte, while a sheet's digits, commas, tabs and line ends
/// give UTF-16 one in a quarter of its pairs or more.
fn looks_utf16(bytes: &[u8], zero_at: usize) -> bool {
    let head = &bytes[..bytes.len().min(4096) & !1];
    let zeros = |at: usize| head.chunks_exact(2).filter(|pair| pair[at] == 0).count();
    let (here, there) = (zeros(zero_at), zeros(1 - zero_at));
    head.len() >= 4 && here * 4 >= head.len() / 2 && there * 4 < here
}

fn read_csv(text: &str) -> Result<Table, Unreadable> {
    // The csv crate counts a record's line from the `\n` it has seen, so
    // after a `\r\n` line end it names the line before: Windows line ends
    // become plain ones first, and every line number is the editor's.
    let text = &text.replace("\r\n", "\n");
    // Tab-separated when the header has tabs and no commas (Excel's
    // "Unicode text", or a sheet pasted from the clipboard).
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.contains('\t') && !header.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => table.push(Row {
                place: Place::Line(record.position().map_or(0, csv::Position::line)),
                cells: record.iter().map(|c| c.trim().to_owned()).collect(),
            }),
            Err(e) => {
                return Err((
                    Place::Line(e.position().map_or(0, csv::Position::line)),
                    Problem::CsvSyntax { why: e.to_string() },
                ));
            }
        }
    }
    Ok(table)
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, Unreadable> {
    let refuse = |why: String| (Place::Line(1), Problem::NotAWorkbook { why });
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| refuse(e.to_string()))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| refuse("it has no sheet".into()))?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| refuse(format!("sheet {sheet}: {e}")))?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    // Cells left of the used range are empty: keep columns where they are.
    let lead = usize::try_from(first_column).unwrap_or(0);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| Row {
            place: Place::Row {
                sheet: sheet.clone(),
                row: u64::from(first_row) + u64::try_from(i).unwrap_or(u64::MAX - 1) + 1,
            },
            cells: std::iter::repeat_n(String::new(), lead)
                .chain(cells.iter().map(cell_text))
                .collect(),
        })
        .collect())
}

/// A cell as the text a CSV of it would hold: whole numbers without `.0`
/// (an id typed as a number), dates as `YYYY-MM-DD HH:MM:SS` in the sheet's
/// own (zone-less) time.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(n) => n.to_string(),
        // Whole numbers of a spreadsheet's range print without a fraction.
        #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => x.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(at) => {
            let (y, mo, d, h, mi, s, _) = at.to_ymd_hms_milli();
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
        }
        Data::Error(e) => format!("#{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(table: &Table) -> Vec<Vec<&str>> {
        table
            .iter()
            .map(|r| r.cells.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn csv_in_each_encoding_reads_the_same() {
        let text = "编号,姓名\r\nM1,張偉\r\n";
        let expected = vec![vec!["编号", "姓名"], vec!["M1", "張偉"]];
        let (gb, _, _) = GB18030.encode(text);
        let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
        utf8_bom.extend_from_slice(text.as_bytes());
        let utf16 = |bom: bool, big: bool| {
            let mut out = Vec::new();
            if bom {
                out.extend_from_slice(if big { &[0xFE, 0xFF] } else { &[0xFF, 0xFE] });
            }
            for unit in text.replace(',', "\t").encode_utf16() {
                out.extend_from_slice(&if big {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                });
            }
            out
        };
        for (bytes, name) in [
            (text.as_bytes().to_vec(), "UTF-8"),
            (utf8_bom, "UTF-8"),
            (gb.into_owned(), "gb18030"),
            (utf16(true, false), "UTF-16LE"),
            (utf16(false, false), "UTF-16LE"),
            (utf16(true, true), "UTF-16BE"),
        ] {
            let (format, table) = read(&bytes, None).unwrap();
            assert_eq!(format.to_string(), format!("CSV in {name}"));
            assert_eq!(cells(&table), expected, "{name}");
            assert_eq!(table[1].place, Place::Line(2));
        }
    }

    #[test]
    fn a_forced_encoding_wins_and_a_wrong_one_says_so() {
        let (gb, _, _) = GB18030.encode("姓名\n張偉\n");
        let (_, table) = read(&gb, Some(encoding_named("GBK").unwrap())).unwrap();
        assert_eq!(table[1].cells, vec!["張偉"]);
        let refused = read(&gb, Some(encoding_named("utf-8").unwrap())).unwrap_err();
        assert!(
            refused.1.to_string().contains("not valid UTF-8"),
            "{refused:?}"
        );
        assert!(encoding_named("klingon").is_err());
    }

    #[test]
    fn a_broken_workbook_is_refused_with_words() {
        let refused = read(b"PK\x03\x04 not really a zip", None).unwrap_err();
        assert!(refused.1.to_string().contains(".xlsx"), "{refused:?}");
    }

    #[test]
    fn spreadsheet_cells_read_as_their_text() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        assert_eq!(cell_text(&Data::Float(1001.0)), "1001");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
        assert_eq!(cell_text(&Data::Float(f64::MAX)), f64::MAX.to_string());
        assert_eq!(cell_text(&Data::Float(f64::NAN)), "NaN");
        assert_eq!(
            cell_text(&Data::DateTime(ExcelDateTime::new(
                46_357.375,
                ExcelDateTimeType::DateTime,
                false
            ))),
            "2026-12-01 09:00:00"
        );
        assert_eq!(cell_text(&Data::String("  x ".into())), "x");
    }
}
