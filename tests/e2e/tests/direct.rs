//! Organizers' browsers syncing directly, over WebRTC data channels (two Chromium sessions
//! with separate profiles): introduced by a relay that only signals and keeps nothing of the
//! group, and noticing a lost channel.

use harness::direct::{
    code_text, pair, set_name, share_a_group, share_panel, wait_for_direct_peer,
};
use harness::{Browser, Relay, Result, Viewport, temp_dir};
use serde_json::json;

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(next) = dirs.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                found.push(relative.display().to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn two_browsers_sync_directly_through_a_relay_that_only_signals() -> Result<()> {
    let relay = Relay::start_with(&["--signal-only"])?;
    let ann = Browser::launch(Viewport::Desktop).await?;
    let bo = Browser::launch(Viewport::Desktop).await?;
    // Bo opens the group's link: his device gets the group from Ann's, directly.
    share_a_group(&relay, &ann, &bo).await?;
    wait_for_direct_peer(&ann, "Bo", "server-has").await?;
    wait_for_direct_peer(&bo, "Ann", "server-has").await?;
    // The relay keeps nothing, and says so.
    ann.wait_for_sync_state("signal-only").await?;

    // Edits both ways.
    ann.add_member("Grace", "grace@example.org").await?;
    bo.add_member("Linus", "linus@example.org").await?;
    ann.wait_for_members(&["Ada", "Grace", "Linus"]).await?;
    bo.wait_for_members(&["Ada", "Grace", "Linus"]).await?;

    // Nothing of the group reached the relay's disk: no change log, snapshot or change.
    let stored = files_under(relay.data_dir());
    assert!(
        stored
            .iter()
            .all(|path| !["cohort.log", "snapshot", "incremental"]
                .iter()
                .any(|kind| path.contains(kind))),
        "the relay stored {stored:?}"
    );
    Ok(())
}

#[tokio::test]
async fn two_browsers_pair_by_code_with_no_relay_at_all_and_pair_again_after_one_closes()
-> Result<()> {
    let mut relay = Relay::start()?;
    let (ann_profile, bo_profile) = (temp_dir("cohort-ann-")?, temp_dir("cohort-bo-")?);
    let ann = Browser::launch_with_profile(Viewport::Desktop, ann_profile.path()).await?;
    let bo = Browser::launch_with_profile(Viewport::Desktop, bo_profile.path()).await?;
    ann.goto(relay.url()).await?;
    bo.goto(relay.url()).await?;
    bo.wait_for_service_worker().await?;
    let group = ann.create_group("Choir").await?;
    ann.add_member("Ada", "").await?;
    ann.wait_for_members(&["Ada"]).await?;
    set_name(&ann, "Ann").await?;
    // Bo's name is set on the groups page's share panel once a group is open; until then the
    // pairing code carries none, so he sets it first on a group of his own.
    bo.create_group("Bo's own").await?;
    set_name(&bo, "Bo").await?;
    bo.goto(relay.url()).await?;
    bo.wait_for("#pair-code").await?;

    // No relay from here on.
    relay.kill();
    pair(&ann, &bo, "Ann", "Bo").await?;
    bo.wait_for_members(&["Ada"]).await?;

    // Concurrent edits, both arrive.
    ann.add_member("Grace", "").await?;
    bo.add_member("Linus", "").await?;
    ann.wait_for_members(&["Ada", "Grace", "Linus"]).await?;
    bo.wait_for_members(&["Ada", "Grace", "Linus"]).await?;

    // Bo's browser closes; Ann sees the connection go, and both edit apart. (Closed, not
    // killed: Chromium writes local storage, where Bo's name is kept, a while after it is
    // set, and a kill can lose it. A killed peer is the lost-channel test's.)
    bo.close().await?;
    ann.wait_until("document.querySelectorAll('.direct-peer').length === 0")
        .await?;
    ann.add_member("Mary", "").await?;
    let bo = Browser::launch_with_profile(Viewport::Desktop, bo_profile.path()).await?;
    bo.goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    bo.add_member("Tim", "").await?;
    bo.wait_for_members(&["Ada", "Grace", "Linus", "Tim"])
        .await?;

    // Paired again, from the groups page: both have everything.
    bo.goto(relay.url()).await?;
    bo.wait_for("#pair-code").await?;
    pair(&ann, &bo, "Ann", "Bo").await?;
    let all = ["Ada", "Grace", "Linus", "Mary", "Tim"];
    ann.wait_for_members(&all).await?;
    bo.wait_for_members(&all).await?;
    Ok(())
}

/// Enters `text` in a pairing field, submits it, and waits for a message containing `words`.
async fn refused(browser: &Browser, field: &str, text: &str, words: &str) -> Result<()> {
    browser.fill(field, text).await?;
    let button = if field == "#pair-code" {
        "#pair-use"
    } else {
        "#pair-connect"
    };
    browser.click(button).await?;
    browser
        .wait_until(&format!(
            "[...document.querySelectorAll('.field-error, .pair-message')].some(e => !e.hidden && e.textContent.includes({words:?}))"
        ))
        .await
}

#[tokio::test]
async fn a_bad_or_replayed_pairing_code_says_why_and_changes_nothing() -> Result<()> {
    let relay = Relay::start()?;
    let ann = Browser::launch(Viewport::Desktop).await?;
    let bo = Browser::launch(Viewport::Desktop).await?;
    ann.goto(relay.url()).await?;
    bo.goto(relay.url()).await?;
    ann.create_group("Choir").await?;
    share_panel(&ann, true).await?;
    ann.click(".pair-start").await?;
    let code = code_text(&ann, ".pair-device", "").await?;
    let groups_before = bo
        .eval("document.querySelectorAll('.group-list li').length")
        .await?;

    // Garbage, a damaged code, and an answer where a first code belongs.
    refused(&bo, "#pair-code", "hello", "not a Cohort pairing code").await?;
    let replacement = if &code[30..31] == "x" { "y" } else { "x" };
    let damaged = format!("{}{replacement}{}", &code[..30], &code[31..]);
    refused(&bo, "#pair-code", &damaged, "damaged or incomplete").await?;
    // Taken once: the group opens and an answer is shown.
    bo.fill("#pair-code", &code).await?;
    bo.click("#pair-use").await?;
    let answer = code_text(&bo, ".pairing-answer", "").await?;
    refused(
        &ann,
        "#pair-answer",
        &code,
        "first pairing code, not an answer",
    )
    .await?;
    // The answer is taken once: the code it answers goes, and a new code refuses it.
    ann.fill("#pair-answer", &answer).await?;
    ann.click("#pair-connect").await?;
    wait_for_direct_peer(&ann, "", "server-has").await?;
    ann.wait_until("!document.querySelector('.pair-device .code-text')")
        .await?;
    ann.click(".pair-start").await?;
    code_text(&ann, ".pair-device", &code).await?;
    refused(&ann, "#pair-answer", &answer, "not for the code shown here").await?;
    // Replayed on the device that took it: refused, and nothing more is opened.
    bo.goto(relay.url()).await?;
    refused(&bo, "#pair-code", &code, "already used on this device").await?;
    let groups_after = bo
        .eval("document.querySelectorAll('.group-list li').length")
        .await?;
    assert_eq!(
        groups_after.as_u64(),
        groups_before.as_u64().map(|n| n + 1),
        "one group came by the code that was taken"
    );
    Ok(())
}

#[tokio::test]
async fn a_lost_direct_channel_is_noticed_within_ten_seconds_and_the_relay_carries_on() -> Result<()>
{
    let relay = Relay::start()?;
    let ann = Browser::launch(Viewport::Desktop).await?;
    let bo = Browser::launch(Viewport::Desktop).await?;
    share_a_group(&relay, &ann, &bo).await?;
    wait_for_direct_peer(&ann, "Bo", "server-has").await?;
    let bo_gone =
        "![...document.querySelectorAll('.direct-peer')].some(p => p.textContent.startsWith('Bo'))";

    // Bo's page freezes (a phone that locks its screen, a tab put to sleep): its side of the
    // channel says nothing more, though the connection underneath stays up.
    let frozen = std::time::Instant::now();
    let lifecycle = |state: &str| json!({ "state": state });
    bo.cdp("Page.setWebLifecycleState", lifecycle("frozen"))
        .await?;
    ann.wait_until(bo_gone).await?;
    let noticed = frozen.elapsed();
    eprintln!("a silent peer's channel was noticed after {noticed:?}");
    assert!(noticed.as_secs_f64() < 10.0, "noticed after {noticed:?}");
    // Bo's page wakes; Ann's edit reaches it through the relay, with no direct channel yet
    // (one is dialled again only after 15 s).
    bo.cdp("Page.setWebLifecycleState", lifecycle("active"))
        .await?;
    ann.add_member("Grace", "").await?;
    bo.wait_for_members(&["Ada", "Grace"]).await?;
    let direct = bo
        .eval("document.querySelectorAll('.direct-peer').length")
        .await?;
    assert_eq!(direct.as_u64(), Some(0), "it came through the relay");

    // Paired again later, Bo's browser is killed: no goodbye on the channel at all.
    wait_for_direct_peer(&ann, "Bo", "server-has").await?;
    let killed = std::time::Instant::now();
    drop(bo);
    ann.wait_until(bo_gone).await?;
    let noticed = killed.elapsed();
    eprintln!("a killed peer's channel was noticed after {noticed:?}");
    assert!(noticed.as_secs_f64() < 10.0, "noticed after {noticed:?}");
    Ok(())
}
