//! Documents on local disk, in automerge-repo's NodeFS layout plus one change log per
//! document, written crash-safely.
//!
//! A document `2x7…` lives in `<data>/2x/7…/`: whole-document snapshots in `snapshot/`, and
//! changes in `incremental/` (one file each, as the reference sync server writes them) and in
//! `cohort.log` (as the relay writes them). It is loaded by concatenating the snapshots, the
//! incremental files and the log's records. So the relay serves a directory the reference
//! server wrote as it is.
//!
//! A change is appended to the log as one record (its length, a checksum, the bytes) and the
//! log is fsynced: one file per document rather than a new file per change, because creating
//! a file per change cost the relay more CPU than everything else it does per edit. A crash
//! can leave only a torn last record, which was never acknowledged: loading drops it and
//! truncates the log to its whole records before anything is appended again.
//!
//! A record that fails its checksum before the end (the disk damaged it) must not take the
//! acknowledged records after it along: loading skips to the next record that verifies (its
//! bytes begin with Automerge's magic and match its checksum), keeps the damaged log aside as
//! `cohort.log.damaged-<unix seconds>`, writes a new log of the records that verified, and
//! logs what it skipped. Peers that hold the skipped changes send them again when they sync.
//!
//! One process owns a data directory: [`DiskStore::open`] takes an exclusive lock on
//! `<data>/.lock`, held until the store is dropped, before it clears `.tmp`. A second relay,
//! or `--compact-and-exit`, on a directory in use is refused instead of unlinking files under
//! the running one.
//!
//! A snapshot is written to `<data>/.tmp/`, fsynced, renamed into place and its directory
//! fsynced, so after a crash it is either whole or absent. Compaction writes the snapshot first
//! and only then deletes the files and the log it replaces.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cohort_sync::DocumentId;
use sha2::{Digest, Sha256};

const SNAPSHOT: &str = "snapshot";
const INCREMENTAL: &str = "incremental";
const LOG: &str = "cohort.log";
const TEMPORARY: &str = ".tmp";
const LOCK: &str = ".lock";
const STORAGE_ID: &str = ".storage-id";
/// Every Automerge chunk (a change, a bundle, a whole document) begins with these bytes, so a
/// record's bytes do too: where to look for the next record after a damaged one.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// A directory that never exists, in the relay's own.
const NOTHING: &str = "nothing";

/// A log record's header: the length of its bytes (u32, little-endian) and the first bytes
/// of their SHA-256.
const LENGTH_BYTES: usize = 4;
const CHECKSUM_BYTES: usize = 8;
const HEADER_BYTES: usize = LENGTH_BYTES + CHECKSUM_BYTES;

/// Everything stored of a document.
#[derive(Debug, PartialEq, Eq)]
pub struct StoredBytes {
    /// Snapshots, incremental files and log records, in that order.
    pub bytes: Vec<u8>,
    /// Appends since the last snapshot: log records and the reference server's incremental
    /// files, so a group edited a few times between loads is still compacted once it has
    /// enough.
    pub appends: u32,
    /// The bytes of those appends, and of the snapshots before them.
    pub appended_bytes: u64,
    pub snapshot_bytes: u64,
}

/// Limits on what the relay stores, in bytes; none by default. A write past one fails with
/// [`io::ErrorKind::QuotaExceeded`] and stores nothing: the engine tells the group's peers why,
/// they keep their changes, and it tries again later. Compaction is always allowed (it
/// shrinks a group), and so is deleting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quotas {
    /// What one group may take: its snapshots, incremental files and log.
    pub per_document: Option<u64>,
    /// What all groups together may take.
    pub total: Option<u64>,
}

#[derive(Debug)]
pub struct DiskStore {
    root: PathBuf,
    next_temporary: AtomicU64,
    quotas: Quotas,
    /// Bytes the groups take, counted at open when there is a total quota, then kept.
    used: AtomicU64,
    /// The exclusive lock on the directory, released when the store is dropped.
    _lock: File,
}

