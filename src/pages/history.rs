//! Who changed what, and undo: the group's changes newest first (the Changes page), a record's
//! own history on its page, and undo of this device's changes one at a time. The worker reads
//! it all from the document's history; the page only names organizers, records and fields.

use cohort_model::history::collection::{
    ACTIVITIES, APPLICATIONS, DIGESTS, FEEDBACK, MEMBERS, PROFILE, ROLES, TOUCHPOINTS, TRAININGS,
};
use cohort_model::history::{ADDED, Entry, HistoryPage, REMOVED, RecordKey};
use cohort_model::protocol::{Answer, Request};
use cohort_model::{ActivityId, GroupStoreFields, MemberId, RoleId, TrainingId};
use leptos::prelude::*;

use super::{moment, use_page_title};
use crate::forms::{FormAlert, FormError};
use crate::i18n::{Locale, t, t_string, td_string, use_i18n};
use crate::state::{AppState, use_app};

/// A field of a record as the organizer knows it; the document's key if this build has no
/// name for it.
fn field_label(locale: Locale, field: &str) -> String {
    use crate::i18n::td_string as td;
    match field {
        "name" | "title" => td!(locale, field.name),
        "email" => td!(locale, field.email),
        "phone" => td!(locale, field.phone),
        "wechat" => td!(locale, field.wechat),
        "other_contact" => td!(locale, field.other_contact),
        "tags" => td!(locale, field.tags),
        "status" | "status_history" | "stage" | "stage_history" => td!(locale, field.status),
        "source" => td!(locale, field.source),
        "joined" => td!(locale, field.joined),
        "notes" => td!(locale, field.notes),
        "description" | "purpose" | "rules" => td!(locale, field.description),
        "responsibilities" => td!(locale, field.responsibilities),
        "holders" => td!(locale, field.holder),
        "attendance" => td!(locale, field.attendance),
        "merged_into" => td!(locale, history.merge),
        "key_decision" | "strategy" => td!(locale, history.key_user),
        ADDED | REMOVED => td!(locale, history.this_record),
        _ => return field.replace('_', " "),
    }
    .to_owned()
}

