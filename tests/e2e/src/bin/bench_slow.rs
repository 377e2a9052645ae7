//! The slow-link benchmark: Cohort over a link of 400 kbit/s each way with 400 ms of round
//! trip, from the release app and relay. A first visit to a shared group in a fresh browser,
//! a repeat visit (the service worker's), and one field edited on the slow link reaching a
//! second browser on a fast one. Then two reference JS clients, each on a slow link of its own,
//! meeting over a 2,000-member group through the relay and, side by side, through the
//! reference sync server: the first sync, and edits taking turns, with their bytes on each link.
//! Prints JSON for `docs/perf.md`. Run it with `scripts/bench slow`.
//!
//! The link is the harness's `SlowLink`, a proxy in front of the relay.

use std::time::Instant;

use harness::{Browser, HarnessError, Relay, Result, Shape, SlowLink, Viewport, js};
use serde_json::{Value, json};

/// Milliseconds from navigation start to a User Timing mark, once it is there.
async fn mark(browser: &Browser, name: &str) -> Result<f64> {
    browser
        .wait_until(&format!(
            "performance.getEntriesByName('{name}').length > 0"
        ))
        .await?;
    let at = browser
        .eval(&format!(
            "performance.getEntriesByName('{name}')[0].startTime"
        ))
        .await?;
    at.as_f64()
        .ok_or_else(|| HarnessError::Answer(format!("not a time: {at}")))
}

/// Bytes the page's own requests took on the wire (the worker's are in its own timeline).
async fn page_bytes(browser: &Browser) -> Result<u64> {
    let bytes = browser
        .eval("performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((sum, e) => sum + e.transferSize, 0)")
        .await?;
    Ok(bytes.as_u64().unwrap_or_default())
}

/// One visit to `url` on the slow link: when the page first painted (the shell's frame from
/// `index.html`), when the app's shell ran, when the members and an editable group arrived,
/// and the page's bytes.
async fn visit(browser: &Browser, url: &str) -> Result<Value> {
    browser.goto(url).await?;
    let frame = mark(browser, "first-contentful-paint").await?;
    let shell = mark(browser, "cohort:shell").await?;
    let members = mark(browser, "cohort:members-shown").await?;
    let editable = mark(browser, "cohort:loaded").await?;
    Ok(json!({
        "frame_painted_ms": frame,
        "shell_ms": shell,
        "members_shown_ms": members,
        "editable_ms": editable,
        "page_bytes": page_bytes(browser).await?,
        "controlled_by_service_worker": browser.eval("navigator.serviceWorker.controller !== null").await?,
    }))
}

/// Two reference JS clients on slow links of their own, meeting through the server at `target`
/// (`host:port`): each step's time and the bytes each link carried.
async fn two_js_clients(target: &str) -> Result<Value> {
    let a = SlowLink::to(target, Shape::VENUE).await?;
    let b = SlowLink::to(target, Shape::VENUE).await?;
    let steps = js::two_on_links(&a, &b, &["--members", "2000", "--edits", "3"]).await?;
    Ok(steps
        .iter()
        .map(|step| {
            json!({
                "step": step.step,
                "ms": step.ms.round(),
                "a_up": step.a.0, "a_down": step.a.1,
                "b_up": step.b.0, "b_down": step.b.1,
                "bytes": step.total(),
            })
        })
        .collect())
}

#[tokio::main]
async fn main() -> Result<()> {
    let relay = Relay::start()?;
    // A group made at full speed, with a few members, on the relay.
    let fast = Browser::launch(Viewport::Desktop).await?;
    fast.goto(relay.url()).await?;
    let group = fast.create_group("Slow link").await?;
    for n in 1..=3 {
        fast.add_member(&format!("Member {n}"), "").await?;
        fast.wait_until(&format!(
            "document.querySelectorAll('tbody tr').length === {n}"
        ))
        .await?;
    }
    fast.wait_until("document.querySelector('.sync-status')?.dataset.state === 'synced'")
        .await?;
    let relay_address = relay
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let link = SlowLink::to(&relay_address, Shape::VENUE).await?;
    let url = format!("{}{}/members", link.url(), &group[1..]);

    let slow = Browser::launch(Viewport::Phone).await?;
    let first = visit(&slow, &url).await?;
    eprintln!("first visit: {first}");
    slow.wait_for_service_worker().await?;
    let repeat = visit(&slow, &url).await?;
    eprintln!("repeat visit: {repeat}");

    // One field edit on the slow link, until the fast browser shows it.
    fast.click("tbody tr th a").await?;
    fast.wait_for("#m-notes").await?;
    slow.click("tbody tr th a").await?;
    slow.wait_for("#m-notes").await?;
    let started = Instant::now();
    slow.set_value("#m-notes", "Typed on a slow link").await?;
    fast.wait_until("document.querySelector('#m-notes')?.value === 'Typed on a slow link'")
        .await?;
    let edit = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!("edit reached the other browser in {edit:.0} ms");

    let address = |url: &str| {
        url.trim_start_matches("ws://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned()
    };
    let through_relay = two_js_clients(&address(relay.url())).await?;
    eprintln!("two JS clients through the relay: {through_relay}");
    let reference = js::ReferenceServer::start()?;
    let through_reference = two_js_clients(&address(&reference.url())).await?;
    eprintln!("two JS clients through the reference server: {through_reference}");

    let report = json!({
        "link": {
            "kbit_per_second": Shape::VENUE.bytes_per_second * 8.0 / 1000.0,
            "round_trip_ms": Shape::VENUE.one_way.as_secs_f64() * 2000.0,
        },
        "first_visit": first,
        "repeat_visit": repeat,
        "edit_to_other_browser_ms": edit,
        "two_js_clients": { "relay": through_relay, "reference": through_reference },
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    slow.close().await?;
    fast.close().await
}
