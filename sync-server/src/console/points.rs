//! Points for a year: every member in the user's scope, filtered by
//! community and home organisation, searched by name or id, sorted; and
//! the roll-ups per organisation and per community with the distribution.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::{Nav, encode, histogram, notice, page};
use super::session::Console;
use super::{failure, respond};
use crate::AppState;
use crate::domain::report::{Rollup, overall, regroup, rollup};
use crate::store::{Registry, ReportFilter, ReportRow};

/// Rows shown on the page; the export has them all.
const SHOWN: usize = 500;

#[derive(Debug, Default, Deserialize)]
pub struct PointsQuery {
    year: Option<String>,
    community: Option<String>,
    organization: Option<String>,
    q: Option<String>,
    sort: Option<String>,
}

impl PointsQuery {
    fn field(value: Option<&String>) -> Option<&str> {
        value.map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

/// What the user asked to see.
struct Selection<'a> {
    year: i32,
    community: Option<&'a str>,
    organization: Option<&'a str>,
    search: Option<String>,
    sort: Option<&'a str>,
}

pub async fn get(
    State(state): State<AppState>,
    console: Console,
    query: Result<Query<PointsQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let lang = console.lang;
    let policy = state.settings.policy;
    let this_year = Utc::now().with_timezone(&policy.time_zone).year();
    let year = match PointsQuery::field(query.year.as_ref()).map(str::parse::<i32>) {
        None => this_year,
        Some(Ok(y)) if (2000..=2100).contains(&y) => y,
        Some(_) => {
            let body = notice(false, &format!("{}: 2000–2100", lang.t(T::Year)));
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&console, Nav::Points, "/console/points", &body),
            );
        }
    };
    let filter = ReportFilter {
        communities: console.user.scope().map(<[_]>::to_vec),
        organization: None,
    };
    let rows = match state.store.points_report(year, policy, filter).await {
        Ok(rows) => rows,
        Err(e) => return failure(lang, &e),
    };
    let registry = match state.store.registry().await {
        Ok(r) => r,
        Err(e) => return failure(lang, &e),
    };
    let selection = Selection {
        year,
        community: PointsQuery::field(query.community.as_ref()),
        organization: PointsQuery::field(query.organization.as_ref()),
        search: PointsQuery::field(query.q.as_ref()).map(str::to_lowercase),
        sort: query.sort.as_deref(),
    };
    render(&console, &selection, &rows, &registry, policy.annual_cap)
}

fn render(
    console: &Console,
    selection: &Selection<'_>,
    rows: &[ReportRow],
    registry: &Registry,
    cap: u32,
) -> Response {
    let lang = console.lang;
    let Selection {
        year,
        community,
        organization,
        ..
    } = *selection;
    let search = selection.search.as_deref();
    let communities = distinct(rows.iter().map(|r| r.community.as_str()));
    let organizations = distinct(rows.iter().map(|r| r.organization.as_str()));
    let chosen: Vec<&ReportRow> = rows
        .iter()
        .filter(|r| community.is_none_or(|c| r.community == c))
        .filter(|r| organization.is_none_or(|o| r.organization == o))
        .collect();
    let all = overall(chosen.iter().map(|r| r.points), cap);
    let by_org = rollup(
        chosen.iter().map(|r| (r.organization.as_str(), r.points)),
        cap,
    );
    // By community id first: the registry is asked once a community, not
    // once a member.
    let by_community_id = rollup(chosen.iter().map(|r| (r.community.as_str(), r.points)), cap);
    let by_community = regroup(
        &by_community_id,
        |id| Some(registry.community_name(id).to_owned()),
        cap,
    );
    // Subdistricts and districts, for the communities the registry places.
    let by_district = regroup(
        &by_community_id,
        |id| {
            let c = registry.community(id)?;
            match (c.district.as_str(), c.subdistrict.as_str()) {
                ("", "") => None,
                (d, "") => Some(d.to_owned()),
                ("", s) => Some(s.to_owned()),
                (d, s) => Some(format!("{d} · {s}")),
            }
        },
        cap,
    );
    let mut listed: Vec<&ReportRow> = chosen
        .into_iter()
        .filter(|r| {
            search.is_none_or(|s| baodao_shared::search::matches(s, &r.name, r.member_id.as_str()))
        })
        .collect();
    let found = listed.len();
    let order: Option<fn(&&ReportRow, &&ReportRow) -> std::cmp::Ordering> = match selection.sort {
        Some("points") => Some(|a, b| b.points.cmp(&a.points).then(a.member_id.cmp(&b.member_id))),
        Some("name") => Some(|a, b| a.name.cmp(&b.name).then(a.member_id.cmp(&b.member_id))),
        _ => None,
    };
    if let Some(order) = order {
        // Only the rows shown need their order: the first SHOWN, then those.
        if listed.len() > SHOWN {
            listed.select_nth_unstable_by(SHOWN, order);
            listed.truncate(SHOWN);
        }
        listed.sort_unstable_by(order);
    }
    listed.truncate(SHOWN);
    let back = format!(
        "/console/points?year={year}&community={}&organization={}&q={}",
        encode(community.unwrap_or("")),
        encode(organization.unwrap_or("")),
        encode(search.unwrap_or(""))
    );
    let body = html! {
        h1 { (lang.t(T::Points)) " · " (year) }
        (filters(lang, selection, &communities, &organizations, registry))
        div.cards {
            div.card { div.muted { (lang.t(T::Members)) } div.big { (all.members) } }
            div.card { div.muted { (lang.t(T::MeanPoints)) } div.big { (format!("{:.1}", all.mean())) } }
            div.card { div.muted { (lang.t(T::AtZero)) } div.big.bad { (all.at_zero) } }
            div.card { div.muted { (lang.t(T::AtCap)) } div.big.good { (all.at_cap) } }
            div.card { div.muted { (lang.t(T::Distribution)) } (histogram(&all.distribution, lang, true)) }
        }
        h2 { (lang.t(T::ByOrganization)) }
        (groups(&by_org, lang, T::Organization))
        h2 { (lang.t(T::ByCommunity)) }
        (groups(&by_community, lang, T::Community))
        @if !by_district.is_empty() {
            h2 { (lang.t(T::ByDistrict)) }
            (groups(&by_district, lang, T::District))
        }
        h2 { (lang.t(T::MemberList)) }
        (members(&listed, found, registry, lang, cap))
    };
    respond(StatusCode::OK, &page(console, Nav::Points, &back, &body))
}

