//! Interop with the reference JavaScript automerge-repo (from npm, in Node): its client syncs
//! through our relay, and our relay serves a data directory the reference sync server wrote.
//! Needs `npm ci` in tests/js, which the README's test command runs.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use cohort_model::{GroupDoc, GroupId};
use cohort_sync::DocumentId;
use cohort_sync::automerge::Automerge;
use common::group_with;
use harness::{Relay, Shape, SlowLink, SyncPeer, js};
use serde_json::Value;

async fn js_client(args: &[&str]) -> Vec<Value> {
    js::client(args).await.unwrap()
}

/// The JS client reads the group at `doc_url` (with Ada) through `url` and adds Grace.
async fn js_adds_grace_to_ada(url: &str, doc_url: &str) {
    let lines = js_client(&[
        "--url",
        url,
        "--doc",
        doc_url,
        "--add-member",
        "Grace",
        "--print",
    ])
    .await;
    assert_eq!(js::member_names(&lines[1]["doc"]), ["Ada", "Grace"]);
}

/// A new group with Ada, put on the relay at `url` by a Cohort peer, still connected.
async fn cohort_puts_ada(url: &str) -> (DocumentId, SyncPeer) {
    let group = group_with("Ada");
    let document = DocumentId::parse(&GroupId::random().unwrap().to_string()).unwrap();
    let mut ours = SyncPeer::connect(url, "cohort", document.clone(), group.automerge().clone())
        .await
        .unwrap();
    ours.sync(Duration::from_secs(10)).await.unwrap();
    (document, ours)
}

fn has_member(group: &GroupDoc, name: &str) -> bool {
    group.hydrate().members.values().any(|m| m.name == name)
}

#[tokio::test]
async fn the_reference_js_client_and_cohort_edit_one_group_through_the_relay() {
    let relay = Relay::start().unwrap();
    let url = relay.sync_url();
    let (document, mut ours) = cohort_puts_ada(&url).await;

    // JS reads the group Cohort wrote, and adds a member following docs/schema.md.
    let doc_url = document.url();
    js_adds_grace_to_ada(&url, &doc_url).await;

    // Cohort reads the member JS wrote.
    ours.until(Duration::from_secs(10), |peer| {
        GroupDoc::from_automerge(peer.doc.clone()).is_ok_and(|g| has_member(&g, "Grace"))
    })
    .await
    .unwrap();
}

/// The relay announces a storage id kept in its data directory, so the JS client keeps what
/// the relay holds of a group (`getSyncInfo`): after its edit, the relay's storage has the
/// client's heads, on disk. A new data directory is a new storage.
#[tokio::test]
async fn the_js_client_learns_what_the_relays_storage_holds() {
    let mut relay = Relay::start().unwrap();
    let url = relay.sync_url();
    let (document, ours) = cohort_puts_ada(&url).await;
    ours.close().await.unwrap();
    let lines = js_client(&[
        "--url",
        &url,
        "--doc",
        &document.url(),
        "--add-member",
        "Grace",
        "--sync-info",
    ])
    .await;
    let info = &lines[1]["sync_info"];
    let storage_id = std::fs::read_to_string(relay.data_dir().join(".storage-id")).unwrap();
    assert_eq!(info["storage_id"], storage_id.as_str());
    assert_eq!(info["last_heads"], info["heads"]);

    // What the relay has on disk is what the client was told it has.
    relay.kill();
    let stored = cohort_relay::DiskStore::open(relay.data_dir())
        .unwrap()
        .load(&document)
        .unwrap()
        .unwrap();
    let mut heads: Vec<String> = Automerge::load(&stored.bytes)
        .unwrap()
        .get_heads()
        .iter()
        .map(ToString::to_string)
        .collect();
    heads.sort();
    let mut told: Vec<String> = serde_json::from_value(info["heads_hex"].clone()).unwrap();
    told.sort();
    assert_eq!(heads, told);

    // The same storage after a restart; another for a new data directory.
    relay.restart().unwrap();
    let again = js_client(&[
        "--url",
        &relay.sync_url(),
        "--doc",
        &document.url(),
        "--sync-info",
    ])
    .await;
    assert_eq!(again[0]["sync_info"]["storage_id"], storage_id.as_str());
    relay.restart_empty().unwrap();
    let url = relay.sync_url();
    let fresh = js_client(&["--url", &url, "--create", "--sync-info"]).await;
    assert_ne!(fresh[1]["sync_info"]["storage_id"], storage_id.as_str());
}

