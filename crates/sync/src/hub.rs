//! The relay's engine: many connections, many documents, no I/O.
//!
//! The relay feeds it connections, frames, storage results and clock ticks; it answers with
//! [`Output`]s: frames to send, connections to close, documents to load and writes to make.
//!
//! Two rules shape it:
//! - **Work in proportion to what a message touches.** A connection is subscribed only to the
//!   documents it names, and a change is fanned out to that document's subscribers only.
//! - **"Synced" means "on disk".** Every sync message carries the relay's heads, so while a
//!   document has changes that are not yet stored, no message for it goes out: incoming
//!   messages wait, and are applied together once the write is done (a group commit).
//!
//! And one rule of access: a document the relay was told is [protected](Hub::protect) is
//! synced only with connections [granted](Hub::grant) it. Without a grant, the document is
//! answered exactly as one the relay never had (`doc-unavailable`, after the same trip to
//! storage); with read access, the relay syncs the peer but applies nothing it sends.

use std::collections::{HashMap, HashSet, VecDeque, hash_map::Entry};
use std::sync::Arc;

use automerge::sync::{self, Capability, SyncDoc};
use automerge::{Automerge, AutomergeError, ChangeHash, LoadOptions, OnPartialLoad};

use crate::front::{Front, Joined, PerSecond, Step};
use crate::message::{
    DocMessage, DocumentId, Ephemeral, Message, RemoteHeads, encode_head, sync_head,
};
use crate::shortcut;

/// The relay's limits and timings. Times are milliseconds on the clock the relay passes in.
#[derive(Debug, Clone)]
pub struct Config {
    /// This relay's peer id in the protocol.
    pub peer_id: String,
    /// The largest frame accepted; a larger one closes the connection.
    pub max_frame_bytes: usize,
    /// How many documents one connection may name.
    pub max_documents_per_connection: usize,
    /// How many frames one connection may send in one second.
    pub max_messages_per_second: u32,
    /// How many bytes of one connection's frames are read in one second; see
    /// [`ByteRate`](crate::front::ByteRate).
    pub max_bytes_per_second: u64,
    /// How many of a connection's messages may wait for one document's load or write.
    pub max_waiting_per_document: usize,
    /// How long a new connection has to send `join`.
    pub join_timeout_ms: u64,
    /// How long a request for a document the relay has nothing of waits for the changes
    /// another subscriber announced (see `Document::held_requests`).
    pub hold_request_ms: u64,
    /// How long a document nobody is subscribed to stays in memory.
    pub idle_unload_ms: u64,
    /// After how many appended writes a document is compacted into one snapshot, once they
    /// also hold as many bytes as the snapshot (see [`Document::compacts`]).
    pub compact_after_appends: u32,
    /// The storage id announced in the handshake (automerge-repo's `peerMetadata.storageId`):
    /// stable for as long as the storage is the same.
    pub storage_id: Option<String>,
    /// How long after a failed write (a full disk, a quota) the document is loaded again and
    /// its peers asked for what it lacks; doubled after each failure in a row, up to 64 times.
    pub write_retry_ms: u64,
    /// Largest ephemeral payload forwarded (presence needs a few hundred bytes); a larger one
    /// is dropped and its sender told why, once per connection.
    pub max_ephemeral_bytes: usize,
    /// Most ephemeral messages of one connection forwarded per second (presence is sent every
    /// few seconds; cursors a few dozen times a second); the others are dropped, and the sender
    /// told why once.
    pub max_ephemeral_per_second: u32,
    /// Documents stored in this many bytes or more have the first sync for a peer with nothing
    /// built away from the hub ([`Output::BuildFirstSync`]): it is a whole save (about 2 s for
    /// a 20 MB group), and every other document the hub holds would wait for it.
    pub build_aside_bytes: u64,
    /// Keep and sync no documents: a document's peers are only introduced to each other, by
    /// forwarding their ephemeral messages (presence, and the offers and answers of direct
    /// connections). Their sync messages are read only to learn which document they have
    /// open; nothing is loaded, stored or answered.
    pub signal_only: bool,
    /// Milliseconds since the Unix epoch at the clock's zero: the heads gossiped to peers
    /// (`remote-heads-changed`) carry wall-clock times, which automerge-repo compares.
    pub clock_epoch_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            peer_id: "cohort-relay".to_owned(),
            max_frame_bytes: 64 << 20,
            max_documents_per_connection: 256,
            max_messages_per_second: 2_000,
            max_bytes_per_second: 8 << 20,
            max_waiting_per_document: 64,
            join_timeout_ms: 10_000,
            hold_request_ms: 10_000,
            idle_unload_ms: 30_000,
            compact_after_appends: 64,
            max_ephemeral_bytes: 16 << 10,
            max_ephemeral_per_second: 50,
            write_retry_ms: 5_000,
            storage_id: None,
            build_aside_bytes: u64::MAX,
            signal_only: false,
            clock_epoch_ms: 0,
        }
    }
}

/// What a connection may do with a protected document. Unprotected documents are open to
/// every connection, as in plain automerge-repo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Receive changes; anything the peer sends is not applied.
    Read,
    /// Receive and send changes.
    Edit,
}

/// A connection, numbered by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// Names one write, so its result can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket(pub u64);

