//! What an organizer can do to a group: one [`Action`] per user action, applied by
//! [`crate::GroupDoc::apply`].

use serde::{Deserialize, Serialize};

use crate::key_users::{
    ExpectationDraft, ExpectationState, NeedDraft, NeedLink, NeedSource, NeedStatus, Priority,
    SatisfactionScale, StrategyField,
};
use crate::recruitment::{ApplicationChannel, ApplicationDraft, CheckResult, Stage};
use crate::validate::Field;
use crate::{
    ActivityDraft, ActivityField, ActivityId, ActivityKind, ApplicationId, ContactChannel,
    CriterionId, DutyId, ExpectationId, FeedbackDraft, FeedbackId, FeedbackStatus, Invitee, Mark,
    MemberDraft, MemberId, MemberStatus, Millis, NeedId, PlacingId, Raci, ReadingId, RoleDraft,
    RoleId, ScreeningId, TouchpointDraft, TouchpointField, TouchpointId, TrainingDraft,
    TrainingField, TrainingFormat, TrainingId, TrainingScore,
};

/// A text field of the group profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileField {
    Name,
    Description,
    Purpose,
    Rules,
}

/// A text field of a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MemberField {
    Name,
    Email,
    Phone,
    Wechat,
    OtherContact,
    Source,
    Joined,
    /// Collaborative text: concurrent typing merges.
    Notes,
}

/// A text field of a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleField {
    Name,
    /// Collaborative text.
    Responsibilities,
}

/// A text field of a piece of feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FeedbackField {
    Channel,
    Category,
    Owner,
    /// Collaborative text.
    Text,
}

impl From<ProfileField> for Field {
    fn from(field: ProfileField) -> Self {
        match field {
            ProfileField::Name => Field::GroupName,
            ProfileField::Description => Field::GroupDescription,
            ProfileField::Purpose => Field::GroupPurpose,
            ProfileField::Rules => Field::GroupRules,
        }
    }
}

impl From<MemberField> for Field {
    fn from(field: MemberField) -> Self {
        match field {
            MemberField::Name => Field::Name,
            MemberField::Email => Field::Email,
            MemberField::Phone => Field::Phone,
            MemberField::Wechat => Field::Wechat,
            MemberField::OtherContact => Field::OtherContact,
            MemberField::Source => Field::Source,
            MemberField::Joined => Field::Joined,
            MemberField::Notes => Field::Notes,
        }
    }
}

impl From<RoleField> for Field {
    fn from(field: RoleField) -> Self {
        match field {
            RoleField::Name => Field::RoleName,
            RoleField::Responsibilities => Field::Responsibilities,
        }
    }
}

impl From<FeedbackField> for Field {
    fn from(field: FeedbackField) -> Self {
        match field {
            FeedbackField::Channel => Field::Channel,
            FeedbackField::Category => Field::Category,
            FeedbackField::Owner => Field::Owner,
            FeedbackField::Text => Field::Text,
        }
    }
}

