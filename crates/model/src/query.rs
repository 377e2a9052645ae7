//! Searching, filtering and sorting the group for the screens, and the gaps organizers look
//! for (members without a role, roles without a holder).

use std::collections::{BTreeSet, VecDeque};

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
    /// When an organizer was last in touch (the contact log): longest ago first, members never
    /// contacted before everyone.
    LastContact,
}

/// What the members table shows: a search, filters and an order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberQuery {
    /// Matches names (also by pinyin: "zw" finds 张伟), contacts and tags, ignoring case.
    pub search: String,
    pub status: Option<MemberStatus>,
    pub tag: Option<String>,
    pub role: Option<RoleFilter>,
    pub sort: MemberSort,
    pub descending: bool,
}

/// Where a member sorts: the column's value, then the name by pinyin, then the id (so no two
/// tie).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SortKey {
    column: Column,
    name: String,
    id: MemberId,
}

/// The sorted column's value; every key of one query has the same variant.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    None,
    Status(MemberStatus),
    /// Members with no date come last either way.
    Joined {
        missing: bool,
        day: String,
    },
    Added(crate::Millis),
    LastContact(Option<crate::Millis>),
}

/// What a sort needs to know beyond the member: when each was last contacted, worked out once
/// per query (only when sorting by it).
struct SortContext {
    last_contacts: std::collections::HashMap<MemberId, crate::Millis>,
}

impl SortContext {
    fn new(query: &MemberQuery, group: &Group) -> Self {
        Self {
            last_contacts: match query.sort {
                MemberSort::LastContact => crate::contact::last_contacts(group),
                _ => Default::default(),
            },
        }
    }
}

impl MemberQuery {
    /// The members that match, in order.
    pub fn run<'a>(&self, group: &'a Group) -> Vec<&'a Member> {
        let matches = self.matcher(group);
        let context = SortContext::new(self, group);
        let mut members: Vec<&Member> = group.members.values().filter(|m| matches(m)).collect();
        // Sort keys are computed once per member, not once per comparison: this runs with up
        // to tens of thousands of members.
        members.sort_by_cached_key(|m| self.sort_key(m, &context));
        if self.descending {
            members.reverse();
        }
        members
    }

    /// The first `count` members of [`run`](Self::run), without putting the rest in order (a
    /// search that suggests a few).
    pub fn first<'a>(&self, group: &'a Group, count: usize) -> Vec<&'a Member> {
        let matches = self.matcher(group);
        let context = SortContext::new(self, group);
        let mut members: Vec<(SortKey, &Member)> = group
            .members
            .values()
            .filter(|m| matches(m))
            .map(|m| (self.sort_key(m, &context), m))
            .collect();
        if members.len() > count {
            if self.descending {
                members.select_nth_unstable_by(count, |a, b| b.0.cmp(&a.0));
            } else {
                members.select_nth_unstable_by(count, |a, b| a.0.cmp(&b.0));
            }
            members.truncate(count);
        }
        members.sort_by(|a, b| a.0.cmp(&b.0));
        if self.descending {
            members.reverse();
        }
        members.into_iter().map(|(_, m)| m).collect()
    }

    /// The ids of [`run`](Self::run), brought up to date from `previous` (this query's ids
    /// before the members in `changed` changed) without sorting everyone again.
    pub fn rerun(
        &self,
        group: &Group,
        previous: &[MemberId],
        changed: &BTreeSet<MemberId>,
    ) -> Vec<MemberId> {
        let matches = self.matcher(group);
        let context = SortContext::new(self, group);
        let mut ids: Vec<MemberId> = previous
            .iter()
            .filter(|id| !changed.contains(*id))
            .cloned()
            .collect();
        for member in changed
            .iter()
            .filter_map(|id| group.members.get(id))
            .filter(|m| matches(m))
        {
            let key = self.sort_key(member, &context);
            let position = ids.partition_point(|other| {
                group.members.get(other).is_some_and(|other| {
                    let other = self.sort_key(other, &context);
                    if self.descending {
                        other > key
                    } else {
                        other < key
                    }
                })
            });
            ids.insert(position, member.id.clone());
        }
        ids
    }

    /// Whether a member passes the search and filters.
    fn matcher<'a>(&'a self, group: &'a Group) -> impl Fn(&Member) -> bool + 'a {
        let needle = self.search.trim().to_lowercase();
        let pinyin = crate::pinyin::PinyinSearch::new(&needle);
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
        move |m: &Member| {
            self.status.is_none_or(|status| m.status == status)
                && self.tag.as_ref().is_none_or(|tag| m.tags.contains(tag))
                && holders
                    .as_ref()
                    .is_none_or(|h| h.contains(&m.id) == wants_holders)
                && (needle.is_empty() || matches_search(m, &needle, pinyin.as_ref()))
        }
    }

    fn sort_key(&self, member: &Member, context: &SortContext) -> SortKey {
        let column = match self.sort {
            MemberSort::Name => Column::None,
            MemberSort::Status => Column::Status(member.status),
            MemberSort::Joined => Column::Joined {
                missing: member.joined.is_empty(),
                day: member.joined.clone(),
            },
            MemberSort::Added => Column::Added(member.added_at),
            MemberSort::LastContact => {
                Column::LastContact(context.last_contacts.get(&member.id).copied())
            }
        };
        SortKey {
            column,
            name: crate::pinyin::sort_key(&member.name),
            id: member.id.clone(),
        }
    }
}

