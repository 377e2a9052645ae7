//! Pairing codes: a direct connection's offer or answer carried by hand, as a QR code one
//! phone shows and the other scans, or as text pasted, when no relay is reachable.
//!
//! A code holds only what differs between two data-channel descriptions of a browser: the ICE
//! user fragment and password, the DTLS certificate's fingerprint and the UDP candidates; and
//! besides, the group, the attempt (a code is taken once), when it expires and the organizer's
//! name. [`Session::to_sdp`] writes a whole description back around them. This is "SDP
//! munging", by hand: no crate does it, and the layout below is what keeps a code short
//! enough to scan (about 200 characters; see docs/sync.md).
//!
//! Layout: version, kind, group (16 bytes), call (8), expiry (4, Unix seconds), then
//! length-prefixed name, user fragment and password, the fingerprint (32), and the candidates
//! (a tag byte, the address, the port). Written as `C` followed by Base58Check, whose checksum
//! turns a mistyped or cut code into [`PairingError::Damaged`] rather than a wrong connection.

use thiserror::Error;

use crate::signal::SignalKind;

/// The layout written first in every code.
const VERSION: u8 = 1;
/// What every code begins with, before its Base58.
const PREFIX: char = 'C';
/// The most candidates kept (a phone has a few interfaces).
const MAX_CANDIDATES: usize = 8;
/// The longest name kept in a code.
pub const MAX_NAME_CHARS: usize = 24;
/// How long a code can be taken after it is made.
pub const LIFETIME_SECS: u64 = 10 * 60;

/// Why a code cannot be used.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum PairingError {
    #[error("this is not a Cohort pairing code")]
    NotACode,
    #[error("the code is damaged or incomplete: copy or scan it again")]
    Damaged,
    #[error("the code was made by a newer version of Cohort")]
    Version,
    #[error("the code has expired: ask for a new one")]
    Expired,
    #[error("the description has no {0}")]
    Missing(&'static str),
}

/// Where a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    V4([u8; 4]),
    V6([u8; 16]),
    /// A multicast DNS name (`<uuid>.local`): how browsers hide a host's own address.
    Mdns([u8; 16]),
}

/// How a candidate was found (RFC 8445's candidate types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    Host,
    ServerReflexive,
    PeerReflexive,
    Relayed,
}

impl CandidateKind {
    const ALL: [Self; 4] = [
        Self::Host,
        Self::ServerReflexive,
        Self::PeerReflexive,
        Self::Relayed,
    ];

    fn key(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relayed => "relay",
        }
    }

    /// RFC 8445's recommended type preference: a host candidate is tried first.
    fn preference(self) -> u32 {
        match self {
            Self::Host => 126,
            Self::PeerReflexive => 110,
            Self::ServerReflexive => 100,
            Self::Relayed => 0,
        }
    }
}

/// A UDP candidate of component 1 (a data channel uses one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub address: Address,
    pub port: u16,
    pub kind: CandidateKind,
}

/// What of a description differs from one connection to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub ufrag: String,
    pub pwd: String,
    /// SHA-256 of the DTLS certificate.
    pub fingerprint: [u8; 32],
    pub candidates: Vec<Candidate>,
}

impl Session {
    /// Reads what a code needs from a browser's description.
    pub fn from_sdp(sdp: &str) -> Result<Self, PairingError> {
        let (mut ufrag, mut pwd, mut fingerprint) = (None, None, None);
        let mut candidates = Vec::new();
        for line in sdp.lines().map(str::trim) {
            let Some(attribute) = line.strip_prefix("a=") else {
                continue;
            };
            let (name, value) = attribute.split_once(':').unwrap_or((attribute, ""));
            match name {
                "ice-ufrag" => ufrag = Some(value.to_owned()),
                "ice-pwd" => pwd = Some(value.to_owned()),
                "fingerprint" => fingerprint = parse_fingerprint(value),
                "candidate" if candidates.len() < MAX_CANDIDATES => {
                    candidates.extend(parse_candidate(value));
                }
                _ => {}
            }
        }
        let short = |text: Option<String>, what| {
            text.filter(|text| !text.is_empty() && text.len() <= 255)
                .ok_or(PairingError::Missing(what))
        };
        Ok(Self {
            ufrag: short(ufrag, "ICE user fragment")?,
            pwd: short(pwd, "ICE password")?,
            fingerprint: fingerprint.ok_or(PairingError::Missing("SHA-256 fingerprint"))?,
            candidates,
        })
    }

