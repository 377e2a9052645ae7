//! The group as the screens read it: plain values hydrated from the document.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::key_users::{Criterion, Expectation, KeyDecision, Need, Placing, Reading, Strategy};
use crate::recruitment::{Application, ScreeningCriterion};
use crate::{
    Activity, ActivityId, ApplicationId, CriterionId, DigestId, ExpectationId, FeedbackId,
    FeedbackStatus, MemberId, MemberStatus, NeedId, PlacingId, ReadingId, RoleId, ScreeningId,
    Touchpoint, TouchpointId, Training, TrainingId,
};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// What the group is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub purpose: String,
    /// The group's rules (群规).
    pub rules: String,
    /// How the group's figures are worked out.
    pub analytics: crate::analytics::Settings,
}

/// How to reach a member. Every field may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacts {
    pub email: String,
    pub phone: String,
    pub wechat: String,
    pub other: String,
}

/// One move in a lifecycle, and when it was made.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StatusChange<S> {
    pub at: Millis,
    pub status: S,
}

/// A person in the group, from applicant to former member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub contacts: Contacts,
    pub tags: BTreeSet<String>,
    pub status: MemberStatus,
    /// Every status change, oldest first; the first entry is the status the member was added with.
    pub history: Vec<StatusChange<MemberStatus>>,
    /// Where the member came from (a referral, an event, a form…).
    pub source: String,
    /// The day the member joined, `YYYY-MM-DD`, or empty.
    pub joined: String,
    pub notes: String,
    pub added_at: Millis,
    /// The latest decision on whether they are a key user, if one was made.
    pub decision: Option<KeyDecision>,
    /// How they are engaged as a key user.
    pub strategy: Strategy,
}

/// A part of a member record that a change can touch on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MemberPart {
    Text(crate::MemberField),
    Tags,
    /// The status with its history.
    Status,
    AddedAt,
    /// The key-user decision and strategy.
    KeyUser,
}

/// One part of a member record as it is now: what the page receives when a change touched
/// only that part (a renamed member does not bring their notes and history along).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberValue {
    Text(crate::MemberField, String),
    Tags(BTreeSet<String>),
    Status(MemberStatus, Vec<StatusChange<MemberStatus>>),
    AddedAt(Millis),
    KeyUser(Option<KeyDecision>, Strategy),
}

/// A record that a change can update part by part.
pub trait Record {
    /// One of its parts, with its value.
    type Part: Clone + std::fmt::Debug + PartialEq + Eq + Serialize + serde::de::DeserializeOwned;
    /// Replaces one part.
    fn set(&mut self, part: Self::Part);
}

/// What a change did to one record, read as the record is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordChange<R: Record> {
    /// New, or touched in a way that is not one of its parts: the whole record.
    Whole(Box<R>),
    /// Only these parts changed.
    Parts(Vec<R::Part>),
    Removed,
}

pub type MemberChange = RecordChange<Member>;
pub type FeedbackChange = RecordChange<Feedback>;

impl Record for Member {
    type Part = MemberValue;

    fn set(&mut self, value: MemberValue) {
        match value {
            MemberValue::Text(field, text) => *self.text_mut(field) = text,
            MemberValue::Tags(tags) => self.tags = tags,
            MemberValue::Status(status, history) => {
                self.status = status;
                self.history = history;
            }
            MemberValue::AddedAt(at) => self.added_at = at,
            MemberValue::KeyUser(decision, strategy) => {
                self.decision = decision;
                self.strategy = strategy;
            }
        }
    }
}

impl Member {
    fn text_mut(&mut self, field: crate::MemberField) -> &mut String {
        use crate::MemberField;
        match field {
            MemberField::Name => &mut self.name,
            MemberField::Email => &mut self.contacts.email,
            MemberField::Phone => &mut self.contacts.phone,
            MemberField::Wechat => &mut self.contacts.wechat,
            MemberField::OtherContact => &mut self.contacts.other,
            MemberField::Source => &mut self.source,
            MemberField::Joined => &mut self.joined,
            MemberField::Notes => &mut self.notes,
        }
    }
}

/// A responsibility in the group and who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub responsibilities: String,
    /// Members who hold the role; only members still in the group.
    pub holders: BTreeSet<MemberId>,
}

/// Something a member (or someone unnamed) told the group, tracked to resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub id: FeedbackId,
    /// Who gave it; `None` if anonymous or from a member who was removed.
    pub member: Option<MemberId>,
    /// How it came in (a survey, a chat, a meeting…).
    pub channel: String,
    /// What it is about (an idea, a problem, praise…).
    pub category: String,
    pub score: Option<u8>,
    pub text: String,
    pub status: FeedbackStatus,
    pub history: Vec<StatusChange<FeedbackStatus>>,
    /// The organizer looking after it, or empty.
    pub owner: String,
    pub received_at: Millis,
}

