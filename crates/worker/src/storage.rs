//! Groups in IndexedDB: a catalogue, each group's Automerge bytes as a snapshot followed by
//! appended changes, and a cached view per group.
//!
//! Stores (database `cohort`, version 2):
//! - `groups`: group id → postcard [`GroupSummary`].
//! - `chunks`: `[group id, seq]` → Automerge bytes. The lowest seq is a snapshot (or the
//!   first change); each local change appends one chunk. Compaction writes a new snapshot
//!   and deletes the chunks below it in the same transaction, so a crash leaves either the
//!   old chunks or the new snapshot, never neither.
//! - `views`: group id → postcard [`CachedView`], the view to show before the document loads.
//! - `synced` (since version 2): group id → postcard [`Millis`], when the relay last had every
//!   change of the group this device had (milliseconds since the Unix epoch). Shown offline.

use cohort_model::protocol::{GroupSummary, StorageFailure};
use cohort_model::{GroupId, Millis, protocol};
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
const VERSION: u32 = 2;

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

/// The stored bytes of one group.
#[derive(Debug, Default)]
pub struct StoredGroup {
    /// Every chunk, in order, concatenated: `Automerge::load` reads them as one.
    pub bytes: Vec<u8>,
    /// The number of chunks.
    pub chunks: u32,
    /// The seq the next appended chunk gets.
    pub next_seq: u32,
}

/// An open IndexedDB database.
#[derive(Debug, Clone)]
pub struct Storage {
    db: Database,
}

fn chunk_key(group: &GroupId, seq: u32) -> JsValue {
    Array::of2(&group.to_string().into(), &seq.into()).into()
}

/// Keys `[group, n]` with `from <= n < to`.
fn chunk_range(group: &GroupId, from: u32, to: Option<u32>) -> KeyRange<JsValue> {
    let id: JsValue = group.to_string().into();
    let lower = Array::of2(&id, &from.into()).into();
    match to {
        Some(to) => KeyRange::Bound(lower, false, chunk_key(group, to), true),
        // An array sorts after every number, so [group, []] is above every [group, seq].
        None => KeyRange::Bound(lower, false, Array::of2(&id, &Array::new()).into(), false),
    }
}

