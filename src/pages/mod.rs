//! The routed pages.

mod about;
mod activities;
mod activity_edit;
mod analytics;
mod calendar;
mod contact;
mod data;
mod digest;
mod duplicates;
mod duties;
mod feedback;
mod groups;
mod history;
mod key_user_card;
mod key_users;
mod member;
mod members;
mod recruitment;
mod roles;
mod sign_in;
mod training;

pub use activities::{ActivitiesPage, ActivityPage};
pub use analytics::AnalyticsPage;
pub use contact::FollowUpsPage;
pub use data::DataPage;
pub use digest::DigestPage;
pub use feedback::FeedbackPage;
pub use groups::GroupsPage;
pub use history::{ChangesPage, RecordHistory};
pub use key_users::KeyUsersPage;
pub use member::MemberPage;
pub use members::MembersPage;
pub use recruitment::RecruitmentPage;
pub use roles::RolesPage;
pub use training::{TrainingPage, TrainingsPage};

use cohort_model::{FeedbackStatus, MemberStatus, Millis};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::sections::Section;

/// Copies `text` to the clipboard; the future says whether the browser let it. The write starts
/// at once, while the click that asked for it still counts as the user's. A page that is not a
/// secure context (a relay on a LAN address over plain HTTP) has no clipboard at all.
pub fn copy_to_clipboard(text: &str) -> impl Future<Output = bool> + 'static {
    let navigator = window().navigator();
    let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .is_ok_and(|clipboard| !clipboard.is_undefined());
    let written = has_clipboard.then(|| navigator.clipboard().write_text(text));
    async move {
        match written {
            Some(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
            None => false,
        }
    }
}

/// Shown for any address the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, shell.not_found).to_owned());
    view! {
        <article class="section-overview">
            <h1>{t!(i18n, shell.not_found)}</h1>
            <p class="lead">{t!(i18n, shell.not_found_lead)}</p>
            <p>
                <A href="/">{t!(i18n, common.see_groups)}</A>
            </p>
        </article>
    }
}

/// Shows `children` once the open group's view has arrived, and a loading line until then.
#[component]
pub fn WhenShown(children: ChildrenFn) -> impl IntoView {
    let app = crate::state::use_app();
    let i18n = use_i18n();
    view! {
        <Show when=move || app.shown.get() fallback=move || view! { <p class="boot" role="status">{t!(i18n, shell.opening)}</p> }>
            {children()}
        </Show>
    }
}

/// Shows `children` a task after the rest of the page: a large page is drawn in two tasks, not
/// one long one (each under the 50 ms a tap may wait).
#[component]
pub fn Deferred(children: ChildrenFn) -> impl IntoView {
    let ready = RwSignal::new(false);
    set_timeout(
        move || {
            // The page may be gone by then.
            let _ = ready.try_set(true);
        },
        std::time::Duration::ZERO,
    );
    view! { <Show when=move || ready.get()>{children()}</Show> }
}

/// The record id in the URL's `param` (such as `activity`), if it reads as one.
pub fn id_in_url<I>(param: &'static str, parse: fn(&str) -> Option<I>) -> Memo<Option<I>>
where
    I: Clone + PartialEq + Send + Sync + 'static,
{
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.read().get(param).and_then(|id| parse(&id)))
}

/// A record's page when the URL names no record of the group (removed, or a mistyped link):
/// why, and the way to the section's list.
#[component]
pub fn MissingRecord(
    /// The heading: what is not there.
    heading: fn(Locale) -> &'static str,
    /// A sentence under it, if there is more to say.
    #[prop(optional)]
    lead: Option<fn(Locale) -> &'static str>,
    /// The section whose list to go back to.
    section: Section,
    /// The words of the link to that list.
    see_all: fn(Locale) -> &'static str,
) -> impl IntoView {
    let app = crate::state::use_app();
    let i18n = use_i18n();
    let locale = move || i18n.get_locale();
    view! {
        <article class="section-overview">
            <h1>{move || heading(locale())}</h1>
            {lead.map(|lead| view! { <p class="lead">{move || lead(locale())}</p> })}
            <p>{move || app.open.get().map(|g| view! { <A href=section.href(g)>{move || see_all(locale())}</A> })}</p>
        </article>
    }
}

/// Names the page in the browser tab and history: "Members · Cohort".
pub fn use_page_title(title: impl Fn() -> String + Send + Sync + 'static) {
    Effect::new(move |_| document().set_title(&format!("{} · Cohort", title())));
}

/// The language the browser's `Intl` formats in: the chosen one (tracked).
pub fn intl_locale() -> String {
    use_i18n().get_locale().to_string()
}

/// How a time is written: each a set of `Intl.DateTimeFormat` options.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum TimeStyle {
    Day,
    Moment,
    /// "November 2026", "2026年11月".
    Month,
    /// "Mon", "周一".
    Weekday,
    /// "14:05".
    Time,
}

thread_local! {
    /// Formatters by language and style: making an `Intl.DateTimeFormat` costs far more than
    /// using one, and a list of 500 activities writes 500 times.
    static FORMATS: std::cell::RefCell<std::collections::HashMap<(String, TimeStyle), js_sys::Intl::DateTimeFormat>> =
        Default::default();
}

