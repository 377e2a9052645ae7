//! Who changed what, and undo (see "Change history" in `docs/schema.md`).
//!
//! Nothing is kept beside the document. Automerge keeps every change with its author (the
//! device that wrote it, an [`Author`]) and its time; each change this build writes names in
//! its message the records it touched ([`Note`]); and the group's `organizers` map gives each
//! device's organizer a name. [`History`] indexes the notes once, then only the changes that
//! arrive after, so that the feed and a record's page are cheap at 10,000 members (reading
//! every operation of such a group takes over a second natively). Which fields a change set is
//! read from its operations, only for the changes a record's page shows.
//!
//! Undo is a new change: for each field the undone change set, it puts back the value the
//! field had before, unless someone changed that field since (then the field is kept, and the
//! organizer is told). Fields are the keys of maps; a list or a text counts as the one field
//! that holds it, so an undone status change takes its entry out of the status history too.

use std::collections::{BTreeMap, HashSet};

use automerge::legacy::{Key, ObjectId};
use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{
    Author, Automerge, AutomergeError, ChangeHash, ObjType, PatchLog, Prop, ROOT, ReadDoc, Value,
    ValueRef, hydrate,
};
use serde::{Deserialize, Serialize};

use super::{GroupDoc, Touched, key, obj_at};
use crate::Millis;

/// A record of the group: its collection's key in the document (`members`, `activities`, …)
/// and its id there. The profile is `profile` with an empty id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordKey {
    pub collection: String,
    pub id: String,
}

/// The keys of the collections whose records have a page of their own or a name.
pub mod collection {
    pub use super::super::key::{
        ACTIVITIES, APPLICATIONS, DIGESTS, FEEDBACK, MEMBERS, PROFILE, ROLES, TOUCHPOINTS,
        TRAININGS,
    };
}

impl RecordKey {
    pub fn member(id: &crate::MemberId) -> Self {
        Self::new(collection::MEMBERS, id.as_str())
    }

    pub fn activity(id: &crate::ActivityId) -> Self {
        Self::new(collection::ACTIVITIES, id.as_str())
    }

    pub fn training(id: &crate::TrainingId) -> Self {
        Self::new(collection::TRAININGS, id.as_str())
    }

    fn new(collection: &str, id: &str) -> Self {
        Self {
            collection: collection.to_owned(),
            id: id.to_owned(),
        }
    }
}

/// The field of a record's history meaning the record itself was added.
pub const ADDED: &str = "+";
/// The field of a record's history meaning the record itself was removed.
pub const REMOVED: &str = "-";

/// Messages of changes this build writes start so; the rest is a [`Note`] as JSON.
const NOTE_PREFIX: &str = "cohort ";
/// The most records an entry of the history names (the page shows fewer; an import's entry
/// would otherwise carry a thousand).
const ENTRY_NAMES: usize = 10;
/// How many of an organizer's latest changes undo looks through for one it can undo.
const UNDO_LOOKS_BACK: usize = 50;
/// The most records a change's note names; an import of more names these and counts the rest
/// (a record's page still finds the change that added it, by the record's object id).
const MAX_NAMED: usize = 1_000;

/// What a change's message says: the records it touched, and the change it undid.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Note {
    #[serde(default, rename = "r", skip_serializing_if = "Vec::is_empty")]
    records: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "is_zero")]
    more: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    undo: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Note {
    fn new(records: Vec<RecordKey>, undo: Option<ChangeHash>) -> Self {
        let more = records.len().saturating_sub(MAX_NAMED);
        Self {
            records: records
                .into_iter()
                .take(MAX_NAMED)
                .map(|record| (record.collection, record.id))
                .collect(),
            more,
            undo: undo.map(|hash| hash.to_string()),
        }
    }

    fn message(&self) -> String {
        // Plain strings and numbers: serialising cannot fail.
        format!(
            "{NOTE_PREFIX}{}",
            serde_json::to_string(self).unwrap_or_default()
        )
    }

    fn read(message: &str) -> Option<Self> {
        serde_json::from_str(message.strip_prefix(NOTE_PREFIX)?).ok()
    }
}

