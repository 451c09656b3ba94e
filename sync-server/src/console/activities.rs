//! Activities: the recent and coming ones with their turnout, and a form
//! to create one (times in the policy's zone, as the office writes them).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::{Activity, ActivityKind, bounds};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::form::Form;
use super::i18n::T;
use super::layout::{Nav, encode, notice, page};
use super::session::{Console, Posted};
use super::{failure, respond};
use crate::AppState;
use crate::domain::office::Role;
use crate::domain::schedule::ActivityDetails;
use crate::error::Error;
use crate::store::ActivityTurnout;

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn get(
    State(state): State<AppState>,
    console: Console,
    saved: Result<Query<Saved>, QueryRejection>,
) -> Response {
    let saved = saved.map(|Query(q)| q).unwrap_or_default();
    list(&state, &console, saved.saved.is_some(), None).await
}

async fn list(state: &AppState, console: &Console, saved: bool, error: Option<&Error>) -> Response {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let now = Utc::now();
    let scope = console.user.scope().map(<[_]>::to_vec);
    let activities = match state
        .store
        .activities_between(now - TimeDelta::days(30), now + TimeDelta::days(90), scope)
        .await
    {
        Ok(a) => a,
        Err(e) => return failure(lang, &e),
    };
    let may_create = console.user.role != Role::Viewer;
    let communities: Vec<String> = match console.user.scope() {
        Some(mine) => mine.iter().map(ToString::to_string).collect(),
        None => Vec::new(),
    };
    let body = html! {
        h1 { (lang.t(T::ActivitiesPage)) }
        @if saved { (notice(true, lang.t(T::Created))) }
        @if let Some(e) = error { (notice(false, &e.to_string())) }
        @if may_create {
            h2 { (lang.t(T::NewActivity)) }
            (activity_form(console, None, &communities, zone))
        }
        h2 { (lang.t(T::Upcoming)) }
        (super::export::links(lang, "activities", None))
        table #activities {
            thead { tr {
                th { (lang.t(T::Activity)) } th { (lang.t(T::Kind)) } th { (lang.t(T::Community)) }
                th { (lang.t(T::Starts)) } th { (lang.t(T::Ends)) } th { (lang.t(T::Place)) }
                th.num { (lang.t(T::Attended)) }
            } }
            tbody {
                @for a in &activities {
                    tr class=[a.cancelled.then_some("cancelled")] {
                        td {
                            a href={ "/console/activities/" (encode(a.activity.activity_id.as_str())) } { (a.activity.title) }
                            br; span.muted { (a.activity.activity_id) }
                            @if a.cancelled { " · " span.bad { (lang.t(T::Cancelled)) } }
                        }
                        td { (lang.kind(a.activity.kind)) }
                        td { (a.activity.community) }
                        td { (lang.time(a.activity.starts_at, zone)) }
                        td { (lang.time(a.activity.ends_at, zone)) }
                        td { (a.details.place) }
                        td.num {
                            (a.attended)
                            @if let Some(c) = a.details.capacity { " / " (c) }
                        }
                    }
                }
            }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(
        status,
        &page(console, Nav::Activities, "/console/activities", &body),
    )
}

/// The form that creates an activity, or edits `existing`.
fn activity_form(
    console: &Console,
    existing: Option<&ActivityTurnout>,
    communities: &[String],
    zone: Tz,
) -> Markup {
    let lang = console.lang;
    let local = |at: DateTime<Utc>| at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string();
    let a = existing.map(|e| &e.activity);
    let d = existing.map(|e| &e.details);
    html! {
        form.filters #activity-form method="post" action="/console/activities" {
            input type="hidden" name="csrf" value=(console.csrf);
            label { (lang.t(T::Activity)) " ID"
                @if let Some(a) = a {
                    input name="activity_id" value=(a.activity_id) readonly size="10";
                } @else {
                    input name="activity_id" required size="10" pattern="[A-Za-z0-9_.-]{1,32}";
                }
            }
            label { (lang.t(T::Title)) input name="title" required size="28" maxlength="200" value=[a.map(|a| &a.title)]; }
            label { (lang.t(T::Kind))
                select name="kind" {
                    @for kind in ActivityKind::ALL {
                        option value=(kind.code()) selected[a.is_some_and(|a| a.kind == kind)] { (lang.kind(kind)) }
                    }
                }
            }
            label { (lang.t(T::Community))
                @if communities.is_empty() {
                    input name="community" required size="8" value=[a.map(|a| a.community.as_str())];
                } @else {
                    select name="community" {
                        @for c in communities { option value=(c) selected[a.is_some_and(|a| a.community.as_str() == c)] { (c) } }
                    }
                }
            }
            label { (lang.t(T::Starts)) input type="datetime-local" name="starts_at" required value=[a.map(|a| local(a.starts_at))]; }
            label { (lang.t(T::Ends)) input type="datetime-local" name="ends_at" required value=[a.map(|a| local(a.ends_at))]; }
            label { (lang.t(T::Place)) input name="place" size="20" maxlength="200" value=[d.map(|d| &d.place)]; }
            label { (lang.t(T::Organiser)) input name="organiser" size="14" maxlength="200" value=[d.map(|d| &d.organiser)]; }
            label { (lang.t(T::Capacity)) input name="capacity" size="5" inputmode="numeric" value=[d.and_then(|d| d.capacity)]; }
            label { (lang.t(T::Note)) input name="note" size="16" maxlength="500"; }
            button.primary type="submit" { (lang.t(if existing.is_some() { T::Save } else { T::Create })) }
        }
    }
}

