//! The worker's state: the open group document, its storage, and the answer to each request.

use std::rc::Rc;

use cohort_model::automerge::{Automerge, ChangeHash, PatchLog};
use cohort_model::protocol::{
    Answer, Event, Failure, FromWorker, GroupSummary, Request, StorageFailure, SyncState,
    SyncStatus, ViewSource,
};
use cohort_model::{Action, ApplyError, Group, GroupDoc, GroupId, ProfileField, Touched, protocol};
use cohort_sync::DocumentId;
use cohort_sync::client::{Client, Incoming};
use cohort_sync::presence::{MAX_NAME_CHARS, Presence};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::link::{Link, NetEvent};
use crate::storage::{Storage, StorageError};

/// After this many appended chunks, a group's storage is compacted into one snapshot.
const COMPACT_AFTER_CHUNKS: u32 = 200;
/// While the open group stays in sync, the time it was last in sync is stored at most this
/// often (and whenever the sync state changes): a closed tab loses at most this much of it.
const REMEMBER_SYNCED_EVERY_MS: cohort_model::Millis = 60_000;
/// Members per message when a view is sent: small enough to decode well within a frame.
const MEMBERS_PER_MESSAGE: usize = 1_000;
const FEEDBACK_PER_MESSAGE: usize = 2_000;

/// Sends an encoded [`FromWorker`] message to the page.
pub type Outbox = Rc<dyn Fn(Vec<u8>)>;

