//! Made-up groups of any size, the same for the same seed: for benchmarks and tests, behind
//! the `sample` feature so that the app does not ship them.

use crate::{
    Action, ActivityDraft, ActivityId, ActivityKind, ApplyError, FeedbackDraft, FeedbackId,
    FeedbackStatus, GroupDoc, Invitee, Mark, MemberDraft, MemberId, MemberStatus, Millis,
    RoleDraft, RoleId,
};

const GIVEN: [&str; 16] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Lin", "Mei", "Wei",
    "Yuki", "Amara", "Tariq", "Sofia", "Mateo",
];
const FAMILY: [&str; 16] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Chen",
    "Wang", "Tanaka", "Okafor", "Haddad", "Rossi", "Garcia", "Novak",
];
/// Half the members have Chinese names, as the groups Cohort is made for do.
const GIVEN_ZH: [&str; 16] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
];
const FAMILY_ZH: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "曾", "单",
];
const TAGS: [&str; 8] = [
    "mentor",
    "newcomer",
    "speaker",
    "volunteer",
    "donor",
    "beta",
    "alumni",
    "remote",
];
const SOURCES: [&str; 5] = [
    "referral",
    "meetup",
    "website form",
    "conference",
    "wechat group",
];
const CATEGORIES: [&str; 5] = ["idea", "problem", "praise", "question", "event"];
const CHANNELS: [&str; 4] = ["survey", "chat", "meeting", "email"];
const ROLES: [&str; 6] = [
    "Host",
    "Moderator",
    "Treasurer",
    "Mentor lead",
    "Greeter",
    "Scribe",
];

/// 1 January 2025, UTC.
const START: Millis = 1_735_689_600_000;
const DAY: Millis = 86_400_000;

/// A small, fast, seedable generator (xorshift64*): samples need no cryptographic quality.
#[derive(Debug)]
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A group with `members` members, six roles and `feedback` pieces of feedback, written as
/// organizers would over time: one change per 100 actions.
pub fn group(members: usize, feedback: usize, seed: u64) -> Result<GroupDoc, ApplyError> {
    let mut dice = Dice(seed.max(1));
    let mut doc = GroupDoc::create("Sample group", START)?;
    let mut actions = Vec::new();
    let member_ids: Vec<MemberId> = (0..members)
        .map(|_| MemberId::from_bits(dice.next()))
        .collect();
    for (n, id) in member_ids.iter().enumerate() {
        let chinese = dice.below(2) == 0;
        let (given, family) = if chinese {
            (dice.pick(&GIVEN_ZH), dice.pick(&FAMILY_ZH))
        } else {
            (dice.pick(&GIVEN), dice.pick(&FAMILY))
        };
        let at = START + (n as Millis) * DAY / 20;
        let status = [
            MemberStatus::Applicant,
            MemberStatus::Active,
            MemberStatus::Active,
        ][dice.below(3)];
        actions.push(Action::AddMember {
            id: id.clone(),
            draft: MemberDraft {
                name: if chinese {
                    format!("{family}{given} {n}")
                } else {
                    format!("{given} {family} {n}")
                },
                email: if chinese {
                    format!("member{n}@example.org")
                } else {
                    format!(
                        "{}.{}{n}@example.org",
                        given.to_lowercase(),
                        family.to_lowercase()
                    )
                },
                phone: format!(
                    "+86 138 {:04} {:04}",
                    dice.below(10_000),
                    dice.below(10_000)
                ),
                tags: vec![dice.pick(&TAGS).to_owned()],
                status: Some(status),
                source: dice.pick(&SOURCES).to_owned(),
                joined: format!("2025-{:02}-{:02}", 1 + dice.below(12), 1 + dice.below(28)),
                ..MemberDraft::default()
            },
            at,
        });
        if status == MemberStatus::Active && dice.below(5) == 0 {
            actions.push(Action::SetMemberStatus {
                id: id.clone(),
                status: MemberStatus::Inactive,
                at: at + 30 * DAY,
            });
        }
    }
    for (n, name) in ROLES.iter().enumerate() {
        let id = RoleId::from_bits(n as u64);
        actions.push(Action::AddRole {
            id: id.clone(),
            draft: RoleDraft {
                name: (*name).to_owned(),
                responsibilities: format!("What the {name} does."),
            },
        });
        for _ in 0..members.min(3) {
            actions.push(Action::AssignRole {
                role: id.clone(),
                member: member_ids[dice.below(member_ids.len())].clone(),
            });
        }
    }
    for n in 0..feedback {
        let id = FeedbackId::from_bits(dice.next());
        let member =
            (!member_ids.is_empty()).then(|| member_ids[dice.below(member_ids.len())].clone());
        let at = START + (n as Millis) * DAY / 40;
        actions.push(Action::AddFeedback {
            id: id.clone(),
            draft: FeedbackDraft {
                member,
                channel: dice.pick(&CHANNELS).to_owned(),
                category: dice.pick(&CATEGORIES).to_owned(),
                score: dice.below(11).to_string(),
                text: format!(
                    "Feedback number {n}: the sessions could start {} minutes later.",
                    dice.below(60)
                ),
                owner: String::new(),
            },
            at,
        });
        if dice.below(3) == 0 {
            actions.push(Action::SetFeedbackStatus {
                id,
                status: FeedbackStatus::Triaged,
                at: at + DAY,
            });
        }
    }
    for batch in actions.chunks(100) {
        doc.apply_all(batch)?;
    }
    Ok(doc)
}