    /// A whole description of a data channel around this session: an offer, or the answer to
    /// one (the answering side takes the DTLS client's part, as browsers do).
    pub fn to_sdp(&self, kind: SignalKind) -> String {
        let mut sdp = String::from(
            "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
             a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n\
             c=IN IP4 0.0.0.0\r\n",
        );
        for (n, candidate) in self.candidates.iter().enumerate() {
            let priority = (candidate.kind.preference() << 24)
                | ((65_535 - u32::try_from(n).unwrap_or(0)) << 8)
                | 255;
            sdp.push_str(&format!(
                "a=candidate:{n} 1 udp {priority} {} {} typ {}\r\n",
                address_text(candidate.address),
                candidate.port,
                candidate.kind.key()
            ));
        }
        let fingerprint: Vec<String> = self
            .fingerprint
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let setup = match kind {
            SignalKind::Offer => "actpass",
            SignalKind::Answer => "active",
        };
        sdp.push_str(&format!(
            "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=fingerprint:sha-256 {}\r\na=setup:{setup}\r\n\
             a=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n",
            self.ufrag,
            self.pwd,
            fingerprint.join(":")
        ));
        sdp
    }
}

fn parse_fingerprint(value: &str) -> Option<[u8; 32]> {
    let (algorithm, hex) = value.split_once(' ')?;
    if !algorithm.eq_ignore_ascii_case("sha-256") {
        return None;
    }
    let bytes: Vec<u8> = hex
        .trim()
        .split(':')
        .map(|byte| u8::from_str_radix(byte, 16).ok())
        .collect::<Option<_>>()?;
    bytes.try_into().ok()
}

/// `<foundation> <component> <transport> <priority> <address> <port> typ <type> …`: UDP
/// candidates of component 1 only.
fn parse_candidate(value: &str) -> Option<Candidate> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let [_, component, transport, _, address, port, "typ", kind, ..] = words.as_slice() else {
        return None;
    };
    if *component != "1" || !transport.eq_ignore_ascii_case("udp") {
        return None;
    }
    Some(Candidate {
        address: parse_address(address)?,
        port: port.parse().ok()?,
        kind: CandidateKind::ALL.into_iter().find(|k| k.key() == *kind)?,
    })
}

fn parse_address(text: &str) -> Option<Address> {
    if let Some(name) = text.strip_suffix(".local") {
        let hex: String = name.chars().filter(|c| *c != '-').collect();
        let value = u128::from_str_radix(&hex, 16)
            .ok()
            .filter(|_| hex.len() == 32)?;
        return Some(Address::Mdns(value.to_be_bytes()));
    }
    match text.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(ip) => Some(Address::V4(ip.octets())),
        std::net::IpAddr::V6(ip) => Some(Address::V6(ip.octets())),
    }
}

fn address_text(address: Address) -> String {
    match address {
        Address::V4(octets) => std::net::Ipv4Addr::from(octets).to_string(),
        Address::V6(octets) => std::net::Ipv6Addr::from(octets).to_string(),
        Address::Mdns(bytes) => {
            let hex = format!("{:032x}", u128::from_be_bytes(bytes));
            format!(
                "{}-{}-{}-{}-{}.local",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )
        }
    }
}

/// An offer or answer to pair two devices with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingCode {
    pub kind: SignalKind,
    /// The group's document id, as bytes.
    pub group: [u8; 16],
    /// The attempt: an answer carries its offer's, and each is taken once.
    pub call: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// The organizer's name on the device that made it (cut to [`MAX_NAME_CHARS`]).
    pub name: String,
    pub session: Session,
}

