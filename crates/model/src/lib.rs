//! The group domain of Cohort: plain types and rules, with no I/O.
//!
//! This crate knows nothing of Leptos, tokio or the DOM. It builds for wasm32 (the app) and
//! for the native target (the relay, tests), and is tested with plain `cargo test`.

mod status;

pub use status::MemberStatus;
