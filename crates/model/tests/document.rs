//! The group document: reading back, fine-grained writes, validation, loading old and foreign
//! documents, and what concurrent edits do.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};
use cohort_model::*;

mod common;
use common::{T0, add_member};

fn new_group() -> GroupDoc {
    GroupDoc::create("Rust study group", T0).unwrap()
}

fn add_role(doc: &mut GroupDoc, name: &str) -> RoleId {
    let id = RoleId::random().unwrap();
    let draft = RoleDraft {
        name: name.into(),
        responsibilities: String::new(),
    };
    doc.apply(&Action::AddRole {
        id: id.clone(),
        draft,
    })
    .unwrap();
    id
}

fn set(id: &MemberId, field: MemberField, value: &str) -> Action {
    Action::SetMember {
        id: id.clone(),
        field,
        value: value.into(),
    }
}

/// Merges both ways, so both replicas hold every change.
fn sync(a: &mut GroupDoc, b: &mut GroupDoc) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
    assert_eq!(a.heads(), b.heads());
}

/// The number of operations in the latest local change (0 if the action wrote nothing).
fn ops_written(doc: &mut GroupDoc, action: &Action) -> usize {
    let before = doc.heads();
    doc.apply(action).unwrap();
    if doc.heads() == before {
        return 0;
    }
    doc.automerge().get_last_local_change().unwrap().len()
}

#[test]
fn a_new_group_has_its_name_and_schema_version() {
    let doc = new_group();
    assert_eq!(doc.profile().name, "Rust study group");
    let schema = doc.automerge().get(ROOT, "schema").unwrap().unwrap().0;
    assert_eq!(schema.as_i64(), Some(SCHEMA_VERSION));
    assert!(doc.hydrate().members.is_empty());
    assert!(GroupDoc::create("  ", T0).is_err());
}

