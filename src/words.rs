//! What the model's values read as in the chosen language: fields, statuses, sync states and
//! every refusal or failure the worker can answer with. The model keeps English `Display`s for
//! logs and tests; screens show these. Each takes the locale, so a caller that reads it
//! through `i18n.get_locale()` follows a change of language.

use cohort_model::activity::Standing;
use cohort_model::key_users::{
    DecisionRole, ExpectationState, NeedSource, NeedStatus, Priority, Quadrant,
};
use cohort_model::protocol::{Failure, StorageFailure, SyncState};
use cohort_model::recruitment::{ApplicationChannel, CheckResult, Stage};
use cohort_model::sheet::{self, Column, MatchedOn, SheetError};
use cohort_model::{
    ActivityKind, ContactChannel, FeedbackStatus, Field, Invalid, Mark, MemberField, MemberStatus,
    Problem, Raci, TrainingFormat,
};

use crate::i18n::{Locale, td_string};

/// A field's name, as its label reads.
pub fn field(locale: Locale, field: Field) -> &'static str {
    match field {
        Field::GroupName => td_string!(locale, field.group_name),
        Field::GroupDescription => td_string!(locale, field.group_description),
        Field::GroupPurpose => td_string!(locale, field.group_purpose),
        Field::GroupRules => td_string!(locale, field.group_rules),
        Field::AnalyticsSetting => td_string!(locale, field.analytics_setting),
        Field::Name => td_string!(locale, field.name),
        Field::Email => td_string!(locale, field.email),
        Field::Phone => td_string!(locale, field.phone),
        Field::Wechat => td_string!(locale, field.wechat),
        Field::OtherContact => td_string!(locale, field.other_contact),
        Field::Tag => td_string!(locale, field.tag),
        Field::Status => td_string!(locale, field.status),
        Field::Source => td_string!(locale, field.source),
        Field::Joined => td_string!(locale, field.joined),
        Field::Notes => td_string!(locale, field.notes),
        Field::RoleName => td_string!(locale, field.role_name),
        Field::Responsibilities => td_string!(locale, field.responsibilities),
        Field::Holder => td_string!(locale, field.holder),
        Field::Member => td_string!(locale, field.member),
        Field::Channel => td_string!(locale, field.channel),
        Field::Category => td_string!(locale, field.category),
        Field::Score => td_string!(locale, field.score),
        Field::Text => td_string!(locale, field.text),
        Field::Owner => td_string!(locale, field.owner),
        Field::ContactedAt => td_string!(locale, field.contacted_at),
        Field::ContactedBy => td_string!(locale, field.contacted_by),
        Field::Summary => td_string!(locale, field.summary),
        Field::FollowUp => td_string!(locale, field.follow_up),
        Field::Due => td_string!(locale, field.due),
        Field::ActivityTitle => td_string!(locale, field.activity_title),
        Field::Starts => td_string!(locale, field.starts),
        Field::Ends => td_string!(locale, field.ends),
        Field::Place => td_string!(locale, field.place),
        Field::Link => td_string!(locale, field.link),
        Field::Organizer => td_string!(locale, field.organizer),
        Field::Description => td_string!(locale, field.description),
        Field::Invitee => td_string!(locale, field.invitee),
        Field::Attendance => td_string!(locale, field.attendance),
        Field::Duty => td_string!(locale, field.duty),
        Field::TrainingTitle => td_string!(locale, field.training_title),
        Field::Materials => td_string!(locale, field.materials),
        Field::Session => td_string!(locale, field.session),
        Field::Participant => td_string!(locale, field.participant),
        Field::ScoreBefore => td_string!(locale, field.score_before),
        Field::ScoreAfter => td_string!(locale, field.score_after),
        Field::Satisfaction => td_string!(locale, field.satisfaction),
        Field::CriterionName => td_string!(locale, field.criterion_name),
        Field::Weight => td_string!(locale, field.weight),
        Field::CriterionScore => td_string!(locale, field.criterion_score),
        Field::KeyReason => td_string!(locale, field.key_reason),
        Field::Influence => td_string!(locale, field.influence),
        Field::Interest => td_string!(locale, field.interest),
        Field::Cadence => td_string!(locale, field.cadence),
        Field::PreferredChannel => td_string!(locale, field.preferred_channel),
        Field::Incentives => td_string!(locale, field.incentives),
        Field::DecisionRole => td_string!(locale, field.decision_role),
        Field::Need => td_string!(locale, field.need),
        Field::Priority => td_string!(locale, field.priority),
        Field::NeedSource => td_string!(locale, field.need_source),
        Field::DeclineReason => td_string!(locale, field.decline_reason),
        Field::Expectation => td_string!(locale, field.expectation),
        Field::Explanation => td_string!(locale, field.explanation),
        Field::Reading => td_string!(locale, field.reading),
        Field::ScreeningCriterion => td_string!(locale, field.screening_criterion),
        Field::AppliedOn => td_string!(locale, field.applied_on),
        Field::Referrer => td_string!(locale, field.referrer),
        Field::Stage => td_string!(locale, field.stage),
        Field::StageReason => td_string!(locale, field.stage_reason),
        Field::Record => td_string!(locale, field.record),
    }
}

