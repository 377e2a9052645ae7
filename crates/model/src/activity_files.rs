//! An activity's files: its attendance as a table (written as CSV by the spreadsheet
//! worker) and an iCalendar (`.ics`) event for its invitees' calendars.
//!
//! The `.ics` is hand-written: one event is about forty lines of RFC 5545, while the
//! `icalendar` crate would bring `chrono` and more into the app.

use crate::activity::{Activity, Standing};
use crate::calendar::civil_date;
use crate::sheet::{Sheet, Words};
use crate::{Group, MemberId, Millis};

/// An activity's attendance as a table: everyone invited or marked, by name in pinyin order,
/// with their contacts and standing; members removed since as "former member".
pub fn attendance_sheet(activity: &Activity, group: &Group, words: &Words) -> Sheet {
    let invitees = activity.invitees(group);
    let mut people: Vec<&MemberId> = invitees.iter().chain(activity.attendance.keys()).collect();
    people.sort();
    people.dedup();
    let mut rows: Vec<(String, Vec<String>)> = people
        .into_iter()
        .filter_map(|id| {
            let standing = activity.standing(id, &invitees)?;
            let standing = words
                .get(&format!("standing.{}", standing.key()), english(standing))
                .to_owned();
            Some(match group.members.get(id) {
                Some(member) => (
                    crate::pinyin::sort_key(&member.name),
                    vec![
                        member.name.clone(),
                        member.contacts.phone.clone(),
                        member.contacts.email.clone(),
                        member.contacts.wechat.clone(),
                        standing,
                    ],
                ),
                None => (
                    String::from("\u{10FFFF}"),
                    vec![
                        words.get("former_member", "Former member").to_owned(),
                        String::new(),
                        String::new(),
                        String::new(),
                        standing,
                    ],
                ),
            })
        })
        .collect();
    rows.sort();
    Sheet {
        name: words.get("attendance", "Attendance").to_owned(),
        header: [
            ("name", "Name"),
            ("phone", "Phone"),
            ("email", "Email"),
            ("wechat", "WeChat ID"),
            ("attendance", "Attendance"),
        ]
        .iter()
        .map(|(key, english)| words.get(key, english).to_owned())
        .collect(),
        rows: rows.into_iter().map(|(_, row)| row).collect(),
    }
}

fn english(standing: Standing) -> &'static str {
    match standing {
        Standing::Invited => "Invited",
        Standing::WalkIn => "Walk-in",
        Standing::Marked(mark) => match mark {
            crate::Mark::Registered => "Registered",
            crate::Mark::Attended => "Attended",
            crate::Mark::Absent => "Absent",
            crate::Mark::Excused => "Excused",
        },
    }
}

/// The activity as an iCalendar file of one event, for the invitees: each invitee with an
/// email address is an attendee, the organizer (if they have one) the organizer. `now` is
/// when the file is made (its `DTSTAMP`).
pub fn activity_ics(activity: &Activity, group: &Group, now: Millis) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Cohort//Cohort//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@cohort", activity.id),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART:{}", utc(activity.starts_at)),
        format!("DTEND:{}", utc(activity.ends_at)),
        format!("SUMMARY:{}", text(&activity.title)),
    ];
    if !activity.place.is_empty() {
        lines.push(format!("LOCATION:{}", text(&activity.place)));
    }
    if !activity.link.is_empty() {
        lines.push(format!("URL:{}", activity.link));
    }
    let description = [activity.description.as_str(), activity.link.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if !description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", text(&description)));
    }
    let organizer = activity
        .organizer
        .as_ref()
        .and_then(|id| group.members.get(id))
        .filter(|member| !member.contacts.email.is_empty());
    if let Some(member) = organizer {
        lines.push(format!(
            "ORGANIZER;CN={}:mailto:{}",
            parameter(&member.name),
            member.contacts.email
        ));
    }
    for member in activity
        .invitees(group)
        .iter()
        .filter_map(|id| group.members.get(id))
        .filter(|member| !member.contacts.email.is_empty())
    {
        lines.push(format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:{}",
            parameter(&member.name),
            member.contacts.email
        ));
    }
    lines.extend(["END:VEVENT".to_owned(), "END:VCALENDAR".to_owned()]);
    let mut ics = String::new();
    for line in lines {
        fold(&line, &mut ics);
    }
    ics
}

/// A moment as an iCalendar UTC date-time, `20261130T103000Z`.
fn utc(at: Millis) -> String {
    let seconds = at.div_euclid(1000);
    let (year, month, day) = civil_date(seconds.div_euclid(86_400));
    let time = seconds.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// A TEXT value, escaped (RFC 5545 3.3.11).
fn text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// A parameter value (a name), quoted; quotes in it cannot be escaped and are dropped.
fn parameter(value: &str) -> String {
    format!(
        "\"{}\"",
        value
            .chars()
            .filter(|c| *c != '"' && !c.is_control())
            .collect::<String>()
    )
}

/// Appends a content line folded at 75 octets, never inside a character (RFC 5545 3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}