/// One activity: edit it, or cancel it.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(activity_id): Path<String>,
) -> Response {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let now = Utc::now();
    // The office edits activities of the past year and the coming one.
    let found = state
        .store
        .activities_between(
            now - TimeDelta::days(400),
            now + TimeDelta::days(400),
            console.user.scope().map(<[_]>::to_vec),
        )
        .await
        .map(|all| {
            all.into_iter()
                .find(|a| a.activity.activity_id.as_str() == activity_id)
        });
    let existing = match found {
        Ok(Some(a)) => a,
        Ok(None) => return failure(lang, &Error::NotFound(format!("activity {activity_id}"))),
        Err(e) => return failure(lang, &e),
    };
    let communities: Vec<String> = console
        .user
        .scope()
        .map(|mine| mine.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let may_change = console
        .user
        .may_change(existing.activity.community.as_str())
        && !existing.cancelled;
    let body = html! {
        h1 { (existing.activity.title) " · " (existing.activity.activity_id) }
        @if existing.cancelled { (notice(false, lang.t(T::Cancelled))) }
        p { (lang.t(T::Attended)) ": " (existing.attended) }
        @if may_change {
            (activity_form(&console, Some(&existing), &communities, zone))
            h2 { (lang.t(T::CancelActivity)) }
            p.muted { (lang.t(T::CancelHelp)) }
            form.filters #cancel-activity method="post" action={ "/console/activities/" (encode(&activity_id)) "/cancel" } {
                input type="hidden" name="csrf" value=(console.csrf);
                label { (lang.t(T::Note)) input name="note" size="30" maxlength="500" required; }
                button type="submit" { (lang.t(T::CancelActivity)) }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(&console, Nav::Activities, "/console/activities", &body),
    )
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(activity_id): Path<String>,
    Posted { console, form }: Posted,
) -> Response {
    let lang = console.lang;
    let note: String = form.get("note").chars().take(500).collect();
    if note.is_empty() {
        return failure(lang, &Error::Invalid(lang.t(T::NoteRequired).into()));
    }
    let id = match activity_id.parse() {
        Ok(id) => id,
        Err(e) => return failure(lang, &Error::Invalid(format!("{e}"))),
    };
    match state
        .store
        .cancel_activity(id, console.user.clone(), note, Utc::now())
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/console/activities/{}", encode(&activity_id))).into_response()
        }
        Err(e) => failure(lang, &e),
    }
}

/// A `datetime-local` value (`2026-12-05T09:00`) in `zone`.
pub fn local_time(field: &'static str, value: &str, zone: Tz) -> Result<DateTime<Utc>, Error> {
    let invalid = || Error::Invalid(format!("{field}: {value:?} is not a date and time"));
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| invalid())?;
    let at = naive
        .and_local_timezone(zone)
        .earliest()
        .ok_or_else(invalid)?
        .with_timezone(&Utc);
    Ok(bounds::check_time(field, at)?)
}

fn details(form: &Form) -> Result<ActivityDetails, Error> {
    let capacity = match form.get("capacity") {
        "" => None,
        text => Some(
            text.parse::<u32>()
                .map_err(|_| Error::Invalid(format!("capacity: {text:?} is not a number")))?,
        ),
    };
    ActivityDetails {
        place: form.get("place").to_owned(),
        organiser: form.get("organiser").to_owned(),
        capacity,
    }
    .check()
}

fn activity(form: &Form, zone: Tz) -> Result<Activity, Error> {
    let parse = |e: baodao_shared::Error| Error::Invalid(e.to_string());
    let activity = Activity {
        activity_id: form.get("activity_id").parse().map_err(parse)?,
        title: bounds::check_text("title", form.get("title"), bounds::MAX_NAME_CHARS)?.to_owned(),
        kind: form.get("kind").parse().map_err(parse)?,
        community: form.get("community").parse().map_err(parse)?,
        starts_at: local_time("starts_at", form.get("starts_at"), zone)?,
        ends_at: local_time("ends_at", form.get("ends_at"), zone)?,
    };
    activity.validate()?;
    Ok(activity)
}

pub async fn post(State(state): State<AppState>, Posted { console, form }: Posted) -> Response {
    let (activity, details) = match activity(&form, state.settings.policy.time_zone)
        .and_then(|a| Ok((a, details(&form)?)))
    {
        Ok(both) => both,
        Err(e) => return list(&state, &console, false, Some(&e)).await,
    };
    let note: String = form.get("note").chars().take(500).collect();
    match state
        .store
        .save_activity(activity, details, console.user.clone(), note, Utc::now())
        .await
    {
        Ok(()) => Redirect::to("/console/activities?saved=1").into_response(),
        Err(e @ (Error::Forbidden(_) | Error::Conflict(_))) => failure(console.lang, &e),
        Err(e) => list(&state, &console, false, Some(&e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_read_in_the_policy_zone() {
        let at = local_time("starts_at", "2026-12-05T09:00", chrono_tz::Asia::Shanghai).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-05T01:00:00+00:00");
        assert!(local_time("starts_at", "2026-13-05T09:00", chrono_tz::Asia::Shanghai).is_err());
        assert!(local_time("starts_at", "", chrono_tz::Asia::Shanghai).is_err());
        assert!(local_time("starts_at", "99999-01-01T00:00", chrono_tz::Asia::Shanghai).is_err());
    }
}
