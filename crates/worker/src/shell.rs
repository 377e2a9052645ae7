//! The worker's imperative shell: runs the [`Core`] and carries out what it asks, with
//! IndexedDB, the relay's WebSocket, the other tabs' channel and the page's `postMessage`.
//! Nothing here decides anything the core could: it is tested natively, this is not.

use std::collections::VecDeque;
use std::rc::Rc;

use cohort_model::automerge::Automerge;
use cohort_model::protocol::{self, Answer, Failure, FromWorker, Reply, Request};

use crate::core::{Core, Input, Output, chunk_bytes};
use crate::link::Link;
use crate::storage::Storage;

/// Sends an encoded [`FromWorker`] message to the page.
pub type Outbox = Rc<dyn Fn(Vec<u8>)>;

/// The core with its I/O.
pub struct Shell {
    core: Core,
    storage: Storage,
    outbox: Outbox,
    link: Link,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

impl Shell {
    pub fn new(storage: Storage, outbox: Outbox, link: Link) -> Self {
        let seed = (js_sys::Math::random() * 2f64.powi(53)) as u64;
        Self {
            core: Core::new(seed),
            storage,
            outbox,
            link,
        }
    }

    /// Starts syncing with the relay.
    pub async fn start(&mut self) {
        let outputs = self.core.start(now_millis());
        self.carry_out(outputs).await;
    }

    /// Acts on one input, and on every storage result it leads to, before the next input: the
    /// core's storage operations run one at a time, in its order.
    pub async fn handle(&mut self, input: Input) {
        if let Input::Page {
            seq,
            request: Request::MeasureBareLoad { id },
        } = input
        {
            let result = self.measure_bare_load(id).await;
            return self.post(&FromWorker::Reply(Reply { seq, result }));
        }
        let outputs = self.core.handle(input, now_millis());
        self.carry_out(outputs).await;
    }

    async fn carry_out(&mut self, outputs: Vec<Output>) {
        let mut outputs = VecDeque::from(outputs);
        while let Some(output) = outputs.pop_front() {
            match output {
                Output::Post(message) => (self.outbox)(message),
                Output::Send(frame) => self.link.send(&frame),
                Output::TellTabs(message) => self.link.tell_tabs(&message),
                Output::Connect => self.link.connect(),
                Output::Disconnect => self.link.disconnect(),
                Output::Reconnect => self.link.closed(),
                Output::ConnectionHeld => self.link.connection_held(),
                Output::SetRelay(url) => self.link.set_url(url),
                Output::Storage(ticket, op) => {
                    let result = self.storage.run(op).await.map_err(Into::into);
                    let input = Input::Stored { ticket, result };
                    outputs.extend(self.core.handle(input, now_millis()));
                }
                Output::Warn(message) => warn(&message),
                Output::SetAccess(query) => self.link.set_access(query),
                Output::Fetch { seq, call } => self.link.fetch(seq, call),
                Output::Yield => outputs.extend(self.core.handle(Input::Resume, now_millis())),
            }
        }
    }

    fn post(&self, message: &FromWorker) {
        (self.outbox)(protocol::encode(message));
    }

    /// Benchmark: times bare `Automerge::load` of a group's stored bytes.
    async fn measure_bare_load(&self, id: cohort_model::GroupId) -> Result<Answer, Failure> {
        let bytes = chunk_bytes(self.storage.read_chunks(&id).await?);
        let started = now();
        Automerge::load(&bytes).map_err(|e| Failure::Document(e.to_string()))?;
        Ok(Answer::Measured(now() - started))
    }
}

impl From<crate::storage::StorageError> for Failure {
    fn from(error: crate::storage::StorageError) -> Self {
        Failure::Storage(error.into())
    }
}

/// Logs what went wrong that nobody asked about.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&format!("Cohort worker: {message}").into());
}

/// Milliseconds since the Unix epoch.
fn now_millis() -> cohort_model::Millis {
    js_sys::Date::now() as cohort_model::Millis
}

/// Milliseconds from the page's time origin, in a worker or a window.
fn now() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|performance| {
            wasm_bindgen::JsCast::dyn_into::<web_sys::Performance>(performance).ok()
        })
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}
