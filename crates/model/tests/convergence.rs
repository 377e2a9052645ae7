//! Property: replicas that apply random actions and merge in random orders end identical,
//! keep every invariant, and a view kept by updates always equals a full read.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use cohort_model::*;
use proptest::prelude::*;

const REPLICAS: usize = 3;
const MEMBERS: u64 = 3;
const ROLES: u64 = 2;
const FEEDBACK: u64 = 2;
const TOUCHPOINTS: u64 = 2;
const ACTIVITIES: u64 = 2;
const DUTIES: u64 = 2;
const TRAININGS: u64 = 2;
const KEY_USER_RECORDS: u64 = 2;
const APPLICATIONS: u64 = 2;

/// One step of the run: an action on a replica, or a merge from one replica into another.
#[derive(Clone, Debug)]
enum Step {
    Act {
        replica: usize,
        action: Box<Action>,
    },
    Merge {
        from: usize,
        into: usize,
    },
    /// The replica's organizer undoes their latest change not undone yet.
    Undo {
        replica: usize,
    },
}

fn member() -> impl Strategy<Value = MemberId> {
    (0..MEMBERS).prop_map(MemberId::from_bits)
}

fn role() -> impl Strategy<Value = RoleId> {
    (0..ROLES).prop_map(RoleId::from_bits)
}

fn feedback() -> impl Strategy<Value = FeedbackId> {
    (0..FEEDBACK).prop_map(FeedbackId::from_bits)
}

fn touchpoint() -> impl Strategy<Value = TouchpointId> {
    (0..TOUCHPOINTS).prop_map(TouchpointId::from_bits)
}

fn activity() -> impl Strategy<Value = ActivityId> {
    (0..ACTIVITIES).prop_map(ActivityId::from_bits)
}

fn duty() -> impl Strategy<Value = DutyId> {
    (0..DUTIES).prop_map(DutyId::from_bits)
}

fn training() -> impl Strategy<Value = TrainingId> {
    (0..TRAININGS).prop_map(TrainingId::from_bits)
}

fn key_user_action() -> impl Strategy<Value = KeyUserAction> {
    use cohort_model::key_users::*;
    let criterion = || (0..KEY_USER_RECORDS).prop_map(CriterionId::from_bits);
    let need = || (0..KEY_USER_RECORDS).prop_map(NeedId::from_bits);
    let expectation = || (0..KEY_USER_RECORDS).prop_map(ExpectationId::from_bits);
    let placing = (0..4_u64).prop_map(PlacingId::from_bits);
    let reading = (0..KEY_USER_RECORDS).prop_map(ReadingId::from_bits);
    let at = || 1..1_000_i64;
    let grid = || 0..7_u8;
    let score = || prop::sample::select(vec!["", "0", "5", "6", "x"]).prop_map(str::to_owned);
    prop_oneof![
        (criterion(), text(), score(), at()).prop_map(|(id, name, weight, at)| {
            KeyUserAction::AddCriterion {
                id,
                name,
                weight,
                at,
            }
        }),
        (criterion(), score())
            .prop_map(|(id, weight)| KeyUserAction::SetCriterionWeight { id, weight }),
        criterion().prop_map(|id| KeyUserAction::RemoveCriterion { id }),
        (criterion(), member(), score()).prop_map(|(id, member, score)| {
            KeyUserAction::ScoreCriterion { id, member, score }
        }),
        (member(), any::<bool>(), text(), at()).prop_map(|(member, key, reason, at)| {
            KeyUserAction::DecideKeyUser {
                member,
                key,
                reason,
                by: "A".into(),
                at,
            }
        }),
        (placing, member(), grid(), grid(), at()).prop_map(
            |(id, member, influence, interest, at)| {
                KeyUserAction::PlaceKeyUser {
                    id,
                    member,
                    influence,
                    interest,
                    by: "B".into(),
                    at,
                }
            }
        ),
        (
            member(),
            prop::sample::select(StrategyField::ALL.to_vec()),
            prop::sample::select(vec!["", "14", "0", "wechat", "reviewer", "gifts"]),
        )
            .prop_map(|(member, field, value)| KeyUserAction::SetStrategy {
                member,
                field,
                value: value.into()
            }),
        (
            need(),
            prop::option::of(member()),
            text(),
            prop::collection::vec(feedback(), 0..2),
            prop::collection::vec(activity(), 0..2)
        )
            .prop_map(|(id, member, statement, feedback, activities)| {
                KeyUserAction::AddNeed {
                    id,
                    draft: NeedDraft {
                        member,
                        statement,
                        priority: Some(Priority::Must),
                        source: Some(NeedSource::Interview),
                        feedback,
                        activities,
                    },
                    at: 1,
                }
            }),
        (
            need(),
            prop::sample::select(NeedStatus::ALL.to_vec()),
            text(),
            at()
        )
            .prop_map(|(id, status, reason, at)| KeyUserAction::SetNeedStatus {
                id,
                status,
                reason,
                at
            }),
        (need(), feedback(), any::<bool>()).prop_map(|(id, feedback, included)| {
            KeyUserAction::LinkNeed {
                id,
                link: NeedLink::Feedback(feedback),
                included,
            }
        }),
        need().prop_map(|id| KeyUserAction::RemoveNeed { id }),
        (
            expectation(),
            prop::option::of(member()),
            text(),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(id, member, text, agreed)| KeyUserAction::AddExpectation {
                id,
                draft: ExpectationDraft {
                    member,
                    text,
                    due: String::new(),
                    agreed
                },
                at: 1,
            }),
        (
            expectation(),
            prop::sample::select(ExpectationState::ALL.to_vec()),
            text()
        )
            .prop_map(
                |(id, state, explanation)| KeyUserAction::SetExpectationState {
                    id,
                    state,
                    explanation
                }
            ),
        (expectation(), prop::option::of(any::<bool>()), text()).prop_map(
            |(id, agreed, explanation)| KeyUserAction::SetExpectationAgreed {
                id,
                agreed,
                explanation
            }
        ),
        (reading, member(), score(), at()).prop_map(|(id, member, value, at)| {
            KeyUserAction::RecordSatisfaction {
                id,
                member,
                value,
                scale: SatisfactionScale::OneToFive,
                source: String::new(),
                at,
            }
        }),
    ]
}

