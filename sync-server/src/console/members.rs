//! Members: import a roster file (CSV in UTF-8, UTF-16 or GB18030, or
//! `.xlsx`) with a preview of every row and its errors before anything is
//! written. The preview carries the members read, as UTF-8 CSV, back in its
//! confirm form (no server-side state: any instance takes the
//! confirmation), and they are checked again when confirmed.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::Member;
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::{Nav, notice, page};
use super::session::{Console, Posted};
use super::{csrf_refused, failure, respond};
use crate::AppState;
use crate::domain::import_plan::Plan;
use crate::domain::office::{OfficeUser, Role};
use crate::error::{Error, RowError};
use crate::import::{Input, MEMBER_HEADER, read_members_in};
use crate::office::{Importing, plan_import};
use crate::store::Change;
use crate::store::Registry;

/// Rows shown in a preview; the import takes them all.
const SHOWN: usize = 500;
/// Differences listed in a preview; the counts cover them all.
const SHOWN_CHANGES: usize = 50;

/// The largest roster file taken (about 200,000 members).
pub const MAX_FILE: usize = 16 * 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
pub struct Imported {
    added: Option<usize>,
    updated: Option<usize>,
    unchanged: Option<usize>,
}

pub async fn get(
    State(state): State<AppState>,
    console: Console,
    done: Result<Query<Imported>, QueryRejection>,
) -> Response {
    let done = done.map(|Query(q)| q).unwrap_or_default();
    let lang = console.lang;
    let body = html! {
        h1 { (lang.t(T::MembersPage)) }
        @if let (Some(a), Some(u), Some(c)) = (done.added, done.updated, done.unchanged) {
            (notice(true, &lang.imported(a, u, c)))
        }
        (upload_form(&console))
        (super::cards::form(&state, &console))
    };
    respond(
        StatusCode::OK,
        &page(&console, Nav::Members, "/console/members", &body),
    )
}

fn upload_form(console: &Console) -> Markup {
    let lang = console.lang;
    html! {
        @if console.user.role == Role::Viewer {
            p.muted { (lang.t(T::Forbidden)) }
        } @else {
            h2 { (lang.t(T::ImportMembers)) }
            p.muted { (lang.t(T::MembersFileHelp)) }
            form.filters method="post" action="/console/members/preview" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(console.csrf);
                label { (lang.t(T::File)) input type="file" name="file" accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required; }
                button.primary type="submit" { (lang.t(T::Preview)) }
            }
        }
    }
}