/// The view saved with a group: the messages that show it, encoded, so that opening the group
/// posts them as they are, and the document heads the view shows.
#[derive(Serialize, Deserialize)]
struct CachedView {
    heads: Vec<[u8; 32]>,
    messages: Vec<Vec<u8>>,
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

impl From<StorageError> for Failure {
    fn from(error: StorageError) -> Self {
        Failure::Storage(error.into())
    }
}

fn apply_failure(error: ApplyError) -> Failure {
    match error {
        ApplyError::Invalid(invalid) => Failure::Invalid(invalid),
        ApplyError::Document(error) => Failure::Document(error.to_string()),
    }
}

/// The group shown on the page, loaded.
#[derive(Debug)]
struct OpenGroup {
    id: GroupId,
    doc: GroupDoc,
    /// The heads of the stored view; it is brought up to date now and then, not on every edit.
    view_heads: Vec<ChangeHash>,
    /// The heads stored in IndexedDB; later changes are not yet stored.
    stored_heads: Vec<ChangeHash>,
    next_seq: u32,
    chunks: u32,
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

/// Answers the page's requests and the relay's messages, one at a time.
pub struct Engine {
    storage: Storage,
    open: Option<OpenGroup>,
    fetching: Option<Fetching>,
    outbox: Outbox,
    link: Link,
    client: Client,
    connection: Connection,
    /// Whether the browser says it is online; while it is not, no reconnecting is tried.
    online: bool,
    /// The open group's sync status; `last_synced_at` is kept current while up to date.
    status: SyncStatus,
    /// The open group's `last_synced_at` as stored in IndexedDB.
    stored_synced_at: Option<cohort_model::Millis>,
    display_name: String,
    /// Counts this device's presence messages (peers drop repeats by it).
    presence_count: u64,
    session_id: String,
    /// Other devices with the open group open: peer id → display name and when last heard.
    others: BTreeMap<String, (String, f64)>,
}

/// A device not heard from for this long has left.
const PRESENCE_EXPIRES_MS: f64 = 25_000.0;

/// The automerge-repo document id of a group: the same id.
fn document_id(id: GroupId) -> DocumentId {
    DocumentId::from_bytes(id.bytes())
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(storage: Storage, outbox: Outbox, link: Link) -> Self {
        let peer_id = format!(
            "cohort-{:016x}",
            (js_sys::Math::random() * 2f64.powi(53)) as u64
        );
        Self {
            storage,
            open: None,
            fetching: None,
            outbox,
            link,
            client: Client::new(peer_id),
            connection: Connection::Offline,
            online: true,
            status: SyncStatus::default(),
            stored_synced_at: None,
            display_name: String::new(),
            presence_count: 0,
            session_id: format!("{:x}", (js_sys::Math::random() * 2f64.powi(53)) as u64),
            others: BTreeMap::new(),
        }
    }

    /// Starts syncing with the relay.
    pub fn connect(&mut self) {
        self.link.connect();
        self.connection = Connection::Connecting;
        self.post_status();
    }

    /// Handles what happened on the network.
    pub async fn handle_net(&mut self, event: NetEvent) {
        match event {
            NetEvent::Opened => self.link.send(&self.client.join()),
            NetEvent::Frame(frame) => match self.client.receive(&frame) {
                Ok(Incoming::Joined) => {
                    self.link.joined();
                    self.connection = Connection::Joined;
                    self.send_changes();
                    self.announce();
                }
                Ok(Incoming::Ephemeral {
                    document,
                    sender_id,
                    data,
                }) => {
                    self.heard_from(&document, sender_id, &data);
                }
                Ok(Incoming::Sync { document, message }) => {
                    self.receive_sync(&document, message).await
                }
                Ok(Incoming::Unavailable(document)) => self.unavailable(&document),
                Ok(_) => {}
                Err(error) => {
                    web_sys::console::warn_1(&format!("Cohort sync: {error}; reconnecting").into());
                    self.disconnected();
                }
            },
            NetEvent::Closed => self.disconnected(),
            NetEvent::Retry if self.online => self.connect(),
            NetEvent::Retry => {}
            NetEvent::FromTab(message) => self.receive_from_tab(&message).await,
            NetEvent::Tick => {
                self.announce();
                self.forget_departed();
            }
        }
        self.post_status();
    }

    /// Tells the open group's other devices that this one is here, and by what name.
    fn announce(&mut self) {
        let Some(open) = &self.open else { return };
        if self.connection != Connection::Joined {
            return;
        }
        self.presence_count += 1;
        let data = Presence {
            name: self.display_name.clone(),
        }
        .encode();
        if let Some(frame) = self.client.ephemeral(
            &document_id(open.id),
            &self.session_id,
            self.presence_count,
            data,
        ) {
            self.link.send(&frame);
        }
    }

    fn heard_from(&mut self, document: &DocumentId, sender: String, data: &[u8]) {
        let Some(open) = self
            .open
            .as_ref()
            .filter(|open| document_id(open.id) == *document)
        else {
            return;
        };
        let Some(presence) = Presence::decode(data) else {
            return;
        };
        let id = open.id;
        let changed = self
            .others
            .get(&sender)
            .is_none_or(|(name, _)| *name != presence.name);
        self.others.insert(sender, (presence.name, now()));
        if changed {
            self.post_others(id);
        }
    }

    fn forget_departed(&mut self) {
        let before = self.others.len();
        let cutoff = now() - PRESENCE_EXPIRES_MS;
        self.others.retain(|_, (_, seen)| *seen >= cutoff);
        if let Some(open) = &self.open
            && self.others.len() != before
        {
            self.post_others(open.id);
        }
    }

    fn post_others(&self, group: GroupId) {
        let mut names: Vec<String> = self.others.values().map(|(name, _)| name.clone()).collect();
        names.sort();
        self.post(Event::Online { group, names });
    }

    fn disconnected(&mut self) {
        self.client.disconnected();
        self.link.closed();
        self.connection = Connection::Offline;
    }

    /// Sends the relay what it lacks of the open (or wanted) group.
    fn send_changes(&mut self) {
        let frame = if let Some(open) = &self.open {
            self.client
                .outgoing(&document_id(open.id), open.doc.automerge())
        } else if let Some(fetching) = &self.fetching {
            self.client
                .outgoing(&document_id(fetching.id), &fetching.doc)
        } else {
            None
        };
        if let Some(frame) = frame {
            self.link.send(&frame);
        }
    }

    async fn receive_sync(
        &mut self,
        document: &DocumentId,
        message: cohort_sync::automerge::sync::Message,
    ) {
        let Self {
            open,
            fetching,
            client,
            ..
        } = self;
        if let Some(open) = open
            .as_mut()
            .filter(|open| document_id(open.id) == *document)
        {
            let before = open.doc.heads();
            let touched = open
                .doc
                .receive(|doc, log| client.apply(document, doc, message, log));
            match touched {
                Ok(touched) => {
                    let id = open.id;
                    let changes =
                        (open.doc.heads() != before).then(|| open.doc.save_after(&before));
                    if !touched.is_empty() {
                        let update = open.doc.update_for(&touched);
                        self.post(Event::Updated { group: id, update });
                    }
                    if let Some(changes) = changes {
                        self.link.tell_tabs(&protocol::encode(&(id, changes)));
                        // A failure is shown by store_changes; the changes stay in memory and
                        // are stored with the next change.
                        let _ = self.store_changes().await;
                    }
                }
                Err(error) => {
                    web_sys::console::warn_1(
                        &format!("Cohort sync: a change was refused: {error}").into(),
                    );
                }
            }
        } else if let Some(fetch) = fetching
            .as_mut()
            .filter(|fetch| document_id(fetch.id) == *document)
            && client
                .apply(document, &mut fetch.doc, message, &mut PatchLog::inactive())
                .is_ok()
            && let Ok(doc) = GroupDoc::from_automerge(fetch.doc.clone())
        {
            let id = fetch.id;
            self.fetching = None;
            if let Err(failure) = self.keep_fetched(id, doc).await {
                self.post(Event::OpenFailed { group: id, failure });
            }
            return;
        }
        self.send_changes();
    }

    /// Stores a group fetched from the relay and opens it.
    async fn keep_fetched(&mut self, id: GroupId, doc: GroupDoc) -> Result<(), Failure> {
        let summary = GroupSummary {
            id,
            name: doc.profile().name,
            created_at: now_millis(),
        };
        self.storage.create(&summary, &doc.save()).await?;
        self.open(id).await.map(drop)
    }

    fn unavailable(&mut self, document: &DocumentId) {
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

    /// Changes another tab made to a group.
    async fn receive_from_tab(&mut self, message: &[u8]) {
        let Ok((id, changes)) = protocol::decode::<(GroupId, Vec<u8>)>(message) else {
            return;
        };
        let Some(open) = self.open.as_mut().filter(|open| open.id == id) else {
            return;
        };
        if let Ok(touched) = open.doc.load_incremental(&changes)
            && !touched.is_empty()
        {
            let update = open.doc.update_for(&touched);
            self.post(Event::Updated { group: id, update });
            let _ = self.store_changes().await;
            self.send_changes();
        }
    }

    /// Tells the page how the open group stands with the relay, if that changed, and stores
    /// when the group was last in sync.
    fn post_status(&mut self) {
        let state = match self.connection {
            Connection::Offline => SyncState::Offline,
            Connection::Connecting => SyncState::Connecting,
            Connection::Joined => match &self.open {
                Some(open)
                    if self
                        .client
                        .is_synced(&document_id(open.id), open.doc.automerge()) =>
                {
                    SyncState::UpToDate
                }
                Some(_) => SyncState::Syncing,
                None if self.fetching.is_some() => SyncState::Syncing,
                None => SyncState::UpToDate,
            },
        };
        let before = self.status;
        self.status.state = state;
        let open = self.open.as_ref().map(|open| open.id);
        if open.is_some() && state == SyncState::UpToDate {
            self.status.last_synced_at = Some(now_millis());
        }
        // While up to date the page shows no time, so only a change of state is news.
        if state != before.state
            || (state != SyncState::UpToDate && self.status.last_synced_at != before.last_synced_at)
        {
            self.post(Event::Sync(self.status));
        }
        if let (Some(id), Some(at)) = (open, self.status.last_synced_at)
            && (state != before.state
                || self
                    .stored_synced_at
                    .is_none_or(|stored| at - stored >= REMEMBER_SYNCED_EVERY_MS))
            && self.stored_synced_at != Some(at)
        {
            self.stored_synced_at = Some(at);
            let storage = self.storage.clone();
            // Not the organizer's data, only when it was last confirmed: a failure is logged,
            // and the time is stored again with the next change of state.
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = storage.put_synced_at(&id, at).await {
                    web_sys::console::warn_1(
                        &format!("Cohort: the last sync time was not stored: {error}").into(),
                    );
                }
            });
        }
    }

