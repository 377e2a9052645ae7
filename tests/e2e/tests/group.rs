//! A group through the UI: create it, add members, roles and feedback, see invalid input
//! refused, reload, and find everything still there.

use harness::{Browser, Relay, Result, Viewport, open_app, temp_dir};

async fn count(browser: &Browser, css: &str) -> Result<usize> {
    let n = browser
        .eval(&format!("document.querySelectorAll(\"{css}\").length"))
        .await?;
    Ok(n.as_u64().unwrap_or_default() as usize)
}

#[tokio::test]
async fn a_group_is_built_through_the_ui_and_survives_a_reload() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    let group = browser.create_group("Book club").await?;
    assert_eq!(browser.text_of(".members .count").await?, "0 members");
    assert_eq!(browser.text_of(".group-name").await?, "Book club");

    // A malformed email is refused next to its field, and nothing is stored.
    browser.add_member("Ada Lovelace", "ada@").await?;
    let error = browser.shown_text("#new-email-error").await?;
    assert!(
        error.starts_with("Email “ada@” is not an email address"),
        "{error}"
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#new-email').getAttribute('aria-invalid')")
            .await?,
        "true"
    );
    assert_eq!(browser.text_of(".members .count").await?, "0 members");
    // Corrected, it goes in; the form closes and the table shows the member.
    browser.fill("#new-email", "ada@example.org").await?;
    browser.fill("#new-tags", "mentor, speaker").await?;
    browser.click("form.add-member button[type=submit]").await?;
    browser
        .wait_until("!document.querySelector('form.add-member')")
        .await?;
    browser
        .add_member("Grace Hopper", "grace@example.org")
        .await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;
    assert_eq!(browser.text_of(".members .count").await?, "2 members");
    // An empty name is refused too.
    browser.add_member(" ", "").await?;
    assert_eq!(
        browser.shown_text("#new-name-error").await?,
        "Name is required"
    );
    browser.click("form.add-member button[type=button]").await?;

    // A row's status can be changed in place, more than once, and the row shows each change.
    for status in ["active", "inactive"] {
        browser
            .set_value("tbody tr:nth-child(2) select", status)
            .await?;
        browser
            .wait_until(&format!(
                "(r => r.dataset.status === '{status}' && r.querySelector('select').value === '{status}')(document.querySelector('tbody tr:nth-child(2)'))"
            ))
            .await?;
    }

    // Search narrows the table and the count says so.
    browser.fill("#member-search", "MENTOR").await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 1")
        .await?;
    assert_eq!(browser.text_of(".members .count").await?, "1 of 2 members");
    browser.fill("#member-search", "").await?;

    // Member detail: a bad phone is refused inline; a good one is kept; status moves.
    browser.click("tbody tr th a").await?; // Ada, first by name
    assert_eq!(browser.text_of("main h1").await?, "Ada Lovelace");
    browser.set_value("#m-phone", "call me").await?;
    let error = browser.shown_text("#m-phone-error").await?;
    assert!(
        error.starts_with("Phone “call me” is not a phone number"),
        "{error}"
    );
    browser.set_value("#m-phone", "+44 20 7946 0958").await?;
    browser
        .wait_until("document.querySelector('#m-phone-error').hidden")
        .await?;
    browser
        .set_value("#m-notes", "Leads the March session.")
        .await?;
    browser
        .click("button:not([disabled])[type=button]:is(.card button)")
        .await?; // "Mark active"
    browser
        .wait_until("document.querySelector('.page-header .status').textContent === 'Active'")
        .await?;

    // Roles: add one, see it flagged without a holder, give it a holder.
    browser
        .click(&format!("nav.app-nav a[href='{group}/roles']"))
        .await?;
    browser.fill("#new-role-name", "Host").await?;
    browser
        .fill("#new-role-resp", "Opens each meeting and keeps time.")
        .await?;
    browser.click("form.add-role button[type=submit]").await?;
    browser.wait_for("section.role .badge.warn").await?;
    assert_eq!(
        browser.text_of("[data-flag=roles-without-holder]").await?,
        "1 role has no holder."
    );
    assert_eq!(
        browser.text_of("[data-flag=members-without-role]").await?,
        "2 current members hold no role:"
    );
    browser
        .fill("section.role .member-picker input", "grace")
        .await?;
    browser.click("section.role .suggestion").await?;
    browser.click("section.role .inline-form > button").await?;
    browser
        .wait_until("!document.querySelector('section.role .badge.warn')")
        .await?;
    assert_eq!(
        browser.text_of("[data-flag=members-without-role]").await?,
        "1 current member holds no role:"
    );

    // Feedback: a score of 11 is refused at the score; 8 is taken.
    browser
        .click(&format!("nav.app-nav a[href='{group}/feedback']"))
        .await?;
    browser.click("button[aria-expanded]").await?;
    browser
        .fill("#new-feedback-text", "Shorter books in summer, please.")
        .await?;
    browser.fill("#new-feedback-score", "11").await?;
    browser.fill("#new-feedback-category", "idea").await?;
    browser
        .click("form.add-feedback button[type=submit]")
        .await?;
    assert_eq!(
        browser.shown_text("#new-feedback-score-error").await?,
        "Score must be a whole number from 0 to 10"
    );
    assert_eq!(count(&browser, "li.feedback-item").await?, 0);
    browser.fill("#new-feedback-score", "8").await?;
    browser
        .fill(".add-feedback .member-picker input", "ada")
        .await?;
    browser.click(".add-feedback .suggestion").await?;
    browser
        .click("form.add-feedback button[type=submit]")
        .await?;
    browser.wait_for("li.feedback-item").await?;
    browser.click("li.feedback-item .actions button").await?; // Mark triaged
    browser
        .wait_until("document.querySelector('li.feedback-item').dataset.status === 'triaged'")
        .await?;

    // Reload: everything comes back from IndexedDB.
    browser
        .goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;
    let names = browser
        .eval("[...document.querySelectorAll('tbody th')].map(t => t.textContent)")
        .await?;
    assert_eq!(names, serde_json::json!(["Ada Lovelace", "Grace Hopper"]));
    browser.click("tbody tr th a").await?;
    browser
        .wait_until("document.querySelector('#m-phone')?.value === '+44 20 7946 0958'")
        .await?;
    assert_eq!(
        browser
            .eval("document.querySelector('#m-notes').value")
            .await?,
        "Leads the March session."
    );
    assert_eq!(browser.text_of(".page-header .status").await?, "Active");
    assert!(
        browser
            .text_of("#member-feedback-heading + ul")
            .await?
            .contains("Shorter books in summer")
    );
    browser
        .goto(&format!("{}{}/roles", relay.url(), &group[1..]))
        .await?;
    assert!(
        browser
            .text_of("section.role .chips")
            .await?
            .contains("Grace Hopper")
    );
    browser
        .goto(&format!("{}{}/feedback", relay.url(), &group[1..]))
        .await?;
    assert!(
        browser
            .text_of("li.feedback-item")
            .await?
            .contains("Score 8/10")
    );

    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