/// The commit options of a change made at `at` that touched `records`.
pub(super) fn commit_options(
    records: Vec<RecordKey>,
    undo: Option<ChangeHash>,
    at: Millis,
) -> CommitOptions {
    CommitOptions::default()
        .with_message(Note::new(records, undo).message())
        .with_time(at.div_euclid(1000))
}

/// The device an author is: its bytes are the device id the page made, as text.
fn device_of(author: &Author<'_>) -> String {
    String::from_utf8_lossy(author.as_bytes()).into_owned()
}

/// The organizer writing on this device: the author of its changes, and the name the group
/// knows them by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organizer {
    pub device: String,
    pub name: String,
}

/// Writes the organizer's name under their device, unless the group has it already.
pub(super) fn name_organizer(
    tx: &mut Transaction<'_>,
    organizer: &Organizer,
) -> Result<(), AutomergeError> {
    let Some(organizers) = obj_at(tx, &ROOT, key::ORGANIZERS) else {
        return Ok(());
    };
    let known = match tx.get(&organizers, organizer.device.as_str())? {
        Some((Value::Scalar(name), _)) => name.as_str() == Some(organizer.name.as_str()),
        _ => false,
    };
    if !known && !organizer.name.is_empty() {
        tx.put(
            &organizers,
            organizer.device.as_str(),
            organizer.name.as_str(),
        )?;
    }
    Ok(())
}

/// The group's organizers: device → name.
pub fn organizers(doc: &Automerge) -> BTreeMap<String, String> {
    let Some(organizers) = obj_at(doc, &ROOT, key::ORGANIZERS) else {
        return BTreeMap::new();
    };
    doc.map_range(&organizers, ..)
        .filter_map(|item| match item.value {
            ValueRef::Scalar(automerge::ScalarValueRef::Str(name)) => {
                Some((item.key.to_string(), name.into_owned()))
            }
            ValueRef::Scalar(_) | ValueRef::Object(_) => None,
        })
        .collect()
}

/// One change, as the history shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The change's hash, in hex.
    pub change: String,
    /// When it was made (ms; 0 if the writer did not say).
    pub at: Millis,
    /// The device that made it, if the writer said.
    pub by: Option<String>,
    /// The records it touched, as far as its note names them.
    pub records: Vec<RecordKey>,
    /// How many more records it touched than it names.
    pub more: usize,
    /// On a record's page: the fields of the record it set ([`ADDED`], [`REMOVED`] for the
    /// record itself), in the order of the document. Empty in the feed.
    pub fields: Vec<String>,
    /// It undid another change.
    pub undoes: bool,
    /// Another change undid it.
    pub undone: bool,
}

/// A page of history: entries, newest first, with the names of the organizers, and what an
/// undo on this device would undo.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub entries: Vec<Entry>,
    pub organizers: BTreeMap<String, String>,
    pub next_undo: Option<Entry>,
}

/// A change, as indexed.
#[derive(Clone, Debug)]
struct Indexed {
    hash: ChangeHash,
    at: Millis,
    by: Option<String>,
    records: Vec<RecordKey>,
    more: usize,
    undoes: Option<ChangeHash>,
}

/// The group's changes, indexed by what their notes say; see the module documentation.
#[derive(Debug, Default)]
pub struct History {
    heads: Vec<ChangeHash>,
    /// In the order Automerge gave them: an ancestor before its descendants.
    changes: Vec<Indexed>,
    undone: HashSet<ChangeHash>,
}

impl History {
    /// Indexes the changes `doc` has that were not indexed yet.
    pub fn update(&mut self, doc: &Automerge) {
        let heads = doc.get_heads();
        if heads == self.heads {
            return;
        }
        for meta in doc.get_changes_meta(&self.heads) {
            let note = meta
                .message
                .as_deref()
                .and_then(Note::read)
                .unwrap_or_default();
            let undoes = note.undo.as_deref().and_then(|hash| hash.parse().ok());
            self.undone.extend(undoes);
            self.changes.push(Indexed {
                hash: meta.hash,
                at: meta.timestamp.saturating_mul(1000),
                by: meta.author.as_ref().map(device_of),
                records: note
                    .records
                    .into_iter()
                    .map(|(collection, id)| RecordKey { collection, id })
                    .collect(),
                more: note.more,
                undoes,
            });
        }
        self.heads = heads;
    }

