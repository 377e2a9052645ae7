//! Key users: the section page (overview, the influence/interest grid with its equivalent
//! table, overdue contacts, needs asked most, expectations at risk, suggestions and the
//! identification criteria). The key-user card on a member's page is in `key_user_card`.
//!
//! The grid is SVG. A point is moved by dragging (pointer events, so a finger works too) or,
//! focused, by the arrow keys; either writes one placing. While dragging, only a ghost point
//! follows the pointer: the 500 points of a large project are not redrawn per frame.

use cohort_model::key_users::{self, GRID, Priority, Quadrant};
use cohort_model::{
    Action, ContactChannel, CriterionId, Field, GroupStoreFields, KeyUserAction, MemberId, Millis,
    PlacingId,
};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{WhenShown, day, local_day, moment, use_page_title};
use crate::forms::{FormAlert, FormError, TextField};
use crate::i18n::{t, t_string, use_i18n};
use crate::sections::Section;
use crate::state::{AppState, now, use_app};
use crate::words::{self, Notice};

/// The grid's size in SVG units: five cells of 100 a side, and a margin for the axes.
const CELL: f64 = 100.0;
const MARGIN: f64 = 40.0;
const SIDE: f64 = 5.0 * CELL + 2.0 * MARGIN;

pub(super) fn key_action(action: KeyUserAction) -> Action {
    Action::KeyUsers(action)
}

/// Applies a key-user action in the background; `error` says why it was refused.
pub(super) fn send(app: AppState, action: KeyUserAction, error: RwSignal<Option<FormError>>) {
    app.apply_then(key_action(action), error, || ());
}

/// A member's initials for their point: the first letters of up to two words, or the first
/// character of a Chinese name (its family name).
fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] => "?".into(),
        [one] => one
            .chars()
            .take(if one.is_ascii() { 2 } else { 1 })
            .collect(),
        [first, .., last] => first.chars().take(1).chain(last.chars().take(1)).collect(),
    }
}

/// Where on the grid a point of `influence` and `interest` is drawn (its cell's centre).
fn cell_centre(influence: u8, interest: u8) -> (f64, f64) {
    (
        MARGIN + (f64::from(interest) - 0.5) * CELL,
        MARGIN + (5.5 - f64::from(influence)) * CELL,
    )
}

/// The cell under a point of the drawing, clamped to the grid.
fn cell_at(x: f64, y: f64) -> (u8, u8) {
    let (low, high) = GRID;
    let clamp = |v: f64| (v.floor() as i64).clamp(i64::from(low), i64::from(high)) as u8;
    let interest = clamp((x - MARGIN) / CELL + 1.0);
    let influence = clamp(5.0 - (y - MARGIN) / CELL + 1.0);
    (influence, interest)
}

/// One key user as the grid and the table show them.
#[derive(Clone, Debug, PartialEq)]
struct Point {
    member: MemberId,
    name: String,
    influence: u8,
    interest: u8,
    quadrant: Quadrant,
    /// Offset within the cell, so that key users in one cell do not hide each other.
    nudge: (f64, f64),
}

/// A share as a percentage, or a dash when there is none.
fn percent_or_dash(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_owned(), super::percent)
}