/// What an activity is.
pub fn activity_kind(locale: Locale, kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Discussion => td_string!(locale, activity_kind.discussion),
        ActivityKind::Sharing => td_string!(locale, activity_kind.sharing),
        ActivityKind::TeamEvent => td_string!(locale, activity_kind.team_event),
        ActivityKind::Training => td_string!(locale, activity_kind.training),
        ActivityKind::UserTest => td_string!(locale, activity_kind.user_test),
        ActivityKind::Review => td_string!(locale, activity_kind.review),
        ActivityKind::Interview => td_string!(locale, activity_kind.interview),
        ActivityKind::Other => td_string!(locale, activity_kind.other),
    }
}

/// Where a member stands for an activity.
pub fn standing(locale: Locale, standing: Standing) -> &'static str {
    match standing {
        Standing::Invited => td_string!(locale, standing.invited),
        Standing::Marked(Mark::Registered) => td_string!(locale, standing.registered),
        Standing::Marked(Mark::Attended) => td_string!(locale, standing.attended),
        Standing::Marked(Mark::Absent) => td_string!(locale, standing.absent),
        Standing::Marked(Mark::Excused) => td_string!(locale, standing.excused),
        Standing::WalkIn => td_string!(locale, standing.walk_in),
    }
}

/// A part in a duty (RACI).
pub fn raci(locale: Locale, part: Raci) -> &'static str {
    match part {
        Raci::Responsible => td_string!(locale, raci.responsible),
        Raci::Accountable => td_string!(locale, raci.accountable),
        Raci::Consulted => td_string!(locale, raci.consulted),
        Raci::Informed => td_string!(locale, raci.informed),
    }
}

/// How a training is given.
pub fn training_format(locale: Locale, format: TrainingFormat) -> &'static str {
    match format {
        TrainingFormat::InPerson => td_string!(locale, training_format.in_person),
        TrainingFormat::Online => td_string!(locale, training_format.online),
        TrainingFormat::SelfStudy => td_string!(locale, training_format.self_study),
    }
}

/// How an organizer was in touch.
pub fn contact_channel(locale: Locale, channel: ContactChannel) -> &'static str {
    match channel {
        ContactChannel::Wechat => td_string!(locale, contact_channel.wechat),
        ContactChannel::Qq => td_string!(locale, contact_channel.qq),
        ContactChannel::Phone => td_string!(locale, contact_channel.phone),
        ContactChannel::Email => td_string!(locale, contact_channel.email),
        ContactChannel::Meeting => td_string!(locale, contact_channel.meeting),
        ContactChannel::Other => td_string!(locale, contact_channel.other),
    }
}