fn recruitment_action() -> impl Strategy<Value = RecruitmentAction> {
    use cohort_model::recruitment::*;
    let application = || (0..APPLICATIONS).prop_map(ApplicationId::from_bits);
    let criterion = || (0..2_u64).prop_map(ScreeningId::from_bits);
    let channel = || prop::sample::select(ApplicationChannel::ALL);
    let stage = || prop::sample::select(Stage::ALL);
    let at = || 1..1_000_i64;
    prop_oneof![
        1 => (criterion(), text(), at())
            .prop_map(|(id, name, at)| RecruitmentAction::AddCriterion { id, name, at }),
        1 => (criterion(), text()).prop_map(|(id, name)| RecruitmentAction::RenameCriterion { id, name }),
        1 => criterion().prop_map(|id| RecruitmentAction::RemoveCriterion { id }),
        3 => (application(), member(), prop::bool::weighted(0.3), channel(), prop::option::of(member()), at())
            .prop_map(|(id, member, new, channel, referrer, at)| RecruitmentAction::Apply {
                id,
                member,
                applicant: new.then(|| Box::new(MemberDraft { name: "A".into(), ..MemberDraft::default() })),
                draft: ApplicationDraft {
                    channel,
                    referrer,
                    applied_on: "2026-11-02".into(),
                    notes: "n".into(),
                },
                at,
            }),
        1 => (application(), channel(), prop::option::of(member()))
            .prop_map(|(id, channel, referrer)| RecruitmentAction::SetChannel { id, channel, referrer }),
        1 => (application(), prop_oneof![Just("2026-12-01".to_owned()), text()])
            .prop_map(|(id, applied_on)| RecruitmentAction::SetAppliedOn { id, applied_on }),
        1 => (application(), text()).prop_map(|(id, notes)| RecruitmentAction::SetNotes { id, notes }),
        3 => (application(), stage(), text(), at())
            .prop_map(|(id, stage, reason, at)| RecruitmentAction::Move { id, stage, reason, at }),
        2 => (
            application(),
            criterion(),
            prop::option::of(prop::sample::select(CheckResult::ALL)),
            text(),
        )
            .prop_map(|(id, criterion, result, note)| RecruitmentAction::Check {
                id,
                criterion,
                result,
                note,
            }),
        1 => application().prop_map(|id| RecruitmentAction::RemoveApplication { id }),
    ]
}

