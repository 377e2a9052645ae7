//! Analytics through the UI, with the page's clock moved on: members at risk with the reasons
//! that flag them, one more once time passes, off the list again once contacted; the weights
//! the group sets; a chart with its table and its CSV download.

use cohort_model::*;
use harness::{Browser, HarnessError, Result, Viewport, open_app, temp_dir};

const DAY: Millis = 24 * 60 * 60 * 1000;

/// A group where Pat came to four meetings, the last 100 days ago, and Quinn was contacted ten
/// days ago.
fn group(now: Millis) -> std::result::Result<Vec<u8>, ApplyError> {
    let start = now - 400 * DAY;
    let mut doc = GroupDoc::create("Choir", start)?;
    let (pat, quinn) = (MemberId::from_bits(1), MemberId::from_bits(2));
    let mut actions = Vec::new();
    for (id, name) in [(&pat, "Pat"), (&quinn, "Quinn")] {
        actions.push(Action::AddMember {
            id: id.clone(),
            draft: MemberDraft {
                name: name.into(),
                status: Some(MemberStatus::Active),
                ..MemberDraft::default()
            },
            at: start,
        });
    }
    for (bits, days_ago) in [(1, 160), (2, 130), (3, 110), (4, 100)] {
        let id = ActivityId::from_bits(bits);
        let starts_at = now - days_ago * DAY;
        actions.push(Action::AddActivity {
            id: id.clone(),
            draft: ActivityDraft {
                kind: ActivityKind::Discussion,
                title: format!("Rehearsal {bits}"),
                starts_at,
                ends_at: starts_at + 3_600_000,
                invited: vec![Invitee::Member(pat.clone())],
                ..ActivityDraft::default()
            },
            at: starts_at,
        });
        actions.push(Action::MarkAttendance {
            id,
            member: pat.clone(),
            mark: Some(Mark::Attended),
        });
    }
    actions.push(Action::LogTouchpoint {
        id: TouchpointId::from_bits(1),
        draft: TouchpointDraft {
            member: Some(quinn),
            at: now - 10 * DAY,
            channel: ContactChannel::Wechat,
            summary: "Asked about the concert".into(),
            ..TouchpointDraft::default()
        },
        at: now - 10 * DAY,
    });
    doc.apply_all(&actions)?;
    Ok(doc.save())
}

/// Moves the page's clock `days` ahead (0: the real time again).
async fn clock_ahead(browser: &Browser, days: i64) -> Result<()> {
    browser
        .eval(&format!(
            "(() => {{ window.__realNow ??= Date.now; const ahead = {}; Date.now = () => window.__realNow() + ahead; return true; }})()",
            days * DAY
        ))
        .await?;
    Ok(())
}

/// The at-risk list: each member's name and score.
async fn at_risk(browser: &Browser) -> Result<String> {
    let shown = browser
        .eval("[...document.querySelectorAll('.at-risk-list > li')].map(li => li.querySelector('a').textContent + ' ' + li.querySelector('.score').textContent).join(', ')")
        .await?;
    Ok(shown.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn members_at_risk_follow_time_and_contacts_and_figures_download() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    let scratch = temp_dir("cohort-analytics-")?;
    let now = browser
        .eval("Date.now()")
        .await?
        .as_i64()
        .unwrap_or_default();
    let bytes = group(now).map_err(|e| HarnessError::Answer(e.to_string()))?;
    let backup = scratch.path().join("choir.automerge");
    std::fs::write(&backup, bytes).map_err(HarnessError::TempDir)?;
    browser.goto(relay.url()).await?;
    browser.choose_file("#import-file", &backup).await?;
    browser
        .wait_until("document.querySelector('.members .count')?.textContent === '2 members'")
        .await?;
    let analytics = browser
        .eval("location.pathname.replace(/members$/, 'analytics')")
        .await?;
    let analytics = format!(
        "{}{}",
        relay.url(),
        &analytics.as_str().unwrap_or_default()[1..]
    );

    // Today: Pat has been silent for 100 days (weight 3); Quinn was contacted 10 days ago.
    browser.goto(&analytics).await?;
    browser.wait_for(".at-risk").await?;
    browser
        .wait_until("document.querySelectorAll('.at-risk-list > li').length === 1")
        .await?;
    assert_eq!(at_risk(&browser).await?, "Pat score 3");
    assert!(
        browser
            .text_of(".at-risk-list .reasons")
            .await?
            .contains("no attendance or contact for 100 days")
    );
    assert_eq!(
        browser.text_of(".active-rate strong").await?,
        "50%",
        "Quinn, of two active members, seen within 30 days"
    );

    // Sixty days on: Quinn has been silent for 70 days too.
    // (Moved within the app, which keeps the page's clock, and back.)
    clock_ahead(&browser, 60).await?;
    browser.click("nav.app-nav a[href$='/members']").await?;
    browser.wait_for("article.members").await?;
    browser.click("nav.app-nav a[href$='/analytics']").await?;
    browser
        .wait_until("document.querySelectorAll('.at-risk-list > li').length === 2")
        .await?;
    assert_eq!(at_risk(&browser).await?, "Pat score 3, Quinn score 3");
    assert!(
        browser
            .eval("document.querySelector('.at-risk-list').textContent.includes('no attendance or contact for 160 days')")
            .await?
            .as_bool()
            .unwrap_or(false)
    );

    // One tap logs a contact with Quinn: off the list.
    browser
        .eval("[...document.querySelectorAll('.at-risk-list > li')].find(li => li.textContent.includes('Quinn')).querySelector('.log-now').click()")
        .await?;
    browser
        .wait_until("document.querySelectorAll('.at-risk-list > li').length === 1")
        .await?;
    assert_eq!(at_risk(&browser).await?, "Pat score 3");

    // The group weighs silence at 5: Pat's score follows.
    browser
        .set_value("#setting-at_risk_weight_silence", "5")
        .await?;
    browser
        .wait_until("document.querySelector('.at-risk-list .score')?.textContent === 'score 5'")
        .await?;

    // Members by status: the chart, its table, and the table as CSV.
    browser
        .wait_for("[data-figure=status-heading] svg.chart rect")
        .await?;
    browser
        .eval("document.querySelector('[data-figure=status-heading] details').open = true")
        .await?;
    browser
        .wait_for("[data-figure=status-heading] tbody tr")
        .await?;
    let rows = browser
        .eval("document.querySelectorAll('[data-figure=status-heading] tbody tr').length")
        .await?;
    assert_eq!(rows, 12, "a row per month");
    browser
        .eval("document.querySelector('[data-figure=status-heading] .download-csv').click()")
        .await?;
    let (name, csv) = browser.take_download(".csv").await?;
    assert!(name.ends_with("-status.csv"), "{name}");
    let csv = String::from_utf8_lossy(&csv);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().map(|l| l.trim_start_matches('\u{feff}')),
        Some("Month,Applicant,Active,Inactive,Left")
    );
    assert!(
        lines.last().is_some_and(|l| l.ends_with(",0,2,0,0")),
        "this month: two active"
    );

    clock_ahead(&browser, 0).await?;
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}
