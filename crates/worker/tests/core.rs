//! The worker's core, natively: several tabs' cores on one in-memory store, a real relay engine
//! (`cohort_sync::hub::Hub`) and the page's views, driven by fixed scenarios and by random
//! interleavings checked against a model: nothing acknowledged to a page is lost, and every
//! view converges on its document.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use cohort_model::automerge::{ROOT, transaction::Transactable};
use cohort_model::protocol::{
    self, AccessRole, Answer, Direct, DirectSignal, Event, Failure, FromWorker, Grant,
    GroupSummary, Request, StorageFailure,
};
use cohort_model::*;
use cohort_sync::hub::{self, ConnectionId, Hub};
use cohort_sync::{DocumentId, automerge::Automerge};
use cohort_worker::core::{
    COMPACT_AFTER_CHUNKS, Chunk, ChunkKey, Core, Input, Output, RelayCall, StorageOp, Stored,
    StoredGroup, UpdateKey, ViewUpdate,
};
use proptest::prelude::*;

/// IndexedDB as the core sees it: each operation is one transaction.
#[derive(Default)]
struct Disk {
    groups: BTreeMap<GroupId, GroupSummary>,
    chunks: BTreeMap<GroupId, BTreeMap<ChunkKey, Vec<u8>>>,
    views: BTreeMap<GroupId, Vec<u8>>,
    updates: BTreeMap<GroupId, BTreeMap<UpdateKey, Vec<u8>>>,
    synced: BTreeMap<GroupId, Millis>,
    reports: BTreeMap<GroupId, Vec<u8>>,
    /// Every write fails while set (a full disk).
    full: bool,
}

impl Disk {
    fn run(&mut self, op: StorageOp) -> Result<Stored, StorageFailure> {
        let writes = !matches!(
            op,
            StorageOp::ListGroups | StorageOp::Read(_) | StorageOp::ReadChunks(_)
        );
        if writes && self.full {
            return Err(StorageFailure::QuotaExceeded);
        }
        match op {
            StorageOp::ListGroups => {
                return Ok(Stored::Groups(self.groups.values().cloned().collect()));
            }
            StorageOp::Read(id) => {
                return Ok(Stored::Group(StoredGroup {
                    summary: self.groups.get(&id).cloned(),
                    view: self.views.get(&id).cloned(),
                    updates: self
                        .updates
                        .get(&id)
                        .into_iter()
                        .flatten()
                        .map(|(key, messages)| ViewUpdate {
                            key: key.clone(),
                            messages: messages.clone(),
                        })
                        .collect(),
                    synced_at: self.synced.get(&id).copied(),
                    report: self.reports.get(&id).cloned(),
                }));
            }
            StorageOp::ReadChunks(id) => return Ok(Stored::Chunks(self.chunks(id))),
            StorageOp::Create { summary, chunk } | StorageOp::Rename { summary, chunk } => {
                self.put(summary.id, chunk);
                self.groups.insert(summary.id, summary);
            }
            StorageOp::Append {
                group,
                chunk,
                update,
            } => {
                self.put(group, chunk);
                if let Some(update) = update {
                    let updates = self.updates.entry(group).or_default();
                    updates.insert(update.key, update.messages);
                }
            }
            StorageOp::Compact {
                group,
                snapshot,
                replaces,
            } => {
                let chunks = self.chunks.entry(group).or_default();
                for key in replaces {
                    chunks.remove(&key);
                }
                self.put(group, snapshot);
            }
            StorageOp::PutSummary(summary) => {
                self.groups.insert(summary.id, summary);
            }
            StorageOp::PutView {
                group,
                view,
                replaces,
            } => {
                self.views.insert(group, view);
                let updates = self.updates.entry(group).or_default();
                for key in replaces {
                    updates.remove(&key);
                }
            }
            StorageOp::PutSyncedAt { group, at } => {
                self.synced.insert(group, at);
            }
            StorageOp::PutReport { group, report } => {
                self.reports.insert(group, report);
            }
            StorageOp::Delete(id) => {
                self.groups.remove(&id);
                self.chunks.remove(&id);
                self.views.remove(&id);
                self.updates.remove(&id);
                self.synced.remove(&id);
                self.reports.remove(&id);
            }
        }
        Ok(Stored::Done)
    }

    fn put(&mut self, group: GroupId, chunk: Chunk) {
        let chunks = self.chunks.entry(group).or_default();
        // Changes under one key are the same bytes whoever writes them (a snapshot under one key
        // is the same document, however encoded).
        if let (ChunkKey::Incremental(_), Some(bytes)) = (&chunk.key, chunks.get(&chunk.key)) {
            assert_eq!(
                *bytes, chunk.bytes,
                "two writers disagree on {:?}",
                chunk.key
            );
        }
        chunks.insert(chunk.key, chunk.bytes);
    }

    fn chunks(&self, id: GroupId) -> Vec<Chunk> {
        self.chunks
            .get(&id)
            .into_iter()
            .flatten()
            .map(|(key, bytes)| Chunk {
                key: key.clone(),
                bytes: bytes.clone(),
            })
            .collect()
    }

    /// The group as a tab opening it now would load it.
    fn load(&self, id: GroupId) -> GroupDoc {
        cohort_worker::core::load_chunks(self.chunks(id)).unwrap()
    }
}

/// A relay: the real engine, with storage that answers at once.
struct Relay {
    hub: Hub,
    disk: HashMap<DocumentId, Vec<u8>>,
    inbox: HashMap<ConnectionId, Vec<Vec<u8>>>,
    now: u64,
}

impl Relay {
    fn new() -> Self {
        Self::with(hub::Config::default())
    }

    fn with(config: hub::Config) -> Self {
        Self {
            hub: Hub::new(config),
            disk: HashMap::new(),
            inbox: HashMap::new(),
            now: 0,
        }
    }

    fn pump(&mut self) {
        while let Some(output) = self.hub.poll() {
            if let Some((connection, frame)) = output.whole_frame() {
                self.inbox.entry(connection).or_default().push(frame);
                continue;
            }
            match output {
                hub::Output::Send { .. } | hub::Output::SendShared { .. } => {}
                hub::Output::Close { connection, .. } => {
                    self.inbox.remove(&connection);
                }
                hub::Output::Load { document } => {
                    let stored = self.disk.get(&document).map(|bytes| hub::Stored {
                        document: hub::load_stored(bytes).unwrap(),
                        appends: 0,
                        appended_bytes: 0,
                        snapshot_bytes: 0,
                    });
                    self.hub.loaded(&document, Ok(stored), self.now);
                }
                hub::Output::Store {
                    document,
                    ticket,
                    write,
                } => {
                    let stored = self.disk.entry(document.clone()).or_default();
                    match write {
                        hub::Write::Append(bytes) => stored.extend(bytes),
                        hub::Write::Compact(bytes) => *stored = bytes,
                    }
                    self.hub.stored(&document, ticket, Ok(()), self.now);
                }
                hub::Output::Refused { reason, .. } => panic!("the relay refused: {reason}"),
                hub::Output::Deny {
                    connection,
                    document,
                } => self.hub.denied(connection, &document),
                hub::Output::Delete { document } => {
                    self.disk.remove(&document);
                }
                hub::Output::BuildFirstSync {
                    document,
                    automerge,
                } => self
                    .hub
                    .first_sync_built(&document, hub::FirstSync::of(&automerge)),
            }
        }
    }
}

