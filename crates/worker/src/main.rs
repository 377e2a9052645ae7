//! The worker's entry point; see the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    cohort_worker::start();
}

/// The worker runs only in a browser; natively there is nothing to run.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("cohort-worker runs in a browser: it is built by Trunk into the app");
}
