//! The contact log: touchpoints, their rules, follow-ups by due day, and groups made before
//! the log existed.

#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

mod common;

use cohort_model::contact::{contact_log, follow_ups, last_contacts};
use cohort_model::*;
use common::{T0, add_member};

const DAY: Millis = 86_400_000;

fn draft(member: &MemberId, at: Millis, follow_up: &str, due: &str) -> TouchpointDraft {
    TouchpointDraft {
        member: Some(member.clone()),
        at,
        channel: ContactChannel::Wechat,
        by: "Li".into(),
        summary: "Asked about the March meetup".into(),
        follow_up: follow_up.into(),
        due: due.into(),
    }
}

fn log(doc: &mut GroupDoc, draft: TouchpointDraft) -> TouchpointId {
    let id = TouchpointId::random().unwrap();
    doc.apply(&Action::LogTouchpoint {
        id: id.clone(),
        draft,
        at: T0,
    })
    .unwrap();
    id
}

fn refused(doc: &mut GroupDoc, draft: TouchpointDraft) -> Invalid {
    let heads = doc.heads();
    let error = doc
        .apply(&Action::LogTouchpoint {
            id: TouchpointId::random().unwrap(),
            draft,
            at: T0,
        })
        .unwrap_err();
    assert_eq!(doc.heads(), heads, "a refused touchpoint writes nothing");
    match error {
        ApplyError::Invalid(invalid) => invalid,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_touchpoint_is_logged_and_read_back_with_its_follow_up() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let id = log(
        &mut doc,
        draft(&ada, T0 - DAY, "Send the slides", "2026-12-01"),
    );
    let touchpoint = &doc.hydrate().touchpoints[&id];
    assert_eq!(touchpoint.member, ada);
    assert_eq!(touchpoint.at, T0 - DAY);
    assert_eq!(touchpoint.channel, ContactChannel::Wechat);
    assert_eq!(touchpoint.summary, "Asked about the March meetup");
    assert_eq!(
        (touchpoint.follow_up.as_str(), touchpoint.due.as_str()),
        ("Send the slides", "2026-12-01")
    );
    assert!(touchpoint.follow_up_open());
    doc.apply(&Action::SetFollowUpDone {
        id: id.clone(),
        done_at: Some(T0),
    })
    .unwrap();
    assert_eq!(doc.touchpoint(&id).unwrap().done_at, Some(T0));
    assert!(!doc.touchpoint(&id).unwrap().follow_up_open());
}

#[test]
fn bad_touchpoints_are_refused_naming_the_field() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let cases = [
        (draft(&ada, T0, "Call back", "2026-02-30"), Field::Due),
        (draft(&ada, T0, "Call back", "next week"), Field::Due),
        (draft(&ada, T0, "", "2026-12-01"), Field::FollowUp),
        (draft(&ada, 0, "", ""), Field::ContactedAt),
        (
            TouchpointDraft {
                summary: "  ".into(),
                ..draft(&ada, T0, "", "")
            },
            Field::Summary,
        ),
        (draft(&MemberId::from_bits(9), T0, "", ""), Field::Member),
        (
            TouchpointDraft {
                member: None,
                ..draft(&ada, T0, "", "")
            },
            Field::Member,
        ),
    ];
    for (draft, field) in cases {
        assert_eq!(refused(&mut doc, draft).field, field);
    }
    assert!(doc.hydrate().touchpoints.is_empty());
}

#[test]
fn follow_ups_are_sorted_by_due_day_against_today() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let overdue = log(&mut doc, draft(&ada, T0, "Overdue", "2026-11-29"));
    let older_overdue = log(&mut doc, draft(&ada, T0, "Older", "2026-10-01"));
    let today = log(&mut doc, draft(&ada, T0, "Today", "2026-11-30"));
    let upcoming = log(&mut doc, draft(&ada, T0, "Upcoming", "2026-12-24"));
    let undated = log(&mut doc, draft(&ada, T0, "Some day", ""));
    let done = log(&mut doc, draft(&ada, T0, "Done", "2026-11-01"));
    log(&mut doc, draft(&ada, T0, "", ""));
    doc.apply(&Action::SetFollowUpDone {
        id: done,
        done_at: Some(T0),
    })
    .unwrap();
    let group = doc.hydrate();
    let lists = follow_ups(&group, "2026-11-30");
    let ids = |list: &[&Touchpoint]| list.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&lists.overdue), [older_overdue, overdue]);
    assert_eq!(ids(&lists.today), [today]);
    assert_eq!(ids(&lists.upcoming), [upcoming]);
    assert_eq!(ids(&lists.undated), [undated]);
}

