//! Digests: what a period's digest holds (activities coming up, duties that need someone, new
//! members, resolved feedback), and a second digest holding only what is new since.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use cohort_model::calendar::DAY;
use cohort_model::digest::{FIRST_PERIOD_DAYS, default_period, draft};
use cohort_model::*;
use common::{T0, member};

fn activity(doc: &mut GroupDoc, bits: u64, title: &str, starts_at: Millis) -> ActivityId {
    let id = ActivityId::from_bits(bits);
    doc.apply(&Action::AddActivity {
        id: id.clone(),
        draft: ActivityDraft {
            kind: ActivityKind::Sharing,
            title: title.into(),
            starts_at,
            ends_at: starts_at + 3_600_000,
            place: "Hall".into(),
            ..ActivityDraft::default()
        },
        at: T0,
    })
    .unwrap();
    id
}

fn share(doc: &mut GroupDoc, bits: u64, from: Millis, to: Millis) {
    let items = draft(&doc.hydrate(), from, to).items();
    doc.apply(&Action::RecordDigest {
        id: DigestId::from_bits(bits),
        from,
        to,
        items,
        by: "Li".into(),
        at: to,
    })
    .unwrap();
}

/// The week to T0: Ana joined (active) in it, Ben before it; Cai applied in it (not a
/// member yet). A talk in 3 days with a check-in desk nobody holds and a host held by Ana; a
/// picnic in 20 days (too far); a talk last week (over). Feedback resolved in the week, and
/// one before it.
#[test]
fn a_digest_holds_what_is_coming_and_what_is_new_then_only_what_is_new_since() {
    let mut doc = GroupDoc::create("Choir", T0 - 30 * DAY).unwrap();
    let ana = member(&mut doc, 1, "Ana", MemberStatus::Active, T0 - 2 * DAY);
    member(&mut doc, 2, "Ben", MemberStatus::Active, T0 - 20 * DAY);
    member(&mut doc, 3, "Cai", MemberStatus::Applicant, T0 - DAY);
    let talk = activity(&mut doc, 1, "Talk", T0 + 3 * DAY);
    activity(&mut doc, 2, "Picnic", T0 + 20 * DAY);
    activity(&mut doc, 3, "Last talk", T0 - 3 * DAY);
    for (bits, title) in [(1, "Check-in desk"), (2, "Host")] {
        doc.apply(&Action::AddDuty {
            activity: talk.clone(),
            id: DutyId::from_bits(bits),
            title: title.into(),
        })
        .unwrap();
    }
    doc.apply(&Action::AssignDuty {
        activity: talk.clone(),
        id: DutyId::from_bits(2),
        member: ana.clone(),
        part: Some(Raci::Responsible),
    })
    .unwrap();
    for (bits, text, resolved_at) in [
        (1, "More evening sessions\nand weekends", T0 - DAY),
        (2, "A bigger hall", T0 - 10 * DAY),
    ] {
        let id = FeedbackId::from_bits(bits);
        doc.apply(&Action::AddFeedback {
            id: id.clone(),
            draft: FeedbackDraft {
                text: text.into(),
                ..FeedbackDraft::default()
            },
            at: T0 - 15 * DAY,
        })
        .unwrap();
        doc.apply(&Action::SetFeedbackStatus {
            id,
            status: FeedbackStatus::Resolved,
            at: resolved_at,
        })
        .unwrap();
    }

    let group = doc.hydrate();
    assert_eq!(
        default_period(&group, T0),
        (T0 - FIRST_PERIOD_DAYS * DAY, T0)
    );
    let first = draft(&group, T0 - 7 * DAY, T0);
    let titles: Vec<&str> = first.upcoming.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Talk"]);
    let asks: Vec<(&str, &str)> = first
        .asks
        .iter()
        .map(|a| (a.activity_title.as_str(), a.duty_title.as_str()))
        .collect();
    assert_eq!(asks, [("Talk", "Check-in desk")]);
    assert_eq!(first.new_members, [(ana, "Ana".to_owned())]);
    assert_eq!(
        first.resolved,
        [(FeedbackId::from_bits(1), "More evening sessions".to_owned())]
    );

    // Shared; a week on, only what is new: Dan joined, the picnic is now coming up.
    share(&mut doc, 1, T0 - 7 * DAY, T0);
    member(&mut doc, 4, "Dan", MemberStatus::Active, T0 + 2 * DAY);
    let group = doc.hydrate();
    let (from, to) = default_period(&group, T0 + 7 * DAY);
    assert_eq!(
        (from, to),
        (T0, T0 + 7 * DAY),
        "from where the last one ended"
    );
    let second = draft(&group, from, to);
    let titles: Vec<&str> = second.upcoming.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Picnic"], "the talk was in the first digest");
    assert!(
        second.asks.is_empty(),
        "the check-in desk was asked for already"
    );
    assert_eq!(
        second.new_members,
        [(MemberId::from_bits(4), "Dan".to_owned())]
    );
    assert!(second.resolved.is_empty());
    // The same period again holds nothing new.
    share(&mut doc, 2, from, to);
    assert!(draft(&doc.hydrate(), from, to).is_empty());
}

#[test]
fn an_empty_group_has_nothing_to_share_and_a_period_cannot_end_before_it_starts() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    assert!(draft(&doc.hydrate(), T0 - DAY, T0).is_empty());
    let heads = doc.heads();
    let refused = doc.apply(&Action::RecordDigest {
        id: DigestId::from_bits(1),
        from: T0,
        to: T0 - DAY,
        items: Vec::new(),
        by: String::new(),
        at: T0,
    });
    assert!(refused.is_err());
    assert_eq!(doc.heads(), heads);
}

#[test]
fn two_organizers_share_digests_of_a_group_made_before_them() {
    let origin = common::group_before_recruitment();
    let (mut first, mut second) = (origin.fork(), origin.fork());
    share(&mut first, 1, T0 - DAY, T0);
    share(&mut second, 2, T0 - DAY, T0);
    first.merge(&mut second).unwrap();
    assert_eq!(first.hydrate().digests.len(), 2);
}