impl PairingCode {
    /// The code as text: `C` and Base58Check.
    pub fn encode(&self) -> String {
        let mut bytes = vec![VERSION, u8::from(self.kind == SignalKind::Answer)];
        bytes.extend_from_slice(&self.group);
        bytes.extend_from_slice(&self.call.to_be_bytes());
        let expires = u32::try_from(self.expires_at).unwrap_or(u32::MAX);
        bytes.extend_from_slice(&expires.to_be_bytes());
        let name: String = self.name.chars().take(MAX_NAME_CHARS).collect();
        for text in [&name, &self.session.ufrag, &self.session.pwd] {
            let text = &text.as_bytes()[..text.len().min(255)];
            bytes.push(text.len() as u8);
            bytes.extend_from_slice(text);
        }
        bytes.extend_from_slice(&self.session.fingerprint);
        let candidates =
            &self.session.candidates[..self.session.candidates.len().min(MAX_CANDIDATES)];
        bytes.push(candidates.len() as u8);
        for candidate in candidates {
            let kind = CandidateKind::ALL
                .iter()
                .position(|k| *k == candidate.kind)
                .unwrap_or(0) as u8;
            let (family, address): (u8, &[u8]) = match &candidate.address {
                Address::V4(octets) => (0, octets),
                Address::V6(octets) => (1, octets),
                Address::Mdns(bytes) => (2, bytes),
            };
            bytes.push(family << 2 | kind);
            bytes.extend_from_slice(address);
            bytes.extend_from_slice(&candidate.port.to_be_bytes());
        }
        format!("{PREFIX}{}", bs58::encode(bytes).with_check().into_string())
    }

    /// Reads a code, as scanned or pasted (spaces and line breaks are ignored), if it is
    /// whole, of this version, and not expired at `now` (Unix seconds).
    pub fn decode(text: &str, now: u64) -> Result<Self, PairingError> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let body = text.strip_prefix(PREFIX).ok_or(PairingError::NotACode)?;
        let bytes =
            bs58::decode(body)
                .with_check(None)
                .into_vec()
                .map_err(|error| match error {
                    bs58::decode::Error::InvalidCharacter { .. } => PairingError::NotACode,
                    _ => PairingError::Damaged,
                })?;
        let code = Reader(&bytes).code()?;
        if code.expires_at < now {
            return Err(PairingError::Expired);
        }
        Ok(code)
    }
}

