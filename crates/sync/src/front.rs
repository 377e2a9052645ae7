//! One connection's side of the relay, before any document: the handshake, the limits per
//! connection, and which document each message is for.
//!
//! A [`Hub`](crate::hub::Hub) keeps one per connection. A relay that runs several hubs (each
//! holding a shard of the documents, so that one large group cannot stall the others) puts one
//! before them instead, in the connection's own task: the connection is handshaken and limited
//! once, and each document message goes to the hub that holds its document.

use std::collections::{BTreeSet, HashSet};

use crate::hub::Config;
use crate::message::{DocumentId, Message, PROTOCOL_VERSION};

/// Most storage ids one connection may ask to hear the heads of; more are ignored.
pub const MAX_HEADS_SUBSCRIPTIONS: usize = 64;

/// What to do with a frame from the peer.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Send this frame back to the peer (the handshake's answer).
    Reply(Vec<u8>),
    /// Give this message to the hub that holds the document.
    Route(DocumentId, Message),
    /// Give this message to every hub that has the connection: which storage ids' heads the
    /// peer wants to hear of (what it adds is only what was taken under the limit).
    Everywhere(Message),
    /// Send `reply`, if any, then close the connection for `reason`.
    Close {
        reply: Option<Vec<u8>>,
        reason: String,
    },
    /// Nothing to do (a message the relay has no use for).
    Nothing,
}

/// Who a joined peer is, as every hub that has its connection needs to know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Joined {
    /// The peer id from its `join`.
    pub peer_id: String,
    /// Its storage id, if it stores documents (not an ephemeral peer).
    pub storage_id: Option<String>,
    /// The storage ids whose heads it asked to hear of (`remote-subscription-change`).
    pub heads_subscriptions: BTreeSet<String>,
}

impl Joined {
    /// Applies a `remote-subscription-change`: returns the ids added (under the limit) and
    /// removed, as they now stand.
    pub fn change_subscriptions(
        &mut self,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> (Vec<String>, Vec<String>) {
        let removed: Vec<String> = remove
            .into_iter()
            .filter(|id| self.heads_subscriptions.remove(id))
            .collect();
        let added = add
            .into_iter()
            .filter(|id| {
                self.heads_subscriptions.contains(id)
                    || (self.heads_subscriptions.len() < MAX_HEADS_SUBSCRIPTIONS
                        && self.heads_subscriptions.insert(id.clone()))
            })
            .collect();
        (added, removed)
    }
}

/// One connection's handshake and limits.
#[derive(Debug)]
pub struct Front {
    joined: Option<Joined>,
    frames: PerSecond,
    documents: HashSet<DocumentId>,
}

impl Front {
    /// A connection opened at `now`, not joined yet.
    pub fn new(now: u64) -> Self {
        Self {
            joined: None,
            frames: PerSecond::new(now),
            documents: HashSet::new(),
        }
    }

    /// A connection whose peer already joined.
    pub fn joined(peer: Joined, now: u64) -> Self {
        Self {
            joined: Some(peer),
            ..Self::new(now)
        }
    }

    /// The peer's id from its `join`, once it has joined.
    pub fn peer_id(&self) -> Option<&str> {
        self.joined.as_ref().map(|joined| joined.peer_id.as_str())
    }

    /// Who the peer is, once it has joined.
    pub fn peer(&self) -> Option<&Joined> {
        self.joined.as_ref()
    }

    /// As [`peer`](Self::peer), to apply what the peer changes of its subscriptions.
    pub fn peer_mut(&mut self) -> Option<&mut Joined> {
        self.joined.as_mut()
    }