    fn post(&self, event: Event) {
        (self.outbox)(protocol::encode(&FromWorker::Event(event)));
    }

    pub async fn handle(&mut self, request: Request) -> Result<Answer, Failure> {
        match request {
            Request::ListGroups => Ok(Answer::Groups(self.storage.groups().await?)),
            Request::CreateGroup { name, at } => {
                let doc = GroupDoc::create(&name, at).map_err(apply_failure)?;
                let id = GroupId::random().map_err(|e| Failure::Document(e.to_string()))?;
                let summary = GroupSummary {
                    id,
                    name: doc.profile().name,
                    created_at: at,
                };
                self.storage.create(&summary, &doc.save()).await?;
                Ok(Answer::Group(summary))
            }
            Request::ImportGroup { bytes, at } => {
                let doc = GroupDoc::load(&bytes).map_err(|e| Failure::Document(e.to_string()))?;
                let id = GroupId::random().map_err(|e| Failure::Document(e.to_string()))?;
                let summary = GroupSummary {
                    id,
                    name: doc.profile().name,
                    created_at: at,
                };
                self.storage.create(&summary, &bytes).await?;
                Ok(Answer::Group(summary))
            }
            Request::RenameGroup { id, name } => self.rename(id, name).await,
            Request::DeleteGroup { id } => {
                self.storage.delete(&id).await?;
                if self.open.as_ref().is_some_and(|open| open.id == id) {
                    self.open = None;
                }
                Ok(Answer::Done)
            }
            Request::OpenGroup { id } => self.open(id).await,
            Request::Apply { action } => self.apply(&action).await,
            Request::SaveView => {
                self.refresh_view().await?;
                Ok(Answer::Done)
            }
            Request::SetRelay { url } => {
                self.link.set_url(url);
                self.client.disconnected();
                self.link.disconnect();
                self.connection = Connection::Offline;
                if self.online {
                    self.connect();
                }
                self.post_status();
                Ok(Answer::Done)
            }
            Request::SetDisplayName { name } => {
                self.display_name = name.trim().chars().take(MAX_NAME_CHARS).collect();
                self.announce();
                Ok(Answer::Done)
            }
            Request::NetworkChanged { online } => {
                self.online = online;
                if online {
                    self.connect();
                } else {
                    self.client.disconnected();
                    self.link.disconnect();
                    self.connection = Connection::Offline;
                    self.post_status();
                }
                Ok(Answer::Done)
            }
            Request::MeasureBareLoad { id } => {
                let stored = self.storage.load(&id).await?;
                let started = now();
                Automerge::load(&stored.bytes).map_err(|e| Failure::Document(e.to_string()))?;
                Ok(Answer::Measured(now() - started))
            }
        }
    }

