//! The contact log on a member's page, and the group's follow-ups.
//!
//! Logging a contact on a phone takes three taps: "Log a contact" (the summary gets the
//! focus; WeChat, now and this organizer's name are filled in), the summary typed, "Save".

use cohort_model::GroupStoreFields;
use cohort_model::contact::{contact_log, follow_ups};
use cohort_model::{
    Action, ContactChannel, Field, MemberId, Touchpoint, TouchpointDraft, TouchpointId,
};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{WhenShown, calendar_day, local_day, moment, use_page_title};
use crate::forms::{FormAlert, FormError, TextField};
use crate::i18n::{t, t_string, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// Logs a contact with `member` now, by this device's organizer, in one tap (from a list of
/// those to contact): `summary` says why; `error` says why it was refused.
pub(super) fn log_contact_now(
    app: crate::state::AppState,
    member: MemberId,
    channel: Option<ContactChannel>,
    summary: String,
    error: RwSignal<Option<FormError>>,
) {
    let Ok(id) = TouchpointId::random() else {
        error.set(Some(Notice::NoRandom.into()));
        return;
    };
    let at = now();
    let draft = TouchpointDraft {
        member: Some(member),
        at,
        channel: channel.unwrap_or_default(),
        by: app.display_name.get_untracked(),
        summary,
        ..TouchpointDraft::default()
    };
    app.apply_then(Action::LogTouchpoint { id, draft, at }, error, || ());
}

/// A member's contact log: the form to log one, and every contact, newest first.
#[component]
pub fn ContactSection(
    /// The member whose contacts these are.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let logging = RwSignal::new(false);
    let log = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.touchpoints().track();
            app.view.with_untracked(|g| {
                contact_log(g, &id)
                    .into_iter()
                    .map(|t| t.id.clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    // The newest contact heads the log.
    let last = move || {
        let newest = log.with(|ids| ids.first().cloned())?;
        app.view.touchpoints().at_key(newest).try_with(|t| t.at)
    };
    view! {
        <section class="card contact-log" aria-labelledby="contact-heading">
            <div class="card-header">
                <h2 id="contact-heading">{t!(i18n, contact.heading)}</h2>
                <p class="last-contact">{move || match last() {
                    Some(at) => t_string!(i18n, contact.last, when = moment(at)),
                    None => t_string!(i18n, contact.never).to_owned(),
                }}</p>
                <button type="button" class="primary log-contact" aria-expanded=move || logging.get().to_string()
                    on:click=move |_| logging.update(|open| *open = !*open)>{t!(i18n, contact.log)}</button>
            </div>
            <Show when=move || logging.get()>
                <LogContact member=id.clone() done=move || logging.set(false) />
            </Show>
            <Show when=move || !log.with(Vec::is_empty) fallback=move || view! { <p class="empty">{t!(i18n, contact.empty)}</p> }>
                <ol class="touchpoints" role="list">
                    <For each=move || log.get() key=|id| id.clone() let:id>
                        <TouchpointItem id show_member=false />
                    </For>
                </ol>
            </Show>
        </section>
    }
}

/// The form that logs one contact with `member`.
#[component]
fn LogContact(
    /// Who the contact was with.
    member: MemberId,
    /// Called once the contact is stored.
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let channel = RwSignal::new(ContactChannel::Wechat);
    let summary = RwSignal::new(String::new());
    let follow_up = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = TouchpointId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let at = now();
        let draft = TouchpointDraft {
            member: Some(member.clone()),
            at,
            channel: channel.get_untracked(),
            by: app.display_name.get_untracked(),
            summary: summary.get_untracked(),
            follow_up: follow_up.get_untracked(),
            due: due.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match app.apply(Action::LogTouchpoint { id, draft, at }).await {
                Ok(()) => done(),
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    // The summary is what the organizer types first.
    let summary_input = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(input) = summary_input
            .get()
            .and_then(|div| div.query_selector("input").ok().flatten())
        {
            use wasm_bindgen::JsCast;
            if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
                let _ = input.focus();
            }
        }
    });
    view! {
        <form class="log-contact-form" on:submit=submit novalidate>
            <fieldset class="channels">
                <legend>{t!(i18n, contact.how)}</legend>
                {ContactChannel::ALL.into_iter().map(|option| view! {
                    <label class="channel">
                        <input type="radio" name="contact-channel" value=option.key()
                            prop:checked=move || channel.get() == option
                            on:change=move |_| channel.set(option) />
                        {move || words::contact_channel(i18n.get_locale(), option)}
                    </label>
                }).collect_view()}
            </fieldset>
            <div node_ref=summary_input>
                <TextField id="contact-summary" field=Field::Summary value=summary error required=true />
            </div>
            <p class="hint">{t!(i18n, contact.follow_up_hint)}</p>
            <div class="form-grid">
                <TextField id="contact-follow-up" field=Field::FollowUp value=follow_up error />
                <TextField id="contact-due" field=Field::Due kind="date" value=due error />
            </div>
            <FormAlert error />
            <button type="submit" class="primary">{t!(i18n, contact.save)}</button>
        </form>
    }
}

/// One touchpoint: when, how, by whom, what was said, and its follow-up with a toggle.
#[component]
fn TouchpointItem(
    /// The touchpoint shown.
    id: TouchpointId,
    /// Whether to name the member (in the group's follow-ups, not on the member's own page).
    show_member: bool,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let touchpoint = {
        let id = id.clone();
        Memo::new(move |_| app.view.touchpoints().at_key(id.clone()).try_get())
    };
    let toggle_done = {
        let id = id.clone();
        move |_| {
            let done_at = touchpoint
                .with_untracked(|t| t.as_ref().is_some_and(Touchpoint::follow_up_open).then(now));
            let action = Action::SetFollowUpDone {
                id: id.clone(),
                done_at,
            };
            app.apply_then(action, app.alert, || ());
        }
    };
    let remove = move |_| {
        app.apply_then(
            Action::RemoveTouchpoint { id: id.clone() },
            app.alert,
            || (),
        )
    };
    move || {
        touchpoint.get().map(|t| {
            let member = show_member.then(|| {
                let name = app.member_name(&t.member).unwrap_or_default();
                let href = app.open.get().map(|group| Section::member_href(group, &t.member));
                view! { <A href=href.unwrap_or_default()>{name}</A> }
            });
            let follow_up = (!t.follow_up.is_empty()).then(|| {
                let when = match (t.done_at, t.due.as_str()) {
                    (Some(at), _) => t_string!(i18n, contact.done_on, day = super::day(at)),
                    (None, "") => String::new(),
                    (None, due) => t_string!(i18n, contact.due_on, day = calendar_day(due)),
                };
                let open = t.follow_up_open();
                view! {
                    <p class="follow-up" data-open=open.to_string()>
                        <span class="follow-up-what">{t.follow_up.clone()}</span>" "
                        <span class="follow-up-when">{when}</span>" "
                        <button type="button" class="link mark-done" on:click=toggle_done.clone()>
                            {if open { t!(i18n, contact.mark_done).into_any() } else { t!(i18n, contact.reopen).into_any() }}
                        </button>
                    </p>
                }
            });
            view! {
                <li class="touchpoint" data-channel=t.channel.key()>
                    <p class="touchpoint-meta">
                        <time>{moment(t.at)}</time>" · "
                        {words::contact_channel(i18n.get_locale(), t.channel)}
                        {(!t.by.is_empty()).then(|| format!(" · {}", t.by))}
                        {member.map(|m| view! { " · "{m} })}
                    </p>
                    <p class="touchpoint-summary">{t.summary.clone()}</p>
                    {follow_up}
                    <button type="button" class="link remove-touchpoint" on:click=remove.clone()>{t!(i18n, contact.remove)}</button>
                </li>
            }
        })
    }
}

/// The group's open follow-ups: overdue, due today, upcoming, and those with no day.
#[component]
pub fn FollowUpsPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, follow_ups.title).to_owned());
    let lists = Memo::new(move |_| {
        app.view.touchpoints().track();
        let today = local_day(now());
        app.view.with_untracked(|g| {
            let lists = follow_ups(g, &today);
            let ids = |list: Vec<&Touchpoint>| list.into_iter().map(|t| t.id.clone()).collect();
            [
                ("overdue", ids(lists.overdue)),
                ("today", ids(lists.today)),
                ("upcoming", ids(lists.upcoming)),
                ("undated", ids(lists.undated)),
            ]
        })
    });
    let heading = move |key: &str| match key {
        "overdue" => t_string!(i18n, follow_ups.overdue),
        "today" => t_string!(i18n, follow_ups.today),
        "upcoming" => t_string!(i18n, follow_ups.upcoming),
        _ => t_string!(i18n, follow_ups.undated),
    };
    let empty = move || {
        lists.with(|lists| {
            lists
                .iter()
                .all(|(_, ids): &(_, Vec<TouchpointId>)| ids.is_empty())
        })
    };
    view! {
        <WhenShown>
            <article class="follow-ups">
                <header class="page-header"><h1>{t!(i18n, follow_ups.title)}</h1></header>
                <Show when=move || !empty() fallback=move || view! { <p class="empty">{t!(i18n, follow_ups.empty)}</p> }>
                    {move || lists.get().into_iter().filter(|(_, ids)| !ids.is_empty()).map(|(key, ids)| view! {
                        <section class="card" data-due=key>
                            <h2>{heading(key)}</h2>
                            <ol class="touchpoints" role="list">
                                {ids.into_iter().map(|id| view! { <TouchpointItem id show_member=true /> }).collect_view()}
                            </ol>
                        </section>
                    }).collect_view()}
                </Show>
            </article>
        </WhenShown>
    }
}
