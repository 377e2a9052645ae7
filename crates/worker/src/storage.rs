//! Groups in IndexedDB: a catalogue, each group's Automerge bytes as snapshots and appended
//! changes, and a cached view per group. What is written when is decided by the worker's core
//! ([`crate::core`]); this module only carries out its [`StorageOp`]s.
//!
//! Stores (database `cohort`, version 3):
//! - `groups`: group id → postcard [`GroupSummary`].
//! - `chunks`: Automerge bytes, keyed by their content so that any number of tabs can write the
//!   same group: `[group id, "snapshot", SHA-256 of the heads]` for a whole document and
//!   `[group id, "incremental", SHA-256 of the bytes]` for changes, as automerge-repo's
//!   IndexedDB storage keys them. A compaction writes a snapshot and deletes the chunks it
//!   names (those its snapshot contains) in one transaction, so a crash leaves either the old
//!   chunks or the new snapshot, never neither, and a chunk another tab wrote meanwhile stays.
//!   Versions 1 and 2 keyed chunks `[group id, seq]`; such chunks are still read, and replaced
//!   by the next compaction. (An older Cohort in another tab, which would overwrite numbered
//!   keys it did not read, cannot open a version 3 database.)
//! - `views`: group id → postcard `CachedView`, the view to show before the document loads.
//! - `updates` (since version 3): `[group id, millis, chunk hash]` → postcard `(format, list of
//!   encoded `Updated` messages)`: what a stored chunk changed in the view, written in the same
//!   transaction as the chunk, so that a reopened group shows every stored change at once.
//!   Saving the view deletes the updates it contains.
//! - `synced` (since version 2): group id → postcard `Millis`, when the relay last had every
//!   change of the group this device had (milliseconds since the Unix epoch). Shown offline.
//! - `reports` (since version 4): group id → postcard `analytics::Report`, the analytics
//!   report last worked out, drawn at once when the analytics page opens the group.

use cohort_model::protocol::{GroupSummary, StorageFailure};

use crate::core::{Chunk, ChunkKey, StorageOp, Stored, StoredGroup, UpdateKey, ViewUpdate};
use cohort_model::{GroupId, protocol};
use indexed_db_futures::KeyRange;
use indexed_db_futures::database::{Database, ObjectStoreName};
use indexed_db_futures::error::{DomException, Error, OpenDbError, UnexpectedDataError};
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

const GROUPS: &str = "groups";
const CHUNKS: &str = "chunks";
const VIEWS: &str = "views";
const SYNCED: &str = "synced";
const UPDATES: &str = "updates";
const REPORTS: &str = "reports";
const VERSION: u32 = 4;

/// What went wrong with IndexedDB, sorted by what the organizer can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage quota exceeded")]
    QuotaExceeded,
    #[error("the database upgrade is blocked by another tab")]
    Blocked,
    #[error("IndexedDB is not available: {0}")]
    Unavailable(String),
    #[error("IndexedDB failed: {0}")]
    Failed(String),
    #[error("stored data could not be read: {0}")]
    Unreadable(#[from] protocol::BadMessage),
}

impl From<StorageError> for StorageFailure {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::QuotaExceeded => Self::QuotaExceeded,
            StorageError::Blocked => Self::Blocked,
            StorageError::Unavailable(why) => Self::Unavailable(why),
            StorageError::Failed(why) => Self::Failed(why),
            StorageError::Unreadable(why) => Self::Failed(why.to_string()),
        }
    }
}

fn is_quota(name: &str) -> bool {
    name == "QuotaExceededError"
}

impl From<Error> for StorageError {
    fn from(error: Error) -> Self {
        match error {
            Error::DomException(DomException::Other(e)) if is_quota(&e.name()) => {
                Self::QuotaExceeded
            }
            Error::DomException(DomException::InvalidStateError(_)) => {
                // The connection was closed because another tab upgraded the database.
                Self::Blocked
            }
            other => Self::Failed(other.to_string()),
        }
    }
}

/// An open IndexedDB database.
#[derive(Debug, Clone)]
pub struct Storage {
    db: Database,
}

