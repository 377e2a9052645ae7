//! Who changed what, and undo: the history of records and of the group, from the document's
//! own changes, and undo as a new change that leaves others' later edits alone.

mod common;

use cohort_model::history::{ADDED, History, HistoryPage, RecordKey};
use cohort_model::*;
use common::{T0, add_member};

const ALICE: &str = "device-alice";
const BOB: &str = "device-bob";

fn organizer(doc: &GroupDoc, device: &str, name: &str) -> GroupDoc {
    let mut doc = doc.fork();
    doc.set_organizer(device, name);
    doc
}

fn set(doc: &mut GroupDoc, id: &MemberId, field: MemberField, value: &str, at: Millis) {
    let action = Action::SetMember {
        id: id.clone(),
        field,
        value: value.into(),
    };
    doc.apply_all_at(&[action], at).expect("a valid edit");
}

fn sync(a: &mut GroupDoc, b: &mut GroupDoc) {
    a.merge(&mut b.fork()).expect("merges");
    b.merge(&mut a.fork()).expect("merges");
}

fn member_key(id: &MemberId) -> RecordKey {
    RecordKey {
        collection: "members".into(),
        id: id.to_string(),
    }
}

fn page(doc: &GroupDoc, record: Option<&RecordKey>, device: &str) -> HistoryPage {
    let mut history = History::default();
    history.update(doc.automerge());
    history.page(doc.automerge(), record, device, None, 100)
}

fn undo(doc: &mut GroupDoc, device: &str, at: Millis) -> history::Undone {
    let next = page(doc, None, device)
        .next_undo
        .expect("something to undo");
    doc.undo(&next, at).expect("undone").1
}

#[test]
fn a_records_history_says_who_changed_which_field_and_when() {
    let origin = GroupDoc::create("Group", T0).unwrap();
    let mut alice = organizer(&origin, ALICE, "Alice");
    let mut bob = organizer(&origin, BOB, "Bob");
    let id = add_member(&mut alice, "Wang Fang");
    sync(&mut alice, &mut bob);
    set(
        &mut bob,
        &id,
        MemberField::Phone,
        "138 0000 1111",
        T0 + 60_000,
    );
    set(
        &mut alice,
        &id,
        MemberField::Email,
        "wf@example.org",
        T0 + 120_000,
    );
    sync(&mut alice, &mut bob);

    let page = page(&bob, Some(&member_key(&id)), BOB);
    let seen: Vec<(Option<&str>, Millis, Vec<&str>)> = page
        .entries
        .iter()
        .map(|entry| {
            let fields = entry.fields.iter().map(String::as_str).collect();
            (entry.by.as_deref(), entry.at, fields)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some(ALICE), T0 + 120_000, vec!["email"]),
            (Some(BOB), T0 + 60_000, vec!["phone"]),
            // add_member applies with no time.
            (Some(ALICE), 0, vec![ADDED]),
        ]
    );
    assert_eq!(
        page.organizers.get(ALICE).map(String::as_str),
        Some("Alice")
    );
    assert_eq!(page.organizers.get(BOB).map(String::as_str), Some("Bob"));
}

#[test]
fn the_feed_lists_the_groups_changes_newest_first_and_by_organizer() {
    let origin = GroupDoc::create("Group", T0).unwrap();
    let mut alice = organizer(&origin, ALICE, "Alice");
    let mut bob = organizer(&origin, BOB, "Bob");
    let wang = add_member(&mut alice, "Wang Fang");
    sync(&mut alice, &mut bob);
    set(
        &mut bob,
        &wang,
        MemberField::Phone,
        "138 0000 1111",
        T0 + 60_000,
    );
    let li = add_member(&mut bob, "Li Lei");
    sync(&mut alice, &mut bob);

    let mut history = History::default();
    history.update(alice.automerge());
    let everyone = history.feed(10, None);
    assert_eq!(everyone.len(), 3, "{everyone:?}");
    assert_eq!(everyone[0].records, [member_key(&wang)]);
    let bobs = history.feed(10, Some(BOB));
    let named: Vec<&[RecordKey]> = bobs.iter().map(|entry| &entry.records[..]).collect();
    assert_eq!(named, [&[member_key(&wang)][..], &[member_key(&li)][..]]);
    // The index follows new changes without reading the old ones again.
    set(
        &mut alice,
        &li,
        MemberField::Name,
        "Li Lei 李雷",
        T0 + 180_000,
    );
    history.update(alice.automerge());
    assert_eq!(history.feed(1, None)[0].by.as_deref(), Some(ALICE));
}

