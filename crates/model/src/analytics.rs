//! How the group is doing (数据分析与评估): members by status over time, joins and departures,
//! retention by join-month cohort, the active rate, participation, interactions, members at
//! risk and why, role coverage, and feedback figures.
//!
//! One [`report`] reads the group once for all of them; the worker runs it, off the page's
//! thread. Months are calendar months in the organizer's time zone ([`crate::calendar`]).
//! Every figure is defined in `docs/metrics.md`; the functions here are those definitions.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::activity::{Activity, Standing};
use crate::calendar::{DAY, Month};
use crate::recruitment::status_at;
use crate::{
    ActivityId, FeedbackStatus, Group, Mark, Member, MemberId, MemberStatus, Millis, RoleId,
};

/// How many months the charts cover, the current one included.
pub const MONTHS: usize = 12;
/// Participation over this many recent days is compared with the rate before them.
pub const RECENT_DAYS: i64 = 90;
/// A member holding this many roles or more holds many.
pub const MANY_ROLES: usize = 3;

/// The settings a group chooses for its figures (stored in its profile; see docs/schema.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The window of the active rate, in days.
    pub active_window_days: u16,
    /// Days without attendance or a contact after which an active member is at risk.
    pub silence_days: u16,
    /// The weight of each reason in the at-risk score.
    pub weight_silence: u8,
    pub weight_drop: u8,
    pub weight_feedback: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            active_window_days: 30,
            silence_days: 60,
            weight_silence: 3,
            weight_drop: 2,
            weight_feedback: 2,
        }
    }
}

keyed_enum!(
    /// A setting of the group's figures, as stored in its profile.
    Setting {
        ActiveWindowDays = "active_window_days",
        SilenceDays = "at_risk_silence_days",
        WeightSilence = "at_risk_weight_silence",
        WeightDrop = "at_risk_weight_drop",
        WeightFeedback = "at_risk_weight_feedback",
    }
);

impl Setting {
    /// The values it may take.
    pub fn range(self) -> (u16, u16) {
        match self {
            Self::ActiveWindowDays | Self::SilenceDays => (1, 365),
            Self::WeightSilence | Self::WeightDrop | Self::WeightFeedback => (0, 10),
        }
    }

    pub fn get(self, settings: &Settings) -> u16 {
        match self {
            Self::ActiveWindowDays => settings.active_window_days,
            Self::SilenceDays => settings.silence_days,
            Self::WeightSilence => settings.weight_silence.into(),
            Self::WeightDrop => settings.weight_drop.into(),
            Self::WeightFeedback => settings.weight_feedback.into(),
        }
    }

    /// Sets it, if `value` is within its range.
    pub fn set(self, settings: &mut Settings, value: u16) {
        let (min, max) = self.range();
        if !(min..=max).contains(&value) {
            return;
        }
        let weight = u8::try_from(value).unwrap_or(u8::MAX);
        match self {
            Self::ActiveWindowDays => settings.active_window_days = value,
            Self::SilenceDays => settings.silence_days = value,
            Self::WeightSilence => settings.weight_silence = weight,
            Self::WeightDrop => settings.weight_drop = weight,
            Self::WeightFeedback => settings.weight_feedback = weight,
        }
    }
}

/// When the report is made: now, and the organizer's offset from UTC in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub now: Millis,
    pub utc_offset_minutes: i32,
}

/// Every figure of the analytics page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The months of the charts, oldest first (`YYYY-MM`).
    pub months: Vec<String>,
    /// Members by status at the end of each month (now, for this month), in
    /// [`MemberStatus::ALL`]'s order.
    pub status: Vec<[usize; 4]>,
    /// Joins and departures in each month.
    pub flow: Vec<Flow>,
    /// The members who joined in each month, and how many are still members since.
    pub cohorts: Vec<Cohort>,
    pub active: ActiveRate,
    /// Each activity that has begun, newest first.
    pub activities: Vec<ActivityTurnout>,
    /// Each member who was invited to or came to an activity, by attendance rate, lowest first.
    pub members: Vec<MemberTurnout>,
    /// Interactions in each month.
    pub interactions: Vec<Interactions>,
    /// Active members at risk, highest score first.
    pub at_risk: Vec<AtRisk>,
    pub roles: RoleCoverage,
    pub feedback: FeedbackFigures,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub joined: usize,
    pub departed: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    pub month: String,
    pub size: usize,
    /// For the join month and each month after it up to now: the share still members (active
    /// or inactive) at its end.
    pub retained: Vec<f64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActiveRate {
    pub window_days: u16,
    pub active_members: usize,
    /// Active members who attended an activity or were contacted in the window.
    pub engaged: usize,
}

