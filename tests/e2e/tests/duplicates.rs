//! Duplicates through the UI: a group restored from a backup holds 王芳 twice (a sign-in sheet
//! wrote "Wang Fang" with the same number in another format), the second record named by
//! every kind of record. The members page flags the pair, the merge keeps the fields picked,
//! and every reference follows to the record kept; a pair of different people is dismissed;
//! the add-member form warns while the phone number is typed.

use std::collections::BTreeSet;

use cohort_model::key_users::{NeedDraft, NeedSource, Priority};
use cohort_model::recruitment::{ApplicationChannel, ApplicationDraft};
use cohort_model::*;
use harness::{HarnessError, Result, Viewport, open_app, temp_dir};

const DAY: Millis = 24 * 60 * 60 * 1000;

/// A group with 王芳, her second record "Wang Fang" named by a role, feedback, an upcoming
/// activity (invited, marked registered, a duty), a training, a contact, key-user data and an
/// application; and two different people called 李娜.
fn group_with_a_duplicate(now: Millis) -> std::result::Result<Vec<u8>, ApplyError> {
    let mut doc = GroupDoc::create("Choir", now)?;
    let id = |bits| MemberId::from_bits(bits);
    let (wang, second, li, li_too) = (id(1), id(2), id(3), id(4));
    let member =
        |id: &MemberId, name: &str, phone: &str, email: &str, at: Millis| Action::AddMember {
            id: id.clone(),
            draft: MemberDraft {
                name: name.into(),
                phone: phone.into(),
                email: email.into(),
                status: Some(MemberStatus::Active),
                ..MemberDraft::default()
            },
            at,
        };
    let (role, activity, training) = (
        RoleId::from_bits(1),
        ActivityId::from_bits(1),
        TrainingId::from_bits(1),
    );
    let starts = now + 7 * DAY;
    doc.apply_all(&[
        member(&wang, "王芳", "+86 138 0013 8000", "", now - 30 * DAY),
        member(
            &second,
            "Wang Fang",
            "13800138000",
            "fang@example.org",
            now - DAY,
        ),
        member(&li, "李娜", "13900000001", "", now - DAY),
        member(&li_too, "李娜", "13900000002", "", now - DAY),
        Action::AddRole {
            id: role.clone(),
            draft: RoleDraft {
                name: "Host".into(),
                ..RoleDraft::default()
            },
        },
        Action::AssignRole {
            role,
            member: second.clone(),
        },
        Action::AddFeedback {
            id: FeedbackId::from_bits(1),
            draft: FeedbackDraft {
                member: Some(second.clone()),
                text: "More evening sessions".into(),
                ..FeedbackDraft::default()
            },
            at: now,
        },
        Action::LogTouchpoint {
            id: TouchpointId::from_bits(1),
            draft: TouchpointDraft {
                member: Some(second.clone()),
                at: now - DAY,
                channel: ContactChannel::Wechat,
                by: "Li".into(),
                summary: "Asked about the concert".into(),
                follow_up: String::new(),
                due: String::new(),
            },
            at: now,
        },
        Action::AddActivity {
            id: activity.clone(),
            draft: ActivityDraft {
                kind: ActivityKind::Discussion,
                title: "Rehearsal".into(),
                starts_at: starts,
                ends_at: starts + 3_600_000,
                place: String::new(),
                link: String::new(),
                organizer: None,
                description: String::new(),
                invited: vec![Invitee::Member(second.clone())],
            },
            at: now,
        },
        Action::MarkAttendance {
            id: activity.clone(),
            member: second.clone(),
            mark: Some(Mark::Registered),
        },
        Action::AddDuty {
            activity: activity.clone(),
            id: DutyId::from_bits(1),
            title: "Check-in desk".into(),
        },
        Action::AssignDuty {
            activity: activity.clone(),
            id: DutyId::from_bits(1),
            member: second.clone(),
            part: Some(Raci::Responsible),
        },
        Action::AddTraining {
            id: training,
            draft: TrainingDraft {
                title: "Sight reading".into(),
                format: TrainingFormat::InPerson,
                materials: String::new(),
                sessions: vec![activity],
                audience: vec![Invitee::Member(second.clone())],
            },
            at: now,
        },
        Action::KeyUsers(KeyUserAction::DecideKeyUser {
            member: second.clone(),
            key: true,
            reason: "Runs the alto section".into(),
            by: "Li".into(),
            at: now,
        }),
        Action::KeyUsers(KeyUserAction::AddNeed {
            id: NeedId::from_bits(1),
            draft: NeedDraft {
                member: Some(second.clone()),
                statement: "Scores in advance".into(),
                priority: Some(Priority::Must),
                source: Some(NeedSource::Interview),
                ..NeedDraft::default()
            },
            at: now,
        }),
        Action::Recruitment(RecruitmentAction::Apply {
            id: ApplicationId::from_bits(1),
            member: second,
            applicant: None,
            draft: ApplicationDraft {
                channel: ApplicationChannel::Event,
                referrer: None,
                applied_on: "2026-11-02".into(),
                notes: String::new(),
            },
            at: now,
        }),
    ])?;
    Ok(doc.save())
}

