//! The relay engine driven by in-memory peers and storage.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cohort_sync::automerge::sync::{self, SyncDoc};
use cohort_sync::automerge::{Automerge, PatchLog, ROOT, ReadDoc, transaction::Transactable};
use cohort_sync::client::{Client, Incoming};
use cohort_sync::hub::{
    Access, Config, ConnectionId, FirstSync, Hub, Output, Stored, Ticket, Write, load_stored,
};
use cohort_sync::message::{DocMessage, Ephemeral, RemoteHeads, encode_head};
use cohort_sync::{DocumentId, Message};

/// A hub with storage that holds writes until told to finish them.
struct Relay {
    hub: Hub,
    disk: HashMap<DocumentId, Vec<Vec<u8>>>,
    /// Documents whose first chunk on disk is a snapshot.
    compacted: HashSet<DocumentId>,
    /// Every write fails while set.
    disk_full: bool,
    pending_writes: Vec<(DocumentId, Ticket, Write)>,
    /// First syncs to build away from the hub, held until `finish_builds`.
    pending_builds: Vec<(DocumentId, Box<Automerge>)>,
    inbox: HashMap<ConnectionId, Vec<Vec<u8>>>,
    closed: HashMap<ConnectionId, String>,
    refused: Vec<String>,
    deleted: Vec<DocumentId>,
    loads: usize,
    /// The shared bodies sent, in order: to whom, and whether ephemeral.
    shared: Vec<(ConnectionId, Arc<[u8]>, bool)>,
    now: u64,
}

impl Relay {
    fn new(config: Config) -> Self {
        Self {
            hub: Hub::new(config),
            disk: HashMap::new(),
            compacted: HashSet::new(),
            disk_full: false,
            pending_writes: Vec::new(),
            pending_builds: Vec::new(),
            inbox: HashMap::new(),
            closed: HashMap::new(),
            refused: Vec::new(),
            deleted: Vec::new(),
            loads: 0,
            shared: Vec::new(),
            now: 0,
        }
    }

    /// Runs the hub's outputs; loads answer at once, writes wait for `finish_writes`.
    fn pump(&mut self) {
        while let Some(output) = self.hub.poll() {
            if let Output::SendShared {
                connection,
                body,
                ephemeral,
                ..
            } = &output
            {
                self.shared.push((*connection, body.clone(), *ephemeral));
            }
            if let Some((connection, frame)) = output.whole_frame() {
                self.inbox.entry(connection).or_default().push(frame);
                continue;
            }
            match output {
                Output::Send { .. } | Output::SendShared { .. } => {}
                Output::Close { connection, reason } => {
                    self.closed.insert(connection, reason);
                }
                Output::Load { document } => {
                    self.loads += 1;
                    let stored = self.disk.get(&document).map(|chunks| {
                        let snapshots = usize::from(self.compacted.contains(&document));
                        let bytes = |chunks: &[Vec<u8>]| chunks.iter().map(Vec::len).sum::<usize>();
                        Stored {
                            document: load_stored(&chunks.concat()).unwrap(),
                            appends: (chunks.len() - snapshots) as u32,
                            appended_bytes: bytes(&chunks[snapshots..]) as u64,
                            snapshot_bytes: bytes(&chunks[..snapshots]) as u64,
                        }
                    });
                    self.hub.loaded(&document, Ok(stored), self.now);
                }
                Output::Store {
                    document,
                    ticket,
                    write,
                } => self.pending_writes.push((document, ticket, write)),
                Output::Refused { reason, .. } => self.refused.push(reason),
                Output::Deny {
                    connection,
                    document,
                } => self.hub.denied(connection, &document),
                Output::Delete { document } => {
                    self.disk.remove(&document);
                    self.deleted.push(document);
                }
                Output::BuildFirstSync {
                    document,
                    automerge,
                } => self.pending_builds.push((document, automerge)),
            }
        }
    }

    fn finish_builds(&mut self) {
        for (document, automerge) in std::mem::take(&mut self.pending_builds) {
            self.hub
                .first_sync_built(&document, FirstSync::of(&automerge));
        }
        self.pump();
    }

    fn finish_writes(&mut self) {
        while !self.pending_writes.is_empty() {
            for (document, ticket, write) in std::mem::take(&mut self.pending_writes) {
                if self.disk_full {
                    let full = Err("No space left on device".to_owned());
                    self.hub.stored(&document, ticket, full, self.now);
                    continue;
                }
                let chunks = self.disk.entry(document.clone()).or_default();
                match write {
                    Write::Append(bytes) => chunks.push(bytes),
                    Write::Compact(bytes) => {
                        *chunks = vec![bytes];
                        self.compacted.insert(document.clone());
                    }
                }
                self.hub.stored(&document, ticket, Ok(()), self.now);
            }
            self.pump();
        }
    }

    fn take(&mut self, connection: ConnectionId) -> Vec<Vec<u8>> {
        self.inbox.remove(&connection).unwrap_or_default()
    }
}

/// A peer with its own copy of one document.
struct Peer {
    client: Client,
    connection: ConnectionId,
    doc: Automerge,
    unavailable: bool,
    /// What the relay reported as errors.
    errors: Vec<String>,
    /// Bytes of the frames sent and read.
    bytes_out: usize,
    bytes_in: usize,
    /// What the relay told of storage peers' heads (`remote-heads-changed`).
    gossip: Vec<(DocumentId, RemoteHeads)>,
}

impl Peer {
    fn join(relay: &mut Relay, name: &str) -> Self {
        let join = Client::new(name.to_owned()).join();
        Self::join_with(relay, name, &join)
    }

    /// A peer that stores documents: its storage id is in its `join`.
    fn join_storing(relay: &mut Relay, name: &str, storage_id: &str) -> Self {
        let join = Message::Join {
            sender_id: name.to_owned(),
            protocols: vec!["1".into()],
            ephemeral: false,
            storage_id: Some(storage_id.to_owned()),
        };
        Self::join_with(relay, name, &join.encode())
    }

    fn join_with(relay: &mut Relay, name: &str, join: &[u8]) -> Self {
        let connection = relay.hub.connect(relay.now);
        let client = Client::new(name.to_owned());
        relay.hub.receive(connection, join, relay.now);
        relay.pump();
        let mut peer = Self {
            client,
            connection,
            doc: Automerge::new(),
            unavailable: false,
            errors: Vec::new(),
            bytes_out: 0,
            bytes_in: 0,
            gossip: Vec::new(),
        };
        peer.read(relay);
        assert!(peer.client.is_joined());
        peer
    }

    fn send(&mut self, relay: &mut Relay, document: &DocumentId) {
        if let Some(frame) = self.client.outgoing(document, &self.doc) {
            self.bytes_out += frame.len();
            relay.hub.receive(self.connection, &frame, relay.now);
            relay.pump();
        }
    }

