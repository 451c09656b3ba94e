//! The frame every console page shares: header, navigation, language
//! switch and the logout form.

use maud::{DOCTYPE, Markup, html};

use super::i18n::{Lang, T};
use super::session::Console;
use crate::domain::office::Role;

/// Which page is shown, for the navigation's highlight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Today,
    Points,
    Review,
    Activities,
    Members,
    Registry,
    Kiosks,
    Users,
    Audit,
}

impl Nav {
    fn href(self) -> &'static str {
        match self {
            Self::Today => "/console/",
            Self::Points => "/console/points",
            Self::Review => "/console/review",
            Self::Activities => "/console/activities",
            Self::Members => "/console/members",
            Self::Registry => "/console/organizations",
            Self::Kiosks => "/console/kiosks",
            Self::Users => "/console/users",
            Self::Audit => "/console/audit",
        }
    }

    fn text(self) -> T {
        match self {
            Self::Today => T::Today,
            Self::Points => T::Points,
            Self::Review => T::Review,
            Self::Activities => T::ActivitiesPage,
            Self::Members => T::MembersPage,
            Self::Registry => T::Organizations,
            Self::Kiosks => T::Kiosks,
            Self::Users => T::Users,
            Self::Audit => T::Audit,
        }
    }
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (lang.t(T::Product)) }
            // Asked for at once, not when the style sheet first needs it:
            // on a machine with no Chinese font, the first text drawn (the
            // header) would otherwise wait in boxes for the swap.
            link rel="preload" href="/console/assets/cjk.ttf" as="font" type="font/ttf" crossorigin;
            link rel="stylesheet" href="/console/assets/console.css";
        }
    }
}

/// A page for a signed-in user.
pub fn page(console: &Console, nav: Nav, back: &str, body: &Markup) -> Markup {
    let lang = console.lang;
    let items: &[Nav] = match console.user.role {
        Role::Admin => &[
            Nav::Today,
            Nav::Points,
            Nav::Review,
            Nav::Activities,
            Nav::Members,
            Nav::Registry,
            Nav::Kiosks,
            Nav::Users,
            Nav::Audit,
        ],
        Role::Viewer => &[
            Nav::Today,
            Nav::Points,
            Nav::Review,
            Nav::Activities,
            Nav::Members,
            Nav::Registry,
            Nav::Kiosks,
            Nav::Audit,
        ],
        Role::Officer => &[
            Nav::Today,
            Nav::Points,
            Nav::Review,
            Nav::Activities,
            Nav::Members,
            Nav::Registry,
            Nav::Kiosks,
        ],
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, lang.t(nav.text())))
            body {
                header {
                    span.brand { (lang.t(T::Product)) }
                    nav {
                        @for item in items {
                            a href=(item.href()) class=[(item == &nav).then_some("current")] {
                                (lang.t(item.text()))
                            }
                        }
                    }
                    (languages(lang, back))
                    span.user { (console.user.username) " · " (console.user.role.code()) }
                    form.logout method="post" action="/console/logout" {
                        input type="hidden" name="csrf" value=(console.csrf);
                        button type="submit" { (lang.t(T::LogOut)) }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page for a visitor (the login page).
pub fn bare(lang: Lang, title: &str, back: &str, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body.bare {
                header {
                    span.brand { (lang.t(T::Product)) }
                    (languages(lang, back))
                }
                main { (body) }
            }
        }
    }
}

fn languages(current: Lang, back: &str) -> Markup {
    html! {
        span.langs {
            @for lang in Lang::ALL {
                @if lang == current {
                    strong { (lang.own_name()) }
                } @else {
                    a href={ "/console/lang/" (lang.code()) "?back=" (encode(back)) } lang=(lang.code()) {
                        (lang.own_name())
                    }
                }
            }
        }
    }
}

/// A path and query made safe to carry in a query string.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A message box: `ok` green, otherwise red.
pub fn notice(ok: bool, text: &str) -> Markup {
    html! { p class=(if ok { "notice ok" } else { "notice error" }) role="status" { (text) } }
}

/// A bar chart of how many members have each number of points, as an
/// inline SVG (no script, no external file). `labelled` draws the points
/// under the bars and the counts over them; without, it is a small
/// sparkline for a table row.
pub fn histogram(counts: &[u64], lang: Lang, labelled: bool) -> Markup {
    let (w, h, pad_top, pad_bottom) = if labelled {
        (26, 90, 14, 20)
    } else {
        (9, 22, 1, 1)
    };
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let width = w * counts.len() as u64;
    let height = h + pad_top + pad_bottom;
    let label = lang.t(T::Distribution);
    html! {
        svg.histogram width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) }
            role="img" aria-label=(label) {
            @for (points, count) in counts.iter().enumerate() {
                @let bar = count * h / max;
                @let x = w * points as u64;
                rect x=(x + 1) y=(h - bar + pad_top) width=(w - 2) height=(bar.max(1)) {
                    title { (points) ": " (count) }
                }
                @if labelled {
                    text x=(x + w / 2) y=(height - 4) text-anchor="middle" { (points) }
                    @if *count > 0 {
                        text.count x=(x + w / 2) y=(h - bar + pad_top - 3) text-anchor="middle" { (count) }
                    }
                }
            }
        }
    }
}

