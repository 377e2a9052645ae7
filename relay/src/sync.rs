//! `/sync`: the automerge-repo WebSocket endpoint, driving the sans-IO engine with tokio.
//!
//! The documents are split into shards by id, each a task that owns a [`Hub`] for its
//! documents, so that loading, saving or first-syncing one large group holds up only its
//! shard, and the shards run on all the runtime's threads. Each connection has a task that
//! does the handshake and the per-connection limits itself ([`Front`]), hands each document
//! message to its document's shard (registering with a shard the first time), and turns the
//! shards' frames back into WebSocket messages. Reads and writes of documents run on the
//! blocking pool and report back to their shard as events.
//!
//! A connection presents its capabilities in the URL's query (`/sync?access=<document>.<secret>`,
//! repeated), the one place any automerge-repo client can put them: the JS client takes the
//! URL as given. The engine task checks them when the connection opens, so a revocation it
//! handles before that open is seen by it, and one after it closes the connection.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cohort_sync::automerge::{Automerge, AutomergeError};
use cohort_sync::front::{ByteRate, Front, Joined, Step};
use cohort_sync::hub::{self, ConnectionId, FirstSync, Hub, Output, Stored, Ticket, Write};
use cohort_sync::{DocumentId, Message};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tracing::warn;

use crate::access::{AccessStore, Capability, Check, Guesses, unix_now};
use crate::low_priority;
use crate::memory;
use crate::storage::DiskStore;

/// The limits of the sync endpoint.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    /// How many engine shards the documents are split into.
    pub shards: usize,
    /// How long a connection may go with nothing heard from its peer and none of our frames
    /// getting through before it is closed.
    pub stalled: Duration,
    /// Most bytes that may wait in one connection's outbox (see [`Outbox::push`]).
    pub max_bytes_in_flight: usize,
    /// Most bytes waiting to be sent to all connections (see [`OutputBudget`]).
    pub max_pending_output_bytes: usize,
    pub engine: hub::Config,
}

/// How many frames may wait to be sent to one connection; a peer that falls this far behind
/// is too slow to keep and is closed.
const OUTBOX_FRAMES: usize = 512;

/// Frames up to this size are sent as one piece even when their head and body are apart: a
/// copy this small costs less than a second fragment on the wire.
const JOIN_BYTES: usize = 64 << 10;

/// How long the engine may take to answer `/healthz` before it is reported stuck.
const ENGINE_ANSWER: Duration = Duration::from_secs(2);

/// Frames larger than this go out in fragments of this size (one WebSocket message). A
/// WebSocket's write buffer keeps the capacity of the largest frame it ever wrote, so a
/// connection sent a 20 MB group in one frame kept 20 MB for as long as it stayed open.
const FRAGMENT_BYTES: usize = 256 << 10;

/// How long a closing connection may take to send its close frame to a peer that is slow.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Events for documents this large in storage, or messages this large, are handled off the
/// runtime's queue (see `Engine::is_heavy`).
const HEAVY_BYTES: u64 = 1 << 20;

/// Automerge's load of the stored `bytes`: a large group's as idle work ([`low_priority`]), a
/// small one's where it is (a thread of its own would cost more than it saves).
fn loaded_at_its_priority(bytes: &[u8]) -> Result<Automerge, AutomergeError> {
    if bytes.len() as u64 >= HEAVY_BYTES {
        low_priority::run(|| hub::load_stored(bytes))
    } else {
        hub::load_stored(bytes)
    }
}

/// How many document reads and writes run at once: half of the runtime's blocking threads
/// (`main.rs`), so that a crowd reconnecting after a restart, whose groups are all read at once,
/// leaves threads free for serving the app's files.
const STORAGE_JOBS: usize = 4;

enum Event {
    /// A connection names a document of this shard for the first time.
    Open {
        peer: Peer,
        /// Who joined: its peer id, storage id and heads subscriptions so far.
        joined: Joined,
        id: oneshot::Sender<ConnectionId>,
        /// The capabilities it presented for this shard's documents.
        capabilities: Vec<Capability>,
        address: IpAddr,
    },
    Message(ConnectionId, Message),
    Closed(ConnectionId),
    /// Boxed: a loaded document is large, and events are moved through channels.
    Loaded(DocumentId, Box<Result<Option<Stored>, String>>),
    Stored(DocumentId, Ticket, Result<(), String>),
    Denied(ConnectionId, DocumentId),
    /// The group was protected (its first owner link is stored).
    Protected(DocumentId),
    /// A link was revoked (and the revocation stored): cut the connections that opened with it.
    Revoked {
        document: DocumentId,
        link: String,
    },
    /// The group was marked deleted (and that stored): delete its files, then answer.
    Delete {
        document: DocumentId,
        done: oneshot::Sender<Result<(), String>>,
    },
    Deleted(DocumentId, Result<(), String>),
    FirstSyncBuilt(DocumentId, FirstSync),
    /// Answers once the engine handles it: for `/healthz`.
    Alive(oneshot::Sender<()>),
}

/// A grant a connection holds, for cutting it when its link is revoked or expires.
struct Held {
    document: DocumentId,
    link: String,
    expires_at: Option<u64>,
}