impl DiskStore {
    /// Opens the data directory, removing temporary files a crash left behind. Fails with
    /// [`io::ErrorKind::WouldBlock`] when another process has it open.
    pub fn open(root: &Path) -> io::Result<Self> {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join(LOCK))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another cohort-relay process is using it (stop that one first)",
                ));
            }
            Err(fs::TryLockError::Error(error)) => return Err(error),
        }
        let temporary = root.join(TEMPORARY);
        if temporary.exists() {
            fs::remove_dir_all(&temporary)?;
        }
        create_dir_durably(&temporary)?;
        Ok(Self {
            root: root.to_owned(),
            next_temporary: AtomicU64::new(0),
            quotas: Quotas::default(),
            used: AtomicU64::new(0),
            _lock: lock,
        })
    }

    /// The same store, refusing writes past these quotas.
    pub fn with_quotas(mut self, quotas: Quotas) -> io::Result<Self> {
        if quotas.total.is_some() {
            let mut used = 0;
            for (_, first_dir) in subdirectories(&self.root)? {
                for (_, dir) in subdirectories(&first_dir)? {
                    used += document_bytes(&dir)?;
                }
            }
            self.used = AtomicU64::new(used);
        }
        self.quotas = quotas;
        Ok(self)
    }

    /// Fails if `more` bytes for the document in `dir` would pass a quota.
    fn check_quotas(&self, dir: &Path, more: u64) -> io::Result<()> {
        let over = |what: &str, limit: u64| {
            Err(io::Error::new(
                io::ErrorKind::QuotaExceeded,
                format!("{what} would pass its quota of {} KiB", limit / 1024),
            ))
        };
        if let Some(limit) = self.quotas.per_document
            && document_bytes(dir)? + more > limit
        {
            return over("the group", limit);
        }
        if let Some(limit) = self.quotas.total
            && self.used.load(Ordering::Relaxed) + more > limit
        {
            return over("the relay's storage", limit);
        }
        Ok(())
    }

    fn dir(&self, document: &DocumentId) -> PathBuf {
        // Document ids are base58 (checked when parsed), so they never hold a path separator.
        let (first, rest) = document.as_str().split_at(2);
        self.root.join(first).join(rest)
    }

    /// Everything stored of the document, or `None` if nothing is.
    ///
    /// A torn record at the end of the log is cut off here, and a damaged one before the end
    /// set aside, so the caller must not load a document while it writes to it (the engine
    /// never does).
    pub fn load(&self, document: &DocumentId) -> io::Result<Option<StoredBytes>> {
        self.load_dir(document, &self.dir(document))
    }

    /// Looks for a document where none is ever stored, as [`Self::load`] looks for one never
    /// stored: the same work, so a refusal takes as long as the answer for a group that does
    /// not exist.
    pub fn look_for_nothing(&self, document: &DocumentId) -> io::Result<Option<StoredBytes>> {
        self.load_dir(document, &self.root.join(TEMPORARY).join(NOTHING))
    }

    /// Removes everything stored of the document, durably.
    pub fn delete(&self, document: &DocumentId) -> io::Result<()> {
        let dir = self.dir(document);
        let freed = self.counted_bytes(&document_files(&dir)?)?;
        match fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        }
        self.used.fetch_sub(
            freed.min(self.used.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        match dir.parent() {
            Some(parent) => sync_dir(parent),
            None => Ok(()),
        }
    }

    fn load_dir(&self, document: &DocumentId, dir: &Path) -> io::Result<Option<StoredBytes>> {
        let mut bytes = Vec::new();
        let snapshots = list(&dir.join(SNAPSHOT))?;
        let incremental = list(&dir.join(INCREMENTAL))?;
        let mut snapshot_bytes = 0;
        for (n, file) in snapshots.iter().chain(&incremental).enumerate() {
            bytes.extend_from_slice(&fs::read(file)?);
            if n + 1 == snapshots.len() {
                snapshot_bytes = bytes.len() as u64;
            }
        }
        let log = dir.join(LOG);
        let logged = match fs::read(&log) {
            Ok(logged) => logged,
            Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(error) => return Err(error),
        };
        let read = read_records(&logged, &mut bytes);
        if !read.skipped.is_empty() {
            let aside = dir.join(format!("{LOG}.damaged-{}", crate::access::unix_now()));
            tracing::error!(
                %document,
                skipped = ?read.skipped,
                kept = read.records.len(),
                aside = %aside.display(),
                "skipped damaged records in a change log; kept the others and set the log aside"
            );
            self.replace_log(&log, &aside, &read.records)?;
        } else if read.end < logged.len() {
            tracing::warn!(
                %document,
                kept = read.end,
                dropped = logged.len() - read.end,
                "cut a torn record off the end of a change log"
            );
            let file = OpenOptions::new().write(true).open(&log)?;
            file.set_len(read.end as u64)?;
            file.sync_all()?;
        }
        let files = snapshots.len() + incremental.len();
        if files == 0 && read.records.is_empty() {
            return Ok(None);
        }
        // A reference server's incremental files are appends not yet compacted, as records are.
        let appends = u32::try_from(incremental.len() + read.records.len()).unwrap_or(u32::MAX);
        Ok(Some(StoredBytes {
            appended_bytes: bytes.len() as u64 - snapshot_bytes,
            snapshot_bytes,
            bytes,
            appends,
        }))
    }

    /// Moves a damaged log aside and puts a log of its verified records in its place.
    fn replace_log(&self, log: &Path, aside: &Path, records: &[&[u8]]) -> io::Result<()> {
        let mut fresh = Vec::new();
        for bytes in records {
            fresh.extend_from_slice(&record(bytes)?);
        }
        let temporary = self.write_temporary(&fresh)?;
        fs::rename(log, aside)?;
        fs::rename(&temporary, log)?;
        match log.parent() {
            Some(dir) => sync_dir(dir),
            None => Ok(()),
        }
    }

    /// Adds changes to what is stored: one record at the end of the document's log, fsynced.
    pub fn append(&self, document: &DocumentId, changes: &[u8]) -> io::Result<()> {
        let dir = self.dir(document);
        let record = record(changes)?;
        let length = record.len() as u64;
        self.check_quotas(&dir, length)?;
        let log = dir.join(LOG);
        // The log usually exists: one open, no checks first.
        let (mut file, created) = match OpenOptions::new().append(true).open(&log) {
            Ok(file) => (file, false),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                create_dir_durably(&dir)?;
                let file = OpenOptions::new().create(true).append(true).open(&log)?;
                (file, true)
            }
            Err(error) => return Err(error),
        };
        file.write_all(&record)?;
        file.sync_data()?;
        if created {
            sync_dir(&dir)?;
        }
        self.used.fetch_add(length, Ordering::Relaxed);
        Ok(())
    }

    /// Every document that has a change log: what the reference server would not read.
    pub fn logged_documents(&self) -> io::Result<Vec<DocumentId>> {
        let mut documents = Vec::new();
        for (first, first_dir) in subdirectories(&self.root)? {
            for (rest, rest_dir) in subdirectories(&first_dir)? {
                // A directory whose name is not a document id is not ours to touch.
                if rest_dir.join(LOG).is_file()
                    && let Ok(document) = DocumentId::parse(&format!("{first}{rest}"))
                {
                    documents.push(document);
                }
            }
        }
        Ok(documents)
    }

    /// Stores the whole document, then removes what it replaces.
    pub fn compact(&self, document: &DocumentId, whole: &[u8]) -> io::Result<()> {
        let dir = self.dir(document);
        let snapshots = dir.join(SNAPSHOT);
        let replaced = document_files(&dir)?;
        let freed = self.counted_bytes(&replaced)?;
        create_dir_durably(&snapshots)?;
        let temporary = self.write_temporary(whole)?;
        let kept = snapshots.join(content_name(whole));
        fs::rename(&temporary, &kept)?;
        sync_dir(&snapshots)?;
        for file in replaced.into_iter().filter(|file| *file != kept) {
            fs::remove_file(file)?;
        }
        let used = self.used.load(Ordering::Relaxed) + whole.len() as u64;
        self.used
            .store(used.saturating_sub(freed), Ordering::Relaxed);
        Ok(())
    }
}

