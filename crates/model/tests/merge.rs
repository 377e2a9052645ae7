//! Duplicates and merging: likely duplicates flagged on each kind of likeness and not once
//! marked as different people; a merge that takes the fields picked, unions tags and notes,
//! and moves every kind of reference; references written concurrently with a merge, and two
//! opposite merges at once; erasing a survivor.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use std::collections::BTreeSet;

use cohort_model::duplicates::{DuplicateIndex, Likeness, likely_duplicates};
use cohort_model::key_users::{NeedDraft, NeedSource, Priority};
use cohort_model::recruitment::{ApplicationChannel, ApplicationDraft};
use cohort_model::*;
use common::{T0, add_member};

fn add(doc: &mut GroupDoc, name: &str, phone: &str, email: &str, wechat: &str) -> MemberId {
    let id = MemberId::random().unwrap();
    doc.apply(&Action::AddMember {
        id: id.clone(),
        draft: MemberDraft {
            name: name.into(),
            phone: phone.into(),
            email: email.into(),
            wechat: wechat.into(),
            tags: vec!["choir".into()],
            ..MemberDraft::default()
        },
        at: T0,
    })
    .unwrap();
    id
}

fn merge(doc: &mut GroupDoc, survivor: &MemberId, merged: &MemberId, take: &[MemberField]) {
    doc.apply(&Action::MergeMembers {
        survivor: survivor.clone(),
        merged: merged.clone(),
        take: take.iter().copied().collect(),
        take_status: false,
        at: T0 + 1,
    })
    .unwrap();
}

fn on(likeness: &[Likeness]) -> BTreeSet<Likeness> {
    likeness.iter().copied().collect()
}

#[test]
fn likely_duplicates_are_flagged_on_each_likeness() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let wang = add(&mut doc, "王芳", "+86 138-0013-8000", "", "");
    let wang_again = add(&mut doc, "Wang F.", "13800138000", "", "");
    let ana = add(&mut doc, "Ana Lima", "", "Ana@Example.org", "");
    let ana_again = add(&mut doc, "A. Lima", "", "ana@example.org ", "");
    let li = add(&mut doc, "Li  Na", "", "", "");
    let li_again = add(&mut doc, "li na", "", "", "lina88");
    let zhang = add(&mut doc, "张伟", "", "", "");
    let zhang_latin = add(&mut doc, "Zhang Wei", "", "", "");
    let zhao = add(&mut doc, "Zhao", "", "", "zhao_1");
    let zhao_again = add(&mut doc, "Zhao Lei", "", "", "zhao_1");
    add(
        &mut doc,
        "Someone else",
        "13900000000",
        "other@example.org",
        "other",
    );
    let group = doc.hydrate();
    let found: Vec<_> = likely_duplicates(&group)
        .into_iter()
        .map(|d| (d.pair, d.on))
        .collect();
    let pair = |a: &MemberId, b: &MemberId| duplicates::ordered(a, b);
    let expected = [
        (pair(&ana, &ana_again), on(&[Likeness::Email])),
        (pair(&li, &li_again), on(&[Likeness::Name])),
        (pair(&wang, &wang_again), on(&[Likeness::Phone])),
        (pair(&zhang, &zhang_latin), on(&[Likeness::Pinyin])),
        (pair(&zhao, &zhao_again), on(&[Likeness::Wechat])),
    ];
    for expected in &expected {
        assert!(found.contains(expected), "{expected:?} in {found:?}");
    }
    assert_eq!(found.len(), expected.len(), "{found:?}");

    // While adding: a new 王芳 with the same number in another format is flagged.
    let draft = MemberDraft {
        name: "王芳".into(),
        phone: "0086 138 0013 8000".into(),
        ..MemberDraft::default()
    };
    let like = DuplicateIndex::new(&group).matches(&draft, None);
    assert!(like.contains(&(wang.clone(), on(&[Likeness::Phone, Likeness::Name]))));
    assert!(like.contains(&(wang_again.clone(), on(&[Likeness::Phone]))));
    assert_eq!(like.len(), 2, "{like:?}");

    // Marked as different people, a pair is no longer flagged.
    doc.apply(&Action::MarkNotDuplicates {
        first: li_again.clone(),
        second: li.clone(),
    })
    .unwrap();
    let group = doc.hydrate();
    assert!(
        likely_duplicates(&group)
            .iter()
            .all(|d| d.pair != pair(&li, &li_again))
    );
    assert!(duplicates::marked_distinct(&group, &li, &li_again));
}

#[test]
fn an_empty_group_has_no_duplicates() {
    let group = GroupDoc::create("Choir", T0).unwrap().hydrate();
    assert!(likely_duplicates(&group).is_empty());
}

