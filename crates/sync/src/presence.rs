//! Who is online in a document: a small CBOR map sent in ephemeral messages, never stored.
//! automerge-repo peers CBOR-encode what they broadcast, so JavaScript peers read it as
//! `{ type: "presence", name }`.

use crate::cbor::{CborError, Reader, Writer};

/// One device's presence in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// The display name the organizer chose on that device.
    pub name: String,
}

/// The longest display name kept; longer ones are cut.
pub const MAX_NAME_CHARS: usize = 80;

impl Presence {
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer
            .map(2)
            .text("type")
            .text("presence")
            .text("name")
            .text(&self.name);
        writer.into_bytes()
    }

    /// The presence in ephemeral data, if that is what it holds.
    pub fn decode(data: &[u8]) -> Option<Self> {
        let mut reader = Reader::new(data);
        let (mut is_presence, mut name) = (false, None);
        reader
            .map(|reader, key| {
                match key {
                    "type" => is_presence = reader.text()? == "presence",
                    "name" => name = Some(reader.text()?.chars().take(MAX_NAME_CHARS).collect()),
                    _ => reader.skip()?,
                }
                Ok::<(), CborError>(())
            })
            .ok()?;
        is_presence.then_some(Self { name: name? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_reads_back_and_other_data_is_not_presence() {
        let presence = Presence { name: "Ann".into() };
        assert_eq!(Presence::decode(&presence.encode()), Some(presence));
        assert_eq!(Presence::decode(b"\xa1\x64type\x65caret"), None);
        assert_eq!(Presence::decode(b"garbage"), None);
    }
}
