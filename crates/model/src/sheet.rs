//! Member lists from spreadsheets, read for the import preview: the bytes of a CSV file as WPS,
//! Excel or Feishu save it, read into rows; columns matched to member fields from their headers
//! (Chinese or English); each row checked as the add-member form checks it; and the existing
//! members each row matches by phone, email or WeChat id. Nothing here writes: the organizer
//! sees this preview and chooses, and only then do actions follow. And tables written as CSV
//! that Excel and WPS open right, safe from formula injection, and read back unchanged.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::{
    Action, Group, Invalid, MemberDraft, MemberField, MemberId, MemberStatus, Millis,
    checked_member,
};

/// The largest file read: far beyond any member list, small enough to parse in a moment.
pub const MAX_BYTES: usize = 20 << 20;
/// The most rows read; a group holds a few thousand members.
pub const MAX_ROWS: usize = 20_000;

/// Why a file cannot be read as a member list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SheetError {
    #[error("the spreadsheet cannot be read: {0}")]
    NotASpreadsheet(String),
    #[error("the file is empty")]
    Empty,
    #[error("the file is not text (is it a spreadsheet saved in another format?)")]
    NotText,
    #[error(
        "the file is {bytes} bytes; at most {} can be imported at once",
        MAX_BYTES
    )]
    TooLarge { bytes: usize },
    #[error("the file has more than {} rows; import it in parts", MAX_ROWS)]
    TooManyRows,
    #[error("row {row} cannot be read: {reason}")]
    Malformed { row: usize, reason: String },
}

/// A spreadsheet read as text rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The encoding a CSV file was read in ("UTF-8" or "GB18030"), or the spreadsheet format
    /// ("XLSX", "XLS").
    pub encoding: String,
    /// The delimiter found: `,`, `;` or a tab.
    pub delimiter: u8,
    pub header: Vec<String>,
    /// The rows after the header, each with its number as a spreadsheet shows it (the header
    /// is row 1; a line break inside a quoted cell does not start a row).
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads a member list from a file: XLSX or XLS (known by their signatures) through calamine,
/// its first sheet; anything else as CSV ([`read_csv`]).
pub fn read_table(bytes: &[u8]) -> Result<Table, SheetError> {
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::TooLarge { bytes: bytes.len() });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_workbook::<calamine::Xlsx<_>>(bytes, "XLSX")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_workbook::<calamine::Xls<_>>(bytes, "XLS")
    } else {
        read_csv(bytes)
    }
}

/// The first sheet of a workbook as rows of text, read as [`read_csv`] reads a file.
fn read_workbook<R>(bytes: &[u8], format: &'static str) -> Result<Table, SheetError>
where
    R: calamine::Reader<Cursor<Vec<u8>>>,
    R::Error: std::fmt::Display,
{
    let unreadable = |error: &dyn std::fmt::Display| SheetError::NotASpreadsheet(error.to_string());
    let mut workbook: R =
        calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|e| unreadable(&e))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(SheetError::Empty)?
        .map_err(|e| unreadable(&e))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let rows = range.rows().enumerate().map(|(offset, cells)| {
        Ok((
            first_row + offset + 1,
            cells.iter().map(cell_text).collect(),
        ))
    });
    table_of(rows, format, b',')
}

/// A table from numbered rows: the first that is not empty is the header; empty ones are
/// left out; more than [`MAX_ROWS`] after the header are refused.
fn table_of(
    numbered: impl Iterator<Item = Result<(usize, Vec<String>), SheetError>>,
    encoding: &str,
    delimiter: u8,
) -> Result<Table, SheetError> {
    let mut header = None;
    let mut rows = Vec::new();
    for numbered in numbered {
        let (row, cells) = numbered?;
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if header.is_none() {
            header = Some(cells);
        } else if rows.len() == MAX_ROWS {
            return Err(SheetError::TooManyRows);
        } else {
            rows.push((row, cells));
        }
    }
    Ok(Table {
        encoding: encoding.to_owned(),
        delimiter,
        header: header.ok_or(SheetError::Empty)?,
        rows,
    })
}