/// One tab: a core, the storage operations it asked for and not yet done, and its page.
struct Tab {
    core: Core,
    storage: VecDeque<(u64, StorageOp)>,
    /// Frames for the relay, not yet delivered.
    outgoing: VecDeque<Vec<u8>>,
    connection: Option<ConnectionId>,
    /// The core asked to connect and has not been connected yet.
    wants_connection: bool,
    /// What the page was told.
    replies: BTreeMap<u32, Result<Answer, Failure>>,
    events: Vec<Event>,
    /// What the core logged.
    warnings: Vec<String>,
    /// The capabilities presented to the relay (the sync URL's query).
    access: String,
    /// Calls of the relay's API asked for, not answered yet.
    calls: Vec<(u32, RelayCall)>,
    /// The page's view of the open group, kept from events as the page keeps it.
    view: Group,
    next_seq: u32,
    now: Millis,
    /// How many times the connection held long enough to reset the reconnect backoff.
    backoff_resets: u32,
    /// Frames for direct channels, by channel, not yet delivered (the page's data channels).
    direct_out: VecDeque<(u32, Vec<u8>)>,
}

/// Messages between tabs, in the order sent: (sender, message).
type Channel = VecDeque<(usize, Vec<u8>)>;

impl Tab {
    fn new(seed: u64) -> Self {
        let mut tab = Self {
            core: Core::new(seed),
            storage: VecDeque::new(),
            outgoing: VecDeque::new(),
            connection: None,
            wants_connection: false,
            replies: BTreeMap::new(),
            events: Vec::new(),
            warnings: Vec::new(),
            access: String::new(),
            calls: Vec::new(),
            view: Group::default(),
            next_seq: 0,
            now: 1_000,
            backoff_resets: 0,
            direct_out: VecDeque::new(),
        };
        let outputs = tab.core.start(tab.now);
        tab.take(outputs, &mut Channel::new(), 0);
        tab
    }

    fn input(&mut self, input: Input, channel: &mut Channel, me: usize) {
        self.now += 10;
        let outputs = self.core.handle(input, self.now);
        self.take(outputs, channel, me);
    }

    fn take(&mut self, outputs: Vec<Output>, channel: &mut Channel, me: usize) {
        for output in outputs {
            match output {
                Output::Post(message) => match protocol::decode(&message).unwrap() {
                    FromWorker::Reply(reply) => {
                        assert!(
                            self.replies.insert(reply.seq, reply.result).is_none(),
                            "request {} answered twice",
                            reply.seq
                        );
                    }
                    FromWorker::Event(Event::DirectSend { channel, frame }) => {
                        self.direct_out.push_back((channel, frame));
                    }
                    FromWorker::Event(event) => {
                        self.follow(&event);
                        self.events.push(event);
                    }
                },
                Output::Send(frame) => self.outgoing.push_back(frame),
                Output::TellTabs(message) => channel.push_back((me, message)),
                Output::Connect => self.wants_connection = true,
                Output::Disconnect | Output::Reconnect => {
                    self.wants_connection = matches!(output, Output::Reconnect);
                    self.connection = None;
                    self.outgoing.clear();
                }
                Output::Warn(warning) => self.warnings.push(warning),
                Output::ConnectionHeld => self.backoff_resets += 1,
                Output::SetRelay(_) => {}
                Output::Yield => self.input(Input::Resume, channel, me),
                Output::Storage(ticket, op) => self.storage.push_back((ticket, op)),
                Output::SetAccess(query) => self.access = query,
                Output::Fetch { seq, call } => self.calls.push((seq, call)),
            }
        }
    }

    /// Keeps the page's view as the page does.
    fn follow(&mut self, event: &Event) {
        match event {
            Event::ViewStart { .. } => {
                self.view = protocol::assemble([event.clone()]);
            }
            Event::ViewMembers(members) => self
                .view
                .members
                .extend(members.iter().map(|m| (m.id.clone(), m.clone()))),
            Event::ViewFeedback(items) => self
                .view
                .feedback
                .extend(items.iter().map(|f| (f.id.clone(), f.clone()))),
            Event::Updated { update, .. } => self.view.apply(update.clone()),
            _ => {}
        }
    }

    /// Sends a request; returns its number.
    fn ask(&mut self, request: Request, channel: &mut Channel, me: usize) -> u32 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.input(Input::Page { seq, request }, channel, me);
        seq
    }

    /// Carries out the oldest storage operation; false if there was none.
    fn store_one(&mut self, disk: &mut Disk, channel: &mut Channel, me: usize) -> bool {
        let Some((ticket, op)) = self.storage.pop_front() else {
            return false;
        };
        let result = disk.run(op);
        self.input(Input::Stored { ticket, result }, channel, me);
        true
    }
}

/// Several tabs of one browser, one disk, one relay.
struct World {
    tabs: Vec<Tab>,
    disk: Disk,
    relay: Relay,
    channel: Channel,
}

impl World {
    fn new(tabs: usize) -> Self {
        Self {
            tabs: (0..tabs).map(|n| Tab::new(n as u64 + 1)).collect(),
            disk: Disk::default(),
            relay: Relay::new(),
            channel: Channel::new(),
        }
    }

    fn ask(&mut self, tab: usize, request: Request) -> u32 {
        self.tabs[tab].ask(request, &mut self.channel, tab)
    }

    fn store_one(&mut self, tab: usize) -> bool {
        self.tabs[tab].store_one(&mut self.disk, &mut self.channel, tab)
    }

    /// Delivers the oldest message between tabs to every other tab.
    fn deliver_tab_message(&mut self) -> bool {
        let Some((from, message)) = self.channel.pop_front() else {
            return false;
        };
        for (n, tab) in self.tabs.iter_mut().enumerate() {
            if n != from {
                tab.input(Input::FromTab(message.clone()), &mut self.channel, n);
            }
        }
        true
    }

    /// Connects a tab that wants a connection: the socket opens.
    fn connect(&mut self, tab: usize) -> bool {
        if !self.tabs[tab].wants_connection || self.tabs[tab].connection.is_some() {
            return false;
        }
        self.tabs[tab].wants_connection = false;
        let connection = self.relay.hub.connect(self.relay.now);
        self.tabs[tab].connection = Some(connection);
        self.tabs[tab].input(Input::Opened, &mut self.channel, tab);
        true
    }

