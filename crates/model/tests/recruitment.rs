//! Recruitment: applications through their stages with the applicant's status, screening
//! checks counted, referrals, each channel's yield with hand-computed figures, bad moves
//! refused with the field named, and groups made by older builds.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use cohort_model::recruitment::*;
use cohort_model::*;
use common::{T0, add_member};

const DAY: Millis = 24 * 60 * 60 * 1000;

fn act(doc: &mut GroupDoc, action: RecruitmentAction) -> Result<Touched, ApplyError> {
    doc.apply(&Action::Recruitment(action))
}

fn draft(channel: ApplicationChannel) -> ApplicationDraft {
    ApplicationDraft {
        channel,
        referrer: None,
        applied_on: "2026-11-02".into(),
        notes: String::new(),
    }
}

/// Records an application by a new person; returns the application's and the member's ids.
fn apply(doc: &mut GroupDoc, name: &str, channel: ApplicationChannel) -> (ApplicationId, MemberId) {
    let id = ApplicationId::random().unwrap();
    let member = MemberId::random().unwrap();
    act(
        doc,
        RecruitmentAction::Apply {
            id: id.clone(),
            member: member.clone(),
            applicant: Some(Box::new(MemberDraft {
                name: name.into(),
                ..MemberDraft::default()
            })),
            draft: draft(channel),
            at: T0,
        },
    )
    .unwrap();
    (id, member)
}

fn move_to(doc: &mut GroupDoc, id: &ApplicationId, stage: Stage, reason: &str, at: Millis) {
    act(
        doc,
        RecruitmentAction::Move {
            id: id.clone(),
            stage,
            reason: reason.into(),
            at,
        },
    )
    .unwrap();
}

fn criterion(doc: &mut GroupDoc, name: &str) -> ScreeningId {
    let id = ScreeningId::random().unwrap();
    act(
        doc,
        RecruitmentAction::AddCriterion {
            id: id.clone(),
            name: name.into(),
            at: T0,
        },
    )
    .unwrap();
    id
}

fn check(
    doc: &mut GroupDoc,
    id: &ApplicationId,
    criterion: &ScreeningId,
    result: Option<CheckResult>,
) {
    act(
        doc,
        RecruitmentAction::Check {
            id: id.clone(),
            criterion: criterion.clone(),
            result,
            note: "seen at the meetup".into(),
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
fn an_application_adds_the_person_as_an_applicant_on_the_board() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let (id, member) = apply(&mut doc, "王芳", ApplicationChannel::WechatGroup);
    let group = doc.hydrate();
    assert_eq!(group.members[&member].status, MemberStatus::Applicant);
    let application = &group.applications[&id];
    assert_eq!(application.stage, Stage::Applied);
    assert_eq!(application.channel, ApplicationChannel::WechatGroup);
    assert_eq!(application.applied_on, "2026-11-02");
    assert_eq!(application.history.len(), 1);
    let board = board(&group);
    assert_eq!(
        board.len(),
        Stage::ALL.len(),
        "a column per stage, empty ones too"
    );
    assert_eq!(board[&Stage::Applied].len(), 1);
    assert_eq!(applications_of(&group, &member)[0].id, id);
}

#[test]
fn accepting_makes_the_applicant_active_and_a_decided_application_stays() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let (id, member) = apply(&mut doc, "Ana", ApplicationChannel::Event);
    move_to(&mut doc, &id, Stage::Interview, "", T0 + DAY);
    // Back a step, to mend a slip.
    move_to(&mut doc, &id, Stage::Screening, "", T0 + 2 * DAY);
    move_to(&mut doc, &id, Stage::Accepted, "", T0 + 3 * DAY);
    let group = doc.hydrate();
    assert_eq!(group.members[&member].status, MemberStatus::Active);
    let application = &group.applications[&id];
    assert_eq!(application.accepted_at(), Some(T0 + 3 * DAY));
    let stages: Vec<_> = application.history.iter().map(|c| c.status).collect();
    assert_eq!(
        stages,
        [
            Stage::Applied,
            Stage::Interview,
            Stage::Screening,
            Stage::Accepted
        ]
    );
    let refused = invalid(act(
        &mut doc,
        RecruitmentAction::Move {
            id: id.clone(),
            stage: Stage::Rejected,
            reason: "changed our minds".into(),
            at: T0 + 4 * DAY,
        },
    ));
    assert_eq!(refused.field, Field::Stage);
    assert_eq!(
        refused.problem,
        Problem::StageMove {
            from: Stage::Accepted,
            to: Stage::Rejected
        }
    );
}

#[test]
fn rejecting_asks_for_the_reason_and_the_applicant_leaves() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let (id, member) = apply(&mut doc, "Ben", ApplicationChannel::Website);
    let heads = doc.heads();
    let refused = invalid(act(
        &mut doc,
        RecruitmentAction::Move {
            id: id.clone(),
            stage: Stage::Rejected,
            reason: "  ".into(),
            at: T0 + DAY,
        },
    ));
    assert_eq!(
        (refused.field, refused.problem),
        (Field::StageReason, Problem::Empty)
    );
    assert_eq!(doc.heads(), heads, "nothing written");
    move_to(&mut doc, &id, Stage::Rejected, "Lives abroad", T0 + DAY);
    let group = doc.hydrate();
    assert_eq!(group.applications[&id].reason, "Lives abroad");
    assert_eq!(group.members[&member].status, MemberStatus::Left);
    // Withdrawing needs no reason.
    let (other, other_member) = apply(&mut doc, "Cai", ApplicationChannel::Website);
    move_to(&mut doc, &other, Stage::Withdrawn, "", T0 + DAY);
    assert_eq!(
        doc.hydrate().members[&other_member].status,
        MemberStatus::Left
    );
}

