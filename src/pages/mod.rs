//! The routed pages.

mod feedback;
mod groups;
mod member;
mod members;
mod roles;

pub use feedback::FeedbackPage;
pub use groups::GroupsPage;
pub use member::MemberPage;
pub use members::MembersPage;
pub use roles::RolesPage;

use cohort_model::{FeedbackStatus, MemberStatus, Millis};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::sections::Section;

/// What a section is for, until its screens arrive.
#[component]
pub fn SectionOverview(
    /// The section to describe.
    section: Section,
) -> impl IntoView {
    use_page_title(move || section.title().to_owned());
    view! {
        <article class="section-overview">
            <header class="page-header">
                <h1>{section.title()}</h1>
                <span class="badge">"Coming soon"</span>
            </header>
            <p class="lead">{section.summary()}</p>
        </article>
    }
}

/// Shown for any address the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    use_page_title(|| "Page not found".to_owned());
    view! {
        <article class="section-overview">
            <h1>"Page not found"</h1>
            <p class="lead">"There is nothing at this address."</p>
            <p>
                <A href="/">"See your groups"</A>
            </p>
        </article>
    }
}

/// Shows `children` once the open group's view has arrived, and a loading line until then.
#[component]
pub fn WhenShown(children: ChildrenFn) -> impl IntoView {
    let app = crate::state::use_app();
    view! {
        <Show when=move || app.shown.get() fallback=|| view! { <p class="boot" role="status">"Opening the group…"</p> }>
            {children()}
        </Show>
    }
}

/// Names the page in the browser tab and history: "Members · Cohort".
pub fn use_page_title(title: impl Fn() -> String + Send + Sync + 'static) {
    Effect::new(move |_| document().set_title(&format!("{} · Cohort", title())));
}

/// A date as organizers read it, in their time zone: "23 Nov 2026".
pub fn day(at: Millis) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    let options = js_sys::Object::new();
    for (key, value) in [("day", "numeric"), ("month", "short"), ("year", "numeric")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    String::from(date.to_locale_date_string("default", &options))
}

/// A lifecycle status as a badge shows it: a stored key (for its look) and a label.
pub trait Status: Copy + Send + Sync + 'static {
    fn key(self) -> &'static str;
    fn label(self) -> &'static str;
}

impl Status for MemberStatus {
    fn key(self) -> &'static str {
        MemberStatus::key(self)
    }
    fn label(self) -> &'static str {
        MemberStatus::label(self)
    }
}

impl Status for FeedbackStatus {
    fn key(self) -> &'static str {
        FeedbackStatus::key(self)
    }
    fn label(self) -> &'static str {
        FeedbackStatus::label(self)
    }
}

/// A status badge (of a member or of feedback); its look comes from `data-status`.
#[component]
pub fn StatusBadge<S: Status>(
    /// The status shown.
    status: Signal<S>,
) -> impl IntoView {
    view! { <span class="status" data-status=move || status.get().key()>{move || status.get().label()}</span> }
}
