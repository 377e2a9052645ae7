//! The routed pages. Each section is a placeholder that says what it will hold.

use cohort_model::MemberStatus;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use crate::sections::Section;

/// The page of the section named in the URL, or "not found" for an unknown name.
#[component]
pub fn SectionPage() -> impl IntoView {
    let params = use_params_map();
    let section = move || {
        params
            .read()
            .get("section")
            .and_then(|slug| Section::from_slug(&slug))
    };
    move || match section() {
        Some(section) => view! { <SectionOverview section /> }.into_any(),
        None => view! { <NotFound /> }.into_any(),
    }
}

/// What a section is for, until its screens arrive.
#[component]
fn SectionOverview(
    /// The section to describe.
    section: Section,
) -> impl IntoView {
    use_page_title(section.title());
    view! {
        <article class="section-overview">
            <header class="page-header">
                <h1>{section.title()}</h1>
                <span class="badge">"Coming soon"</span>
            </header>
            <p class="lead">{section.summary()}</p>
            {(section == Section::Members).then(|| view! { <Lifecycle /> })}
        </article>
    }
}

/// The member status lifecycle, straight from the domain model.
#[component]
fn Lifecycle() -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="lifecycle-heading">
            <h2 id="lifecycle-heading">"Member lifecycle"</h2>
            <ol class="lifecycle">
                {MemberStatus::ALL
                    .map(|status| view! { <li data-status=status.label()>{status.label()}</li> })}
            </ol>
        </section>
    }
}

/// Shown for any address the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    use_page_title("Page not found");
    view! {
        <article class="section-overview">
            <h1>"Page not found"</h1>
            <p class="lead">"There is nothing at this address."</p>
            <p>
                <A href=Section::HOME.path()>{format!("Go to {}", Section::HOME.title())}</A>
            </p>
        </article>
    }
}

/// Names the page in the browser tab and history: "Members · Cohort".
fn use_page_title(title: &'static str) {
    Effect::new(move |_| document().set_title(&format!("{title} · Cohort")));
}