/// The key users section.
#[component]
pub fn KeyUsersPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.key_users).to_owned());
    let overview = Memo::new(move |_| {
        app.view.members().track();
        app.view.placings().track();
        app.view.touchpoints().track();
        app.view.needs().track();
        app.view.expectations().track();
        app.view.readings().track();
        let at = now();
        app.view
            .with_untracked(|g| key_users::overview(g, at, &local_day(at)))
    });
    let figure = move |value: String, label: &'static str, href: String| {
        view! { <li><a href=href><strong>{value}</strong>" "<span>{label}</span></a></li> }
    };
    view! {
        <WhenShown>
            <article class="key-users">
                <header class="page-header"><h1>{t!(i18n, section.key_users)}</h1></header>
                <section class="card key-overview" aria-labelledby="ku-overview-heading">
                    <h2 id="ku-overview-heading">{t!(i18n, key_users.overview)}</h2>
                    {move || {
                        let o = overview.get();
                        let locale = i18n.get_locale();
                        view! {
                            <ul class="figures" role="list">
                                {figure(o.key_users.to_string(), td_label(locale, Label::Count), "#ku-table-heading".to_owned())}
                                {Quadrant::ALL.iter().zip(o.by_quadrant).map(|(q, n)| figure(n.to_string(), words::quadrant(locale, *q), "#ku-grid-heading".to_owned())).collect_view()}
                                {figure(o.unplaced.to_string(), td_label(locale, Label::Unplaced), "#ku-table-heading".to_owned())}
                                {figure(o.overdue.to_string(), td_label(locale, Label::Overdue), "#ku-overdue-heading".to_owned())}
                                {Priority::ALL.iter().zip(o.open_needs).map(|(p, n)| figure(n.to_string(), words::priority(locale, *p), "#ku-needs-heading".to_owned())).collect_view()}
                                {figure(o.expectations_at_risk.to_string(), td_label(locale, Label::AtRisk), "#ku-risk-heading".to_owned())}
                                {figure(percent_or_dash(o.participation), td_label(locale, Label::Participation), "#ku-table-heading".to_owned())}
                                {figure(percent_or_dash(o.satisfaction.map(|s| s / 100.0)), td_label(locale, Label::Satisfaction), "#ku-table-heading".to_owned())}
                                {figure(o.trainings_completed.to_string(), td_label(locale, Label::Trainings), app.open.get_untracked().map(|g| Section::Training.href(g)).unwrap_or_default())}
                            </ul>
                        }
                    }}
                    <p class="trend">{move || {
                        let o = overview.get();
                        let change = o.satisfaction_change.map_or("–".to_owned(), |c| format!("{c:+.0}"));
                        t_string!(
                            i18n,
                            key_users.trend_line,
                            recent = percent_or_dash(o.participation_recent),
                            before = percent_or_dash(o.participation_before),
                            change = change
                        )
                    }}</p>
                    <Show when=move || overview.with(|o| o.key_users == 0)>
                        <p class="empty">{t!(i18n, key_users.none_yet)}</p>
                    </Show>
                </section>
                <KeyUserGrid />
                <OverdueList />
                <NeedsAskedMost />
                <ExpectationsAtRisk />
                <Suggestions />
                <Criteria />
            </article>
        </WhenShown>
    }
}

/// Labels of the overview's figures.
#[derive(Clone, Copy)]
enum Label {
    Count,
    Unplaced,
    Overdue,
    AtRisk,
    Participation,
    Satisfaction,
    Trainings,
}

fn td_label(locale: crate::i18n::Locale, label: Label) -> &'static str {
    use crate::i18n::td_string;
    match label {
        Label::Count => td_string!(locale, key_users.count),
        Label::Unplaced => td_string!(locale, key_users.unplaced),
        Label::Overdue => td_string!(locale, key_users.overdue_count),
        Label::AtRisk => td_string!(locale, key_users.at_risk_count),
        Label::Participation => td_string!(locale, key_users.participation),
        Label::Satisfaction => td_string!(locale, key_users.satisfaction),
        Label::Trainings => td_string!(locale, key_users.trainings_completed),
    }
}

/// One key user as the table shows them.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    member: MemberId,
    name: String,
    /// Influence, interest and quadrant; `None` while not placed.
    place: Option<(u8, u8, Quadrant)>,
    cadence_days: u16,
    last_contact: Option<Millis>,
    participation: Option<f64>,
    satisfaction: Option<f64>,
}

/// Every key user, by name, with where they stand and how they are engaged (tracked).
fn rows(app: AppState) -> Memo<Vec<Row>> {
    Memo::new(move |_| {
        app.view.members().track();
        app.view.placings().track();
        app.view.touchpoints().track();
        app.view.activities().track();
        app.view.readings().track();
        let at = now();
        app.view.with_untracked(|g| {
            let last = cohort_model::contact::last_contacts(g);
            let mut users = key_users::key_users(g);
            users.sort_by(|a, b| a.member.name.cmp(&b.member.name));
            let ids: Vec<&MemberId> = users.iter().map(|k| &k.member.id).collect();
            let participation = key_users::participation(g, &ids, at);
            let trends = key_users::satisfaction_trends(g);
            users
                .iter()
                .map(|k| Row {
                    member: k.member.id.clone(),
                    name: k.member.name.clone(),
                    place: k.position.map(|p| (p.influence, p.interest, p.quadrant())),
                    cadence_days: k.cadence_days,
                    last_contact: last.get(&k.member.id).copied(),
                    participation: participation.get(&k.member.id).and_then(|p| p.rate()),
                    satisfaction: trends.get(&k.member.id).and_then(|t| t.latest),
                })
                .collect()
        })
    })
}

