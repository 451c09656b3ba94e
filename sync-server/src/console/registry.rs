//! Communities and organisations: the registry the imports resolve names
//! against, and which organisations are paired with which communities.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::i18n::T;
use super::layout::{Nav, encode, page};
use super::session::Console;
use super::{failure, respond};
use crate::AppState;

pub async fn get(State(state): State<AppState>, console: Console) -> Response {
    let lang = console.lang;
    let registry = match state.store.registry().await {
        Ok(r) => r,
        Err(e) => return failure(lang, &e),
    };
    // Each community's organisations, gathered once: a city has thousands
    // of both.
    let mut paired: HashMap<&str, Vec<&str>> = HashMap::new();
    for o in registry.organizations() {
        for c in &o.communities {
            paired.entry(c.as_str()).or_default().push(o.name.as_str());
        }
    }
    let body = html! {
        h1 { (lang.t(T::RegistryPage)) }
        p.muted { (lang.t(T::RegistryHelp)) }
        h2 { (lang.t(T::Communities)) }
        (super::export::links(lang, "communities", None))
        table #communities {
            thead { tr {
                th { "ID" } th { (lang.t(T::Designation)) } th { (lang.t(T::Subdistrict)) } th { (lang.t(T::District)) }
                th { (lang.t(T::PairedOrganizations)) }
            } }
            tbody {
                @for c in registry.communities() {
                    tr {
                        td { (c.community_id) } td { (c.name) } td { (c.subdistrict) } td { (c.district) }
                        td {
                            @for o in paired.get(c.community_id.as_str()).into_iter().flatten() {
                                (o) br;
                            }
                        }
                    }
                }
            }
        }
        h2 { (lang.t(T::Organizations)) }
        (super::export::links(lang, "organizations", None))
        table #organizations {
            thead { tr { th { "ID" } th { (lang.t(T::Designation)) } th { (lang.t(T::PairedCommunities)) } th {} } }
            tbody {
                @for o in registry.organizations() {
                    tr {
                        td { (o.organization_id) } td { (o.name) }
                        td {
                            @for c in &o.communities { (registry.community_name(c.as_str())) br; }
                        }
                        td {
                            a href={ "/api/v1/office/reports/organization.xlsx?organization=" (encode(&o.organization_id)) } {
                                (lang.t(T::QuarterReport))
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(&console, Nav::Registry, "/console/organizations", &body),
    )
}
