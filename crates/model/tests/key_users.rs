//! Key users: the weighted score, quadrants, overdue contacts, participation, needs,
//! expectations and satisfaction, with hand-computed figures; bad input refused with the
//! field named; groups made by older builds; concurrent decisions and drags.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use cohort_model::key_users::*;
use cohort_model::*;
use common::{T0, add_member};

const DAY: Millis = 24 * 60 * 60 * 1000;

fn act(doc: &mut GroupDoc, action: KeyUserAction) -> Result<Touched, ApplyError> {
    doc.apply(&Action::KeyUsers(action))
}

fn criterion(doc: &mut GroupDoc, name: &str, weight: &str) -> CriterionId {
    let id = CriterionId::random().unwrap();
    act(
        doc,
        KeyUserAction::AddCriterion {
            id: id.clone(),
            name: name.into(),
            weight: weight.into(),
            at: T0,
        },
    )
    .unwrap();
    id
}

fn score(doc: &mut GroupDoc, id: &CriterionId, member: &MemberId, score: &str) {
    act(
        doc,
        KeyUserAction::ScoreCriterion {
            id: id.clone(),
            member: member.clone(),
            score: score.into(),
        },
    )
    .unwrap();
}

fn make_key(doc: &mut GroupDoc, member: &MemberId, at: Millis) {
    act(
        doc,
        KeyUserAction::DecideKeyUser {
            member: member.clone(),
            key: true,
            reason: "Runs the pilot".into(),
            by: "Li".into(),
            at,
        },
    )
    .unwrap();
}

fn place(doc: &mut GroupDoc, member: &MemberId, influence: u8, interest: u8, at: Millis) {
    act(
        doc,
        KeyUserAction::PlaceKeyUser {
            id: PlacingId::random().unwrap(),
            member: member.clone(),
            influence,
            interest,
            by: "Li".into(),
            at,
        },
    )
    .unwrap();
}

fn invalid(result: Result<Touched, ApplyError>) -> Invalid {
    match result {
        Err(ApplyError::Invalid(invalid)) => invalid,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_weighted_score_counts_unscored_criteria_as_zero() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    let zhao = add_member(&mut doc, "Zhao");
    let power = criterion(&mut doc, "Decision power", "3");
    let usage = criterion(&mut doc, "Share of usage", "1");
    score(&mut doc, &power, &wang, "4");
    score(&mut doc, &usage, &wang, "2");
    score(&mut doc, &power, &zhao, "2");
    let group = doc.hydrate();
    // (3 × 4 + 1 × 2) ÷ (3 + 1) = 3.5; (3 × 2) ÷ 4 = 1.5.
    let wang_score = weighted_score(&group, &wang).unwrap();
    assert_eq!(wang_score.score, 3.5);
    assert_eq!((wang_score.scored, wang_score.criteria), (2, 2));
    let zhao_score = weighted_score(&group, &zhao).unwrap();
    assert_eq!((zhao_score.score, zhao_score.scored), (1.5, 1));
    let suggested: Vec<_> = suggestions(&group)
        .iter()
        .map(|(m, _)| m.id.clone())
        .collect();
    assert_eq!(suggested, std::slice::from_ref(&wang));

    // Once a key user, no longer suggested.
    make_key(&mut doc, &wang, T0);
    assert!(suggestions(&doc.hydrate()).is_empty());

    // A criterion removed takes its scores with it: 2 × 1 ÷ 1 = 2.
    act(&mut doc, KeyUserAction::RemoveCriterion { id: power }).unwrap();
    let group = doc.hydrate();
    assert_eq!(weighted_score(&group, &wang).unwrap().score, 2.0);
    assert_eq!(weighted_score(&group, &zhao).unwrap().score, 0.0);
}

#[test]
fn scores_and_weights_out_of_range_are_refused_with_the_field_named() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    let power = criterion(&mut doc, "Decision power", "");
    assert_eq!(
        doc.hydrate().criteria[&power].weight,
        1,
        "weight defaults to 1"
    );
    let refused = invalid(act(
        &mut doc,
        KeyUserAction::ScoreCriterion {
            id: power.clone(),
            member: wang.clone(),
            score: "6".into(),
        },
    ));
    assert_eq!(refused.field, Field::CriterionScore);
    assert_eq!(refused.problem, Problem::OutOfRange { min: 0, max: 5 });
    let refused = invalid(act(
        &mut doc,
        KeyUserAction::SetCriterionWeight {
            id: power,
            weight: "11".into(),
        },
    ));
    assert_eq!(refused.field, Field::Weight);
    let refused = invalid(act(
        &mut doc,
        KeyUserAction::PlaceKeyUser {
            id: PlacingId::random().unwrap(),
            member: wang.clone(),
            influence: 0,
            interest: 3,
            by: String::new(),
            at: T0,
        },
    ));
    assert_eq!(refused.field, Field::Influence);
    let refused = invalid(act(
        &mut doc,
        KeyUserAction::SetStrategy {
            member: wang,
            field: StrategyField::Cadence,
            value: "400".into(),
        },
    ));
    assert_eq!(refused.field, Field::Cadence);
    assert_eq!(refused.problem, Problem::OutOfRange { min: 1, max: 365 });
}

