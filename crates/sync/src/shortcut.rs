//! Automerge's sync steps for the commonest message, without their walks of the history.
//!
//! After a change is fanned out, every subscriber answers with an acknowledgement: no changes,
//! and the relay's own heads. `receive_sync_message` walks the document's whole history for
//! each one (to trim the hashes sent), and `generate_sync_message` builds a Bloom filter and
//! reads the changes since the shared heads before deciding it has nothing to say; on a hot
//! document that was most of the relay's work per edit. Both results are known without the
//! walks when the peer already has the relay's heads. The property test below holds these
//! functions to Automerge's own on random sync sessions.

use automerge::sync::{self, Capability, MessageFlags, SyncDoc};
use automerge::{Automerge, ChangeHash};

/// Applies `message` as `receive_sync_message` would if it only acknowledges `heads` (the
/// document's heads): no changes, the same heads. Hands any other message back untouched.
pub(crate) fn receive_acknowledgement(
    heads: &[ChangeHash],
    state: &mut sync::State,
    message: sync::Message,
) -> Result<(), sync::Message> {
    if !message.changes.is_empty() || message.heads.is_empty() || message.heads != heads {
        return Err(message);
    }
    state.in_flight = false;
    if let Some(flags) = message.flags {
        state.their_capabilities = Some(capabilities(flags));
        state.peer_read_only = flags.contains(MessageFlags::READ_ONLY);
    }
    // Every hash sent is in the document, so the peer, which has its heads, has them all.
    state.sent_hashes.clear();
    state.last_sent_heads.clone_from(&message.heads);
    state.shared_heads.clone_from(&message.heads);
    state.their_have = Some(message.have);
    state.their_heads = Some(message.heads);
    state.their_need = Some(message.need);
    Ok(())
}

/// Automerge's sync message for a peer, except that a peer holding part of the document is sent
/// the changes it lacks, never the whole document in their place.
///
/// Automerge sends the whole document instead of changes whenever they number more than a
/// third of its changes: counted, not weighed. A group imported from a spreadsheet is one large
/// change, so the first edit after it (two changes, one to send) went out as the whole group:
/// 93 KB for a 2,000-member group, over every slow link, where the edit is 200 bytes. A peer
/// that has nothing still gets the whole document (Automerge's first sync, and the relay's
/// cached one). What this gives up: a peer far behind on a long history of small changes gets
/// them one by one, which can be larger than the saved document, as it was before Automerge
/// added the whole-document message.
pub(crate) fn generate_sync_message(
    automerge: &Automerge,
    state: &mut sync::State,
) -> Option<sync::Message> {
    let peer_has_some = state
        .their_heads
        .as_ref()
        .is_some_and(|heads| !heads.is_empty());
    if !peer_has_some {
        return automerge.generate_sync_message(state);
    }
    // Without the capability Automerge lists changes (a version 1 message, which every peer
    // reads); the other capabilities, and the flags the message carries, stay as they were.
    let capabilities = state.their_capabilities.take();
    state.their_capabilities = capabilities.as_ref().map(|capabilities| {
        capabilities
            .iter()
            .filter(|capability| **capability != Capability::MessageV2)
            .cloned()
            .collect()
    });
    let message = automerge.generate_sync_message(state);
    state.their_capabilities = capabilities;
    message
}

/// What a peer whose message has these flags can do, as `receive_sync_message` records it.
pub(crate) fn capabilities(flags: MessageFlags) -> Vec<Capability> {
    // Only a peer that speaks the second message version sends flags.
    let mut capabilities = vec![Capability::MessageV2];
    if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
        capabilities.push(Capability::SyncReset);
    }
    capabilities
}

