//! Key users of a project (项目关键用户): who they are and why, where they stand on the
//! influence/interest grid and how that moved, what they need and expect, how each is
//! engaged (strategy, contact cadence, participation, satisfaction).
//!
//! A member is a key user by a decision written in their record. Everything else lives in
//! records of its own that name the member: criteria (with each member's score), placings on
//! the grid (every one kept, the latest is where they stand), needs, expectations and
//! satisfaction readings. Records of members removed since stay in the document and are left
//! out here.
//!
//! The figures are defined in `docs/metrics.md`; the functions here are those definitions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::activity::{ActivityKind, MemberAttendance};
use crate::contact::last_contacts;
use crate::{
    ActivityId, ContactChannel, CriterionId, ExpectationId, FeedbackId, Group, Member, MemberId,
    MemberStatus, Millis, NeedId, PlacingId, ReadingId,
};

keyed_enum!(
    /// Where a key user stands on the influence/interest grid, and so how they are engaged.
    Quadrant {
        /// High influence, high interest.
        ManageClosely = "manage_closely",
        /// High influence, low interest.
        KeepSatisfied = "keep_satisfied",
        /// Low influence, high interest.
        KeepInformed = "keep_informed",
        /// Low influence, low interest.
        Monitor = "monitor",
    }
);

keyed_enum!(
    /// A key user's part in the project's decisions.
    DecisionRole {
        Informed = "informed",
        Consulted = "consulted",
        Reviewer = "reviewer",
        DecisionMaker = "decision_maker",
    }
);

keyed_enum!(
    /// How much a need matters (MoSCoW, without "won't": that is a declined need).
    Priority {
        Must = "must",
        Should = "should",
        Could = "could",
    }
);

keyed_enum!(
    /// Where a need was heard.
    NeedSource {
        Interview = "interview",
        Survey = "survey",
        /// A piece of the group's feedback.
        Feedback = "feedback",
        Meeting = "meeting",
    }
);

keyed_enum!(
    /// Where a need is on its way.
    NeedStatus {
        Captured = "captured",
        Accepted = "accepted",
        Planned = "planned",
        Delivered = "delivered",
        /// Declined, with the reason given.
        Declined = "declined",
    }
);

keyed_enum!(
    /// How an expectation is going.
    ExpectationState {
        OnTrack = "on_track",
        AtRisk = "at_risk",
        /// Missed, with the explanation given to the key user.
        Unmet = "unmet",
        Met = "met",
    }
);

keyed_enum!(
    /// The scale a satisfaction reading was given on.
    SatisfactionScale {
        /// 1 to 5 (a rating).
        OneToFive = "1-5",
        /// 0 to 10 (as in a net promoter question).
        ZeroToTen = "0-10",
    }
);

keyed_enum!(
    /// A field of a key user's strategy.
    StrategyField {
        /// Days between contacts.
        Cadence = "cadence_days",
        /// The contact channel they prefer.
        Channel = "preferred_channel",
        Incentives = "incentives",
        DecisionRole = "decision_role",
    }
);

/// Influence and interest run from 1 to 5; from this value up they count as high.
pub const HIGH: u8 = 3;
/// The lowest and highest influence or interest.
pub const GRID: (u8, u8) = (1, 5);
/// Criterion scores run from 0 to 5.
pub const CRITERION_SCORE: (u8, u8) = (0, 5);
/// Criterion weights run from 1 to 10.
pub const CRITERION_WEIGHT: (u8, u8) = (1, 10);
/// A weighted score from this value up suggests a key user.
pub const SUGGEST_FROM: f64 = 3.0;
/// Cadences run from 1 day to a year.
pub const CADENCE_DAYS: (u16, u16) = (1, 365);
/// The cadence of a key user not placed on the grid yet.
pub const UNPLACED_CADENCE_DAYS: u16 = 30;
/// The activities a key user takes part in, as the participation rate counts them.
pub const PARTICIPATION_KINDS: [ActivityKind; 4] = [
    ActivityKind::UserTest,
    ActivityKind::Review,
    ActivityKind::Interview,
    ActivityKind::Training,
];

const DAY: Millis = 24 * 60 * 60 * 1000;

impl Quadrant {
    /// The quadrant of a point on the grid.
    pub fn of(influence: u8, interest: u8) -> Self {
        match (influence >= HIGH, interest >= HIGH) {
            (true, true) => Self::ManageClosely,
            (true, false) => Self::KeepSatisfied,
            (false, true) => Self::KeepInformed,
            (false, false) => Self::Monitor,
        }
    }

