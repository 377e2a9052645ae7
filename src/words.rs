//! What the model's values read as in the chosen language: fields, statuses, sync states and
//! every refusal or failure the worker can answer with. The model keeps English `Display`s for
//! logs and tests; screens show these. Each takes the locale, so a caller that reads it
//! through `i18n.get_locale()` follows a change of language.

use cohort_model::protocol::{Failure, StorageFailure, SyncState};
use cohort_model::{FeedbackStatus, Field, Invalid, MemberStatus, Problem};

use crate::i18n::{Locale, td_string};

/// A field's name, as its label reads.
pub fn field(locale: Locale, field: Field) -> &'static str {
    match field {
        Field::GroupName => td_string!(locale, field.group_name),
        Field::GroupDescription => td_string!(locale, field.group_description),
        Field::GroupPurpose => td_string!(locale, field.group_purpose),
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
        Field::Record => td_string!(locale, field.record),
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
    }
}