/// What the relay must do.
#[derive(Debug)]
pub enum Output {
    Send {
        connection: ConnectionId,
        frame: Vec<u8>,
    },
    /// Send `head` and then `body` as one frame: a message whose data is shared by many
    /// frames (the first sync of a document, the same for every peer that has nothing; a
    /// change, the same for every peer that was in sync; an ephemeral message), so that a
    /// crowd holds one copy of it, not one each.
    SendShared {
        connection: ConnectionId,
        head: Vec<u8>,
        body: Arc<[u8]>,
        /// An ephemeral message: nothing depends on its arrival, so a connection that is
        /// behind may go without it rather than queue it.
        ephemeral: bool,
    },
    /// Close the connection; the engine has already forgotten it.
    Close {
        connection: ConnectionId,
        reason: String,
    },
    /// Read the document's stored bytes and report them with [`Hub::loaded`].
    Load { document: DocumentId },
    /// Write durably (fsynced) and report with [`Hub::stored`]. A document has at most one
    /// write in flight, so writes to one document happen in the order given.
    Store {
        document: DocumentId,
        ticket: Ticket,
        write: Write,
    },
    /// The document could not be read or written and was dropped from memory with whatever
    /// was not stored; its peers were told it is unavailable. For the relay's log.
    Refused {
        document: DocumentId,
        reason: String,
    },
    /// The connection named a protected document it has no grant for. Make the same trip to
    /// storage a document that was never stored makes (looking for nothing), then report with
    /// [`Hub::denied`], so the answer cannot be told apart by its timing either.
    Deny {
        connection: ConnectionId,
        document: DocumentId,
    },
    /// The document was deleted for everyone: remove what is stored of it. Given once no write
    /// of it is in flight.
    Delete { document: DocumentId },
    /// Build the first sync of this copy of the document with [`FirstSync::of`], away from the
    /// hub, and report it with [`Hub::first_sync_built`]. Given for documents of
    /// [`Config::build_aside_bytes`] or more, at most one at a time per document; the copy
    /// costs the hub a fraction of the save (10 ms against 340 ms for a 4.4 MB group).
    BuildFirstSync {
        document: DocumentId,
        automerge: Box<Automerge>,
    },
}

impl Output {
    /// The connection and the whole frame, if this output sends one: for a peer that takes
    /// frames whole rather than in parts (tests, and any simple adapter).
    pub fn whole_frame(&self) -> Option<(ConnectionId, Vec<u8>)> {
        match self {
            Self::Send { connection, frame } => Some((*connection, frame.clone())),
            Self::SendShared {
                connection,
                head,
                body,
                ..
            } => Some((*connection, [head.as_slice(), body].concat())),
            _ => None,
        }
    }
}

/// What storage holds of a document, loaded, for [`Hub::loaded`]. Loading a large document
/// takes long (about 0.7 s per MB), so the relay does it beside the engine, with
/// [`load_stored`].
#[derive(Debug)]
pub struct Stored {
    pub document: Automerge,
    /// How many appends were stored since the last compaction, and their bytes: counted from
    /// storage, so a group edited a few times between loads is still compacted once it has
    /// enough.
    pub appends: u32,
    pub appended_bytes: u64,
    /// The bytes of the last compaction's snapshot.
    pub snapshot_bytes: u64,
}

#[derive(Debug)]
pub enum Write {
    /// Changes to add to what is stored.
    Append(Vec<u8>),
    /// The whole document: it replaces everything stored before it.
    Compact(Vec<u8>),
}

#[derive(Debug)]
struct Connection {
    front: Front,
    opened_at: u64,
    documents: HashSet<DocumentId>,
    grants: HashMap<DocumentId, Access>,
    /// Read-only documents this peer was already told it cannot change.
    told_read_only: HashSet<DocumentId>,
    /// Whether this peer was already told an ephemeral message of it was not forwarded.
    told_ephemeral_limit: bool,
    ephemerals: PerSecond,
}

#[derive(Debug)]
enum Phase {
    Loading,
    Ready(Box<Automerge>),
    /// A write failed at this time: what was not stored left memory, messages for the document
    /// are dropped, and after `write_retry_ms` it is loaded again and every subscriber synced
    /// afresh. The peers still hold the changes, and send them again then.
    Unstored(u64),
}

/// A message that waits until its document is loaded or written.
#[derive(Debug)]
struct Waiting {
    connection: ConnectionId,
    request: bool,
    message: sync::Message,
}

#[derive(Debug)]
struct Document {
    phase: Phase,
    subscribers: HashMap<ConnectionId, sync::State>,
    saved_heads: Vec<ChangeHash>,
    /// The write in flight: its ticket, the heads it stores, whether it is a snapshot, and
    /// its bytes.
    writing: Option<(Ticket, Vec<ChangeHash>, bool, u64)>,
    appends_since_snapshot: u32,
    /// The bytes of those appends, and of the snapshot before them.
    appended_bytes: u64,
    snapshot_bytes: u64,
    waiting: VecDeque<Waiting>,
    /// Connections owed a reply once the document is stored.
    owed_reply: HashSet<ConnectionId>,
    /// Peers that asked for the document while the relay had nothing but another subscriber
    /// had announced heads, with when they asked: they hear nothing until those changes
    /// arrive (through the usual fan-out), or are told "unavailable" once nobody who announced
    /// heads is left or `hold_request_ms` has passed. A peer that asks just after the creator
    /// connected would otherwise be told "unavailable" between the creator's first message
    /// (heads only) and its changes.
    held_requests: HashMap<ConnectionId, u64>,
    /// The first sync for a peer with nothing, at the heads it was made for.
    first_sync: Option<FirstSync>,
    /// A first sync is being built away from the hub ([`Output::BuildFirstSync`]).
    building_first_sync: bool,
    /// When the last subscriber left.
    idle_since: Option<u64>,
    /// Deleted for everyone while a write was in flight: the delete is given once it ends.
    deleting: bool,
    /// Loaded again after a failed write: every subscriber is sent a sync message once it is.
    resync: bool,
    /// Writes that failed in a row: each doubles the wait before the next try.
    failed_writes: u32,
    /// What each storage peer that synced the document (or that a peer gossiped of) last had
    /// of it, by storage id: told to the subscribers who asked to hear of that storage id.
    remote_heads: HashMap<String, RemoteHeads>,
}

/// The message a peer with nothing gets: the whole document in one message, the same for every
/// such peer.
#[derive(Debug)]
pub struct FirstSync {
    heads: Vec<ChangeHash>,
    data: Arc<[u8]>,
    hashes: Arc<[ChangeHash]>,
}

impl FirstSync {
    /// Automerge's message for a peer that has nothing and takes whole documents (the state
    /// [`wants_whole_document`] describes): the document saved whole, with its heads.
    pub fn of(automerge: &Automerge) -> Self {
        let mut fresh = sync::State::new();
        fresh.their_heads = Some(Vec::new());
        fresh.their_have = Some(Vec::new());
        fresh.their_need = Some(Vec::new());
        fresh.their_capabilities = Some(vec![Capability::MessageV2]);
        let data = automerge
            .generate_sync_message(&mut fresh)
            .map(|message| message.encode());
        Self {
            heads: automerge.get_heads(),
            data: data.unwrap_or_default().into(),
            hashes: fresh.sent_hashes.into_iter().collect(),
        }
    }
}