impl DiskStore {
    /// Writes bytes to a new file in `.tmp/`, fsynced, for renaming into place.
    fn write_temporary(&self, bytes: &[u8]) -> io::Result<PathBuf> {
        let number = self.next_temporary.fetch_add(1, Ordering::Relaxed);
        let temporary = self.root.join(TEMPORARY).join(number.to_string());
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        Ok(temporary)
    }

    /// The bytes these files hold when the total is counted (a total quota), else nothing:
    /// without one, compaction and deletion need not read their sizes.
    fn counted_bytes(&self, files: &[PathBuf]) -> io::Result<u64> {
        if self.quotas.total.is_none() {
            return Ok(0);
        }
        bytes_of(files)
    }
}

/// A document's files: snapshots, incremental files and log.
fn document_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = list(&dir.join(SNAPSHOT))?;
    files.extend(list(&dir.join(INCREMENTAL))?);
    let log = dir.join(LOG);
    if log.is_file() {
        files.push(log);
    }
    Ok(files)
}

fn bytes_of(files: &[PathBuf]) -> io::Result<u64> {
    files
        .iter()
        .try_fold(0, |bytes, file| Ok(bytes + fs::metadata(file)?.len()))
}

/// The bytes a document's directory holds.
fn document_bytes(dir: &Path) -> io::Result<u64> {
    bytes_of(&document_files(dir)?)
}

