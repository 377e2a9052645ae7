//! Analytics with hand-computed figures (docs/metrics.md): an empty group; members by status
//! over months, joins and departures, cohorts, with moves at a month's edge that fall in
//! another month in Beijing than in UTC; the active rate and its window; participation per
//! activity and member; members at risk and the reasons that make their score; roles; and
//! feedback volume, NPS, time to resolve and age.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use common::member;

use cohort_model::analytics::*;
use cohort_model::calendar::{DAY, days_from_civil};
use cohort_model::*;

/// Beijing, 8 hours east of UTC.
const BEIJING: i32 = 480;
const HOUR: Millis = 3_600_000;

/// A moment given as Beijing wall time.
fn beijing(year: i64, month: i64, day: i64, hour: i64) -> Millis {
    days_from_civil(year, month, day) * DAY + hour * HOUR - 8 * HOUR
}

/// 2026-12-01 00:30 in Beijing: still 30 November in UTC.
fn now() -> Millis {
    beijing(2026, 12, 1, 0) + HOUR / 2
}

fn clock() -> Clock {
    Clock {
        now: now(),
        utc_offset_minutes: BEIJING,
    }
}

fn moves(doc: &mut GroupDoc, id: &MemberId, status: MemberStatus, at: Millis) {
    doc.apply(&Action::SetMemberStatus {
        id: id.clone(),
        status,
        at,
    })
    .unwrap();
}

fn report_of(doc: &GroupDoc) -> Report {
    let group = doc.hydrate();
    report(&group, &group.profile.analytics, clock())
}

#[test]
fn an_empty_group_has_twelve_empty_months_and_no_rates() {
    let doc = GroupDoc::create("Choir", now()).unwrap();
    let report = report_of(&doc);
    assert_eq!(report.months.len(), 12);
    assert_eq!(report.months[0], "2026-01");
    assert_eq!(
        report.months[11], "2026-12",
        "the month in Beijing, not UTC's November"
    );
    assert!(report.status.iter().all(|s| *s == [0; 4]));
    assert!(report.flow.iter().all(|f| *f == Flow::default()));
    assert!(
        report
            .cohorts
            .iter()
            .all(|c| c.size == 0 && c.retained.is_empty())
    );
    assert_eq!(report.active.rate(), None);
    assert!(report.activities.is_empty() && report.members.is_empty());
    assert!(report.at_risk.is_empty());
    assert_eq!(report.feedback.nps_overall.score(), None);
    assert_eq!(report.feedback.median_days_to_resolve, None);
    assert_eq!(report.feedback.open_by_age, [0; 4]);
}