impl Document {
    fn new(phase: Phase, now: u64) -> Self {
        Self {
            phase,
            subscribers: HashMap::new(),
            saved_heads: Vec::new(),
            writing: None,
            appends_since_snapshot: 0,
            appended_bytes: 0,
            snapshot_bytes: 0,
            waiting: VecDeque::new(),
            owed_reply: HashSet::new(),
            held_requests: HashMap::new(),
            first_sync: None,
            building_first_sync: false,
            idle_since: Some(now),
            deleting: false,
            resync: false,
            failed_writes: 0,
            remote_heads: HashMap::new(),
        }
    }

    fn busy(&self) -> bool {
        matches!(self.phase, Phase::Loading) || self.writing.is_some()
    }

    /// Whether the next write is the whole document: after `after_appends` appends, once they
    /// hold half as many bytes as the snapshot they follow, so that compactions, each of which
    /// writes the whole group, cost in proportion to what was written (a client writing a group
    /// fast in large edits had it saved whole every 64 edits, a cost that grew with the
    /// group). Small edits to a large group wait for at most 16 times as many appends.
    fn compacts(&self, after_appends: u32) -> bool {
        self.appends_since_snapshot >= after_appends
            && (self.appended_bytes.saturating_mul(2) >= self.snapshot_bytes
                || self.appends_since_snapshot >= after_appends.saturating_mul(16))
    }
}

/// The peer id its connection joined with, to address a message to it.
fn peer_id_of(
    connections: &HashMap<ConnectionId, Connection>,
    connection: &ConnectionId,
) -> Option<String> {
    connections
        .get(connection)
        .and_then(|c| c.front.peer_id().map(str::to_owned))
}

/// Whether the connection's peer asked to hear of this storage id's heads.
fn asks_for(connection: &Connection, storage_id: &str) -> bool {
    connection
        .front
        .peer()
        .is_some_and(|peer| peer.heads_subscriptions.contains(storage_id))
}

/// Loads stored bytes. Changes whose dependencies are missing (storage skipped a damaged
/// record they build on) wait in the document until a peer sends what they lack, rather than
/// making the whole document unavailable; bytes that do not parse still fail.
pub fn load_stored(bytes: &[u8]) -> Result<Automerge, AutomergeError> {
    match Automerge::load(bytes) {
        Err(AutomergeError::MissingDeps) => Automerge::load_with_options(
            bytes,
            LoadOptions::new().on_partial_load(OnPartialLoad::Ignore),
        ),
        loaded => loaded,
    }
}

/// The engine. See the module documentation.
#[derive(Debug)]
pub struct Hub {
    config: Config,
    connections: HashMap<ConnectionId, Connection>,
    documents: HashMap<DocumentId, Document>,
    /// Documents synced only with the connections granted them.
    protected: HashSet<DocumentId>,
    /// With [`Config::signal_only`]: each document's peers, who hear each other's ephemeral
    /// messages.
    introduced: HashMap<DocumentId, HashSet<ConnectionId>>,
    outputs: VecDeque<Output>,
    next_connection: u64,
    next_ticket: u64,
}

