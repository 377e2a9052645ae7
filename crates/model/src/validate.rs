//! Rules for what an organizer may write. A refused action names the field and writes nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{FeedbackStatus, MemberStatus};

/// A field of a form, named in error messages and used to place them next to the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    GroupName,
    GroupDescription,
    GroupPurpose,
    GroupRules,
    /// A setting of the group's figures.
    AnalyticsSetting,
    Name,
    Email,
    Phone,
    Wechat,
    OtherContact,
    Tag,
    Status,
    Source,
    Joined,
    Notes,
    RoleName,
    Responsibilities,
    Holder,
    Member,
    Channel,
    Category,
    Score,
    Text,
    Owner,
    /// When a contact with a member was.
    ContactedAt,
    ContactedBy,
    Summary,
    FollowUp,
    Due,
    ActivityTitle,
    Starts,
    Ends,
    Place,
    /// An online meeting's link.
    Link,
    Organizer,
    /// An activity's description.
    Description,
    Invitee,
    Attendance,
    /// A duty of an activity.
    Duty,
    TrainingTitle,
    Materials,
    /// A training's session (an activity).
    Session,
    Participant,
    ScoreBefore,
    ScoreAfter,
    Satisfaction,
    CriterionName,
    Weight,
    /// A member's score on a criterion.
    CriterionScore,
    /// Why a member is, or is no longer, a key user.
    KeyReason,
    Influence,
    Interest,
    Cadence,
    PreferredChannel,
    Incentives,
    DecisionRole,
    Need,
    Priority,
    NeedSource,
    /// Why a need was declined.
    DeclineReason,
    Expectation,
    /// What the key user was told when an expectation was declined or missed.
    Explanation,
    Reading,
    /// A criterion applicants are screened against.
    ScreeningCriterion,
    /// The day an applicant applied.
    AppliedOn,
    /// Who referred an applicant.
    Referrer,
    /// An application's stage.
    Stage,
    /// Why an application was rejected or withdrawn.
    StageReason,
    /// The record an action is about (a member, role or feedback that may have been removed).
    Record,
}

