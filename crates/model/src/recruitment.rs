//! Recruitment and screening (招募与筛选): applications move through stages on a board, each
//! applicant is checked against the group's screening criteria, and each channel's yield is
//! counted.
//!
//! An application names a member: the person applying is a member record with the status
//! `applicant` from the start, so the members page, duplicates and the contact log see them
//! like anyone else. Its stage is kept in the application, not in the member's status, so
//! that a client that does not know applications never misreads a member. Accepting makes the
//! member active; rejecting or a withdrawal makes an applicant `left`.
//!
//! The figures are defined in `docs/metrics.md`; the functions here are those definitions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ApplicationId, Group, MemberId, MemberStatus, Millis, ScreeningId, StatusChange};

keyed_enum!(
    /// Where an application stands. The open stages come first, in the order applicants move
    /// through them.
    Stage {
        Applied = "applied",
        Screening = "screening",
        Interview = "interview",
        /// Accepted: the applicant is an active member.
        Accepted = "accepted",
        /// Turned down, with the reason given.
        Rejected = "rejected",
        /// The applicant withdrew.
        Withdrawn = "withdrawn",
    }
);

keyed_enum!(
    /// How an applicant heard of the group.
    ApplicationChannel {
        /// Referred by a member (named in the application).
        Referral = "referral",
        WechatGroup = "wechat_group",
        SocialMedia = "social_media",
        Event = "event",
        Website = "website",
        Other = "other",
    }
);

keyed_enum!(
    /// An applicant checked against one screening criterion.
    CheckResult {
        Meets = "meets",
        Partly = "partly",
        DoesNot = "does_not",
    }
);

/// The open stages, in order: the board's keyboard moves go along these.
pub const OPEN_STAGES: [Stage; 3] = [Stage::Applied, Stage::Screening, Stage::Interview];

/// The days after acceptance at which an accepted applicant is counted as still active.
pub const RETENTION_DAYS: i64 = 90;

const DAY: Millis = 24 * 60 * 60 * 1000;

impl Stage {
    /// Still being decided.
    pub fn is_open(self) -> bool {
        OPEN_STAGES.contains(&self)
    }

    /// Whether an application may move from `self` to `next`: an open application moves to
    /// any other stage (back as well as forward, to mend a slip); a decided one stays.
    pub fn can_become(self, next: Self) -> bool {
        self.is_open() && self != next
    }

    /// The member status the move makes for a member now in `status`, if it changes it:
    /// accepting makes them active, rejecting or withdrawing makes an applicant `left`.
    pub fn member_status(self, status: MemberStatus) -> Option<MemberStatus> {
        let next = match self {
            Self::Accepted => MemberStatus::Active,
            Self::Rejected | Self::Withdrawn if status == MemberStatus::Applicant => {
                MemberStatus::Left
            }
            _ => return None,
        };
        status.can_become(next).then_some(next)
    }
}

/// A criterion applicants are screened against ("lives in the city", "can commit 2 hours a
/// week").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningCriterion {
    pub id: ScreeningId,
    pub name: String,
    pub created_at: Millis,
}

/// An applicant checked against a criterion, with what was noted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub result: CheckResult,
    pub note: String,
}

/// One person's application to join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: ApplicationId,
    /// The applicant.
    pub member: MemberId,
    pub stage: Stage,
    /// Every stage it was in, oldest first; the first is `applied`.
    pub history: Vec<StatusChange<Stage>>,
    pub channel: ApplicationChannel,
    /// The member who referred them, for a referral (if still in the group).
    pub referrer: Option<MemberId>,
    /// The day they applied, `YYYY-MM-DD`.
    pub applied_on: String,
    pub notes: String,
    /// Checks by criterion (criteria removed since are kept and left out when counted).
    pub checks: BTreeMap<ScreeningId, Check>,
    /// Why it was rejected or withdrawn, as given.
    pub reason: String,
    pub created_at: Millis,
}

impl Application {
    /// When it was accepted, if it was.
    pub fn accepted_at(&self) -> Option<Millis> {
        (self.stage == Stage::Accepted)
            .then(|| {
                self.history
                    .iter()
                    .rev()
                    .find(|change| change.status == Stage::Accepted)
                    .map(|change| change.at)
            })
            .flatten()
    }

    /// How the applicant fares against the group's current criteria.
    pub fn tally(&self, criteria: &BTreeMap<ScreeningId, ScreeningCriterion>) -> Tally {
        let mut tally = Tally::default();
        for id in criteria.keys() {
            match self.checks.get(id).map(|check| check.result) {
                Some(CheckResult::Meets) => tally.meets += 1,
                Some(CheckResult::Partly) => tally.partly += 1,
                Some(CheckResult::DoesNot) => tally.does_not += 1,
                None => tally.unchecked += 1,
            }
        }
        tally
    }
}