    /// Handles every frame the relay sent, answering each.
    fn read(&mut self, relay: &mut Relay) -> usize {
        let frames = relay.take(self.connection);
        for frame in &frames {
            self.bytes_in += frame.len();
            if let Ok(Message::RemoteHeadsChanged {
                document_id,
                new_heads,
                ..
            }) = Message::decode(frame)
            {
                self.gossip.extend(
                    new_heads
                        .into_iter()
                        .map(|heads| (document_id.clone(), heads)),
                );
            }
            let incoming = match self.client.receive(frame) {
                Ok(incoming) => incoming,
                Err(error) => {
                    self.errors.push(error.to_string());
                    continue;
                }
            };
            match incoming {
                Incoming::Sync { document, message } => {
                    self.client
                        .apply(&document, &mut self.doc, message, &mut PatchLog::inactive())
                        .unwrap();
                    self.send(relay, &document);
                }
                Incoming::Unavailable(_) => self.unavailable = true,
                Incoming::RelayError(message) => self.errors.push(message),
                _ => {}
            }
        }
        frames.len()
    }

    fn set(&mut self, key: &str, value: &str) {
        let mut tx = self.doc.transaction();
        tx.put(ROOT, key, value).unwrap();
        tx.commit();
    }

    fn get(&self, key: &str) -> Option<String> {
        self.doc
            .get(ROOT, key)
            .unwrap()
            .map(|(value, _)| value.into_string().unwrap_or_default())
    }
}

/// Exchanges messages until nobody has anything to say.
fn settle(relay: &mut Relay, peers: &mut [&mut Peer]) {
    for _ in 0..50 {
        relay.finish_writes();
        let read: usize = peers.iter_mut().map(|peer| peer.read(relay)).sum();
        if read == 0 && relay.pending_writes.is_empty() {
            return;
        }
    }
    panic!("the peers never settled");
}

/// Alice and bob, both in sync with the relay on `doc`, which alice named.
fn two_in_sync(relay: &mut Relay, doc: &DocumentId) -> (Peer, Peer) {
    let mut alice = Peer::join(relay, "alice");
    let mut bob = Peer::join(relay, "bob");
    alice.set("name", "Readers");
    alice.send(relay, doc);
    bob.send(relay, doc);
    settle(relay, &mut [&mut alice, &mut bob]);
    (alice, bob)
}

fn document(n: u8) -> DocumentId {
    DocumentId::from_bytes([n; 16])
}

#[test]
fn two_peers_sync_through_the_relay_and_it_stores_everything() {
    let mut relay = Relay::new(Config::default());
    let doc = document(1);
    let mut alice = Peer::join(&mut relay, "alice");
    let mut bob = Peer::join(&mut relay, "bob");
    alice.set("name", "Readers");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    bob.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    assert_eq!(bob.get("name").as_deref(), Some("Readers"));

    bob.set("purpose", "books");
    bob.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    assert_eq!(alice.get("purpose").as_deref(), Some("books"));
    assert!(alice.client.is_synced(&doc, &alice.doc));
    assert!(bob.client.is_synced(&doc, &bob.doc));

    let stored = Automerge::load(&relay.disk[&doc].concat()).unwrap();
    assert_eq!(stored.get_heads(), alice.doc.get_heads());
}

#[test]
fn the_sender_hears_the_relay_has_a_change_only_once_it_is_stored() {
    let mut relay = Relay::new(Config::default());
    let doc = document(2);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "Readers");
    // Two rounds: heads, then the change itself.
    alice.send(&mut relay, &doc);
    alice.read(&mut relay);
    relay.finish_writes();
    alice.read(&mut relay);
    alice.set("name", "Writers");
    alice.send(&mut relay, &doc);
    assert_eq!(relay.pending_writes.len(), 1, "the change is being written");
    assert_eq!(
        alice.read(&mut relay),
        0,
        "no reply while the write is in flight"
    );
    assert!(!alice.client.is_synced(&doc, &alice.doc));

    // A message arriving meanwhile waits, and is answered after the write.
    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    assert_eq!(bob.read(&mut relay), 0);

    relay.finish_writes();
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    assert!(alice.client.is_synced(&doc, &alice.doc));
    assert_eq!(bob.get("name").as_deref(), Some("Writers"));
}

#[test]
fn a_failed_write_is_never_acknowledged_and_its_peer_is_told_why() {
    let mut relay = Relay::new(Config::default());
    let doc = document(3);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "Readers");
    alice.send(&mut relay, &doc);
    alice.read(&mut relay);
    let (document, ticket, _) = relay.pending_writes.pop().unwrap();
    relay.hub.stored(
        &document,
        ticket,
        Err("No space left on device".into()),
        relay.now,
    );
    relay.pump();
    assert_eq!(relay.refused, ["No space left on device"]);
    alice.read(&mut relay);
    assert!(alice.errors[0].contains("No space left on device"));
    assert!(!alice.unavailable, "the group is not gone");
    assert!(!alice.client.is_synced(&doc, &alice.doc));
}

#[test]
fn an_unknown_document_is_unavailable_and_nothing_is_listed() {
    let mut relay = Relay::new(Config::default());
    let mut alice = Peer::join(&mut relay, "alice");
    alice.send(&mut relay, &document(4));
    assert!(
        alice.unavailable || {
            alice.read(&mut relay);
            alice.unavailable
        }
    );
    assert!(relay.disk.is_empty(), "a request stores nothing");
}

/// Sends the peer's first message for `doc` (its heads only, no changes yet).
fn announce(peer: &mut Peer, relay: &mut Relay, doc: &DocumentId) {
    peer.send(relay, doc);
    assert_eq!(relay.pending_writes.len(), 0, "heads alone store nothing");
}

#[test]
fn a_peer_that_asks_while_the_creator_is_still_sending_gets_the_document() {
    let mut relay = Relay::new(Config::default());
    let doc = document(5);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "Readers");
    announce(&mut alice, &mut relay, &doc);
    // Bob asks between Alice's heads and her changes: the relay has nothing yet.
    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    bob.read(&mut relay);
    assert!(
        !bob.unavailable,
        "Alice announced changes: Bob waits for them"
    );
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    assert!(!bob.unavailable);
    assert_eq!(bob.get("name").as_deref(), Some("Readers"));
}

#[test]
fn a_held_request_is_answered_unavailable_when_the_announcer_leaves() {
    let mut relay = Relay::new(Config::default());
    let doc = document(6);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "Readers");
    announce(&mut alice, &mut relay, &doc);
    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    relay.hub.disconnect(alice.connection, relay.now);
    relay.pump();
    bob.read(&mut relay);
    assert!(bob.unavailable, "nobody is left who has the document");
}

