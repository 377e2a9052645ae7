//! Training plans and their effect: completion, scores before and after, satisfaction, with
//! hand-computed figures; bad scores refused; plans of groups made by older builds.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use cohort_model::training::{member_trainings, training_effect};
use cohort_model::*;
use common::{T0, add_member};

fn add_training(doc: &mut GroupDoc, draft: TrainingDraft) -> TrainingId {
    let id = TrainingId::random().unwrap();
    doc.apply(&Action::AddTraining {
        id: id.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    id
}

fn score(
    doc: &mut GroupDoc,
    id: &TrainingId,
    member: &MemberId,
    score: TrainingScore,
    value: &str,
) {
    doc.apply(&Action::SetTrainingScore {
        id: id.clone(),
        member: member.clone(),
        score,
        value: value.into(),
    })
    .unwrap();
}

fn complete(doc: &mut GroupDoc, id: &TrainingId, member: &MemberId) {
    doc.apply(&Action::SetTrainingCompleted {
        id: id.clone(),
        member: member.clone(),
        completed_at: Some(T0),
    })
    .unwrap();
}

fn session(doc: &mut GroupDoc, title: &str) -> ActivityId {
    let id = ActivityId::random().unwrap();
    doc.apply(&Action::AddActivity {
        id: id.clone(),
        draft: ActivityDraft {
            kind: ActivityKind::Training,
            title: title.into(),
            starts_at: T0,
            ends_at: T0 + 3_600_000,
            ..ActivityDraft::default()
        },
        at: T0,
    })
    .unwrap();
    id
}

#[test]
fn the_effect_counts_completion_and_the_change_only_over_participants_with_both_scores() {
    let mut doc = GroupDoc::create("Product users", T0).unwrap();
    let [ada, bo, cy, di, ed] = ["Ada", "Bo", "Cy", "Di", "Ed"].map(|n| add_member(&mut doc, n));
    let sessions = vec![session(&mut doc, "Basics, part 1")];
    // For Ada, Bo, Cy and Di; Ed walks into the session.
    let training = add_training(
        &mut doc,
        TrainingDraft {
            title: "Reporting basics".into(),
            format: TrainingFormat::InPerson,
            sessions: sessions.clone(),
            audience: [&ada, &bo, &cy, &di]
                .map(|m| Invitee::Member(m.clone()))
                .to_vec(),
            ..TrainingDraft::default()
        },
    );
    doc.apply(&Action::MarkAttendance {
        id: sessions[0].clone(),
        member: ed.clone(),
        mark: Some(Mark::Attended),
    })
    .unwrap();
    // Ada 40 → 80, Bo 60 → 70, Cy only after (90), Di only before (50), Ed neither.
    score(&mut doc, &training, &ada, TrainingScore::Before, "40");
    score(&mut doc, &training, &ada, TrainingScore::After, "80");
    score(&mut doc, &training, &bo, TrainingScore::Before, "60");
    score(&mut doc, &training, &bo, TrainingScore::After, "70");
    score(&mut doc, &training, &cy, TrainingScore::After, "90");
    score(&mut doc, &training, &di, TrainingScore::Before, "50");
    score(&mut doc, &training, &ada, TrainingScore::Satisfaction, "5");
    score(&mut doc, &training, &ed, TrainingScore::Satisfaction, "2");
    complete(&mut doc, &training, &ada);
    complete(&mut doc, &training, &bo);
    complete(&mut doc, &training, &ed);

    let group = doc.hydrate();
    let plan = &group.trainings[&training];
    let effect = training_effect(plan, &group);
    assert_eq!(effect.participants, 5, "the audience and the walk-in");
    assert_eq!(effect.completed, 3);
    assert_eq!(effect.completion_rate(), Some(0.6));
    // Before: (40 + 60 + 50) / 3 = 50; after: (80 + 70 + 90) / 3 = 80.
    assert_eq!(effect.before, Some(50.0));
    assert_eq!(effect.after, Some(80.0));
    // The change on the same people: Ada +40, Bo +10 → 25 (not 80 − 50 = 30).
    assert_eq!(effect.change, Some(25.0));
    assert_eq!(effect.paired, 2);
    assert_eq!(effect.satisfaction, Some(3.5));
    assert_eq!(effect.rated, 2);
    let ed_in = plan
        .participants(&group)
        .into_iter()
        .find(|p| p.member == ed)
        .unwrap();
    assert_eq!(ed_in.sessions_attended, 1);

    // A member's page lists the plan with their result.
    let taken = member_trainings(&group, &ada);
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].1.result.after, Some(80));

    // A removed member leaves the figures: Bo's pair goes, the change is Ada's alone.
    doc.apply(&Action::RemoveMember { id: bo }).unwrap();
    let group = doc.hydrate();
    let effect = training_effect(&group.trainings[&training], &group);
    assert_eq!(effect.participants, 4);
    assert_eq!(effect.completed, 2);
    assert_eq!(effect.change, Some(40.0));
}

#[test]
fn a_plan_with_no_scores_and_no_participants_has_no_figures() {
    let mut doc = GroupDoc::create("Product users", T0).unwrap();
    let training = add_training(
        &mut doc,
        TrainingDraft {
            title: "Manual".into(),
            format: TrainingFormat::SelfStudy,
            ..TrainingDraft::default()
        },
    );
    let group = doc.hydrate();
    let effect = training_effect(&group.trainings[&training], &group);
    assert_eq!(effect, training::TrainingEffect::default());
    assert_eq!(effect.completion_rate(), None);
}