fn chunk_key(group: &GroupId, key: &ChunkKey) -> JsValue {
    let id: JsValue = group.to_string().into();
    match key {
        ChunkKey::Numbered(seq) => Array::of2(&id, &(*seq).into()),
        ChunkKey::Snapshot(hash) => Array::of3(&id, &"snapshot".into(), &hash.into()),
        ChunkKey::Incremental(hash) => Array::of3(&id, &"incremental".into(), &hash.into()),
    }
    .into()
}

/// The [`ChunkKey`] of a stored key, if it is one.
fn read_chunk_key(key: &JsValue) -> Option<ChunkKey> {
    let parts = Array::from(key);
    let second = parts.get(1);
    if let Some(seq) = second.as_f64() {
        return Some(ChunkKey::Numbered(seq as u32));
    }
    let hash = parts.get(2).as_string()?;
    match second.as_string()?.as_str() {
        "snapshot" => Some(ChunkKey::Snapshot(hash)),
        "incremental" => Some(ChunkKey::Incremental(hash)),
        _ => None,
    }
}

fn update_key(group: &GroupId, key: &UpdateKey) -> JsValue {
    let at = JsValue::from_f64(key.at as f64);
    Array::of3(&group.to_string().into(), &at, &key.chunk.as_str().into()).into()
}

fn read_update_key(key: &JsValue) -> Option<UpdateKey> {
    let parts = Array::from(key);
    Some(UpdateKey {
        at: parts.get(1).as_f64()? as cohort_model::Millis,
        chunk: parts.get(2).as_string()?,
    })
}

/// Every key of a group in `chunks` or `updates`: `[group, …]`. Numbers sort before strings and
/// strings before arrays, so `[group, 0]` to `[group, []]` holds every key that starts with the
/// group, whatever follows.
fn chunk_range(group: &GroupId) -> KeyRange<JsValue> {
    let id: JsValue = group.to_string().into();
    KeyRange::Bound(
        Array::of2(&id, &0.into()).into(),
        false,
        Array::of2(&id, &Array::new()).into(),
        false,
    )
}

fn bytes_value(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

fn value_bytes(value: &JsValue) -> Vec<u8> {
    Uint8Array::new(value).to_vec()
}

/// Every key and value of a group in a store keyed `[group, …]`.
async fn entries(
    store: &str,
    group: &GroupId,
    tx: &Transaction<'_>,
) -> Result<Vec<(JsValue, JsValue)>, StorageError> {
    let store = tx.object_store(store)?;
    let keys: Vec<JsValue> = store
        .get_all_keys::<JsValue>()
        .with_query::<JsValue, _>(chunk_range(group))
        .await?
        .collect::<Result<_, _>>()?;
    let values: Vec<JsValue> = store
        .get_all::<JsValue>()
        .with_query::<JsValue, _>(chunk_range(group))
        .await?
        .collect::<Result<_, _>>()?;
    Ok(keys.into_iter().zip(values).collect())
}

/// Commits a read-write transaction, telling a full disk from other failures (the browser
/// reports quota as an abort whose reason is on the transaction).
async fn commit(tx: Transaction<'_>) -> Result<(), StorageError> {
    let raw: web_sys::IdbTransaction = tx.as_sys().clone().unchecked_into();
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(Error::MissingData(UnexpectedDataError::TransactionAborted)) => {
            match raw.error().map(|e| e.name()) {
                Some(name) if is_quota(&name) => Err(StorageError::QuotaExceeded),
                Some(name) => Err(StorageError::Failed(name)),
                None => Err(StorageError::Failed("the save was aborted".into())),
            }
        }
        Err(other) => Err(other.into()),
    }
}

