//! Files from the central office: `.xlsx` workbooks, or CSV in UTF-8,
//! UTF-16 or GB18030 (`table`), under English or Chinese headers in any
//! order (`columns`), times local to the policy's zone or with their own
//! (`time`). A file is read whole and checked before anything is stored,
//! so a bad row never leaves half an import; every refusal names the
//! line (or sheet and row) and the column.

pub mod columns;
pub mod problem;
pub mod table;
pub mod time;

use std::collections::HashSet;

use baodao_shared::bounds::TextFault;
use baodao_shared::{Activity, ActivityKind, Community, Member, bounds};
use chrono_tz::Tz;
use encoding_rs::Encoding;

use self::columns::Column;
use self::problem::Problem;
use self::table::{Format, Place, Row};
use crate::error::{Error, Result, RowError};
use crate::store::{CommunityInfo, Organization, Registry};

/// The headers the exports write, and imports take first.
pub const MEMBER_HEADER: [&str; 4] = ["member_id", "name", "organization", "community"];
pub const ACTIVITY_HEADER: [&str; 6] = [
    "activity_id",
    "title",
    "kind",
    "community",
    "starts_at",
    "ends_at",
];
pub const COMMUNITY_HEADER: [&str; 4] = ["community_id", "name", "subdistrict", "district"];
pub const ORGANIZATION_HEADER: [&str; 3] = ["organization_id", "name", "communities"];

/// Stop listing after this many bad rows; the first ones are enough to fix.
const MAX_REPORTED: usize = 50;

/// A file to import and how to read it.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub bytes: &'a [u8],
    /// Overrides the CSV encoding found (BOM, then UTF-8, then GB18030).
    pub encoding: Option<&'static Encoding>,
    /// The zone of times written without one: the policy's.
    pub zone: Tz,
}

impl<'a> Input<'a> {
    /// `bytes`, detected, in the default policy's zone.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            encoding: None,
            zone: baodao_shared::Policy::default().time_zone,
        }
    }
}

/// What a file held, and what was left of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported<T> {
    pub rows: Vec<T>,
    pub format: Format,
    /// Headers of columns no import reads, as written.
    pub ignored: Vec<String>,
}

/// Members, with no registry of communities and organisations to resolve
/// names against (ids and organisations as written).
pub fn read_members(bytes: &[u8]) -> Result<Vec<Member>> {
    read_members_in(&Input::new(bytes), &Registry::default()).map(|i| i.rows)
}

/// Members; a community may be given by its id or its registered name,
/// an organisation by its registered id or name (stored by its name;
/// another text is kept as written, as before there was a registry).
pub fn read_members_in(input: &Input<'_>, registry: &Registry) -> Result<Imported<Member>> {
    let mut seen = HashSet::new();
    read_rows(input, &columns::MEMBER, |f| {
        let member = Member {
            member_id: id(f[0]).map_err(at(0))?,
            name: required(f[1]).map_err(at(1))?,
            organization: match registry.organization(f[2]) {
                Some(o) => o.name.clone(),
                None => required(f[2]).map_err(at(2))?,
            },
            community: community_in(registry, f[3]).map_err(at(3))?,
        };
        if !seen.insert(member.member_id.clone()) {
            return Err(at(0)(Problem::Twice {
                key: format!("member {}", member.member_id),
            }));
        }
        Ok(member)
    })
}

/// A community by its registered id or name, or an id not yet registered.
fn community_in(registry: &Registry, text: &str) -> Result<Community, Problem> {
    if let Some(c) = registry.community(text) {
        return Ok(c.community_id.clone());
    }
    text.parse()
        .map_err(|_: baodao_shared::Error| Problem::UnknownCommunity {
            text: text.to_owned(),
        })
}

/// An id of the shared domain's kind (`MemberId`, `ActivityId`, ...).
fn id<T: std::str::FromStr<Err = baodao_shared::Error>>(text: &str) -> Result<T, Problem> {
    text.parse()
        .map_err(|e: baodao_shared::Error| Problem::BadId {
            text: text.to_owned(),
            why: e.to_string(),
        })
}