    /// How often a key user here is contacted, unless their strategy says otherwise.
    pub fn default_cadence_days(self) -> u16 {
        match self {
            Self::ManageClosely => 14,
            Self::KeepSatisfied | Self::KeepInformed => 30,
            Self::Monitor => 90,
        }
    }

    /// Their part in decisions, unless their strategy says otherwise.
    pub fn default_decision_role(self) -> DecisionRole {
        match self {
            Self::ManageClosely => DecisionRole::Reviewer,
            Self::KeepSatisfied => DecisionRole::Consulted,
            Self::KeepInformed | Self::Monitor => DecisionRole::Informed,
        }
    }
}

/// The latest decision on whether a member is a key user: why, who decided and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDecision {
    /// Whether they are a key user (a decision may also take it back).
    pub key: bool,
    pub reason: String,
    /// The organizer who decided (their display name).
    pub by: String,
    pub at: Millis,
}

/// How a key user is engaged, as the organizers set it; `None` takes the quadrant's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    pub cadence_days: Option<u16>,
    pub channel: Option<ContactChannel>,
    pub incentives: String,
    pub decision_role: Option<DecisionRole>,
}

/// A criterion by which key users are identified, with each member's score on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub id: CriterionId,
    pub name: String,
    pub weight: u8,
    /// Scores by member, 0 to 5; members removed since are kept and left out when counted.
    pub scores: BTreeMap<MemberId, u8>,
    pub created_at: Millis,
}

/// One placing of a key user on the grid: every move is kept, the latest is where they stand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placing {
    pub id: PlacingId,
    pub member: MemberId,
    pub influence: u8,
    pub interest: u8,
    pub at: Millis,
    /// The organizer who placed them.
    pub by: String,
}

impl Placing {
    pub fn quadrant(&self) -> Quadrant {
        Quadrant::of(self.influence, self.interest)
    }
}

/// Something a key user needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    pub id: NeedId,
    pub member: MemberId,
    pub statement: String,
    pub priority: Priority,
    pub source: NeedSource,
    pub status: NeedStatus,
    /// Why it was declined (given when it was).
    pub reason: String,
    /// Feedback items it came from or answers.
    pub feedback: BTreeSet<FeedbackId>,
    /// Activities where it was heard or worked on.
    pub activities: BTreeSet<ActivityId>,
    pub created_at: Millis,
    /// When its status last changed.
    pub status_at: Millis,
}

impl Need {
    /// Still to be delivered or declined.
    pub fn is_open(&self) -> bool {
        !matches!(self.status, NeedStatus::Delivered | NeedStatus::Declined)
    }
}

/// Something a key user expects, and how it is going.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    pub id: ExpectationId,
    pub member: MemberId,
    pub text: String,
    /// By when, `YYYY-MM-DD`, or empty.
    pub due: String,
    /// Agreed (`Some(true)`), declined (`Some(false)`) or not discussed yet.
    pub agreed: Option<bool>,
    pub state: ExpectationState,
    /// What the key user was told when it was declined or missed.
    pub explanation: String,
    pub created_at: Millis,
}

impl Expectation {
    /// Still to be met and not declined.
    pub fn is_open(&self) -> bool {
        self.agreed != Some(false)
            && matches!(
                self.state,
                ExpectationState::OnTrack | ExpectationState::AtRisk
            )
    }

    /// Open and either marked at risk or past its day (`today` is `YYYY-MM-DD`).
    pub fn is_at_risk(&self, today: &str) -> bool {
        self.is_open()
            && (self.state == ExpectationState::AtRisk
                || (!self.due.is_empty() && self.due.as_str() < today))
    }
}

/// A key user's satisfaction, as heard in a survey or a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub id: ReadingId,
    pub member: MemberId,
    pub value: u8,
    pub scale: SatisfactionScale,
    /// Where it came from (a survey, a call…).
    pub source: String,
    pub at: Millis,
}

impl SatisfactionScale {
    pub fn range(self) -> (u8, u8) {
        match self {
            Self::OneToFive => (1, 5),
            Self::ZeroToTen => (0, 10),
        }
    }
}

