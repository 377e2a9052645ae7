//! One member: every field editable in place, status with its history, tags, roles, feedback.

use cohort_model::GroupStoreFields;
use cohort_model::protocol::Failure;
use cohort_model::{Action, FeedbackQuery, Field, Member, MemberField, MemberId, MemberStatus};
use leptos::prelude::*;
use leptos::text_prop::TextProp;
use leptos_router::hooks::use_navigate;

use super::{StatusBadge, WhenShown, day, use_page_title};
use crate::forms::{FormError, error_text, notice_text};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words;

/// The member named in the URL.
#[component]
pub fn MemberPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let id = super::id_in_url("member", MemberId::from_key);
    let member = Memo::new(move |_| {
        id.get()
            .and_then(|id| app.view.members().at_key(id).try_get())
    });
    use_page_title(move || {
        member
            .get()
            .map_or_else(|| t_string!(i18n, member.not_found).to_owned(), |m| m.name)
    });
    // Whether the member is in the group, apart from their fields: an edit re-draws only the
    // fields it changed, not the whole page (an open history stays open).
    let exists = Memo::new(move |_| member.with(Option::is_some));
    let page = move || {
        match id.get().filter(|_| exists.get()) {
        Some(id) => view! { <MemberDetail id member=Signal::derive(move || member.get()) /> }.into_any(),
        None => view! {
            <super::MissingRecord heading=|l| td_string!(l, member.not_found) lead=|l| td_string!(l, member.not_found_lead)
                section=Section::Members see_all=|l| td_string!(l, member.see_all) />
        }
        .into_any(),
    }
    };
    view! { <WhenShown>{page}</WhenShown> }
}

/// What an inline edit sends: the field and the typed value.
fn set(
    id: MemberId,
    field: MemberField,
) -> impl Fn(String) -> Action + Clone + Send + Sync + 'static {
    move |value| Action::SetMember {
        id: id.clone(),
        field,
        value,
    }
}

#[component]
fn MemberDetail(
    /// The member's id.
    id: MemberId,
    /// The member as the view has it.
    member: Signal<Option<Member>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let read = move |f: fn(&Member) -> String| {
        Signal::derive(move || member.with(|m| m.as_ref().map(f).unwrap_or_default()))
    };
    let status = Signal::derive(move || {
        member.with(|m| m.as_ref().map_or(MemberStatus::Applicant, |m| m.status))
    });
    view! {
        <article class="member-detail">
            <header class="page-header">
                <h1 class="member-name">{move || member.with(|m| m.as_ref().map(|m| m.name.clone()))}</h1>
                <StatusBadge status />
            </header>
            <section class="card" aria-labelledby="details-heading">
                <h2 id="details-heading">{t!(i18n, member.details)}</h2>
                <p class="hint">{t!(i18n, member.saved_on_leave)}</p>
                <div class="form-grid">
                    <InlineField id="m-name" field=Field::Name value=read(|m| m.name.clone()) action=set(id.clone(), MemberField::Name) />
                    <InlineField id="m-email" field=Field::Email kind="email" value=read(|m| m.contacts.email.clone()) action=set(id.clone(), MemberField::Email) />
                    <InlineField id="m-phone" field=Field::Phone kind="tel" value=read(|m| m.contacts.phone.clone()) action=set(id.clone(), MemberField::Phone) />
                    <InlineField id="m-wechat" field=Field::Wechat value=read(|m| m.contacts.wechat.clone()) action=set(id.clone(), MemberField::Wechat) />
                    <InlineField id="m-other" field=Field::OtherContact value=read(|m| m.contacts.other.clone()) action=set(id.clone(), MemberField::OtherContact) />
                    <InlineField id="m-source" field=Field::Source value=read(|m| m.source.clone()) action=set(id.clone(), MemberField::Source) />
                    <InlineField id="m-joined" field=Field::Joined kind="date" value=read(|m| m.joined.clone()) action=set(id.clone(), MemberField::Joined) />
                </div>
                <InlineField id="m-notes" field=Field::Notes multiline=true value=read(|m| m.notes.clone()) action=set(id.clone(), MemberField::Notes) />
            </section>
            <StatusSection id=id.clone() member />
            <super::recruitment::ApplicationCard id=id.clone() />
            <TagsSection id=id.clone() member />
            <RolesSection id=id.clone() />
            <super::contact::ContactSection id=id.clone() />
            <super::activities::AttendanceSection id=id.clone() />
            <super::duties::UpcomingDuties id=id.clone() />
            <super::training::MemberTrainings id=id.clone() />
            <super::key_user_card::KeyUserCard id=id.clone() />
            <FeedbackSection id=id.clone() />
            <super::RecordHistory record=cohort_model::history::RecordKey::member(&id) />
            <RemoveMember id />
        </article>
    }
}

