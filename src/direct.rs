//! Direct connections to other browsers: WebRTC data channels, held by the page because
//! Chromium has no `RTCPeerConnection` in workers. The worker decides whom to dial and syncs
//! over each channel; this module only connects, carries frames both ways, and says when a
//! channel opens or is lost (docs/sync.md, "Direct connections").
//!
//! Descriptions are sent whole (ICE gathering finished), never trickled: the same offer serves
//! the relay's signalling and a pairing code.
//!
//! A frame goes as messages of at most [`FRAGMENT_BYTES`], each led by one byte that says
//! whether the frame ends with it: a data channel takes messages of 256 KiB at most in
//! Chromium, and the first sync of a large group is megabytes. Hand-written, since it is a
//! byte and a loop. Sending stops while a channel's buffer holds [`BUFFERED_BYTES`] (Chromium
//! closes a channel whose buffer overflows) and goes on when it drains.
//!
//! Each side sends a one-byte keep-alive every [`KEEP_ALIVE_MS`], and a channel nothing came
//! through for [`LOST_MS`] is lost: a peer that vanished (a phone gone out of range, a frozen
//! tab, a killed browser) is then noticed in a known time, whatever ICE's own consent checks
//! take in that browser.

use std::collections::{HashMap, VecDeque};

use cohort_model::protocol::{Direct, DirectSignal, Request};
use cohort_sync::signal::IceServer;
use futures_channel::oneshot;
use js_sys::{ArrayBuffer, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelType,
    RtcIceGatheringState, RtcIceServer, RtcPeerConnection, RtcPeerConnectionState, RtcSdpType,
    RtcSessionDescriptionInit,
};

use crate::state::{AppState, keep, stored};

/// The largest piece of a frame sent as one data-channel message (with its leading byte).
const FRAGMENT_BYTES: usize = 64 << 10;
/// Sending waits while a channel's buffer holds this much.
const BUFFERED_BYTES: u32 = 1 << 20;
/// The largest frame put together from pieces; a peer sending more is cut off.
const MAX_FRAME_BYTES: usize = 64 << 20;
/// How often an open channel says it is alive, and after how long without a word it is lost.
const KEEP_ALIVE_MS: i32 = 2_000;
const LOST_MS: f64 = 7_000.0;
/// The first byte of each message: a frame goes on, ends, or this is a keep-alive.
const MORE: u8 = 0;
const LAST: u8 = 1;
const ALIVE: u8 = 2;
/// How long ICE gathering may take before the description is sent with what it has (a STUN
/// server that does not answer must not hold the connection up).
const GATHER_MS: i32 = 5_000;
/// Where the ICE servers set in the settings are kept, one a line ([`IceServer`]).
pub const ICE_SERVERS_KEY: &str = "cohort-ice-servers";

/// The page's direct connections, by channel number.
#[derive(Default)]
pub struct Connections {
    next_channel: u32,
    open: HashMap<u32, Connection>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("channels", &self.open.keys().collect::<Vec<_>>())
            .finish()
    }
}