/// Reads a code's bytes in order.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, len: usize) -> Result<&[u8], PairingError> {
        if self.0.len() < len {
            return Err(PairingError::Damaged);
        }
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PairingError> {
        self.take(N)?.try_into().map_err(|_| PairingError::Damaged)
    }

    fn byte(&mut self) -> Result<u8, PairingError> {
        Ok(self.array::<1>()?[0])
    }

    fn text(&mut self) -> Result<String, PairingError> {
        let len = self.byte()?;
        String::from_utf8(self.take(len.into())?.to_vec()).map_err(|_| PairingError::Damaged)
    }

    fn code(&mut self) -> Result<PairingCode, PairingError> {
        if self.byte()? != VERSION {
            return Err(PairingError::Version);
        }
        let kind = match self.byte()? {
            0 => SignalKind::Offer,
            1 => SignalKind::Answer,
            _ => return Err(PairingError::Damaged),
        };
        let group = self.array()?;
        let call = u64::from_be_bytes(self.array()?);
        let expires_at = u32::from_be_bytes(self.array()?).into();
        let (name, ufrag, pwd) = (self.text()?, self.text()?, self.text()?);
        let fingerprint = self.array()?;
        let count = self.byte()?;
        let mut candidates = Vec::new();
        for _ in 0..count.min(MAX_CANDIDATES as u8) {
            let tag = self.byte()?;
            let address = match tag >> 2 {
                0 => Address::V4(self.array()?),
                1 => Address::V6(self.array()?),
                2 => Address::Mdns(self.array()?),
                _ => return Err(PairingError::Damaged),
            };
            candidates.push(Candidate {
                address,
                port: u16::from_be_bytes(self.array()?),
                kind: CandidateKind::ALL[usize::from(tag & 3)],
            });
        }
        if !self.0.is_empty() {
            return Err(PairingError::Damaged);
        }
        Ok(PairingCode {
            kind,
            group,
            call,
            expires_at,
            name,
            session: Session {
                ufrag,
                pwd,
                fingerprint,
                candidates,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An offer as headless Chromium 13x wrote it for a data channel.
    const CHROMIUM_OFFER: &str = "v=0\r\no=- 5928194868412979114 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=candidate:1415970385 1 udp 2113937151 3baf534b-ef9b-40a5-b464-1555e08dca1e.local 55383 typ host generation 0 network-cost 999\r\na=candidate:2667790257 1 udp 2113942271 343b7683-2ce8-42c0-85dd-74410c4743f0.local 54531 typ host generation 0 network-cost 999\r\na=candidate:9 1 tcp 1518280447 192.0.2.2 9 typ host tcptype active\r\na=candidate:7 1 udp 1677729535 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport 0\r\na=ice-ufrag:X2Ut\r\na=ice-pwd:S4DeqJRiR0oY8cai2FxcIaTx\r\na=ice-options:trickle\r\na=fingerprint:sha-256 5D:9B:5A:92:B7:C4:99:75:DE:0D:CE:6C:94:4E:C0:4E:06:B1:D7:F6:33:96:A9:25:AC:72:B3:10:9D:52:3C:79\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

    fn code() -> PairingCode {
        PairingCode {
            kind: SignalKind::Offer,
            group: [7; 16],
            call: 0x1234_5678_9abc,
            expires_at: 1_800_000_000,
            name: "Ann 安".into(),
            session: Session::from_sdp(CHROMIUM_OFFER).unwrap(),
        }
    }

    #[test]
    fn a_browsers_offer_keeps_what_differs_and_is_written_back_whole() {
        let session = Session::from_sdp(CHROMIUM_OFFER).unwrap();
        assert_eq!(
            (session.ufrag.as_str(), session.pwd.as_str()),
            ("X2Ut", "S4DeqJRiR0oY8cai2FxcIaTx")
        );
        assert_eq!(session.fingerprint[0], 0x5D);
        // Two host candidates (multicast DNS names) and the reflexive one; no TCP.
        assert_eq!(session.candidates.len(), 3);
        assert_eq!(session.candidates[2].address, Address::V4([203, 0, 113, 7]));
        assert_eq!(session.candidates[2].kind, CandidateKind::ServerReflexive);
        let written = session.to_sdp(SignalKind::Offer);
        assert!(written.contains("3baf534b-ef9b-40a5-b464-1555e08dca1e.local 55383 typ host"));
        assert!(written.contains("a=setup:actpass") && written.contains("a=sctp-port:5000"));
        assert!(
            session
                .to_sdp(SignalKind::Answer)
                .contains("a=setup:active")
        );
        assert_eq!(Session::from_sdp(&written).unwrap(), session);
    }

    #[test]
    fn a_code_reads_back_and_is_short() {
        let code = code();
        let text = code.encode();
        assert!(text.len() < 240, "{} characters", text.len());
        assert_eq!(PairingCode::decode(&text, 0), Ok(code.clone()));
        // As pasted from a chat, broken over lines.
        let (head, tail) = text.split_at(50);
        assert_eq!(
            PairingCode::decode(&format!(" {head}\n{tail} "), 0),
            Ok(code)
        );
    }

    #[test]
    fn a_damaged_foreign_or_expired_code_says_why() {
        let text = code().encode();
        let mut typo: Vec<char> = text.chars().collect();
        typo[40] = if typo[40] == 'x' { 'y' } else { 'x' };
        let typo: String = typo.into_iter().collect();
        assert_eq!(PairingCode::decode(&typo, 0), Err(PairingError::Damaged));
        assert_eq!(
            PairingCode::decode(&text[..text.len() - 5], 0),
            Err(PairingError::Damaged)
        );
        assert_eq!(
            PairingCode::decode("https://example.org", 0),
            Err(PairingError::NotACode)
        );
        assert_eq!(PairingCode::decode("C0OIl", 0), Err(PairingError::NotACode));
        assert_eq!(
            PairingCode::decode(&text, 1_800_000_001),
            Err(PairingError::Expired)
        );
        assert_eq!(
            Session::from_sdp("v=0\r\na=ice-ufrag:x\r\n"),
            Err(PairingError::Missing("ICE password"))
        );
    }
}