/// One thing an organizer does. Times come from the caller, so applying is deterministic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    SetProfile {
        field: ProfileField,
        value: String,
    },
    /// Sets a setting of the group's figures as typed; empty takes the default.
    SetAnalyticsSetting {
        setting: crate::analytics::Setting,
        value: String,
    },
    AddMember {
        id: MemberId,
        draft: MemberDraft,
        at: Millis,
    },
    SetMember {
        id: MemberId,
        field: MemberField,
        value: String,
    },
    SetMemberStatus {
        id: MemberId,
        status: MemberStatus,
        at: Millis,
    },
    TagMember {
        id: MemberId,
        tag: String,
    },
    UntagMember {
        id: MemberId,
        tag: String,
    },
    /// Erases the member; takes them off every role and makes their feedback anonymous.
    RemoveMember {
        id: MemberId,
    },
    /// Makes two records of one person one: `survivor` takes the fields in `take` (and the
    /// status, with `take_status`) from `merged`, both one's tags and notes, and every
    /// reference to `merged`, in one change.
    MergeMembers {
        survivor: MemberId,
        merged: MemberId,
        take: std::collections::BTreeSet<MemberField>,
        take_status: bool,
        at: Millis,
    },
    /// Marks two members as different people: no longer flagged as likely duplicates.
    MarkNotDuplicates {
        first: MemberId,
        second: MemberId,
    },
    /// Records a digest shared with the group: its period, what it held (see
    /// [`crate::digest::DigestDraft::items`]), who shared it and when.
    RecordDigest {
        id: crate::DigestId,
        from: Millis,
        to: Millis,
        items: Vec<String>,
        by: String,
        at: Millis,
    },
    AddRole {
        id: RoleId,
        draft: RoleDraft,
    },
    SetRole {
        id: RoleId,
        field: RoleField,
        value: String,
    },
    AssignRole {
        role: RoleId,
        member: MemberId,
    },
    UnassignRole {
        role: RoleId,
        member: MemberId,
    },
    RemoveRole {
        id: RoleId,
    },
    AddFeedback {
        id: FeedbackId,
        draft: FeedbackDraft,
        at: Millis,
    },
    SetFeedback {
        id: FeedbackId,
        field: FeedbackField,
        value: String,
    },
    /// Sets the score as typed: empty for none, or 0 to 10.
    SetFeedbackScore {
        id: FeedbackId,
        score: String,
    },
    SetFeedbackMember {
        id: FeedbackId,
        member: Option<MemberId>,
    },
    SetFeedbackStatus {
        id: FeedbackId,
        status: FeedbackStatus,
        at: Millis,
    },
    RemoveFeedback {
        id: FeedbackId,
    },
    /// Writes down a contact with a member (the contact log), with any follow-up promised.
    LogTouchpoint {
        id: TouchpointId,
        draft: TouchpointDraft,
        at: Millis,
    },
    SetTouchpoint {
        id: TouchpointId,
        field: TouchpointField,
        value: String,
    },
    SetTouchpointChannel {
        id: TouchpointId,
        channel: ContactChannel,
    },
    /// Marks the follow-up done at `done_at`, or open again (`None`).
    SetFollowUpDone {
        id: TouchpointId,
        done_at: Option<Millis>,
    },
    RemoveTouchpoint {
        id: TouchpointId,
    },
    AddActivity {
        id: ActivityId,
        draft: ActivityDraft,
        at: Millis,
    },
    SetActivity {
        id: ActivityId,
        field: ActivityField,
        value: String,
    },
    SetActivityKind {
        id: ActivityId,
        kind: ActivityKind,
    },
    SetActivityTime {
        id: ActivityId,
        starts_at: Millis,
        ends_at: Millis,
    },
    SetActivityOrganizer {
        id: ActivityId,
        organizer: Option<MemberId>,
    },
    Invite {
        id: ActivityId,
        invitee: Invitee,
    },
    Uninvite {
        id: ActivityId,
        invitee: Invitee,
    },
    /// Marks a member's attendance, or clears the mark (`None`: invited again, or not there).
    MarkAttendance {
        id: ActivityId,
        member: MemberId,
        mark: Option<Mark>,
    },
    RemoveActivity {
        id: ActivityId,
    },
    /// Adds a temporary duty to an activity (check-in desk, host, note taker).
    AddDuty {
        activity: ActivityId,
        id: DutyId,
        title: String,
    },
    SetDutyTitle {
        activity: ActivityId,
        id: DutyId,
        title: String,
    },
    /// Gives `member` a part in the duty, or takes theirs away (`None`).
    AssignDuty {
        activity: ActivityId,
        id: DutyId,
        member: MemberId,
        part: Option<Raci>,
    },
    RemoveDuty {
        activity: ActivityId,
        id: DutyId,
    },
    AddTraining {
        id: TrainingId,
        draft: TrainingDraft,
        at: Millis,
    },
    SetTraining {
        id: TrainingId,
        field: TrainingField,
        value: String,
    },
    SetTrainingFormat {
        id: TrainingId,
        format: TrainingFormat,
    },
    /// Makes an activity one of the training's sessions, or no longer (`included` false).
    SetTrainingSession {
        id: TrainingId,
        activity: ActivityId,
        included: bool,
    },
    /// Adds members, a role or a tag to whom the training is for, or takes them off.
    SetTrainingAudience {
        id: TrainingId,
        invitee: Invitee,
        included: bool,
    },
    /// Marks a participant as having completed the training at `completed_at`, or not (`None`).
    SetTrainingCompleted {
        id: TrainingId,
        member: MemberId,
        completed_at: Option<Millis>,
    },
    /// Sets a participant's score as typed: empty for none, else within the score's range.
    SetTrainingScore {
        id: TrainingId,
        member: MemberId,
        score: TrainingScore,
        value: String,
    },
    RemoveTraining {
        id: TrainingId,
    },
    /// Something done about key users.
    KeyUsers(KeyUserAction),
    /// Something done in recruitment.
    Recruitment(RecruitmentAction),
}

/// What an organizer does in recruitment (see [`crate::recruitment`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecruitmentAction {
    /// Adds a criterion applicants are screened against.
    AddCriterion {
        id: ScreeningId,
        name: String,
        at: Millis,
    },
    RenameCriterion {
        id: ScreeningId,
        name: String,
    },
    /// Removes a criterion; checks against it stay in applications, uncounted.
    RemoveCriterion {
        id: ScreeningId,
    },
    /// Records an application by `member`. With `applicant`, the person is added as a member
    /// (an applicant) in the same change.
    Apply {
        id: ApplicationId,
        member: MemberId,
        applicant: Option<Box<MemberDraft>>,
        draft: ApplicationDraft,
        at: Millis,
    },
    /// Sets how the applicant came, and who referred them for a referral.
    SetChannel {
        id: ApplicationId,
        channel: ApplicationChannel,
        referrer: Option<MemberId>,
    },
    /// Sets the day they applied, `YYYY-MM-DD`.
    SetAppliedOn {
        id: ApplicationId,
        applied_on: String,
    },
    SetNotes {
        id: ApplicationId,
        notes: String,
    },
    /// Moves an application to another stage, and the applicant's status where the move
    /// changes it; rejecting needs the reason given.
    Move {
        id: ApplicationId,
        stage: Stage,
        reason: String,
        at: Millis,
    },
    /// Checks the applicant against a criterion, or clears the check (`result` none).
    Check {
        id: ApplicationId,
        criterion: ScreeningId,
        result: Option<CheckResult>,
        note: String,
    },
    RemoveApplication {
        id: ApplicationId,
    },
}

