//! A digest through the UI: drafted for the last week (a member who joined, an activity
//! coming up with a duty nobody holds), copied and remembered; the next one has only what is
//! new; in Chinese, drafted in Chinese.

use harness::{Result, Viewport, open_app};
use serde_json::json;

#[tokio::test]
async fn a_digest_is_drafted_copied_and_the_next_has_only_what_is_new() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    let group = browser.create_group("Reading club").await?;
    let page = |path: &str| format!("{}{}/{path}", relay.url(), &group[1..]);
    browser
        .cdp(
            "Browser.grantPermissions",
            json!({ "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"] }),
        )
        .await?;
    // Ana joins as an active member.
    browser.click("button[aria-expanded]").await?;
    browser.fill("#new-name", "Ana").await?;
    browser.set_value("#new-status", "active").await?;
    browser.click("form.add-member button[type=submit]").await?;
    browser.wait_for("tbody tr").await?;

    browser.click("a.digest-link").await?;
    browser
        .wait_until("document.querySelector('#digest-text')?.value.includes('Welcome to our new members: Ana!')")
        .await?;
    let text = browser
        .eval("document.querySelector('#digest-text').value")
        .await?;
    assert!(
        text.as_str()
            .unwrap_or_default()
            .starts_with("Reading club: news from "),
        "{text}"
    );
    // Edited, then copied and remembered.
    browser
        .eval("(() => { const t = document.querySelector('#digest-text'); t.value += '\\nSee you soon!'; t.dispatchEvent(new Event('input', { bubbles: true })); })()")
        .await?;
    browser.click(".share-digest").await?;
    browser
        .wait_until("document.querySelector('.shared')?.textContent.startsWith('Copied.')")
        .await?;
    let copied = browser
        .execute_async(
            "const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, () => done(''));",
            Vec::new(),
        )
        .await?;
    assert!(
        copied
            .as_str()
            .unwrap_or_default()
            .ends_with("Welcome to our new members: Ana!\nSee you soon!"),
        "{copied}"
    );

    // The next digest of the same days holds nothing new; a new member is news again.
    browser.goto(&page("digest")).await?;
    browser
        .wait_until("document.querySelector('#digest-text')?.value.includes('Nothing new since the last digest.')")
        .await?;
    assert!(
        browser
            .text_of(".last-digest")
            .await?
            .starts_with("Last shared ")
    );
    browser.goto(&page("members")).await?;
    browser.click("button[aria-expanded]").await?;
    browser.fill("#new-name", "Ben").await?;
    browser.set_value("#new-status", "active").await?;
    browser.click("form.add-member button[type=submit]").await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;
    browser.goto(&page("digest")).await?;
    browser
        .wait_until("document.querySelector('#digest-text')?.value.includes('Welcome to our new members: Ben!')")
        .await?;

    // A page that is not a secure context (a LAN relay over plain HTTP) has no clipboard: the
    // digest is still marked as shared, and the organizer is told to copy it by hand.
    browser
        .eval("void Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined })")
        .await?;
    browser.click(".share-digest").await?;
    browser
        .wait_until("document.querySelector('.shared')?.textContent.includes('copy it by hand')")
        .await?;
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}