impl ActiveRate {
    pub fn rate(&self) -> Option<f64> {
        ratio(self.engaged, self.active_members)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityTurnout {
    pub id: ActivityId,
    pub title: String,
    pub starts_at: Millis,
    pub invited: usize,
    /// Invitees who came.
    pub attended: usize,
    /// People who came uninvited.
    pub walk_ins: usize,
}

impl ActivityTurnout {
    pub fn rate(&self) -> Option<f64> {
        ratio(self.attended, self.invited)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberTurnout {
    pub member: MemberId,
    pub name: String,
    pub attended: usize,
    /// Invited or attended, less excused.
    pub counted: usize,
}

impl MemberTurnout {
    pub fn rate(&self) -> Option<f64> {
        ratio(self.attended, self.counted)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interactions {
    /// Attended marks at activities that began in the month.
    pub attendances: usize,
    pub touchpoints: usize,
    pub feedback: usize,
}

/// Why a member is at risk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reason {
    /// No attendance and no contact for this many days (since they joined, if never).
    Silent { days: i64 },
    /// Attendance over the last 90 days well below their rate before.
    Dropped { recent: f64, earlier: f64 },
    /// Their latest score was a detractor's, lower than the one before (if any).
    NegativeFeedback { score: u8, previous: Option<u8> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AtRisk {
    pub member: MemberId,
    pub name: String,
    /// The sum of the weights of the reasons.
    pub score: u16,
    /// Each reason with its weight.
    pub reasons: Vec<(Reason, u8)>,
    /// Their last attendance, contact or feedback.
    pub last_interaction: Option<Millis>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleCoverage {
    pub unheld: Vec<(RoleId, String)>,
    /// Active members holding no role.
    pub without_role: Vec<(MemberId, String)>,
    /// Members holding [`MANY_ROLES`] or more, with how many.
    pub holding_many: Vec<(MemberId, String, usize)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackFigures {
    /// Per category (empty: none given), counts by status in [`FeedbackStatus::ALL`]'s order.
    pub by_category: Vec<(String, [usize; 5])>,
    /// Per month: promoters (9–10), passives (7–8) and detractors (0–6) of scores received.
    pub nps: Vec<Nps>,
    /// Over every scored item.
    pub nps_overall: Nps,
    /// The median days from receiving an item to resolving it.
    pub median_days_to_resolve: Option<f64>,
    /// Open items by age: under 7 days, 7–29, 30–89, 90 and over.
    pub open_by_age: [usize; 4],
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nps {
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
}

impl Nps {
    fn add(&mut self, score: u8) {
        match score {
            9.. => self.promoters += 1,
            7..=8 => self.passives += 1,
            _ => self.detractors += 1,
        }
    }

    /// Share of promoters minus share of detractors, −100 to 100; none without scores.
    pub fn score(&self) -> Option<f64> {
        let total = self.promoters + self.passives + self.detractors;
        (total > 0).then(|| (self.promoters as f64 - self.detractors as f64) / total as f64 * 100.0)
    }
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// When a member first became active, if they did.
fn joined_at(member: &Member) -> Option<Millis> {
    member
        .history
        .iter()
        .find(|change| change.status == MemberStatus::Active)
        .map(|change| change.at)
}

/// Every figure of the group at `clock` with its `settings`.
pub fn report(group: &Group, settings: &Settings, clock: Clock) -> Report {
    let offset = clock.utc_offset_minutes;
    let this_month = Month::of(clock.now, offset);
    let months = this_month.last(MONTHS);
    // The moment each month's figures are taken: its end, or now for this month.
    let ends: Vec<Millis> = months
        .iter()
        .map(|m| (m.next().start(offset) - 1).min(clock.now))
        .collect();
    let index_of = |at: Millis| -> Option<usize> {
        let month = Month::of(at, offset);
        months.iter().position(|m| *m == month)
    };
    let started: Vec<&Activity> = group
        .activities
        .values()
        .filter(|a| a.has_started(clock.now))
        .collect();
    let standings = standings(group, &started);
    let seen = last_seen(group, clock.now);
    Report {
        months: months.iter().map(|m| m.key()).collect(),
        status: ends
            .iter()
            .map(|end| {
                let mut counts = [0; 4];
                for member in group.members.values() {
                    if let Some(status) = status_at(&member.history, *end) {
                        counts[status as usize] += 1;
                    }
                }
                counts
            })
            .collect(),
        flow: flow(group, &index_of, months.len()),
        cohorts: cohorts(group, &months, &ends, offset),
        active: active_rate(group, settings, clock.now, &seen),
        activities: activity_turnouts(&standings),
        members: member_turnouts(group, &standings),
        interactions: interactions(group, &started, &index_of, months.len()),
        at_risk: at_risk(group, settings, clock.now, &standings, &seen),
        roles: role_coverage(group),
        feedback: feedback_figures(group, &index_of, months.len(), clock.now),
    }
}

/// Each member's standing at each activity that has begun, by activity.
type Standings<'a> = Vec<(&'a Activity, Vec<(MemberId, Standing)>)>;

fn standings<'a>(group: &Group, started: &[&'a Activity]) -> Standings<'a> {
    started
        .iter()
        .map(|activity| {
            let invitees = activity.invitees(group);
            let people: BTreeSet<&MemberId> =
                invitees.iter().chain(activity.attendance.keys()).collect();
            let standing = people
                .into_iter()
                .filter(|m| group.members.contains_key(*m))
                .filter_map(|m| Some((m.clone(), activity.standing(m, &invitees)?)))
                .collect();
            (*activity, standing)
        })
        .collect()
}

fn came(standing: Standing) -> bool {
    matches!(
        standing,
        Standing::Marked(Mark::Attended) | Standing::WalkIn
    )
}

/// Counted in a rate: invited or attended, less excused.
fn counts(standing: Standing) -> bool {
    standing != Standing::Marked(Mark::Excused)
}

fn flow(group: &Group, index_of: &impl Fn(Millis) -> Option<usize>, len: usize) -> Vec<Flow> {
    let mut flow = vec![Flow::default(); len];
    for member in group.members.values() {
        let mut before: Option<MemberStatus> = None;
        for change in &member.history {
            let joined = change.status == MemberStatus::Active
                && matches!(
                    before,
                    None | Some(MemberStatus::Applicant | MemberStatus::Left)
                );
            let departed = change.status == MemberStatus::Left
                && matches!(before, Some(MemberStatus::Active | MemberStatus::Inactive));
            if let Some(i) = index_of(change.at) {
                flow[i].joined += usize::from(joined);
                flow[i].departed += usize::from(departed);
            }
            before = Some(change.status);
        }
    }
    flow
}

fn cohorts(group: &Group, months: &[Month], ends: &[Millis], offset: i32) -> Vec<Cohort> {
    let mut by_month: BTreeMap<Month, Vec<&Member>> = BTreeMap::new();
    for member in group.members.values() {
        if let Some(at) = joined_at(member) {
            by_month
                .entry(Month::of(at, offset))
                .or_default()
                .push(member);
        }
    }
    months
        .iter()
        .enumerate()
        .map(|(i, month)| {
            let members = by_month.get(month).map(Vec::as_slice).unwrap_or_default();
            let retained = ends[i..]
                .iter()
                .map(|end| {
                    let kept = members
                        .iter()
                        .filter(|m| {
                            matches!(
                                status_at(&m.history, *end),
                                Some(MemberStatus::Active | MemberStatus::Inactive)
                            )
                        })
                        .count();
                    ratio(kept, members.len()).unwrap_or(0.0)
                })
                .collect();
            Cohort {
                month: month.key(),
                size: members.len(),
                retained: if members.is_empty() {
                    Vec::new()
                } else {
                    retained
                },
            }
        })
        .collect()
}

/// The last moment each member attended an activity, and was contacted.
type LastSeen<'a> = (HashMap<&'a MemberId, Millis>, HashMap<MemberId, Millis>);

/// [`LastSeen`], read once for the report.
fn last_seen(group: &Group, now: Millis) -> LastSeen<'_> {
    let mut attended: HashMap<&MemberId, Millis> = HashMap::new();
    for activity in group.activities.values().filter(|a| a.has_started(now)) {
        for (member, mark) in &activity.attendance {
            if *mark == Mark::Attended {
                let last = attended.entry(member).or_insert(activity.starts_at);
                *last = (*last).max(activity.starts_at);
            }
        }
    }
    let mut contacted = crate::contact::last_contacts(group);
    contacted.retain(|_, at| *at <= now);
    (attended, contacted)
}

fn active_rate(group: &Group, settings: &Settings, now: Millis, seen: &LastSeen) -> ActiveRate {
    let since = now - Millis::from(settings.active_window_days) * DAY;
    let (attended, contacted) = seen;
    let active: Vec<&Member> = group
        .members
        .values()
        .filter(|m| m.status == MemberStatus::Active)
        .collect();
    let engaged = active
        .iter()
        .filter(|m| {
            attended.get(&m.id).is_some_and(|at| *at > since)
                || contacted.get(&m.id).is_some_and(|at| *at > since)
        })
        .count();
    ActiveRate {
        window_days: settings.active_window_days,
        active_members: active.len(),
        engaged,
    }
}

fn activity_turnouts(standings: &Standings) -> Vec<ActivityTurnout> {
    let mut turnouts: Vec<ActivityTurnout> = standings
        .iter()
        .map(|(activity, people)| {
            let count =
                |pick: fn(Standing) -> bool| people.iter().filter(|(_, s)| pick(*s)).count();
            ActivityTurnout {
                id: activity.id.clone(),
                title: activity.title.clone(),
                starts_at: activity.starts_at,
                invited: count(|s| s != Standing::WalkIn),
                attended: count(|s| s == Standing::Marked(Mark::Attended)),
                walk_ins: count(|s| s == Standing::WalkIn),
            }
        })
        .collect();
    turnouts.sort_by(|a, b| (b.starts_at, &b.id).cmp(&(a.starts_at, &a.id)));
    turnouts
}

fn member_turnouts(group: &Group, standings: &Standings) -> Vec<MemberTurnout> {
    let mut by_member: HashMap<&MemberId, (usize, usize)> = HashMap::new();
    for (_, people) in standings {
        for (member, standing) in people {
            let entry = by_member.entry(member).or_default();
            entry.0 += usize::from(came(*standing));
            entry.1 += usize::from(counts(*standing));
        }
    }
    let mut turnouts: Vec<MemberTurnout> = by_member
        .into_iter()
        .filter_map(|(member, (attended, counted))| {
            Some(MemberTurnout {
                member: member.clone(),
                name: group.members.get(member)?.name.clone(),
                attended,
                counted,
            })
        })
        .collect();
    turnouts.sort_by(|a, b| {
        let rate = |t: &MemberTurnout| t.rate().unwrap_or(0.0);
        rate(a)
            .total_cmp(&rate(b))
            .then_with(|| b.counted.cmp(&a.counted))
            .then_with(|| a.member.cmp(&b.member))
    });
    turnouts
}

fn interactions(
    group: &Group,
    started: &[&Activity],
    index_of: &impl Fn(Millis) -> Option<usize>,
    len: usize,
) -> Vec<Interactions> {
    let mut months = vec![Interactions::default(); len];
    for activity in started {
        if let Some(i) = index_of(activity.starts_at) {
            months[i].attendances += activity
                .attendance
                .values()
                .filter(|mark| **mark == Mark::Attended)
                .count();
        }
    }
    for touchpoint in group.touchpoints.values() {
        if let Some(i) = index_of(touchpoint.at) {
            months[i].touchpoints += 1;
        }
    }
    for item in group.feedback.values() {
        if let Some(i) = index_of(item.received_at) {
            months[i].feedback += 1;
        }
    }
    months
}

fn at_risk(
    group: &Group,
    settings: &Settings,
    now: Millis,
    standings: &Standings,
    seen: &LastSeen,
) -> Vec<AtRisk> {
    let (attended, contacted) = seen;
    let recent_from = now - RECENT_DAYS * DAY;
    // Attended and counted, recently and before, by member.
    let mut rates: HashMap<&MemberId, [(usize, usize); 2]> = HashMap::new();
    for (activity, people) in standings {
        let period = usize::from(activity.starts_at > recent_from);
        for (member, standing) in people {
            let entry = &mut rates.entry(member).or_default()[period];
            entry.0 += usize::from(came(*standing));
            entry.1 += usize::from(counts(*standing));
        }
    }
    // Each member's scores, oldest first.
    let mut scores: HashMap<&MemberId, Vec<(Millis, u8)>> = HashMap::new();
    let mut last_feedback: HashMap<&MemberId, Millis> = HashMap::new();
    for item in group.feedback.values() {
        let Some(member) = &item.member else { continue };
        if item.received_at > now {
            continue;
        }
        let last = last_feedback.entry(member).or_insert(item.received_at);
        *last = (*last).max(item.received_at);
        if let Some(score) = item.score {
            scores
                .entry(member)
                .or_default()
                .push((item.received_at, score));
        }
    }
    let mut list: Vec<AtRisk> = group
        .members
        .values()
        .filter(|m| m.status == MemberStatus::Active)
        .filter_map(|member| {
            let id = &member.id;
            let mut reasons = Vec::new();
            let seen = [attended.get(id), contacted.get(id)]
                .into_iter()
                .flatten()
                .copied()
                .max();
            let since = seen
                .or_else(|| joined_at(member))
                .unwrap_or(member.added_at);
            let days = (now - since).div_euclid(DAY);
            if days >= i64::from(settings.silence_days) {
                reasons.push((Reason::Silent { days }, settings.weight_silence));
            }
            if let Some([(before_came, before), (recent_came, recent)]) = rates.get(id).copied()
                && before >= 2
                && recent >= 2
            {
                let (earlier, recent) = (
                    before_came as f64 / before as f64,
                    recent_came as f64 / recent as f64,
                );
                if recent < earlier / 2.0 {
                    reasons.push((Reason::Dropped { recent, earlier }, settings.weight_drop));
                }
            }
            if let Some(list) = scores.get_mut(id) {
                list.sort_unstable();
                let (at, score) = list[list.len() - 1];
                let previous = list.len().checked_sub(2).map(|i| list[i].1);
                if score <= 6 && at > recent_from && previous.is_none_or(|p| p > score) {
                    reasons.push((
                        Reason::NegativeFeedback { score, previous },
                        settings.weight_feedback,
                    ));
                }
            }
            let score: u16 = reasons.iter().map(|(_, w)| u16::from(*w)).sum();
            (!reasons.is_empty() && score > 0).then(|| AtRisk {
                member: id.clone(),
                name: member.name.clone(),
                score,
                reasons,
                last_interaction: seen.max(last_feedback.get(id).copied()),
            })
        })
        .collect();
    list.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.last_interaction.cmp(&b.last_interaction))
            .then_with(|| a.member.cmp(&b.member))
    });
    list
}

fn role_coverage(group: &Group) -> RoleCoverage {
    let mut held: HashMap<&MemberId, usize> = HashMap::new();
    for role in group.roles.values() {
        for holder in &role.holders {
            *held.entry(holder).or_default() += 1;
        }
    }
    let mut holding_many: Vec<(MemberId, String, usize)> = held
        .iter()
        .filter(|(_, n)| **n >= MANY_ROLES)
        .filter_map(|(m, n)| Some(((*m).clone(), group.members.get(*m)?.name.clone(), *n)))
        .collect();
    holding_many.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    RoleCoverage {
        unheld: group
            .roles
            .values()
            .filter(|r| r.holders.is_empty())
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect(),
        without_role: group
            .members
            .values()
            .filter(|m| m.status == MemberStatus::Active && !held.contains_key(&m.id))
            .map(|m| (m.id.clone(), m.name.clone()))
            .collect(),
        holding_many,
    }
}

fn feedback_figures(
    group: &Group,
    index_of: &impl Fn(Millis) -> Option<usize>,
    len: usize,
    now: Millis,
) -> FeedbackFigures {
    let mut by_category: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    let mut nps = vec![Nps::default(); len];
    let mut nps_overall = Nps::default();
    let mut days_to_resolve = Vec::new();
    let mut open_by_age = [0; 4];
    for item in group.feedback.values() {
        let status = FeedbackStatus::ALL
            .iter()
            .position(|s| *s == item.status)
            .unwrap_or(0);
        by_category
            .entry(item.category.trim().to_owned())
            .or_default()[status] += 1;
        if let Some(score) = item.score {
            nps_overall.add(score);
            if let Some(i) = index_of(item.received_at) {
                nps[i].add(score);
            }
        }
        if let Some(resolved) = item
            .history
            .iter()
            .find(|c| c.status == FeedbackStatus::Resolved)
        {
            days_to_resolve.push((resolved.at - item.received_at) as f64 / DAY as f64);
        }
        if !item.status.is_closed() {
            let age = (now - item.received_at).div_euclid(DAY);
            let bucket = match age {
                ..7 => 0,
                7..30 => 1,
                30..90 => 2,
                _ => 3,
            };
            open_by_age[bucket] += 1;
        }
    }
    FeedbackFigures {
        by_category: by_category.into_iter().collect(),
        nps,
        nps_overall,
        median_days_to_resolve: median(&mut days_to_resolve),
        open_by_age,
    }
}

/// The middle value (the mean of the two middle ones for an even count); none when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn nps_is_promoters_less_detractors_in_percent() {
        let mut nps = Nps::default();
        assert_eq!(nps.score(), None);
        for score in [10, 9, 8, 6, 0] {
            nps.add(score);
        }
        assert_eq!(nps.score(), Some(0.0));
        nps.add(9);
        // 3 promoters, 1 passive, 2 detractors of 6.
        assert!((nps.score().unwrap() - 100.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn settings_out_of_range_are_not_taken() {
        let mut settings = Settings::default();
        Setting::SilenceDays.set(&mut settings, 0);
        Setting::WeightDrop.set(&mut settings, 11);
        assert_eq!(settings, Settings::default());
        Setting::SilenceDays.set(&mut settings, 45);
        assert_eq!(Setting::SilenceDays.get(&settings), 45);
    }
}