/// An applicant's checks against the group's criteria, counted: what the board shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub meets: usize,
    pub partly: usize,
    pub does_not: usize,
    pub unchecked: usize,
}

/// A new application as typed in the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationDraft {
    pub channel: ApplicationChannel,
    pub referrer: Option<MemberId>,
    /// `YYYY-MM-DD`; required.
    pub applied_on: String,
    pub notes: String,
}

/// The applications of the group by stage, each column in the order they applied.
pub fn board(group: &Group) -> BTreeMap<Stage, Vec<&Application>> {
    let mut columns: BTreeMap<Stage, Vec<&Application>> = Stage::ALL
        .iter()
        .map(|stage| (*stage, Vec::new()))
        .collect();
    for application in live(group) {
        columns
            .entry(application.stage)
            .or_default()
            .push(application);
    }
    for column in columns.values_mut() {
        column.sort_by(|a, b| {
            (&a.applied_on, a.created_at, &a.id).cmp(&(&b.applied_on, b.created_at, &b.id))
        });
    }
    columns
}

/// The applications of one member, newest first.
pub fn applications_of<'a>(group: &'a Group, member: &MemberId) -> Vec<&'a Application> {
    let mut applications: Vec<_> = live(group).filter(|a| &a.member == member).collect();
    applications.sort_by(|a, b| (&b.applied_on, b.created_at).cmp(&(&a.applied_on, a.created_at)));
    applications
}

/// Applications whose applicant is in the group (records of members removed since stay in
/// the document until they are read).
fn live(group: &Group) -> impl Iterator<Item = &Application> {
    group
        .applications
        .values()
        .filter(|a| group.members.contains_key(&a.member))
}

/// Whether an application names `member` as who referred the applicant.
pub fn referred_by(applications: &BTreeMap<ApplicationId, Application>, member: &MemberId) -> bool {
    applications
        .values()
        .any(|a| a.referrer.as_ref() == Some(member))
}

/// Takes `member` off the applications they referred (erased, the referral stays unnamed).
pub fn unlink_referrer(applications: &mut BTreeMap<ApplicationId, Application>, member: &MemberId) {
    for application in applications.values_mut() {
        if application.referrer.as_ref() == Some(member) {
            application.referrer = None;
        }
    }
}

/// What one channel brought in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelYield {
    pub channel: Option<ApplicationChannel>,
    pub applicants: usize,
    pub accepted: usize,
    /// Accepted at least [`RETENTION_DAYS`] ago: the applicants the next figure is out of.
    pub accepted_long_enough: usize,
    /// Of those, active [`RETENTION_DAYS`] after they were accepted.
    pub still_active: usize,
}

impl ChannelYield {
    /// Accepted out of all who applied through the channel; `None` when nobody did.
    pub fn acceptance_rate(&self) -> Option<f64> {
        (self.applicants > 0).then(|| self.accepted as f64 / self.applicants as f64)
    }

    /// Still active after [`RETENTION_DAYS`], out of those accepted long enough ago.
    pub fn retention(&self) -> Option<f64> {
        (self.accepted_long_enough > 0)
            .then(|| self.still_active as f64 / self.accepted_long_enough as f64)
    }

    fn count(&mut self, application: &Application, group: &Group, now: Millis) {
        self.applicants += 1;
        let Some(accepted_at) = application.accepted_at() else {
            return;
        };
        self.accepted += 1;
        let checked_at = accepted_at + RETENTION_DAYS * DAY;
        if checked_at > now {
            return;
        }
        self.accepted_long_enough += 1;
        let member = &group.members[&application.member];
        if status_at(&member.history, checked_at) == Some(MemberStatus::Active) {
            self.still_active += 1;
        }
    }
}

/// The status a member had at `at`, by their status history.
pub fn status_at(history: &[StatusChange<MemberStatus>], at: Millis) -> Option<MemberStatus> {
    history
        .iter()
        .take_while(|change| change.at <= at)
        .last()
        .map(|change| change.status)
}

/// Each channel's yield, in the channels' order (channels nobody came through included), and
/// the total (with `channel` none) last.
pub fn channel_yields(group: &Group, now: Millis) -> Vec<ChannelYield> {
    let mut yields: Vec<ChannelYield> = ApplicationChannel::ALL
        .iter()
        .map(|channel| ChannelYield {
            channel: Some(*channel),
            ..ChannelYield::default()
        })
        .chain([ChannelYield::default()])
        .collect();
    let total = yields.len() - 1;
    for application in live(group) {
        let index = ApplicationChannel::ALL
            .iter()
            .position(|c| *c == application.channel)
            .unwrap_or(total);
        yields[index].count(application, group, now);
        yields[total].count(application, group, now);
    }
    yields
}
