//! Documents on local disk, in automerge-repo's NodeFS layout, written crash-safely.
//!
//! A document `2x7…` lives in `<data>/2x/7…/`: whole-document snapshots in `snapshot/` and
//! changes in `incremental/`, one file each, loaded by concatenating them. This is the layout
//! the reference sync server writes, so the relay serves its data directory as it is (and it
//! can read ours).
//!
//! Every file is written to `<data>/.tmp/`, fsynced, renamed into place and its directory
//! fsynced, so after a crash a file is either whole or absent. Compaction writes the snapshot
//! that way first and only then deletes the files the snapshot replaces.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cohort_sync::DocumentId;
use sha2::{Digest, Sha256};

const SNAPSHOT: &str = "snapshot";
const INCREMENTAL: &str = "incremental";
const TEMPORARY: &str = ".tmp";

#[derive(Debug)]
pub struct DiskStore {
    root: PathBuf,
    next_temporary: AtomicU64,
}

impl DiskStore {
    /// Opens the data directory, removing temporary files a crash left behind.
    pub fn open(root: &Path) -> io::Result<Self> {
        let temporary = root.join(TEMPORARY);
        if temporary.exists() {
            fs::remove_dir_all(&temporary)?;
        }
        create_dir_durably(&temporary)?;
        Ok(Self {
            root: root.to_owned(),
            next_temporary: AtomicU64::new(0),
        })
    }

    fn dir(&self, document: &DocumentId) -> PathBuf {
        // Document ids are base58 (checked when parsed), so they never hold a path separator.
        let (first, rest) = document.as_str().split_at(2);
        self.root.join(first).join(rest)
    }

    /// Everything stored of the document, or `None` if nothing is.
    pub fn load(&self, document: &DocumentId) -> io::Result<Option<Vec<u8>>> {
        let dir = self.dir(document);
        let mut bytes = Vec::new();
        let mut found = false;
        for kind in [SNAPSHOT, INCREMENTAL] {
            for file in list(&dir.join(kind))? {
                bytes.extend_from_slice(&fs::read(file)?);
                found = true;
            }
        }
        Ok(found.then_some(bytes))
    }

    /// Adds changes to what is stored.
    pub fn append(&self, document: &DocumentId, changes: &[u8]) -> io::Result<()> {
        self.write(&self.dir(document).join(INCREMENTAL), changes)
    }

    /// Stores the whole document, then removes what it replaces.
    pub fn compact(&self, document: &DocumentId, whole: &[u8]) -> io::Result<()> {
        let dir = self.dir(document);
        let mut replaced = list(&dir.join(SNAPSHOT))?;
        replaced.extend(list(&dir.join(INCREMENTAL))?);
        self.write(&dir.join(SNAPSHOT), whole)?;
        let kept = dir.join(SNAPSHOT).join(content_name(whole));
        for file in replaced.into_iter().filter(|file| *file != kept) {
            fs::remove_file(file)?;
        }
        Ok(())
    }

    fn write(&self, dir: &Path, bytes: &[u8]) -> io::Result<()> {
        create_dir_durably(dir)?;
        let number = self.next_temporary.fetch_add(1, Ordering::Relaxed);
        let temporary = self.root.join(TEMPORARY).join(number.to_string());
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, dir.join(content_name(bytes)))?;
        sync_dir(dir)
    }
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

/// Creates a directory and any missing parents, fsyncing each parent that gained an entry.
fn create_dir_durably(dir: &Path) -> io::Result<()> {
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

fn sync_dir(dir: &Path) -> io::Result<()> {
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
        let loaded = store.load(&document).unwrap().unwrap();
        assert_eq!(loaded.len(), 6);
        store.compact(&document, b"whole").unwrap();
        assert_eq!(store.load(&document).unwrap().unwrap(), b"whole");
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
    fn leftover_temporary_files_are_cleared_and_never_loaded() {
        let dir = tempfile::tempdir().unwrap();
        DiskStore::open(dir.path()).unwrap();
        fs::write(dir.path().join(TEMPORARY).join("7"), b"half a chunk").unwrap();
        DiskStore::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path().join(TEMPORARY)).unwrap().count(), 0);
    }
}