#[test]
fn quadrants_and_their_default_strategies() {
    assert_eq!(Quadrant::of(3, 3), Quadrant::ManageClosely);
    assert_eq!(Quadrant::of(5, 2), Quadrant::KeepSatisfied);
    assert_eq!(Quadrant::of(2, 5), Quadrant::KeepInformed);
    assert_eq!(Quadrant::of(1, 1), Quadrant::Monitor);
    assert_eq!(Quadrant::ManageClosely.default_cadence_days(), 14);
    assert_eq!(Quadrant::Monitor.default_cadence_days(), 90);
    assert_eq!(
        Quadrant::KeepSatisfied.default_decision_role(),
        DecisionRole::Consulted
    );
}

#[test]
fn the_latest_placing_is_where_a_key_user_stands_and_earlier_ones_are_kept() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    make_key(&mut doc, &wang, T0);
    place(&mut doc, &wang, 2, 2, T0);
    place(&mut doc, &wang, 4, 5, T0 + 10 * DAY);
    let group = doc.hydrate();
    assert_eq!(placings_of(&group, &wang).len(), 2);
    let now = positions(&group, None);
    assert_eq!((now[&wang].influence, now[&wang].interest), (4, 5));
    let then = positions(&group, Some(T0 + 5 * DAY));
    assert_eq!((then[&wang].influence, then[&wang].interest), (2, 2));
    let key_user = &key_users(&group)[0];
    assert_eq!(key_user.quadrant(), Some(Quadrant::ManageClosely));
    assert_eq!(key_users::key_user(&group, &wang).as_ref(), Some(key_user));
    assert_eq!(key_user.cadence_days, 14);
    assert_eq!(key_user.decision.reason, "Runs the pilot");
}

#[test]
fn two_organizers_dragging_one_point_at_once_keep_the_later_and_both_in_history() {
    let mut a = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut a, "Wang");
    make_key(&mut a, &wang, T0);
    let mut b = a.fork();
    place(&mut a, &wang, 5, 1, T0 + 2_000);
    place(&mut b, &wang, 1, 5, T0 + 1_000);
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    for doc in [&a, &b] {
        let group = doc.hydrate();
        let now = positions(&group, None);
        assert_eq!((now[&wang].influence, now[&wang].interest), (5, 1));
        assert_eq!(placings_of(&group, &wang).len(), 2);
    }
}

#[test]
fn concurrent_decisions_keep_one_decision_whole() {
    let mut a = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut a, "Wang");
    let mut b = a.fork();
    make_key(&mut a, &wang, T0);
    act(
        &mut b,
        KeyUserAction::DecideKeyUser {
            member: wang.clone(),
            key: false,
            reason: "Left the project".into(),
            by: "Zhou".into(),
            at: T0,
        },
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let decision = a.hydrate().members[&wang].decision.clone().unwrap();
    assert_eq!(
        Some(&decision),
        b.hydrate().members[&wang].decision.as_ref()
    );
    let whole = [
        (true, "Runs the pilot", "Li"),
        (false, "Left the project", "Zhou"),
    ];
    assert!(whole.contains(&(decision.key, decision.reason.as_str(), decision.by.as_str())));
}