/// A part of a piece of feedback that a change can touch on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FeedbackPart {
    Text(crate::FeedbackField),
    Member,
    Score,
    /// The status with its history.
    Status,
    ReceivedAt,
}

/// One part of a piece of feedback as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedbackValue {
    Text(crate::FeedbackField, String),
    Member(Option<MemberId>),
    Score(Option<u8>),
    Status(FeedbackStatus, Vec<StatusChange<FeedbackStatus>>),
    ReceivedAt(Millis),
}

impl Record for Feedback {
    type Part = FeedbackValue;

    fn set(&mut self, value: FeedbackValue) {
        use crate::FeedbackField;
        match value {
            FeedbackValue::Text(field, text) => {
                *match field {
                    FeedbackField::Channel => &mut self.channel,
                    FeedbackField::Category => &mut self.category,
                    FeedbackField::Owner => &mut self.owner,
                    FeedbackField::Text => &mut self.text,
                } = text;
            }
            FeedbackValue::Member(member) => self.member = member,
            FeedbackValue::Score(score) => self.score = score,
            FeedbackValue::Status(status, history) => {
                self.status = status;
                self.history = history;
            }
            FeedbackValue::ReceivedAt(at) => self.received_at = at,
        }
    }
}

impl Feedback {
    /// When its status last changed (or when it came in).
    pub fn updated_at(&self) -> Millis {
        self.history
            .last()
            .map_or(self.received_at, |change| change.at)
    }
}

/// The whole group as plain values. With the `store` feature it is also a reactive store whose
/// collections are keyed by record id: the page updates one record's signals, not the group's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct Group {
    pub profile: Profile,
    #[cfg_attr(feature = "store", store(key: MemberId = |(id, _)| id.clone()))]
    pub members: BTreeMap<MemberId, Member>,
    #[cfg_attr(feature = "store", store(key: RoleId = |(id, _)| id.clone()))]
    pub roles: BTreeMap<RoleId, Role>,
    #[cfg_attr(feature = "store", store(key: FeedbackId = |(id, _)| id.clone()))]
    pub feedback: BTreeMap<FeedbackId, Feedback>,
    /// The contact log.
    #[cfg_attr(feature = "store", store(key: TouchpointId = |(id, _)| id.clone()))]
    pub touchpoints: BTreeMap<TouchpointId, Touchpoint>,
    #[cfg_attr(feature = "store", store(key: ActivityId = |(id, _)| id.clone()))]
    pub activities: BTreeMap<ActivityId, Activity>,
    /// Training plans.
    #[cfg_attr(feature = "store", store(key: TrainingId = |(id, _)| id.clone()))]
    pub trainings: BTreeMap<TrainingId, Training>,
    /// The criteria by which key users are identified.
    #[cfg_attr(feature = "store", store(key: CriterionId = |(id, _)| id.clone()))]
    pub criteria: BTreeMap<CriterionId, Criterion>,
    /// Every placing of key users on the influence/interest grid.
    #[cfg_attr(feature = "store", store(key: PlacingId = |(id, _)| id.clone()))]
    pub placings: BTreeMap<PlacingId, Placing>,
    /// Key users' needs.
    #[cfg_attr(feature = "store", store(key: NeedId = |(id, _)| id.clone()))]
    pub needs: BTreeMap<NeedId, Need>,
    /// Key users' expectations.
    #[cfg_attr(feature = "store", store(key: ExpectationId = |(id, _)| id.clone()))]
    pub expectations: BTreeMap<ExpectationId, Expectation>,
    /// Key users' satisfaction readings.
    #[cfg_attr(feature = "store", store(key: ReadingId = |(id, _)| id.clone()))]
    pub readings: BTreeMap<ReadingId, Reading>,
    /// Applications to join.
    #[cfg_attr(feature = "store", store(key: ApplicationId = |(id, _)| id.clone()))]
    pub applications: BTreeMap<ApplicationId, Application>,
    /// The criteria applicants are screened against.
    #[cfg_attr(feature = "store", store(key: ScreeningId = |(id, _)| id.clone()))]
    pub screening: BTreeMap<ScreeningId, ScreeningCriterion>,
    /// Digests shared with the group.
    #[cfg_attr(feature = "store", store(key: DigestId = |(id, _)| id.clone()))]
    pub digests: BTreeMap<DigestId, crate::digest::Digest>,
    /// Pairs of members marked as different people (the smaller id first): not flagged as
    /// likely duplicates.
    pub distinct: BTreeSet<(MemberId, MemberId)>,
}

