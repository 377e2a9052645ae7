//! The worker's WebSocket to the relay, the channel to other tabs and the clock: I/O only.
//! What arrives is handed to the core as an [`Input`]; what it means is the core's to decide.

use futures_channel::mpsc::UnboundedSender;
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, BroadcastChannel, MessageEvent, WebSocket};

use crate::core::{Input, RelayCall};
use crate::shell::warn;

/// How often the worker's clock ticks (presence heartbeats and expiry).
pub const TICK_MS: i32 = 5_000;

/// The first wait before reconnecting, doubled after each failure up to the longest.
const FIRST_RETRY_MS: f64 = 500.0;
const LONGEST_RETRY_MS: f64 = 30_000.0;

/// The connection to the relay, made again after every drop.
pub struct Link {
    url: String,
    /// The capabilities presented, as the sync URL's query (`access=…&access=…`).
    access: String,
    inputs: UnboundedSender<Input>,
    socket: Option<WebSocket>,
    failures: u32,
    tabs: Option<BroadcastChannel>,
    // The socket's and channel's handlers live as long as they do.
    handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn send_input(inputs: &UnboundedSender<Input>, input: Input) {
    // The receiver lives as long as the worker.
    let _ = inputs.unbounded_send(input);
}

impl Link {
    /// A link to the relay that served the app: `/sync` on the same host.
    pub fn new(inputs: UnboundedSender<Input>) -> Self {
        let url = home_relay();
        let mut link = Self {
            url,
            access: String::new(),
            inputs,
            socket: None,
            failures: 0,
            tabs: None,
            handlers: Vec::new(),
        };
        link.listen_to_tabs();
        link.start_clock();
        link
    }

    fn start_clock(&self) {
        let inputs = self.inputs.clone();
        let tick = Closure::<dyn Fn()>::new(move || send_input(&inputs, Input::Tick));
        call_timer("setInterval", tick.as_ref(), TICK_MS);
        // The clock runs as long as the worker.
        tick.forget();
    }

    fn listen_to_tabs(&mut self) {
        let Ok(channel) = BroadcastChannel::new("cohort-changes") else {
            return;
        };
        let inputs = self.inputs.clone();
        let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            if let Ok(event) = event.dyn_into::<MessageEvent>() {
                send_input(
                    &inputs,
                    Input::FromTab(Uint8Array::new(&event.data()).to_vec()),
                );
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        self.handlers.push(on_message);
        self.tabs = Some(channel);
    }

    /// Syncs through this relay from the next connection on, or through the home relay.
    pub fn set_url(&mut self, url: Option<String>) {
        self.url = url.unwrap_or_else(home_relay);
    }

    /// Presents these capabilities from the next connection on.
    pub fn set_access(&mut self, query: String) {
        self.access = query;
    }

    /// The sync URL with the capabilities in its query: what any automerge-repo client can
    /// present (relay/src/sync.rs).
    fn sync_url(&self) -> String {
        if self.access.is_empty() {
            self.url.clone()
        } else {
            let joiner = if self.url.contains('?') { '&' } else { '?' };
            format!("{}{joiner}{}", self.url, self.access)
        }
    }

    /// Makes an HTTP request of the relay this link syncs with; the answer comes back as
    /// [`Input::Fetched`].
    pub fn fetch(&self, seq: u32, call: RelayCall) {
        let base = http_base(&self.url);
        let inputs = self.inputs.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = fetch(&base, &call)
                .await
                .map_err(|error| format!("{error:?}"));
            send_input(&inputs, Input::Fetched { seq, result });
        });
    }

    /// Tells the other tabs of this browser about changes. They would get them from storage
    /// on their next open anyway, so a failure is only logged.
    pub fn tell_tabs(&self, message: &[u8]) {
        if let Some(tabs) = &self.tabs
            && let Err(error) = tabs.post_message(&Uint8Array::from(message))
        {
            warn(&format!("could not tell the other tabs: {error:?}"));
        }
    }