#[tokio::test]
async fn the_relay_serves_what_the_reference_sync_server_stored() {
    let server = js::ReferenceServer::start().unwrap();
    let reference_url = server.url();
    let created = js_client(&["--url", &reference_url, "--create", "--add-member", "Ada"]).await;
    let doc_url = created[0]["url"].as_str().unwrap().to_owned();
    let reference_dir = server.data_dir().to_owned();
    // The reference server writes what it was sent a little after acknowledging it.
    until_unchanged(&reference_dir).await;

    // Our relay starts on the reference server's data directory as it is.
    let mut relay = Relay::start().unwrap();
    relay.kill();
    copy_dir(&reference_dir, relay.data_dir());
    relay.restart().unwrap();
    let lines = js_client(&["--url", &relay.sync_url(), "--doc", &doc_url, "--print"]).await;
    assert_eq!(js::member_names(&lines[0]["doc"]), ["Ada"]);
    let document = DocumentId::parse(&doc_url).unwrap();
    let mut ours = SyncPeer::connect(&relay.sync_url(), "cohort", document, Automerge::new())
        .await
        .unwrap();
    ours.until(Duration::from_secs(10), |peer| {
        !peer.doc.get_heads().is_empty() && peer.is_synced()
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn once_compacted_the_relays_data_directory_serves_the_reference_sync_server() {
    let mut relay = Relay::start().unwrap();
    let created = js_client(&[
        "--url",
        &relay.sync_url(),
        "--create",
        "--add-member",
        "Ada",
    ])
    .await;
    let doc_url = created[0]["url"].as_str().unwrap().to_owned();
    relay.kill();
    assert!(!files_named("cohort.log", relay.data_dir()).is_empty());

    let compacted = std::process::Command::new(harness::relay_bin().unwrap())
        .arg("--data-dir")
        .arg(relay.data_dir())
        .arg("--compact-and-exit")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&compacted.stdout);
    assert!(compacted.status.success(), "{report}");
    assert!(report.contains("Compacted 1 documents"), "{report}");
    assert!(files_named("cohort.log", relay.data_dir()).is_empty());

    // The reference server reads only its own layout: now that is all there is.
    let server = js::ReferenceServer::start().unwrap();
    copy_dir(relay.data_dir(), server.data_dir());
    let lines = js_client(&["--url", &server.url(), "--doc", &doc_url, "--print"]).await;
    assert_eq!(js::member_names(&lines[0]["doc"]), ["Ada"]);
}

/// Every file called `name` under `dir`.
fn files_named(name: &str, dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_named(name, &path));
        } else if path.file_name().is_some_and(|file| file == name) {
            found.push(path);
        }
    }
    found
}

/// Every file under `dir` with its size.
fn listing(dir: &Path, files: &mut Vec<(std::path::PathBuf, u64)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            listing(&entry.path(), files);
        } else {
            files.push((entry.path(), entry.metadata().unwrap().len()));
        }
    }
}

/// Waits until `dir` holds files and they stay the same for half a second.
async fn until_unchanged(dir: &Path) {
    let read = || {
        let mut files = Vec::new();
        listing(dir, &mut files);
        files.sort();
        files
    };
    let mut before = read();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = read();
        if !now.is_empty() && now == before {
            return;
        }
        before = now;
    }
    panic!("{} kept changing", dir.display());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// samod (Rust) dials the relay over tokio-tungstenite: binary frames as bytes.
struct SamodDialer {
    url: samod::Url,
}

impl samod::Dialer for SamodDialer {
    type Error = std::convert::Infallible;

    fn url(&self) -> samod::Url {
        self.url.clone()
    }

