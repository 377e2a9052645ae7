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

fn add_duty(doc: &mut GroupDoc, activity: &ActivityId, title: &str) -> DutyId {
    let id = DutyId::random().unwrap();
    doc.apply(&Action::AddDuty {
        activity: activity.clone(),
        id: id.clone(),
        title: title.into(),
    })
    .unwrap();
    id
}

fn assign(doc: &mut GroupDoc, activity: &ActivityId, duty: &DutyId, member: &MemberId, part: Raci) {
    doc.apply(&Action::AssignDuty {
        activity: activity.clone(),
        id: duty.clone(),
        member: member.clone(),
        part: Some(part),
    })
    .unwrap();
}

#[test]
fn duties_live_with_their_activity_and_a_member_sees_their_upcoming_ones() {
    use cohort_model::activity::upcoming_duties;
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let bo = add_member(&mut doc, "Bo");
    let past = add(&mut doc, draft("Last week", T0 - 7 * 24 * HOUR, vec![]));
    let soon = add(&mut doc, draft("Tomorrow", T0 + 24 * HOUR, vec![]));
    let later = add(&mut doc, draft("Next week", T0 + 7 * 24 * HOUR, vec![]));
    let desk = add_duty(&mut doc, &soon, "Check-in desk");
    let host = add_duty(&mut doc, &later, "Host");
    let old = add_duty(&mut doc, &past, "Notes");
    assign(&mut doc, &soon, &desk, &ada, Raci::Responsible);
    assign(&mut doc, &soon, &desk, &bo, Raci::Accountable);
    assign(&mut doc, &later, &host, &ada, Raci::Consulted);
    assign(&mut doc, &past, &old, &ada, Raci::Responsible);

    let group = doc.hydrate();
    let duties = upcoming_duties(&group, &ada, T0);
    let seen: Vec<_> = duties
        .iter()
        .map(|d| (d.activity.title.as_str(), d.duty.title.as_str(), d.part))
        .collect();
    assert_eq!(
        seen,
        [
            ("Tomorrow", "Check-in desk", Raci::Responsible),
            ("Next week", "Host", Raci::Consulted)
        ],
        "soonest first, the past left out"
    );

    // Taking a part away, a bad title, an unknown member: refused or applied as asked.
    doc.apply(&Action::AssignDuty {
        activity: soon.clone(),
        id: desk.clone(),
        member: bo.clone(),
        part: None,
    })
    .unwrap();
    assert_eq!(
        doc.hydrate().activities[&soon].duties[&desk]
            .assignments
            .len(),
        1
    );
    let blank = Action::AddDuty {
        activity: soon.clone(),
        id: DutyId::random().unwrap(),
        title: "  ".into(),
    };
    assert_eq!(refusal(&mut doc, &blank), Field::Duty);
    let stranger = Action::AssignDuty {
        activity: soon.clone(),
        id: desk.clone(),
        member: MemberId::random().unwrap(),
        part: Some(Raci::Informed),
    };
    assert_eq!(refusal(&mut doc, &stranger), Field::Duty);

    // A removed member's part stays on the duty (shown as a former member), not on their page.
    doc.apply(&Action::RemoveMember { id: ada.clone() })
        .unwrap();
    let group = doc.hydrate();
    assert!(
        group.activities[&soon].duties[&desk]
            .assignments
            .contains_key(&ada)
    );
    doc.apply(&Action::RemoveDuty {
        activity: later.clone(),
        id: host.clone(),
    })
    .unwrap();
    assert!(doc.hydrate().activities[&later].duties.is_empty());
}

#[test]
fn two_organizers_add_duties_to_one_activity_offline_and_both_are_kept() {
    let mut first = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut first, "Ada");
    let event = add(&mut first, draft("Sharing", T0, vec![]));
    let mut second = GroupDoc::load(&first.save()).unwrap();
    let desk = add_duty(&mut first, &event, "Check-in desk");
    assign(&mut first, &event, &desk, &ada, Raci::Responsible);
    let notes = add_duty(&mut second, &event, "Note taker");
    assign(&mut second, &event, &notes, &ada, Raci::Responsible);
    first.merge(&mut second).unwrap();
    let duties = &first.hydrate().activities[&event].duties;
    assert_eq!(duties.len(), 2);
    assert!(
        duties
            .values()
            .all(|d| d.assignments[&ada] == Raci::Responsible)
    );
}