fn invitee() -> impl Strategy<Value = Invitee> {
    prop_oneof![
        member().prop_map(Invitee::Member),
        role().prop_map(Invitee::Role),
        "[ab]".prop_map(Invitee::Tag),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-c ]{1,6}", Just("x@y.z".to_owned())]
}

/// An action on members, roles, feedback, the contact log, activities or trainings.
fn group_action() -> impl Strategy<Value = Action> {
    let at = 0..1_000_i64;
    prop_oneof![
        (member(), text(), at.clone()).prop_map(|(id, name, at)| Action::AddMember {
            id,
            draft: MemberDraft {
                name,
                ..Default::default()
            },
            at
        }),
        (
            member(),
            prop::sample::select(vec![
                MemberField::Name,
                MemberField::Email,
                MemberField::Notes,
                MemberField::Source
            ]),
            text()
        )
            .prop_map(|(id, field, value)| Action::SetMember { id, field, value }),
        (
            member(),
            prop::sample::select(MemberStatus::ALL.to_vec()),
            at.clone()
        )
            .prop_map(|(id, status, at)| Action::SetMemberStatus { id, status, at }),
        (member(), "[ab]").prop_map(|(id, tag)| Action::TagMember { id, tag }),
        (member(), "[ab]").prop_map(|(id, tag)| Action::UntagMember { id, tag }),
        member().prop_map(|id| Action::RemoveMember { id }),
        (role(), text()).prop_map(|(id, name)| Action::AddRole {
            id,
            draft: RoleDraft {
                name,
                responsibilities: String::new()
            }
        }),
        (role(), member()).prop_map(|(role, member)| Action::AssignRole { role, member }),
        (role(), member()).prop_map(|(role, member)| Action::UnassignRole { role, member }),
        role().prop_map(|id| Action::RemoveRole { id }),
        (
            feedback(),
            prop::option::of(member()),
            text(),
            "([0-9]|1[0-2])?",
            at.clone()
        )
            .prop_map(|(id, member, text, score, at)| {
                Action::AddFeedback {
                    id,
                    draft: FeedbackDraft {
                        member,
                        text,
                        score,
                        ..Default::default()
                    },
                    at,
                }
            }),
        (feedback(), prop::option::of(member()))
            .prop_map(|(id, member)| Action::SetFeedbackMember { id, member }),
        (
            feedback(),
            prop::sample::select(FeedbackStatus::ALL.to_vec()),
            at
        )
            .prop_map(|(id, status, at)| Action::SetFeedbackStatus { id, status, at }),
        feedback().prop_map(|id| Action::RemoveFeedback { id }),
        (
            touchpoint(),
            member(),
            text(),
            text(),
            prop::sample::select(vec!["", "2026-12-01", "2026-02-30"]),
            1..1_000_i64,
        )
            .prop_map(|(id, member, summary, follow_up, due, at)| {
                Action::LogTouchpoint {
                    id,
                    draft: TouchpointDraft {
                        member: Some(member),
                        at,
                        summary,
                        follow_up,
                        due: due.to_owned(),
                        ..Default::default()
                    },
                    at,
                }
            }),
        (
            touchpoint(),
            prop::sample::select(vec![
                TouchpointField::Summary,
                TouchpointField::FollowUp,
                TouchpointField::Due,
            ]),
            prop_oneof![text(), Just("2027-01-31".to_owned())],
        )
            .prop_map(|(id, field, value)| Action::SetTouchpoint { id, field, value }),
        (touchpoint(), prop::option::of(1..1_000_i64))
            .prop_map(|(id, done_at)| Action::SetFollowUpDone { id, done_at }),
        touchpoint().prop_map(|id| Action::RemoveTouchpoint { id }),
        (
            activity(),
            text(),
            1..1_000_i64,
            0..20_i64,
            prop::collection::vec(invitee(), 0..3)
        )
            .prop_map(
                |(id, title, starts_at, length, invited)| Action::AddActivity {
                    id,
                    draft: ActivityDraft {
                        title,
                        starts_at,
                        ends_at: starts_at + length - 5,
                        invited,
                        ..Default::default()
                    },
                    at: 1,
                }
            ),
        (activity(), invitee()).prop_map(|(id, invitee)| Action::Invite { id, invitee }),
        (activity(), invitee()).prop_map(|(id, invitee)| Action::Uninvite { id, invitee }),
        (
            activity(),
            member(),
            prop::option::of(prop::sample::select(Mark::ALL.to_vec()))
        )
            .prop_map(|(id, member, mark)| Action::MarkAttendance { id, member, mark }),
        (activity(), prop::option::of(member()))
            .prop_map(|(id, organizer)| Action::SetActivityOrganizer { id, organizer }),
        (activity(), text()).prop_map(|(id, value)| Action::SetActivity {
            id,
            field: ActivityField::Description,
            value
        }),
        activity().prop_map(|id| Action::RemoveActivity { id }),
        (activity(), duty(), text()).prop_map(|(activity, id, title)| Action::AddDuty {
            activity,
            id,
            title
        }),
        (activity(), duty(), text()).prop_map(|(activity, id, title)| Action::SetDutyTitle {
            activity,
            id,
            title
        }),
        (
            activity(),
            duty(),
            member(),
            prop::option::of(prop::sample::select(Raci::ALL.to_vec()))
        )
            .prop_map(|(activity, id, member, part)| Action::AssignDuty {
                activity,
                id,
                member,
                part
            }),
        (activity(), duty()).prop_map(|(activity, id)| Action::RemoveDuty { activity, id }),
        (
            training(),
            text(),
            prop::collection::vec(activity(), 0..2),
            prop::collection::vec(invitee(), 0..2)
        )
            .prop_map(|(id, title, sessions, audience)| Action::AddTraining {
                id,
                draft: TrainingDraft {
                    title,
                    sessions,
                    audience,
                    ..Default::default()
                },
                at: 1,
            }),
        (training(), activity(), any::<bool>()).prop_map(|(id, activity, included)| {
            Action::SetTrainingSession {
                id,
                activity,
                included,
            }
        }),
        (training(), invitee(), any::<bool>()).prop_map(|(id, invitee, included)| {
            Action::SetTrainingAudience {
                id,
                invitee,
                included,
            }
        }),
        (training(), member(), prop::option::of(1..1_000_i64)).prop_map(
            |(id, member, completed_at)| Action::SetTrainingCompleted {
                id,
                member,
                completed_at,
            }
        ),
        (
            training(),
            member(),
            prop::sample::select(vec![
                TrainingScore::Before,
                TrainingScore::After,
                TrainingScore::Satisfaction
            ]),
            prop::sample::select(vec!["", "0", "3", "100", "101"])
        )
            .prop_map(|(id, member, score, value)| Action::SetTrainingScore {
                id,
                member,
                score,
                value: value.to_owned(),
            }),
        training().prop_map(|id| Action::RemoveTraining { id }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => group_action(),
        1 => key_user_action().prop_map(Action::KeyUsers),
        1 => recruitment_action().prop_map(Action::Recruitment),
    ]
}

fn step(action: impl Strategy<Value = Action>) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..REPLICAS, action).prop_map(|(replica, action)| Step::Act { replica, action: Box::new(action) }),
        1 => (0..REPLICAS, 0..REPLICAS).prop_map(|(from, into)| Step::Merge { from, into }),
    ]
}