/// The data directory's storage id, which the relay announces in its handshake as
/// automerge-repo does (`peerMetadata.storageId`), so a JS application learns what this
/// storage holds of a document (`getSyncInfo`). A random version 4 UUID, made the first time
/// and kept in `<data>/.storage-id`: the same across restarts, new for a new directory.
pub fn storage_id(root: &Path) -> io::Result<String> {
    kept_or_made(&root.join(STORAGE_ID), || {
        let hex = crate::access::random_hex(16)?;
        let variant = ["8", "9", "a", "b"][usize::from(hex.as_bytes()[16] % 4)];
        Ok(format!(
            "{}-{}-4{}-{variant}{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        ))
    })
}

/// The text kept in a file of the data directory, or, the first time, `make`'s, written
/// readable by the relay's user only and fsynced with its directory before it is used.
pub(crate) fn kept_or_made(
    path: &Path,
    make: impl FnOnce() -> io::Result<String>,
) -> io::Result<String> {
    match fs::read_to_string(path) {
        Ok(text) => return Ok(text.trim().to_owned()),
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        Err(_) => {}
    }
    let text = make()?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(text)
}

/// One log record: header, then the bytes.
fn record(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let length = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "changes over 4 GiB"))?;
    let mut record = Vec::with_capacity(HEADER_BYTES + bytes.len());
    record.extend_from_slice(&length.to_le_bytes());
    record.extend_from_slice(&Sha256::digest(bytes)[..CHECKSUM_BYTES]);
    record.extend_from_slice(bytes);
    Ok(record)
}

/// What [`read_records`] found in a log.
struct LogRead<'a> {
    /// The bytes of each record that verified, in order.
    records: Vec<&'a [u8]>,
    /// Where the last record that verified ends.
    end: usize,
    /// Stretches skipped between records that verified: damage, not a torn end.
    skipped: Vec<std::ops::Range<usize>>,
}