/// A cell as the text an organizer sees in it: whole numbers without a decimal point (a phone
/// number typed as a number is still 13800138000), dates as `YYYY-MM-DD`.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
            text.trim().to_owned()
        }
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Data::Float(number) => number.to_string(),
        Data::Int(number) => number.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(when) => excel_day(when.as_f64()),
    }
}

/// An Excel serial day (days since 1899-12-30, the 1900 date system) as `YYYY-MM-DD`.
fn excel_day(serial: f64) -> String {
    let (year, month, day) = crate::calendar::civil_date(serial.floor() as i64 - 25_569);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Reads a CSV file: UTF-8 with or without a byte-order mark, else GB18030; comma, semicolon or
/// tab separated (whichever the header line has most of); the first non-empty row is the header.
pub fn read_csv(bytes: &[u8]) -> Result<Table, SheetError> {
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::TooLarge { bytes: bytes.len() });
    }
    let (text, encoding) = decode(bytes)?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(SheetError::Empty);
    }
    let delimiter = sniff_delimiter(text.lines().find(|l| !l.trim().is_empty()).unwrap_or(""));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let rows = reader.records().map(|record| {
        let record = record.map_err(|error| SheetError::Malformed {
            row: error.position().map_or(0, |p| p.record() as usize + 1),
            reason: error.to_string(),
        })?;
        let row = record.position().map_or(0, |p| p.record() as usize + 1);
        let cells = record
            .iter()
            .map(|cell| restore(cell.trim()).to_owned())
            .collect();
        Ok((row, cells))
    });
    table_of(rows, encoding, delimiter)
}

/// The file's text: UTF-8 if it is valid UTF-8, else GB18030 (what WPS and Excel in China save
/// by default). Binary files (NUL bytes, or bytes neither encoding reads) are refused.
fn decode(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, &'static str), SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.contains(&0) {
        return Err(SheetError::NotText);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.into(), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(SheetError::NotText);
    }
    Ok((text, "GB18030"))
}

/// The delimiter the header line uses most, outside quotes; a comma if none.
fn sniff_delimiter(line: &str) -> u8 {
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in line.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (delimiter, count) in &mut counts {
                if byte == *delimiter {
                    *count += 1;
                }
            }
        }
    }
    // The first of the most used, so a tie keeps the comma.
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

/// A member field a spreadsheet column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Column {
    Text(MemberField),
    Tags,
    /// A status, by its stored key, its English name or its name in the organizer's language.
    Status,
}

/// Header names as organizers write them, in Chinese and English, for each field.
const HEADERS: &[(Column, &[&str])] = &[
    (
        Column::Text(MemberField::Name),
        &["姓名", "名字", "名称", "name", "full name"],
    ),
    (
        Column::Text(MemberField::Phone),
        &[
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "phone",
            "mobile",
            "tel",
            "telephone",
        ],
    ),
    (
        Column::Text(MemberField::Wechat),
        &["微信", "微信号", "wechat", "wechat id", "weixin"],
    ),
    (
        Column::Text(MemberField::Email),
        &[
            "邮箱",
            "电子邮箱",
            "电子邮件",
            "邮件",
            "email",
            "e-mail",
            "mail",
        ],
    ),
    (Column::Tags, &["标签", "tags", "tag"]),
    (Column::Status, &["状态", "status"]),
    (
        Column::Text(MemberField::Joined),
        &[
            "加入日期",
            "加入时间",
            "入群时间",
            "入群日期",
            "joined",
            "join date",
            "date joined",
        ],
    ),
    (
        Column::Text(MemberField::Notes),
        &["备注", "说明", "notes", "note", "remarks"],
    ),
    (
        Column::Text(MemberField::Source),
        &["来源", "渠道", "source", "channel"],
    ),
    (
        Column::Text(MemberField::OtherContact),
        &["qq", "qq号", "其他联系方式", "other contact"],
    ),
];