/// Four members through 2026, in Beijing time:
/// - A applies on 10 Jan, is active from 5 Feb, leaves on 20 May;
/// - B is added active at 00:30 on 1 Mar (still 28 Feb in UTC);
/// - C is added active on 15 Mar, inactive on 1 Jun, active again on 1 Jul (a return, not a
///   join), leaves at 23:59 on 31 Aug;
/// - D applies on 1 Apr and is turned down on 2 Apr (left, but never a member: no departure).
#[test]
fn members_by_status_joins_departures_and_cohorts_follow_the_organizers_months() {
    use MemberStatus::*;
    let mut doc = GroupDoc::create("Choir", beijing(2026, 1, 1, 9)).unwrap();
    let a = member(&mut doc, 1, "A", Applicant, beijing(2026, 1, 10, 9));
    moves(&mut doc, &a, Active, beijing(2026, 2, 5, 9));
    moves(&mut doc, &a, Left, beijing(2026, 5, 20, 9));
    member(&mut doc, 2, "B", Active, beijing(2026, 3, 1, 0) + HOUR / 2);
    let c = member(&mut doc, 3, "C", Active, beijing(2026, 3, 15, 9));
    moves(&mut doc, &c, Inactive, beijing(2026, 6, 1, 9));
    moves(&mut doc, &c, Active, beijing(2026, 7, 1, 9));
    moves(&mut doc, &c, Left, beijing(2026, 8, 31, 23) + 59 * 60_000);
    let d = member(&mut doc, 4, "D", Applicant, beijing(2026, 4, 1, 9));
    moves(&mut doc, &d, Left, beijing(2026, 4, 2, 9));
    let report = report_of(&doc);

    // [applicant, active, inactive, left] at the end of each month, January to December.
    let expected_status = [
        [1, 0, 0, 0], // Jan: A applied
        [0, 1, 0, 0], // Feb: A active; B not yet (1 Mar in Beijing)
        [0, 3, 0, 0], // Mar
        [0, 3, 0, 1], // Apr: D turned down
        [0, 2, 0, 2], // May: A left
        [0, 1, 1, 2], // Jun: C inactive
        [0, 2, 0, 2], // Jul: C back
        [0, 1, 0, 3], // Aug: C left on its last evening
        [0, 1, 0, 3],
        [0, 1, 0, 3],
        [0, 1, 0, 3],
        [0, 1, 0, 3],
    ];
    assert_eq!(report.status, expected_status);

    let flow: Vec<(usize, usize)> = report.flow.iter().map(|f| (f.joined, f.departed)).collect();
    let mut expected_flow = [(0, 0); 12];
    expected_flow[1] = (1, 0); // Feb: A joined
    expected_flow[2] = (2, 0); // Mar: B and C
    expected_flow[4] = (0, 1); // May: A left
    expected_flow[7] = (0, 1); // Aug: C left; D's turn-down in April is no departure
    assert_eq!(flow, expected_flow);

    // A's cohort (February): kept to April, gone from May. B and C's (March): both kept through
    // July (C inactive in June still counts), half from August.
    let feb = &report.cohorts[1];
    assert_eq!((feb.month.as_str(), feb.size), ("2026-02", 1));
    assert_eq!(
        feb.retained,
        [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    let mar = &report.cohorts[2];
    assert_eq!(mar.size, 2);
    assert_eq!(
        mar.retained,
        [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    );
    assert!(report.cohorts.iter().filter(|c| c.size > 0).count() == 2);
}

fn activity(doc: &mut GroupDoc, bits: u64, starts_at: Millis, invited: &[&MemberId]) -> ActivityId {
    let id = ActivityId::from_bits(bits);
    doc.apply(&Action::AddActivity {
        id: id.clone(),
        draft: ActivityDraft {
            kind: ActivityKind::Discussion,
            title: format!("Meet {bits}"),
            starts_at,
            ends_at: starts_at + HOUR,
            invited: invited
                .iter()
                .map(|m| Invitee::Member((*m).clone()))
                .collect(),
            ..ActivityDraft::default()
        },
        at: starts_at,
    })
    .unwrap();
    id
}

fn mark(doc: &mut GroupDoc, activity: &ActivityId, member: &MemberId, mark: Mark) {
    doc.apply(&Action::MarkAttendance {
        id: activity.clone(),
        member: member.clone(),
        mark: Some(mark),
    })
    .unwrap();
}

fn contact(doc: &mut GroupDoc, bits: u64, member: &MemberId, at: Millis) {
    doc.apply(&Action::LogTouchpoint {
        id: TouchpointId::from_bits(bits),
        draft: TouchpointDraft {
            member: Some(member.clone()),
            at,
            channel: ContactChannel::Wechat,
            by: "Li".into(),
            summary: "Checked in".into(),
            follow_up: String::new(),
            due: String::new(),
        },
        at,
    })
    .unwrap();
}

fn feedback(
    doc: &mut GroupDoc,
    bits: u64,
    member: Option<&MemberId>,
    score: &str,
    at: Millis,
) -> FeedbackId {
    let id = FeedbackId::from_bits(bits);
    doc.apply(&Action::AddFeedback {
        id: id.clone(),
        draft: FeedbackDraft {
            member: member.cloned(),
            score: score.into(),
            text: "Said so".into(),
            category: if bits.is_multiple_of(2) {
                "Venue".into()
            } else {
                String::new()
            },
            ..FeedbackDraft::default()
        },
        at,
    })
    .unwrap();
    id
}

/// The active rate over 30 days: of three active members, one contacted 20 days ago and one
/// who attended 40 days ago; one inactive member contacted yesterday does not count.
/// Over a 60-day window (the group's setting), two of three.
#[test]
fn the_active_rate_counts_active_members_seen_in_the_window() {
    let start = now() - 400 * DAY;
    let mut doc = GroupDoc::create("Choir", start).unwrap();
    let contacted = member(&mut doc, 1, "Contacted", MemberStatus::Active, start);
    let came = member(&mut doc, 2, "Came", MemberStatus::Active, start);
    member(&mut doc, 3, "Quiet", MemberStatus::Active, start);
    let inactive = member(&mut doc, 4, "Away", MemberStatus::Active, start);
    moves(&mut doc, &inactive, MemberStatus::Inactive, start + DAY);
    contact(&mut doc, 1, &contacted, now() - 20 * DAY);
    contact(&mut doc, 2, &inactive, now() - DAY);
    let meeting = activity(&mut doc, 1, now() - 40 * DAY, &[&came]);
    mark(&mut doc, &meeting, &came, Mark::Attended);
    let active = report_of(&doc).active;
    assert_eq!(
        (active.window_days, active.active_members, active.engaged),
        (30, 3, 1)
    );
    assert!((active.rate().unwrap() - 1.0 / 3.0).abs() < 1e-9);

    doc.apply(&Action::SetAnalyticsSetting {
        setting: Setting::ActiveWindowDays,
        value: "60".into(),
    })
    .unwrap();
    let active = report_of(&doc).active;
    assert_eq!((active.window_days, active.engaged), (60, 2));
    // Out of range is refused with the field named; empty takes the default again.
    let refused = doc.apply(&Action::SetAnalyticsSetting {
        setting: Setting::ActiveWindowDays,
        value: "0".into(),
    });
    assert!(matches!(
        refused,
        Err(ApplyError::Invalid(Invalid {
            field: Field::AnalyticsSetting,
            problem: Problem::OutOfRange { min: 1, max: 365 }
        }))
    ));
    doc.apply(&Action::SetAnalyticsSetting {
        setting: Setting::ActiveWindowDays,
        value: String::new(),
    })
    .unwrap();
    assert_eq!(report_of(&doc).active.window_days, 30);
}

/// P came to four meetings more than 90 days ago and to none of the two since (the last one
/// she came to was 100 days ago), and after a 9 scored 4 ten days ago: silent 100 days (3),
/// dropped from 100% to 0% (2), feedback turned negative (2): score 7.
/// Q came five days ago and scored 3, her first score: negative feedback only (2).
/// R joined ten days ago and was never seen: not silent yet. S is inactive: not counted.
/// T came to 3 of 4 before and 1 of 2 since: lower, but not below half, so not at risk.
/// At the meeting five days ago Q came, P was absent and R walked in.
#[test]
fn members_at_risk_are_scored_by_the_reasons_that_flag_them() {
    let start = now() - 400 * DAY;
    let mut doc = GroupDoc::create("Choir", start).unwrap();
    let p = member(&mut doc, 1, "P", MemberStatus::Active, start);
    let q = member(&mut doc, 2, "Q", MemberStatus::Active, start);
    let r = member(&mut doc, 3, "R", MemberStatus::Active, now() - 10 * DAY);
    let s = member(&mut doc, 4, "S", MemberStatus::Active, start);
    moves(&mut doc, &s, MemberStatus::Inactive, start + DAY);
    for (bits, days_ago) in [(1, 160), (2, 130), (3, 110), (4, 100)] {
        let meeting = activity(&mut doc, bits, now() - days_ago * DAY, &[&p]);
        mark(&mut doc, &meeting, &p, Mark::Attended);
    }
    let recent = activity(&mut doc, 5, now() - 30 * DAY, &[&p]);
    mark(&mut doc, &recent, &p, Mark::Absent);
    let last = activity(&mut doc, 6, now() - 5 * DAY, &[&p, &q]);
    mark(&mut doc, &last, &p, Mark::Absent);
    mark(&mut doc, &last, &q, Mark::Attended);
    mark(&mut doc, &last, &r, Mark::Attended);
    let t = member(&mut doc, 5, "T", MemberStatus::Active, start);
    for (bits, days_ago, came) in [
        (11, 160, true),
        (12, 130, true),
        (13, 110, true),
        (14, 100, false),
        (15, 30, false),
        (16, 6, true),
    ] {
        let meeting = activity(&mut doc, bits, now() - days_ago * DAY, &[&t]);
        let how = if came { Mark::Attended } else { Mark::Absent };
        mark(&mut doc, &meeting, &t, how);
    }
    // Not begun yet: counts nowhere.
    activity(&mut doc, 7, now() + DAY, &[&p, &q]);
    feedback(&mut doc, 1, Some(&p), "9", now() - 200 * DAY);
    feedback(&mut doc, 2, Some(&p), "4", now() - 10 * DAY);
    feedback(&mut doc, 3, Some(&q), "3", now() - 20 * DAY);
    let report = report_of(&doc);

    let at_risk: Vec<(&str, u16)> = report
        .at_risk
        .iter()
        .map(|a| (a.name.as_str(), a.score))
        .collect();
    assert_eq!(at_risk, [("P", 7), ("Q", 2)]);
    let p_risk = &report.at_risk[0];
    assert_eq!(
        p_risk.reasons,
        [
            (Reason::Silent { days: 100 }, 3),
            (
                Reason::Dropped {
                    recent: 0.0,
                    earlier: 1.0
                },
                2
            ),
            (
                Reason::NegativeFeedback {
                    score: 4,
                    previous: Some(9)
                },
                2
            ),
        ]
    );
    assert_eq!(
        p_risk.last_interaction,
        Some(now() - 10 * DAY),
        "her feedback"
    );
    assert_eq!(
        report.at_risk[1].reasons,
        [(
            Reason::NegativeFeedback {
                score: 3,
                previous: None
            },
            2
        )]
    );

    // The weights are the group's: silence weighing nothing leaves P at 4.
    doc.apply(&Action::SetAnalyticsSetting {
        setting: Setting::WeightSilence,
        value: "0".into(),
    })
    .unwrap();
    assert_eq!(report_of(&doc).at_risk[0].score, 4);

    // The last meeting: P and Q invited, Q came, R walked in.
    let turnout = &report.activities[0];
    assert_eq!(turnout.title, "Meet 6");
    assert_eq!(
        (turnout.invited, turnout.attended, turnout.walk_ins),
        (2, 1, 1)
    );
    assert_eq!(turnout.rate(), Some(0.5));
    assert_eq!(report.activities.len(), 12, "the one to come is left out");
    // Per member, lowest rate first: P and T 4 of 6, then Q and R 1 of 1.
    let members: Vec<(&str, usize, usize)> = report
        .members
        .iter()
        .map(|m| (m.name.as_str(), m.attended, m.counted))
        .collect();
    assert_eq!(
        members,
        [("P", 4, 6), ("T", 4, 6), ("Q", 1, 1), ("R", 1, 1)]
    );
}

/// Interactions by month in Beijing: a contact at 23:30 on 30 November and one at 00:10 on
/// 1 December fall in different months (both 30 November in UTC).
#[test]
fn interactions_are_counted_in_the_organizers_month() {
    let mut doc = GroupDoc::create("Choir", now() - 60 * DAY).unwrap();
    let m = member(&mut doc, 1, "M", MemberStatus::Active, now() - 60 * DAY);
    contact(&mut doc, 1, &m, beijing(2026, 11, 30, 23) + HOUR / 2);
    contact(&mut doc, 2, &m, beijing(2026, 12, 1, 0) + 10 * 60_000);
    let meeting = activity(&mut doc, 1, beijing(2026, 11, 2, 19), &[&m]);
    mark(&mut doc, &meeting, &m, Mark::Attended);
    feedback(&mut doc, 1, Some(&m), "", beijing(2026, 10, 31, 23));
    let report = report_of(&doc);
    let months: Vec<(usize, usize, usize)> = report.interactions[9..]
        .iter()
        .map(|i| (i.attendances, i.touchpoints, i.feedback))
        .collect();
    assert_eq!(months, [(0, 0, 1), (1, 1, 0), (0, 1, 0)], "Oct, Nov, Dec");
}

/// Roles: "Treasurer" is held by nobody; of the active members, only N holds none; H holds
/// three roles, which is many.
#[test]
fn roles_unheld_members_without_one_and_members_holding_many() {
    let mut doc = GroupDoc::create("Choir", now()).unwrap();
    let h = member(&mut doc, 1, "H", MemberStatus::Active, now());
    let n = member(&mut doc, 2, "N", MemberStatus::Active, now());
    let o = member(&mut doc, 3, "O", MemberStatus::Active, now());
    member(&mut doc, 4, "Applicant", MemberStatus::Applicant, now());
    for (bits, name, holders) in [
        (1, "Host", vec![&h, &o]),
        (2, "Editor", vec![&h]),
        (3, "Photographer", vec![&h]),
        (4, "Treasurer", vec![]),
    ] {
        let role = RoleId::from_bits(bits);
        doc.apply(&Action::AddRole {
            id: role.clone(),
            draft: RoleDraft {
                name: name.into(),
                ..RoleDraft::default()
            },
        })
        .unwrap();
        for holder in holders {
            doc.apply(&Action::AssignRole {
                role: role.clone(),
                member: holder.clone(),
            })
            .unwrap();
        }
    }
    let roles = report_of(&doc).roles;
    assert_eq!(
        roles.unheld,
        [(RoleId::from_bits(4), "Treasurer".to_owned())]
    );
    assert_eq!(roles.without_role, [(n, "N".to_owned())]);
    assert_eq!(roles.holding_many, [(h, "H".to_owned(), 3)]);
}

/// Feedback: by category and status; NPS by month (a score at 23:00 on 31 October in Beijing
/// is October's, the four scored in September are September's); the median days to resolve
/// of items resolved after 1, 2, 4 and 10 days is 3; open items 0, 7 (exactly), 45 and 100
/// days old fall in each age band, as does October's, 30 days old.
#[test]
fn feedback_volume_nps_time_to_resolve_and_age() {
    let mut doc = GroupDoc::create("Choir", now() - 200 * DAY).unwrap();
    let mut bits = 0;
    let mut next = || {
        bits += 1;
        bits
    };
    for (days, score) in [(1, "10"), (2, "9"), (4, "6"), (10, "8")] {
        let at = now() - 80 * DAY;
        let id = feedback(&mut doc, next(), None, score, at);
        doc.apply(&Action::SetFeedbackStatus {
            id,
            status: FeedbackStatus::Resolved,
            at: at + days * DAY,
        })
        .unwrap();
    }
    for days in [0, 7, 45, 100] {
        feedback(&mut doc, next(), None, "", now() - days * DAY);
    }
    feedback(&mut doc, next(), None, "0", beijing(2026, 10, 31, 23));
    let declined = feedback(&mut doc, next(), None, "", now() - DAY);
    doc.apply(&Action::SetFeedbackStatus {
        id: declined,
        status: FeedbackStatus::Declined,
        at: now(),
    })
    .unwrap();
    let figures = report_of(&doc).feedback;
    assert_eq!(figures.median_days_to_resolve, Some(3.0));
    assert_eq!(figures.open_by_age, [1, 1, 2, 1]);
    // Ten items: odd numbers without a category, even ones "Venue".
    assert_eq!(
        figures.by_category,
        [
            (String::new(), [3, 0, 0, 2, 0]),
            ("Venue".to_owned(), [2, 0, 0, 2, 1]),
        ]
    );
    // September: 10, 9, 8 and 6; October: one detractor (the 0). Overall: 2 promoters, 1
    // passive, 2 detractors: 0.
    assert_eq!(figures.nps[8].score(), Some(25.0));
    assert_eq!(
        figures.nps[9],
        Nps {
            promoters: 0,
            passives: 0,
            detractors: 1
        }
    );
    assert_eq!(figures.nps[9].score(), Some(-100.0));
    assert_eq!(figures.nps_overall.score(), Some(0.0));
}
