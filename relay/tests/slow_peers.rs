//! Peers that stop reading: the relay closes them, frees their slots, and keeps serving the
//! others. Through real WebSockets to the real relay binary.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use cohort_sync::automerge::Automerge;
use common::{new_document, presence, set};
use harness::{Relay, SyncPeer};

const PATIENCE: Duration = Duration::from_secs(10);

/// Waits until the relay, full with two connections, accepts a third: the slot a stalled
/// peer held is free. Meanwhile the organizer keeps editing, and each edit must reach the
/// relay in time. Returns how long the slot took.
async fn until_a_slot_is_free(url: &str, organizer: &mut SyncPeer, within: Duration) -> Duration {
    let started = Instant::now();
    for edit in 0.. {
        if tokio_tungstenite::connect_async(url).await.is_ok() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "the stalled peer's slot was not freed in {within:?}"
        );
        set(&mut organizer.doc, "edit", edit.to_string());
        organizer.sync(Duration::from_secs(2)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    unreachable!("the loop returns or fails")
}

/// A relay full with two connections: an honest organizer, and a peer that synced the same
/// group and then stopped reading.
async fn organizer_and_stalled_peer(args: &[&str], n: u8) -> (Relay, SyncPeer, SyncPeer) {
    let relay = Relay::start_with(&[&["--max-connections=2"], args].concat()).unwrap();
    let url = &relay.sync_url();
    let document = new_document(n);
    let mut doc = Automerge::new();
    set(&mut doc, "name", "Readers");
    let mut organizer = SyncPeer::connect(url, "organizer", document.clone(), doc)
        .await
        .unwrap();
    organizer.sync(PATIENCE).await.unwrap();
    // It syncs the group, and never reads again.
    let mut stalled = SyncPeer::connect(url, "stalled", document.clone(), Automerge::new())
        .await
        .unwrap();
    stalled
        .until(PATIENCE, |peer| {
            peer.doc.get_heads() == organizer.doc.get_heads()
        })
        .await
        .unwrap();
    assert!(
        tokio_tungstenite::connect_async(url).await.is_err(),
        "the relay is full"
    );
    (relay, organizer, stalled)
}

/// A peer that falls further behind than the bytes it may have waiting (edits made faster
/// than it reads) is cut at once, not when it goes quiet for long.
#[tokio::test]
async fn a_peer_that_falls_behind_is_closed_and_its_slot_freed() {
    let (relay, mut organizer, _stalled) =
        organizer_and_stalled_peer(&["--stalled-secs=600", "--max-bytes-in-flight=1048576"], 1)
            .await;
    // 24 MB of edits: more than the sockets' buffers and the 1 MiB the relay keeps for it.
    for edit in 0..24 {
        let mut noise = vec![0; 1 << 20];
        getrandom::fill(&mut noise).unwrap();
        set(&mut organizer.doc, &format!("noise-{edit}"), noise);
        organizer.sync(PATIENCE).await.unwrap();
    }
    until_a_slot_is_free(&relay.sync_url(), &mut organizer, PATIENCE).await;
}

/// Presence is skipped for a peer that is behind, rather than queued or held against it: a
/// phone on a weak link is not cut because others' presence came faster than it reads, and it
/// still gets every edit once it reads again.
#[tokio::test]
async fn a_peer_behind_on_presence_misses_presence_and_keeps_its_edits() {
    // Every presence message forwarded: only the skipping, not the rate, is under test.
    let (_relay, mut organizer, mut behind) = organizer_and_stalled_peer(
        &["--stalled-secs=600", "--max-ephemeral-per-second=100000"],
        3,
    )
    .await;
    // About 32 MB of presence: more than the sockets' buffers and the outbox hold.
    presence(&mut organizer, 2_000).await;
    set(&mut organizer.doc, "name", "Writers");
    organizer.sync(PATIENCE).await.unwrap();
    let frames_before = behind.frames_in;
    behind
        .until(PATIENCE, |peer| {
            peer.doc.get_heads() == organizer.doc.get_heads()
        })
        .await
        .unwrap();
    let presence_heard = behind.frames_in - frames_before - 1;
    assert!(
        presence_heard < 2_000,
        "all {presence_heard} presence messages waited for it"
    );
}

/// A peer that stops reading while the relay has frames for it blocks the relay's writes to
/// it, and sends nothing: it is closed once it has been stalled for `--stalled-secs`, though
/// its outbox never fills.
#[tokio::test]
async fn a_peer_that_stops_reading_is_closed_within_the_stall_limit() {
    let (relay, mut organizer, _stalled) = organizer_and_stalled_peer(
        &["--stalled-secs=3", "--max-ephemeral-per-second=100000"],
        2,
    )
    .await;
    // 6.4 MB: enough to fill the sockets' buffers, so the relay's writes to it block, but fewer
    // frames than the outbox holds (512), so only the stall limit can cut this peer.
    presence(&mut organizer, 400).await;
    let waited = until_a_slot_is_free(&relay.sync_url(), &mut organizer, PATIENCE).await;
    assert!(
        waited > Duration::from_secs(2),
        "cut after {waited:?}: for falling behind, not for stalling"
    );
}