impl Field {
    /// The label an organizer reads next to the input.
    pub fn label(self) -> &'static str {
        match self {
            Self::GroupName => "Group name",
            Self::GroupDescription => "Description",
            Self::GroupPurpose => "Purpose",
            Self::GroupRules => "Rules",
            Self::AnalyticsSetting => "Setting",
            Self::Name => "Name",
            Self::Email => "Email",
            Self::Phone => "Phone",
            Self::Wechat => "WeChat ID",
            Self::OtherContact => "Other contact",
            Self::Tag => "Tag",
            Self::Status => "Status",
            Self::Source => "Source channel",
            Self::Joined => "Joined",
            Self::Notes => "Notes",
            Self::RoleName => "Role name",
            Self::Responsibilities => "Responsibilities",
            Self::Holder => "Holder",
            Self::Member => "Member",
            Self::Channel => "Channel",
            Self::Category => "Category",
            Self::Score => "Score",
            Self::Text => "Feedback",
            Self::Owner => "Owner",
            Self::ContactedAt => "When",
            Self::ContactedBy => "By",
            Self::Summary => "Summary",
            Self::FollowUp => "Follow-up",
            Self::Due => "Due",
            Self::ActivityTitle => "Title",
            Self::Starts => "Starts",
            Self::Ends => "Ends",
            Self::Place => "Place",
            Self::Link => "Online link",
            Self::Organizer => "Organizer",
            Self::Description => "Description",
            Self::Invitee => "Invitee",
            Self::Attendance => "Attendance",
            Self::Duty => "Duty",
            Self::TrainingTitle => "Title",
            Self::Materials => "Materials",
            Self::Session => "Session",
            Self::Participant => "Participant",
            Self::ScoreBefore => "Score before",
            Self::ScoreAfter => "Score after",
            Self::Satisfaction => "Satisfaction",
            Self::CriterionName => "Criterion",
            Self::Weight => "Weight",
            Self::CriterionScore => "Score",
            Self::KeyReason => "Why",
            Self::Influence => "Influence",
            Self::Interest => "Interest",
            Self::Cadence => "Contact every (days)",
            Self::PreferredChannel => "Preferred channel",
            Self::Incentives => "Incentives",
            Self::DecisionRole => "Role in decisions",
            Self::Need => "Need",
            Self::Priority => "Priority",
            Self::NeedSource => "Source",
            Self::DeclineReason => "Reason",
            Self::Expectation => "Expectation",
            Self::Explanation => "Explanation given",
            Self::Reading => "Satisfaction",
            Self::ScreeningCriterion => "Screening criterion",
            Self::AppliedOn => "Applied on",
            Self::Referrer => "Referred by",
            Self::Stage => "Stage",
            Self::StageReason => "Reason",
            Self::Record => "Record",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What is wrong with a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Problem {
    #[error("is required")]
    Empty,
    #[error("is longer than {max} characters")]
    TooLong { max: usize },
    #[error("“{0}” is not an email address (like name@example.org)")]
    NotEmail(String),
    #[error("“{0}” is not a phone number (digits, spaces, + - ( ) only, 5 to 20 digits)")]
    NotPhone(String),
    #[error("“{0}” is not a date (YYYY-MM-DD)")]
    NotDate(String),
    #[error("must be a whole number from 0 to 10")]
    ScoreOutOfRange,
    #[error("must be a whole number from {min} to {max}")]
    OutOfRange { min: u16, max: u16 },
    #[error("is before the start")]
    EndsBeforeStart,
    #[error("“{0}” is not a web link (https://…)")]
    NotLink(String),
    #[error("refers to a member who is not in this group (removed by someone else?)")]
    UnknownMember,
    #[error("no longer exists (removed by someone else?)")]
    UnknownRecord,
    #[error("already exists")]
    AlreadyExists,
    #[error("cannot change from {from} to {to}")]
    MemberMove {
        from: MemberStatus,
        to: MemberStatus,
    },
    #[error("cannot move from {} to {}", from.key(), to.key())]
    StageMove {
        from: crate::recruitment::Stage,
        to: crate::recruitment::Stage,
    },
    #[error("cannot change from {from} to {to}")]
    FeedbackMove {
        from: FeedbackStatus,
        to: FeedbackStatus,
    },
}

/// A refused action: which field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {problem}")]
pub struct Invalid {
    pub field: Field,
    pub problem: Problem,
}

impl Invalid {
    pub fn new(field: Field, problem: Problem) -> Self {
        Self { field, problem }
    }
}

/// The longest names (group, member, role, tag, owner).
pub const MAX_NAME: usize = 200;
/// The longest one-line values (contacts, channel, category, source).
pub const MAX_LINE: usize = 500;
/// The longest free texts (notes, responsibilities, feedback, descriptions).
pub const MAX_TEXT: usize = 100_000;

fn within(field: Field, value: &str, max: usize) -> Result<(), Invalid> {
    if value.chars().count() > max {
        return Err(Invalid::new(field, Problem::TooLong { max }));
    }
    Ok(())
}

/// A name that must be there: trimmed, not empty, at most [`MAX_NAME`] characters.
pub fn required_name(field: Field, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, Problem::Empty));
    }
    within(field, value, MAX_NAME)?;
    Ok(value.to_owned())
}

/// A one-line value that must be there: trimmed, not empty, at most [`MAX_LINE`] characters.
pub fn required_line(field: Field, value: &str) -> Result<String, Invalid> {
    let value = line(field, value)?;
    if value.is_empty() {
        return Err(Invalid::new(field, Problem::Empty));
    }
    Ok(value)
}

/// An optional one-line value, trimmed.
pub fn line(field: Field, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    within(field, value, MAX_LINE)?;
    Ok(value.to_owned())
}

/// A free text, kept as typed.
pub fn text(field: Field, value: &str) -> Result<String, Invalid> {
    within(field, value, MAX_TEXT)?;
    Ok(value.to_owned())
}

/// An optional email address: one `@`, something before it, a dotted domain after it.
pub fn email(value: &str) -> Result<String, Invalid> {
    let value = line(Field::Email, value)?;
    if value.is_empty() {
        return Ok(value);
    }
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !valid {
        return Err(Invalid::new(Field::Email, Problem::NotEmail(value)));
    }
    Ok(value)
}

/// An optional phone number: digits with the usual separators, 5 to 20 digits.
pub fn phone(value: &str) -> Result<String, Invalid> {
    let value = line(Field::Phone, value)?;
    if value.is_empty() {
        return Ok(value);
    }
    let allowed = value
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (c == '+' && i == 0));
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if !allowed || !(5..=20).contains(&digits) {
        return Err(Invalid::new(Field::Phone, Problem::NotPhone(value)));
    }
    Ok(value)
}

