//! Member lists from spreadsheets, read for the import preview: the bytes of a CSV file as WPS,
//! Excel or Feishu save it, read into rows; columns matched to member fields from their headers
//! (Chinese or English); each row checked as the add-member form checks it; and the existing
//! members each row matches by phone, email or WeChat id. Nothing here writes: the organizer
//! sees this preview and chooses, and only then do actions follow. And tables written as CSV
//! that Excel and WPS open right, safe from formula injection, and read back unchanged.

use std::collections::HashMap;

use crate::{Group, Invalid, MemberDraft, MemberField, MemberId, checked_member};

/// The largest file read: far beyond any member list, small enough to parse in a moment.
pub const MAX_BYTES: usize = 20 << 20;
/// The most rows read; a group holds a few thousand members.
pub const MAX_ROWS: usize = 20_000;

/// Why a file cannot be read as a member list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
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

/// A CSV file read as text rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// The encoding it was read in: "UTF-8" or "GB18030".
    pub encoding: &'static str,
    /// The delimiter found: `,`, `;` or a tab.
    pub delimiter: u8,
    pub header: Vec<String>,
    /// The rows after the header, each with its number as a spreadsheet shows it (the header
    /// is row 1; a line break inside a quoted cell does not start a row).
    pub rows: Vec<(usize, Vec<String>)>,
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
    let mut header = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| SheetError::Malformed {
            row: error.position().map_or(0, |p| p.record() as usize + 1),
            reason: error.to_string(),
        })?;
        let row = record.position().map_or(0, |p| p.record() as usize + 1);
        let cells: Vec<String> = record
            .iter()
            .map(|cell| restore(cell.trim()).to_owned())
            .collect();
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
        encoding,
        delimiter,
        header: header.ok_or(SheetError::Empty)?,
        rows,
    })
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Text(MemberField),
    Tags,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchedOn {
    Phone,
    Email,
    Wechat,
}

/// One row as the import would add it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowPreview {
    /// Its number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The member it adds, checked as the form checks one; or why it cannot be added.
    pub member: Result<MemberDraft, Invalid>,
    /// Existing members it matches, so that the organizer can update, skip or add.
    pub matches: Vec<(MemberId, MatchedOn)>,
}

/// Each row of `table` as a member, by the `columns` chosen, with its matches in `group`.
pub fn preview(table: &Table, columns: &[Option<Column>], group: &Group) -> Vec<RowPreview> {
    let index = ContactIndex::new(group);
    table
        .rows
        .iter()
        .map(|(row, cells)| {
            let draft = draft_from(cells, columns);
            let member = checked_member(&draft);
            let matches = member
                .as_ref()
                .map_or_else(|_| Vec::new(), |m| index.matches(m));
            RowPreview {
                row: *row,
                member,
                matches,
            }
        })
        .collect()
}

fn draft_from(cells: &[String], columns: &[Option<Column>]) -> MemberDraft {
    let mut draft = MemberDraft::default();
    for (cell, column) in cells.iter().zip(columns) {
        match column {
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

fn contact_keys(phone: &str, email: &str, wechat: &str) -> Vec<(MatchedOn, String)> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    // A mainland mobile number written with the country code (+86 or 0086) is the same number.
    let digits = match digits.len() {
        13 => digits.strip_prefix("86").unwrap_or(&digits).to_owned(),
        15 => digits.strip_prefix("0086").unwrap_or(&digits).to_owned(),
        _ => digits,
    };
    [
        (MatchedOn::Phone, digits),
        (MatchedOn::Email, email.trim().to_lowercase()),
        (MatchedOn::Wechat, wechat.trim().to_owned()),
    ]
    .into_iter()
    .filter(|(_, key)| !key.is_empty())
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
