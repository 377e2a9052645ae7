//! Digests (群动态): a short message an organizer drafts for a period and copies into the
//! group's WeChat or QQ chat or an email, instead of posting every change (信息过载). It holds
//! the activities coming up, duties that still need someone, new members, and feedback
//! resolved. Each digest shared is recorded with what it held, so that the next one holds only
//! what is new.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::calendar::DAY;
use crate::{
    ActivityId, DigestId, DutyId, FeedbackId, FeedbackStatus, Group, MemberId, MemberStatus,
    Millis, Raci,
};

/// Activities starting within this many days after the period are "coming up".
pub const UPCOMING_DAYS: i64 = 14;
/// A first digest covers this many days back.
pub const FIRST_PERIOD_DAYS: i64 = 7;
/// Resolved feedback is quoted up to this many characters.
const QUOTED: usize = 80;

/// A digest shared with the group: its period, when and by whom, and what it held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub id: DigestId,
    pub from: Millis,
    pub to: Millis,
    pub at: Millis,
    /// The organizer who shared it.
    pub by: String,
    /// What it held, as [`DigestDraft::items`] names them.
    pub items: BTreeSet<String>,
}

/// An activity coming up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upcoming {
    pub id: ActivityId,
    pub title: String,
    pub starts_at: Millis,
    pub place: String,
}

/// A duty of an activity coming up that nobody is responsible for yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ask {
    pub activity: ActivityId,
    pub duty: DutyId,
    pub activity_title: String,
    pub duty_title: String,
}

/// What a digest of a period would hold, less what earlier digests held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestDraft {
    pub from: Millis,
    pub to: Millis,
    pub upcoming: Vec<Upcoming>,
    pub asks: Vec<Ask>,
    pub new_members: Vec<(MemberId, String)>,
    /// Feedback resolved in the period, quoted.
    pub resolved: Vec<(FeedbackId, String)>,
}

impl DigestDraft {
    /// Nothing new to share.
    pub fn is_empty(&self) -> bool {
        self.upcoming.is_empty()
            && self.asks.is_empty()
            && self.new_members.is_empty()
            && self.resolved.is_empty()
    }

    /// What it holds, named as a digest records it.
    pub fn items(&self) -> Vec<String> {
        self.upcoming
            .iter()
            .map(|a| activity_item(&a.id))
            .chain(self.asks.iter().map(|a| ask_item(&a.activity, &a.duty)))
            .chain(
                self.new_members
                    .iter()
                    .map(|(id, _)| format!("member:{id}")),
            )
            .chain(self.resolved.iter().map(|(id, _)| format!("feedback:{id}")))
            .collect()
    }
}

fn activity_item(id: &ActivityId) -> String {
    format!("activity:{id}")
}

fn ask_item(activity: &ActivityId, duty: &DutyId) -> String {
    format!("duty:{activity}/{duty}")
}

/// The period a new digest covers by default: from the end of the latest one (or a week
/// before `now` for the first) to `now`.
pub fn default_period(group: &Group, now: Millis) -> (Millis, Millis) {
    let from = group
        .digests
        .values()
        .map(|d| d.to)
        .max()
        .unwrap_or(now - FIRST_PERIOD_DAYS * DAY);
    (from.min(now), now)
}

/// What a digest from `from` to `to` holds, less what any earlier digest held: activities
/// starting within [`UPCOMING_DAYS`] after `to`, their duties nobody is responsible for,
/// members who joined (first became active) in the period, and feedback resolved in it.
pub fn draft(group: &Group, from: Millis, to: Millis) -> DigestDraft {
    let shared: BTreeSet<&str> = group
        .digests
        .values()
        .flat_map(|d| d.items.iter().map(String::as_str))
        .collect();
    let within = |at: Millis| from <= at && at <= to;
    let mut coming: Vec<_> = group
        .activities
        .values()
        .filter(|a| a.starts_at > to && a.starts_at <= to + UPCOMING_DAYS * DAY)
        .collect();
    coming.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
    let upcoming = coming
        .iter()
        .filter(|a| !shared.contains(activity_item(&a.id).as_str()))
        .map(|a| Upcoming {
            id: a.id.clone(),
            title: a.title.clone(),
            starts_at: a.starts_at,
            place: a.place.clone(),
        })
        .collect();
    let asks = coming
        .iter()
        .flat_map(|a| a.duties.values().map(move |d| (a, d)))
        .filter(|(_, d)| {
            !d.assignments
                .values()
                .any(|part| *part == Raci::Responsible)
        })
        .filter(|(a, d)| !shared.contains(ask_item(&a.id, &d.id).as_str()))
        .map(|(a, d)| Ask {
            activity: a.id.clone(),
            duty: d.id.clone(),
            activity_title: a.title.clone(),
            duty_title: d.title.clone(),
        })
        .collect();
    let mut new_members: Vec<(MemberId, String)> = group
        .members
        .values()
        .filter(|m| {
            m.history
                .iter()
                .find(|c| c.status == MemberStatus::Active)
                .is_some_and(|c| within(c.at))
        })
        .filter(|m| !shared.contains(format!("member:{}", m.id).as_str()))
        .map(|m| (m.id.clone(), m.name.clone()))
        .collect();
    new_members.sort_by_cached_key(|(id, name)| (crate::pinyin::sort_key(name), id.clone()));
    let mut resolved: Vec<(Millis, FeedbackId, String)> = group
        .feedback
        .values()
        .filter(|f| f.status == FeedbackStatus::Resolved)
        .filter_map(|f| {
            let at = f
                .history
                .iter()
                .rev()
                .find(|c| c.status == FeedbackStatus::Resolved)?
                .at;
            (within(at) && !shared.contains(format!("feedback:{}", f.id).as_str())).then(|| {
                let first_line = f.text.lines().next().unwrap_or_default().trim();
                let mut quoted: String = first_line.chars().take(QUOTED).collect();
                if first_line.chars().count() > QUOTED {
                    quoted.push('…');
                }
                (at, f.id.clone(), quoted)
            })
        })
        .collect();
    resolved.sort();
    DigestDraft {
        from,
        to,
        upcoming,
        asks,
        new_members,
        resolved: resolved
            .into_iter()
            .map(|(_, id, text)| (id, text))
            .collect(),
    }
}