/// One frame of the protocol to send: `head` and then `body`. Their bytes are counted against
/// the relay's [`OutputBudget`] until the last frame holding them is sent; a body shared by
/// many frames (a change for every peer in sync, a group's first sync, an ephemeral message)
/// is one allocation, counted once.
struct Queued {
    head: Bytes,
    body: Bytes,
}

impl Queued {
    fn len(&self) -> usize {
        self.head.len() + self.body.len()
    }
}

enum Outgoing {
    Send(Queued),
    Close(String),
}

/// A connection's queue of frames, and the bytes waiting in it.
#[derive(Clone)]
struct Outbox {
    frames: mpsc::Sender<Outgoing>,
    /// Bytes queued and not yet taken by the connection's writer.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

impl Outbox {
    /// Queues a frame, or says why not: more than [`OUTBOX_FRAMES`] frames, or more than the
    /// connection's limit in bytes, would wait. A frame always fits when nothing waits, so a
    /// frame larger than the limit (a large group's first sync) is sent to a peer keeping up.
    /// An ephemeral frame has half of each, so that presence never fills the room a change
    /// needs.
    fn push(&self, frame: Queued, ephemeral: bool) -> Result<(), String> {
        let len = frame.len();
        let share = if ephemeral { 2 } else { 1 };
        let waiting = self.waiting.fetch_add(len, Ordering::Relaxed);
        let refusal = if waiting > 0 && waiting + len > self.max_waiting / share {
            Some(format!("too slow: {waiting} bytes waited for it"))
        } else if ephemeral && self.frames.capacity() < OUTBOX_FRAMES / 2 {
            Some("too slow: half its frames waited".to_owned())
        } else {
            self.frames
                .try_send(Outgoing::Send(frame))
                .err()
                .map(|_| format!("too slow: {OUTBOX_FRAMES} frames waited for it"))
        };
        if refusal.is_some() {
            self.waiting.fetch_sub(len, Ordering::Relaxed);
        }
        refusal.map_or(Ok(()), Err)
    }

    /// The writer took a frame off the queue.
    fn taken(&self, frame: &Queued) {
        self.waiting.fetch_sub(frame.len(), Ordering::Relaxed);
    }
}

/// The bytes waiting to be sent to all connections, and their limit: what the relay holds for
/// peers slower than its writers is bounded as a whole, whatever the number of connections.
#[derive(Debug)]
pub struct OutputBudget {
    used: AtomicUsize,
    limit: usize,
}

/// Bytes counted in an [`OutputBudget`] until dropped (once sent to every peer they were for).
struct Pending<T: AsRef<[u8]>> {
    bytes: T,
    budget: Arc<OutputBudget>,
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Pending<T> {
    fn as_ref(&self) -> &[u8] {
        self.bytes.as_ref()
    }
}

impl<T: AsRef<[u8]>> Drop for Pending<T> {
    fn drop(&mut self) {
        self.budget
            .used
            .fetch_sub(self.bytes.as_ref().len(), Ordering::Relaxed);
    }
}

impl OutputBudget {
    fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            used: AtomicUsize::new(0),
            limit,
        })
    }

    /// Counts `bytes` as waiting, if they fit (or nothing else waits, so that one message
    /// larger than the budget still goes out when the relay is idle).
    fn reserve<T: AsRef<[u8]>>(self: &Arc<Self>, bytes: T) -> Option<Pending<T>> {
        let len = bytes.as_ref().len();
        let used = self.used.fetch_add(len, Ordering::Relaxed);
        if used > 0 && used + len > self.limit {
            self.used.fetch_sub(len, Ordering::Relaxed);
            return None;
        }
        Some(Pending {
            bytes,
            budget: self.clone(),
        })
    }

    /// As [`reserve`](Self::reserve), as bytes to send; nothing to count (a frame's empty
    /// head) costs no allocation.
    fn take<T>(self: &Arc<Self>, bytes: T) -> Option<Bytes>
    where
        T: AsRef<[u8]> + Send + 'static,
    {
        if bytes.as_ref().is_empty() {
            return Some(Bytes::new());
        }
        self.reserve(bytes).map(Bytes::from_owner)
    }

    /// Why a frame did not fit.
    fn refusal(&self) -> String {
        format!(
            "the relay has too much to send ({} MiB waiting); reconnect later",
            self.limit >> 20
        )
    }
}

/// A body shared by many frames, counted in the budget once for as long as any of them waits.
struct SharedBody(Arc<Pending<Arc<[u8]>>>);

impl AsRef<[u8]> for SharedBody {
    fn as_ref(&self) -> &[u8] {
        self.0.bytes.as_ref()
    }
}

/// A shard's way to a connection's task.
struct Peer {
    /// Frames, and a close after them, in order.
    outbox: Outbox,
    /// Closes the connection at once, whatever waits in its outbox: for a peer too slow to
    /// take its frames, whose outbox is full.
    cut: mpsc::Sender<String>,
}

impl Peer {
    /// Closes the connection after the frames already queued, or at once if none fit.
    fn close(self, reason: String) {
        if let Err(mpsc::error::TrySendError::Full(Outgoing::Close(reason))) =
            self.outbox.frames.try_send(Outgoing::Close(reason))
        {
            let _ = self.cut.try_send(reason);
        }
    }
}