    pub fn is_joined(&self) -> bool {
        self.joined.is_some()
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
        if self.frames.count(now) > config.max_messages_per_second {
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
                ephemeral,
                storage_id,
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
                // A hub acknowledges a change only once it is stored; one that only signals
                // stores nothing and says so.
                let reply = Message::Peer {
                    sender_id: config.peer_id.clone(),
                    target_id: sender_id.clone(),
                    protocol: PROTOCOL_VERSION.to_owned(),
                    storage_id: config.storage_id.clone().filter(|_| !config.signal_only),
                    durable: !config.signal_only,
                    signal_only: config.signal_only,
                };
                self.joined = Some(Joined {
                    peer_id: sender_id,
                    storage_id: storage_id.filter(|_| !ephemeral),
                    heads_subscriptions: BTreeSet::new(),
                });
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
            Message::RemoteSubscriptionChange {
                sender_id,
                target_id,
                add,
                remove,
            } => {
                let Some(peer) = self.joined.as_mut() else {
                    return Step::Nothing;
                };
                let (add, remove) = peer.change_subscriptions(add, remove);
                Step::Everywhere(Message::RemoteSubscriptionChange {
                    sender_id,
                    target_id,
                    add,
                    remove,
                })
            }
            // Only about a document the peer syncs: its hub knows who else may hear of it.
            Message::RemoteHeadsChanged {
                ref document_id, ..
            } if self.documents.contains(document_id) => Step::Route(document_id.clone(), message),
            Message::RemoteHeadsChanged { .. } | Message::DocUnavailable { .. } => Step::Nothing,
            Message::Join { .. } | Message::Peer { .. } => close("a second handshake".to_owned()),
            Message::Error { message } => close(format!("the peer reported an error: {message}")),
        }
    }
}

/// Counts events in windows of a second.
#[derive(Debug)]
pub(crate) struct PerSecond {
    start: u64,
    count: u32,
}

impl PerSecond {
    pub(crate) fn new(now: u64) -> Self {
        Self {
            start: now,
            count: 0,
        }
    }

    /// Counts an event at `now`: how many there were in its second, this one included.
    pub(crate) fn count(&mut self, now: u64) -> u32 {
        if now.saturating_sub(self.start) >= 1_000 {
            self.start = now;
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count
    }
}

/// How fast a connection's frames are read: a bucket of a second's worth of bytes, refilled
/// as time passes. A frame read when the bucket is short leaves a debt, and the next frame is
/// read only once it is paid: a client writing as fast as it can is slowed to the rate (its
/// socket is not read meanwhile, so it waits on its own side) rather than cut, and loses
/// nothing. One frame larger than the bucket is still read, then paid for by waiting.
#[derive(Debug)]
pub struct ByteRate {
    per_second: u64,
    /// Bytes that may still be read now; negative while a debt is being paid.
    balance: i64,
    last: u64,
}

impl ByteRate {
    /// A full bucket of `per_second` bytes at `now` (milliseconds).
    pub fn new(per_second: u64, now: u64) -> Self {
        let per_second = per_second.max(1);
        Self {
            per_second,
            balance: i64::try_from(per_second).unwrap_or(i64::MAX),
            last: now,
        }
    }

    /// A frame of `bytes` was read at `now`: how many milliseconds to wait before reading the
    /// next one.
    pub fn read(&mut self, bytes: usize, now: u64) -> u64 {
        let rate = i128::from(self.per_second);
        let refill = i128::from(now.saturating_sub(self.last)) * rate / 1_000;
        self.last = now;
        let balance = (i128::from(self.balance) + refill).min(rate) - bytes as i128;
        self.balance = i64::try_from(balance).unwrap_or(i64::MIN);
        if balance >= 0 {
            0
        } else {
            // Rounded up, so the debt is paid when the wait ends.
            u64::try_from((-balance * 1_000 + rate - 1) / rate).unwrap_or(u64::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRate;

    #[test]
    fn frames_within_a_second_s_worth_are_read_at_once() {
        let mut rate = ByteRate::new(1_000, 0);
        assert_eq!(rate.read(400, 0), 0);
        assert_eq!(rate.read(600, 0), 0);
        // The bucket refills with time: 500 ms later there are 500 bytes again.
        assert_eq!(rate.read(500, 500), 0);
    }

    #[test]
    fn reading_past_the_rate_waits_until_the_debt_is_paid() {
        let mut rate = ByteRate::new(1_000, 0);
        assert_eq!(rate.read(1_000, 0), 0);
        assert_eq!(rate.read(250, 0), 250);
        // Waiting as told pays the debt, and no more is owed.
        assert_eq!(rate.read(0, 250), 0);
        // A frame of ten seconds' worth is read, and paid for with nine more seconds.
        assert_eq!(rate.read(10_000, 1_250), 9_000);
    }

    #[test]
    fn an_idle_connection_saves_up_no_more_than_a_second() {
        let mut rate = ByteRate::new(1_000, 0);
        assert_eq!(rate.read(0, 60_000), 0);
        assert_eq!(rate.read(2_000, 60_000), 1_000);
    }
}