impl Hub {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            connections: HashMap::new(),
            documents: HashMap::new(),
            protected: HashSet::new(),
            introduced: HashMap::new(),
            outputs: VecDeque::new(),
            next_connection: 0,
            next_ticket: 0,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The next thing to do, if any.
    pub fn poll(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// How many documents are in memory.
    pub fn document_count(&self) -> usize {
        self.documents.len()
    }

    /// What the document takes in storage, as far as the hub knows (its last snapshot and the
    /// appends since): a measure of how long Automerge's work on it takes.
    pub fn stored_bytes(&self, document: &DocumentId) -> u64 {
        self.documents
            .get(document)
            .map_or(0, |doc| doc.snapshot_bytes + doc.appended_bytes)
    }

    pub fn connect(&mut self, now: u64) -> ConnectionId {
        self.insert_connection(Front::new(now), now)
    }

    /// A connection whose handshake was done before the hub (by the relay's own [`Front`]),
    /// with who joined. Give its messages to [`receive_message`](Self::receive_message).
    pub fn connect_joined(&mut self, peer: Joined, now: u64) -> ConnectionId {
        self.insert_connection(Front::joined(peer, now), now)
    }

    fn insert_connection(&mut self, front: Front, now: u64) -> ConnectionId {
        let id = ConnectionId(self.next_connection);
        self.next_connection += 1;
        self.connections.insert(
            id,
            Connection {
                front,
                opened_at: now,
                documents: HashSet::new(),
                grants: HashMap::new(),
                told_read_only: HashSet::new(),
                told_ephemeral_limit: false,
                ephemerals: PerSecond::new(now),
            },
        );
        id
    }

    /// Lets the connection sync a protected document, with this access.
    pub fn grant(&mut self, connection: ConnectionId, document: DocumentId, access: Access) {
        if let Some(state) = self.connections.get_mut(&connection) {
            state.grants.insert(document, access);
        }
    }

    /// From now on the document syncs only with connections granted it. Connections syncing
    /// it without a grant are closed (their peers reconnect with whatever grants they hold),
    /// rather than told it is unavailable: an owner's own connection is among them until it
    /// reconnects with the capability it was just given.
    pub fn protect(&mut self, document: DocumentId, now: u64) {
        let ungranted: Vec<ConnectionId> = self
            .documents
            .get(&document)
            .into_iter()
            .flat_map(|doc| doc.subscribers.keys())
            .copied()
            .filter(|connection| {
                self.connections
                    .get(connection)
                    .is_some_and(|state| !state.grants.contains_key(&document))
            })
            .collect();
        self.protected.insert(document);
        for connection in ungranted {
            self.close(connection, "access to a group changed".to_owned(), now);
        }
    }

    /// Whether the document is protected.
    pub fn is_protected(&self, document: &DocumentId) -> bool {
        self.protected.contains(document)
    }

    /// Deletes the document for everyone: it stays protected with no grants (so it is answered
    /// as one never stored, and nobody can write it again), its subscribers are told it is
    /// unavailable, and its stored bytes are deleted ([`Output::Delete`]) once no write of it is
    /// in flight. Grants of it are the caller's to stop giving.
    pub fn delete(&mut self, document: &DocumentId) {
        self.protected.insert(document.clone());
        for state in self.connections.values_mut() {
            state.grants.remove(document);
        }
        let Some(doc) = self.documents.get_mut(document) else {
            self.outputs.push_back(Output::Delete {
                document: document.clone(),
            });
            return;
        };
        let subscribers: Vec<ConnectionId> = doc.subscribers.keys().copied().collect();
        if doc.writing.is_some() {
            // Kept until the write ends, with nobody subscribed and nothing waiting.
            doc.deleting = true;
            doc.subscribers.clear();
            doc.waiting.clear();
            doc.owed_reply.clear();
            doc.held_requests.clear();
        } else {
            self.documents.remove(document);
            self.outputs.push_back(Output::Delete {
                document: document.clone(),
            });
        }
        for connection in subscribers {
            if let Some(state) = self.connections.get_mut(&connection) {
                state.documents.remove(document);
            }
            self.send_unavailable(connection, document);
        }
    }

    /// The result of an [`Output::Deny`]: answer as for a document never stored.
    pub fn denied(&mut self, connection: ConnectionId, document: &DocumentId) {
        self.send_unavailable(connection, document);
    }

    /// What the connection may do with the document: everything if it is not protected.
    fn access(&self, connection: ConnectionId, document: &DocumentId) -> Option<Access> {
        if !self.protected.contains(document) {
            return Some(Access::Edit);
        }
        self.connections
            .get(&connection)
            .and_then(|state| state.grants.get(document).copied())
    }

    /// The connection is gone: forget it and its subscriptions.
    pub fn disconnect(&mut self, connection: ConnectionId, now: u64) {
        let Some(state) = self.connections.remove(&connection) else {
            return;
        };
        for document in state.documents {
            if let Entry::Occupied(mut peers) = self.introduced.entry(document.clone()) {
                peers.get_mut().remove(&connection);
                if peers.get().is_empty() {
                    peers.remove();
                }
            }
            let Some(doc) = self.documents.get_mut(&document) else {
                continue;
            };
            doc.subscribers.remove(&connection);
            doc.owed_reply.remove(&connection);
            doc.held_requests.remove(&connection);
            doc.waiting
                .retain(|waiting| waiting.connection != connection);
            if doc.subscribers.is_empty() {
                doc.idle_since = Some(now);
            }
            let released: Vec<ConnectionId> = doc
                .held_requests
                .keys()
                .copied()
                .filter(|held| !announced_heads(&doc.subscribers, *held))
                .collect();
            doc.held_requests.retain(|held, _| !released.contains(held));
            for held in released {
                self.send_unavailable(held, &document);
            }
        }
    }

    /// Closes the connection with a reason for its peer, forgetting it.
    pub fn close(&mut self, connection: ConnectionId, reason: String, now: u64) {
        if self.connections.contains_key(&connection) {
            self.disconnect(connection, now);
            self.outputs.push_back(Output::Close { connection, reason });
        }
    }

    /// A frame arrived on the connection.
    pub fn receive(&mut self, connection: ConnectionId, frame: &[u8], now: u64) {
        let Some(state) = self.connections.get_mut(&connection) else {
            return;
        };
        match state.front.receive(&self.config, frame, now) {
            Step::Reply(frame) => self.outputs.push_back(Output::Send { connection, frame }),
            Step::Route(_, message) | Step::Everywhere(message) => {
                self.receive_message(connection, message, now);
            }
            Step::Close { reply, reason } => {
                if let Some(frame) = reply {
                    self.outputs.push_back(Output::Send { connection, frame });
                }
                self.close(connection, reason, now);
            }
            Step::Nothing => {}
        }
    }

    /// A message that a [`Front`] routed here (a request, a sync, an ephemeral message, heads
    /// gossip about a document) or gave every hub (a change of heads subscriptions); other
    /// messages are the front's business and are ignored.
    pub fn receive_message(&mut self, connection: ConnectionId, message: Message, now: u64) {
        match message {
            Message::Request(message) => self.doc_message(connection, message, true, now),
            Message::Sync(message) => self.doc_message(connection, message, false, now),
            Message::Ephemeral(message) => self.forward_ephemeral(connection, message, now),
            Message::RemoteSubscriptionChange { add, remove, .. } => {
                self.change_subscriptions(connection, add, remove);
            }
            Message::RemoteHeadsChanged {
                document_id,
                new_heads,
                ..
            } => self.gossiped_heads(connection, &document_id, new_heads),
            _ => {}
        }
    }

    /// A peer changed which storage ids' heads it hears of: it is told at once what the
    /// documents it syncs here are known to have at the ones it added.
    fn change_subscriptions(
        &mut self,
        connection: ConnectionId,
        add: Vec<String>,
        remove: Vec<String>,
    ) {
        let Some(peer) = self
            .connections
            .get_mut(&connection)
            .and_then(|c| c.front.peer_mut())
        else {
            return;
        };
        let (added, _) = peer.change_subscriptions(add, remove);
        let known: Vec<(DocumentId, RemoteHeads)> = self
            .documents
            .iter()
            .filter(|(_, doc)| doc.subscribers.contains_key(&connection))
            .flat_map(|(id, doc)| {
                added
                    .iter()
                    .filter_map(|storage| doc.remote_heads.get(storage))
                    .map(|heads| (id.clone(), heads.clone()))
            })
            .collect();
        for (document, heads) in known {
            self.tell_heads(connection, &document, heads);
        }
    }

    /// Heads a peer gossiped of a document it syncs here: the newer ones, of storage ids some
    /// subscriber asked to hear of, are kept and passed on.
    fn gossiped_heads(
        &mut self,
        connection: ConnectionId,
        document: &DocumentId,
        new_heads: Vec<RemoteHeads>,
    ) {
        /// A document has a few heads; a peer sending more is not describing one.
        const MAX_HEADS: usize = 64;
        let connections = &self.connections;
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        if !doc.subscribers.contains_key(&connection) {
            return;
        }
        let mut accepted = Vec::new();
        for heads in new_heads {
            let newer = doc
                .remote_heads
                .get(&heads.storage_id)
                .is_none_or(|known| known.timestamp < heads.timestamp);
            // Only the document's subscribers can be told, so only they are asked.
            let asked = doc.subscribers.keys().any(|c| {
                connections
                    .get(c)
                    .is_some_and(|c| asks_for(c, &heads.storage_id))
            });
            if newer && asked && heads.heads.len() <= MAX_HEADS {
                doc.remote_heads
                    .insert(heads.storage_id.clone(), heads.clone());
                accepted.push(heads);
            }
        }
        for heads in accepted {
            self.heads_changed(document, Some(connection), heads);
        }
    }

    /// Tells every subscriber of `document` (but `from`) that asked to hear of the storage id.
    fn heads_changed(
        &mut self,
        document: &DocumentId,
        from: Option<ConnectionId>,
        heads: RemoteHeads,
    ) {
        let Some(doc) = self.documents.get(document) else {
            return;
        };
        let listeners: Vec<ConnectionId> = doc
            .subscribers
            .keys()
            .copied()
            .filter(|c| Some(*c) != from)
            .filter(|c| {
                self.connections
                    .get(c)
                    .is_some_and(|c| asks_for(c, &heads.storage_id))
            })
            .collect();
        for listener in listeners {
            self.tell_heads(listener, document, heads.clone());
        }
    }

    /// A peer told what it has of the document: if it stores documents, that is kept as what
    /// its storage id has, and told to the subscribers who asked to hear of it.
    fn storage_peer_has(
        &mut self,
        document: &DocumentId,
        connection: ConnectionId,
        heads: &[ChangeHash],
        now: u64,
    ) {
        let Some(storage_id) = self
            .connections
            .get(&connection)
            .and_then(|c| c.front.peer()?.storage_id.clone())
        else {
            return;
        };
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        // automerge-repo keeps only heads newer than those it has: two in one millisecond
        // must still be two times.
        let timestamp = (self.config.clock_epoch_ms + now).max(
            doc.remote_heads
                .get(&storage_id)
                .map_or(0, |known| known.timestamp + 1),
        );
        let heads = RemoteHeads {
            storage_id: storage_id.clone(),
            heads: heads.iter().map(|hash| encode_head(&hash.0)).collect(),
            timestamp,
        };
        doc.remote_heads.insert(storage_id, heads.clone());
        self.heads_changed(document, Some(connection), heads);
    }

    fn tell_heads(&mut self, connection: ConnectionId, document: &DocumentId, heads: RemoteHeads) {
        let Some(peer) = peer_id_of(&self.connections, &connection) else {
            return;
        };
        let message = Message::RemoteHeadsChanged {
            sender_id: self.config.peer_id.clone(),
            target_id: peer,
            document_id: document.clone(),
            new_heads: vec![heads],
        };
        self.send(connection, &message);
    }

    fn send(&mut self, connection: ConnectionId, message: &Message) {
        self.outputs.push_back(Output::Send {
            connection,
            frame: message.encode(),
        });
    }

    fn doc_message(
        &mut self,
        connection: ConnectionId,
        message: DocMessage,
        request: bool,
        now: u64,
    ) {
        let sync_message = match sync::Message::decode(&message.data) {
            Ok(sync_message) => sync_message,
            Err(error) => {
                let reason = format!(
                    "a malformed sync message for {}: {error}",
                    message.document_id
                );
                return self.close(connection, reason, now);
            }
        };
        let document = message.document_id;
        let read_only = match self.access(connection, &document) {
            None => {
                self.outputs.push_back(Output::Deny {
                    connection,
                    document,
                });
                return;
            }
            Some(access) => access == Access::Read,
        };
        let Some(state) = self.connections.get_mut(&connection) else {
            return;
        };
        if read_only
            && !sync_message.changes.is_empty()
            && state.told_read_only.insert(document.clone())
        {
            // The changes are not applied (the peer's sync state is read-only) and not
            // forwarded; the peer hears why once.
            let refusal = Message::Error {
                message: format!("read-only access to {document}: changes are not accepted"),
            };
            self.send(connection, &refusal);
        }
        let Some(state) = self.connections.get_mut(&connection) else {
            return;
        };
        // The front limits how many documents a connection names.
        state.documents.insert(document.clone());
        if self.config.signal_only {
            self.introduced
                .entry(document)
                .or_default()
                .insert(connection);
            return;
        }
        // A new subscriber hears at once what it asked to hear of storage peers' heads.
        let known: Vec<RemoteHeads> = match (
            self.documents.get(&document),
            self.connections.get(&connection),
        ) {
            (Some(doc), Some(asker)) if !doc.subscribers.contains_key(&connection) => doc
                .remote_heads
                .values()
                .filter(|heads| asks_for(asker, &heads.storage_id))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        for heads in known {
            self.tell_heads(connection, &document, heads);
        }
        let doc = match self.documents.entry(document.clone()) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                self.outputs.push_back(Output::Load {
                    document: document.clone(),
                });
                entry.insert(Document::new(Phase::Loading, now))
            }
        };
        let state = doc.subscribers.entry(connection).or_insert_with(|| {
            if read_only {
                sync::State::new_read_only()
            } else {
                sync::State::new()
            }
        });
        doc.idle_since = None;
        if matches!(doc.phase, Phase::Unstored(_)) {
            // Dropped: the peer is synced afresh once the document is loaded again, and asked
            // then to resend what it sent (which it can, if its messages say it understands).
            if let Some(flags) = sync_message.flags {
                state.their_capabilities = Some(shortcut::capabilities(flags));
            }
            state.needs_reset = true;
            return;
        }
        let waiting_here = doc
            .waiting
            .iter()
            .filter(|w| w.connection == connection)
            .count();
        if waiting_here >= self.config.max_waiting_per_document {
            return self.close(
                connection,
                format!("too many messages waiting for {document}"),
                now,
            );
        }
        doc.waiting.push_back(Waiting {
            connection,
            request,
            message: sync_message,
        });
        self.process(&document, now);
    }

