//! Key users through the UI: identified by the criteria and marked with a reason; placed and
//! moved on the influence/interest grid by keyboard and by mouse, the table following; needs
//! and expectations with the refusals that ask for an explanation; the overdue list emptied
//! by logging a contact; and the overview counting it all.

use harness::{Browser, Result, Viewport, open_app};
use serde_json::json;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Makes the page's clock run `days` behind (0: the real time again), as if the organizer had
/// done what follows that many days ago.
async fn clock_back(browser: &Browser, days: i64) -> Result<()> {
    browser
        .eval(&format!(
            "(() => {{ window.__realNow ??= Date.now; const back = {}; Date.now = () => window.__realNow() - back; return true; }})()",
            days * DAY_MS
        ))
        .await?;
    Ok(())
}

/// The text of the key-user table's cell `column` in `name`'s row.
async fn table_cell(browser: &Browser, name: &str, column: &str) -> Result<String> {
    let value = browser
        .eval(&format!(
            "Array.from(document.querySelectorAll('.key-user-table tbody tr')).find(r => r.querySelector('th').textContent === '{name}')?.querySelector('td.{column}')?.textContent ?? ''"
        ))
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Where on the screen a point of the grid is, or a cell's centre: `[x, y]` in CSS pixels.
async fn screen_at(browser: &Browser, expression: &str) -> Result<(f64, f64)> {
    let at = browser.eval(expression).await?;
    let coordinate = |i: usize| at[i].as_f64().unwrap_or_default();
    Ok((coordinate(0), coordinate(1)))
}

#[tokio::test]
async fn key_users_are_identified_placed_engaged_and_reviewed() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    let group = browser.create_group("Pilot project").await?;
    let page = |section: &str| format!("{}{}/{section}", relay.url(), &group[1..]);
    browser.add_members(&["Wang Fang", "Zhao Lei"]).await?;

    // The group's criteria, and Wang scored against them: suggested as a key user.
    browser.goto(&page("key-users")).await?;
    browser.fill("#criterion-name", "Decision power").await?;
    browser.fill("#criterion-weight", "3").await?;
    browser.click(".new-criterion button[type=submit]").await?;
    browser.wait_for(".criteria-list li").await?;
    assert_eq!(
        browser.text_of(".criteria-list li .criterion-name").await?,
        "Decision power"
    );
    browser.goto(&page("members")).await?;
    browser.open_member("Wang Fang").await?;
    browser.wait_for(".criterion-scores input").await?;
    browser.set_value(".criterion-scores input", "4").await?;
    browser
        .wait_until("document.querySelector('.weighted-score')?.textContent === 'Weighted score: 4.0 of 5 (1 of 1 criteria scored)'")
        .await?;
    browser.goto(&page("key-users")).await?;
    browser.wait_for(".suggestions li").await?;
    assert_eq!(
        browser.text_of(".suggestions li").await?,
        "Wang Fang · 4.0 / 5"
    );

    // Twenty days ago: Wang marked a key user, with the reason, and placed on the grid.
    browser.goto(&page("members")).await?;
    browser.open_member("Wang Fang").await?;
    clock_back(&browser, 20).await?;
    browser.fill("#key-reason", "Runs the pilot").await?;
    browser.click(".mark-key").await?;
    browser.wait_for(".position").await?;
    assert!(
        browser
            .text_of(".key-user-card .decision")
            .await?
            .contains("Runs the pilot")
    );
    browser.set_value("#ku-influence", "4").await?;
    browser.set_value("#ku-interest", "4").await?;
    browser.click(".position .place").await?;
    browser.wait_for(".moves li").await?;
    clock_back(&browser, 0).await?;

    // The grid: the point in "manage closely", and the table says the same.
    browser.goto(&page("key-users")).await?;
    browser.wait_for(".grid-point").await?;
    assert_eq!(table_cell(&browser, "Wang Fang", "influence").await?, "4");
    assert_eq!(table_cell(&browser, "Wang Fang", "interest").await?, "4");
    assert!(
        browser
            .eval("document.querySelector('.grid-point').getAttribute('aria-label')")
            .await?
            .as_str()
            .unwrap_or_default()
            .starts_with("Wang Fang: influence 4, interest 4, Manage closely")
    );

    // By keyboard: two steps left lowers the interest to 2; the point keeps the focus.
    browser
        .eval("document.querySelector('.grid-point').focus()")
        .await?;
    browser.press("ArrowLeft", 37).await?;
    browser
        .wait_until("document.querySelector('.grid-point')?.getAttribute('aria-label')?.includes('interest 3')")
        .await?;
    browser
        .wait_until("document.activeElement?.classList.contains('grid-point')")
        .await?;
    browser.press("ArrowLeft", 37).await?;
    browser
        .wait_until("document.querySelector('.grid-point')?.getAttribute('aria-label')?.includes('interest 2, Keep satisfied')")
        .await?;
    assert_eq!(table_cell(&browser, "Wang Fang", "interest").await?, "2");

    // By mouse: dragged to the cell of influence 2, interest 5.
    browser
        .eval("document.querySelector('.power-interest').scrollIntoView({ block: 'center' })")
        .await?;
    let from = screen_at(
        &browser,
        "(() => { const r = document.querySelector('.grid-point circle').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()",
    )
    .await?;
    // The grid is 580 units a side: cells of 100 after a margin of 40.
    let to = screen_at(
        &browser,
        "(() => { const r = document.querySelector('.power-interest').getBoundingClientRect(); const s = r.width / 580; return [r.x + (40 + 4.5 * 100) * s, r.y + (40 + 3.5 * 100) * s]; })()",
    )
    .await?;
    browser.drag(from, to, 10).await?;
    browser
        .wait_until("document.querySelector('.grid-point')?.getAttribute('aria-label')?.includes('influence 2, interest 5, Keep informed')")
        .await?;
    assert_eq!(table_cell(&browser, "Wang Fang", "influence").await?, "2");

    // Moves since ten days ago: one arrow, from where Wang stood then.
    let ten_days_ago = browser
        .eval(&format!(
            "(() => {{ const d = new Date(Date.now() - {}); return d.toISOString().slice(0, 10); }})()",
            10 * DAY_MS
        ))
        .await?;
    browser
        .set_value("#ku-since", ten_days_ago.as_str().unwrap_or_default())
        .await?;
    browser.wait_for("line.moved").await?;

    // Keep informed is every 30 days: never contacted since the decision 20 days ago, Wang is
    // not due yet. One step up is manage closely, every 14 days: 6 days overdue.
    browser
        .eval("document.querySelector('.grid-point').focus()")
        .await?;
    browser.press("ArrowUp", 38).await?;
    browser
        .wait_until("document.querySelector('.grid-point')?.getAttribute('aria-label')?.includes('Manage closely')")
        .await?;
    browser.wait_for(".overdue-list li").await?;
    assert!(
        browser
            .text_of(".overdue-list li")
            .await?
            .contains("6 days overdue")
    );
    browser.click(".overdue-list .log-now").await?;
    browser
        .wait_until("document.querySelector('.overdue .empty')?.textContent === 'Everyone has been contacted within their cadence.'")
        .await?;

    // Needs and expectations on Wang's page; declining and missing ask for the explanation.
    browser.goto(&page("members")).await?;
    browser.open_member("Wang Fang").await?;
    assert!(
        browser
            .text_of(".contact-log .last-contact")
            .await?
            .starts_with("Last contact")
    );
    browser.fill("#need-statement", "Export to Excel").await?;
    browser.set_value("#need-priority", "must").await?;
    browser.click(".new-need button[type=submit]").await?;
    browser.wait_for(".need-list li").await?;
    browser
        .set_value(".need-list li select[id^='need-status']", "declined")
        .await?;
    browser
        .wait_until("document.querySelector('.need-list li > .form-alert')?.textContent === 'Reason for declining is required'")
        .await?;
    // Refused: the menu shows the need as it is stored, captured.
    browser
        .wait_until("document.querySelector(\".need-list li select[id^='need-status']\").value === 'captured'")
        .await?;
    browser.fill("#expectation-text", "Monthly report").await?;
    browser.set_value("#expectation-due", "2025-01-31").await?;
    browser
        .click(".new-expectation button[type=submit]")
        .await?;
    browser.wait_for(".expectation-list li").await?;
    browser
        .set_value(
            ".expectation-list li select[id^='expectation-state']",
            "unmet",
        )
        .await?;
    browser
        .wait_until("document.querySelector('.expectation-list li > .form-alert')?.textContent === 'Explanation given to them is required'")
        .await?;
    browser.fill("#reading-value", "4").await?;
    browser.click(".new-reading button[type=submit]").await?;
    browser.wait_for(".satisfaction .trend").await?;
    assert_eq!(browser.text_of(".satisfaction .trend").await?, "75/100");

    // The summary, copied for a report or a WeChat message.
    browser
        .cdp(
            "Browser.grantPermissions",
            json!({ "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"] }),
        )
        .await?;
    browser.click(".copy-summary .copy").await?;
    browser
        .wait_until(
            "document.querySelector('.copy-summary [role=status]')?.textContent === 'Copied.'",
        )
        .await?;
    let copied = browser
        .execute_async(
            "const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, e => done(String(e)));",
            Vec::new(),
        )
        .await?;
    assert_eq!(
        copied.as_str().unwrap_or_default(),
        "Key user: Wang Fang\n\
         Quadrant: Manage closely (influence 3, interest 5); contact every 14 days; role in decisions: Reviewer\n\
         Open needs: 1\n\
         - Export to Excel (Must)\n\
         Expectations open: 1\n\
         - Monthly report (At risk)\n\
         Latest satisfaction: 75/100"
    );

    // The overview counts it all, and the lists behind it.
    browser.goto(&page("key-users")).await?;
    browser.wait_for(".needs-list li").await?;
    assert!(
        browser
            .text_of(".needs-list li")
            .await?
            .starts_with("Export to Excel · Must · asked by 1")
    );
    assert!(
        browser
            .text_of(".at-risk-list li")
            .await?
            .starts_with("Wang Fang: Monthly report")
    );
    let figures = browser.text_of(".key-overview .figures").await?;
    for figure in [
        "1\nKey users",
        "1\nManage closely",
        "0\nContacts overdue",
        "1\nMust",
        "1\nExpectations at risk",
        "75%\nSatisfaction",
    ] {
        assert!(figures.contains(figure), "{figure:?} in {figures:?}");
    }
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await?;
    Ok(())
}

