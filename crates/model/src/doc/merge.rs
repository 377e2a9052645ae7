//! Two member records of one person made one (see `docs/schema.md`).
//!
//! Merging writes, in one change, the fields picked into the survivor, moves every reference
//! to the merged member onto the survivor, and marks the merged record `merged_into` the
//! survivor. The merged record is kept, not deleted: two organizers who merge the same pair
//! opposite ways at once (A into B, B into A) would otherwise delete both records. Readers
//! follow `merged_into` ([`resolve`]), so a reference written concurrently with a merge (a
//! contact logged with A while someone merged A into B) reads as the survivor's; where two
//! merges made a cycle, the member with the smallest id in it stays.

use std::collections::BTreeSet;

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::{
    ApplyError, Resolve, Roots, STATUS, Touched, int_at, key, member_key, move_along, obj_at,
    put_string, put_text, record_keys_tx, set_key, string_at,
};
use crate::key_users::StrategyField;
use crate::validate::{Field, Invalid, Problem};
use crate::{MemberField, MemberId, MemberStatus, Millis};

/// The fields of a pair marked as different people.
const FIRST: &str = "first";
const SECOND: &str = "second";

/// The member `id` names now: itself while in the group, the member it was merged into
/// (followed to the end), or none if erased (or merged into someone erased).
pub(super) fn resolve(doc: &impl ReadDoc, members: &ObjId, id: &MemberId) -> Option<MemberId> {
    let mut path: Vec<MemberId> = Vec::new();
    let mut current = id.clone();
    loop {
        let record = obj_at(doc, members, current.as_str())?;
        let Some(next) = MemberId::from_key(&string_at(doc, &record, key::MERGED_INTO)) else {
            return Some(current);
        };
        if let Some(start) = path.iter().position(|seen| *seen == current) {
            // Merges that made a cycle: its smallest id stays.
            return path[start..].iter().min().cloned();
        }
        path.push(current);
        current = next;
    }
}

/// The pairs marked as different people, each under the members they name now.
pub(super) fn read_distinct(
    doc: &Automerge,
    resolve: Resolve<'_>,
) -> BTreeSet<(MemberId, MemberId)> {
    let Some(pairs) = obj_at(doc, &ROOT, key::NOT_DUPLICATES) else {
        return BTreeSet::new();
    };
    let pairs = super::hydrate_collection(doc, &pairs);
    pairs
        .iter()
        .filter_map(|(_, entry)| {
            let record = super::as_record(&entry.value)?;
            let first = super::member_at(&record, FIRST, resolve)?;
            let second = super::member_at(&record, SECOND, resolve)?;
            (first != second).then(|| crate::duplicates::ordered(&first, &second))
        })
        .collect()
}

/// Marks two members as different people.
pub(super) fn mark_distinct(
    tx: &mut Transaction<'_>,
    roots: &Roots,
    first: &MemberId,
    second: &MemberId,
) -> Result<Touched, ApplyError> {
    for member in [first, second] {
        live(tx, roots, member)?;
    }
    if first == second {
        return Err(Invalid::new(Field::Member, Problem::AlreadyExists).into());
    }
    let (first, second) = crate::duplicates::ordered(first, second);
    let pairs = super::collection(tx, key::NOT_DUPLICATES)?;
    // The same key for the same pair: two organizers marking it at once write one record.
    let pair = tx.put_object(&pairs, format!("{first}|{second}"), ObjType::Map)?;
    tx.put(&pair, FIRST, first.as_str())?;
    tx.put(&pair, SECOND, second.as_str())?;
    Ok(Touched {
        distinct: true,
        ..Touched::default()
    })
}

/// A member in the group (not erased nor merged away), for an action on them.
fn live(tx: &Transaction<'_>, roots: &Roots, member: &MemberId) -> Result<ObjId, Invalid> {
    super::member_exists(tx, roots, member, Field::Member)?;
    super::record(tx, &roots.members, member.as_str())
}

/// What to take from the merged member: the text fields picked, and their status.
pub(super) struct Picks<'a> {
    pub take: &'a BTreeSet<MemberField>,
    pub take_status: bool,
    pub at: Millis,
}