/// The console's style sheet: plain, large enough to read, printable.
pub const CSS: &str = r#"
@font-face { font-family: "Baodao CJK"; src: url("/console/assets/cjk.ttf") format("truetype"); }
:root { --ink: #1d2430; --muted: #5b6677; --line: #d8dde6; --red: #b3261e; --green: #1e6b34; --brand: #a61b1b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Baodao CJK", system-ui, sans-serif; color: var(--ink); background: #f5f6f8; }
header { display: flex; align-items: center; gap: 1.2rem; padding: .6rem 1.5rem; background: var(--brand); color: #fff; flex-wrap: wrap; }
header a, header button { color: #fff; }
.brand { font-weight: 700; font-size: 1.1rem; margin-right: 1rem; }
nav { display: flex; gap: .3rem; flex: 1; }
nav a { text-decoration: none; padding: .35rem .8rem; border-radius: 4px; }
nav a.current, nav a:hover { background: rgba(255,255,255,.2); }
.langs { display: flex; gap: .6rem; font-size: .9rem; }
.user { font-size: .9rem; opacity: .9; }
form.logout button { background: none; border: 1px solid rgba(255,255,255,.6); border-radius: 4px; padding: .2rem .7rem; cursor: pointer; }
main { padding: 1.2rem 1.5rem 3rem; max-width: 1280px; }
h1 { font-size: 1.5rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef0f4; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.bad { color: var(--red); font-weight: 600; }
.good { color: var(--green); }
.notice { padding: .6rem .9rem; border-radius: 4px; margin: 0 0 1rem; }
.notice.ok { background: #e3f2e7; color: var(--green); }
.notice.error { background: #fbe4e2; color: var(--red); }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; align-items: flex-start; }
a.card { color: inherit; text-decoration: none; }
a.card:hover { border-color: var(--brand); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1.1rem; min-width: 12rem; }
.card .big { font-size: 1.8rem; font-weight: 700; }
form.filters { display: flex; gap: .8rem; align-items: end; flex-wrap: wrap; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .2rem; }
input, select, button { font: inherit; padding: .35rem .6rem; border: 1px solid #b9c0cc; border-radius: 4px; }
button { background: #fff; cursor: pointer; }
button.primary { background: var(--brand); color: #fff; border-color: var(--brand); }
.exports { margin: .2rem 0 1rem; }
tr.cancelled td { color: var(--muted); text-decoration: line-through; }
.actions { display: flex; gap: .6rem; align-items: end; margin: .8rem 0; flex-wrap: wrap; }
.login { max-width: 22rem; margin: 3rem auto; background: #fff; padding: 1.5rem 1.8rem; border: 1px solid var(--line); border-radius: 8px; display: flex; flex-direction: column; gap: .9rem; }
.enrol { display: flex; gap: 1.5rem; align-items: center; background: #fff; border: 1px solid var(--brand); border-radius: 8px; padding: 1rem 1.4rem; margin-bottom: 1.2rem; flex-wrap: wrap; }
.enrol h2 { width: 100%; margin: 0; }
.enrol .code { font: 700 2.6rem/1.1 ui-monospace, monospace; letter-spacing: .12em; margin: 0 0 .6rem; }
td form { display: inline-block; margin-right: .4rem; }
svg.histogram rect { fill: var(--brand); }
svg.histogram text { font-size: 11px; fill: var(--muted); }
svg.histogram text.count { fill: var(--ink); }
@media print { header { display: none; } body { background: #fff; } }
"#;