/// An optional calendar date, `YYYY-MM-DD`.
pub fn date(field: Field, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let not_date = || Invalid::new(field, Problem::NotDate(value.to_owned()));
    let parts: Vec<&str> = value.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(not_date());
    };
    let number = |part: &str, len: usize| -> Option<u32> {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(year, 4), number(month, 2), number(day, 2))
    else {
        return Err(not_date());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(not_date()),
    };
    if day == 0 || day > days_in_month {
        return Err(not_date());
    }
    Ok(value.to_owned())
}

/// An optional tag: trimmed, lowercased so that “Mentor” and “mentor” are one tag.
pub fn tag(value: &str) -> Result<String, Invalid> {
    let value = value.trim().to_lowercase();
    if value.is_empty() {
        return Err(Invalid::new(Field::Tag, Problem::Empty));
    }
    within(Field::Tag, &value, MAX_NAME)?;
    Ok(value)
}

/// An optional score from 0 to 10, as typed in a form (empty means no score).
pub fn score(value: &str) -> Result<Option<u8>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u8>() {
        Ok(score) if score <= 10 => Ok(Some(score)),
        _ => Err(Invalid::new(Field::Score, Problem::ScoreOutOfRange)),
    }
}

/// An optional whole number from `min` to `max`, as typed in a form (empty means none).
pub fn number_in(field: Field, value: &str, min: u8, max: u8) -> Result<Option<u8>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u8>() {
        Ok(number) if (min..=max).contains(&number) => Ok(Some(number)),
        _ => Err(Invalid::new(
            field,
            Problem::OutOfRange {
                min: min.into(),
                max: max.into(),
            },
        )),
    }
}

/// An optional whole number of days from `min` to `max`, as typed (empty means none).
pub fn days_in(field: Field, value: &str, min: u16, max: u16) -> Result<Option<u16>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u16>() {
        Ok(days) if (min..=max).contains(&days) => Ok(Some(days)),
        _ => Err(Invalid::new(field, Problem::OutOfRange { min, max })),
    }
}

/// An optional web link (an online meeting's): `http://` or `https://`, no spaces.
pub fn link(field: Field, value: &str) -> Result<String, Invalid> {
    let value = line(field, value)?;
    let lower = value.to_lowercase();
    let has_scheme = ["https://", "http://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
    if value.is_empty() || (has_scheme && !value.contains(char::is_whitespace)) {
        Ok(value)
    } else {
        Err(Invalid::new(field, Problem::NotLink(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(required_name(Field::Name, "  Ada  ").unwrap(), "Ada");
        let error = required_name(Field::Name, "   ").unwrap_err();
        assert_eq!(error, Invalid::new(Field::Name, Problem::Empty));
        assert_eq!(error.to_string(), "Name: is required");
        assert!(required_name(Field::Name, &"a".repeat(201)).is_err());
    }

    #[test]
    fn emails() {
        for good in ["", "ada@example.org", "a.b+c@mail.example.co.uk"] {
            assert!(email(good).is_ok(), "{good}");
        }
        for bad in [
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@c.d",
            "a@b@c.d",
            "a@.c",
        ] {
            let error = email(bad).unwrap_err();
            assert_eq!(error.field, Field::Email, "{bad}");
        }
        assert!(
            email("ada@example")
                .unwrap_err()
                .to_string()
                .starts_with("Email: “ada@example” is not an email address")
        );
    }

    #[test]
    fn phones() {
        for good in ["", "+86 138 0013 8000", "(020) 7946-0958", "12345"] {
            assert!(phone(good).is_ok(), "{good}");
        }
        for bad in [
            "1234",
            "call me",
            "12+345678",
            "+1 555 CALL NOW",
            &"1".repeat(21),
        ] {
            assert_eq!(phone(bad).unwrap_err().field, Field::Phone, "{bad}");
        }
    }

    #[test]
    fn dates() {
        for good in ["", "2024-02-29", "2026-11-23"] {
            assert!(date(Field::Joined, good).is_ok(), "{good}");
        }
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-1",
            "23/11/2026",
            "2026-11-00",
        ] {
            assert!(date(Field::Joined, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scores() {
        assert_eq!(score("").unwrap(), None);
        assert_eq!(score(" 7 ").unwrap(), Some(7));
        assert_eq!(score("10").unwrap(), Some(10));
        for bad in ["11", "-1", "7.5", "ten", "256"] {
            let error = score(bad).unwrap_err();
            assert_eq!(
                error,
                Invalid::new(Field::Score, Problem::ScoreOutOfRange),
                "{bad}"
            );
        }
    }

    #[test]
    fn tags_are_lowercased_and_required() {
        assert_eq!(tag(" Mentor ").unwrap(), "mentor");
        assert!(tag(" ").is_err());
    }
}