/// Merges `merged` into `survivor` (see the module's doc).
pub(super) fn merge(
    tx: &mut Transaction<'_>,
    roots: &Roots,
    survivor: &MemberId,
    merged: &MemberId,
    picks: Picks<'_>,
) -> Result<Touched, ApplyError> {
    let kept = live(tx, roots, survivor)?;
    let gone = live(tx, roots, merged)?;
    if survivor == merged {
        return Err(Invalid::new(Field::Member, Problem::AlreadyExists).into());
    }
    merge_fields(tx, &kept, &gone, &picks)?;
    move_references(tx, roots, survivor, merged)?;
    tx.put(&gone, key::MERGED_INTO, survivor.as_str())?;
    Ok(Touched {
        everything: true,
        ..Touched::default()
    })
}

/// The survivor's record after the merge: the fields picked, tags and notes of both, the
/// earlier of the two times added, and key-user data the survivor lacks.
fn merge_fields(
    tx: &mut Transaction<'_>,
    kept: &ObjId,
    gone: &ObjId,
    picks: &Picks<'_>,
) -> Result<(), ApplyError> {
    for field in picks.take {
        let key = member_key(*field);
        let value = string_at(tx, gone, key);
        if *field == MemberField::Notes {
            put_text(tx, kept, key, &value)?;
        } else {
            put_string(tx, kept, key, &value)?;
        }
    }
    if !picks.take.contains(&MemberField::Notes) {
        let (mine, theirs) = (
            string_at(tx, kept, key::NOTES),
            string_at(tx, gone, key::NOTES),
        );
        if !theirs.trim().is_empty() && !mine.contains(theirs.trim()) {
            let joined = if mine.trim().is_empty() {
                theirs
            } else {
                format!("{mine}\n\n{theirs}")
            };
            put_text(tx, kept, key::NOTES, &joined)?;
        }
    }
    let tags: Vec<String> = obj_at(tx, gone, key::TAGS)
        .map(|tags| tx.keys(&tags).collect())
        .unwrap_or_default();
    for tag in tags {
        set_key(tx, kept, key::TAGS, &tag, true)?;
    }
    if let (Some(mine), Some(theirs)) = (
        int_at(tx, kept, key::ADDED_AT),
        int_at(tx, gone, key::ADDED_AT),
    ) && theirs < mine
    {
        tx.put(kept, key::ADDED_AT, ScalarValue::Timestamp(theirs))?;
    }
    if picks.take_status {
        let theirs = string_at(tx, gone, key::STATUS);
        if MemberStatus::from_key(&theirs).is_some() && theirs != string_at(tx, kept, key::STATUS) {
            move_along(tx, kept, STATUS, &theirs, picks.at)?;
        }
    }
    copy_key_user_data(tx, kept, gone)
}

/// The merged member's key-user decision and strategy, where the survivor has none.
fn copy_key_user_data(
    tx: &mut Transaction<'_>,
    kept: &ObjId,
    gone: &ObjId,
) -> Result<(), ApplyError> {
    if obj_at(tx, kept, key::KEY_DECISION).is_none()
        && let Some(decision) = obj_at(tx, gone, key::KEY_DECISION)
    {
        let copy = tx.put_object(kept, key::KEY_DECISION, ObjType::Map)?;
        for field in [key::VERDICT, key::REASON, key::BY] {
            let value = string_at(tx, &decision, field);
            put_string(tx, &copy, field, &value)?;
        }
        if let Some(at) = int_at(tx, &decision, key::AT) {
            tx.put(&copy, key::AT, ScalarValue::Timestamp(at))?;
        }
    }
    for field in StrategyField::ALL {
        let key = field.key();
        if tx.get(kept, key)?.is_some() {
            continue;
        }
        if let Some((Value::Scalar(value), _)) = tx.get(gone, key)? {
            tx.put(kept, key, value.into_owned())?;
        }
    }
    Ok(())
}

