//! The contact log: each touchpoint an organizer had with a member, and the follow-ups
//! promised in them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Group, MemberId, Millis, TouchpointId};

/// How an organizer was in touch with a member.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum ContactChannel {
    #[default]
    Wechat,
    Qq,
    Phone,
    Email,
    Meeting,
    Other,
}

impl ContactChannel {
    pub const ALL: [Self; 6] = [
        Self::Wechat,
        Self::Qq,
        Self::Phone,
        Self::Email,
        Self::Meeting,
        Self::Other,
    ];

    /// The value written in the document.
    pub fn key(self) -> &'static str {
        match self {
            Self::Wechat => "wechat",
            Self::Qq => "qq",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Meeting => "meeting",
            Self::Other => "other",
        }
    }

    /// The channel a document value names; one this version does not know reads as other.
    pub fn from_key(key: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|channel| channel.key() == key)
            .unwrap_or(Self::Other)
    }
}

/// One contact with a member, and what was promised in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touchpoint {
    pub id: TouchpointId,
    pub member: MemberId,
    /// When the contact was.
    pub at: Millis,
    pub channel: ContactChannel,
    /// The organizer who was in touch (their display name).
    pub by: String,
    pub summary: String,
    /// What was promised, or empty when nothing was.
    pub follow_up: String,
    /// The day it is due, `YYYY-MM-DD`, or empty.
    pub due: String,
    /// When the follow-up was marked done.
    pub done_at: Option<Millis>,
    /// When it was written down.
    pub logged_at: Millis,
}

impl Touchpoint {
    /// Whether a follow-up was promised and is not done yet.
    pub fn follow_up_open(&self) -> bool {
        !self.follow_up.is_empty() && self.done_at.is_none()
    }
}

/// A new touchpoint as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouchpointDraft {
    pub member: Option<MemberId>,
    pub at: Millis,
    pub channel: ContactChannel,
    pub by: String,
    pub summary: String,
    pub follow_up: String,
    pub due: String,
}

/// A text field of a touchpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TouchpointField {
    Summary,
    By,
    FollowUp,
    Due,
}

/// The open follow-ups, by when they are due against `today`, each list soonest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FollowUps<'a> {
    pub overdue: Vec<&'a Touchpoint>,
    pub today: Vec<&'a Touchpoint>,
    pub upcoming: Vec<&'a Touchpoint>,
    /// Promised with no day set.
    pub undated: Vec<&'a Touchpoint>,
}

/// The group's open follow-ups; `today` is the organizer's local day, `YYYY-MM-DD` (such dates
/// compare as strings).
pub fn follow_ups<'a>(group: &'a Group, today: &str) -> FollowUps<'a> {
    let mut lists = FollowUps::default();
    for touchpoint in group.touchpoints.values().filter(|t| t.follow_up_open()) {
        let list = match touchpoint.due.as_str() {
            "" => &mut lists.undated,
            due if due < today => &mut lists.overdue,
            due if due == today => &mut lists.today,
            _ => &mut lists.upcoming,
        };
        list.push(touchpoint);
    }
    let by_due =
        |a: &&Touchpoint, b: &&Touchpoint| (&a.due, a.at, &a.id).cmp(&(&b.due, b.at, &b.id));
    lists.overdue.sort_by(by_due);
    lists.today.sort_by(by_due);
    lists.upcoming.sort_by(by_due);
    lists.undated.sort_by(by_due);
    lists
}

/// A member's touchpoints, newest first.
pub fn contact_log<'a>(group: &'a Group, member: &MemberId) -> Vec<&'a Touchpoint> {
    let mut log: Vec<_> = group
        .touchpoints
        .values()
        .filter(|t| &t.member == member)
        .collect();
    log.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
    log
}

/// When each member was last contacted (members never contacted are not in it).
pub fn last_contacts(group: &Group) -> HashMap<MemberId, Millis> {
    let mut last = HashMap::new();
    for touchpoint in group.touchpoints.values() {
        last.entry(touchpoint.member.clone())
            .and_modify(|at: &mut Millis| *at = (*at).max(touchpoint.at))
            .or_insert(touchpoint.at);
    }
    last
}