/// The uploaded file and the form's token.
struct Upload {
    csrf: String,
    name: String,
    data: Bytes,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, Error> {
    let mut upload = Upload {
        csrf: String::new(),
        name: String::new(),
        data: Bytes::new(),
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        Error::bad_request("invalid_upload", e.body_text())
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => upload.csrf = field.text().await.map_err(bad)?,
            Some("file") => {
                upload.name = field
                    .file_name()
                    .unwrap_or("members.csv")
                    .chars()
                    .take(100)
                    .collect();
                upload.data = field.bytes().await.map_err(bad)?;
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// Whether `user` may import every one of `members`.
fn check_scope(user: &OfficeUser, members: &[Member]) -> Result<(), Error> {
    match members
        .iter()
        .find(|m| !user.may_change(m.community.as_str()))
    {
        Some(m) => Err(Error::Forbidden(format!(
            "member {} is of community {}, not yours",
            m.member_id, m.community
        ))),
        None => Ok(()),
    }
}

/// The members of a roster file, their communities and organisations
/// resolved against the registry, all within the user's reach.
async fn read(state: &AppState, console: &Console, data: &[u8]) -> Result<Vec<Member>, Error> {
    let registry: Registry = state.store.registry().await?;
    let input = Input {
        bytes: data,
        encoding: None,
        zone: state.settings.policy.time_zone,
    };
    let members = read_members_in(&input, &registry)?.rows;
    check_scope(&console.user, &members)?;
    Ok(members)
}

/// The members as UTF-8 CSV with the export's header: what the confirm
/// form carries back, whatever the file was.
fn as_csv(members: &[Member]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(MEMBER_HEADER);
    for m in members {
        let _ = writer.write_record([
            m.member_id.as_str(),
            &m.name,
            &m.organization,
            m.community.as_str(),
        ]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

pub async fn preview(
    State(state): State<AppState>,
    console: Console,
    multipart: Multipart,
) -> Response {
    let lang = console.lang;
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(e) => return failure(lang, &e),
    };
    if !console.csrf_ok(&upload.csrf) {
        return csrf_refused(lang);
    }
    let (status, body) = match read(&state, &console, upload.data.as_ref()).await {
        Ok(members) => {
            // What it would change; a preview that cannot say still shows.
            let input = Input {
                bytes: upload.data.as_ref(),
                encoding: None,
                zone: state.settings.policy.time_zone,
            };
            let plan = plan_import(
                state.store.as_ref(),
                state.settings.policy,
                Importing::Members,
                &input,
            )
            .await
            .ok()
            .map(|(plan, _)| plan);
            (
                StatusCode::OK,
                rows(&console, &upload, &members, plan.as_ref()),
            )
        }
        Err(Error::Import(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            bad_rows(lang, &upload.name, &errors),
        ),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            html! { (notice(false, &e.to_string())) },
        ),
    };
    let body = html! {
        h1 { (lang.t(T::MembersPage)) }
        (body)
        (upload_form(&console))
    };
    respond(
        status,
        &page(&console, Nav::Members, "/console/members", &body),
    )
}

fn bad_rows(lang: Lang, file: &str, errors: &[RowError]) -> Markup {
    html! {
        (notice(false, &lang.nothing_imported(file, errors.len())))
        table #errors {
            thead { tr { th.num { (lang.t(T::Line)) } th { (lang.t(T::Column)) } th { (lang.t(T::Problem)) } } }
            tbody {
                @for e in errors {
                    tr {
                        td.num { @if let Some(sheet) = &e.sheet { (sheet) " · " } (e.line) }
                        td { (e.column.as_deref().unwrap_or("")) }
                        td { (e.problem.as_ref().map_or_else(|| e.message.clone(), |p| lang.problem(p))) }
                    }
                }
            }
        }
    }
}

fn rows(console: &Console, upload: &Upload, members: &[Member], plan: Option<&Plan>) -> Markup {
    let lang = console.lang;
    html! {
        (notice(true, &lang.ready_to_import(&upload.name, members.len())))
        @if let Some(plan) = plan {
            p #plan { (lang.would_import(plan.added, plan.updated, plan.unchanged)) }
            @if !plan.changes.is_empty() {
                ul #changes {
                    @for change in plan.changes.iter().take(SHOWN_CHANGES) { li { (change) } }
                }
            }
        }
        form method="post" action="/console/members/import" {
            input type="hidden" name="csrf" value=(console.csrf);
            input type="hidden" name="name" value=(upload.name);
            // The members as read, whatever the file's format.
            textarea name="file" hidden { (as_csv(members)) }
            div.actions { button.primary #confirm type="submit" { (lang.t(T::ImportNow)) } }
        }
        table #preview {
            thead { tr {
                th { (lang.t(T::MemberId)) } th { (lang.t(T::Name)) }
                th { (lang.t(T::Organization)) } th { (lang.t(T::Community)) }
            } }
            tbody {
                @for m in members.iter().take(SHOWN) {
                    tr { td { (m.member_id) } td { (m.name) } td { (m.organization) } td { (m.community) } }
                }
            }
        }
        @if members.len() > SHOWN { p.muted { (lang.showing(SHOWN, members.len())) } }
    }
}

pub async fn import(State(state): State<AppState>, Posted { console, form }: Posted) -> Response {
    let lang = console.lang;
    // Checked again: the preview's copy came back from the browser.
    let members = match read(&state, &console, form.get_raw("file").as_bytes()).await {
        Ok(members) => members,
        Err(e) => return failure(lang, &e),
    };
    let change = Change {
        actor: console.user.username.clone(),
        at: Utc::now(),
        note: form.get("name").chars().take(100).collect(),
    };
    match state.store.upsert_members(members, change).await {
        Ok(s) => Redirect::to(&format!(
            "/console/members?added={}&updated={}&unchanged={}",
            s.added, s.updated, s.unchanged
        ))
        .into_response(),
        Err(e) => failure(lang, &e),
    }
}