    async fn open(&mut self, id: GroupId) -> Result<Answer, Failure> {
        self.open = None;
        self.fetching = None;
        self.others.clear();
        self.stored_synced_at = self.storage.synced_at(&id).await?;
        if self.status.last_synced_at != self.stored_synced_at {
            self.status.last_synced_at = self.stored_synced_at;
            self.post(Event::Sync(self.status));
        }
        if self.storage.summary(&id).await?.is_none() {
            // A shared link to a group this device does not have: ask the relay for it. The
            // view follows once it arrives, or `OpenFailed` if the relay lacks it too.
            self.fetching = Some(Fetching {
                id,
                doc: Automerge::new(),
            });
            self.send_changes();
            self.post_status();
            return Ok(Answer::Done);
        }
        // First the stored view, posted as it was saved, so the page shows the group while the
        // document loads.
        let cached = match self.storage.view(&id).await? {
            Some(bytes) => protocol::decode::<CachedView>(&bytes).ok(),
            None => None,
        };
        let cached = cached.map(|CachedView { heads, messages }| {
            for message in messages {
                (self.outbox)(message);
            }
            CachedView {
                heads,
                messages: Vec::new(),
            }
        });
        let stored = self.storage.load(&id).await?;
        let doc = GroupDoc::load(&stored.bytes).map_err(|e| Failure::Document(e.to_string()))?;
        let heads = doc.heads();
        // A view behind the document is brought up to date with the records changed since;
        // only without a usable view is the whole document read.
        // (Equal heads are checked first: finding what changed makes Automerge index the
        // history of a freshly loaded document, which costs about as much as the load.)
        let since_view = cached.as_ref().and_then(|cached| {
            let view_heads = cached.heads();
            if view_heads == heads {
                return Some((view_heads, Touched::default()));
            }
            let touched = doc.touched_since(&view_heads)?;
            Some((view_heads, touched))
        });
        let view_heads = match since_view {
            Some((view_heads, touched)) => {
                if !touched.is_empty() {
                    self.post(Event::Updated {
                        group: id,
                        update: doc.update_for(&touched),
                    });
                }
                view_heads
            }
            None => {
                let group = doc.hydrate();
                let messages = view_messages(id, ViewSource::Document, &group);
                for message in &messages {
                    (self.outbox)(message.clone());
                }
                self.save_view(id, &heads, &group).await?;
                heads.clone()
            }
        };
        self.open = Some(OpenGroup {
            id,
            doc,
            view_heads,
            stored_heads: heads,
            next_seq: stored.next_seq,
            chunks: stored.chunks,
        });
        self.post(Event::Loaded { group: id });
        self.send_changes();
        self.announce();
        self.post_status();
        Ok(Answer::Done)
    }

    async fn save_view(
        &self,
        id: GroupId,
        heads: &[ChangeHash],
        group: &Group,
    ) -> Result<(), StorageError> {
        let cached = CachedView {
            heads: heads.iter().map(|head| head.0).collect(),
            messages: view_messages(id, ViewSource::Cache, group),
        };
        self.storage.put_view(&id, &protocol::encode(&cached)).await
    }

