//! The group's purpose, description and rules (透明性), on its home: shown to every organizer,
//! edited in place.

use cohort_model::{Action, Field, GroupStoreFields, ProfileField};
use leptos::prelude::*;

use super::member::InlineField;
use crate::i18n::{t, use_i18n};
use crate::state::use_app;

/// What the group is for, and its rules; an organizer edits them with one button.
#[component]
pub fn GroupAbout() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let editing = RwSignal::new(false);
    let read = move |f: fn(&cohort_model::Profile) -> String| {
        Signal::derive(move || app.view.profile().with(f))
    };
    let purpose = read(|p| p.purpose.clone());
    let description = read(|p| p.description.clone());
    let rules = read(|p| p.rules.clone());
    let set = |field: ProfileField| move |value: String| Action::SetProfile { field, value };
    let empty = move || {
        purpose.with(String::is_empty)
            && description.with(String::is_empty)
            && rules.with(String::is_empty)
    };
    view! {
        <section class="card group-about" aria-labelledby="about-heading">
            <div class="section-header">
                <h2 id="about-heading">{t!(i18n, about.heading)}</h2>
                <button type="button" class="edit-about" aria-expanded=move || editing.get().to_string()
                    on:click=move |_| editing.update(|e| *e = !*e)>
                    {move || if editing.get() { t!(i18n, about.done).into_any() } else { t!(i18n, about.edit).into_any() }}
                </button>
            </div>
            <Show when=move || editing.get()
                fallback=move || view! {
                    <Show when=empty>
                        <p class="empty">{t!(i18n, about.none)}</p>
                    </Show>
                    <Show when=move || !purpose.with(String::is_empty)>
                        <p class="purpose lead">{move || purpose.get()}</p>
                    </Show>
                    <Show when=move || !description.with(String::is_empty)>
                        <p class="description">{move || description.get()}</p>
                    </Show>
                    <Show when=move || !rules.with(String::is_empty)>
                        <details class="rules">
                            <summary>{t!(i18n, field.group_rules)}</summary>
                            <p class="rules-text">{move || rules.get()}</p>
                        </details>
                    </Show>
                }>
                <InlineField id="about-purpose" field=Field::GroupPurpose value=purpose action=set(ProfileField::Purpose) multiline=true />
                <InlineField id="about-description" field=Field::GroupDescription value=description action=set(ProfileField::Description) multiline=true />
                <InlineField id="about-rules" field=Field::GroupRules value=rules action=set(ProfileField::Rules) multiline=true />
                <p class="hint">{t!(i18n, member.saved_on_leave)}</p>
            </Show>
        </section>
    }
}
