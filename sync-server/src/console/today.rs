//! Today: the day's activities with their turnout so far, the kiosks and
//! whether any has gone silent, and how much waits for review.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use maud::html;

use super::i18n::T;
use super::layout::{Nav, page};
use super::session::Console;
use super::{failure, respond};
use crate::AppState;
use crate::error::Error;
use crate::store::model::day_start;
use crate::store::{ActivityTurnout, KioskInfo, Registry};

/// The calendar day around `now` in `zone`, as UTC instants.
pub fn day_range(zone: Tz, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = now.with_timezone(&zone).date_naive();
    let start = |date| day_start(zone, date).unwrap_or(now);
    let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
    (start(day), start(next))
}

pub async fn get(State(state): State<AppState>, console: Console) -> Response {
    match gather(&state, &console).await {
        Ok((activities, kiosks, waiting, registry)) => {
            render(&state, &console, &registry, &activities, &kiosks, waiting)
        }
        Err(e) => failure(console.lang, &e),
    }
}

async fn gather(
    state: &AppState,
    console: &Console,
) -> Result<(Vec<ActivityTurnout>, Vec<KioskInfo>, u64, Registry), Error> {
    let (from, to) = day_range(state.settings.policy.time_zone, Utc::now());
    let scope = console.user.scope().map(<[_]>::to_vec);
    let activities = state
        .store
        .activities_between(from, to, scope.clone())
        .await?;
    let kiosks = state
        .store
        .kiosks()
        .await?
        .into_iter()
        .filter(|k| console.user.may_read(k.kiosk.community.as_str()))
        .collect();
    let waiting = state.store.review_count(scope).await?;
    Ok((activities, kiosks, waiting, state.store.registry().await?))
}

fn render(
    state: &AppState,
    console: &Console,
    registry: &Registry,
    activities: &[ActivityTurnout],
    kiosks: &[KioskInfo],
    waiting: u64,
) -> Response {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let now = Utc::now();
    let total: u32 = activities.iter().map(|a| a.attended).sum();
    let silent = kiosks
        .iter()
        .filter(|k| is_silent(k, now, state.settings.kiosk_silent_minutes))
        .count();
    let body = html! {
        h1 { (lang.t(T::Today)) " · " (now.with_timezone(&zone).format("%Y-%m-%d")) }
        div.cards {
            div.card { div.muted { (lang.t(T::ActivitiesToday)) } div.big { (activities.len()) } }
            div.card { div.muted { (lang.t(T::Attended)) } div.big { (total) } }
            a.card href="/console/review" {
                div.muted { (lang.t(T::Review)) }
                div.big class=[(waiting > 0).then_some("bad")] { (waiting) }
                div.muted { (lang.waiting(waiting)) }
            }
            div.card {
                div.muted { (lang.t(T::Kiosks)) }
                div.big { (kiosks.len()) }
                @if silent > 0 { div.bad { (lang.t(T::Silent)) ": " (silent) } }
            }
        }
        h2 { (lang.t(T::ActivitiesToday)) }
        @if activities.is_empty() {
            p.muted { (lang.t(T::NoActivities)) }
        } @else {
            table {
                thead { tr {
                    th { (lang.t(T::Activity)) } th { (lang.t(T::Kind)) } th { (lang.t(T::Community)) }
                    th { (lang.t(T::Starts)) } th { (lang.t(T::Ends)) } th.num { (lang.t(T::Attended)) }
                } }
                tbody {
                    @for a in activities {
                        tr {
                            td { (a.activity.title) br; span.muted { (a.activity.activity_id) } }
                            td { (lang.kind(a.activity.kind)) }
                            td { (registry.community_name(a.activity.community.as_str())) }
                            td { (lang.time(a.activity.starts_at, zone)) }
                            td { (lang.time(a.activity.ends_at, zone)) }
                            td.num { (a.attended) }
                        }
                    }
                }
            }
        }
        h2 { (lang.t(T::Kiosks)) }
        table {
            thead { tr {
                th { (lang.t(T::Kiosk)) } th { (lang.t(T::Community)) } th { (lang.t(T::LastSeen)) }
                th.num { (lang.t(T::ClockOffset)) } th { (lang.t(T::State)) }
            } }
            tbody {
                @for k in kiosks {
                    tr {
                        td { (k.name) br; span.muted { (k.kiosk.kiosk_id) } }
                        td { (registry.community_name(k.kiosk.community.as_str())) }
                        td { @match k.last_seen_at {
                            Some(at) => (lang.time(at, zone)),
                            None => span.muted { (lang.t(T::Never)) },
                        } }
                        td.num { @if let Some(ms) = k.last_clock_offset_ms { (seconds(ms)) } }
                        td {
                            @if k.revoked { span.muted { (lang.t(T::Revoked)) } }
                            @else if is_silent(k, now, state.settings.kiosk_silent_minutes) { span.bad { (lang.t(T::Silent)) } }
                            @else { span.good { (lang.t(T::Fine)) } }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(console, Nav::Today, "/console/", &body),
    )
}

/// A clock offset in seconds to a tenth, signed.
pub fn seconds(ms: i64) -> String {
    let sign = if ms < 0 { '-' } else { '+' };
    let ms = ms.unsigned_abs();
    format!("{sign}{}.{} s", ms / 1000, ms % 1000 / 100)
}

/// Not revoked, and never heard from or not for longer than the limit.
fn is_silent(kiosk: &crate::store::KioskInfo, now: DateTime<Utc>, minutes: u32) -> bool {
    use crate::domain::heartbeat::{Liveness, liveness};
    matches!(
        liveness(kiosk.revoked, kiosk.last_seen_at, now, minutes),
        Liveness::Never | Liveness::Silent
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_the_local_calendar_day() {
        // 2026-01-01 02:00 in Shanghai is still 31 December in UTC.
        let now = DateTime::parse_from_rfc3339("2025-12-31T18:00:00Z")
            .unwrap()
            .to_utc();
        let (from, to) = day_range(chrono_tz::Asia::Shanghai, now);
        assert_eq!(from.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-01-01T16:00:00+00:00");
    }

    #[test]
    fn offsets_read_in_seconds() {
        assert_eq!(seconds(0), "+0.0 s");
        assert_eq!(seconds(-1550), "-1.5 s");
        assert_eq!(seconds(i64::MIN), "-9223372036854775.8 s");
    }
}