fn matches_search(
    member: &Member,
    needle: &str,
    pinyin: Option<&crate::pinyin::PinyinSearch>,
) -> bool {
    let contacts = &member.contacts;
    [
        &member.name,
        &contacts.email,
        &contacts.phone,
        &contacts.wechat,
        &contacts.other,
    ]
    .into_iter()
    .any(|field| contains_lowercase(field, needle))
        || member.tags.iter().any(|tag| tag.contains(needle))
        || pinyin.is_some_and(|search| search.matches(&member.name))
        || phone_digits_match(&contacts.phone, needle)
}

/// Whether `field`, in lower case, contains `needle` (already lower case). A search runs this
/// for five fields of every member: only a field with capitals is copied into lower case
/// (Chinese names, numbers and most addresses have none).
fn contains_lowercase(field: &str, needle: &str) -> bool {
    if field.chars().any(char::is_uppercase) {
        field.to_lowercase().contains(needle)
    } else {
        field.contains(needle)
    }
}

/// Whether digits typed appear in a phone number written with spaces or dashes ("38000"
/// finds "138 0013 8000"): at the door, organizers type the last digits.
fn phone_digits_match(phone: &str, needle: &str) -> bool {
    !needle.is_empty()
        && needle.bytes().all(|b| b.is_ascii_digit())
        && phone
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .contains(needle)
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
        let mut members: Vec<&Member> = self
            .members
            .values()
            .filter(|m| m.status != MemberStatus::Left && !holders.contains(&m.id))
            .collect();
        members.sort_by_cached_key(|m| crate::pinyin::sort_key(&m.name));
        members
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
        roles.sort_by_cached_key(|r| crate::pinyin::sort_key(&r.name));
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

/// Which members recent changes touched, so that a list sorted and filtered over everyone can
/// be brought up to date instead of worked out again. Each change has a generation number; a
/// list remembers the generation it reflects and asks for what happened since.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberChanges {
    generation: u64,
    /// The latest changes, oldest first: the members each touched, or `None` for "anyone".
    recent: VecDeque<(u64, Option<BTreeSet<MemberId>>)>,
}

impl MemberChanges {
    /// How many changes are remembered; a list further behind looks at everyone again.
    const KEPT: usize = 64;

    /// The generation of the latest change.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Notes a change that touched these members, or anyone (`None`).
    pub fn record(&mut self, touched: Option<BTreeSet<MemberId>>) {
        self.generation += 1;
        if self.recent.len() == Self::KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back((self.generation, touched));
    }

    /// The members touched after `generation`, or `None` if that cannot be told (a change
    /// touched anyone, or it is too long ago).
    pub fn since(&self, generation: u64) -> Option<BTreeSet<MemberId>> {
        let oldest_kept = self.recent.front().map_or(self.generation + 1, |(g, _)| *g);
        if generation + 1 < oldest_kept {
            return None;
        }
        let mut touched = BTreeSet::new();
        for (_, ids) in self.recent.iter().filter(|(g, _)| *g > generation) {
            touched.extend(ids.as_ref()?.iter().cloned());
        }
        Some(touched)
    }
}