#[tokio::test]
async fn groups_are_renamed_and_deleted_after_asking() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Desktop).await?;
    browser.create_group("Choir").await?;
    browser.create_group("Chess club").await?;
    browser.click("a.brand").await?;
    browser
        .wait_until("document.querySelectorAll('.group-item').length === 2")
        .await?;

    browser.click(".group-item:nth-child(2) button").await?; // Rename "Choir"
    browser.fill("#rename-group", "Chamber choir").await?;
    browser
        .click(".group-item form button[type=submit]")
        .await?;
    browser.wait_until("[...document.querySelectorAll('.group-link')].some(a => a.textContent === 'Chamber choir')").await?;

    browser
        .click(".group-item:nth-child(1) button.danger")
        .await?; // Delete "Chamber choir"
    assert!(
        browser
            .text_of("[role=alertdialog]")
            .await?
            .contains("Delete “Chamber choir”")
    );
    browser
        .click("[role=alertdialog] button:not(.danger)")
        .await?; // Keep it
    assert_eq!(
        browser
            .eval("document.querySelectorAll('.group-item').length")
            .await?,
        2
    );
    browser
        .click(".group-item:nth-child(1) button.danger")
        .await?;
    browser.click("[role=alertdialog] button.danger").await?;
    browser
        .wait_until("document.querySelectorAll('.group-item').length === 1")
        .await?;
    assert_eq!(browser.text_of(".group-link").await?, "Chess club");

    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

