//! Likely duplicates: members who may be one person, recorded twice (an import and a sign-in,
//! a nickname and a full name). Two members are flagged when they have the same phone number
//! in any format, the same email, the same WeChat id, names that are equal once spaces and
//! case are removed, or names spelled the same in pinyin (张伟 and 章伟, 张伟 and Zhang Wei).
//! Pairs the organizers marked as different people are not flagged again.
//!
//! Merging a pair is [`crate::Action::MergeMembers`]; how references follow is in
//! `docs/schema.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::{Group, Member, MemberDraft, MemberId};

keyed_enum!(
    /// What two members have in common that makes them look like one person.
    Likeness {
        Phone = "phone",
        Email = "email",
        Wechat = "wechat",
        /// Names equal once spaces and case are removed.
        Name = "name",
        /// Names spelled the same in pinyin.
        Pinyin = "pinyin",
    }
);

/// Groups whose members share one key this often are left out: a key that common (a name
/// like 王伟 held by a dozen people) says nothing about any two of them.
const MAX_SHARING: usize = 12;

/// The keys by which a person is compared: phone numbers by their digits (without China's
/// country code), emails without case, WeChat ids as written, names without spaces and case,
/// and names in pinyin.
pub(crate) fn likeness_keys(
    name: &str,
    phone: &str,
    email: &str,
    wechat: &str,
) -> Vec<(Likeness, String)> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    // A mainland mobile number written with the country code (+86 or 0086) is the same number.
    let digits = match digits.len() {
        13 => digits.strip_prefix("86").unwrap_or(&digits).to_owned(),
        15 => digits.strip_prefix("0086").unwrap_or(&digits).to_owned(),
        _ => digits,
    };
    let bare_name: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    // A name in Latin letters spells as itself, so 张伟 and Zhang Wei meet here.
    let spelled = crate::pinyin::full_spelling(name);
    [
        (Likeness::Phone, digits),
        (Likeness::Email, email.trim().to_lowercase()),
        (Likeness::Wechat, wechat.trim().to_owned()),
        (Likeness::Name, bare_name),
        (Likeness::Pinyin, spelled),
    ]
    .into_iter()
    .filter(|(_, key)| !key.is_empty())
    .collect()
}

fn member_keys(member: &Member) -> Vec<(Likeness, String)> {
    likeness_keys(
        &member.name,
        &member.contacts.phone,
        &member.contacts.email,
        &member.contacts.wechat,
    )
}

/// Two members who look like one person, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The two members, the smaller id first.
    pub pair: (MemberId, MemberId),
    pub on: BTreeSet<Likeness>,
}

/// The group's members by each key they have: made once, then asked about each person typed
/// into a form.
#[derive(Clone, Debug, Default)]
pub struct DuplicateIndex(HashMap<(Likeness, String), Vec<MemberId>>);

impl DuplicateIndex {
    pub fn new(group: &Group) -> Self {
        let mut index: HashMap<_, Vec<MemberId>> = HashMap::new();
        for member in group.members.values() {
            for key in member_keys(member) {
                index.entry(key).or_default().push(member.id.clone());
            }
        }
        Self(index)
    }

    /// The members someone about to be added (or changed) looks like, and why; `except` is
    /// the member being changed.
    pub fn matches(
        &self,
        draft: &MemberDraft,
        except: Option<&MemberId>,
    ) -> Vec<(MemberId, BTreeSet<Likeness>)> {
        let mut found: BTreeMap<MemberId, BTreeSet<Likeness>> = BTreeMap::new();
        for key in likeness_keys(&draft.name, &draft.phone, &draft.email, &draft.wechat) {
            for member in self.0.get(&key).into_iter().flatten() {
                if Some(member) != except {
                    found.entry(member.clone()).or_default().insert(key.0);
                }
            }
        }
        found
            .into_iter()
            .map(|(member, on)| (member, plainest(on)))
            .collect()
    }
}

/// Whether the organizers marked two members as different people.
pub fn marked_distinct(group: &Group, a: &MemberId, b: &MemberId) -> bool {
    group.distinct.contains(&ordered(a, b))
}

/// A pair in order, the smaller id first.
pub fn ordered(a: &MemberId, b: &MemberId) -> (MemberId, MemberId) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// Every pair of members that look like one person, by the first member's name.
pub fn likely_duplicates(group: &Group) -> Vec<Duplicate> {
    let mut pairs: BTreeMap<(MemberId, MemberId), BTreeSet<Likeness>> = BTreeMap::new();
    for ((likeness, _), members) in DuplicateIndex::new(group).0 {
        if members.len() < 2 || members.len() > MAX_SHARING {
            continue;
        }
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                pairs.entry(ordered(a, b)).or_default().insert(likeness);
            }
        }
    }
    let mut found: Vec<Duplicate> = pairs
        .into_iter()
        .filter(|(pair, _)| !group.distinct.contains(pair))
        .map(|(pair, on)| Duplicate {
            pair,
            on: plainest(on),
        })
        .collect();
    found.sort_by_cached_key(|d| {
        let name = |id: &MemberId| {
            crate::pinyin::sort_key(group.members.get(id).map_or("", |m| m.name.as_str()))
        };
        (name(&d.pair.0), name(&d.pair.1))
    });
    found
}

/// Names equal as written are also equal in pinyin: the reason given is the plainer one.
fn plainest(mut on: BTreeSet<Likeness>) -> BTreeSet<Likeness> {
    if on.contains(&Likeness::Name) {
        on.remove(&Likeness::Pinyin);
    }
    on
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str, phone: &str) -> Vec<(Likeness, String)> {
        likeness_keys(name, phone, "", "")
    }

    #[test]
    fn a_phone_number_is_its_digits_without_the_country_code() {
        let digits = |phone| keys("", phone)[0].1.clone();
        assert_eq!(digits("+86 138-0013-8000"), "13800138000");
        assert_eq!(digits("0086 13800138000"), "13800138000");
        assert_eq!(digits("(138) 0013 8000"), "13800138000");
    }

    #[test]
    fn names_compare_without_spaces_and_case_and_in_pinyin() {
        assert_eq!(
            keys("Zhang  Wei", ""),
            [
                (Likeness::Name, "zhangwei".into()),
                (Likeness::Pinyin, "zhangwei".into())
            ]
        );
        assert_eq!(
            keys("张 伟", ""),
            [
                (Likeness::Name, "张伟".into()),
                (Likeness::Pinyin, "zhangwei".into())
            ]
        );
        assert!(keys("", "").is_empty());
    }
}
