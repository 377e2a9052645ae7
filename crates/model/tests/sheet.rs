//! Member lists from CSV files, read for the import preview.
#![allow(clippy::unwrap_used)]

use cohort_model::sheet::{
    Column, Export, MatchedOn, OnMatch, SheetError, Words, export, guess_columns, import_actions,
    preview, preview_table, read_csv, read_table, sheet_csv, write_xlsx,
};
use cohort_model::*;

mod common;
use common::add_member;

fn names(rows: &[sheet::RowPreview]) -> Vec<Result<String, Field>> {
    rows.iter()
        .map(|row| {
            row.member
                .as_ref()
                .map(|m| m.name.clone())
                .map_err(|e| e.field)
        })
        .collect()
}

#[test]
fn a_wps_export_in_gb18030_with_chinese_headers_is_read_and_checked() {
    let text = "姓名;手机;微信;邮箱;标签;加入日期;备注\n\
                张伟;138 0013 8000;zhangwei88;zw@example.org;志愿者，讲师;2024-03-01;\"第一行\n第二行\"\n\
                李娜;;;not-an-email;;;\n\
                ;;;;;;\n\
                王芳;+86 139-0000-0000;;;;2024-13-01;\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let table = read_csv(&bytes).unwrap();
    assert_eq!(
        (table.encoding.as_str(), table.delimiter),
        ("GB18030", b';')
    );
    let columns = guess_columns(&table.header);
    assert_eq!(
        columns,
        [
            Some(Column::Text(MemberField::Name)),
            Some(Column::Text(MemberField::Phone)),
            Some(Column::Text(MemberField::Wechat)),
            Some(Column::Text(MemberField::Email)),
            Some(Column::Tags),
            Some(Column::Text(MemberField::Joined)),
            Some(Column::Text(MemberField::Notes)),
        ]
    );
    let rows = preview(&table, &columns, &Group::default(), &Words::default());
    // The empty row is skipped; each bad row says which field is wrong.
    assert_eq!(
        names(&rows),
        [Ok("张伟".into()), Err(Field::Email), Err(Field::Joined)]
    );
    let zhang = rows[0].member.as_ref().unwrap();
    assert_eq!(zhang.tags, ["志愿者", "讲师"]);
    assert_eq!(zhang.notes, "第一行\n第二行");
    assert_eq!(
        rows.iter().map(|r| r.row).collect::<Vec<_>>(),
        [2, 3, 5],
        "rows as a spreadsheet numbers them: a quoted line break starts none"
    );
}

#[test]
fn utf8_with_a_bom_and_tabs_and_english_headers_are_read() {
    let text = "\u{feff}Name\tEmail\tPhone\tIgnored\nAda\tADA@example.org\t+44 20 7946 0000\tx\n";
    let table = read_csv(text.as_bytes()).unwrap();
    assert_eq!((table.encoding.as_str(), table.delimiter), ("UTF-8", b'\t'));
    assert_eq!(
        table.header[0], "Name",
        "the byte-order mark is not part of the first header"
    );
    let columns = guess_columns(&table.header);
    assert_eq!(columns[3], None);
    let rows = preview(&table, &columns, &Group::default(), &Words::default());
    assert_eq!(rows[0].member.as_ref().unwrap().email, "ADA@example.org");
}

#[test]
fn rows_that_match_existing_members_name_them_and_on_what() {
    let mut doc = GroupDoc::create("Readers", 0).unwrap();
    let zhang = add_member(&mut doc, "张伟");
    doc.apply(&Action::SetMember {
        id: zhang.clone(),
        field: MemberField::Phone,
        value: "+86 138 0013 8000".into(),
    })
    .unwrap();
    let lin = add_member(&mut doc, "Lin");
    doc.apply(&Action::SetMember {
        id: lin.clone(),
        field: MemberField::Email,
        value: "Lin@Example.org".into(),
    })
    .unwrap();
    let text = "name,phone,email\n张伟,13800138000,\nLin Y.,,lin@example.org\nNew,,new@example.org\nZhang Wei,13900000000,\n";
    let table = read_csv(text.as_bytes()).unwrap();
    let rows = preview(
        &table,
        &guess_columns(&table.header),
        &doc.hydrate(),
        &Words::default(),
    );
    let matches: Vec<_> = rows.iter().map(|r| r.matches.clone()).collect();
    assert_eq!(
        matches,
        [
            vec![(zhang.clone(), MatchedOn::Phone)],
            vec![(lin, MatchedOn::Email)],
            vec![],
            vec![]
        ]
    );
    // Zhang Wei matches no contact, but is 张伟 in pinyin: flagged, and added as new.
    let alike: Vec<_> = rows.iter().map(|r| r.alike.clone()).collect();
    assert_eq!(
        alike,
        [
            vec![],
            vec![],
            vec![],
            vec![(zhang, duplicates::Likeness::Pinyin)]
        ]
    );
}