/// Communities: id, name (unique), subdistrict and district (may be empty).
pub fn read_communities(input: &Input<'_>, registry: &Registry) -> Result<Imported<CommunityInfo>> {
    let (mut ids, mut names) = (HashSet::new(), HashSet::new());
    read_rows(input, &columns::COMMUNITY, |f| {
        let community = CommunityInfo {
            community_id: id(f[0]).map_err(at(0))?,
            name: required(f[1]).map_err(at(1))?,
            subdistrict: optional(f[2]).map_err(at(2))?,
            district: optional(f[3]).map_err(at(3))?,
        };
        if !ids.insert(community.community_id.clone()) {
            return Err(at(0)(Problem::Twice {
                key: format!("community {}", community.community_id),
            }));
        }
        if !names.insert(community.name.clone()) {
            return Err(at(1)(Problem::Twice {
                key: community.name.clone(),
            }));
        }
        if let Some(other) = registry
            .community_named(&community.name)
            .filter(|c| c.community_id != community.community_id)
        {
            return Err(at(1)(Problem::NameTaken {
                name: community.name.clone(),
                by: format!("community {}", other.community_id),
            }));
        }
        Ok(community)
    })
}

/// Organisations: id (letters, digits, `-_.`), name (unique), and the
/// communities it is paired with, by id or name, separated by `;`.
pub fn read_organizations(
    input: &Input<'_>,
    registry: &Registry,
) -> Result<Imported<Organization>> {
    let (mut ids, mut names) = (HashSet::new(), HashSet::new());
    read_rows(input, &columns::ORGANIZATION, |f| {
        let id = f[0];
        if id.is_empty()
            || id.len() > 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(at(0)(Problem::BadId {
                text: id.to_owned(),
                why: "1 to 32 letters, digits, '-', '_' or '.'".into(),
            }));
        }
        let organization = Organization {
            organization_id: id.to_owned(),
            name: required(f[1]).map_err(at(1))?,
            communities: f[2]
                .split([';', '；'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| community_in(registry, c))
                .collect::<Result<_, _>>()
                .map_err(at(2))?,
        };
        if !ids.insert(organization.organization_id.clone()) {
            return Err(at(0)(Problem::Twice {
                key: format!("organization {id}"),
            }));
        }
        if !names.insert(organization.name.clone()) {
            return Err(at(1)(format!(
                "the name {} appears twice",
                organization.name
            )));
        }
        if let Some(other) = registry
            .organization_named(&organization.name)
            .filter(|o| o.organization_id != organization.organization_id)
        {
            return Err(at(1)(Problem::NameTaken {
                name: organization.name.clone(),
                by: format!("organization {}", other.organization_id),
            }));
        }
        Ok(organization)
    })
}

pub fn read_activities(bytes: &[u8]) -> Result<Vec<Activity>> {
    read_activities_in(&Input::new(bytes), &Registry::default()).map(|i| i.rows)
}

/// Activities; a kind by its code or its Chinese or English name, a
/// community by its id or its registered name, times local to the
/// policy's zone unless they carry their own.
pub fn read_activities_in(input: &Input<'_>, registry: &Registry) -> Result<Imported<Activity>> {
    let mut seen = HashSet::new();
    let zone = input.zone;
    read_rows(input, &columns::ACTIVITY, |f| {
        let activity = Activity {
            activity_id: id(f[0]).map_err(at(0))?,
            title: required(f[1]).map_err(at(1))?,
            kind: ActivityKind::from_name(f[2]).map_err(|_| {
                at(2)(Problem::UnknownKind {
                    text: f[2].to_owned(),
                })
            })?,
            community: community_in(registry, f[3]).map_err(at(3))?,
            starts_at: time::parse(f[4], zone).map_err(at(4))?,
            ends_at: time::parse(f[5], zone).map_err(at(5))?,
        };
        activity.validate().map_err(|e| {
            at(5)(if activity.ends_at < activity.starts_at {
                Problem::EndsBeforeStart
            } else {
                Problem::Other(e.to_string())
            })
        })?;
        if !seen.insert(activity.activity_id.clone()) {
            return Err(at(0)(format!(
                "activity {} appears twice",
                activity.activity_id
            )));
        }
        Ok(activity)
    })
}

