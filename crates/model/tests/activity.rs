//! Activities and attendance: the rules, the counts (hand-computed), and check-ins at two
//! doors at once.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use cohort_model::activity::{Standing, member_attendance, turnout};
use cohort_model::*;
use common::{T0, add_member};

const HOUR: Millis = 3_600_000;

fn draft(title: &str, starts_at: Millis, invited: Vec<Invitee>) -> ActivityDraft {
    ActivityDraft {
        kind: ActivityKind::Sharing,
        title: title.into(),
        starts_at,
        ends_at: starts_at + 2 * HOUR,
        place: "Room 3".into(),
        invited,
        ..ActivityDraft::default()
    }
}

fn add(doc: &mut GroupDoc, draft: ActivityDraft) -> ActivityId {
    let id = ActivityId::random().unwrap();
    doc.apply(&Action::AddActivity {
        id: id.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    id
}

fn mark(doc: &mut GroupDoc, id: &ActivityId, member: &MemberId, mark: Mark) {
    doc.apply(&Action::MarkAttendance {
        id: id.clone(),
        member: member.clone(),
        mark: Some(mark),
    })
    .unwrap();
}

fn refusal(doc: &mut GroupDoc, action: &Action) -> Field {
    let heads = doc.heads();
    let error = doc.apply(action).unwrap_err();
    assert_eq!(doc.heads(), heads, "a refused action writes nothing");
    match error {
        ApplyError::Invalid(invalid) => invalid.field,
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_activities_and_marks_are_refused_naming_the_field() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let new = |draft: ActivityDraft| Action::AddActivity {
        id: ActivityId::random().unwrap(),
        draft,
        at: T0,
    };
    let ends_before = ActivityDraft {
        ends_at: T0 - 1,
        ..draft("Talk", T0, vec![])
    };
    assert_eq!(refusal(&mut doc, &new(ends_before)), Field::Ends);
    assert_eq!(
        refusal(&mut doc, &new(draft(" ", T0, vec![]))),
        Field::ActivityTitle
    );
    assert_eq!(
        refusal(&mut doc, &new(draft("Talk", 0, vec![]))),
        Field::Starts
    );
    let bad_link = ActivityDraft {
        link: "meet example".into(),
        ..draft("Talk", T0, vec![])
    };
    assert_eq!(refusal(&mut doc, &new(bad_link)), Field::Link);
    let stranger = draft("Talk", T0, vec![Invitee::Member(MemberId::from_bits(7))]);
    assert_eq!(refusal(&mut doc, &new(stranger)), Field::Invitee);

    // A mark for a member erased meanwhile is refused; the activity keeps what it had.
    let talk = add(
        &mut doc,
        draft("Talk", T0, vec![Invitee::Member(ada.clone())]),
    );
    let grace = add_member(&mut doc, "Grace");
    doc.apply(&Action::RemoveMember { id: grace.clone() })
        .unwrap();
    let late = Action::MarkAttendance {
        id: talk.clone(),
        member: grace,
        mark: Some(Mark::Attended),
    };
    assert_eq!(refusal(&mut doc, &late), Field::Attendance);
    assert!(doc.activity(&talk).unwrap().attendance.is_empty());
}

#[test]
fn turnout_counts_walk_ins_excused_and_former_members() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let [ada, bo, cy, di, ed] = ["Ada", "Bo", "Cy", "Di", "Ed"].map(|n| add_member(&mut doc, n));
    doc.apply(&Action::TagMember {
        id: bo.clone(),
        tag: "alto".into(),
    })
    .unwrap();
    let talk = add(
        &mut doc,
        draft(
            "Talk",
            T0,
            vec![
                Invitee::Member(ada.clone()),
                Invitee::Member(cy.clone()),
                Invitee::Tag("alto".into()),
            ],
        ),
    );
    // Invited: Ada, Bo (by tag), Cy. Ada came, Bo excused, Cy no mark; Di walked in; Ed
    // walked in and was erased since.
    mark(&mut doc, &talk, &ada, Mark::Attended);
    mark(&mut doc, &talk, &bo, Mark::Excused);
    mark(&mut doc, &talk, &di, Mark::Attended);
    mark(&mut doc, &talk, &ed, Mark::Attended);
    doc.apply(&Action::RemoveMember { id: ed }).unwrap();
    let group = doc.hydrate();
    let activity = &group.activities[&talk];
    let counts = turnout(activity, &group, &activity.invitees(&group));
    assert_eq!(counts.invited, 3);
    assert_eq!(counts.attended, 3);
    assert_eq!(counts.walk_ins, 2);
    assert_eq!(counts.excused, 1);
    assert_eq!(counts.former_members, 1);
    assert_eq!(counts.absent, 0);
}

#[test]
fn a_members_attendance_rate_leaves_out_excused_and_future_activities() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let me = vec![Invitee::Member(ada.clone())];
    let came = add(&mut doc, draft("1", T0 - 40 * HOUR, me.clone()));
    let absent = add(&mut doc, draft("2", T0 - 30 * HOUR, me.clone()));
    let excused = add(&mut doc, draft("3", T0 - 20 * HOUR, me.clone()));
    let no_mark = add(&mut doc, draft("4", T0 - 10 * HOUR, me.clone()));
    let walk_in = add(&mut doc, draft("5", T0 - 5 * HOUR, vec![]));
    let future = add(&mut doc, draft("6", T0 + 10 * HOUR, me));
    add(&mut doc, draft("not hers", T0 - HOUR, vec![]));
    mark(&mut doc, &came, &ada, Mark::Attended);
    mark(&mut doc, &absent, &ada, Mark::Absent);
    mark(&mut doc, &excused, &ada, Mark::Excused);
    mark(&mut doc, &walk_in, &ada, Mark::Attended);
    mark(&mut doc, &future, &ada, Mark::Registered);
    let record = member_attendance(&doc.hydrate(), &ada, T0);
    // Counted: came, absent, no mark, walk-in = 4; attended: came, walk-in = 2.
    assert_eq!((record.attended, record.counted), (2, 4));
    assert_eq!(record.rate(), Some(0.5));
    assert_eq!(
        record.history,
        vec![
            (walk_in, Standing::WalkIn),
            (no_mark, Standing::Invited),
            (excused, Standing::Marked(Mark::Excused)),
            (absent, Standing::Marked(Mark::Absent)),
            (came, Standing::Marked(Mark::Attended)),
        ]
    );
    let nobody = add_member(&mut doc, "Nobody");
    assert_eq!(member_attendance(&doc.hydrate(), &nobody, T0).rate(), None);
}

#[test]
fn check_ins_at_two_doors_offline_are_all_kept() {
    let mut first = GroupDoc::create("Choir", T0).unwrap();
    let members: Vec<MemberId> = (0..6)
        .map(|n| add_member(&mut first, &format!("M{n}")))
        .collect();
    let invited = members.iter().cloned().map(Invitee::Member).collect();
    let talk = add(&mut first, draft("Talk", T0, invited));
    let mut second = GroupDoc::load(&first.save()).unwrap();
    for member in &members[..3] {
        mark(&mut first, &talk, member, Mark::Attended);
    }
    for member in &members[3..] {
        mark(&mut second, &talk, member, Mark::Attended);
    }
    // Both doors check in the same late-comer.
    mark(&mut first, &talk, &members[5], Mark::Attended);
    first.merge(&mut second).unwrap();
    second.merge(&mut first.fork()).unwrap();
    for doc in [&first, &second] {
        let activity = doc.activity(&talk).unwrap();
        assert_eq!(activity.attendance.len(), 6);
        assert!(
            activity
                .attendance
                .values()
                .all(|mark| *mark == Mark::Attended)
        );
    }
}

#[test]
fn check_in_search_finds_a_member_by_the_last_digits_of_a_phone_written_with_spaces() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let li = add_member(&mut doc, "李娜");
    add_member(&mut doc, "Ada");
    doc.apply(&Action::SetMember {
        id: li.clone(),
        field: MemberField::Phone,
        value: "138 0013 8000".into(),
    })
    .unwrap();
    let group = doc.hydrate();
    let found = |search: &str| -> Vec<MemberId> {
        MemberQuery {
            search: search.into(),
            ..MemberQuery::default()
        }
        .run(&group)
        .into_iter()
        .map(|m| m.id.clone())
        .collect()
    };
    assert_eq!(found("38000"), std::slice::from_ref(&li));
    assert_eq!(found("ln"), [li]);
    assert!(found("99999").is_empty());
}
