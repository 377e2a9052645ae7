//! Installed and offline: the service worker opens Cohort from a cold start with no network,
//! Chromium finds it installable, and a new build is offered, never mixed in.

use std::path::Path;

use harness::{Browser, HarnessError, Relay, Result, Viewport, temp_dir};
use serde_json::json;

/// Waits until the page's sync status reads `state` (`offline`, `synced`…).
async fn sync_state_is(browser: &Browser, state: &str) -> Result<()> {
    browser
        .wait_until(&format!(
            "document.querySelector('.sync-status')?.dataset.state === '{state}'"
        ))
        .await
}

#[tokio::test]
async fn after_one_visit_cohort_opens_offline_from_a_cold_start_and_syncs_when_back() -> Result<()>
{
    let mut relay = Relay::start()?;
    let profile = temp_dir("cohort-offline-profile-")?;
    let browser = Browser::launch_with_profile(Viewport::Desktop, profile.path()).await?;
    browser.goto(relay.url()).await?;
    let group = browser.create_group("Venue without signal").await?;
    browser.add_member("Online Olga", "").await?;
    browser.wait_for("tbody tr").await?;
    sync_state_is(&browser, "synced").await?;
    browser.wait_for_service_worker().await?;
    // The browser is killed (no clean shutdown) and the network goes: the relay is down, and
    // the restarted browser is offline before it loads anything.
    drop(browser);
    relay.kill();
    let browser = Browser::launch_with_profile(Viewport::Desktop, profile.path()).await?;
    browser.set_offline(true).await?;

    // A deep link opens: the service worker serves the app, IndexedDB the group.
    let members = format!("{}{}/members", relay.url(), &group[1..]);
    browser.goto(&members).await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 1")
        .await?;
    sync_state_is(&browser, "offline").await?;
    // The start page too, listing the group.
    browser.goto(relay.url()).await?;
    browser.wait_for(".group-item a").await?;
    assert_eq!(
        browser.text_of(".group-item a").await?,
        "Venue without signal"
    );

    // An edit offline is kept...
    browser.goto(&members).await?;
    browser.wait_for("tbody tr").await?;
    browser.add_member("Offline Oskar", "").await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;
    // ... and reaches the relay by itself once the network is back.
    relay.restart()?;
    browser.set_offline(false).await?;
    sync_state_is(&browser, "synced").await?;
    let other = Browser::launch(Viewport::Desktop).await?;
    other.goto(&members).await?;
    other
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;
    // The worker's tries to reach the relay while it was down are logged by Chromium; nothing
    // else may be.
    let errors: Vec<String> = browser
        .console_errors()
        .await?
        .into_iter()
        .filter(|error| !error.contains("WebSocket connection to"))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    other.close().await?;
    browser.close().await
}

#[tokio::test]
async fn chromium_finds_cohort_installable() -> Result<()> {
    let relay = Relay::start()?;
    let browser = Browser::launch(Viewport::Desktop).await?;
    browser.goto(relay.url()).await?;
    browser.wait_for("main h1").await?;
    browser.wait_for_service_worker().await?;
    let manifest = browser.cdp("Page.getAppManifest", json!({})).await?;
    assert_eq!(manifest["errors"], json!([]), "{manifest}");
    let installability = browser
        .cdp("Page.getInstallabilityErrors", json!({}))
        .await?;
    assert_eq!(
        installability["installabilityErrors"],
        json!([]),
        "{installability}"
    );
    browser.close().await
}

/// Copies a directory tree (a build of the app, to change it).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_new_build_is_offered_and_taken_without_losing_an_edit() -> Result<()> {
    // A copy of the build, which the test then deploys a new build over.
    let scratch = temp_dir("cohort-builds-")?;
    let app = scratch.path().join("app");
    copy_tree(&harness::app_dir()?, &app).map_err(HarnessError::TempDir)?;
    let relay = Relay::launch(&harness::relay_bin()?, &app)?;
    let browser = Browser::launch(Viewport::Desktop).await?;
    browser.goto(relay.url()).await?;
    let group = browser.create_group("Two builds").await?;
    browser.wait_for_service_worker().await?;
    // Reloaded, the page runs under the service worker.
    browser.refresh().await?;
    browser
        .wait_until("navigator.serviceWorker.controller !== null && document.querySelector('article.members')")
        .await?;

    // A new build: a changed page, and the service worker listing it (as a release build
    // makes it).
    let index = app.join("index.html");
    let html = std::fs::read_to_string(&index).map_err(HarnessError::TempDir)?;
    std::fs::write(&index, html.replace("</body>", "<!-- build 2 --></body>"))
        .map_err(HarnessError::TempDir)?;
    let made = std::process::Command::new("sh")
        .arg(harness::workspace_root().join("scripts/precache.sh"))
        .arg(&app)
        .status()
        .map_err(HarnessError::TempDir)?;
    assert!(made.success(), "scripts/precache.sh failed");
    browser
        .eval("navigator.serviceWorker.getRegistration().then(r => r.update()) && true")
        .await?;
    browser.wait_for(".update-banner button").await?;
    // The old build keeps running meanwhile: an edit made now, the last still being typed.
    browser.add_member("Added before the reload", "").await?;
    browser.wait_for("tbody tr").await?;
    browser.click("tbody tr th a").await?;
    browser.fill("#m-notes", "Typed, not yet saved").await?;

    browser.click(".update-banner button").await?;
    // The page reloads into the new build, with both edits.
    browser
        .wait_until("document.documentElement.outerHTML.includes('<!-- build 2 -->')")
        .await?;
    browser
        .wait_until("document.querySelector('#m-notes')?.value === 'Typed, not yet saved'")
        .await?;
    browser
        .goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 1")
        .await?;
    assert!(
        browser
            .eval("document.querySelector('.update-banner') === null")
            .await?
            .as_bool()
            .unwrap_or(false),
        "no update is offered once it is taken"
    );
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}