/// A new member as typed in the form, before validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDraft {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub wechat: String,
    pub other_contact: String,
    pub tags: Vec<String>,
    pub status: Option<MemberStatus>,
    pub source: String,
    pub joined: String,
    pub notes: String,
}

/// A new role as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDraft {
    pub name: String,
    pub responsibilities: String,
}

/// New feedback as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackDraft {
    pub member: Option<MemberId>,
    pub channel: String,
    pub category: String,
    /// The score as typed: empty, or 0 to 10.
    pub score: String,
    pub text: String,
    pub owner: String,
}

impl Group {
    /// Follows the document: replaces the records an update names.
    pub fn apply(&mut self, update: crate::Update) {
        let update = match update {
            crate::Update::Replace(group) => {
                *self = *group;
                return;
            }
            crate::Update::Records(update) => *update,
        };
        if let Some(profile) = update.profile {
            self.profile = profile;
        }
        for id in apply_changes(&mut self.members, update.members) {
            self.forget_member(&id);
        }
        replace_records(&mut self.roles, update.roles);
        apply_changes(&mut self.feedback, update.feedback);
        replace_records(&mut self.touchpoints, update.touchpoints);
        replace_records(&mut self.activities, update.activities);
        replace_records(&mut self.trainings, update.trainings);
        replace_records(&mut self.criteria, update.criteria);
        replace_records(&mut self.placings, update.placings);
        replace_records(&mut self.needs, update.needs);
        replace_records(&mut self.expectations, update.expectations);
        replace_records(&mut self.readings, update.readings);
        replace_records(&mut self.applications, update.applications);
        replace_records(&mut self.screening, update.screening);
        replace_records(&mut self.digests, update.digests);
        if let Some(distinct) = update.distinct {
            self.distinct = distinct;
        }
    }

    /// A copy without the large collections (members, feedback, activities), which a view
    /// sends in parts.
    pub fn without_large(&self) -> Group {
        Group {
            profile: self.profile.clone(),
            roles: self.roles.clone(),
            touchpoints: self.touchpoints.clone(),
            trainings: self.trainings.clone(),
            criteria: self.criteria.clone(),
            placings: self.placings.clone(),
            needs: self.needs.clone(),
            expectations: self.expectations.clone(),
            readings: self.readings.clone(),
            applications: self.applications.clone(),
            screening: self.screening.clone(),
            distinct: self.distinct.clone(),
            digests: self.digests.clone(),
            ..Group::default()
        }
    }

    /// Removes every reference to a removed member. Records re-read from the document
    /// already leave out removed members; this covers records the update did not re-read,
    /// such as a role assigned concurrently with the removal.
    fn forget_member(&mut self, id: &MemberId) {
        release_roles(&mut self.roles, id);
        unlink_feedback(&mut self.feedback, id);
        for criterion in self.criteria.values_mut() {
            criterion.scores.remove(id);
        }
        forget_records_of(&mut self.touchpoints, id);
        forget_records_of(&mut self.placings, id);
        forget_records_of(&mut self.needs, id);
        forget_records_of(&mut self.expectations, id);
        forget_records_of(&mut self.readings, id);
        forget_records_of(&mut self.applications, id);
        crate::recruitment::unlink_referrer(&mut self.applications, id);
        self.distinct.retain(|(a, b)| a != id && b != id);
    }