/// The key users placed on the grid, with where they stand (tracked).
fn points(rows: Memo<Vec<Row>>) -> Memo<Vec<Point>> {
    Memo::new(move |_| {
        let mut in_cell: std::collections::HashMap<(u8, u8), usize> = Default::default();
        rows.with(|rows| {
            rows.iter()
                .filter_map(|row| {
                    let (influence, interest, quadrant) = row.place?;
                    let index = in_cell.entry((influence, interest)).or_default();
                    // Up to nine per cell side by side, then on top of each other.
                    let slot = *index % 9;
                    *index += 1;
                    let nudge = (
                        (slot % 3) as f64 * 28.0 - 28.0,
                        (slot / 3) as f64 * 28.0 - 28.0,
                    );
                    Some(Point {
                        member: row.member.clone(),
                        name: row.name.clone(),
                        influence,
                        interest,
                        quadrant,
                        nudge,
                    })
                })
                .collect()
        })
    })
}

/// The influence/interest grid, its moves since a day, and the same as a table.
#[component]
fn KeyUserGrid() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let rows = rows(app);
    let points = points(rows);
    let error = RwSignal::new(None::<FormError>);
    // The point being dragged, and where the pointer is (SVG units).
    let dragging = RwSignal::new(None::<(MemberId, String)>);
    let pointer = RwSignal::new((0.0, 0.0));
    let svg = NodeRef::<leptos::svg::Svg>::new();
    let to_svg = move |client_x: i32, client_y: i32| -> Option<(f64, f64)> {
        let svg: web_sys::Element = svg.get()?.into();
        let rect = svg.get_bounding_client_rect();
        let scale = SIDE / rect.width().max(1.0);
        Some((
            (f64::from(client_x) - rect.left()) * scale,
            (f64::from(client_y) - rect.top()) * scale,
        ))
    };
    // The point moved by the keyboard gets the focus back once it is drawn again.
    let refocus = RwSignal::new(None::<MemberId>);
    Effect::new(move |_| {
        points.track();
        if let Some(member) = refocus.get_untracked()
            && let Some(element) = document()
                .query_selector(&format!(".grid-point[data-member='{member}']"))
                .ok()
                .flatten()
        {
            use wasm_bindgen::JsCast;
            if let Ok(element) = element.dyn_into::<web_sys::SvgElement>() {
                let _ = element.focus();
            }
        }
    });
    let place = move |member: MemberId, influence: u8, interest: u8| {
        let Ok(id) = PlacingId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        send(
            app,
            KeyUserAction::PlaceKeyUser {
                id,
                member,
                influence,
                interest,
                by: app.display_name.get_untracked(),
                at: now(),
            },
            error,
        );
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if dragging.with_untracked(Option::is_some)
            && let Some(at) = to_svg(ev.client_x(), ev.client_y())
        {
            pointer.set(at);
        }
    };
    let on_up = move |ev: leptos::ev::PointerEvent| {
        let Some((member, _)) = dragging.get_untracked() else {
            return;
        };
        dragging.set(None);
        let Some((x, y)) = to_svg(ev.client_x(), ev.client_y()) else {
            return;
        };
        let (influence, interest) = cell_at(x, y);
        let moved = points.with_untracked(|all| {
            all.iter()
                .any(|p| p.member == member && (p.influence, p.interest) != (influence, interest))
        });
        if moved {
            place(member, influence, interest);
        }
    };
    // Moves since a chosen day: arrows from where each key user stood then.
    let since = RwSignal::new(String::new());
    let arrows = Memo::new(move |_| {
        let day = since.get();
        let at = js_sys::Date::parse(&day);
        if day.is_empty() || at.is_nan() {
            return Vec::new();
        }
        app.view.placings().track();
        let then = at as Millis;
        app.view.with_untracked(|g| {
            let old = key_users::positions(g, Some(then));
            let new = key_users::positions(g, None);
            new.iter()
                .filter_map(|(member, now)| {
                    let before = old.get(member)?;
                    let from = cell_centre(before.influence, before.interest);
                    let to = cell_centre(now.influence, now.interest);
                    (from != to).then(|| ((*member).clone(), from, to))
                })
                .collect::<Vec<_>>()
        })
    });
    let quadrant_label = move |q: Quadrant, x: f64, y: f64| {
        view! { <text class="quadrant-label" x=x y=y>{move || words::quadrant(i18n.get_locale(), q)}</text> }
    };
    let mid = MARGIN + 2.0 * CELL;
    view! {
        <section class="card key-grid" aria-labelledby="ku-grid-heading">
            <h2 id="ku-grid-heading">{t!(i18n, key_users.grid_heading)}</h2>
            <p class="hint">{t!(i18n, key_users.grid_hint)}</p>
            <svg node_ref=svg class="power-interest" viewBox=format!("0 0 {SIDE} {SIDE}") role="group"
                aria-label=move || t_string!(i18n, key_users.grid_label)
                on:pointermove=on_move on:pointerup=on_up on:pointercancel=move |_| dragging.set(None)>
                <defs>
                    <marker id="arrow-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" />
                    </marker>
                </defs>
                <rect class="quadrant manage_closely" x=mid y=MARGIN width=3.0 * CELL height=3.0 * CELL />
                <rect class="quadrant keep_satisfied" x=MARGIN y=MARGIN width=2.0 * CELL height=3.0 * CELL />
                <rect class="quadrant keep_informed" x=mid y=MARGIN + 3.0 * CELL width=3.0 * CELL height=2.0 * CELL />
                <rect class="quadrant monitor" x=MARGIN y=MARGIN + 3.0 * CELL width=2.0 * CELL height=2.0 * CELL />
                {quadrant_label(Quadrant::ManageClosely, mid + 8.0, MARGIN + 20.0)}
                {quadrant_label(Quadrant::KeepSatisfied, MARGIN + 8.0, MARGIN + 20.0)}
                {quadrant_label(Quadrant::KeepInformed, mid + 8.0, MARGIN + 3.0 * CELL + 20.0)}
                {quadrant_label(Quadrant::Monitor, MARGIN + 8.0, MARGIN + 3.0 * CELL + 20.0)}
                <text class="axis" x=SIDE / 2.0 y=SIDE - 10.0 text-anchor="middle">{t!(i18n, key_users.axis_interest)}" →"</text>
                <text class="axis" x=14 y=SIDE / 2.0 text-anchor="middle" transform=format!("rotate(-90 14 {})", SIDE / 2.0)>{t!(i18n, key_users.axis_influence)}" →"</text>
                <For each=move || arrows.get() key=|(m, from, to)| (m.clone(), format!("{from:?}{to:?}")) let:((_, from, to))>
                    <line class="moved" x1=from.0 y1=from.1 x2=to.0 y2=to.1 marker-end="url(#arrow-head)" />
                </For>
                <For each=move || points.get() key=|p| format!("{}|{}|{}|{}|{:?}", p.member, p.name, p.influence, p.interest, p.nudge) let:point>
                    <GridPoint point dragging pointer refocus place />
                </For>
                {move || dragging.get().map(|(_, label)| {
                    view! {
                        <g class="grid-point ghost" aria-hidden="true"
                            transform=move || { let (x, y) = pointer.get(); format!("translate({x} {y})") }>
                            <circle r="18" />
                            <text text-anchor="middle" dy="5">{label}</text>
                        </g>
                    }
                })}
            </svg>
            <FormAlert error any_field=true />
            <div class="field since">
                <label for="ku-since">{t!(i18n, key_users.moved_since)}</label>
                <input id="ku-since" type="date" prop:value=move || since.get() on:change=move |ev| since.set(event_target_value(&ev)) />
            </div>
            <h3 id="ku-table-heading">{t!(i18n, key_users.table_heading)}</h3>
            <div class="table-scroll">
            <table class="key-user-table">
                <thead><tr>
                    <th scope="col">{t!(i18n, key_users.name)}</th>
                    <th scope="col">{t!(i18n, field.influence)}</th>
                    <th scope="col">{t!(i18n, field.interest)}</th>
                    <th scope="col">{t!(i18n, key_users.quadrant)}</th>
                    <th scope="col">{t!(i18n, field.cadence)}</th>
                    <th scope="col">{t!(i18n, key_users.last_contact)}</th>
                    <th scope="col">{t!(i18n, key_users.participation)}</th>
                    <th scope="col">{t!(i18n, key_users.satisfaction)}</th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|row| format!("{row:?}") let:row>
                        <tr>
                            <th scope="row"><A href=member_href(app, &row.member)>{row.name.clone()}</A></th>
                            <td class="influence">{row.place.map_or("–".to_owned(), |p| p.0.to_string())}</td>
                            <td class="interest">{row.place.map_or("–".to_owned(), |p| p.1.to_string())}</td>
                            <td>{move || row.place.map_or_else(|| t_string!(i18n, key_users.unplaced), |p| words::quadrant(i18n.get_locale(), p.2))}</td>
                            <td>{row.cadence_days}</td>
                            <td>{match row.last_contact {
                                Some(at) => day(at),
                                None => t_string!(i18n, key_users.never).to_owned(),
                            }}</td>
                            <td class="participation">{percent_or_dash(row.participation)}</td>
                            <td class="satisfaction">{percent_or_dash(row.satisfaction.map(|s| s / 100.0))}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
            </div>
        </section>
    }
}