#[test]
fn undo_puts_back_the_field_and_keeps_what_another_changed_since() {
    let origin = GroupDoc::create("Group", T0).unwrap();
    let mut alice = organizer(&origin, ALICE, "Alice");
    let mut bob = organizer(&origin, BOB, "Bob");
    let id = add_member(&mut alice, "Wang Fang");
    set(&mut alice, &id, MemberField::Phone, "138 0000 1111", T0);
    sync(&mut alice, &mut bob);
    set(&mut alice, &id, MemberField::Phone, "139 9999 9999", T0 + 1);
    set(&mut bob, &id, MemberField::Email, "wf@example.org", T0 + 2);
    sync(&mut alice, &mut bob);

    let undone = undo(&mut alice, ALICE, T0 + 3);
    assert!(undone.kept.is_empty(), "{undone:?}");
    let member = alice.member(&id).unwrap();
    assert_eq!(member.contacts.phone, "138 0000 1111");
    assert_eq!(member.contacts.email, "wf@example.org", "Bob's edit stays");

    // Alice changes the name and the WeChat id in one change, then Bob the name: her undo
    // puts back the WeChat id and keeps Bob's name.
    let both = [MemberField::Name, MemberField::Wechat].map(|field| Action::SetMember {
        id: id.clone(),
        field,
        value: "wangfang".into(),
    });
    alice.apply_all_at(&both, T0 + 4).unwrap();
    sync(&mut alice, &mut bob);
    set(&mut bob, &id, MemberField::Name, "王芳", T0 + 5);
    sync(&mut alice, &mut bob);
    let undone = undo(&mut alice, ALICE, T0 + 6);
    assert_eq!(undone.kept.len(), 1);
    assert_eq!(undone.kept[0].field, "name");
    let member = alice.member(&id).unwrap();
    assert_eq!(
        (member.name.as_str(), member.contacts.wechat.as_str()),
        ("王芳", "")
    );

    // A change whose every field someone changed since has nothing to undo: passed by.
    set(&mut alice, &id, MemberField::Source, "WeChat group", T0 + 7);
    sync(&mut alice, &mut bob);
    set(&mut bob, &id, MemberField::Source, "Referral", T0 + 8);
    sync(&mut alice, &mut bob);
    let next = page(&alice, None, ALICE).next_undo.unwrap();
    let fields = page(&alice, Some(&member_key(&id)), ALICE)
        .entries
        .into_iter()
        .find(|entry| entry.change == next.change)
        .map(|entry| entry.fields);
    assert_eq!(
        fields,
        Some(vec!["phone".to_owned()]),
        "the first phone change is next"
    );
}

#[test]
fn undo_goes_back_one_step_at_a_time_even_after_a_reload() {
    let mut alice = organizer(&GroupDoc::create("Group", T0).unwrap(), ALICE, "Alice");
    let id = add_member(&mut alice, "Wang Fang");
    set(&mut alice, &id, MemberField::Phone, "138 0000 1111", T0 + 1);
    set(&mut alice, &id, MemberField::Notes, "Likes hiking", T0 + 2);
    let action = Action::SetMemberStatus {
        id: id.clone(),
        status: MemberStatus::Active,
        at: T0 + 3,
    };
    alice.apply_all_at(&[action], T0 + 3).unwrap();

    // A reload: the same device, a new actor.
    let mut alice = GroupDoc::load(&alice.save()).unwrap();
    alice.set_organizer(ALICE, "Alice");
    undo(&mut alice, ALICE, T0 + 4);
    let member = alice.member(&id).unwrap();
    assert_eq!(member.status, MemberStatus::Applicant);
    assert_eq!(member.history.len(), 1, "the entry goes with the status");
    undo(&mut alice, ALICE, T0 + 5);
    assert_eq!(alice.member(&id).unwrap().notes, "");
    undo(&mut alice, ALICE, T0 + 6);
    assert_eq!(alice.member(&id).unwrap().contacts.phone, "");
    undo(&mut alice, ALICE, T0 + 7);
    assert!(alice.member(&id).is_none(), "adding is undone too");
    assert_eq!(page(&alice, None, ALICE).next_undo, None);
    // Undos are changes like any other: they are in the record's history.
    let history = page(&alice, Some(&member_key(&id)), ALICE);
    assert_eq!(
        history.entries.iter().filter(|entry| entry.undoes).count(),
        4
    );
    assert!(
        history
            .entries
            .iter()
            .filter(|e| !e.undoes)
            .all(|e| e.undone)
    );
}

