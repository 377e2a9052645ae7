//! Pasting a sign-in list at an activity: the lines as copied from a WeChat group's 接龙 or a
//! typed-up paper list are matched to members; the organizer sees whom each line matched,
//! chooses where several fit, adds or skips those who match nobody, and only then confirms.

use std::collections::BTreeSet;

use cohort_model::sign_in::{SignInLine, SignInMatch, match_sign_in};
use cohort_model::{Action, ActivityId, Mark, MemberDraft, MemberId, MemberStatus, validate};
use leptos::prelude::*;

use crate::forms::{FormAlert, FormError};
use crate::i18n::{t, t_string, use_i18n};
use crate::state::{now, use_app};
use crate::words::Notice;

/// What to do with one line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Choice {
    Mark(MemberId),
    /// Add the person as a new member, marked attended.
    Add,
    Skip,
}

impl Choice {
    /// The value of the line's menu for this choice.
    fn key(&self) -> String {
        match self {
            Self::Mark(member) => member.to_string(),
            Self::Add => "add".into(),
            Self::Skip => String::new(),
        }
    }

    fn from_key(key: &str) -> Self {
        match key {
            "add" => Self::Add,
            key => MemberId::from_key(key).map_or(Self::Skip, Self::Mark),
        }
    }
}

/// A line read, with the organizer's choice for it.
#[derive(Clone)]
struct Row {
    line: SignInLine,
    choice: RwSignal<Choice>,
}