fn member_href(app: AppState, member: &MemberId) -> String {
    app.open
        .get_untracked()
        .map(|group| Section::member_href(group, member))
        .unwrap_or_default()
}

/// One key user's point on the grid.
#[component]
fn GridPoint(
    /// The key user and where they stand.
    point: Point,
    /// The point being dragged, with its initials.
    dragging: RwSignal<Option<(MemberId, String)>>,
    /// Where the pointer is while dragging.
    pointer: RwSignal<(f64, f64)>,
    /// The point to focus once drawn again (after a move by keyboard).
    refocus: RwSignal<Option<MemberId>>,
    /// Writes a new placing.
    place: impl Fn(MemberId, u8, u8) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let (x, y) = cell_centre(point.influence, point.interest);
    let (x, y) = (x + point.nudge.0, y + point.nudge.1);
    let label = initials(&point.name);
    let Point {
        member,
        name,
        influence,
        interest,
        quadrant,
        ..
    } = point;
    let aria = {
        let name = name.clone();
        move || {
            t_string!(
                i18n,
                key_users.point_label,
                name = name.clone(),
                influence = influence,
                interest = interest,
                quadrant = words::quadrant(i18n.get_locale(), quadrant)
            )
        }
    };
    let on_down = {
        let (member, label) = (member.clone(), label.clone());
        move |ev: leptos::ev::PointerEvent| {
            ev.prevent_default();
            // The rest of the drag comes to this point (and bubbles to the grid), even when
            // the pointer leaves the grid.
            if let Some(target) = ev
                .current_target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            {
                let _ = target.set_pointer_capture(ev.pointer_id());
            }
            pointer.set((x, y));
            dragging.set(Some((member.clone(), label.clone())));
        }
    };
    let on_key = {
        let member = member.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let (low, high) = GRID;
            let (di, dn): (i8, i8) = match ev.key().as_str() {
                "ArrowUp" => (1, 0),
                "ArrowDown" => (-1, 0),
                "ArrowRight" => (0, 1),
                "ArrowLeft" => (0, -1),
                _ => return,
            };
            ev.prevent_default();
            let step = |v: u8, d: i8| (v as i8 + d).clamp(low as i8, high as i8) as u8;
            let (to_influence, to_interest) = (step(influence, di), step(interest, dn));
            if (to_influence, to_interest) != (influence, interest) {
                refocus.set(Some(member.clone()));
                place(member.clone(), to_influence, to_interest);
            }
        }
    };
    let dimmed = {
        let member = member.clone();
        move || dragging.with(|d| d.as_ref().is_some_and(|(m, _)| *m == member))
    };
    view! {
        <g class=format!("grid-point {}", quadrant.key()) class:dimmed=dimmed tabindex="0" role="button"
            data-member=member.to_string() aria-label=aria transform=format!("translate({x} {y})")
            on:pointerdown=on_down on:keydown=on_key>
            <title>{name}</title>
            <circle r="18" />
            <text text-anchor="middle" dy="5">{label}</text>
        </g>
    }
}

