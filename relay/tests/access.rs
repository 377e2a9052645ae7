//! Who may sync which group, against a real relay on loopback: capability links, read-only
//! access, revocation, expiry, promotion, deleting for everyone, crash safety of grants, the
//! admin's subcommands, rate limiting and the security headers. The reference JS client
//! presents its capability in the sync URL's query.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use cohort_model::{Action, GroupDoc, GroupId, MemberDraft, MemberId};
use cohort_relay::DiskStore;
use cohort_sync::automerge::sync::{self, SyncDoc};
use cohort_sync::automerge::{Automerge, PatchLog};
use cohort_sync::message::DocMessage;
use cohort_sync::{DocumentId, Message};
use common::group_with;
use harness::{Relay, SyncPeer, js};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

const PATIENCE: Duration = Duration::from_secs(10);

/// An HTTP request to the relay: status, headers and the body as JSON (null if it is not).
async fn call(
    relay: &Relay,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder().method(method).uri(format!(
        "{}{}",
        relay.url(),
        path.trim_start_matches('/')
    ));
    if let Some(bearer) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
    }
    let body = body.map_or_else(Vec::new, |body| body.to_string().into_bytes());
    let request = request
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn new_document() -> DocumentId {
    DocumentId::parse(&GroupId::random().unwrap().to_string()).unwrap()
}

/// The document with a member added to it, as an organizer's app would add one.
fn with_member(doc: &Automerge, name: &str, at: i64) -> Automerge {
    let mut group = GroupDoc::from_automerge(doc.clone()).unwrap();
    group
        .apply(&Action::AddMember {
            id: MemberId::random().unwrap(),
            draft: MemberDraft {
                name: name.into(),
                ..MemberDraft::default()
            },
            at,
        })
        .unwrap();
    group.automerge().clone()
}

