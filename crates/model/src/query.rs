//! Searching, filtering and sorting the group for the screens, and the gaps organizers look
//! for (members without a role, roles without a holder).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{Feedback, FeedbackStatus, Group, Member, MemberId, MemberStatus, Role, RoleId};

/// Which roles a member must hold to be listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleFilter {
    Holds(RoleId),
    /// Holds no role at all.
    NoRole,
}

/// The column the members table is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberSort {
    #[default]
    Name,
    Status,
    Joined,
    /// When the member was added to Cohort.
    Added,
}

/// What the members table shows: a search, filters and an order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberQuery {
    /// Matches names, contacts and tags, ignoring case.
    pub search: String,
    pub status: Option<MemberStatus>,
    pub tag: Option<String>,
    pub role: Option<RoleFilter>,
    pub sort: MemberSort,
    pub descending: bool,
}

impl MemberQuery {
    /// The members that match, in order.
    pub fn run<'a>(&self, group: &'a Group) -> Vec<&'a Member> {
        let needle = self.search.trim().to_lowercase();
        let holders: Option<BTreeSet<&MemberId>> = self.role.as_ref().map(|filter| match filter {
            RoleFilter::Holds(role) => group
                .roles
                .get(role)
                .into_iter()
                .flat_map(|r| &r.holders)
                .collect(),
            RoleFilter::NoRole => group.roles.values().flat_map(|r| &r.holders).collect(),
        });
        let wants_holders = !matches!(self.role, Some(RoleFilter::NoRole));
        let mut members: Vec<&Member> = group
            .members
            .values()
            .filter(|m| self.status.is_none_or(|status| m.status == status))
            .filter(|m| self.tag.as_ref().is_none_or(|tag| m.tags.contains(tag)))
            .filter(|m| {
                holders
                    .as_ref()
                    .is_none_or(|h| h.contains(&m.id) == wants_holders)
            })
            .filter(|m| needle.is_empty() || matches_search(m, &needle))
            .collect();
        let order = |a: &&Member, b: &&Member| -> Ordering {
            let by_name = || compare_names(&a.name, &b.name).then_with(|| a.id.cmp(&b.id));
            match self.sort {
                MemberSort::Name => by_name(),
                MemberSort::Status => a.status.cmp(&b.status).then_with(by_name),
                // Members with no date come last either way.
                MemberSort::Joined => (a.joined.is_empty(), &a.joined)
                    .cmp(&(b.joined.is_empty(), &b.joined))
                    .then_with(by_name),
                MemberSort::Added => a.added_at.cmp(&b.added_at).then_with(by_name),
            }
        };
        members.sort_by(|a, b| {
            if self.descending {
                order(b, a)
            } else {
                order(a, b)
            }
        });
        members
    }
}

fn compare_names(a: &str, b: &str) -> Ordering {
    let fold = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
    fold(a).cmp(&fold(b))
}

fn matches_search(member: &Member, needle: &str) -> bool {
    let contacts = &member.contacts;
    [
        &member.name,
        &contacts.email,
        &contacts.phone,
        &contacts.wechat,
        &contacts.other,
    ]
    .into_iter()
    .any(|field| field.to_lowercase().contains(needle))
        || member.tags.iter().any(|tag| tag.contains(needle))
}

/// What the feedback inbox shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackQuery {
    pub status: Option<FeedbackStatus>,
    /// Only open (not resolved, not declined) feedback.
    pub open_only: bool,
    pub category: Option<String>,
    pub member: Option<MemberId>,
}

impl FeedbackQuery {
    /// The feedback that matches, newest first.
    pub fn run<'a>(&self, group: &'a Group) -> Vec<&'a Feedback> {
        let mut items: Vec<&Feedback> = group
            .feedback
            .values()
            .filter(|f| self.status.is_none_or(|status| f.status == status))
            .filter(|f| !self.open_only || !f.status.is_closed())
            .filter(|f| self.category.as_ref().is_none_or(|c| &f.category == c))
            .filter(|f| self.member.is_none() || f.member == self.member)
            .collect();
        items.sort_by(|a, b| {
            b.received_at
                .cmp(&a.received_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        items
    }
}

impl Group {
    /// Members still in the group (not left) who hold no role.
    pub fn members_without_role(&self) -> Vec<&Member> {
        let holders: BTreeSet<&MemberId> = self.roles.values().flat_map(|r| &r.holders).collect();
        self.members
            .values()
            .filter(|m| m.status != MemberStatus::Left && !holders.contains(&m.id))
            .collect()
    }

    /// Roles nobody holds.
    pub fn roles_without_holder(&self) -> Vec<&Role> {
        self.roles
            .values()
            .filter(|r| r.holders.is_empty())
            .collect()
    }

    /// The roles a member holds, by name.
    pub fn roles_of(&self, member: &MemberId) -> Vec<&Role> {
        let mut roles: Vec<&Role> = self
            .roles
            .values()
            .filter(|r| r.holders.contains(member))
            .collect();
        roles.sort_by(|a, b| compare_names(&a.name, &b.name));
        roles
    }

    /// Every tag in use, sorted.
    pub fn tags(&self) -> BTreeSet<&str> {
        self.members
            .values()
            .flat_map(|m| m.tags.iter().map(String::as_str))
            .collect()
    }

    /// Every feedback category in use, sorted.
    pub fn feedback_categories(&self) -> BTreeSet<&str> {
        self.feedback
            .values()
            .map(|f| f.category.as_str())
            .filter(|c| !c.is_empty())
            .collect()
    }
}