    /// Brings the open group's stored view up to its document: the stored view with the records
    /// changed since. Cheap next to reading the whole document.
    async fn refresh_view(&mut self) -> Result<(), Failure> {
        let Some(open) = &self.open else {
            return Ok(());
        };
        let heads = open.doc.heads();
        if open.view_heads == heads {
            return Ok(());
        }
        let stored = match self.storage.view(&open.id).await? {
            Some(bytes) => protocol::decode::<CachedView>(&bytes).ok(),
            None => None,
        };
        let group = match stored
            .and_then(|view| Some((view.group().ok()?, open.doc.touched_since(&view.heads())?)))
        {
            Some((mut group, touched)) => {
                group.apply(open.doc.update_for(&touched));
                group
            }
            None => open.doc.hydrate(),
        };
        let id = open.id;
        self.save_view(id, &heads, &group).await?;
        if let Some(open) = self.open.as_mut() {
            open.view_heads = heads;
        }
        Ok(())
    }

    async fn apply(&mut self, action: &Action) -> Result<Answer, Failure> {
        let open = self.open.as_mut().ok_or(Failure::NoGroupOpen)?;
        let before = open.doc.heads();
        let touched = open.doc.apply(action).map_err(apply_failure)?;
        let group = open.id;
        let changes = open.doc.save_after(&before);
        if !touched.is_empty() {
            let update = open.doc.update_for(&touched);
            self.post(Event::Updated { group, update });
        }
        self.store_changes().await?;
        if !changes.is_empty() {
            self.link.tell_tabs(&protocol::encode(&(group, changes)));
        }
        self.send_changes();
        self.post_status();
        Ok(Answer::Done)
    }

    /// Appends the open group's unstored changes; compacts when the chunks pile up. On a
    /// failure the changes stay unstored and the next call tries them again.
    async fn store_changes(&mut self) -> Result<(), Failure> {
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        let bytes = open.doc.save_after(&open.stored_heads);
        if bytes.is_empty() {
            return Ok(());
        }
        let stored = self.storage.append(&open.id, open.next_seq, &bytes).await;
        if let Err(error) = stored {
            let failure = StorageFailure::from(error);
            self.post(Event::StorageFailed(failure.clone()));
            return Err(Failure::Storage(failure));
        }
        open.stored_heads = open.doc.heads();
        open.next_seq += 1;
        open.chunks += 1;
        if open.chunks > COMPACT_AFTER_CHUNKS {
            self.storage
                .compact(&open.id, open.next_seq, &open.doc.save())
                .await?;
            open.next_seq += 1;
            open.chunks = 1;
        }
        Ok(())
    }

    async fn rename(&mut self, id: GroupId, name: String) -> Result<Answer, Failure> {
        let mut summary = self
            .storage
            .summary(&id)
            .await?
            .ok_or(Failure::UnknownGroup)?;
        let action = Action::SetProfile {
            field: ProfileField::Name,
            value: name.clone(),
        };
        if self.open.as_ref().is_some_and(|open| open.id == id) {
            self.apply(&action).await?;
        } else {
            let stored = self.storage.load(&id).await?;
            let mut doc =
                GroupDoc::load(&stored.bytes).map_err(|e| Failure::Document(e.to_string()))?;
            let heads = doc.heads();
            doc.apply(&action).map_err(apply_failure)?;
            self.storage
                .append(&id, stored.next_seq, &doc.save_after(&heads))
                .await?;
        }
        summary.name = name.trim().to_owned();
        self.storage.put_summary(&summary).await?;
        Ok(Answer::Group(summary))
    }
}

/// The messages that show `group` on the page, in order.
fn view_messages(id: GroupId, source: ViewSource, group: &Group) -> Vec<Vec<u8>> {
    let event = |event| protocol::encode(&FromWorker::Event(event));
    let mut messages = vec![event(Event::ViewStart {
        group: id,
        source,
        profile: group.profile.clone(),
        roles: group.roles.values().cloned().collect(),
    })];
    let members: Vec<_> = group.members.values().cloned().collect();
    messages.extend(
        members
            .chunks(MEMBERS_PER_MESSAGE)
            .map(|part| event(Event::ViewMembers(part.to_vec()))),
    );
    messages.push(event(Event::ViewMembersDone));
    let feedback: Vec<_> = group.feedback.values().cloned().collect();
    messages.extend(
        feedback
            .chunks(FEEDBACK_PER_MESSAGE)
            .map(|part| event(Event::ViewFeedback(part.to_vec()))),
    );
    messages.push(event(Event::ViewDone));
    messages
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