/// Appends the bytes of the log's records that verify to `into`. A record that is cut short
/// or fails its checksum is skipped up to the next one that verifies; with none after it, it
/// is a torn end.
fn read_records<'a>(log: &'a [u8], into: &mut Vec<u8>) -> LogRead<'a> {
    let mut read = LogRead {
        records: Vec::new(),
        end: 0,
        skipped: Vec::new(),
    };
    let mut at = 0;
    while at < log.len() {
        if let Some(bytes) = record_at(log, at) {
            into.extend_from_slice(bytes);
            read.records.push(bytes);
            at += HEADER_BYTES + bytes.len();
            read.end = at;
            continue;
        }
        let Some(next) = (at + 1..log.len()).find(|&next| {
            log.get(next + HEADER_BYTES..next + HEADER_BYTES + CHUNK_MAGIC.len())
                == Some(&CHUNK_MAGIC[..])
                && record_at(log, next).is_some()
        }) else {
            break;
        };
        read.skipped.push(at..next);
        at = next;
    }
    read
}

/// The bytes of the record at `at`, if it is whole and matches its checksum.
fn record_at(log: &[u8], at: usize) -> Option<&[u8]> {
    let header = log.get(at..at + HEADER_BYTES)?;
    let (length, checksum) = header.split_at(LENGTH_BYTES);
    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
    let start = at + HEADER_BYTES;
    let bytes = log.get(start..start.checked_add(length)?)?;
    (Sha256::digest(bytes)[..CHECKSUM_BYTES] == *checksum).then_some(bytes)
}