    /// Applies the waiting messages of an idle document: replies at once if nothing
    /// changed, otherwise writes first.
    fn process(&mut self, document: &DocumentId, now: u64) {
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        if doc.busy() || doc.waiting.is_empty() {
            return;
        }
        let compact = doc.compacts(self.config.compact_after_appends);
        let Phase::Ready(automerge) = &mut doc.phase else {
            return;
        };
        let before = automerge.get_heads();
        // Only a message that carries changes moves the heads.
        let mut heads = before.clone();
        let mut refused = Vec::new();
        let mut unavailable = Vec::new();
        // The heads each peer now has, where its message told something new.
        let mut heard = Vec::new();
        for waiting in std::mem::take(&mut doc.waiting) {
            let Some(state) = doc.subscribers.get_mut(&waiting.connection) else {
                continue;
            };
            // Only a storage peer's heads are told on: the app's peers are ephemeral, and pay
            // nothing here.
            let their_heads_before = self
                .connections
                .get(&waiting.connection)
                .and_then(|c| c.front.peer()?.storage_id.as_ref())
                .map(|_| state.their_heads.clone());
            let told = state.last_sent_heads.clone();
            let received = match shortcut::receive_acknowledgement(&heads, state, waiting.message) {
                Ok(()) => Ok(()),
                Err(message) => {
                    let received = automerge.receive_sync_message(state, message);
                    heads = automerge.get_heads();
                    received
                }
            };
            // Automerge counts a peer that sends the relay's own heads as told them, though no
            // message of the relay said so. A peer that sent changes without waiting, and then
            // those heads, before the relay had stored them, would never hear that the relay has
            // them: the relay's heads are told to a peer only by a message that carries them.
            if state.last_sent_heads == heads && told != heads && !heads.is_empty() {
                state.last_sent_heads = told;
            }
            if let Err(error) = received {
                refused.push((waiting.connection, error.to_string()));
                continue;
            }
            if let (Some(before), Some(their_heads)) = (&their_heads_before, &state.their_heads)
                && before.as_ref() != Some(their_heads)
            {
                heard.push((waiting.connection, their_heads.clone()));
            }
            if waiting.request && heads.is_empty() {
                if announced_heads(&doc.subscribers, waiting.connection) {
                    doc.held_requests.entry(waiting.connection).or_insert(now);
                } else {
                    unavailable.push(waiting.connection);
                }
            } else {
                doc.owed_reply.insert(waiting.connection);
            }
        }
        let changed = heads != before;
        if !heads.is_empty() {
            doc.held_requests.clear();
        }
        if changed {
            let ticket = Ticket(self.next_ticket);
            self.next_ticket += 1;
            let write = if compact {
                Write::Compact(automerge.save())
            } else {
                Write::Append(automerge.save_after(&doc.saved_heads))
            };
            let (Write::Compact(bytes) | Write::Append(bytes)) = &write;
            doc.writing = Some((ticket, heads, compact, bytes.len() as u64));
            self.outputs.push_back(Output::Store {
                document: document.clone(),
                ticket,
                write,
            });
        }
        for connection in unavailable {
            self.send_unavailable(connection, document);
        }
        for (connection, error) in refused {
            self.close(
                connection,
                format!("a sync message for {document} was refused: {error}"),
                now,
            );
        }
        for (connection, heads) in heard {
            self.storage_peer_has(document, connection, &heads, now);
        }
        if !changed {
            self.reply(document, false);
        }
    }