#[test]
fn every_member_field_reads_back_and_survives_save_and_load() {
    let mut doc = new_group();
    let id = MemberId::random().unwrap();
    let draft = MemberDraft {
        name: " Ada Lovelace ".into(),
        email: "ada@example.org".into(),
        phone: "+44 20 7946 0958".into(),
        wechat: "ada_l".into(),
        other_contact: "@ada on Matrix".into(),
        tags: vec!["Mentor".into(), "speaker".into(), "mentor".into()],
        status: Some(MemberStatus::Active),
        source: "meetup".into(),
        joined: "2025-03-14".into(),
        notes: "Prefers evenings.".into(),
    };
    doc.apply(&Action::AddMember {
        id: id.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    let member = doc.member(&id).unwrap();
    assert_eq!(member.name, "Ada Lovelace");
    assert_eq!(member.contacts.email, "ada@example.org");
    assert_eq!(member.contacts.phone, "+44 20 7946 0958");
    assert_eq!(member.contacts.wechat, "ada_l");
    assert_eq!(member.contacts.other, "@ada on Matrix");
    assert_eq!(
        member.tags.iter().collect::<Vec<_>>(),
        ["mentor", "speaker"]
    );
    assert_eq!(member.status, MemberStatus::Active);
    assert_eq!(
        member.history,
        [StatusChange {
            at: T0,
            status: MemberStatus::Active
        }]
    );
    assert_eq!(
        (member.source.as_str(), member.joined.as_str()),
        ("meetup", "2025-03-14")
    );
    assert_eq!(member.notes, "Prefers evenings.");
    assert_eq!(member.added_at, T0);

    let snapshot = doc.save();
    let heads = doc.heads();
    doc.apply(&set(&id, MemberField::Email, "ada@lovelace.org"))
        .unwrap();
    let mut stored = snapshot.clone();
    stored.extend(doc.save_after(&heads));
    let reloaded = GroupDoc::load(&stored).unwrap();
    assert_eq!(reloaded.hydrate(), doc.hydrate());
    assert_eq!(
        reloaded.member(&id).unwrap().contacts.email,
        "ada@lovelace.org"
    );
}

#[test]
fn one_field_edit_writes_one_operation() {
    let mut doc = new_group();
    let id = add_member(&mut doc, "Grace");
    for _ in 0..50 {
        add_member(&mut doc, "Someone");
    }
    assert_eq!(
        ops_written(&mut doc, &set(&id, MemberField::Email, "grace@example.org")),
        1
    );
    assert_eq!(
        ops_written(&mut doc, &set(&id, MemberField::Name, "Grace Hopper")),
        1
    );
    assert_eq!(
        ops_written(
            &mut doc,
            &Action::TagMember {
                id: id.clone(),
                tag: "navy".into()
            }
        ),
        1
    );
    // Writing what is already there writes nothing.
    assert_eq!(
        ops_written(&mut doc, &set(&id, MemberField::Name, "Grace Hopper")),
        0
    );
}

#[test]
fn notes_are_edited_as_text_not_replaced() {
    let mut doc = new_group();
    let id = add_member(&mut doc, "Alan");
    doc.apply(&set(&id, MemberField::Notes, "Runs the Tuesday session."))
        .unwrap();
    let ops = ops_written(
        &mut doc,
        &set(&id, MemberField::Notes, "Runs the Tuesday session!"),
    );
    assert!(ops <= 2, "a one-character edit wrote {ops} operations");
    assert_eq!(doc.member(&id).unwrap().notes, "Runs the Tuesday session!");
}

#[test]
fn a_status_change_records_its_date_and_bad_moves_are_refused() {
    let mut doc = new_group();
    let id = add_member(&mut doc, "Edsger");
    let later = T0 + 86_400_000;
    doc.apply(&Action::SetMemberStatus {
        id: id.clone(),
        status: MemberStatus::Active,
        at: later,
    })
    .unwrap();
    let member = doc.member(&id).unwrap();
    assert_eq!(member.status, MemberStatus::Active);
    assert_eq!(
        member.history.last(),
        Some(&StatusChange {
            at: later,
            status: MemberStatus::Active
        })
    );
    let error = doc
        .apply(&Action::SetMemberStatus {
            id: id.clone(),
            status: MemberStatus::Active,
            at: later,
        })
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Status: cannot change from Active to Active"
    );
}

#[test]
fn invalid_input_is_refused_naming_the_field_and_writes_nothing() {
    let mut doc = new_group();
    let member = add_member(&mut doc, "Barbara");
    let role = add_role(&mut doc, "Host");
    let stranger = MemberId::random().unwrap();
    let cases: Vec<(Action, Field)> = vec![
        (set(&member, MemberField::Name, "  "), Field::Name),
        (set(&member, MemberField::Email, "barbara@"), Field::Email),
        (set(&member, MemberField::Phone, "call me"), Field::Phone),
        (
            set(&member, MemberField::Joined, "2025-02-30"),
            Field::Joined,
        ),
        (
            Action::AddMember {
                id: MemberId::random().unwrap(),
                draft: MemberDraft {
                    name: "Ok".into(),
                    email: "no at sign".into(),
                    ..Default::default()
                },
                at: T0,
            },
            Field::Email,
        ),
        (
            Action::AddFeedback {
                id: FeedbackId::random().unwrap(),
                draft: FeedbackDraft {
                    text: "Great".into(),
                    score: "11".into(),
                    ..Default::default()
                },
                at: T0,
            },
            Field::Score,
        ),
        (
            Action::AddFeedback {
                id: FeedbackId::random().unwrap(),
                draft: FeedbackDraft {
                    text: "Hi".into(),
                    member: Some(stranger.clone()),
                    ..Default::default()
                },
                at: T0,
            },
            Field::Member,
        ),
        (
            Action::AssignRole {
                role: role.clone(),
                member: stranger.clone(),
            },
            Field::Holder,
        ),
        (set(&stranger, MemberField::Name, "Ghost"), Field::Record),
        (
            Action::AddRole {
                id: RoleId::random().unwrap(),
                draft: RoleDraft::default(),
            },
            Field::RoleName,
        ),
    ];
    for (action, field) in cases {
        let heads = doc.heads();
        match doc.apply(&action) {
            Err(ApplyError::Invalid(invalid)) => {
                assert_eq!(invalid.field, field, "{action:?}");
                assert!(invalid.to_string().starts_with(field.label()), "{invalid}");
            }
            other => panic!("{action:?} gave {other:?}"),
        }
        assert_eq!(doc.heads(), heads, "{action:?} wrote something");
    }
}

#[test]
fn a_batch_is_all_or_nothing() {
    let mut doc = new_group();
    let heads = doc.heads();
    let good = Action::AddMember {
        id: MemberId::random().unwrap(),
        draft: MemberDraft {
            name: "Ken".into(),
            ..Default::default()
        },
        at: T0,
    };
    let bad = Action::SetProfile {
        field: ProfileField::Name,
        value: String::new(),
    };
    assert!(doc.apply_all(&[good, bad]).is_err());
    assert_eq!(doc.heads(), heads);
    assert!(doc.hydrate().members.is_empty());
}

#[test]
fn damaged_foreign_and_newer_documents_are_refused_with_a_reason() {
    assert!(matches!(
        GroupDoc::load(b"not automerge"),
        Err(LoadError::Damaged(_))
    ));

    let mut foreign = automerge::AutoCommit::new();
    foreign.put(ROOT, "title", "A todo list").unwrap();
    let error = GroupDoc::load(&foreign.save()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "this document is not a Cohort group (it has no “schema”)"
    );

    let mut newer = automerge::Automerge::load(&new_group().save()).unwrap();
    newer.transact(|tx| tx.put(ROOT, "schema", 2_i64)).unwrap();
    assert!(matches!(
        GroupDoc::load(&newer.save()),
        Err(LoadError::NewerSchema { found: 2 })
    ));
}

#[test]
fn a_member_written_by_another_client_with_only_a_name_loads_with_defaults() {
    let doc = new_group();
    let mut raw = automerge::AutoCommit::load(&doc.save()).unwrap();
    let (_, members) = raw.get(ROOT, "members").unwrap().unwrap();
    let member = raw
        .put_object(&members, "from-js-client", automerge::ObjType::Map)
        .unwrap();
    raw.put(&member, "name", "Lin").unwrap();
    raw.put(&member, "status", "active").unwrap();
    let group = GroupDoc::load(&raw.save()).unwrap().hydrate();
    let lin = &group.members[&MemberId::from_key("from-js-client").unwrap()];
    assert_eq!(
        (lin.name.as_str(), lin.status),
        ("Lin", MemberStatus::Active)
    );
    assert!(lin.tags.is_empty() && lin.notes.is_empty() && lin.history.is_empty());
}

#[test]
fn odd_values_from_other_clients_read_the_same_in_a_whole_read_and_one_by_one() {
    use automerge::{ObjType, ScalarValue, transaction::Transactable};
    let doc = new_group();
    let mut raw = automerge::AutoCommit::load(&doc.save()).unwrap();
    let (_, members) = raw.get(ROOT, "members").unwrap().unwrap();
    // Fields of the wrong type, a Text name, a list where tags belong, history entries that
    // are not maps, a float timestamp, and records that are not maps at all.
    let odd = raw.put_object(&members, "odd", ObjType::Map).unwrap();
    let name = raw.put_object(&odd, "name", ObjType::Text).unwrap();
    raw.splice_text(&name, 0, 0, "Lin").unwrap();
    raw.put(&odd, "email", 42).unwrap();
    raw.put(&odd, "added_at", ScalarValue::F64(7.0)).unwrap();
    raw.put_object(&odd, "tags", ObjType::List).unwrap();
    let history = raw
        .put_object(&odd, "status_history", ObjType::List)
        .unwrap();
    raw.insert(&history, 0, "active").unwrap();
    let entry = raw.insert_object(&history, 1, ObjType::Map).unwrap();
    raw.put(&entry, "status", "active").unwrap();
    raw.put(&entry, "at", ScalarValue::Uint(5)).unwrap();
    raw.put_object(&members, "a-list", ObjType::List).unwrap();
    raw.put_object(&members, "a-text", ObjType::Text).unwrap();
    raw.put(&members, "a-number", 3).unwrap();
    let doc = GroupDoc::load(&raw.save()).unwrap();

    let whole = doc.hydrate();
    let ids: Vec<&str> = whole.members.keys().map(MemberId::as_str).collect();
    assert_eq!(ids, ["a-list", "a-text", "odd"], "a scalar is not a record");
    for (id, member) in &whole.members {
        assert_eq!(doc.member(id).as_ref(), Some(member), "{id}");
    }
    let odd = &whole.members[&MemberId::from_key("odd").unwrap()];
    assert_eq!(
        (odd.name.as_str(), odd.contacts.email.as_str(), odd.added_at),
        ("Lin", "", 7)
    );
    assert_eq!((odd.status, odd.history.len()), (MemberStatus::Active, 1));
}

#[test]
fn concurrent_edits_to_different_fields_of_one_member_both_stay() {
    let mut a = new_group();
    let id = add_member(&mut a, "Frances");
    let mut b = a.fork();
    a.apply(&set(&id, MemberField::Email, "frances@example.org"))
        .unwrap();
    b.apply(&set(&id, MemberField::Phone, "+1 555 0100"))
        .unwrap();
    b.apply(&Action::TagMember {
        id: id.clone(),
        tag: "mentor".into(),
    })
    .unwrap();
    a.apply(&Action::TagMember {
        id: id.clone(),
        tag: "speaker".into(),
    })
    .unwrap();
    sync(&mut a, &mut b);
    let member = a.member(&id).unwrap();
    assert_eq!(member.contacts.email, "frances@example.org");
    assert_eq!(member.contacts.phone, "+1 555 0100");
    assert_eq!(member.tags.len(), 2);
    assert_eq!(a.hydrate(), b.hydrate());
}

#[test]
fn concurrent_edits_to_the_same_field_resolve_the_same_way_everywhere() {
    let mut a = new_group();
    let id = add_member(&mut a, "Donald");
    let mut b = a.fork();
    let mut c = a.fork();
    a.apply(&set(&id, MemberField::Name, "Don")).unwrap();
    b.apply(&set(&id, MemberField::Name, "Donald Knuth"))
        .unwrap();
    // Merge in different orders: every replica picks the same winner.
    c.merge(&mut b).unwrap();
    c.merge(&mut a).unwrap();
    sync(&mut a, &mut b);
    let winner = a.member(&id).unwrap().name;
    assert!(winner == "Don" || winner == "Donald Knuth");
    assert_eq!(b.member(&id).unwrap().name, winner);
    assert_eq!(c.member(&id).unwrap().name, winner);
}

#[test]
fn concurrent_typing_in_notes_keeps_both_insertions() {
    let mut a = new_group();
    let id = add_member(&mut a, "Mei");
    a.apply(&set(&id, MemberField::Notes, "Likes tea."))
        .unwrap();
    let mut b = a.fork();
    a.apply(&set(&id, MemberField::Notes, "Likes green tea."))
        .unwrap();
    b.apply(&set(&id, MemberField::Notes, "Likes tea. Speaks Japanese."))
        .unwrap();
    sync(&mut a, &mut b);
    assert_eq!(
        a.member(&id).unwrap().notes,
        "Likes green tea. Speaks Japanese."
    );
}

#[test]
fn removing_a_member_concurrently_with_an_edit_removes_them() {
    let mut a = new_group();
    let id = add_member(&mut a, "Wei");
    let role = add_role(&mut a, "Scribe");
    let mut b = a.fork();
    a.apply(&Action::RemoveMember { id: id.clone() }).unwrap();
    b.apply(&set(&id, MemberField::Email, "wei@example.org"))
        .unwrap();
    b.apply(&Action::AssignRole {
        role: role.clone(),
        member: id.clone(),
    })
    .unwrap();
    let feedback = FeedbackId::random().unwrap();
    let draft = FeedbackDraft {
        member: Some(id.clone()),
        text: "More sessions".into(),
        ..Default::default()
    };
    b.apply(&Action::AddFeedback {
        id: feedback.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    sync(&mut a, &mut b);
    for doc in [&a, &b] {
        let group = doc.hydrate();
        assert!(!group.members.contains_key(&id));
        assert!(group.roles[&role].holders.is_empty());
        assert_eq!(group.feedback[&feedback].member, None);
        assert_eq!(group.feedback[&feedback].text, "More sessions");
        group.check_invariants().unwrap();
    }
}

#[test]
fn removing_a_member_takes_them_off_roles_and_makes_their_feedback_anonymous() {
    let mut doc = new_group();
    let id = add_member(&mut doc, "Yuki");
    let role = add_role(&mut doc, "Greeter");
    doc.apply(&Action::AssignRole {
        role: role.clone(),
        member: id.clone(),
    })
    .unwrap();
    let feedback = FeedbackId::random().unwrap();
    let draft = FeedbackDraft {
        member: Some(id.clone()),
        score: "9".into(),
        ..Default::default()
    };
    doc.apply(&Action::AddFeedback {
        id: feedback.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    let touched = doc.apply(&Action::RemoveMember { id: id.clone() }).unwrap();
    assert!(touched.roles.contains(&role) && touched.feedback.contains(&feedback));
    let raw = doc.automerge();
    let (_, roles) = raw.get(ROOT, "roles").unwrap().unwrap();
    let (_, role_obj) = raw.get(&roles, role.as_str()).unwrap().unwrap();
    let (_, holders) = raw.get(&role_obj, "holders").unwrap().unwrap();
    assert_eq!(
        raw.length(&holders),
        0,
        "the holder entry itself is deleted"
    );
    assert_eq!(doc.feedback(&feedback).unwrap().member, None);
}

#[test]
fn a_view_kept_by_updates_matches_a_full_read() {
    let mut a = new_group();
    let mut view = a.hydrate();
    let mut b = a.fork();
    let id = add_member(&mut b, "Amara");
    let role = add_role(&mut b, "Host");
    b.apply(&Action::AssignRole {
        role: role.clone(),
        member: id.clone(),
    })
    .unwrap();
    let touched = a.merge(&mut b).unwrap();
    assert!(touched.members.contains(&id) && touched.roles.contains(&role));
    view.apply(a.update_for(&touched));
    assert_eq!(view, a.hydrate());

    let touched = a.apply(&set(&id, MemberField::Source, "referral")).unwrap();
    assert_eq!(touched.members.len(), 1);
    assert!(touched.roles.is_empty() && touched.feedback.is_empty() && !touched.profile);
    view.apply(a.update_for(&touched));
    assert_eq!(view, a.hydrate());
}

/// The members an update names, each with the parts it carries (`None`: the whole record).
fn parts_sent(update: Update) -> Vec<Option<Vec<MemberValue>>> {
    let Update::Records(records) = update else {
        panic!("a whole group was sent for one change");
    };
    records
        .members
        .into_iter()
        .map(|(_, change)| match change {
            MemberChange::Parts(values) => Some(values),
            MemberChange::Whole(_) | MemberChange::Removed => None,
        })
        .collect()
}

#[test]
fn an_edit_sends_the_parts_it_changed_not_the_whole_member() {
    let mut a = new_group();
    let id = add_member(&mut a, "Ada");
    a.apply(&set(&id, MemberField::Notes, "long notes"))
        .unwrap();
    let mut view = a.hydrate();
    let mut b = a.fork();

    // Locally: a rename carries the name alone, not the notes or the history.
    let touched = a.apply(&set(&id, MemberField::Name, "Ada L.")).unwrap();
    let update = a.update_for(&touched);
    assert_eq!(
        parts_sent(update.clone()),
        [Some(vec![MemberValue::Text(
            MemberField::Name,
            "Ada L.".into()
        )])]
    );
    view.apply(update);
    assert_eq!(view, a.hydrate());

    // From another organizer: a status move and a tag, merged, carry those two parts.
    b.apply(&Action::SetMemberStatus {
        id: id.clone(),
        status: MemberStatus::Active,
        at: 5,
    })
    .unwrap();
    b.apply(&Action::TagMember {
        id: id.clone(),
        tag: "mentor".into(),
    })
    .unwrap();
    let touched = a.merge(&mut b).unwrap();
    let update = a.update_for(&touched);
    let sent = parts_sent(update.clone());
    let [Some(values)] = sent.as_slice() else {
        panic!("expected the parts of one member, got {sent:?}");
    };
    assert_eq!(values.len(), 2, "{values:?}");
    assert!(matches!(values[0], MemberValue::Tags(_)));
    assert!(matches!(
        values[1],
        MemberValue::Status(MemberStatus::Active, _)
    ));
    view.apply(update);
    assert_eq!(view, a.hydrate());

    // A new member is sent whole; so is one touched whole and in parts by one change.
    let mut touched = Touched::default();
    touched.members.part(id.clone(), MemberPart::Tags);
    touched.extend({
        let mut whole = Touched::default();
        whole.members.whole(id.clone());
        whole
    });
    assert_eq!(parts_sent(a.update_for(&touched)), [None]);
    let grace = add_member(&mut b, "Grace");
    let touched = a.merge(&mut b).unwrap();
    assert!(touched.members.contains(&grace));
    assert_eq!(parts_sent(a.update_for(&touched)), [None]);
}

#[test]
fn feedback_edits_send_the_parts_they_changed_not_the_text_and_history() {
    let mut a = new_group();
    let ada = add_member(&mut a, "Ada");
    let item = FeedbackId::random().unwrap();
    let draft = FeedbackDraft {
        member: Some(ada.clone()),
        text: "A long story about the venue".into(),
        ..Default::default()
    };
    a.apply(&Action::AddFeedback {
        id: item.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    let mut view = a.hydrate();
    let mut b = a.fork();
    let sent = |update: Update| {
        let Update::Records(records) = update else {
            panic!("a whole group was sent for one change");
        };
        records
            .feedback
            .into_iter()
            .map(|(_, change)| match change {
                FeedbackChange::Parts(values) => Some(values),
                FeedbackChange::Whole(_) | FeedbackChange::Removed => None,
            })
            .collect::<Vec<_>>()
    };

    let touched = a
        .apply(&Action::SetFeedbackScore {
            id: item.clone(),
            score: "8".into(),
        })
        .unwrap();
    let update = a.update_for(&touched);
    assert_eq!(
        sent(update.clone()),
        [Some(vec![FeedbackValue::Score(Some(8))])]
    );
    view.apply(update);

    // Another organizer triages it and Ada is removed: merged, the status and the link.
    b.apply(&Action::SetFeedbackStatus {
        id: item.clone(),
        status: FeedbackStatus::Triaged,
        at: T0 + 1,
    })
    .unwrap();
    b.apply(&Action::RemoveMember { id: ada.clone() }).unwrap();
    let touched = a.merge(&mut b).unwrap();
    let update = a.update_for(&touched);
    let parts = sent(update.clone());
    let [Some(values)] = parts.as_slice() else {
        panic!("expected the parts of one item, got {parts:?}");
    };
    assert_eq!(values.len(), 2, "{values:?}");
    assert_eq!(values[0], FeedbackValue::Member(None));
    assert!(matches!(
        values[1],
        FeedbackValue::Status(FeedbackStatus::Triaged, _)
    ));
    view.apply(update);
    assert_eq!(view, a.hydrate());
}

#[test]
fn what_changed_since_older_heads_is_found_without_reading_everything() {
    let mut doc = new_group();
    let ada = add_member(&mut doc, "Ada");
    let grace = add_member(&mut doc, "Grace");
    let heads = doc.heads();
    doc.apply(&set(&grace, MemberField::Email, "grace@example.org"))
        .unwrap();
    let role = add_role(&mut doc, "Host");
    let touched = doc.touched_since(&heads).unwrap();
    assert_eq!(touched.members.iter().collect::<Vec<_>>(), [&grace]);
    assert_eq!(touched.roles.iter().collect::<Vec<_>>(), [&role]);
    assert!(!touched.members.contains(&ada));
    assert_eq!(doc.touched_since(&doc.heads()), Some(Touched::default()));
    // Heads from another replica's future cannot be diffed against.
    let mut other = doc.fork();
    add_member(&mut other, "Alan");
    assert_eq!(doc.touched_since(&other.heads()), None);
}

#[test]
fn feedback_moves_through_its_workflow_with_dates() {
    let mut doc = new_group();
    let id = FeedbackId::random().unwrap();
    let draft = FeedbackDraft {
        text: "Slides please".into(),
        category: "idea".into(),
        ..Default::default()
    };
    doc.apply(&Action::AddFeedback {
        id: id.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    for (n, status) in [
        FeedbackStatus::Triaged,
        FeedbackStatus::InProgress,
        FeedbackStatus::Resolved,
    ]
    .into_iter()
    .enumerate()
    {
        doc.apply(&Action::SetFeedbackStatus {
            id: id.clone(),
            status,
            at: T0 + n as Millis + 1,
        })
        .unwrap();
    }
    let item = doc.feedback(&id).unwrap();
    assert_eq!(item.status, FeedbackStatus::Resolved);
    assert_eq!(item.history.len(), 4);
    assert_eq!(item.updated_at(), T0 + 3);
    doc.apply(&Action::SetFeedbackScore {
        id: id.clone(),
        score: "8".into(),
    })
    .unwrap();
    assert_eq!(doc.feedback(&id).unwrap().score, Some(8));
    doc.apply(&Action::SetFeedbackScore {
        id: id.clone(),
        score: String::new(),
    })
    .unwrap();
    assert_eq!(doc.feedback(&id).unwrap().score, None);
    let refused = doc.apply(&Action::SetFeedbackStatus {
        id,
        status: FeedbackStatus::New,
        at: T0,
    });
    assert!(matches!(
        refused,
        Err(ApplyError::Invalid(Invalid {
            field: Field::Status,
            ..
        }))
    ));
}

#[test]
fn queries_search_filter_and_sort_members() {
    let mut doc = new_group();
    let ada = add_member(&mut doc, "ada");
    let bob = add_member(&mut doc, "Bob");
    let cy = add_member(&mut doc, "Cy");
    doc.apply(&set(&bob, MemberField::Email, "bob@mentors.org"))
        .unwrap();
    doc.apply(&Action::TagMember {
        id: cy.clone(),
        tag: "mentor".into(),
    })
    .unwrap();
    doc.apply(&Action::SetMemberStatus {
        id: ada.clone(),
        status: MemberStatus::Active,
        at: T0,
    })
    .unwrap();
    let role = add_role(&mut doc, "Host");
    doc.apply(&Action::AssignRole {
        role: role.clone(),
        member: ada.clone(),
    })
    .unwrap();
    let group = doc.hydrate();
    let names = |query: MemberQuery| -> Vec<String> {
        query.run(&group).iter().map(|m| m.name.clone()).collect()
    };
    assert_eq!(names(MemberQuery::default()), ["ada", "Bob", "Cy"]);
    assert_eq!(
        names(MemberQuery {
            descending: true,
            ..Default::default()
        }),
        ["Cy", "Bob", "ada"]
    );
    assert_eq!(
        names(MemberQuery {
            search: "MENTOR".into(),
            ..Default::default()
        }),
        ["Bob", "Cy"]
    );
    assert_eq!(
        names(MemberQuery {
            tag: Some("mentor".into()),
            ..Default::default()
        }),
        ["Cy"]
    );
    assert_eq!(
        names(MemberQuery {
            status: Some(MemberStatus::Active),
            ..Default::default()
        }),
        ["ada"]
    );
    assert_eq!(
        names(MemberQuery {
            role: Some(RoleFilter::Holds(role)),
            ..Default::default()
        }),
        ["ada"]
    );
    assert_eq!(
        names(MemberQuery {
            role: Some(RoleFilter::NoRole),
            ..Default::default()
        }),
        ["Bob", "Cy"]
    );
    assert_eq!(group.members_without_role().len(), 2);
    let empty_role = add_role(&mut doc, "Treasurer");
    let group = doc.hydrate();
    assert_eq!(
        group
            .roles_without_holder()
            .iter()
            .map(|r| &r.id)
            .collect::<Vec<_>>(),
        [&empty_role]
    );
}

#[test]
fn chinese_names_sort_by_pinyin_among_latin_ones_and_are_found_by_it() {
    let mut doc = GroupDoc::create("读书会", T0).unwrap();
    for name in ["张伟", "Zoe", "安娜", "Bob", "李娜", "曾静"] {
        add_member(&mut doc, name);
    }
    let group = doc.hydrate();
    let names = |search: &str| -> Vec<String> {
        let query = MemberQuery {
            search: search.into(),
            ..Default::default()
        };
        query.run(&group).iter().map(|m| m.name.clone()).collect()
    };
    assert_eq!(names(""), ["安娜", "Bob", "李娜", "曾静", "张伟", "Zoe"]);
    assert_eq!(names("zw"), ["张伟"]);
    assert_eq!(names("zhangwei"), ["张伟"]);
    assert_eq!(names("na"), ["安娜", "李娜"]);
    assert_eq!(names("zj"), ["曾静"]);
    assert_eq!(names("张"), ["张伟"]);
}

#[test]
fn a_search_s_first_few_are_the_full_result_s_first_few() {
    let mut doc = GroupDoc::create("Choir", 0).unwrap();
    // Names out of order, some sharing a surname, so a partial sort shows.
    for n in 0..60_u32 {
        let name = format!(
            "{} {}",
            ["张", "Li", "王", "ada", "Zoe"][n as usize % 5],
            (n * 37) % 61
        );
        doc.apply(&Action::AddMember {
            id: MemberId::random().unwrap(),
            draft: MemberDraft {
                name,
                ..MemberDraft::default()
            },
            at: i64::from(n),
        })
        .unwrap();
    }
    let group = doc.hydrate();
    for (search, sort, descending) in [
        ("", MemberSort::Name, false),
        ("", MemberSort::Added, true),
        ("1", MemberSort::Name, true),
        ("zhang", MemberSort::Name, false),
    ] {
        let query = MemberQuery {
            search: search.into(),
            sort,
            descending,
            ..MemberQuery::default()
        };
        let ids = |members: Vec<&Member>| {
            members
                .into_iter()
                .map(|m| m.id.clone())
                .collect::<Vec<_>>()
        };
        let full = ids(query.run(&group));
        assert!(full.len() > 8, "{search}");
        assert_eq!(
            ids(query.first(&group, 8)),
            full[..8],
            "{search} {sort:?} {descending}"
        );
    }
}