#[test]
fn files_that_are_not_member_lists_are_refused_with_a_reason() {
    assert_eq!(read_csv(b""), Err(SheetError::Empty));
    assert_eq!(read_csv(b"\xef\xbb\xbf\n \n"), Err(SheetError::Empty));
    // A spreadsheet saved as .xlsx and named .csv: a zip, with NUL bytes.
    assert_eq!(
        read_csv(b"PK\x03\x04\x14\x00\x06\x00"),
        Err(SheetError::NotText)
    );
    let too_large = vec![b'a'; sheet::MAX_BYTES + 1];
    assert_eq!(
        read_csv(&too_large),
        Err(SheetError::TooLarge {
            bytes: sheet::MAX_BYTES + 1
        })
    );
    let many: String = std::iter::once("name\n".to_owned())
        .chain((0..=sheet::MAX_ROWS).map(|n| format!("m{n}\n")))
        .collect();
    assert_eq!(read_csv(many.as_bytes()), Err(SheetError::TooManyRows));
    // A header alone is a list of no one.
    assert!(read_csv(b"name,phone\n").unwrap().rows.is_empty());
}

#[test]
fn written_csv_opens_right_in_excel_runs_no_formula_and_reads_back_unchanged() {
    let header = ["姓名", "phone", "notes"];
    let rows = vec![
        vec![
            "张伟",
            "+86 138 0013 8000",
            "=HYPERLINK(\"http://x\",\"click\")",
        ],
        vec!["Lin, \"Y\"", "-", "@everyone\nsecond line"],
        vec!["O'Brien", "", "'=not a formula, an apostrophe first"],
    ];
    let bytes = sheet::write_csv(
        &header,
        rows.iter()
            .map(|row| row.iter().map(|cell| (*cell).into()).collect()),
    );
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf"),
        "a byte-order mark first"
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("姓名,phone,notes\r\n"));
    assert!(text.contains("'+86 138 0013 8000"));
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\""));
    assert!(text.contains("\"'@everyone\nsecond line\""));
    assert!(!text.contains(",=") && !text.contains(",@") && !text.contains(",+"));

    let table = read_csv(&bytes).unwrap();
    assert_eq!(table.header, header);
    let read: Vec<Vec<&str>> = table
        .rows
        .iter()
        .map(|(_, cells)| cells.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(read, rows);
}

/// A group with members that use every field an export writes.
fn group_to_export() -> GroupDoc {
    let mut doc = GroupDoc::create("读书会", common::T0).unwrap();
    let drafts = [
        MemberDraft {
            name: "张伟".into(),
            phone: "+86 138 0013 8000".into(),
            wechat: "zhangwei88".into(),
            tags: ["志愿者".to_owned(), "mentor".to_owned()].into(),
            status: Some(MemberStatus::Active),
            source: "推荐".into(),
            joined: "2025-03-01".into(),
            notes: "=SUM(A1) 不是公式\n第二行".into(),
            ..MemberDraft::default()
        },
        MemberDraft {
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
            other_contact: "QQ 12345".into(),
            ..MemberDraft::default()
        },
    ];
    for (n, draft) in drafts.into_iter().enumerate() {
        doc.apply(&Action::AddMember {
            id: MemberId::from_bits(n as u64 + 1),
            draft,
            at: common::T0,
        })
        .unwrap();
    }
    doc
}

/// A member as an export compares them: everything but the id and when they were added.
type MemberValues = (
    String,
    Contacts,
    Vec<String>,
    MemberStatus,
    String,
    String,
    String,
);

/// The members of a group as an export compares them, by name.
fn member_values(group: &Group) -> Vec<MemberValues> {
    let mut members: Vec<_> = group
        .members
        .values()
        .map(|m| {
            (
                m.name.clone(),
                m.contacts.clone(),
                m.tags.iter().cloned().collect(),
                m.status,
                m.source.clone(),
                m.joined.clone(),
                m.notes.clone(),
            )
        })
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members
}