#[test]
fn a_pasted_sign_in_list_is_matched_by_phone_name_and_pinyin() {
    use cohort_model::sign_in::{SignInMatch, match_sign_in};
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let mut member = |name: &str, phone: &str| {
        let id = MemberId::random().unwrap();
        doc.apply(&Action::AddMember {
            id: id.clone(),
            draft: MemberDraft {
                name: name.into(),
                phone: phone.into(),
                ..MemberDraft::default()
            },
            at: T0,
        })
        .unwrap();
        id
    };
    let zhang = member("张伟", "138 0013 8000");
    let zhang_too = member("张伟", "139 0000 1111");
    let li = member("李娜", "");
    let alice = member("Alice Smith", "+44 20 7946 0958");
    let group = doc.hydrate();
    let pasted = "1. 张伟 138-0013-8000\n\n2、李娜（产品部）\n张伟\nalice smith\nlina\n9999\n3) 王芳\n+86 139 0000 1111\n";
    let lines = match_sign_in(pasted, &group);
    let matched: Vec<_> = lines
        .iter()
        .map(|l| (l.name.as_str(), l.phone.as_str(), l.matched.clone()))
        .collect();
    assert_eq!(
        matched,
        [
            ("张伟", "13800138000", SignInMatch::Member(zhang.clone())),
            ("李娜", "", SignInMatch::Member(li.clone())),
            (
                "张伟",
                "",
                SignInMatch::Ambiguous({
                    let mut both = vec![zhang.clone(), zhang_too.clone()];
                    both.sort();
                    both
                })
            ),
            ("alice smith", "", SignInMatch::Member(alice)),
            ("lina", "", SignInMatch::Member(li)),
            ("", "9999", SignInMatch::Nobody),
            ("王芳", "", SignInMatch::Nobody),
            ("", "8613900001111", SignInMatch::Member(zhang_too)),
        ]
    );
}

#[test]
fn a_bulk_check_in_is_one_change_and_nothing_is_written_if_one_mark_is_refused() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let bo = add_member(&mut doc, "Bo");
    let event = add(&mut doc, draft("Sharing", T0, vec![]));
    let mark_all = |members: &[&MemberId]| -> Vec<Action> {
        members
            .iter()
            .map(|member| Action::MarkAttendance {
                id: event.clone(),
                member: (*member).clone(),
                mark: Some(Mark::Attended),
            })
            .collect()
    };
    let gone = MemberId::random().unwrap();
    let heads = doc.heads();
    assert!(doc.apply_all(&mark_all(&[&ada, &gone, &bo])).is_err());
    assert_eq!(doc.heads(), heads, "all or nothing");
    doc.apply_all(&mark_all(&[&ada, &bo])).unwrap();
    assert_eq!(doc.hydrate().activities[&event].attendance.len(), 2);
}

#[test]
fn attendance_exports_as_a_table_and_as_an_ics_event_for_the_invitees() {
    use cohort_model::activity_files::{activity_ics, attendance_sheet};
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let mut member = |name: &str, email: &str| {
        let id = MemberId::random().unwrap();
        doc.apply(&Action::AddMember {
            id: id.clone(),
            draft: MemberDraft {
                name: name.into(),
                email: email.into(),
                ..MemberDraft::default()
            },
            at: T0,
        })
        .unwrap();
        id
    };
    let zhang = member("张伟", "zw@example.org");
    let ada = member("Ada", "");
    let bo = member("Bo", "bo@example.org");
    let mut activity = draft(
        "Sharing; notes, and more",
        1_764_498_600_000,
        vec![Invitee::Member(zhang.clone()), Invitee::Member(ada.clone())],
    );
    activity.organizer = Some(bo.clone());
    activity.description = "Bring a laptop.\nTea provided.".into();
    let event = add(&mut doc, activity);
    mark(&mut doc, &event, &ada, Mark::Attended);
    mark(&mut doc, &event, &bo, Mark::Attended);
    doc.apply(&Action::RemoveMember { id: bo }).unwrap();
    let group = doc.hydrate();
    let activity = &group.activities[&event];

    let sheet = attendance_sheet(activity, &group, &sheet::Words::default());
    assert_eq!(
        sheet.header,
        ["Name", "Phone", "Email", "WeChat ID", "Attendance"]
    );
    let rows: Vec<(&str, &str)> = sheet
        .rows
        .iter()
        .map(|r| (r[0].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("Ada", "Attended"),
            ("张伟", "Invited"),
            ("Former member", "Walk-in")
        ],
        "pinyin order, the former member last"
    );

    let ics = activity_ics(activity, &group, 1_764_400_000_000);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(ics.contains("\r\nDTSTART:20251130T103000Z\r\n"), "{ics}");
    assert!(ics.contains("\r\nDTEND:20251130T123000Z\r\n"));
    assert!(ics.contains("\r\nSUMMARY:Sharing\\; notes\\, and more\r\n"));
    assert!(ics.contains("DESCRIPTION:Bring a laptop.\\nTea provided."));
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains(
        "ATTENDEE;CN=\"张伟\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:zw@example.org"
    ));
    assert!(!ics.contains("ORGANIZER"), "the organizer was removed");
    assert_eq!(ics.matches("ATTENDEE").count(), 1, "Ada has no email");
    assert!(
        ics.lines().all(|line| line.len() <= 76),
        "lines folded at 75 octets"
    );
    assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
}
