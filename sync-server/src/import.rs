//! CSV files from the central office. A file is read whole and checked
//! before anything is stored, so a bad row never leaves half an import.

use std::collections::HashSet;
use std::io::Read;

use baodao_shared::{Activity, Community, Member, bounds};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result, RowError};
use crate::store::{CommunityInfo, Organization, Registry};

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

pub const COMMUNITY_HEADER: [&str; 4] = ["community_id", "name", "subdistrict", "district"];
pub const ORGANIZATION_HEADER: [&str; 3] = ["organization_id", "name", "communities"];

/// Members, with no registry of communities and organisations to resolve
/// names against (ids and organisations as written).
pub fn read_members(input: impl Read) -> Result<Vec<Member>> {
    read_members_in(input, &Registry::default())
}

/// Members; a community may be given by its id or its registered name,
/// an organisation by its registered id or name (stored by its name;
/// another text is kept as written, as before there was a registry).
pub fn read_members_in(input: impl Read, registry: &Registry) -> Result<Vec<Member>> {
    let mut seen = HashSet::new();
    read_rows(input, &MEMBER_HEADER, |f| {
        let member = Member {
            member_id: f[0]
                .parse()
                .map_err(|e: baodao_shared::Error| e.to_string())?,
            name: required("name", f[1])?,
            organization: match registry.organization(f[2]) {
                Some(o) => o.name.clone(),
                None => required("organization", f[2])?,
            },
            community: community_in(registry, f[3])?,
        };
        if !seen.insert(member.member_id.clone()) {
            return Err(format!("member {} appears twice", member.member_id));
        }
        Ok(member)
    })
}

/// A community by its registered id or name, or an id not yet registered.
fn community_in(registry: &Registry, text: &str) -> Result<Community, String> {
    if let Some(c) = registry.community(text) {
        return Ok(c.community_id.clone());
    }
    text.parse().map_err(|e: baodao_shared::Error| {
        format!("{e}; {text:?} is neither a community id nor the name of a registered community")
    })
}

/// Communities: id, name (unique), subdistrict and district (may be empty).
pub fn read_communities(input: impl Read, registry: &Registry) -> Result<Vec<CommunityInfo>> {
    let (mut ids, mut names) = (HashSet::new(), HashSet::new());
    read_rows(input, &COMMUNITY_HEADER, |f| {
        let community = CommunityInfo {
            community_id: f[0]
                .parse()
                .map_err(|e: baodao_shared::Error| e.to_string())?,
            name: required("name", f[1])?,
            subdistrict: optional("subdistrict", f[2])?,
            district: optional("district", f[3])?,
        };
        if !ids.insert(community.community_id.clone()) {
            return Err(format!(
                "community {} appears twice",
                community.community_id
            ));
        }
        if !names.insert(community.name.clone()) {
            return Err(format!("the name {} appears twice", community.name));
        }
        if let Some(other) = registry
            .community_named(&community.name)
            .filter(|c| c.community_id != community.community_id)
        {
            return Err(format!(
                "the name {} is community {}'s already",
                community.name, other.community_id
            ));
        }
        Ok(community)
    })
}

/// Organisations: id (letters, digits, `-_.`), name (unique), and the
/// communities it is paired with, by id or name, separated by `;`.
pub fn read_organizations(input: impl Read, registry: &Registry) -> Result<Vec<Organization>> {
    let (mut ids, mut names) = (HashSet::new(), HashSet::new());
    read_rows(input, &ORGANIZATION_HEADER, |f| {
        let id = f[0];
        if id.is_empty()
            || id.len() > 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(format!(
                "organization_id {id:?}: 1 to 32 letters, digits, '-', '_' or '.'"
            ));
        }
        let organization = Organization {
            organization_id: id.to_owned(),
            name: required("name", f[1])?,
            communities: f[2]
                .split([';', '；'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| community_in(registry, c))
                .collect::<Result<_, _>>()?,
        };
        if !ids.insert(organization.organization_id.clone()) {
            return Err(format!("organization {id} appears twice"));
        }
        if !names.insert(organization.name.clone()) {
            return Err(format!("the name {} appears twice", organization.name));
        }
        if let Some(other) = registry
            .organization_named(&organization.name)
            .filter(|o| o.organization_id != organization.organization_id)
        {
            return Err(format!(
                "the name {} is organization {}'s already",
                organization.name, other.organization_id
            ));
        }
        Ok(organization)
    })
}

pub fn read_activities(input: impl Read) -> Result<Vec<Activity>> {
    read_activities_in(input, &Registry::default())
}

/// Activities; a community by its id or its registered name.
pub fn read_activities_in(input: impl Read, registry: &Registry) -> Result<Vec<Activity>> {
    let mut seen = HashSet::new();
    read_rows(input, &ACTIVITY_HEADER, |f| {
        let activity = Activity {
            activity_id: f[0].parse().map_err(|e: baodao_shared::Error| e.to_string())?,
            title: required("title", f[1])?,
            kind: f[2].parse().map_err(|e: baodao_shared::Error| {
                format!("{e}; one of policy_talk, sanitation, traffic_order, home_service, help_in_need, party_lesson, activity_day, joint_meeting, other")
            })?,
            community: community_in(registry, f[3])?,
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

/// Text that may be empty, otherwise as `required`.
fn optional(field: &'static str, value: &str) -> Result<String, String> {
    if value.is_empty() {
        Ok(String::new())
    } else {
        required(field, value)
    }
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