/// Which field each column fills, guessed from the header; `None` for a column left out. A
/// field is filled from its first matching column only.
pub fn guess_columns(header: &[String]) -> Vec<Option<Column>> {
    let mut taken = Vec::new();
    header
        .iter()
        .map(|name| {
            let name = name.trim().to_lowercase();
            let column = HEADERS
                .iter()
                .find(|(column, names)| !taken.contains(column) && names.contains(&name.as_str()))
                .map(|(column, _)| *column)?;
            taken.push(column);
            Some(column)
        })
        .collect()
}

/// An existing member a row matches, and on what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MatchedOn {
    Phone,
    Email,
    Wechat,
}

/// One row as the import would add it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowPreview {
    /// Its number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The member it adds, checked as the form checks one; or why it cannot be added.
    pub member: Result<MemberDraft, Invalid>,
    /// Existing members it matches, so that the organizer can update, skip or add.
    pub matches: Vec<(MemberId, MatchedOn)>,
    /// An earlier row of the file with the same phone, email or WeChat id: this one repeats
    /// it, and is not imported again.
    pub repeats_row: Option<usize>,
    /// Members it does not match by contacts but who have the same name (also in pinyin): it
    /// is added, and the organizer may merge them afterwards.
    pub alike: Vec<(MemberId, crate::duplicates::Likeness)>,
}

/// Each row of `table` as a member, by the `columns` chosen, with its matches in `group`.
/// `words` names statuses in the organizer's language (as exports write them).
pub fn preview(
    table: &Table,
    columns: &[Option<Column>],
    group: &Group,
    words: &Words,
) -> Vec<RowPreview> {
    let index = ContactIndex::new(group);
    let names = crate::duplicates::DuplicateIndex::new(group);
    let mut seen: HashMap<(MatchedOn, String), usize> = HashMap::new();
    table
        .rows
        .iter()
        .map(|(row, cells)| {
            let draft = draft_from(cells, columns, words);
            let member = checked_member(&draft);
            let (matches, repeats_row, alike) = match &member {
                Ok(m) => {
                    let keys = contact_keys(&m.phone, &m.email, &m.wechat);
                    let repeats = keys.iter().find_map(|key| seen.get(key).copied());
                    for key in keys {
                        seen.entry(key).or_insert(*row);
                    }
                    let matches = index.matches(m);
                    let alike = names
                        .matches(m, None)
                        .into_iter()
                        .filter(|(id, _)| !matches.iter().any(|(matched, _)| matched == id))
                        .filter_map(|(id, on)| Some((id, on.into_iter().next()?)))
                        .collect();
                    (matches, repeats, alike)
                }
                Err(_) => (Vec::new(), None, Vec::new()),
            };
            RowPreview {
                row: *row,
                member,
                matches,
                repeats_row,
                alike,
            }
        })
        .collect()
}

/// A file read and previewed for import: what the import screen shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetPreview {
    /// "UTF-8", "GB18030", "XLSX" or "XLS".
    pub format: String,
    pub header: Vec<String>,
    /// The field each column fills: as chosen, or guessed from the header.
    pub columns: Vec<Option<Column>>,
    pub rows: Vec<RowPreview>,
}

/// Previews a table read from a file ([`read_table`]) against `group`, with the `columns`
/// chosen, or those guessed from its header.
pub fn preview_table(
    table: &Table,
    columns: Option<Vec<Option<Column>>>,
    group: &Group,
    words: &Words,
) -> SheetPreview {
    let mut columns = columns.unwrap_or_else(|| guess_columns(&table.header));
    columns.resize(table.header.len(), None);
    let rows = preview(table, &columns, group, words);
    SheetPreview {
        format: table.encoding.clone(),
        header: table.header.clone(),
        columns,
        rows,
    }
}

/// What to do with a row that matches an existing member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnMatch {
    /// Fill the member's fields from the row (cells left empty change nothing), add its tags.
    #[default]
    Update,
    Skip,
    /// Add the row as a new member all the same.
    Add,
}

