//! The signalling of a direct connection between two browsers, sent as an ephemeral message of
//! the group through the relay: the relay forwards it to the group's other peers (only peers
//! that name the group, and hold a capability for it if it is protected, hear it) and keeps
//! nothing. Every peer of the group hears it; only the one it is addressed `to` acts on it.
//!
//! Descriptions are whole (ICE gathering finished, every candidate in the SDP), not trickled:
//! one offer and one answer make a connection, and a pairing code carries the same thing.

use crate::cbor::{CborError, Reader, Writer};

/// The largest description read: an SDP with a few dozen candidates is a few KiB.
pub const MAX_SDP_BYTES: usize = 12 << 10;

/// Offer or answer, as in `RTCSessionDescription.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalKind {
    Offer,
    Answer,
}

impl SignalKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Answer => "answer",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        match key {
            "offer" => Some(Self::Offer),
            "answer" => Some(Self::Answer),
            _ => None,
        }
    }
}

/// One step of making a direct connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// The peer id it is for.
    pub to: String,
    /// Which connection attempt it belongs to: an answer carries its offer's, so a late answer
    /// to an attempt given up is ignored.
    pub call: u64,
    pub kind: SignalKind,
    pub sdp: String,
}

impl Signal {
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_capacity(self.sdp.len() + 64);
        writer
            .map(5)
            .text("type")
            .text("signal")
            .text("to")
            .text(&self.to)
            .text("call")
            .uint(self.call)
            .text("kind")
            .text(self.kind.key())
            .text("sdp")
            .text(&self.sdp);
        writer.into_bytes()
    }

    /// The signal in ephemeral data, if that is what it holds (and it is whole).
    pub fn decode(data: &[u8]) -> Option<Self> {
        let mut reader = Reader::new(data);
        let (mut is_signal, mut to, mut call, mut kind, mut sdp) = (false, None, None, None, None);
        reader
            .map(|reader, key| {
                match key {
                    "type" => is_signal = reader.text()? == "signal",
                    "to" => to = Some(reader.text()?.to_owned()),
                    "call" => call = Some(reader.uint()?),
                    "kind" => kind = SignalKind::from_key(reader.text()?),
                    "sdp" => sdp = Some(reader.text()?.to_owned()),
                    _ => reader.skip()?,
                }
                Ok::<(), CborError>(())
            })
            .ok()?;
        let sdp = sdp.filter(|sdp| sdp.len() <= MAX_SDP_BYTES)?;
        is_signal.then_some(Self {
            to: to?,
            call: call?,
            kind: kind?,
            sdp,
        })
    }
}

/// A STUN or TURN server for direct connections, as the settings write it: one a line, a
/// `stun:` or `stuns:` URL alone, or a `turn:` or `turns:` URL, a user name and a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServer {
    pub url: String,
    /// TURN's user name and credential.
    pub login: Option<(String, String)>,
}

impl IceServer {
    /// The servers in the settings' text (blank lines skipped), or the first line that is not
    /// one.
    pub fn parse_all(text: &str) -> Result<Vec<Self>, String> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| Self::parse(line).ok_or_else(|| line.to_owned()))
            .collect()
    }

    fn parse(line: &str) -> Option<Self> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (scheme, rest) = words[0].split_once(':')?;
        if rest.is_empty() {
            return None;
        }
        let url = words[0].to_owned();
        match (scheme, &words[1..]) {
            ("stun" | "stuns", []) => Some(Self { url, login: None }),
            ("turn" | "turns", [user, credential]) => Some(Self {
                url,
                login: Some(((*user).to_owned(), (*credential).to_owned())),
            }),
            _ => None,
        }
    }

    /// The server as one line of the settings.
    pub fn line(&self) -> String {
        match &self.login {
            None => self.url.clone(),
            Some((user, credential)) => format!("{} {user} {credential}", self.url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::Presence;

    #[test]
    fn a_signal_reads_back_and_presence_is_not_a_signal() {
        let signal = Signal {
            to: "cohort-1".into(),
            call: 7,
            kind: SignalKind::Answer,
            sdp: "v=0\r\n".into(),
        };
        assert_eq!(Signal::decode(&signal.encode()), Some(signal.clone()));
        let presence = Presence { name: "Ann".into() }.encode();
        assert_eq!(Signal::decode(&presence), None);
        assert_eq!(Presence::decode(&signal.encode()), None);
        let too_long = Signal {
            sdp: "a".repeat(MAX_SDP_BYTES + 1),
            ..signal
        };
        assert_eq!(Signal::decode(&too_long.encode()), None);
        assert_eq!(Signal::decode(b"\xff"), None);
    }

    #[test]
    fn ice_servers_are_read_one_a_line_and_a_bad_line_is_named() {
        let servers = IceServer::parse_all(
            "stun:stun.example.org:3478\n\n  turn:turn.example.org ann s3cret \n",
        )
        .unwrap();
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].login, None);
        assert_eq!(
            servers[1].login,
            Some(("ann".to_owned(), "s3cret".to_owned()))
        );
        assert_eq!(servers[1].line(), "turn:turn.example.org ann s3cret");
        assert_eq!(IceServer::parse_all(""), Ok(Vec::new()));
        for bad in [
            "turn:turn.example.org",
            "stun:",
            "http://example.org",
            "stun:a b",
        ] {
            assert_eq!(IceServer::parse_all(bad), Err(bad.to_owned()), "{bad}");
        }
    }
}