/// What an organizer does about key users (see [`crate::key_users`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyUserAction {
    /// Adds a criterion by which key users are identified; the weight as typed (1 to 10).
    AddCriterion {
        id: CriterionId,
        name: String,
        weight: String,
        at: Millis,
    },
    SetCriterionName {
        id: CriterionId,
        name: String,
    },
    SetCriterionWeight {
        id: CriterionId,
        weight: String,
    },
    /// Removes a criterion with every member's score on it.
    RemoveCriterion {
        id: CriterionId,
    },
    /// Scores a member on a criterion as typed: empty for none, else 0 to 5.
    ScoreCriterion {
        id: CriterionId,
        member: MemberId,
        score: String,
    },
    /// Makes a member a key user (`key`), or no longer; records why, who and when.
    DecideKeyUser {
        member: MemberId,
        key: bool,
        reason: String,
        by: String,
        at: Millis,
    },
    /// Places a key user on the influence/interest grid (1 to 5 each); earlier placings are
    /// kept as their history.
    PlaceKeyUser {
        id: PlacingId,
        member: MemberId,
        influence: u8,
        interest: u8,
        by: String,
        at: Millis,
    },
    /// Sets a field of a key user's strategy as typed; empty takes the quadrant's default.
    SetStrategy {
        member: MemberId,
        field: StrategyField,
        value: String,
    },
    AddNeed {
        id: NeedId,
        draft: NeedDraft,
        at: Millis,
    },
    SetNeedStatement {
        id: NeedId,
        statement: String,
    },
    SetNeedPriority {
        id: NeedId,
        priority: Priority,
    },
    SetNeedSource {
        id: NeedId,
        source: NeedSource,
    },
    /// Moves a need on; declining it needs the reason given.
    SetNeedStatus {
        id: NeedId,
        status: NeedStatus,
        reason: String,
        at: Millis,
    },
    /// Links a need to a feedback item or an activity, or unlinks it (`included` false).
    LinkNeed {
        id: NeedId,
        link: NeedLink,
        included: bool,
    },
    RemoveNeed {
        id: NeedId,
    },
    AddExpectation {
        id: ExpectationId,
        draft: ExpectationDraft,
        at: Millis,
    },
    SetExpectationText {
        id: ExpectationId,
        text: String,
    },
    /// Sets by when, `YYYY-MM-DD` or empty.
    SetExpectationDue {
        id: ExpectationId,
        due: String,
    },
    /// Agrees to an expectation, declines it (with the explanation given), or neither yet.
    SetExpectationAgreed {
        id: ExpectationId,
        agreed: Option<bool>,
        explanation: String,
    },
    /// Moves an expectation on; missing it (unmet) needs the explanation given.
    SetExpectationState {
        id: ExpectationId,
        state: ExpectationState,
        explanation: String,
    },
    RemoveExpectation {
        id: ExpectationId,
    },
    /// Records a key user's satisfaction, the value as typed on its scale.
    RecordSatisfaction {
        id: ReadingId,
        member: MemberId,
        value: String,
        scale: SatisfactionScale,
        source: String,
        at: Millis,
    },
    RemoveReading {
        id: ReadingId,
    },
}

impl From<TouchpointField> for Field {
    fn from(field: TouchpointField) -> Self {
        match field {
            TouchpointField::Summary => Field::Summary,
            TouchpointField::By => Field::ContactedBy,
            TouchpointField::FollowUp => Field::FollowUp,
            TouchpointField::Due => Field::Due,
        }
    }
}

impl From<ActivityField> for Field {
    fn from(field: ActivityField) -> Self {
        match field {
            ActivityField::Title => Field::ActivityTitle,
            ActivityField::Place => Field::Place,
            ActivityField::Link => Field::Link,
            ActivityField::Description => Field::Description,
        }
    }
}

impl From<TrainingField> for Field {
    fn from(field: TrainingField) -> Self {
        match field {
            TrainingField::Title => Field::TrainingTitle,
            TrainingField::Materials => Field::Materials,
        }
    }
}

impl From<TrainingScore> for Field {
    fn from(score: TrainingScore) -> Self {
        match score {
            TrainingScore::Before => Field::ScoreBefore,
            TrainingScore::After => Field::ScoreAfter,
            TrainingScore::Satisfaction => Field::Satisfaction,
        }
    }
}