/// Steps with undos among them, as organizers who change their minds make them.
fn step_or_undo(action: impl Strategy<Value = Action>) -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => step(action),
        1 => (0..REPLICAS).prop_map(|replica| Step::Undo { replica }),
    ]
}

/// A replica: the document and the view a screen would keep from its updates.
struct Replica {
    doc: GroupDoc,
    view: Group,
    /// The page's keyed store, following the same updates as `view`.
    #[cfg(feature = "store")]
    store: reactive_stores::Store<Group>,
}

impl Replica {
    fn new(doc: GroupDoc) -> Self {
        let view = doc.hydrate();
        Self {
            #[cfg(feature = "store")]
            store: reactive_stores::Store::new(view.clone()),
            view,
            doc,
        }
    }

    fn follow(&mut self, touched: &Touched) {
        let update = self.doc.update_for(touched);
        #[cfg(feature = "store")]
        store::follow(self.store, update.clone());
        self.view.apply(update);
    }

    /// Checks that every view of the document shows it as it is.
    fn check_views(&self, full: &Group) -> Result<(), TestCaseError> {
        prop_assert_eq!(&self.view, full);
        #[cfg(feature = "store")]
        {
            use reactive_graph::traits::WithUntracked;
            let stored = self.store.with_untracked(Group::clone);
            prop_assert_eq!(&stored, full);
        }
        Ok(())
    }
}