/// A quadrant of the influence/interest grid.
pub fn quadrant(locale: Locale, quadrant: Quadrant) -> &'static str {
    match quadrant {
        Quadrant::ManageClosely => td_string!(locale, quadrant.manage_closely),
        Quadrant::KeepSatisfied => td_string!(locale, quadrant.keep_satisfied),
        Quadrant::KeepInformed => td_string!(locale, quadrant.keep_informed),
        Quadrant::Monitor => td_string!(locale, quadrant.monitor),
    }
}

/// Where an application stands.
pub fn stage(locale: Locale, stage: Stage) -> &'static str {
    match stage {
        Stage::Applied => td_string!(locale, stage.applied),
        Stage::Screening => td_string!(locale, stage.screening),
        Stage::Interview => td_string!(locale, stage.interview),
        Stage::Accepted => td_string!(locale, stage.accepted),
        Stage::Rejected => td_string!(locale, stage.rejected),
        Stage::Withdrawn => td_string!(locale, stage.withdrawn),
    }
}

/// How an applicant heard of the group.
pub fn application_channel(locale: Locale, channel: ApplicationChannel) -> &'static str {
    match channel {
        ApplicationChannel::Referral => td_string!(locale, application_channel.referral),
        ApplicationChannel::WechatGroup => td_string!(locale, application_channel.wechat_group),
        ApplicationChannel::SocialMedia => td_string!(locale, application_channel.social_media),
        ApplicationChannel::Event => td_string!(locale, application_channel.event),
        ApplicationChannel::Website => td_string!(locale, application_channel.website),
        ApplicationChannel::Other => td_string!(locale, application_channel.other),
    }
}

/// An applicant checked against a screening criterion.
pub fn check_result(locale: Locale, result: CheckResult) -> &'static str {
    match result {
        CheckResult::Meets => td_string!(locale, check_result.meets),
        CheckResult::Partly => td_string!(locale, check_result.partly),
        CheckResult::DoesNot => td_string!(locale, check_result.does_not),
    }
}

/// A key user's part in decisions.
pub fn decision_role(locale: Locale, role: DecisionRole) -> &'static str {
    match role {
        DecisionRole::Informed => td_string!(locale, decision_role.informed),
        DecisionRole::Consulted => td_string!(locale, decision_role.consulted),
        DecisionRole::Reviewer => td_string!(locale, decision_role.reviewer),
        DecisionRole::DecisionMaker => td_string!(locale, decision_role.decision_maker),
    }
}

/// A need's priority.
pub fn priority(locale: Locale, priority: Priority) -> &'static str {
    match priority {
        Priority::Must => td_string!(locale, priority.must),
        Priority::Should => td_string!(locale, priority.should),
        Priority::Could => td_string!(locale, priority.could),
    }
}

/// Where a need was heard.
pub fn need_source(locale: Locale, source: NeedSource) -> &'static str {
    match source {
        NeedSource::Interview => td_string!(locale, need_source.interview),
        NeedSource::Survey => td_string!(locale, need_source.survey),
        NeedSource::Feedback => td_string!(locale, need_source.feedback),
        NeedSource::Meeting => td_string!(locale, need_source.meeting),
    }
}

/// Where a need is on its way.
pub fn need_status(locale: Locale, status: NeedStatus) -> &'static str {
    match status {
        NeedStatus::Captured => td_string!(locale, need_status.captured),
        NeedStatus::Accepted => td_string!(locale, need_status.accepted),
        NeedStatus::Planned => td_string!(locale, need_status.planned),
        NeedStatus::Delivered => td_string!(locale, need_status.delivered),
        NeedStatus::Declined => td_string!(locale, need_status.declined),
    }
}

/// How an expectation is going.
pub fn expectation_state(locale: Locale, state: ExpectationState) -> &'static str {
    match state {
        ExpectationState::OnTrack => td_string!(locale, expectation_state.on_track),
        ExpectationState::AtRisk => td_string!(locale, expectation_state.at_risk),
        ExpectationState::Unmet => td_string!(locale, expectation_state.unmet),
        ExpectationState::Met => td_string!(locale, expectation_state.met),
    }
}

