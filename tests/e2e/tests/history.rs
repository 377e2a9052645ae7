//! Who changed what, and undo, through the UI: two organizers (two Chromium profiles) edit one
//! member through a real relay; the member's page says who changed which field; one organizer
//! undoes their change, and the other's edit of another field stays; after a reload, undo goes
//! one step further back and keeps what the other organizer changed since.

use harness::{Browser, Relay, Result, Viewport};

/// The text of the member page's history, once it holds `expected`.
async fn wait_for_history(browser: &Browser, expected: &str) -> Result<()> {
    browser
        .wait_until(&format!(
            "document.querySelector('.record-history .history-list')?.textContent.includes({})",
            serde_json::to_string(expected).unwrap_or_default()
        ))
        .await
}

#[tokio::test]
async fn a_record_edited_by_two_organizers_shows_who_changed_what_and_undo_keeps_the_others_edit()
-> Result<()> {
    let relay = Relay::start()?;
    let ann = Browser::launch(Viewport::Desktop).await?;
    ann.goto(relay.url()).await?;
    let group = ann.create_group("Readers").await?;
    ann.set_value("#display-name", "Ann").await?;
    ann.add_member("Ada", "ada@example.org").await?;
    ann.wait_until("document.querySelector('.sync-status')?.dataset.state === 'synced'")
        .await?;

    let bo = Browser::launch(Viewport::Phone).await?;
    bo.goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    bo.set_value("#display-name", "Bo").await?;
    bo.open_member("Ada").await?;
    bo.set_value("#m-phone", "138 0013 8000").await?;

    ann.open_member("Ada").await?;
    ann.set_value("#m-wechat", "ada_l").await?;
    ann.wait_until("document.querySelector('#m-phone')?.value === '138 0013 8000'")
        .await?;
    ann.set_value("#m-email", "ada@lovelace.org").await?;

    // Ann's history of Ada: her own edit, Bo's by name, and the adding.
    ann.click(".record-history summary").await?;
    wait_for_history(&ann, "You changed Email").await?;
    wait_for_history(&ann, "Bo changed Phone").await?;
    wait_for_history(&ann, "You added this record").await?;
    // Bo's reads the same changes with the names the other way round.
    bo.wait_until("document.querySelector('#m-email')?.value === 'ada@lovelace.org'")
        .await?;
    bo.click(".record-history summary").await?;
    wait_for_history(&bo, "Ann changed Email").await?;
    wait_for_history(&bo, "You changed Phone").await?;

    // Ann undoes her last change: the email goes back, on both screens; Bo's phone stays.
    ann.goto(&format!("{}{}/changes", relay.url(), &group[1..]))
        .await?;
    ann.wait_until(
        "document.querySelector('.next-undo')?.textContent.includes('Next to undo: changed Ada')",
    )
    .await?;
    ann.click("button.undo").await?;
    ann.wait_until("document.querySelector('.undone-result')?.textContent === 'Undone.'")
        .await?;
    bo.wait_until("document.querySelector('#m-email')?.value === 'ada@example.org'")
        .await?;
    assert_eq!(
        bo.eval("document.querySelector('#m-phone').value").await?,
        "138 0013 8000"
    );
    wait_for_history(&bo, "Ann undid a change to Email").await?;
    ann.wait_until(
        "[...document.querySelectorAll('.changes-feed .history-entry')].some(e => e.textContent.includes('Bo changed Ada'))",
    )
    .await?;

    // After a reload, the next undo is Ann's WeChat id; then nothing: Bo changed Ada since she
    // added her, so Ada stays.
    ann.goto(&format!("{}{}/changes", relay.url(), &group[1..]))
        .await?;
    ann.wait_until("!document.querySelector('button.undo')?.disabled")
        .await?;
    ann.click("button.undo").await?;
    ann.wait_until("document.querySelector('.undone-result')?.textContent === 'Undone.'")
        .await?;
    // Her adding of Ada is not undone: Bo changed Ada since.
    ann.wait_until(
        "document.querySelector('.next-undo')?.textContent === 'Nothing of yours to undo.'",
    )
    .await?;
    bo.wait_until("document.querySelector('#m-wechat')?.value === ''")
        .await?;
    assert_eq!(
        bo.eval("document.querySelector('#m-phone').value").await?,
        "138 0013 8000"
    );
    for browser in [&ann, &bo] {
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "{errors:?}");
    }
    ann.close().await?;
    bo.close().await?;
    Ok(())
}
