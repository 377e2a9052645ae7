//! Browser tests of the app, run by wasm-bindgen-test in headless Chromium.
#![cfg(target_arch = "wasm32")]

use cohort::{App, Section};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect("a browser page has a document")
}

/// Mounts the app into a fresh element of the test page.
fn mount_app() -> HtmlElement {
    let root: HtmlElement = document()
        .create_element("div")
        .expect("can create a div")
        .unchecked_into();
    document()
        .body()
        .expect("the page has a body")
        .append_child(&root)
        .expect("can attach the root");
    leptos::mount::mount_to(root.clone(), App).forget();
    root
}

fn text_of(root: &HtmlElement, css: &str) -> String {
    root.query_selector(css)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("{css} is in the page"))
        .text_content()
        .unwrap_or_default()
}

/// Lets the router and effects run.
async fn next_tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20)
            .expect("setTimeout works");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("a timeout resolves");
}

/// Waits until `check` holds, up to two seconds.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        next_tick().await;
    }
    panic!("{what} did not happen");
}

// The test server has no worker script, so these tests also show what an organizer sees when
// the worker cannot start. The screens on a running worker are covered end to end.

#[wasm_bindgen_test]
async fn the_start_page_lists_groups_and_reports_a_worker_that_cannot_start() {
    let root = mount_app();
    next_tick().await;
    assert_eq!(text_of(&root, "main h1"), "Your groups");
    assert_eq!(document().title(), "Your groups · Cohort");
    // The worker connects to the relay as it starts.
    assert_eq!(text_of(&root, ".sync-status"), "Connecting…");
    // Outside a group the navigation offers only the way back to the groups.
    let links = root.query_selector_all("nav a").expect("a valid selector");
    assert_eq!(links.length(), 1);
    assert_eq!(text_of(&root, "nav a"), "All groups");

    let alert = || {
        root.query_selector(".alert")
            .ok()
            .flatten()
            .and_then(|a| a.text_content())
    };
    eventually("the worker failure is shown", || alert().is_some()).await;
    let message = alert().unwrap_or_default();
    assert!(
        message.contains("could not start its storage worker"),
        "{message}"
    );
    assert!(message.contains("Reload the page"), "{message}");
    // Without its worker the app does not sync, and says so.
    assert_eq!(text_of(&root, ".sync-status"), "Offline");
    root.remove();
}

#[wasm_bindgen_test]
async fn a_malformed_group_address_is_not_found() {
    let window = web_sys::window().expect("a window");
    let history = window.history().expect("a history");
    let start = window.location().pathname().expect("a path");
    history
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some("/g/not-a-group/members"),
        )
        .expect("can change the address");
    let root = mount_app();
    next_tick().await;
    assert_eq!(text_of(&root, "main h1"), "Page not found");
    assert_eq!(Section::from_slug("members"), Some(Section::Members));
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&start))
        .expect("can restore the address");
    root.remove();
}