fn has_member(doc: &Automerge, name: &str) -> bool {
    GroupDoc::from_automerge(doc.clone())
        .is_ok_and(|group| group.hydrate().members.values().any(|m| m.name == name))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The sync URL presenting these capabilities.
fn sync_url(relay: &Relay, capabilities: &[(&DocumentId, &str)]) -> String {
    let query: Vec<String> = capabilities
        .iter()
        .map(|(document, secret)| format!("access={document}.{secret}"))
        .collect();
    format!("{}?{}", relay.sync_url(), query.join("&"))
}

/// A protected group with Ada in it, uploaded by its owner: the owner's secret and peer.
async fn protected_group(relay: &Relay, document: &DocumentId) -> (String, SyncPeer) {
    let (status, _, owner) = call(
        relay,
        Method::POST,
        &format!("/groups/{document}/protect"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = owner["secret"].as_str().unwrap().to_owned();
    let url = sync_url(relay, &[(document, &secret)]);
    let mut peer = SyncPeer::connect(
        &url,
        "owner",
        document.clone(),
        group_with("Ada").automerge().clone(),
    )
    .await
    .unwrap();
    peer.sync(PATIENCE).await.unwrap();
    (secret, peer)
}

/// A new link of the group: its secret and id.
async fn make_link(
    relay: &Relay,
    document: &DocumentId,
    owner: &str,
    request: Value,
) -> (String, String) {
    let (status, _, link) = call(
        relay,
        Method::POST,
        &format!("/groups/{document}/links"),
        Some(owner),
        Some(request),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    (
        link["secret"].as_str().unwrap().to_owned(),
        link["link"]["id"].as_str().unwrap().to_owned(),
    )
}

/// Everything the relay has stored of the document, read with the relay stopped.
fn stored(data_dir: &Path, document: &DocumentId) -> Option<Automerge> {
    let stored = DiskStore::open(data_dir).unwrap().load(document).unwrap()?;
    Some(Automerge::load(&stored.bytes).unwrap())
}

/// A peer with nothing that joins the group through `url` and waits until it has Ada.
async fn joined(url: &str, name: &str, document: &DocumentId) -> SyncPeer {
    let mut peer = SyncPeer::connect(url, name, document.clone(), Automerge::new())
        .await
        .unwrap();
    peer.until(PATIENCE, |p| has_member(&p.doc, "Ada"))
        .await
        .unwrap();
    peer
}

/// What a fresh peer asking for the document hears, and how long it took.
async fn ask(url: &str, document: &DocumentId) -> (bool, Duration) {
    let started = Instant::now();
    let mut peer = SyncPeer::connect(url, "asker", document.clone(), Automerge::new())
        .await
        .unwrap();
    let result = peer.until(PATIENCE, |peer| peer.unavailable).await;
    let took = started.elapsed();
    (result.is_ok() && peer.doc.get_heads().is_empty(), took)
}

#[tokio::test]
async fn a_read_only_link_syncs_live_and_a_forced_change_reaches_no_peer_and_no_disk() {
    let mut relay = Relay::start().unwrap();
    let document = new_document();
    let (owner_secret, mut owner) = protected_group(&relay, &document).await;
    let (reader_secret, _) = make_link(
        &relay,
        &document,
        &owner_secret,
        json!({ "role": "read", "label": "board" }),
    )
    .await;
    let reader_url = sync_url(&relay, &[(&document, &reader_secret)]);

    // The reader sees everything, and live.
    let mut reader = joined(&reader_url, "reader", &document).await;
    owner.doc = with_member(&owner.doc, "Bo", 1);
    owner.sync(PATIENCE).await.unwrap();
    reader
        .until(PATIENCE, |p| has_member(&p.doc, "Bo"))
        .await
        .unwrap();

    // The reference JS client, presenting the read capability in its URL, reads the group but
    // cannot add to it: what it writes never comes back from the relay.
    let lines = js::client(&["--url", &reader_url, "--doc", &document.url(), "--print"])
        .await
        .unwrap();
    assert_eq!(js::member_names(&lines[0]["doc"]), ["Ada", "Bo"]);
    let forced = js::client(&[
        "--url",
        &reader_url,
        "--doc",
        &document.url(),
        "--add-member",
        "Mallory",
    ])
    .await;
    assert!(
        forced.is_err(),
        "the JS client's write came back: {forced:?}"
    );

    // A change forced through as raw sync data is refused, and the peer is told why.
    let before = reader.doc.get_heads();
    let forced_doc = with_member(&reader.doc, "Eve", 2);
    let mut message = sync::Message::decode(
        &Automerge::new()
            .generate_sync_message(&mut sync::State::new())
            .unwrap()
            .encode(),
    )
    .unwrap();
    message.heads = forced_doc.get_heads();
    message.changes = forced_doc.save_after(&before).into();
    let frame = Message::Sync(DocMessage {
        sender_id: "reader".into(),
        target_id: "cohort-relay".into(),
        document_id: document.clone(),
        data: message.encode(),
    });
    reader.send_raw(frame.encode()).await.unwrap();
    let told = tokio::time::timeout(PATIENCE, async {
        loop {
            let frame = reader.next_frame().await.unwrap();
            reader.handle(&frame, &mut PatchLog::inactive()).unwrap();
            if let Some(error) = reader.relay_errors.first() {
                return error.clone();
            }
        }
    })
    .await
    .unwrap();
    assert!(told.contains("read-only"), "{told}");

    tokio::time::sleep(Duration::from_millis(300)).await;
    owner.sync(PATIENCE).await.unwrap();
    assert!(!has_member(&owner.doc, "Eve") && !has_member(&owner.doc, "Mallory"));
    relay.kill();
    let on_disk = stored(relay.data_dir(), &document).unwrap();
    assert!(has_member(&on_disk, "Bo"));
    assert!(!has_member(&on_disk, "Eve") && !has_member(&on_disk, "Mallory"));
}

#[tokio::test]
async fn a_revoked_link_is_cut_within_a_second_and_then_learns_nothing() {
    let relay = Relay::start().unwrap();
    let document = new_document();
    let (owner_secret, mut owner) = protected_group(&relay, &document).await;
    let (secret, link) =
        make_link(&relay, &document, &owner_secret, json!({ "role": "edit" })).await;
    let url = sync_url(&relay, &[(&document, &secret)]);
    let mut editor = joined(&url, "editor", &document).await;

    let (status, _, _) = call(
        &relay,
        Method::DELETE,
        &format!("/groups/{document}/links/{link}"),
        Some(&owner_secret),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let revoked = Instant::now();
    let cut = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            if editor.next_frame().await.is_err() {
                return;
            }
        }
    })
    .await;
    assert!(cut.is_ok(), "still connected 1 s after the revocation");
    println!("cut {:?} after the revocation", revoked.elapsed());

    // The owner's edits go on, and the revoked link hears nothing of them.
    owner.doc = with_member(&owner.doc, "After", 3);
    owner.sync(PATIENCE).await.unwrap();

    // A fresh connection with the revoked link: the same answer as for a group that never
    // existed, in the same time.
    let never = new_document();
    let never_url = sync_url(&relay, &[(&never, &secret)]);
    let (mut revoked_times, mut never_times) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let (unavailable, took) = ask(&url, &document).await;
        assert!(unavailable, "the revoked link learned something");
        revoked_times.push(took);
        let (unavailable, took) = ask(&never_url, &never).await;
        assert!(unavailable);
        never_times.push(took);
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (revoked_median, never_median) = (median(&mut revoked_times), median(&mut never_times));
    println!(
        "revoked link answered in {revoked_median:?} (median), a group never made in {never_median:?}"
    );
    let gap = revoked_median.abs_diff(never_median);
    assert!(
        gap < Duration::from_millis(3) || gap < never_median / 2,
        "told apart by timing: {revoked_median:?} against {never_median:?}"
    );
}

#[tokio::test]
async fn links_expire_owners_promote_and_one_groups_link_never_opens_another() {
    let relay = Relay::start().unwrap();
    let (a, b) = (new_document(), new_document());
    let (owner_a, _peer_a) = protected_group(&relay, &a).await;
    let (_owner_b, _peer_b) = protected_group(&relay, &b).await;

    // A's owner link for B: nothing.
    let (unavailable, _) = ask(&sync_url(&relay, &[(&b, &owner_a)]), &b).await;
    assert!(unavailable, "group A's link opened group B");
    let (status, _, _) = call(
        &relay,
        Method::GET,
        &format!("/groups/{b}/links"),
        Some(&owner_a),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An edit link expiring in two seconds: it syncs, then is cut, then opens nothing.
    let (brief, _) = make_link(
        &relay,
        &a,
        &owner_a,
        json!({ "role": "edit", "label": "today only", "expires_at": unix_now() + 2 }),
    )
    .await;
    let brief_url = sync_url(&relay, &[(&a, &brief)]);
    let mut guest = joined(&brief_url, "guest", &a).await;
    let cut = tokio::time::timeout(Duration::from_secs(5), async {
        while guest.next_frame().await.is_ok() {}
    })
    .await;
    assert!(cut.is_ok(), "an expired link's connection stayed open");
    let (unavailable, _) = ask(&brief_url, &a).await;
    assert!(unavailable);

    // Promotion: an owner link makes another owner, who manages links; a reader does not.
    let (promoted, _) = make_link(
        &relay,
        &a,
        &owner_a,
        json!({ "role": "owner", "label": "co-organizer" }),
    )
    .await;
    let (reader, _) = make_link(
        &relay,
        &a,
        &promoted,
        json!({ "role": "read", "label": "board" }),
    )
    .await;
    let (status, _, links) = call(
        &relay,
        Method::GET,
        &format!("/groups/{a}/links"),
        Some(&promoted),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let labels: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["", "co-organizer", "board"],
        "the expired link is not listed"
    );
    assert!(
        !links.to_string().contains(&reader),
        "a listing never holds a secret"
    );
    let (status, _, _) = call(
        &relay,
        Method::GET,
        &format!("/groups/{a}/links"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a reader manages nothing");
    let (status, _, access) = call(
        &relay,
        Method::GET,
        &format!("/groups/{a}/access"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(
        (status, access["role"].as_str()),
        (StatusCode::OK, Some("read"))
    );
}

#[tokio::test]
async fn a_group_deleted_for_everyone_leaves_the_disk_and_is_answered_as_never_made() {
    let relay = Relay::start().unwrap();
    let document = new_document();
    let (owner_secret, _owner) = protected_group(&relay, &document).await;
    let (secret, _) = make_link(&relay, &document, &owner_secret, json!({ "role": "read" })).await;
    let url = sync_url(&relay, &[(&document, &secret)]);
    let mut reader = joined(&url, "reader", &document).await;
    let dir = {
        let id = document.as_str();
        relay.data_dir().join(&id[..2]).join(&id[2..])
    };
    assert!(dir.is_dir());

    let (status, _, _) = call(
        &relay,
        Method::DELETE,
        &format!("/groups/{document}"),
        Some(&owner_secret),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !dir.exists(),
        "its files are gone once the owner hears it is deleted"
    );
    reader.until(PATIENCE, |p| p.unavailable).await.unwrap();

    // Nobody can write it again, owner or not.
    let owner_url = sync_url(&relay, &[(&document, &owner_secret)]);
    let mut again = SyncPeer::connect(
        &owner_url,
        "again",
        document.clone(),
        group_with("Ada").automerge().clone(),
    )
    .await
    .unwrap();
    again.until(PATIENCE, |p| p.unavailable).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!dir.exists());
    let (status, _, _) = call(
        &relay,
        Method::POST,
        &format!("/groups/{document}/protect"),
        None,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a deleted group cannot be claimed again"
    );
}

/// Kills the relay with SIGKILL the moment it confirms a grant, then a revocation, 20 times
/// each: after every restart the relay holds what it confirmed.
#[tokio::test]
async fn no_confirmed_grant_or_revocation_is_lost_to_kill_9() {
    let mut relay = Relay::start().unwrap();
    let document = new_document();
    let (status, _, owner) = call(
        &relay,
        Method::POST,
        &format!("/groups/{document}/protect"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let owner = owner["secret"].as_str().unwrap().to_owned();
    for round in 0..20 {
        let (secret, link) = make_link(
            &relay,
            &document,
            &owner,
            json!({ "role": "edit", "label": format!("round {round}") }),
        )
        .await;
        kill(Pid::from_raw(relay.pid().unwrap() as i32), Signal::SIGKILL).unwrap();
        relay.restart().unwrap();
        let (status, _, access) = call(
            &relay,
            Method::GET,
            &format!("/groups/{document}/access"),
            Some(&secret),
            None,
        )
        .await;
        assert_eq!(
            (status, access["role"].as_str()),
            (StatusCode::OK, Some("edit")),
            "round {round}: the grant was lost"
        );

        let (status, _, _) = call(
            &relay,
            Method::DELETE,
            &format!("/groups/{document}/links/{link}"),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        kill(Pid::from_raw(relay.pid().unwrap() as i32), Signal::SIGKILL).unwrap();
        relay.restart().unwrap();
        let (status, _, _) = call(
            &relay,
            Method::GET,
            &format!("/groups/{document}/access"),
            Some(&secret),
            None,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "round {round}: the revocation was lost"
        );
    }
}

#[tokio::test]
async fn the_reference_js_client_presents_its_capability_in_the_sync_url() {
    let relay = Relay::start().unwrap();
    let document = new_document();
    let (owner_secret, mut owner) = protected_group(&relay, &document).await;
    let (editor, _) = make_link(&relay, &document, &owner_secret, json!({ "role": "edit" })).await;
    let lines = js::client(&[
        "--url",
        &sync_url(&relay, &[(&document, &editor)]),
        "--doc",
        &document.url(),
        "--add-member",
        "Grace",
        "--print",
    ])
    .await
    .unwrap();
    assert_eq!(js::member_names(&lines[1]["doc"]), ["Ada", "Grace"]);
    owner
        .until(PATIENCE, |p| has_member(&p.doc, "Grace"))
        .await
        .unwrap();

    // Without one, the group does not exist for it.
    let refused = js::client(&[
        "--url",
        &relay.sync_url(),
        "--doc",
        &document.url(),
        "--print",
    ])
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn the_admin_lists_and_revokes_links_and_deletes_groups_without_their_secrets() {
    let mut relay = Relay::start().unwrap();
    let document = new_document();
    let (owner_secret, _owner) = protected_group(&relay, &document).await;
    let (secret, link) = make_link(
        &relay,
        &document,
        &owner_secret,
        json!({ "role": "read", "label": "volunteers' phones" }),
    )
    .await;
    let mut reader = joined(
        &sync_url(&relay, &[(&document, &secret)]),
        "reader",
        &document,
    )
    .await;

    let addr = relay
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let data_dir = relay.data_dir().to_owned();
    let admin = |args: &[&str]| {
        let output = std::process::Command::new(harness::relay_bin().unwrap())
            .arg(format!("--addr={addr}"))
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), text)
    };
    let (ok, listing) = admin(&["links", document.as_str()]);
    assert!(ok, "{listing}");
    assert!(
        listing.contains("volunteers' phones")
            && listing.contains("read")
            && listing.contains(&link),
        "{listing}"
    );
    assert!(!listing.contains(&secret) && !listing.contains(&owner_secret));

    let (ok, said) = admin(&["revoke", document.as_str(), &link]);
    assert!(ok, "{said}");
    let cut = tokio::time::timeout(Duration::from_secs(1), async {
        while reader.next_frame().await.is_ok() {}
    })
    .await;
    assert!(
        cut.is_ok(),
        "the admin's revocation left the connection open"
    );

    // With the relay stopped, the admin deletes from the data directory itself.
    relay.kill();
    let (ok, said) = admin(&["delete", &document.url()]);
    assert!(ok, "{said}");
    assert!(stored(relay.data_dir(), &document).is_none());
    relay.restart().unwrap();
    let (unavailable, _) = ask(&sync_url(&relay, &[(&document, &owner_secret)]), &document).await;
    assert!(unavailable);
}

#[tokio::test]
async fn wrong_capabilities_are_rate_limited_and_everything_served_has_security_headers() {
    let relay = Relay::start_with(&["--wrong-links-per-address=3"]).unwrap();
    let document = new_document();
    let (_owner, _peer) = protected_group(&relay, &document).await;
    let wrong = "0123456789abcdef0123456789abcdef";
    for _ in 0..3 {
        let (status, _, _) = call(
            &relay,
            Method::GET,
            &format!("/groups/{document}/links"),
            Some(wrong),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _, _) = call(
        &relay,
        Method::GET,
        &format!("/groups/{document}/links"),
        Some(wrong),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let refused = SyncPeer::connect(
        &sync_url(&relay, &[(&document, wrong)]),
        "guesser",
        document.clone(),
        Automerge::new(),
    )
    .await;
    assert!(refused.is_err(), "the sync endpoint refuses too");

    for path in ["/", "/healthz", "/members", "/groups/x/links", "/sync"] {
        let (_, headers, _) = call(&relay, Method::GET, path, None, None).await;
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for part in [
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-",
            "worker-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{path}: {policy}");
        }
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{path}");
    }
}