/// Whether `generate_sync_message` would return `None`: the peer has the document's heads,
/// needs nothing, and was already told those heads.
pub(crate) fn nothing_to_send(
    automerge: &Automerge,
    heads: &[ChangeHash],
    state: &sync::State,
) -> bool {
    state.have_responded
        && state.last_sent_heads == heads
        && state.their_heads.as_deref() == Some(heads)
        && state.their_need.as_ref().is_some_and(Vec::is_empty)
        // Otherwise Automerge answers with a reset.
        && state.their_have.as_ref().is_none_or(|have| {
            have.first().is_none_or(|first| {
                first
                    .last_sync
                    .iter()
                    .all(|hash| automerge.get_change_meta_by_hash(hash).is_some())
            })
        })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT};
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Step {
        /// Peer `n` (0 is the relay's side) makes a change.
        Edit(usize),
        /// Peer `n` generates a message for the relay, or the relay for peer `n`.
        Send { peer: usize, to_relay: bool },
        /// The oldest message on the way from or to peer `n` arrives.
        Deliver { peer: usize, to_relay: bool },
        /// The oldest message on the way is lost.
        Drop { peer: usize, to_relay: bool },
    }

    fn step() -> impl Strategy<Value = Step> {
        let peer = 0..3usize;
        prop_oneof![
            (0..4usize).prop_map(Step::Edit),
            (peer.clone(), any::<bool>())
                .prop_map(|(peer, to_relay)| Step::Send { peer, to_relay }),
            (peer.clone(), any::<bool>())
                .prop_map(|(peer, to_relay)| Step::Deliver { peer, to_relay }),
            (peer, any::<bool>()).prop_map(|(peer, to_relay)| Step::Drop { peer, to_relay }),
        ]
    }

    /// One relay document, three peers, and a queue of messages each way per peer.
    struct Session {
        relay: Automerge,
        peers: Vec<Automerge>,
        relay_states: Vec<sync::State>,
        peer_states: Vec<sync::State>,
        to_relay: Vec<Vec<sync::Message>>,
        to_peer: Vec<Vec<sync::Message>>,
        edits: u64,
        shortcuts: usize,
    }

    impl Session {
        fn new() -> Self {
            let peers = (0..3u8)
                .map(|n| Automerge::new().with_actor(ActorId::from([n + 1; 16])))
                .collect();
            Self {
                relay: Automerge::new().with_actor(ActorId::from([9; 16])),
                peers,
                relay_states: vec![sync::State::new(); 3],
                peer_states: vec![sync::State::new(); 3],
                to_relay: vec![Vec::new(); 3],
                to_peer: vec![Vec::new(); 3],
                edits: 0,
                shortcuts: 0,
            }
        }

        fn edit(&mut self, who: usize) {
            self.edits += 1;
            let doc = if who == 3 {
                &mut self.relay
            } else {
                &mut self.peers[who]
            };
            let mut tx = doc.transaction();
            tx.put(ROOT, format!("k{}", self.edits % 5), self.edits)
                .unwrap();
            tx.commit();
        }

        fn run(&mut self, step: Step) {
            match step {
                Step::Edit(who) => self.edit(who),
                Step::Send {
                    peer,
                    to_relay: true,
                } => {
                    if let Some(m) =
                        self.peers[peer].generate_sync_message(&mut self.peer_states[peer])
                    {
                        self.to_relay[peer].push(m);
                    }
                }
                Step::Send {
                    peer,
                    to_relay: false,
                } => {
                    let heads = self.relay.get_heads();
                    let state = &mut self.relay_states[peer];
                    let predicted = nothing_to_send(&self.relay, &heads, state);
                    let before = state.clone();
                    let message = self.relay.generate_sync_message(state);
                    if predicted {
                        self.shortcuts += 1;
                        assert!(message.is_none(), "predicted nothing, got {message:?}");
                        assert_eq!(*state, before);
                    }
                    if let Some(m) = message {
                        self.to_peer[peer].push(m);
                    }
                }
                Step::Deliver {
                    peer,
                    to_relay: true,
                } => {
                    if self.to_relay[peer].is_empty() {
                        return;
                    }
                    let message = self.to_relay[peer].remove(0);
                    let heads = self.relay.get_heads();
                    let mut expected = self.relay_states[peer].clone();
                    let mut shortcut = expected.clone();
                    match receive_acknowledgement(&heads, &mut shortcut, message.clone()) {
                        Ok(()) => {
                            self.shortcuts += 1;
                            self.relay
                                .receive_sync_message(&mut expected, message)
                                .unwrap();
                            assert_eq!(shortcut, expected);
                            assert_eq!(self.relay.get_heads(), heads);
                        }
                        Err(back) => {
                            assert_eq!(back, message);
                            self.relay
                                .receive_sync_message(&mut expected, message)
                                .unwrap();
                        }
                    }
                    self.relay_states[peer] = expected;
                }
                Step::Deliver {
                    peer,
                    to_relay: false,
                } => {
                    if !self.to_peer[peer].is_empty() {
                        let message = self.to_peer[peer].remove(0);
                        self.peers[peer]
                            .receive_sync_message(&mut self.peer_states[peer], message)
                            .unwrap();
                    }
                }
                Step::Drop { peer, to_relay } => {
                    let queue = if to_relay {
                        &mut self.to_relay[peer]
                    } else {
                        &mut self.to_peer[peer]
                    };
                    if !queue.is_empty() {
                        queue.remove(0);
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The shortcuts give exactly Automerge's results whenever they apply.
        #[test]
        fn the_shortcuts_agree_with_automerge(steps in prop::collection::vec(step(), 1..120)) {
            let mut session = Session::new();
            for step in steps {
                session.run(step);
            }
        }
    }

    /// A settled session does take the shortcuts, so the property above is not vacuous.
    #[test]
    fn a_settled_session_takes_both_shortcuts() {
        let mut session = Session::new();
        session.edit(0);
        for _ in 0..6 {
            for peer in 0..3 {
                for to_relay in [true, false] {
                    session.run(Step::Send { peer, to_relay });
                    session.run(Step::Deliver { peer, to_relay });
                }
            }
        }
        assert!(
            session.shortcuts >= 6,
            "took {} shortcuts",
            session.shortcuts
        );
    }
}
