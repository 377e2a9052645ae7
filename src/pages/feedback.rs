//! The feedback inbox: add feedback, filter it, and move each item through its workflow.

use cohort_model::GroupStoreFields;
use cohort_model::{
    Action, FeedbackDraft, FeedbackField, FeedbackId, FeedbackQuery, FeedbackStatus, Field,
    MemberId,
};
use leptos::prelude::*;
use leptos_router::components::A;

use super::member::InlineField;
use super::{StatusBadge, WhenShown, day, use_page_title};
use crate::forms::{FormAlert, FormError, MemberPicker, TextField};
use crate::sections::Section;
use crate::state::{now, use_app};

/// Items shown at once; the filters narrow the rest.
const SHOWN: usize = 100;

/// The open group's feedback.
#[component]
pub fn FeedbackPage() -> impl IntoView {
    use_page_title(|| "Feedback".to_owned());
    let app = use_app();
    let status = RwSignal::new(String::from("open"));
    let category = RwSignal::new(String::new());
    let member = RwSignal::new(None::<MemberId>);
    let query = Memo::new(move |_| {
        let status_key = status.get();
        FeedbackQuery {
            status: FeedbackStatus::from_key(&status_key),
            open_only: status_key == "open",
            category: Some(category.get()).filter(|c| !c.is_empty()),
            member: member.get(),
        }
    });
    let matching = Memo::new(move |_| {
        let query = query.get();
        app.view.feedback().track();
        app.view.with_untracked(|g| {
            query
                .run(g)
                .into_iter()
                .map(|f| f.id.clone())
                .collect::<Vec<_>>()
        })
    });
    let shown = Memo::new(move |_| {
        matching.with(|ids| ids.iter().take(SHOWN).cloned().collect::<Vec<_>>())
    });
    let categories = move || {
        app.view.feedback().track();
        app.view.with_untracked(|g| {
            g.feedback_categories()
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    };
    let adding = RwSignal::new(false);
    view! {
        <WhenShown>
        <article class="feedback">
            <header class="page-header">
                <h1>"Feedback"</h1>
                <p class="count" role="status" aria-live="polite">{move || {
                    let n = matching.with(Vec::len);
                    if n > SHOWN { format!("{n} items, newest {SHOWN} shown") } else { format!("{n} items") }
                }}</p>
                <button type="button" class="primary" aria-expanded=move || adding.get().to_string()
                    on:click=move |_| adding.update(|open| *open = !*open)>"Add feedback"</button>
            </header>
            <Show when=move || adding.get()>
                <AddFeedback done=move || adding.set(false) />
            </Show>
            <div class="toolbar" role="search">
                <div class="field">
                    <label for="feedback-status">"Status"</label>
                    <select id="feedback-status" on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                        <option value="open">"Open"</option>
                        <option value="">"Any"</option>
                        {FeedbackStatus::ALL.map(|s| view! { <option value=s.key()>{s.label()}</option> })}
                    </select>
                </div>
                <div class="field">
                    <label for="feedback-category">"Category"</label>
                    <select id="feedback-category" on:change=move |ev| category.set(event_target_value(&ev)) prop:value=move || category.get()>
                        <option value="">"Any"</option>
                        {move || categories().into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <MemberPicker id="feedback-member" label="From member" chosen=member />
            </div>
            <ul class="feedback-list" role="list">
                <For each=move || shown.get() key=|id| id.clone() let:id>
                    <FeedbackItem id />
                </For>
            </ul>
        </article>
        </WhenShown>
    }
}

/// One piece of feedback with its workflow; reads its item by id.
#[component]
fn FeedbackItem(
    /// The feedback shown.
    id: FeedbackId,
) -> impl IntoView {
    let app = use_app();
    let item = {
        let id = id.clone();
        Memo::new(move |_| app.view.feedback().at_key(id.clone()).try_get())
    };
    let error = RwSignal::new(None::<String>);
    let status =
        Signal::derive(move || item.with(|f| f.as_ref().map_or(FeedbackStatus::New, |f| f.status)));
    let from = move || {
        item.with(|f| f.as_ref().and_then(|f| f.member.clone()))
            .and_then(|m| {
                let name = app
                    .view
                    .with(|g| g.members.get(&m).map(|m| m.name.clone()))?;
                let group = app.open.get()?;
                Some(view! { <A href=Section::member_href(group, &m)>{name}</A> })
            })
    };
    let owner = Signal::derive(move || {
        item.with(|f| f.as_ref().map(|f| f.owner.clone()).unwrap_or_default())
    });
    let set_owner = {
        let id = id.clone();
        move |value| Action::SetFeedback {
            id: id.clone(),
            field: FeedbackField::Owner,
            value,
        }
    };
    let moves = {
        let id = id.clone();
        move || {
            let current = status.get();
            FeedbackStatus::ALL.into_iter().filter(|s| current.can_become(*s)).map(|next| {
                let id = id.clone();
                view! {
                    <button type="button" on:click=move |_| {
                        let id = id.clone();
                        app.apply_then(Action::SetFeedbackStatus { id, status: next, at: now() }, error, || {});
                    }>{match next {
                        FeedbackStatus::Triaged if current.is_closed() => "Reopen".to_owned(),
                        other => format!("Mark {}", other.label().to_lowercase()),
                    }}</button>
                }
            }).collect_view()
        }
    };
    view! {
        <li class="card feedback-item" data-feedback=id.to_string() data-status=move || status.get().key()>
            <header class="feedback-meta">
                <StatusBadge status />
                <span>{move || item.with(|f| f.as_ref().map(|f| day(f.received_at)))}</span>
                <span>{move || item.with(|f| f.as_ref().map(|f| [f.category.as_str(), f.channel.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")))}</span>
                <span>{move || item.with(|f| f.as_ref().and_then(|f| f.score).map(|s| format!("Score {s}/10")))}</span>
                <span>{from}</span>
            </header>
            <p class="feedback-text">{move || item.with(|f| f.as_ref().map(|f| f.text.clone()))}</p>
            <div class="form-grid">
                <InlineField id=format!("owner-{id}") label="Owner" field=Field::Owner value=owner action=set_owner />
            </div>
            <div class="actions">{moves}</div>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        </li>
    }
}

/// The form to record feedback.
#[component]
fn AddFeedback(
    /// Called once the feedback is added.
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let app = use_app();
    let member = RwSignal::new(None::<MemberId>);
    let channel = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let score = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = FeedbackId::random() else { return };
        let draft = FeedbackDraft {
            member: member.get_untracked(),
            channel: channel.get_untracked(),
            category: category.get_untracked(),
            score: score.get_untracked(),
            text: text.get_untracked(),
            owner: owner.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match app
                .apply(Action::AddFeedback {
                    id,
                    draft,
                    at: now(),
                })
                .await
            {
                Ok(()) => {
                    error.set(None);
                    done();
                }
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    view! {
        <form class="card add-feedback" on:submit=submit aria-labelledby="add-feedback-heading" novalidate>
            <h2 id="add-feedback-heading">"Record feedback"</h2>
            <TextField id="new-feedback-text" label="Feedback" field=Field::Text value=text error multiline=true />
            <div class="form-grid">
                <MemberPicker id="new-feedback-member" label="From member (optional)" chosen=member />
                <TextField id="new-feedback-score" label="Score (0–10)" field=Field::Score value=score error kind="number" />
                <TextField id="new-feedback-category" label="Category" field=Field::Category value=category error hint="Idea, problem, praise…" />
                <TextField id="new-feedback-channel" label="Channel" field=Field::Channel value=channel error hint="Survey, chat, meeting…" />
                <TextField id="new-feedback-owner" label="Owner" field=Field::Owner value=owner error />
            </div>
            <FormAlert error />
            <div class="actions">
                <button type="submit" class="primary">"Add feedback"</button>
                <button type="button" on:click=move |_| done()>"Cancel"</button>
            </div>
        </form>
    }
}
