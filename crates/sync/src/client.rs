//! One peer's side of a connection: the app's sync client, with no I/O. The other side is a
//! relay (this side joins), or another browser over a direct channel (the side that made the
//! offer joins, the other [welcomes](Client::welcoming) it).

use std::collections::HashMap;

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, AutomergeError, PatchLog};
use thiserror::Error;

use crate::message::{DecodeError, DocMessage, DocumentId, Ephemeral, Message, PROTOCOL_VERSION};

/// What a frame from the relay means for the peer.
#[derive(Debug)]
pub enum Incoming {
    /// The handshake is done: send each document's first message.
    Joined,
    /// A direct peer joined: send it this answer, then each document's first message.
    Welcomed(Vec<u8>),
    /// Apply with [`Client::apply`], then send [`Client::outgoing`].
    Sync {
        document: DocumentId,
        message: sync::Message,
    },
    /// Nobody has the document.
    Unavailable(DocumentId),
    Ephemeral {
        document: DocumentId,
        sender_id: String,
        data: Vec<u8>,
    },
    /// The relay says why it did not take something (a change it cannot store now, a change
    /// to a read-only group). Informational: a relay that ends the connection closes it.
    RelayError(String),
    /// Nothing to do.
    Nothing,
}

/// A frame the client could not use; the connection should be dropped and made again.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error("the relay sent a malformed message: {0}")]
    Decode(#[from] DecodeError),
    #[error("the relay sent a malformed sync message: {0}")]
    SyncMessage(#[from] sync::ReadMessageError),
    #[error("the relay reported an error: {0}")]
    Relay(String),
    #[error("the relay sent {0} before the handshake")]
    BeforeJoin(&'static str),
    #[error("the peer speaks none of our protocol versions: {0:?}")]
    Protocols(Vec<String>),
}

/// Which side of the handshake this peer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Sends `join` and waits for `peer`.
    Joins,
    /// Waits for `join` and answers `peer`.
    Welcomes,
}

/// The state of one connection: the handshake and a sync state per document.
#[derive(Debug)]
pub struct Client {
    peer_id: String,
    side: Side,
    relay_id: Option<String>,
    /// Whether the relay said it acknowledges only what it has on disk.
    relay_durable: bool,
    /// Whether the relay said it keeps and syncs no documents, only introduces peers.
    relay_signals_only: bool,
    documents: HashMap<DocumentId, sync::State>,
}

impl Client {
    /// The side that joins: of a connection to a relay, or of a direct one it offered.
    pub fn new(peer_id: String) -> Self {
        Self {
            peer_id,
            side: Side::Joins,
            relay_id: None,
            relay_durable: false,
            relay_signals_only: false,
            documents: HashMap::new(),
        }
    }

    /// The side that welcomes the other's `join`: of a direct connection it answered.
    pub fn welcoming(peer_id: String) -> Self {
        Self {
            side: Side::Welcomes,
            ..Self::new(peer_id)
        }
    }

    pub fn peer_id(&self) -> &str {
        &self.peer_id
    }

    /// The frame to send when the connection opens.
    pub fn join(&self) -> Vec<u8> {
        Message::Join {
            sender_id: self.peer_id.clone(),
            protocols: vec![PROTOCOL_VERSION.to_owned()],
            ephemeral: true,
            storage_id: None,
        }
        .encode()
    }

    /// Whether the relay acknowledges a change only once it has it on disk (Cohort's relay
    /// says so in the handshake; another automerge-repo server promises only that it has it).
    pub fn relay_is_durable(&self) -> bool {
        self.relay_durable
    }

    /// Whether the relay said it keeps no documents (`--signal-only`): it only carries
    /// presence and the signalling of direct connections, so it never has the group.
    pub fn relay_signals_only(&self) -> bool {
        self.relay_signals_only
    }

    /// The peer id of the other side, once the handshake is done.
    pub fn remote_id(&self) -> Option<&str> {
        self.relay_id.as_deref()
    }

    pub fn is_joined(&self) -> bool {
        self.relay_id.is_some()
    }

    /// The connection dropped. Sync states keep only what survives a reconnect (the heads
    /// both sides had), so the next connection sends what the relay may lack.
    pub fn disconnected(&mut self) {
        self.relay_id = None;
        self.relay_durable = false;
        self.relay_signals_only = false;
        for state in self.documents.values_mut() {
            *state = sync::State::decode(&state.encode()).unwrap_or_default();
        }
    }

    /// Stops syncing the document.
    pub fn forget(&mut self, document: &DocumentId) {
        self.documents.remove(document);
    }

    pub fn receive(&mut self, frame: &[u8]) -> Result<Incoming, ClientError> {
        let message = Message::decode(frame)?;
        if self.relay_id.is_none() {
            return match message {
                Message::Peer {
                    sender_id,
                    durable,
                    signal_only,
                    ..
                } if self.side == Side::Joins => {
                    self.relay_id = Some(sender_id);
                    self.relay_durable = durable;
                    self.relay_signals_only = signal_only;
                    Ok(Incoming::Joined)
                }
                Message::Join {
                    sender_id,
                    protocols,
                    ..
                } if self.side == Side::Welcomes => {
                    if !protocols.iter().any(|p| p == PROTOCOL_VERSION) {
                        return Err(ClientError::Protocols(protocols));
                    }
                    let answer = Message::Peer {
                        sender_id: self.peer_id.clone(),
                        target_id: sender_id.clone(),
                        protocol: PROTOCOL_VERSION.to_owned(),
                        storage_id: None,
                        durable: false,
                        signal_only: false,
                    };
                    self.relay_id = Some(sender_id);
                    Ok(Incoming::Welcomed(answer.encode()))
                }
                Message::Error { message } => Err(ClientError::Relay(message)),
                _ => Err(ClientError::BeforeJoin("a document message")),
            };
        }
        Ok(match message {
            Message::Sync(DocMessage {
                document_id, data, ..
            })
            | Message::Request(DocMessage {
                document_id, data, ..
            }) => Incoming::Sync {
                document: document_id,
                message: sync::Message::decode(&data)?,
            },
            Message::DocUnavailable { document_id, .. } => Incoming::Unavailable(document_id),
            Message::Ephemeral(Ephemeral {
                document_id,
                sender_id,
                data,
                ..
            }) => Incoming::Ephemeral {
                document: document_id,
                sender_id,
                data,
            },
            Message::Error { message } => Incoming::RelayError(message),
            _ => Incoming::Nothing,
        })
    }

    /// Applies a sync message from the relay, logging what it changed.
    pub fn apply(
        &mut self,
        document: &DocumentId,
        doc: &mut Automerge,
        message: sync::Message,
        patches: &mut PatchLog,
    ) -> Result<(), AutomergeError> {
        let state = self.documents.entry(document.clone()).or_default();
        doc.receive_sync_message_log_patches(state, message, patches)
    }

    /// The frame that tells the relay what it lacks of the document, if there is anything to
    /// say (and the handshake is done).
    pub fn outgoing(&mut self, document: &DocumentId, doc: &Automerge) -> Option<Vec<u8>> {
        let relay_id = self.relay_id.clone()?;
        let state = self.documents.entry(document.clone()).or_default();
        let data = crate::shortcut::generate_sync_message(doc, state)?.encode();
        let message = DocMessage {
            sender_id: self.peer_id.clone(),
            target_id: relay_id,
            document_id: document.clone(),
            data,
        };
        Some(
            if doc.get_heads().is_empty() {
                Message::Request(message)
            } else {
                Message::Sync(message)
            }
            .encode(),
        )
    }

    /// Whether the relay has said it has everything of the document this peer has.
    pub fn is_synced(&self, document: &DocumentId, doc: &Automerge) -> bool {
        let Some(their_heads) = self
            .documents
            .get(document)
            .and_then(|s| s.their_heads.as_ref())
        else {
            return false;
        };
        let mut ours = doc.get_heads();
        let mut theirs = their_heads.clone();
        ours.sort_unstable();
        theirs.sort_unstable();
        self.is_joined() && ours == theirs
    }

    /// A frame of data for the document's other peers, such as presence.
    pub fn ephemeral(
        &self,
        document: &DocumentId,
        session_id: &str,
        count: u64,
        data: Vec<u8>,
    ) -> Option<Vec<u8>> {
        Some(
            Message::Ephemeral(Ephemeral {
                sender_id: self.peer_id.clone(),
                target_id: self.relay_id.clone()?,
                document_id: document.clone(),
                session_id: session_id.to_owned(),
                count,
                data,
            })
            .encode(),
        )
    }
}

#[cfg(test)]
mod tests {
    use automerge::{ROOT, ReadDoc, transaction::Transactable};

    use super::*;

    fn put(doc: &mut Automerge, key: &str, value: &str) {
        let mut tx = doc.transaction();
        tx.put(ROOT, key, value).unwrap();
        tx.commit();
    }

    /// Hands the client its frames; what it says back.
    fn deliver(
        client: &mut Client,
        doc: &mut Automerge,
        frames: Vec<Vec<u8>>,
        document: &DocumentId,
    ) -> Vec<Vec<u8>> {
        let mut replies = Vec::new();
        for frame in frames {
            match client.receive(&frame).unwrap() {
                Incoming::Welcomed(answer) => replies.push(answer),
                Incoming::Sync { document, message } => client
                    .apply(&document, doc, message, &mut PatchLog::inactive())
                    .unwrap(),
                _ => {}
            }
            replies.extend(client.outgoing(document, doc));
        }
        replies
    }

    /// Carries frames both ways between two clients until neither has anything to say.
    fn settle(pair: [(&mut Client, &mut Automerge); 2], first: Vec<u8>, document: &DocumentId) {
        let [(a, a_doc), (b, b_doc)] = pair;
        let mut to_b = vec![first];
        for _ in 0..20 {
            let to_a = deliver(b, b_doc, to_b, document);
            to_b = deliver(a, a_doc, to_a, document);
            if to_b.is_empty() {
                return;
            }
        }
        panic!("the two never settled");
    }

    #[test]
    fn two_browsers_sync_directly_one_joining_and_one_welcoming() {
        let document = DocumentId::from_bytes([3; 16]);
        let (mut ann, mut bo) = (Client::new("ann".into()), Client::welcoming("bo".into()));
        let (mut ann_doc, mut bo_doc) = (Automerge::new(), Automerge::new());
        put(&mut ann_doc, "name", "Readers");
        let join = ann.join();
        settle(
            [(&mut ann, &mut ann_doc), (&mut bo, &mut bo_doc)],
            join,
            &document,
        );
        assert_eq!(ann.remote_id(), Some("bo"));
        assert_eq!(bo.remote_id(), Some("ann"));
        assert!(ann.is_synced(&document, &ann_doc) && bo.is_synced(&document, &bo_doc));
        assert_eq!(bo_doc.get_heads(), ann_doc.get_heads());

        // Edits both ways after the handshake.
        put(&mut bo_doc, "place", "Library");
        let frame = bo.outgoing(&document, &bo_doc).unwrap();
        settle(
            [(&mut bo, &mut bo_doc), (&mut ann, &mut ann_doc)],
            frame,
            &document,
        );
        assert_eq!(
            ann_doc.get(ROOT, "place").unwrap().unwrap().0.as_str(),
            Some("Library")
        );
    }

    #[test]
    fn a_welcoming_side_refuses_a_peer_with_no_common_protocol() {
        let mut bo = Client::welcoming("bo".into());
        let join = Message::Join {
            sender_id: "ann".into(),
            protocols: vec!["0".into()],
            ephemeral: true,
            storage_id: None,
        };
        assert!(matches!(
            bo.receive(&join.encode()),
            Err(ClientError::Protocols(_))
        ));
        assert!(!bo.is_joined());
        // A relay's answer is not a welcome either.
        let mut ann = Client::welcoming("ann".into());
        let peer = Message::Peer {
            sender_id: "r".into(),
            target_id: "ann".into(),
            protocol: PROTOCOL_VERSION.into(),
            storage_id: None,
            durable: true,
            signal_only: false,
        };
        assert!(ann.receive(&peer.encode()).is_err());
    }
}