impl Reading {
    /// The reading on a 0–100 scale, so that readings on either scale compare.
    pub fn percent(&self) -> f64 {
        let (min, max) = self.scale.range();
        f64::from(self.value.saturating_sub(min)) * 100.0 / f64::from(max - min)
    }
}

/// A new need as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedDraft {
    pub member: Option<MemberId>,
    pub statement: String,
    pub priority: Option<Priority>,
    pub source: Option<NeedSource>,
    pub feedback: Vec<FeedbackId>,
    pub activities: Vec<ActivityId>,
}

/// A new expectation as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationDraft {
    pub member: Option<MemberId>,
    pub text: String,
    pub due: String,
    pub agreed: Option<bool>,
}

/// What a need or an expectation links to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NeedLink {
    Feedback(FeedbackId),
    Activity(ActivityId),
}

impl Member {
    /// Whether the latest decision made them a key user (and they are still in the group).
    pub fn is_key_user(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.key) && self.status != MemberStatus::Left
    }
}

/// A member's weighted score over the group's criteria (docs/metrics.md).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightedScore {
    /// Σ weight × score ÷ Σ weight over every criterion, an unscored one counting 0: 0 to 5.
    pub score: f64,
    /// How many criteria the member was scored on.
    pub scored: usize,
    pub criteria: usize,
}

impl WeightedScore {
    /// Whether the score suggests a key user.
    pub fn suggests_key_user(&self) -> bool {
        self.score >= SUGGEST_FROM
    }
}

/// `member`'s weighted score, or `None` while the group has no criteria.
pub fn weighted_score(group: &Group, member: &MemberId) -> Option<WeightedScore> {
    let criteria = &group.criteria;
    let total_weight: u32 = criteria.values().map(|c| u32::from(c.weight)).sum();
    if total_weight == 0 {
        return None;
    }
    let (weighted, scored) = criteria
        .values()
        .filter_map(|c| Some(u32::from(c.weight) * u32::from(*c.scores.get(member)?)))
        .fold((0, 0), |(sum, count), value| (sum + value, count + 1));
    Some(WeightedScore {
        score: f64::from(weighted) / f64::from(total_weight),
        scored,
        criteria: criteria.len(),
    })
}

/// Members (not former, not key users yet) whose weighted score suggests a key user, the
/// highest first.
pub fn suggestions(group: &Group) -> Vec<(&Member, WeightedScore)> {
    let mut scored: BTreeSet<&MemberId> = BTreeSet::new();
    for criterion in group.criteria.values() {
        scored.extend(criterion.scores.keys());
    }
    let mut suggested: Vec<_> = scored
        .into_iter()
        .filter_map(|id| {
            let member = group.members.get(id)?;
            let score = weighted_score(group, id)?;
            (member.status != MemberStatus::Left
                && !member.is_key_user()
                && score.suggests_key_user())
            .then_some((member, score))
        })
        .collect();
    suggested.sort_by(|(a, x), (b, y)| y.score.total_cmp(&x.score).then(a.id.cmp(&b.id)));
    suggested
}

/// Every placing of `member`, oldest first (ties in time by id, as on every device).
pub fn placings_of<'a>(group: &'a Group, member: &MemberId) -> Vec<&'a Placing> {
    let mut placings: Vec<_> = group
        .placings
        .values()
        .filter(|p| &p.member == member)
        .collect();
    placings.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    placings
}

/// Where each member stands: their latest placing, or their latest at or before `at`.
pub fn positions(group: &Group, at: Option<Millis>) -> HashMap<&MemberId, &Placing> {
    let mut latest: HashMap<&MemberId, &Placing> = HashMap::new();
    for placing in group.placings.values() {
        if at.is_some_and(|at| placing.at > at) {
            continue;
        }
        latest
            .entry(&placing.member)
            .and_modify(|current| {
                if (placing.at, &placing.id) > (current.at, &current.id) {
                    *current = placing;
                }
            })
            .or_insert(placing);
    }
    latest
}

/// A key user with where they stand and their strategy as it applies.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyUser<'a> {
    pub member: &'a Member,
    pub decision: &'a KeyDecision,
    /// Their latest placing, if they were placed.
    pub position: Option<&'a Placing>,
    pub cadence_days: u16,
    pub decision_role: DecisionRole,
}

impl KeyUser<'_> {
    pub fn quadrant(&self) -> Option<Quadrant> {
        self.position.map(Placing::quadrant)
    }
}