/// Fails if the page is wider than the phone's screen (it would be zoomed out, or scroll
/// sideways).
async fn fits_the_phone(browser: &Browser, what: &str) -> Result<()> {
    let widths = browser
        .eval("[document.documentElement.scrollWidth, window.visualViewport.width]")
        .await?;
    let (page, screen) = (
        widths[0].as_f64().unwrap_or_default(),
        widths[1].as_f64().unwrap_or_default(),
    );
    if page > screen {
        return Err(harness::HarnessError::Answer(format!(
            "{what} is {page} px wide on a {screen} px screen"
        )));
    }
    Ok(())
}

#[tokio::test]
async fn a_key_user_is_moved_on_the_grid_by_touch_on_a_phone() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Phone).await?;
    let group = browser.create_group("Pilot project").await?;
    browser.add_members(&["Wang Fang"]).await?;
    browser.open_member("Wang Fang").await?;
    browser.fill("#key-reason", "Runs the pilot").await?;
    browser.click(".mark-key").await?;
    browser.set_value("#ku-influence", "2").await?;
    browser.set_value("#ku-interest", "2").await?;
    browser.click(".position .place").await?;
    browser.wait_for(".moves li").await?;
    fits_the_phone(&browser, "the key-user card").await?;
    browser
        .goto(&format!("{}{}/key-users", relay.url(), &group[1..]))
        .await?;
    browser.wait_for(".grid-point").await?;
    fits_the_phone(&browser, "the key users page").await?;
    browser
        .eval("document.querySelector('.power-interest').scrollIntoView({ block: 'center' })")
        .await?;
    let from = screen_at(
        &browser,
        "(() => { const r = document.querySelector('.grid-point circle').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()",
    )
    .await?;
    // The cell of influence 5, interest 5: the top right.
    let to = screen_at(
        &browser,
        "(() => { const r = document.querySelector('.power-interest').getBoundingClientRect(); const s = r.width / 580; return [r.x + (40 + 4.5 * 100) * s, r.y + (40 + 0.5 * 100) * s]; })()",
    )
    .await?;
    let touch = |kind: &'static str, points: Vec<(f64, f64)>| {
        let points: Vec<_> = points
            .into_iter()
            .map(|(x, y)| json!({ "x": x, "y": y }))
            .collect();
        json!({ "type": kind, "touchPoints": points })
    };
    browser
        .cdp("Input.dispatchTouchEvent", touch("touchStart", vec![from]))
        .await?;
    for step in 1..=8 {
        let t = f64::from(step) / 8.0;
        let at = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
        browser
            .cdp("Input.dispatchTouchEvent", touch("touchMove", vec![at]))
            .await?;
    }
    browser
        .cdp("Input.dispatchTouchEvent", touch("touchEnd", Vec::new()))
        .await?;
    browser
        .wait_until("document.querySelector('.grid-point')?.getAttribute('aria-label')?.includes('influence 5, interest 5, Manage closely')")
        .await?;
    assert_eq!(table_cell(&browser, "Wang Fang", "interest").await?, "5");
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await?;
    Ok(())
}