impl Storage {
    /// A read-write transaction over `stores`; commit it with [`commit`].
    fn writing<S: ObjectStoreName>(&self, stores: S) -> Result<Transaction<'_>, StorageError> {
        Ok(self
            .db
            .transaction(stores)
            .with_mode(TransactionMode::Readwrite)
            .build()?)
    }

    /// Opens (and if needed creates) the database. `on_blocked` runs if another tab holds an
    /// older version open; the open then waits until that tab closes it.
    pub async fn open(
        name: &str,
        on_blocked: impl FnOnce() + 'static,
    ) -> Result<Self, StorageError> {
        let db = Database::open(name)
            .with_version(VERSION)
            .with_on_blocked(move |_| {
                on_blocked();
                Ok(())
            })
            .with_on_upgrade_needed(|event, db| {
                // Each version adds to the one before, so a database of any age comes up to date.
                if event.old_version() < 1.0 {
                    db.create_object_store(GROUPS).build()?;
                    db.create_object_store(CHUNKS).build()?;
                    db.create_object_store(VIEWS).build()?;
                }
                if event.old_version() < 2.0 {
                    db.create_object_store(SYNCED).build()?;
                }
                if event.old_version() < 3.0 {
                    db.create_object_store(UPDATES).build()?;
                }
                if event.old_version() < 4.0 {
                    db.create_object_store(REPORTS).build()?;
                }
                Ok(())
            })
            .await
            .map_err(|error| match error {
                OpenDbError::Base(error) => StorageError::from(error),
                other => StorageError::Unavailable(other.to_string()),
            })?;
        // Let a newer version in another tab upgrade: close this connection when it asks.
        let connection = db.clone();
        let on_version_change = Closure::<dyn FnMut()>::new(move || connection.as_sys().close());
        db.as_sys()
            .set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        on_version_change.forget();
        Ok(Self { db })
    }

    /// Every group in this browser.
    async fn groups(&self) -> Result<Vec<GroupSummary>, StorageError> {
        let tx = self.db.transaction(GROUPS).build()?;
        let values: Vec<JsValue> = tx
            .object_store(GROUPS)?
            .get_all::<JsValue>()
            .await?
            .collect::<Result<_, _>>()?;
        Ok(values
            .iter()
            .map(|value| protocol::decode::<GroupSummary>(&value_bytes(value)))
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Adds or renames a group in the catalogue.
    async fn put_summary(&self, summary: &GroupSummary) -> Result<(), StorageError> {
        self.put(GROUPS, &summary.id, &protocol::encode(summary))
            .await
    }

    /// Replaces the bytes stored for a group in one of the stores keyed by group id.
    async fn put(&self, store: &str, group: &GroupId, bytes: &[u8]) -> Result<(), StorageError> {
        let tx = self.writing(store)?;
        tx.object_store(store)?
            .put(bytes_value(bytes))
            .with_key(group.to_string())
            .await?;
        commit(tx).await
    }

    /// Carries out one of the core's storage operations.
    pub async fn run(&self, op: StorageOp) -> Result<Stored, StorageError> {
        match op {
            StorageOp::ListGroups => return self.groups().await.map(Stored::Groups),
            StorageOp::Read(group) => return self.read(&group).await.map(Stored::Group),
            StorageOp::ReadChunks(group) => {
                return self.read_chunks(&group).await.map(Stored::Chunks);
            }
            StorageOp::Create { summary, chunk } | StorageOp::Rename { summary, chunk } => {
                self.put_summary_and_chunk(&summary, &chunk).await?
            }
            StorageOp::Append {
                group,
                chunk,
                update,
            } => self.append(&group, &chunk, update.as_ref()).await?,
            StorageOp::Compact {
                group,
                snapshot,
                replaces,
            } => self.compact(&group, &snapshot, &replaces).await?,
            StorageOp::PutSummary(summary) => self.put_summary(&summary).await?,
            StorageOp::PutView {
                group,
                view,
                replaces,
            } => self.put_view(&group, &view, &replaces).await?,
            StorageOp::PutSyncedAt { group, at } => {
                self.put(SYNCED, &group, &protocol::encode(&at)).await?
            }
            StorageOp::PutReport { group, report } => self.put(REPORTS, &group, &report).await?,
            StorageOp::Delete(group) => self.delete(&group).await?,
        }
        Ok(Stored::Done)
    }

    /// Stores a catalogue entry and a chunk of the same group, together: a new group, or a
    /// renamed one with its change.
    async fn put_summary_and_chunk(
        &self,
        summary: &GroupSummary,
        chunk: &Chunk,
    ) -> Result<(), StorageError> {
        let tx = self.writing([GROUPS, CHUNKS])?;
        tx.object_store(GROUPS)?
            .put(bytes_value(&protocol::encode(summary)))
            .with_key(summary.id.to_string())
            .await?;
        tx.object_store(CHUNKS)?
            .put(bytes_value(&chunk.bytes))
            .with_key(chunk_key(&summary.id, &chunk.key))
            .await?;
        commit(tx).await
    }

    /// Removes a group and everything stored for it, in one transaction.
    async fn delete(&self, group: &GroupId) -> Result<(), StorageError> {
        let tx = self.writing([GROUPS, CHUNKS, VIEWS, SYNCED, UPDATES, REPORTS])?;
        for store in [GROUPS, VIEWS, SYNCED, REPORTS] {
            tx.object_store(store)?.delete(group.to_string()).await?;
        }
        for store in [CHUNKS, UPDATES] {
            tx.object_store(store)?
                .delete::<JsValue, _>(chunk_range(group))
                .await?;
        }
        commit(tx).await
    }

    /// What is stored for a group but its chunks, read in one transaction: what one tab reads is
    /// what storage held at one moment, whatever other tabs write meanwhile.
    pub async fn read(&self, group: &GroupId) -> Result<StoredGroup, StorageError> {
        let tx = self
            .db
            .transaction([GROUPS, VIEWS, SYNCED, UPDATES, REPORTS])
            .build()?;
        let tx = &tx;
        let by_id = |store| async move {
            let value: Option<JsValue> = tx.object_store(store)?.get(group.to_string()).await?;
            Ok::<_, StorageError>(value.map(|value| value_bytes(&value)))
        };
        let summary = by_id(GROUPS).await?;
        let view = by_id(VIEWS).await?;
        let synced_at = by_id(SYNCED).await?;
        let report = by_id(REPORTS).await?;
        let updates = entries(UPDATES, group, tx)
            .await?
            .into_iter()
            .filter_map(|(key, value)| {
                Some(ViewUpdate {
                    key: read_update_key(&key)?,
                    messages: value_bytes(&value),
                })
            })
            .collect();
        Ok(StoredGroup {
            summary: summary.map(|bytes| protocol::decode(&bytes)).transpose()?,
            view,
            updates,
            synced_at: synced_at
                .map(|bytes| protocol::decode(&bytes))
                .transpose()?,
            report,
        })
    }

    /// A group's chunks, in one transaction.
    pub async fn read_chunks(&self, group: &GroupId) -> Result<Vec<Chunk>, StorageError> {
        let tx = self.db.transaction(CHUNKS).build()?;
        Ok(entries(CHUNKS, group, &tx)
            .await?
            .into_iter()
            .filter_map(|(key, value)| {
                Some(Chunk {
                    key: read_chunk_key(&key)?,
                    bytes: value_bytes(&value),
                })
            })
            .collect())
    }

    /// Stores one chunk of changes and, with it, what they changed in the view.
    async fn append(
        &self,
        group: &GroupId,
        chunk: &Chunk,
        update: Option<&ViewUpdate>,
    ) -> Result<(), StorageError> {
        let tx = self.writing([CHUNKS, UPDATES])?;
        tx.object_store(CHUNKS)?
            .put(bytes_value(&chunk.bytes))
            .with_key(chunk_key(group, &chunk.key))
            .await?;
        if let Some(update) = update {
            tx.object_store(UPDATES)?
                .put(bytes_value(&update.messages))
                .with_key(update_key(group, &update.key))
                .await?;
        }
        commit(tx).await
    }

    /// Stores a group's view and deletes the view updates it replaces.
    async fn put_view(
        &self,
        group: &GroupId,
        view: &[u8],
        replaces: &[UpdateKey],
    ) -> Result<(), StorageError> {
        let tx = self.writing([VIEWS, UPDATES])?;
        tx.object_store(VIEWS)?
            .put(bytes_value(view))
            .with_key(group.to_string())
            .await?;
        let updates = tx.object_store(UPDATES)?;
        for key in replaces {
            updates.delete(update_key(group, key)).await?;
        }
        commit(tx).await
    }

    /// Stores `snapshot` and deletes the chunks it `replaces`, atomically.
    async fn compact(
        &self,
        group: &GroupId,
        snapshot: &Chunk,
        replaces: &[ChunkKey],
    ) -> Result<(), StorageError> {
        let tx = self.writing(CHUNKS)?;
        let store = tx.object_store(CHUNKS)?;
        store
            .put(bytes_value(&snapshot.bytes))
            .with_key(chunk_key(group, &snapshot.key))
            .await?;
        for key in replaces.iter().filter(|key| **key != snapshot.key) {
            store.delete(chunk_key(group, key)).await?;
        }
        commit(tx).await
    }
}
