//! Stable random identifiers: one id keys a record in the document, in the view and in the
//! page's keyed lists.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The random source failed (in a browser: no `crypto.getRandomValues`).
#[derive(Debug, thiserror::Error)]
#[error("no random numbers available to make an id: {0}")]
pub struct NoRandomness(getrandom::Error);

fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(NoRandomness)?;
    Ok(bytes)
}

/// The longest record id accepted from a document written by another client.
const MAX_RECORD_ID_LEN: usize = 64;

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Made of 64 random bits as 16 lowercase hex digits. Ids written by other clients
        /// are accepted as they are, up to 64 characters.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(String);

        impl $name {
            /// A new id, unique for all practical purposes.
            pub fn random() -> Result<Self, NoRandomness> {
                random_bytes().map(|bytes| Self::from_bits(u64::from_le_bytes(bytes)))
            }

            /// The id made of these 64 bits.
            pub fn from_bits(bits: u64) -> Self {
                Self(format!("{bits:016x}"))
            }

            /// The id as it is written in the document, if `key` is a usable id.
            pub fn from_key(key: &str) -> Option<Self> {
                (!key.is_empty() && key.len() <= MAX_RECORD_ID_LEN).then(|| Self(key.to_owned()))
            }

            /// The key under which the record is stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

record_id!(
    /// Identifies a member of a group.
    MemberId
);
record_id!(
    /// Identifies an organizer's device (a browser): the author its changes are written under.
    DeviceId
);
record_id!(
    /// Identifies a role of a group.
    RoleId
);
record_id!(
    /// Identifies one piece of feedback.
    FeedbackId
);
record_id!(
    /// Identifies one touchpoint of the contact log.
    TouchpointId
);
record_id!(
    /// Identifies an activity.
    ActivityId
);
record_id!(
    /// Identifies a duty of an activity.
    DutyId
);
record_id!(
    /// Identifies a training plan.
    TrainingId
);
record_id!(
    /// Identifies a criterion by which key users are identified.
    CriterionId
);
record_id!(
    /// Identifies one placing of a key user on the influence/interest grid.
    PlacingId
);
record_id!(
    /// Identifies a key user's need.
    NeedId
);
record_id!(
    /// Identifies a key user's expectation.
    ExpectationId
);
record_id!(
    /// Identifies one satisfaction reading of a key user.
    ReadingId
);
record_id!(
    /// Identifies an application to join the group.
    ApplicationId
);
record_id!(
    /// Identifies a criterion applicants are screened against.
    ScreeningId
);
record_id!(
    /// Identifies a digest shared with the group.
    DigestId
);

/// Identifies a group document: 16 random bytes, written as automerge-repo writes document
/// ids (base58check), so the group can be shared as an `automerge:` URL with any
/// automerge-repo peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupId([u8; 16]);

/// A string that is not an automerge-repo document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a group id")]
pub struct NotAGroupId(pub String);

impl GroupId {
    /// A new, unguessable group id: a random (version 4) UUID, as automerge-repo makes
    /// document ids. Older automerge-repo peers (such as the reference sync server 0.2.8)
    /// refuse ids whose bytes are not such a UUID.
    pub fn random() -> Result<Self, NoRandomness> {
        let mut bytes: [u8; 16] = random_bytes()?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Ok(Self(bytes))
    }

    /// The id's 16 bytes.
    pub fn bytes(&self) -> [u8; 16] {
        self.0
    }

    /// The id whose [`bytes`](Self::bytes) these are (as a pairing code carries it).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The id in an `automerge:` URL, as automerge-repo writes it.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl std::str::FromStr for GroupId {
    type Err = NotAGroupId;

    /// Reads a bare id or an `automerge:` URL.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let id = text.trim().trim_start_matches("automerge:");
        bs58::decode(id)
            .with_check(None)
            .into_vec()
            .ok()
            .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
            .map(Self)
            .ok_or_else(|| NotAGroupId(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_are_sixteen_hex_digits_and_differ() {
        let a = MemberId::random().unwrap();
        let b = MemberId::random().unwrap();
        assert_eq!(a.as_str().len(), 16);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn foreign_ids_are_accepted_within_limits() {
        assert!(MemberId::from_key("550e8400-e29b-41d4-a716-446655440000").is_some());
        assert!(MemberId::from_key("").is_none());
        assert!(MemberId::from_key(&"x".repeat(65)).is_none());
    }

    #[test]
    fn group_ids_round_trip_through_text_and_urls() {
        let id = GroupId::random().unwrap();
        assert_eq!(id.to_string().parse::<GroupId>().unwrap(), id);
        assert_eq!(id.url().parse::<GroupId>().unwrap(), id);
        assert!(id.url().starts_with("automerge:"));
    }

    #[test]
    fn group_ids_are_version_4_uuids_as_automerge_repo_requires() {
        for _ in 0..32 {
            let bytes = GroupId::random().unwrap().bytes();
            assert_eq!(bytes[6] >> 4, 4, "version 4");
            assert_eq!(bytes[8] >> 6, 0b10, "RFC 4122 variant");
        }
    }

    #[test]
    fn a_known_automerge_repo_id_parses() {
        // An id made by automerge-repo's `generateAutomergeUrl()`.
        let id: GroupId = "4NMNnkMhL8jXrdJ9jamS58PAVdXu".parse().unwrap();
        assert_eq!(id.to_string(), "4NMNnkMhL8jXrdJ9jamS58PAVdXu");
    }

    #[test]
    fn a_mistyped_group_id_is_refused() {
        let mut text = GroupId::random().unwrap().to_string();
        let last = text.pop().unwrap();
        text.push(if last == 'a' { 'b' } else { 'a' });
        assert!(text.parse::<GroupId>().is_err());
        assert!("not an id".parse::<GroupId>().is_err());
    }
}
