//! Training plans: the list and a new plan; one plan with its sessions, who it is for, each
//! participant's completion and scores, and what the training achieved; and the trainings a
//! member took, on their page.

use cohort_model::GroupStoreFields;
use cohort_model::training::{member_trainings, training_effect};
use cohort_model::{
    Action, ActivityId, ActivityKind, Field, Invitee, MemberId, RoleId, TrainingDraft,
    TrainingFormat, TrainingId, TrainingScore,
};
use leptos::prelude::*;

use super::{MissingRecord, WhenShown, day, id_in_url, percent, use_page_title};
use crate::forms::{FormAlert, FormError, MemberPicker, TextField};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// The URL of a training plan's page.
fn training_href(group: cohort_model::GroupId, id: &TrainingId) -> String {
    format!("{}/{id}", Section::Training.href(group))
}

/// An average to one decimal place, or a dash when there is none.
fn average(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))
}

/// The open group's training plans.
#[component]
pub fn TrainingsPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.training).to_owned());
    let adding = RwSignal::new(false);
    let plans = Memo::new(move |_| {
        app.view.trainings().with(|trainings| {
            let mut plans: Vec<_> = trainings
                .values()
                .map(|t| (std::cmp::Reverse(t.created_at), t.id.clone()))
                .collect();
            plans.sort();
            plans.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        })
    });
    view! {
        <WhenShown>
            <article class="trainings">
                <header class="page-header">
                    <h1>{t!(i18n, section.training)}</h1>
                    <button type="button" class="primary new-training" aria-expanded=move || adding.get().to_string()
                        on:click=move |_| adding.update(|open| *open = !*open)>{t!(i18n, training.new)}</button>
                </header>
                <Show when=move || adding.get()>
                    <NewTraining done=move || adding.set(false) />
                </Show>
                <Show when=move || !plans.with(Vec::is_empty)
                    fallback=move || view! { <p class="empty card">{t!(i18n, training.none)}</p> }>
                    <ul class="training-list card" role="list">
                        <For each=move || plans.get() key=|id| id.clone() let:id>
                            <TrainingItem id />
                        </For>
                    </ul>
                </Show>
            </article>
        </WhenShown>
    }
}

/// One plan in the list: its title, format and completion.
#[component]
fn TrainingItem(
    /// The plan shown.
    id: TrainingId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let summary = Memo::new(move |_| {
        let training = app.view.trainings().at_key(id.clone()).try_get()?;
        app.view.activities().track();
        app.member_changes.track();
        let effect = app.view.with_untracked(|g| training_effect(&training, g));
        Some((training, effect))
    });
    move || {
        summary.get().map(|(training, effect)| {
            let href = app.open.get().map(|group| training_href(group, &training.id));
            view! {
                <li class="training-item">
                    <a href=href>{training.title.clone()}</a>
                    <p class="activity-meta">
                        {words::training_format(i18n.get_locale(), training.format)}" · "
                        <span class="completion">{t_string!(i18n, training.completed_of, completed = effect.completed, participants = effect.participants)}</span>
                    </p>
                </li>
            }
        })
    }
}

/// Who a plan is for, as picked in a form: a role, a tag, members.
fn audience(members: Vec<MemberId>, role: &str, tag: &str) -> Vec<Invitee> {
    let mut audience: Vec<Invitee> = members.into_iter().map(Invitee::Member).collect();
    audience.extend(RoleId::from_key(role).map(Invitee::Role));
    audience.extend(
        Some(tag.to_owned())
            .filter(|t| !t.is_empty())
            .map(Invitee::Tag),
    );
    audience
}

