//! The slow-link benchmark: Cohort over a link of 400 kbit/s each way with 400 ms of round
//! trip, from the release app and relay. A first visit to a shared group in a fresh browser,
//! a repeat visit (the service worker's), and one field edited on the slow link reaching a
//! second browser on a fast one. Prints JSON for `docs/perf.md`. Run it with
//! `scripts/bench slow`.
//!
//! The link is a proxy in front of the relay, not Chromium's network emulation: that applies
//! to the page's own requests only, not to its workers' (the wasm the storage worker loads, the
//! sync WebSocket) nor to the service worker's, which a slow link slows all the same.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::{Browser, HarnessError, Relay, Result, Viewport};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// 400 kbit/s in bytes per second, and the round trip, as the issue sets the link.
const BYTES_PER_SECOND: f64 = 400_000.0 / 8.0;
const ROUND_TRIP_MS: f64 = 400.0;

/// One direction of the link: shared by every connection, as one line to the venue is.
#[derive(Clone)]
struct Direction {
    /// When the link is next free to carry a byte.
    free_at: Arc<Mutex<Instant>>,
}

impl Direction {
    fn new() -> Self {
        Self {
            free_at: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// When `bytes` sent now arrive: after the link has carried what was queued before them and
    /// them, plus half the round trip.
    fn arrival(&self, bytes: usize) -> Instant {
        let mut free_at = self
            .free_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = (*free_at).max(Instant::now());
        *free_at = start + Duration::from_secs_f64(bytes as f64 / BYTES_PER_SECOND);
        *free_at + Duration::from_secs_f64(ROUND_TRIP_MS / 2000.0)
    }
}

/// Carries bytes from `from` to `to` as the link does.
async fn carry(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Direction,
) {
    let (queue, mut queued) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, bytes)) = queued.recv().await {
            tokio::time::sleep_until(at.into()).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buffer = vec![0; 16 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 || queue.send((link.arrival(n), buffer[..n].to_vec())).is_err() {
            break;
        }
    }
    drop(queue);
    let _ = writer.await;
}

/// A proxy on loopback in front of `target`, as slow as the link; its address.
async fn slow_link_to(target: &str) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(HarnessError::TempDir)?;
    let address = listener.local_addr().map_err(HarnessError::TempDir)?;
    let target = target.to_owned();
    let (down, up) = (Direction::new(), Direction::new());
    tokio::spawn(async move {
        while let Ok((browser, _)) = listener.accept().await {
            let Ok(relay) = TcpStream::connect(&target).await else {
                continue;
            };
            let _ = (browser.set_nodelay(true), relay.set_nodelay(true));
            let (browser_read, browser_write) = browser.into_split();
            let (relay_read, relay_write) = relay.into_split();
            tokio::spawn(carry(browser_read, relay_write, up.clone()));
            tokio::spawn(carry(relay_read, browser_write, down.clone()));
        }
    });
    Ok(format!("http://{address}/"))
}

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
    let slow_origin = slow_link_to(&relay_address).await?;
    let url = format!("{slow_origin}{}/members", &group[1..]);

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

    let report = json!({
        "link": { "kbit_per_second": BYTES_PER_SECOND * 8.0 / 1000.0, "round_trip_ms": ROUND_TRIP_MS },
        "first_visit": first,
        "repeat_visit": repeat,
        "edit_to_other_browser_ms": edit,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    slow.close().await?;
    fast.close().await
}
