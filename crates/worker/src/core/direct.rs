//! Direct connections to other browsers that have the open group open: one more sync client
//! per data channel. The page holds the channels (Chromium has no `RTCPeerConnection` in
//! workers) and hands their frames here; the core syncs over each as over the relay.
//!
//! Every change, wherever it came from (this device, the relay, another tab, a direct peer), is
//! offered to every connection; Automerge applies a change once, however many paths bring it,
//! and the relay is offered everything, as the durable copy.
//!
//! Through a relay, the device whose peer id sorts first makes the offer (so two devices never
//! dial each other at once); an offer unanswered, or a channel lost, is tried again after
//! [`REDIAL_MS`] while the peer is still online.

use std::collections::BTreeMap;

use cohort_model::Millis;
use cohort_model::automerge::Automerge;
use cohort_model::protocol::{Direct, DirectSignal, DirectStatus, Event, SyncState};
use cohort_sync::DocumentId;
use cohort_sync::client::{Client, Incoming};
use cohort_sync::signal::{Signal, SignalKind};

use super::{Core, Output};

/// How long after dialling a peer it is dialled again if no channel to it is open.
pub const REDIAL_MS: Millis = 15_000;

/// One direct connection.
#[derive(Debug)]
pub(super) struct DirectPeer {
    pub(super) client: Client,
    /// The organizer's display name there.
    pub(super) name: String,
}

/// Which connection a sync message came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    Relay,
    Direct(u32),
}

impl Core {
    /// The page's news of a direct channel, or a signal to send through the relay.
    pub(super) fn direct(&mut self, direct: Direct) {
        match direct {
            Direct::Opened {
                channel,
                offered,
                name,
            } => {
                let id = self.client.peer_id().to_owned();
                let client = if offered {
                    let client = Client::new(id);
                    let frame = client.join();
                    self.post(Event::DirectSend { channel, frame });
                    client
                } else {
                    Client::welcoming(id)
                };
                self.direct.insert(channel, DirectPeer { client, name });
            }
            Direct::Frame { channel, frame } => self.receive_direct(channel, &frame),
            Direct::Closed { channel } => {
                if let Some(peer) = self.direct.remove(&channel) {
                    // Dialled again once the wait is over, if it is still online.
                    if let Some(remote) = peer.client.remote_id() {
                        self.dialled.insert(remote.to_owned(), self.now);
                    }
                }
            }
            Direct::Signal(signal) => self.send_signal(signal),
        }
    }

    fn receive_direct(&mut self, channel: u32, frame: &[u8]) {
        let Some(peer) = self.direct.get_mut(&channel) else {
            return;
        };
        match peer.client.receive(frame) {
            Ok(Incoming::Welcomed(answer)) => {
                self.post(Event::DirectSend {
                    channel,
                    frame: answer,
                });
                self.send_changes();
            }
            Ok(Incoming::Joined) => self.send_changes(),
            Ok(Incoming::Sync { document, message }) => {
                self.receive_sync(Via::Direct(channel), &document, message);
            }
            // Presence and signals travel through the relay; a direct peer has nothing else
            // to say that this side needs.
            Ok(Incoming::Ephemeral { .. } | Incoming::Nothing) => {}
            Ok(Incoming::Unavailable(_) | Incoming::RelayError(_)) => {}
            Err(error) => {
                let name = peer.name.clone();
                self.warn(format!("a direct peer ({name}): {error}; closing"));
                self.direct.remove(&channel);
                self.post(Event::DirectClose { channel });
            }
        }
    }

    /// An ephemeral message of the open group that is not presence: a signal for this device.
    pub(super) fn heard_signal(&mut self, sender: String, data: &[u8]) -> bool {
        let Some(signal) = Signal::decode(data) else {
            return false;
        };
        if signal.to != self.client.peer_id() || !self.introduces_directly() {
            return true;
        }
        let name = self
            .others
            .get(&sender)
            .map(|(name, _)| name.clone())
            .unwrap_or_default();
        self.post(Event::Signalled {
            name,
            signal: DirectSignal {
                peer: sender,
                call: signal.call,
                offer: signal.kind == SignalKind::Offer,
                sdp: signal.sdp,
            },
        });
        true
    }

