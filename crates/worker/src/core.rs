//! The worker's core: the open group, its sync with the relay and with other tabs, and the
//! order of storing and sending, as a state machine with no I/O (the shape of the relay's
//! `Hub`). It builds natively and is tested there (`tests/core.rs`).
//!
//! The shell ([`crate::shell`]) feeds it [`Input`]s (the page's requests, relay frames, other
//! tabs' messages, storage results and clock ticks) and carries out the [`Output`]s it returns:
//! posts to the page, frames to the relay, messages to other tabs and storage operations.
//! Storage operations run one at a time in the order given; each answers with
//! [`Input::Stored`] under its [`Ticket`].
//!
//! Storage is safe with any number of tabs writing the same group (each tab has its own worker
//! and core): chunks are keyed by their content ([`ChunkKey`]), so two tabs never write the
//! same key with different bytes, and a compaction deletes only the chunks this core read or
//! wrote, all of which its snapshot contains. A chunk another tab wrote meanwhile stays.
//!
//! The page's request for an action is answered once the change is stored: until that reply,
//! the page knows the change is not yet on disk. A failed write leaves the change in memory and
//! is tried again with the next change or tick.

mod direct;

use std::collections::{BTreeMap, HashMap, VecDeque};

use cohort_model::automerge::{Automerge, ChangeHash, PatchLog};
use cohort_model::protocol::{
    self, AccessRole, Answer, DirectStatus, Download, Event, ExportFile, Failure, FromWorker,
    Grant, GroupSummary, Reply, Request, ShareLink, StorageFailure, SyncState, SyncStatus,
    ViewSource,
};
use cohort_model::{
    Action, ApplyError, Group, GroupDoc, GroupId, MemberId, Millis, ProfileField, Touched, history,
    sheet,
};
use cohort_sync::DocumentId;
use cohort_sync::client::{Client, Incoming};
use cohort_sync::presence::{MAX_NAME_CHARS, Presence};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// After this many chunks a group's storage is compacted into one snapshot.
pub const COMPACT_AFTER_CHUNKS: usize = 200;
/// While the open group stays in sync, the time it was last in sync is stored at most this
/// often (and whenever the sync state changes): a closed tab loses at most this much of it.
const REMEMBER_SYNCED_EVERY_MS: Millis = 60_000;
/// Members per message when a view is sent: small enough to decode well within a frame.
const MEMBERS_PER_MESSAGE: usize = 1_000;
const FEEDBACK_PER_MESSAGE: usize = 2_000;
/// Activities carry their invitations and attendance: fewer to a message.
const ACTIVITIES_PER_MESSAGE: usize = 100;
/// A device not heard from for this long has left.
const PRESENCE_EXPIRES_MS: Millis = 25_000;
/// A connection that holds this long after its handshake resets the reconnect backoff.
const CONNECTION_HELD_MS: Millis = 10_000;
/// The most changes a page of history shows.
const HISTORY_PAGE: usize = 200;

/// Names one storage operation, so that its result finds what waits for it.
pub type Ticket = u64;

/// Where a chunk of a group's Automerge bytes is stored. The order is the order of loading:
/// snapshots before the changes that follow them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChunkKey {
    /// Storage before version 3 numbered the chunks of a group, the lowest a snapshot. Such
    /// chunks are read as they are and replaced by the next compaction.
    Numbered(u32),
    /// A whole document, keyed by the SHA-256 of its heads.
    Snapshot(String),
    /// Changes, keyed by the SHA-256 of their bytes: two tabs storing the same changes write
    /// the same key with the same bytes.
    Incremental(String),
}

impl ChunkKey {
    pub fn snapshot(heads: &[ChangeHash]) -> Self {
        let mut sorted = heads.to_vec();
        sorted.sort_unstable();
        let mut hasher = Sha256::new();
        for head in &sorted {
            hasher.update(head.0);
        }
        Self::Snapshot(hex(&hasher.finalize()))
    }

    pub fn incremental(bytes: &[u8]) -> Self {
        Self::Incremental(hex(&Sha256::digest(bytes)))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One stored chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub key: ChunkKey,
    pub bytes: Vec<u8>,
}

/// Where a view update is stored: when it was written, and the key of the chunk it came with.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UpdateKey {
    pub at: Millis,
    pub chunk: String,
}

/// What stored changes changed in the view: encoded `Updated` messages, posted as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewUpdate {
    pub key: UpdateKey,
    pub messages: Vec<u8>,
}

/// What is stored for one group but its chunks, read in one transaction.
#[derive(Clone, Debug, Default)]
pub struct StoredGroup {
    pub summary: Option<GroupSummary>,
    /// The encoded [`CachedView`], if one was saved.
    pub view: Option<Vec<u8>>,
    /// View updates stored with chunks since, in any order.
    pub updates: Vec<ViewUpdate>,
    pub synced_at: Option<Millis>,
    /// The encoded analytics report last worked out for the group, if any.
    pub report: Option<Vec<u8>>,
}

/// What the core asks of storage.
#[derive(Clone, Debug)]
pub enum StorageOp {
    ListGroups,
    /// What is stored for a group but its chunks: answers [`Stored::Group`].
    Read(GroupId),
    /// The group's chunks: answers [`Stored::Chunks`]. Read apart from the view, which the page
    /// shows while the document loads.
    ReadChunks(GroupId),
    /// A new group: its catalogue entry and its first chunk, together.
    Create {
        summary: GroupSummary,
        chunk: Chunk,
    },
    /// Stores a chunk of changes, and with it what they changed in the view, so that a
    /// reopened group shows every stored change before its document has loaded.
    Append {
        group: GroupId,
        chunk: Chunk,
        update: Option<ViewUpdate>,
    },
    /// Writes `snapshot` and deletes `replaces`, in one transaction.
    Compact {
        group: GroupId,
        snapshot: Chunk,
        replaces: Vec<ChunkKey>,
    },
    /// Adds or renames a group in the catalogue.
    PutSummary(GroupSummary),
    /// Appends the rename's change and updates the catalogue entry, together.
    Rename {
        summary: GroupSummary,
        chunk: Chunk,
    },
    /// Stores the group's view and deletes the view updates it `replaces`.
    PutView {
        group: GroupId,
        view: Vec<u8>,
        replaces: Vec<UpdateKey>,
    },
    PutSyncedAt {
        group: GroupId,
        at: Millis,
    },
    /// Keeps the group's latest analytics report, to draw at once next time.
    PutReport {
        group: GroupId,
        report: Vec<u8>,
    },
    Delete(GroupId),
}

/// What storage answers.
#[derive(Clone, Debug)]
pub enum Stored {
    Done,
    Groups(Vec<GroupSummary>),
    Group(StoredGroup),
    Chunks(Vec<Chunk>),
}

/// What the core acts on.
#[derive(Debug)]
pub enum Input {
    /// A request from the page, to be answered under its number.
    Page {
        seq: u32,
        request: Request,
    },
    /// The socket to the relay opened.
    Opened,
    Frame(Vec<u8>),
    /// The socket closed or failed.
    Closed,
    /// Time to try connecting again.
    Retry,
    /// A message from another tab of this browser.
    FromTab(Vec<u8>),
    /// The clock: presence heartbeats and expiry, writes tried again.
    Tick,
    /// Go on with the work the core paused with [`Output::Yield`].
    Resume,
    Stored {
        ticket: Ticket,
        result: Result<Stored, StorageFailure>,
    },
    /// The relay answered a [`RelayCall`] (status and body), or could not be reached.
    Fetched {
        seq: u32,
        result: Result<(u16, Vec<u8>), String>,
    },
}

/// What the core asks the shell to do.
#[derive(Debug)]
pub enum Output {
    /// An encoded [`FromWorker`] message for the page.
    Post(Vec<u8>),
    /// A frame for the relay.
    Send(Vec<u8>),
    /// A message for the other tabs of this browser.
    TellTabs(Vec<u8>),
    /// Open a socket to the relay.
    Connect,
    /// Close the socket and do not try again (the browser is offline).
    Disconnect,
    /// Close the socket and try again after a backoff.
    Reconnect,
    /// The connection has held for [`CONNECTION_HELD_MS`] since its handshake: the next
    /// backoff starts afresh. Not at the handshake: a relay that closes every connection right
    /// after it would otherwise be tried again at the shortest wait, forever.
    ConnectionHeld,
    /// Sync through this relay from the next connection on (`None`: the home relay).
    SetRelay(Option<String>),
    Storage(Ticket, StorageOp),
    /// Something went wrong that nobody asked about: for the console.
    Warn(String),
    /// Carry out the outputs so far (the page gets its posts), then hand the core
    /// [`Input::Resume`]: it has more of a long piece of work to do.
    Yield,
    /// Present these capabilities from the next connection on: the sync URL's query.
    SetAccess(String),
    /// Make this HTTP request of the relay and hand back [`Input::Fetched`].
    Fetch {
        seq: u32,
        call: RelayCall,
    },
}

/// An HTTP request of the relay's `/groups` API (relay/src/groups.rs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayCall {
    pub method: &'static str,
    /// From the relay's root: `/groups/<id>/links`.
    pub path: String,
    /// The capability, sent as `Authorization: Bearer`.
    pub bearer: Option<String>,
    /// JSON.
    pub body: Option<String>,
}

