//! Attendance as CSV, for staff to take away on a USB stick.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::store::CheckInRow;

const HEADER: &str =
    "record_id,member_id,name,activity_id,scanned_at,method,server_status,server_reason,voided";

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Writes every row; returns how many. Written beside the target and then
/// renamed, so a stick pulled out mid-write never holds half a file that
/// looks whole. Starts with a BOM so spreadsheet programs read the Chinese.
pub fn write_csv(path: &Path, rows: &[CheckInRow]) -> Result<usize> {
    let tmp = path.with_extension("csv.partial");
    let context = format!("writing {}", path.display());
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        out.write_all("\u{feff}".as_bytes())?;
        writeln!(out, "{HEADER}")?;
        for row in rows {
            let r = &row.record;
            let fields = [
                r.record_id.to_string(),
                r.member_id.to_string(),
                row.member_name.clone(),
                r.activity_id.to_string(),
                r.scanned_at.to_rfc3339(),
                r.method.code().to_owned(),
                row.server_status
                    .map(|s| s.code().to_owned())
                    .unwrap_or_default(),
                row.server_reason
                    .map(|s| s.code().to_owned())
                    .unwrap_or_default(),
                row.voided.clone().unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
            writeln!(out, "{}", line.join(","))?;
        }
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::Io { context, source: e }
    })?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use baodao_shared::{AttendanceRecord, Method};
    use chrono::Utc;

    use super::*;

    #[test]
    fn quotes_what_needs_quoting_and_fails_cleanly() {
        let row = CheckInRow {
            record: AttendanceRecord {
                record_id: uuid::Uuid::nil(),
                member_id: "M1".parse().unwrap(),
                activity_id: "A1".parse().unwrap(),
                scanned_at: Utc::now(),
                method: Method::Manual,
                card: None,
            },
            member_name: "歐陽曉嵐".into(),
            server_status: None,
            server_reason: None,
            voided: Some("scanned the wrong person, \"twice\"".into()),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        assert_eq!(write_csv(&path, std::slice::from_ref(&row)).unwrap(), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("歐陽曉嵐"));
        assert!(text.contains("\"scanned the wrong person, \"\"twice\"\"\""));
        let err = write_csv(Path::new("/nonexistent/stick/out.csv"), &[row]).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/stick/out.csv"));
    }
}