    /// Checks the rules every replica keeps after any merge; names the first one broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        for role in self.roles.values() {
            if let Some(holder) = role.holders.iter().find(|m| !self.members.contains_key(*m)) {
                return Err(format!(
                    "role {} is held by missing member {holder}",
                    role.id
                ));
            }
        }
        for item in self.feedback.values() {
            if let Some(member) = item
                .member
                .as_ref()
                .filter(|m| !self.members.contains_key(*m))
            {
                return Err(format!(
                    "feedback {} is from missing member {member}",
                    item.id
                ));
            }
            if item.score.is_some_and(|score| score > 10) {
                return Err(format!("feedback {} has score over 10", item.id));
            }
        }
        for touchpoint in self.touchpoints.values() {
            if !self.members.contains_key(&touchpoint.member) {
                return Err(format!(
                    "touchpoint {} is with missing member {}",
                    touchpoint.id, touchpoint.member
                ));
            }
        }
        for training in self.trainings.values() {
            let out_of_range = training.results.values().any(|r| {
                r.before.is_some_and(|s| s > 100)
                    || r.after.is_some_and(|s| s > 100)
                    || r.satisfaction.is_some_and(|s| !(1..=5).contains(&s))
            });
            if out_of_range {
                return Err(format!("training {} has a score out of range", training.id));
            }
        }
        let key_user_records = self
            .placings
            .values()
            .map(|p| (&p.member, "placing", p.id.as_str()))
            .chain(
                self.needs
                    .values()
                    .map(|n| (&n.member, "need", n.id.as_str())),
            )
            .chain(
                self.expectations
                    .values()
                    .map(|e| (&e.member, "expectation", e.id.as_str())),
            )
            .chain(
                self.readings
                    .values()
                    .map(|r| (&r.member, "reading", r.id.as_str())),
            )
            .chain(
                self.applications
                    .values()
                    .map(|a| (&a.member, "application", a.id.as_str())),
            )
            .chain(
                self.applications
                    .values()
                    .filter_map(|a| Some((a.referrer.as_ref()?, "referral", a.id.as_str()))),
            );
        for (member, kind, id) in key_user_records {
            if !self.members.contains_key(member) {
                return Err(format!("{kind} {id} is of missing member {member}"));
            }
        }
        let (low, high) = crate::key_users::GRID;
        if let Some(placing) = self
            .placings
            .values()
            .find(|p| !(low..=high).contains(&p.influence) || !(low..=high).contains(&p.interest))
        {
            return Err(format!("placing {} is off the grid", placing.id));
        }
        for criterion in self.criteria.values() {
            if criterion
                .scores
                .keys()
                .any(|m| !self.members.contains_key(m))
            {
                return Err(format!(
                    "criterion {} scores a missing member",
                    criterion.id
                ));
            }
            if criterion
                .scores
                .values()
                .any(|s| *s > crate::key_users::CRITERION_SCORE.1)
            {
                return Err(format!("criterion {} has a score over 5", criterion.id));
            }
        }
        for (id, member) in &self.members {
            if &member.id != id || member.history.is_empty() {
                return Err(format!("member {id} has a wrong id or no status history"));
            }
        }
        Ok(())
    }
}

/// A record about one member (a touchpoint, a key user's placing, need…), which goes when
/// the member is erased.
pub trait OfMember {
    fn member(&self) -> &MemberId;
}

macro_rules! of_member {
    ($($record:ty),+) => {
        $(impl OfMember for $record {
            fn member(&self) -> &MemberId {
                &self.member
            }
        })+
    };
}

of_member!(Touchpoint, Placing, Need, Expectation, Reading, Application);

fn forget_records_of<K: Ord, R: OfMember>(records: &mut BTreeMap<K, R>, member: &MemberId) {
    records.retain(|_, record| record.member() != member);
}

/// Replaces records read whole (`None`: the record is gone).
fn replace_records<K: Ord, R>(records: &mut BTreeMap<K, R>, updates: Vec<(K, Option<R>)>) {
    for (id, record) in updates {
        match record {
            Some(record) => records.insert(id, record),
            None => records.remove(&id),
        };
    }
}

/// Applies changes to a collection of records; returns the ids of those removed.
fn apply_changes<K: Ord, R: Record>(
    records: &mut BTreeMap<K, R>,
    changes: Vec<(K, RecordChange<R>)>,
) -> Vec<K> {
    let mut removed = Vec::new();
    for (id, change) in changes {
        match change {
            RecordChange::Whole(record) => {
                records.insert(id, *record);
            }
            RecordChange::Parts(parts) => {
                if let Some(record) = records.get_mut(&id) {
                    parts.into_iter().for_each(|part| record.set(part));
                }
            }
            RecordChange::Removed => {
                if records.remove(&id).is_some() {
                    removed.push(id);
                }
            }
        }
    }
    removed
}

/// Whether a role lists `member` as a holder.
pub fn holds_a_role(roles: &BTreeMap<RoleId, Role>, member: &MemberId) -> bool {
    roles.values().any(|role| role.holders.contains(member))
}

/// Removes `member` from every role's holders.
pub fn release_roles(roles: &mut BTreeMap<RoleId, Role>, member: &MemberId) {
    for role in roles.values_mut() {
        role.holders.remove(member);
    }
}

/// Whether feedback is linked to `member`.
pub fn gave_feedback(feedback: &BTreeMap<FeedbackId, Feedback>, member: &MemberId) -> bool {
    feedback
        .values()
        .any(|item| item.member.as_ref() == Some(member))
}

/// Unlinks `member` from the feedback they gave (it stays, as from someone unnamed).
pub fn unlink_feedback(feedback: &mut BTreeMap<FeedbackId, Feedback>, member: &MemberId) {
    for item in feedback.values_mut() {
        if item.member.as_ref() == Some(member) {
            item.member = None;
        }
    }
}