/// What a [`RelayCall`] was for.
#[derive(Debug)]
enum Calling {
    Protect(GroupId),
    Links,
    MakeLink(GroupId, AccessRole),
    Revoke,
    DeleteForEveryone(GroupId),
}

/// A link as the relay's API writes it (roles in lower case).
#[derive(Deserialize)]
struct RelayLink {
    id: String,
    role: String,
    #[serde(default)]
    label: String,
    expires_at: Option<u64>,
    created_at: u64,
    last_used_at: Option<u64>,
}

impl RelayLink {
    fn share_link(self) -> Option<ShareLink> {
        Some(ShareLink {
            id: self.id,
            role: AccessRole::from_key(&self.role)?,
            label: self.label,
            expires_at: self.expires_at,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        })
    }
}

#[derive(Deserialize)]
struct RelayNewLink {
    link: RelayLink,
    secret: String,
}

/// The view saved with a group: the messages that show it, encoded, so that opening the group
/// posts them as they are, and the document heads the view shows.
#[derive(Serialize, Deserialize)]
struct CachedView {
    /// [`VIEW_FORMAT`] when it was saved.
    format: u32,
    heads: Vec<[u8; 32]>,
    /// When it was saved: view updates stored before are in it already.
    saved_at: Millis,
    messages: Vec<Vec<u8>>,
}

/// The encoding of the page's messages in a stored view and in stored view updates. Postcard
/// carries no types: a view stored by a build whose messages differ would decode as nonsense,
/// so one of another format is not shown (the document is read instead). Raise it whenever a
/// type in a view message changes.
const VIEW_FORMAT: u32 = 6;

/// A stored view, if it is in this build's format.
fn cached_view(bytes: &[u8]) -> Option<CachedView> {
    protocol::decode::<CachedView>(bytes)
        .ok()
        .filter(|view| view.format == VIEW_FORMAT)
}

impl CachedView {
    fn heads(&self) -> Vec<ChangeHash> {
        self.heads.iter().map(|head| ChangeHash(*head)).collect()
    }

    /// The view as plain values.
    fn group(&self) -> Result<Group, protocol::BadMessage> {
        let mut events = Vec::new();
        for bytes in &self.messages {
            // A stored view holds only view events.
            if let FromWorker::Event(event) = protocol::decode(bytes)? {
                events.push(event);
            }
        }
        Ok(protocol::assemble(events))
    }
}

/// A message between tabs: changes one of them stored for a group.
#[derive(Serialize, Deserialize)]
struct TabChanges {
    group: GroupId,
    changes: Vec<u8>,
}

fn apply_failure(error: ApplyError) -> Failure {
    match error {
        ApplyError::Invalid(invalid) => Failure::Invalid(invalid),
        ApplyError::Document(error) => Failure::Document(error.to_string()),
    }
}

fn document_failure(error: impl std::fmt::Display) -> Failure {
    Failure::Document(error.to_string())
}

/// The automerge-repo document id of a group: the same id.
fn document_id(id: GroupId) -> DocumentId {
    DocumentId::from_bytes(id.bytes())
}

/// Loads a group from its chunks: snapshots first, then the changes, in any order.
pub fn load_chunks(chunks: Vec<Chunk>) -> Result<GroupDoc, Failure> {
    GroupDoc::load(&chunk_bytes(chunks)).map_err(document_failure)
}

/// A group's chunks as the bytes one `Automerge::load` reads: snapshots first.
pub fn chunk_bytes(mut chunks: Vec<Chunk>) -> Vec<u8> {
    chunks.sort_by(|a, b| a.key.cmp(&b.key));
    chunks.into_iter().flat_map(|chunk| chunk.bytes).collect()
}

/// Who waits for a write of the open group.
#[derive(Debug)]
enum Waiter {
    /// A change asked for (an action, an import, a merge): answered once stored.
    Answer(u32, Answer),
    /// A rename of the open group: its catalogue entry is written once the change is stored.
    Rename(u32, GroupSummary),
}

/// What needs the open group as plain values ([`Core::with_group`]).
#[derive(Debug)]
enum GroupWork {
    Preview {
        table: sheet::Table,
        columns: Option<Vec<Option<sheet::Column>>>,
        words: sheet::Words,
    },
    Import(SheetImport),
    /// Tables for the page to have written as CSV or XLSX.
    Tables(Vec<sheet::Export>, sheet::Words),
    Json,
    /// The analytics report, at this clock.
    Analytics(cohort_model::analytics::Clock),
}

/// A spreadsheet to import, as [`Request::ImportSheet`] asks.
#[derive(Debug)]
struct SheetImport {
    table: sheet::Table,
    columns: Vec<Option<sheet::Column>>,
    on_match: sheet::OnMatch,
    words: sheet::Words,
    at: Millis,
}

/// A write of a group's changes under way.
#[derive(Debug)]
struct Write {
    group: GroupId,
    /// The heads the group's storage has once this write is done.
    heads: Vec<ChangeHash>,
    key: ChunkKey,
    /// The chunks this write replaces (a compaction).
    replaces: Vec<ChunkKey>,
    /// The changes written, for the other tabs (none for a compaction).
    changes: Vec<u8>,
    /// The view update stored with them: its key, and its messages to keep if the write fails.
    update: Option<(UpdateKey, Vec<Vec<u8>>)>,
    waiters: Vec<Waiter>,
}

/// What a storage result continues.
#[derive(Debug)]
enum Then {
    /// Answer the request with what storage answered.
    Answer(u32),
    /// Answer the request with this group once stored.
    AnswerGroup(u32, GroupSummary),
    Open(u32, GroupId),
    Load(u32, Opening),
    Rename(u32, String),
    RenameChunks(u32, GroupSummary),
    Renamed(u32, GroupSummary, Vec<u8>),
    SaveView(u32, Vec<ChangeHash>),
    /// Work on the open group as plain values, once its stored view is read.
    WithGroup(u32, GroupWork),
    /// A view of the group was stored in place of these updates.
    ViewSaved(GroupId, Vec<UpdateKey>),
    Write(Write),
    /// Nothing waits: a failure is only logged (what it was, for the console).
    Background(&'static str),
}

/// A group whose view is shown and whose document is loading.
#[derive(Debug)]
struct Opening {
    summary: GroupSummary,
    /// The heads of the view shown, if one was stored.
    view_heads: Option<Vec<ChangeHash>>,
    known_updates: Vec<UpdateKey>,
}

/// The group shown on the page, loaded.
#[derive(Debug)]
struct OpenGroup {
    id: GroupId,
    summary: GroupSummary,
    doc: GroupDoc,
    /// The heads of the stored view; it is brought up to date now and then, not on every edit.
    view_heads: Vec<ChangeHash>,
    /// The heads stored in IndexedDB by this core or read from it.
    stored_heads: Vec<ChangeHash>,
    /// The chunks this core read or wrote: all a compaction may delete.
    known_chunks: Vec<ChunkKey>,
    /// The view updates this core read or wrote: all a saved view may replace.
    known_updates: Vec<UpdateKey>,
    /// `Updated` messages posted since the last write began, to store with the next one.
    unstored_updates: Vec<Vec<u8>>,
    /// A write of this group is under way.
    writing: bool,
    /// The last write failed: try again only on the next change or tick, not at once.
    write_failed: bool,
    /// Requests answered by the next write.
    waiters: Vec<Waiter>,
    /// The group's changes, indexed when the history is first asked for.
    history: history::History,
}

impl OpenGroup {
    /// The group as plain values: its `stored_view` brought up to the document with the
    /// records changed since, or else read from the whole document. The first is much cheaper
    /// for a large group: it decodes plain values where the second walks every operation
    /// (10,000 members take 0.35 s natively that way).
    fn group(&self, stored_view: Option<&[u8]>) -> Group {
        let doc = &self.doc;
        let stored = stored_view.and_then(cached_view);
        match stored.and_then(|view| Some((view.group().ok()?, doc.touched_since(&view.heads())?)))
        {
            Some((mut group, touched)) => {
                group.apply(doc.update_for(&touched));
                group
            }
            None => doc.hydrate(),
        }
    }
}

/// A group fetched from the relay, shown in parts: its members first, then it is stored, then
/// its feedback is shown and the view stored.
#[derive(Debug)]
struct ShowingFetched {
    id: GroupId,
    /// The view shown so far: no feedback yet.
    group: Group,
    /// The messages posted so far, as the stored view will have them.
    cache: Vec<Vec<u8>>,
    /// Whether the group's document was given to storage yet.
    stored: bool,
}

/// A shared group asked of the relay, not yet on this device.
#[derive(Debug)]
struct Fetching {
    id: GroupId,
    doc: Automerge,
}

/// How far the connection to the relay has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connection {
    Offline,
    Connecting,
    Joined,
}