/// Imports a file into a new group, as the import screen does with its defaults.
fn import_into_new_group(bytes: &[u8], words: &Words) -> Group {
    let mut doc = GroupDoc::create("导入", common::T0).unwrap();
    let preview = preview_table(&read_table(bytes).unwrap(), None, &doc.hydrate(), words);
    let mut ids = (100..).map(MemberId::from_bits);
    let (actions, counts) = import_actions(
        &preview.rows,
        OnMatch::Update,
        &doc.hydrate(),
        &mut ids,
        common::T0,
    );
    assert_eq!(counts.added, preview.rows.len());
    let before = doc.automerge().get_changes(&[]).len();
    doc.apply_all(&actions).unwrap();
    // One change for the whole import: one step in the history.
    assert_eq!(doc.automerge().get_changes(&[]).len(), before + 1);
    doc.hydrate()
}

#[test]
fn members_exported_as_csv_or_xlsx_import_back_unchanged_in_either_language() {
    let group = group_to_export().hydrate();
    let chinese = Words {
        words: [
            ("name", "姓名"),
            ("status", "状态"),
            ("email", "邮箱"),
            ("phone", "手机"),
            ("wechat", "微信号"),
            ("other_contact", "其他联系方式"),
            ("tags", "标签"),
            ("source", "来源"),
            ("joined", "加入日期"),
            ("notes", "备注"),
            ("added", "添加时间"),
            ("member_status.active", "活跃"),
            ("member_status.applicant", "申请中"),
            ("list_separator", "、"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into(),
        utc_offset_minutes: 480,
    };
    for words in [Words::default(), chinese] {
        let sheet = export(&group, Export::Members, &words);
        assert_eq!(sheet.rows.len(), 2);
        let csv = sheet_csv(&sheet);
        assert_eq!(
            member_values(&import_into_new_group(&csv, &words)),
            member_values(&group)
        );
        let xlsx = write_xlsx(&[sheet]).unwrap();
        assert!(xlsx.starts_with(b"PK\x03\x04"));
        assert_eq!(
            member_values(&import_into_new_group(&xlsx, &words)),
            member_values(&group)
        );
    }
}

#[test]
fn matching_rows_update_skip_or_add_and_repeated_rows_import_once() {
    let doc = group_to_export();
    let group = doc.hydrate();
    let text = "姓名,手机,标签,备注\n\
                张伟（新）,13800138000,新标签,\n\
                李娜,13900000000,,\n\
                李娜重复,139 0000 0000,,\n\
                ,,,没有姓名\n";
    let rows = preview(
        &read_csv(text.as_bytes()).unwrap(),
        &guess_columns(&["姓名".into(), "手机".into(), "标签".into(), "备注".into()]),
        &group,
        &Words::default(),
    );
    assert_eq!(rows[2].repeats_row, Some(3));
    let run = |on_match| {
        let mut ids = (100..).map(MemberId::from_bits);
        import_actions(&rows, on_match, &group, &mut ids, common::T0)
    };
    let (actions, counts) = run(OnMatch::Update);
    assert_eq!(
        (counts.added, counts.updated, counts.skipped, counts.refused),
        (1, 1, 1, 1)
    );
    let zhang = MemberId::from_bits(1);
    assert!(actions.contains(&Action::SetMember {
        id: zhang.clone(),
        field: MemberField::Name,
        value: "张伟（新）".into()
    }));
    assert!(actions.contains(&Action::TagMember {
        id: zhang,
        tag: "新标签".into()
    }));
    let (_, counts) = run(OnMatch::Skip);
    assert_eq!((counts.added, counts.updated, counts.skipped), (1, 0, 2));
    let (_, counts) = run(OnMatch::Add);
    assert_eq!((counts.added, counts.updated, counts.skipped), (2, 0, 1));
}

#[test]
fn a_file_that_only_looks_like_a_spreadsheet_is_refused() {
    assert!(matches!(
        read_table(b"PK\x03\x04 not really a zip"),
        Err(SheetError::NotASpreadsheet(_))
    ));
    assert!(matches!(
        read_table(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0, 0]),
        Err(SheetError::NotASpreadsheet(_))
    ));
}