#[test]
fn overdue_follows_the_cadence_and_the_contact_log() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    let zhao = add_member(&mut doc, "Zhao");
    let sun = add_member(&mut doc, "Sun");
    for member in [&wang, &zhao, &sun] {
        make_key(&mut doc, member, T0);
        place(&mut doc, member, 4, 4, T0);
    }
    // Zhao: every 30 days by strategy. Sun: never contacted, due 14 days after the decision.
    act(
        &mut doc,
        KeyUserAction::SetStrategy {
            member: zhao.clone(),
            field: StrategyField::Cadence,
            value: "30".into(),
        },
    )
    .unwrap();
    let log = |doc: &mut GroupDoc, member: &MemberId, at: Millis| {
        doc.apply(&Action::LogTouchpoint {
            id: TouchpointId::random().unwrap(),
            draft: TouchpointDraft {
                member: Some(member.clone()),
                at,
                summary: "Call".into(),
                ..TouchpointDraft::default()
            },
            at,
        })
        .unwrap();
    };
    log(&mut doc, &wang, T0 + DAY);
    log(&mut doc, &zhao, T0 + DAY);
    let now = T0 + 16 * DAY;
    let group = doc.hydrate();
    let due = overdue(&group, now);
    let members: Vec<_> = due.iter().map(|d| d.key_user.member.id.clone()).collect();
    // Sun was due on day 14, Wang on day 15; Zhao not before day 31.
    assert_eq!(members, [sun.clone(), wang.clone()]);
    assert_eq!(due[0].days_overdue(now), 2);
    assert_eq!(due[0].last_contact, None);
    assert_eq!(due[1].days_overdue(now), 1);
    assert_eq!(due[1].last_contact, Some(T0 + DAY));

    log(&mut doc, &wang, now);
    let group = doc.hydrate();
    let members: Vec<_> = overdue(&group, now)
        .iter()
        .map(|d| d.key_user.member.id.clone())
        .collect();
    assert_eq!(members, [sun]);
}

#[test]
fn participation_counts_tests_reviews_interviews_and_trainings_that_began() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    let activity = |doc: &mut GroupDoc, kind, starts_at, mark| {
        let id = ActivityId::random().unwrap();
        doc.apply(&Action::AddActivity {
            id: id.clone(),
            draft: ActivityDraft {
                kind,
                title: "A".into(),
                starts_at,
                ends_at: starts_at + 3_600_000,
                invited: vec![Invitee::Member(wang.clone())],
                ..ActivityDraft::default()
            },
            at: T0,
        })
        .unwrap();
        if let Some(mark) = mark {
            doc.apply(&Action::MarkAttendance {
                id,
                member: wang.clone(),
                mark: Some(mark),
            })
            .unwrap();
        }
    };
    activity(&mut doc, ActivityKind::UserTest, T0, Some(Mark::Attended));
    activity(&mut doc, ActivityKind::Review, T0, Some(Mark::Absent));
    activity(&mut doc, ActivityKind::Interview, T0, Some(Mark::Excused));
    activity(&mut doc, ActivityKind::Discussion, T0, Some(Mark::Attended));
    activity(&mut doc, ActivityKind::Training, T0 + 30 * DAY, None);
    let group = doc.hydrate();
    let by_member = participation(&group, &[&wang], T0 + DAY);
    let wang_part = &by_member[&wang];
    // Attended the test, missed the review; excused from the interview; the discussion is
    // not of a counted kind and the training has not begun.
    assert_eq!((wang_part.attended, wang_part.counted), (1, 2));
    assert_eq!(wang_part.rate(), Some(0.5));
    assert_eq!(wang_part.history.len(), 3);

    // The trend: a review 100 days before attended, against the 50% of the last 90 days.
    activity(
        &mut doc,
        ActivityKind::Review,
        T0 - 99 * DAY,
        Some(Mark::Attended),
    );
    make_key(&mut doc, &wang, T0);
    let overview = overview(&doc.hydrate(), T0 + DAY, "2025-11-24");
    assert_eq!(overview.participation_recent, Some(0.5));
    assert_eq!(overview.participation_before, Some(1.0));
    // All time: 2 attended of 3 counted.
    assert_eq!(overview.participation, Some(2.0 / 3.0));
}

