//! Activities: the recent and coming ones with their turnout, and a form
//! to create one (times in the policy's zone, as the office writes them).

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::{Activity, ActivityKind, bounds};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use maud::html;
use serde::Deserialize;

use super::form::Form;
use super::i18n::T;
use super::layout::{Nav, notice, page};
use super::session::Console;
use super::{csrf_refused, failure, respond};
use crate::AppState;
use crate::domain::office::Role;
use crate::error::Error;
use crate::store::Change;

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
            form.filters #new-activity method="post" action="/console/activities" {
                input type="hidden" name="csrf" value=(console.csrf);
                label { (lang.t(T::Activity)) " ID" input name="activity_id" required size="10" pattern="[A-Za-z0-9_.-]{1,32}"; }
                label { (lang.t(T::Title)) input name="title" required size="28" maxlength="200"; }
                label { (lang.t(T::Kind))
                    select name="kind" {
                        @for kind in ActivityKind::ALL { option value=(kind.code()) { (lang.kind(kind)) } }
                    }
                }
                label { (lang.t(T::Community))
                    @if communities.is_empty() {
                        input name="community" required size="8";
                    } @else {
                        select name="community" { @for c in &communities { option value=(c) { (c) } } }
                    }
                }
                label { (lang.t(T::Starts)) input type="datetime-local" name="starts_at" required; }
                label { (lang.t(T::Ends)) input type="datetime-local" name="ends_at" required; }
                button.primary type="submit" { (lang.t(T::Create)) }
            }
        }
        h2 { (lang.t(T::Upcoming)) }
        table #activities {
            thead { tr {
                th { (lang.t(T::Activity)) } th { (lang.t(T::Kind)) } th { (lang.t(T::Community)) }
                th { (lang.t(T::Starts)) } th { (lang.t(T::Ends)) } th.num { (lang.t(T::Attended)) }
            } }
            tbody {
                @for a in &activities {
                    tr {
                        td { (a.activity.title) br; span.muted { (a.activity.activity_id) } }
                        td { (lang.kind(a.activity.kind)) }
                        td { (a.activity.community) }
                        td { (lang.time(a.activity.starts_at, zone)) }
                        td { (lang.time(a.activity.ends_at, zone)) }
                        td.num { (a.attended) }
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

pub async fn post(State(state): State<AppState>, console: Console, body: Bytes) -> Response {
    let form = Form::parse(&body);
    if !console.csrf_ok(form.get("csrf")) {
        return csrf_refused(console.lang);
    }
    let activity = match activity(&form, state.settings.policy.time_zone) {
        Ok(a) => a,
        Err(e) => return list(&state, &console, false, Some(&e)).await,
    };
    if !console.user.may_change(activity.community.as_str()) {
        let e = Error::Forbidden(format!("community {} is not yours", activity.community));
        return failure(console.lang, &e);
    }
    let change = Change {
        actor: console.user.username.clone(),
        at: Utc::now(),
        note: format!("{} {}", activity.activity_id, activity.title),
    };
    match state.store.upsert_activities(vec![activity], change).await {
        Ok(_) => Redirect::to("/console/activities?saved=1").into_response(),
        Err(e) => failure(console.lang, &e),
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
