//! Kiosks: every kiosk of the user's communities, alive or silent, with
//! what its latest heartbeat said; register one (its token shown once, on
//! this page only), make an enrolment code for one (code and QR shown
//! once), see one's recent heartbeats, or revoke one (a stolen kiosk's
//! uploads stop at once).

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baodao_shared::enrol::EnrolCode;
use baodao_shared::protocol::{CameraHealth, Heartbeat};
use baodao_shared::{Community, KioskId, bounds};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::form::Form;
use super::i18n::{Lang, T};
use super::layout::{Nav, encode, notice, page};
use super::session::{Console, Posted};
use super::{failure, respond};
use crate::AppState;
use crate::domain::heartbeat::{Liveness, liveness};
use crate::domain::office::Role;
use crate::error::Error;
use crate::store::{KioskInfo, Registration};

pub async fn get(State(state): State<AppState>, console: Console) -> Response {
    list(&state, &console, None, None).await
}

/// A code just made, shown with the list.
struct Issued {
    kiosk: KioskId,
    code: EnrolCode,
    expires_at: DateTime<Utc>,
}

async fn list(
    state: &AppState,
    console: &Console,
    registered: Option<&Registration>,
    issued: Option<&Issued>,
) -> Response {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let (kiosks, registry) = match (state.store.kiosks().await, state.store.registry().await) {
        (Ok(k), Ok(r)) => (k, r),
        (Err(e), _) | (_, Err(e)) => return failure(lang, &e),
    };
    let may_change = console.user.role != Role::Viewer;
    let now = Utc::now();
    let silent_minutes = state.settings.kiosk_silent_minutes;
    let body = html! {
        h1 { (lang.t(T::Kiosks)) }
        @if let Some(r) = registered {
            (notice(true, lang.t(T::TokenShownOnce)))
            p #registered { (r.kiosk.kiosk_id) " · " (r.kiosk.community) }
            pre #token { (r.token) }
        }
        @if let Some(i) = issued {
            section.enrol #enrol-code {
                h2 { (lang.t(T::EnrolCode)) " · " (i.kiosk) }
                div.enrol-qr { (qr_svg(&i.code.qr_text())) }
                div {
                    p.code #code { (i.code) }
                    p { (lang.t(T::EnrolCodeHelp)) }
                    p.muted { (lang.t(T::GoodUntil)) " " (lang.time(i.expires_at, zone)) }
                }
            }
        }
        @if may_change { (register_form(console)) }
        (super::export::links(lang, "kiosks", None))
        table #kiosks {
            thead { tr {
                th { (lang.t(T::Kiosk)) } th { (lang.t(T::Community)) } th { (lang.t(T::LastSeen)) }
                th { (lang.t(T::State)) } th { (lang.t(T::Health)) } th {}
            } }
            tbody {
                @for k in kiosks.iter().filter(|k| console.user.may_read(k.kiosk.community.as_str())) {
                    tr {
                        td { a href={ "/console/kiosks/" (encode(k.kiosk.kiosk_id.as_str())) } { (k.name) } br; span.muted { (k.kiosk.kiosk_id) } }
                        td { (registry.community_name(k.kiosk.community.as_str())) }
                        td { @match k.last_seen_at {
                            Some(at) => (lang.time(at, zone)),
                            None => span.muted { (lang.t(T::Never)) },
                        } }
                        td { (state_cell(lang, liveness(k.revoked, k.last_seen_at, now, silent_minutes))) }
                        td { @if let Some(h) = &k.heartbeat { (health(lang, &h.report)) } @else { span.muted { "-" } } }
                        td {
                            @if may_change && !k.revoked && console.user.may_change(k.kiosk.community.as_str()) {
                                form method="post" action={ "/console/kiosks/" (encode(k.kiosk.kiosk_id.as_str())) "/enrol-code" } {
                                    input type="hidden" name="csrf" value=(console.csrf);
                                    button type="submit" { (lang.t(T::EnrolCode)) }
                                }
                                form method="post" action={ "/console/kiosks/" (encode(k.kiosk.kiosk_id.as_str())) "/revoke" } {
                                    input type="hidden" name="csrf" value=(console.csrf);
                                    button type="submit" { (lang.t(T::Revoke)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(console, Nav::Kiosks, "/console/kiosks", &body),
    )
}

fn register_form(console: &Console) -> Markup {
    let lang = console.lang;
    html! {
        h2 { (lang.t(T::RegisterKiosk)) }
        form.filters #register-kiosk method="post" action="/console/kiosks" {
            input type="hidden" name="csrf" value=(console.csrf);
            label { (lang.t(T::Name)) input name="name" required size="24" maxlength="200"; }
            label { (lang.t(T::Community)) input name="community" required size="8"; }
            button.primary type="submit" { (lang.t(T::RegisterKiosk)) }
        }
    }
}

pub async fn post(State(state): State<AppState>, Posted { console, form }: Posted) -> Response {
    let lang = console.lang;
    match register(&state, &console, &form).await {
        // The token is shown here once and never again: no redirect.
        Ok(registration) => list(&state, &console, Some(&registration), None).await,
        Err(e) => failure(lang, &e),
    }
}

async fn register(state: &AppState, console: &Console, form: &Form) -> Result<Registration, Error> {
    let name =
        bounds::check_text("kiosk name", form.get("name"), bounds::MAX_NAME_CHARS)?.to_owned();
    let community: Community = form
        .get("community")
        .parse()
        .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string()))?;
    if !console.user.may_change(community.as_str()) {
        return Err(Error::Forbidden(format!(
            "community {community} is not yours to change"
        )));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
    let registration = state
        .store
        .register_kiosk(name.clone(), community.clone(), secret, Utc::now())
        .await?;
    super::audit(
        state,
        console,
        "kiosk.register",
        format!("kiosk:{}", registration.kiosk.kiosk_id),
        format!("{name}, {community}"),
    )
    .await?;
    Ok(registration)
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(kiosk_id): Path<String>,
    Posted { console, .. }: Posted,
) -> Response {
    let lang = console.lang;
    let result = async {
        let id = parse_id(&kiosk_id)?;
        changeable(&state, &console, &id).await?;
        state.store.revoke_kiosk(id.clone(), Utc::now()).await?;
        super::audit(
            &state,
            &console,
            "kiosk.revoke",
            format!("kiosk:{id}"),
            "revoked".into(),
        )
        .await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/kiosks").into_response(),
        Err(e) => failure(lang, &e),
    }
}

fn state_cell(lang: Lang, state: Liveness) -> Markup {
    html! {
        @match state {
            Liveness::Revoked => span.muted { (lang.t(T::Revoked)) },
            Liveness::Never => span.muted { (lang.t(T::Never)) },
            Liveness::Alive => span.good { (lang.t(T::Fine)) },
            Liveness::Silent => span.bad { (lang.t(T::Silent)) },
        }
    }
}

/// The latest heartbeat, in a few words; what is wrong in red.
fn health(lang: Lang, h: &Heartbeat) -> Markup {
    html! {
        span.muted { "v" (h.version) } " · "
        @match h.camera {
            CameraHealth::Failing => span.bad { (lang.t(T::CameraFailing)) },
            CameraHealth::Off => span.muted { (lang.t(T::CameraOff)) },
            _ => span { (lang.t(T::Camera)) " " (format!("{:.0}", h.scan_fps)) " fps" },
        }
        " · "
        span class=[(h.pending > 0 && h.oldest_pending_secs.unwrap_or(0) > 3600).then_some("bad")] {
            (lang.t(T::Waiting)) " " (h.pending)
        }
        @if let Some(mb) = h.disk_free_mb {
            " · " span class=[(mb < 1024).then_some("bad")] { (lang.t(T::DiskFree)) " " (mb) " MB" }
        }
        @if let Some(e) = &h.last_error {
            br; span.bad title=(e) { (truncate(e, 80)) }
        }
    }
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(chars).collect::<String>())
    }
}

/// The QR code of `text` as inline SVG: one path of dark modules, drawn
/// crisp at any size, no image request, nothing stored.
fn qr_svg(text: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return html! {};
    };
    let width = code.width();
    let quiet = 4;
    let side = width + 2 * quiet;
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    html! {
        svg width="240" height="240" viewBox={ "0 0 " (side) " " (side) } role="img" aria-label=(text) shape-rendering="crispEdges" {
            rect width=(side) height=(side) fill="#fff" {}
            path d=(path) fill="#000" {}
        }
    }
}

pub async fn enrol_code(
    State(state): State<AppState>,
    Path(kiosk_id): Path<String>,
    Posted { console, .. }: Posted,
) -> Response {
    let lang = console.lang;
    let result = async {
        let id = parse_id(&kiosk_id)?;
        let kiosk = changeable(&state, &console, &id).await?;
        let (code, expires_at) =
            crate::office::issue_enrol_code(state.store.as_ref(), &id, Utc::now()).await?;
        super::audit(
            &state,
            &console,
            "kiosk.enrol_code",
            format!("kiosk:{id}"),
            format!("{}, good until {expires_at}", kiosk.name),
        )
        .await?;
        Ok::<_, Error>(Issued {
            kiosk: id,
            code,
            expires_at,
        })
    }
    .await;
    match result {
        // The code is shown here once: no redirect.
        Ok(issued) => list(&state, &console, None, Some(&issued)).await,
        Err(e) => failure(lang, &e),
    }
}

fn parse_id(text: &str) -> Result<KioskId, Error> {
    text.parse()
        .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string()))
}