    fn entry(&self, change: &Indexed) -> Entry {
        let named = change.records.len().min(ENTRY_NAMES);
        Entry {
            change: change.hash.to_string(),
            at: change.at,
            by: change.by.clone(),
            records: change.records[..named].to_vec(),
            more: change.more + change.records.len() - named,
            fields: Vec::new(),
            undoes: change.undoes.is_some(),
            undone: self.undone.contains(&change.hash),
        }
    }

    /// Newest first (by time, then by order), at most `limit`.
    fn newest<'a>(
        &'a self,
        keep: impl Fn(&Indexed) -> bool + 'a,
        limit: usize,
    ) -> impl Iterator<Item = &'a Indexed> + 'a {
        let mut kept: Vec<(usize, &Indexed)> = self
            .changes
            .iter()
            .enumerate()
            .filter(|(_, change)| keep(change))
            .collect();
        kept.sort_by_key(|(order, change)| std::cmp::Reverse((change.at, *order)));
        kept.into_iter().take(limit).map(|(_, change)| change)
    }

    /// The group's latest changes, newest first; only `device`'s if one is given. Changes
    /// that name no record and no author (such as a schema addition) are left out.
    pub fn feed(&self, limit: usize, device: Option<&str>) -> Vec<Entry> {
        self.newest(
            move |change| {
                (change.by.is_some() || !change.records.is_empty())
                    && device.is_none_or(|device| change.by.as_deref() == Some(device))
            },
            limit,
        )
        .map(|change| self.entry(change))
        .collect()
    }

    /// The changes to `record`, newest first, with the fields each set.
    pub fn record(&self, doc: &Automerge, record: &RecordKey, limit: usize) -> Vec<Entry> {
        // The change that added the record, which a large import may not name.
        let added = obj_at(doc, &ROOT, record.collection.as_str())
            .and_then(|collection| doc.get(&collection, record.id.as_str()).ok().flatten())
            .and_then(|(_, id)| doc.hash_for_opid(&id));
        self.newest(
            |change| Some(change.hash) == added || change.records.contains(record),
            limit,
        )
        .map(|change| Entry {
            fields: fields_set(doc, change.hash, record),
            ..self.entry(change)
        })
        .collect()
    }

    /// The change an undo on `device` undoes: its latest that names records, is no undo
    /// itself, was not undone, and has a field still as it left it (a change whose every
    /// field someone changed since has nothing left to undo). Looks this far back at most.
    pub fn next_undo(&self, doc: &Automerge, device: &str) -> Option<Entry> {
        self.changes
            .iter()
            .rev()
            .filter(|change| {
                change.by.as_deref() == Some(device)
                    && !change.records.is_empty()
                    && change.undoes.is_none()
                    && !self.undone.contains(&change.hash)
            })
            .take(UNDO_LOOKS_BACK)
            .find(|change| {
                slots(doc, change.hash)
                    .iter()
                    .any(|slot| restorable(doc, slot, change.hash))
            })
            .map(|change| self.entry(change))
    }

    /// The page for `record` (or the whole group's feed), as the page shows it.
    pub fn page(
        &self,
        doc: &Automerge,
        record: Option<&RecordKey>,
        device: &str,
        by: Option<&str>,
        limit: usize,
    ) -> HistoryPage {
        HistoryPage {
            entries: match record {
                Some(record) => self.record(doc, record, limit),
                None => self.feed(limit, by),
            },
            organizers: organizers(doc),
            next_undo: self.next_undo(doc, device),
        }
    }
}

/// One operation of a change: the object it acted on, the map key if it had one, and whether
/// it deleted.
struct Operation {
    obj: automerge::ObjId,
    key: Option<String>,
    deletes: bool,
}