/// What an import did, row by row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub added: usize,
    pub updated: usize,
    /// Rows that matched and were skipped, or repeated an earlier row.
    pub skipped: usize,
    /// Rows that could not be members (their reason is in the preview).
    pub refused: usize,
}

/// The actions that import the previewed rows: to be applied as one change. New members take
/// their ids from `ids`.
pub fn import_actions(
    rows: &[RowPreview],
    on_match: OnMatch,
    group: &Group,
    ids: &mut dyn Iterator<Item = MemberId>,
    at: Millis,
) -> (Vec<Action>, ImportCounts) {
    let mut actions = Vec::new();
    let mut counts = ImportCounts::default();
    for row in rows {
        let Ok(draft) = &row.member else {
            counts.refused += 1;
            continue;
        };
        let matched = row.matches.first().map(|(id, _)| id);
        match (row.repeats_row, matched, on_match) {
            (Some(_), _, _) | (None, Some(_), OnMatch::Skip) => counts.skipped += 1,
            (None, Some(id), OnMatch::Update) => {
                if let Some(member) = group.members.get(id) {
                    actions.extend(update_actions(member, draft, at));
                    counts.updated += 1;
                } else {
                    counts.skipped += 1;
                }
            }
            (None, None, _) | (None, Some(_), OnMatch::Add) => {
                let Some(id) = ids.next() else { break };
                actions.push(Action::AddMember {
                    id,
                    draft: draft.clone(),
                    at,
                });
                counts.added += 1;
            }
        }
    }
    (actions, counts)
}

/// What changes a member to what a row says: each filled cell that differs, each new tag, and
/// the status if the row has one the member can move to.
fn update_actions(member: &crate::Member, row: &MemberDraft, at: Millis) -> Vec<Action> {
    let current = [
        (MemberField::Name, &member.name),
        (MemberField::Email, &member.contacts.email),
        (MemberField::Phone, &member.contacts.phone),
        (MemberField::Wechat, &member.contacts.wechat),
        (MemberField::OtherContact, &member.contacts.other),
        (MemberField::Source, &member.source),
        (MemberField::Joined, &member.joined),
        (MemberField::Notes, &member.notes),
    ];
    let mut actions: Vec<Action> = current
        .into_iter()
        .filter_map(|(field, now)| {
            let typed = field_of(row, field);
            (!typed.is_empty() && typed != now.as_str()).then(|| Action::SetMember {
                id: member.id.clone(),
                field,
                value: typed.to_owned(),
            })
        })
        .collect();
    actions.extend(
        row.tags
            .iter()
            .filter(|tag| !member.tags.contains(*tag))
            .map(|tag| Action::TagMember {
                id: member.id.clone(),
                tag: tag.clone(),
            }),
    );
    if let Some(status) = row.status.filter(|s| member.status.can_become(*s)) {
        actions.push(Action::SetMemberStatus {
            id: member.id.clone(),
            status,
            at,
        });
    }
    actions
}

fn field_of(draft: &MemberDraft, field: MemberField) -> &str {
    match field {
        MemberField::Name => &draft.name,
        MemberField::Email => &draft.email,
        MemberField::Phone => &draft.phone,
        MemberField::Wechat => &draft.wechat,
        MemberField::OtherContact => &draft.other_contact,
        MemberField::Source => &draft.source,
        MemberField::Joined => &draft.joined,
        MemberField::Notes => &draft.notes,
    }
}

fn draft_from(cells: &[String], columns: &[Option<Column>], words: &Words) -> MemberDraft {
    let mut draft = MemberDraft::default();
    for (cell, column) in cells.iter().zip(columns) {
        match column {
            Some(Column::Status) => draft.status = words.status_named(cell),
            Some(Column::Text(field)) => *text_of(&mut draft, *field) = cell.clone(),
            // Tags as people type them in one cell: commas (either width), semicolons, 、.
            Some(Column::Tags) => draft.tags.extend(
                cell.split([',', '，', ';', '；', '、'])
                    .map(str::trim)
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_owned),
            ),
            None => {}
        }
    }
    draft
}