    fn connect(
        &self,
    ) -> futures_util::future::BoxFuture<
        'static,
        Result<samod::Transport, samod::DialError<Self::Error>>,
    > {
        use futures_util::{SinkExt, StreamExt, TryStreamExt};
        use tokio_tungstenite::tungstenite::Message as WsMessage;
        let url = self.url.clone();
        Box::pin(async move {
            let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
                .await
                .map_err(samod::DialError::transient)?;
            let (sink, stream) = socket.split();
            let stream = stream
                .try_filter_map(|message| async move {
                    Ok(match message {
                        WsMessage::Binary(bytes) => Some(bytes.to_vec()),
                        _ => None,
                    })
                })
                .boxed();
            let sink = Box::pin(sink.with(|bytes: Vec<u8>| async move {
                Ok::<_, tokio_tungstenite::tungstenite::Error>(WsMessage::Binary(bytes.into()))
            }));
            Ok(samod::Transport::new(stream, sink))
        })
    }
}

#[tokio::test]
async fn a_samod_peer_and_the_js_client_edit_one_group_through_the_relay() {
    let relay = Relay::start().unwrap();
    let url = relay.sync_url();
    let repo = samod::Repo::build_tokio().load().await;
    let dialer = repo
        .dial(
            samod::BackoffConfig::default(),
            std::sync::Arc::new(SamodDialer {
                url: url.parse().unwrap(),
            }),
        )
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), dialer.established())
        .await
        .unwrap()
        .unwrap();
    let handle = repo
        .create(group_with("Ada").automerge().clone())
        .await
        .unwrap();
    let doc_url = handle.url().to_string();

    // The JS client reads what samod wrote through our relay, and writes back.
    js_adds_grace_to_ada(&url, &doc_url).await;
    let has_grace = || {
        handle.with_document(|doc| {
            GroupDoc::from_automerge(doc.clone()).is_ok_and(|g| has_member(&g, "Grace"))
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !has_grace() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "samod never saw the JS client's member"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    repo.stop().await;
}

/// Two reference JS clients, each behind a slow link (400 kbit/s each way, 400 ms round trip),
/// meet through the relay over a 2,000-member group made in one change, as an import makes it.
/// Every edit reaches the other client as the edit, not as the group again. Before, the relay
/// sent the receiver the whole group for the first edit after the first sync (Automerge sends
/// the whole document when the changes to send are more than a third of its changes, counted).
/// The editing JS client still uploads the whole group for that first edit, by the same rule in
/// its own Automerge: that part is the client's, and measured here, not asserted.
#[tokio::test]
async fn over_slow_links_an_edit_moves_the_edit_and_not_the_group() {
    let relay = Relay::start().unwrap();
    let target = relay
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let a = SlowLink::to(target, Shape::VENUE).await.unwrap();
    let b = SlowLink::to(target, Shape::VENUE).await.unwrap();
    let steps = js::two_on_links(&a, &b, &["--members", "2000", "--edits", "2"])
        .await
        .unwrap();
    for step in &steps {
        eprintln!(
            "{}: {:.0} ms; A's link {} up, {} down; B's link {} up, {} down",
            step.step, step.ms, step.a.0, step.a.1, step.b.0, step.b.1
        );
    }
    let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        names,
        [
            "put",
            "first-sync",
            "edit-1-by-a",
            "edit-1-by-b",
            "edit-2-by-a",
            "edit-2-by-b"
        ]
    );
    let group = steps[1].b.1;
    assert!(group > 50_000, "the group took {group} bytes to B");
    for step in &steps[2..] {
        let (editor, receiver) = if step.step.ends_with("by-a") {
            (step.a, step.b)
        } else {
            (step.b, step.a)
        };
        assert!(
            receiver.0 + receiver.1 < 2_000 && editor.1 < 2_000,
            "{step:?}: the relay sent more than an edit (the group is {group} bytes)"
        );
        if step.step != "edit-1-by-a" {
            assert!(step.total() < 4_000, "{step:?}");
        }
    }
}

/// automerge-repo's remote heads gossip through the relay: a reference JS client that asked to
/// hear of another one's storage id (`Repo.subscribeToRemotes`) learns, through the relay, what
/// that storage peer has of their document: at once when it asks, and after each change.
#[tokio::test]
async fn a_js_client_hears_through_the_relay_what_another_storage_peer_has() {
    let relay = Relay::start().unwrap();
    let url = relay.sync_url();
    let lines = js::script("remote-heads.mjs", &["--url", &url])
        .await
        .unwrap();
    let steps: Vec<&str> = lines
        .iter()
        .filter_map(|line| line["step"].as_str())
        .collect();
    assert_eq!(steps, ["subscribed", "edited"]);
}
