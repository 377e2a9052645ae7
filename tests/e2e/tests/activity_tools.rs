//! The organizer's tools around an activity, through the UI: a pasted sign-in list, marking
//! several at once, duties, the month view and the files; two organizers checking people in
//! at two doors while offline; and a training plan's effect.

use harness::{Browser, Relay, Result, Viewport, open_app};

/// Makes an activity through the form, starting `hours` from now and lasting an hour; opens
/// its page and returns its local day (`YYYY-MM-DD`).
async fn new_activity(
    browser: &Browser,
    activities: &str,
    title: &str,
    kind: &str,
    hours: i64,
) -> Result<String> {
    browser.goto(activities).await?;
    browser.wait_for(".new-activity").await?;
    browser.click(".new-activity").await?;
    browser.set_value("#activity-new-kind", kind).await?;
    browser.fill("#activity-title", title).await?;
    let times = browser
        .eval(&format!("(() => {{ const pad = n => String(n).padStart(2, '0'); const start = new Date(Date.now() + {hours} * 3600000); start.setMinutes(0); if (start.getHours() > 22) start.setHours(22); return [`${{start.getFullYear()}}-${{pad(start.getMonth() + 1)}}-${{pad(start.getDate())}}`, `${{pad(start.getHours())}}:00`, `${{pad(start.getHours() + 1)}}:00`]; }})()"))
        .await?;
    let text = |i: usize| times[i].as_str().unwrap_or_default().to_owned();
    browser.set_value("#activity-day", &text(0)).await?;
    browser.set_value("#activity-start", &text(1)).await?;
    browser.set_value("#activity-end", &text(2)).await?;
    browser
        .click(".new-activity-form button[type=submit]")
        .await?;
    browser
        .wait_until(&format!("Array.from(document.querySelectorAll('.activity-item a')).some(a => a.textContent === '{title}')"))
        .await?;
    browser
        .eval(&format!("Array.from(document.querySelectorAll('.activity-item a')).find(a => a.textContent === '{title}').click()"))
        .await?;
    browser.wait_for(".activity-counts").await?;
    Ok(text(0))
}

/// Picks a member in the picker inside `scope` by typing `search`.
async fn pick(browser: &Browser, scope: &str, search: &str) -> Result<()> {
    browser
        .fill(&format!("{scope} .member-picker input"), search)
        .await?;
    browser.click(&format!("{scope} .suggestion")).await
}