    /// Moves frames between a tab and the relay, one step each way.
    fn exchange(&mut self, tab: usize) -> bool {
        let Some(connection) = self.tabs[tab].connection else {
            return false;
        };
        let mut moved = false;
        while let Some(frame) = self.tabs[tab].outgoing.pop_front() {
            self.relay.hub.receive(connection, &frame, self.relay.now);
            self.relay.pump();
            moved = true;
        }
        for frame in self.relay.inbox.remove(&connection).unwrap_or_default() {
            self.tabs[tab].input(Input::Frame(frame), &mut self.channel, tab);
            moved = true;
        }
        moved
    }

    fn drop_connection(&mut self, tab: usize) {
        if let Some(connection) = self.tabs[tab].connection {
            self.relay.hub.disconnect(connection, self.relay.now);
            self.relay.pump();
            self.tabs[tab].input(Input::Closed, &mut self.channel, tab);
        }
    }

    /// Runs everything pending until nothing moves: storage, tab messages, connections.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for tab in 0..self.tabs.len() {
                while self.store_one(tab) {
                    moved = true;
                }
                if self.tabs[tab].wants_connection {
                    self.tabs[tab].input(Input::Retry, &mut self.channel, tab);
                    moved |= self.connect(tab);
                }
                moved |= self.exchange(tab);
            }
            while self.deliver_tab_message() {
                moved = true;
            }
            if !moved {
                return;
            }
        }
        panic!("the world did not settle");
    }

    fn answer(&self, tab: usize, seq: u32) -> &Result<Answer, Failure> {
        self.tabs[tab]
            .replies
            .get(&seq)
            .unwrap_or_else(|| panic!("tab {tab} has no answer to {seq}"))
    }

    fn create(&mut self, tab: usize, name: &str) -> GroupId {
        let seq = self.ask(
            tab,
            Request::CreateGroup {
                name: name.into(),
                at: 1,
            },
        );
        self.settle();
        match self.answer(tab, seq) {
            Ok(Answer::Group(summary)) => summary.id,
            other => panic!("{other:?}"),
        }
    }

    /// Renames a group from a tab and lets everything settle; returns the request's number.
    fn rename(&mut self, tab: usize, id: GroupId, name: &str) -> u32 {
        let name = name.into();
        let seq = self.ask(tab, Request::RenameGroup { id, name });
        self.settle();
        seq
    }

    fn open(&mut self, tab: usize, id: GroupId) -> u32 {
        let seq = self.ask(tab, Request::OpenGroup { id, report: None });
        self.settle();
        seq
    }
}

fn add_member(n: u64) -> Action {
    Action::AddMember {
        id: MemberId::from_bits(n),
        draft: MemberDraft {
            name: format!("Member {n}"),
            ..MemberDraft::default()
        },
        at: 2,
    }
}

fn apply(action: Action) -> Request {
    Request::Apply {
        actions: vec![action],
    }
}

/// The group as stored on a world's disk, read whole.
fn world_view(world: &World, id: GroupId) -> Group {
    world.disk.load(id).hydrate()
}

fn member_ids(group: &Group) -> BTreeSet<MemberId> {
    group.members.keys().cloned().collect()
}

#[test]
fn an_action_is_answered_only_once_it_is_stored() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    let seq = world.ask(0, apply(add_member(1)));
    // The page sees the change at once, and knows it is not stored yet.
    assert!(
        world.tabs[0]
            .view
            .members
            .contains_key(&MemberId::from_bits(1))
    );
    assert!(!world.tabs[0].replies.contains_key(&seq));
    assert!(world.store_one(0));
    assert_eq!(world.answer(0, seq), &Ok(Answer::Done));
    assert!(member_ids(&world.disk.load(id).hydrate()).contains(&MemberId::from_bits(1)));
}

/// A group with one member in its saved view (the page was hidden) and `after` stored since.
fn group_changed_after_its_view(after: Vec<Action>) -> (World, GroupId) {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.ask(0, apply(add_member(1)));
    world.settle();
    world.ask(0, Request::SaveView);
    world.settle();
    for action in after {
        world.ask(0, apply(action));
    }
    world.settle();
    (world, id)
}

#[test]
fn a_reopened_group_shows_every_stored_change_before_its_document_loads() {
    // More is stored after the view was saved, then the tab is closed.
    let rename = Action::SetMember {
        id: MemberId::from_bits(1),
        field: MemberField::Name,
        value: "Ada".into(),
    };
    let (mut world, id) = group_changed_after_its_view(vec![add_member(2), rename]);
    world.tabs[0] = Tab::new(5);
    world.ask(0, Request::OpenGroup { id, report: None });
    // Only the view and its updates are read so far, not the chunks.
    assert!(world.store_one(0));
    let shown = &world.tabs[0].view;
    assert_eq!(shown.members.len(), 2);
    assert_eq!(shown.members[&MemberId::from_bits(1)].name, "Ada");
    assert!(
        world.tabs[0]
            .events
            .iter()
            .all(|e| !matches!(e, Event::Loaded { .. }))
    );
    world.settle();
    assert_eq!(world.tabs[0].view, world.disk.load(id).hydrate());
    // Saving the view again replaces the updates it holds.
    world.ask(0, Request::SaveView);
    world.settle();
    assert!(world.disk.updates[&id].is_empty());
}

#[test]
fn a_stored_view_update_of_another_format_is_not_shown_and_the_document_catches_up() {
    let (mut world, id) = group_changed_after_its_view(vec![add_member(2)]);
    // As if an older build stored the update: its messages would decode as nonsense.
    for messages in world.disk.updates.get_mut(&id).unwrap().values_mut() {
        let (_, list): (u32, Vec<Vec<u8>>) = protocol::decode(messages).unwrap();
        *messages = protocol::encode(&(1_u32, list));
    }
    world.tabs[0] = Tab::new(5);
    world.ask(0, Request::OpenGroup { id, report: None });
    assert!(world.store_one(0));
    assert_eq!(
        world.tabs[0].view.members.len(),
        1,
        "the update is left out"
    );
    assert!(
        world.tabs[0]
            .warnings
            .iter()
            .any(|w| w.contains("format 1")),
        "{:?}",
        world.tabs[0].warnings
    );
    world.settle();
    assert_eq!(world.tabs[0].view, world.disk.load(id).hydrate());
    assert_eq!(world.tabs[0].view.members.len(), 2);
}

#[test]
fn a_full_disk_is_told_and_the_change_is_stored_once_there_is_room() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.disk.full = true;
    let seq = world.ask(0, apply(add_member(1)));
    world.settle();
    assert_eq!(
        world.answer(0, seq),
        &Err(Failure::Storage(StorageFailure::QuotaExceeded))
    );
    assert!(
        world.tabs[0]
            .events
            .iter()
            .any(|event| matches!(event, Event::StorageFailed(StorageFailure::QuotaExceeded)))
    );
    // Room again: the next tick stores what was kept in memory.
    world.disk.full = false;
    world.tabs[0].input(Input::Tick, &mut world.channel, 0);
    world.settle();
    assert!(member_ids(&world.disk.load(id).hydrate()).contains(&MemberId::from_bits(1)));
}