/// Every kind of reference the merged member has, made in `doc`.
fn refer_to(doc: &mut GroupDoc, member: &MemberId) {
    let role = RoleId::random().unwrap();
    let activity = ActivityId::random().unwrap();
    let training = TrainingId::random().unwrap();
    let criterion = CriterionId::random().unwrap();
    let actions = vec![
        Action::AddRole {
            id: role.clone(),
            draft: RoleDraft {
                name: "Host".into(),
                ..RoleDraft::default()
            },
        },
        Action::AssignRole {
            role,
            member: member.clone(),
        },
        Action::AddFeedback {
            id: FeedbackId::random().unwrap(),
            draft: FeedbackDraft {
                member: Some(member.clone()),
                text: "More evening sessions".into(),
                ..FeedbackDraft::default()
            },
            at: T0,
        },
        Action::LogTouchpoint {
            id: TouchpointId::random().unwrap(),
            draft: TouchpointDraft {
                member: Some(member.clone()),
                at: T0,
                channel: ContactChannel::Wechat,
                by: "Li".into(),
                summary: "Asked about the concert".into(),
                follow_up: String::new(),
                due: String::new(),
            },
            at: T0,
        },
        Action::AddActivity {
            id: activity.clone(),
            draft: ActivityDraft {
                kind: ActivityKind::Discussion,
                title: "Rehearsal".into(),
                starts_at: T0,
                ends_at: T0 + 1,
                place: String::new(),
                link: String::new(),
                organizer: Some(member.clone()),
                description: String::new(),
                invited: vec![Invitee::Member(member.clone())],
            },
            at: T0,
        },
        Action::MarkAttendance {
            id: activity.clone(),
            member: member.clone(),
            mark: Some(Mark::Attended),
        },
        Action::AddDuty {
            activity: activity.clone(),
            id: DutyId::random().unwrap(),
            title: "Check-in desk".into(),
        },
        Action::AddTraining {
            id: training.clone(),
            draft: TrainingDraft {
                title: "Sight reading".into(),
                format: TrainingFormat::InPerson,
                materials: String::new(),
                sessions: vec![activity.clone()],
                audience: vec![Invitee::Member(member.clone())],
            },
            at: T0,
        },
        Action::SetTrainingCompleted {
            id: training,
            member: member.clone(),
            completed_at: Some(T0),
        },
        Action::KeyUsers(KeyUserAction::AddCriterion {
            id: criterion.clone(),
            name: "Influence".into(),
            weight: "2".into(),
            at: T0,
        }),
        Action::KeyUsers(KeyUserAction::ScoreCriterion {
            id: criterion,
            member: member.clone(),
            score: "4".into(),
        }),
        Action::KeyUsers(KeyUserAction::PlaceKeyUser {
            id: PlacingId::random().unwrap(),
            member: member.clone(),
            influence: 4,
            interest: 4,
            by: "Li".into(),
            at: T0,
        }),
        Action::KeyUsers(KeyUserAction::AddNeed {
            id: NeedId::random().unwrap(),
            draft: NeedDraft {
                member: Some(member.clone()),
                statement: "Scores in advance".into(),
                priority: Some(Priority::Must),
                source: Some(NeedSource::Interview),
                ..NeedDraft::default()
            },
            at: T0,
        }),
        Action::Recruitment(RecruitmentAction::Apply {
            id: ApplicationId::random().unwrap(),
            member: member.clone(),
            applicant: None,
            draft: ApplicationDraft {
                channel: ApplicationChannel::Event,
                referrer: None,
                applied_on: "2026-11-02".into(),
                notes: String::new(),
            },
            at: T0,
        }),
    ];
    doc.apply_all(&actions).unwrap();
    // The duty, once it exists, is the member's too.
    let group = doc.hydrate();
    let activity = &group.activities.values().next().unwrap();
    let duty = activity.duties.keys().next().unwrap().clone();
    doc.apply(&Action::AssignDuty {
        activity: activity.id.clone(),
        id: duty,
        member: member.clone(),
        part: Some(Raci::Responsible),
    })
    .unwrap();
}

/// Every member any record names.
fn named_members(group: &Group) -> BTreeSet<MemberId> {
    let mut named = BTreeSet::new();
    for role in group.roles.values() {
        named.extend(role.holders.iter().cloned());
    }
    named.extend(group.feedback.values().filter_map(|f| f.member.clone()));
    named.extend(group.touchpoints.values().map(|t| t.member.clone()));
    for activity in group.activities.values() {
        named.extend(activity.attendance.keys().cloned());
        named.extend(activity.organizer.clone());
        for invitee in &activity.invited {
            if let Invitee::Member(m) = invitee {
                named.insert(m.clone());
            }
        }
        for duty in activity.duties.values() {
            named.extend(duty.assignments.keys().cloned());
        }
    }
    for training in group.trainings.values() {
        named.extend(training.results.keys().cloned());
        for invitee in &training.audience {
            if let Invitee::Member(m) = invitee {
                named.insert(m.clone());
            }
        }
    }
    for criterion in group.criteria.values() {
        named.extend(criterion.scores.keys().cloned());
    }
    named.extend(group.placings.values().map(|p| p.member.clone()));
    named.extend(group.needs.values().map(|n| n.member.clone()));
    named.extend(group.applications.values().map(|a| a.member.clone()));
    named
}

