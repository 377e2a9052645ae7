//! The Cohort browser app: a Leptos client-side-rendered shell around the group's sections.
//!
//! Domain rules live in `cohort-model`; this crate only turns them into screens.

use leptos::{prelude::document, web_sys::HtmlElement};
use wasm_bindgen::JsCast;

/// The `i18n` module made from `locales/` by `build.rs`: `t!`, `t_string!`, `use_i18n`,
/// `Locale`.
// Generated code: it exports more than the app uses, in its own style.
#[allow(
    unused_qualifications,
    unused_imports,
    dead_code,
    missing_debug_implementations,
    unreachable_pub,
    clippy::all
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/i18n.rs"));
}
pub(crate) use generated::i18n;

mod access;
mod direct;
mod files;
mod forms;
mod language;
mod pages;
mod pairing;
mod relay_address;
mod scan;
mod sections;
mod shell;
mod state;
mod update;
mod words;

pub use sections::Section;
pub use shell::App;

/// Starts the app in the page: replaces the loading placeholder in `#app` (or fills `<body>`).
pub fn mount() {
    console_error_panic_hook::set_once();
    let root = document()
        .get_element_by_id("app")
        .and_then(|element| element.dyn_into::<HtmlElement>().ok());
    match root {
        Some(root) => {
            root.set_inner_html("");
            leptos::mount::mount_to(root, App).forget();
        }
        None => leptos::mount::mount_to_body(App),
    }
    // The shell is on the page: the slow-link benchmark times its first visit to here.
    state::mark("cohort:shell");
}