#[test]
fn tabs_writing_at_once_never_lose_each_others_chunks_even_while_compacting() {
    let mut world = World::new(3);
    let id = world.create(0, "Choir");
    for tab in 0..3 {
        world.open(tab, id);
    }
    // Each tab adds members and stores them one operation at a time, round robin, with no
    // tab messages delivered: each compacts (after its chunks pile up) while the others write.
    let mut acknowledged = BTreeSet::new();
    let mut asked = Vec::new();
    let per_tab = COMPACT_AFTER_CHUNKS as u64 + 30;
    for n in 0..per_tab {
        for tab in 0..3 {
            let member = n * 3 + tab as u64;
            asked.push((tab, world.ask(tab, apply(add_member(member))), member));
            world.store_one(tab);
        }
    }
    // Only storage runs: the tabs do not hear of each other's changes.
    for tab in 0..3 {
        while world.store_one(tab) {}
    }
    for (tab, seq, member) in asked {
        if world.answer(tab, seq).is_ok() {
            acknowledged.insert(MemberId::from_bits(member));
        }
    }
    assert_eq!(acknowledged.len() as u64, per_tab * 3);
    let chunks = world.disk.chunks(id).len();
    assert!(chunks < 300, "{chunks} chunks: no compaction happened");
    let stored = member_ids(&world.disk.load(id).hydrate());
    assert_eq!(acknowledged.difference(&stored).count(), 0);
}

#[test]
fn a_rename_from_another_tab_reaches_the_tab_that_has_the_group_open() {
    let mut world = World::new(2);
    let id = world.create(0, "Choir");
    world.open(0, id);
    let seq = world.rename(1, id, "Chamber choir");
    assert!(matches!(world.answer(1, seq), Ok(Answer::Group(s)) if s.name == "Chamber choir"));
    assert_eq!(world.tabs[0].view.profile.name, "Chamber choir");
    // The open tab's next edit keeps the rename.
    world.ask(0, apply(add_member(1)));
    world.settle();
    assert_eq!(world.disk.load(id).profile().name, "Chamber choir");
    assert_eq!(world.disk.groups[&id].name, "Chamber choir");
}

#[test]
fn renaming_the_open_group_stores_the_change_then_the_catalogue() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    let seq = world.rename(0, id, " Chamber choir ");
    assert!(matches!(
        world.answer(0, seq),
        Ok(Answer::Group(s)) if s.name == "Chamber choir" && s.created_at == 1
    ));
    assert_eq!(world.disk.load(id).profile().name, "Chamber choir");
}

#[test]
fn a_damaged_group_is_refused_with_a_message_not_left_opening() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world
        .disk
        .chunks
        .get_mut(&id)
        .unwrap()
        .insert(ChunkKey::incremental(b"junk"), b"junk".to_vec());
    let seq = world.open(0, id);
    match world.answer(0, seq) {
        Err(Failure::Document(message)) => assert!(message.contains("damaged"), "{message}"),
        other => panic!("{other:?}"),
    }
    // The tab goes on working.
    let other = world.create(0, "Chess");
    let seq = world.open(0, other);
    assert_eq!(world.answer(0, seq), &Ok(Answer::Done));
}

/// A group document written by a newer Cohort: schema 99.
fn newer_group() -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "schema", 99_i64).unwrap();
    tx.commit();
    doc
}