/// `member` as a key user, standing at `position`, with their strategy as it applies; `None`
/// if they are not one.
fn as_key_user<'a>(member: &'a Member, position: Option<&'a Placing>) -> Option<KeyUser<'a>> {
    if !member.is_key_user() {
        return None;
    }
    let decision = member.decision.as_ref()?;
    let quadrant = position.map(Placing::quadrant);
    Some(KeyUser {
        member,
        decision,
        position,
        cadence_days: member.strategy.cadence_days.unwrap_or_else(|| {
            quadrant.map_or(UNPLACED_CADENCE_DAYS, Quadrant::default_cadence_days)
        }),
        decision_role: member.strategy.decision_role.unwrap_or_else(|| {
            quadrant.map_or(DecisionRole::Informed, Quadrant::default_decision_role)
        }),
    })
}

/// The group's key users, in member id order.
pub fn key_users(group: &Group) -> Vec<KeyUser<'_>> {
    let positions = positions(group, None);
    group
        .members
        .values()
        .filter_map(|member| as_key_user(member, positions.get(&member.id).copied()))
        .collect()
}

/// One member as a key user (their page), without working out everyone's position.
pub fn key_user<'a>(group: &'a Group, member: &MemberId) -> Option<KeyUser<'a>> {
    let position = placings_of(group, member).last().copied();
    as_key_user(group.members.get(member)?, position)
}

/// A key user's contact, as their cadence asks for it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactDue<'a> {
    pub key_user: KeyUser<'a>,
    /// When they were last contacted, if ever.
    pub last_contact: Option<Millis>,
    /// The last contact (or, never contacted, the decision) plus the cadence.
    pub due_at: Millis,
}

impl ContactDue<'_> {
    /// Whole days past due at `now` (0 on the day it falls due).
    pub fn days_overdue(&self, now: Millis) -> i64 {
        (now - self.due_at).div_euclid(DAY)
    }
}

/// Key users not contacted within their cadence by `now`, the most overdue first.
pub fn overdue(group: &Group, now: Millis) -> Vec<ContactDue<'_>> {
    let last = last_contacts(group);
    let mut due: Vec<_> = key_users(group)
        .into_iter()
        .map(|key_user| {
            let last_contact = last.get(&key_user.member.id).copied();
            let since = last_contact.unwrap_or(key_user.decision.at);
            ContactDue {
                due_at: since + i64::from(key_user.cadence_days) * DAY,
                last_contact,
                key_user,
            }
        })
        .filter(|due| due.due_at < now)
        .collect();
    due.sort_by(|a, b| (a.due_at, &a.key_user.member.id).cmp(&(b.due_at, &b.key_user.member.id)));
    due
}

/// The participation of each of `members`: their attendance at user tests, reviews,
/// interviews and trainings that began by `now` (docs/metrics.md).
pub fn participation(
    group: &Group,
    members: &[&MemberId],
    now: Millis,
) -> BTreeMap<MemberId, MemberAttendance> {
    participation_between(group, members, Millis::MIN, now)
}

/// Participation as [`participation`] counts it, over the activities that began from `from`
/// up to `to`. Each activity's invitees are worked out once, however many members are asked
/// about.
pub fn participation_between(
    group: &Group,
    members: &[&MemberId],
    from: Millis,
    to: Millis,
) -> BTreeMap<MemberId, MemberAttendance> {
    let mut activities: Vec<_> = group
        .activities
        .values()
        .filter(|a| {
            PARTICIPATION_KINDS.contains(&a.kind) && a.starts_at >= from && a.has_started(to)
        })
        .collect();
    activities.sort_by(|a, b| (b.starts_at, &b.id).cmp(&(a.starts_at, &a.id)));
    let mut by_member: BTreeMap<MemberId, MemberAttendance> = members
        .iter()
        .map(|m| ((*m).clone(), MemberAttendance::default()))
        .collect();
    for activity in activities {
        let invitees = activity.invitees(group);
        for (member, participation) in &mut by_member {
            if let Some(standing) = activity.standing(member, &invitees) {
                participation.add(&activity.id, standing);
            }
        }
    }
    by_member
}

/// Attended ÷ counted over all of them, or `None` when nothing counts.
fn overall_rate(participation: &BTreeMap<MemberId, MemberAttendance>) -> Option<f64> {
    let (attended, counted) = participation
        .values()
        .fold((0, 0), |(a, c), p| (a + p.attended, c + p.counted));
    (counted > 0).then(|| attended as f64 / counted as f64)
}