/// The kiosk `id`, when it is registered.
async fn find(state: &AppState, id: &KioskId) -> Result<KioskInfo, Error> {
    state
        .store
        .kiosks()
        .await?
        .into_iter()
        .find(|k| k.kiosk.kiosk_id == *id)
        .ok_or_else(|| Error::NotFound(format!("kiosk {id}")))
}

/// The kiosk `id`, when the console's user may change it.
async fn changeable(state: &AppState, console: &Console, id: &KioskId) -> Result<KioskInfo, Error> {
    let kiosk = find(state, id).await?;
    if console.user.role == Role::Viewer || !console.user.may_change(kiosk.kiosk.community.as_str())
    {
        return Err(Error::Forbidden(format!(
            "kiosk {id} is not yours to change"
        )));
    }
    Ok(kiosk)
}

/// How many heartbeats the kiosk page shows: the last hour.
const HISTORY_SHOWN: u32 = 60;

/// One kiosk: its recent heartbeats, newest first.
pub async fn show(
    State(state): State<AppState>,
    Path(kiosk_id): Path<String>,
    console: Console,
) -> Response {
    let lang = console.lang;
    let zone = state.settings.policy.time_zone;
    let result = async {
        let id = parse_id(&kiosk_id)?;
        // Another community's kiosk is not there for an officer.
        let kiosk = Some(find(&state, &id).await?)
            .filter(|k| console.user.may_read(k.kiosk.community.as_str()))
            .ok_or_else(|| Error::NotFound(format!("kiosk {id}")))?;
        let history = state.store.heartbeats(id, HISTORY_SHOWN).await?;
        Ok::<_, Error>((kiosk, history))
    }
    .await;
    let (kiosk, history) = match result {
        Ok(found) => found,
        Err(e) => return failure(lang, &e),
    };
    let now = Utc::now();
    let body = html! {
        h1 { (kiosk.name) " " span.muted { (kiosk.kiosk.kiosk_id) } }
        p {
            (state_cell(lang, liveness(kiosk.revoked, kiosk.last_seen_at, now, state.settings.kiosk_silent_minutes)))
            " · " (lang.t(T::LastSeen)) " "
            @match kiosk.last_seen_at { Some(at) => (lang.time(at, zone)), None => (lang.t(T::Never)) }
        }
        h2 { (lang.t(T::Heartbeats)) }
        @if history.is_empty() {
            p.muted { (lang.t(T::NoHeartbeats)) }
        } @else {
            table #heartbeats {
                thead { tr {
                    th { (lang.t(T::Received)) } th { (lang.t(T::Version)) } th { (lang.t(T::Camera)) }
                    th.num { "fps" } th.num { (lang.t(T::Waiting)) } th.num { (lang.t(T::OldestWaiting)) }
                    th.num { (lang.t(T::DiskFree)) } th.num { (lang.t(T::ClockOffset)) } th { (lang.t(T::LastError)) }
                } }
                tbody {
                    @for h in &history {
                        @let r = &h.report;
                        tr {
                            td { (lang.time(h.received_at, zone)) }
                            td { (r.version) }
                            td { span class=[(r.camera == CameraHealth::Failing).then_some("bad")] { (r.camera.code()) } }
                            td.num { (format!("{:.1}", r.scan_fps)) }
                            td.num { (r.pending) }
                            td.num { @if let Some(s) = r.oldest_pending_secs { (s / 60) " min" } }
                            td.num { @if let Some(mb) = r.disk_free_mb { (mb) " MB" } }
                            td.num { @if let Some(ms) = r.clock_offset_ms { (ms / 1000) " s" } }
                            td { @if let Some(e) = &r.last_error { span.bad { (e) } } @if let Some(d) = &r.camera_detail { br; span.muted { (d) } } }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        &page(&console, Nav::Kiosks, "/console/kiosks", &body),
    )
}