/// A member's status.
pub fn member_status(locale: Locale, status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Applicant => td_string!(locale, member_status.applicant),
        MemberStatus::Active => td_string!(locale, member_status.active),
        MemberStatus::Inactive => td_string!(locale, member_status.inactive),
        MemberStatus::Left => td_string!(locale, member_status.left),
    }
}

/// A feedback item's status.
pub fn feedback_status(locale: Locale, status: FeedbackStatus) -> &'static str {
    match status {
        FeedbackStatus::New => td_string!(locale, feedback_status.new),
        FeedbackStatus::Triaged => td_string!(locale, feedback_status.triaged),
        FeedbackStatus::InProgress => td_string!(locale, feedback_status.in_progress),
        FeedbackStatus::Resolved => td_string!(locale, feedback_status.resolved),
        FeedbackStatus::Declined => td_string!(locale, feedback_status.declined),
    }
}

/// Where a group stands with the relay.
pub fn sync_state(locale: Locale, state: SyncState) -> &'static str {
    match state {
        SyncState::Offline => td_string!(locale, sync_state.offline),
        SyncState::Connecting => td_string!(locale, sync_state.connecting),
        SyncState::Syncing => td_string!(locale, sync_state.syncing),
        SyncState::UpToDate => td_string!(locale, sync_state.up_to_date),
        SyncState::ServerHas => td_string!(locale, sync_state.server_has),
        SyncState::SignalOnly => td_string!(locale, sync_state.signal_only),
    }
}

/// How a direct connection to another browser stands.
pub fn direct_state(locale: Locale, state: SyncState) -> &'static str {
    match state {
        SyncState::Offline | SyncState::Connecting => td_string!(locale, direct_state.connecting),
        SyncState::Syncing | SyncState::SignalOnly => td_string!(locale, direct_state.syncing),
        SyncState::UpToDate | SyncState::ServerHas => td_string!(locale, direct_state.in_sync),
    }
}

/// A button's words for moving something to a status: "Mark active", "标记为活跃".
pub fn mark(locale: Locale, status: &str) -> String {
    // English writes the status in lower case mid-sentence; Chinese has no case.
    td_string!(locale, mark_status, status = status.to_lowercase())
}

/// Why a value was refused, naming its field.
pub fn invalid(locale: Locale, Invalid { field: f, problem }: &Invalid) -> String {
    let f = field(locale, *f);
    match problem {
        Problem::Empty => td_string!(locale, problem.empty, field = f),
        Problem::TooLong { max } => td_string!(locale, problem.too_long, field = f, max = max),
        Problem::NotEmail(value) => td_string!(locale, problem.not_email, field = f, value),
        Problem::NotPhone(value) => td_string!(locale, problem.not_phone, field = f, value),
        Problem::NotDate(value) => td_string!(locale, problem.not_date, field = f, value),
        Problem::ScoreOutOfRange => td_string!(locale, problem.score_out_of_range, field = f),
        Problem::OutOfRange { min, max } => {
            td_string!(
                locale,
                problem.out_of_range,
                field = f,
                min = min,
                max = max
            )
        }
        Problem::EndsBeforeStart => td_string!(locale, problem.ends_before_start, field = f),
        Problem::NotLink(value) => td_string!(locale, problem.not_link, field = f, value),
        Problem::UnknownMember => td_string!(locale, problem.unknown_member, field = f),
        Problem::UnknownRecord => td_string!(locale, problem.unknown_record, field = f),
        Problem::AlreadyExists => td_string!(locale, problem.already_exists, field = f),
        Problem::MemberMove { from, to } => td_string!(
            locale,
            problem.cannot_move,
            field = f,
            from = member_status(locale, *from),
            to = member_status(locale, *to)
        ),
        Problem::StageMove { from, to } => td_string!(
            locale,
            problem.cannot_move,
            field = f,
            from = stage(locale, *from),
            to = stage(locale, *to)
        ),
        Problem::FeedbackMove { from, to } => td_string!(
            locale,
            problem.cannot_move,
            field = f,
            from = feedback_status(locale, *from),
            to = feedback_status(locale, *to)
        ),
    }
}