#[tokio::test]
async fn a_sign_in_list_is_pasted_people_are_marked_in_bulk_and_duties_are_given() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Phone).await?;
    let group = browser.create_group("读书会").await?;
    let page = |section: &str| format!("{}{}/{section}", relay.url(), &group[1..]);
    browser.add_members(&["张伟", "李娜", "王芳"]).await?;
    browser.open_member("张伟").await?;
    browser.set_value("#m-phone", "138 0013 8000").await?;

    let day = new_activity(&browser, &page("activities"), "Book club", "discussion", 24).await?;

    // A list as copied from the group chat: 张伟 by phone, 李娜 by name, a newcomer.
    browser.click(".paste-sign-in summary").await?;
    browser
        .set_value(
            "#sign-in-paste",
            "1. 张伟 138-0013-8000\n2. 李娜\n3. 赵六 139 1234 5678",
        )
        .await?;
    browser.click(".match-sign-in").await?;
    browser.wait_for(".sign-in-summary").await?;
    assert_eq!(
        browser.text_of(".sign-in-summary").await?,
        "3 lines: 2 matched, 0 to choose, 1 match nobody"
    );
    // Nothing is written before the organizer confirms.
    assert_eq!(
        browser.text_of(".activity-counts").await?,
        "Invited 0 · attended 0 (walk-ins 0) · excused 0 · absent 0"
    );
    browser
        .set_value(".sign-in-line[data-match=nobody] select", "add")
        .await?;
    browser.click(".confirm-sign-in").await?;
    browser
        .wait_until("document.querySelector('.activity-counts').textContent.startsWith('Invited 0 · attended 3 (walk-ins 3)')")
        .await?;
    assert_eq!(
        browser.text_of(".sign-in-done").await?,
        "Marked 3 attended; new members added: 1."
    );

    // All three were meant to be excused, not there: select all, mark at once.
    browser.click(".select-all").await?;
    browser
        .wait_until("document.querySelector('.selected-count').textContent === '3 selected'")
        .await?;
    browser.click(".bulk-mark[data-mark=excused]").await?;
    browser
        .wait_until("document.querySelectorAll('.person[data-standing=excused]').length === 3")
        .await?;

    // A duty: 李娜 runs the check-in desk.
    browser.fill("#duty-title", "Check-in desk").await?;
    browser.click(".new-duty button[type=submit]").await?;
    browser.wait_for(".duty h3").await?;
    pick(&browser, ".duty", "李娜").await?;
    browser.set_value(".duty .duty-part", "responsible").await?;
    browser.click(".duty .give-part").await?;
    browser
        .wait_until("document.querySelector('.duty .raci[data-part=responsible]')?.textContent.includes('李娜')")
        .await?;

    // Details changed after the fact: the organizer, and a start after the end (the activity
    // ends by 23:00) refused with the reason, the time unchanged.
    browser.click(".activity-edit summary").await?;
    browser.fill("#activity-edit-organizer", "王芳").await?;
    browser
        .click(".activity-edit .member-picker:has(#activity-edit-organizer) .suggestion")
        .await?;
    browser
        .wait_until(
            "document.querySelector('.activity-meta').textContent.includes('Organized by 王芳')",
        )
        .await?;
    let times = browser.text_of(".activity-meta").await?;
    browser.set_value("#activity-edit-start", "23:30").await?;
    browser
        .wait_until("document.querySelector('.activity-edit .form-alert')?.textContent === 'Ends is before the start'")
        .await?;
    assert_eq!(browser.text_of(".activity-meta").await?, times);

    // The files: attendance as CSV, the event for calendars.
    browser.click(".export-attendance").await?;
    let (name, csv) = browser.take_download(".csv").await?;
    assert_eq!(name, "Book club-Attendance.csv");
    let csv = String::from_utf8_lossy(&csv);
    assert!(csv.contains("赵六,13912345678,,,Excused"), "{csv}");
    browser.click(".export-ics").await?;
    let (name, ics) = browser.take_download(".ics").await?;
    assert_eq!(name, "Book club.ics");
    assert!(String::from_utf8_lossy(&ics).contains("SUMMARY:Book club"));

    // The month view shows it on its day.
    browser.goto(&page("activities")).await?;
    browser.click(".as-month").await?;
    browser.wait_for(".month-view").await?;
    let in_month = format!(
        "document.querySelector(\"td[data-day='{day}'] a\")?.textContent.includes('Book club')"
    );
    // Tomorrow may be next month.
    if browser.eval(&in_month).await?.as_bool() != Some(true) {
        browser.click(".next-month").await?;
    }
    browser.wait_until(&in_month).await?;

    // 李娜's page lists her upcoming duty.
    browser.goto(&page("members")).await?;
    browser.open_member("李娜").await?;
    browser.wait_for(".upcoming-duties li").await?;
    let duty = browser.text_of(".upcoming-duties li").await?;
    assert!(
        duty.contains("Book club")
            && duty.contains("Check-in desk")
            && duty.ends_with("Responsible"),
        "{duty}"
    );
    assert!(browser.console_errors().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn two_organizers_check_people_in_at_two_doors_offline_and_both_are_kept() -> Result<()> {
    let relay = Relay::start()?;
    // Without direct channels, so that going offline parts the two doors.
    let ann = Browser::launch_without_direct_connections(Viewport::Phone).await?;
    ann.goto(relay.url()).await?;
    let group = ann.create_group("Readers").await?;
    ann.add_members(&["Ada", "Grace", "Linus"]).await?;
    let activities = format!("{}{}/activities", relay.url(), &group[1..]);
    new_activity(&ann, &activities, "Launch party", "team_event", 0).await?;
    let activity = ann.current_url().await?.path().to_owned();
    ann.wait_until("document.querySelector('.sync-status')?.dataset.state === 'synced'")
        .await?;

    // A second organizer, in a browser of their own, opens the same activity.
    let bo = Browser::launch_without_direct_connections(Viewport::Phone).await?;
    bo.goto(&format!(
        "{}{}",
        relay.url().trim_end_matches('/'),
        activity
    ))
    .await?;
    bo.wait_for(".activity-counts").await?;

    for browser in [&ann, &bo] {
        browser.set_offline(true).await?;
        browser
            .wait_until("document.querySelector('.sync-status')?.dataset.state === 'offline'")
            .await?;
    }
    for (browser, name) in [(&ann, "Ada"), (&ann, "Grace"), (&bo, "Linus")] {
        browser.fill("#check-in-search", name).await?;
        browser.click(".check-in-results .check-in-button").await?;
        browser
            .wait_until(&format!("Array.from(document.querySelectorAll('.person[data-standing=walk_in] .person-name')).some(n => n.textContent === '{name}')"))
            .await?;
    }
    for browser in [&ann, &bo] {
        browser.set_offline(false).await?;
    }
    for browser in [&ann, &bo] {
        browser
            .wait_until("document.querySelectorAll('.person[data-standing=walk_in]').length === 3")
            .await?;
    }
    assert_eq!(
        ann.text_of(".activity-counts").await?,
        bo.text_of(".activity-counts").await?
    );
    Ok(())
}

#[tokio::test]
async fn a_training_plan_shows_completion_scores_and_their_change() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    let group = browser.create_group("Pilot users").await?;
    let page = |section: &str| format!("{}{}/{section}", relay.url(), &group[1..]);
    browser.add_members(&["Ada", "Bo"]).await?;

    browser.goto(&page("training")).await?;
    browser.wait_for(".new-training").await?;
    browser.click(".new-training").await?;
    browser.fill("#training-title", "Reporting basics").await?;
    browser.fill("#training-materials", "not a link").await?;
    browser
        .click(".new-training-form button[type=submit]")
        .await?;
    browser
        .wait_until("document.querySelector('#training-materials[aria-invalid=true]') !== null")
        .await?;
    browser
        .fill("#training-materials", "https://example.org/manual")
        .await?;
    browser
        .click(".new-training-form button[type=submit]")
        .await?;
    browser.wait_for(".training-item a").await?;
    browser.click(".training-item a").await?;
    browser.wait_for(".training-effect").await?;

    for name in ["Ada", "Bo"] {
        pick(&browser, ".training-audience", name).await?;
        browser.click(".add-participant").await?;
    }
    browser
        .wait_until("document.querySelectorAll('.participant').length === 2")
        .await?;
    let row = |name: &str| {
        format!(
            "Array.from(document.querySelectorAll('.participant')).find(r => r.querySelector('a').textContent === '{name}')"
        )
    };
    // Ada 40 → 80 and completed; Bo 60 → 70. Ada's by script; Bo's typed, with Tab from one score to the next: the saved score
    // updates its row in place, so the next field keeps the focus.
    for (class, value) in [("score-before", "40"), ("score-after", "80")] {
        browser
            .eval(&format!("(() => {{ const input = {}.querySelector('.{class}'); input.value = '{value}'; input.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()", row("Ada")))
            .await?;
        browser
            .wait_until(&format!(
                "{}.querySelector('.{class}').value === '{value}'",
                row("Ada")
            ))
            .await?;
    }
    let bo = browser
        .eval(&format!("{}.dataset.member", row("Bo")))
        .await?;
    let bo = format!(
        ".participant[data-member='{}']",
        bo.as_str().unwrap_or_default()
    );
    browser
        .fill(&format!("{bo} .score-before"), "60\u{E004}")
        .await?;
    browser
        .wait_until("document.querySelector('[data-figure=before] dd')?.textContent === '50.0'")
        .await?;
    browser
        .wait_until("document.activeElement?.classList.contains('score-after')")
        .await?;
    browser
        .eval("(() => { document.activeElement.value = '70'; document.activeElement.dispatchEvent(new Event('change', { bubbles: true })); return true; })()")
        .await?;
    browser
        .wait_until(&format!(
            "document.querySelector(\"{bo} .score-after\").value === '70'"
        ))
        .await?;
    browser
        .eval(&format!(
            "{}.querySelector('.completed').click()",
            row("Ada")
        ))
        .await?;
    browser
        .wait_until(
            "document.querySelector('[data-figure=change] dd')?.textContent.startsWith('+25.0')",
        )
        .await?;
    assert!(
        browser
            .text_of("[data-figure=completion] dd")
            .await?
            .starts_with("50%")
    );
    assert_eq!(browser.text_of("[data-figure=before] dd").await?, "50.0");
    assert_eq!(browser.text_of("[data-figure=after] dd").await?, "75.0");

    // A satisfaction of 9 is refused, with the reason, and nothing changes.
    browser
        .eval(&format!("(() => {{ const input = {}.querySelector('.score-satisfaction'); input.value = '9'; input.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()", row("Bo")))
        .await?;
    browser
        .wait_until("document.querySelector('.training-participants .form-alert')?.textContent === 'Satisfaction (1–5) must be a whole number from 1 to 5'")
        .await?;
    assert_eq!(
        browser.text_of("[data-figure=satisfaction] dd").await?,
        "—\n0 ratings"
    );

    // Ada's page lists the training.
    browser.goto(&page("members")).await?;
    browser.open_member("Ada").await?;
    browser.wait_for(".member-trainings li").await?;
    assert_eq!(
        browser.text_of(".member-trainings li").await?,
        "Reporting basics · Completed · 40 → 80"
    );
    Ok(())
}