#[test]
fn a_held_request_is_answered_unavailable_when_the_changes_never_come() {
    let mut relay = Relay::new(Config::default());
    let doc = document(7);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "Readers");
    announce(&mut alice, &mut relay, &doc);
    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    relay.now += relay.hub.config().hold_request_ms - 1;
    relay.hub.tick(relay.now);
    relay.pump();
    bob.read(&mut relay);
    assert!(!bob.unavailable, "still within the hold");
    relay.now += 1;
    relay.hub.tick(relay.now);
    relay.pump();
    bob.read(&mut relay);
    assert!(bob.unavailable, "Alice never sent her changes");
}

#[test]
fn fan_out_reaches_only_the_documents_subscribers() {
    let mut relay = Relay::new(Config::default());
    let (one, two) = (document(5), document(6));
    let mut alice = Peer::join(&mut relay, "alice");
    let mut bob = Peer::join(&mut relay, "bob");
    let mut carol = Peer::join(&mut relay, "carol");
    alice.set("n", "1");
    alice.send(&mut relay, &one);
    carol.set("other", "x");
    carol.send(&mut relay, &two);
    settle(&mut relay, &mut [&mut alice, &mut bob, &mut carol]);
    bob.send(&mut relay, &one);
    settle(&mut relay, &mut [&mut alice, &mut bob, &mut carol]);

    alice.set("n", "2");
    alice.send(&mut relay, &one);
    relay.finish_writes();
    assert!(
        relay.inbox.get(&carol.connection).is_none_or(Vec::is_empty),
        "carol named only the other document"
    );
    settle(&mut relay, &mut [&mut alice, &mut bob, &mut carol]);
    assert_eq!(bob.get("n").as_deref(), Some("2"));
    assert_eq!(carol.get("n"), None);
}

/// A relay with `config` and a group of 50 fields that `alice` wrote and it stored.
fn relay_with_a_group(config: Config) -> (Relay, DocumentId, Peer) {
    let mut relay = Relay::new(config);
    let doc = document(7);
    let mut alice = Peer::join(&mut relay, "alice");
    for i in 0..50 {
        alice.set(&format!("k{i}"), "v");
    }
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice]);
    (relay, doc, alice)
}

/// A relay that builds every document's first sync away from the hub, with alice's group.
fn relay_building_aside() -> (Relay, DocumentId, Peer) {
    relay_with_a_group(Config {
        build_aside_bytes: 0,
        ..Config::default()
    })
}

#[test]
fn peers_with_nothing_share_one_cached_first_sync() {
    let (mut relay, doc, alice) = relay_with_a_group(Config::default());

    let mut joiners: Vec<Peer> = (0..3)
        .map(|i| Peer::join(&mut relay, &format!("j{i}")))
        .collect();
    let mut first_frames = Vec::new();
    for joiner in &mut joiners {
        joiner.send(&mut relay, &doc);
        let frames = relay.take(joiner.connection);
        let Message::Sync(DocMessage { data, .. }) = Message::decode(&frames[0]).unwrap() else {
            panic!()
        };
        first_frames.push(data);
        relay.inbox.insert(joiner.connection, frames);
    }
    assert!(first_frames.windows(2).all(|pair| pair[0] == pair[1]));

    // The cached reply is exactly what automerge would have sent.
    let mut state = sync::State::new();
    let hello = Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .unwrap();
    let mut stored = Automerge::load(&relay.disk[&doc].concat()).unwrap();
    stored.receive_sync_message(&mut state, hello).unwrap();
    assert_eq!(
        stored.generate_sync_message(&mut state).unwrap().encode(),
        first_frames[0]
    );

    for joiner in &mut joiners {
        settle(&mut relay, &mut [joiner]);
        assert_eq!(joiner.doc.get_heads(), alice.doc.get_heads());
        assert!(joiner.client.is_synced(&doc, &joiner.doc));
    }
}

#[test]
fn a_first_sync_built_aside_reaches_every_peer_with_nothing_once_built() {
    let (mut relay, doc, mut alice) = relay_building_aside();
    let mut joiners: Vec<Peer> = (0..3)
        .map(|i| Peer::join(&mut relay, &format!("j{i}")))
        .collect();
    for joiner in &mut joiners {
        joiner.send(&mut relay, &doc);
        assert!(relay.take(joiner.connection).is_empty());
    }
    // One build for them all, and the hub answers others meanwhile.
    assert_eq!(relay.pending_builds.len(), 1);
    alice.set("during", "the build");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice]);
    assert!(alice.client.is_synced(&doc, &alice.doc));

    relay.finish_builds();
    for joiner in &mut joiners {
        assert_eq!(relay.inbox[&joiner.connection].len(), 1);
    }
    let mut everyone: Vec<&mut Peer> = joiners.iter_mut().collect();
    everyone.push(&mut alice);
    settle(&mut relay, &mut everyone);
    for joiner in &joiners {
        assert_eq!(joiner.doc.get_heads(), alice.doc.get_heads());
        assert_eq!(joiner.get("during").as_deref(), Some("the build"));
    }
}

#[test]
fn a_first_sync_built_before_a_change_is_sent_and_the_change_follows() {
    let (mut relay, doc, mut alice) = relay_building_aside();
    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    alice.set("later", "yes");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice]);

    // The build of the older heads is sent as it is, and one of the current heads asked for.
    relay.finish_builds();
    assert_eq!(relay.inbox[&bob.connection].len(), 1);
    assert_eq!(relay.pending_builds.len(), 1);
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    assert_eq!(bob.doc.get_heads(), alice.doc.get_heads());
    assert_eq!(bob.get("later").as_deref(), Some("yes"));
}

#[test]
fn ephemeral_messages_go_to_the_other_subscribers_only_and_are_not_stored() {
    let mut relay = Relay::new(Config::default());
    let doc = document(8);
    let mut alice = Peer::join(&mut relay, "alice");
    let mut bob = Peer::join(&mut relay, "bob");
    let mut carol = Peer::join(&mut relay, "carol");
    alice.set("name", "x");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob, &mut carol]);
    bob.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob, &mut carol]);
    let writes_before = relay.disk[&doc].len();

    let frame = alice
        .client
        .ephemeral(&doc, "s1", 1, b"{\"name\":\"Ann\"}".to_vec())
        .unwrap();
    relay.hub.receive(alice.connection, &frame, relay.now);
    relay.pump();
    let to_bob = relay.take(bob.connection);
    assert_eq!(to_bob.len(), 1);
    let Message::Ephemeral(Ephemeral {
        sender_id,
        target_id,
        data,
        ..
    }) = Message::decode(&to_bob[0]).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (sender_id.as_str(), target_id.as_str(), &data[..]),
        ("alice", "bob", &b"{\"name\":\"Ann\"}"[..])
    );
    assert!(relay.take(alice.connection).is_empty());
    assert!(relay.take(carol.connection).is_empty());
    assert_eq!(relay.disk[&doc].len(), writes_before);
}