struct Connection {
    pc: RtcPeerConnection,
    data: Option<RtcDataChannel>,
    /// The peer id it connects to (empty when paired by code), and the attempt: an answer
    /// must name both.
    peer: String,
    call: u64,
    /// The organizer's name there, as far as this side knows it.
    name: String,
    /// Whether the remote description is set (an answer is taken once).
    answered: bool,
    /// Pieces waiting for room in the channel's buffer.
    outbox: VecDeque<Vec<u8>>,
    /// The frame being put together from pieces.
    inbox: Vec<u8>,
    /// When anything last came through the open channel (`Date.now()`; 0 until it opens).
    heard_at: f64,
    /// The keep-alive's timer.
    timer: Option<i32>,
    // The handlers live as long as the connection.
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// How a connection came about: who makes the offer, and to whom.
pub struct Call {
    pub peer: String,
    pub call: u64,
    /// The organizer's name there.
    pub name: String,
    pub offered: bool,
}

/// A random attempt number (53 bits: exact in JavaScript).
pub fn new_call() -> u64 {
    (js_sys::Math::random() * (1u64 << 53) as f64) as u64
}

/// The ICE servers set in the settings, as `RTCConfiguration.iceServers`.
fn ice_servers() -> js_sys::Array {
    let servers = js_sys::Array::new();
    for server in IceServer::parse_all(&stored(ICE_SERVERS_KEY)).unwrap_or_default() {
        let ice = RtcIceServer::new();
        ice.set_urls_str(&server.url);
        if let Some((user, credential)) = &server.login {
            ice.set_username(user);
            ice.set_credential(credential);
        }
        servers.push(&ice);
    }
    servers
}

/// Keeps the ICE servers for connections made from now on, if every line is one
/// ([`IceServer`]); else the first line that is not.
pub fn set_ice_servers(text: &str) -> Result<String, String> {
    let servers = IceServer::parse_all(text)?;
    let lines: Vec<String> = servers.iter().map(IceServer::line).collect();
    let kept = lines.join("\n");
    keep(ICE_SERVERS_KEY, &kept);
    Ok(kept)
}

/// The ICE servers as set in the settings.
pub fn kept_ice_servers() -> String {
    stored(ICE_SERVERS_KEY)
}

/// A new peer connection and its channel number; its handlers tell the worker what happens.
/// The side that offers makes the data channel; the other is given it.
pub fn connect(app: AppState, call: Call) -> Result<(u32, RtcPeerConnection), JsValue> {
    let config = RtcConfiguration::new();
    config.set_ice_servers(&ice_servers());
    let pc = RtcPeerConnection::new_with_configuration(&config)?;
    let channel = app.direct_connections.with_value(|c| c.next_channel);
    app.direct_connections.update_value(|c| c.next_channel += 1);
    let mut handlers = Vec::new();
    let on_state = Closure::<dyn FnMut(JsValue)>::new({
        let pc = pc.clone();
        move |_| {
            // "disconnected" is ICE's consent check failing for a few seconds: the channel
            // is gone for all the page can do, and the worker dials again.
            if matches!(
                pc.connection_state(),
                RtcPeerConnectionState::Failed
                    | RtcPeerConnectionState::Disconnected
                    | RtcPeerConnectionState::Closed
            ) {
                close(app, channel);
            }
        }
    });
    pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
    handlers.push(on_state);
    let on_tick = Closure::<dyn FnMut(JsValue)>::new(move |_| keep_alive(app, channel));
    let timer = window()
        .set_interval_with_callback_and_timeout_and_arguments_0(
            on_tick.as_ref().unchecked_ref(),
            KEEP_ALIVE_MS,
        )
        .ok();
    handlers.push(on_tick);
    let offered = call.offered;
    let data = if offered {
        let data = pc.create_data_channel("cohort");
        handlers.extend(channel_handlers(app, channel, &data, true));
        Some(data)
    } else {
        let on_channel = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Ok(event) = event.dyn_into::<RtcDataChannelEvent>() else {
                return;
            };
            let data = event.channel();
            let handlers = channel_handlers(app, channel, &data, false);
            app.direct_connections.update_value(|c| {
                if let Some(connection) = c.open.get_mut(&channel) {
                    connection.data = Some(data);
                    connection._handlers.extend(handlers);
                }
            });
        });
        pc.set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));
        handlers.push(on_channel);
        None
    };
    let connection = Connection {
        pc: pc.clone(),
        data,
        peer: call.peer,
        call: call.call,
        name: call.name,
        answered: !offered,
        outbox: VecDeque::new(),
        inbox: Vec::new(),
        heard_at: 0.0,
        timer,
        _handlers: handlers,
    };
    app.direct_connections.update_value(|c| {
        c.open.insert(channel, connection);
    });
    Ok((channel, pc))
}

fn channel_handlers(
    app: AppState,
    channel: u32,
    data: &RtcDataChannel,
    offered: bool,
) -> Vec<Closure<dyn FnMut(JsValue)>> {
    data.set_binary_type(RtcDataChannelType::Arraybuffer);
    data.set_buffered_amount_low_threshold(BUFFERED_BYTES / 4);
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        let name = app
            .direct_connections
            .try_update_value(|c| {
                let connection = c.open.get_mut(&channel)?;
                connection.heard_at = js_sys::Date::now();
                Some(connection.name.clone())
            })
            .flatten()
            .unwrap_or_default();
        tell(
            app,
            Direct::Opened {
                channel,
                offered,
                name,
            },
        );
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let Some(piece) = event
            .dyn_into::<MessageEvent>()
            .ok()
            .and_then(|event| event.data().dyn_into::<ArrayBuffer>().ok())
        else {
            return;
        };
        received(app, channel, &Uint8Array::new(&piece).to_vec());
    });
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| close(app, channel));
    let on_low = Closure::<dyn FnMut(JsValue)>::new(move |_| pump(app, channel));
    data.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    data.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    data.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    data.set_onbufferedamountlow(Some(on_low.as_ref().unchecked_ref()));
    vec![on_open, on_message, on_close, on_low]
}