#[test]
fn the_audience_can_be_a_role_and_scores_out_of_range_are_refused() {
    let mut doc = GroupDoc::create("Product users", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let role = RoleId::random().unwrap();
    doc.apply(&Action::AddRole {
        id: role.clone(),
        draft: RoleDraft {
            name: "Pilot users".into(),
            responsibilities: String::new(),
        },
    })
    .unwrap();
    doc.apply(&Action::AssignRole {
        role: role.clone(),
        member: ada.clone(),
    })
    .unwrap();
    let training = add_training(
        &mut doc,
        TrainingDraft {
            title: "Pilot onboarding".into(),
            audience: vec![Invitee::Role(role)],
            ..TrainingDraft::default()
        },
    );
    let group = doc.hydrate();
    assert_eq!(
        group.trainings[&training].participants(&group)[0].member,
        ada
    );

    for (score, value, max) in [
        (TrainingScore::Before, "101", 100),
        (TrainingScore::After, "-1", 100),
        (TrainingScore::After, "eighty", 100),
        (TrainingScore::Satisfaction, "0", 5),
        (TrainingScore::Satisfaction, "6", 5),
    ] {
        let heads = doc.heads();
        let error = doc
            .apply(&Action::SetTrainingScore {
                id: training.clone(),
                member: ada.clone(),
                score,
                value: value.into(),
            })
            .unwrap_err();
        assert_eq!(doc.heads(), heads, "a refused score writes nothing");
        let ApplyError::Invalid(invalid) = error else {
            panic!("{error:?}")
        };
        assert_eq!(invalid.field, Field::from(score));
        assert!(matches!(invalid.problem, Problem::OutOfRange { max: m, .. } if m == max));
    }
    // An empty value clears the score.
    score(&mut doc, &training, &ada, TrainingScore::Before, "70");
    score(&mut doc, &training, &ada, TrainingScore::Before, "");
    assert_eq!(
        doc.hydrate().trainings[&training]
            .results
            .get(&ada)
            .and_then(|r| r.before),
        None
    );

    let bad_title = doc.apply(&Action::AddTraining {
        id: TrainingId::random().unwrap(),
        draft: TrainingDraft {
            title: " ".into(),
            ..TrainingDraft::default()
        },
        at: T0,
    });
    assert!(matches!(
        bad_title,
        Err(ApplyError::Invalid(Invalid {
            field: Field::TrainingTitle,
            ..
        }))
    ));
    let bad_session = doc.apply(&Action::AddTraining {
        id: TrainingId::random().unwrap(),
        draft: TrainingDraft {
            title: "Two".into(),
            sessions: vec![ActivityId::random().unwrap()],
            ..TrainingDraft::default()
        },
        at: T0,
    });
    assert!(matches!(
        bad_session,
        Err(ApplyError::Invalid(Invalid {
            field: Field::Session,
            ..
        }))
    ));
}

#[test]
fn two_organizers_score_the_same_participant_offline_and_both_scores_are_kept() {
    let mut first = GroupDoc::create("Product users", T0).unwrap();
    let ada = add_member(&mut first, "Ada");
    let training = add_training(
        &mut first,
        TrainingDraft {
            title: "Basics".into(),
            ..TrainingDraft::default()
        },
    );
    let mut second = GroupDoc::load(&first.save()).unwrap();
    score(&mut first, &training, &ada, TrainingScore::Before, "40");
    score(&mut second, &training, &ada, TrainingScore::After, "85");
    complete(&mut second, &training, &ada);
    first.merge(&mut second).unwrap();
    let result = first.hydrate().trainings[&training].results[&ada];
    assert_eq!((result.before, result.after), (Some(40), Some(85)));
    assert_eq!(result.completed_at, Some(T0));
}

#[test]
fn a_group_made_before_training_plans_gets_their_collection_once_from_two_organizers() {
    let mut first = common::group_before_trainings();
    let mut second = GroupDoc::load(&first.save()).unwrap();
    let draft = |title: &str| TrainingDraft {
        title: title.into(),
        ..TrainingDraft::default()
    };
    let mine = add_training(&mut first, draft("Mine"));
    let theirs = add_training(&mut second, draft("Theirs"));
    first.merge(&mut second).unwrap();
    let group = first.hydrate();
    assert!(group.trainings.contains_key(&mine) && group.trainings.contains_key(&theirs));
    let maps = automerge::ReadDoc::get_all(first.automerge(), automerge::ROOT, "trainings");
    assert_eq!(
        maps.unwrap().len(),
        1,
        "one collection, not two in conflict"
    );
    // The addition the older build made is the same change a new group starts with.
    let older = common::group_before_trainings();
    let new = GroupDoc::create("New", T0).unwrap();
    let schema_actor = automerge::ActorId::from(b"cohort-schema-v1".as_slice());
    let first_addition = older
        .automerge()
        .get_changes(&[])
        .into_iter()
        .find(|change| change.actor_id() == &schema_actor)
        .unwrap()
        .hash();
    let new = automerge::ReadDoc::get_change_by_hash(new.automerge(), &first_addition);
    assert!(new.is_some(), "the first addition's bytes have not changed");
}