fn text_of(draft: &mut MemberDraft, field: MemberField) -> &mut String {
    match field {
        MemberField::Name => &mut draft.name,
        MemberField::Email => &mut draft.email,
        MemberField::Phone => &mut draft.phone,
        MemberField::Wechat => &mut draft.wechat,
        MemberField::OtherContact => &mut draft.other_contact,
        MemberField::Source => &mut draft.source,
        MemberField::Joined => &mut draft.joined,
        MemberField::Notes => &mut draft.notes,
    }
}

/// The group's members by their contacts, as a row's contacts are compared: phone numbers by
/// their digits (without China's country code), emails without case, WeChat ids as written.
struct ContactIndex(HashMap<(MatchedOn, String), Vec<MemberId>>);

impl ContactIndex {
    fn new(group: &Group) -> Self {
        let mut index: HashMap<_, Vec<MemberId>> = HashMap::new();
        for member in group.members.values() {
            for key in contact_keys(
                &member.contacts.phone,
                &member.contacts.email,
                &member.contacts.wechat,
            ) {
                index.entry(key).or_default().push(member.id.clone());
            }
        }
        Self(index)
    }

    fn matches(&self, draft: &MemberDraft) -> Vec<(MemberId, MatchedOn)> {
        let mut found: Vec<(MemberId, MatchedOn)> =
            contact_keys(&draft.phone, &draft.email, &draft.wechat)
                .into_iter()
                .flat_map(|key| {
                    let on = key.0;
                    self.0
                        .get(&key)
                        .into_iter()
                        .flatten()
                        .map(move |id| (id.clone(), on))
                })
                .collect();
        found.sort();
        found.dedup();
        found
    }
}

/// A row's or member's contacts as they are compared: the likeness keys of
/// [`crate::duplicates`] (phone digits without China's country code, email without case,
/// WeChat id as written), names left out.
fn contact_keys(phone: &str, email: &str, wechat: &str) -> Vec<(MatchedOn, String)> {
    use crate::duplicates::Likeness;
    crate::duplicates::likeness_keys("", phone, email, wechat)
        .into_iter()
        .filter_map(|(likeness, key)| {
            let on = match likeness {
                Likeness::Phone => MatchedOn::Phone,
                Likeness::Email => MatchedOn::Email,
                Likeness::Wechat => MatchedOn::Wechat,
                Likeness::Name | Likeness::Pinyin => return None,
            };
            Some((on, key))
        })
        .collect()
}

/// What makes a spreadsheet read a cell as a formula when it starts with it (CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written to a CSV file: one a spreadsheet would run as a formula gets a leading
/// apostrophe, so that it shows as the text it is (`+86 138…` stays a phone number).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A cell as read back: the apostrophe [`neutralise`] added is taken off again.
fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => cell,
    }
}

/// Whether a cell starts like a formula, after any apostrophes: a cell that really starts with
/// `'=` gets one more, so that reading it back takes off only the one added.
fn looks_like_formula(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A table as a CSV file that Excel and WPS open right: UTF-8 with a byte-order mark (without
/// one they read Chinese as the local code page), CRLF line ends, every cell neutralised.
pub fn write_csv<'a>(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<std::borrow::Cow<'a, str>>>,
) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xef\xbb\xbf".to_vec());
    let mut write = |cells: &mut dyn Iterator<Item = &str>| {
        // Writing to memory fails only if memory does.
        let _ = writer.write_record(cells.map(|cell| neutralise(cell).into_owned()));
    };
    write(&mut header.iter().copied());
    for row in rows {
        write(&mut row.iter().map(|cell| cell.as_ref()));
    }
    writer.into_inner().unwrap_or_default()
}