fn merge(replicas: &mut [Replica], from: usize, into: usize) {
    if from == into {
        return;
    }
    let mut source = replicas[from].doc.fork();
    let target = &mut replicas[into];
    let touched = target.doc.merge(&mut source).unwrap();
    target.follow(&touched);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_keep_invariants(
        steps in prop::collection::vec(step(action()), 1..40),
        made_by in 0..4_u8,
    ) {
        converge(steps, made_by)?;
    }

    /// Key users' records alone, with members coming and going: concurrent placings,
    /// decisions and removals are frequent enough here to be met every run.
    #[test]
    fn key_user_records_converge(
        steps in prop::collection::vec(step(key_users_and_members()), 1..40),
        made_by in 0..4_u8,
    ) {
        converge(steps, made_by)?;
    }

    /// Two organizers merging overlapping pairs at once, among references of every kind
    /// written meanwhile: no reference is left to a member not in the group.
    #[test]
    fn merges_converge_without_dangling_references(
        steps in prop::collection::vec(step(merges_and_references()), 1..40),
        made_by in 0..5_u8,
    ) {
        converge(steps, made_by)?;
    }

    /// Applications alone, with members coming and going: concurrent moves, checks, new
    /// applicants and erasures.
    #[test]
    fn applications_converge(
        steps in prop::collection::vec(step(recruitment_and_members()), 1..40),
        made_by in 0..5_u8,
    ) {
        converge(steps, made_by)?;
    }

    /// Organizers undoing their own changes while others edit, concurrently: every replica
    /// ends the same, with every invariant kept and every view right.
    #[test]
    fn undos_converge(
        steps in prop::collection::vec(step_or_undo(action()), 1..40),
        made_by in 0..5_u8,
    ) {
        converge(steps, made_by)?;
    }
}

/// Merges of overlapping pairs (and opposite ones) among everything that names a member.
fn merges_and_references() -> impl Strategy<Value = Action> {
    let field = prop::sample::select(vec![
        MemberField::Name,
        MemberField::Email,
        MemberField::Phone,
        MemberField::Notes,
    ]);
    prop_oneof![
        4 => (member(), member(), prop::collection::btree_set(field, 0..3), any::<bool>(), 1..1_000_i64)
            .prop_map(|(survivor, merged, take, take_status, at)| Action::MergeMembers {
                survivor,
                merged,
                take,
                take_status,
                at,
            }),
        1 => (member(), member()).prop_map(|(first, second)| Action::MarkNotDuplicates { first, second }),
        1 => ((0..2_u64).prop_map(DigestId::from_bits), 0..10_i64, 0..10_i64, prop::collection::vec(prop_oneof![Just("member:0000000000000001".to_owned()), Just("activity:0000000000000000".to_owned())], 0..3))
            .prop_map(|(id, from, to, items)| Action::RecordDigest { id, from, to, items, by: "Li".into(), at: 1 }),
        3 => member().prop_map(|id| Action::AddMember {
            id,
            draft: MemberDraft { name: "M".into(), ..MemberDraft::default() },
            at: 1,
        }),
        6 => group_action(),
        1 => key_user_action().prop_map(Action::KeyUsers),
        1 => recruitment_action().prop_map(Action::Recruitment),
    ]
}

fn recruitment_and_members() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => member().prop_map(|id| Action::AddMember {
            id,
            draft: MemberDraft { name: "M".into(), ..MemberDraft::default() },
            at: 1,
        }),
        1 => member().prop_map(|id| Action::RemoveMember { id }),
        4 => recruitment_action().prop_map(Action::Recruitment),
    ]
}

fn key_users_and_members() -> impl Strategy<Value = Action> {
    prop_oneof![
        1 => member().prop_map(|id| Action::AddMember {
            id,
            draft: MemberDraft { name: "M".into(), ..MemberDraft::default() },
            at: 1,
        }),
        1 => member().prop_map(|id| Action::RemoveMember { id }),
        4 => key_user_action().prop_map(Action::KeyUsers),
    ]
}