#[test]
fn needs_declined_need_a_reason_and_alike_needs_are_counted_together() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    let zhao = add_member(&mut doc, "Zhao");
    make_key(&mut doc, &wang, T0);
    make_key(&mut doc, &zhao, T0);
    let need = |doc: &mut GroupDoc, member: &MemberId, statement: &str, priority| {
        let id = NeedId::random().unwrap();
        act(
            doc,
            KeyUserAction::AddNeed {
                id: id.clone(),
                draft: NeedDraft {
                    member: Some(member.clone()),
                    statement: statement.into(),
                    priority: Some(priority),
                    source: Some(NeedSource::Interview),
                    ..NeedDraft::default()
                },
                at: T0,
            },
        )
        .unwrap();
        id
    };
    let export = need(&mut doc, &wang, "Export to Excel", Priority::Should);
    need(&mut doc, &zhao, "export to  excel。", Priority::Must);
    let offline = need(&mut doc, &zhao, "Works offline", Priority::Could);
    let refused = invalid(act(
        &mut doc,
        KeyUserAction::SetNeedStatus {
            id: offline.clone(),
            status: NeedStatus::Declined,
            reason: " ".into(),
            at: T0,
        },
    ));
    assert_eq!(
        (refused.field, refused.problem),
        (Field::DeclineReason, Problem::Empty)
    );
    let group = doc.hydrate();
    let asked = needs_asked_most(&group);
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].asked_by, 2);
    assert_eq!(asked[0].priority(), Priority::Must);
    assert!(asked[0].needs.iter().any(|n| n.id == export));

    act(
        &mut doc,
        KeyUserAction::SetNeedStatus {
            id: offline.clone(),
            status: NeedStatus::Declined,
            reason: "Not this year".into(),
            at: T0 + DAY,
        },
    )
    .unwrap();
    let group = doc.hydrate();
    assert_eq!(group.needs[&offline].reason, "Not this year");
    assert_eq!(
        needs_asked_most(&group).len(),
        1,
        "a declined need is not open"
    );
    assert_eq!(needs_of(&group, &zhao).last().unwrap().id, offline);
}

#[test]
fn expectations_missed_or_declined_need_the_explanation_given() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    make_key(&mut doc, &wang, T0);
    let expect = |doc: &mut GroupDoc, text: &str, due: &str| {
        let id = ExpectationId::random().unwrap();
        act(
            doc,
            KeyUserAction::AddExpectation {
                id: id.clone(),
                draft: ExpectationDraft {
                    member: Some(wang.clone()),
                    text: text.into(),
                    due: due.into(),
                    agreed: Some(true),
                },
                at: T0,
            },
        )
        .unwrap();
        id
    };
    let report = expect(&mut doc, "Monthly report", "2025-12-01");
    let training = expect(&mut doc, "Admin training", "2026-03-01");
    let app = expect(&mut doc, "Mobile app", "");
    let refused = invalid(act(
        &mut doc,
        KeyUserAction::SetExpectationState {
            id: app.clone(),
            state: ExpectationState::Unmet,
            explanation: String::new(),
        },
    ));
    assert_eq!(refused.field, Field::Explanation);
    let refused = invalid(act(
        &mut doc,
        KeyUserAction::SetExpectationAgreed {
            id: app.clone(),
            agreed: Some(false),
            explanation: String::new(),
        },
    ));
    assert_eq!(refused.field, Field::Explanation);
    act(
        &mut doc,
        KeyUserAction::SetExpectationState {
            id: training.clone(),
            state: ExpectationState::AtRisk,
            explanation: String::new(),
        },
    )
    .unwrap();
    act(
        &mut doc,
        KeyUserAction::SetExpectationAgreed {
            id: app.clone(),
            agreed: Some(false),
            explanation: "Web only this year".into(),
        },
    )
    .unwrap();
    let group = doc.hydrate();
    // The report is past its day, the training marked at risk; the app was declined.
    let at_risk: Vec<_> = expectations_at_risk(&group, "2025-12-15")
        .iter()
        .map(|e| e.id.clone())
        .collect();
    assert_eq!(at_risk, [report, training]);
    assert_eq!(group.expectations[&app].explanation, "Web only this year");
    assert!(!group.expectations[&app].is_open());
}