/// The words of a spreadsheet in the organizer's language, from the page's translations:
/// sheet names, column headers and statuses, by the keys of the `sheet` part of
/// `locales/*.json` (`name`, `member_status.active`…); a word missing is English. With the
/// organizer's time zone, for the dates written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Words {
    pub words: BTreeMap<String, String>,
    /// Minutes east of UTC (480 in China).
    pub utc_offset_minutes: i32,
}

impl Words {
    pub(crate) fn get<'a>(&'a self, key: &str, english: &'a str) -> &'a str {
        self.words.get(key).map_or(english, String::as_str)
    }

    /// The member status a cell names: its stored key, its English name or its name here.
    fn status_named(&self, cell: &str) -> Option<MemberStatus> {
        let cell = cell.trim();
        MemberStatus::ALL.into_iter().find(|status| {
            cell.eq_ignore_ascii_case(status.key())
                || cell.eq_ignore_ascii_case(status.label())
                || self
                    .words
                    .get(&format!("member_status.{}", status.key()))
                    .is_some_and(|word| word == cell)
        })
    }

    /// A moment as the organizer's calendar day, `YYYY-MM-DD`.
    fn day(&self, at: Millis) -> String {
        let local = at + i64::from(self.utc_offset_minutes) * 60_000;
        // Excel's serial day of the moment: days since 1899-12-30.
        excel_day(local.div_euclid(86_400_000) as f64 + 25_569.0)
    }
}

/// What can be exported as a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Export {
    Members,
    Roles,
    Feedback,
}

/// A table to write: a sheet of a workbook, or a CSV file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One of the group's tables as a sheet, in the organizer's words. Members export with the
/// headers the import knows, so an exported list imports back unchanged.
pub fn export(group: &Group, what: Export, words: &Words) -> Sheet {
    let header = |columns: &[(&str, &str)]| {
        columns
            .iter()
            .map(|(key, english)| words.get(key, english).to_owned())
            .collect()
    };
    let separator = words.get("list_separator", ", ");
    let name_of = |id: &MemberId| {
        group
            .members
            .get(id)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    };
    match what {
        Export::Members => {
            let mut members: Vec<&crate::Member> = group.members.values().collect();
            members.sort_by_cached_key(|m| crate::pinyin::sort_key(&m.name));
            Sheet {
                name: words.get("members", "Members").to_owned(),
                header: header(&[
                    ("name", "Name"),
                    ("status", "Status"),
                    ("email", "Email"),
                    ("phone", "Phone"),
                    ("wechat", "WeChat ID"),
                    ("other_contact", "Other contact"),
                    ("tags", "Tags"),
                    ("source", "Source"),
                    ("joined", "Joined"),
                    ("notes", "Notes"),
                    ("added", "Added"),
                ]),
                rows: members
                    .into_iter()
                    .map(|m| {
                        vec![
                            m.name.clone(),
                            words
                                .get(
                                    &format!("member_status.{}", m.status.key()),
                                    m.status.label(),
                                )
                                .to_owned(),
                            m.contacts.email.clone(),
                            m.contacts.phone.clone(),
                            m.contacts.wechat.clone(),
                            m.contacts.other.clone(),
                            m.tags.iter().cloned().collect::<Vec<_>>().join(separator),
                            m.source.clone(),
                            m.joined.clone(),
                            m.notes.clone(),
                            words.day(m.added_at),
                        ]
                    })
                    .collect(),
            }
        }
        Export::Roles => {
            let mut roles: Vec<&crate::Role> = group.roles.values().collect();
            roles.sort_by_cached_key(|r| crate::pinyin::sort_key(&r.name));
            Sheet {
                name: words.get("roles", "Roles").to_owned(),
                header: header(&[
                    ("role_name", "Role"),
                    ("responsibilities", "Responsibilities"),
                    ("holders", "Holders"),
                ]),
                rows: roles
                    .into_iter()
                    .map(|r| {
                        let holders: Vec<String> = r.holders.iter().map(name_of).collect();
                        vec![
                            r.name.clone(),
                            r.responsibilities.clone(),
                            holders.join(separator),
                        ]
                    })
                    .collect(),
            }
        }
        Export::Feedback => {
            let query = crate::FeedbackQuery::default();
            Sheet {
                name: words.get("feedback", "Feedback").to_owned(),
                header: header(&[
                    ("received", "Received"),
                    ("status", "Status"),
                    ("member", "Member"),
                    ("channel", "Channel"),
                    ("category", "Category"),
                    ("score", "Score"),
                    ("text", "Feedback"),
                    ("owner", "Owner"),
                ]),
                rows: query
                    .run(group)
                    .into_iter()
                    .map(|f| {
                        vec![
                            words.day(f.received_at),
                            words
                                .get(
                                    &format!("feedback_status.{}", f.status.key()),
                                    f.status.label(),
                                )
                                .to_owned(),
                            f.member.as_ref().map(name_of).unwrap_or_default(),
                            f.channel.clone(),
                            f.category.clone(),
                            f.score.map(|s| s.to_string()).unwrap_or_default(),
                            f.text.clone(),
                            f.owner.clone(),
                        ]
                    })
                    .collect(),
            }
        }
    }
}

