//! Helpers shared by the model's test files.

// Each test file uses some of these, not all.
#![allow(dead_code)]

use cohort_model::{Action, GroupDoc, MemberDraft, MemberId, MemberStatus, Millis, automerge};

/// The time the tests' changes are made at.
pub const T0: Millis = 1_763_856_000_000;

/// Adds a member with only a name; returns their id.
pub fn add_member(doc: &mut GroupDoc, name: &str) -> MemberId {
    let id = MemberId::random().expect("random ids");
    let draft = MemberDraft {
        name: name.into(),
        ..MemberDraft::default()
    };
    doc.apply(&Action::AddMember {
        id: id.clone(),
        draft,
        at: T0,
    })
    .expect("a valid member");
    id
}

/// Adds a member with a name and status, added at `at`, under the id `bits`.
pub fn member(
    doc: &mut GroupDoc,
    bits: u64,
    name: &str,
    status: MemberStatus,
    at: Millis,
) -> MemberId {
    let id = MemberId::from_bits(bits);
    doc.apply(&Action::AddMember {
        id: id.clone(),
        draft: MemberDraft {
            name: name.into(),
            status: Some(status),
            ..MemberDraft::default()
        },
        at,
    })
    .expect("a valid member");
    id
}

/// A group as a build before the contact log and activities made it: the five maps of schema
/// 1, no more.
pub fn group_before_the_contact_log() -> GroupDoc {
    GroupDoc::from_automerge(schema_one()).expect("a schema 1 group")
}

/// A group as a build before training plans made it: schema 1 and the first addition to it
/// (the contact log and activities), written here as that build wrote it.
pub fn group_before_trainings() -> GroupDoc {
    group_with_additions(&[&["touchpoints", "activities"]])
}

/// A group as a build before key users made it: schema 1 and the first two additions.
pub fn group_before_key_users() -> GroupDoc {
    group_with_additions(&[&["touchpoints", "activities"], &["trainings"]])
}

/// A group as a build before recruitment made it: schema 1 and the first three additions.
pub fn group_before_recruitment() -> GroupDoc {
    group_with_additions(&[
        &["touchpoints", "activities"],
        &["trainings"],
        &["criteria", "placings", "needs", "expectations", "readings"],
    ])
}

/// Schema 1 and `additions`, each one change as the builds that made them wrote it.
fn group_with_additions(additions: &[&[&str]]) -> GroupDoc {
    use cohort_model::automerge::transaction::{CommitOptions, Transactable};
    use cohort_model::automerge::{ActorId, Automerge, AutomergeError, ObjType, ROOT};
    let mut made = Automerge::new().with_actor(ActorId::from(b"cohort-schema-v1".as_slice()));
    for collections in additions {
        made.transact_with(
            |_| CommitOptions::default().with_time(0),
            |tx| {
                for collection in *collections {
                    tx.put_object(ROOT, *collection, ObjType::Map)?;
                }
                Ok::<_, AutomergeError>(())
            },
        )
        .expect("an addition");
    }
    let mut doc = schema_one();
    doc.apply_changes(made.get_changes(&[]))
        .expect("the additions apply");
    GroupDoc::from_automerge(doc).expect("a schema 1 group")
}

/// The five maps of schema 1 as first released.
fn schema_one() -> automerge::Automerge {
    use cohort_model::automerge::transaction::Transactable;
    use cohort_model::automerge::{Automerge, AutomergeError, ObjType, ROOT, ScalarValue};
    let mut doc = Automerge::new();
    doc.transact(|tx| -> Result<(), AutomergeError> {
        tx.put(ROOT, "schema", 1)?;
        tx.put(ROOT, "created_at", ScalarValue::Timestamp(T0))?;
        let profile = tx.put_object(ROOT, "profile", ObjType::Map)?;
        tx.put(&profile, "name", "Choir")?;
        for collection in ["members", "roles", "feedback"] {
            tx.put_object(ROOT, collection, ObjType::Map)?;
        }
        Ok(())
    })
    .expect("a schema 1 group");
    doc
}