#[tokio::test]
async fn a_killed_browser_loses_no_stored_change() -> Result<()> {
    let mut relay = Relay::start()?;
    let profile = temp_dir("cohort-kept-profile-")?;
    let browser = Browser::launch_with_profile(Viewport::Desktop, profile.path()).await?;
    browser.goto(relay.url()).await?;
    let group = browser.create_group("Night shift").await?;
    // Offline, with the relay down: what follows is only in this browser's IndexedDB.
    relay.kill();
    browser.set_offline(true).await?;
    browser
        .wait_until("document.querySelector('.sync-status')?.dataset.state === 'offline'")
        .await?;
    for n in 1..=5 {
        browser.add_member(&format!("Member {n}"), "").await?;
        // The form closes once the worker has stored the member in IndexedDB.
        browser
            .wait_until("!document.querySelector('form.add-member')")
            .await?;
    }
    browser.click("tbody tr th a").await?;
    browser
        .set_value("#m-notes", "Typed just before the crash.")
        .await?;
    browser
        .wait_until("!document.querySelector('#m-notes-error:not([hidden])')")
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // SIGKILL to chromedriver and Chromium, tabs and worker: no unload, no clean shutdown.
    drop(browser);

    // The relay comes back with nothing stored, so that all the group has is what the browser
    // kept.
    relay.restart_empty()?;
    let browser = Browser::launch_with_profile(Viewport::Desktop, profile.path()).await?;
    browser
        .goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 5")
        .await?;
    assert_eq!(browser.text_of(".members .count").await?, "5 members");
    browser.click("tbody tr th a").await?;
    browser
        .wait_until("document.querySelector('#m-notes')?.value === 'Typed just before the crash.'")
        .await?;
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

#[tokio::test]
async fn a_group_file_is_imported() -> Result<()> {
    let doc = cohort_model::sample::group(30, 10, 7).expect("a sample group");
    let file = temp_dir("cohort-import-")?;
    let path = file.path().join("study-group.automerge");
    std::fs::write(&path, doc.save()).map_err(harness::HarnessError::TempDir)?;
    let (_relay, browser) = open_app(Viewport::Desktop).await?;

    // Not a group: refused with a reason, nothing added.
    let bad = file.path().join("notes.automerge");
    std::fs::write(&bad, b"just some text").map_err(harness::HarnessError::TempDir)?;
    browser
        .wait_for("#import-file")
        .await?
        .send_keys(&bad.display().to_string())
        .await?;
    let error = browser
        .text_of(".import-group .form-alert:not([hidden])")
        .await?;
    assert!(error.contains("damaged"), "{error}");

    browser
        .wait_for("#import-file")
        .await?
        .send_keys(&path.display().to_string())
        .await?;
    browser
        .wait_until("location.pathname.endsWith('/members')")
        .await?;
    browser
        .wait_until("document.querySelector('.members .count')?.textContent === '30 members'")
        .await?;
    assert_eq!(browser.text_of(".group-name").await?, "Sample group");
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

/// Adds `count` members through the members page's form, one after the other as fast as the
/// page takes them, in the background: returns at once; `window.added` counts those stored.
/// Waits on DOM changes, not timers, which a tab in the background would slow down.
const ADD_MEMBERS_IN_BACKGROUND: &str = "
    const [prefix, count] = arguments;
    const changed = (test) => new Promise(resolve => {
        if (test()) return resolve();
        const observer = new MutationObserver(() => {
            if (test()) { observer.disconnect(); resolve(); }
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    window.added = 0;
    (async () => {
        for (let n = 0; n < count; n++) {
            await changed(() => document.querySelector('button[aria-expanded=false]'));
            document.querySelector('button[aria-expanded=false]').click();
            await changed(() => document.querySelector('#new-name'));
            const name = document.querySelector('#new-name');
            name.value = `${prefix} ${n}`;
            name.dispatchEvent(new Event('input', { bubbles: true }));
            document.querySelector('form.add-member button[type=submit]').click();
            // The form closes once the worker has stored the member.
            await changed(() => !document.querySelector('form.add-member'));
            window.added = n + 1;
        }
    })();
    return true;
";

#[tokio::test]
async fn three_tabs_adding_at_once_offline_lose_nothing() -> Result<()> {
    const PER_TAB: usize = 100;
    let mut relay = Relay::start()?;
    let profile = temp_dir("cohort-tabs-profile-")?;
    let browser = Browser::launch_with_profile(Viewport::Desktop, profile.path()).await?;
    browser.goto(relay.url()).await?;
    let group = browser.create_group("Three tabs").await?;
    let members = format!("{}{}/members", relay.url(), &group[1..]);
    let mut tabs = vec![browser.window().await?];
    for _ in 0..2 {
        let tab = browser.new_window(true).await?.handle;
        browser.switch_to_window(tab.clone()).await?;
        browser.goto(&members).await?;
        tabs.push(tab);
    }
    for tab in &tabs {
        // Each tab's worker has started (its code came from the relay) and synced.
        browser.switch_to_window(tab.clone()).await?;
        browser
            .wait_until("document.querySelector('.sync-status')?.dataset.state === 'synced'")
            .await?;
    }
    // Offline: the relay is gone (the app has no service worker yet, so the tabs were opened
    // first), and every member added is only in this browser's IndexedDB.
    relay.kill();
    for (n, tab) in tabs.iter().enumerate() {
        browser.switch_to_window(tab.clone()).await?;
        browser
            .execute(
                ADD_MEMBERS_IN_BACKGROUND,
                vec![
                    serde_json::json!(format!("Tab {n}")),
                    serde_json::json!(PER_TAB),
                ],
            )
            .await?;
    }
    for tab in &tabs {
        browser.switch_to_window(tab.clone()).await?;
        browser
            .wait_until(&format!("window.added === {PER_TAB}"))
            .await?;
    }
    // Every tab killed at once (SIGKILL), then the browser is started again and the relay
    // comes back empty: the group has only what the tabs stored.
    drop(browser);
    relay.restart_empty()?;
    let browser = Browser::launch_with_profile(Viewport::Desktop, profile.path()).await?;
    browser.goto(&members).await?;
    let expected = format!("{} members", 3 * PER_TAB);
    browser
        .wait_until(&format!(
            "document.querySelector('.members .count')?.textContent === '{expected}'"
        ))
        .await?;
    browser.close().await
}

/// Chinese and Latin names in one list sort by pinyin as in a WeChat contact list, and a
/// Chinese name is found by its characters, its pinyin and its pinyin initials.
#[tokio::test]
async fn chinese_names_sort_by_pinyin_and_are_found_by_pinyin() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Desktop).await?;
    browser.create_group("读书会").await?;
    let names = ["张伟", "Bob", "曾小明", "Ada", "李娜", "安娜", "Zoe"];
    for (n, name) in names.iter().enumerate() {
        browser.add_member(name, "").await?;
        browser
            .wait_until(&format!(
                "document.querySelectorAll('tbody tr').length === {}",
                n + 1
            ))
            .await?;
    }
    let shown =
        "Array.from(document.querySelectorAll('tbody tr th a')).map(a => a.textContent).join(' ')";
    // 曾 as a surname reads zeng (not ceng): after li, before zhang and Zoe.
    assert_eq!(
        browser.eval(shown).await?,
        "Ada 安娜 Bob 李娜 曾小明 张伟 Zoe"
    );
    browser.click(".sort-direction").await?;
    browser
        .wait_until(&format!("{shown} === 'Zoe 张伟 曾小明 李娜 Bob 安娜 Ada'"))
        .await?;
    for (typed, found) in [
        ("zw", "张伟"),
        ("zhangwei", "张伟"),
        ("张", "张伟"),
        ("zxm", "曾小明"),
        ("ln", "李娜"),
    ] {
        browser.fill("#member-search", typed).await?;
        browser
            .wait_until(&format!("{shown} === '{found}'"))
            .await?;
    }
    Ok(())
}