#[test]
fn a_merge_takes_the_fields_picked_and_moves_every_reference() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let kept = add(&mut doc, "王芳", "13800138000", "", "wangfang");
    let gone = add(&mut doc, "Wang Fang", "13800138000", "fang@example.org", "");
    doc.apply(&Action::TagMember {
        id: gone.clone(),
        tag: "alto".into(),
    })
    .unwrap();
    for (id, notes) in [(&kept, "Sings alto"), (&gone, "Met at the autumn concert")] {
        doc.apply(&Action::SetMember {
            id: id.clone(),
            field: MemberField::Notes,
            value: notes.into(),
        })
        .unwrap();
    }
    refer_to(&mut doc, &gone);
    let before = doc.hydrate();
    assert_eq!(named_members(&before), BTreeSet::from([gone.clone()]));

    merge(&mut doc, &kept, &gone, &[MemberField::Email]);
    let group = doc.hydrate();
    group.check_invariants().unwrap();
    assert!(!group.members.contains_key(&gone));
    let member = &group.members[&kept];
    assert_eq!(member.name, "王芳", "not picked: the survivor's");
    assert_eq!(member.contacts.email, "fang@example.org", "picked");
    assert_eq!(member.contacts.wechat, "wangfang");
    assert_eq!(
        member.tags,
        BTreeSet::from(["alto".to_owned(), "choir".to_owned()])
    );
    assert_eq!(member.notes, "Sings alto\n\nMet at the autumn concert");
    assert_eq!(named_members(&group), BTreeSet::from([kept.clone()]));
    // The same numbers of each record, now the survivor's.
    assert_eq!(group.touchpoints.len(), before.touchpoints.len());
    assert_eq!(group.applications.len(), 1);
    assert_eq!(
        group.activities.values().next().unwrap().attendance[&kept],
        Mark::Attended
    );
    // The merged member is not a member for new actions.
    let refused = doc.apply(&Action::TagMember {
        id: gone.clone(),
        tag: "x".into(),
    });
    assert!(refused.is_err());
    // No longer a likely duplicate of anyone.
    assert!(likely_duplicates(&group).is_empty());
}

#[test]
fn a_reference_written_while_another_organizer_merged_reads_as_the_survivors() {
    let mut first = GroupDoc::create("Choir", T0).unwrap();
    let kept = add_member(&mut first, "Ana");
    let gone = add_member(&mut first, "Ana L.");
    let mut second = first.fork();
    merge(&mut first, &kept, &gone, &[]);
    // Meanwhile, offline: a contact logged with the merged member, and a role given.
    refer_to(&mut second, &gone);
    // Each hears of the other's change: views kept by updates follow both ways.
    let mut first_view = first.hydrate();
    let mut second_view = second.hydrate();
    let touched = second.merge(&mut first.fork()).unwrap();
    second_view.apply(second.update_for(&touched));
    let touched = first.merge(&mut second.fork()).unwrap();
    first_view.apply(first.update_for(&touched));
    let group = first.hydrate();
    assert_eq!(group, second.hydrate());
    assert_eq!(first_view, group);
    assert_eq!(second_view, group);
    group.check_invariants().unwrap();
    assert_eq!(named_members(&group), BTreeSet::from([kept]));
}

#[test]
fn two_opposite_merges_at_once_keep_one_member_with_everything() {
    let mut first = GroupDoc::create("Choir", T0).unwrap();
    let a = add_member(&mut first, "Ana");
    let b = add_member(&mut first, "Ana L.");
    refer_to(&mut first, &a);
    let mut second = first.fork();
    merge(&mut first, &a, &b, &[]);
    merge(&mut second, &b, &a, &[]);
    first.merge(&mut second).unwrap();
    second.merge(&mut first).unwrap();
    let group = first.hydrate();
    assert_eq!(group, second.hydrate());
    group.check_invariants().unwrap();
    let survivor = a.clone().min(b.clone());
    assert_eq!(
        group.members.keys().collect::<Vec<_>>(),
        [&survivor],
        "the smaller id of the cycle stays"
    );
    assert_eq!(named_members(&group), BTreeSet::from([survivor]));
}

#[test]
fn erasing_a_survivor_erases_the_records_merged_into_it() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let kept = add_member(&mut doc, "Ana");
    let gone = add_member(&mut doc, "Ana L.");
    merge(&mut doc, &kept, &gone, &[]);
    doc.apply(&Action::RemoveMember { id: kept.clone() })
        .unwrap();
    let saved = doc.save();
    let bare = automerge::Automerge::load(&saved).unwrap();
    use automerge::ReadDoc;
    let (_, members) = bare.get(automerge::ROOT, "members").unwrap().unwrap();
    assert_eq!(
        bare.keys(&members).count(),
        0,
        "no record of the person is left"
    );
}

#[test]
fn a_member_cannot_be_merged_with_themselves_or_someone_gone() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ana = add_member(&mut doc, "Ana");
    let heads = doc.heads();
    for other in [ana.clone(), MemberId::random().unwrap()] {
        let refused = doc.apply(&Action::MergeMembers {
            survivor: ana.clone(),
            merged: other,
            take: BTreeSet::new(),
            take_status: false,
            at: T0,
        });
        assert!(refused.is_err());
    }
    assert_eq!(doc.heads(), heads);
}