fn bytes_value(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

fn value_bytes(value: &JsValue) -> Vec<u8> {
    Uint8Array::new(value).to_vec()
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

    /// Every group in this browser, by name.
    pub async fn groups(&self) -> Result<Vec<GroupSummary>, StorageError> {
        let tx = self.db.transaction(GROUPS).build()?;
        let values: Vec<JsValue> = tx
            .object_store(GROUPS)?
            .get_all::<JsValue>()
            .await?
            .collect::<Result<_, _>>()?;
        let mut groups = values
            .iter()
            .map(|value| protocol::decode::<GroupSummary>(&value_bytes(value)))
            .collect::<Result<Vec<_>, _>>()?;
        groups.sort_by_key(|group| group.name.to_lowercase());
        Ok(groups)
    }

    /// Adds or renames a group in the catalogue.
    pub async fn put_summary(&self, summary: &GroupSummary) -> Result<(), StorageError> {
        self.put(GROUPS, &summary.id, &protocol::encode(summary))
            .await
    }

    /// The bytes stored for a group in one of the stores keyed by group id.
    async fn get(&self, store: &str, group: &GroupId) -> Result<Option<Vec<u8>>, StorageError> {
        let tx = self.db.transaction(store).build()?;
        let value: Option<JsValue> = tx.object_store(store)?.get(group.to_string()).await?;
        Ok(value.map(|value| value_bytes(&value)))
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

    /// Stores a new group: its catalogue entry and its first bytes, together.
    pub async fn create(&self, summary: &GroupSummary, bytes: &[u8]) -> Result<(), StorageError> {
        let tx = self.writing([GROUPS, CHUNKS])?;
        tx.object_store(GROUPS)?
            .put(bytes_value(&protocol::encode(summary)))
            .with_key(summary.id.to_string())
            .await?;
        tx.object_store(CHUNKS)?
            .put(bytes_value(bytes))
            .with_key(chunk_key(&summary.id, 0))
            .await?;
        commit(tx).await
    }

    pub async fn summary(&self, group: &GroupId) -> Result<Option<GroupSummary>, StorageError> {
        let bytes = self.get(GROUPS, group).await?;
        Ok(bytes.map(|bytes| protocol::decode(&bytes)).transpose()?)
    }

    /// Removes a group and everything stored for it, in one transaction.
    pub async fn delete(&self, group: &GroupId) -> Result<(), StorageError> {
        let tx = self.writing([GROUPS, CHUNKS, VIEWS, SYNCED])?;
        tx.object_store(GROUPS)?.delete(group.to_string()).await?;
        tx.object_store(VIEWS)?.delete(group.to_string()).await?;
        tx.object_store(SYNCED)?.delete(group.to_string()).await?;
        tx.object_store(CHUNKS)?
            .delete::<JsValue, _>(chunk_range(group, 0, None))
            .await?;
        commit(tx).await
    }

    /// The group's stored bytes.
    pub async fn load(&self, group: &GroupId) -> Result<StoredGroup, StorageError> {
        let tx = self.db.transaction(CHUNKS).build()?;
        let store = tx.object_store(CHUNKS)?;
        let keys: Vec<JsValue> = store
            .get_all_keys::<JsValue>()
            .with_query::<JsValue, _>(chunk_range(group, 0, None))
            .await?
            .collect::<Result<_, _>>()?;
        let values: Vec<JsValue> = store
            .get_all::<JsValue>()
            .with_query::<JsValue, _>(chunk_range(group, 0, None))
            .await?
            .collect::<Result<_, _>>()?;
        let last_seq = keys.last().and_then(|key| Array::from(key).get(1).as_f64());
        let mut stored = StoredGroup {
            chunks: values.len() as u32,
            next_seq: last_seq.map_or(0, |seq| seq as u32 + 1),
            bytes: Vec::new(),
        };
        for value in &values {
            stored.bytes.extend(value_bytes(value));
        }
        Ok(stored)
    }

    /// Appends one chunk (a change or several) to a group.
    pub async fn append(
        &self,
        group: &GroupId,
        seq: u32,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        let tx = self.writing(CHUNKS)?;
        tx.object_store(CHUNKS)?
            .put(bytes_value(bytes))
            .with_key(chunk_key(group, seq))
            .await?;
        commit(tx).await
    }

    /// Replaces every chunk below `seq` with `snapshot` stored at `seq`, atomically.
    pub async fn compact(
        &self,
        group: &GroupId,
        seq: u32,
        snapshot: &[u8],
    ) -> Result<(), StorageError> {
        let tx = self.writing(CHUNKS)?;
        let store = tx.object_store(CHUNKS)?;
        store
            .put(bytes_value(snapshot))
            .with_key(chunk_key(group, seq))
            .await?;
        store
            .delete::<JsValue, _>(chunk_range(group, 0, Some(seq)))
            .await?;
        commit(tx).await
    }

    /// The cached view of a group, if any.
    pub async fn view(&self, group: &GroupId) -> Result<Option<Vec<u8>>, StorageError> {
        self.get(VIEWS, group).await
    }

    pub async fn put_view(&self, group: &GroupId, view: &[u8]) -> Result<(), StorageError> {
        self.put(VIEWS, group, view).await
    }

    /// When the relay last had every change of the group that this device had, if ever.
    pub async fn synced_at(&self, group: &GroupId) -> Result<Option<Millis>, StorageError> {
        let bytes = self.get(SYNCED, group).await?;
        Ok(bytes.map(|bytes| protocol::decode(&bytes)).transpose()?)
    }

    pub async fn put_synced_at(&self, group: &GroupId, at: Millis) -> Result<(), StorageError> {
        self.put(SYNCED, group, &protocol::encode(&at)).await
    }
}