    /// Sends every owed reply and, when the document changed, every other subscriber what is
    /// new. Only then: asking Automerge whether a subscriber lacks anything costs a Bloom filter
    /// and a walk of the changes, and doing it for everyone on every acknowledgement made each
    /// message cost in proportion to the subscribers.
    fn reply(&mut self, document: &DocumentId, changed: bool) {
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        let Phase::Ready(automerge) = &doc.phase else {
            return;
        };
        let owed = std::mem::take(&mut doc.owed_reply);
        // While the relay has nothing, only those owed a reply hear from it: those who asked
        // for the document were told it is unavailable.
        let heads = automerge.get_heads();
        let has_changes = !heads.is_empty();
        // Automerge's message is a function of the document and the peer's sync state, and
        // the peers that were in sync before a change are all in the same state: each state
        // seen here, with what Automerge made of it, so the message is built once for them
        // all (200 writers on one group: once per write rather than 200 times).
        let mut built: HashMap<sync::State, Built> = HashMap::new();
        let aside = self.config.build_aside_bytes <= doc.snapshot_bytes + doc.appended_bytes;
        for (connection, state) in &mut doc.subscribers {
            // Those never heard from yet get their reply when their message is applied.
            if !owed.contains(connection)
                && (!changed || !has_changes || state.their_heads.is_none())
            {
                continue;
            }
            let data = if wants_whole_document(state) {
                let first = if aside {
                    let Some(first) = first_sync_aside(
                        &mut doc.first_sync,
                        &mut doc.building_first_sync,
                        automerge,
                        &heads,
                        document,
                        &mut self.outputs,
                    ) else {
                        // Answered when it is built (`first_sync_built`).
                        continue;
                    };
                    first
                } else {
                    first_sync(&mut doc.first_sync, automerge, &heads)
                };
                state.have_responded = true;
                state.last_sent_heads.clone_from(&first.heads);
                state.sent_hashes.extend(first.hashes.iter().copied());
                state.in_flight = true;
                first.data.clone()
            } else if shortcut::nothing_to_send(automerge, &heads, state)
                || awaits_whole_document(state)
            {
                continue;
            } else {
                let data = if let Some((after, data)) = built.get(state) {
                    state.clone_from(after);
                    data.clone()
                } else {
                    let before = state.clone();
                    let data = shortcut::generate_sync_message(automerge, state)
                        .map(|message| Arc::from(message.encode()));
                    built.insert(before, (state.clone(), data.clone()));
                    data
                };
                match data {
                    Some(data) => data,
                    None => continue,
                }
            };
            let Some(peer) = peer_id_of(&self.connections, connection) else {
                continue;
            };
            self.outputs.push_back(Output::SendShared {
                connection: *connection,
                head: sync_head(&self.config.peer_id, &peer, document, data.len()),
                body: data,
                ephemeral: false,
            });
        }
    }

    fn send_unavailable(&mut self, connection: ConnectionId, document: &DocumentId) {
        let Some(peer) = peer_id_of(&self.connections, &connection) else {
            return;
        };
        let message = Message::DocUnavailable {
            sender_id: self.config.peer_id.clone(),
            target_id: peer,
            document_id: document.clone(),
        };
        self.send(connection, &message);
    }

