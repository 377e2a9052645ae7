//! The relay's sync endpoint, through real WebSockets to the real relay binary.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use cohort_sync::DocumentId;
use cohort_sync::automerge::{Automerge, ROOT, ReadDoc};
use common::set;
use harness::{Relay, SyncPeer};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const PATIENCE: Duration = Duration::from_secs(10);

fn new_document() -> DocumentId {
    DocumentId::from_bytes(rand_bytes())
}

fn rand_bytes() -> [u8; 16] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&nanos.to_le_bytes());
    bytes[15] ^= std::process::id() as u8;
    bytes
}

fn get(doc: &Automerge, key: &str) -> Option<String> {
    doc.get(ROOT, key)
        .unwrap()
        .map(|(value, _)| value.into_string().unwrap_or_default())
}

#[tokio::test]
async fn two_peers_co_edit_and_the_relay_keeps_everything_across_a_restart() {
    let mut relay = Relay::start().unwrap();
    let document = new_document();
    let mut ann = Automerge::new();
    set(&mut ann, "name", "Readers");
    let mut ann = SyncPeer::connect(&relay.sync_url(), "ann", document.clone(), ann)
        .await
        .unwrap();
    ann.sync(PATIENCE).await.unwrap();

    let mut bo = SyncPeer::connect(&relay.sync_url(), "bo", document.clone(), Automerge::new())
        .await
        .unwrap();
    bo.until(PATIENCE, |peer| get(&peer.doc, "name").is_some())
        .await
        .unwrap();
    set(&mut bo.doc, "purpose", "books");
    bo.sync(PATIENCE).await.unwrap();
    ann.until(PATIENCE, |peer| get(&peer.doc, "purpose").is_some())
        .await
        .unwrap();

    relay.restart().unwrap();
    let fresh = SyncPeer::connect(&relay.sync_url(), "cy", document, Automerge::new()).await;
    let mut fresh = fresh.unwrap();
    fresh
        .until(PATIENCE, |peer| get(&peer.doc, "purpose").is_some())
        .await
        .unwrap();
    assert_eq!(fresh.doc.get_heads(), ann.doc.get_heads());
}

#[tokio::test]
async fn an_unknown_document_is_unavailable() {
    let relay = Relay::start().unwrap();
    let mut peer = SyncPeer::connect(&relay.sync_url(), "ann", new_document(), Automerge::new())
        .await
        .unwrap();
    peer.until(PATIENCE, |peer| peer.unavailable).await.unwrap();
}

/// Kills the relay with SIGKILL at moments spread over a stream of writes, five times: every
/// change the writer saw acknowledged must be there after each restart.
#[tokio::test]
async fn no_acknowledged_change_is_lost_to_kill_9() {
    let mut relay = Relay::start().unwrap();
    let document = new_document();
    let mut writer_doc = Automerge::new();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut written = 0;
    for round in 0..5u64 {
        let pid = relay.pid().unwrap();
        let killer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150 + 90 * round)).await;
            kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
        });
        let mut writer =
            SyncPeer::connect(&relay.sync_url(), "writer", document.clone(), writer_doc)
                .await
                .unwrap();
        loop {
            written += 1;
            let key = format!("k{written}");
            set(&mut writer.doc, &key, "v");
            if writer.sync(Duration::from_secs(3)).await.is_err() {
                break;
            }
            acknowledged.push(key);
        }
        killer.await.unwrap();
        writer_doc = writer.doc;
        relay.restart().unwrap();

        let mut reader = SyncPeer::connect(
            &relay.sync_url(),
            "reader",
            document.clone(),
            Automerge::new(),
        )
        .await
        .unwrap();
        let last = acknowledged.last().cloned().unwrap();
        reader
            .until(PATIENCE, |peer| get(&peer.doc, &last).is_some())
            .await
            .unwrap();
        let missing: Vec<&String> = acknowledged
            .iter()
            .filter(|key| get(&reader.doc, key).is_none())
            .collect();
        assert!(missing.is_empty(), "round {round}: lost {missing:?}");
    }
    assert!(
        acknowledged.len() >= 20,
        "only {} writes were acknowledged",
        acknowledged.len()
    );
}