/// How a connection ends: quietly (its socket broke or its peer closed it), or closed by the
/// relay with a reason, after a last frame for the peer if there is one.
enum Ending {
    Quietly,
    Close {
        reply: Option<Vec<u8>>,
        reason: String,
    },
}

impl Ending {
    fn close(reason: String) -> Self {
        Self::Close {
            reply: None,
            reason,
        }
    }
}

/// The endpoint's shared state: the way to each shard's task, and the groups' access.
#[derive(Clone, Debug)]
pub struct SyncService {
    shards: Arc<[mpsc::Sender<Event>]>,
    connections: Arc<AtomicUsize>,
    output: Arc<OutputBudget>,
    limits: Arc<Limits>,
    pub access: Arc<AccessStore>,
    pub guesses: Arc<Guesses>,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Event")
    }
}

/// The shards' tasks: one ends only if its engine panics, which must end the relay (with a
/// failing status, for a supervisor to restart it) rather than leave it serving without sync.
#[derive(Debug)]
pub struct EngineTask(Vec<tokio::task::JoinHandle<()>>);

impl EngineTask {
    /// Waits for a shard to stop, and says why.
    pub async fn stopped(self) -> std::io::Error {
        let (ended, ..) = futures_util::future::select_all(self.0).await;
        let why = match ended {
            Ok(()) => "it stopped".to_owned(),
            Err(error) if error.is_panic() => {
                let panic = error.into_panic();
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                format!("it panicked: {message}")
            }
            Err(error) => error.to_string(),
        };
        std::io::Error::other(format!("the sync engine failed ({why}); restart the relay"))
    }
}

impl SyncService {
    /// Starts the shards' tasks.
    pub fn start(
        store: DiskStore,
        access: AccessStore,
        guesses: Guesses,
        limits: Limits,
    ) -> (Self, EngineTask) {
        let shard_count = limits.shards.max(1);
        let (access, guesses) = (Arc::new(access), Arc::new(guesses));
        let (store, storage_jobs) = (Arc::new(store), Arc::new(Semaphore::new(STORAGE_JOBS)));
        let protected = access.protected();
        let output = OutputBudget::new(limits.max_pending_output_bytes);
        let mut shards = Vec::with_capacity(shard_count);
        let mut tasks = Vec::with_capacity(shard_count);
        for shard in 0..shard_count {
            let (events, inbox) = mpsc::channel(4096);
            let started = Instant::now();
            let clock_epoch_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| {
                    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
                });
            let mut hub = Hub::new(hub::Config {
                clock_epoch_ms,
                build_aside_bytes: HEAVY_BYTES,
                ..limits.engine.clone()
            });
            for document in &protected {
                if shard_of(document, shard_count) == shard {
                    hub.protect(document.clone(), 0);
                }
            }
            let engine = Engine {
                hub,
                access: access.clone(),
                guesses: guesses.clone(),
                held: HashMap::new(),
                deletes: HashMap::new(),
                store: store.clone(),
                storage_jobs: storage_jobs.clone(),
                peers: HashMap::new(),
                output: output.clone(),
                shared: HashMap::new(),
                events: events.clone(),
                started,
                hands_over: tokio::runtime::Handle::current().runtime_flavor()
                    == tokio::runtime::RuntimeFlavor::MultiThread,
                churned: false,
            };
            tasks.push(tokio::spawn(engine.run(inbox)));
            shards.push(events);
        }
        let service = Self {
            shards: shards.into(),
            connections: Arc::new(AtomicUsize::new(0)),
            output,
            limits: Arc::new(limits),
            access,
            guesses,
        };
        (service, EngineTask(tasks))
    }

    /// The shard that holds the document.
    fn shard(&self, document: &DocumentId) -> &mpsc::Sender<Event> {
        &self.shards[shard_of(document, self.shards.len())]
    }

    /// Whether every shard handles events: each answers within [`ENGINE_ANSWER`].
    pub async fn engine_answers(&self) -> bool {
        let asks = self.shards.iter().map(|shard| async move {
            let (answer, answered) = oneshot::channel();
            shard.send(Event::Alive(answer)).await.is_ok() && answered.await.is_ok()
        });
        tokio::time::timeout(ENGINE_ANSWER, futures_util::future::join_all(asks))
            .await
            .is_ok_and(|answers| answers.into_iter().all(|answered| answered))
    }

    /// Tells the engine the group was just protected.
    pub async fn protected(&self, document: DocumentId) {
        let _ = self.shard(&document).send(Event::Protected(document)).await;
    }

    /// Tells the engine a link was just revoked.
    pub async fn revoked(&self, document: DocumentId, link: String) {
        let _ = self
            .shard(&document)
            .send(Event::Revoked { document, link })
            .await;
    }

    /// Deletes the group's stored files once no write of it is in flight (the group must be
    /// marked deleted in the access store first).
    pub async fn delete(&self, document: DocumentId) -> Result<(), String> {
        let (done, result) = oneshot::channel();
        self.shard(&document)
            .send(Event::Delete { document, done })
            .await
            .map_err(|_| "the sync engine stopped".to_owned())?;
        result
            .await
            .unwrap_or_else(|_| Err("the sync engine stopped".to_owned()))
    }
}

/// The shard of a document: a hash of its id (random, so any hash spreads them evenly).
fn shard_of(document: &DocumentId, shards: usize) -> usize {
    // FNV-1a: stable across runs and platforms, unlike the standard library's hasher.
    let hash = document
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    (hash % shards as u64) as usize
}