#[test]
fn a_change_and_an_ephemeral_message_are_one_copy_for_all_the_peers_they_go_to() {
    let mut relay = Relay::new(Config::default());
    let doc = document(14);
    let mut alice = Peer::join(&mut relay, "alice");
    let mut readers: Vec<Peer> = ["bob", "carol", "dan"]
        .into_iter()
        .map(|name| Peer::join(&mut relay, name))
        .collect();
    alice.set("name", "Readers");
    alice.send(&mut relay, &doc);
    for reader in &mut readers {
        reader.send(&mut relay, &doc);
    }
    let mut everyone: Vec<&mut Peer> = std::iter::once(&mut alice)
        .chain(readers.iter_mut())
        .collect();
    settle(&mut relay, &mut everyone);
    let reader_ids: Vec<ConnectionId> = readers.iter().map(|peer| peer.connection).collect();
    // The body sent to each reader, and whether it was sent as ephemeral.
    let bodies_to_readers = |relay: &mut Relay| {
        let sent: Vec<_> = std::mem::take(&mut relay.shared)
            .into_iter()
            .filter(|(connection, ..)| reader_ids.contains(connection))
            .collect();
        assert_eq!(sent.len(), reader_ids.len(), "one frame to each reader");
        assert!(
            sent.windows(2)
                .all(|pair| Arc::ptr_eq(&pair[0].1, &pair[1].1) && pair[0].2 == pair[1].2),
            "one body for all"
        );
        sent[0].2
    };

    alice.set("name", "Writers");
    relay.shared.clear();
    alice.send(&mut relay, &doc);
    relay.finish_writes();
    assert!(!bodies_to_readers(&mut relay), "a change is not ephemeral");

    let frame = alice
        .client
        .ephemeral(&doc, "s1", 1, vec![7; 1_000])
        .unwrap();
    relay.hub.receive(alice.connection, &frame, relay.now);
    relay.pump();
    assert!(bodies_to_readers(&mut relay), "presence is ephemeral");
}

#[test]
fn ephemeral_messages_carry_their_real_sender_and_large_ones_are_dropped() {
    let mut relay = Relay::new(Config {
        max_ephemeral_bytes: 100,
        ..Config::default()
    });
    let doc = document(13);
    let (alice, bob) = two_in_sync(&mut relay, &doc);
    let ephemeral = |sender: &str, data: Vec<u8>| {
        Message::Ephemeral(Ephemeral {
            sender_id: sender.to_owned(),
            target_id: "cohort-relay".to_owned(),
            document_id: doc.clone(),
            session_id: "s1".to_owned(),
            count: 1,
            data,
        })
        .encode()
    };

    // Alice claims to be bob: the relay says it was alice.
    relay
        .hub
        .receive(alice.connection, &ephemeral("bob", vec![1; 100]), relay.now);
    relay.pump();
    let to_bob = relay.take(bob.connection);
    let Message::Ephemeral(Ephemeral { sender_id, .. }) = Message::decode(&to_bob[0]).unwrap()
    else {
        panic!()
    };
    assert_eq!(sender_id, "alice");

    // Over the limit: forwarded to nobody; the sender hears why, once.
    for _ in 0..2 {
        relay.hub.receive(
            alice.connection,
            &ephemeral("alice", vec![1; 101]),
            relay.now,
        );
        relay.pump();
    }
    assert!(relay.take(bob.connection).is_empty());
    let to_alice = relay.take(alice.connection);
    assert_eq!(to_alice.len(), 1);
    let Message::Error { message } = Message::decode(&to_alice[0]).unwrap() else {
        panic!()
    };
    assert!(message.contains("the limit is 100 bytes"), "{message}");
}

#[test]
fn ephemeral_messages_past_the_rate_are_dropped_until_the_next_second() {
    let mut relay = Relay::new(Config {
        max_ephemeral_per_second: 3,
        ..Config::default()
    });
    let doc = document(17);
    let (alice, bob) = two_in_sync(&mut relay, &doc);
    let send = |relay: &mut Relay, count: u64| {
        let frame = alice
            .client
            .ephemeral(&doc, "s1", count, vec![1; 10])
            .unwrap();
        relay.hub.receive(alice.connection, &frame, relay.now);
        relay.pump();
    };
    for count in 0..5 {
        send(&mut relay, count);
    }
    assert_eq!(relay.take(bob.connection).len(), 3);
    let to_alice = relay.take(alice.connection);
    let Message::Error { message } = Message::decode(&to_alice[0]).unwrap() else {
        panic!("told why")
    };
    assert!(message.contains("past 3 a second"), "{message}");
    relay.now += 1_000;
    send(&mut relay, 5);
    assert_eq!(relay.take(bob.connection).len(), 1, "a new second");
}

#[test]
fn after_a_failed_write_the_peers_keep_their_changes_and_the_relay_takes_them_when_it_can() {
    let mut relay = Relay::new(Config {
        write_retry_ms: 1_000,
        ..Config::default()
    });
    let doc = document(14);
    let (mut alice, mut bob) = two_in_sync(&mut relay, &doc);

    // The disk is full: alice's change is not stored, and both hear why, once.
    relay.disk_full = true;
    alice.set("name", "Writers");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    for peer in [&alice, &bob] {
        assert_eq!(peer.errors.len(), 1, "{:?}", peer.errors);
        assert!(
            peer.errors[0].contains("No space left"),
            "{:?}",
            peer.errors
        );
        assert!(!peer.unavailable, "the group is not gone");
    }
    assert!(!alice.client.is_synced(&doc, &alice.doc));
    assert_eq!(bob.get("name").as_deref(), Some("Readers"));
    // Until the retry, nothing goes back and forth, and nobody is disconnected.
    alice.set("name", "Writers, still");
    alice.send(&mut relay, &doc);
    relay.now += 999;
    relay.hub.tick(relay.now);
    relay.pump();
    assert!(relay.take(alice.connection).is_empty());
    assert!(relay.take(bob.connection).is_empty());
    assert!(relay.closed.is_empty(), "{:?}", relay.closed);

    // There is room again: at the retry the relay asks, alice resends, everyone has it.
    relay.disk_full = false;
    relay.now += 1;
    relay.hub.tick(relay.now);
    relay.pump();
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    assert!(alice.client.is_synced(&doc, &alice.doc));
    assert_eq!(bob.get("name").as_deref(), Some("Writers, still"));
    let stored = Automerge::load(&relay.disk[&doc].concat()).unwrap();
    assert_eq!(stored.get_heads(), alice.doc.get_heads());
    assert!(relay.closed.is_empty());
}

