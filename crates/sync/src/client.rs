//! One peer's side of a connection to a relay: the app's sync client, with no I/O.

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
}

/// The state of one connection: the handshake and a sync state per document.
#[derive(Debug)]
pub struct Client {
    peer_id: String,
    relay_id: Option<String>,
    /// Whether the relay said it acknowledges only what it has on disk.
    relay_durable: bool,
    documents: HashMap<DocumentId, sync::State>,
}

impl Client {
    pub fn new(peer_id: String) -> Self {
        Self {
            peer_id,
            relay_id: None,
            relay_durable: false,
            documents: HashMap::new(),
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

    pub fn is_joined(&self) -> bool {
        self.relay_id.is_some()
    }

    /// The connection dropped. Sync states keep only what survives a reconnect (the heads
    /// both sides had), so the next connection sends what the relay may lack.
    pub fn disconnected(&mut self) {
        self.relay_id = None;
        self.relay_durable = false;
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
                    sender_id, durable, ..
                } => {
                    self.relay_id = Some(sender_id);
                    self.relay_durable = durable;
                    Ok(Incoming::Joined)
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
