//! The language of the interface: the browser's preferred one on first start (the i18n
//! provider reads `navigator.languages`), or the one chosen in the settings, kept in this
//! browser's local storage.

use leptos::prelude::*;

use crate::i18n::{Locale, t, use_i18n};

/// Where the chosen language is kept.
const KEY: &str = "cohort-language";

/// Switches to the language chosen on this device before, if any. Call once, inside the i18n
/// provider. An effect, so that it runs after the provider has settled on the browser's
/// language (set at once, the provider's own choice would replace it).
pub fn follow_the_saved_choice() {
    let i18n = use_i18n();
    Effect::new(move |_| {
        if let Ok(locale) = crate::state::stored(KEY).parse::<Locale>() {
            i18n.set_locale(locale);
        }
    });
}

/// The language setting: a choice between the languages Cohort speaks, each named in itself.
#[component]
pub fn LanguageSetting() -> impl IntoView {
    let i18n = use_i18n();
    let choose = move |event: leptos::ev::Event| {
        if let Ok(locale) = event_target_value(&event).parse::<Locale>() {
            crate::state::keep(KEY, locale.as_ref());
            i18n.set_locale(locale);
        }
    };
    view! {
        <section class="card language-settings" aria-labelledby="language-heading">
            <h2 id="language-heading">{t!(i18n, language)}</h2>
            <p class="hint">{t!(i18n, language_hint)}</p>
            <div class="field">
                <label for="language">{t!(i18n, language)}</label>
                <select id="language" on:change=choose prop:value=move || i18n.get_locale().to_string()>
                    <option value=Locale::zh_CN.to_string()>"中文（简体）"</option>
                    <option value=Locale::en.to_string()>"English"</option>
                </select>
            </div>
        </section>
    }
}
