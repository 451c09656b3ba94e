//! Printing member cards: a new card for each chosen member (the old one
//! stops working), on A4 sheets with cut marks. Only an instance holding
//! the signing key issues cards (see `AppState::signer`).

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baodao_shared::{Community, MemberId};
use chrono::{Datelike, Utc};
use maud::{Markup, html};

use super::failure;
use super::form::Form;
use super::i18n::T;
use super::session::{Console, Posted};
use crate::AppState;
use crate::card_sheet::{SheetCard, sheet};
use crate::domain::office::Role;
use crate::error::Error;
use crate::store::ReportFilter;

/// Cards printed at most at once (20 sheets).
pub const MAX_CARDS: usize = 200;

/// The print form, on the members page.
pub fn form(state: &AppState, console: &Console) -> Markup {
    let lang = console.lang;
    html! {
        h2 { (lang.t(T::PrintCards)) }
        @if state.signer.is_none() {
            p.muted { (lang.t(T::NoSigningKey)) }
        } @else if console.user.role == Role::Viewer {
            p.muted { (lang.t(T::Forbidden)) }
        } @else {
            p.muted { (lang.t(T::PrintCardsHelp)) }
            form.filters #print-cards method="post" action="/console/cards" {
                input type="hidden" name="csrf" value=(console.csrf);
                label { (lang.t(T::Community)) input name="community" size="8"; }
                label { (lang.t(T::MemberIds)) input name="members" size="40"; }
                button.primary type="submit" { (lang.t(T::IssueAndPrint)) }
            }
        }
    }
}

/// The members a print form names: the ids listed, else every member of
/// the community.
async fn chosen(state: &AppState, console: &Console, form: &Form) -> Result<Vec<MemberId>, Error> {
    let listed: Vec<MemberId> = form
        .get("members")
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    if !listed.is_empty() {
        // One card each, in the order typed.
        let mut seen = std::collections::HashSet::new();
        return Ok(listed
            .into_iter()
            .filter(|m| seen.insert(m.clone()))
            .collect());
    }
    let community: Community = form
        .get("community")
        .parse()
        .map_err(|e: baodao_shared::Error| Error::Invalid(e.to_string()))?;
    if !console.user.may_change(community.as_str()) {
        return Err(Error::Forbidden(format!(
            "community {community} is not yours"
        )));
    }
    let policy = state.settings.policy;
    let year = Utc::now().with_timezone(&policy.time_zone).year();
    let filter = ReportFilter {
        communities: Some(vec![community]),
        organization: None,
    };
    Ok(state
        .store
        .points_report(year, policy, filter)
        .await?
        .into_iter()
        .map(|r| r.member_id)
        .collect())
}

pub async fn post(State(state): State<AppState>, Posted { console, form }: Posted) -> Response {
    match print(&state, &console, &form).await {
        Ok((name, pdf)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            pdf,
        )
            .into_response(),
        Err(e) => failure(console.lang, &e),
    }
}

async fn print(
    state: &AppState,
    console: &Console,
    form: &Form,
) -> Result<(String, Vec<u8>), Error> {
    let Some(signer) = state.signer.clone() else {
        return Err(Error::Forbidden(
            "this server does not hold the card signing key".into(),
        ));
    };
    if console.user.role == Role::Viewer {
        return Err(Error::Forbidden("a viewer changes nothing".into()));
    }
    let members = chosen(state, console, form).await?;
    if members.is_empty() {
        return Err(Error::Invalid("no members chosen".into()));
    }
    if members.len() > MAX_CARDS {
        return Err(Error::Invalid(format!(
            "at most {MAX_CARDS} cards at once; {} chosen",
            members.len()
        )));
    }
    // Every member is checked before the first card is issued.
    let mut entries = Vec::with_capacity(members.len());
    for id in &members {
        let entry = state
            .store
            .member(id.clone())
            .await?
            .ok_or_else(|| Error::NotFound(format!("member {id}")))?;
        if !console.user.may_change(entry.community.as_str()) {
            return Err(Error::Forbidden(format!(
                "member {id} is not of your communities"
            )));
        }
        entries.push(entry);
    }
    // The sheet is made inside the issuing transaction: if it cannot be
    // made, no card is issued and no member's old card stops working.
    let communities: Vec<String> = entries.iter().map(|e| e.community.to_string()).collect();
    let pdf = Arc::new(Mutex::new(Vec::new()));
    let issued = {
        let pdf = Arc::clone(&pdf);
        crate::office::issue_cards(
            &state.store,
            &signer,
            &state.settings,
            entries,
            None,
            move |faces| {
                let cards: Vec<SheetCard> = faces
                    .iter()
                    .zip(communities)
                    .map(|(face, community)| SheetCard {
                        payload: face.payload.to_owned(),
                        name: face.name.to_owned(),
                        member_id: face.member_id.to_owned(),
                        organization: face.organization.to_owned(),
                        community,
                        serial: face.serial,
                        expires_on: face.expires_on,
                    })
                    .collect();
                *pdf.lock().unwrap_or_else(PoisonError::into_inner) = sheet(&cards)?;
                Ok(())
            },
        )
        .await?
    };
    let serials = issued
        .iter()
        .map(|card| card.issued.serial.to_string())
        .collect::<Vec<_>>()
        .join(",");
    super::audit(
        state,
        console,
        "cards.issue",
        format!("{} members", issued.len()),
        format!("serials {serials}"),
    )
    .await?;
    let pdf = std::mem::take(&mut *pdf.lock().unwrap_or_else(PoisonError::into_inner));
    let name = match form.get("community") {
        "" => "cards.pdf".to_owned(),
        c => format!(
            "cards-{}.pdf",
            c.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        ),
    };
    Ok((name, pdf))
}