    fn forward_ephemeral(&mut self, connection: ConnectionId, mut message: Ephemeral, now: u64) {
        let document = &message.document_id;
        let subscribed = match self.documents.get(document) {
            Some(doc) => doc.subscribers.contains_key(&connection),
            None => self
                .introduced
                .get(document)
                .is_some_and(|peers| peers.contains(&connection)),
        };
        if !subscribed {
            return;
        }
        let Some(state) = self.connections.get_mut(&connection) else {
            return;
        };
        // Each is sent to every subscriber: a thousand of them made one sender's presence, at
        // the rate frames are read, half a million frames a second.
        let refusal = if message.data.len() > self.config.max_ephemeral_bytes {
            Some(format!(
                "an ephemeral message of {} bytes was not forwarded: the limit is {} bytes",
                message.data.len(),
                self.config.max_ephemeral_bytes
            ))
        } else if state.ephemerals.count(now) > self.config.max_ephemeral_per_second {
            Some(format!(
                "ephemeral messages past {} a second are not forwarded",
                self.config.max_ephemeral_per_second
            ))
        } else {
            None
        };
        if let Some(message) = refusal {
            if !std::mem::replace(&mut state.told_ephemeral_limit, true) {
                self.send(connection, &Message::Error { message });
            }
            return;
        }
        // Peers hear who sent it from the relay, not from the sender: nobody speaks as another.
        let Some(sender) = state.front.peer_id().map(str::to_owned) else {
            return;
        };
        message.sender_id = sender;
        let peers: Vec<ConnectionId> = match self.documents.get(&message.document_id) {
            Some(doc) => doc.subscribers.keys().copied().collect(),
            None => self.introduced[&message.document_id]
                .iter()
                .copied()
                .collect(),
        };
        let targets = peers.into_iter().filter(|other| *other != connection);
        // One copy of the data for all of them: a thousand subscribers of a 16 KiB message
        // would otherwise hold 16 MB.
        let body: Arc<[u8]> = Arc::from(message.data.as_slice());
        for target in targets {
            let Some(peer) = peer_id_of(&self.connections, &target) else {
                continue;
            };
            message.target_id = peer;
            self.outputs.push_back(Output::SendShared {
                connection: target,
                head: message.head(),
                body: body.clone(),
                ephemeral: true,
            });
        }
    }

    /// The result of an [`Output::Load`]: the stored bytes, none if nothing is stored, or why
    /// they could not be read.
    pub fn loaded(
        &mut self,
        document: &DocumentId,
        result: Result<Option<Stored>, String>,
        now: u64,
    ) {
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        let stored = match result {
            Ok(None) => Stored {
                document: Automerge::new(),
                appends: 0,
                appended_bytes: 0,
                snapshot_bytes: 0,
            },
            Ok(Some(stored)) => stored,
            Err(error) => return self.refuse(document, error),
        };
        let automerge = stored.document;
        doc.appends_since_snapshot = stored.appends;
        doc.appended_bytes = stored.appended_bytes;
        doc.snapshot_bytes = stored.snapshot_bytes;
        doc.saved_heads = automerge.get_heads();
        doc.phase = Phase::Ready(Box::new(automerge));
        if std::mem::take(&mut doc.resync) {
            doc.owed_reply.extend(doc.subscribers.keys().copied());
            self.reply(document, false);
        }
        self.process(document, now);
    }

    /// The result of an [`Output::BuildFirstSync`]: the peers with nothing are sent it.
    pub fn first_sync_built(&mut self, document: &DocumentId, first: FirstSync) {
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        doc.building_first_sync = false;
        // It holds only what is stored (replies, and so builds, wait for a write to end), so
        // a document loaded again after a failed write has all of it; one unloaded meanwhile
        // has nobody waiting.
        if !matches!(doc.phase, Phase::Ready(_)) {
            return;
        }
        doc.first_sync = Some(first);
        let wanting = doc
            .subscribers
            .iter()
            .filter(|(_, state)| wants_whole_document(state))
            .map(|(connection, _)| *connection);
        doc.owed_reply.extend(wanting);
        self.reply(document, false);
    }

    /// The result of an [`Output::Store`].
    pub fn stored(
        &mut self,
        document: &DocumentId,
        ticket: Ticket,
        result: Result<(), String>,
        now: u64,
    ) {
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        if doc
            .writing
            .as_ref()
            .is_none_or(|(expected, ..)| *expected != ticket)
        {
            return;
        }
        let Some((_, heads, compact, bytes)) = doc.writing.take() else {
            return;
        };
        if doc.deleting {
            self.documents.remove(document);
            self.outputs.push_back(Output::Delete {
                document: document.clone(),
            });
            return;
        }
        if let Err(error) = result {
            return self.unstore(document, error, now);
        }
        doc.saved_heads = heads;
        doc.failed_writes = 0;
        if compact {
            doc.appends_since_snapshot = 0;
            doc.appended_bytes = 0;
            doc.snapshot_bytes = bytes;
        } else {
            doc.appends_since_snapshot += 1;
            doc.appended_bytes += bytes;
        }
        self.reply(document, true);
        self.process(document, now);
        if let Some(doc) = self.documents.get_mut(document)
            && doc.subscribers.is_empty()
            && doc.idle_since.is_none()
        {
            doc.idle_since = Some(now);
        }
    }

    /// A write failed: drop from memory what is not stored (its senders were never told the
    /// relay has it), tell the subscribers why, and start their sync afresh once the document
    /// is loaded again ([`Phase::Unstored`]). Each sync state keeps what the peer has and can
    /// do, and asks it to resend what it sent before (Automerge's sync reset): the peer keeps
    /// its changes, and nobody reconnects.
    fn unstore(&mut self, document: &DocumentId, reason: String, now: u64) {
        let Some(doc) = self.documents.get_mut(document) else {
            return;
        };
        doc.phase = Phase::Unstored(now);
        doc.failed_writes = doc.failed_writes.saturating_add(1);
        doc.waiting.clear();
        doc.owed_reply.clear();
        doc.first_sync = None;
        for state in doc.subscribers.values_mut() {
            let mut fresh = if state.read_only {
                sync::State::new_read_only()
            } else {
                sync::State::new()
            };
            // What the peer has is still true; what the relay sent or shared may name changes
            // it no longer has.
            fresh.their_capabilities = state.their_capabilities.take();
            fresh.their_heads = state.their_heads.take();
            fresh.their_have = state.their_have.take();
            fresh.their_need = state.their_need.take();
            fresh.needs_reset = true;
            *state = fresh;
        }
        let refusal = Message::Error {
            message: format!(
                "the relay cannot store {document} now ({reason}); your changes are kept on \
                 your device and sent again when it can"
            ),
        };
        let subscribers: Vec<ConnectionId> = doc.subscribers.keys().copied().collect();
        for connection in subscribers {
            self.send(connection, &refusal);
        }
        self.outputs.push_back(Output::Refused {
            document: document.clone(),
            reason,
        });
    }

