//! Activities and who came: discussions, sharing sessions, team events, trainings, user
//! tests, reviews and interviews, each with its invitees and their attendance.
//!
//! Attendance rates are defined in `docs/metrics.md`; the functions here are those
//! definitions.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{ActivityId, DutyId, Group, MemberId, Millis, RoleId};

/// What an activity is.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum ActivityKind {
    /// 讨论会
    #[default]
    Discussion,
    /// 分享会
    Sharing,
    /// 团建
    TeamEvent,
    Training,
    UserTest,
    Review,
    Interview,
    Other,
}

impl ActivityKind {
    pub const ALL: [Self; 8] = [
        Self::Discussion,
        Self::Sharing,
        Self::TeamEvent,
        Self::Training,
        Self::UserTest,
        Self::Review,
        Self::Interview,
        Self::Other,
    ];

    /// The value written in the document.
    pub fn key(self) -> &'static str {
        match self {
            Self::Discussion => "discussion",
            Self::Sharing => "sharing",
            Self::TeamEvent => "team_event",
            Self::Training => "training",
            Self::UserTest => "user_test",
            Self::Review => "review",
            Self::Interview => "interview",
            Self::Other => "other",
        }
    }

    /// The kind a document value names; one this version does not know reads as other.
    pub fn from_key(key: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|kind| kind.key() == key)
            .unwrap_or(Self::Other)
    }
}

/// A mark against a member for one activity. A member invited and not marked is "invited".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mark {
    Registered,
    Attended,
    Absent,
    /// Absent with a reason given beforehand: not counted against the member.
    Excused,
}

impl Mark {
    pub const ALL: [Self; 4] = [
        Self::Registered,
        Self::Attended,
        Self::Absent,
        Self::Excused,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Attended => "attended",
            Self::Absent => "absent",
            Self::Excused => "excused",
        }
    }

    /// The mark a document value names; an unknown one reads as none.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mark| mark.key() == key)
    }
}

/// Who is invited: members by name, everyone holding a role, or everyone with a tag.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Invitee {
    Member(MemberId),
    Role(RoleId),
    Tag(String),
}

/// An activity with its invitations and attendance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub title: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub place: String,
    /// An online meeting's link.
    pub link: String,
    pub organizer: Option<MemberId>,
    pub description: String,
    pub invited: BTreeSet<Invitee>,
    /// Each member marked, also members since removed ("former members" in counts) and
    /// walk-ins who came without an invitation.
    pub attendance: BTreeMap<MemberId, Mark>,
    /// Temporary duties for this activity (check-in desk, host, note taker).
    pub duties: BTreeMap<DutyId, Duty>,
    pub created_at: Millis,
}

/// A part in a duty, as in a RACI chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Raci {
    /// Does the work.
    Responsible,
    /// Answers for it being done.
    Accountable,
    /// Asked before.
    Consulted,
    /// Told after.
    Informed,
}

impl Raci {
    pub const ALL: [Self; 4] = [
        Self::Responsible,
        Self::Accountable,
        Self::Consulted,
        Self::Informed,
    ];

    /// The value written in the document.
    pub fn key(self) -> &'static str {
        match self {
            Self::Responsible => "responsible",
            Self::Accountable => "accountable",
            Self::Consulted => "consulted",
            Self::Informed => "informed",
        }
    }

    /// The part a document value names; an unknown one reads as none.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|part| part.key() == key)
    }
}

/// A temporary duty of an activity, with who takes which part in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    pub id: DutyId,
    pub title: String,
    /// Each member's part; members removed since are kept and shown as former members.
    pub assignments: BTreeMap<MemberId, Raci>,
}

/// A member's duty at an activity that has not ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpcomingDuty<'a> {
    pub activity: &'a Activity,
    pub duty: &'a Duty,
    pub part: Raci,
}

/// The duties `member` holds in activities that have not ended by `now`, soonest first.
pub fn upcoming_duties<'a>(
    group: &'a Group,
    member: &MemberId,
    now: Millis,
) -> Vec<UpcomingDuty<'a>> {
    let mut duties: Vec<_> = group
        .activities
        .values()
        .filter(|activity| activity.ends_at >= now)
        .flat_map(|activity| {
            activity.duties.values().filter_map(move |duty| {
                Some(UpcomingDuty {
                    activity,
                    duty,
                    part: *duty.assignments.get(member)?,
                })
            })
        })
        .collect();
    duties.sort_by(|a, b| {
        (a.activity.starts_at, &a.activity.id, &a.duty.title).cmp(&(
            b.activity.starts_at,
            &b.activity.id,
            &b.duty.title,
        ))
    });
    duties
}

/// Where one member stands for one activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Standing {
    Invited,
    Marked(Mark),
    /// Attended without an invitation.
    WalkIn,
}

impl Standing {
    pub const ALL: [Self; 6] = [
        Self::Invited,
        Self::Marked(Mark::Registered),
        Self::Marked(Mark::Attended),
        Self::WalkIn,
        Self::Marked(Mark::Absent),
        Self::Marked(Mark::Excused),
    ];

