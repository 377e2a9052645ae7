//! Random bytes and random message sequences fed to the relay engine: it must never panic,
//! and a well-behaved peer must still sync afterwards.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use cohort_sync::automerge::sync::SyncDoc;
use cohort_sync::automerge::{Automerge, PatchLog, ROOT, transaction::Transactable};
use cohort_sync::client::{Client, Incoming};
use cohort_sync::hub::{Config, ConnectionId, Hub, Output, Ticket};
use cohort_sync::message::{DocMessage, Ephemeral};
use cohort_sync::{DocumentId, Message};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Connect,
    Disconnect(usize),
    Bytes(usize, Vec<u8>),
    Join(usize),
    Sync {
        connection: usize,
        document: u8,
        request: bool,
        data: SyncData,
    },
    Ephemeral(usize, u8),
    Leave(usize),
    FinishWrites {
        fail: bool,
    },
    Tick(u64),
}

#[derive(Debug, Clone)]
enum SyncData {
    /// A first message from an empty peer.
    Hello,
    /// A message carrying a real change.
    Change(u8),
    Random(Vec<u8>),
}

fn step() -> impl Strategy<Value = Step> {
    let connection = 0..4usize;
    prop_oneof![
        Just(Step::Connect),
        connection.clone().prop_map(Step::Disconnect),
        (
            connection.clone(),
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(c, b)| Step::Bytes(c, b)),
        connection.clone().prop_map(Step::Join),
        (
            connection.clone(),
            0..3u8,
            any::<bool>(),
            prop_oneof![
                Just(SyncData::Hello),
                any::<u8>().prop_map(SyncData::Change),
                proptest::collection::vec(any::<u8>(), 0..32).prop_map(SyncData::Random),
            ]
        )
            .prop_map(|(connection, document, request, data)| Step::Sync {
                connection,
                document,
                request,
                data
            }),
        (connection.clone(), 0..3u8).prop_map(|(c, d)| Step::Ephemeral(c, d)),
        connection.prop_map(Step::Leave),
        any::<bool>().prop_map(|fail| Step::FinishWrites { fail }),
        (0..40_000u64).prop_map(Step::Tick),
    ]
}

fn frame(step: &Step, connection_name: &str) -> Option<Vec<u8>> {
    let message = match step {
        Step::Join(_) => Message::Join {
            sender_id: connection_name.into(),
            protocols: vec!["1".into()],
            ephemeral: true,
        },
        Step::Sync {
            document,
            request,
            data,
            ..
        } => {
            let data = match data {
                SyncData::Hello => Automerge::new()
                    .generate_sync_message(&mut Default::default())
                    .unwrap()
                    .encode(),
                SyncData::Change(n) => {
                    let mut doc = Automerge::new();
                    let mut tx = doc.transaction();
                    tx.put(ROOT, "n", i64::from(*n)).unwrap();
                    tx.commit();
                    // Claims heads the relay lacks: it asks for them.
                    doc.generate_sync_message(&mut Default::default())
                        .unwrap()
                        .encode()
                }
                SyncData::Random(bytes) => bytes.clone(),
            };
            let message = DocMessage {
                sender_id: connection_name.into(),
                target_id: "relay".into(),
                document_id: DocumentId::from_bytes([*document; 16]),
                data,
            };
            if *request {
                Message::Request(message)
            } else {
                Message::Sync(message)
            }
        }
        Step::Ephemeral(_, document) => Message::Ephemeral(Ephemeral {
            sender_id: connection_name.into(),
            target_id: "relay".into(),
            document_id: DocumentId::from_bytes([*document; 16]),
            session_id: "s".into(),
            count: 1,
            data: vec![1, 2, 3],
        }),
        Step::Leave(_) => Message::Leave {
            sender_id: connection_name.into(),
        },
        Step::Bytes(_, bytes) => return Some(bytes.clone()),
        _ => return None,
    };
    Some(message.encode())
}

/// Runs the hub's outputs, keeping writes for later, and returns the frames sent to `watch`.
fn pump(
    hub: &mut Hub,
    writes: &mut Vec<(DocumentId, Ticket)>,
    watch: Option<ConnectionId>,
    now: u64,
) -> Vec<Vec<u8>> {
    let mut watched = Vec::new();
    while let Some(output) = hub.poll() {
        match output {
            Output::Load { document } => hub.loaded(&document, Ok(None), now),
            Output::Store {
                document, ticket, ..
            } => writes.push((document, ticket)),
            Output::Send { connection, frame } if Some(connection) == watch => watched.push(frame),
            _ => {}
        }
    }
    watched
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_survives_any_input(steps in proptest::collection::vec(step(), 1..60)) {
        let mut hub = Hub::new(Config { max_messages_per_second: 40, ..Config::default() });
        let mut connections: Vec<ConnectionId> = (0..4).map(|_| hub.connect(0)).collect();
        let mut writes = Vec::new();
        let mut now = 0;
        for step in &steps {
            match step {
                Step::Connect => connections.push(hub.connect(now)),
                Step::Disconnect(c) => hub.disconnect(connections[*c], now),
                Step::FinishWrites { fail } => {
                    for (document, ticket) in std::mem::take(&mut writes) {
                        let result = if *fail { Err("disk full".to_owned()) } else { Ok(()) };
                        hub.stored(&document, ticket, result, now);
                    }
                }
                Step::Tick(ms) => {
                    now += ms;
                    hub.tick(now);
                }
                Step::Bytes(c, _) | Step::Join(c) | Step::Sync { connection: c, .. } | Step::Ephemeral(c, _) | Step::Leave(c) => {
                    let frame = frame(step, &format!("peer{c}")).unwrap();
                    hub.receive(connections[*c], &frame, now);
                }
            }
            pump(&mut hub, &mut writes, None, now);
        }

        // A well-behaved peer still syncs a document the fuzzed peers touched.
        let document = DocumentId::from_bytes([1; 16]);
        let good = hub.connect(now);
        let mut client = Client::new("good".into());
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "name", "kept").unwrap();
        tx.commit();
        let mut inbox = vec![];
        hub.receive(good, &client.join(), now);
        inbox.extend(pump(&mut hub, &mut writes, Some(good), now));
        for _ in 0..20 {
            for (document, ticket) in std::mem::take(&mut writes) {
                hub.stored(&document, ticket, Ok(()), now);
            }
            inbox.extend(pump(&mut hub, &mut writes, Some(good), now));
            for frame in std::mem::take(&mut inbox) {
                match client.receive(&frame).unwrap() {
                    Incoming::Joined => {}
                    Incoming::Sync { document, message } => {
                        client.apply(&document, &mut doc, message, &mut PatchLog::inactive()).unwrap();
                    }
                    _ => {}
                }
            }
            if let Some(frame) = client.outgoing(&document, &doc) {
                hub.receive(good, &frame, now);
                inbox.extend(pump(&mut hub, &mut writes, Some(good), now));
            }
        }
        prop_assert!(client.is_synced(&document, &doc));
    }
}