/// The window of the participation trend: the last 90 days against the 90 before.
pub const TREND_DAYS: Millis = 90;

/// Every satisfaction reading of `member`, oldest first.
pub fn readings_of<'a>(group: &'a Group, member: &MemberId) -> Vec<&'a Reading> {
    let mut readings: Vec<_> = group
        .readings
        .values()
        .filter(|r| &r.member == member)
        .collect();
    readings.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    readings
}

/// A key user's satisfaction: the latest reading, and its change from the one before, both
/// on the 0–100 scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionTrend {
    pub latest: Option<f64>,
    pub change: Option<f64>,
}

/// Each member's satisfaction trend, from one pass over the readings (for lists of key users,
/// where [`readings_of`] per member would read every reading once for each).
pub fn satisfaction_trends(group: &Group) -> HashMap<&MemberId, SatisfactionTrend> {
    let mut by_member: HashMap<&MemberId, Vec<&Reading>> = HashMap::new();
    for reading in group.readings.values() {
        by_member.entry(&reading.member).or_default().push(reading);
    }
    by_member
        .into_iter()
        .map(|(member, mut readings)| {
            readings.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
            (member, satisfaction_trend(&readings))
        })
        .collect()
}

/// The trend of one member's readings, oldest first.
pub fn satisfaction_trend(readings: &[&Reading]) -> SatisfactionTrend {
    let mut last_two = readings.iter().rev().map(|r| r.percent());
    let latest = last_two.next();
    SatisfactionTrend {
        latest,
        change: latest
            .zip(last_two.next())
            .map(|(now, before)| now - before),
    }
}

/// Open needs of current key users that say the same thing (ignoring case and spacing),
/// most asked first: what the key users ask most.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedNeed<'a> {
    /// The needs, the highest priority first.
    pub needs: Vec<&'a Need>,
    /// How many key users ask for it.
    pub asked_by: usize,
}

impl SharedNeed<'_> {
    /// The highest priority any of them gave it.
    pub fn priority(&self) -> Priority {
        self.needs
            .iter()
            .map(|n| n.priority)
            .min()
            .unwrap_or(Priority::Could)
    }
}

/// A statement as compared with others: lowercase, spacing and end punctuation removed.
fn normalised(statement: &str) -> String {
    statement
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .trim_end_matches(['.', '。', '!', '！', '?', '？'])
        .to_owned()
}

/// The open needs of the key users, alike ones together, the most asked first, then by
/// priority.
pub fn needs_asked_most(group: &Group) -> Vec<SharedNeed<'_>> {
    let mut alike: BTreeMap<String, Vec<&Need>> = BTreeMap::new();
    for need in group.needs.values().filter(|n| n.is_open()) {
        if group
            .members
            .get(&need.member)
            .is_some_and(Member::is_key_user)
        {
            alike
                .entry(normalised(&need.statement))
                .or_default()
                .push(need);
        }
    }
    let mut shared: Vec<_> = alike
        .into_values()
        .map(|mut needs| {
            needs.sort_by(|a, b| {
                (a.priority, a.created_at, &a.id).cmp(&(b.priority, b.created_at, &b.id))
            });
            let asked_by = needs
                .iter()
                .map(|n| &n.member)
                .collect::<BTreeSet<_>>()
                .len();
            SharedNeed { needs, asked_by }
        })
        .collect();
    shared.sort_by(|a, b| {
        (b.asked_by, a.priority(), &a.needs[0].id).cmp(&(a.asked_by, b.priority(), &b.needs[0].id))
    });
    shared
}

/// A member's needs, open ones first, then by priority and age.
pub fn needs_of<'a>(group: &'a Group, member: &MemberId) -> Vec<&'a Need> {
    let mut needs: Vec<_> = group
        .needs
        .values()
        .filter(|n| &n.member == member)
        .collect();
    needs.sort_by(|a, b| {
        (!a.is_open(), a.priority, a.created_at, &a.id).cmp(&(
            !b.is_open(),
            b.priority,
            b.created_at,
            &b.id,
        ))
    });
    needs
}