#[test]
fn a_members_log_is_newest_first_and_gives_the_last_contact() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let grace = add_member(&mut doc, "Grace");
    let first = log(&mut doc, draft(&ada, T0 - 3 * DAY, "", ""));
    let latest = log(&mut doc, draft(&ada, T0 - DAY, "", ""));
    let middle = log(&mut doc, draft(&ada, T0 - 2 * DAY, "", ""));
    let group = doc.hydrate();
    let log_ids: Vec<_> = contact_log(&group, &ada)
        .iter()
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(log_ids, [latest, middle, first]);
    let last = last_contacts(&group);
    assert_eq!(last.get(&ada), Some(&(T0 - DAY)));
    assert_eq!(last.get(&grace), None);
}

#[test]
fn removing_a_member_removes_their_touchpoints() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let grace = add_member(&mut doc, "Grace");
    log(&mut doc, draft(&ada, T0, "Call back", ""));
    let kept = log(&mut doc, draft(&grace, T0, "", ""));
    let touched = doc.apply(&Action::RemoveMember { id: ada }).unwrap();
    assert_eq!(touched.touchpoints.len(), 1);
    let group = doc.hydrate();
    assert_eq!(group.touchpoints.keys().collect::<Vec<_>>(), [&kept]);
}

#[test]
fn two_organizers_start_the_log_of_an_older_group_offline_and_both_entries_are_kept() {
    let mut first = common::group_before_the_contact_log();
    let ada = add_member(&mut first, "Ada");
    assert!(first.hydrate().touchpoints.is_empty());
    let mut second = GroupDoc::load(&first.save()).unwrap();
    let mine = log(&mut first, draft(&ada, T0, "", ""));
    let theirs = log(&mut second, draft(&ada, T0 + 1, "", ""));
    first.merge(&mut second).unwrap();
    second.merge(&mut first.fork()).unwrap();
    for doc in [&first, &second] {
        let group = doc.hydrate();
        assert_eq!(group.touchpoints.len(), 2, "both entries survive the merge");
        assert!(group.touchpoints.contains_key(&mine) && group.touchpoints.contains_key(&theirs));
        let maps = automerge::ReadDoc::get_all(doc.automerge(), automerge::ROOT, "touchpoints");
        assert_eq!(
            maps.unwrap().len(),
            1,
            "one collection, not two in conflict"
        );
    }
}

#[test]
fn members_sort_by_last_contact_longest_ago_first_and_follow_a_new_contact() {
    let mut doc = GroupDoc::create("Choir", T0).unwrap();
    let ada = add_member(&mut doc, "Ada");
    let bo = add_member(&mut doc, "Bo");
    let cy = add_member(&mut doc, "Cy");
    log(&mut doc, draft(&ada, T0 - 2 * DAY, "", ""));
    log(&mut doc, draft(&bo, T0 - DAY, "", ""));
    let query = MemberQuery {
        sort: MemberSort::LastContact,
        ..MemberQuery::default()
    };
    let ids = |group: &Group| -> Vec<MemberId> {
        query.run(group).into_iter().map(|m| m.id.clone()).collect()
    };
    let before = ids(&doc.hydrate());
    // Never contacted first, then longest ago.
    assert_eq!(before, [cy.clone(), ada.clone(), bo.clone()]);
    // Ada is contacted now: the table brought up to date for her moves her last.
    log(&mut doc, draft(&ada, T0, "", ""));
    let group = doc.hydrate();
    let changed = [ada.clone()].into();
    assert_eq!(query.rerun(&group, &before, &changed), [cy, bo, ada]);
    assert_eq!(query.rerun(&group, &before, &changed), ids(&group));
}