#[test]
fn peers_in_sync_are_sent_each_change_once() {
    let mut relay = Relay::new(Config::default());
    let doc = document(15);
    let mut peers: Vec<Peer> = (0..5)
        .map(|n| Peer::join(&mut relay, &format!("peer{n}")))
        .collect();
    // A history long enough that two changes are not worth sending the whole document for.
    for n in 0..20 {
        peers[0].set("name", &format!("Readers {n}"));
    }
    for peer in &mut peers {
        peer.send(&mut relay, &doc);
    }
    settle(&mut relay, &mut peers.iter_mut().collect::<Vec<_>>());
    // Two changes stored one after the other, before the others answer the first: each peer
    // gets each change once (the second message only the second change).
    for edit in 0..2 {
        peers[0].set("edit", &edit.to_string());
        peers[0].send(&mut relay, &doc);
        relay.finish_writes();
        peers[0].read(&mut relay);
    }
    for peer in &peers[1..] {
        let changes: Vec<usize> = relay.inbox[&peer.connection]
            .iter()
            .map(|frame| {
                let Message::Sync(message) = Message::decode(frame).unwrap() else {
                    panic!("a sync message")
                };
                sync::Message::decode(&message.data).unwrap().changes.len()
            })
            .collect();
        assert_eq!(changes, [1, 1], "{}", peer.client.peer_id());
    }
    settle(&mut relay, &mut peers.iter_mut().collect::<Vec<_>>());
    for peer in &peers[1..] {
        assert_eq!(peer.get("edit").as_deref(), Some("1"));
    }
}

/// A peer that asked for a group, was sent all of it, and has not answered (it stopped reading)
/// is not sent the whole group again for every change meanwhile; once it answers, it gets what
/// changed.
#[test]
fn a_peer_that_has_not_answered_the_whole_document_is_not_sent_it_again() {
    let mut relay = Relay::new(Config::default());
    let doc = document(4);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "Readers");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice]);
    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    relay.finish_writes();
    for n in 0..5 {
        alice.set("name", &format!("Readers {n}"));
        alice.send(&mut relay, &doc);
        settle(&mut relay, &mut [&mut alice]);
    }
    let waiting = relay.inbox.get(&bob.connection).map_or(0, Vec::len);
    assert_eq!(waiting, 1, "bob was sent the whole group {waiting} times");
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    assert_eq!(bob.get("name").as_deref(), Some("Readers 4"));
}

/// The heads of `doc` as automerge-repo 2.x writes them.
fn encoded_heads(doc: &Automerge) -> Vec<String> {
    doc.get_heads()
        .iter()
        .map(|hash| encode_head(&hash.0))
        .collect()
}

/// What automerge-repo 2.x does with `enableRemoteHeadsGossiping`: a peer that asked to hear of
/// a storage id is told what that storage peer has of the documents it syncs, at once and after
/// each change; nobody else is, and only subscribers of a document may gossip about it.
#[test]
fn subscribers_hear_what_a_storage_peer_has_of_their_documents() {
    let mut relay = Relay::new(Config {
        clock_epoch_ms: 1_764_547_200_000,
        ..Config::default()
    });
    let doc = document(9);
    let mut store = Peer::join_storing(&mut relay, "store", "storage-1");
    let mut watcher = Peer::join(&mut relay, "watcher");
    let mut other = Peer::join(&mut relay, "other");
    store.set("name", "Readers");
    for peer in [&mut store, &mut watcher, &mut other] {
        peer.send(&mut relay, &doc);
    }
    settle(&mut relay, &mut [&mut store, &mut watcher, &mut other]);
    assert!(watcher.gossip.is_empty());

    // Asking tells the watcher at once what storage-1 has.
    let subscribe = Message::RemoteSubscriptionChange {
        sender_id: "watcher".into(),
        target_id: "cohort-relay".into(),
        add: vec!["storage-1".into()],
        remove: vec![],
    };
    relay
        .hub
        .receive(watcher.connection, &subscribe.encode(), relay.now);
    relay.pump();
    watcher.read(&mut relay);
    let (told_doc, told) = watcher.gossip.pop().unwrap();
    assert_eq!(told_doc, doc);
    assert_eq!(told.storage_id, "storage-1");
    assert_eq!(told.heads, encoded_heads(&store.doc));
    assert!(told.timestamp >= 1_764_547_200_000);

    // A change by the storage peer: the watcher hears its new heads; the peer that did not
    // ask hears nothing of them.
    store.set("name", "Book club");
    store.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut store, &mut watcher, &mut other]);
    let (_, latest) = watcher.gossip.last().unwrap().clone();
    assert_eq!(latest.heads, encoded_heads(&store.doc));
    assert!(latest.timestamp > told.timestamp);
    assert!(other.gossip.is_empty());

    // Gossip from a subscriber of the document is passed on if it is newer; from a peer that
    // does not sync the document, or older, it is not.
    let gossip = |timestamp| Message::RemoteHeadsChanged {
        sender_id: "x".into(),
        target_id: "cohort-relay".into(),
        document_id: doc.clone(),
        new_heads: vec![RemoteHeads {
            storage_id: "storage-1".into(),
            heads: vec![encode_head(&[5; 32])],
            timestamp,
        }],
    };
    let stranger = Peer::join(&mut relay, "stranger");
    let heard = watcher.gossip.len();
    for (from, timestamp) in [
        (stranger.connection, latest.timestamp + 10),
        (other.connection, latest.timestamp - 1),
    ] {
        relay
            .hub
            .receive(from, &gossip(timestamp).encode(), relay.now);
        relay.pump();
    }
    watcher.read(&mut relay);
    assert_eq!(watcher.gossip.len(), heard);
    relay.hub.receive(
        other.connection,
        &gossip(latest.timestamp + 10).encode(),
        relay.now,
    );
    relay.pump();
    watcher.read(&mut relay);
    assert_eq!(
        watcher.gossip.last().unwrap().1.heads,
        [encode_head(&[5; 32])]
    );
}