/// The operations of change `hash` on objects that still resolve, or none if it is unknown.
fn operations(doc: &Automerge, hash: ChangeHash) -> Vec<Operation> {
    let Some(change) = doc.get_change_by_hash(&hash) else {
        return Vec::new();
    };
    change
        .decode()
        .operations
        .into_iter()
        .filter_map(|op| {
            let obj = match &op.obj {
                ObjectId::Root => ROOT,
                ObjectId::Id(id) => doc.import_obj(&format!("{}@{}", id.0, id.1)).ok()?,
            };
            let key = match op.key {
                Key::Map(key) => Some(key.to_string()),
                Key::Seq(_) => None,
            };
            Some(Operation {
                obj,
                key,
                deletes: matches!(op.action, automerge::legacy::OpType::Delete),
            })
        })
        .collect()
}

/// The props from the root to `obj` as the document was at `heads`.
fn path_at(doc: &Automerge, obj: &automerge::ObjId, heads: &[ChangeHash]) -> Vec<Prop> {
    if *obj == ROOT {
        return Vec::new();
    }
    doc.parents_at(obj, heads)
        .map(|parents| parents.path().into_iter().map(|(_, prop)| prop).collect())
        .unwrap_or_default()
}

/// The fields of `record` that change `hash` set, in the order of its operations.
fn fields_set(doc: &Automerge, hash: ChangeHash, record: &RecordKey) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for op in operations(doc, hash) {
        let mut path = path_at(doc, &op.obj, &[hash]);
        path.extend(op.key.clone().map(Prop::Map));
        let mut props = path.iter();
        let (Some(Prop::Map(collection)), Some(Prop::Map(id))) = (props.next(), props.next())
        else {
            continue;
        };
        if *collection != record.collection || *id != record.id {
            continue;
        }
        let field = match props.next() {
            Some(Prop::Map(field)) => field.clone(),
            Some(Prop::Seq(_)) => continue,
            None if op.deletes => REMOVED.to_owned(),
            None => ADDED.to_owned(),
        };
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    // The fields written with the record are its adding, not edits.
    if fields.iter().any(|field| field == ADDED) {
        fields.retain(|field| field == ADDED);
    }
    fields
}

/// A field an undo left as it is, because someone changed it since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub record: RecordKey,
    pub field: String,
}

/// What an undo did: the change it undid, and the fields it kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undone {
    pub change: Entry,
    pub kept: Vec<Kept>,
}

/// Why nothing was undone.
#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error("nothing of yours to undo")]
    Nothing,
    #[error("the group document refused the undo ({0})")]
    Document(#[from] AutomergeError),
}

/// A field a change set: a map and one of its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Slot {
    map: automerge::ObjId,
    key: String,
}

/// A field's value at `heads` (now if none): a scalar, or an object read whole.
fn value_at(doc: &Automerge, slot: &Slot, heads: Option<&[ChangeHash]>) -> Option<hydrate::Value> {
    let got = match heads {
        Some(heads) => doc.get_at(&slot.map, slot.key.as_str(), heads),
        None => doc.get(&slot.map, slot.key.as_str()),
    };
    match got.ok().flatten()? {
        (Value::Scalar(value), _) => Some(hydrate::Value::Scalar(value.into_owned())),
        (Value::Object(_), id) => ReadDoc::hydrate(doc, &id, heads).ok(),
    }
}

/// The object at a field (now if `heads` is none), if it holds one.
fn object_at(
    doc: &Automerge,
    slot: &Slot,
    heads: Option<&[ChangeHash]>,
) -> Option<automerge::ObjId> {
    let got = match heads {
        Some(heads) => doc.get_at(&slot.map, slot.key.as_str(), heads),
        None => doc.get(&slot.map, slot.key.as_str()),
    };
    match got.ok().flatten()? {
        (Value::Object(_), id) => Some(id),
        (Value::Scalar(_), _) => None,
    }
}