/// Why a request failed, and what the organizer can do about it.
pub fn failure(locale: Locale, failure: &Failure) -> String {
    match failure {
        Failure::Invalid(refused) => invalid(locale, refused),
        Failure::Storage(storage) => match storage {
            StorageFailure::QuotaExceeded => td_string!(locale, failure.quota_exceeded).to_owned(),
            StorageFailure::Blocked => td_string!(locale, failure.blocked).to_owned(),
            StorageFailure::Unavailable(_) => td_string!(locale, failure.unavailable).to_owned(),
            StorageFailure::Failed(detail) => td_string!(locale, failure.failed, detail),
        },
        Failure::Document(detail) => td_string!(locale, failure.document, detail),
        Failure::NoGroupOpen => td_string!(locale, failure.no_group_open).to_owned(),
        Failure::UnknownGroup => td_string!(locale, failure.unknown_group).to_owned(),
        Failure::NotOnRelay => td_string!(locale, failure.not_on_relay).to_owned(),
        Failure::WorkerDown => td_string!(locale, shell.worker_down).to_owned(),
        Failure::Sheet(refused) => sheet_error(locale, refused),
        Failure::NotThisGroup => td_string!(locale, failure.not_this_group).to_owned(),
        Failure::NothingToUndo => td_string!(locale, failure.nothing_to_undo).to_owned(),
        Failure::ReadOnly => td_string!(locale, failure.read_only).to_owned(),
        Failure::NotOwner => td_string!(locale, failure.not_owner).to_owned(),
        Failure::RelayUnreachable => td_string!(locale, failure.relay_unreachable).to_owned(),
        Failure::RelayRefused(detail) => td_string!(locale, failure.relay_refused, detail),
        Failure::RelayWithoutAccess => td_string!(locale, failure.relay_without_access).to_owned(),
    }
}

/// Something the organizer must be told: a failure the worker answered with, or one the page
/// ran into itself. Kept as what happened, not as text, so it reads in whatever language is
/// chosen when it is shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Failure(Failure),
    /// A message from the worker could not be decoded.
    Garbled(String),
    /// `crypto.getRandomValues` failed, so no id could be made.
    NoRandom,
    /// A chosen file could not be read.
    FileUnreadable,
    /// Pairing with another device by code did not go ahead.
    Pairing(crate::pairing::Problem),
}

impl From<Failure> for Notice {
    fn from(failure: Failure) -> Self {
        Self::Failure(failure)
    }
}

/// A notice in the chosen language.
pub fn notice(locale: Locale, notice: &Notice) -> String {
    match notice {
        Notice::Failure(refused) => failure(locale, refused),
        Notice::Garbled(detail) => td_string!(locale, failure.garbled, detail),
        Notice::NoRandom => td_string!(locale, common.no_random).to_owned(),
        Notice::FileUnreadable => td_string!(locale, failure.file_unreadable).to_owned(),
        Notice::Pairing(problem) => crate::pairing::problem_text(locale, problem),
    }
}

/// A size in bytes as people read it: "50.0 MB".
fn megabytes(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// Why a file cannot be imported.
pub fn sheet_error(locale: Locale, error: &SheetError) -> String {
    match error {
        SheetError::Empty => td_string!(locale, failure.sheet_empty).to_owned(),
        SheetError::NotText => td_string!(locale, failure.sheet_not_text).to_owned(),
        SheetError::TooLarge { bytes } => td_string!(
            locale,
            failure.sheet_too_large,
            size = megabytes(*bytes),
            max = megabytes(sheet::MAX_BYTES)
        ),
        SheetError::TooManyRows => {
            td_string!(locale, failure.sheet_too_many_rows, max = sheet::MAX_ROWS)
        }
        SheetError::Malformed { row, reason } => {
            td_string!(locale, failure.sheet_malformed, row, reason)
        }
        SheetError::NotASpreadsheet(reason) => {
            td_string!(locale, failure.sheet_not_spreadsheet, reason)
        }
    }
}

/// What a spreadsheet column can fill, as the column menu names it.
pub fn column(locale: Locale, column: Column) -> &'static str {
    match column {
        Column::Text(member_field) => field(locale, member_field.into()),
        Column::Tags => td_string!(locale, field.tags),
        Column::Status => td_string!(locale, field.status),
    }
}