/// The capabilities in a `/sync` query: every `access=` value that reads as one. Others are
/// left out; the engine counts the ones that name no live link.
fn capabilities(query: Option<&str>) -> Vec<Capability> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.strip_prefix("access="))
        .filter_map(Capability::parse)
        .collect()
}

/// The `/sync` route: upgrades to a WebSocket unless the relay is full.
///
/// The upgrade is done here over tokio-tungstenite rather than by axum's `WebSocketUpgrade`,
/// whose messages cannot be sent in fragments (see [`FRAGMENT_BYTES`]).
pub async fn sync_socket(
    State(service): State<SyncService>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    mut request: Request,
) -> Response {
    let Some(accept) = websocket_accept(request.headers()) else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            [(header::UPGRADE, "websocket")],
            "/sync speaks the automerge-repo protocol over a WebSocket",
        )
            .into_response();
    };
    let Some(upgrade) = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
    else {
        return (
            StatusCode::BAD_REQUEST,
            "this connection cannot be upgraded",
        )
            .into_response();
    };
    let capabilities = capabilities(query.as_deref());
    if capabilities.len() > service.limits.engine.max_documents_per_connection {
        return (StatusCode::BAD_REQUEST, "too many capabilities").into_response();
    }
    let address = peer.ip();
    if !service
        .guesses
        .allowed(address, capabilities.iter().map(|c| &c.document))
    {
        warn!(%address, "refused a connection: too many wrong links from it or for its groups");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many wrong links; try again in a minute",
        )
            .into_response();
    }
    if service.connections.load(Ordering::Relaxed) >= service.limits.max_connections {
        tracing::warn!(
            limit = service.limits.max_connections,
            "refused a connection: the relay is full"
        );
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    }
    let max_frame = service.limits.engine.max_frame_bytes;
    // Small buffers: most frames are a few hundred bytes, and memory per connection is what
    // limits how many organizers one relay serves.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(max_frame))
        .max_frame_size(Some(max_frame));
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                connection(socket, service, capabilities, address).await;
            }
            Err(error) => tracing::debug!(%address, %error, "a WebSocket upgrade failed"),
        }
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// The `Sec-WebSocket-Accept` answering a valid WebSocket upgrade request (RFC 6455, 4.2.1).
fn websocket_accept(headers: &HeaderMap) -> Option<HeaderValue> {
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|value| {
                value
                    .split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    let version_13 = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|version| version == "13");
    if !(has_token(header::CONNECTION, "upgrade")
        && has_token(header::UPGRADE, "websocket")
        && version_13)
    {
        return None;
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?;
    HeaderValue::from_str(&derive_accept_key(key.as_bytes())).ok()
}

/// Sends one frame of the protocol, `head` and then `body`: in one piece if it is small, else
/// in fragments (a large body is shared with other frames and never copied to join its head);
/// `taken` after each piece.
async fn send_frame<S>(sink: &mut S, frame: Queued, taken: impl Fn()) -> Result<(), S::Error>
where
    S: futures_util::Sink<WsMessage> + Unpin,
{
    let Queued { head, body } = frame;
    let (head, body) = if !head.is_empty() && head.len() + body.len() <= JOIN_BYTES {
        (Bytes::new(), Bytes::from([head, body].concat()))
    } else {
        (head, body)
    };
    if head.is_empty() && body.len() <= FRAGMENT_BYTES {
        sink.send(WsMessage::Binary(body)).await?;
        taken();
        return Ok(());
    }
    let pieces = std::iter::once(head).filter(|head| !head.is_empty()).chain(
        (0..body.len())
            .step_by(FRAGMENT_BYTES)
            .map(|start| body.slice(start..(start + FRAGMENT_BYTES).min(body.len()))),
    );
    let mut pieces = pieces.peekable();
    let mut first = true;
    while let Some(piece) = pieces.next() {
        let opcode = OpCode::Data(if first { Data::Binary } else { Data::Continue });
        let last = pieces.peek().is_none();
        sink.send(WsMessage::Frame(Frame::message(piece, opcode, last)))
            .await?;
        taken();
        first = false;
    }
    Ok(())
}

async fn connection(
    socket: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    service: SyncService,
    capabilities: Vec<Capability>,
    address: IpAddr,
) {
    let counted = Counted::new(&service.connections);
    let (frames, mut outgoing) = mpsc::channel(OUTBOX_FRAMES);
    let outbox = Outbox {
        frames,
        waiting: Arc::new(AtomicUsize::new(0)),
        max_waiting: service.limits.max_bytes_in_flight,
    };
    let (cut, mut cut_off) = mpsc::channel(1);
    let (mut sink, mut stream) = socket.split();
    // A connection is alive while its peer speaks or takes our frames. Pings make a quiet
    // peer speak; one that neither answers nor reads (a laptop lid shut, a network gone, a
    // client that stopped reading) is closed, freeing its subscriptions and its slot. The
    // check runs beside the writer, which such a peer blocks.
    let limits = service.limits.clone();
    let stalled = limits.stalled;
    let opened = Instant::now();
    let since_open = || u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX);
    let alive_ms = AtomicU64::new(0);
    let alive = || alive_ms.store(since_open(), Ordering::Relaxed);
    let joined = AtomicBool::new(false);
    // The shards this connection registered with, and its id in each.
    let mut registered: Vec<Option<ConnectionId>> = vec![None; service.shards.len()];
    let writer = async {
        let mut pings = tokio::time::interval(stalled / 3);
        loop {
            let message = tokio::select! {
                message = outgoing.recv() => message,
                _ = pings.tick() => {
                    if sink.send(WsMessage::Ping(Bytes::new())).await.is_err() {
                        return Ending::Quietly;
                    }
                    continue;
                }
            };
            match message {
                Some(Outgoing::Send(frame)) => {
                    outbox.taken(&frame);
                    if send_frame(&mut sink, frame, alive).await.is_err() {
                        return Ending::Quietly;
                    }
                }
                Some(Outgoing::Close(reason)) => return Ending::close(reason),
                None => return Ending::Quietly,
            }
        }
    };
    let reader = async {
        let mut front = Front::new(0);
        let mut rate = ByteRate::new(limits.engine.max_bytes_per_second, 0);
        let mut wait = Duration::ZERO;
        loop {
            // A peer over its rate is not read until it is back under (its socket fills, and
            // it waits on its side).
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let Some(Ok(message)) = stream.next().await else {
                break;
            };
            alive();
            let frame = match message {
                WsMessage::Binary(frame) => frame,
                // The protocol is binary CBOR; text is a malformed frame.
                WsMessage::Text(text) => Bytes::copy_from_slice(text.as_bytes()),
                WsMessage::Close(_) => break,
                WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => continue,
            };
            wait = Duration::from_millis(rate.read(frame.len(), since_open()));
            let (document, message) = match front.receive(&limits.engine, &frame, since_open()) {
                Step::Route(document, message) => (document, message),
                Step::Reply(reply) => {
                    joined.store(true, Ordering::Relaxed);
                    let Some(body) = service.output.take(reply) else {
                        return Ending::close(service.output.refusal());
                    };
                    let reply = Queued {
                        head: Bytes::new(),
                        body,
                    };
                    if let Err(reason) = outbox.push(reply, false) {
                        return Ending::close(reason);
                    }
                    continue;
                }
                Step::Close { reply, reason } => return Ending::Close { reply, reason },
                Step::Nothing => continue,
                Step::Everywhere(message) => {
                    // Shards the connection reaches later learn it from `joined`.
                    for (shard, id) in service.shards.iter().zip(&registered) {
                        if let Some(id) = id
                            && shard
                                .send(Event::Message(*id, message.clone()))
                                .await
                                .is_err()
                        {
                            break;
                        }
                    }
                    continue;
                }
            };
            let index = shard_of(&document, service.shards.len());
            let shard = &service.shards[index];
            let id = match registered[index] {
                Some(id) => id,
                None => {
                    let (id_sender, id) = oneshot::channel();
                    let open = Event::Open {
                        peer: Peer {
                            outbox: outbox.clone(),
                            cut: cut.clone(),
                        },
                        joined: front.peer().cloned().unwrap_or_default(),
                        id: id_sender,
                        capabilities: capabilities
                            .iter()
                            .filter(|c| shard_of(&c.document, service.shards.len()) == index)
                            .cloned()
                            .collect(),
                        address,
                    };
                    if shard.send(open).await.is_err() {
                        break;
                    }
                    let Ok(id) = id.await else { break };
                    registered[index] = Some(id);
                    id
                }
            };
            if shard.send(Event::Message(id, message)).await.is_err() {
                break;
            }
        }
        Ending::Quietly
    };
    let join_timeout = Duration::from_millis(limits.engine.join_timeout_ms);
    // Each check wakes the connection's task, and a relay holds thousands: checked every
    // quarter of the stall limit, a stalled peer is cut within 1.25 times it (56 s by default).
    // Checked every second, 1,000 idle connections cost the relay 2.2% of a core, and 8% of its
    // CPU per edit delivered in the `scale` benchmark.
    let watchdog = async {
        let join_deadline = tokio::time::sleep(join_timeout);
        tokio::pin!(join_deadline);
        let mut joining = true;
        let mut checks = tokio::time::interval(stalled / 4);
        loop {
            tokio::select! {
                () = &mut join_deadline, if joining => {
                    if !joined.load(Ordering::Relaxed) {
                        return "no join in time".to_owned();
                    }
                    joining = false;
                }
                _ = checks.tick() => {
                    let last = Duration::from_millis(alive_ms.load(Ordering::Relaxed));
                    if opened.elapsed().saturating_sub(last) > stalled {
                        return format!("nothing heard or taken for {}s", stalled.as_secs());
                    }
                }
            }
        }
    };
    let ending = tokio::select! {
        ending = writer => ending,
        ending = reader => ending,
        Some(reason) = cut_off.recv() => Ending::close(reason),
        reason = watchdog => Ending::close(reason),
    };
    if let Ending::Close { reply, reason } = ending {
        tracing::info!(%address, %reason, "closing a connection");
        let frame = CloseFrame {
            code: CloseCode::Policy,
            reason: truncate(&reason).into(),
        };
        // A peer that stopped reading never takes them; the socket is dropped either way.
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            if let Some(reply) = reply {
                sink.send(WsMessage::Binary(reply.into())).await?;
            }
            sink.send(WsMessage::Close(Some(frame))).await
        })
        .await;
    }
    for (shard, id) in service.shards.iter().zip(registered) {
        if let Some(id) = id {
            let _ = shard.send(Event::Closed(id)).await;
        }
    }
    drop(counted);
}

