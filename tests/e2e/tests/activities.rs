//! Activities through the UI: one made for everyone with a tag, check-in at the door by
//! pinyin and by the last digits of a phone, a mark changed, the counts, and the member's
//! attendance on their page.

use harness::{Result, Viewport, open_app};

#[tokio::test]
async fn an_activity_is_made_people_check_in_and_attendance_shows_on_the_member() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Phone).await?;
    let group = browser.create_group("读书会").await?;
    let page = |section: &str| format!("{}{}/{section}", relay.url(), &group[1..]);
    browser.add_members(&["张伟", "李娜", "王芳"]).await?;
    // Phones and tags through each member's page.
    for (name, phone) in [("张伟", "138 0013 8000"), ("李娜", "139 0000 1111")] {
        browser.open_member(name).await?;
        browser.set_value("#m-phone", phone).await?;
        browser.fill("#new-tag", "reader").await?;
        browser
            .click("form.inline-form button[type=submit]")
            .await?;
        browser
            .wait_until("Array.from(document.querySelectorAll('.chip')).some(c => c.textContent.startsWith('reader'))")
            .await?;
        browser.goto(&page("members")).await?;
    }

    // A sharing session for everyone tagged "reader", an hour ago.
    browser.goto(&page("activities")).await?;
    browser.wait_for(".new-activity").await?;
    browser.click(".new-activity").await?;
    browser.set_value("#activity-new-kind", "sharing").await?;
    browser.fill("#activity-title", "March sharing").await?;
    let (start, end) = {
        let times = browser
            .eval("(() => { const pad = n => String(n).padStart(2, '0'); const t = d => `${pad(d.getHours())}:${pad(d.getMinutes())}`; const now = new Date(); const start = new Date(now.getTime() - 3600000); return [ `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}`, t(start), t(new Date(Math.min(now.getTime() + 3600000, new Date(start).setHours(23, 59)))) ]; })()")
            .await?;
        let day = times[0].as_str().unwrap_or_default().to_owned();
        browser.set_value("#activity-day", &day).await?;
        (
            times[1].as_str().unwrap_or_default().to_owned(),
            times[2].as_str().unwrap_or_default().to_owned(),
        )
    };
    browser.set_value("#activity-start", &start).await?;
    browser.set_value("#activity-end", &end).await?;
    browser.set_value("#activity-invite-tag", "reader").await?;
    browser
        .click(".new-activity-form button[type=submit]")
        .await?;
    browser.wait_for(".activity-item a").await?;
    assert_eq!(browser.text_of(".activity-item a").await?, "March sharing");
    browser.click(".activity-item a").await?;
    browser.wait_for(".activity-counts").await?;
    assert!(
        browser
            .text_of(".activity-counts")
            .await?
            .starts_with("Invited 2 · attended 0")
    );

    // At the door: 张伟 by pinyin initials, 王芳 (not invited) by name as a walk-in.
    browser.fill("#check-in-search", "zw").await?;
    browser.click(".check-in-results .check-in-button").await?;
    browser
        .wait_until("document.querySelector('.person[data-standing=attended] .person-name')?.textContent === '张伟'")
        .await?;
    browser.fill("#check-in-search", "王芳").await?;
    browser.click(".check-in-results .check-in-button").await?;
    browser
        .wait_until("document.querySelector('.person[data-standing=walk_in] .person-name')?.textContent === '王芳'")
        .await?;
    // 李娜 found by the last digits of her phone; she sent word: excused.
    browser.fill("#check-in-search", "01111").await?;
    browser
        .wait_until("document.querySelector('.check-in-results .check-in-button')?.textContent.includes('李娜')")
        .await?;
    browser.fill("#check-in-search", "").await?;
    let li = browser
        .eval("Array.from(document.querySelectorAll('.person')).find(p => p.querySelector('.person-name').textContent === '李娜').dataset.member")
        .await?;
    let li = li.as_str().unwrap_or_default().to_owned();
    browser
        .set_value(&format!(".person[data-member='{li}'] select"), "excused")
        .await?;
    browser
        .wait_until("document.querySelector('.activity-counts').textContent.startsWith('Invited 2 · attended 2 (walk-ins 1) · excused 1')")
        .await?;

    // 张伟's page: attended 1 of 1.
    browser.goto(&page("members")).await?;
    browser.open_member("张伟").await?;
    browser.wait_for(".attendance-rate").await?;
    assert_eq!(
        browser.text_of(".attendance-rate").await?,
        "Attended 1 of 1 (100%)"
    );
    assert_eq!(
        browser.text_of(".attendance-history li .standing").await?,
        "Attended"
    );
    Ok(())
}