/// Answers the page's requests and the relay's messages; see the module documentation.
#[derive(Debug)]
pub struct Core {
    open: Option<OpenGroup>,
    fetching: Option<Fetching>,
    client: Client,
    connection: Connection,
    /// When the connection's handshake succeeded, until it has held long enough to count.
    joined_at: Option<Millis>,
    /// Whether the browser says it is online; while it is not, no reconnecting is tried.
    online: bool,
    /// The open group's sync status; `last_synced_at` is kept current while up to date.
    status: SyncStatus,
    /// The open group's `last_synced_at` as stored.
    stored_synced_at: Option<Millis>,
    display_name: String,
    /// This device's id, which its changes are written under ([`Request::SetOrganizer`]).
    device: String,
    /// The group being opened is to be shown with an analytics report at once, at this clock.
    post_report: Option<cohort_model::analytics::Clock>,
    /// Counts this device's presence messages (peers drop repeats by it).
    presence_count: u64,
    session_id: String,
    /// Other devices with the open group open: peer id → display name and when last heard.
    others: BTreeMap<String, (String, Millis)>,
    /// A request waits for storage; later requests wait in `queue` (actions wait only for
    /// this, not for their own write).
    busy: bool,
    queue: VecDeque<(u32, Request)>,
    next_ticket: Ticket,
    pending: HashMap<Ticket, Then>,
    /// What is left of a fetched group's showing and storing, done on [`Input::Resume`].
    resume: Option<ShowingFetched>,
    now: Millis,
    outputs: Vec<Output>,
    /// The capabilities this device holds, by group ([`Request::SetAccess`]).
    grants: HashMap<GroupId, Grant>,
    /// Relay calls under way, by the request they answer.
    calls: HashMap<u32, Calling>,
    /// Direct connections to other browsers, by the page's channel number.
    direct: BTreeMap<u32, direct::DirectPeer>,
    /// Peers heard through the relay, by peer id, and when the page was last asked to dial
    /// each.
    dialled: HashMap<String, Millis>,
    /// The direct connections as last posted.
    direct_status: Vec<DirectStatus>,
}

impl Core {
    /// A core whose peer and presence session ids derive from `seed` (random in the browser).
    pub fn new(seed: u64) -> Self {
        Self {
            open: None,
            fetching: None,
            client: Client::new(format!("cohort-{seed:016x}")),
            connection: Connection::Offline,
            joined_at: None,
            online: true,
            status: SyncStatus::default(),
            stored_synced_at: None,
            display_name: String::new(),
            device: String::new(),
            post_report: None,
            presence_count: 0,
            session_id: format!("{:x}", seed.rotate_left(32)),
            others: BTreeMap::new(),
            busy: false,
            queue: VecDeque::new(),
            next_ticket: 0,
            pending: HashMap::new(),
            resume: None,
            now: 0,
            outputs: Vec::new(),
            grants: HashMap::new(),
            calls: HashMap::new(),
            direct: BTreeMap::new(),
            dialled: HashMap::new(),
            direct_status: Vec::new(),
        }
    }

    /// Starts syncing with the relay.
    pub fn start(&mut self, now: Millis) -> Vec<Output> {
        self.now = now;
        self.connect();
        self.post_status();
        std::mem::take(&mut self.outputs)
    }

    /// Acts on one input at `now` (milliseconds since the Unix epoch) and says what to do.
    pub fn handle(&mut self, input: Input, now: Millis) -> Vec<Output> {
        self.now = now;
        match input {
            // Frames of direct channels are not the page's requests: like the relay's, they
            // are handled at once, not after storage.
            Input::Page { seq, request } if matches!(request, Request::Direct(_)) => {
                self.request(seq, request);
            }
            Input::Page { seq, request } => {
                self.queue.push_back((seq, request));
                self.run_queue();
            }
            Input::Opened => {
                let join = self.client.join();
                self.send(join);
            }
            Input::Frame(frame) => self.receive_frame(&frame),
            Input::Closed => self.disconnected(),
            // A retry timer set before a reconnect that already happened (access changed, the
            // relay set again) must not drop the working connection.
            Input::Retry if self.online && self.connection == Connection::Offline => self.connect(),
            Input::Retry => {}
            Input::FromTab(message) => self.receive_from_tab(&message),
            Input::Tick => {
                if self
                    .joined_at
                    .is_some_and(|at| self.now.saturating_sub(at) >= CONNECTION_HELD_MS)
                {
                    self.joined_at = None;
                    self.output(Output::ConnectionHeld);
                }
                self.announce();
                self.forget_departed();
                self.dial();
                self.flush();
            }
            Input::Stored { ticket, result } => self.stored(ticket, result),
            Input::Resume => self.resume(),
            Input::Fetched { seq, result } => self.fetched(seq, result),
        }
        self.post_status();
        self.post_direct_status();
        std::mem::take(&mut self.outputs)
    }

    fn output(&mut self, output: Output) {
        self.outputs.push(output);
    }

    fn post(&mut self, event: Event) {
        self.output(Output::Post(protocol::encode(&FromWorker::Event(event))));
    }

    fn reply(&mut self, seq: u32, result: Result<Answer, Failure>) {
        let reply = FromWorker::Reply(Reply { seq, result });
        self.output(Output::Post(protocol::encode(&reply)));
    }

    fn send(&mut self, frame: Vec<u8>) {
        self.output(Output::Send(frame));
    }

    fn warn(&mut self, message: String) {
        self.output(Output::Warn(message));
    }

