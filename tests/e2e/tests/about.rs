//! The group's purpose, description and rules: written on its home by an organizer, shown to
//! all, kept through a reload.

use harness::{Result, Viewport, open_app};

#[tokio::test]
async fn the_groups_purpose_and_rules_are_written_and_shown_on_its_home() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Phone).await?;
    browser.create_group("Reading club").await?;
    assert!(
        browser
            .text_of(".group-about .empty")
            .await?
            .starts_with("No purpose, description or rules yet.")
    );
    browser.click(".edit-about").await?;
    browser
        .set_value("#about-purpose", "Read one book a month together.")
        .await?;
    browser
        .set_value("#about-rules", "1. Be kind.\n2. No ads in the chat.")
        .await?;
    browser
        .wait_until("document.querySelector('#about-rules')?.value.startsWith('1. Be kind.')")
        .await?;
    browser.click(".edit-about").await?;
    browser
        .wait_until("document.querySelector('.group-about .purpose')?.textContent === 'Read one book a month together.'")
        .await?;

    // Kept, and shown again after a reload.
    browser.refresh().await?;
    browser
        .wait_until("document.querySelector('.group-about .purpose')?.textContent === 'Read one book a month together.'")
        .await?;
    browser.click(".group-about .rules summary").await?;
    assert_eq!(
        browser.text_of(".group-about .rules-text").await?,
        "1. Be kind.\n2. No ads in the chat."
    );
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}
