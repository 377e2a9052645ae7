//! Training plans and their effect: who a plan is for, its sessions (activities of kind
//! training), and each participant's completion, scores before and after, and satisfaction.
//!
//! The figures are defined in `docs/metrics.md`; the functions here are those definitions.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::activity::{Invitee, Mark, members_of};
use crate::{ActivityId, Group, MemberId, Millis, TrainingId};

/// How a training is given.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum TrainingFormat {
    #[default]
    InPerson,
    Online,
    /// A manual or course the participant works through alone.
    SelfStudy,
}

impl TrainingFormat {
    pub const ALL: [Self; 3] = [Self::InPerson, Self::Online, Self::SelfStudy];

    /// The value written in the document.
    pub fn key(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Online => "online",
            Self::SelfStudy => "self_study",
        }
    }

    /// The format a document value names; one this version does not know reads as in person.
    pub fn from_key(key: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|format| format.key() == key)
            .unwrap_or_default()
    }
}

/// One participant's result. Every part is optional: a training may score before and after,
/// ask for satisfaction, or neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrainingResult {
    /// When the participant was marked as having completed the training.
    pub completed_at: Option<Millis>,
    /// Test score before the training, 0 to 100.
    pub before: Option<u8>,
    /// Test score after the training, 0 to 100.
    pub after: Option<u8>,
    /// Satisfaction, 1 to 5.
    pub satisfaction: Option<u8>,
}

/// A training plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub id: TrainingId,
    pub title: String,
    pub format: TrainingFormat,
    /// A link to the materials (slides, a manual, a course).
    pub materials: String,
    /// Its sessions: activities, normally of kind training. Activities removed since are
    /// left out when read.
    pub sessions: BTreeSet<ActivityId>,
    /// Who it is for: members, everyone holding a role, everyone with a tag.
    pub audience: BTreeSet<Invitee>,
    /// Results by member; members removed since are kept here and left out of the figures.
    pub results: BTreeMap<MemberId, TrainingResult>,
    pub created_at: Millis,
}

/// Which score of a participant's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrainingScore {
    Before,
    After,
    Satisfaction,
}

impl TrainingScore {
    /// The lowest and highest value allowed.
    pub fn range(self) -> (u8, u8) {
        match self {
            Self::Before | Self::After => (0, 100),
            Self::Satisfaction => (1, 5),
        }
    }
}

/// A text field of a training plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrainingField {
    Title,
    Materials,
}

/// A new training plan as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingDraft {
    pub title: String,
    pub format: TrainingFormat,
    pub materials: String,
    pub sessions: Vec<ActivityId>,
    pub audience: Vec<Invitee>,
}

/// A participant of a plan, with how many of its sessions they attended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub member: MemberId,
    pub result: TrainingResult,
    pub sessions_attended: usize,
}

impl Training {
    /// Its participants among the current members of `group`, in member id order: the
    /// audience, anyone who attended one of its sessions, and anyone with a result recorded.
    pub fn participants(&self, group: &Group) -> Vec<Participant> {
        let sessions: Vec<_> = self
            .sessions
            .iter()
            .filter_map(|id| group.activities.get(id))
            .collect();
        let attended = |member: &MemberId| {
            sessions
                .iter()
                .filter(|activity| activity.attendance.get(member) == Some(&Mark::Attended))
                .count()
        };
        let mut members = members_of(&self.audience, group);
        for activity in &sessions {
            members.extend(
                activity
                    .attendance
                    .iter()
                    .filter(|(_, mark)| **mark == Mark::Attended)
                    .map(|(member, _)| member.clone()),
            );
        }
        members.extend(self.results.keys().cloned());
        members
            .into_iter()
            .filter(|member| group.members.contains_key(member))
            .map(|member| Participant {
                result: self.results.get(&member).copied().unwrap_or_default(),
                sessions_attended: attended(&member),
                member,
            })
            .collect()
    }
}

/// What a training achieved (docs/metrics.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingEffect {
    pub participants: usize,
    pub completed: usize,
    /// The average score before, over participants with one.
    pub before: Option<f64>,
    /// The average score after, over participants with one.
    pub after: Option<f64>,
    /// The average of after − before over participants with both (`paired` of them): the
    /// change is measured on the same people.
    pub change: Option<f64>,
    pub paired: usize,
    /// The average satisfaction, over participants who gave one (`rated` of them).
    pub satisfaction: Option<f64>,
    pub rated: usize,
}

impl TrainingEffect {
    /// Completed ÷ participants, or `None` with no participants.
    pub fn completion_rate(&self) -> Option<f64> {
        (self.participants > 0).then(|| self.completed as f64 / self.participants as f64)
    }
}

fn average(values: impl Iterator<Item = f64>) -> (Option<f64>, usize) {
    let (sum, count) = values.fold((0.0, 0), |(sum, count), value| (sum + value, count + 1));
    ((count > 0).then(|| sum / count as f64), count)
}

/// The effect of `training` on its participants in `group`.
pub fn training_effect(training: &Training, group: &Group) -> TrainingEffect {
    let participants = training.participants(group);
    let results = || participants.iter().map(|p| p.result);
    let score = |value: Option<u8>| value.map(f64::from);
    let (change, paired) =
        average(results().filter_map(|r| Some(score(r.after)? - score(r.before)?)));
    let (satisfaction, rated) = average(results().filter_map(|r| score(r.satisfaction)));
    TrainingEffect {
        participants: participants.len(),
        completed: results().filter(|r| r.completed_at.is_some()).count(),
        before: average(results().filter_map(|r| score(r.before))).0,
        after: average(results().filter_map(|r| score(r.after))).0,
        change,
        paired,
        satisfaction,
        rated,
    }
}

/// The trainings `member` takes part in, newest plan first, with their result.
pub fn member_trainings<'a>(
    group: &'a Group,
    member: &MemberId,
) -> Vec<(&'a Training, Participant)> {
    let mut trainings: Vec<_> = group
        .trainings
        .values()
        .filter_map(|training| {
            let participant = training
                .participants(group)
                .into_iter()
                .find(|p| &p.member == member)?;
            Some((training, participant))
        })
        .collect();
    trainings.sort_by(|(a, _), (b, _)| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    trainings
}