/// Moves every reference to `merged` onto `survivor`. Where both have an entry in one map (an
/// attendance mark, a score), the survivor's stays.
fn move_references(
    tx: &mut Transaction<'_>,
    roots: &Roots,
    survivor: &MemberId,
    merged: &MemberId,
) -> Result<(), ApplyError> {
    let (to, from) = (survivor.as_str(), merged.as_str());
    for (_, role) in record_keys_tx(tx, &roots.roles) {
        move_key(tx, &role, key::HOLDERS, from, to)?;
    }
    // Records that name one member in a field.
    let named: [(Option<ObjId>, &[&str]); 7] = [
        (Some(roots.feedback.clone()), &[key::MEMBER]),
        (obj_at(tx, &ROOT, key::TOUCHPOINTS), &[key::MEMBER]),
        (obj_at(tx, &ROOT, key::PLACINGS), &[key::MEMBER]),
        (obj_at(tx, &ROOT, key::NEEDS), &[key::MEMBER]),
        (obj_at(tx, &ROOT, key::EXPECTATIONS), &[key::MEMBER]),
        (obj_at(tx, &ROOT, key::READINGS), &[key::MEMBER]),
        (
            obj_at(tx, &ROOT, key::APPLICATIONS),
            &[key::MEMBER, key::REFERRER],
        ),
    ];
    for (collection, fields) in named {
        let Some(collection) = collection else {
            continue;
        };
        for (_, record) in record_keys_tx(tx, &collection) {
            for field in fields {
                if string_at(tx, &record, field) == from {
                    tx.put(&record, *field, to)?;
                }
            }
        }
    }
    if let Some(criteria) = obj_at(tx, &ROOT, key::CRITERIA) {
        for (_, criterion) in record_keys_tx(tx, &criteria) {
            move_key(tx, &criterion, key::SCORES, from, to)?;
        }
    }
    if let Some(activities) = obj_at(tx, &ROOT, key::ACTIVITIES) {
        for (_, activity) in record_keys_tx(tx, &activities) {
            for map in [key::ATTENDANCE, key::INVITED_MEMBERS] {
                move_key(tx, &activity, map, from, to)?;
            }
            if string_at(tx, &activity, key::ORGANIZER) == from {
                tx.put(&activity, key::ORGANIZER, to)?;
            }
            if let Some(duties) = obj_at(tx, &activity, key::DUTIES) {
                for (_, duty) in record_keys_tx(tx, &duties) {
                    move_key(tx, &duty, key::ASSIGNMENTS, from, to)?;
                }
            }
        }
    }
    if let Some(trainings) = obj_at(tx, &ROOT, key::TRAININGS) {
        for (_, training) in record_keys_tx(tx, &trainings) {
            for map in [
                key::INVITED_MEMBERS,
                key::COMPLETED,
                key::SCORE_BEFORE,
                key::SCORE_AFTER,
                key::SATISFACTION,
            ] {
                move_key(tx, &training, map, from, to)?;
            }
        }
    }
    Ok(())
}

/// Moves the entry `from` of the map under `map` to `to`, unless `to` has one.
fn move_key(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    map: &str,
    from: &str,
    to: &str,
) -> Result<(), ApplyError> {
    let Some(map) = obj_at(tx, obj, map) else {
        return Ok(());
    };
    let Some((Value::Scalar(value), _)) = tx.get(&map, from)? else {
        return Ok(());
    };
    let value = value.into_owned();
    if tx.get(&map, to)?.is_none() {
        tx.put(&map, to, value)?;
    }
    tx.delete(&map, from)?;
    Ok(())
}

/// The members merged into `member` (directly or through others), whose records go when it is
/// erased.
pub(super) fn merged_into(tx: &Transaction<'_>, roots: &Roots, member: &MemberId) -> Vec<String> {
    record_keys_tx(tx, &roots.members)
        .into_iter()
        .filter(|(id, record)| {
            id != member.as_str()
                && !string_at(tx, record, key::MERGED_INTO).is_empty()
                && MemberId::from_key(id)
                    .and_then(|id| resolve(tx, &roots.members, &id))
                    .as_ref()
                    == Some(member)
        })
        .map(|(id, _)| id)
        .collect()
}
