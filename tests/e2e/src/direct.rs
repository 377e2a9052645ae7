//! Driving direct connections as an organizer would: the share panel, display names, and
//! pairing two browsers by code (`src/pairing.rs`).

use crate::{Browser, Relay, Result};

/// Opens or closes the header's share panel (it lies over the page while open).
pub async fn share_panel(browser: &Browser, open: bool) -> Result<()> {
    browser
        .eval(&format!(
            "document.querySelector('details.share').open = {open}"
        ))
        .await
        .map(drop)
}

/// Sets this device's display name, in the share panel of the open group.
pub async fn set_name(browser: &Browser, name: &str) -> Result<()> {
    share_panel(browser, true).await?;
    browser.set_value("#display-name", name).await?;
    share_panel(browser, false).await
}

/// The text of the pairing code shown in `within`, once it is there and not `before`.
pub async fn code_text(browser: &Browser, within: &str, before: &str) -> Result<String> {
    let field = format!("document.querySelector('{within} .code-text')");
    browser
        .wait_until(&format!(
            "{field}?.value.length > 0 && {field}.value !== {before:?}"
        ))
        .await?;
    // The field may be drawn again in between.
    let value = browser.eval(&format!("{field}?.value ?? ''")).await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Waits until the header lists a direct connection to `name` in `state` (`server-has`: it
/// has every change).
pub async fn wait_for_direct_peer(browser: &Browser, name: &str, state: &str) -> Result<()> {
    browser
        .wait_until(&format!(
            "[...document.querySelectorAll('.direct-peer')].some(p => p.dataset.state === '{state}' && p.textContent.startsWith({name:?}))"
        ))
        .await
}

/// Ann shows a pairing code for her open group; Bo, on the groups page, takes it; Ann is given
/// Bo's answer. Returns once Ann asked to connect; see [`pair`] to wait for the connection.
pub async fn exchange_codes(ann: &Browser, bo: &Browser) -> Result<()> {
    share_panel(ann, true).await?;
    ann.click(".pair-start").await?;
    let code = code_text(ann, ".pair-device", "").await?;
    bo.fill("#pair-code", &code).await?;
    bo.click("#pair-use").await?;
    let answer = code_text(bo, ".pairing-answer", "").await?;
    ann.fill("#pair-answer", &answer).await?;
    ann.click("#pair-connect").await
}

/// Pairs Ann's open group with Bo's browser by code, until each lists the other as a direct
/// connection that has every change.
pub async fn pair(ann: &Browser, bo: &Browser, ann_name: &str, bo_name: &str) -> Result<()> {
    exchange_codes(ann, bo).await?;
    wait_for_direct_peer(ann, bo_name, "server-has").await?;
    wait_for_direct_peer(bo, ann_name, "server-has").await?;
    share_panel(ann, false).await
}

/// Ann makes a group with one member, Ada, and Bo opens its link: each named, both with the
/// group open. The group's path (`/g/<id>`).
pub async fn share_a_group(relay: &Relay, ann: &Browser, bo: &Browser) -> Result<String> {
    ann.goto(relay.url()).await?;
    let group = ann.create_group("Readers").await?;
    ann.add_member("Ada", "").await?;
    ann.wait_for_members(&["Ada"]).await?;
    set_name(ann, "Ann").await?;
    bo.goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    bo.wait_for_members(&["Ada"]).await?;
    set_name(bo, "Bo").await?;
    Ok(group)
}
