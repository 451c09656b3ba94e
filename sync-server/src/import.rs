//! CSV files from the central office. A file is read whole and checked
//! before anything is stored, so a bad row never leaves half an import.

use std::collections::HashSet;
use std::io::Read;

use baodao_shared::{Activity, Member, bounds};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result, RowError};

pub const MEMBER_HEADER: [&str; 4] = ["member_id", "name", "organization", "community"];
pub const ACTIVITY_HEADER: [&str; 6] = [
    "activity_id",
    "title",
    "kind",
    "community",
    "starts_at",
    "ends_at",
];

/// Stop listing after this many bad rows; the first ones are enough to fix.
const MAX_REPORTED: usize = 50;

pub fn read_members(input: impl Read) -> Result<Vec<Member>> {
    let mut seen = HashSet::new();
    read_rows(input, &MEMBER_HEADER, |f| {
        let member = Member {
            member_id: f[0]
                .parse()
                .map_err(|e: baodao_shared::Error| e.to_string())?,
            name: required("name", f[1])?,
            organization: required("organization", f[2])?,
            community: f[3]
                .parse()
                .map_err(|e: baodao_shared::Error| e.to_string())?,
        };
        if !seen.insert(member.member_id.clone()) {
            return Err(format!("member {} appears twice", member.member_id));
        }
        Ok(member)
    })
}

pub fn read_activities(input: impl Read) -> Result<Vec<Activity>> {
    let mut seen = HashSet::new();
    read_rows(input, &ACTIVITY_HEADER, |f| {
        let activity = Activity {
            activity_id: f[0].parse().map_err(|e: baodao_shared::Error| e.to_string())?,
            title: required("title", f[1])?,
            kind: f[2].parse().map_err(|e: baodao_shared::Error| {
                format!("{e}; one of policy_talk, sanitation, traffic_order, home_service, help_in_need, party_lesson, activity_day, joint_meeting, other")
            })?,
            community: f[3].parse().map_err(|e: baodao_shared::Error| e.to_string())?,
            starts_at: time("starts_at", f[4])?,
            ends_at: time("ends_at", f[5])?,
        };
        activity.validate().map_err(|e| e.to_string())?;
        if !seen.insert(activity.activity_id.clone()) {
            return Err(format!("activity {} appears twice", activity.activity_id));
        }
        Ok(activity)
    })
}

/// A name, title or organisation: 1 to 200 characters, no line breaks or
/// other control characters (they would break every CSV and screen).
fn required(field: &'static str, value: &str) -> Result<String, String> {
    bounds::check_text(field, value, bounds::MAX_NAME_CHARS)
        .map(str::to_owned)
        .map_err(|e| e.to_string())
}

fn time(field: &'static str, value: &str) -> Result<DateTime<Utc>, String> {
    let at = DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("{field} {value:?} is not an RFC 3339 time such as 2026-12-05T09:00:00+08:00")
        })?;
    bounds::check_time(field, at).map_err(|e| e.to_string())
}

