//! Spreadsheets in and out, backups and their restore, through the app in Chromium.

use std::path::{Path, PathBuf};

use harness::{Browser, HarnessError, Relay, Result, Viewport, open_app, temp_dir};

/// A WPS-style export in GB18030: a member already in the group (by phone), two new ones
/// (one with a formula in its notes), three bad rows and one repeating an earlier row.
fn fixture() -> PathBuf {
    harness::workspace_root().join("tests/e2e/fixtures/members-gb18030.csv")
}

/// Opens the open group's import and export page from the members page.
async fn open_data_page(browser: &Browser) -> Result<()> {
    browser.click("a.import-export").await?;
    browser.wait_for("#sheet-file").await?;
    Ok(())
}

/// Writes bytes to a file of that name in `dir`, to choose it in a file input.
fn file_in(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(HarnessError::TempDir)?;
    Ok(path)
}

/// The members table's rows as shown (name, status, contact, tags, joined).
async fn member_rows(browser: &Browser) -> Result<serde_json::Value> {
    browser
        .eval("[...document.querySelectorAll('tbody tr')].map(row => [...row.querySelectorAll('th, td')].map(cell => cell.querySelector('select')?.selectedOptions[0]?.textContent ?? cell.textContent))")
        .await
}

/// Imports a file from the data page with the default choices and waits for the result.
async fn import(browser: &Browser, path: &Path) -> Result<String> {
    browser.choose_file("#sheet-file", path).await?;
    browser.wait_for(".preview-summary").await?;
    browser.click(".import-members .actions button").await?;
    browser
        .wait_until("document.querySelector('.import-status')?.textContent.startsWith('Imported')")
        .await?;
    browser.text_of(".import-status").await
}

#[tokio::test]
async fn a_gb18030_list_is_previewed_with_its_bad_rows_and_matches_then_imported_in_one_step()
-> Result<()> {
    let (_relay, browser) = open_app(Viewport::Desktop).await?;
    browser.create_group("读书会").await?;
    browser.click("button[aria-expanded]").await?;
    browser.fill("#new-name", "张伟").await?;
    browser.fill("#new-phone", "+86 138 0013 8000").await?;
    browser.click("form.add-member button[type=submit]").await?;
    browser.wait_for("tbody tr").await?;
    open_data_page(&browser).await?;

    browser.choose_file("#sheet-file", &fixture()).await?;
    browser.wait_for(".preview-summary").await?;
    assert_eq!(
        browser.text_of(".preview-summary").await?,
        "GB18030: 7 rows. 2 new, 1 match members already here, 1 repeat an earlier row, 3 cannot be imported."
    );
    let bad = browser.text_of(".bad-rows").await?;
    for line in [
        "Row 4: Email “wf@example” is not an email address",
        "Row 5: Name is required",
        "Row 6: Joined “2025-13-40” is not a date",
        "Row 7 repeats row 3",
    ] {
        assert!(bad.contains(line), "{line} not in {bad}");
    }
    assert_eq!(
        browser.text_of(".matching-rows").await?,
        "Row 2 matches 张伟 (phone)"
    );
    // Columns were guessed from the Chinese headers.
    assert_eq!(
        browser
            .eval("document.querySelector('#column-0').selectedOptions[0].textContent")
            .await?,
        "Name"
    );

    browser.set_value("#on-match", "skip").await?;
    browser.click(".import-members .actions button").await?;
    browser
        .wait_until("document.querySelector('.import-status')?.textContent.startsWith('Imported')")
        .await?;
    assert_eq!(
        browser.text_of(".import-status").await?,
        "Imported: 2 added, 0 updated, 2 skipped, 3 not imported. It is one step in the group's history."
    );
    browser.back().await?;
    browser
        .wait_until("document.querySelector('.members .count')?.textContent === '3 members'")
        .await?;
    // A cell that looks like a formula is kept as the text it is.
    browser.fill("#member-search", "liuyang").await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 1")
        .await?;
    browser.click("tbody tr th a").await?;
    browser
        .wait_until(
            "document.querySelector('#m-notes')?.value === '=HYPERLINK(\"http://example.org\")'",
        )
        .await?;
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

#[tokio::test]
async fn members_exported_as_csv_and_xlsx_import_into_another_group_unchanged() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Desktop).await?;
    let scratch = temp_dir("cohort-exports-")?;
    browser.create_group("Source").await?;
    open_data_page(&browser).await?;
    import(&browser, &fixture()).await?;
    browser.back().await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 3")
        .await?;
    let original = member_rows(&browser).await?;

    open_data_page(&browser).await?;
    browser.click(".export-members-csv").await?;
    let (csv_name, csv) = browser.take_download(".csv").await?;
    assert_eq!(csv_name, "Source-Members.csv");
    assert!(
        csv.starts_with(b"\xef\xbb\xbf"),
        "UTF-8 with a byte-order mark"
    );
    assert!(
        String::from_utf8_lossy(&csv).contains("'=HYPERLINK"),
        "a formula cell is neutralised"
    );
    browser.click(".export-xlsx").await?;
    let (_, xlsx) = browser.take_download(".xlsx").await?;
    browser.click(".export-json").await?;
    let (_, json) = browser.take_download(".json").await?;
    let group: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| HarnessError::Answer(e.to_string()))?;
    assert_eq!(group["members"].as_object().map(|m| m.len()), Some(3));

    for (name, bytes) in [("members.csv", csv), ("members.xlsx", xlsx)] {
        browser.create_group(&format!("Copy from {name}")).await?;
        open_data_page(&browser).await?;
        let status = import(&browser, &file_in(scratch.path(), name, &bytes)?).await?;
        assert!(status.starts_with("Imported: 3 added"), "{status}");
        browser.back().await?;
        browser
            .wait_until("document.querySelectorAll('tbody tr').length === 3")
            .await?;
        assert_eq!(member_rows(&browser).await?, original, "{name}");
    }
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