/// Key users not contacted within their cadence, with one button to log the contact.
#[component]
fn OverdueList() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    let overdue = Memo::new(move |_| {
        app.view.members().track();
        app.view.placings().track();
        app.view.touchpoints().track();
        let at = now();
        app.view.with_untracked(|g| {
            key_users::overdue(g, at)
                .into_iter()
                .map(|due| {
                    (
                        due.key_user.member.id.clone(),
                        due.key_user.member.name.clone(),
                        due.last_contact,
                        due.days_overdue(at),
                        due.key_user.member.strategy.channel,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let log = move |member: MemberId, channel: Option<ContactChannel>| {
        let summary = t_string!(i18n, key_users.logged_summary).to_owned();
        super::contact::log_contact_now(app, member, channel, summary, error);
    };
    view! {
        <section class="card overdue" aria-labelledby="ku-overdue-heading">
            <h2 id="ku-overdue-heading">{t!(i18n, key_users.overdue_heading)}</h2>
            <Show when=move || !overdue.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{t!(i18n, key_users.overdue_none)}</p> }>
                <ul class="overdue-list" role="list">
                    <For each=move || overdue.get() key=|row| row.clone() let:((member, name, last, days, channel))>
                        <li>
                            <A href=member_href(app, &member)>{name}</A>" · "
                            <span>{t_string!(i18n, key_users.days_overdue, days = days)}</span>" · "
                            <span class="muted">{t!(i18n, key_users.last_contact)}": "{last.map_or_else(|| t_string!(i18n, key_users.never).to_owned(), moment)}</span>" "
                            <button type="button" class="log-now" on:click=move |_| log(member.clone(), channel)>{t!(i18n, key_users.log_contact)}</button>
                        </li>
                    </For>
                </ul>
            </Show>
            <FormAlert error any_field=true />
        </section>
    }
}

/// Open needs of key users, alike ones together, the most asked first.
#[component]
fn NeedsAskedMost() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let needs = Memo::new(move |_| {
        app.view.members().track();
        app.view.needs().track();
        app.view.with_untracked(|g| {
            key_users::needs_asked_most(g)
                .into_iter()
                .map(|shared| {
                    let first = shared.needs[0];
                    (
                        first.id.clone(),
                        first.statement.clone(),
                        shared.priority(),
                        shared.asked_by,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card needs-most" aria-labelledby="ku-needs-heading">
            <h2 id="ku-needs-heading">{t!(i18n, key_users.needs_heading)}</h2>
            <Show when=move || !needs.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{t!(i18n, key_users.needs_none)}</p> }>
                <ol class="needs-list">
                    <For each=move || needs.get() key=|row| row.clone() let:((_, statement, priority, asked_by))>
                        <li>
                            <span class="statement">{statement}</span>" · "
                            <span class=format!("priority {}", priority.key())>{move || words::priority(i18n.get_locale(), priority)}</span>" · "
                            <span class="muted">{t_string!(i18n, key_users.asked_by, count = asked_by)}</span>
                        </li>
                    </For>
                </ol>
            </Show>
        </section>
    }
}

/// Open expectations at risk across key users.
#[component]
fn ExpectationsAtRisk() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let at_risk = Memo::new(move |_| {
        app.view.members().track();
        app.view.expectations().track();
        let today = local_day(now());
        app.view.with_untracked(|g| {
            key_users::expectations_at_risk(g, &today)
                .into_iter()
                .map(|e| {
                    let name = g
                        .members
                        .get(&e.member)
                        .map(|m| m.name.clone())
                        .unwrap_or_default();
                    (e.member.clone(), name, e.text.clone(), e.due.clone())
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card at-risk" aria-labelledby="ku-risk-heading">
            <h2 id="ku-risk-heading">{t!(i18n, key_users.at_risk_heading)}</h2>
            <Show when=move || !at_risk.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{t!(i18n, key_users.at_risk_none)}</p> }>
                <ul class="at-risk-list" role="list">
                    <For each=move || at_risk.get() key=|row| row.clone() let:((member, name, text, due))>
                        <li>
                            <A href=member_href(app, &member)>{name}</A>": "{text}
                            {(!due.is_empty()).then(|| view! { " · "<span class="muted">{t_string!(i18n, key_users.due_by, day = super::calendar_day(&due))}</span> })}
                        </li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// Members the criteria suggest, with their weighted score.
#[component]
fn Suggestions() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let suggested = Memo::new(move |_| {
        app.view.members().track();
        app.view.criteria().track();
        app.view.with_untracked(|g| {
            key_users::suggestions(g)
                .into_iter()
                .map(|(m, score)| (m.id.clone(), m.name.clone(), format!("{:.1}", score.score)))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card suggestions" aria-labelledby="ku-suggested-heading">
            <h2 id="ku-suggested-heading">{t!(i18n, key_users.suggested_heading)}</h2>
            <Show when=move || !suggested.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{t!(i18n, key_users.suggested_none)}</p> }>
                <ul role="list">
                    <For each=move || suggested.get() key=|row| row.clone() let:((member, name, score))>
                        <li><A href=member_href(app, &member)>{name}</A>" · "<strong>{score}</strong>" / 5"</li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// The group's identification criteria: each with its weight, a form for a new one.
#[component]
fn Criteria() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let criteria = Memo::new(move |_| {
        app.view.criteria().with(|all| {
            let mut list: Vec<_> = all
                .values()
                .map(|c| (c.created_at, c.id.clone(), c.name.clone(), c.weight))
                .collect();
            list.sort();
            list
        })
    });
    let name = RwSignal::new(String::new());
    let weight = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = CriterionId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let action = key_action(KeyUserAction::AddCriterion {
            id,
            name: name.get_untracked(),
            weight: weight.get_untracked(),
            at: now(),
        });
        app.apply_then(action, error, move || {
            name.set(String::new());
            weight.set(String::new());
        });
    };
    view! {
        <section class="card criteria" aria-labelledby="ku-criteria-heading">
            <h2 id="ku-criteria-heading">{t!(i18n, key_users.criteria_heading)}</h2>
            <p class="hint">{t!(i18n, key_users.criteria_hint)}</p>
            <Show when=move || !criteria.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{t!(i18n, key_users.criteria_none)}</p> }>
                <ul class="criteria-list" role="list">
                    <For each=move || criteria.get() key=|row| row.clone() let:((_, id, name, weight))>
                        <li>
                            <span class="criterion-name">{name}</span>" × "<span class="weight">{weight}</span>" "
                            <button type="button" class="link danger" on:click=move |_| send(app, KeyUserAction::RemoveCriterion { id: id.clone() }, error)>
                                {t!(i18n, key_users.remove)}
                            </button>
                        </li>
                    </For>
                </ul>
            </Show>
            <form class="inline-form new-criterion" on:submit=add novalidate>
                <TextField id="criterion-name" field=Field::CriterionName value=name error />
                <TextField id="criterion-weight" field=Field::Weight kind="number" value=weight error />
                <button type="submit">{t!(i18n, key_users.add_criterion)}</button>
            </form>
            <FormAlert error />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_found_back_from_its_centre_and_the_grid_edges_clamp() {
        for influence in 1..=5 {
            for interest in 1..=5 {
                let (x, y) = cell_centre(influence, interest);
                assert_eq!(cell_at(x, y), (influence, interest));
            }
        }
        assert_eq!(cell_at(-50.0, -50.0), (5, 1));
        assert_eq!(cell_at(SIDE + 50.0, SIDE + 50.0), (1, 5));
    }

    #[test]
    fn initials_of_chinese_and_western_names() {
        assert_eq!(initials("王芳"), "王");
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("Ada"), "Ad");
        assert_eq!(initials(" "), "?");
    }
}