/// The name automerge-repo gives a chunk: the SHA-256 of its bytes, in hex.
fn content_name(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The files in a directory, none if it does not exist.
fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// The directories in `dir` with their names, sorted, leaving out the relay's own (`.tmp`).
fn subdirectories(dir: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() && !name.starts_with('.') {
            dirs.push((name, entry.path()));
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Creates a directory and any missing parents, fsyncing each parent that gained an entry.
pub(crate) fn create_dir_durably(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durably(parent)?;
        match fs::create_dir(dir) {
            Ok(()) => sync_dir(parent)?,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn chunks_load_back_and_compaction_replaces_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskStore::open(dir.path()).unwrap();
        let document = DocumentId::from_bytes([3; 16]);
        assert_eq!(store.load(&document).unwrap(), None);
        store.append(&document, b"one").unwrap();
        store.append(&document, b"two").unwrap();
        let loaded = store.load(&document).unwrap().unwrap().bytes;
        assert_eq!(loaded.len(), 6);
        store.compact(&document, b"whole").unwrap();
        assert_eq!(store.load(&document).unwrap().unwrap().bytes, b"whole");
        store.append(&document, b"three").unwrap();
        let stored = store.load(&document).unwrap().unwrap();
        assert_eq!(
            (stored.appends, stored.appended_bytes, stored.snapshot_bytes),
            (1, 5, 5),
            "one append of 5 bytes after a snapshot of 5"
        );
        let id = document.as_str();
        let path = dir
            .path()
            .join(&id[..2])
            .join(&id[2..])
            .join("snapshot")
            .join(content_name(b"whole"));
        assert!(path.is_file(), "NodeFS layout: {}", path.display());
    }

    #[test]
    fn only_documents_with_a_log_are_listed_for_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskStore::open(dir.path()).unwrap();
        let logged = DocumentId::from_bytes([3; 16]);
        let compacted = DocumentId::from_bytes([4; 16]);
        store.append(&logged, b"one").unwrap();
        store.append(&compacted, b"one").unwrap();
        store.compact(&compacted, b"whole").unwrap();
        // Something else in the data directory, with a log file but not a document's name.
        fs::create_dir_all(dir.path().join("xx/not-an-id")).unwrap();
        fs::write(dir.path().join("xx/not-an-id").join(LOG), b"").unwrap();
        assert_eq!(store.logged_documents().unwrap(), vec![logged]);
    }

    /// A store in a new directory, a document id, and the path of that document's log.
    fn empty_store(id: u8) -> (tempfile::TempDir, DiskStore, DocumentId, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskStore::open(dir.path()).unwrap();
        let document = DocumentId::from_bytes([id; 16]);
        let log = store.dir(&document).join(LOG);
        (dir, store, document, log)
    }

    /// A store whose document has the records "one" and "two" in its log, and the log's path.
    fn two_records() -> (tempfile::TempDir, DiskStore, DocumentId, PathBuf) {
        let (dir, store, document, log) = empty_store(4);
        store.append(&document, b"one").unwrap();
        store.append(&document, b"two").unwrap();
        (dir, store, document, log)
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_appending_carries_on() {
        let (_dir, store, document, log) = two_records();
        let whole = fs::metadata(&log).unwrap().len();
        // A crash in the middle of writing a third record.
        let torn = &record(b"three").unwrap()[..HEADER_BYTES + 2];
        OpenOptions::new()
            .append(true)
            .open(&log)
            .unwrap()
            .write_all(torn)
            .unwrap();

        assert_eq!(store.load(&document).unwrap().unwrap().bytes, b"onetwo");
        assert_eq!(
            fs::metadata(&log).unwrap().len(),
            whole,
            "the torn record is cut off"
        );
        store.append(&document, b"four").unwrap();
        assert_eq!(store.load(&document).unwrap().unwrap().bytes, b"onetwofour");
    }

    #[test]
    fn a_damaged_last_record_is_cut_off_as_torn() {
        let (_dir, store, document, log) = two_records();
        let mut bytes = fs::read(&log).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&log, bytes).unwrap();
        assert_eq!(store.load(&document).unwrap().unwrap().bytes, b"one");
        assert_eq!(fs::read_dir(log.parent().unwrap()).unwrap().count(), 1);
    }

    /// Bytes that begin as an Automerge chunk does.
    fn chunk(text: &str) -> Vec<u8> {
        [&CHUNK_MAGIC[..], text.as_bytes()].concat()
    }

    /// Damages the second of three records (at `offset` into it) and loads the document.
    fn damage_the_middle_record(offset: usize) {
        let (dir, store, document, log) = empty_store(8);
        for text in ["one", "two", "three"] {
            store.append(&document, &chunk(text)).unwrap();
        }
        let original = fs::read(&log).unwrap();
        let mut damaged = original.clone();
        damaged[record(&chunk("one")).unwrap().len() + offset] ^= 0x5a;
        fs::write(&log, &damaged).unwrap();

        let stored = store.load(&document).unwrap().unwrap();
        assert_eq!(stored.bytes, [chunk("one"), chunk("three")].concat());
        assert_eq!(stored.appends, 2);
        let aside: Vec<PathBuf> = fs::read_dir(log.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| *path != log)
            .collect();
        assert_eq!(aside.len(), 1, "the damaged log is kept aside");
        assert_eq!(fs::read(&aside[0]).unwrap(), damaged);

        // The new log holds the records that verified; appending carries on after them.
        store.append(&document, &chunk("four")).unwrap();
        let stored = store.load(&document).unwrap().unwrap();
        assert_eq!(
            stored.bytes,
            [chunk("one"), chunk("three"), chunk("four")].concat()
        );
        drop((store, dir));
    }

    #[test]
    fn a_damaged_record_before_the_end_keeps_the_records_after_it() {
        damage_the_middle_record(HEADER_BYTES + 5);
    }

    #[test]
    fn a_damaged_length_before_the_end_keeps_the_records_after_it() {
        damage_the_middle_record(LENGTH_BYTES - 1);
    }

    #[test]
    fn the_storage_id_is_a_uuid_kept_across_restarts_and_new_for_a_new_directory() {
        let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let id = storage_id(first.path()).unwrap();
        assert_eq!(storage_id(first.path()).unwrap(), id);
        assert_ne!(storage_id(second.path()).unwrap(), id);
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert_eq!(&id[14..15], "4", "version 4: {id}");
        assert!("89ab".contains(&id[19..20]), "variant: {id}");
    }

    #[test]
    fn writes_past_a_quota_are_refused_and_store_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let record_bytes = (HEADER_BYTES + 100) as u64;
        let store = DiskStore::open(dir.path())
            .unwrap()
            .with_quotas(Quotas {
                per_document: Some(2 * record_bytes),
                total: Some(3 * record_bytes),
            })
            .unwrap();
        let (a, b) = (
            DocumentId::from_bytes([9; 16]),
            DocumentId::from_bytes([10; 16]),
        );
        store.append(&a, &[1; 100]).unwrap();
        store.append(&a, &[2; 100]).unwrap();
        let error = store.append(&a, &[3; 100]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::QuotaExceeded);
        assert!(
            error.to_string().contains("the group would pass"),
            "{error}"
        );
        assert_eq!(store.load(&a).unwrap().unwrap().bytes.len(), 200);
        // Compaction shrinks a group, so it is allowed, and frees room.
        store.compact(&a, &[4; 50]).unwrap();
        store.append(&a, &[5; 100]).unwrap();
        // All groups together: a takes 50 + 112, b may take one record, not two.
        store.append(&b, &[6; 100]).unwrap();
        let error = store.append(&b, &[7; 100]).unwrap_err();
        assert!(error.to_string().contains("the relay's storage"), "{error}");
        // Deleting frees room too; the total is counted again when the store opens.
        store.delete(&a).unwrap();
        store.append(&b, &[7; 100]).unwrap();
        drop(store);
        let store = DiskStore::open(dir.path())
            .unwrap()
            .with_quotas(Quotas {
                per_document: None,
                total: Some(3 * record_bytes),
            })
            .unwrap();
        store.append(&a, &[8; 100]).unwrap();
        assert!(store.append(&a, &[8; 100]).is_err());
    }

    #[test]
    fn a_second_process_cannot_open_a_directory_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let first = DiskStore::open(dir.path()).unwrap();
        fs::write(
            dir.path().join(TEMPORARY).join("0"),
            b"a snapshot being written",
        )
        .unwrap();
        let error = DiskStore::open(dir.path()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(
            fs::read_dir(dir.path().join(TEMPORARY)).unwrap().count(),
            1,
            "the running store's temporary files are left alone"
        );
        drop(first);
        DiskStore::open(dir.path()).unwrap();
    }

    #[test]
    fn an_empty_log_is_nothing_stored() {
        let (_dir, store, document, log) = empty_store(6);
        fs::create_dir_all(log.parent().unwrap()).unwrap();
        File::create(&log).unwrap();
        assert_eq!(store.load(&document).unwrap(), None);
    }

    #[test]
    fn reference_files_and_the_log_load_together_and_compact_away() {
        let (_dir, store, document, log) = empty_store(7);
        let documents = log.parent().unwrap();
        // What the reference sync server wrote before the switch.
        for (kind, bytes) in [(SNAPSHOT, &b"old"[..]), (INCREMENTAL, b"-ref")] {
            fs::create_dir_all(documents.join(kind)).unwrap();
            fs::write(documents.join(kind).join(content_name(bytes)), bytes).unwrap();
        }
        store.append(&document, b"-ours").unwrap();
        assert_eq!(
            store.load(&document).unwrap().unwrap().bytes,
            b"old-ref-ours"
        );

        store.compact(&document, b"new").unwrap();
        assert_eq!(store.load(&document).unwrap().unwrap().bytes, b"new");
        assert!(!log.exists());
        assert_eq!(
            fs::read_dir(documents.join(INCREMENTAL)).unwrap().count(),
            0
        );
    }

    #[test]
    fn leftover_temporary_files_are_cleared_and_never_loaded() {
        let dir = tempfile::tempdir().unwrap();
        DiskStore::open(dir.path()).unwrap();
        fs::write(dir.path().join(TEMPORARY).join("7"), b"half a chunk").unwrap();
        DiskStore::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path().join(TEMPORARY)).unwrap().count(), 0);
    }
}
