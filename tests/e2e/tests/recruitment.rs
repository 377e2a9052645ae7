//! Recruitment through the UI: applications recorded from three channels (one a referral),
//! moved on the board by keyboard and by mouse, the table showing the same; an applicant
//! screened on their page and the board's tally following; accepting makes a member active;
//! rejecting asks for the reason first; each channel's yield.

use harness::{Browser, Result, Viewport, open_app};

/// The stage whose column holds `name`'s card, or "" if none does.
fn column_of(name: &str) -> String {
    format!(
        "(Array.from(document.querySelectorAll('.application-card')).find(c => c.querySelector('.card-top a')?.textContent === '{name}')?.closest('.stage-column')?.dataset.stage ?? '')"
    )
}

/// The centre of the first element matching `css` on the screen, `(x, y)` in CSS pixels.
async fn centre_of(browser: &Browser, css: &str) -> Result<(f64, f64)> {
    let at = browser
        .eval(&format!(
            "(() => {{ const r = document.querySelector(`{css}`).getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ))
        .await?;
    Ok((
        at[0].as_f64().unwrap_or_default(),
        at[1].as_f64().unwrap_or_default(),
    ))
}

/// Records an application through the page's form.
async fn record(browser: &Browser, name: &str, channel: &str) -> Result<()> {
    browser.fill("#applicant-name", name).await?;
    browser.set_value("#applicant-channel", channel).await?;
    if channel == "referral" {
        browser.fill("#applicant-referrer", "Gus").await?;
        browser.click(".member-picker .suggestion").await?;
    }
    browser
        .click(".new-application button[type=submit]")
        .await?;
    browser
        .wait_until(&format!("{} === 'applied'", column_of(name)))
        .await
}

#[tokio::test]
async fn applicants_are_recruited_screened_and_decided() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    let group = browser.create_group("Reading club").await?;
    let page = |section: &str| format!("{}{}/{section}", relay.url(), &group[1..]);
    browser.add_members(&["Gus"]).await?;

    // Two screening criteria, then three applications.
    browser.goto(&page("recruitment")).await?;
    for criterion in ["Lives in the city", "Two hours a week"] {
        browser.fill("#new-screening", criterion).await?;
        browser
            .click("#screening-heading ~ form button[type=submit]")
            .await?;
        browser
            .wait_until(&format!(
                "Array.from(document.querySelectorAll('.screening-criteria input')).some(i => i.value === '{criterion}')"
            ))
            .await?;
    }
    browser
        .eval("document.querySelector('.new-application').open = true")
        .await?;
    record(&browser, "Wang Fang", "referral").await?;
    record(&browser, "Li Na", "wechat_group").await?;
    record(&browser, "Zhao Lei", "event").await?;
    assert_eq!(
        browser
            .eval("document.querySelector('.stage-column[data-stage=applied] .count').textContent")
            .await?,
        "3"
    );
    // Each is unchecked against both criteria.
    assert!(
        browser
            .eval("document.querySelector('.application-card .tally').getAttribute('aria-label')")
            .await?
            .as_str()
            .unwrap_or_default()
            .ends_with("2 not checked")
    );

    // By keyboard: Wang two stages on, keeping the focus.
    browser
        .eval("Array.from(document.querySelectorAll('.application-card')).find(c => c.textContent.includes('Wang Fang')).focus()")
        .await?;
    browser.press("ArrowRight", 39).await?;
    browser
        .wait_until(&format!("{} === 'screening'", column_of("Wang Fang")))
        .await?;
    browser
        .wait_until("document.activeElement?.dataset?.application !== undefined && document.activeElement.textContent.includes('Wang Fang')")
        .await?;
    browser.press("ArrowRight", 39).await?;
    browser
        .wait_until(&format!("{} === 'interview'", column_of("Wang Fang")))
        .await?;

    // By mouse: Li's card dragged by its handle onto the interview column.
    let handle = "[data-application] .drag-handle";
    let li_handle = browser
        .eval(&format!(
            "Array.from(document.querySelectorAll('{handle}')).findIndex(h => h.closest('.application-card').textContent.includes('Li Na'))"
        ))
        .await?;
    let at = browser
        .eval(&format!(
            "(() => {{ const r = document.querySelectorAll('{handle}')[{li_handle}].getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ))
        .await?;
    let from = (
        at[0].as_f64().unwrap_or_default(),
        at[1].as_f64().unwrap_or_default(),
    );
    let to = centre_of(&browser, ".stage-column[data-stage=interview]").await?;
    browser.drag(from, to, 8).await?;
    browser
        .wait_until(&format!("{} === 'interview'", column_of("Li Na")))
        .await?;

    // The table shows the same stages.
    browser.click(".view-switch button:nth-child(2)").await?;
    browser.wait_for(".application-table").await?;
    let stages = browser
        .eval("Array.from(document.querySelectorAll('.application-table tbody tr')).map(r => r.querySelector('th').textContent + ':' + (r.querySelector('select')?.value ?? r.cells[1].textContent)).join(',')")
        .await?;
    assert_eq!(
        stages,
        "Zhao Lei:applied,Wang Fang:interview,Li Na:interview"
    );
    browser.click(".view-switch button:nth-child(1)").await?;

    // Rejecting asks for the reason; without one nothing moves.
    browser
        .eval("Array.from(document.querySelectorAll('.application-card')).find(c => c.textContent.includes('Zhao Lei')).scrollIntoView()")
        .await?;
    let zhao_menu = browser
        .eval("Array.from(document.querySelectorAll('.application-card')).find(c => c.textContent.includes('Zhao Lei')).querySelector('select').id")
        .await?;
    let zhao_menu = format!("#{}", zhao_menu.as_str().unwrap_or_default());
    browser.set_value(&zhao_menu, "rejected").await?;
    browser.wait_for(".reason-panel").await?;
    browser.click(".reason-panel button[type=submit]").await?;
    browser
        .wait_until(
            "document.querySelector('#stage-reason-error')?.textContent === 'Reason is required'",
        )
        .await?;
    assert_eq!(
        browser.eval(&column_of("Zhao Lei")).await?,
        "applied",
        "not moved without a reason"
    );
    browser.fill("#stage-reason", "Moving abroad").await?;
    browser.click(".reason-panel button[type=submit]").await?;
    browser
        .wait_until(&format!("{} === 'rejected'", column_of("Zhao Lei")))
        .await?;

    // Wang screened on their page: the board's tally follows.
    browser
        .eval("Array.from(document.querySelectorAll('.application-card')).find(c => c.textContent.includes('Wang Fang')).querySelector('.card-top a').click()")
        .await?;
    browser.wait_for(".applications .check select").await?;
    browser
        .wait_until("document.querySelector('.applications .referrer, .applications .member-picker .chosen')?.textContent.includes('Gus')")
        .await?;
    let checks = browser
        .eval("Array.from(document.querySelectorAll('.applications .check select')).map(s => '#' + s.id)")
        .await?;
    let checks: Vec<String> = serde_json::from_value(checks).unwrap_or_default();
    assert_eq!(checks.len(), 2, "a menu per criterion");
    browser.set_value(&checks[0], "meets").await?;
    browser
        .wait_until(&format!(
            "document.querySelector('{}')?.value === 'meets'",
            checks[0]
        ))
        .await?;
    browser.set_value(&checks[1], "partly").await?;
    browser
        .wait_until(&format!(
            "document.querySelector('{}')?.value === 'partly'",
            checks[1]
        ))
        .await?;

    // Accepted from their page: an active member now.
    let stage_menu = browser
        .eval("'#' + document.querySelector('.applications select[id^=stage-]').id")
        .await?;
    browser
        .set_value(stage_menu.as_str().unwrap_or_default(), "accepted")
        .await?;
    browser
        .wait_until("document.querySelector('.member-detail .page-header .status')?.dataset.status === 'active'")
        .await?;
    browser
        .wait_until(
            "document.querySelector('.applications .application')?.dataset.stage === 'accepted'",
        )
        .await?;

    browser.goto(&page("recruitment")).await?;
    browser
        .wait_until(&format!("{} === 'accepted'", column_of("Wang Fang")))
        .await?;
    let tally = browser
        .eval("Array.from(document.querySelectorAll('.application-card')).find(c => c.textContent.includes('Wang Fang')).querySelector('.tally').getAttribute('aria-label')")
        .await?;
    assert_eq!(
        tally,
        "Screening: 1 met, 1 partly, 0 not met, 0 not checked"
    );
    // A decided card has no handle and no menu.
    assert_eq!(
        browser
            .eval("document.querySelectorAll('.stage-column[data-stage=accepted] .drag-handle, .stage-column[data-stage=accepted] select').length")
            .await?,
        0
    );

    // Each channel's yield: the referral brought one, accepted.
    let row = |channel: &str| {
        format!(
            "Array.from(document.querySelectorAll('.yield-table tr[data-channel={channel}] td')).map(c => c.textContent).join('|')"
        )
    };
    assert_eq!(browser.eval(&row("referral")).await?, "1|1|100%|0 of 0");
    assert_eq!(browser.eval(&row("event")).await?, "1|0|0%|0 of 0");
    assert_eq!(browser.eval(&row("all")).await?, "3|1|33%|0 of 0");

    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}