/// A row's problem, and the column it is in when it is one column's.
type Bad = (Option<usize>, Problem);

/// A problem of column `i`.
fn at<E: Into<Problem>>(i: usize) -> impl Fn(E) -> Bad {
    move |e| (Some(i), e.into())
}

/// A name, title or organisation: 1 to 200 characters, no line breaks or
/// other control characters (they would break every CSV and screen), as
/// `bounds::check_text` decides, said as a `Problem`.
fn required(value: &str) -> Result<String, Problem> {
    let value = value.trim();
    match bounds::text_fault(value, bounds::MAX_NAME_CHARS) {
        None => Ok(value.to_owned()),
        Some(TextFault::Empty) => Err(Problem::Empty),
        Some(TextFault::TooLong) => Err(Problem::TooLong {
            max: bounds::MAX_NAME_CHARS,
        }),
        Some(TextFault::ControlCharacters) => Err(Problem::ControlCharacters),
    }
}

/// Text that may be empty, otherwise as `required`.
fn optional(value: &str) -> Result<String, Problem> {
    if value.is_empty() {
        Ok(String::new())
    } else {
        required(value)
    }
}

fn row_error(place: &Place, column: Option<String>, problem: Problem) -> RowError {
    RowError {
        message: problem.to_string(),
        problem: Some(problem),
        line: place.number(),
        place: place.to_string(),
        sheet: match place {
            Place::Row { sheet, .. } => Some(sheet.clone()),
            Place::Line(_) => None,
        },
        column,
    }
}

fn read_rows<T, const N: usize>(
    input: &Input<'_>,
    columns: &[Column; N],
    mut parse: impl FnMut(&[&str; N]) -> Result<T, Bad>,
) -> Result<Imported<T>> {
    let (format, table) = table::read(input.bytes, input.encoding)
        .map_err(|(place, problem)| Error::Import(vec![row_error(&place, None, problem)]))?;
    let mut rows = table.into_iter();
    let expected = columns.iter().map(|c| c.name).collect::<Vec<_>>().join(",");
    let Some(Row {
        place: header_place,
        cells: header,
    }) = rows.next()
    else {
        return Err(Error::Import(vec![row_error(
            &Place::Line(1),
            None,
            Problem::EmptyFile { expected },
        )]));
    };
    let layout = columns::layout(&header, columns)
        .map_err(|problem| Error::Import(vec![row_error(&header_place, None, problem)]))?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for Row { place, cells } in rows {
        if errors.len() >= MAX_REPORTED {
            break;
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let fields: [&str; N] = std::array::from_fn(|i| {
            layout.index[i]
                .and_then(|at| cells.get(at))
                .map_or("", |c| bounds::from_spreadsheet(c.trim()))
        });
        match parse(&fields) {
            Ok(value) => out.push(value),
            Err((column, problem)) => errors.push(row_error(
                &place,
                column.map(|i| layout.headers[i].clone()),
                problem,
            )),
        }
    }
    if errors.is_empty() {
        Ok(Imported {
            rows: out,
            format,
            ignored: layout.ignored,
        })
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
        // Neither UTF-8 nor GB18030: said for the file, before any row.
        let neither: &[u8] = b"member_id,name,organization,community\nM1,\xff\xfe,x,C1\n";
        let err = read_members(neither).unwrap_err();
        assert!(err.to_string().contains("not valid gb18030"), "{err}");
        assert_eq!(lines(err), vec![1]);
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
