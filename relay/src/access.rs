//! Who may sync which group: owners and capability links, kept by the relay (not in the group
//! document, which readers can read).
//!
//! A group nobody has protected is open to anyone who knows its id, as in plain
//! automerge-repo. Protecting it makes an owner link; from then on a connection syncs it only
//! with a link it presents. A link grants read, edit or owner access (owners also manage the
//! links), may carry a label and an expiry, and can be revoked.
//!
//! A link's secret is 128 random bits. The relay keeps only its SHA-256, so its files and its
//! logs never hold a secret. A peer presents a capability as `<document id>.<secret>`: naming
//! the group lets failures be counted per group as well as per address ([`Guesses`]).
//!
//! Each group's access is one JSON file in `<data>/.access/`, replaced atomically (written
//! aside, fsynced, renamed, directory fsynced) before a grant, revocation or deletion is
//! confirmed. When a link was last used is kept in memory and written with the next change:
//! losing it in a crash loses nothing that protects anyone.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cohort_sync::DocumentId;
use cohort_sync::hub::Access;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::{create_dir_durably, sync_dir};

const ACCESS_DIR: &str = ".access";
const SECRET_BYTES: usize = 16;
const LINK_ID_BYTES: usize = 6;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Read,
    Edit,
    /// Edit, and make, list and revoke links, and delete the group for everyone.
    Owner,
}

impl Role {
    /// What the sync engine lets a connection with this role do.
    pub fn access(self) -> Access {
        match self {
            Self::Read => Access::Read,
            Self::Edit | Self::Owner => Access::Edit,
        }
    }
}

/// A capability as a peer presents it: `<document id>.<secret in hex>`. Its `Debug` leaves
/// the secret out, so no log can hold one.
#[derive(Clone, PartialEq, Eq)]
pub struct Capability {
    pub document: DocumentId,
    secret: [u8; SECRET_BYTES],
}

impl std::fmt::Debug for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capability")
            .field("document", &self.document)
            .finish_non_exhaustive()
    }
}

impl Capability {
    /// Reads a presented capability; `None` for anything malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let (document, secret) = text.split_once('.')?;
        Some(Self {
            document: DocumentId::parse(document).ok()?,
            secret: parse_secret(secret)?,
        })
    }

    /// The SHA-256 of the secret, in hex: how the relay knows the link.
    fn hash(&self) -> String {
        hex(&Sha256::digest(self.secret))
    }
}

/// A 32-character hex secret.
fn parse_secret(text: &str) -> Option<[u8; SECRET_BYTES]> {
    if text.len() != SECRET_BYTES * 2 || !text.is_ascii() {
        return None;
    }
    let mut secret = [0; SECRET_BYTES];
    for (byte, pair) in secret.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(secret)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub(crate) fn random_hex(bytes: usize) -> io::Result<String> {
    let mut buffer = vec![0; bytes];
    getrandom::fill(&mut buffer).map_err(|error| io::Error::other(error.to_string()))?;
    Ok(hex(&buffer))
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// One link as stored: its secret only as a hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredLink {
    id: String,
    hash: String,
    role: Role,
    #[serde(default)]
    label: String,
    expires_at: Option<u64>,
    created_at: u64,
    last_used_at: Option<u64>,
}

/// A link as shown to owners and the relay's admin: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInfo {
    pub id: String,
    pub role: Role,
    pub label: String,
    /// Seconds since the Unix epoch.
    pub expires_at: Option<u64>,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
}

impl From<&StoredLink> for LinkInfo {
    fn from(link: &StoredLink) -> Self {
        Self {
            id: link.id.clone(),
            role: link.role,
            label: link.label.clone(),
            expires_at: link.expires_at,
            created_at: link.created_at,
            last_used_at: link.last_used_at,
        }
    }
}

/// A new link, with the secret its holder presents: shown once, never kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewLink {
    pub link: LinkInfo,
    pub secret: String,
}

/// What the owner asks for.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LinkRequest {
    pub role: Role,
    #[serde(default)]
    pub label: String,
    /// Seconds since the Unix epoch; none for a link that does not expire.
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// The longest label kept, in characters.
const LABEL_CHARS: usize = 80;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct GroupAccess {
    /// Deleted for everyone: nobody syncs it again.
    #[serde(default)]
    deleted: bool,
    links: Vec<StoredLink>,
}

