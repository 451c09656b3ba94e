//! Reports as files the office opens in a spreadsheet. No queries here:
//! rows in, bytes out.

use std::io::Write;

use baodao_shared::bounds::spreadsheet_safe;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::domain::report::{Rollup, rollup};
use crate::store::ReportRow;

/// What a report lists a row for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row a member.
    #[default]
    Member,
    /// One row a home organisation (party branch).
    Organization,
    /// One row a community.
    Community,
}

impl GroupBy {
    pub fn code(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Organization => "organization",
            Self::Community => "community",
        }
    }

    /// The roll-up of `rows` by this grouping (`None` by member).
    pub fn groups(self, rows: &[ReportRow], cap: u32) -> Option<Vec<Rollup>> {
        match self {
            Self::Member => None,
            Self::Organization => Some(rollup(
                rows.iter().map(|r| (r.organization.as_str(), r.points)),
                cap,
            )),
            Self::Community => Some(rollup(
                rows.iter().map(|r| (r.community.as_str(), r.points)),
                cap,
            )),
        }
    }
}

const MEMBER_COLUMNS: [&str; 7] = [
    "member_id",
    "name",
    "organization",
    "community",
    "year",
    "attended",
    "points",
];

const GROUP_COLUMNS: [&str; 7] = [
    "group",
    "year",
    "members",
    "points",
    "mean_points",
    "at_zero",
    "at_cap",
];

/// The points report as CSV. Every text cell goes through
/// [`spreadsheet_safe`]: a member named `=HYPERLINK(...)` is shown, not run.
pub fn points_csv(out: impl Write, rows: &[ReportRow]) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(MEMBER_COLUMNS)?;
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

/// A roll-up as CSV: one row a group of `year`.
pub fn groups_csv(out: impl Write, groups: &[Rollup], year: i32) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(GROUP_COLUMNS)?;
    for g in groups {
        csv.write_record([
            spreadsheet_safe(&g.group).as_ref(),
            &year.to_string(),
            &g.members.to_string(),
            &g.points.to_string(),
            &format!("{:.1}", g.mean()),
            &g.at_zero.to_string(),
            &g.at_cap.to_string(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

/// The points report as an Excel workbook: the members sheet, or the
/// roll-up when `groups` is given. Text goes in as text cells (never a
/// formula, whatever it starts with), counts as numbers; the header row
/// is frozen and filterable.
pub fn points_xlsx(
    rows: &[ReportRow],
    groups: Option<&[Rollup]>,
    year: i32,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = Format::new().set_bold();
    let one_decimal = Format::new().set_num_format("0.0");
    let columns: &[&str] = if groups.is_some() {
        &GROUP_COLUMNS
    } else {
        &MEMBER_COLUMNS
    };
    for (col, name) in (0u16..).zip(columns) {
        sheet.write_string_with_format(0, col, *name, &bold)?;
    }
    let mut last_row = 0;
    match groups {
        None => {
            sheet.set_name("points")?;
            for (row, r) in (1u32..).zip(rows) {
                sheet.write_string(row, 0, r.member_id.as_str())?;
                sheet.write_string(row, 1, &r.name)?;
                sheet.write_string(row, 2, &r.organization)?;
                sheet.write_string(row, 3, &r.community)?;
                sheet.write_number(row, 4, r.year)?;
                sheet.write_number(row, 5, r.attended)?;
                sheet.write_number(row, 6, r.points)?;
                last_row = row;
            }
            for (col, width) in [(0, 12), (1, 12), (2, 30), (3, 14)] {
                sheet.set_column_width(col, width)?;
            }
        }
        Some(groups) => {
            sheet.set_name("groups")?;
            for (row, g) in (1u32..).zip(groups) {
                sheet.write_string(row, 0, &g.group)?;
                sheet.write_number(row, 1, year)?;
                // Counts of members stay far below 2^53: exact as numbers.
                #[allow(clippy::cast_precision_loss)]
                {
                    sheet.write_number(row, 2, g.members as f64)?;
                    sheet.write_number(row, 3, g.points as f64)?;
                    sheet.write_number_with_format(row, 4, g.mean(), &one_decimal)?;
                    sheet.write_number(row, 5, g.at_zero as f64)?;
                    sheet.write_number(row, 6, g.at_cap as f64)?;
                }
                last_row = row;
            }
            sheet.set_column_width(0, 30)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_col = u16::try_from(columns.len() - 1).unwrap_or(0);
    sheet.autofilter(0, 0, last_row.max(1), last_col)?;
    workbook.save_to_buffer()
}

/// One member's line in an organisation's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPeriod<'a> {
    pub row: &'a ReportRow,
    /// The community's name.
    pub community: &'a str,
    /// The titles of the activities counted in the period, in order.
    pub activities: Vec<&'a str>,
}

/// An organisation's report for a period (the quarterly report to the
/// home organisation): a title line, then a line a member with the
/// activities counted in the period and the year's points.
pub fn organization_xlsx(title: &str, members: &[MemberPeriod<'_>]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("report")?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, title, &bold)?;
    let columns = [
        "member_id",
        "name",
        "community",
        "activities_in_period",
        "activity_titles",
        "points_this_year",
    ];
    for (col, name) in (0u16..).zip(columns) {
        sheet.write_string_with_format(2, col, name, &bold)?;
    }
    for (row, m) in (3u32..).zip(members) {
        sheet.write_string(row, 0, m.row.member_id.as_str())?;
        sheet.write_string(row, 1, &m.row.name)?;
        sheet.write_string(row, 2, m.community)?;
        sheet.write_number(
            row,
            3,
            u32::try_from(m.activities.len()).unwrap_or(u32::MAX),
        )?;
        sheet.write_string(row, 4, m.activities.join("；"))?;
        sheet.write_number(row, 5, m.row.points)?;
    }
    for (col, width) in [(0, 12), (1, 12), (2, 16), (4, 60)] {
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(3, 0)?;
    workbook.save_to_buffer()
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