#[test]
fn a_shared_group_of_a_newer_schema_says_so_instead_of_loading_forever() {
    let mut world = World::new(1);
    let id = GroupId::random().unwrap();
    world
        .relay
        .disk
        .insert(DocumentId::from_bytes(id.bytes()), newer_group().save());
    world.settle();
    world.open(0, id);
    let failure = world.tabs[0].events.iter().find_map(|event| match event {
        Event::OpenFailed { group, failure } if *group == id => Some(failure.clone()),
        _ => None,
    });
    match failure {
        Some(Failure::Document(message)) => assert!(message.contains("newer version"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_shared_group_is_shown_from_the_fetched_document_and_stored_once() {
    let mut world = World::new(2);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.ask(0, apply(add_member(7)));
    world.ask(
        0,
        apply(Action::AddFeedback {
            id: FeedbackId::from_bits(1),
            draft: FeedbackDraft {
                text: "More evening sessions".into(),
                ..FeedbackDraft::default()
            },
            at: 3,
        }),
    );
    world.settle();
    // Tab 1 on another device: its own disk, the same relay.
    let mut other = World {
        tabs: vec![Tab::new(9)],
        disk: Disk::default(),
        relay: std::mem::replace(&mut world.relay, Relay::new()),
        channel: Channel::new(),
    };
    let seq = other.open(0, id);
    assert_eq!(other.answer(0, seq), &Ok(Answer::Done));
    assert!(
        other.tabs[0]
            .view
            .members
            .contains_key(&MemberId::from_bits(7))
    );
    assert!(
        other.tabs[0]
            .events
            .iter()
            .any(|event| matches!(event, Event::Loaded { group } if *group == id))
    );
    // Shown in parts: the members and "loaded" first, then the feedback.
    let position =
        |wanted: fn(&Event) -> bool| other.tabs[0].events.iter().position(wanted).unwrap();
    let members_done = position(|e| matches!(e, Event::ViewMembersDone));
    let loaded = position(|e| matches!(e, Event::Loaded { .. }));
    let feedback = position(|e| matches!(e, Event::ViewFeedback(_)));
    assert!(members_done < feedback && loaded < feedback);
    assert_eq!(other.tabs[0].view, world_view(&other, id));
    assert_eq!(other.disk.chunks(id).len(), 1);
    assert!(member_ids(&other.disk.load(id).hydrate()).contains(&MemberId::from_bits(7)));
    // Its view was stored too: reopened, it shows from the stored view alone.
    other.tabs[0] = Tab::new(10);
    other.open(0, id);
    let sources: Vec<_> = other.tabs[0]
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ViewStart { source, .. } => Some(*source),
            _ => None,
        })
        .collect();
    assert_eq!(sources, [protocol::ViewSource::Cache]);
    assert_eq!(other.tabs[0].view, world_view(&other, id));
    // It is editable at once.
    let seq = other.ask(0, apply(add_member(8)));
    other.settle();
    assert_eq!(other.answer(0, seq), &Ok(Answer::Done));
}

/// One step of a random run.
#[derive(Clone, Debug)]
enum Step {
    /// A page adds a member (the number is the member's, unique in the run).
    Act(usize),
    /// One storage operation of a tab is carried out.
    Store(usize),
    DeliverTabMessage,
    Connect(usize),
    Exchange(usize),
    Disconnect(usize),
    /// The disk fills up, or has room again.
    DiskFull(bool),
    Tick(usize),
    /// A tab is closed and opened again: its pending storage is lost with it, as in a crash.
    Crash(usize),
}

const TABS: usize = 3;

fn step() -> impl Strategy<Value = Step> {
    let tab = 0..TABS;
    prop_oneof![
        6 => tab.clone().prop_map(Step::Act),
        6 => tab.clone().prop_map(Step::Store),
        2 => Just(Step::DeliverTabMessage),
        1 => tab.clone().prop_map(Step::Connect),
        3 => tab.clone().prop_map(Step::Exchange),
        1 => tab.clone().prop_map(Step::Disconnect),
        1 => any::<bool>().prop_map(Step::DiskFull),
        1 => tab.clone().prop_map(Step::Tick),
        1 => tab.prop_map(Step::Crash),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the interleaving of actions, storage, tab messages, relay traffic, full disks
    /// and crashes: every action acknowledged to a page is on the disk or the relay, and once
    /// everything settles, every tab's document holds every acknowledged action, every page's
    /// view equals its tab's document, and every tab's document is the same.
    #[test]
    fn nothing_acknowledged_is_lost_and_views_converge(steps in prop::collection::vec(step(), 1..120)) {
        let mut world = World::new(TABS);
        let id = world.create(0, "Choir");
        for tab in 0..TABS {
            world.open(tab, id);
        }
        let mut asked: Vec<(usize, u32, u64)> = Vec::new();
        let mut next_member = 0;
        let mut acknowledged = BTreeSet::new();
        for step in steps {
            match step {
                Step::Act(tab) => {
                    let seq = world.ask(tab, apply(add_member(next_member)));
                    asked.push((tab, seq, next_member));
                    next_member += 1;
                }
                Step::Store(tab) => {
                    world.store_one(tab);
                }
                Step::DeliverTabMessage => {
                    world.deliver_tab_message();
                }
                Step::Connect(tab) => {
                    world.connect(tab);
                }
                Step::Exchange(tab) => {
                    world.exchange(tab);
                }
                Step::Disconnect(tab) => world.drop_connection(tab),
                Step::DiskFull(full) => world.disk.full = full,
                Step::Tick(tab) => world.tabs[tab].input(Input::Tick, &mut world.channel, tab),
                Step::Crash(tab) => {
                    world.drop_connection(tab);
                    // What the crashed tab acknowledged must already be stored.
                    collect(&world, &mut asked, &mut acknowledged);
                    asked.retain(|(asker, _, _)| *asker != tab);
                    world.tabs[tab] = Tab::new(100 + next_member);
                    world.open(tab, id);
                }
            }
            collect(&world, &mut asked, &mut acknowledged);
            // Acknowledged means stored: on this disk now (the relay only has what was sent).
            let stored = member_ids(&world.disk.load(id).hydrate());
            let lost: Vec<_> = acknowledged.difference(&stored).collect();
            prop_assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
        }
        world.disk.full = false;
        for tab in 0..TABS {
            world.tabs[tab].input(Input::Tick, &mut world.channel, tab);
        }
        world.settle();
        let stored = member_ids(&world.disk.load(id).hydrate());
        prop_assert!(acknowledged.is_subset(&stored));
        let reference = world.disk.load(id).hydrate();
        for tab in &world.tabs {
            prop_assert_eq!(&tab.view, &reference, "a page's view differs from the disk");
        }
    }
}

/// Moves the answered requests of `asked` into `acknowledged` (those answered `Done`).
fn collect(
    world: &World,
    asked: &mut Vec<(usize, u32, u64)>,
    acknowledged: &mut BTreeSet<MemberId>,
) {
    asked.retain(
        |(tab, seq, member)| match world.tabs[*tab].replies.get(seq) {
            Some(Ok(_)) => {
                acknowledged.insert(MemberId::from_bits(*member));
                false
            }
            Some(Err(_)) => false,
            None => true,
        },
    );
}

#[test]
fn a_backup_merges_into_its_own_group_only_and_a_restore_keeps_its_id() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.ask(0, apply(add_member(1)));
    world.settle();
    let seq = world.ask(
        0,
        Request::Export {
            file: protocol::ExportFile::Backup,
            words: sheet::Words::default(),
        },
    );
    world.settle();
    let backup = match world.answer(0, seq) {
        Ok(Answer::File(download)) => download.clone(),
        other => panic!("{other:?}"),
    };
    assert!(backup.name.contains(&id.to_string()), "{}", backup.name);
    // The group goes on; merging the older backup loses nothing of either.
    world.ask(0, apply(add_member(2)));
    world.settle();
    let seq = world.ask(
        0,
        Request::MergeBackup {
            bytes: backup.bytes.clone(),
        },
    );
    world.settle();
    assert_eq!(world.answer(0, seq), &Ok(Answer::Done));
    assert_eq!(member_ids(&world_view(&world, id)).len(), 2);

    // Another group refuses it.
    let other = world.create(0, "Band");
    world.open(0, other);
    let seq = world.ask(
        0,
        Request::MergeBackup {
            bytes: backup.bytes.clone(),
        },
    );
    world.settle();
    assert_eq!(world.answer(0, seq), &Err(Failure::NotThisGroup));

    // Restored on another device, it is the same group, under the same id.
    let mut elsewhere = World::new(1);
    let seq = elsewhere.ask(
        0,
        Request::ImportGroup {
            bytes: backup.bytes,
            at: 3,
            id: Some(id),
        },
    );
    elsewhere.settle();
    match elsewhere.answer(0, seq) {
        Ok(Answer::Group(summary)) => assert_eq!(summary.id, id),
        other => panic!("{other:?}"),
    }
    assert_eq!(member_ids(&world_view(&elsewhere, id)).len(), 1);
}

#[test]
fn an_import_is_one_stored_change_answered_with_its_counts() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    let table =
        sheet::read_csv("姓名,手机\n张伟,13800138000\n,13900000000\n李娜,13700000000\n".as_bytes())
            .unwrap();
    let seq = world.ask(
        0,
        Request::PreviewSheet {
            table: table.clone(),
            columns: None,
            words: sheet::Words::default(),
        },
    );
    world.settle();
    let columns = match world.answer(0, seq) {
        Ok(Answer::SheetPreview(preview)) => preview.columns.clone(),
        other => panic!("{other:?}"),
    };
    let changes_before = world.disk.load(id).automerge().get_changes(&[]).len();
    let seq = world.ask(
        0,
        Request::ImportSheet {
            table,
            columns,
            on_match: sheet::OnMatch::Update,
            words: sheet::Words::default(),
            at: 3,
        },
    );
    // Answered once stored, not before.
    assert!(!world.tabs[0].replies.contains_key(&seq));
    world.settle();
    match world.answer(0, seq) {
        Ok(Answer::Imported(counts)) => {
            assert_eq!((counts.added, counts.refused), (2, 1));
        }
        other => panic!("{other:?}"),
    }
    let stored = world.disk.load(id);
    assert_eq!(
        stored.automerge().get_changes(&[]).len(),
        changes_before + 1
    );
    assert_eq!(stored.hydrate().members.len(), 2);
}

#[test]
fn an_export_shows_every_change_made_since_the_stored_view() {
    let rename = Action::SetMember {
        id: MemberId::from_bits(1),
        field: MemberField::Name,
        value: "Ada".into(),
    };
    let (mut world, id) = group_changed_after_its_view(vec![add_member(2), rename]);
    let seq = world.ask(
        0,
        Request::Export {
            file: protocol::ExportFile::Csv(sheet::Export::Members),
            words: sheet::Words::default(),
        },
    );
    world.settle();
    let sheets = match world.answer(0, seq) {
        Ok(Answer::Tables { sheets, .. }) => sheets,
        other => panic!("{other:?}"),
    };
    let group = world.disk.load(id).hydrate();
    let exported = sheet::export(&group, sheet::Export::Members, &sheet::Words::default());
    assert_eq!(sheets, &vec![exported]);
    assert!(
        sheets[0]
            .rows
            .iter()
            .any(|row| row.contains(&"Ada".to_owned()))
    );
}

#[test]
fn the_analytics_report_is_worked_out_in_the_worker_from_every_stored_change() {
    let (mut world, id) = group_changed_after_its_view(vec![add_member(2)]);
    let clock = analytics::Clock {
        now: 1_800_000_000_000,
        utc_offset_minutes: 480,
    };
    let seq = world.ask(0, Request::Analytics { clock });
    world.settle();
    let report = match world.answer(0, seq) {
        Ok(Answer::Analytics(report)) => report,
        other => panic!("{other:?}"),
    };
    let group = world.disk.load(id).hydrate();
    let expected = analytics::report(&group, &group.profile.analytics, clock);
    assert_eq!(**report, expected);
    assert_eq!(
        report.status.last().map(|s| s.iter().sum::<usize>()),
        Some(group.members.len())
    );
}

#[test]
fn an_organizer_undoes_their_own_changes_one_at_a_time_after_reopening_the_group() {
    let mut world = World::new(1);
    let device = |name: &str| Request::SetOrganizer {
        name: name.into(),
        device: format!("device-{name}"),
    };
    world.ask(0, device("Ada"));
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.ask(0, apply(add_member(1)));
    let rename = Action::SetMember {
        id: MemberId::from_bits(1),
        field: MemberField::Name,
        value: "Ada Lovelace".into(),
    };
    world.ask(0, apply(rename));
    world.settle();
    // The tab is closed and the group opened again in a new one, on the same device.
    world.tabs[0] = Tab::new(5);
    world.ask(0, device("Ada"));
    world.ask(0, Request::OpenGroup { id, report: None });
    world.settle();
    let seq = world.ask(
        0,
        Request::History {
            record: None,
            by: None,
        },
    );
    world.settle();
    let page = match world.answer(0, seq) {
        Ok(Answer::History(page)) => page.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        page.organizers.get("device-Ada").map(String::as_str),
        Some("Ada")
    );
    assert_eq!(page.entries.len(), 2, "{page:?}");
    assert!(page.next_undo.is_some());

    let seq = world.ask(0, Request::Undo);
    world.settle();
    assert!(matches!(world.answer(0, seq), Ok(Answer::Undone(undone)) if undone.kept.is_empty()));
    let stored = world.disk.load(id).hydrate();
    assert_eq!(stored.members[&MemberId::from_bits(1)].name, "Member 1");
    assert_eq!(world.tabs[0].view, stored, "the view follows the undo");

    let seq = world.ask(0, Request::Undo);
    world.settle();
    assert!(matches!(world.answer(0, seq), Ok(Answer::Undone(_))));
    assert!(world.disk.load(id).hydrate().members.is_empty());
    let seq = world.ask(0, Request::Undo);
    world.settle();
    assert_eq!(world.answer(0, seq), &Err(Failure::NothingToUndo));
}

#[test]
fn an_action_that_changes_nothing_is_answered_all_the_same() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.ask(0, apply(add_member(1)));
    world.settle();
    // The name it already has: no change is made, nothing is stored, the page is answered.
    let same = Action::SetMember {
        id: MemberId::from_bits(1),
        field: MemberField::Name,
        value: "Member 1".into(),
    };
    let seq = world.ask(0, apply(same));
    world.settle();
    assert_eq!(world.answer(0, seq), &Ok(Answer::Done));
}