/// What checking a capability found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Granted {
        role: Role,
        link: String,
        expires_at: Option<u64>,
    },
    /// No live link has this secret: a guess, a revoked or an expired link, or a deleted group.
    Refused,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The group is protected already, or was deleted: said as "not found" to whoever asks.
    #[error("the group cannot be protected")]
    NotProtectable,
    #[error("no such link")]
    NoSuchLink,
    #[error("access could not be stored: {0}")]
    Storage(#[from] io::Error),
}

/// Every group's owners and links.
#[derive(Debug)]
pub struct AccessStore {
    dir: PathBuf,
    groups: Mutex<HashMap<DocumentId, GroupAccess>>,
}

impl AccessStore {
    /// Reads every group's access from the data directory.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let dir = data_dir.join(ACCESS_DIR);
        create_dir_durably(&dir)?;
        let mut groups = HashMap::new();
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            // Anything else is a write a crash interrupted, which was never confirmed.
            let Some(document) = name
                .strip_suffix(".json")
                .and_then(|id| DocumentId::parse(id).ok())
            else {
                fs::remove_file(&path)?;
                continue;
            };
            let access: GroupAccess = serde_json::from_slice(&fs::read(&path)?)
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
            groups.insert(document, access);
        }
        Ok(Self {
            dir,
            groups: Mutex::new(groups),
        })
    }

    fn groups(&self) -> std::sync::MutexGuard<'_, HashMap<DocumentId, GroupAccess>> {
        // A panic while holding the lock leaves whole values behind: keep going.
        self.groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Groups that sync only with a capability: protected ones and deleted ones.
    pub fn protected(&self) -> Vec<DocumentId> {
        self.groups().keys().cloned().collect()
    }

    pub fn is_protected(&self, document: &DocumentId) -> bool {
        self.groups().contains_key(document)
    }

    /// Finds the live link a capability names, noting that it was used.
    pub fn check(&self, capability: &Capability, now: u64) -> Check {
        let hash = capability.hash();
        let mut groups = self.groups();
        let Some(group) = groups.get_mut(&capability.document) else {
            return Check::Refused;
        };
        let Some(link) = group.links.iter_mut().find(|link| link.hash == hash) else {
            return Check::Refused;
        };
        if link.expires_at.is_some_and(|expiry| expiry <= now) {
            return Check::Refused;
        }
        link.last_used_at = Some(now);
        Check::Granted {
            role: link.role,
            link: link.id.clone(),
            expires_at: link.expires_at,
        }
    }

    /// The role a capability gives, if it is live.
    pub fn role(&self, capability: &Capability, now: u64) -> Option<Role> {
        match self.check(capability, now) {
            Check::Granted { role, .. } => Some(role),
            Check::Refused => None,
        }
    }

    /// Protects a group nobody protected yet (or one that does not exist yet): its first owner
    /// link. Stored before it returns.
    pub fn protect(&self, document: &DocumentId, now: u64) -> Result<NewLink, AccessError> {
        let mut groups = self.groups();
        if groups.contains_key(document) {
            return Err(AccessError::NotProtectable);
        }
        let mut group = GroupAccess::default();
        let new = add_link(
            &mut group,
            &LinkRequest {
                role: Role::Owner,
                label: String::new(),
                expires_at: None,
            },
            now,
        )?;
        self.write(document, &group)?;
        groups.insert(document.clone(), group);
        Ok(new)
    }

    /// A new link for a protected group. Stored before it returns.
    pub fn create_link(
        &self,
        document: &DocumentId,
        request: &LinkRequest,
        now: u64,
    ) -> Result<NewLink, AccessError> {
        self.change(document, |group| add_link(group, request, now))
    }

    /// The group's live links, oldest first.
    pub fn links(&self, document: &DocumentId, now: u64) -> Vec<LinkInfo> {
        self.groups()
            .get(document)
            .map(|group| {
                group
                    .links
                    .iter()
                    .filter(|link| link.expires_at.is_none_or(|expiry| expiry > now))
                    .map(LinkInfo::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Removes a link; stored before it returns.
    pub fn revoke(&self, document: &DocumentId, link: &str) -> Result<(), AccessError> {
        self.change(document, |group| {
            let before = group.links.len();
            group.links.retain(|kept| kept.id != link);
            if group.links.len() == before {
                Err(AccessError::NoSuchLink)
            } else {
                Ok(())
            }
        })
    }

    /// Marks the group deleted for everyone and drops its links; stored before it returns. A
    /// group never protected is deleted all the same, so nobody can sync it again.
    pub fn delete(&self, document: &DocumentId) -> Result<(), AccessError> {
        let mut groups = self.groups();
        let group = GroupAccess {
            deleted: true,
            links: Vec::new(),
        };
        self.write(document, &group)?;
        groups.insert(document.clone(), group);
        Ok(())
    }

    pub fn is_deleted(&self, document: &DocumentId) -> bool {
        self.groups()
            .get(document)
            .is_some_and(|group| group.deleted)
    }

    /// Changes a protected group's access and stores it; nothing changes if either fails.
    fn change<T>(
        &self,
        document: &DocumentId,
        change: impl FnOnce(&mut GroupAccess) -> Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        let mut groups = self.groups();
        let Some(group) = groups.get_mut(document).filter(|group| !group.deleted) else {
            return Err(AccessError::NoSuchLink);
        };
        let mut changed = group.clone();
        let result = change(&mut changed)?;
        self.write(document, &changed)?;
        *group = changed;
        Ok(result)
    }

    /// Replaces the group's file atomically and durably.
    fn write(&self, document: &DocumentId, group: &GroupAccess) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(group).map_err(io::Error::other)?;
        let aside = self.dir.join(format!("{document}.writing"));
        let mut file = File::create(&aside)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&aside, self.dir.join(format!("{document}.json")))?;
        sync_dir(&self.dir)
    }
}

fn add_link(
    group: &mut GroupAccess,
    request: &LinkRequest,
    now: u64,
) -> Result<NewLink, AccessError> {
    let secret = random_hex(SECRET_BYTES)?;
    let capability_secret = parse_secret(&secret).ok_or_else(|| io::Error::other("bad secret"))?;
    let link = StoredLink {
        id: random_hex(LINK_ID_BYTES)?,
        hash: hex(&Sha256::digest(capability_secret)),
        role: request.role,
        label: request.label.trim().chars().take(LABEL_CHARS).collect(),
        expires_at: request.expires_at,
        created_at: now,
        last_used_at: None,
    };
    let info = LinkInfo::from(&link);
    group.links.push(link);
    Ok(NewLink { link: info, secret })
}

/// Failed capability checks, counted per address and per group over a sliding minute: past a
/// limit, more attempts are refused before any secret is looked at. A secret of 128 random bits
/// cannot be guessed anyway; this keeps a relay from being used to try.
#[derive(Debug)]
pub struct Guesses {
    per_address: u32,
    per_group: u32,
    window: Duration,
    addresses: Mutex<HashMap<IpAddr, Window>>,
    groups: Mutex<HashMap<DocumentId, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

/// Most entries kept per table before old windows are swept out.
const GUESS_TABLE_SWEEP: usize = 4_096;

impl Guesses {
    pub fn new(per_address: u32, per_group: u32) -> Self {
        Self {
            per_address,
            per_group,
            window: Duration::from_secs(60),
            addresses: Mutex::new(HashMap::new()),
            groups: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this address may try capabilities for these groups now.
    pub fn allowed<'a>(
        &self,
        address: IpAddr,
        groups: impl IntoIterator<Item = &'a DocumentId>,
    ) -> bool {
        let now = Instant::now();
        let under = |window: Option<&Window>, limit| {
            window.is_none_or(|window| {
                now.duration_since(window.start) >= self.window || window.failures < limit
            })
        };
        under(lock(&self.addresses).get(&address), self.per_address) && {
            let table = lock(&self.groups);
            groups
                .into_iter()
                .all(|group| under(table.get(group), self.per_group))
        }
    }

    /// A capability for `group` from `address` named no live link.
    pub fn failed(&self, address: IpAddr, group: &DocumentId) {
        let now = Instant::now();
        count(&mut lock(&self.addresses), address, now, self.window);
        count(&mut lock(&self.groups), group.clone(), now, self.window);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn count<K: std::hash::Hash + Eq>(
    table: &mut HashMap<K, Window>,
    key: K,
    now: Instant,
    length: Duration,
) {
    if table.len() >= GUESS_TABLE_SWEEP {
        table.retain(|_, window| now.duration_since(window.start) < length);
    }
    let window = table.entry(key).or_insert(Window {
        start: now,
        failures: 0,
    });
    if now.duration_since(window.start) >= length {
        *window = Window {
            start: now,
            failures: 0,
        };
    }
    window.failures = window.failures.saturating_add(1);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn document(n: u8) -> DocumentId {
        DocumentId::from_bytes([n; 16])
    }

    fn present(document: &DocumentId, secret: &str) -> Capability {
        Capability::parse(&format!("{document}.{secret}")).unwrap()
    }

    #[test]
    fn links_grant_their_role_until_revoked_or_expired_and_only_for_their_group() {
        let dir = tempfile::tempdir().unwrap();
        let store = AccessStore::open(dir.path()).unwrap();
        let (a, b) = (document(1), document(2));
        let owner = store.protect(&a, 100).unwrap();
        assert_eq!(
            store.role(&present(&a, &owner.secret), 100),
            Some(Role::Owner)
        );
        assert_eq!(
            store.role(&present(&b, &owner.secret), 100),
            None,
            "group A's link never opens B"
        );
        assert!(matches!(
            store.protect(&a, 100),
            Err(AccessError::NotProtectable)
        ));

        let request = |role, expires_at| LinkRequest {
            role,
            label: "  board  ".to_owned(),
            expires_at,
        };
        let reader = store
            .create_link(&a, &request(Role::Read, None), 100)
            .unwrap();
        let brief = store
            .create_link(&a, &request(Role::Edit, Some(200)), 100)
            .unwrap();
        assert_eq!(reader.link.label, "board");
        assert_eq!(
            store.role(&present(&a, &reader.secret), 150),
            Some(Role::Read)
        );
        assert_eq!(
            store.role(&present(&a, &brief.secret), 199),
            Some(Role::Edit)
        );
        assert_eq!(
            store.role(&present(&a, &brief.secret), 200),
            None,
            "expired"
        );
        assert_eq!(
            store.links(&a, 300).len(),
            2,
            "the owner's and the reader's"
        );

        store.revoke(&a, &reader.link.id).unwrap();
        assert_eq!(store.role(&present(&a, &reader.secret), 150), None);
        assert!(matches!(
            store.revoke(&a, &reader.link.id),
            Err(AccessError::NoSuchLink)
        ));

        // Promotion: an owner link for another organizer.
        let promoted = store
            .create_link(&a, &request(Role::Owner, None), 100)
            .unwrap();
        assert_eq!(
            store.role(&present(&a, &promoted.secret), 100),
            Some(Role::Owner)
        );

        // Everything is read back as it was confirmed, and no secret is on disk.
        let again = AccessStore::open(dir.path()).unwrap();
        assert_eq!(
            again.role(&present(&a, &promoted.secret), 100),
            Some(Role::Owner)
        );
        assert_eq!(again.role(&present(&a, &reader.secret), 100), None);
        let file =
            fs::read_to_string(dir.path().join(ACCESS_DIR).join(format!("{a}.json"))).unwrap();
        for secret in [&owner.secret, &reader.secret, &promoted.secret] {
            assert!(!file.contains(secret.as_str()));
        }

        store.delete(&a).unwrap();
        assert!(store.is_deleted(&a));
        assert_eq!(store.role(&present(&a, &promoted.secret), 100), None);
        assert!(matches!(
            store.protect(&a, 100),
            Err(AccessError::NotProtectable)
        ));
    }

    #[test]
    fn guesses_past_the_limit_are_refused_per_address_and_per_group() {
        let guesses = Guesses::new(3, 5);
        let (here, there) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let a = document(1);
        for _ in 0..3 {
            assert!(guesses.allowed(here, [&a]));
            guesses.failed(here, &a);
        }
        assert!(!guesses.allowed(here, [&a]));
        assert!(
            !guesses.allowed(here, []),
            "the address, whatever the group"
        );
        assert!(guesses.allowed(there, [&a]));
        guesses.failed(there, &a);
        guesses.failed(there, &a);
        assert!(
            !guesses.allowed(there, [&a]),
            "the group, whatever the address"
        );
        assert!(guesses.allowed(there, [&document(2)]));
    }

    proptest! {
        /// Random and malformed capabilities never panic and never grant anything.
        #[test]
        fn no_presented_text_opens_a_group_without_its_secret(
            text in ".{0,120}",
            bytes in proptest::collection::vec(any::<u8>(), 0..80),
            secret in "[0-9a-fA-F]{32}",
        ) {
            let dir = tempfile::tempdir().unwrap();
            let store = AccessStore::open(dir.path()).unwrap();
            let a = document(7);
            let owner = store.protect(&a, 0).unwrap();
            let lossy = String::from_utf8_lossy(&bytes);
            let guesses = [
                text.clone(),
                lossy.into_owned(),
                format!("{a}.{secret}"),
                format!("{a}.{text}"),
                format!("{text}.{}", owner.secret),
            ];
            for guess in guesses {
                if let Some(capability) = Capability::parse(&guess)
                    && capability != present(&a, &owner.secret)
                {
                    prop_assert_eq!(store.check(&capability, 0), Check::Refused);
                }
            }
        }
    }
}
