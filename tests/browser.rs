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

#[wasm_bindgen_test]
async fn the_shell_lists_every_section_and_follows_a_click() {
    let window = web_sys::window().expect("a window");
    let history_length = window
        .history()
        .and_then(|h| h.length())
        .expect("a history");
    let root = mount_app();
    next_tick().await;

    // The test page is served at `/`, which leads home without a history entry of its own.
    assert_eq!(
        window.location().pathname().ok().as_deref(),
        Some(Section::HOME.path())
    );
    assert_eq!(
        window.history().and_then(|h| h.length()),
        Ok(history_length)
    );
    assert_eq!(text_of(&root, "main h1"), Section::HOME.title());

    let links = root.query_selector_all("nav a").expect("a valid selector");
    let labels: Vec<String> = (0..links.length())
        .filter_map(|i| links.item(i))
        .filter_map(|link| link.text_content())
        .collect();
    assert_eq!(
        labels,
        Section::ALL.map(|section| section.title().to_owned())
    );
    assert_eq!(text_of(&root, "[role=status]"), "On this device");

    let roles: HtmlElement = root
        .query_selector("nav a[href='/roles']")
        .expect("a valid selector")
        .expect("a link to roles")
        .unchecked_into();
    roles.click();
    next_tick().await;
    assert_eq!(text_of(&root, "main h1"), "Roles");
    assert_eq!(document().title(), "Roles · Cohort");
    assert_eq!(
        root.query_selector("nav a[aria-current=page]")
            .expect("a valid selector")
            .and_then(|link| link.text_content()),
        Some("Roles".to_owned())
    );
}
