//! Organizers' browsers syncing directly, over WebRTC data channels (two Chromium sessions
//! with separate profiles): introduced by a relay that only signals and keeps nothing of the
//! group, and noticing a lost channel.

use harness::{Browser, Relay, Result, Viewport};

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

/// Waits until the header lists one direct connection, to `name`, in `state`.
async fn wait_for_direct_peer(browser: &Browser, name: &str, state: &str) -> Result<()> {
    browser
        .wait_until(&format!(
            "[...document.querySelectorAll('.direct-peer')].some(p => p.dataset.state === '{state}' && p.textContent.startsWith('{name}'))"
        ))
        .await
}

#[tokio::test]
async fn two_browsers_sync_directly_through_a_relay_that_only_signals() -> Result<()> {
    let relay = Relay::start_with(&["--signal-only"])?;
    let ann = Browser::launch(Viewport::Desktop).await?;
    ann.goto(relay.url()).await?;
    let group = ann.create_group("Readers").await?;
    ann.add_member("Ada", "ada@example.org").await?;
    ann.wait_for_members(&["Ada"]).await?;
    // The relay keeps nothing, and says so.
    ann.wait_for_sync_state("signal-only").await?;
    ann.set_value("#display-name", "Ann").await?;

    // Bo opens the group's link: his device gets the group from Ann's, directly.
    let bo = Browser::launch(Viewport::Desktop).await?;
    bo.goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    bo.wait_for_members(&["Ada"]).await?;
    bo.set_value("#display-name", "Bo").await?;
    wait_for_direct_peer(&ann, "Bo", "server-has").await?;
    wait_for_direct_peer(&bo, "Ann", "server-has").await?;

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