#[tokio::test]
async fn files_that_are_not_member_lists_get_a_reason_and_write_nothing() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Desktop).await?;
    let scratch = temp_dir("cohort-bad-files-")?;
    browser.create_group("Careful").await?;
    open_data_page(&browser).await?;
    let many: String = std::iter::once("name\n".to_owned())
        .chain((0..100_000).map(|n| format!("member {n}\n")))
        .collect();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "binary.csv",
            vec![0x00, 0xff, 0x10, 0x00, 0x7f, 0x00],
            "The file is not text",
        ),
        ("empty.csv", Vec::new(), "The file is empty."),
        (
            "many.csv",
            many.into_bytes(),
            "The file has more than 20000 rows",
        ),
        (
            "huge.csv",
            vec![b'a'; 50 << 20],
            "The file is 50.0 MB; at most 20.0 MB",
        ),
        (
            "fake.xlsx",
            b"PK\x03\x04 not a workbook".to_vec(),
            "The spreadsheet cannot be read",
        ),
    ];
    for (name, bytes, reason) in cases {
        browser
            .choose_file("#sheet-file", &file_in(scratch.path(), name, &bytes)?)
            .await?;
        browser
            .wait_until(&format!(
                "document.querySelector('.import-members .form-alert:not([hidden])')?.textContent.startsWith({reason:?})"
            ))
            .await?;
        assert!(
            browser
                .eval("document.querySelector('.preview-summary') === null")
                .await?
                .as_bool()
                .unwrap_or(false),
            "{name}: no preview, nothing to import"
        );
    }
    browser.back().await?;
    browser
        .wait_until("document.querySelector('.members .count')?.textContent === '0 members'")
        .await?;
    browser.close().await
}

#[tokio::test]
async fn a_backup_restores_on_another_device_and_merges_where_the_group_is() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Desktop).await?;
    let scratch = temp_dir("cohort-backups-")?;
    browser.create_group("Backed up").await?;
    browser.add_member("Before the backup", "").await?;
    browser.wait_for("tbody tr").await?;
    open_data_page(&browser).await?;
    browser.click(".export-backup").await?;
    let (name, backup) = browser.take_download(".automerge").await?;
    let backup = file_in(scratch.path(), &name, &backup)?;

    // Meanwhile the group goes on here.
    browser.back().await?;
    browser.add_member("After the backup", "").await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;

    // Another device, on a relay that never had the group: the backup restores it...
    let other_relay = Relay::start()?;
    let other = Browser::launch(Viewport::Desktop).await?;
    other.goto(other_relay.url()).await?;
    other.choose_file("#import-file", &backup).await?;
    other
        .wait_until("document.querySelector('.members .count')?.textContent === '1 member'")
        .await?;
    // ... and restoring it again merges into that group rather than making another.
    other.click("a.brand").await?;
    other.wait_for(".group-item").await?;
    other.choose_file("#import-file", &backup).await?;
    other
        .wait_until("location.pathname.endsWith('/members') && document.querySelectorAll('tbody tr').length === 1")
        .await?;
    other.click("a.brand").await?;
    other.wait_for(".group-item").await?;
    assert_eq!(
        other
            .eval("document.querySelectorAll('.group-item').length")
            .await?,
        1
    );

    // Here, merging the older backup loses neither side.
    open_data_page(&browser).await?;
    browser.choose_file("#merge-file", &backup).await?;
    browser
        .wait_until("document.querySelector('.backup-group [role=status]')?.textContent === 'The backup is merged into this group.'")
        .await?;
    browser.back().await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;

    // A backup of another group is refused, and says so.
    browser.create_group("Someone else's").await?;
    open_data_page(&browser).await?;
    browser.choose_file("#merge-file", &backup).await?;
    browser
        .wait_until("document.querySelector('.backup-group .form-alert:not([hidden])')?.textContent.startsWith('This file is a backup of another group')")
        .await?;
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    other.close().await?;
    browser.close().await
}