#[test]
fn a_group_opened_on_its_analytics_page_gets_a_report_before_its_document_loads() {
    let clock = analytics::Clock {
        now: 1_800_000_000_000,
        utc_offset_minutes: 480,
    };
    let stored_report = |tab: &Tab| {
        tab.events.iter().find_map(|event| match event {
            Event::StoredReport { report, .. } => Some(report.clone()),
            _ => None,
        })
    };
    let not_loaded = |tab: &Tab| {
        tab.events
            .iter()
            .all(|e| !matches!(e, Event::Loaded { .. }))
    };
    // The first time, none is kept: it is worked out from the stored view and the changes
    // stored since, before the document loads.
    let (mut world, id) = group_changed_after_its_view(vec![add_member(2)]);
    world.tabs[0] = Tab::new(5);
    world.ask(
        0,
        Request::OpenGroup {
            id,
            report: Some(clock),
        },
    );
    assert!(world.store_one(0));
    assert!(not_loaded(&world.tabs[0]));
    let group = world.disk.load(id).hydrate();
    let expected = analytics::report(&group, &group.profile.analytics, clock);
    assert_eq!(stored_report(&world.tabs[0]).as_deref(), Some(&expected));
    world.settle();

    // Once worked out by the worker, the report is kept, and shown first the next time.
    let later = analytics::Clock {
        now: clock.now + 60 * 24 * 3_600_000,
        ..clock
    };
    let seq = world.ask(0, Request::Analytics { clock: later });
    world.settle();
    let Ok(Answer::Analytics(worked_out)) = world.answer(0, seq).clone() else {
        panic!("no report");
    };
    world.tabs[0] = Tab::new(6);
    world.ask(
        0,
        Request::OpenGroup {
            id,
            report: Some(clock),
        },
    );
    assert!(world.store_one(0));
    assert!(not_loaded(&world.tabs[0]));
    assert_eq!(stored_report(&world.tabs[0]), Some(worked_out));
    // Opened on another page: no report.
    world.tabs[0] = Tab::new(7);
    world.ask(0, Request::OpenGroup { id, report: None });
    world.settle();
    assert_eq!(stored_report(&world.tabs[0]), None);
}

/// The document id a group syncs under.
fn document_of(id: GroupId) -> DocumentId {
    DocumentId::from_bytes(id.bytes())
}

const SECRET: &str = "00112233445566778899aabbccddeeff";

#[test]
fn a_read_only_group_refuses_every_change_and_stores_nothing() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.ask(0, apply(add_member(1)));
    world.settle();
    let grants = vec![Grant {
        group: id,
        role: AccessRole::Read,
        secret: SECRET.into(),
    }];
    world.ask(0, Request::SetAccess { grants });
    world.settle();
    assert_eq!(
        world.tabs[0].access,
        format!("access={}.{SECRET}", document_of(id)),
        "presented from the next connection on"
    );
    let stored = world.disk.load(id).save();
    let refused = [
        world.ask(0, apply(add_member(2))),
        world.ask(0, Request::Undo),
        world.ask(
            0,
            Request::RenameGroup {
                id,
                name: "Renamed".into(),
            },
        ),
    ];
    world.settle();
    for seq in refused {
        assert_eq!(world.answer(0, seq), &Err(Failure::ReadOnly));
    }
    assert_eq!(
        world.disk.load(id).save(),
        stored,
        "nothing was changed here"
    );
    assert!(
        !world.tabs[0]
            .view
            .members
            .contains_key(&MemberId::from_bits(2))
    );
}

