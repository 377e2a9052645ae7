//! Matching a pasted sign-in list to members: one person a line, as copied from a WeChat
//! group's 接龙 or a typed-up paper list ("1. 张伟 138 0013 8000", "李娜（产品部）",
//! "Alice 8000"). Each line gets the members it names: one, several to choose from, or none.
//!
//! Hand-written: the lines are a person's name and phone digits in whatever form the group
//! used, not a format a parser crate knows.

use serde::{Deserialize, Serialize};

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::{Group, Member, MemberId, pinyin};

/// Whom a line of a sign-in list names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInMatch {
    Member(MemberId),
    /// Several members fit; the organizer chooses.
    Ambiguous(Vec<MemberId>),
    Nobody,
}

/// One line of a sign-in list, read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLine {
    /// The line as pasted, trimmed.
    pub text: String,
    /// The name read from it (empty if it has only a phone number).
    pub name: String,
    /// The phone digits read from it (empty if it has none; fewer than four are not a phone).
    pub phone: String,
    pub matched: SignInMatch,
}

/// The fewest digits that identify a phone: organizers write the last four.
const FEWEST_PHONE_DIGITS: usize = 4;

/// Reads each non-empty line of `text` and matches it to the members of `group`.
pub fn match_sign_in(text: &str, group: &Group) -> Vec<SignInLine> {
    let index = Index::new(group);
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, phone) = read_line(line);
            let matched = index.match_member(&name, &phone);
            SignInLine {
                text: line.to_owned(),
                name,
                phone,
                matched,
            }
        })
        .collect()
}

/// A line's name and phone digits.
fn read_line(line: &str) -> (String, String) {
    let line = without_numbering(line);
    let digits: String = line.chars().filter(char::is_ascii_digit).collect();
    let phone = if digits.len() >= FEWEST_PHONE_DIGITS {
        digits
    } else {
        String::new()
    };
    // The name ends where a remark starts: a bracket or a separator. The phone's digits and
    // the signs between them are not part of it.
    let name = line
        .split([
            '(', '（', '[', '【', ',', '，', '/', '|', ':', '：', '\t', '—',
        ])
        .next()
        .unwrap_or_default()
        .split(|c: char| c.is_whitespace() || c.is_ascii_digit())
        .map(|word| word.trim_matches(['+', '-', '.', '·']))
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (name, phone)
}

/// A line without its list number: "1. ", "12、", "3) ", "4）".
fn without_numbering(line: &str) -> &str {
    let number_end = line
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(line.len(), |(index, _)| index);
    if (1..=3).contains(&number_end) {
        let rest = &line[number_end..];
        for mark in ['.', '、', ')', '）', '．'] {
            if let Some(rest) = rest.strip_prefix(mark) {
                return rest.trim_start();
            }
        }
    }
    line
}

/// The group's members as a pasted list is matched against them, worked out once per list
/// (not once per line: a list of 100 lines against 10,000 members).
struct Index<'a> {
    /// By name without case or spaces.
    by_name: HashMap<String, Vec<&'a Member>>,
    /// By the whole pinyin spelling of the name, made only if a line needs it.
    by_spelling: OnceCell<HashMap<String, Vec<&'a Member>>>,
    /// Each member with a phone, with its digits.
    phones: Vec<(String, &'a Member)>,
    group: &'a Group,
}

impl<'a> Index<'a> {
    fn new(group: &'a Group) -> Self {
        let mut by_name: HashMap<String, Vec<&Member>> = HashMap::new();
        let mut phones = Vec::new();
        for member in group.members.values() {
            by_name
                .entry(compact(&member.name))
                .or_default()
                .push(member);
            let digits: String = member
                .contacts
                .phone
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if digits.len() >= FEWEST_PHONE_DIGITS {
                phones.push((digits, member));
            }
        }
        Self {
            by_name,
            by_spelling: OnceCell::new(),
            phones,
            group,
        }
    }

    /// The members a name and phone digits name: by phone (the same number, or one ending in
    /// the digits given), by name (the same name ignoring case and spaces, or its full
    /// pinyin), and by both when both are given and agree on someone.
    fn match_member(&self, name: &str, phone: &str) -> SignInMatch {
        let by_phone: Vec<&Member> = if phone.is_empty() {
            Vec::new()
        } else {
            self.phones
                .iter()
                .filter(|(digits, _)| same_phone(digits, phone))
                .map(|(_, member)| *member)
                .collect()
        };
        let by_name: Vec<&Member> = if name.is_empty() {
            Vec::new()
        } else {
            let wanted = compact(name);
            match self.by_name.get(&wanted) {
                Some(exact) => exact.clone(),
                None if wanted.chars().all(|c| c.is_ascii_alphabetic()) => {
                    self.spellings().get(&wanted).cloned().unwrap_or_default()
                }
                None => Vec::new(),
            }
        };
        let both: Vec<&Member> = by_phone
            .iter()
            .copied()
            .filter(|member| by_name.iter().any(|m| m.id == member.id))
            .collect();
        // A phone number is more reliable than a name typed at the door.
        let mut candidates = [both, by_phone, by_name]
            .into_iter()
            .find(|candidates| !candidates.is_empty())
            .unwrap_or_default();
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        match candidates.as_slice() {
            [] => SignInMatch::Nobody,
            [member] => SignInMatch::Member(member.id.clone()),
            several => SignInMatch::Ambiguous(several.iter().map(|m| m.id.clone()).collect()),
        }
    }

    fn spellings(&self) -> &HashMap<String, Vec<&'a Member>> {
        self.by_spelling.get_or_init(|| {
            let mut spellings: HashMap<String, Vec<&Member>> = HashMap::new();
            for member in self.group.members.values() {
                spellings
                    .entry(pinyin::full_spelling(&member.name))
                    .or_default()
                    .push(member);
            }
            spellings
        })
    }
}

/// A name compared without case, spaces or the dots and dashes between its parts.
fn compact(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '·'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a member's phone digits are the number the digits given name: the same digits, the
/// member's ending in the digits given ("8000"), or the digits given ending in the member's
/// whole number (written with a country code, "+86 138…").
fn same_phone(member: &str, digits: &str) -> bool {
    member.ends_with(digits) || (member.len() >= 7 && digits.ends_with(member))
}
