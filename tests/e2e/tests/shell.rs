//! The app shell in a real browser, served by a real relay.

use harness::{Result, Viewport, open_app};

/// The navigation labels of a group's sections, in order, with their path segments.
const SECTIONS: [(&str, &str); 8] = [
    ("Members", "members"),
    ("Recruitment", "recruitment"),
    ("Roles", "roles"),
    ("Key users", "key-users"),
    ("Feedback", "feedback"),
    ("Activities", "activities"),
    ("Training", "training"),
    ("Analytics", "analytics"),
];

#[tokio::test]
async fn shell_renders_navigates_and_logs_no_errors() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;

    // The start page lists the groups on this device; there are none yet.
    assert_eq!(browser.text_of("main h1").await?, "Your groups");
    assert_eq!(browser.title().await?, "Your groups · Cohort");
    assert_eq!(browser.text_of(".app-header .brand").await?, "Cohort");
    // The status slot says how things stand with the relay that served the app.
    browser
        .wait_until(
            "document.querySelector('[role=status].sync-status')?.textContent === 'Up to date'",
        )
        .await?;
    let group = browser.create_group("Shell check").await?;

    let labels = browser
        .eval("[...document.querySelectorAll('nav.app-nav a')].map(a => a.textContent)")
        .await?;
    let mut expected = vec!["All groups"];
    expected.extend(SECTIONS.map(|(label, _)| label));
    assert_eq!(labels, serde_json::json!(expected));

    // Each link leads to its section, marks itself current and names the tab.
    for (label, slug) in SECTIONS {
        let path = format!("{group}/{slug}");
        browser
            .click(&format!("nav.app-nav a[href='{path}']"))
            .await?;
        browser
            .wait_for(&format!("nav.app-nav a[href='{path}'][aria-current=page]"))
            .await?;
        assert_eq!(browser.text_of("main h1").await?, label);
        assert_eq!(browser.current_url().await?.path(), path);
        assert_eq!(browser.title().await?, format!("{label} · Cohort"));
    }

    // History and deep links work: back returns to the previous section, and a reload of a
    // section's address (served by the relay's fallback) opens that section of that group.
    browser.back().await?;
    browser
        .wait_for(&format!(
            "nav.app-nav a[href='{group}/training'][aria-current=page]"
        ))
        .await?;
    browser
        .goto(&format!("{}{}/key-users", relay.url(), &group[1..]))
        .await?;
    assert_eq!(browser.text_of("main h1").await?, "Key users");
    browser
        .goto(&format!("{}{}", relay.url(), &group[1..]))
        .await?;
    browser
        .wait_until("location.pathname.endsWith('/members')")
        .await?;
    browser
        .goto(&format!("{}no-such-page", relay.url()))
        .await?;
    assert_eq!(browser.text_of("main h1").await?, "Page not found");
    browser
        .goto(&format!("{}g/not-a-group/members", relay.url()))
        .await?;
    assert_eq!(browser.text_of("main h1").await?, "Page not found");

    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

#[tokio::test]
async fn shell_fits_a_phone_screen() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Phone).await?;
    let group = browser.create_group("Phone check").await?;

    let width = browser.eval("window.innerWidth").await?;
    assert_eq!(width, 360, "the phone viewport is in effect");
    // Nothing is wider than the screen: the page never scrolls sideways.
    let overflow = browser
        .eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await?;
    assert_eq!(overflow, 0, "the page is wider than a 360 px screen");
    // The header keeps brand and sync status on one row.
    let header_height = browser
        .eval("document.querySelector('.app-header').getBoundingClientRect().height")
        .await?;
    assert!(
        header_height.as_f64().is_some_and(|h| h <= 64.0),
        "header is {header_height} px tall"
    );

    // The last section is reachable on the scrolling navigation strip, and tappable.
    let analytics = browser
        .wait_for(&format!("nav.app-nav a[href='{group}/analytics']"))
        .await?;
    browser
        .execute(
            "arguments[0].scrollIntoView({ block: 'nearest', inline: 'nearest' })",
            vec![serde_json::to_value(&analytics).expect("an element serializes")],
        )
        .await?;
    analytics.click().await?;
    browser
        .wait_for(&format!(
            "nav.app-nav a[href='{group}/analytics'][aria-current=page]"
        ))
        .await?;
    assert_eq!(browser.text_of("main h1").await?, "Analytics");

    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