/// Says this side is alive, or finds the channel lost.
fn keep_alive(app: AppState, channel: u32) {
    let silent = app.direct_connections.with_value(|c| {
        let connection = c.open.get(&channel)?;
        let data = connection.data.as_ref()?;
        if connection.heard_at == 0.0 {
            // Not open yet.
            return Some(false);
        }
        if js_sys::Date::now() - connection.heard_at > LOST_MS {
            return Some(true);
        }
        // Behind a full buffer the peer hears the frames instead.
        if connection.outbox.is_empty() && data.buffered_amount() < BUFFERED_BYTES {
            let _ = data.send_with_u8_array(&[ALIVE]);
        }
        Some(false)
    });
    if silent == Some(true) {
        close(app, channel);
    }
}

fn tell(app: AppState, direct: Direct) {
    app.tell(Request::Direct(direct));
}

/// A piece of a frame arrived: the frame goes to the worker once it is whole.
fn received(app: AppState, channel: u32, piece: &[u8]) {
    let Some((&kind, bytes)) = piece.split_first() else {
        return;
    };
    let frame = app.direct_connections.try_update_value(|c| {
        let connection = c.open.get_mut(&channel)?;
        connection.heard_at = js_sys::Date::now();
        if kind == ALIVE {
            return None;
        }
        connection.inbox.extend_from_slice(bytes);
        if connection.inbox.len() > MAX_FRAME_BYTES {
            return Some(Err(()));
        }
        (kind == LAST).then(|| Ok(std::mem::take(&mut connection.inbox)))
    });
    match frame.flatten() {
        Some(Ok(frame)) => tell(app, Direct::Frame { channel, frame }),
        Some(Err(())) => close(app, channel),
        None => {}
    }
}

/// Sends a frame on the channel, in pieces.
pub fn send(app: AppState, channel: u32, frame: &[u8]) {
    app.direct_connections.update_value(|c| {
        if let Some(connection) = c.open.get_mut(&channel) {
            let pieces = frame.chunks(FRAGMENT_BYTES - 1);
            let count = pieces.len();
            for (n, bytes) in pieces.enumerate() {
                let mut piece = Vec::with_capacity(bytes.len() + 1);
                piece.push(if n + 1 == count { LAST } else { MORE });
                piece.extend_from_slice(bytes);
                connection.outbox.push_back(piece);
            }
        }
    });
    pump(app, channel);
}

/// Sends what waits while the channel's buffer has room.
fn pump(app: AppState, channel: u32) {
    let failed = app.direct_connections.try_update_value(|c| {
        let connection = c.open.get_mut(&channel)?;
        let data = connection.data.as_ref()?;
        if data.ready_state() != web_sys::RtcDataChannelState::Open {
            return None;
        }
        while data.buffered_amount() < BUFFERED_BYTES {
            let Some(piece) = connection.outbox.pop_front() else {
                break;
            };
            if data.send_with_u8_array(&piece).is_err() {
                return Some(());
            }
        }
        None
    });
    if failed.flatten().is_some() {
        close(app, channel);
    }
}

/// Closes the channel (lost, asked for by the worker, or a peer that misbehaved); the worker
/// is told, once.
pub fn close(app: AppState, channel: u32) {
    if forget(app, channel) {
        tell(app, Direct::Closed { channel });
    }
}

/// Closes and forgets the connection; false if it was not open.
fn forget(app: AppState, channel: u32) -> bool {
    let connection = app
        .direct_connections
        .try_update_value(|c| c.open.remove(&channel))
        .flatten();
    let Some(connection) = connection else {
        return false;
    };
    connection.pc.set_onconnectionstatechange(None);
    if let Some(timer) = connection.timer {
        window().clear_interval_with_handle(timer);
    }
    if let Some(data) = &connection.data {
        data.set_onclose(None);
        data.close();
    }
    connection.pc.close();
    true
}