/// A group made in one large change (as an import makes it): Automerge would send the whole
/// document again for the first edit after it, both from the editing peer and from the relay.
#[test]
fn the_first_edit_of_a_group_made_in_one_change_costs_what_any_edit_costs() {
    let mut relay = Relay::new(Config::default());
    let doc = document(1);
    let mut alice = Peer::join(&mut relay, "alice");
    let mut tx = alice.doc.transaction();
    for n in 0..2_000 {
        tx.put(
            ROOT,
            format!("member {n}"),
            format!("Member number {n}, m{n}@example.org"),
        )
        .unwrap();
    }
    tx.commit();
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice]);
    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    let whole = bob.bytes_in;
    assert!(whole > 10_000, "the group is {whole} bytes");

    for (n, editor) in ["alice", "bob", "alice"].into_iter().enumerate() {
        let (alice_before, bob_before) = (
            alice.bytes_out + alice.bytes_in,
            bob.bytes_out + bob.bytes_in,
        );
        let peer = if editor == "alice" {
            &mut alice
        } else {
            &mut bob
        };
        peer.set("member 7", &format!("edit {n}"));
        peer.send(&mut relay, &doc);
        settle(&mut relay, &mut [&mut alice, &mut bob]);
        assert_eq!(alice.get("member 7"), Some(format!("edit {n}")));
        assert_eq!(bob.get("member 7"), Some(format!("edit {n}")));
        let alice_link = alice.bytes_out + alice.bytes_in - alice_before;
        let bob_link = bob.bytes_out + bob.bytes_in - bob_before;
        assert!(
            alice_link < 2_000 && bob_link < 2_000,
            "edit {n} by {editor}: {alice_link} bytes on alice's link, {bob_link} on bob's \
             (the group is {whole})"
        );
    }
}

#[test]
fn a_group_edited_in_short_sessions_is_compacted_too() {
    let mut relay = Relay::new(Config {
        compact_after_appends: 4,
        idle_unload_ms: 1,
        ..Config::default()
    });
    let doc = document(11);
    // Ten sessions of two edits each, the document unloaded after each one.
    for session in 0..10 {
        let mut alice = Peer::join(&mut relay, "alice");
        for edit in 0..2 {
            alice.set("n", &format!("{session}.{edit}"));
            alice.send(&mut relay, &doc);
            settle(&mut relay, &mut [&mut alice]);
        }
        unload_after(&mut relay, &alice);
    }
    assert!(
        relay.disk[&doc].len() <= 5,
        "{} chunks after 20 edits",
        relay.disk[&doc].len()
    );
}

/// Disconnects `peer`, the group's only one, and checks the group is unloaded once idle (a
/// relay whose `idle_unload_ms` is 1).
fn unload_after(relay: &mut Relay, peer: &Peer) {
    relay.hub.disconnect(peer.connection, relay.now);
    relay.now += 1;
    relay.hub.tick(relay.now);
    assert_eq!(relay.hub.document_count(), 0, "unloaded");
}

/// `len` letters that do not compress (Automerge deflates what it saves).
fn noise(len: usize, seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'a' + (state % 26) as u8)
        })
        .collect()
}

#[test]
fn compaction_waits_for_appends_worth_half_the_snapshot() {
    let mut relay = Relay::new(Config {
        compact_after_appends: 4,
        idle_unload_ms: 1,
        ..Config::default()
    });
    let doc = document(15);
    let mut alice = Peer::join(&mut relay, "alice");
    let edit = |alice: &mut Peer, relay: &mut Relay, value: &str| {
        alice.set("n", value);
        alice.send(relay, &doc);
        settle(relay, &mut [alice]);
    };
    // A large group, compacted once its first appends are in.
    edit(&mut alice, &mut relay, &noise(100_000, 1));
    for n in 0..4 {
        edit(&mut alice, &mut relay, &n.to_string());
    }
    assert_eq!(relay.disk[&doc].len(), 1, "compacted");
    // Small edits wait: four appends of a few bytes are no reason to write 100 KB again, and
    // neither are sixty-four. Counted from storage, so an unload does not reset it.
    for n in 0..64 {
        edit(&mut alice, &mut relay, &n.to_string());
        if n == 30 {
            unload_after(&mut relay, &alice);
            alice = Peer::join(&mut relay, "alice-again");
            alice.send(&mut relay, &doc);
            settle(&mut relay, &mut [&mut alice]);
        }
    }
    assert_eq!(relay.disk[&doc].len(), 65, "not compacted");
    // Sixty-four appends are enough, whatever their size.
    edit(&mut alice, &mut relay, "last");
    assert_eq!(relay.disk[&doc].len(), 1, "compacted after 64");
    // Large edits are compacted as soon as they are worth half the snapshot.
    let mut writes = 0;
    while writes == 0 || relay.disk[&doc].len() > 1 {
        writes += 1;
        edit(&mut alice, &mut relay, &noise(20_000, writes));
    }
    assert!(
        (5..16).contains(&writes),
        "compacted by the {writes}th write of 20 KB"
    );
}

#[test]
fn stored_changes_missing_what_they_build_on_load_and_are_completed_by_a_peer() {
    let mut relay = Relay::new(Config::default());
    let doc = document(12);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "Readers");
    let first = alice.doc.get_heads();
    alice.set("name", "Writers");
    // Storage lost the first change (a damaged record it skipped) but kept the second.
    relay
        .disk
        .insert(doc.clone(), vec![alice.doc.save_after(&first)]);
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice]);
    assert_eq!(relay.refused, Vec::<String>::new());
    let stored = Automerge::load(&relay.disk[&doc].concat()).unwrap();
    assert_eq!(stored.get_heads(), alice.doc.get_heads());
}

#[test]
fn idle_documents_leave_memory_and_load_again() {
    let mut relay = Relay::new(Config {
        idle_unload_ms: 1_000,
        ..Config::default()
    });
    let doc = document(9);
    let mut alice = Peer::join(&mut relay, "alice");
    alice.set("name", "x");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice]);
    relay.hub.disconnect(alice.connection, relay.now);
    relay.now += 999;
    relay.hub.tick(relay.now);
    assert_eq!(relay.hub.document_count(), 1);
    relay.now += 1;
    relay.hub.tick(relay.now);
    assert_eq!(relay.hub.document_count(), 0);

    let mut bob = Peer::join(&mut relay, "bob");
    bob.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut bob]);
    assert_eq!(bob.get("name").as_deref(), Some("x"));
    assert_eq!(relay.loads, 2);
}

#[test]
fn many_writes_are_compacted_into_one_snapshot() {
    let mut relay = Relay::new(Config {
        compact_after_appends: 4,
        ..Config::default()
    });
    let doc = document(10);
    let mut alice = Peer::join(&mut relay, "alice");
    for i in 0..12 {
        alice.set("n", &i.to_string());
        alice.send(&mut relay, &doc);
        settle(&mut relay, &mut [&mut alice]);
    }
    assert!(
        relay.disk[&doc].len() <= 5,
        "{} chunks",
        relay.disk[&doc].len()
    );
    let stored = Automerge::load(&relay.disk[&doc].concat()).unwrap();
    assert_eq!(stored.get_heads(), alice.doc.get_heads());
}

