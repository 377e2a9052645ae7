//! What the relay keeps in memory for many peers of a large group: through real WebSockets to
//! the real relay binary, reading its resident memory from /proc.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use cohort_sync::DocumentId;
use cohort_sync::automerge::Automerge;
use common::noise_group;
use harness::{Relay, SyncPeer};

const PATIENCE: Duration = Duration::from_secs(60);

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Forty peers fetch a 4 MB group and stay connected: once each has it, the relay keeps
/// kilobytes for each, not a copy of the group (a WebSocket's write buffer keeps the capacity
/// of the largest frame it wrote).
#[tokio::test]
async fn peers_that_fetched_a_large_group_cost_kilobytes_once_idle() {
    const PEERS: usize = 40;
    const GROUP: usize = 4 << 20;
    let relay = Relay::start_with(&["--threads=1"]).unwrap();
    let url = relay.sync_url();
    let pid = relay.pid().unwrap();
    let document = DocumentId::from_bytes([0x4d; 16]);
    let mut owner = SyncPeer::connect(&url, "owner", document.clone(), noise_group(GROUP))
        .await
        .unwrap();
    owner.sync(PATIENCE).await.unwrap();
    let before = status_kib(pid, "VmRSS");
    let mut readers = Vec::new();
    for n in 0..PEERS {
        let mut reader = SyncPeer::connect(
            &url,
            &format!("reader-{n}"),
            document.clone(),
            Automerge::new(),
        )
        .await
        .unwrap();
        reader
            .until(PATIENCE, |peer| {
                peer.doc.get_heads() == owner.doc.get_heads()
            })
            .await
            .unwrap();
        readers.push(reader);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = status_kib(pid, "VmRSS");
    let per_peer = (after.saturating_sub(before)) / PEERS as u64;
    eprintln!(
        "relay RSS {before} KiB before, {after} KiB with {PEERS} idle peers that each fetched \
         {GROUP} bytes: {per_peer} KiB each; peak {} KiB",
        status_kib(pid, "VmHWM")
    );
    assert!(
        per_peer < 512,
        "each idle peer costs {per_peer} KiB (the group is {} KiB)",
        GROUP / 1024
    );
}