/// An input that saves its field when the organizer leaves it, with its error inline.
#[component]
pub fn InlineField<A>(
    /// The DOM id of the input, unique on the page.
    #[prop(into)]
    id: String,
    /// The visible label; the field's name when not given.
    #[prop(into, optional)]
    label: Option<TextProp>,
    /// The model field (for the error).
    field: Field,
    /// The stored value.
    value: Signal<String>,
    /// Makes the action that stores a typed value.
    action: A,
    /// The input type.
    #[prop(default = "text")]
    kind: &'static str,
    /// A text area instead of an input.
    #[prop(optional)]
    multiline: bool,
) -> impl IntoView
where
    A: Fn(String) -> Action + Clone + Send + Sync + 'static,
{
    let app = use_app();
    let label = crate::forms::label_or_field(label, field);
    let error = RwSignal::new(None::<FormError>);
    let save = move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev);
        if typed == value.get_untracked() {
            return;
        }
        let action = action(typed);
        leptos::task::spawn_local(async move {
            match app.apply(action).await {
                Ok(()) => error.set(None),
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    let message = error_text(error, |_| true);
    let invalid = move || error.with(Option::is_some).to_string();
    let error_id = format!("{id}-error");
    let described = {
        let error_id = error_id.clone();
        move || error.with(Option::is_some).then(|| error_id.clone())
    };
    let input = if multiline {
        view! { <textarea id=id.clone() rows="4" aria-invalid=invalid aria-describedby=described prop:value=move || value.get() on:change=save></textarea> }.into_any()
    } else {
        view! { <input id=id.clone() type=kind aria-invalid=invalid aria-describedby=described prop:value=move || value.get() on:change=save /> }.into_any()
    };
    view! {
        <div class="field" data-field=format!("{field:?}")>
            <label for=id>{move || label.get()}</label>
            {input}
            <p class="field-error" id=error_id role="alert" hidden=move || message().is_none()>{message}</p>
        </div>
    }
}

#[component]
fn StatusSection(id: MemberId, member: Signal<Option<Member>>) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<Failure>);
    let message = notice_text(error);
    let moves = move || {
        member.with(|m| {
            m.as_ref()
                .map(|m| {
                    MemberStatus::ALL
                        .into_iter()
                        .filter(|s| m.status.can_become(*s))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let history =
        move || member.with(|m| m.as_ref().map(|m| m.history.clone()).unwrap_or_default());
    view! {
        <section class="card" aria-labelledby="status-heading">
            <h2 id="status-heading">{t!(i18n, field.status)}</h2>
            <div class="actions">
                {move || moves().into_iter().map(|status| {
                    let id = id.clone();
                    view! {
                        <button type="button" on:click=move |_| {
                            let id = id.clone();
                            app.apply_then(Action::SetMemberStatus { id, status, at: now() }, error, || {});
                        }>{move || words::mark(i18n.get_locale(), words::member_status(i18n.get_locale(), status))}</button>
                    }
                }).collect_view()}
            </div>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
            <h3>{t!(i18n, member.history)}</h3>
            <ol class="history">
                {move || history().into_iter().rev().map(|change| view! {
                    <li><StatusBadge status=Signal::stored(change.status) />" "{t!(i18n, member.since)}" "<time>{day(change.at)}</time></li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn TagsSection(id: MemberId, member: Signal<Option<Member>>) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let new_tag = RwSignal::new(String::new());
    let error = RwSignal::new(None::<Failure>);
    let message = notice_text(error);
    let tags = move || {
        member.with(|m| {
            m.as_ref()
                .map(|m| m.tags.iter().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    let send = move |action: Action| {
        app.apply_then(action, error, move || new_tag.set(String::new()));
    };
    let add = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            send(Action::TagMember {
                id: id.clone(),
                tag: new_tag.get_untracked(),
            });
        }
    };
    view! {
        <section class="card" aria-labelledby="tags-heading">
            <h2 id="tags-heading">{t!(i18n, field.tags)}</h2>
            <ul class="chips" role="list">
                {move || tags().into_iter().map(|tag| {
                    let id = id.clone();
                    let label = t_string!(i18n, member.remove_tag, tag = &tag);
                    view! {
                        <li class="chip">{tag.clone()}
                            <button type="button" class="chip-remove" aria-label=label on:click=move |_| send(Action::UntagMember { id: id.clone(), tag: tag.clone() })>"×"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="inline-form" on:submit=add>
                <label for="new-tag">{t!(i18n, member.add_tag)}</label>
                <input id="new-tag" prop:value=move || new_tag.get() on:input=move |ev| new_tag.set(event_target_value(&ev)) />
                <button type="submit">{t!(i18n, member.add_tag_button)}</button>
            </form>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
        </section>
    }
}

#[component]
fn RolesSection(id: MemberId) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let held = {
        let id = id.clone();
        move || {
            app.view.roles().track();
            app.view.with_untracked(|g| {
                g.roles_of(&id)
                    .into_iter()
                    .map(|r| r.name.clone())
                    .collect::<Vec<_>>()
            })
        }
    };
    view! {
        <section class="card" aria-labelledby="roles-heading">
            <h2 id="roles-heading">{t!(i18n, section.roles)}</h2>
            {move || {
                let roles = held();
                if roles.is_empty() {
                    view! { <p class="flag">{t!(i18n, member.no_role)}</p> }.into_any()
                } else {
                    view! { <ul class="chips" role="list">{roles.into_iter().map(|r| view! { <li class="chip">{r}</li> }).collect_view()}</ul> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn FeedbackSection(id: MemberId) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let items = move || {
        let query = FeedbackQuery {
            member: Some(id.clone()),
            ..Default::default()
        };
        app.view.feedback().track();
        app.view.with_untracked(|g| {
            query
                .run(g)
                .into_iter()
                .map(|f| (f.text.clone(), f.status, f.received_at, f.score))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card" aria-labelledby="member-feedback-heading">
            <h2 id="member-feedback-heading">{t!(i18n, member.feedback_from)}</h2>
            {move || {
                let items = items();
                if items.is_empty() {
                    view! { <p class="empty">{t!(i18n, common.none_yet)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="feedback-list" role="list">
                            {items.into_iter().map(|(text, status, at, score)| view! {
                                <li><StatusBadge status=Signal::stored(status) />" "<time>{day(at)}</time>
                                    {score.map(|score| format!(" · {}", t_string!(i18n, member.score, score)))}<p>{text}</p></li>
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn RemoveMember(id: MemberId) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let confirming = RwSignal::new(false);
    let remove = move |_| {
        let id = id.clone();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match app.apply(Action::RemoveMember { id }).await {
                Ok(()) => {
                    if let Some(group) = app.open.get_untracked() {
                        navigate(&Section::Members.href(group), Default::default());
                    }
                }
                Err(failure) => app.alert.set(Some(failure.into())),
            }
        });
    };
    view! {
        <section class="card danger-zone" aria-labelledby="remove-heading">
            <h2 id="remove-heading">{t!(i18n, member.remove_heading)}</h2>
            <p>{t!(i18n, member.remove_lead)}</p>
            <Show when=move || confirming.get() fallback=move || view! {
                <button type="button" class="danger" on:click=move |_| confirming.set(true)>{t!(i18n, member.remove)}</button>
            }>
                <div class="confirm" role="alertdialog" aria-label=move || t_string!(i18n, member.confirm_removal)>
                    <p>{t!(i18n, member.erase_question)}</p>
                    <div class="actions">
                        <button type="button" class="danger" on:click=remove.clone()>{t!(i18n, member.erase)}</button>
                        <button type="button" on:click=move |_| confirming.set(false)>{t!(i18n, member.keep)}</button>
                    </div>
                </div>
            </Show>
        </section>
    }
}