#[test]
fn an_existing_member_can_apply_and_is_not_made_to_leave_by_a_rejection() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let member = add_member(&mut doc, "Dana");
    doc.apply(&Action::SetMemberStatus {
        id: member.clone(),
        status: MemberStatus::Active,
        at: T0,
    })
    .unwrap();
    let id = ApplicationId::random().unwrap();
    act(
        &mut doc,
        RecruitmentAction::Apply {
            id: id.clone(),
            member: member.clone(),
            applicant: None,
            draft: draft(ApplicationChannel::Other),
            at: T0,
        },
    )
    .unwrap();
    move_to(&mut doc, &id, Stage::Rejected, "Not this round", T0 + DAY);
    assert_eq!(doc.hydrate().members[&member].status, MemberStatus::Active);
}

#[test]
fn a_refused_application_adds_no_member_either() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let heads = doc.heads();
    let refused = invalid(act(
        &mut doc,
        RecruitmentAction::Apply {
            id: ApplicationId::random().unwrap(),
            member: MemberId::random().unwrap(),
            applicant: Some(Box::new(MemberDraft {
                name: "Eve".into(),
                ..MemberDraft::default()
            })),
            draft: ApplicationDraft {
                applied_on: "2026-02-30".into(),
                ..draft(ApplicationChannel::Event)
            },
            at: T0,
        },
    ));
    assert_eq!(refused.field, Field::AppliedOn);
    assert_eq!(doc.heads(), heads);
    assert!(doc.hydrate().members.is_empty());
}