/// Answers the tab's last call of the relay's API.
fn answer_call(world: &mut World, status: u16, body: &str) -> (u32, RelayCall) {
    let (seq, call) = world.tabs[0].calls.pop().unwrap();
    let result = Ok((status, body.as_bytes().to_vec()));
    world.tabs[0].input(Input::Fetched { seq, result }, &mut world.channel, 0);
    world.settle();
    (seq, call)
}

#[test]
fn protecting_a_group_holds_the_owner_capability_the_relay_gives() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    let not_yet = world.ask(0, Request::Links);
    assert_eq!(world.answer(0, not_yet), &Err(Failure::NotOwner));

    world.ask(0, Request::Protect { group: id });
    let owner = format!(
        r#"{{"link":{{"id":"a1","role":"owner","label":"","expires_at":null,"created_at":5,"last_used_at":null}},"secret":"{SECRET}"}}"#
    );
    let (seq, call) = answer_call(&mut world, 201, &owner);
    assert_eq!(
        (call.method, call.path.clone()),
        ("POST", format!("/groups/{}/protect", document_of(id)))
    );
    let grant = Grant {
        group: id,
        role: AccessRole::Owner,
        secret: SECRET.into(),
    };
    assert_eq!(world.answer(0, seq), &Ok(Answer::Granted(grant)));
    assert!(world.tabs[0].access.contains(SECRET));

    // Owners' calls carry the capability, never in the URL.
    world.ask(
        0,
        Request::MakeLink {
            role: AccessRole::Read,
            label: "board".into(),
            expires_at: None,
        },
    );
    let made = r#"{"link":{"id":"b2","role":"read","label":"board","expires_at":null,"created_at":6,"last_used_at":null},"secret":"ffeeddccbbaa99887766554433221100"}"#;
    let (seq, call) = answer_call(&mut world, 201, made);
    assert_eq!(call.bearer.as_deref(), Some(SECRET));
    assert!(!call.path.contains(SECRET));
    match world.answer(0, seq) {
        Ok(Answer::NewLink { link, grant }) => {
            assert_eq!(
                (link.label.as_str(), grant.role),
                ("board", AccessRole::Read)
            );
            assert_eq!(grant.fragment(), "read.ffeeddccbbaa99887766554433221100");
        }
        other => panic!("{other:?}"),
    }

    // What goes wrong is said plainly.
    world.ask(0, Request::Links);
    let (seq, _) = answer_call(&mut world, 404, "Not Found");
    assert_eq!(world.answer(0, seq), &Err(Failure::RelayWithoutAccess));
    world.ask(0, Request::Links);
    let (seq, _) = world.tabs[0].calls.pop().unwrap();
    let result = Err("TypeError: Failed to fetch".to_owned());
    world.tabs[0].input(Input::Fetched { seq, result }, &mut world.channel, 0);
    assert_eq!(world.answer(0, seq), &Err(Failure::RelayUnreachable));
}

#[test]
fn a_group_the_relay_stops_sharing_is_reported_gone_and_kept() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.ask(0, apply(add_member(1)));
    world.settle();
    assert!(
        !world.tabs[0]
            .events
            .iter()
            .any(|e| matches!(e, Event::Gone { .. }))
    );
    // Protected by another owner: this tab holds no capability for it.
    world.relay.hub.protect(document_of(id), world.relay.now);
    world.relay.pump();
    world.drop_connection(0);
    world.settle();
    assert!(world.tabs[0].events.contains(&Event::Gone { group: id }));
    assert!(member_ids(&world.disk.load(id).hydrate()).contains(&MemberId::from_bits(1)));
}

#[test]
fn a_retry_timer_from_before_a_reconnect_leaves_the_working_connection_alone() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.settle();
    assert!(world.tabs[0].connection.is_some());
    world.tabs[0].wants_connection = false;
    world.tabs[0].input(Input::Retry, &mut world.channel, 0);
    assert!(
        !world.tabs[0].wants_connection,
        "a joined connection was dropped for a stale retry"
    );
}

#[test]
fn only_a_connection_that_holds_resets_the_reconnect_backoff() {
    let mut world = World::new(1);
    let id = world.create(0, "Choir");
    world.open(0, id);
    world.settle();
    // A relay that closes every connection right after the handshake: ticks come and go, the
    // backoff is never reset, so the retries grow apart.
    for _ in 0..5 {
        world.tabs[0].input(Input::Tick, &mut world.channel, 0);
        world.drop_connection(0);
        world.settle();
        assert!(world.tabs[0].connection.is_some(), "joined again");
    }
    assert_eq!(world.tabs[0].backoff_resets, 0);

    // A connection that holds resets it, once.
    world.tabs[0].now += 10_000;
    world.tabs[0].input(Input::Tick, &mut world.channel, 0);
    world.tabs[0].input(Input::Tick, &mut world.channel, 0);
    assert_eq!(world.tabs[0].backoff_resets, 1);
}

/// Two devices, each a world of one tab with its own disk, on one relay, and the pages'
/// direct channel between them once their pages have signalled (channel 1 on both sides).
struct TwoDevices {
    ann: World,
    bo: World,
    /// Whether the pages opened the data channel.
    channel_open: bool,
}

impl TwoDevices {
    fn new(relay: Relay) -> Self {
        let mut ann = World::new(1);
        ann.relay = relay;
        let mut bo = World::new(0);
        bo.tabs.push(Tab::new(2));
        Self {
            ann,
            bo,
            channel_open: false,
        }
    }

    /// Runs each device with the relay, and carries frames over the direct channel, until
    /// nothing moves.
    fn settle(&mut self) {
        for _ in 0..100 {
            self.ann.settle();
            std::mem::swap(&mut self.ann.relay, &mut self.bo.relay);
            self.bo.settle();
            std::mem::swap(&mut self.ann.relay, &mut self.bo.relay);
            let moved = self.carry();
            if !moved && self.ann.relay.inbox.values().all(Vec::is_empty) {
                return;
            }
        }
        panic!("the two devices did not settle");
    }

    fn carry(&mut self) -> bool {
        if !self.channel_open {
            return false;
        }
        let to_bo: Vec<_> = self.ann.tabs[0].direct_out.drain(..).collect();
        let to_ann: Vec<_> = self.bo.tabs[0].direct_out.drain(..).collect();
        let moved = !to_bo.is_empty() || !to_ann.is_empty();
        for (world, frames) in [(&mut self.bo, to_bo), (&mut self.ann, to_ann)] {
            for (channel, frame) in frames {
                world.ask(0, direct(Direct::Frame { channel, frame }));
            }
        }
        moved
    }

