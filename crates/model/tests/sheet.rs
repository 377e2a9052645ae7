//! Member lists from CSV files, read for the import preview.
#![allow(clippy::unwrap_used)]

use cohort_model::sheet::{Column, MatchedOn, SheetError, guess_columns, preview, read_csv};
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
    assert_eq!((table.encoding, table.delimiter), ("GB18030", b';'));
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
    let rows = preview(&table, &columns, &Group::default());
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
    assert_eq!((table.encoding, table.delimiter), ("UTF-8", b'\t'));
    assert_eq!(
        table.header[0], "Name",
        "the byte-order mark is not part of the first header"
    );
    let columns = guess_columns(&table.header);
    assert_eq!(columns[3], None);
    let rows = preview(&table, &columns, &Group::default());
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
    let text =
        "name,phone,email\n张伟,13800138000,\nLin Y.,,lin@example.org\nNew,,new@example.org\n";
    let table = read_csv(text.as_bytes()).unwrap();
    let rows = preview(&table, &guess_columns(&table.header), &doc.hydrate());
    let matches: Vec<_> = rows.iter().map(|r| r.matches.clone()).collect();
    assert_eq!(
        matches,
        [
            vec![(zhang, MatchedOn::Phone)],
            vec![(lin, MatchedOn::Email)],
            vec![]
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