#[test]
fn the_board_tallies_checks_against_current_criteria() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let (id, _) = apply(&mut doc, "Fay", ApplicationChannel::Event);
    let city = criterion(&mut doc, "Lives in the city");
    let time = criterion(&mut doc, "Two hours a week");
    let sing = criterion(&mut doc, "Can read music");
    let gone = criterion(&mut doc, "Owns a robe");
    let _unchecked = criterion(&mut doc, "Has sung before");
    check(&mut doc, &id, &city, Some(CheckResult::Meets));
    check(&mut doc, &id, &time, Some(CheckResult::Partly));
    check(&mut doc, &id, &sing, Some(CheckResult::DoesNot));
    check(&mut doc, &id, &gone, Some(CheckResult::Meets));
    act(
        &mut doc,
        RecruitmentAction::RemoveCriterion { id: gone.clone() },
    )
    .unwrap();
    let group = doc.hydrate();
    let application = &group.applications[&id];
    assert_eq!(application.checks[&city].note, "seen at the meetup");
    assert_eq!(
        application.tally(&group.screening),
        Tally {
            meets: 1,
            partly: 1,
            does_not: 1,
            unchecked: 1
        }
    );
    // Cleared, it counts as unchecked again.
    check(&mut doc, &id, &sing, None);
    let group = doc.hydrate();
    assert_eq!(group.applications[&id].tally(&group.screening).unchecked, 2);
    // A check against a criterion that is not there is refused.
    let refused = invalid(act(
        &mut doc,
        RecruitmentAction::Check {
            id,
            criterion: gone,
            result: Some(CheckResult::Meets),
            note: String::new(),
        },
    ));
    assert_eq!(refused.field, Field::ScreeningCriterion);
}

#[test]
fn a_referral_names_who_referred_and_erasing_people_follows_through() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let referrer = add_member(&mut doc, "Gus");
    let id = ApplicationId::random().unwrap();
    let applicant = add_member(&mut doc, "Hana");
    act(
        &mut doc,
        RecruitmentAction::Apply {
            id: id.clone(),
            member: applicant.clone(),
            applicant: None,
            draft: ApplicationDraft {
                referrer: Some(referrer.clone()),
                ..draft(ApplicationChannel::Referral)
            },
            at: T0,
        },
    )
    .unwrap();
    assert_eq!(
        doc.hydrate().applications[&id].referrer,
        Some(referrer.clone())
    );
    // A referrer for another channel is not kept; an unknown one is refused.
    act(
        &mut doc,
        RecruitmentAction::SetChannel {
            id: id.clone(),
            channel: ApplicationChannel::Event,
            referrer: Some(referrer.clone()),
        },
    )
    .unwrap();
    assert_eq!(doc.hydrate().applications[&id].referrer, None);
    let refused = invalid(act(
        &mut doc,
        RecruitmentAction::SetChannel {
            id: id.clone(),
            channel: ApplicationChannel::Referral,
            referrer: Some(MemberId::random().unwrap()),
        },
    ));
    assert_eq!(
        (refused.field, refused.problem),
        (Field::Referrer, Problem::UnknownMember)
    );
    act(
        &mut doc,
        RecruitmentAction::SetChannel {
            id: id.clone(),
            channel: ApplicationChannel::Referral,
            referrer: Some(referrer.clone()),
        },
    )
    .unwrap();
    // Erasing the referrer keeps the referral without their name.
    let mut view = doc.hydrate();
    let touched = doc.apply(&Action::RemoveMember { id: referrer }).unwrap();
    view.apply(doc.update_for(&touched));
    assert_eq!(view, doc.hydrate());
    assert_eq!(view.applications[&id].channel, ApplicationChannel::Referral);
    assert_eq!(view.applications[&id].referrer, None);
    // Erasing the applicant erases the application.
    let touched = doc.apply(&Action::RemoveMember { id: applicant }).unwrap();
    view.apply(doc.update_for(&touched));
    assert_eq!(view, doc.hydrate());
    assert!(view.applications.is_empty());
    view.check_invariants().unwrap();
}