/// A member's expectations, open ones first, then by due day (undated last) and age.
pub fn expectations_of<'a>(group: &'a Group, member: &MemberId) -> Vec<&'a Expectation> {
    let mut expectations: Vec<_> = group
        .expectations
        .values()
        .filter(|e| &e.member == member)
        .collect();
    expectations.sort_by(|a, b| expectation_order(a).cmp(&expectation_order(b)));
    expectations
}

fn expectation_order(e: &Expectation) -> (bool, bool, &str, Millis, &ExpectationId) {
    (!e.is_open(), e.due.is_empty(), &e.due, e.created_at, &e.id)
}

/// Open expectations of current key users that are at risk on `today`, soonest due first.
pub fn expectations_at_risk<'a>(group: &'a Group, today: &str) -> Vec<&'a Expectation> {
    let mut at_risk: Vec<_> = group
        .expectations
        .values()
        .filter(|e| {
            e.is_at_risk(today)
                && group
                    .members
                    .get(&e.member)
                    .is_some_and(Member::is_key_user)
        })
        .collect();
    at_risk.sort_by(|a, b| expectation_order(a).cmp(&expectation_order(b)));
    at_risk
}

/// The key-users overview (docs/metrics.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub key_users: usize,
    /// Key users in each quadrant, in [`Quadrant::ALL`] order.
    pub by_quadrant: [usize; 4],
    /// Key users not placed on the grid yet.
    pub unplaced: usize,
    pub overdue: usize,
    /// Open needs of key users, by priority in [`Priority::ALL`] order.
    pub open_needs: [usize; 3],
    pub expectations_at_risk: usize,
    /// Attended ÷ counted over every key user's participation.
    pub participation: Option<f64>,
    /// The same over the last [`TREND_DAYS`] days, and over the [`TREND_DAYS`] before them.
    pub participation_recent: Option<f64>,
    pub participation_before: Option<f64>,
    /// The average of each key user's latest satisfaction, 0–100, and how many had one.
    pub satisfaction: Option<f64>,
    pub rated: usize,
    /// The average change of satisfaction over key users with two readings or more.
    pub satisfaction_change: Option<f64>,
    /// Trainings completed by key users (one per key user and plan).
    pub trainings_completed: usize,
}

/// The overview at `now` (`today` is the organizer's local day, `YYYY-MM-DD`).
pub fn overview(group: &Group, now: Millis, today: &str) -> Overview {
    let key_users = key_users(group);
    let ids: Vec<&MemberId> = key_users.iter().map(|k| &k.member.id).collect();
    let mut overview = Overview {
        key_users: key_users.len(),
        overdue: overdue(group, now).len(),
        expectations_at_risk: expectations_at_risk(group, today).len(),
        ..Overview::default()
    };
    for key_user in &key_users {
        match key_user.quadrant() {
            Some(quadrant) => {
                let index = Quadrant::ALL
                    .iter()
                    .position(|q| *q == quadrant)
                    .unwrap_or(0);
                overview.by_quadrant[index] += 1;
            }
            None => overview.unplaced += 1,
        }
    }
    let key: HashSet<&MemberId> = ids.iter().copied().collect();
    let is_key = |member: &MemberId| key.contains(member);
    for need in group
        .needs
        .values()
        .filter(|n| n.is_open() && is_key(&n.member))
    {
        let index = Priority::ALL
            .iter()
            .position(|p| *p == need.priority)
            .unwrap_or(0);
        overview.open_needs[index] += 1;
    }
    overview.participation = overall_rate(&participation(group, &ids, now));
    let window = TREND_DAYS * DAY;
    overview.participation_recent =
        overall_rate(&participation_between(group, &ids, now - window, now));
    overview.participation_before = overall_rate(&participation_between(
        group,
        &ids,
        now - 2 * window,
        now - window,
    ));
    let all_trends = satisfaction_trends(group);
    let trends: Vec<_> = ids.iter().filter_map(|id| all_trends.get(id)).collect();
    let mean = |values: Vec<f64>| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let latest: Vec<f64> = trends.iter().filter_map(|t| t.latest).collect();
    overview.rated = latest.len();
    overview.satisfaction = mean(latest);
    overview.satisfaction_change = mean(trends.iter().filter_map(|t| t.change).collect());
    overview.trainings_completed = group
        .trainings
        .values()
        .flat_map(|t| t.results.iter())
        .filter(|(member, result)| result.completed_at.is_some() && is_key(member))
        .count();
    overview
}
