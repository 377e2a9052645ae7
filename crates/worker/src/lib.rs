//! Cohort's Web Worker. It holds the open group's Automerge document, so that loading a large
//! group (seconds, in WebAssembly) never blocks the page, and keeps every group in IndexedDB.
//! The page talks to it with [`cohort_model::protocol`] messages.
//!
//! [`core`] decides everything and has no I/O (it builds and is tested natively); the shell
//! ([`shell`], [`link`], [`storage`]) carries out what it asks, in the browser.

pub mod core;
#[cfg(target_arch = "wasm32")]
pub mod link;
#[cfg(target_arch = "wasm32")]
pub mod shell;
#[cfg(target_arch = "wasm32")]
pub mod storage;

#[cfg(target_arch = "wasm32")]
pub use browser::{DATABASE, start};

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::rc::Rc;

    use cohort_model::protocol::{self, Event, Failure, FromWorker, Reply, ToWorker};
    use futures_util::StreamExt;
    use js_sys::{Array, Uint8Array};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    use crate::core::Input;
    use crate::link::Link;
    use crate::shell::{Outbox, Shell, warn};
    use crate::storage::{Storage, StorageError};

    /// The IndexedDB database the app uses.
    pub const DATABASE: &str = "cohort";

    /// Starts the worker: answers requests from the page until the page goes away.
    pub fn start() {
        console_error_panic_hook::set_once();
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let (inputs, mut incoming) = futures_channel::mpsc::unbounded::<Input>();
        let link = Link::new(inputs.clone());
        let outbox: Outbox = {
            let scope = scope.clone();
            Rc::new(move |message: Vec<u8>| {
                let bytes = Uint8Array::from(message.as_slice());
                // Transfer the buffer rather than copy it.
                if let Err(error) =
                    scope.post_message_with_transfer(&bytes, &Array::of1(&bytes.buffer()))
                {
                    web_sys::console::error_2(
                        &"Cohort worker: could not post a message".into(),
                        &error,
                    );
                }
            })
        };
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            match protocol::decode::<ToWorker>(&Uint8Array::new(&event.data()).to_vec()) {
                Ok(ToWorker { seq, request }) => {
                    // The receiver lives as long as the worker.
                    let _ = inputs.unbounded_send(Input::Page { seq, request });
                }
                Err(error) => warn(&error.to_string()),
            }
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let post = move |outbox: &Outbox, message: FromWorker| outbox(protocol::encode(&message));
        post(&outbox, FromWorker::Event(Event::Ready));

        wasm_bindgen_futures::spawn_local(async move {
            let blocked = outbox.clone();
            let storage = Storage::open(DATABASE, move || {
                post(
                    &blocked,
                    FromWorker::Event(Event::StorageFailed(StorageError::Blocked.into())),
                );
            })
            .await;
            let mut shell = match storage {
                Ok(storage) => Shell::new(storage, outbox.clone(), link),
                Err(error) => {
                    let failure: protocol::StorageFailure = error.into();
                    post(
                        &outbox,
                        FromWorker::Event(Event::StorageFailed(failure.clone())),
                    );
                    while let Some(input) = incoming.next().await {
                        if let Input::Page { seq, .. } = input {
                            let result = Err(Failure::Storage(failure.clone()));
                            post(&outbox, FromWorker::Reply(Reply { seq, result }));
                        }
                    }
                    return;
                }
            };
            shell.start().await;
            while let Some(input) = incoming.next().await {
                shell.handle(input).await;
            }
        });
    }
}
