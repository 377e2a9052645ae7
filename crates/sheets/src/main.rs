//! Cohort's spreadsheet worker. The parsers and writers of spreadsheets (`csv`, `encoding_rs`,
//! `calamine`, `rust_xlsxwriter` and the zip and deflate code under them) would double the
//! storage worker's download for every visit; here they load only when an organizer imports
//! or exports. Each message is a sequence number and a [`FileWork`] in postcard; the answer is
//! the same number and its [`FileDone`]; an empty message says the worker is ready for work.
//! The work itself is the model's
//! ([`cohort_model::sheet::work_on`]), tested natively there.
//!
//! [`FileWork`]: cohort_model::sheet::FileWork
//! [`FileDone`]: cohort_model::sheet::FileDone

#[cfg(target_arch = "wasm32")]
fn main() {
    use cohort_model::protocol;
    use cohort_model::sheet::{FileDone, FileWork, work_on};
    use js_sys::{Array, Uint8Array};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let bytes = Uint8Array::new(&event.data()).to_vec();
        let (seq, done) = match protocol::decode::<(u32, FileWork)>(&bytes) {
            Ok((seq, work)) => (seq, work_on(work)),
            // The page and this worker come from one build: a message it cannot read is a bug,
            // answered rather than left waiting.
            Err(error) => (0, FileDone::Written(Err(error.to_string()))),
        };
        let answer = Uint8Array::from(protocol::encode(&(seq, done)).as_slice());
        let _ = reply_scope.post_message_with_transfer(&answer, &Array::of1(&answer.buffer()));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages sent before this point are lost: an empty one tells the page to send them now.
    let _ = scope.post_message(&Uint8Array::new_with_length(0));
}

/// The worker runs only in a browser; natively there is nothing to run.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("cohort-sheets runs in a browser: it is built by Trunk into the app");
}