/// Resolves once ICE gathering is complete, or after [`GATHER_MS`].
async fn gathered(pc: &RtcPeerConnection) {
    if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
        return;
    }
    let (done, finished) = oneshot::channel::<()>();
    let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
    let finish = {
        let done = done.clone();
        move || {
            if let Some(done) = done.borrow_mut().take() {
                let _ = done.send(());
            }
        }
    };
    let on_change = Closure::<dyn FnMut(JsValue)>::new({
        let (pc, finish) = (pc.clone(), finish.clone());
        move |_| {
            if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
                finish();
            }
        }
    });
    pc.set_onicegatheringstatechange(Some(on_change.as_ref().unchecked_ref()));
    let timeout = Closure::<dyn FnMut()>::new(finish);
    let timer = window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            timeout.as_ref().unchecked_ref(),
            GATHER_MS,
        )
        .ok();
    let _ = finished.await;
    pc.set_onicegatheringstatechange(None);
    if let Some(timer) = timer {
        window().clear_timeout_with_handle(timer);
    }
}

/// The local description once set and gathered: an offer, or the answer to `offer`.
pub async fn describe(pc: &RtcPeerConnection, offer: Option<&str>) -> Result<String, JsValue> {
    let description = match offer {
        None => JsFuture::from(pc.create_offer()).await?,
        Some(sdp) => {
            let remote = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
            remote.set_sdp(sdp);
            JsFuture::from(pc.set_remote_description(&remote)).await?;
            JsFuture::from(pc.create_answer()).await?
        }
    };
    JsFuture::from(pc.set_local_description(description.unchecked_ref())).await?;
    gathered(pc).await;
    pc.local_description()
        .map(|description| description.sdp())
        .ok_or_else(|| JsValue::from_str("no local description"))
}

/// Takes the answer to the offer this connection made, if it is for it and the first, from
/// the organizer called `name` (empty: as the offer knew it).
pub async fn take_answer(
    app: AppState,
    peer: &str,
    call: u64,
    sdp: &str,
    name: &str,
) -> Result<bool, JsValue> {
    let pc = app
        .direct_connections
        .try_update_value(|c| {
            let connection = c
                .open
                .values_mut()
                .find(|c| c.peer == peer && c.call == call && !c.answered)?;
            connection.answered = true;
            if !name.is_empty() {
                connection.name = name.to_owned();
            }
            Some(connection.pc.clone())
        })
        .flatten();
    let Some(pc) = pc else {
        return Ok(false);
    };
    let remote = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    remote.set_sdp(sdp);
    JsFuture::from(pc.set_remote_description(&remote)).await?;
    Ok(true)
}

/// Connects as `call` says, and sends its description (an offer, or the answer to `offer`)
/// through the relay.
fn connect_and_signal(app: AppState, call: Call, offer: Option<String>) {
    let (peer, number, offered) = (call.peer.clone(), call.call, call.offered);
    let Ok((channel, pc)) = connect(app, call) else {
        return;
    };
    leptos::task::spawn_local(async move {
        match describe(&pc, offer.as_deref()).await {
            Ok(sdp) => {
                let signal = DirectSignal {
                    peer,
                    call: number,
                    offer: offered,
                    sdp,
                };
                tell(app, Direct::Signal(signal));
            }
            Err(error) => {
                warn("a description", &error);
                close(app, channel);
            }
        }
    });
}

/// The worker asks to dial a peer it heard through the relay: offer, through the relay.
pub fn dial(app: AppState, peer: String, name: String) {
    let call = Call {
        peer,
        call: new_call(),
        name,
        offered: true,
    };
    connect_and_signal(app, call, None);
}

/// An offer or answer arrived through the relay.
pub fn signalled(app: AppState, name: String, signal: DirectSignal) {
    let DirectSignal {
        peer,
        call,
        offer,
        sdp,
    } = signal;
    if offer {
        let call = Call {
            peer,
            call,
            name,
            offered: false,
        };
        return connect_and_signal(app, call, Some(sdp));
    }
    leptos::task::spawn_local(async move {
        if let Err(error) = take_answer(app, &peer, call, &sdp, "").await {
            warn("an answer", &error);
        }
    });
}

/// What a browser API's error says: an `Error`'s message (a `DOMException` is one), or the
/// value as it is.
pub fn error_text(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

fn warn(what: &str, error: &JsValue) {
    web_sys::console::warn_2(
        &format!("Cohort: a direct connection, {what}:").into(),
        error,
    );
}
