//! Organizers on two devices (two Chromium sessions with separate profiles) editing one group
//! through a real relay: a shared link, live edits both ways, edits made while the relay is
//! down (killed with SIGKILL) merging when it is back, and two tabs of one browser.

use harness::{Browser, Relay, Result, Viewport, js};

/// Waits until the members table lists exactly these names, in any order.
/// A JavaScript expression for the members table's row of the member with this name.
fn member_row(name: &str) -> String {
    format!(
        "[...document.querySelectorAll('tbody tr')].find(r => r.querySelector('th').textContent.trim() === '{name}')"
    )
}

/// Sets a member's status from the members table, as a person would with the row's select.
async fn set_status(browser: &Browser, name: &str, status: &str) -> Result<()> {
    browser
        .eval(&format!(
            "(() => {{ const select = {}.querySelector('select'); select.value = '{status}'; select.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()",
            member_row(name)
        ))
        .await
        .map(drop)
}

/// Waits until `expression` has the same string value on both screens; returns it.
async fn settle_on_the_same(a: &Browser, b: &Browser, expression: &str) -> Result<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (on_a, on_b) = (a.eval(expression).await?, b.eval(expression).await?);
        if on_a == on_b
            && let Some(value) = on_a.as_str()
        {
            return Ok(value.to_owned());
        }
        if std::time::Instant::now() > deadline {
            return Err(harness::HarnessError::Answer(format!(
                "the screens still disagree on {expression}: {on_a} and {on_b}"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_organizers_co_edit_and_merge_what_they_did_while_the_relay_was_down() -> Result<()> {
    let mut relay = Relay::start()?;
    // Without direct channels, so that "offline" and "the relay is down" part the two.
    let ann = Browser::launch_without_direct_connections(Viewport::Desktop).await?;
    ann.goto(relay.url()).await?;
    let group = ann.create_group("Readers").await?;
    ann.add_member("Ada", "ada@example.org").await?;
    ann.wait_for_members(&["Ada"]).await?;
    ann.wait_for_sync_state("synced").await?;

    // The share link opens the whole group on another device.
    let link = ann
        .eval("document.querySelector('#share-link').value")
        .await?;
    let link = link.as_str().unwrap_or_default().to_owned();
    assert_eq!(
        link,
        format!("{}{}", relay.url().trim_end_matches('/'), group)
    );
    let bo = Browser::launch_without_direct_connections(Viewport::Desktop).await?;
    bo.goto(&format!("{link}/members")).await?;
    bo.wait_for_members(&["Ada"]).await?;
    assert_eq!(bo.text_of(".group-name").await?, "Readers");

    // Each organizer sees who else is in the group now (presence, not stored in the group).
    ann.set_value("#display-name", "Ann").await?;
    bo.set_value("#display-name", "Bo").await?;
    ann.wait_until("document.querySelector('.online-now')?.textContent.includes('Here now: Bo')")
        .await?;
    bo.wait_until("document.querySelector('.online-now')?.textContent.includes('Here now: Ann')")
        .await?;

    // Live edits both ways, at the same time.
    ann.add_member("Grace", "grace@example.org").await?;
    bo.add_member("Linus", "linus@example.org").await?;
    ann.wait_for_members(&["Ada", "Grace", "Linus"]).await?;
    bo.wait_for_members(&["Ada", "Grace", "Linus"]).await?;

    // Ada joins; both see it.
    set_status(&ann, "Ada", "active").await?;
    let status_is = |status: &str| {
        format!(
            "(row => row && row.dataset.status === '{status}')({})",
            member_row("Ada")
        )
    };
    bo.wait_until(&status_is("active")).await?;
    // Both offline, each moves Ada on from active, differently: real, concurrent edits of the
    // same field. Back online, both screens settle on the same one of the two, and keep it
    // after a reload.
    ann.set_offline(true).await?;
    bo.set_offline(true).await?;
    ann.wait_for_sync_state("offline").await?;
    bo.wait_for_sync_state("offline").await?;
    set_status(&ann, "Ada", "inactive").await?;
    set_status(&bo, "Ada", "left").await?;
    ann.wait_until(&status_is("inactive")).await?;
    bo.wait_until(&status_is("left")).await?;
    // Apart: neither has the other's edit yet.
    let status = format!("({})?.dataset.status", member_row("Ada"));
    assert_eq!(ann.eval(&status).await?, "inactive");
    ann.set_offline(false).await?;
    bo.set_offline(false).await?;
    ann.wait_for_sync_state("synced").await?;
    bo.wait_for_sync_state("synced").await?;
    let merged = settle_on_the_same(&ann, &bo, &status).await?;
    assert!(
        ["inactive", "left"].contains(&merged.as_str()),
        "merged status {merged}"
    );
    ann.goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    ann.wait_until(&format!("{status} === '{merged}'")).await?;

    // One organizer's network goes away (DevTools network emulation); both edit; it comes back.
    bo.set_offline(true).await?;
    bo.wait_for_sync_state("offline").await?;
    ann.add_member("While Bo was offline", "").await?;
    bo.add_member("Bo offline", "").await?;
    ann.wait_for_members(&["Ada", "Grace", "Linus", "While Bo was offline"])
        .await?;
    bo.set_offline(false).await?;
    let after_offline = [
        "Ada",
        "Bo offline",
        "Grace",
        "Linus",
        "While Bo was offline",
    ];
    ann.wait_for_members(&after_offline).await?;
    bo.wait_for_members(&after_offline).await?;

    // The relay dies; both keep working offline; it comes back and everything merges.
    relay.kill();
    ann.wait_for_sync_state("offline").await?;
    bo.wait_for_sync_state("offline").await?;
    ann.add_member("Offline Ann", "").await?;
    bo.add_member("Offline Bo", "").await?;
    ann.wait_for_members(&[
        "Ada",
        "Bo offline",
        "Grace",
        "Linus",
        "Offline Ann",
        "While Bo was offline",
    ])
    .await?;
    relay.restart()?;
    let everyone = [
        "Ada",
        "Bo offline",
        "Grace",
        "Linus",
        "Offline Ann",
        "Offline Bo",
        "While Bo was offline",
    ];
    ann.wait_for_members(&everyone).await?;
    bo.wait_for_members(&everyone).await?;
    ann.wait_for_sync_state("synced").await?;
    bo.wait_for_sync_state("synced").await?;

    // A third device, with only the relay's copy, has every edit: none was lost on the way.
    let cy = Browser::launch(Viewport::Desktop).await?;
    cy.goto(&format!("{link}/members")).await?;
    cy.wait_for_members(&everyone).await?;
    for browser in [ann, bo, cy] {
        browser.close().await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_link_to_a_group_the_relay_lacks_says_so() -> Result<()> {
    let relay = Relay::start()?;
    let browser = Browser::launch(Viewport::Desktop).await?;
    // A well-formed id nobody has.
    let id = cohort_model::GroupId::random()
        .map_err(|e| harness::HarnessError::Answer(e.to_string()))?;
    browser
        .goto(&format!("{}g/{id}/members", relay.url()))
        .await?;
    browser.wait_for("main h1").await?;
    browser
        .wait_until(
            "document.querySelector('main h1')?.textContent === 'This group cannot be opened'",
        )
        .await?;
    assert!(
        browser
            .text_of("main .lead")
            .await?
            .contains("the relay does not have it")
    );
    browser.close().await
}

#[tokio::test]
async fn two_tabs_see_each_others_changes_without_the_relay() -> Result<()> {
    let mut relay = Relay::start()?;
    let browser = Browser::launch(Viewport::Desktop).await?;
    browser.goto(relay.url()).await?;
    let group = browser.create_group("Two tabs").await?;
    let members = format!("{}{group}/members", relay.url().trim_end_matches('/'));
    let first = browser.window().await?;
    let second = browser.new_window(true).await?.handle;
    browser.switch_to_window(second.clone()).await?;
    browser.goto(&members).await?;
    browser
        .wait_until("document.querySelector('.members .count')?.textContent === '0 members'")
        .await?;

    // No relay from here on: the tabs talk through the browser alone.
    relay.kill();
    browser.wait_for_sync_state("offline").await?;
    browser.switch_to_window(first.clone()).await?;
    browser.add_member("From the first tab", "").await?;
    browser.switch_to_window(second).await?;
    browser.wait_for_members(&["From the first tab"]).await?;
    browser.add_member("From the second tab", "").await?;
    browser.switch_to_window(first).await?;
    browser
        .wait_for_members(&["From the first tab", "From the second tab"])
        .await?;
    browser.close().await
}

/// The app and the reference JavaScript client edit one group through `sync_url`: the JS
/// client reads the group the app created, adds a member following docs/schema.md, and the
/// app shows it. `in_sync` is the state the app shows once the server has the group:
/// `synced` (on disk) only with Cohort's relay.
async fn app_and_js_client_share_a_group(
    browser: &Browser,
    sync_url: &str,
    in_sync: &str,
) -> Result<()> {
    let group = browser.create_group("Readers").await?;
    browser.add_member("Ada", "ada@example.org").await?;
    browser.wait_for_members(&["Ada"]).await?;
    browser.wait_for_sync_state(in_sync).await?;
    let doc_url = format!("automerge:{}", group.trim_start_matches("/g/"));
    let lines = js::client(&[
        "--url",
        sync_url,
        "--doc",
        &doc_url,
        "--add-member",
        "Grace",
        "--print",
    ])
    .await?;
    assert_eq!(js::member_names(&lines[1]["doc"]), ["Ada", "Grace"]);
    assert_eq!(lines[1]["doc"]["profile"]["name"], "Readers");
    browser.wait_for_members(&["Ada", "Grace"]).await
}

#[tokio::test]
async fn the_reference_js_client_edits_a_group_made_in_the_app() -> Result<()> {
    let relay = Relay::start()?;
    let browser = Browser::launch(Viewport::Desktop).await?;
    browser.goto(relay.url()).await?;
    app_and_js_client_share_a_group(&browser, &relay.sync_url(), "synced").await?;
    browser.close().await
}

#[tokio::test]
async fn the_app_syncs_through_the_reference_sync_server() -> Result<()> {
    let server = js::ReferenceServer::start()?;
    // The app may connect only to its own origin unless the relay's operator allows more.
    let origin = server.url();
    let origin = origin.trim_end_matches('/').trim_end_matches("/sync");
    let relay = Relay::start_with(&[&format!("--connect-src={origin}")])?;
    let browser = Browser::launch(Viewport::Desktop).await?;
    browser.goto(relay.url()).await?;
    // A malformed address is refused next to the field.
    browser.fill("#relay-address", "ftp://nowhere").await?;
    browser.click("form.relay-form button[type=submit]").await?;
    assert!(
        browser
            .shown_text("#relay-address-error")
            .await?
            .contains("is not a relay address")
    );
    browser.fill("#relay-address", &server.url()).await?;
    browser.click("form.relay-form button[type=submit]").await?;
    // The reference server says it has the group, not that it is on disk.
    app_and_js_client_share_a_group(&browser, &server.url(), "server-has").await?;
    assert_eq!(browser.text_of(".sync-label").await?, "On the server");
    // It kept nothing on our relay: the group went through the reference server only.
    let document_dirs = std::fs::read_dir(relay.data_dir())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or_default();
    assert_eq!(document_dirs, 0);

    // The sync server goes away; the app, reopened from the relay that serves it, still tells
    // when the group was last in sync (kept in IndexedDB, not only in memory).
    drop(server);
    browser.wait_for_sync_state("offline").await?;
    browser.refresh().await?;
    browser.wait_for("main h1").await?;
    browser
        .wait_until(
            "/^(Offline|Connecting…) · synced \\d/.test(document.querySelector('.sync-label')?.textContent ?? '')",
        )
        .await?;
    browser.close().await
}

/// Two organizers, each syncing through a slow link (400 kbit/s each way, 400 ms round trip),
/// over a 2,000-member group made in one import. Edits one made offline reach the other as
/// edits: before, both the app (to the relay) and the relay (to the other organizer) sent the
/// whole group in their place, as Automerge does when the changes to send are more than a
/// third of the document's changes, counted and not weighed.
#[tokio::test]
async fn over_slow_links_edits_made_offline_move_as_edits_and_not_as_the_group() -> Result<()> {
    use cohort_model::{Action, GroupDoc, GroupId, MemberDraft, MemberId};
    use cohort_sync::DocumentId;
    use harness::{Shape, SlowLink, SyncPeer};

    let relay = Relay::start_with(&["--connect-src=ws://127.0.0.1:*"])?;
    let fail = |e: &dyn std::fmt::Display| harness::HarnessError::Answer(e.to_string());
    let mut group = GroupDoc::create("Venue", 0).map_err(|e| fail(&e))?;
    let import: Vec<Action> = (0..2_000)
        .map(|n| {
            Ok(Action::AddMember {
                id: MemberId::random().map_err(|e| fail(&e))?,
                draft: MemberDraft {
                    name: format!("Member {n}"),
                    email: format!("member{n}@example.org"),
                    ..MemberDraft::default()
                },
                at: 0,
            })
        })
        .collect::<Result<_>>()?;
    group.apply_all(&import).map_err(|e| fail(&e))?;
    let id = GroupId::random().map_err(|e| fail(&e))?.to_string();
    let document = DocumentId::parse(&id).map_err(|e| fail(&e))?;
    let mut importer = SyncPeer::connect(
        &relay.sync_url(),
        "importer",
        document,
        group.automerge().clone(),
    )
    .await?;
    importer.sync(std::time::Duration::from_secs(20)).await?;
    importer.close().await?;

    let target = relay
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let mut organizers = Vec::new();
    for _ in 0..2 {
        let link = SlowLink::to(target, Shape::VENUE).await?;
        // Every byte between the two goes over the measured links, none over a direct channel.
        let browser = Browser::launch_without_direct_connections(Viewport::Desktop).await?;
        browser.goto(relay.url()).await?;
        browser.fill("#relay-address", &link.sync_url()).await?;
        browser.click("form.relay-form button[type=submit]").await?;
        browser
            .goto(&format!("{}g/{id}/members", relay.url()))
            .await?;
        organizers.push((browser, link));
    }
    for (browser, _) in &organizers {
        browser.wait_for(".group-name").await?;
        browser.wait_for_sync_state("synced").await?;
    }
    let (ann, ann_link) = &organizers[0];
    let (bo, bo_link) = &organizers[1];
    let group_bytes = bo_link.carried().1;

    ann.set_offline(true).await?;
    ann.wait_for_sync_state("offline").await?;
    // Four edits to a group of six changes (five make a group, one the import): more than a
    // third of its changes.
    let late = ["Late 1", "Late 2", "Late 3", "Late 4"];
    for name in late {
        ann.add_member(name, "").await?;
    }
    let before = (ann_link.carried(), bo_link.carried());
    ann.set_offline(false).await?;
    let all_late: Vec<String> = late.iter().map(|name| member_row(name)).collect();
    bo.wait_until(&all_late.join(" && ")).await?;
    ann.wait_for_sync_state("synced").await?;
    let (ann_after, bo_after) = (ann_link.carried(), bo_link.carried());
    let ann_bytes = ann_after.0 - before.0.0 + ann_after.1 - before.0.1;
    let bo_bytes = bo_after.0 - before.1.0 + bo_after.1 - before.1.1;
    eprintln!(
        "the group: {group_bytes} bytes to the second organizer; four offline edits: \
         {ann_bytes} bytes on the editor's link, {bo_bytes} on the other's"
    );
    assert!(group_bytes > 50_000, "the group took {group_bytes} bytes");
    assert!(
        ann_bytes < 20_000 && bo_bytes < 20_000,
        "four edits took {ann_bytes} bytes on the editor's link and {bo_bytes} on the other's \
         (the group is {group_bytes})"
    );
    for (browser, _) in organizers {
        browser.close().await?;
    }
    Ok(())
}
