//! The page's store of the group: following the worker's updates fires the signals of the
//! records a change touched, and nothing else (the property test in `convergence.rs` checks
//! that the store always equals the document).
// Native only: its executor (tokio) and these dev-dependencies are not built for wasm32.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cohort_model::*;
use common::add_member;
use reactive_graph::effect::Effect;
use reactive_graph::traits::{Track, WithUntracked};
use reactive_stores::Store;

/// Counts how often an effect that tracks what `track` tracks runs.
fn runs(track: impl Fn() + Send + Sync + 'static) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    Effect::new_sync(move |_| {
        track();
        counted.fetch_add(1, Ordering::Relaxed);
    });
    count
}

/// Lets effects run.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// Applies the action to the document and follows it in the store, as worker and page do.
fn edit(
    doc: &mut GroupDoc,
    store: Store<Group>,
    action: Action,
) -> Option<std::collections::BTreeSet<MemberId>> {
    let touched = doc.apply(&action).unwrap();
    store::follow(store, doc.update_for(&touched))
}

fn count(runs: &AtomicUsize) -> usize {
    runs.load(Ordering::Relaxed)
}

#[tokio::test]
async fn an_edit_fires_only_the_signals_of_the_record_it_touched() {
    _ = any_spawner::Executor::init_tokio();
    let mut doc = GroupDoc::create("Readers", 0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let grace = add_member(&mut doc, "Grace");
    let role = RoleId::random().unwrap();
    let draft = RoleDraft {
        name: "Host".into(),
        responsibilities: String::new(),
    };
    doc.apply(&Action::AddRole {
        id: role.clone(),
        draft,
    })
    .unwrap();
    doc.apply(&Action::AssignRole {
        role: role.clone(),
        member: grace.clone(),
    })
    .unwrap();
    let store = Store::new(Group::default());
    store::replace(store, doc.hydrate());

    let ada_runs = runs({
        let ada = ada.clone();
        move || store.members().at_key(ada.clone()).track()
    });
    let grace_runs = runs({
        let grace = grace.clone();
        move || store.members().at_key(grace.clone()).track()
    });
    let members_runs = runs(move || store.members().track());
    let roles_runs = runs(move || store.roles().track());
    let profile_runs = runs(move || store.profile().track());
    tick().await;
    let before = [
        &ada_runs,
        &grace_runs,
        &members_runs,
        &roles_runs,
        &profile_runs,
    ]
    .map(|r| count(r));
    assert_eq!(before, [1; 5]);

    // Ada's name: her signals and the collection's (its count, its sorted lists), no one else's.
    let set_name = Action::SetMember {
        id: ada.clone(),
        field: MemberField::Name,
        value: "Ada L.".into(),
    };
    let touched = edit(&mut doc, store, set_name);
    tick().await;
    assert_eq!(touched, Some([ada.clone()].into()));
    assert_eq!(count(&ada_runs), 2);
    assert_eq!(
        count(&grace_runs),
        1,
        "another member's row does not re-run"
    );
    assert_eq!(count(&members_runs), 2);
    assert_eq!(count(&roles_runs), 1, "the roles do not re-run");
    assert_eq!(count(&profile_runs), 1);

    // Grace removed: the roles that listed her change too, and the store equals the document.
    let touched = edit(&mut doc, store, Action::RemoveMember { id: grace.clone() });
    tick().await;
    assert_eq!(
        touched, None,
        "a removal re-reads the roles: anyone may move in a role filter"
    );
    assert_eq!(count(&grace_runs), 2);
    assert_eq!(count(&roles_runs), 2);
    assert_eq!(count(&profile_runs), 1);
    store.with_untracked(|view| assert_eq!(view, &doc.hydrate()));
}