/// The error check above would pass vacuously if the harness could not see the console.
#[tokio::test]
async fn console_errors_are_seen() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    browser.eval("console.error('a deliberate error')").await?;
    browser
        .goto(&format!("{}missing-file.js", relay.url()))
        .await?;
    let errors = browser.console_errors().await?;
    assert!(
        errors.iter().any(|e| e.contains("a deliberate error")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("404")), "{errors:?}");
    browser.close().await
}

/// The harness itself: `wait_until` waits for what JavaScript calls true, so `0` and `""` keep
/// it waiting.
#[tokio::test]
async fn wait_until_waits_past_falsy_values() -> Result<()> {
    let (_relay, browser) = open_app(Viewport::Desktop).await?;
    browser
        .eval(
            "(window.probe = 0, setTimeout(() => window.probe = '', 200), \
             setTimeout(() => window.probe = 'ready', 400), true)",
        )
        .await?;
    browser.wait_until("window.probe").await?;
    assert_eq!(browser.eval("window.probe").await?, "ready");
    browser.close().await
}

/// Waits until the skip link, the shell's first string, says `text`; then `<html lang>` must
/// be `lang`.
async fn shows_language(browser: &harness::Browser, text: &str, lang: &str) -> Result<()> {
    browser
        .wait_until(&format!(
            "document.querySelector('.skip-link').textContent === '{text}'"
        ))
        .await?;
    let shown = browser
        .eval("[document.querySelector('.skip-link').textContent, document.documentElement.lang]")
        .await?;
    assert_eq!(shown, serde_json::json!([text, lang]));
    Ok(())
}

#[tokio::test]
async fn the_language_follows_the_browser_then_the_choice_kept_on_the_device() -> Result<()> {
    let relay = harness::Relay::start()?;
    let browser = harness::Browser::launch_in_language(Viewport::Desktop, "zh-CN").await?;
    browser.goto(relay.url()).await?;
    browser.wait_for("main h1").await?;

    // A browser that prefers Chinese gets Chinese on first start, and <html lang> says so.
    shows_language(&browser, "跳到正文", "zh-CN").await?;
    assert_eq!(
        browser
            .eval("document.querySelector('#language').value")
            .await?,
        "zh-CN"
    );

    // English chosen in the settings: the shell switches at once, and a reload keeps it.
    browser.set_value("#language", "en").await?;
    shows_language(&browser, "Skip to content", "en").await?;
    browser.refresh().await?;
    browser.wait_for("main h1").await?;
    shows_language(&browser, "Skip to content", "en").await?;
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}

/// The Latin words a Chinese screen may show: the product's name, English named in itself in
/// the language setting, names of file formats and the apps that make them, technical names in
/// hints (addresses, a date pattern).
const LATIN_IN_CHINESE: &[&str] = &[
    "Cohort",
    "English",
    "CSV",
    "UTF-",
    "GB",
    "WPS",
    "Excel",
    "XLSX",
    "XLS",
    // A calendar file's extension, and the name of the duty chart.
    "ics",
    "RACI",
    "JSON",
    "Automerge",
    "automerge",
    "automerge-repo",
    "wss",
    "ws",
    "sync.example.org",
    "sync",
    "name",
    "example.org",
    "YYYY-MM-DD",
    "QQ",
    // The net promoter score, named so in Chinese as well.
    "NPS",
    // The servers direct connections use, and their addresses' schemes.
    "STUN",
    "TURN",
    "stun",
    "turn",
    "stun.example.org",
];

/// Fails with the untranslated words of the page at `what`, if any.
async fn speaks_only_chinese(browser: &harness::Browser, what: &str) -> Result<()> {
    let words = browser.latin_words(LATIN_IN_CHINESE).await?;
    if words.is_empty() {
        Ok(())
    } else {
        Err(harness::HarnessError::Answer(format!(
            "{what} shows untranslated words: {words:?}"
        )))
    }
}