/// Bad peers of every kind are closed, and a well-behaved peer is served afterwards.
#[tokio::test]
async fn the_relay_survives_bad_frames_and_a_connection_flood() {
    let relay = Relay::start_with(&[
        "--max-connections=40",
        "--max-frame-bytes=65536",
        "--join-timeout-secs=1",
    ])
    .unwrap();
    let url = relay.sync_url();
    let document = new_document();
    let mut good_doc = Automerge::new();
    set(&mut good_doc, "name", "kept");
    let mut good = SyncPeer::connect(&url, "good", document.clone(), good_doc)
        .await
        .unwrap();
    good.sync(PATIENCE).await.unwrap();

    let join = cohort_sync::client::Client::new("bad".into()).join();
    let hello = {
        use cohort_sync::automerge::sync::SyncDoc;
        Automerge::new()
            .generate_sync_message(&mut Default::default())
            .unwrap()
            .encode()
    };
    let sync_frame = cohort_sync::Message::Sync(cohort_sync::message::DocMessage {
        sender_id: "bad".into(),
        target_id: "relay".into(),
        document_id: document.clone(),
        data: hello,
    })
    .encode();
    let attacks: Vec<Vec<Vec<u8>>> = vec![
        vec![vec![0xff, 0x00, 0x13]],
        vec![sync_frame.clone()],
        vec![
            join.clone(),
            vec![0xa1, 0x64, b't', b'y', b'p', b'e', 0x63, b'z', b'a', b'p'],
        ],
        vec![join.clone(), vec![7; 100_000]],
        vec![join.clone(), join.clone()],
        (0..50)
            .map(|n| (0..n * 13).map(|i| (i * 31 + n) as u8).collect())
            .collect(),
    ];
    for frames in attacks {
        let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        use futures_util::{SinkExt, StreamExt};
        for frame in frames {
            if socket
                .send(tokio_tungstenite::tungstenite::Message::Binary(
                    frame.into(),
                ))
                .await
                .is_err()
            {
                break;
            }
        }
        // The relay closes the connection.
        let closed = tokio::time::timeout(PATIENCE, async {
            while let Some(Ok(message)) = socket.next().await {
                if message.is_close() {
                    break;
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the relay kept a bad connection open");
    }

    // A flood: past the limit, upgrades are refused; silent connections are closed.
    let mut flood = Vec::new();
    let mut refused = 0;
    for _ in 0..60 {
        match tokio_tungstenite::connect_async(&url).await {
            Ok((socket, _)) => flood.push(socket),
            Err(_) => refused += 1,
        }
    }
    assert!(refused >= 20, "only {refused} of 60 were refused");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    drop(flood);
    tokio::time::sleep(Duration::from_millis(200)).await;

    set(&mut good.doc, "after", "the flood");
    good.sync(PATIENCE).await.unwrap();
    let mut late = SyncPeer::connect(&url, "late", document, Automerge::new())
        .await
        .unwrap();
    late.until(PATIENCE, |peer| get(&peer.doc, "after").is_some())
        .await
        .unwrap();
}

/// A group of `bytes` random bytes (which nothing compresses), put on the relay at `url` by a
/// peer that is still connected.
async fn peer_with_bytes(url: &str, name: &str, bytes: usize) -> SyncPeer {
    let doc = common::noise_group(bytes);
    let peer = SyncPeer::connect(url, name, new_document(), doc).await;
    peer.unwrap()
}

/// A write the relay refuses (its disk quota is full) is taken once there is room again, on
/// the same connection: the peer is told why, keeps its change, and is acknowledged when the
/// relay, retrying by itself, can store it. Nobody reconnects.
#[tokio::test]
async fn a_refused_write_is_stored_once_there_is_room_without_a_reconnect() {
    let relay = Relay::start_with(&["--max-storage-bytes=60000"]).unwrap();
    let url = relay.sync_url();
    let mut filler = peer_with_bytes(&url, "filler", 40_000).await;
    filler.sync(PATIENCE).await.unwrap();
    let mut ann = peer_with_bytes(&url, "ann", 30_000).await;
    ann.until(PATIENCE, |peer| !peer.relay_errors.is_empty())
        .await
        .unwrap();
    assert!(
        ann.relay_errors[0].contains("quota"),
        "{:?}",
        ann.relay_errors
    );
    assert!(!ann.is_synced());

    // The person running the relay makes room: the filler's group is deleted.
    let addr = relay
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let output = std::process::Command::new(harness::relay_bin().unwrap())
        .arg(format!("--addr={addr}"))
        .arg("--data-dir")
        .arg(relay.data_dir())
        .args(["delete", &filler.document().to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    // The relay tries again by itself (after 5 s) and asks for what it lacks.
    ann.until(Duration::from_secs(30), SyncPeer::is_synced)
        .await
        .unwrap();
    let mut reader = SyncPeer::connect(&url, "bo", ann.document(), Automerge::new())
        .await
        .unwrap();
    reader
        .until(PATIENCE, |peer| peer.doc.get_heads() == ann.doc.get_heads())
        .await
        .unwrap();
}
