//! The digest: for a period, a short message of what is coming up, what needs volunteers,
//! who joined and what was resolved, drafted in the organizer's language, to edit and copy
//! into the group's chat or an email. Sharing it records what it held, so that the next one
//! holds only what is new.

use cohort_model::digest::{self, DigestDraft};
use cohort_model::{Action, DigestId, GroupStoreFields, Millis};
use leptos::prelude::*;

use super::{WhenShown, local_day, use_page_title};
use crate::forms::{FormAlert, FormError};
use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::state::{now, use_app};
use crate::words::Notice;

/// The message of a draft in a language: a heading, then each part that has anything.
fn message(locale: Locale, group: &str, draft: &DigestDraft) -> String {
    use crate::i18n::td_string as td;
    let mut lines = vec![td!(
        locale,
        digest.title,
        group = group,
        from = super::day(draft.from),
        to = super::day(draft.to)
    )];
    if draft.is_empty() {
        lines.push(td!(locale, digest.nothing_new).to_owned());
    }
    if !draft.upcoming.is_empty() {
        lines.push(String::new());
        lines.push(td!(locale, digest.coming_up).to_owned());
        for activity in &draft.upcoming {
            let when = format!(
                "{} {}",
                super::day(activity.starts_at),
                super::time_of_day(activity.starts_at)
            );
            lines.push(if activity.place.is_empty() {
                format!("• {when} {}", activity.title)
            } else {
                td!(
                    locale,
                    digest.activity_at,
                    when = when,
                    title = &activity.title,
                    place = &activity.place
                )
            });
        }
    }
    if !draft.asks.is_empty() {
        lines.push(String::new());
        lines.push(td!(locale, digest.volunteers).to_owned());
        for ask in &draft.asks {
            lines.push(td!(
                locale,
                digest.ask,
                activity = &ask.activity_title,
                duty = &ask.duty_title
            ));
        }
    }
    if !draft.new_members.is_empty() {
        lines.push(String::new());
        let names: Vec<String> = draft
            .new_members
            .iter()
            .map(|(_, name)| name.clone())
            .collect();
        lines.push(td!(
            locale,
            digest.welcome,
            names = names.join(td!(locale, common.list_separator))
        ));
    }
    if !draft.resolved.is_empty() {
        lines.push(String::new());
        lines.push(td!(locale, digest.resolved).to_owned());
        for (_, text) in &draft.resolved {
            lines.push(format!("• {text}"));
        }
    }
    lines.join("\n")
}

/// A `YYYY-MM-DD` day, at its start (`end`: its last moment) in the organizer's time zone.
fn moment_of(day: &str, end: bool) -> Option<Millis> {
    let at = js_sys::Date::parse(&format!("{day}T00:00:00"));
    (!at.is_nan()).then(|| at as Millis + if end { 24 * 3_600_000 - 1 } else { 0 })
}

/// The digest page.
#[component]
pub fn DigestPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, digest.heading).to_owned());
    let error = RwSignal::new(None::<FormError>);
    let shared = RwSignal::new(None::<bool>);
    // The period, as the date inputs hold it; empty until the group is shown.
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    Effect::new(move |_| {
        if !app.shown.get() || !from.get_untracked().is_empty() {
            return;
        }
        let (start, end) = app
            .view
            .with_untracked(|g| digest::default_period(g, now()));
        from.set(local_day(start));
        to.set(local_day(end));
    });
    let period = Memo::new(move |_| {
        let start = moment_of(&from.get(), false)?;
        let end = moment_of(&to.get(), true)?.min(now());
        Some((start, end))
    });
    let draft = Memo::new(move |_| {
        let (start, end) = period.get()?;
        app.view.members().track();
        app.view.activities().track();
        app.view.feedback().track();
        app.view.digests().track();
        Some(app.view.with_untracked(|g| digest::draft(g, start, end)))
    });
    // The message, as drafted and then as edited.
    let text = RwSignal::new(String::new());
    Effect::new(move |_| {
        let locale = i18n.get_locale();
        let name = app.view.profile().with(|p| p.name.clone());
        if let Some(draft) = draft.get() {
            text.set(message(locale, &name, &draft));
        }
    });
    let share = move |_| {
        let Some(draft) = draft.get_untracked() else {
            return;
        };
        let Ok(id) = DigestId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let copy = super::copy_to_clipboard(&text.get_untracked());
        let action = Action::RecordDigest {
            id,
            from: draft.from,
            to: draft.to,
            items: draft.items(),
            by: app.display_name.get_untracked(),
            at: now(),
        };
        leptos::task::spawn_local(async move {
            let copied = copy.await;
            app.apply_then(action, error, move || shared.set(Some(copied)));
        });
    };
    let last = Memo::new(move |_| {
        app.view.digests().with(|d| {
            d.values()
                .max_by_key(|d| d.at)
                .map(|d| (d.at, d.by.clone()))
        })
    });
    view! {
        <WhenShown>
            <article class="digest">
                <header class="page-header"><h1>{t!(i18n, digest.heading)}</h1></header>
                <p class="lead">{t!(i18n, digest.lead)}</p>
                <section class="card" aria-labelledby="digest-period-heading">
                    <h2 id="digest-period-heading">{t!(i18n, digest.period)}</h2>
                    {move || last.get().map(|(at, by)| view! {
                        <p class="hint last-digest">{t_string!(i18n, digest.last, when = super::moment(at), by = by)}</p>
                    })}
                    <div class="form-grid">
                        <div class="field">
                            <label for="digest-from">{t!(i18n, digest.from)}</label>
                            <input id="digest-from" type="date" prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev)) />
                        </div>
                        <div class="field">
                            <label for="digest-to">{t!(i18n, digest.to)}</label>
                            <input id="digest-to" type="date" prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev)) />
                        </div>
                    </div>
                </section>
                <section class="card" aria-labelledby="digest-message-heading">
                    <h2 id="digest-message-heading">{t!(i18n, digest.message)}</h2>
                    <p class="hint">{t!(i18n, digest.message_hint)}</p>
                    <textarea id="digest-text" rows="14" aria-labelledby="digest-message-heading" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <FormAlert error any_field=true />
                    <div class="actions">
                        <button type="button" class="primary share-digest" disabled=move || draft.with(|d| d.as_ref().is_none_or(DigestDraft::is_empty)) on:click=share>
                            {t!(i18n, digest.copy_and_remember)}
                        </button>
                    </div>
                    {move || shared.get().map(|copied| view! {
                        <p class="shared" role="status">{move || if copied { t_string!(i18n, digest.shared) } else { t_string!(i18n, digest.shared_not_copied) }}</p>
                    })}
                </section>
            </article>
        </WhenShown>
    }
}
