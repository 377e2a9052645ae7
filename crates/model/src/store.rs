//! The group as a reactive store for the page (`store` feature): each record has its own
//! signals, keyed by its id, so following a change fires only what that change touched.
//!
//! The page holds a [`Store<Group>`]; screens read one record with
//! `store.members().at_key(id)` and one collection with `store.members()`. The worker's
//! updates come in through [`follow`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::hash::Hash;

use reactive_stores::{KeyedSubfield, Store};

use crate::records::GroupStoreFields;
use crate::{Group, MemberId, OfMember, Record, RecordChange, RecordUpdate, Update};
use reactive_graph::traits::{Set, Update as _, WithUntracked};

/// Replaces the whole group (a newly opened group, or a change that touched everything).
pub fn replace(store: Store<Group>, group: Group) {
    let Group {
        profile,
        members,
        roles,
        feedback,
        touchpoints,
        activities,
        trainings,
        criteria,
        placings,
        needs,
        expectations,
        readings,
        applications,
        screening,
        digests,
        distinct,
    } = group;
    store.profile().set(profile);
    store.roles().set(roles);
    store.members().set(members);
    store.feedback().set(feedback);
    store.touchpoints().set(touchpoints);
    store.activities().set(activities);
    store.trainings().set(trainings);
    store.criteria().set(criteria);
    store.placings().set(placings);
    store.needs().set(needs);
    store.expectations().set(expectations);
    store.readings().set(readings);
    store.applications().set(applications);
    store.screening().set(screening);
    store.digests().set(digests);
    store.distinct().set(distinct);
}

/// Follows the document: each record the update names is replaced in place, so only its own
/// signals fire; records that appear or go change their collection in one write. Returns the
/// members touched, or `None` if anyone may have been (for [`crate::MemberChanges`]).
pub fn follow(store: Store<Group>, update: Update) -> Option<BTreeSet<MemberId>> {
    let records = match update {
        Update::Replace(group) => {
            replace(store, *group);
            return None;
        }
        Update::Records(records) => *records,
    };
    let RecordUpdate {
        profile,
        members,
        roles,
        feedback,
        touchpoints,
        activities,
        trainings,
        criteria,
        placings,
        needs,
        expectations,
        readings,
        applications,
        screening,
        digests,
        distinct,
    } = records;
    // A role change can move anyone in or out of a role filter; a touchpoint changes when its
    // member was last contacted (before and after the change).
    let touched = roles.is_empty().then(|| {
        let contacted = touchpoints.iter().flat_map(|(id, touchpoint)| {
            let before = store
                .touchpoints()
                .with_untracked(|all| all.get(id).map(|t| t.member.clone()));
            before
                .into_iter()
                .chain(touchpoint.as_ref().map(|t| t.member.clone()))
        });
        members
            .iter()
            .map(|(id, _)| id.clone())
            .chain(contacted.collect::<Vec<_>>())
            .collect()
    });
    if let Some(profile) = profile {
        store.profile().set(profile);
    }
    let removed = follow_changes(store.members(), members);
    replace_records(store.roles(), roles);
    follow_changes(store.feedback(), feedback);
    replace_records(store.touchpoints(), touchpoints);
    replace_records(store.activities(), activities);
    replace_records(store.trainings(), trainings);
    replace_records(store.criteria(), criteria);
    replace_records(store.placings(), placings);
    replace_records(store.needs(), needs);
    replace_records(store.expectations(), expectations);
    replace_records(store.readings(), readings);
    replace_records(store.applications(), applications);
    replace_records(store.screening(), screening);
    replace_records(store.digests(), digests);
    if let Some(distinct) = distinct {
        store.distinct().set(distinct);
    }
    // Records the update did not re-read may still name a removed member (a role given to
    // them concurrently with their removal).
    for id in &removed {
        if store.roles().with_untracked(|r| crate::holds_a_role(r, id)) {
            store.roles().update(|r| crate::release_roles(r, id));
        }
        if store
            .feedback()
            .with_untracked(|f| crate::gave_feedback(f, id))
        {
            store.feedback().update(|f| crate::unlink_feedback(f, id));
        }
        forget_records_of(store.touchpoints(), id);
        forget_records_of(store.placings(), id);
        forget_records_of(store.needs(), id);
        forget_records_of(store.expectations(), id);
        forget_records_of(store.readings(), id);
        forget_records_of(store.applications(), id);
        if store
            .applications()
            .with_untracked(|a| crate::recruitment::referred_by(a, id))
        {
            store
                .applications()
                .update(|a| crate::recruitment::unlink_referrer(a, id));
        }
        if store
            .distinct()
            .with_untracked(|d| d.iter().any(|(a, b)| a == id || b == id))
        {
            store
                .distinct()
                .update(|d| d.retain(|(a, b)| a != id && b != id));
        }
        if store
            .criteria()
            .with_untracked(|all| all.values().any(|c| c.scores.contains_key(id)))
        {
            store.criteria().update(|all| {
                all.values_mut().for_each(|c| {
                    c.scores.remove(id);
                })
            });
        }
    }
    touched
}

/// Drops a removed member's records from a collection, if it holds any.
fn forget_records_of<K, R>(
    field: KeyedSubfield<Store<Group>, Group, K, BTreeMap<K, R>>,
    id: &MemberId,
) where
    K: Ord + Clone + Hash + Debug + Send + Sync + 'static,
    R: OfMember + Send + Sync + 'static,
{
    if field.with_untracked(|all| all.values().any(|r| r.member() == id)) {
        field.update(|all| all.retain(|_, r| r.member() != id));
    }
}

/// Follows changes to a keyed collection: a record changed in some parts gets those parts
/// written in place; the others go through [`replace_records`]. Returns the ids removed.
fn follow_changes<K, R>(
    field: KeyedSubfield<Store<Group>, Group, K, BTreeMap<K, R>>,
    changes: Vec<(K, RecordChange<R>)>,
) -> Vec<K>
where
    K: Ord + Clone + Hash + Debug + Send + Sync + 'static,
    R: Record + Send + Sync + 'static,
{
    let mut whole = Vec::new();
    for (id, change) in changes {
        match change {
            RecordChange::Parts(parts) => field
                .at_key(id)
                .update(|record| parts.into_iter().for_each(|part| record.set(part))),
            RecordChange::Whole(record) => whole.push((id, Some(*record))),
            RecordChange::Removed => whole.push((id, None)),
        }
    }
    replace_records(field, whole)
}

/// Puts each record in its place in a keyed collection: one already there is replaced where
/// it is; new and removed ones change the collection in one write. Returns the ids removed.
fn replace_records<K, V>(
    field: KeyedSubfield<Store<Group>, Group, K, BTreeMap<K, V>>,
    records: Vec<(K, Option<V>)>,
) -> Vec<K>
where
    K: Ord + Clone + Hash + Debug + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    let mut reshaped = Vec::new();
    for (id, record) in records {
        match record {
            Some(record) if field.with_untracked(|all| all.contains_key(&id)) => {
                field.at_key(id).set(record);
            }
            record => reshaped.push((id, record)),
        }
    }
    let mut removed = Vec::new();
    if !reshaped.is_empty() {
        field.update(|all| {
            for (id, record) in reshaped {
                match record {
                    Some(record) => {
                        all.insert(id, record);
                    }
                    None => {
                        if all.remove(&id).is_some() {
                            removed.push(id);
                        }
                    }
                }
            }
        });
    }
    removed
}