/// The fields an entry set, named once each.
fn fields_text(locale: Locale, fields: &[String]) -> String {
    let mut names: Vec<String> = Vec::new();
    for field in fields {
        let name = field_label(locale, field);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    super::list(&names)
}

/// A record as the organizer knows it: its name where it has one.
fn record_name(app: AppState, locale: Locale, record: &RecordKey) -> String {
    use crate::i18n::td_string as td;
    let named = match record.collection.as_str() {
        MEMBERS => MemberId::from_key(&record.id).and_then(|id| {
            app.view
                .members()
                .at_key(id)
                .try_with_untracked(|m| m.name.clone())
        }),
        ACTIVITIES => ActivityId::from_key(&record.id).and_then(|id| {
            app.view
                .activities()
                .at_key(id)
                .try_with_untracked(|a| a.title.clone())
        }),
        TRAININGS => TrainingId::from_key(&record.id).and_then(|id| {
            app.view
                .trainings()
                .at_key(id)
                .try_with_untracked(|t| t.title.clone())
        }),
        ROLES => RoleId::from_key(&record.id).and_then(|id| {
            app.view
                .roles()
                .at_key(id)
                .try_with_untracked(|r| r.name.clone())
        }),
        _ => None,
    };
    named.unwrap_or_else(|| {
        match record.collection.as_str() {
            PROFILE => td!(locale, history.profile),
            MEMBERS => td!(locale, history.removed_member),
            ROLES => td!(locale, history.a_role),
            FEEDBACK => td!(locale, history.a_feedback),
            TOUCHPOINTS => td!(locale, history.a_touchpoint),
            ACTIVITIES => td!(locale, history.an_activity),
            TRAININGS => td!(locale, history.a_training),
            APPLICATIONS => td!(locale, history.an_application),
            DIGESTS => td!(locale, history.a_digest),
            _ => td!(locale, history.a_key_user_record),
        }
        .to_owned()
    })
}

/// Who made a change: you, a named organizer, or someone this device cannot name.
fn who(locale: Locale, page: &HistoryPage, entry: &Entry, device: &str) -> String {
    match entry.by.as_deref() {
        Some(by) if by == device => td_string!(locale, history.you).to_owned(),
        Some(by) => page
            .organizers
            .get(by)
            .cloned()
            .unwrap_or_else(|| td_string!(locale, history.unknown_device).to_owned()),
        None => td_string!(locale, history.another_app).to_owned(),
    }
}

/// When a change was made, if its writer said.
fn when(locale: Locale, entry: &Entry) -> String {
    if entry.at > 0 {
        moment(entry.at)
    } else {
        td_string!(locale, history.no_time).to_owned()
    }
}

/// What a change in the group's feed did, with the records it named.
fn feed_text(app: AppState, locale: Locale, entry: &Entry) -> String {
    let mut names: Vec<String> = entry
        .records
        .iter()
        .take(3)
        .map(|record| record_name(app, locale, record))
        .collect();
    let more = entry.records.len().saturating_sub(3) + entry.more;
    if more > 0 {
        names.push(td_string!(locale, history.more, n = super::number(more)));
    }
    let records = super::list(&names);
    if entry.undoes {
        td_string!(locale, history.undid, records = records)
    } else {
        td_string!(locale, history.changed, records = records)
    }
}

/// What a change did to one record.
fn record_text(locale: Locale, entry: &Entry) -> String {
    if entry.undoes {
        return td_string!(
            locale,
            history.undid_here,
            fields = fields_text(locale, &entry.fields)
        );
    }
    match entry.fields.first().map(String::as_str) {
        Some(ADDED) => td_string!(locale, history.added).to_owned(),
        Some(REMOVED) => td_string!(locale, history.removed).to_owned(),
        _ => td_string!(
            locale,
            history.set,
            fields = fields_text(locale, &entry.fields)
        ),
    }
}

/// The history page for `record` (or the group's feed, only `by`'s if set), asked of the
/// worker again whenever the group changes while `wanted` holds.
fn follow_history(
    app: AppState,
    record: Option<RecordKey>,
    by: Signal<Option<String>>,
    wanted: Signal<bool>,
) -> RwSignal<Option<HistoryPage>> {
    let page = RwSignal::new(None::<HistoryPage>);
    Effect::new(move |_| {
        app.followed.track();
        let by = by.get();
        if !wanted.get() || !app.loaded.get() {
            return;
        }
        let record = record.clone();
        leptos::task::spawn_local(async move {
            if let Ok(Answer::History(got)) = app.request(Request::History { record, by }).await {
                let _ = page.try_set(Some(*got));
            }
        });
    });
    page
}

/// A page of history, newest first: when, who, and what each change did.
#[component]
fn HistoryList(
    /// The page, once the worker has answered.
    page: RwSignal<Option<HistoryPage>>,
    /// What a change did, in a language.
    describe: fn(AppState, Locale, &Entry) -> String,
    /// The list's class.
    class: &'static str,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let device = StoredValue::new(app.device.get_value());
    move || {
        let locale = i18n.get_locale();
        let device = device.get_value();
        page.with(|page| {
            let Some(page) = page else {
                return view! { <p class="hint" role="status">{t!(i18n, history.reading)}</p> }.into_any();
            };
            if page.entries.is_empty() {
                return view! { <p class="hint">{t!(i18n, history.empty)}</p> }.into_any();
            }
            view! {
                <ol class=class>
                    {page.entries.iter().map(|entry| {
                        let who = who(locale, page, entry, &device);
                        let what = describe(app, locale, entry);
                        let undone = entry.undone;
                        view! {
                            <li class="history-entry">
                                <span class="history-when">{when(locale, entry)}</span>
                                " "<strong class="history-who">{who}</strong>" "
                                <span class="history-what">{what}</span>
                                {undone.then(|| view! { " "<span class="badge undone">{t!(i18n, history.undone_mark)}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }
            .into_any()
        })
    }
}

/// One record's history, on its page: read when opened.
#[component]
pub fn RecordHistory(
    /// The record: its collection's key in the document and its id.
    record: RecordKey,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let page = follow_history(app, Some(record), Signal::stored(None), open.into());
    view! {
        <details class="card record-history" on:toggle=move |ev| {
            open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open());
        }>
            <summary><h2>{t!(i18n, history.record_heading)}</h2></summary>
            <Show when=move || open.get()>
                <HistoryList page describe=|_, locale, entry| record_text(locale, entry) class="history-list" />
                {move || app.open.get().map(|group| view! {
                    <p><a href=format!("/g/{group}/changes")>{t!(i18n, history.all_changes)}</a></p>
                })}
            </Show>
        </details>
    }
}

/// The group's changes, newest first, by everyone or one organizer; and undo.
#[component]
pub fn ChangesPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, history.heading).to_owned());
    let by = RwSignal::new(None::<String>);
    let page = follow_history(app, None, by.into(), Signal::stored(true));
    let error = RwSignal::new(None::<FormError>);
    // What the last undo did: the change, and the fields it kept.
    let undone = RwSignal::new(None::<cohort_model::history::Undone>);
    let busy = RwSignal::new(false);
    let undo = move |_| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match app.request(Request::Undo).await {
                Ok(Answer::Undone(done)) => {
                    let _ = undone.try_set(Some(done));
                }
                Ok(_) => {}
                Err(failure) => {
                    let _ = error.try_set(Some(failure.into()));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    let next_undo = move || {
        let locale = i18n.get_locale();
        page.with(|page| {
            let next = page.as_ref()?.next_undo.as_ref()?;
            Some(t_string!(
                i18n,
                history.next_undo,
                what = feed_text(app, locale, next),
                when = when(locale, next)
            ))
        })
    };
    let undone_text = move || {
        let locale = i18n.get_locale();
        undone.with(|undone| {
            let undone = undone.as_ref()?;
            Some(if undone.kept.is_empty() {
                td_string!(locale, history.undone).to_owned()
            } else {
                let kept: Vec<String> = undone
                    .kept
                    .iter()
                    .map(|kept| {
                        format!(
                            "{} ({})",
                            field_label(locale, &kept.field),
                            record_name(app, locale, &kept.record)
                        )
                    })
                    .collect();
                td_string!(locale, history.undone_kept, fields = super::list(&kept))
            })
        })
    };
    let organizers = move || {
        page.with(|page| {
            page.as_ref()
                .map(|page| page.organizers.clone().into_iter().collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    view! {
        <super::WhenShown>
            <article class="changes">
                <header class="page-header"><h1>{t!(i18n, history.heading)}</h1></header>
                <p class="lead">{t!(i18n, history.lead)}</p>
                <section class="card undo-card" aria-labelledby="undo-heading">
                    <h2 id="undo-heading">{t!(i18n, history.undo_heading)}</h2>
                    <p class="hint next-undo">{move || next_undo().unwrap_or_else(|| t_string!(i18n, history.nothing_to_undo).to_owned())}</p>
                    <FormAlert error any_field=true />
                    <div class="actions">
                        <button type="button" class="primary undo" disabled=move || busy.get() || next_undo().is_none() on:click=undo>
                            {t!(i18n, history.undo)}
                        </button>
                    </div>
                    {move || undone_text().map(|text| view! { <p class="undone-result" role="status">{text}</p> })}
                </section>
                <section class="card" aria-labelledby="feed-heading">
                    <h2 id="feed-heading">{t!(i18n, history.feed_heading)}</h2>
                    <div class="field">
                        <label for="changes-by">{t!(i18n, history.by)}</label>
                        <select id="changes-by" on:change=move |ev| {
                            let value = event_target_value(&ev);
                            by.set(Some(value).filter(|v| !v.is_empty()));
                        }>
                            <option value="">{t!(i18n, history.everyone)}</option>
                            {move || organizers().into_iter().map(|(device, name)| {
                                let selected = by.get().as_deref() == Some(device.as_str());
                                view! { <option value=device selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <HistoryList page describe=feed_text class="history-list changes-feed" />
                </section>
            </article>
        </super::WhenShown>
    }
}