#[test]
fn bad_peers_are_closed_with_a_reason_and_others_carry_on() {
    let mut relay = Relay::new(Config {
        max_frame_bytes: 1_000,
        max_documents_per_connection: 2,
        max_messages_per_second: 20,
        ..Config::default()
    });
    let doc = document(11);
    let mut good = Peer::join(&mut relay, "good");

    let expect_closed = |relay: &mut Relay, frames: &[Vec<u8>], reason: &str| {
        let connection = relay.hub.connect(relay.now);
        for frame in frames {
            relay.hub.receive(connection, frame, relay.now);
        }
        relay.pump();
        let closed = relay
            .closed
            .get(&connection)
            .unwrap_or_else(|| panic!("not closed: {reason}"));
        assert!(
            closed.contains(reason),
            "{closed:?} should mention {reason:?}"
        );
    };
    let join = Client::new("bad".into()).join();
    let sync = |document: DocumentId, data: Vec<u8>| {
        Message::Sync(DocMessage {
            sender_id: "bad".into(),
            target_id: "r".into(),
            document_id: document,
            data,
        })
        .encode()
    };
    let hello = {
        Automerge::new()
            .generate_sync_message(&mut Default::default())
            .unwrap()
            .encode()
    };
    expect_closed(&mut relay, &[vec![0xa1, 0x64]], "malformed CBOR");
    expect_closed(&mut relay, &[b"GET / HTTP/1.1".to_vec()], "malformed CBOR");
    expect_closed(
        &mut relay,
        &[sync(doc.clone(), hello.clone())],
        "before join",
    );
    let mut unknown = join.clone();
    unknown[1..6].copy_from_slice(b"dtype");
    expect_closed(
        &mut relay,
        &[
            join.clone(),
            vec![0xa1, 0x64, b't', b'y', b'p', b'e', 0x63, b'z', b'a', b'p'],
        ],
        "unknown message type",
    );
    expect_closed(
        &mut relay,
        &[join.clone(), vec![0; 2_000]],
        "over the limit",
    );
    expect_closed(
        &mut relay,
        &[join.clone(), sync(doc.clone(), vec![0x43, 0xff, 0xff])],
        "malformed sync message",
    );
    expect_closed(
        &mut relay,
        &[
            join.clone(),
            sync(document(20), hello.clone()),
            sync(document(21), hello.clone()),
            sync(document(22), hello.clone()),
        ],
        "too many documents",
    );
    let flood: Vec<Vec<u8>> = std::iter::once(join.clone())
        .chain((0..25).map(|_| sync(doc.clone(), hello.clone())))
        .collect();
    expect_closed(&mut relay, &flood, "too many messages");
    expect_closed(
        &mut relay,
        &[join.clone(), join.clone()],
        "second handshake",
    );

    let silent = relay.hub.connect(relay.now);
    relay.now += 10_000;
    relay.hub.tick(relay.now);
    relay.pump();
    assert!(relay.closed[&silent].contains("no join"));

    // The well-behaved peer is unaffected.
    good.set("name", "still here");
    good.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut good]);
    assert!(good.client.is_synced(&doc, &good.doc));
    assert_eq!(relay.hub.connection_count(), 1);
}

/// Alice makes a group, the relay protects it and Alice's connection is granted edit access.
fn protected_group(relay: &mut Relay, doc: &DocumentId) -> Peer {
    let mut alice = Peer::join(relay, "alice");
    relay.hub.protect(doc.clone(), relay.now);
    relay.hub.grant(alice.connection, doc.clone(), Access::Edit);
    alice.set("phone", "13800138000");
    alice.send(relay, doc);
    settle(relay, &mut [&mut alice]);
    assert!(alice.client.is_synced(doc, &alice.doc));
    alice
}

/// The frames the relay sends a peer that asks for `doc` with nothing.
fn answer_to_a_request(relay: &mut Relay, peer: &mut Peer, doc: &DocumentId) -> Vec<Message> {
    peer.send(relay, doc);
    relay.finish_writes();
    relay
        .take(peer.connection)
        .iter()
        .map(|frame| Message::decode(frame).unwrap())
        .collect()
}

#[test]
fn a_protected_group_without_a_grant_is_answered_as_one_never_stored() {
    let mut relay = Relay::new(Config::default());
    let doc = document(40);
    let _alice = protected_group(&mut relay, &doc);
    let mut eve = Peer::join(&mut relay, "eve");
    let loads = relay.loads;
    let denied = answer_to_a_request(&mut relay, &mut eve, &doc);
    let never = answer_to_a_request(&mut relay, &mut eve, &document(41));
    assert_eq!(relay.loads, loads + 1, "only the unknown group was loaded");
    let strip = |messages: Vec<Message>| -> Vec<Message> {
        messages
            .into_iter()
            .map(|message| match message {
                Message::DocUnavailable {
                    sender_id,
                    target_id,
                    ..
                } => Message::DocUnavailable {
                    sender_id,
                    target_id,
                    document_id: document(0),
                },
                other => other,
            })
            .collect()
    };
    let denied = strip(denied);
    assert!(matches!(denied[..], [Message::DocUnavailable { .. }]));
    assert_eq!(denied, strip(never), "the same answer, message for message");
    assert!(eve.get("phone").is_none());

    // Changes sent without a grant are not stored.
    eve.set("phone", "110");
    eve.send(&mut relay, &doc);
    relay.finish_writes();
    let stored = Automerge::load(&relay.disk[&doc].concat()).unwrap();
    assert_eq!(
        stored
            .get(ROOT, "phone")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .unwrap(),
        "13800138000"
    );
}

#[test]
fn a_grant_for_one_group_never_opens_another() {
    let mut relay = Relay::new(Config::default());
    let (a, b) = (document(42), document(43));
    let mut alice = protected_group(&mut relay, &a);
    let mut owner_b = Peer::join(&mut relay, "bea");
    relay.hub.protect(b.clone(), relay.now);
    relay.hub.grant(owner_b.connection, b.clone(), Access::Edit);
    owner_b.set("phone", "2");
    owner_b.send(&mut relay, &b);
    settle(&mut relay, &mut [&mut alice, &mut owner_b]);
    let answer = answer_to_a_request(&mut relay, &mut alice, &b);
    assert!(matches!(answer[..], [Message::DocUnavailable { .. }]));
}