    /// Opens the socket; its events arrive as [`Input`]s.
    pub fn connect(&mut self) {
        self.drop_socket();
        let socket = match WebSocket::new(&self.sync_url()) {
            Ok(socket) => socket,
            Err(_) => return self.closed(),
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        let handler = |inputs: UnboundedSender<Input>,
                       make: fn(web_sys::Event) -> Option<Input>| {
            Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                if let Some(event) = make(event) {
                    send_input(&inputs, event);
                }
            })
        };
        let on_open = handler(self.inputs.clone(), |_| Some(Input::Opened));
        let on_message = handler(self.inputs.clone(), |event| {
            let data = event.dyn_into::<MessageEvent>().ok()?.data();
            let buffer = data.dyn_into::<ArrayBuffer>().ok()?;
            Some(Input::Frame(Uint8Array::new(&buffer).to_vec()))
        });
        let on_close = handler(self.inputs.clone(), |_| Some(Input::Closed));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.handlers.extend([on_open, on_message, on_close]);
        self.socket = Some(socket);
    }

    fn drop_socket(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.set_onopen(None);
            socket.set_onmessage(None);
            socket.set_onclose(None);
            let _ = socket.close();
        }
        // Keep only the tab channel's handler.
        self.handlers.truncate(usize::from(self.tabs.is_some()));
    }

    pub fn send(&self, frame: &[u8]) {
        // A frame that cannot be sent is not lost: the core's sync state resends what the relay
        // lacks after the reconnect that a broken socket leads to.
        if let Some(socket) = &self.socket
            && socket.ready_state() == WebSocket::OPEN
            && let Err(error) = socket.send_with_u8_array(frame)
        {
            warn(&format!("could not send to the relay: {error:?}"));
        }
    }

    /// Closes the connection without retrying: the browser is offline.
    pub fn disconnect(&mut self) {
        self.drop_socket();
        self.failures = 0;
    }

    /// The connection held: the next drop starts the backoff afresh.
    pub fn connection_held(&mut self) {
        self.failures = 0;
    }

    /// Drops the socket (after an error or a protocol violation) and schedules a retry.
    pub fn closed(&mut self) {
        self.drop_socket();
        // Exponential backoff with full jitter, so that clients dropped together by a relay
        // restart do not all come back at the same moment.
        let ceiling =
            (FIRST_RETRY_MS * 2f64.powi(self.failures.min(16) as i32)).min(LONGEST_RETRY_MS);
        let wait = ceiling * (0.5 + js_sys::Math::random() / 2.0);
        self.failures += 1;
        let inputs = self.inputs.clone();
        let retry = Closure::once_into_js(move || send_input(&inputs, Input::Retry));
        call_timer("setTimeout", &retry, wait as i32);
    }
}

/// The relay that served the app: `/sync` on the same host.
fn home_relay() -> String {
    let location = property(&js_sys::global(), "location");
    let text = |name| property(&location, name).as_string().unwrap_or_default();
    let scheme = if text("protocol") == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{}/sync", text("host"))
}

/// The relay's HTTP root for its sync URL: `ws://host/sync` → `http://host`.
fn http_base(sync_url: &str) -> String {
    let (scheme, rest) = sync_url.split_once("://").unwrap_or(("ws", sync_url));
    let scheme = if scheme == "wss" { "https" } else { "http" };
    let host = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// One request of the relay's API: its status and body.
async fn fetch(base: &str, call: &RelayCall) -> Result<(u16, Vec<u8>), JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(call.method);
    let headers = web_sys::Headers::new()?;
    if let Some(bearer) = &call.bearer {
        headers.set("Authorization", &format!("Bearer {bearer}"))?;
    }
    if let Some(body) = &call.body {
        headers.set("Content-Type", "application/json")?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&format!("{base}{}", call.path), &init)?;
    let global = js_sys::global();
    let fetch = property(&global, "fetch").dyn_into::<js_sys::Function>()?;
    let promise = js_sys::Promise::from(fetch.call1(&global, &request)?);
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(promise)
        .await?
        .dyn_into()?;
    let body = wasm_bindgen_futures::JsFuture::from(response.array_buffer()?).await?;
    Ok((response.status(), Uint8Array::new(&body).to_vec()))
}

/// A property of a JavaScript object, `undefined` if it has none. Read by name, so the link
/// works in a worker and in a window (the browser tests run the engine in a page).
fn property(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Calls the global `setTimeout` or `setInterval`.
fn call_timer(name: &str, callback: &JsValue, ms: i32) {
    let global = js_sys::global();
    if let Ok(timer) = property(&global, name).dyn_into::<js_sys::Function>() {
        let _ = timer.call2(&global, callback, &ms.into());
    }
}