fn read_rows<T, const N: usize>(
    input: impl Read,
    header: &[&str; N],
    mut parse: impl FnMut(&[&str; N]) -> Result<T, String>,
) -> Result<Vec<T>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut records = reader.records();
    let bad_header = |line, message: String| Error::Import(vec![RowError { line, message }]);
    match records.next() {
        None => {
            return Err(bad_header(
                1,
                format!("empty file; expected the header {}", header.join(",")),
            ));
        }
        Some(Err(e)) => return Err(bad_header(1, e.to_string())),
        Some(Ok(first)) => {
            let found: Vec<&str> = first.iter().map(str::trim).collect();
            if found != header {
                return Err(bad_header(
                    1,
                    format!(
                        "header is {:?}; expected {}",
                        found.join(","),
                        header.join(",")
                    ),
                ));
            }
        }
    }
    for record in records {
        if errors.len() >= MAX_REPORTED {
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                errors.push(RowError {
                    line,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let fields: Vec<&str> = record.iter().map(str::trim).collect();
        let result = <[&str; N]>::try_from(fields)
            .map_err(|fields| {
                format!(
                    "{} fields; expected {N} ({})",
                    fields.len(),
                    header.join(",")
                )
            })
            .and_then(|fields| parse(&fields));
        match result {
            Ok(value) => out.push(value),
            Err(message) => errors.push(RowError { line, message }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Import(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(err: Error) -> Vec<u64> {
        match err {
            Error::Import(rows) => rows.iter().map(|r| r.line).collect(),
            other => panic!("expected an import error, got {other}"),
        }
    }

    #[test]
    fn reads_members_with_chinese_names_and_a_bom() {
        let csv = "\u{feff}member_id,name,organization,community\nM001,張偉,市財政局機關黨支部,C01\nM002,李娜,區教育局黨支部,C01\n\n";
        let members = read_members(csv.as_bytes()).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].name, "張偉");
        assert_eq!(members[1].organization, "區教育局黨支部");
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let csv = "member_id,name,organization,community\nM001,張偉,局,C01\nbad id,李娜,局,C01\nM003,,局,C01\nM004,王芳,局\nM001,重複,局,C01\n";
        assert_eq!(
            lines(read_members(csv.as_bytes()).unwrap_err()),
            vec![3, 4, 5, 6]
        );
    }

    #[test]
    fn refuses_a_wrong_header_or_an_empty_file() {
        assert_eq!(
            lines(read_members("id,name\nM1,x\n".as_bytes()).unwrap_err()),
            vec![1]
        );
        assert_eq!(lines(read_members("".as_bytes()).unwrap_err()), vec![1]);
        let invalid_utf8: &[u8] = b"member_id,name,organization,community\nM1,\xff\xfe,x,C1\n";
        assert_eq!(lines(read_members(invalid_utf8).unwrap_err()), vec![2]);
    }

    #[test]
    fn reads_activities_and_checks_times_and_kinds() {
        let csv = "activity_id,title,kind,community,starts_at,ends_at\n\
                   A1,黨課：學習二十大精神,party_lesson,C01,2026-12-05T09:00:00+08:00,2026-12-05T11:00:00+08:00\n\
                   A2,x,dancing,C01,2026-12-05T09:00:00+08:00,2026-12-05T11:00:00+08:00\n\
                   A3,x,sanitation,C01,tomorrow,2026-12-05T11:00:00+08:00\n\
                   A4,x,sanitation,C01,2026-12-05T11:00:00+08:00,2026-12-05T09:00:00+08:00\n";
        assert_eq!(
            lines(read_activities(csv.as_bytes()).unwrap_err()),
            vec![3, 4, 5]
        );
        let good = csv.lines().take(2).collect::<Vec<_>>().join("\n");
        let activities = read_activities(good.as_bytes()).unwrap();
        assert_eq!(
            activities[0].starts_at.to_rfc3339(),
            "2026-12-05T01:00:00+00:00"
        );
    }

    #[test]
    fn values_at_the_edges_are_refused_by_line() {
        let csv = "activity_id,title,kind,community,starts_at,ends_at\n\
                   A1,x,sanitation,C01,-262143-01-01T00:00:00Z,2026-12-05T11:00:00+08:00\n\
                   A2,x,sanitation,C01,2026-12-05T09:00:00+08:00,9999-12-31T23:59:59Z\n\
                   A3,x,sanitation,C01,1970-01-01T00:00:00+14:00,2026-12-05T11:00:00+08:00\n";
        assert_eq!(
            lines(read_activities(csv.as_bytes()).unwrap_err()),
            vec![2, 3, 4]
        );
        let long = "名".repeat(201);
        let members = format!(
            "member_id,name,organization,community\nM1,{long},局,C01\nM2,\"張\n三\",局,C01\nM3,張三,{long},C01\n"
        );
        assert_eq!(
            lines(read_members(members.as_bytes()).unwrap_err()),
            vec![2, 3, 5]
        );
    }
}
