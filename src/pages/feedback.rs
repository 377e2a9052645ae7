//! The feedback inbox: add feedback, filter it, and move each item through its workflow.

use cohort_model::GroupStoreFields;
use cohort_model::{
    Action, FeedbackDraft, FeedbackField, FeedbackId, FeedbackQuery, FeedbackStatus, Field,
    MemberId,
};
use leptos::prelude::*;
use leptos_router::components::A;

use super::member::InlineField;
use super::{StatusBadge, WhenShown, day, number, use_page_title};
use crate::forms::{FormAlert, FormError, MemberPicker, TextField, notice_text};
use crate::i18n::{t, t_string, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// Items shown at once; the filters narrow the rest.
const SHOWN: usize = 100;

/// The open group's feedback.
#[component]
pub fn FeedbackPage() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.feedback).to_owned());
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
                <h1>{t!(i18n, section.feedback)}</h1>
                <p class="count" role="status" aria-live="polite">{move || {
                    let n = matching.with(Vec::len);
                    if n > SHOWN {
                        t_string!(i18n, feedback.count_shown, n = number(n), shown = number(SHOWN))
                    } else {
                        super::count!(i18n, feedback.count, n)
                    }
                }}</p>
                <button type="button" class="primary" aria-expanded=move || adding.get().to_string()
                    on:click=move |_| adding.update(|open| *open = !*open)>{t!(i18n, feedback.add)}</button>
            </header>
            <Show when=move || adding.get()>
                <AddFeedback done=move || adding.set(false) />
            </Show>
            <div class="toolbar" role="search">
                <div class="field">
                    <label for="feedback-status">{t!(i18n, field.status)}</label>
                    <select id="feedback-status" on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                        <option value="open">{t!(i18n, feedback.open)}</option>
                        <option value="">{t!(i18n, common.any)}</option>
                        {FeedbackStatus::ALL.map(|s| view! { <option value=s.key()>{move || words::feedback_status(i18n.get_locale(), s)}</option> })}
                    </select>
                </div>
                <div class="field">
                    <label for="feedback-category">{t!(i18n, field.category)}</label>
                    <select id="feedback-category" on:change=move |ev| category.set(event_target_value(&ev)) prop:value=move || category.get()>
                        <option value="">{t!(i18n, common.any)}</option>
                        {move || categories().into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <MemberPicker id="feedback-member" label=move || t_string!(i18n, feedback.from_member) chosen=member />
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
    let i18n = use_i18n();
    let item = {
        let id = id.clone();
        Memo::new(move |_| app.view.feedback().at_key(id.clone()).try_get())
    };
    let error = RwSignal::new(None::<cohort_model::protocol::Failure>);
    let message = notice_text(error);
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
                    }>{move || {
                        let locale = i18n.get_locale();
                        match next {
                            FeedbackStatus::Triaged if current.is_closed() => t_string!(i18n, feedback.reopen).to_owned(),
                            other => words::mark(locale, words::feedback_status(locale, other)),
                        }
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
                <span>{move || item.with(|f| f.as_ref().and_then(|f| f.score).map(|score| t_string!(i18n, feedback.score, score)))}</span>
                <span>{from}</span>
            </header>
            <p class="feedback-text">{move || item.with(|f| f.as_ref().map(|f| f.text.clone()))}</p>
            <div class="form-grid">
                <InlineField id=format!("owner-{id}") field=Field::Owner value=owner action=set_owner />
            </div>
            <div class="actions">{moves}</div>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
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
    let i18n = use_i18n();
    let member = RwSignal::new(None::<MemberId>);
    let channel = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let score = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = FeedbackId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
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
            <h2 id="add-feedback-heading">{t!(i18n, feedback.record)}</h2>
            <TextField id="new-feedback-text" field=Field::Text value=text error multiline=true />
            <div class="form-grid">
                <MemberPicker id="new-feedback-member" label=move || t_string!(i18n, feedback.from_member_optional) chosen=member />
                <TextField id="new-feedback-score" label=move || t_string!(i18n, feedback.score_label) field=Field::Score value=score error kind="number" />
                <TextField id="new-feedback-category" field=Field::Category value=category error hint=move || t_string!(i18n, feedback.category_hint) />
                <TextField id="new-feedback-channel" field=Field::Channel value=channel error hint=move || t_string!(i18n, feedback.channel_hint) />
                <TextField id="new-feedback-owner" field=Field::Owner value=owner error />
            </div>
            <FormAlert error />
            <div class="actions">
                <button type="submit" class="primary">{t!(i18n, feedback.add)}</button>
                <button type="button" on:click=move |_| done()>{t!(i18n, common.cancel)}</button>
            </div>
        </form>
    }
}