#[test]
fn satisfaction_on_either_scale_compares_and_trends() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    make_key(&mut doc, &wang, T0);
    let read = |doc: &mut GroupDoc, value: &str, scale, at| {
        act(
            doc,
            KeyUserAction::RecordSatisfaction {
                id: ReadingId::random().unwrap(),
                member: wang.clone(),
                value: value.into(),
                scale,
                source: "Survey".into(),
                at,
            },
        )
    };
    read(&mut doc, "4", SatisfactionScale::OneToFive, T0).unwrap();
    read(&mut doc, "8", SatisfactionScale::ZeroToTen, T0 + DAY).unwrap();
    let refused = invalid(read(&mut doc, "6", SatisfactionScale::OneToFive, T0));
    assert_eq!(refused.field, Field::Reading);
    let group = doc.hydrate();
    let trend = satisfaction_trend(&readings_of(&group, &wang));
    // 4 on 1–5 is 75; 8 on 0–10 is 80.
    assert_eq!(trend.latest, Some(80.0));
    assert_eq!(trend.change, Some(5.0));
    assert_eq!(satisfaction_trends(&group)[&wang], trend);
}

#[test]
fn the_overview_counts_each_figure() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    let zhao = add_member(&mut doc, "Zhao");
    let sun = add_member(&mut doc, "Sun");
    for member in [&wang, &zhao, &sun] {
        make_key(&mut doc, member, T0);
    }
    place(&mut doc, &wang, 5, 5, T0);
    place(&mut doc, &zhao, 1, 1, T0);
    act(
        &mut doc,
        KeyUserAction::RecordSatisfaction {
            id: ReadingId::random().unwrap(),
            member: wang.clone(),
            value: "5".into(),
            scale: SatisfactionScale::OneToFive,
            source: String::new(),
            at: T0,
        },
    )
    .unwrap();
    let overview = overview(&doc.hydrate(), T0 + DAY, "2025-11-24");
    assert_eq!(overview.key_users, 3);
    assert_eq!(overview.by_quadrant, [1, 0, 0, 1]);
    assert_eq!(overview.unplaced, 1);
    assert_eq!(overview.overdue, 0);
    assert_eq!((overview.satisfaction, overview.rated), (Some(100.0), 1));
    assert_eq!(overview.participation, None);
    // Sixteen days on, Wang (every 14 days) is overdue; Sun (unplaced, every 30) and Zhao
    // (monitor, every 90) are not.
    let later = overview_at(&doc, T0 + 16 * DAY);
    assert_eq!(later.overdue, 1);
}

fn overview_at(doc: &GroupDoc, now: Millis) -> Overview {
    overview(&doc.hydrate(), now, "2025-12-10")
}

#[test]
fn erasing_a_key_user_takes_their_records_and_scores_with_them() {
    let mut doc = GroupDoc::create("Pilot", T0).unwrap();
    let wang = add_member(&mut doc, "Wang");
    let power = criterion(&mut doc, "Decision power", "2");
    score(&mut doc, &power, &wang, "5");
    make_key(&mut doc, &wang, T0);
    place(&mut doc, &wang, 4, 4, T0);
    doc.apply(&Action::RemoveMember { id: wang.clone() })
        .unwrap();
    let group = doc.hydrate();
    assert!(group.placings.is_empty());
    assert!(group.criteria[&power].scores.is_empty());
    group.check_invariants().unwrap();
}

#[test]
fn a_group_made_before_key_users_gets_their_collections_with_the_first_record() {
    let mut doc = common::group_before_key_users();
    let wang = add_member(&mut doc, "Wang");
    // Deciding writes to the member record alone; placing needs the new collections.
    make_key(&mut doc, &wang, T0);
    place(&mut doc, &wang, 3, 4, T0);
    let group = doc.hydrate();
    assert_eq!(
        key_users(&group)[0].quadrant(),
        Some(Quadrant::ManageClosely)
    );
    // Two organizers adding the collections offline add the same change.
    let mut a = common::group_before_key_users();
    let mut b = a.fork();
    criterion(&mut a, "Budget", "1");
    criterion(&mut b, "Usage", "1");
    a.merge(&mut b).unwrap();
    assert_eq!(a.hydrate().criteria.len(), 2);
}