/// The paste box, the matched lines, and the confirm button.
#[component]
pub fn PasteSignIn(
    /// The activity people signed in to.
    activity: ActivityId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let pasted = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<Row>::new());
    let error = RwSignal::new(None::<FormError>);
    let done = RwSignal::new(None::<(usize, usize)>);
    let read = move |_| {
        let lines = app
            .view
            .with_untracked(|g| match_sign_in(&pasted.get_untracked(), g));
        done.set(None);
        rows.set(
            lines
                .into_iter()
                .map(|line| {
                    let choice = match &line.matched {
                        SignInMatch::Member(member) => Choice::Mark(member.clone()),
                        SignInMatch::Ambiguous(_) | SignInMatch::Nobody => Choice::Skip,
                    };
                    Row {
                        line,
                        choice: RwSignal::new(choice),
                    }
                })
                .collect(),
        );
    };
    // What confirming writes: each member marked once, and the new members.
    let plan = Memo::new(move |_| {
        rows.with(|rows| {
            let mut marked = BTreeSet::new();
            let mut added = Vec::new();
            for row in rows {
                match row.choice.get() {
                    Choice::Mark(member) => {
                        marked.insert(member);
                    }
                    Choice::Add => added.push(row.line.clone()),
                    Choice::Skip => {}
                }
            }
            (marked, added)
        })
    });
    let activity = StoredValue::new(activity);
    let confirm = move |_| {
        let (marked, added) = plan.get_untracked();
        let source = app
            .view
            .with_untracked(|g| {
                g.activities
                    .get(&activity.get_value())
                    .map(|a| a.title.clone())
            })
            .unwrap_or_default();
        let mut actions = Vec::new();
        let mut members: Vec<MemberId> = marked.into_iter().collect();
        for line in &added {
            let Ok(id) = MemberId::random() else {
                error.set(Some(Notice::NoRandom.into()));
                return;
            };
            // A phone the list gives only in part (the last digits) is not kept as a phone.
            let phone = validate::phone(&line.phone).unwrap_or_default();
            let name = if line.name.is_empty() {
                line.text.clone()
            } else {
                line.name.clone()
            };
            actions.push(Action::AddMember {
                id: id.clone(),
                draft: MemberDraft {
                    name,
                    phone,
                    status: Some(MemberStatus::Active),
                    source: source.clone(),
                    ..MemberDraft::default()
                },
                at: now(),
            });
            members.push(id);
        }
        let counts = (members.len(), added.len());
        actions.extend(members.into_iter().map(|member| Action::MarkAttendance {
            id: activity.get_value(),
            member,
            mark: Some(Mark::Attended),
        }));
        leptos::task::spawn_local(async move {
            match app.apply_all(actions).await {
                Ok(()) => {
                    error.set(None);
                    rows.set(Vec::new());
                    pasted.set(String::new());
                    done.set(Some(counts));
                }
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    let summary = move || {
        rows.with(|rows| {
            let count = |wanted: fn(&SignInMatch) -> bool| {
                rows.iter().filter(|r| wanted(&r.line.matched)).count()
            };
            t_string!(
                i18n,
                sign_in.summary,
                lines = rows.len(),
                matched = count(|m| matches!(m, SignInMatch::Member(_))),
                ambiguous = count(|m| matches!(m, SignInMatch::Ambiguous(_))),
                nobody = count(|m| matches!(m, SignInMatch::Nobody))
            )
        })
    };
    view! {
        <details class="card paste-sign-in">
            <summary>{t!(i18n, sign_in.heading)}</summary>
            <div class="field">
                <label for="sign-in-paste">{t!(i18n, sign_in.label)}</label>
                <p class="hint">{t!(i18n, sign_in.hint)}</p>
                <textarea id="sign-in-paste" rows="6" prop:value=move || pasted.get()
                    on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
            </div>
            <button type="button" class="match-sign-in" on:click=read disabled=move || pasted.with(|p| p.trim().is_empty())>
                {t!(i18n, sign_in.read)}
            </button>
            <Show when=move || !rows.with(Vec::is_empty)>
                <p class="sign-in-summary" role="status">{summary}</p>
                <table class="sign-in-lines">
                    <thead><tr><th scope="col">{t!(i18n, sign_in.line)}</th><th scope="col">{t!(i18n, sign_in.result)}</th></tr></thead>
                    <tbody>
                        {move || rows.get().into_iter().enumerate().map(|(index, row)| view! { <SignInRow index row /> }).collect_view()}
                    </tbody>
                </table>
                <button type="button" class="primary confirm-sign-in" on:click=confirm
                    disabled=move || plan.with(|(marked, added)| marked.is_empty() && added.is_empty())>
                    {move || plan.with(|(marked, added)| t_string!(i18n, sign_in.confirm, count = marked.len() + added.len()))}
                </button>
            </Show>
            <p class="sign-in-done" role="status" hidden=move || done.with(Option::is_none)>
                {move || done.get().map(|(marked, added)| t_string!(i18n, sign_in.done, marked, added))}
            </p>
            <FormAlert error any_field=true />
        </details>
    }
}

/// One line of the list: what was pasted, and whom it marks.
#[component]
fn SignInRow(
    /// Its place in the list (for the menu's id).
    index: usize,
    /// The line and its choice.
    row: Row,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let Row { line, choice } = row;
    let name = move |member: &MemberId| app.member_name(member).unwrap_or_default();
    let kind = match &line.matched {
        SignInMatch::Member(_) => "member",
        SignInMatch::Ambiguous(_) => "ambiguous",
        SignInMatch::Nobody => "nobody",
    };
    let menu_id = format!("sign-in-line-{index}");
    let label = t_string!(i18n, sign_in.choice_of, line = &line.text);
    let options = match &line.matched {
        SignInMatch::Member(member) => vec![(Choice::Mark(member.clone()), name(member))],
        SignInMatch::Ambiguous(members) => members
            .iter()
            .map(|member| {
                let phone = app
                    .view
                    .with_untracked(|g| g.members.get(member).map(|m| m.contacts.phone.clone()))
                    .unwrap_or_default();
                (
                    Choice::Mark(member.clone()),
                    format!("{} {phone}", name(member)).trim().to_owned(),
                )
            })
            .collect(),
        SignInMatch::Nobody => vec![(Choice::Add, t_string!(i18n, sign_in.add_new).to_owned())],
    };
    let skip_label = if matches!(line.matched, SignInMatch::Ambiguous(_)) {
        t_string!(i18n, sign_in.choose)
    } else {
        t_string!(i18n, sign_in.skip)
    };
    view! {
        <tr class="sign-in-line" data-match=kind>
            <td>{line.text.clone()}</td>
            <td>
                <select id=menu_id aria-label=label on:change=move |ev| choice.set(Choice::from_key(&event_target_value(&ev)))>
                    {options.into_iter().map(|(option, text)| {
                        let key = option.key();
                        let selected = choice.get_untracked() == option;
                        view! { <option value=key selected=selected>{text}</option> }
                    }).collect_view()}
                    <option value="" selected=choice.get_untracked() == Choice::Skip>{skip_label}</option>
                </select>
            </td>
        </tr>
    }
}
