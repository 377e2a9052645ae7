//! Who may open a group, through the UI: the owner protects a group and makes a read-only
//! link; a second Chromium profile opens it and sees the group, live, with no edit controls;
//! the owner revokes the link and that browser gets nothing new, keeps what it has, and says so.
//! (The relay's side, including a change forced through the reference JS client with a
//! read-only capability, is tested in relay/tests/access.rs.)

use std::time::Duration;

use harness::{Browser, Relay, Result, Viewport};

#[tokio::test]
async fn a_read_only_link_shows_the_group_live_without_edit_controls_until_it_is_revoked()
-> Result<()> {
    let relay = Relay::start()?;
    let ann = Browser::launch(Viewport::Desktop).await?;
    ann.goto(relay.url()).await?;
    ann.create_group("Readers").await?;
    ann.add_member("Ada", "ada@example.org").await?;
    ann.wait_for_members(&["Ada"]).await?;

    // One step protects the group; then a read-only link for the board.
    ann.click(".share > summary").await?;
    ann.click("#protect-group").await?;
    ann.wait_for("#make-link").await?;
    ann.set_value("#link-role", "read").await?;
    ann.fill("#link-label", "board").await?;
    ann.click("#make-link").await?;
    ann.wait_for("#new-link").await?;
    let link = ann
        .eval("document.querySelector('#new-link').value")
        .await?;
    let link = link.as_str().unwrap_or_default().to_owned();
    assert!(link.contains("#read."), "{link}");
    ann.click(".share > summary").await?;

    // The board member's browser: everything, no controls, and the secret out of the address bar.
    let bo = Browser::launch(Viewport::Desktop).await?;
    bo.goto(&link).await?;
    bo.wait_for_members(&["Ada"]).await?;
    bo.wait_until("document.querySelector('.read-only-note') !== null && location.hash === ''")
        .await?;
    let no_controls = bo
        .eval(
            "document.querySelector('fieldset.group-pages').disabled \
             && [...document.querySelectorAll('.group-pages button')].every(b => b.offsetParent === null) \
             && [...document.querySelectorAll('.group-pages input, .group-pages select, .group-pages textarea')].every(c => c.disabled || c.closest('fieldset:disabled'))",
        )
        .await?;
    assert_eq!(no_controls, serde_json::Value::Bool(true));
    bo.click(".share > summary").await?;
    bo.wait_for(".held-access").await?;
    assert!(
        bo.eval("document.querySelector('#make-link') === null")
            .await?
            .as_bool()
            .unwrap_or(false),
        "a reader makes no links"
    );
    bo.click(".share > summary").await?;

    // Live.
    ann.add_member("Grace", "grace@example.org").await?;
    bo.wait_for_members(&["Ada", "Grace"]).await?;

    // Revoked: the reader is cut off, told so, and keeps what it had.
    ann.wait_until("[...document.querySelectorAll('.share-link')].some(li => li.textContent.includes('board'))")
        .await?;
    // The owner's link is listed first, the board's last.
    ann.click(".share > summary").await?;
    ann.click(".share-link:last-child .revoke").await?;
    bo.wait_for(".alert.gone").await?;
    ann.click(".share > summary").await?;
    ann.add_member("Linus", "linus@example.org").await?;
    ann.wait_for_members(&["Ada", "Grace", "Linus"]).await?;
    ann.wait_for_sync_state("synced").await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    bo.wait_for_members(&["Ada", "Grace"]).await?;
    bo.click("#keep-local-copy").await?;
    bo.wait_until("document.querySelector('.alert.gone') === null")
        .await?;
    bo.wait_for_members(&["Ada", "Grace"]).await?;
    Ok(())
}