fn format_time(at: Millis, style: TimeStyle) -> String {
    let locale = intl_locale();
    FORMATS.with_borrow_mut(|formats| {
        let format = formats.entry((locale.clone(), style)).or_insert_with(|| {
            let options = js_sys::Object::new();
            let settings: &[(&str, &str)] = match style {
                TimeStyle::Day => &[("day", "numeric"), ("month", "short"), ("year", "numeric")],
                TimeStyle::Moment => &[("dateStyle", "medium"), ("timeStyle", "short")],
                TimeStyle::Month => &[("month", "long"), ("year", "numeric")],
                TimeStyle::Weekday => &[("weekday", "short")],
                TimeStyle::Time => &[("timeStyle", "short")],
            };
            for (key, value) in settings {
                let _ = js_sys::Reflect::set(&options, &(*key).into(), &(*value).into());
            }
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&locale.into()), &options)
        });
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
        format
            .format()
            .call1(&wasm_bindgen::JsValue::NULL, &date)
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default()
    })
}

/// A date as organizers read it, in their time zone and language: "23 Nov 2026",
/// "2026年11月23日".
pub fn day(at: Millis) -> String {
    format_time(at, TimeStyle::Day)
}

/// A moment as organizers read it: "23 Nov 2026, 14:05", "2026年11月23日 14:05".
pub fn moment(at: Millis) -> String {
    format_time(at, TimeStyle::Moment)
}

/// A month as organizers read it: "November 2026", "2026年11月".
pub fn month(at: Millis) -> String {
    format_time(at, TimeStyle::Month)
}

/// A day of the week, short: "Mon", "周一".
pub fn weekday(at: Millis) -> String {
    format_time(at, TimeStyle::Weekday)
}

/// A time of day: "14:05".
pub fn time_of_day(at: Millis) -> String {
    format_time(at, TimeStyle::Time)
}

/// The organizer's local calendar day of `at`, `YYYY-MM-DD` (what a date input holds).
pub fn local_day(at: Millis) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!(
        "{:04}-{:02}-{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date()
    )
}

/// A `YYYY-MM-DD` day as organizers read it (a day in their time zone).
pub fn calendar_day(day: &str) -> String {
    let mut parts = day.split('-').map(|part| part.parse::<u32>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(date))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return day.to_owned();
    };
    let at = js_sys::Date::new_with_year_month_day(year, month as i32 - 1, date as i32);
    self::day(at.get_time() as Millis)
}

/// A share as a whole percentage: "60%".
pub fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A count as the chosen language writes it: "10,000".
pub fn number(n: usize) -> String {
    let format = js_sys::Intl::NumberFormat::new(
        &js_sys::Array::of1(&intl_locale().into()),
        &js_sys::Object::new(),
    );
    format
        .format()
        .call1(&format, &wasm_bindgen::JsValue::from_f64(n as f64))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| n.to_string())
}

/// Whether the chosen language uses its singular form for `n`, by the browser's CLDR plural
/// rules (`Intl.PluralRules`): in English for 1, in Chinese never.
pub fn is_one(n: usize) -> bool {
    let rules = js_sys::Intl::PluralRules::new(
        &js_sys::Array::of1(&intl_locale().into()),
        &js_sys::Object::new(),
    );
    rules.select(n as f64) == "one"
}

/// A count in words, in the form the chosen language uses for it: the translation's
/// `key.one` or `key.other`, with the number written as the language writes it.
macro_rules! count {
    ($i18n:expr, $($key:ident).+, $n:expr) => {{
        let n: usize = $n;
        if $crate::pages::is_one(n) {
            $crate::i18n::t_string!($i18n, $($key).+.one, n = $crate::pages::number(n))
        } else {
            $crate::i18n::t_string!($i18n, $($key).+.other, n = $crate::pages::number(n))
        }
    }};
}
pub(crate) use count;

/// Names in a list: "Ana, Ben" or "张伟、李娜".
pub fn list(names: &[String]) -> String {
    names.join(t_string!(use_i18n(), common.list_separator))
}

/// A lifecycle status as a badge shows it: a stored key (for its look) and a label.
pub trait Status: Copy + Send + Sync + 'static {
    fn key(self) -> &'static str;
    fn label(self, locale: Locale) -> &'static str;
}

impl Status for MemberStatus {
    fn key(self) -> &'static str {
        MemberStatus::key(self)
    }
    fn label(self, locale: Locale) -> &'static str {
        crate::words::member_status(locale, self)
    }
}

impl Status for FeedbackStatus {
    fn key(self) -> &'static str {
        FeedbackStatus::key(self)
    }
    fn label(self, locale: Locale) -> &'static str {
        crate::words::feedback_status(locale, self)
    }
}

/// A status badge (of a member or of feedback); its look comes from `data-status`.
#[component]
pub fn StatusBadge<S: Status>(
    /// The status shown.
    status: Signal<S>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! { <span class="status" data-status=move || status.get().key()>{move || status.get().label(i18n.get_locale())}</span> }
}