    /// The document cannot be read: drop it from memory and tell its peers it is unavailable.
    fn refuse(&mut self, document: &DocumentId, reason: String) {
        let Some(doc) = self.documents.remove(document) else {
            return;
        };
        self.outputs.push_back(Output::Refused {
            document: document.clone(),
            reason,
        });
        for connection in doc.subscribers.keys() {
            if let Some(state) = self.connections.get_mut(connection) {
                state.documents.remove(document);
            }
            self.send_unavailable(*connection, document);
        }
    }

    /// Closes connections that never joined, unloads documents idle for long enough, and
    /// shrinks tables that are mostly empty.
    pub fn tick(&mut self, now: u64) {
        let late: Vec<ConnectionId> = self
            .connections
            .iter()
            .filter(|(_, c)| {
                !c.front.is_joined()
                    && now.saturating_sub(c.opened_at) >= self.config.join_timeout_ms
            })
            .map(|(id, _)| *id)
            .collect();
        for connection in late {
            self.close(connection, "no join in time".to_owned(), now);
        }
        // One pass over the documents: idle ones leave memory, and requests held too long are
        // let go (whoever announced the changes is not sending them).
        let (idle_ms, hold_ms) = (self.config.idle_unload_ms, self.config.hold_request_ms);
        let retry_ms = self.config.write_retry_ms;
        let mut expired = Vec::new();
        self.documents.retain(|id, doc| {
            if let Phase::Unstored(since) = doc.phase
                && now.saturating_sub(since)
                    >= retry_ms << doc.failed_writes.saturating_sub(1).min(6)
            {
                doc.phase = Phase::Loading;
                doc.resync = true;
                self.outputs.push_back(Output::Load {
                    document: id.clone(),
                });
            }
            doc.held_requests.retain(|connection, since| {
                let keep = now.saturating_sub(*since) < hold_ms;
                if !keep {
                    expired.push((*connection, id.clone()));
                }
                keep
            });
            !(doc.subscribers.is_empty()
                && !doc.busy()
                && doc
                    .idle_since
                    .is_some_and(|since| now.saturating_sub(since) >= idle_ms))
        });
        for (connection, document) in expired {
            self.send_unavailable(connection, &document);
        }
        // Tables keep their largest size; a crowd that came and went should not.
        if mostly_empty(self.connections.len(), self.connections.capacity()) {
            self.connections.shrink_to_fit();
        }
        if mostly_empty(self.documents.len(), self.documents.capacity()) {
            self.documents.shrink_to_fit();
        }
        if mostly_empty(self.outputs.len(), self.outputs.capacity()) {
            self.outputs.shrink_to_fit();
        }
    }
}

/// Whether a subscriber other than `asker` has told the relay it holds changes.
fn announced_heads(subscribers: &HashMap<ConnectionId, sync::State>, asker: ConnectionId) -> bool {
    subscribers.iter().any(|(connection, state)| {
        *connection != asker && state.their_heads.as_ref().is_some_and(|h| !h.is_empty())
    })
}

/// Whether a table of this capacity, holding `len`, is worth shrinking.
fn mostly_empty(len: usize, capacity: usize) -> bool {
    capacity > 64 && len * 4 < capacity
}

/// What Automerge made of a sync state: the state after, and the message, if any.
type Built = (sync::State, Option<Arc<[u8]>>);

/// Whether the peer was sent the whole document and has not answered yet. Automerge would send
/// it the whole document again for every change meanwhile (it still has nothing, as far as the
/// relay knows): a peer that stopped reading a large group cost a full save per change. What
/// changed reaches it in the answer to its reply.
fn awaits_whole_document(state: &sync::State) -> bool {
    state.in_flight && state.have_responded && state.their_heads.as_deref() == Some(&[])
}

/// Whether the peer has nothing and can take the whole document in one message: the case the
/// first-sync cache serves. Mirrors the condition under which automerge sends the whole
/// document to a fresh peer.
fn wants_whole_document(state: &sync::State) -> bool {
    !state.have_responded
        && state.their_heads.as_deref() == Some(&[])
        && state.their_have.is_some()
        && state.their_need.is_some()
        && state.shared_heads.is_empty()
        && !state.read_only
        && !state.peer_read_only
        && !state.needs_reset
        && state
            .their_capabilities
            .as_ref()
            .is_some_and(|caps| caps.contains(&Capability::MessageV2))
}

/// The cached first sync at the document's current `heads`, made now if it is missing or stale.
fn first_sync<'a>(
    cache: &'a mut Option<FirstSync>,
    automerge: &Automerge,
    heads: &[ChangeHash],
) -> &'a FirstSync {
    if cache.as_ref().is_some_and(|first| first.heads != heads) {
        *cache = None;
    }
    cache.get_or_insert_with(|| FirstSync::of(automerge))
}

/// The cached first sync of a document whose first sync is built away from the hub, even if
/// the document changed since (a peer given an older whole document gets the rest as changes,
/// as any peer does, so a group edited faster than it is saved still reaches new peers); a
/// build of the current heads is asked for when the cache is missing or stale, unless one is
/// under way.
fn first_sync_aside<'a>(
    cache: &'a mut Option<FirstSync>,
    building: &mut bool,
    automerge: &Automerge,
    heads: &[ChangeHash],
    document: &DocumentId,
    outputs: &mut VecDeque<Output>,
) -> Option<&'a FirstSync> {
    if !*building && cache.as_ref().is_none_or(|first| first.heads != heads) {
        *building = true;
        outputs.push_back(Output::BuildFirstSync {
            document: document.clone(),
            automerge: Box::new(automerge.clone()),
        });
    }
    cache.as_ref()
}