    fn storage(&mut self, op: StorageOp, then: Then) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.pending.insert(ticket, then);
        self.output(Output::Storage(ticket, op));
    }

    /// Answers the request that waited for storage, and starts the next ones.
    fn finish(&mut self, seq: u32, result: Result<Answer, Failure>) {
        self.reply(seq, result);
        self.busy = false;
        self.run_queue();
    }

    fn run_queue(&mut self) {
        while !self.busy {
            let Some((seq, request)) = self.queue.pop_front() else {
                return;
            };
            self.request(seq, request);
        }
    }

    /// Starts a request; one that needs storage sets `busy` until it is answered.
    fn request(&mut self, seq: u32, request: Request) {
        let busy = |core: &mut Self, op, then| {
            core.busy = true;
            core.storage(op, then);
        };
        if let Some(group) = self.group_changed_by(&request)
            && self.is_read_only(group)
        {
            return self.reply(seq, Err(Failure::ReadOnly));
        }
        match request {
            Request::ListGroups => busy(self, StorageOp::ListGroups, Then::Answer(seq)),
            Request::CreateGroup { name, at } => {
                match GroupDoc::create(&name, at).map_err(apply_failure) {
                    Ok(doc) => self.create(seq, doc, at, None),
                    Err(failure) => self.reply(seq, Err(failure)),
                }
            }
            Request::ImportGroup { bytes, at, id } => match GroupDoc::load(&bytes) {
                Ok(doc) => self.create(seq, doc, at, id),
                Err(error) => self.reply(seq, Err(document_failure(error))),
            },
            Request::RenameGroup { id, name } => match self.open.as_mut() {
                Some(open) if open.id == id => {
                    let action = Action::SetProfile {
                        field: ProfileField::Name,
                        value: name.clone(),
                    };
                    match open
                        .doc
                        .apply_all_at(std::slice::from_ref(&action), self.now)
                    {
                        Ok(touched) => {
                            open.summary.name = name.trim().to_owned();
                            let summary = open.summary.clone();
                            open.waiters.push(Waiter::Rename(seq, summary));
                            self.busy = true;
                            self.changed(touched);
                            self.flush();
                        }
                        Err(error) => self.reply(seq, Err(apply_failure(error))),
                    }
                }
                _ => busy(self, StorageOp::Read(id), Then::Rename(seq, name)),
            },
            Request::DeleteGroup { id } => {
                if self.open.as_ref().is_some_and(|open| open.id == id)
                    || self
                        .fetching
                        .as_ref()
                        .is_some_and(|fetching| fetching.id == id)
                {
                    self.close();
                }
                busy(self, StorageOp::Delete(id), Then::Answer(seq));
            }
            Request::OpenGroup { id, report } => {
                self.close();
                self.post_report = report;
                busy(self, StorageOp::Read(id), Then::Open(seq, id));
            }
            Request::Apply { actions } => self.apply(seq, &actions),
            Request::PreviewSheet {
                table,
                columns,
                words,
            } => self.with_group(
                seq,
                GroupWork::Preview {
                    table,
                    columns,
                    words,
                },
            ),
            Request::ImportSheet {
                table,
                columns,
                on_match,
                words,
                at,
            } => self.with_group(
                seq,
                GroupWork::Import(SheetImport {
                    table,
                    columns,
                    on_match,
                    words,
                    at,
                }),
            ),
            Request::Export { file, words } => {
                let tables = match file {
                    ExportFile::Backup => return self.backup(seq),
                    ExportFile::Json => return self.with_group(seq, GroupWork::Json),
                    ExportFile::Csv(what) => vec![what],
                    ExportFile::Xlsx => vec![
                        sheet::Export::Members,
                        sheet::Export::Roles,
                        sheet::Export::Feedback,
                    ],
                };
                self.with_group(seq, GroupWork::Tables(tables, words));
            }
            Request::MergeBackup { bytes } => self.merge_backup(seq, &bytes),
            Request::Analytics { clock } => self.with_group(seq, GroupWork::Analytics(clock)),
            Request::SaveView => match &self.open {
                Some(open) if open.view_heads != open.doc.heads() => {
                    let (id, heads) = (open.id, open.doc.heads());
                    busy(self, StorageOp::Read(id), Then::SaveView(seq, heads));
                }
                _ => self.reply(seq, Ok(Answer::Done)),
            },
            Request::Direct(direct) => {
                self.direct(direct);
                self.reply(seq, Ok(Answer::Done));
            }
            Request::SetRelay { url } => {
                self.output(Output::SetRelay(url));
                self.go_offline();
                if self.online {
                    self.connect();
                }
                self.reply(seq, Ok(Answer::Done));
            }
            Request::SetOrganizer { name, device } => {
                self.display_name = name.trim().chars().take(MAX_NAME_CHARS).collect();
                self.device = device;
                let read_only = self
                    .open
                    .as_ref()
                    .is_some_and(|open| self.is_read_only(open.id));
                if let Some(open) = self.open.as_mut().filter(|_| !read_only) {
                    open.doc.set_organizer(&self.device, &self.display_name);
                }
                self.announce();
                self.reply(seq, Ok(Answer::Done));
            }
            Request::History { record, by } => {
                let Some(open) = self.open.as_mut() else {
                    return self.reply(seq, Err(Failure::NoGroupOpen));
                };
                let doc = open.doc.automerge();
                open.history.update(doc);
                let page = open.history.page(
                    doc,
                    record.as_ref(),
                    &self.device,
                    by.as_deref(),
                    HISTORY_PAGE,
                );
                self.reply(seq, Ok(Answer::History(Box::new(page))));
            }
            Request::Undo => self.undo(seq),
            Request::NetworkChanged { online } => {
                self.online = online;
                if online {
                    self.connect();
                } else {
                    self.go_offline();
                }
                self.reply(seq, Ok(Answer::Done));
            }
            Request::SetAccess { grants } => {
                self.grants = grants
                    .into_iter()
                    .map(|grant| (grant.group, grant))
                    .collect();
                self.present_access();
                self.reply(seq, Ok(Answer::Done));
            }
            Request::Protect { group } => self.call(
                seq,
                Calling::Protect(group),
                RelayCall {
                    method: "POST",
                    path: format!("/groups/{}/protect", document_id(group)),
                    bearer: None,
                    body: None,
                },
            ),
            Request::Links => self.owner_call(seq, |group| {
                (
                    Calling::Links,
                    "GET",
                    format!("/groups/{}/links", document_id(group)),
                    None,
                )
            }),
            Request::MakeLink {
                role,
                label,
                expires_at,
            } => self.owner_call(seq, |group| {
                let body = serde_json::json!({
                    "role": role.key(),
                    "label": label,
                    "expires_at": expires_at,
                });
                (
                    Calling::MakeLink(group, role),
                    "POST",
                    format!("/groups/{}/links", document_id(group)),
                    Some(body.to_string()),
                )
            }),
            Request::RevokeLink { id } => self.owner_call(seq, |group| {
                (
                    Calling::Revoke,
                    "DELETE",
                    format!("/groups/{}/links/{id}", document_id(group)),
                    None,
                )
            }),
            Request::DeleteForEveryone => self.owner_call(seq, |group| {
                (
                    Calling::DeleteForEveryone(group),
                    "DELETE",
                    format!("/groups/{}", document_id(group)),
                    None,
                )
            }),
            Request::MeasureBareLoad { .. } => {
                // The shell times this benchmark itself: the core has no clock to time with.
                self.reply(seq, Err(Failure::Document("not measured here".into())));
            }
        }
    }

    /// The group a request would change, if it changes one.
    fn group_changed_by(&self, request: &Request) -> Option<GroupId> {
        match request {
            Request::RenameGroup { id, .. } => Some(*id),
            Request::Apply { .. }
            | Request::ImportSheet { .. }
            | Request::MergeBackup { .. }
            | Request::Undo => self.open.as_ref().map(|open| open.id),
            _ => None,
        }
    }

    /// Whether this device may only read the group: its capability is a read-only one. The
    /// relay would apply nothing it sent, so nothing is changed here to be lost.
    fn is_read_only(&self, group: GroupId) -> bool {
        self.grants
            .get(&group)
            .is_some_and(|grant| grant.role == AccessRole::Read)
    }

    /// Presents the capabilities held from a fresh connection on.
    fn present_access(&mut self) {
        let mut query: Vec<String> = self
            .grants
            .values()
            .map(|grant| format!("access={}.{}", document_id(grant.group), grant.secret))
            .collect();
        query.sort();
        self.output(Output::SetAccess(query.join("&")));
        self.go_offline();
        if self.online {
            self.connect();
        }
    }

    fn call(&mut self, seq: u32, calling: Calling, call: RelayCall) {
        self.calls.insert(seq, calling);
        self.output(Output::Fetch { seq, call });
    }

    /// A call only the open group's owners may make, with their capability.
    fn owner_call(
        &mut self,
        seq: u32,
        make: impl FnOnce(GroupId) -> (Calling, &'static str, String, Option<String>),
    ) {
        let Some(group) = self.open.as_ref().map(|open| open.id) else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        let Some(grant) = self
            .grants
            .get(&group)
            .filter(|grant| grant.role == AccessRole::Owner)
        else {
            return self.reply(seq, Err(Failure::NotOwner));
        };
        let bearer = Some(grant.secret.clone());
        let (calling, method, path, body) = make(group);
        self.call(
            seq,
            calling,
            RelayCall {
                method,
                path,
                bearer,
                body,
            },
        );
    }

    /// The relay answered a call.
    fn fetched(&mut self, seq: u32, result: Result<(u16, Vec<u8>), String>) {
        let Some(calling) = self.calls.remove(&seq) else {
            return;
        };
        let (status, body) = match result {
            Ok(answer) => answer,
            Err(error) => {
                self.warn(format!("the relay could not be reached: {error}"));
                return self.reply(seq, Err(Failure::RelayUnreachable));
            }
        };
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&body).trim().to_owned();
            // Ours says "no such group"; any other server has no such route.
            let failure = match (status, &calling) {
                (404, _) if text != "no such group" => Failure::RelayWithoutAccess,
                (404, Calling::Protect(_)) => Failure::RelayRefused(
                    "the group is protected already: ask one of its owners for a link".into(),
                ),
                (404, _) => Failure::NotOwner,
                _ => Failure::RelayRefused(text),
            };
            return self.reply(seq, Err(failure));
        }
        let garbled = |error: serde_json::Error| {
            Failure::RelayRefused(format!("its answer could not be read: {error}"))
        };
        let result = match calling {
            Calling::Protect(group) => serde_json::from_slice::<RelayNewLink>(&body)
                .map_err(garbled)
                .map(|owner| {
                    let grant = Grant {
                        group,
                        role: AccessRole::Owner,
                        secret: owner.secret,
                    };
                    self.grants.insert(group, grant.clone());
                    self.present_access();
                    Answer::Granted(grant)
                }),
            Calling::Links => serde_json::from_slice::<Vec<RelayLink>>(&body)
                .map_err(garbled)
                .map(|links| {
                    Answer::Links(
                        links
                            .into_iter()
                            .filter_map(RelayLink::share_link)
                            .collect(),
                    )
                }),
            Calling::MakeLink(group, role) => serde_json::from_slice::<RelayNewLink>(&body)
                .map_err(garbled)
                .and_then(|new| {
                    let grant = Grant {
                        group,
                        role,
                        secret: new.secret,
                    };
                    let link = new
                        .link
                        .share_link()
                        .ok_or_else(|| Failure::RelayRefused("an unknown role".into()))?;
                    Ok(Answer::NewLink { link, grant })
                }),
            Calling::Revoke => Ok(Answer::Done),
            Calling::DeleteForEveryone(group) => {
                // Gone from the relay: now from this device, as "Delete group" does.
                self.grants.remove(&group);
                self.queue
                    .push_front((seq, Request::DeleteGroup { id: group }));
                self.present_access();
                self.run_queue();
                return;
            }
        };
        self.reply(seq, result);
    }

    fn create(&mut self, seq: u32, doc: GroupDoc, at: Millis, id: Option<GroupId>) {
        let id = match id.map_or_else(GroupId::random, Ok) {
            Ok(id) => id,
            Err(error) => return self.reply(seq, Err(document_failure(error))),
        };
        let summary = GroupSummary {
            id,
            name: doc.profile().name,
            created_at: at,
        };
        let chunk = Chunk {
            key: ChunkKey::snapshot(&doc.heads()),
            bytes: doc.save(),
        };
        self.busy = true;
        self.storage(
            StorageOp::Create {
                summary: summary.clone(),
                chunk,
            },
            Then::AnswerGroup(seq, summary),
        );
    }

    fn apply(&mut self, seq: u32, actions: &[Action]) {
        let Some(open) = self.open.as_mut() else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        match open.doc.apply_all_at(actions, self.now) {
            Ok(touched) => {
                open.waiters.push(Waiter::Answer(seq, Answer::Done));
                self.changed(touched);
                self.flush();
            }
            Err(error) => self.reply(seq, Err(apply_failure(error))),
        }
    }

    /// Undoes this device's latest change not undone yet.
    fn undo(&mut self, seq: u32) {
        let Some(open) = self.open.as_mut() else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        open.history.update(open.doc.automerge());
        let Some(change) = open.history.next_undo(open.doc.automerge(), &self.device) else {
            return self.reply(seq, Err(Failure::NothingToUndo));
        };
        match open.doc.undo(&change, self.now) {
            Ok((touched, undone)) => {
                open.waiters
                    .push(Waiter::Answer(seq, Answer::Undone(undone)));
                self.changed(touched);
                self.flush();
            }
            Err(error) => self.reply(seq, Err(document_failure(error))),
        }
    }

    /// Reads the open group's stored view, then does `work` on the group as plain values.
    fn with_group(&mut self, seq: u32, work: GroupWork) {
        let Some(open) = self.open.as_ref() else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        self.busy = true;
        self.storage(StorageOp::Read(open.id), Then::WithGroup(seq, work));
    }

    fn work_on_group(&mut self, seq: u32, work: GroupWork, stored_view: Option<&[u8]>) {
        let Some(open) = self.open.as_ref() else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        let group = open.group(stored_view);
        match work {
            GroupWork::Preview {
                table,
                columns,
                words,
            } => {
                let preview = sheet::preview_table(&table, columns, &group, &words);
                self.reply(seq, Ok(Answer::SheetPreview(preview)));
            }
            GroupWork::Import(import) => self.import_sheet(seq, import, &group),
            GroupWork::Tables(what, words) => {
                let sheets = what
                    .into_iter()
                    .map(|what| sheet::export(&group, what, &words))
                    .collect();
                let stem = sheet::file_stem(&open.summary.name);
                self.reply(seq, Ok(Answer::Tables { stem, sheets }));
            }
            GroupWork::Analytics(clock) => {
                let report =
                    cohort_model::analytics::report(&group, &group.profile.analytics, clock);
                let keep = StorageOp::PutReport {
                    group: open.id,
                    report: protocol::encode(&report),
                };
                self.reply(seq, Ok(Answer::Analytics(Box::new(report))));
                self.storage(keep, Then::Background("keeping the analytics report"));
            }
            GroupWork::Json => {
                let answer = Answer::File(Download {
                    name: format!("{}.json", sheet::file_stem(&open.summary.name)),
                    mime: "application/json".into(),
                    bytes: sheet::write_json(&group),
                });
                self.reply(seq, Ok(answer));
            }
        }
    }

    /// Imports a spreadsheet into the open `group`, as one change.
    fn import_sheet(&mut self, seq: u32, import: SheetImport, group: &Group) {
        let Some(open) = self.open.as_mut() else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        let preview =
            sheet::preview_table(&import.table, Some(import.columns), group, &import.words);
        let ids: Result<Vec<MemberId>, _> =
            preview.rows.iter().map(|_| MemberId::random()).collect();
        let ids = match ids {
            Ok(ids) => ids,
            Err(error) => return self.reply(seq, Err(document_failure(error))),
        };
        let (actions, counts) = sheet::import_actions(
            &preview.rows,
            import.on_match,
            group,
            &mut ids.into_iter(),
            import.at,
        );
        if actions.is_empty() {
            return self.reply(seq, Ok(Answer::Imported(counts)));
        }
        match open.doc.apply_all_at(&actions, self.now) {
            Ok(touched) => {
                open.waiters
                    .push(Waiter::Answer(seq, Answer::Imported(counts)));
                self.changed(touched);
                self.flush();
            }
            Err(error) => self.reply(seq, Err(apply_failure(error))),
        }
    }

    /// The open group's whole document, named so that a restore finds the group it belongs to.
    fn backup(&mut self, seq: u32) {
        let Some(open) = self.open.as_ref() else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        let answer = Answer::File(Download {
            name: format!(
                "{}-{}.automerge",
                sheet::file_stem(&open.summary.name),
                open.id
            ),
            mime: "application/octet-stream".into(),
            bytes: open.doc.save(),
        });
        self.reply(seq, Ok(answer));
    }

    /// Merges a backup of the open group into it.
    fn merge_backup(&mut self, seq: u32, bytes: &[u8]) {
        let Some(open) = self.open.as_mut() else {
            return self.reply(seq, Err(Failure::NoGroupOpen));
        };
        let mut backup = match GroupDoc::load(bytes) {
            Ok(backup) => backup,
            Err(error) => return self.reply(seq, Err(document_failure(error))),
        };
        // The same group shares the change that created it; another group's document would
        // merge into a tangle of both.
        let created = backup
            .automerge()
            .get_changes(&[])
            .first()
            .map(|change| change.hash());
        if !created.is_some_and(|hash| {
            cohort_model::automerge::ReadDoc::get_change_by_hash(open.doc.automerge(), &hash)
                .is_some()
        }) {
            return self.reply(seq, Err(Failure::NotThisGroup));
        }
        let before = open.doc.heads();
        match open.doc.merge(&mut backup) {
            Ok(_) if open.doc.heads() == before => self.reply(seq, Ok(Answer::Done)),
            Ok(touched) => {
                open.waiters.push(Waiter::Answer(seq, Answer::Done));
                self.changed(touched);
                self.flush();
            }
            Err(error) => self.reply(seq, Err(document_failure(error))),
        }
    }

    /// Tells the page what a change to the open group touched.
    fn changed(&mut self, touched: Touched) {
        if touched.is_empty() {
            return;
        }
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let event = FromWorker::Event(Event::Updated {
            group: open.id,
            update: open.doc.update_for(&touched),
        });
        let message = protocol::encode(&event);
        open.unstored_updates.push(message.clone());
        self.output(Output::Post(message));
    }

    /// Starts writing the open group's unstored changes, or compacting it, unless a write is
    /// under way (its end starts the next).
    fn flush(&mut self) {
        let Some(open) = self.open.as_mut().filter(|open| !open.writing) else {
            return;
        };
        let heads = open.doc.heads();
        let write = if heads != open.stored_heads {
            let changes = open.doc.save_after(&open.stored_heads);
            let key = ChunkKey::incremental(&changes);
            let updates = std::mem::take(&mut open.unstored_updates);
            let update = (!updates.is_empty()).then(|| {
                let ChunkKey::Incremental(chunk) = &key else {
                    unreachable!("changes are stored under an incremental key")
                };
                let key = UpdateKey {
                    at: self.now,
                    chunk: chunk.clone(),
                };
                (key, updates)
            });
            let op = StorageOp::Append {
                group: open.id,
                chunk: Chunk {
                    key: key.clone(),
                    bytes: changes.clone(),
                },
                update: update.as_ref().map(|(key, messages)| ViewUpdate {
                    key: key.clone(),
                    messages: protocol::encode(&(VIEW_FORMAT, messages)),
                }),
            };
            let write = Write {
                group: open.id,
                heads,
                key,
                replaces: Vec::new(),
                changes,
                update,
                waiters: std::mem::take(&mut open.waiters),
            };
            (op, write)
        } else if open.known_chunks.len() > COMPACT_AFTER_CHUNKS {
            let key = ChunkKey::snapshot(&heads);
            let replaces = open.known_chunks.clone();
            let op = StorageOp::Compact {
                group: open.id,
                snapshot: Chunk {
                    key: key.clone(),
                    bytes: open.doc.save(),
                },
                replaces: replaces.clone(),
            };
            let write = Write {
                group: open.id,
                heads,
                key,
                replaces,
                changes: Vec::new(),
                update: None,
                waiters: Vec::new(),
            };
            (op, write)
        } else {
            // Nothing to store (an action that changed nothing): whoever waits is answered.
            let waiters = std::mem::take(&mut open.waiters);
            self.answer(waiters);
            return;
        };
        open.writing = true;
        open.write_failed = false;
        self.storage(write.0, Then::Write(write.1));
    }

    fn written(&mut self, write: Write, result: Result<(), StorageFailure>) {
        let Write {
            group,
            heads,
            key,
            replaces,
            changes,
            update,
            waiters,
        } = write;
        if let Some(open) = self.open.as_mut().filter(|open| open.id == group) {
            open.writing = false;
            match &result {
                Ok(()) => {
                    open.stored_heads = heads;
                    open.known_chunks.retain(|known| !replaces.contains(known));
                    open.known_chunks.push(key);
                    open.known_updates.extend(update.map(|(key, _)| key));
                }
                Err(_) => {
                    open.write_failed = true;
                    // Stored with the next try, before what was posted since.
                    if let Some((_, mut messages)) = update {
                        messages.append(&mut open.unstored_updates);
                        open.unstored_updates = messages;
                    }
                }
            }
        }
        match result {
            Ok(()) => {
                if !changes.is_empty() {
                    let message = protocol::encode(&TabChanges { group, changes });
                    self.output(Output::TellTabs(message));
                }
                self.answer(waiters);
                self.send_changes();
                if self.open.as_ref().is_some_and(|open| open.id == group) {
                    self.flush();
                }
            }
            Err(failure) => {
                self.post(Event::StorageFailed(failure.clone()));
                for waiter in waiters {
                    let seq = match waiter {
                        Waiter::Answer(seq, _) => seq,
                        Waiter::Rename(seq, _) => {
                            self.busy = false;
                            seq
                        }
                    };
                    self.reply(seq, Err(Failure::Storage(failure.clone())));
                }
                self.run_queue();
            }
        }
    }

    /// Answers requests whose changes are stored (or had nothing to store).
    fn answer(&mut self, waiters: Vec<Waiter>) {
        for waiter in waiters {
            match waiter {
                Waiter::Answer(seq, answer) => self.reply(seq, Ok(answer)),
                Waiter::Rename(seq, summary) => self.storage(
                    StorageOp::PutSummary(summary.clone()),
                    Then::AnswerGroup(seq, summary),
                ),
            }
        }
    }

    /// Closes the open group, first asking to store what it has not stored yet.
    fn close(&mut self) {
        self.flush_all();
        self.open = None;
        self.fetching = None;
        self.others.clear();
        self.hang_up();
    }

    /// Writes every unstored change of the open group now, even while another write is under
    /// way: storage runs in order, so nothing is lost when the group closes.
    fn flush_all(&mut self) {
        if let Some(open) = self.open.as_mut() {
            open.writing = false;
        }
        self.flush();
    }

    fn stored(&mut self, ticket: Ticket, result: Result<Stored, StorageFailure>) {
        let Some(then) = self.pending.remove(&ticket) else {
            return self.warn(format!("storage answered an unknown ticket {ticket}"));
        };
        match then {
            Then::Answer(seq) => {
                let answer = result.map_err(Failure::Storage).map(|stored| match stored {
                    Stored::Groups(mut groups) => {
                        groups.sort_by_key(|group| group.name.to_lowercase());
                        Answer::Groups(groups)
                    }
                    _ => Answer::Done,
                });
                self.finish(seq, answer);
            }
            Then::AnswerGroup(seq, summary) => {
                let answer = result
                    .map_err(Failure::Storage)
                    .map(|_| Answer::Group(summary));
                self.finish(seq, answer);
            }
            Then::Open(seq, id) => match result {
                Ok(Stored::Group(stored)) => self.show_stored(seq, id, stored),
                Ok(_) => self.finish(seq, Err(unexpected())),
                Err(failure) => self.finish(seq, Err(Failure::Storage(failure))),
            },
            Then::Load(seq, opening) => {
                let result = match result {
                    Ok(Stored::Chunks(chunks)) => self.load(opening, chunks),
                    Ok(_) => Err(unexpected()),
                    Err(failure) => Err(Failure::Storage(failure)),
                };
                self.finish(seq, result);
            }
            Then::Rename(seq, name) => match result {
                Ok(Stored::Group(StoredGroup {
                    summary: Some(mut summary),
                    ..
                })) => {
                    summary.name = name;
                    let id = summary.id;
                    self.storage(StorageOp::ReadChunks(id), Then::RenameChunks(seq, summary));
                }
                Ok(Stored::Group(_)) => self.finish(seq, Err(Failure::UnknownGroup)),
                Ok(_) => self.finish(seq, Err(unexpected())),
                Err(failure) => self.finish(seq, Err(Failure::Storage(failure))),
            },
            Then::RenameChunks(seq, summary) => match result {
                Ok(Stored::Chunks(chunks)) => self.rename_stored(seq, summary, chunks),
                Ok(_) => self.finish(seq, Err(unexpected())),
                Err(failure) => self.finish(seq, Err(Failure::Storage(failure))),
            },
            Then::Renamed(seq, summary, changes) => match result {
                Ok(_) => {
                    let group = summary.id;
                    let message = protocol::encode(&TabChanges { group, changes });
                    self.output(Output::TellTabs(message));
                    self.finish(seq, Ok(Answer::Group(summary)));
                }
                Err(failure) => self.finish(seq, Err(Failure::Storage(failure))),
            },
            Then::WithGroup(seq, work) => {
                // Without a stored view the group is read from its document: slower, same result.
                let view = match result {
                    Ok(Stored::Group(stored)) => stored.view,
                    _ => None,
                };
                self.busy = false;
                self.work_on_group(seq, work, view.as_deref());
                self.run_queue();
            }
            Then::SaveView(seq, heads) => {
                let result = match result {
                    Ok(Stored::Group(stored)) => {
                        self.save_view(heads, stored.view);
                        Ok(Answer::Done)
                    }
                    Ok(_) => Err(unexpected()),
                    Err(failure) => Err(Failure::Storage(failure)),
                };
                self.finish(seq, result);
            }
            Then::ViewSaved(group, replaced) => match result {
                Ok(_) => {
                    if let Some(open) = self.open.as_mut().filter(|open| open.id == group) {
                        open.known_updates.retain(|key| !replaced.contains(key));
                    }
                }
                Err(failure) => self.warn(format!("the group's view was not stored: {failure}")),
            },
            Then::Write(write) => self.written(write, result.map(drop)),
            Then::Background(what) => {
                if let Err(failure) = result {
                    self.warn(format!("{what} was not stored: {failure}"));
                }
            }
        }
    }

    /// Shows a group's stored view, and asks for its chunks; or asks the relay for the group if
    /// this device lacks it.
    fn show_stored(&mut self, seq: u32, id: GroupId, stored: StoredGroup) {
        self.stored_synced_at = stored.synced_at;
        if self.status.last_synced_at != stored.synced_at {
            self.status.last_synced_at = stored.synced_at;
            self.post(Event::Sync(self.status));
        }
        let Some(summary) = stored.summary else {
            // A shared link to a group this device does not have: ask the relay for it. The
            // view follows once it arrives, or `OpenFailed` if the relay lacks it too.
            self.fetching = Some(Fetching {
                id,
                doc: Automerge::new(),
            });
            self.send_changes();
            return self.finish(seq, Ok(Answer::Done));
        };
        // First the stored view, posted as it was saved, so the page shows the group while the
        // document loads; then what the changes stored since did to it, oldest first.
        let known_updates = stored
            .updates
            .iter()
            .map(|update| update.key.clone())
            .collect();
        let cached = stored.view.and_then(|bytes| cached_view(&bytes));
        let first_posted = self.outputs.len();
        let view_heads = cached.map(|cached| {
            let CachedView {
                heads,
                saved_at,
                messages,
                ..
            } = cached;
            self.outputs.extend(messages.into_iter().map(Output::Post));
            let mut updates = stored.updates;
            updates.sort_by(|a, b| a.key.cmp(&b.key));
            for update in updates
                .into_iter()
                .filter(|update| update.key.at >= saved_at)
            {
                // One of another format is left out: the document brings the view up to date
                // once it loads.
                match protocol::decode::<(u32, Vec<Vec<u8>>)>(&update.messages) {
                    Ok((VIEW_FORMAT, messages)) => {
                        self.outputs.extend(messages.into_iter().map(Output::Post))
                    }
                    Ok((format, _)) => self.warn(format!(
                        "a stored view update of format {format} (this build reads {VIEW_FORMAT}) was not shown"
                    )),
                    Err(error) => self.warn(format!("a stored view update: {error}")),
                }
            }
            heads.into_iter().map(ChangeHash).collect()
        });
        if let Some(clock) = self.post_report.take() {
            // After the view, so that the page draws the two in tasks of their own. With none
            // kept (or one of another build's making), the report is worked out from the view
            // just posted, before the document loads (which takes seconds for a large group).
            let report = stored
                .report
                .and_then(|bytes| protocol::decode(&bytes).ok())
                .or_else(|| {
                    (first_posted < self.outputs.len())
                        .then(|| self.report_of_posted(first_posted, clock))
                });
            if let Some(report) = report {
                self.post(Event::StoredReport {
                    group: id,
                    report: Box::new(report),
                });
            }
        }
        let opening = Opening {
            summary,
            view_heads,
            known_updates,
        };
        self.storage(StorageOp::ReadChunks(id), Then::Load(seq, opening));
    }

    /// The analytics report of the view posted from output `first` on.
    fn report_of_posted(
        &self,
        first: usize,
        clock: cohort_model::analytics::Clock,
    ) -> cohort_model::analytics::Report {
        let events = self.outputs[first..]
            .iter()
            .filter_map(|output| match output {
                Output::Post(bytes) => match protocol::decode(bytes) {
                    Ok(FromWorker::Event(event)) => Some(event),
                    _ => None,
                },
                _ => None,
            });
        let group = protocol::assemble(events);
        cohort_model::analytics::report(&group, &group.profile.analytics, clock)
    }

    /// Loads a group's document from its chunks and brings the view shown up to it.
    fn load(&mut self, opening: Opening, chunks: Vec<Chunk>) -> Result<Answer, Failure> {
        let Opening {
            summary,
            view_heads,
            known_updates,
        } = opening;
        let id = summary.id;
        let known_chunks = chunks.iter().map(|chunk| chunk.key.clone()).collect();
        let doc = load_chunks(chunks)?;
        let heads = doc.heads();
        // A view behind the document is brought up to date with the records changed since;
        // only without a usable view is the whole document read.
        // (Equal heads are checked first: finding what changed makes Automerge index the
        // history of a freshly loaded document, which costs about as much as the load.)
        let since_view = view_heads.and_then(|view_heads| {
            if view_heads == heads {
                return Some((view_heads, Touched::default()));
            }
            let touched = doc.touched_since(&view_heads)?;
            Some((view_heads, touched))
        });
        let view_heads = match since_view {
            Some((view_heads, touched)) => {
                if !touched.is_empty() {
                    let update = doc.update_for(&touched);
                    self.post(Event::Updated { group: id, update });
                }
                view_heads
            }
            None => self.show_whole(id, &doc, known_updates.clone()),
        };
        self.open = Some(OpenGroup {
            id,
            summary,
            doc,
            view_heads,
            stored_heads: heads,
            known_chunks,
            known_updates,
            unstored_updates: Vec::new(),
            writing: false,
            write_failed: false,
            waiters: Vec::new(),
            history: history::History::default(),
        });
        self.loaded(id);
        Ok(Answer::Done)
    }

    /// Posts the whole group read from its document, and stores that view in place of the
    /// view updates it `replaces`; returns its heads.
    fn show_whole(
        &mut self,
        id: GroupId,
        doc: &GroupDoc,
        replaces: Vec<UpdateKey>,
    ) -> Vec<ChangeHash> {
        let group = doc.hydrate();
        let heads = doc.heads();
        let mut messages = view_start(id, ViewSource::Document, &group);
        messages.extend(member_messages(&group));
        messages.extend(feedback_messages(&group));
        let cache = self.post_view(messages, id, &group);
        self.put_view(id, &heads, cache, replaces);
        heads
    }

    /// Posts view messages that start with a `ViewStart` from the document; returns the same
    /// messages as a stored view shows them (encoded once, but for the start).
    fn post_view(&mut self, messages: Vec<Vec<u8>>, id: GroupId, group: &Group) -> Vec<Vec<u8>> {
        let mut cache = messages.clone();
        cache.splice(..1, view_start(id, ViewSource::Cache, group));
        self.outputs.extend(messages.into_iter().map(Output::Post));
        cache
    }

    /// Stores a view (its messages) in place of the view updates it `replaces`.
    fn put_view(
        &mut self,
        id: GroupId,
        heads: &[ChangeHash],
        messages: Vec<Vec<u8>>,
        replaces: Vec<UpdateKey>,
    ) {
        let cached = CachedView {
            format: VIEW_FORMAT,
            heads: heads.iter().map(|head| head.0).collect(),
            saved_at: self.now,
            messages,
        };
        let view = protocol::encode(&cached);
        let op = StorageOp::PutView {
            group: id,
            view,
            replaces: replaces.clone(),
        };
        self.storage(op, Then::ViewSaved(id, replaces));
    }

    /// The open group's document is here: actions apply at once from now on.
    fn loaded(&mut self, id: GroupId) {
        let read_only = self.is_read_only(id);
        if let Some(open) = self.open.as_mut().filter(|_| !read_only) {
            open.doc.set_organizer(&self.device, &self.display_name);
        }
        self.post(Event::Loaded { group: id });
        self.send_changes();
        self.announce();
    }

    /// Brings the open group's stored view up to its document at `heads`: the stored view
    /// with the records changed since. Cheap next to reading the whole document.
    fn save_view(&mut self, heads: Vec<ChangeHash>, stored: Option<Vec<u8>>) {
        let Some(open) = &self.open else { return };
        let group = open.group(stored.as_deref());
        let (id, replaces) = (open.id, open.known_updates.clone());
        let mut messages = view_start(id, ViewSource::Cache, &group);
        messages.extend(member_messages(&group));
        messages.extend(feedback_messages(&group));
        self.put_view(id, &heads, messages, replaces);
        if let Some(open) = self.open.as_mut() {
            open.view_heads = heads;
        }
    }

    /// Renames a group that is not open: its stored document gets the change, and the
    /// catalogue (`summary`, with the new name) the name.
    fn rename_stored(&mut self, seq: u32, mut summary: GroupSummary, chunks: Vec<Chunk>) {
        let action = Action::SetProfile {
            field: ProfileField::Name,
            value: std::mem::take(&mut summary.name),
        };
        let (device, name, now) = (&self.device, &self.display_name, self.now);
        let result = load_chunks(chunks).and_then(|mut doc| {
            let heads = doc.heads();
            doc.set_organizer(device, name);
            doc.apply_all_at(std::slice::from_ref(&action), now)
                .map_err(apply_failure)?;
            Ok((doc.save_after(&heads), doc.profile().name))
        });
        match result {
            Ok((changes, name)) => {
                summary.name = name;
                let chunk = Chunk {
                    key: ChunkKey::incremental(&changes),
                    bytes: changes.clone(),
                };
                let op = StorageOp::Rename {
                    summary: summary.clone(),
                    chunk,
                };
                self.storage(op, Then::Renamed(seq, summary, changes));
            }
            Err(failure) => self.finish(seq, Err(failure)),
        }
    }

    fn connect(&mut self) {
        self.output(Output::Connect);
        self.connection = Connection::Connecting;
    }

    fn go_offline(&mut self) {
        self.client.disconnected();
        self.output(Output::Disconnect);
        self.connection = Connection::Offline;
        self.joined_at = None;
    }

    fn disconnected(&mut self) {
        self.client.disconnected();
        self.output(Output::Reconnect);
        self.connection = Connection::Offline;
        self.joined_at = None;
    }

    fn receive_frame(&mut self, frame: &[u8]) {
        match self.client.receive(frame) {
            Ok(Incoming::Joined) => {
                self.connection = Connection::Joined;
                self.joined_at = Some(self.now);
                self.send_changes();
                self.announce();
            }
            Ok(Incoming::Ephemeral {
                document,
                sender_id,
                data,
            }) => self.heard_from(&document, sender_id, &data),
            Ok(Incoming::Sync { document, message }) => {
                self.receive_sync(direct::Via::Relay, &document, message);
            }
            Ok(Incoming::Unavailable(document)) => self.unavailable(&document),
            // Only a direct peer welcomes.
            Ok(Incoming::Welcomed(_)) => {}
            // The connection stays: what the relay did not take is sent again when it asks.
            Ok(Incoming::RelayError(message)) => self.warn(format!("the relay: {message}")),
            Ok(Incoming::Nothing) => {}
            Err(error) => {
                self.warn(format!("sync: {error}; reconnecting"));
                self.disconnected();
            }
        }
    }

    /// The open group, or the group being fetched.
    fn current_group(&self) -> Option<GroupId> {
        self.open
            .as_ref()
            .map(|open| open.id)
            .or(self.fetching.as_ref().map(|fetching| fetching.id))
    }

    /// The document of [`current_group`](Self::current_group).
    fn current_document(&self) -> Option<DocumentId> {
        self.current_group().map(document_id)
    }

    /// Sends the relay and every direct peer what each lacks of the open (or wanted) group.
    fn send_changes(&mut self) {
        let Some(document) = self.current_document() else {
            return;
        };
        let Self {
            open,
            fetching,
            client,
            direct,
            ..
        } = self;
        let doc = match (open, fetching) {
            (Some(open), _) => open.doc.automerge(),
            (None, Some(fetching)) => &fetching.doc,
            (None, None) => unreachable!("a current document is open or being fetched"),
        };
        let to_relay = client.outgoing(&document, doc);
        let to_peers = direct::outgoing(direct, &document, doc);
        if let Some(frame) = to_relay {
            self.send(frame);
        }
        for (channel, frame) in to_peers {
            self.post(Event::DirectSend { channel, frame });
        }
    }

    fn receive_sync(
        &mut self,
        via: direct::Via,
        document: &DocumentId,
        message: cohort_sync::automerge::sync::Message,
    ) {
        let Self {
            open,
            client,
            direct,
            ..
        } = self;
        if let Some(open) = open
            .as_mut()
            .filter(|open| document_id(open.id) == *document)
        {
            let received = match direct::client_of(client, direct, via) {
                Some(client) => open
                    .doc
                    .receive(|doc, log| client.apply(document, doc, message, log)),
                None => Ok(Touched::default()),
            };
            match received {
                Ok(touched) => {
                    self.changed(touched);
                    self.flush();
                }
                Err(error) => self.warn(format!("sync: a change was refused: {error}")),
            }
        } else if self
            .fetching
            .as_ref()
            .is_some_and(|fetching| document_id(fetching.id) == *document)
        {
            self.receive_fetched(via, document, message);
            return;
        }
        self.send_changes();
    }

    /// A sync message for the group being fetched: once it has changes, the group is stored
    /// and shown, or the page is told why it cannot be.
    fn receive_fetched(
        &mut self,
        via: direct::Via,
        document: &DocumentId,
        message: cohort_sync::automerge::sync::Message,
    ) {
        let Self {
            fetching,
            client,
            direct,
            ..
        } = self;
        let Some(fetching) = fetching.as_mut() else {
            return;
        };
        let id = fetching.id;
        let applied = match direct::client_of(client, direct, via) {
            Some(client) => client.apply(
                document,
                &mut fetching.doc,
                message,
                &mut PatchLog::inactive(),
            ),
            None => Ok(()),
        };
        let doc = match applied {
            Err(error) => Err(document_failure(error)),
            // Nothing yet: the relay answers with what it has next.
            Ok(()) if fetching.doc.get_heads().is_empty() => return self.send_changes(),
            Ok(()) => {
                let doc = std::mem::take(&mut fetching.doc);
                GroupDoc::from_automerge(doc).map_err(document_failure)
            }
        };
        self.fetching = None;
        match doc {
            Ok(doc) => self.keep_fetched(id, doc),
            Err(failure) => {
                self.client.forget(document);
                self.post(Event::OpenFailed { group: id, failure });
            }
        }
    }

    /// Shows a group fetched from the relay straight from its document, in parts so that the
    /// page shows its members before the rest is read: members now, then (on
    /// [`Input::Resume`]) feedback, then the group is stored. Editable at once.
    fn keep_fetched(&mut self, id: GroupId, doc: GroupDoc) {
        let group = doc.hydrate_without_feedback();
        let summary = GroupSummary {
            id,
            name: group.profile.name.clone(),
            created_at: self.now,
        };
        let mut messages = view_start(id, ViewSource::Document, &group);
        messages.extend(member_messages(&group));
        let cache = self.post_view(messages, id, &group);
        self.open = Some(OpenGroup {
            id,
            summary,
            view_heads: doc.heads(),
            doc,
            stored_heads: Vec::new(),
            known_chunks: Vec::new(),
            known_updates: Vec::new(),
            unstored_updates: Vec::new(),
            // Until the group is stored, below.
            writing: true,
            write_failed: false,
            waiters: Vec::new(),
            history: history::History::default(),
        });
        self.loaded(id);
        self.resume = Some(ShowingFetched {
            id,
            group,
            cache,
            stored: false,
        });
        self.output(Output::Yield);
    }

    /// Goes on storing and showing a fetched group, if it is still the open one.
    fn resume(&mut self) {
        let Some(mut showing) = self.resume.take() else {
            return;
        };
        let Some(open) = self.open.as_ref().filter(|open| open.id == showing.id) else {
            // Another group was opened meanwhile.
            return;
        };
        let id = showing.id;
        if !showing.stored {
            // Stored before the feedback is read, so that leaving the page soon loses nothing.
            let heads = open.doc.heads();
            let key = ChunkKey::snapshot(&heads);
            let chunk = Chunk {
                key: key.clone(),
                bytes: open.doc.save(),
            };
            let summary = open.summary.clone();
            let write = Write {
                group: id,
                heads,
                key,
                replaces: Vec::new(),
                changes: Vec::new(),
                update: None,
                waiters: Vec::new(),
            };
            self.storage(StorageOp::Create { summary, chunk }, Then::Write(write));
            showing.stored = true;
            self.resume = Some(showing);
            return self.output(Output::Yield);
        }
        let ShowingFetched {
            mut group,
            mut cache,
            ..
        } = showing;
        group.feedback = open.doc.hydrate_feedback(&group);
        let view_heads = open.view_heads.clone();
        let messages = feedback_messages(&group);
        cache.extend(messages.iter().cloned());
        self.outputs.extend(messages.into_iter().map(Output::Post));
        self.put_view(id, &view_heads, cache, Vec::new());
    }

    fn unavailable(&mut self, document: &DocumentId) {
        if let Some(group) = self
            .open
            .as_ref()
            .map(|open| open.id)
            .filter(|id| document_id(*id) == *document)
        {
            self.post(Event::Gone { group });
        }
        if let Some(fetch) = self
            .fetching
            .take_if(|fetch| document_id(fetch.id) == *document)
        {
            self.post(Event::OpenFailed {
                group: fetch.id,
                failure: Failure::NotOnRelay,
            });
        }
    }

    /// Changes another tab stored for a group.
    fn receive_from_tab(&mut self, message: &[u8]) {
        let TabChanges { group, changes } = match protocol::decode(message) {
            Ok(message) => message,
            Err(error) => return self.warn(format!("a message from another tab: {error}")),
        };
        let Some(open) = self.open.as_mut().filter(|open| open.id == group) else {
            return;
        };
        match open.doc.load_incremental(&changes) {
            Ok(touched) => {
                self.changed(touched);
                self.flush();
                self.send_changes();
            }
            Err(error) => self.warn(format!("changes from another tab were refused: {error}")),
        }
    }

    /// Tells the open group's other devices that this one is here, and by what name.
    fn announce(&mut self) {
        let Some(document) = self.current_document() else {
            return;
        };
        if self.connection != Connection::Joined {
            return;
        }
        self.presence_count += 1;
        let data = Presence {
            name: self.display_name.clone(),
        }
        .encode();
        if let Some(frame) =
            self.client
                .ephemeral(&document, &self.session_id, self.presence_count, data)
        {
            self.send(frame);
        }
    }

    fn heard_from(&mut self, document: &DocumentId, sender: String, data: &[u8]) {
        if self.current_document().as_ref() != Some(document) {
            return;
        }
        let Some(presence) = Presence::decode(data) else {
            if !self.heard_signal(sender.clone(), data) {
                self.warn(format!("unreadable presence from {sender}"));
            }
            return;
        };
        let changed = self
            .others
            .get(&sender)
            .is_none_or(|(name, _)| *name != presence.name);
        self.others.insert(sender, (presence.name, self.now));
        if let Some(id) = self.open.as_ref().map(|open| open.id)
            && changed
        {
            self.post_others(id);
        }
        self.dial();
    }

    fn forget_departed(&mut self) {
        let before = self.others.len();
        let cutoff = self.now - PRESENCE_EXPIRES_MS;
        self.others.retain(|_, (_, seen)| *seen >= cutoff);
        if let Some(id) = self.open.as_ref().map(|open| open.id)
            && self.others.len() != before
        {
            self.post_others(id);
        }
    }

    fn post_others(&mut self, group: GroupId) {
        let mut names: Vec<String> = self.others.values().map(|(name, _)| name.clone()).collect();
        names.sort();
        self.post(Event::Online { group, names });
    }

    /// Tells the page how the open group stands with the relay, if that changed, and stores
    /// when the group was last in sync.
    fn post_status(&mut self) {
        let state = match self.connection {
            Connection::Offline => SyncState::Offline,
            Connection::Connecting => SyncState::Connecting,
            Connection::Joined if self.client.relay_signals_only() => SyncState::SignalOnly,
            Connection::Joined => match &self.open {
                Some(open)
                    if !self
                        .client
                        .is_synced(&document_id(open.id), open.doc.automerge()) =>
                {
                    SyncState::Syncing
                }
                None if self.fetching.is_some() => SyncState::Syncing,
                // In sync: "up to date" only with a relay that promises it is on disk.
                _ if self.client.relay_is_durable() => SyncState::UpToDate,
                _ => SyncState::ServerHas,
            },
        };
        let in_sync = matches!(state, SyncState::UpToDate | SyncState::ServerHas);
        let before = self.status;
        self.status.state = state;
        let open = self.open.as_ref().map(|open| open.id);
        if open.is_some() && in_sync {
            self.status.last_synced_at = Some(self.now);
        }
        // While up to date the page shows no time, so only a change of state is news.
        if state != before.state
            || (!in_sync && self.status.last_synced_at != before.last_synced_at)
        {
            self.post(Event::Sync(self.status));
        }
        if let (Some(group), Some(at)) = (open, self.status.last_synced_at)
            && (state != before.state
                || self
                    .stored_synced_at
                    .is_none_or(|stored| at - stored >= REMEMBER_SYNCED_EVERY_MS))
            && self.stored_synced_at != Some(at)
        {
            self.stored_synced_at = Some(at);
            // Not the organizer's data, only when it was last confirmed: a failure is logged,
            // and the time is stored again with the next change of state.
            self.storage(
                StorageOp::PutSyncedAt { group, at },
                Then::Background("the last sync time"),
            );
        }
    }
}