fn filters(
    lang: Lang,
    selection: &Selection<'_>,
    communities: &[&str],
    organizations: &[&str],
    registry: &Registry,
) -> Markup {
    let Selection {
        year,
        community,
        organization,
        ..
    } = *selection;
    let search = selection.search.as_deref();
    html! {
    form.filters method="get" action="/console/points" {
        label { (lang.t(T::Year)) input name="year" value=(year) size="5" inputmode="numeric"; }
        label { (lang.t(T::Community))
            select name="community" {
                option value="" { (lang.t(T::All)) }
                @for c in communities { option value=(c) selected[community == Some(*c)] { (registry.community_name(c)) } }
            }
        }
        label { (lang.t(T::Organization))
            select name="organization" {
                option value="" { (lang.t(T::All)) }
                @for o in organizations { option value=(o) selected[organization == Some(*o)] { (o) } }
            }
        }
        label { (lang.t(T::Search)) input name="q" value=(search.unwrap_or("")) type="search"; }
        label { (lang.t(T::Sort))
            select name="sort" {
                option value="id" { (lang.t(T::MemberId)) }
                option value="points" selected[selection.sort == Some("points")] { (lang.t(T::PointsOf)) " ↓" }
                option value="name" selected[selection.sort == Some("name")] { (lang.t(T::Name)) }
            }
        }
        button.primary type="submit" { (lang.t(T::Show)) }
    }
    p.exports {
        (lang.t(T::Export)) ": "
        @for (group_by, text) in [("member", T::MemberList), ("organization", T::ByOrganization), ("community", T::ByCommunity)] {
            a id={ "xlsx-" (group_by) } href={ "/api/v1/office/reports/points.xlsx?year=" (year) "&group_by=" (group_by) (filter_query(community, organization)) } {
                (lang.t(text)) " (Excel)"
            }
            " · "
        }
        a href={ "/api/v1/office/reports/points.csv?year=" (year) (filter_query(community, organization)) } { (lang.t(T::ExportCsv)) }
    }
    }
}

/// The first rows of the `found`, in their order.
fn members(
    listed: &[&ReportRow],
    found: usize,
    registry: &Registry,
    lang: Lang,
    cap: u32,
) -> Markup {
    html! {
        @if found > listed.len() { p.muted { (lang.showing(listed.len(), found)) } }
        table #members {
            thead { tr {
                th { (lang.t(T::MemberId)) } th { (lang.t(T::Name)) } th { (lang.t(T::Organization)) }
                th { (lang.t(T::Community)) } th.num { (lang.t(T::Activities)) } th.num { (lang.t(T::PointsOf)) }
            } }
            tbody {
                @for r in listed {
                    tr {
                        td { a href={ "/console/members/" (encode(r.member_id.as_str())) } { (r.member_id) } } td { (r.name) } td { (r.organization) } td { (registry.community_name(&r.community)) }
                        td.num { (r.attended) }
                        td class=(points_class(r.points, cap)) { (r.points) }
                    }
                }
            }
        }
    }
}

/// Each of `values` once, sorted.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut distinct: Vec<&str> = values
        .collect::<std::collections::HashSet<&str>>()
        .into_iter()
        .collect();
    distinct.sort_unstable();
    distinct
}

/// The community and organisation filters as query parameters.
fn filter_query(community: Option<&str>, organization: Option<&str>) -> String {
    let community = community.map(|c| format!("&community={}", encode(c)));
    let organization = organization.map(|o| format!("&organization={}", encode(o)));
    [community, organization].into_iter().flatten().collect()
}

fn points_class(points: u32, cap: u32) -> &'static str {
    if points == 0 {
        "num bad"
    } else if points >= cap {
        "num good"
    } else {
        "num"
    }
}

fn groups(groups: &[Rollup], lang: Lang, heading: T) -> Markup {
    html! {
        table {
            thead { tr {
                th { (lang.t(heading)) } th.num { (lang.t(T::Members)) } th.num { (lang.t(T::MeanPoints)) }
                th.num { (lang.t(T::AtZero)) } th.num { (lang.t(T::AtCap)) } th { (lang.t(T::Distribution)) }
            } }
            tbody {
                @for g in groups {
                    tr {
                        td { (g.group) }
                        td.num { (g.members) }
                        td.num { (format!("{:.1}", g.mean())) }
                        td.num { (g.at_zero) }
                        td.num { (g.at_cap) }
                        td { (histogram(&g.distribution, lang, false)) }
                    }
                }
            }
        }
    }
}
