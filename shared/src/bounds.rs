//! The ranges every value from outside must fall in before the domain sees
//! it. chrono parses years from -262143 to 262142; arithmetic near those
//! ends panics, and nothing this system records happens before 2000 or after
//! 2100. Checking once at the boundary keeps every later `+` safe.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Utc};

use crate::Error;

pub const EARLIEST_YEAR: i32 = 2000;
pub const LATEST_YEAR: i32 = 2100;

/// Longest reason staff may give for a void or a correction.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest name, title or organisation kept.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest name of a staff member on a kiosk (a PIN entry's name).
pub const MAX_STAFF_CHARS: usize = 64;

/// `at`, when it lies in the years this system deals with.
pub fn check_time(what: &'static str, at: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&at.year()) {
        Ok(at)
    } else {
        Err(Error::OutOfRange {
            what,
            why: format!("{at} is not between {EARLIEST_YEAR} and {LATEST_YEAR}"),
        })
    }
}

/// Whether `year` is one this system deals with.
pub fn check_year(year: i32) -> Result<i32, Error> {
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&year) {
        Ok(year)
    } else {
        Err(Error::OutOfRange {
            what: "year",
            why: format!("{year} is not between {EARLIEST_YEAR} and {LATEST_YEAR}"),
        })
    }
}

/// What is wrong with a text `check_text` refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFault {
    Empty,
    TooLong,
    ControlCharacters,
}

/// What `check_text` would refuse in `text` (already trimmed), if anything.
pub fn text_fault(text: &str, max_chars: usize) -> Option<TextFault> {
    if text.is_empty() {
        Some(TextFault::Empty)
    } else if text.chars().count() > max_chars {
        Some(TextFault::TooLong)
    } else if text.chars().any(char::is_control) {
        Some(TextFault::ControlCharacters)
    } else {
        None
    }
}

/// `text` trimmed, when it is 1 to `max_chars` characters without control
/// characters (a line break in a name would break every CSV and screen).
pub fn check_text<'t>(
    what: &'static str,
    text: &'t str,
    max_chars: usize,
) -> Result<&'t str, Error> {
    let trimmed = text.trim();
    let why = match text_fault(trimmed, max_chars) {
        None => return Ok(trimmed),
        Some(TextFault::Empty) => "is empty".to_owned(),
        Some(TextFault::TooLong) => format!("is longer than {max_chars} characters"),
        Some(TextFault::ControlCharacters) => "contains control characters".to_owned(),
    };
    Err(Error::OutOfRange { what, why })
}

/// A cell a spreadsheet shows as text, never runs: cells starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return get a leading `'`
/// (OWASP's advice against CSV injection).
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell read back: the `'` that `spreadsheet_safe` put before a
/// formula's first character is taken off again, so an export imports
/// back as it was.
pub fn from_spreadsheet(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_neutralised_formula_reads_back_as_it_was() {
        for cell in ["=SUM(1)", "+86 138", "-1", "@x", "張偉", "'quoted", "'", ""] {
            assert_eq!(from_spreadsheet(&spreadsheet_safe(cell)), cell);
        }
    }

    #[test]
    fn times_outside_the_supported_years_are_refused() {
        assert!(check_time("t", Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()).is_ok());
        assert!(check_time("t", Utc.with_ymd_and_hms(2100, 12, 31, 23, 59, 59).unwrap()).is_ok());
        for at in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::UNIX_EPOCH,
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2101, 1, 1, 0, 0, 0).unwrap(),
        ] {
            let err = check_time("scanned_at", at).unwrap_err().to_string();
            assert!(err.contains("scanned_at"), "{err}");
        }
        assert!(
            check_year(1999).is_err() && check_year(2026).is_ok() && check_year(i32::MAX).is_err()
        );
    }

    #[test]
    fn texts_are_trimmed_bounded_and_printable() {
        assert_eq!(
            check_text("reason", "  wrong person ", 500),
            Ok("wrong person")
        );
        assert!(check_text("reason", "   ", 500).is_err());
        assert!(check_text("reason", &"字".repeat(501), 500).is_err());
        assert!(check_text("reason", &"字".repeat(500), 500).is_ok());
        assert!(check_text("name", "a\nb", 10).is_err());
    }

    #[test]
    fn formulas_become_text() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"));
        }
        assert_eq!(spreadsheet_safe("張三"), "張三");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