#[tokio::test]
async fn every_screen_is_in_chinese_for_a_chinese_browser() -> Result<()> {
    let relay = harness::Relay::start()?;
    let browser = harness::Browser::launch_in_language(Viewport::Desktop, "zh-CN").await?;
    browser.goto(relay.url()).await?;
    browser.wait_for("main h1").await?;
    speaks_only_chinese(&browser, "the groups page").await?;

    let group = browser.create_group("读书会").await?;
    // An empty add-member form refused: the error is in Chinese too.
    browser.click("button[aria-expanded]").await?;
    browser.click("form.add-member button[type=submit]").await?;
    browser
        .wait_until("document.querySelector('#new-name-error')?.textContent === '请填写姓名'")
        .await?;
    speaks_only_chinese(&browser, "the members page with the add form").await?;

    browser.fill("#new-name", "张伟").await?;
    browser.click("form.add-member button[type=submit]").await?;
    browser.wait_for("tr[data-member] a").await?;
    browser
        .wait_until("document.querySelector('p.count')?.textContent === '1 名成员'")
        .await?;
    speaks_only_chinese(&browser, "the members page").await?;

    // 张伟 typed again with a space: the form warns, and the pair is merged back into one.
    browser.click("button[aria-expanded]").await?;
    browser.fill("#new-name", "张 伟").await?;
    browser.wait_for(".duplicate-warning li").await?;
    speaks_only_chinese(&browser, "the duplicate warning").await?;
    browser.click("form.add-member button[type=submit]").await?;
    browser
        .wait_until("document.querySelector('p.count')?.textContent === '2 名成员'")
        .await?;
    browser
        .eval("document.querySelector('.likely-duplicates summary').click()")
        .await?;
    browser.click(".duplicate-pair .compare").await?;
    browser.wait_for(".merge-form").await?;
    speaks_only_chinese(&browser, "the likely duplicates and the merge form").await?;
    browser.click(".merge-form button.merge").await?;
    browser
        .wait_until("document.querySelector('p.count')?.textContent === '1 名成员'")
        .await?;

    browser.click("tr[data-member] a").await?;
    browser.wait_for("h1.member-name").await?;
    speaks_only_chinese(&browser, "a member's page").await?;
    // The contact log's form, refused empty, and a contact with a follow-up logged.
    browser.click(".log-contact").await?;
    browser
        .click(".log-contact-form button[type=submit]")
        .await?;
    browser
        .wait_for("#contact-summary[aria-invalid=true]")
        .await?;
    speaks_only_chinese(&browser, "the contact form").await?;
    browser.fill("#contact-summary", "问了三月聚会的事").await?;
    browser.fill("#contact-follow-up", "发资料").await?;
    browser.set_value("#contact-due", "2099-01-31").await?;
    browser
        .click(".log-contact-form button[type=submit]")
        .await?;
    browser.wait_for(".touchpoint .follow-up").await?;
    speaks_only_chinese(&browser, "the contact log").await?;
    browser.click("details.share summary").await?;
    speaks_only_chinese(&browser, "the share panel").await?;
    browser.click("details.share summary").await?;

    for slug in [
        "roles",
        "feedback",
        "data",
        "follow-ups",
        "digest",
        "recruitment",
        "key-users",
        "activities",
        "training",
        "analytics",
        "nowhere",
    ] {
        browser
            .goto(&format!("{}{}/{slug}", relay.url(), &group[1..]))
            .await?;
        browser.wait_for("main h1").await?;
        if slug == "feedback" {
            browser.click("button[aria-expanded]").await?;
        }
        if slug == "activities" {
            // The new-activity form, and the activity it makes with its check-in.
            browser.click(".new-activity").await?;
            browser.fill("#activity-title", "三月分享会").await?;
            speaks_only_chinese(&browser, "the new activity form").await?;
            browser
                .click(".new-activity-form button[type=submit]")
                .await?;
            browser.click(".activity-item a").await?;
            browser.wait_for("#check-in-search").await?;
            browser.fill("#check-in-search", "a").await?;
            // A sign-in list matched, and a duty with its RACI menu.
            browser.click(".paste-sign-in summary").await?;
            browser
                .set_value("#sign-in-paste", "张三\n13800000000")
                .await?;
            browser.click(".match-sign-in").await?;
            browser.wait_for(".sign-in-summary").await?;
            browser.fill("#duty-title", "签到台").await?;
            browser.click(".new-duty button[type=submit]").await?;
            browser.wait_for(".duty h3").await?;
            speaks_only_chinese(&browser, "an activity").await?;
            browser
                .goto(&format!("{}{}/{slug}", relay.url(), &group[1..]))
                .await?;
            browser.wait_for(".activity-item").await?;
            browser.click(".as-month").await?;
            browser.wait_for(".month-view").await?;
        }
        if slug == "analytics" {
            // Every figure with its table open.
            browser.wait_for(".figure").await?;
            browser
                .eval("document.querySelectorAll('.figure-table').forEach(d => d.open = true)")
                .await?;
            browser
                .wait_until("document.querySelectorAll('.figure-table table').length === document.querySelectorAll('.figure-table').length")
                .await?;
        }
        if slug == "recruitment" {
            // A screening criterion and an application: the board, the table, then the
            // applicant's page with the check against the criterion.
            browser.fill("#new-screening", "住在本市").await?;
            browser
                .click("#screening-heading ~ form button[type=submit]")
                .await?;
            browser.wait_for(".screening-criteria li").await?;
            browser
                .eval("document.querySelector('.new-application').open = true")
                .await?;
            browser.fill("#applicant-name", "李娜").await?;
            browser.set_value("#applicant-channel", "referral").await?;
            browser
                .click(".new-application button[type=submit]")
                .await?;
            browser.wait_for(".application-card").await?;
            speaks_only_chinese(&browser, "the recruitment board").await?;
            browser.click(".view-switch button:nth-child(2)").await?;
            browser.wait_for(".application-table").await?;
            speaks_only_chinese(&browser, "the applications table").await?;
            browser
                .eval("document.querySelector('.application-table tbody th a').click()")
                .await?;
            browser.wait_for(".applications .check select").await?;
            speaks_only_chinese(&browser, "an application").await?;
        }
        if slug == "key-users" {
            // A criterion; 张伟 made a key user and placed: the card in full, then the grid.
            browser.fill("#criterion-name", "决策权").await?;
            browser.click(".new-criterion button[type=submit]").await?;
            browser.wait_for(".criteria-list li").await?;
            browser
                .goto(&format!("{}{}/members", relay.url(), &group[1..]))
                .await?;
            browser.open_member("张伟").await?;
            browser.fill("#key-reason", "负责试点").await?;
            browser.click(".mark-key").await?;
            browser.set_value("#ku-influence", "4").await?;
            browser.set_value("#ku-interest", "4").await?;
            browser.click(".position .place").await?;
            browser.wait_for(".moves li").await?;
            browser.fill("#need-statement", "导出到 Excel").await?;
            browser.click(".new-need button[type=submit]").await?;
            browser.wait_for(".need-list li").await?;
            speaks_only_chinese(&browser, "a key user's card").await?;
            browser
                .goto(&format!("{}{}/{slug}", relay.url(), &group[1..]))
                .await?;
            browser.wait_for(".grid-point").await?;
        }
        if slug == "training" {
            // A plan, and its page.
            browser.click(".new-training").await?;
            browser.fill("#training-title", "新手培训").await?;
            speaks_only_chinese(&browser, "the new training form").await?;
            browser
                .click(".new-training-form button[type=submit]")
                .await?;
            browser.click(".training-item a").await?;
            browser.wait_for(".training-effect").await?;
            speaks_only_chinese(&browser, "a training plan").await?;
            browser
                .goto(&format!("{}{}/{slug}", relay.url(), &group[1..]))
                .await?;
            browser.wait_for(".training-item").await?;
        }
        speaks_only_chinese(&browser, slug).await?;
    }
    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}
