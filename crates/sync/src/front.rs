//! One connection's side of the relay, before any document: the handshake, the limits per
//! connection, and which document each message is for.
//!
//! A [`Hub`](crate::hub::Hub) keeps one per connection. A relay that runs several hubs (each
//! holding a shard of the documents, so that one large group cannot stall the others) puts one
//! before them instead, in the connection's own task: the connection is handshaken and limited
//! once, and each document message goes to the hub that holds its document.

use std::collections::HashSet;

use crate::hub::Config;
use crate::message::{DocumentId, Message, PROTOCOL_VERSION};

/// What to do with a frame from the peer.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Send this frame back to the peer (the handshake's answer).
    Reply(Vec<u8>),
    /// Give this message to the hub that holds the document.
    Route(DocumentId, Message),
    /// Send `reply`, if any, then close the connection for `reason`.
    Close {
        reply: Option<Vec<u8>>,
        reason: String,
    },
    /// Nothing to do (a message the relay has no use for).
    Nothing,
}

/// One connection's handshake and limits.
#[derive(Debug)]
pub struct Front {
    peer_id: Option<String>,
    window_start: u64,
    window_count: u32,
    documents: HashSet<DocumentId>,
}

impl Front {
    /// A connection opened at `now`, not joined yet.
    pub fn new(now: u64) -> Self {
        Self {
            peer_id: None,
            window_start: now,
            window_count: 0,
            documents: HashSet::new(),
        }
    }

    /// A connection whose peer already joined as `peer_id`.
    pub fn joined(peer_id: String, now: u64) -> Self {
        Self {
            peer_id: Some(peer_id),
            ..Self::new(now)
        }
    }

    /// The peer's id from its `join`, once it has joined.
    pub fn peer_id(&self) -> Option<&str> {
        self.peer_id.as_deref()
    }

    pub fn is_joined(&self) -> bool {
        self.peer_id.is_some()
    }

    /// A frame arrived from the peer at `now`.
    pub fn receive(&mut self, config: &Config, frame: &[u8], now: u64) -> Step {
        let close = |reason: String| Step::Close {
            reply: None,
            reason,
        };
        if frame.len() > config.max_frame_bytes {
            return close(format!("frame of {} bytes is over the limit", frame.len()));
        }
        if now.saturating_sub(self.window_start) >= 1_000 {
            self.window_start = now;
            self.window_count = 0;
        }
        self.window_count += 1;
        if self.window_count > config.max_messages_per_second {
            return close("too many messages per second".to_owned());
        }
        let message = match Message::decode(frame) {
            Ok(message) => message,
            Err(error) => return close(error.to_string()),
        };
        let joined = self.is_joined();
        match message {
            Message::Join {
                sender_id,
                protocols,
                ..
            } if !joined => {
                if !protocols
                    .iter()
                    .any(|protocol| protocol == PROTOCOL_VERSION)
                {
                    let error = Message::Error {
                        message: format!("unsupported protocol versions {protocols:?}"),
                    };
                    return Step::Close {
                        reply: Some(error.encode()),
                        reason: "no common protocol version".to_owned(),
                    };
                }
                // A hub acknowledges a change only once it is stored.
                let reply = Message::Peer {
                    sender_id: config.peer_id.clone(),
                    target_id: sender_id.clone(),
                    protocol: PROTOCOL_VERSION.to_owned(),
                    storage_id: config.storage_id.clone(),
                    durable: true,
                };
                self.peer_id = Some(sender_id);
                Step::Reply(reply.encode())
            }
            _ if !joined => close("a message before join".to_owned()),
            Message::Request(ref doc) | Message::Sync(ref doc) => {
                let document = doc.document_id.clone();
                if !self.documents.contains(&document) {
                    if self.documents.len() >= config.max_documents_per_connection {
                        return close("too many documents".to_owned());
                    }
                    self.documents.insert(document.clone());
                }
                Step::Route(document, message)
            }
            Message::Ephemeral(ref ephemeral) => {
                Step::Route(ephemeral.document_id.clone(), message)
            }
            Message::Leave { .. } => close("the peer left".to_owned()),
            Message::HeadsGossip | Message::DocUnavailable { .. } => Step::Nothing,
            Message::Join { .. } | Message::Peer { .. } => close("a second handshake".to_owned()),
            Message::Error { message } => close(format!("the peer reported an error: {message}")),
        }
    }
}