    /// A stable name for the standing (`invited`, `walk_in`, or the mark's key).
    pub fn key(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Marked(mark) => mark.key(),
            Self::WalkIn => "walk_in",
        }
    }
}

impl Activity {
    /// The members of `group` invited, by name, role or tag.
    pub fn invitees(&self, group: &Group) -> BTreeSet<MemberId> {
        members_of(&self.invited, group)
    }

    /// Where `member` stands, given the invitees ([`Self::invitees`]); `None` if neither
    /// invited nor marked.
    pub fn standing(&self, member: &MemberId, invitees: &BTreeSet<MemberId>) -> Option<Standing> {
        let invited = invitees.contains(member);
        match (self.attendance.get(member), invited) {
            (Some(Mark::Attended), false) => Some(Standing::WalkIn),
            (Some(mark), _) => Some(Standing::Marked(*mark)),
            (None, true) => Some(Standing::Invited),
            (None, false) => None,
        }
    }

    /// Whether the activity has begun by `now`.
    pub fn has_started(&self, now: Millis) -> bool {
        self.starts_at <= now
    }
}

/// The members of `group` that `invited` names, by name, role or tag; members removed since
/// are left out.
pub fn members_of(invited: &BTreeSet<Invitee>, group: &Group) -> BTreeSet<MemberId> {
    let mut members = BTreeSet::new();
    for invitee in invited {
        match invitee {
            Invitee::Member(id) if group.members.contains_key(id) => {
                members.insert(id.clone());
            }
            Invitee::Member(_) => {}
            Invitee::Role(role) => {
                members.extend(
                    group
                        .roles
                        .get(role)
                        .into_iter()
                        .flat_map(|r| r.holders.iter().cloned()),
                );
            }
            Invitee::Tag(tag) => members.extend(
                group
                    .members
                    .values()
                    .filter(|m| m.tags.contains(tag))
                    .map(|m| m.id.clone()),
            ),
        }
    }
    members
}

/// How many people an activity had, by standing; members removed since count as former
/// members.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turnout {
    pub invited: usize,
    pub registered: usize,
    /// Everyone who came, walk-ins and former members included.
    pub attended: usize,
    pub walk_ins: usize,
    pub absent: usize,
    pub excused: usize,
    /// Marks of members removed since (kept in every count above).
    pub former_members: usize,
}

/// Who came to `activity` and who did not, given its `invitees` ([`Activity::invitees`]).
pub fn turnout(activity: &Activity, group: &Group, invitees: &BTreeSet<MemberId>) -> Turnout {
    let mut turnout = Turnout {
        invited: invitees.len(),
        ..Turnout::default()
    };
    for (member, mark) in &activity.attendance {
        match mark {
            Mark::Registered => turnout.registered += 1,
            Mark::Attended => turnout.attended += 1,
            Mark::Absent => turnout.absent += 1,
            Mark::Excused => turnout.excused += 1,
        }
        if *mark == Mark::Attended && !invitees.contains(member) {
            turnout.walk_ins += 1;
        }
        if !group.members.contains_key(member) {
            turnout.former_members += 1;
        }
    }
    turnout
}

/// One member's record over the activities that began by `now`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberAttendance {
    /// Each past activity the member was invited to or came to, newest first, with their
    /// standing.
    pub history: Vec<(ActivityId, Standing)>,
    pub attended: usize,
    /// Activities that count: invited or attended, less those excused.
    pub counted: usize,
}

impl MemberAttendance {
    /// Attended ÷ counted, or `None` when nothing counts yet.
    pub fn rate(&self) -> Option<f64> {
        (self.counted > 0).then(|| self.attended as f64 / self.counted as f64)
    }

    /// Counts one more activity, where the member stood at it.
    pub(crate) fn add(&mut self, activity: &ActivityId, standing: Standing) {
        match standing {
            Standing::Marked(Mark::Excused) => {}
            Standing::Marked(Mark::Attended) | Standing::WalkIn => {
                self.attended += 1;
                self.counted += 1;
            }
            Standing::Invited | Standing::Marked(_) => self.counted += 1,
        }
        self.history.push((activity.clone(), standing));
    }
}

/// `member`'s attendance at the activities that began by `now` (docs/metrics.md).
pub fn member_attendance(group: &Group, member: &MemberId, now: Millis) -> MemberAttendance {
    let mut past: Vec<&Activity> = group
        .activities
        .values()
        .filter(|a| a.has_started(now))
        .collect();
    past.sort_by(|a, b| (b.starts_at, &b.id).cmp(&(a.starts_at, &a.id)));
    let mut record = MemberAttendance::default();
    for activity in past {
        let invitees = activity.invitees(group);
        if let Some(standing) = activity.standing(member, &invitees) {
            record.add(&activity.id, standing);
        }
    }
    record
}

/// A new activity as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityDraft {
    pub kind: ActivityKind,
    pub title: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub place: String,
    pub link: String,
    pub organizer: Option<MemberId>,
    pub description: String,
    pub invited: Vec<Invitee>,
}

/// A text field of an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityField {
    Title,
    Place,
    Link,
    /// Collaborative text.
    Description,
}