    /// The device that dials, then the other.
    fn caller_first(&mut self) -> (&mut World, &mut World) {
        if dials(&self.ann).next().is_some() {
            (&mut self.ann, &mut self.bo)
        } else {
            (&mut self.bo, &mut self.ann)
        }
    }

    /// Plays the pages' part in connecting: the dialling page offers, the other answers, and
    /// the channel opens on both sides.
    fn connect_directly(&mut self) {
        for _ in 0..5 {
            if dials(&self.ann).next().is_some() || dials(&self.bo).next().is_some() {
                break;
            }
            self.tick();
            self.settle();
        }
        let (caller, _) = self.caller_first();
        let peer = dials(caller).next().expect("one side dials").to_owned();
        let offer = DirectSignal {
            peer,
            call: 5,
            offer: true,
            sdp: "offer".into(),
        };
        caller.ask(0, direct(Direct::Signal(offer)));
        self.settle();
        let (_, callee) = self.caller_first();
        let heard = signals(callee);
        assert_eq!(heard.len(), 1, "the offer reached the other page once");
        assert!(heard[0].offer && heard[0].sdp == "offer");
        let answer = DirectSignal {
            offer: false,
            sdp: "answer".into(),
            ..heard[0].clone()
        };
        callee.ask(0, direct(Direct::Signal(answer)));
        self.settle();
        let (caller, callee) = self.caller_first();
        let answered = signals(caller);
        assert!(answered.len() == 1 && !answered[0].offer && answered[0].call == 5);
        let open = |offered, name: &str| {
            direct(Direct::Opened {
                channel: 1,
                offered,
                name: name.into(),
            })
        };
        caller.ask(0, open(true, "callee"));
        callee.ask(0, open(false, "caller"));
        self.channel_open = true;
        self.settle();
    }

    fn tick(&mut self) {
        for world in [&mut self.ann, &mut self.bo] {
            world.tabs[0].now += 6_000;
            world.tabs[0].input(Input::Tick, &mut world.channel, 0);
        }
    }
}

fn direct(direct: Direct) -> Request {
    Request::Direct(direct)
}

/// The peers the page was asked to dial.
fn dials(world: &World) -> impl Iterator<Item = &str> {
    world.tabs[0].events.iter().filter_map(|event| match event {
        Event::Dial { peer, .. } => Some(peer.as_str()),
        _ => None,
    })
}

fn signals(world: &World) -> Vec<DirectSignal> {
    world.tabs[0]
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Signalled { signal, .. } => Some(signal.clone()),
            _ => None,
        })
        .collect()
}

fn last_direct_status(world: &World) -> Vec<protocol::DirectStatus> {
    world.tabs[0]
        .events
        .iter()
        .rev()
        .find_map(|event| match event {
            Event::Direct(statuses) => Some(statuses.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn two_devices_introduced_by_a_signal_only_relay_sync_directly_and_the_relay_keeps_nothing() {
    let mut two = TwoDevices::new(Relay::with(hub::Config {
        signal_only: true,
        ..hub::Config::default()
    }));
    let id = two.ann.create(0, "Choir");
    two.ann.open(0, id);
    two.ann.ask(0, apply(add_member(7)));
    // Bo opens a link to the group, which his device does not have.
    two.bo.ask(0, Request::OpenGroup { id, report: None });
    two.settle();
    assert_eq!(
        two.bo.tabs[0].events.iter().rev().find_map(|e| match e {
            Event::Sync(status) => Some(status.state),
            _ => None,
        }),
        Some(protocol::SyncState::SignalOnly)
    );
    two.connect_directly();
    // Bo's device got the group from Ann's, stored it, and shows it.
    assert!(member_ids(&world_view(&two.bo, id)).contains(&MemberId::from_bits(7)));
    assert!(
        two.bo.tabs[0]
            .view
            .members
            .contains_key(&MemberId::from_bits(7))
    );
    // Edits both ways.
    two.bo.ask(0, apply(add_member(8)));
    two.ann.ask(0, apply(add_member(9)));
    two.settle();
    for world in [&two.ann, &two.bo] {
        let members = member_ids(&world_view(world, id));
        assert!(
            [7, 8, 9]
                .map(MemberId::from_bits)
                .iter()
                .all(|m| members.contains(m))
        );
        assert_eq!(world.tabs[0].view, world_view(world, id));
        let status = last_direct_status(world);
        assert_eq!(status.len(), 1);
        assert_eq!(status[0].state, protocol::SyncState::ServerHas);
    }
    assert_eq!(last_direct_status(&two.ann)[0].name, "callee");
    assert!(two.ann.relay.disk.is_empty(), "the relay stored nothing");

    // The channel drops: both sides forget it, and Ann's device dials again later.
    for world in [&mut two.ann, &mut two.bo] {
        world.ask(0, direct(Direct::Closed { channel: 1 }));
        assert!(last_direct_status(world).is_empty());
    }
    two.channel_open = false;
    let dialled = dials(&two.ann).count() + dials(&two.bo).count();
    for _ in 0..3 {
        two.tick();
        two.settle();
    }
    assert_eq!(
        dials(&two.ann).count() + dials(&two.bo).count(),
        dialled + 1
    );
}

#[test]
fn a_change_that_arrives_both_directly_and_through_the_relay_is_applied_once() {
    let mut two = TwoDevices::new(Relay::new());
    let id = two.ann.create(0, "Choir");
    two.ann.open(0, id);
    two.bo.ask(0, Request::OpenGroup { id, report: None });
    two.settle();
    two.connect_directly();
    let updates = |world: &World| {
        world.tabs[0]
            .events
            .iter()
            .filter(|event| matches!(event, Event::Updated { .. }))
            .count()
    };
    let before = updates(&two.bo);
    two.ann.ask(0, apply(add_member(9)));
    two.settle();
    assert!(
        two.bo.tabs[0]
            .view
            .members
            .contains_key(&MemberId::from_bits(9))
    );
    assert_eq!(updates(&two.bo), before + 1, "shown once");
    // The relay has it too: it is the durable copy.
    let on_relay = hub::load_stored(&two.ann.relay.disk[&document_of(id)]).unwrap();
    assert_eq!(
        on_relay.get_heads(),
        two.ann.disk.load(id).automerge().get_heads()
    );
}

#[test]
fn devices_with_a_capability_for_the_group_are_not_introduced_to_each_other() {
    let mut two = TwoDevices::new(Relay::new());
    let id = two.ann.create(0, "Choir");
    for world in [&mut two.ann, &mut two.bo] {
        let grants = vec![Grant {
            group: id,
            role: AccessRole::Edit,
            secret: "0123456789abcdef0123456789abcdef".into(),
        }];
        world.ask(0, Request::SetAccess { grants });
    }
    two.ann.open(0, id);
    two.bo.ask(0, Request::OpenGroup { id, report: None });
    for _ in 0..4 {
        two.tick();
        two.settle();
    }
    assert_eq!(dials(&two.ann).count() + dials(&two.bo).count(), 0);
}