/// Two channels, figured by hand on day 100:
/// - referral: three applied; A accepted on day 0 and made inactive on day 95 (so active on
///   day 90), B accepted on day 80 (not 90 days yet), C still open. Accepted 2 of 3; still
///   active 1 of the 1 accepted long enough ago.
/// - WeChat group: two applied; D accepted on day 0 and left on day 30, E rejected. Accepted 1
///   of 2; still active 0 of 1.
/// - All: 3 of 5 accepted (60%); 1 of 2 still active.
#[test]
fn each_channel_counts_applicants_acceptances_and_who_stayed() {
    use ApplicationChannel::{Referral, WechatGroup};
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let (a, a_member) = apply(&mut doc, "A", Referral);
    let (b, _) = apply(&mut doc, "B", Referral);
    apply(&mut doc, "C", Referral);
    let (d, d_member) = apply(&mut doc, "D", WechatGroup);
    let (e, _) = apply(&mut doc, "E", WechatGroup);
    move_to(&mut doc, &a, Stage::Accepted, "", T0);
    move_to(&mut doc, &b, Stage::Accepted, "", T0 + 80 * DAY);
    move_to(&mut doc, &d, Stage::Accepted, "", T0);
    move_to(&mut doc, &e, Stage::Rejected, "Full", T0);
    for (member, status, day) in [
        (&a_member, MemberStatus::Inactive, 95),
        (&d_member, MemberStatus::Left, 30),
    ] {
        doc.apply(&Action::SetMemberStatus {
            id: member.clone(),
            status,
            at: T0 + day * DAY,
        })
        .unwrap();
    }
    let yields = channel_yields(&doc.hydrate(), T0 + 100 * DAY);
    let of = |channel: Option<ApplicationChannel>| {
        yields
            .iter()
            .find(|y| y.channel == channel)
            .unwrap()
            .clone()
    };
    let referral = of(Some(Referral));
    assert_eq!(
        (
            referral.applicants,
            referral.accepted,
            referral.accepted_long_enough,
            referral.still_active
        ),
        (3, 2, 1, 1)
    );
    assert_eq!(referral.retention(), Some(1.0));
    let wechat = of(Some(WechatGroup));
    assert_eq!(
        (
            wechat.applicants,
            wechat.accepted,
            wechat.accepted_long_enough,
            wechat.still_active
        ),
        (2, 1, 1, 0)
    );
    assert_eq!(wechat.acceptance_rate(), Some(0.5));
    let all = of(None);
    assert_eq!((all.applicants, all.accepted), (5, 3));
    assert_eq!(all.acceptance_rate(), Some(0.6));
    assert_eq!(all.retention(), Some(0.5));
    let event = of(Some(ApplicationChannel::Event));
    assert_eq!(
        (event.applicants, event.acceptance_rate(), event.retention()),
        (0, None, None)
    );
    assert_eq!(yields.last().unwrap().channel, None, "the total comes last");
}

#[test]
fn an_empty_group_yields_nothing_and_divides_by_nothing() {
    let group = GroupDoc::create("Choir", T0).unwrap().hydrate();
    let yields = channel_yields(&group, T0);
    assert_eq!(yields.len(), ApplicationChannel::ALL.len() + 1);
    assert!(
        yields
            .iter()
            .all(|y| y.applicants == 0 && y.acceptance_rate().is_none())
    );
    assert!(board(&group).values().all(Vec::is_empty));
}

#[test]
fn the_status_at_a_moment_counts_a_move_made_at_that_very_moment() {
    let history = [
        StatusChange {
            at: 10,
            status: MemberStatus::Applicant,
        },
        StatusChange {
            at: 20,
            status: MemberStatus::Active,
        },
    ];
    assert_eq!(status_at(&history, 9), None);
    assert_eq!(status_at(&history, 19), Some(MemberStatus::Applicant));
    assert_eq!(status_at(&history, 20), Some(MemberStatus::Active));
}

#[test]
fn two_organizers_take_applications_in_a_group_made_before_recruitment() {
    let origin = common::group_before_recruitment();
    let mut first = origin.fork();
    let mut second = origin.fork();
    apply(&mut first, "Ivy", ApplicationChannel::Event);
    apply(&mut second, "Jun", ApplicationChannel::Event);
    first.merge(&mut second).unwrap();
    let group = first.hydrate();
    assert_eq!(group.applications.len(), 2, "both applications kept");
    group.check_invariants().unwrap();
}
