//! Reports as files the office opens in a spreadsheet. No queries here:
//! rows in, bytes out.

use std::io::Write;

use baodao_shared::bounds::spreadsheet_safe;

use crate::store::ReportRow;

/// The points report as CSV. Every text cell goes through
/// [`spreadsheet_safe`]: a member named `=HYPERLINK(...)` is shown, not run.
pub fn points_csv(out: impl Write, rows: &[ReportRow]) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "member_id",
        "name",
        "organization",
        "community",
        "year",
        "attended",
        "points",
    ])?;
    for row in rows {
        csv.write_record([
            spreadsheet_safe(row.member_id.as_str()).as_ref(),
            &spreadsheet_safe(&row.name),
            &spreadsheet_safe(&row.organization),
            &spreadsheet_safe(&row.community),
            &row.year.to_string(),
            &row.attended.to_string(),
            &row.points.to_string(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_the_rest_is_unchanged() {
        let row = |name: &str, org: &str| ReportRow {
            member_id: "M1".parse().unwrap(),
            name: name.into(),
            organization: org.into(),
            community: "C01".into(),
            year: 2026,
            attended: 3,
            points: 3,
        };
        let mut out = Vec::new();
        points_csv(
            &mut out,
            &[
                row("=HYPERLINK(\"http://evil.example\",\"點我\")", "+1-2"),
                row("張偉", "市財政局機關黨支部"),
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(
            lines[0],
            "member_id,name,organization,community,year,attended,points"
        );
        assert_eq!(
            lines[1],
            "M1,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"點我\"\")\",'+1-2,C01,2026,3,3"
        );
        assert_eq!(lines[2], "M1,張偉,市財政局機關黨支部,C01,2026,3,3");
    }
}