#[test]
fn an_organizer_undoes_only_their_own_changes() {
    let origin = GroupDoc::create("Group", T0).unwrap();
    let mut alice = organizer(&origin, ALICE, "Alice");
    let mut bob = organizer(&origin, BOB, "Bob");
    let id = add_member(&mut bob, "Wang Fang");
    sync(&mut alice, &mut bob);
    assert_eq!(page(&alice, None, ALICE).next_undo, None);
    let next = page(&bob, None, BOB).next_undo.unwrap();
    assert_eq!(next.records, [member_key(&id)]);
}

#[test]
fn undo_of_a_tag_and_of_notes_typed_puts_the_list_and_text_back() {
    let mut alice = organizer(&GroupDoc::create("Group", T0).unwrap(), ALICE, "Alice");
    let id = add_member(&mut alice, "Wang Fang");
    set(&mut alice, &id, MemberField::Notes, "Likes hiking", T0);
    for tag in ["volunteer", "speaker"] {
        let action = Action::TagMember {
            id: id.clone(),
            tag: tag.into(),
        };
        alice.apply_all_at(&[action], T0).unwrap();
    }
    set(
        &mut alice,
        &id,
        MemberField::Notes,
        "Likes hiking and tea",
        T0,
    );
    undo(&mut alice, ALICE, T0);
    assert_eq!(alice.member(&id).unwrap().notes, "Likes hiking");
    undo(&mut alice, ALICE, T0);
    assert_eq!(
        Vec::from_iter(alice.member(&id).unwrap().tags),
        ["volunteer"]
    );
    let untag = Action::UntagMember {
        id: id.clone(),
        tag: "volunteer".into(),
    };
    alice.apply_all_at(&[untag], T0).unwrap();
    undo(&mut alice, ALICE, T0);
    assert_eq!(
        Vec::from_iter(alice.member(&id).unwrap().tags),
        ["volunteer"]
    );
}

#[test]
fn an_import_names_its_first_records_and_counts_the_rest() {
    let mut alice = organizer(&GroupDoc::create("Group", T0).unwrap(), ALICE, "Alice");
    let added: Vec<Action> = (0..25)
        .map(|n| Action::AddMember {
            id: MemberId::from_bits(n + 1),
            draft: MemberDraft {
                name: format!("Member {n}"),
                ..MemberDraft::default()
            },
            at: T0,
        })
        .collect();
    alice.apply_all_at(&added, T0).unwrap();
    let entry = &page(&alice, None, ALICE).entries[0];
    assert_eq!((entry.records.len(), entry.more), (10, 15));
    // A member's own page still finds the change that added them.
    let last = member_key(&MemberId::from_bits(25));
    let fields = &page(&alice, Some(&last), ALICE).entries[0].fields;
    assert_eq!(fields, &[ADDED]);
}

#[test]
fn changes_name_the_records_they_touched_in_their_message() {
    let mut alice = organizer(&GroupDoc::create("Group", T0).unwrap(), ALICE, "Alice");
    let id = add_member(&mut alice, "Wang Fang");
    let change = alice.automerge().get_last_local_change().unwrap();
    assert_eq!(
        change.message(),
        Some(format!(r#"cohort {{"r":[["members","{id}"]]}}"#).as_str())
    );
    assert_eq!(
        change.author().map(|a| a.as_bytes().to_vec()),
        Some(ALICE.as_bytes().to_vec())
    );
}

#[test]
fn an_add_another_organizer_changed_since_is_not_undone() {
    let origin = GroupDoc::create("Group", T0).unwrap();
    let mut alice = organizer(&origin, ALICE, "Alice");
    let mut bob = organizer(&origin, BOB, "Bob");
    let id = add_member(&mut alice, "Wang Fang");
    sync(&mut alice, &mut bob);
    set(&mut bob, &id, MemberField::Phone, "138 0000 1111", T0 + 1);
    sync(&mut alice, &mut bob);
    let mut alice = GroupDoc::load(&alice.save()).unwrap();
    alice.set_organizer(ALICE, "Alice");
    // Nothing of the adding is left to undo: the next undo passes it by.
    set(
        &mut alice,
        &id,
        MemberField::Email,
        "wf@example.org",
        T0 + 2,
    );
    let next = page(&alice, None, ALICE).next_undo.unwrap();
    assert!(alice.undo(&next, T0 + 3).unwrap().1.kept.is_empty());
    assert_eq!(page(&alice, None, ALICE).next_undo, None);
    assert!(alice.member(&id).is_some());
}
