//! The direct-connection benchmark (docs/perf.md, "Direct connections"), from the release app
//! and relay, two headless Chromium profiles on loopback:
//!
//! - From pairing to first sync: a 2,000-member group on Ann's device, no relay running. Bo
//!   takes Ann's code; timed from Ann taking Bo's answer until Bo's device shows all 2,000
//!   members, editable.
//! - An edit's latency, directly (through a relay that only signals) against through the relay
//!   (the same two browsers with `RTCPeerConnection` taken away), one after the other in this
//!   run: a member's notes set on Ann's screen until Bo's screen shows them, timed in the pages
//!   (both read the same clock).
//!
//! Prints JSON. Run it with `scripts/bench direct`.

use std::time::Instant;

use cohort_model::sample;
use harness::direct::{exchange_codes, set_name, share_a_group, wait_for_direct_peer};
use harness::{Browser, HarnessError, Relay, Result, Viewport, temp_dir};
use serde_json::{Value, json};

/// Edits timed each way.
const EDITS: usize = 20;

/// Watches Bo's notes field and keeps when it first read `arguments[0]`
/// (`performance.timeOrigin + performance.now()`, the clock both browsers share).
const WATCH: &str = "const wanted = arguments[0]; window.seenAt = null; \
    const look = () => { const field = document.querySelector('#m-notes'); \
      if (field && field.value === wanted) { window.seenAt = performance.timeOrigin + performance.now(); } \
      else { requestAnimationFrame(look); } }; look();";
/// Sets Ann's notes field as typing would, and says when.
const TYPE: &str = "const field = document.querySelector('#m-notes'); field.value = arguments[0]; \
    const at = performance.timeOrigin + performance.now(); \
    field.dispatchEvent(new Event('input', { bubbles: true })); \
    field.dispatchEvent(new Event('change', { bubbles: true })); return at;";

fn answer(error: impl std::fmt::Display) -> HarnessError {
    HarnessError::Answer(error.to_string())
}

/// Milliseconds of each edit from Ann's screen to Bo's, both on the first member's page.
async fn edit_latencies(ann: &Browser, bo: &Browser, label: &str) -> Result<Vec<f64>> {
    for browser in [ann, bo] {
        browser.click("tbody tr th a").await?;
        browser.wait_for("#m-notes").await?;
    }
    let mut latencies = Vec::with_capacity(EDITS);
    for n in 0..EDITS {
        let text = format!("{label} edit {n}");
        bo.execute(WATCH, vec![json!(text)]).await?;
        let sent = ann.execute(TYPE, vec![json!(text)]).await?;
        bo.wait_until("window.seenAt !== null").await?;
        let seen = bo.eval("window.seenAt").await?;
        let (Some(sent), Some(seen)) = (sent.as_f64(), seen.as_f64()) else {
            return Err(answer(format!("no times: {sent} {seen}")));
        };
        latencies.push(seen - sent);
        // Not one edit on top of the last: each waits for the channel to be quiet.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok(latencies)
}

fn summary(mut latencies: Vec<f64>) -> Value {
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    json!({
        "edits": latencies.len(),
        "median_ms": (at(0.5) * 10.0).round() / 10.0,
        "p90_ms": (at(0.9) * 10.0).round() / 10.0,
        "max_ms": (at(1.0) * 10.0).round() / 10.0,
    })
}

/// Two browsers on a group of a few members, through `relay`; without `RTCPeerConnection`
/// unless `direct`.
async fn two_on(relay: &Relay, direct: bool) -> Result<(Browser, Browser)> {
    let ann = Browser::launch(Viewport::Desktop).await?;
    let bo = Browser::launch(Viewport::Desktop).await?;
    if !direct {
        for browser in [&ann, &bo] {
            browser
                .cdp(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": "delete window.RTCPeerConnection;" }),
                )
                .await?;
        }
    }
    share_a_group(relay, &ann, &bo).await?;
    if direct {
        wait_for_direct_peer(&ann, "Bo", "server-has").await?;
    } else {
        bo.wait_for_sync_state("synced").await?;
    }
    Ok((ann, bo))
}

#[tokio::main]
async fn main() -> Result<()> {
    // Pairing to first sync of a 2,000-member group, with no relay.
    let mut relay = Relay::start()?;
    let profile = temp_dir("cohort-bench-bo-")?;
    let ann = Browser::launch(Viewport::Desktop).await?;
    let bo = Browser::launch_with_profile(Viewport::Desktop, profile.path()).await?;
    let bytes = sample::group(2_000, 0, 49).map_err(answer)?.save();
    ann.import_group(&relay, &bytes).await?;
    set_name(&ann, "Ann").await?;
    bo.goto(relay.url()).await?;
    // The worker has answered (the groups are listed) and the app is cached: the relay can go.
    bo.wait_until("document.querySelector('.groups .empty, .group-list')")
        .await?;
    bo.wait_for_service_worker().await?;
    relay.kill();
    exchange_codes(&ann, &bo).await?;
    let started = Instant::now();
    let shown = bo
        .wait_until(
            "(document.querySelector('.members .count')?.textContent ?? '').replace(/\\D/g, '') === '2000' \
             && performance.getEntriesByName('cohort:loaded').length > 0",
        )
        .await;
    if let Err(error) = shown {
        let seen = bo
            .eval("[location.pathname, document.querySelector('.members .count')?.textContent, performance.getEntriesByName('cohort:loaded').length, document.querySelector('.direct-peers')?.textContent, document.querySelector('.alert')?.textContent]")
            .await?;
        eprintln!("Bo's screen: {seen}");
        return Err(error);
    }
    let first_sync_ms = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!("pairing to first sync of 2,000 members: {first_sync_ms:.0} ms");
    drop((ann, bo));

    // An edit's latency, directly and through the relay.
    let signalling = Relay::start_with(&["--signal-only"])?;
    let (ann, bo) = two_on(&signalling, true).await?;
    let direct = edit_latencies(&ann, &bo, "direct").await?;
    drop((ann, bo, signalling));
    let relay = Relay::start()?;
    let (ann, bo) = two_on(&relay, false).await?;
    let through_relay = edit_latencies(&ann, &bo, "relay").await?;
    let report = json!({
        "pairing_to_first_sync_ms_2000_members": first_sync_ms.round(),
        "group_bytes": bytes.len(),
        "edit_direct": summary(direct),
        "edit_through_relay": summary(through_relay),
    });
    println!("{}", serde_json::to_string_pretty(&report).map_err(answer)?);
    Ok(())
}