/// The form that makes a training plan.
#[component]
fn NewTraining(
    /// Called once the plan is stored.
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let title = RwSignal::new(String::new());
    let format = RwSignal::new(TrainingFormat::InPerson);
    let materials = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = TrainingId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let draft = TrainingDraft {
            title: title.get_untracked(),
            format: format.get_untracked(),
            materials: materials.get_untracked(),
            sessions: Vec::new(),
            audience: audience(Vec::new(), &role.get_untracked(), ""),
        };
        leptos::task::spawn_local(async move {
            match app
                .apply(Action::AddTraining {
                    id,
                    draft,
                    at: now(),
                })
                .await
            {
                Ok(()) => done(),
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    view! {
        <form class="card new-training-form" on:submit=submit novalidate>
            <div class="form-grid">
                <TextField id="training-title" field=Field::TrainingTitle value=title error required=true />
                <div class="field">
                    <label for="training-format">{t!(i18n, training.format)}</label>
                    <select id="training-format" on:change=move |ev| format.set(TrainingFormat::from_key(&event_target_value(&ev)))>
                        {TrainingFormat::ALL.map(|f| view! { <option value=f.key()>{move || words::training_format(i18n.get_locale(), f)}</option> })}
                    </select>
                </div>
                <TextField id="training-materials" field=Field::Materials kind="url" value=materials error />
                <div class="field">
                    <label for="training-role">{t!(i18n, training.for_role)}</label>
                    <select id="training-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, activities.nobody)}</option>
                        {move || app.role_choices().into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <FormAlert error />
            <button type="submit" class="primary">{t!(i18n, training.create)}</button>
        </form>
    }
}

/// The plan named in the URL.
#[component]
pub fn TrainingPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let id = id_in_url("training", TrainingId::from_key);
    let title = Memo::new(move |_| {
        id.get().and_then(|id| {
            app.view
                .trainings()
                .at_key(id)
                .try_with(|t| t.title.clone())
        })
    });
    use_page_title(move || {
        title
            .get()
            .unwrap_or_else(|| t_string!(i18n, training.not_found).to_owned())
    });
    let page = move || match id.get().filter(|_| title.with(Option::is_some)) {
        Some(id) => view! { <TrainingDetail id /> }.into_any(),
        None => view! {
            <MissingRecord heading=|l| td_string!(l, training.not_found) section=Section::Training
                see_all=|l| td_string!(l, training.see_all) />
        }
        .into_any(),
    };
    view! { <WhenShown>{page}</WhenShown> }
}

/// One plan: what it achieved, its sessions, who it is for, and each participant.
#[component]
fn TrainingDetail(
    /// The plan shown.
    id: TrainingId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let training = {
        let id = id.clone();
        Memo::new(move |_| app.view.trainings().at_key(id.clone()).try_get())
    };
    let figures = Memo::new(move |_| {
        let training = training.get()?;
        app.view.activities().track();
        app.member_changes.track();
        app.view.roles().track();
        Some(app.view.with_untracked(|g| {
            let mut participants = training.participants(g);
            participants.sort_by_cached_key(|p| {
                g.members
                    .get(&p.member)
                    .map(|m| cohort_model::pinyin::sort_key(&m.name))
            });
            (training_effect(&training, g), participants)
        }))
    });
    let error = RwSignal::new(None::<FormError>);
    let apply = move |action: Action| app.apply_then(action, error, || ());
    let plan = StoredValue::new(id);
    // Sessions: the plan's, and the training activities that could be added.
    let sessions = Memo::new(move |_| {
        let training = training.get()?;
        Some(app.view.activities().with(|activities| {
            let mut included: Vec<_> = training
                .sessions
                .iter()
                .filter_map(|id| activities.get(id))
                .map(|a| (a.starts_at, a.id.clone(), a.title.clone()))
                .collect();
            included.sort();
            let mut others: Vec<_> = activities
                .values()
                .filter(|a| a.kind == ActivityKind::Training && !training.sessions.contains(&a.id))
                .map(|a| (a.starts_at, a.id.clone(), a.title.clone()))
                .collect();
            others.sort();
            (included, others)
        }))
    });
    let session = RwSignal::new(String::new());
    let add_session = move |_| {
        if let Some(activity) = ActivityId::from_key(&session.get_untracked()) {
            apply(Action::SetTrainingSession {
                id: plan.get_value(),
                activity,
                included: true,
            });
            session.set(String::new());
        }
    };
    let picked = RwSignal::new(None::<MemberId>);
    let add_member = move |_| {
        if let Some(member) = picked.get_untracked() {
            apply(Action::SetTrainingAudience {
                id: plan.get_value(),
                invitee: Invitee::Member(member),
                included: true,
            });
            picked.set(None);
        }
    };
    let navigate = leptos_router::hooks::use_navigate();
    let remove = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match app
                .apply(Action::RemoveTraining {
                    id: plan.get_value(),
                })
                .await
            {
                Ok(()) => {
                    if let Some(group) = app.open.get_untracked() {
                        navigate(&Section::Training.href(group), Default::default());
                    }
                }
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    let locale = move || i18n.get_locale();
    let activity_href = move |id: &ActivityId| {
        app.open
            .get()
            .map(|g| format!("{}/{id}", Section::Activities.href(g)))
    };
    let audience = Memo::new(move |_| {
        training.with(|t| t.as_ref().map(|t| t.audience.clone()).unwrap_or_default())
    });
    let leave_out = Callback::new(move |invitee: Invitee| {
        apply(Action::SetTrainingAudience {
            id: plan.get_value(),
            invitee,
            included: false,
        });
    });
    view! {
        <article class="training-detail">
            {move || training.get().map(|t| view! {
                <header class="page-header">
                    <h1>{t.title.clone()}</h1>
                    <span class="badge">{words::training_format(locale(), t.format)}</span>
                </header>
                {(!t.materials.is_empty()).then(|| view! {
                    <p><a href=t.materials.clone() rel="noopener noreferrer" target="_blank">{t!(i18n, training.materials)}</a></p>
                })}
            })}
            <section class="card training-effect" aria-labelledby="effect-heading">
                <h2 id="effect-heading">{t!(i18n, training.effect_heading)}</h2>
                {move || figures.with(|f| f.as_ref().map(|(effect, _)| {
                    let rate = effect.completion_rate().map_or_else(|| "—".to_owned(), percent);
                    let change = effect.change.map_or_else(|| "—".to_owned(), |c| format!("{c:+.1}"));
                    view! {
                        <dl class="figures">
                            <div data-figure="completion"><dt>{t!(i18n, training.completion)}</dt>
                                <dd>{rate}" "<span class="muted">{t_string!(i18n, training.completed_of, completed = effect.completed, participants = effect.participants)}</span></dd></div>
                            <div data-figure="before"><dt>{t!(i18n, training.average_before)}</dt><dd>{average(effect.before)}</dd></div>
                            <div data-figure="after"><dt>{t!(i18n, training.average_after)}</dt><dd>{average(effect.after)}</dd></div>
                            <div data-figure="change"><dt>{t!(i18n, training.change)}</dt>
                                <dd>{change}" "<span class="muted">{super::count!(i18n, training.paired, effect.paired)}</span></dd></div>
                            <div data-figure="satisfaction"><dt>{t!(i18n, training.satisfaction)}</dt>
                                <dd>{average(effect.satisfaction)}" "<span class="muted">{super::count!(i18n, training.rated, effect.rated)}</span></dd></div>
                        </dl>
                    }
                }))}
            </section>
            <section class="card training-sessions" aria-labelledby="sessions-heading">
                <h2 id="sessions-heading">{t!(i18n, training.sessions)}</h2>
                {move || sessions.get().map(|(included, others)| view! {
                    <ul role="list">
                        {if included.is_empty() {
                            view! { <li class="empty">{t!(i18n, training.no_sessions)}</li> }.into_any()
                        } else {
                            included.into_iter().map(|(at, id, title)| {
                                let remove_label = t_string!(i18n, common.remove_chip, name = &title);
                                let session_id = id.clone();
                                view! {
                                    <li class="session"><a href=activity_href(&id)>{title}</a>" · "<time>{day(at)}</time>" "
                                        <button type="button" class="chip-remove" aria-label=remove_label
                                            on:click=move |_| apply(Action::SetTrainingSession { id: plan.get_value(), activity: session_id.clone(), included: false })>"×"</button>
                                    </li>
                                }
                            }).collect_view().into_any()
                        }}
                    </ul>
                    <div class="inline-form">
                        <div class="field">
                            <label for="training-session">{t!(i18n, training.add_session)}</label>
                            <select id="training-session" on:change=move |ev| session.set(event_target_value(&ev)) prop:value=move || session.get()>
                                <option value="">{t!(i18n, activities.nobody)}</option>
                                {others.into_iter().map(|(at, id, title)| view! { <option value=id.to_string()>{format!("{title} · {}", day(at))}</option> }).collect_view()}
                            </select>
                        </div>
                        <button type="button" class="add-session" on:click=add_session disabled=move || session.with(String::is_empty)>{t!(i18n, training.add)}</button>
                    </div>
                })}
            </section>
            <section class="card training-audience" aria-labelledby="audience-heading">
                <h2 id="audience-heading">{t!(i18n, training.audience)}</h2>
                <super::activity_edit::InvitationChips invited=audience on_remove=leave_out />
                <super::activity_edit::GroupPicker id="training-audience-group" on_pick=Callback::new(move |invitee| {
                    apply(Action::SetTrainingAudience { id: plan.get_value(), invitee, included: true });
                }) />
                <div class="inline-form">
                    <MemberPicker id="training-audience-member" label=TextProp::from(move || t_string!(i18n, training.add_member)) chosen=picked />
                    <button type="button" class="add-participant" on:click=add_member disabled=move || picked.with(Option::is_none)>{t!(i18n, training.add)}</button>
                </div>
            </section>
            <section class="card training-participants" aria-labelledby="participants-heading">
                <h2 id="participants-heading">{t!(i18n, training.participants)}</h2>
                // A refused score names its field: told here, by the table it was typed in.
                <FormAlert error any_field=true />
                <Show when=move || figures.with(|f| f.as_ref().is_some_and(|(_, p)| !p.is_empty()))
                    fallback=move || view! { <p class="empty">{t!(i18n, training.no_participants)}</p> }>
                    <div class="table-scroll">
                        <table class="participants">
                            <thead><tr>
                                <th scope="col">{t!(i18n, field.participant)}</th>
                                <th scope="col">{t!(i18n, training.sessions_attended)}</th>
                                <th scope="col">{t!(i18n, training.completed)}</th>
                                <th scope="col">{t!(i18n, field.score_before)}</th>
                                <th scope="col">{t!(i18n, field.score_after)}</th>
                                <th scope="col">{t!(i18n, field.satisfaction)}</th>
                            </tr></thead>
                            <tbody>
                                // Keyed by member alone: a score saved updates its row in place,
                                // so focus stays where the organizer tabbed to.
                                <For each=move || figures.with(|f| f.as_ref().map(|(_, p)| p.iter().map(|p| p.member.clone()).collect::<Vec<_>>()).unwrap_or_default())
                                    key=|member| member.clone() let:member>
                                    {
                                        let this = member.clone();
                                        let state = Signal::derive(move || figures.with(|f| {
                                            f.as_ref().and_then(|(_, p)| p.iter().find(|p| p.member == this).cloned())
                                        }));
                                        view! { <ParticipantRow plan=plan.get_value() member state error /> }
                                    }
                                </For>
                            </tbody>
                        </table>
                    </div>
                </Show>
            </section>
            <super::RecordHistory record=cohort_model::history::RecordKey::training(&plan.get_value()) />
            <button type="button" class="danger remove-training" on:click=remove>{t!(i18n, training.remove)}</button>
        </article>
    }
}

/// One participant: completion and scores, each saved as it is changed.
#[component]
fn ParticipantRow(
    /// The plan.
    plan: TrainingId,
    /// The participant.
    member: MemberId,
    /// Their result and sessions attended, as they are now.
    state: Signal<Option<cohort_model::training::Participant>>,
    /// Where a refused score is told, for the whole table.
    error: RwSignal<Option<FormError>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let name = app.member_name(&member).unwrap_or_default();
    let plan = StoredValue::new(plan);
    let this = StoredValue::new(member.clone());
    // The field of this row that was refused last, if any: marked invalid here only.
    let refused = RwSignal::new(None::<Field>);
    let apply = move |action: Action, field: Field| {
        leptos::task::spawn_local(async move {
            match app.apply(action).await {
                Ok(()) => {
                    refused.set(None);
                    error.set(None);
                }
                Err(failure) => {
                    refused.set(Some(field));
                    error.set(Some(failure.into()));
                }
            }
        });
    };
    let result = move || state.with(|p| p.as_ref().map(|p| p.result).unwrap_or_default());
    let complete = move |ev: leptos::ev::Event| {
        let done = event_target_checked(&ev);
        let action = Action::SetTrainingCompleted {
            id: plan.get_value(),
            member: this.get_value(),
            completed_at: done.then(now),
        };
        apply(action, Field::Participant);
    };
    let person = name.clone();
    let score_input = move |score: TrainingScore| {
        let (min, max) = score.range();
        let field = Field::from(score);
        let label = format!("{} · {person}", words::field(i18n.get_locale(), field));
        let value = move || {
            let result = result();
            match score {
                TrainingScore::Before => result.before,
                TrainingScore::After => result.after,
                TrainingScore::Satisfaction => result.satisfaction,
            }
            .map(|v| v.to_string())
            .unwrap_or_default()
        };
        let class = match score {
            TrainingScore::Before => "score-before",
            TrainingScore::After => "score-after",
            TrainingScore::Satisfaction => "score-satisfaction",
        };
        view! {
            <td>
                <input type="number" inputmode="numeric" class=class min=min max=max aria-label=label
                    aria-invalid=move || (refused.get() == Some(field)).to_string()
                    prop:value=value
                    on:change=move |ev| apply(Action::SetTrainingScore { id: plan.get_value(), member: this.get_value(), score, value: event_target_value(&ev) }, field) />
            </td>
        }
    };
    let href = app
        .open
        .get_untracked()
        .map(|group| Section::member_href(group, &member));
    let completed_label = t_string!(i18n, training.completed_of_member, name = &name);
    let completed = move || result().completed_at.is_some();
    view! {
        <tr class="participant" data-member=member.to_string() data-completed=move || completed().to_string()>
            <th scope="row"><a href=href>{name.clone()}</a></th>
            <td>{move || state.with(|p| p.as_ref().map_or(0, |p| p.sessions_attended))}</td>
            <td><input type="checkbox" class="completed" aria-label=completed_label prop:checked=completed on:change=complete /></td>
            {score_input(TrainingScore::Before)}
            {score_input(TrainingScore::After)}
            {score_input(TrainingScore::Satisfaction)}
        </tr>
    }
}

/// The trainings a member takes part in, on their page.
#[component]
pub fn MemberTrainings(
    /// The member.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let taken = Memo::new(move |_| {
        app.view.trainings().track();
        app.view.activities().track();
        app.view.with_untracked(|g| {
            member_trainings(g, &id)
                .into_iter()
                .map(|(training, participant)| {
                    (
                        training.id.clone(),
                        training.title.clone(),
                        participant.result,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card member-trainings" aria-labelledby="member-trainings-heading">
            <h2 id="member-trainings-heading">{t!(i18n, training.member_heading)}</h2>
            <Show when=move || !taken.with(Vec::is_empty) fallback=move || view! { <p class="empty">{t!(i18n, training.member_none)}</p> }>
                <ul role="list">
                    {move || taken.get().into_iter().map(|(id, title, result)| {
                        let href = app.open.get().map(|group| training_href(group, &id));
                        let scores = match (result.before, result.after) {
                            (Some(before), Some(after)) => Some(format!(" · {before} → {after}")),
                            (None, Some(after)) => Some(format!(" · {after}")),
                            _ => None,
                        };
                        view! {
                            <li data-completed=result.completed_at.is_some().to_string()>
                                <a href=href>{title}</a>" · "
                                {if result.completed_at.is_some() { t_string!(i18n, training.completed) } else { t_string!(i18n, training.not_completed) }}
                                {scores}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}
