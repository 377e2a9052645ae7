//! The messages of the automerge-repo network protocol, as `automerge-repo-network-websocket`
//! sends them: one CBOR map per binary WebSocket frame.

use std::fmt;

use thiserror::Error;

use crate::cbor::{CborError, Reader, Writer};

/// The protocol version both sides speak; the only one automerge-repo defines.
pub const PROTOCOL_VERSION: &str = "1";

/// An automerge-repo document id: 16 bytes in base58check. Ids are random, so a peer can only
/// reach a document whose id it was given.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(String);

/// A string that is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not an automerge-repo document id: {0:?}")]
pub struct BadDocumentId(pub String);

impl DocumentId {
    /// The id of these 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bs58::encode(bytes).with_check().into_string())
    }

    pub fn parse(text: &str) -> Result<Self, BadDocumentId> {
        let text = text.strip_prefix("automerge:").unwrap_or(text);
        // 16 bytes plus a 4-byte checksum are at most 28 base58 digits.
        let valid = text.len() <= 28
            && bs58::decode(text)
                .with_check(None)
                .into_vec()
                .is_ok_and(|bytes| bytes.len() == 16);
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(BadDocumentId(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document's `automerge:` URL.
    pub fn url(&self) -> String {
        format!("automerge:{}", self.0)
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The first message from a connecting peer.
    Join {
        sender_id: String,
        protocols: Vec<String>,
        ephemeral: bool,
        /// The joining peer's storage id (`peerMetadata.storageId`), if it stores documents:
        /// peers that subscribe to it hear of its heads (`remote-heads-changed`).
        storage_id: Option<String>,
    },
    /// The answer to `join`: the handshake is done.
    Peer {
        sender_id: String,
        target_id: String,
        protocol: String,
        /// The answering peer's storage id (`peerMetadata.storageId`), if it stores documents:
        /// automerge-repo keeps what each storage id has of a document (`getSyncInfo`).
        storage_id: Option<String>,
        /// Whether it acknowledges a change only once it has the change on disk
        /// (`peerMetadata.cohortDurable`, which only Cohort's relay sends).
        durable: bool,
        /// Whether it keeps and syncs no documents, and only forwards ephemeral messages (such
        /// as presence and the signalling of direct connections) among a document's peers
        /// (`peerMetadata.cohortSignalOnly`: a relay started with `--signal-only`).
        signal_only: bool,
    },
    Leave {
        sender_id: String,
    },
    Error {
        message: String,
    },
    /// An automerge sync message from a peer that does not have the document yet.
    Request(DocMessage),
    /// An automerge sync message.
    Sync(DocMessage),
    DocUnavailable {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
    },
    /// Data for the document's other peers, such as presence; never stored.
    Ephemeral(Ephemeral),
    /// `remote-subscription-change`: the storage ids whose heads the sender wants to hear of
    /// (`Repo.subscribeToRemotes`), added and removed.
    RemoteSubscriptionChange {
        sender_id: String,
        target_id: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// `remote-heads-changed`: what storage peers hold of a document.
    RemoteHeadsChanged {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        new_heads: Vec<RemoteHeads>,
    },
}

/// The heads one storage peer has of a document, and when that was learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHeads {
    pub storage_id: String,
    /// Change hashes in base58check, as automerge-repo writes heads in URLs.
    pub heads: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
}

/// A change hash as automerge-repo 2.x writes heads (`encodeHeads`): base58check.
pub fn encode_head(hash: &[u8; 32]) -> String {
    bs58::encode(hash).with_check().into_string()
}

/// A `request` or `sync` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMessage {
    pub sender_id: String,
    pub target_id: String,
    pub document_id: DocumentId,
    /// An encoded `automerge::sync::Message`.
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ephemeral {
    pub sender_id: String,
    pub target_id: String,
    pub document_id: DocumentId,
    pub session_id: String,
    pub count: u64,
    /// Opaque to the relay: forwarded as it came.
    pub data: Vec<u8>,
}

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("malformed CBOR: {0}")]
    Cbor(#[from] CborError),
    #[error("the message has no {0}")]
    Missing(&'static str),
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error(transparent)]
    DocumentId(#[from] BadDocumentId),
}

impl Message {
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut fields = Fields::default();
        let mut reader = Reader::new(frame);
        reader.map(|reader, key| fields.read(reader, key))?;
        reader.finish()?;
        fields.into_message()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_capacity(64 + self.data_len());
        match self {
            Self::Join {
                sender_id,
                protocols,
                ephemeral,
                storage_id,
            } => {
                writer
                    .map(4)
                    .text("type")
                    .text("join")
                    .text("senderId")
                    .text(sender_id);
                writer
                    .text("supportedProtocolVersions")
                    .array(protocols.len());
                for protocol in protocols {
                    writer.text(protocol);
                }
                write_metadata(&mut writer, *ephemeral, storage_id.as_deref());
            }
            Self::Peer {
                sender_id,
                target_id,
                protocol,
                storage_id,
                durable,
                signal_only,
            } => {
                writer
                    .map(5)
                    .text("type")
                    .text("peer")
                    .text("senderId")
                    .text(sender_id);
                writer.text("targetId").text(target_id);
                writer.text("selectedProtocolVersion").text(protocol);
                let entries = 1
                    + usize::from(storage_id.is_some())
                    + usize::from(*durable)
                    + usize::from(*signal_only);
                writer
                    .text("peerMetadata")
                    .map(entries)
                    .text("isEphemeral")
                    .bool(false);
                if let Some(storage_id) = storage_id {
                    writer.text("storageId").text(storage_id);
                }
                if *durable {
                    writer.text("cohortDurable").bool(true);
                }
                if *signal_only {
                    writer.text("cohortSignalOnly").bool(true);
                }
            }
            Self::Leave { sender_id } => {
                writer
                    .map(2)
                    .text("type")
                    .text("leave")
                    .text("senderId")
                    .text(sender_id);
            }
            Self::Error { message } => {
                writer
                    .map(2)
                    .text("type")
                    .text("error")
                    .text("message")
                    .text(message);
            }
            Self::Request(message) => message.write("request", &mut writer),
            Self::Sync(message) => message.write("sync", &mut writer),
            Self::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                write_envelope(&mut writer, 4, "doc-unavailable", sender_id, target_id);
                writer.text("documentId").text(document_id.as_str());
            }
            Self::Ephemeral(message) => message.write(&mut writer),
            Self::RemoteSubscriptionChange {
                sender_id,
                target_id,
                add,
                remove,
            } => {
                let kind = "remote-subscription-change";
                write_envelope(&mut writer, 5, kind, sender_id, target_id);
                for (key, ids) in [("add", add), ("remove", remove)] {
                    writer.text(key).array(ids.len());
                    for id in ids {
                        writer.text(id);
                    }
                }
            }
            Self::RemoteHeadsChanged {
                sender_id,
                target_id,
                document_id,
                new_heads,
            } => {
                write_envelope(&mut writer, 5, "remote-heads-changed", sender_id, target_id);
                writer.text("documentId").text(document_id.as_str());
                writer.text("newHeads").map(new_heads.len());
                for remote in new_heads {
                    writer.text(&remote.storage_id).map(2).text("heads");
                    writer.array(remote.heads.len());
                    for head in &remote.heads {
                        writer.text(head);
                    }
                    writer.text("timestamp").uint(remote.timestamp);
                }
            }
        }
        writer.into_bytes()
    }

    /// The bytes of the data it carries: a sync message's, an ephemeral message's.
    pub fn data_len(&self) -> usize {
        match self {
            Self::Request(message) | Self::Sync(message) => message.data.len(),
            Self::Ephemeral(message) => message.data.len(),
            _ => 0,
        }
    }
}

/// The bytes of a `sync` message up to its data, which follows them: the message is these
/// bytes and then `data_len` bytes of data, so that one copy of a large body can follow many
/// heads.
pub fn sync_head(
    sender_id: &str,
    target_id: &str,
    document_id: &DocumentId,
    data_len: usize,
) -> Vec<u8> {
    let mut writer = Writer::default();
    DocMessage::write_head("sync", sender_id, target_id, document_id, &mut writer);
    writer.bytes_header(data_len);
    writer.into_bytes()
}

impl DocMessage {
    fn write(&self, kind: &str, writer: &mut Writer) {
        let (sender, target) = (&self.sender_id, &self.target_id);
        Self::write_head(kind, sender, target, &self.document_id, writer);
        writer.bytes(&self.data);
    }

    /// Everything but the data, whose key is last.
    fn write_head(
        kind: &str,
        sender_id: &str,
        target_id: &str,
        document_id: &DocumentId,
        writer: &mut Writer,
    ) {
        write_envelope(writer, 5, kind, sender_id, target_id);
        writer.text("documentId").text(document_id.as_str());
        writer.text("data");
    }
}

impl Ephemeral {
    fn write(&self, writer: &mut Writer) {
        self.write_head(writer);
        writer.bytes(&self.data);
    }

    /// Everything but the data, whose key is last.
    fn write_head(&self, writer: &mut Writer) {
        write_envelope(writer, 7, "ephemeral", &self.sender_id, &self.target_id);
        writer.text("documentId").text(self.document_id.as_str());
        writer
            .text("sessionId")
            .text(&self.session_id)
            .text("count")
            .uint(self.count);
        writer.text("data");
    }

    /// The bytes of this message up to its data, which follows them: one copy of the data can
    /// follow the head of each peer it is sent to.
    pub fn head(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        self.write_head(&mut writer);
        writer.bytes_header(self.data.len());
        writer.into_bytes()
    }
}

/// A message map of `entries` entries, with its type, sender and target written.
fn write_envelope(
    writer: &mut Writer,
    entries: usize,
    kind: &str,
    sender_id: &str,
    target_id: &str,
) {
    writer.map(entries).text("type").text(kind);
    writer
        .text("senderId")
        .text(sender_id)
        .text("targetId")
        .text(target_id);
}

fn write_metadata(writer: &mut Writer, ephemeral: bool, storage_id: Option<&str>) {
    writer
        .text("peerMetadata")
        .map(1 + usize::from(storage_id.is_some()))
        .text("isEphemeral")
        .bool(ephemeral);
    if let Some(storage_id) = storage_id {
        writer.text("storageId").text(storage_id);
    }
}

/// The fields of any message, as read from the map.
#[derive(Default)]
struct Fields {
    kind: Option<String>,
    sender_id: Option<String>,
    target_id: Option<String>,
    document_id: Option<String>,
    data: Option<Vec<u8>>,
    protocols: Option<Vec<String>>,
    selected_protocol: Option<String>,
    ephemeral: bool,
    storage_id: Option<String>,
    durable: bool,
    signal_only: bool,
    message: Option<String>,
    session_id: Option<String>,
    count: Option<u64>,
    add: Vec<String>,
    remove: Vec<String>,
    new_heads: Vec<RemoteHeads>,
}

/// An array of text strings; none for `null` or `undefined` (automerge-repo sends
/// `remove: undefined` when it only adds).
fn texts(reader: &mut Reader<'_>) -> Result<Vec<String>, CborError> {
    let mut texts = Vec::new();
    if reader.absent()? {
        return Ok(texts);
    }
    reader.array(|reader| {
        texts.push(reader.text()?.to_owned());
        Ok(())
    })?;
    Ok(texts)
}

/// `newHeads`: storage id → `{ heads, timestamp }`.
fn new_heads(reader: &mut Reader<'_>) -> Result<Vec<RemoteHeads>, CborError> {
    let mut all = Vec::new();
    reader.map(|reader, storage_id| {
        let mut remote = RemoteHeads {
            storage_id: storage_id.to_owned(),
            heads: Vec::new(),
            timestamp: 0,
        };
        reader.map(|reader, key| {
            match key {
                "heads" => remote.heads = texts(reader)?,
                "timestamp" => remote.timestamp = reader.uint()?,
                _ => reader.skip()?,
            }
            Ok(())
        })?;
        all.push(remote);
        Ok(())
    })?;
    Ok(all)
}

impl Fields {
    fn read(&mut self, reader: &mut Reader<'_>, key: &str) -> Result<(), CborError> {
        match key {
            "type" => self.kind = Some(reader.text()?.to_owned()),
            "senderId" => self.sender_id = Some(reader.text()?.to_owned()),
            "targetId" => self.target_id = Some(reader.text()?.to_owned()),
            "documentId" => self.document_id = Some(reader.text()?.to_owned()),
            "data" => self.data = Some(reader.bytes()?.to_vec()),
            "selectedProtocolVersion" => self.selected_protocol = Some(reader.text()?.to_owned()),
            "message" => self.message = Some(reader.text()?.to_owned()),
            "sessionId" => self.session_id = Some(reader.text()?.to_owned()),
            "count" => self.count = Some(reader.uint()?),
            "supportedProtocolVersions" => self.protocols = Some(texts(reader)?),
            "add" => self.add = texts(reader)?,
            "remove" => self.remove = texts(reader)?,
            "newHeads" => self.new_heads = new_heads(reader)?,
            "peerMetadata" => reader.map(|reader, key| match key {
                "isEphemeral" => {
                    self.ephemeral = reader.bool()?;
                    Ok(())
                }
                "storageId" => {
                    self.storage_id = reader.optional_text()?.map(str::to_owned);
                    Ok(())
                }
                "cohortDurable" => {
                    self.durable = reader.bool()?;
                    Ok(())
                }
                "cohortSignalOnly" => {
                    self.signal_only = reader.bool()?;
                    Ok(())
                }
                _ => reader.skip(),
            })?,
            _ => reader.skip()?,
        }
        Ok(())
    }

    fn into_message(self) -> Result<Message, DecodeError> {
        let kind = self.kind.clone().ok_or(DecodeError::Missing("type"))?;
        Ok(match kind.as_str() {
            "join" => Message::Join {
                sender_id: self.sender_id.ok_or(DecodeError::Missing("senderId"))?,
                protocols: self.protocols.unwrap_or_default(),
                ephemeral: self.ephemeral,
                storage_id: self.storage_id,
            },
            "peer" => Message::Peer {
                sender_id: self.sender_id.ok_or(DecodeError::Missing("senderId"))?,
                target_id: self.target_id.unwrap_or_default(),
                protocol: self
                    .selected_protocol
                    .ok_or(DecodeError::Missing("version"))?,
                storage_id: self.storage_id,
                durable: self.durable,
                signal_only: self.signal_only,
            },
            "leave" => Message::Leave {
                sender_id: self.sender_id.unwrap_or_default(),
            },
            "error" => Message::Error {
                message: self.message.unwrap_or_default(),
            },
            "request" => Message::Request(self.doc_message()?),
            "sync" => Message::Sync(self.doc_message()?),
            "doc-unavailable" => Message::DocUnavailable {
                document_id: self.document_id()?,
                sender_id: self.sender_id.unwrap_or_default(),
                target_id: self.target_id.unwrap_or_default(),
            },
            "ephemeral" => Message::Ephemeral(Ephemeral {
                document_id: self.document_id()?,
                session_id: self.session_id.ok_or(DecodeError::Missing("sessionId"))?,
                count: self.count.ok_or(DecodeError::Missing("count"))?,
                data: self.data.ok_or(DecodeError::Missing("data"))?,
                sender_id: self.sender_id.unwrap_or_default(),
                target_id: self.target_id.unwrap_or_default(),
            }),
            "remote-subscription-change" => Message::RemoteSubscriptionChange {
                sender_id: self.sender_id.unwrap_or_default(),
                target_id: self.target_id.unwrap_or_default(),
                add: self.add,
                remove: self.remove,
            },
            "remote-heads-changed" => Message::RemoteHeadsChanged {
                document_id: self.document_id()?,
                sender_id: self.sender_id.unwrap_or_default(),
                target_id: self.target_id.unwrap_or_default(),
                new_heads: self.new_heads,
            },
            _ => return Err(DecodeError::UnknownType(kind)),
        })
    }

    fn document_id(&self) -> Result<DocumentId, DecodeError> {
        let text = self
            .document_id
            .as_deref()
            .ok_or(DecodeError::Missing("documentId"))?;
        Ok(DocumentId::parse(text)?)
    }

    fn doc_message(self) -> Result<DocMessage, DecodeError> {
        Ok(DocMessage {
            document_id: self.document_id()?,
            data: self.data.ok_or(DecodeError::Missing("data"))?,
            sender_id: self.sender_id.unwrap_or_default(),
            target_id: self.target_id.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> DocumentId {
        DocumentId::from_bytes([7; 16])
    }

    #[test]
    fn every_message_reads_back() {
        let messages = [
            Message::Join {
                sender_id: "a".into(),
                protocols: vec![PROTOCOL_VERSION.into()],
                ephemeral: true,
                storage_id: None,
            },
            Message::Join {
                sender_id: "b".into(),
                protocols: vec![PROTOCOL_VERSION.into()],
                ephemeral: false,
                storage_id: Some("0f4e".into()),
            },
            Message::RemoteSubscriptionChange {
                sender_id: "a".into(),
                target_id: "r".into(),
                add: vec!["0f4e".into(), "77aa".into()],
                remove: vec!["1234".into()],
            },
            Message::RemoteHeadsChanged {
                sender_id: "r".into(),
                target_id: "a".into(),
                document_id: doc(),
                new_heads: vec![RemoteHeads {
                    storage_id: "0f4e".into(),
                    heads: vec![encode_head(&[3; 32])],
                    timestamp: 1_764_547_200_000,
                }],
            },
            Message::Peer {
                sender_id: "r".into(),
                target_id: "a".into(),
                protocol: "1".into(),
                storage_id: None,
                durable: false,
                signal_only: true,
            },
            Message::Peer {
                sender_id: "r".into(),
                target_id: "a".into(),
                protocol: "1".into(),
                storage_id: Some("7d9c0f2a-0000-4000-8000-000000000001".into()),
                durable: true,
                signal_only: false,
            },
            Message::Leave {
                sender_id: "a".into(),
            },
            Message::Error {
                message: "no".into(),
            },
            Message::Request(DocMessage {
                sender_id: "a".into(),
                target_id: "r".into(),
                document_id: doc(),
                data: vec![0x43, 1],
            }),
            Message::Sync(DocMessage {
                sender_id: "a".into(),
                target_id: "r".into(),
                document_id: doc(),
                data: vec![],
            }),
            Message::DocUnavailable {
                sender_id: "r".into(),
                target_id: "a".into(),
                document_id: doc(),
            },
            Message::Ephemeral(Ephemeral {
                sender_id: "a".into(),
                target_id: "r".into(),
                document_id: doc(),
                session_id: "s".into(),
                count: 3,
                data: vec![9; 300],
            }),
        ];
        for message in messages {
            assert_eq!(Message::decode(&message.encode()), Ok(message));
        }
    }

    #[test]
    fn a_javascript_join_without_a_storage_id_reads() {
        // What automerge-repo's client without storage sends: `storageId: undefined`.
        let mut frame = vec![0xa4];
        for (key, value) in [("type", "join"), ("senderId", "peer-1")] {
            frame.push(0x60 + key.len() as u8);
            frame.extend_from_slice(key.as_bytes());
            frame.push(0x60 + value.len() as u8);
            frame.extend_from_slice(value.as_bytes());
        }
        frame.push(0x78);
        frame.push(25);
        frame.extend_from_slice(b"supportedProtocolVersions");
        frame.extend_from_slice(&[0x81, 0x61, b'1']);
        frame.push(0x6c);
        frame.extend_from_slice(b"peerMetadata");
        frame.push(0xa2);
        frame.push(0x69);
        frame.extend_from_slice(b"storageId");
        frame.push(0xf7);
        frame.push(0x6b);
        frame.extend_from_slice(b"isEphemeral");
        frame.push(0xf4);
        assert_eq!(
            Message::decode(&frame).unwrap(),
            Message::Join {
                sender_id: "peer-1".into(),
                protocols: vec!["1".into()],
                ephemeral: false,
                storage_id: None,
            }
        );
    }

    #[test]
    fn a_sync_head_and_its_data_are_the_sync_message() {
        for len in [0, 23, 24, 255, 256, 65_536, 70_000] {
            let message = DocMessage {
                sender_id: "r".into(),
                target_id: "peer-1".into(),
                document_id: doc(),
                data: vec![5; len],
            };
            let mut frame = sync_head("r", "peer-1", &doc(), len);
            frame.extend_from_slice(&message.data);
            assert_eq!(frame, Message::Sync(message).encode(), "{len} bytes");
        }
    }

    #[test]
    fn an_ephemeral_head_and_its_data_are_the_ephemeral_message() {
        for len in [0, 23, 24, 16 << 10] {
            let message = Ephemeral {
                sender_id: "peer-2".into(),
                target_id: "peer-1".into(),
                document_id: doc(),
                session_id: "session".into(),
                count: 7,
                data: vec![5; len],
            };
            let mut frame = message.head();
            frame.extend_from_slice(&message.data);
            assert_eq!(frame, Message::Ephemeral(message).encode(), "{len} bytes");
        }
    }

    #[test]
    fn a_javascript_subscription_change_that_only_adds_reads() {
        // automerge-repo sends `remove: undefined` when it only adds.
        let mut writer = Writer::default();
        writer
            .map(4)
            .text("type")
            .text("remote-subscription-change")
            .text("senderId")
            .text("peer-1")
            .text("add")
            .array(1)
            .text("0f4e")
            .text("remove");
        let mut frame = writer.into_bytes();
        frame.push(0xf7);
        assert_eq!(
            Message::decode(&frame).unwrap(),
            Message::RemoteSubscriptionChange {
                sender_id: "peer-1".into(),
                target_id: String::new(),
                add: vec!["0f4e".into()],
                remove: vec![],
            }
        );
    }

    #[test]
    fn document_ids_are_checked() {
        let id = doc();
        assert_eq!(DocumentId::parse(&id.url()), Ok(id.clone()));
        let mut bad = id.as_str().to_owned();
        bad.pop();
        bad.push(if id.as_str().ends_with('2') { '3' } else { '2' });
        assert!(DocumentId::parse(&bad).is_err());
        assert!(DocumentId::parse("../../etc/passwd").is_err());
    }

    #[test]
    fn unknown_types_and_missing_fields_are_refused() {
        let mut writer = Writer::default();
        writer.map(1).text("type").text("teleport");
        assert_eq!(
            Message::decode(&writer.into_bytes()),
            Err(DecodeError::UnknownType("teleport".into()))
        );
        let mut writer = Writer::default();
        writer
            .map(2)
            .text("type")
            .text("sync")
            .text("data")
            .bytes(&[]);
        assert_eq!(
            Message::decode(&writer.into_bytes()),
            Err(DecodeError::Missing("documentId"))
        );
    }
}