/// Adds `activities` activities to a sample group, a month apart over the last years and
/// into the next weeks, each inviting 100 members by name (the first, 300) and, if it has
/// begun by `now`, marking each: mostly attended, some absent or excused.
pub fn add_activities(
    doc: &mut GroupDoc,
    activities: usize,
    now: Millis,
    seed: u64,
) -> Result<Vec<ActivityId>, ApplyError> {
    let mut dice = Dice(seed.max(1));
    let members: Vec<MemberId> = doc.hydrate_without_feedback().members.into_keys().collect();
    let mut ids = Vec::new();
    let mut actions = Vec::new();
    for n in 0..activities {
        let id = ActivityId::from_bits(dice.next());
        // The newest first: activity 0 is a week ahead, the rest each three days earlier.
        let starts_at = now + 7 * DAY - (n as Millis) * 3 * DAY;
        let wanted = if n == 0 { 300 } else { 100 }.min(members.len());
        let mut invited = std::collections::BTreeSet::new();
        while invited.len() < wanted {
            invited.insert(members[dice.below(members.len())].clone());
        }
        actions.push(Action::AddActivity {
            id: id.clone(),
            draft: ActivityDraft {
                kind: ActivityKind::ALL[dice.below(ActivityKind::ALL.len())],
                title: format!("{} {n}", dice.pick(&ACTIVITY_TITLES)),
                starts_at,
                ends_at: starts_at + 2 * 3_600_000,
                place: dice.pick(&PLACES).to_owned(),
                invited: invited.iter().cloned().map(Invitee::Member).collect(),
                ..ActivityDraft::default()
            },
            at: starts_at - 14 * DAY,
        });
        if starts_at <= now {
            for member in invited {
                let mark = [
                    Mark::Attended,
                    Mark::Attended,
                    Mark::Attended,
                    Mark::Absent,
                    Mark::Excused,
                ][dice.below(5)];
                actions.push(Action::MarkAttendance {
                    id: id.clone(),
                    member,
                    mark: Some(mark),
                });
            }
        }
        ids.push(id);
    }
    for batch in actions.chunks(100) {
        doc.apply_all(batch)?;
    }
    Ok(ids)
}

/// Makes `key_users` members (not those who left) key users, each placed at random on the
/// influence/interest grid, as organizers would have over the last months.
pub fn add_key_users(
    doc: &mut GroupDoc,
    key_users: usize,
    now: Millis,
    seed: u64,
) -> Result<Vec<MemberId>, ApplyError> {
    use crate::key_users::GRID;
    use crate::{KeyUserAction, PlacingId};
    let mut dice = Dice(seed.max(1));
    let group = doc.hydrate_without_feedback();
    let chosen: Vec<MemberId> = group
        .members
        .values()
        .filter(|m| m.status != MemberStatus::Left)
        .map(|m| m.id.clone())
        .take(key_users)
        .collect();
    let (low, high) = GRID;
    let span = usize::from(high - low) + 1;
    let mut actions = Vec::new();
    for (n, member) in chosen.iter().enumerate() {
        let at = now - 90 * DAY + (n as Millis) * 60_000;
        actions.push(Action::KeyUsers(KeyUserAction::DecideKeyUser {
            member: member.clone(),
            key: true,
            reason: "Pilot".into(),
            by: "Sample".into(),
            at,
        }));
        actions.push(Action::KeyUsers(KeyUserAction::PlaceKeyUser {
            id: PlacingId::from_bits(dice.next()),
            member: member.clone(),
            influence: low + dice.below(span) as u8,
            interest: low + dice.below(span) as u8,
            by: "Sample".into(),
            at,
        }));
    }
    for batch in actions.chunks(100) {
        doc.apply_all(batch)?;
    }
    Ok(chosen)
}

const ACTIVITY_TITLES: [&str; 6] = [
    "读书分享会",
    "Monthly meetup",
    "产品讨论会",
    "User test",
    "团建",
    "Review",
];
const PLACES: [&str; 4] = ["Room 3", "会议室 A", "Online", "咖啡馆"];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn a_sample_group_is_valid_and_the_same_for_the_same_seed() {
        let a = super::group(200, 400, 7).unwrap();
        let b = super::group(200, 400, 7).unwrap();
        let group = a.hydrate();
        assert_eq!(group, b.hydrate());
        assert_eq!(
            (group.members.len(), group.feedback.len(), group.roles.len()),
            (200, 400, 6)
        );
        group.check_invariants().unwrap();
    }

    #[test]
    fn sample_activities_invite_and_mark_as_asked() {
        let mut doc = super::group(400, 0, 7).unwrap();
        let now = super::START + 400 * super::DAY;
        let ids = super::add_activities(&mut doc, 10, now, 9).unwrap();
        let group = doc.hydrate();
        assert_eq!(group.activities.len(), 10);
        // The first is ahead, with up to 300 invitees and no marks; the past ones are marked.
        let first = &group.activities[&ids[0]];
        assert!(first.attendance.is_empty() && first.invited.len() == 300);
        let past = &group.activities[&ids[9]];
        assert_eq!(past.attendance.len(), past.invited.len());
    }

    #[test]
    fn sample_key_users_are_placed_on_the_grid() {
        let mut doc = super::group(100, 0, 7).unwrap();
        let chosen = super::add_key_users(&mut doc, 30, super::START, 9).unwrap();
        let group = doc.hydrate();
        let key_users = crate::key_users::key_users(&group);
        assert_eq!((chosen.len(), key_users.len()), (30, 30));
        assert!(key_users.iter().all(|k| k.position.is_some()));
        group.check_invariants().unwrap();
    }
}