fn unexpected() -> Failure {
    Failure::Document("storage gave an unexpected answer".into())
}

/// The first message of a view: the group's profile and roles.
fn view_start(id: GroupId, source: ViewSource, group: &Group) -> Vec<Vec<u8>> {
    vec![protocol::encode(&FromWorker::Event(Event::ViewStart {
        group: id,
        source,
        small: Box::new(group.without_large()),
    }))]
}

/// The messages of a view that carry its members, in parts, then say they are all there.
fn member_messages(group: &Group) -> Vec<Vec<u8>> {
    parts(
        group.members.values(),
        MEMBERS_PER_MESSAGE,
        Event::ViewMembers,
        Some(Event::ViewMembersDone),
    )
}

/// The messages of a view that carry its activities and feedback, in parts, then end the
/// view.
fn feedback_messages(group: &Group) -> Vec<Vec<u8>> {
    let mut messages = parts(
        group.activities.values(),
        ACTIVITIES_PER_MESSAGE,
        Event::ViewActivities,
        None,
    );
    messages.extend(parts(
        group.feedback.values(),
        FEEDBACK_PER_MESSAGE,
        Event::ViewFeedback,
        Some(Event::ViewDone),
    ));
    messages
}

/// Messages carrying `records` in parts of `per_message` (small enough to decode well within a
/// frame), then `last`.
fn parts<'a, T: Clone + 'a>(
    records: impl Iterator<Item = &'a T>,
    per_message: usize,
    part: fn(Vec<T>) -> Event,
    last: Option<Event>,
) -> Vec<Vec<u8>> {
    let event = |event| protocol::encode(&FromWorker::Event(event));
    let records: Vec<T> = records.cloned().collect();
    let mut messages: Vec<_> = records
        .chunks(per_message)
        .map(|chunk| event(part(chunk.to_vec())))
        .collect();
    messages.extend(last.map(event));
    messages
}