/// Runs `steps` on replicas of a group made by this build or an older one (`made_by`), then
/// merges all: they must end identical, with every invariant kept and every view right.
fn converge(steps: Vec<Step>, made_by: u8) -> Result<(), TestCaseError> {
    // A group made by this build, by the build before recruitment, before key users, before
    // training plans, or before the contact log.
    let origin = match made_by {
        0 => GroupDoc::create("Group", 0).unwrap(),
        4 => common::group_before_recruitment(),
        1 => common::group_before_key_users(),
        2 => common::group_before_trainings(),
        _ => common::group_before_the_contact_log(),
    };
    let mut replicas: Vec<Replica> = (0..REPLICAS)
        .map(|n| {
            let mut doc = origin.fork();
            doc.set_organizer(&format!("device-{n}"), &format!("Organizer {n}"));
            Replica::new(doc)
        })
        .collect();
    // Ids are random and never reused: a member's id is added once, on one replica, and once
    // removed not added again (docs/schema.md). The small id pool would otherwise add one id
    // twice, which random ids never do.
    let mut removed = std::collections::BTreeSet::new();
    let mut added = std::collections::BTreeSet::new();
    let mut removed_touchpoints = std::collections::BTreeSet::new();
    let mut removed_activities = std::collections::BTreeSet::new();
    let mut removed_duties = std::collections::BTreeSet::new();
    let mut removed_trainings = std::collections::BTreeSet::new();
    for step in steps {
        match step {
            Step::Act { action, .. } if matches!(&*action, Action::AddMember { id, .. } if removed.contains(id) || added.contains(id)) =>
                {}
            Step::Act { action, .. } if matches!(&*action, Action::Recruitment(RecruitmentAction::Apply { member, applicant: Some(_), .. }) if removed.contains(member) || added.contains(member)) =>
                {}
            Step::Act { action, .. } if matches!(&*action, Action::LogTouchpoint { id, .. } if removed_touchpoints.contains(id)) =>
                {}
            Step::Act { action, .. } if matches!(&*action, Action::AddActivity { id, .. } if removed_activities.contains(id)) =>
                {}
            Step::Act { action, .. } if matches!(&*action, Action::AddDuty { activity, id, .. } if removed_duties.contains(&(activity.clone(), id.clone()))) =>
                {}
            Step::Act { action, .. } if matches!(&*action, Action::AddTraining { id, .. } if removed_trainings.contains(id)) =>
                {}
            Step::Act { replica, action } => {
                if let Action::RemoveMember { id } = &*action {
                    removed.insert(id.clone());
                }
                match &*action {
                    Action::AddMember { id, .. }
                    | Action::Recruitment(RecruitmentAction::Apply {
                        member: id,
                        applicant: Some(_),
                        ..
                    }) => {
                        added.insert(id.clone());
                    }
                    _ => {}
                }
                if let Action::RemoveTouchpoint { id } = &*action {
                    removed_touchpoints.insert(id.clone());
                }
                if let Action::RemoveActivity { id } = &*action {
                    removed_activities.insert(id.clone());
                }
                if let Action::RemoveDuty { activity, id } = &*action {
                    removed_duties.insert((activity.clone(), id.clone()));
                }
                if let Action::RemoveTraining { id } = &*action {
                    removed_trainings.insert(id.clone());
                }
                let replica = &mut replicas[replica];
                let heads = replica.doc.heads();
                match replica.doc.apply(&action) {
                    Ok(touched) => replica.follow(&touched),
                    // A refused action writes nothing.
                    Err(_) => prop_assert_eq!(replica.doc.heads(), heads),
                }
            }
            Step::Merge { from, into } => merge(&mut replicas, from, into),
            Step::Undo { replica: n } => {
                let replica = &mut replicas[n];
                let mut history = history::History::default();
                history.update(replica.doc.automerge());
                let device = format!("device-{n}");
                if let Some(change) = history.next_undo(replica.doc.automerge(), &device) {
                    let (touched, _) = replica.doc.undo(&change, 0).unwrap();
                    replica.follow(&touched);
                }
            }
        }
        for replica in &replicas {
            let full = replica.doc.hydrate();
            replica.check_views(&full)?;
            full.check_invariants().map_err(TestCaseError::fail)?;
        }
    }
    // Everyone hears from everyone: a ring twice round.
    for _ in 0..2 {
        for i in 0..REPLICAS {
            merge(&mut replicas, i, (i + 1) % REPLICAS);
        }
    }
    let first = replicas[0].doc.hydrate();
    for replica in &replicas {
        prop_assert_eq!(replica.doc.heads(), replicas[0].doc.heads());
        prop_assert_eq!(&replica.doc.hydrate(), &first);
        replica.check_views(&first)?;
    }
    first.check_invariants().map_err(TestCaseError::fail)?;
    Ok(())
}

