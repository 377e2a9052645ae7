//! The service worker that opens Cohort with no network (`sw/service-worker.js`, written into
//! each release build as `/sw.js`), and new builds: when one has installed, the page offers to
//! reload into it. A page never switches builds under itself: the new worker waits until the
//! organizer chooses to reload, and every page reloads as it takes over, after what was typed
//! is stored.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

use crate::i18n::{t, use_i18n};
use crate::state::{AppState, use_app};

/// The browser's service workers, where it has them (not on plain HTTP away from localhost).
fn service_workers() -> Option<ServiceWorkerContainer> {
    let navigator = window().navigator();
    js_sys::Reflect::has(&navigator, &"serviceWorker".into())
        .unwrap_or(false)
        .then(|| navigator.service_worker())
}

/// Registers the service worker and watches for new builds: `ready` turns true when one is
/// installed and waiting for this page.
pub fn register(app: AppState, ready: RwSignal<bool>) {
    let Some(workers) = service_workers() else {
        return;
    };
    // A page that a worker controlled reloads when another takes over (after a reload chosen
    // here or in another tab): it must not go on with files of two builds.
    if workers.controller().is_some() {
        let on_change = Closure::<dyn Fn()>::new(move || {
            leptos::task::spawn_local(async move {
                app.settle().await;
                let _ = window().location().reload();
            });
        });
        workers.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
    }
    leptos::task::spawn_local(async move {
        // No worker in a development build (`trunk serve` makes no sw.js): nothing to do.
        let Ok(registration) = JsFuture::from(workers.register("/sw.js")).await else {
            return;
        };
        let registration: ServiceWorkerRegistration = registration.unchecked_into();
        let waiting = {
            let registration = registration.clone();
            move || {
                let installed = registration.waiting().is_some();
                // The first worker of a first visit waits for nothing: no update to offer.
                if installed && workers.controller().is_some() {
                    ready.set(true);
                }
            }
        };
        waiting();
        let on_found = {
            let registration = registration.clone();
            Closure::<dyn Fn()>::new(move || {
                let Some(installing) = registration.installing() else {
                    return;
                };
                let waiting = waiting.clone();
                let worker = installing.clone();
                let on_state = Closure::<dyn Fn()>::new(move || {
                    if worker.state() == ServiceWorkerState::Installed {
                        waiting();
                    }
                });
                installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
                on_state.forget();
            })
        };
        registration.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
        on_found.forget();
        // A long-open tab looks for a new build when the organizer comes back to it.
        let on_visible = Closure::<dyn Fn()>::new(move || {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                let _ = registration.update();
            }
        });
        let _ = document().add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        on_visible.forget();
    });
}

/// Hands the page over to the waiting worker; the page reloads when it takes over. False when
/// no worker is waiting any more (another tab took it already).
async fn take_the_new_build(app: AppState) -> bool {
    app.settle().await;
    let Some(workers) = service_workers() else {
        return false;
    };
    let Ok(registration) = JsFuture::from(workers.get_registration()).await else {
        return false;
    };
    let waiting = registration
        .dyn_into::<ServiceWorkerRegistration>()
        .ok()
        .and_then(|registration| registration.waiting());
    waiting.is_some_and(|worker| worker.post_message(&"skip-waiting".into()).is_ok())
}

/// "A new version is ready": shown once a new build has installed.
#[component]
pub fn UpdateBanner(
    /// Whether a new build is waiting.
    ready: RwSignal<bool>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let reloading = RwSignal::new(false);
    let reload = move |_| {
        reloading.set(true);
        leptos::task::spawn_local(async move {
            if !take_the_new_build(app).await {
                // Nothing to take: the offer is gone rather than a button that does nothing.
                reloading.set(false);
                ready.set(false);
            }
        });
    };
    view! {
        <Show when=move || ready.get()>
            <div class="update-banner" role="status">
                <p>{t!(i18n, update.ready)}</p>
                <button type="button" class="primary" disabled=move || reloading.get() on:click=reload>
                    {t!(i18n, update.reload)}
                </button>
            </div>
        </Show>
    }
}
