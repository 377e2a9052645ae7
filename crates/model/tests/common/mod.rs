//! Helpers shared by the model's test files.

use cohort_model::{Action, GroupDoc, MemberDraft, MemberId, Millis};

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