fn query() -> impl Strategy<Value = MemberQuery> {
    (
        prop::sample::select(vec!["", "a", "x@", "b "]),
        prop::option::of(prop::sample::select(MemberStatus::ALL.to_vec())),
        prop::option::of(prop::sample::select(vec!["a", "b"])),
        prop::option::of(prop_oneof![
            Just(RoleFilter::NoRole),
            role().prop_map(RoleFilter::Holds)
        ]),
        prop::sample::select(vec![
            MemberSort::Name,
            MemberSort::Status,
            MemberSort::Joined,
            MemberSort::Added,
            MemberSort::LastContact,
        ]),
        any::<bool>(),
    )
        .prop_map(
            |(search, status, tag, role, sort, descending)| MemberQuery {
                search: search.to_owned(),
                status,
                tag: tag.map(str::to_owned),
                role,
                sort,
                descending,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The members table follows edits without re-sorting: its ids always equal a full query.
    #[test]
    fn a_query_brought_up_to_date_equals_a_full_query(
        query in query(),
        setup in prop::collection::vec(action(), 0..30),
        edits in prop::collection::vec(action(), 1..10),
    ) {
        let mut doc = GroupDoc::create("Group", 0).unwrap();
        for action in &setup {
            let _ = doc.apply(action);
        }
        let before = doc.hydrate();
        let previous: Vec<MemberId> = query.run(&before).into_iter().map(|m| m.id.clone()).collect();
        // The page's log of changes, as it records them (see src/state.rs).
        let mut changes = MemberChanges::default();
        changes.record(None);
        let generation = changes.generation();
        let mut roles_changed = false;
        for action in &edits {
            let contacts_before = doc.hydrate().touchpoints;
            if let Ok(touched) = doc.apply(action) {
                // A role change can move anyone in or out of a role filter; a touchpoint
                // changes when its member was last contacted, before and after.
                roles_changed |= !touched.roles.is_empty();
                let contacts_after = doc.hydrate().touchpoints;
                let contacted: Vec<MemberId> = touched
                    .touchpoints
                    .iter()
                    .flat_map(|id| [contacts_before.get(id), contacts_after.get(id)])
                    .flatten()
                    .map(|touchpoint| touchpoint.member.clone())
                    .collect();
                changes.record(touched.roles.is_empty().then(|| {
                    let mut members = touched.members.into_ids();
                    members.extend(contacted);
                    members
                }));
            }
        }
        let after = doc.hydrate();
        let full: Vec<MemberId> = query.run(&after).into_iter().map(|m| m.id.clone()).collect();
        // The first few, as a check-in search suggests them, are the full query's first few.
        for count in [0, 1, 2] {
            let first: Vec<MemberId> = query.first(&after, count).into_iter().map(|m| m.id.clone()).collect();
            prop_assert_eq!(first.as_slice(), &full[..count.min(full.len())]);
        }
        match changes.since(generation) {
            Some(changed) => prop_assert_eq!(query.rerun(&after, &previous, &changed), full),
            None => prop_assert!(roles_changed, "only a role change makes the page query everyone"),
        }
    }
}

#[test]
fn changes_too_long_ago_or_touching_anyone_mean_querying_everyone() {
    let id = |n: u8| MemberId::from_key(&format!("m{n:015}")).unwrap();
    let mut changes = MemberChanges::default();
    changes.record(Some([id(1)].into()));
    let after_first = changes.generation();
    changes.record(Some([id(2)].into()));
    assert_eq!(changes.since(0), Some([id(1), id(2)].into()));
    assert_eq!(changes.since(after_first), Some([id(2)].into()));
    assert_eq!(changes.since(changes.generation()), Some([].into()));
    changes.record(None);
    assert_eq!(changes.since(after_first), None, "a change touched anyone");
    let before_many = changes.generation();
    for n in 0..100 {
        changes.record(Some([id(n)].into()));
    }
    assert_eq!(
        changes.since(before_many),
        None,
        "more changes than are kept"
    );
    assert!(changes.since(changes.generation() - 10).is_some());
}
