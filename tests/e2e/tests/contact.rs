//! The contact log: a contact logged from a member's page in three taps, its follow-up on the
//! group's follow-ups until it is marked done, and all of it kept across a reload.

use harness::{Result, Viewport, open_app};

#[tokio::test]
async fn a_contact_is_logged_in_three_taps_and_its_follow_up_is_tracked_until_done() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Phone).await?;
    let group = browser.create_group("读书会").await?;
    browser.add_member("张伟", "").await?;
    browser.click("tbody tr th a").await?;
    assert_eq!(browser.text_of(".last-contact").await?, "Not contacted yet");

    // Tap one opens the form with the summary focused; the summary is typed; tap two saves.
    browser.click(".log-contact").await?;
    browser
        .wait_until("document.activeElement?.id === 'contact-summary'")
        .await?;
    browser
        .fill("#contact-summary", "Asked about the March meetup")
        .await?;
    // A day with nothing promised on it is refused next to the follow-up, and nothing is kept.
    let today = browser
        .eval("(d => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`)(new Date())")
        .await?;
    let today = today.as_str().unwrap_or_default().to_owned();
    browser.set_value("#contact-due", &today).await?;
    browser
        .click(".log-contact-form button[type=submit]")
        .await?;
    browser
        .wait_until("document.querySelector('#contact-follow-up-error').textContent === 'Follow-up is required'")
        .await?;
    assert_eq!(
        browser.text_of(".contact-log .empty").await?,
        "No contacts logged yet."
    );
    browser
        .fill("#contact-follow-up", "Send the slides")
        .await?;
    browser
        .click(".log-contact-form button[type=submit]")
        .await?;
    browser
        .wait_until("document.querySelectorAll('.touchpoint').length === 1 && !document.querySelector('.log-contact-form')")
        .await?;
    assert_eq!(
        browser.text_of(".touchpoint-summary").await?,
        "Asked about the March meetup"
    );
    assert!(
        browser
            .text_of(".touchpoint-meta")
            .await?
            .contains("WeChat")
    );
    assert!(
        browser
            .text_of(".last-contact")
            .await?
            .starts_with("Last contact ")
    );

    // The follow-up is due today on the group's follow-ups, naming the member.
    browser
        .goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    browser.click("a.follow-ups-link").await?;
    browser.wait_for("[data-due=today] .touchpoint").await?;
    assert!(
        browser
            .text_of("[data-due=today] .touchpoint-meta")
            .await?
            .contains("张伟")
    );
    assert_eq!(
        browser.text_of("[data-due=today] .follow-up-what").await?,
        "Send the slides"
    );

    // Marked done, it leaves the list; the log keeps it, done, after a reload.
    browser.click("[data-due=today] .mark-done").await?;
    browser.wait_for(".follow-ups .empty").await?;
    browser.refresh().await?;
    browser.wait_for(".follow-ups .empty").await?;
    browser
        .goto(&format!("{}{}/members", relay.url(), &group[1..]))
        .await?;
    // The members table shows the day of the last contact, and sorts by it: never first.
    browser.add_member("李娜", "").await?;
    browser
        .wait_until("document.querySelectorAll('tbody tr').length === 2")
        .await?;
    browser.set_value("#member-sort", "last-contact").await?;
    browser
        .wait_until("document.querySelector('tbody tr th a').textContent === '李娜'")
        .await?;
    assert_eq!(
        browser
            .text_of("tbody tr:nth-child(1) td.last-contact")
            .await?,
        ""
    );
    assert!(
        !browser
            .text_of("tbody tr:nth-child(2) td.last-contact")
            .await?
            .is_empty()
    );
    browser.click("tbody tr:nth-child(2) th a").await?;
    browser
        .wait_for(".touchpoint .follow-up[data-open=false]")
        .await?;
    Ok(())
}