/// A close reason must fit a control frame (123 bytes).
fn truncate(reason: &str) -> String {
    let mut end = reason.len().min(120);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

/// Counts a live connection for as long as it lives.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Engine {
    hub: Hub,
    access: Arc<AccessStore>,
    guesses: Arc<Guesses>,
    /// The grants each connection opened with.
    held: HashMap<ConnectionId, Vec<Held>>,
    /// Deletions waiting for their files to go.
    deletes: HashMap<DocumentId, Vec<oneshot::Sender<Result<(), String>>>>,
    store: Arc<DiskStore>,
    storage_jobs: Arc<Semaphore>,
    peers: HashMap<ConnectionId, Peer>,
    output: Arc<OutputBudget>,
    /// The shared bodies counted in the budget, by address, while frames holding them wait.
    shared: HashMap<usize, Weak<Pending<Arc<[u8]>>>>,
    events: mpsc::Sender<Event>,
    started: Instant,
    /// Whether the runtime has other threads to hand this one's tasks to, while it does heavy
    /// work (not so on one thread).
    hands_over: bool,
    /// Whether documents were loaded, unloaded or copied for a first sync, or connections
    /// closed, since the last tick: a burst of those frees memory the allocator would otherwise
    /// keep at its peak.
    churned: bool,
}