#[test]
fn a_reader_receives_everything_live_but_nothing_it_sends_is_applied() {
    let mut relay = Relay::new(Config::default());
    let doc = document(44);
    let mut alice = protected_group(&mut relay, &doc);
    let mut reader = Peer::join(&mut relay, "reader");
    relay
        .hub
        .grant(reader.connection, doc.clone(), Access::Read);
    reader.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut reader]);
    assert_eq!(reader.get("phone").as_deref(), Some("13800138000"));

    alice.set("phone", "13900139000");
    alice.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut reader]);
    assert_eq!(reader.get("phone").as_deref(), Some("13900139000"), "live");

    // The relay's messages say it is read-only for this peer, so an Automerge peer does not
    // even send its changes; force one through as a peer that ignores the flag would.
    let writes = relay.disk[&doc].len();
    let before = reader.doc.get_heads();
    reader.set("phone", "forced");
    let forced = sync::Message {
        heads: reader.doc.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: reader.doc.save_after(&before).into(),
        ..sync::Message::decode(
            &alice
                .doc
                .clone()
                .generate_sync_message(&mut sync::State::new())
                .unwrap()
                .encode(),
        )
        .unwrap()
    };
    for _ in 0..2 {
        let frame = Message::Sync(DocMessage {
            sender_id: "reader".to_owned(),
            target_id: "cohort-relay".to_owned(),
            document_id: doc.clone(),
            data: forced.clone().encode(),
        });
        relay
            .hub
            .receive(reader.connection, &frame.encode(), relay.now);
        relay.pump();
    }
    settle(&mut relay, &mut [&mut alice, &mut reader]);
    assert_eq!(relay.disk[&doc].len(), writes, "nothing stored");
    assert_eq!(
        alice.get("phone").as_deref(),
        Some("13900139000"),
        "nothing forwarded"
    );
    assert_eq!(reader.errors.len(), 1, "told once: {:?}", reader.errors);
    assert!(
        reader.errors[0].contains("read-only"),
        "{:?}",
        reader.errors
    );
    assert!(
        !relay.closed.contains_key(&reader.connection),
        "still receiving"
    );
}

#[test]
fn protecting_a_group_closes_the_connections_that_sync_it_without_a_grant() {
    let mut relay = Relay::new(Config::default());
    let doc = document(45);
    let mut alice = Peer::join(&mut relay, "alice");
    let mut bob = Peer::join(&mut relay, "bob");
    alice.set("name", "Readers");
    alice.send(&mut relay, &doc);
    bob.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut alice, &mut bob]);
    relay.hub.grant(alice.connection, doc.clone(), Access::Edit);
    relay.hub.protect(doc.clone(), relay.now);
    relay.pump();
    assert!(relay.closed.contains_key(&bob.connection));
    assert!(!relay.closed.contains_key(&alice.connection));
}

#[test]
fn a_group_deleted_for_everyone_is_gone_and_cannot_be_written_again() {
    let mut relay = Relay::new(Config::default());
    let doc = document(46);
    let mut alice = protected_group(&mut relay, &doc);
    // Deleted while a write is in flight: the files go once it ends.
    alice.set("phone", "1");
    alice.send(&mut relay, &doc);
    alice.read(&mut relay);
    assert_eq!(relay.pending_writes.len(), 1);
    relay.hub.delete(&doc);
    relay.pump();
    assert!(relay.deleted.is_empty(), "not while a write is in flight");
    alice.read(&mut relay);
    assert!(alice.unavailable, "subscribers are told");
    relay.finish_writes();
    assert_eq!(relay.deleted, std::slice::from_ref(&doc));
    assert!(!relay.disk.contains_key(&doc));
    assert_eq!(relay.hub.document_count(), 0);

    let mut again = Peer::join(&mut relay, "alice-again");
    again.set("phone", "2");
    again.send(&mut relay, &doc);
    settle(&mut relay, &mut [&mut again]);
    assert!(again.unavailable);
    assert!(!relay.disk.contains_key(&doc), "nobody can write it again");
}

/// A peer that sends its changes as it makes them, without waiting for the relay, and reads
/// the relay's answers only now and then (the app typing into a large group while the relay's
/// writes are slow), hears in the end that the relay has stored everything: whatever the order
/// of its changes, its answers and the relay's writes.
#[test]
fn a_peer_sending_without_waiting_hears_that_the_relay_stored_everything() {
    for seed in 1..200_u64 {
        let mut random = seed;
        let mut next = move |n: u64| {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            random % n
        };
        let mut relay = Relay::new(Config::default());
        let doc = document(16);
        let mut alice = Peer::join(&mut relay, "alice");
        alice.send(&mut relay, &doc);
        for edit in 0..40 {
            match next(4) {
                0 | 1 => {
                    alice.set("n", &edit.to_string());
                    alice.send(&mut relay, &doc);
                }
                2 => {
                    // One round of writes finishes; those it makes wait.
                    for (document, ticket, write) in std::mem::take(&mut relay.pending_writes) {
                        let (Write::Append(bytes) | Write::Compact(bytes)) = write;
                        relay.disk.entry(document.clone()).or_default().push(bytes);
                        relay.hub.stored(&document, ticket, Ok(()), relay.now);
                    }
                    relay.pump();
                }
                _ => {
                    alice.read(&mut relay);
                }
            }
        }
        settle(&mut relay, &mut [&mut alice]);
        assert!(alice.client.is_synced(&doc, &alice.doc), "seed {seed}");
    }
}

#[test]
fn a_signal_only_relay_introduces_a_groups_peers_and_keeps_nothing_of_it() {
    let mut relay = Relay::new(Config {
        signal_only: true,
        ..Config::default()
    });
    let doc = document(40);
    let mut alice = Peer::join(&mut relay, "alice");
    let mut bob = Peer::join(&mut relay, "bob");
    let mut carol = Peer::join(&mut relay, "carol");
    assert!(alice.client.relay_signals_only() && !alice.client.relay_is_durable());
    alice.set("name", "Readers");
    alice.send(&mut relay, &doc);
    bob.send(&mut relay, &doc);
    carol.send(&mut relay, &document(41));
    settle(&mut relay, &mut [&mut alice, &mut bob, &mut carol]);
    assert_eq!(bob.get("name"), None, "nothing of the group is synced");
    assert!(
        relay.disk.is_empty() && relay.loads == 0,
        "nor loaded or stored"
    );

    let frame = alice
        .client
        .ephemeral(&doc, "s1", 1, b"offer".to_vec())
        .unwrap();
    relay.hub.receive(alice.connection, &frame, relay.now);
    relay.pump();
    assert_eq!(
        relay.take(bob.connection).len(),
        1,
        "bob has the group open"
    );
    assert!(relay.take(carol.connection).is_empty(), "carol does not");

    // A peer that leaves is forgotten.
    relay.hub.disconnect(bob.connection, relay.now);
    relay.hub.receive(alice.connection, &frame, relay.now);
    relay.pump();
    assert!(relay.take(bob.connection).is_empty());
}