/// A name (a group's, an activity's) as part of a file name: the characters file systems
/// refuse replaced.
pub fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if stem.trim().is_empty() {
        "cohort".to_owned()
    } else {
        stem.trim().to_owned()
    }
}

/// A sheet as a CSV file ([`write_csv`]).
pub fn sheet_csv(sheet: &Sheet) -> Vec<u8> {
    let header: Vec<&str> = sheet.header.iter().map(String::as_str).collect();
    write_csv(
        &header,
        sheet
            .rows
            .iter()
            .map(|row| row.iter().map(|cell| cell.as_str().into()).collect()),
    )
}

/// Sheets as an XLSX workbook. Every cell is written as text, so nothing is run as a formula
/// and phone numbers keep their leading zeros and plus signs.
pub fn write_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, String> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for sheet in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(&sheet.name).map_err(|e| e.to_string())?;
        for (column, title) in (0..).zip(&sheet.header) {
            worksheet
                .write_string_with_format(0, column, title, &bold)
                .map_err(|e| e.to_string())?;
        }
        for (row, cells) in (1..).zip(&sheet.rows) {
            for (column, cell) in (0..).zip(cells) {
                worksheet
                    .write_string(row, column, cell)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    workbook.save_to_buffer().map_err(|e| e.to_string())
}

/// The whole group as JSON: its profile, members, roles and feedback as Cohort reads them.
pub fn write_json(group: &Group) -> Vec<u8> {
    // Plain values serialize without fail.
    serde_json::to_vec_pretty(group).unwrap_or_default()
}

/// Work on a file for the spreadsheet worker (`crates/sheets`): the parsers and writers of
/// spreadsheets are half a megabyte of wasm, loaded only when an organizer imports or exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileWork {
    /// Read a chosen file as a table ([`read_table`]).
    Read(Vec<u8>),
    /// Write tables as one CSV file (the first) or one workbook.
    Write {
        format: TableFile,
        sheets: Vec<Sheet>,
    },
}

/// A file format tables are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableFile {
    Csv,
    Xlsx,
}

/// What [`FileWork`] gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileDone {
    Read(Result<Table, SheetError>),
    Written(Result<Vec<u8>, String>),
}

/// Does the work on a file: what the spreadsheet worker runs for each message.
pub fn work_on(work: FileWork) -> FileDone {
    match work {
        FileWork::Read(bytes) => FileDone::Read(read_table(&bytes)),
        FileWork::Write {
            format: TableFile::Csv,
            sheets,
        } => FileDone::Written(
            sheets
                .first()
                .map(sheet_csv)
                .ok_or_else(|| "no table to write".to_owned()),
        ),
        FileWork::Write {
            format: TableFile::Xlsx,
            sheets,
        } => FileDone::Written(write_xlsx(&sheets)),
    }
}