/// The fields change `hash` set. Operations inside objects the change made belong to the
/// field that holds the object; operations on a list or text belong to the field holding it.
fn slots(doc: &Automerge, hash: ChangeHash) -> Vec<Slot> {
    let mut slots: Vec<Slot> = Vec::new();
    for op in operations(doc, hash) {
        if op.obj != ROOT && doc.hash_for_opid(&op.obj) == Some(hash) {
            continue;
        }
        let slot = match (op.key, doc.object_type(&op.obj)) {
            (Some(key), Ok(ObjType::Map | ObjType::Table)) => Slot { map: op.obj, key },
            _ => {
                let parent = doc
                    .parents_at(&op.obj, &[hash])
                    .ok()
                    .and_then(|mut parents| parents.next());
                match parent {
                    Some(automerge::Parent {
                        obj,
                        prop: Prop::Map(key),
                        ..
                    }) => Slot { map: obj, key },
                    _ => continue,
                }
            }
        };
        // The collections themselves, and organizers' names, are never undone.
        if slot.map == ROOT
            || path_at(doc, &slot.map, &[hash]).first() == Some(&Prop::Map(key::ORGANIZERS.into()))
        {
            continue;
        }
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    slots
}

/// Whether `slot` still holds what change `hash` left there, in a record still in the group.
fn restorable(doc: &Automerge, slot: &Slot, hash: ChangeHash) -> bool {
    let visible = doc
        .parents(&slot.map)
        .is_ok_and(|mut parents| parents.all(|parent| parent.visible));
    visible && value_at(doc, slot, Some(&[hash])) == value_at(doc, slot, None)
}

/// The record a field belongs to, by its path.
fn record_of(doc: &Automerge, slot: &Slot) -> (RecordKey, String) {
    let mut path = path_at(doc, &slot.map, &doc.get_heads());
    path.push(Prop::Map(slot.key.clone()));
    let name = |prop: Option<&Prop>| match prop {
        Some(Prop::Map(key)) => key.clone(),
        _ => String::new(),
    };
    let record = RecordKey {
        collection: name(path.first()),
        id: name(path.get(1)),
    };
    let field = match path.get(2) {
        None => ADDED.to_owned(),
        field => name(field),
    };
    (record, field)
}

/// Writes `value` under `key` of `map` as a new scalar or object.
fn write_value(
    tx: &mut Transaction<'_>,
    map: &automerge::ObjId,
    key: &str,
    value: &hydrate::Value,
) -> Result<(), AutomergeError> {
    match value {
        hydrate::Value::Scalar(scalar) => tx.put(map, key, scalar.clone()),
        hydrate::Value::Text(text) => {
            let obj = tx.put_object(map, key, ObjType::Text)?;
            tx.splice_text(&obj, 0, 0, &text.to_string())
        }
        hydrate::Value::List(list) => {
            let obj = tx.put_object(map, key, ObjType::List)?;
            tx.splice(&obj, 0, 0, list.iter().map(|item| item.value.clone()))
        }
        hydrate::Value::Map(fields) => {
            let obj = tx.put_object(map, key, ObjType::Map)?;
            fields
                .iter()
                .try_for_each(|(key, field)| write_value(tx, &obj, key, &field.value))
        }
    }
}

/// How one field is put back.
#[derive(Debug)]
enum Restore {
    Delete(Slot),
    Write(Slot, hydrate::Value),
    Text(automerge::ObjId, String),
    /// Take out these indices (highest first), then insert these values at these indices.
    List {
        obj: automerge::ObjId,
        take_out: Vec<usize>,
        put_back: Vec<(usize, hydrate::Value)>,
    },
}

/// How to put `slot` back to `before`, as it was at `deps`; change `hash` made it what it is.
fn restoring(
    doc: &Automerge,
    slot: Slot,
    before: Option<hydrate::Value>,
    (hash, deps): (ChangeHash, &[ChangeHash]),
) -> Restore {
    let same_object = object_at(doc, &slot, Some(deps))
        .filter(|then| object_at(doc, &slot, None).as_ref() == Some(then));
    match (before, same_object) {
        (None, _) => Restore::Delete(slot),
        (Some(hydrate::Value::Text(text)), Some(obj)) => Restore::Text(obj, text.to_string()),
        (Some(hydrate::Value::List(_)), Some(obj)) => {
            let present: Vec<automerge::ObjId> =
                doc.list_range(&obj, ..).map(|item| item.id()).collect();
            let mut take_out: Vec<usize> = present
                .iter()
                .enumerate()
                .filter(|(_, id)| doc.hash_for_opid(id) == Some(hash))
                .map(|(index, _)| index)
                .collect();
            take_out.reverse();
            let left = present.len() - take_out.len();
            let put_back = doc
                .list_range_at(&obj, .., deps)
                .filter(|item| !present.contains(&item.id()))
                .filter_map(|item| {
                    let value = match item.value {
                        ValueRef::Object(_) => ReadDoc::hydrate(doc, item.id(), Some(deps)).ok()?,
                        ValueRef::Scalar(value) => hydrate::Value::Scalar(value.into()),
                    };
                    Some((item.index, value))
                })
                .enumerate()
                .map(|(n, (index, value))| (index.min(left + n), value))
                .collect();
            Restore::List {
                obj,
                take_out,
                put_back,
            }
        }
        (Some(value), _) => Restore::Write(slot, value),
    }
}

fn write_restore(tx: &mut Transaction<'_>, restore: &Restore) -> Result<(), AutomergeError> {
    match restore {
        Restore::Delete(slot) => tx.delete(&slot.map, slot.key.as_str()),
        Restore::Write(slot, value) => write_value(tx, &slot.map, &slot.key, value),
        Restore::Text(obj, text) => tx.update_text(obj, text),
        Restore::List {
            obj,
            take_out,
            put_back,
        } => {
            for index in take_out {
                tx.delete(obj, *index)?;
            }
            for (index, value) in put_back {
                tx.splice(obj, *index, 0, [value.clone()])?;
            }
            Ok(())
        }
    }
}

impl GroupDoc {
    /// Undoes `change` (see the module documentation) as a new change made at `at`, and says
    /// what it touched and which fields it kept.
    pub fn undo(&mut self, change: &Entry, at: Millis) -> Result<(Touched, Undone), UndoError> {
        let hash: ChangeHash = change.change.parse().map_err(|_| UndoError::Nothing)?;
        let doc = &self.doc;
        let deps = doc
            .get_change_by_hash(&hash)
            .ok_or(UndoError::Nothing)?
            .deps()
            .to_vec();
        let mut kept = Vec::new();
        let mut restores = Vec::new();
        let mut records: Vec<RecordKey> = Vec::new();
        for slot in slots(doc, hash) {
            let (record, field) = record_of(doc, &slot);
            if restorable(doc, &slot, hash) {
                let before = value_at(doc, &slot, Some(&deps));
                restores.push(restoring(doc, slot, before, (hash, &deps)));
                if !records.contains(&record) {
                    records.push(record);
                }
            } else {
                kept.push(Kept { record, field });
            }
        }
        let organizer = self.organizer.clone().unwrap_or(Organizer {
            device: String::new(),
            name: String::new(),
        });
        let mut tx = self
            .doc
            .transaction_log_patches(PatchLog::active())
            .map_err(|_| AutomergeError::Fail)?;
        if let Err(error) = restores
            .iter()
            .try_for_each(|restore| write_restore(&mut tx, restore))
        {
            tx.rollback();
            return Err(error.into());
        }
        if tx.pending_ops() == 0 {
            // Someone changed every field since ([`History::next_undo`] passes such changes).
            tx.rollback();
            return Err(UndoError::Nothing);
        }
        name_organizer(&mut tx, &organizer)?;
        let (_, mut log) = tx.commit_with(commit_options(records, Some(hash), at));
        let touched = Touched::from_patches(&self.doc.make_patches(&mut log));
        Ok((
            touched,
            Undone {
                change: change.clone(),
                kept,
            },
        ))
    }
}