/// Every choice of the column menu, in the form's order.
pub const COLUMNS: [Column; 10] = [
    Column::Text(MemberField::Name),
    Column::Status,
    Column::Text(MemberField::Email),
    Column::Text(MemberField::Phone),
    Column::Text(MemberField::Wechat),
    Column::Text(MemberField::OtherContact),
    Column::Tags,
    Column::Text(MemberField::Source),
    Column::Text(MemberField::Joined),
    Column::Text(MemberField::Notes),
];

/// What a row matched an existing member on.
pub fn matched_on(locale: Locale, on: MatchedOn) -> &'static str {
    match on {
        MatchedOn::Phone => td_string!(locale, data.on_phone),
        MatchedOn::Email => td_string!(locale, data.on_email),
        MatchedOn::Wechat => td_string!(locale, data.on_wechat),
    }
}

/// The words of spreadsheets written and read in the chosen language: sheet names, column
/// headers (those the import recognises) and statuses; with this browser's time zone.
pub fn sheet_words(locale: Locale) -> sheet::Words {
    let mut words: std::collections::BTreeMap<String, String> = [
        ("members", td_string!(locale, sheet.members)),
        ("roles", td_string!(locale, sheet.roles)),
        ("feedback", td_string!(locale, sheet.feedback)),
        ("name", td_string!(locale, field.name)),
        ("status", td_string!(locale, field.status)),
        ("email", td_string!(locale, field.email)),
        ("phone", td_string!(locale, field.phone)),
        ("wechat", td_string!(locale, field.wechat)),
        ("other_contact", td_string!(locale, field.other_contact)),
        ("tags", td_string!(locale, field.tags)),
        ("source", td_string!(locale, field.source)),
        ("joined", td_string!(locale, field.joined)),
        ("notes", td_string!(locale, field.notes)),
        ("added", td_string!(locale, sheet.added)),
        ("role_name", td_string!(locale, sheet.role_name)),
        (
            "responsibilities",
            td_string!(locale, field.responsibilities),
        ),
        ("holders", td_string!(locale, sheet.holders)),
        ("received", td_string!(locale, sheet.received)),
        ("member", td_string!(locale, sheet.member)),
        ("channel", td_string!(locale, field.channel)),
        ("category", td_string!(locale, field.category)),
        ("score", td_string!(locale, field.score)),
        ("text", td_string!(locale, field.text)),
        ("owner", td_string!(locale, field.owner)),
        ("list_separator", td_string!(locale, common.list_separator)),
        ("attendance", td_string!(locale, field.attendance)),
        (
            "former_member",
            td_string!(locale, activities.former_member),
        ),
    ]
    .into_iter()
    .map(|(key, word)| (key.to_owned(), word.to_owned()))
    .collect();
    for status in MemberStatus::ALL {
        words.insert(
            format!("member_status.{}", status.key()),
            member_status(locale, status).to_owned(),
        );
    }
    for status in FeedbackStatus::ALL {
        words.insert(
            format!("feedback_status.{}", status.key()),
            feedback_status(locale, status).to_owned(),
        );
    }
    for part in Standing::ALL {
        words.insert(
            format!("standing.{}", part.key()),
            standing(locale, part).to_owned(),
        );
    }
    // getTimezoneOffset is minutes *behind* UTC: -480 in China.
    let behind = js_sys::Date::new_0().get_timezone_offset();
    sheet::Words {
        words,
        utc_offset_minutes: -(behind as i32),
    }
}