    fn send_signal(&mut self, signal: DirectSignal) {
        let Some(document) = self.current_document() else {
            return;
        };
        let data = Signal {
            to: signal.peer,
            call: signal.call,
            kind: if signal.offer {
                SignalKind::Offer
            } else {
                SignalKind::Answer
            },
            sdp: signal.sdp,
        }
        .encode();
        self.presence_count += 1;
        let frame = self
            .client
            .ephemeral(&document, &self.session_id, self.presence_count, data);
        match frame {
            Some(frame) => self.output(Output::Send(frame)),
            None => self.warn("a direct connection's offer could not be sent: no relay".into()),
        }
    }

    /// Asks the page to dial the peers heard through the relay that this device should offer
    /// to, and is not connected to, and has not dialled lately.
    pub(super) fn dial(&mut self) {
        if !self.introduces_directly() {
            return;
        }
        let me = self.client.peer_id().to_owned();
        let connected: Vec<String> = self
            .direct
            .values()
            .filter_map(|peer| peer.client.remote_id().map(str::to_owned))
            .collect();
        let now = self.now;
        let due: Vec<(String, String)> = self
            .others
            .iter()
            .filter(|(peer, _)| me.as_str() < peer.as_str())
            .filter(|(peer, _)| !connected.contains(peer))
            .filter(|(peer, _)| {
                self.dialled
                    .get(*peer)
                    .is_none_or(|at| now.saturating_sub(*at) >= REDIAL_MS)
            })
            .map(|(peer, (name, _))| (peer.clone(), name.clone()))
            .collect();
        for (peer, name) in due {
            self.dialled.insert(peer.clone(), now);
            self.post(Event::Dial { peer, name });
        }
    }

    /// Whether devices the relay introduces may connect directly for the current group: not
    /// for a protected one (this device holds a capability for it). The relay checks each
    /// device's link on its own path only, and revokes it there: a reader must not be able to
    /// send an editor changes directly, nor a revoked device keep receiving them. Pairing by
    /// code, in person, is still possible.
    fn introduces_directly(&self) -> bool {
        self.current_group()
            .is_some_and(|group| !self.grants.contains_key(&group))
    }

    /// Tells the page how each direct connection stands, if that changed.
    pub(super) fn post_direct_status(&mut self) {
        let document = self.current_document();
        let statuses: Vec<DirectStatus> = self
            .direct
            .iter()
            .map(|(channel, peer)| {
                let synced = match (&document, &self.open) {
                    (Some(document), Some(open)) => {
                        peer.client.is_synced(document, open.doc.automerge())
                    }
                    _ => false,
                };
                // The name its presence says now, if the relay carries it and it has one.
                let name = peer
                    .client
                    .remote_id()
                    .and_then(|remote| self.others.get(remote))
                    .map(|(name, _)| name)
                    .filter(|name| !name.is_empty())
                    .unwrap_or(&peer.name);
                DirectStatus {
                    channel: *channel,
                    name: name.clone(),
                    state: if !peer.client.is_joined() {
                        SyncState::Connecting
                    } else if synced {
                        SyncState::ServerHas
                    } else {
                        SyncState::Syncing
                    },
                }
            })
            .collect();
        if statuses != self.direct_status {
            self.direct_status = statuses.clone();
            self.post(Event::Direct(statuses));
        }
    }

    /// Closes every direct channel (the group they sync closed).
    pub(super) fn hang_up(&mut self) {
        let channels: Vec<u32> = self.direct.keys().copied().collect();
        self.direct.clear();
        self.dialled.clear();
        for channel in channels {
            self.post(Event::DirectClose { channel });
        }
    }
}

/// What each direct peer lacks of `document`: frames by channel.
pub(super) fn outgoing(
    peers: &mut BTreeMap<u32, DirectPeer>,
    document: &DocumentId,
    doc: &Automerge,
) -> Vec<(u32, Vec<u8>)> {
    peers
        .iter_mut()
        .filter_map(|(channel, peer)| Some((*channel, peer.client.outgoing(document, doc)?)))
        .collect()
}

/// The sync client of a connection, if it is still open.
pub(super) fn client_of<'a>(
    relay: &'a mut Client,
    peers: &'a mut BTreeMap<u32, DirectPeer>,
    via: Via,
) -> Option<&'a mut Client> {
    match via {
        Via::Relay => Some(relay),
        Via::Direct(channel) => peers.get_mut(&channel).map(|peer| &mut peer.client),
    }
}