#[tokio::test]
async fn a_duplicate_is_flagged_merged_and_every_reference_follows() -> Result<()> {
    let (relay, browser) = open_app(Viewport::Desktop).await?;
    let scratch = temp_dir("cohort-duplicates-")?;
    let now = browser
        .eval("Date.now()")
        .await?
        .as_i64()
        .unwrap_or_default();
    let bytes = group_with_a_duplicate(now).map_err(|e| HarnessError::Answer(e.to_string()))?;
    let backup = scratch.path().join("choir.automerge");
    std::fs::write(&backup, bytes).map_err(HarnessError::TempDir)?;
    browser.goto(relay.url()).await?;
    browser.choose_file("#import-file", &backup).await?;
    browser
        .wait_until("document.querySelector('.members .count')?.textContent === '4 members'")
        .await?;

    // The add-member form warns while 王芳's number is typed in another format.
    browser.click("button[aria-expanded]").await?;
    browser.fill("#new-phone", "0086 13800138000").await?;
    browser.wait_for(".duplicate-warning li").await?;
    let warned = browser
        .eval("[...document.querySelectorAll('.duplicate-warning li')].map(li => li.textContent).sort().join(' | ')")
        .await?;
    assert_eq!(warned, "Wang Fang · same phone | 王芳 · same phone");
    browser
        .click(".add-member .actions button[type=button]")
        .await?;

    // The members page flags the pair, and the two 李娜 (same name, different people).
    browser
        .eval("document.querySelector('.likely-duplicates summary').click()")
        .await?;
    browser
        .wait_until("document.querySelectorAll('.duplicate-pair').length === 2")
        .await?;
    let pairs = browser
        .eval(
            "[...document.querySelectorAll('.duplicate-pair > p')].map(p => p.textContent).sort()",
        )
        .await?;
    assert_eq!(
        pairs,
        serde_json::json!([
            "李娜 ↔ 李娜 · same name",
            "王芳 ↔ Wang Fang · same phone, same name in pinyin"
        ])
    );
    // The two 李娜 are different people: no longer flagged.
    browser
        .eval("[...document.querySelectorAll('.duplicate-pair')].find(p => p.textContent.includes('李娜')).querySelector('.distinct').click()")
        .await?;
    browser
        .wait_until("document.querySelectorAll('.duplicate-pair').length === 1")
        .await?;

    // Compared: 王芳 (the older record) is kept; her email is empty, so Wang Fang's is
    // picked; the name stays hers.
    browser.click(".duplicate-pair .compare").await?;
    browser.wait_for(".merge-form").await?;
    let checked = |field: &str, column: usize| {
        format!(
            "document.querySelector('.merge-table tr[data-field={field}] td:nth-of-type({column}) input').checked"
        )
    };
    assert_eq!(browser.eval(&checked("Name", 1)).await?, true);
    assert_eq!(browser.eval(&checked("Email", 2)).await?, true);
    assert_eq!(
        browser
            .eval("document.querySelector('.merge-table tr.keep td:nth-of-type(1) input').checked")
            .await?,
        true
    );
    // The phone as Wang Fang wrote it, picked by hand.
    browser
        .eval("document.querySelector('.merge-table tr[data-field=Phone] td:nth-of-type(2) input').click()")
        .await?;
    browser.click(".merge-form button.merge").await?;
    browser.wait_for(".merged-note a").await?;
    browser
        .wait_until("document.querySelector('.members .count')?.textContent === '3 members'")
        .await?;
    assert_eq!(
        browser
            .eval("document.querySelector('.likely-duplicates .empty')?.textContent")
            .await?,
        "No likely duplicates."
    );

    // 王芳's page has everything that named the other record.
    browser
        .eval("document.querySelector('.merged-note a').click()")
        .await?;
    browser.wait_for("article.member-detail").await?;
    browser
        .wait_until("document.querySelector('#m-email')?.value === 'fang@example.org'")
        .await?;
    assert_eq!(
        browser
            .eval("document.querySelector('#m-phone').value")
            .await?,
        "13800138000"
    );
    assert_eq!(browser.text_of("h1.member-name").await?, "王芳");
    browser
        .wait_until(
            "document.querySelector('.key-user-card')?.textContent.includes('Scores in advance')",
        )
        .await?;
    let page = browser
        .eval("document.querySelector('article.member-detail').textContent")
        .await?;
    let page = page.as_str().unwrap_or_default();
    let missing: BTreeSet<&str> = [
        "Host",
        "More evening sessions",
        "Asked about the concert",
        "Rehearsal",
        "Check-in desk",
        "Sight reading",
        "Runs the alto section",
        "Scores in advance",
    ]
    .into_iter()
    .filter(|text| !page.contains(text))
    .collect();
    assert!(
        missing.is_empty(),
        "not on the kept record's page: {missing:?}"
    );
    assert_eq!(
        browser
            .eval("document.querySelectorAll('.applications .application').length")
            .await?,
        1
    );

    assert_eq!(browser.console_errors().await?, Vec::<String>::new());
    browser.close().await
}
