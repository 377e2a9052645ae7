//! The frame around every page: header, section navigation, sync status and the routed page.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::{A, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    pages::{NotFound, SectionPage},
    sections::Section,
};

/// The whole app: the shell with the page of the current route.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <div class="shell">
                <header class="app-header">
                    <a class="brand" href="/" aria-label="Cohort, home">
                        <span class="brand-mark" aria-hidden="true"></span>
                        <span class="brand-name">"Cohort"</span>
                    </a>
                    <SyncStatus />
                </header>
                <SectionNav />
                <main id="main" class="page" tabindex="-1">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=HomeRedirect />
                        <Route path=path!("/:section") view=SectionPage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// Sends `/` to the home section, replacing the history entry so Back does not bounce.
#[component]
fn HomeRedirect() -> impl IntoView {
    let options = NavigateOptions {
        replace: true,
        ..NavigateOptions::default()
    };
    view! { <Redirect path=Section::HOME.path() options /> }
}

/// The list of sections; the router marks the current one with `aria-current="page"`.
#[component]
fn SectionNav() -> impl IntoView {
    view! {
        <nav class="app-nav" aria-label="Sections">
            <ul>
                {Section::ALL
                    .map(|section| {
                        view! {
                            <li>
                                <A href=section.path()>{section.title()}</A>
                            </li>
                        }
                    })}
            </ul>
        </nav>
    }
}

/// Where the group stands with other organizers' devices.
///
/// Until sync lands every group lives on this device only, and the slot says so plainly.
#[component]
fn SyncStatus() -> impl IntoView {
    view! {
        <p
            class="sync-status"
            role="status"
            data-state="local"
            title="Changes are kept on this device. Syncing with other organizers is not set up yet."
        >
            <span class="sync-dot" aria-hidden="true"></span>
            <span class="sync-label">"On this device"</span>
        </p>
    }
}