impl Engine {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn run(mut self, mut inbox: mpsc::Receiver<Event>) {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                event = inbox.recv() => match event {
                    Some(event) if self.hands_over && self.is_heavy(&event) => {
                        tokio::task::block_in_place(|| {
                            self.handle(event);
                            self.run_outputs();
                        });
                    }
                    Some(event) => self.handle(event),
                    None => return,
                },
                _ = ticks.tick() => {
                    let now = self.now();
                    self.cut_expired(now);
                    self.shared.retain(|_, body| body.strong_count() > 0);
                    let documents = self.hub.document_count();
                    self.hub.tick(now);
                    self.churned |= self.hub.document_count() < documents;
                    if std::mem::take(&mut self.churned) {
                        memory::release_freed();
                    }
                }
            }
            self.run_outputs();
        }
    }

    /// Whether the event concerns a document large enough, or carries a message large enough,
    /// that Automerge's work on it (applying the message, a whole save for a first sync or a
    /// compaction) takes long: the tasks queued on this thread would wait for it all (an
    /// organizer's edit of a small group waited 5.8 s while an 18.7 MB group was first-synced
    /// beside it), so the runtime hands them to another thread first. Smaller ones are not
    /// worth the hand-over.
    fn is_heavy(&self, event: &Event) -> bool {
        let (document, bytes) = match event {
            Event::Message(_, message) => match message {
                Message::Request(doc_message) | Message::Sync(doc_message) => {
                    (&doc_message.document_id, message.data_len() as u64)
                }
                _ => return false,
            },
            Event::Loaded(document, result) => match result.as_ref() {
                Ok(Some(stored)) => (document, stored.snapshot_bytes + stored.appended_bytes),
                _ => return false,
            },
            Event::Stored(document, ..) => (document, 0),
            _ => return false,
        };
        bytes.max(self.hub.stored_bytes(document)) >= HEAVY_BYTES
    }

    fn handle(&mut self, event: Event) {
        let now = self.now();
        match event {
            Event::Open {
                peer,
                joined,
                id,
                capabilities,
                address,
            } => {
                let connection = self.hub.connect_joined(joined, now);
                self.grant(connection, &capabilities, address);
                self.peers.insert(connection, peer);
                if id.send(connection).is_err() {
                    self.forget(connection);
                    self.hub.disconnect(connection, now);
                }
            }
            Event::Denied(connection, document) => self.hub.denied(connection, &document),
            Event::Protected(document) => self.hub.protect(document, now),
            Event::Revoked { document, link } => {
                let cut: Vec<ConnectionId> = self
                    .held
                    .iter()
                    .filter(|(_, held)| {
                        held.iter()
                            .any(|grant| grant.document == document && grant.link == link)
                    })
                    .map(|(connection, _)| *connection)
                    .collect();
                for connection in cut {
                    self.cut(connection, "a link was revoked", now);
                }
            }
            Event::Delete { document, done } => {
                self.deletes.entry(document.clone()).or_default().push(done);
                self.hub.delete(&document);
            }
            Event::Alive(answer) => {
                let _ = answer.send(());
            }
            Event::Deleted(document, result) => {
                for done in self.deletes.remove(&document).unwrap_or_default() {
                    let _ = done.send(result.clone());
                }
            }
            Event::Message(connection, message) => {
                self.hub.receive_message(connection, message, now);
            }
            Event::Closed(connection) => {
                self.churned = true;
                self.forget(connection);
                self.hub.disconnect(connection, now);
            }
            Event::Loaded(document, result) => {
                self.churned = true;
                self.hub.loaded(&document, *result, now);
            }
            Event::Stored(document, ticket, result) => {
                self.hub.stored(&document, ticket, result, now)
            }
            Event::FirstSyncBuilt(document, first) => {
                // The copy it was built from was just freed.
                self.churned = true;
                self.hub.first_sync_built(&document, first);
            }
        }
    }

    /// Grants the connection what its capabilities name; the others count as wrong guesses.
    fn grant(&mut self, connection: ConnectionId, capabilities: &[Capability], address: IpAddr) {
        let now = unix_now();
        for capability in capabilities {
            match self.access.check(capability, now) {
                Check::Granted {
                    role,
                    link,
                    expires_at,
                } => {
                    self.hub
                        .grant(connection, capability.document.clone(), role.access());
                    self.held.entry(connection).or_default().push(Held {
                        document: capability.document.clone(),
                        link,
                        expires_at,
                    });
                }
                Check::Refused => {
                    // Never the secret: the address and the group are enough to act on.
                    warn!(%address, document = %capability.document, "a capability named no live link");
                    self.guesses.failed(address, &capability.document);
                }
            }
        }
    }

    fn forget(&mut self, connection: ConnectionId) -> Option<Peer> {
        self.held.remove(&connection);
        self.peers.remove(&connection)
    }

    /// Closes a connection whose access changed; its peer reconnects with what it still holds.
    fn cut(&mut self, connection: ConnectionId, reason: &str, now: u64) {
        self.held.remove(&connection);
        self.hub.close(connection, reason.to_owned(), now);
    }

    /// Cuts the connections holding a link that expired.
    fn cut_expired(&mut self, now: u64) {
        let unix = unix_now();
        let expired: Vec<ConnectionId> = self
            .held
            .iter()
            .filter(|(_, held)| {
                held.iter()
                    .any(|grant| grant.expires_at.is_some_and(|expiry| expiry <= unix))
            })
            .map(|(connection, _)| *connection)
            .collect();
        for connection in expired {
            self.cut(connection, "a link expired", now);
        }
    }

    /// Queues a frame for a connection, its bytes counted against the relay's budget; `body`
    /// is the bytes for the body, taken from the budget once for all the frames that share
    /// it. A frame that does not fit is skipped if it is ephemeral; otherwise its connection is
    /// cut (it syncs again when it reconnects).
    fn send(
        &mut self,
        connection: ConnectionId,
        head: Vec<u8>,
        body: Option<Bytes>,
        ephemeral: bool,
    ) {
        let Some(peer) = self.peers.get(&connection) else {
            return;
        };
        let frame = body
            .zip(self.output.take(head))
            .map(|(body, head)| Queued { head, body });
        let refusal = match frame {
            Some(frame) => peer.outbox.push(frame, ephemeral).err(),
            None => Some(self.output.refusal()),
        };
        if let Some(reason) = refusal
            && !ephemeral
            && let Some(peer) = self.forget(connection)
        {
            // Its task may be stuck writing to a peer that stopped reading: cut it there, so
            // its slot and buffers are freed now.
            let _ = peer.cut.try_send(reason);
            let now = self.now();
            self.hub.disconnect(connection, now);
        }
    }

    /// A body the hub shares among frames, as bytes to send: counted in the budget the first
    /// time, and while any frame holding it waits, shared by later frames without counting it
    /// again (a thousand peers asking for a large group at their own pace).
    fn shared_body(&mut self, body: Arc<[u8]>) -> Option<Bytes> {
        // Its address names it while it lives, and a body still waiting is alive.
        let address = Arc::as_ptr(&body).cast::<u8>() as usize;
        let counted = match self.shared.get(&address).and_then(Weak::upgrade) {
            Some(counted) => counted,
            None => {
                let counted = Arc::new(self.output.reserve(body)?);
                self.shared.insert(address, Arc::downgrade(&counted));
                counted
            }
        };
        Some(Bytes::from_owner(SharedBody(counted)))
    }

    fn run_outputs(&mut self) {
        while let Some(output) = self.hub.poll() {
            match output {
                Output::Send { connection, frame } => {
                    let body = self.output.take(frame);
                    self.send(connection, Vec::new(), body, false);
                }
                Output::SendShared {
                    connection,
                    head,
                    body,
                    ephemeral,
                } => {
                    let body = self.shared_body(body);
                    self.send(connection, head, body, ephemeral);
                }
                Output::Close { connection, reason } => {
                    tracing::info!(?connection, %reason, "closed a connection");
                    if let Some(peer) = self.forget(connection) {
                        peer.close(reason);
                    }
                }
                // Loaded here, beside the engine: a large group takes seconds, and so as the
                // machine's idle work, under the shards' work.
                Output::Load { document } => self.on_storage(move |store| {
                    let result = match store.load(&document) {
                        Ok(None) => Ok(None),
                        Ok(Some(stored)) => loaded_at_its_priority(&stored.bytes)
                            .map(|loaded| {
                                Some(Stored {
                                    document: loaded,
                                    appends: stored.appends,
                                    appended_bytes: stored.appended_bytes,
                                    snapshot_bytes: stored.snapshot_bytes,
                                })
                            })
                            .map_err(|error| format!("stored bytes do not load: {error}")),
                        Err(error) => Err(error.to_string()),
                    };
                    if let Err(error) = &result {
                        tracing::error!(%document, %error, "cannot read a document");
                    }
                    Event::Loaded(document, Box::new(result))
                }),
                Output::Store {
                    document,
                    ticket,
                    write,
                } => self.on_storage(move |store| {
                    let result = match &write {
                        Write::Append(changes) => store.append(&document, changes),
                        Write::Compact(whole) => store.compact(&document, whole),
                    };
                    let result = result.map_err(|error| {
                        tracing::error!(%document, %error, "cannot store a document; it is refused until it can be");
                        error.to_string()
                    });
                    Event::Stored(document, ticket, result)
                }),
                Output::Refused { document, reason } => {
                    tracing::error!(%document, %reason, "refused a document");
                }
                Output::Deny {
                    connection,
                    document,
                } => self.on_storage(move |store| {
                    // The same work as loading a document never stored; what it finds is nothing.
                    let _ = store.look_for_nothing(&document);
                    Event::Denied(connection, document)
                }),
                // A whole save: built as the machine's idle work, as loads are, and counted
                // among the storage jobs so that a crowd of large groups cannot take every
                // blocking thread.
                Output::BuildFirstSync {
                    document,
                    automerge,
                } => self.on_storage(move |_| {
                    let first = low_priority::run(|| FirstSync::of(&automerge));
                    Event::FirstSyncBuilt(document, first)
                }),
                Output::Delete { document } => self.on_storage(move |store| {
                    let result = store.delete(&document).map_err(|error| {
                        tracing::error!(%document, %error, "cannot delete a document");
                        error.to_string()
                    });
                    Event::Deleted(document, result)
                }),
            }
        }
    }

    /// Runs a read, a write or a whole save on the blocking pool, at most [`STORAGE_JOBS`] at
    /// once, and hands its result back to the engine as an event.
    fn on_storage(&self, job: impl FnOnce(&DiskStore) -> Event + Send + 'static) {
        let (store, events, jobs) = (
            self.store.clone(),
            self.events.clone(),
            self.storage_jobs.clone(),
        );
        tokio::spawn(async move {
            let Ok(_turn) = jobs.acquire_owned().await else {
                return;
            };
            if let Ok(event) = tokio::task::spawn_blocking(move || job(&store)).await {
                let _ = events.send(event).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_engine_is_reported_with_its_message() {
        let task = EngineTask(vec![
            tokio::spawn(std::future::pending()),
            tokio::spawn(async { panic!("a bug in the engine") }),
        ]);
        let error = task.stopped().await.to_string();
        assert!(
            error.contains("it panicked: a bug in the engine"),
            "{error}"
        );
    }

    #[test]
    fn the_output_budget_holds_bytes_until_every_frame_sharing_them_is_dropped() {
        let budget = OutputBudget::new(100);
        let shared = budget.take(vec![0; 60]).unwrap();
        let for_another_peer = shared.clone();
        assert!(budget.take(vec![0; 50]).is_none(), "110 bytes of 100");
        let small = budget.take(vec![0; 40]).unwrap();
        drop(shared);
        assert!(
            budget.take(vec![0; 1]).is_none(),
            "still sent to another peer"
        );
        drop((for_another_peer, small));
        assert_eq!(budget.used.load(Ordering::Relaxed), 0);
        // One message larger than the budget goes out when nothing else waits.
        assert!(budget.take(vec![0; 1_000]).is_some());
    }

    #[test]
    fn an_outbox_takes_a_large_frame_when_empty_and_refuses_to_fall_further_behind() {
        let (frames, mut queued) = mpsc::channel(OUTBOX_FRAMES);
        let outbox = Outbox {
            frames,
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: 100,
        };
        let frame = |len: usize| Queued {
            head: Bytes::from(vec![0; 10]),
            body: Bytes::from(vec![0; len - 10]),
        };
        outbox.push(frame(500), false).unwrap();
        let refusal = outbox.push(frame(20), false).unwrap_err();
        assert!(refusal.contains("500 bytes waited"), "{refusal}");
        let Some(Outgoing::Send(taken)) = queued.try_recv().ok() else {
            panic!("the first frame was queued");
        };
        outbox.taken(&taken);
        outbox.push(frame(40), true).unwrap();
        assert!(
            outbox.push(frame(20), true).is_err(),
            "presence: 60 bytes of 50"
        );
        outbox.push(frame(60), false).unwrap();
        assert!(outbox.push(frame(20), false).is_err(), "120 bytes of 100");
        assert_eq!(outbox.waiting.load(Ordering::Relaxed), 100);
    }

    #[tokio::test]
    async fn an_engine_that_stopped_does_not_answer() {
        let (events, inbox) = mpsc::channel(1);
        drop(inbox);
        let service = SyncService {
            shards: vec![events].into(),
            connections: Arc::new(AtomicUsize::new(0)),
            output: OutputBudget::new(1),
            limits: Arc::new(Limits {
                max_connections: 1,
                shards: 1,
                stalled: Duration::from_secs(1),
                max_bytes_in_flight: 1,
                max_pending_output_bytes: 1,
                engine: hub::Config::default(),
            }),
            access: Arc::new(AccessStore::open(tempfile::tempdir().unwrap().path()).unwrap()),
            guesses: Arc::new(Guesses::new(1, 1)),
        };
        assert!(!service.engine_answers().await);
    }
}
