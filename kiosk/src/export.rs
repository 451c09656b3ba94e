//! Attendance as CSV, for staff to take away on a USB stick.

use std::io::Write;
use std::path::{Path, PathBuf};

use baodao_shared::bounds::spreadsheet_safe;

use crate::error::{Error, Result};
use crate::store::CheckInRow;

const HEADER: [&str; 9] = [
    "record_id",
    "member_id",
    "name",
    "activity_id",
    "scanned_at",
    "method",
    "server_status",
    "server_reason",
    "voided",
];

/// Where an export staff asked for may go: a `.csv` file in `export_dir`
/// (a USB stick's mount point) or below it, never among the kiosk's own
/// files in `data_dir`, never through a link. The folder must exist.
pub fn target(export_dir: &Path, data_dir: &Path, requested: &str) -> Result<PathBuf> {
    let refuse = |why: &str| Error::Config(format!("export to {requested:?}: {why}"));
    let requested = Path::new(requested.trim());
    let file_name = requested
        .file_name()
        .filter(|name| {
            Path::new(name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        })
        .ok_or_else(|| refuse("name a .csv file"))?;
    let folder = requested
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(export_dir);
    let folder = if folder.is_absolute() {
        folder.to_owned()
    } else {
        export_dir.join(folder)
    };
    let folder = folder
        .canonicalize()
        .map_err(|_| refuse("the folder does not exist (is the USB stick in?)"))?;
    let allowed = export_dir.canonicalize().map_err(|_| {
        refuse(&format!(
            "the export folder {} does not exist",
            export_dir.display()
        ))
    })?;
    if !folder.starts_with(&allowed) {
        return Err(refuse(&format!(
            "exports go under {}",
            export_dir.display()
        )));
    }
    if data_dir
        .canonicalize()
        .is_ok_and(|data| folder.starts_with(data))
    {
        return Err(refuse("that is the kiosk's own data folder"));
    }
    let path = folder.join(file_name);
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(refuse("the file is a link"));
    }
    Ok(path)
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
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(HEADER)?;
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
            // Never run as a formula in a spreadsheet (a member named
            // `=HYPERLINK(...)`); the csv crate quotes what must be.
            csv.write_record(fields.iter().map(|f| spreadsheet_safe(f).into_owned()))?;
        }
        csv.into_inner()
            .map_err(csv::IntoInnerError::into_error)?
            .into_inner()
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

    fn row(name: &str, voided: &str) -> CheckInRow {
        CheckInRow {
            record: AttendanceRecord {
                record_id: uuid::Uuid::nil(),
                member_id: "M1".parse().unwrap(),
                activity_id: "A1".parse().unwrap(),
                scanned_at: Utc::now(),
                method: Method::Manual,
                card: None,
                entered_by: None,
            },
            member_name: name.into(),
            server_status: None,
            server_reason: None,
            voided: Some(voided.into()),
        }
    }

    #[test]
    fn quotes_what_needs_quoting_and_fails_cleanly() {
        let row = row("歐陽曉嵐", "scanned the wrong person, \"twice\"");
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

    #[test]
    fn formulas_in_names_and_reasons_stay_text() {
        let row = row("=HYPERLINK(\"http://evil.example\",\"點我\")", "@SUM(1+1)");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_csv(&path, &[row]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"點我\"\")\","),
            "{text}"
        );
        assert!(text.contains(",'@SUM(1+1)"), "{text}");
        assert!(!text.contains(",=") && !text.contains(",@"), "{text}");
    }

    #[test]
    fn exports_go_only_under_the_export_folder() {
        let root = tempfile::tempdir().unwrap();
        let media = root.path().join("media");
        let stick = media.join("usb");
        let data = root.path().join("data");
        std::fs::create_dir_all(&stick).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        let ok = target(&media, &data, stick.join("day.csv").to_str().unwrap()).unwrap();
        assert_eq!(ok, stick.canonicalize().unwrap().join("day.csv"));
        assert_eq!(target(&media, &data, "usb/day.csv").unwrap(), ok);
        for (requested, why) in [
            (
                data.join("kiosk.csv").display().to_string(),
                "exports go under",
            ),
            (data.join("kiosk.sqlite").display().to_string(), ".csv"),
            (
                stick.join("../../data/x.csv").display().to_string(),
                "exports go under",
            ),
            ("/etc/passwd.csv".to_owned(), "exports go under"),
            (
                stick.join("missing/x.csv").display().to_string(),
                "does not exist",
            ),
            ("usb/".to_owned(), ".csv"),
        ] {
            let err = target(&media, &data, &requested).unwrap_err().to_string();
            assert!(err.contains(why), "{requested}: {err}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(data.join("kiosk.sqlite"), stick.join("link.csv")).unwrap();
            let err = target(&media, &data, "usb/link.csv")
                .unwrap_err()
                .to_string();
            assert!(err.contains("link"), "{err}");
        }
    }
}
