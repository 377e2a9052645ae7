//! The key-user card on a member's page: the decision with its reason, the member's score on
//! each criterion, their position and every move, strategy and planned trainings, needs
//! (with links to feedback and activities), expectations, satisfaction, participation, and
//! a summary to copy into a report or a WeChat message.

use cohort_model::key_users::{
    self, DecisionRole, ExpectationDraft, ExpectationState, GRID, NeedDraft, NeedSource,
    NeedStatus, Priority, SatisfactionScale, StrategyField,
};
use cohort_model::protocol::Failure;
use cohort_model::{
    Action, ContactChannel, ExpectationId, Field, GroupStoreFields, KeyUserAction, MemberId,
    NeedId, PlacingId, ReadingId,
};
use leptos::prelude::*;

use super::key_users::{key_action, send};
use super::member::InlineField;
use super::{day, local_day, moment};
use crate::forms::{EnumSelect, FormAlert, FormError, KeyOf, TextField};
use crate::i18n::{t, t_string, use_i18n};
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// The key-user card on a member's page: the decision, criteria scores, position and its
/// history, strategy, needs, expectations, satisfaction, participation and a summary to copy.
#[component]
pub fn KeyUserCard(
    /// The member.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let member = {
        let id = id.clone();
        Memo::new(move |_| app.view.members().at_key(id.clone()).try_get())
    };
    let is_key = move || member.with(|m| m.as_ref().is_some_and(|m| m.is_key_user()));
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let decide = {
        let id = id.clone();
        move |key: bool| {
            let action = key_action(KeyUserAction::DecideKeyUser {
                member: id.clone(),
                key,
                reason: reason.get_untracked(),
                by: app.display_name.get_untracked(),
                at: now(),
            });
            app.apply_then(action, error, move || reason.set(String::new()));
        }
    };
    let decision = move || {
        member.with(|m| {
            let decision = m.as_ref()?.decision.clone()?;
            Some(if decision.key {
                t_string!(
                    i18n,
                    key_users.is_key,
                    day = day(decision.at),
                    by = decision.by,
                    reason = decision.reason
                )
            } else {
                t_string!(
                    i18n,
                    key_users.no_longer,
                    day = day(decision.at),
                    by = decision.by,
                    reason = decision.reason
                )
            })
        })
    };
    let id = StoredValue::new(id);
    view! {
        <section class="card key-user-card" aria-labelledby="key-user-heading">
            <h2 id="key-user-heading">{t!(i18n, key_users.panel_heading)}</h2>
            <p class="decision">{move || decision().unwrap_or_else(|| t_string!(i18n, key_users.not_key).to_owned())}</p>
            <form class="inline-form decide" on:submit=|ev| ev.prevent_default() novalidate>
                <TextField id="key-reason" field=Field::KeyReason value=reason error />
                <Show when=is_key fallback={
                    let decide = decide.clone();
                    move || { let decide = decide.clone(); view! { <button type="button" class="primary mark-key" on:click=move |_| decide(true)>{t!(i18n, key_users.mark)}</button> } }
                }>
                    {
                        let decide = decide.clone();
                        view! { <button type="button" class="unmark-key" on:click=move |_| decide(false)>{t!(i18n, key_users.unmark)}</button> }
                    }
                </Show>
            </form>
            <FormAlert error />
            <CriterionScores id=id.get_value() />
            <Show when=is_key>
                <Position id=id.get_value() />
                <StrategyFields id=id.get_value() />
                <Needs id=id.get_value() />
                <Expectations id=id.get_value() />
                <Satisfaction id=id.get_value() />
                <Participation id=id.get_value() />
                <CopySummary id=id.get_value() />
            </Show>
        </section>
    }
}

/// The member's score on each criterion, and their weighted score.
#[component]
fn CriterionScores(
    /// The member.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let criteria = Memo::new(move |_| {
        app.view.criteria().with(|all| {
            let mut list: Vec<_> = all
                .values()
                .map(|c| (c.created_at, c.id.clone(), c.name.clone()))
                .collect();
            list.sort();
            list
        })
    });
    let weighted = {
        let id = id.clone();
        move || {
            app.view.criteria().track();
            app.view
                .with_untracked(|g| key_users::weighted_score(g, &id))
                .map(|w| {
                    t_string!(
                        i18n,
                        key_users.weighted_score,
                        score = format!("{:.1}", w.score),
                        scored = w.scored,
                        criteria = w.criteria
                    )
                })
        }
    };
    let id = StoredValue::new(id);
    view! {
        <Show when=move || !criteria.with(Vec::is_empty)>
            <div class="criterion-scores">
                <p class="weighted-score">{weighted.clone()}</p>
                <div class="form-grid">
                    <For each=move || criteria.get() key=|row| row.clone() let:((_, criterion, name))>
                        {
                            let score = {
                                let criterion = criterion.clone();
                                Signal::derive(move || {
                                    app.view.criteria().at_key(criterion.clone())
                                        .try_with(|c| c.scores.get(&id.get_value()).map(u8::to_string))
                                        .flatten()
                                        .unwrap_or_default()
                                })
                            };
                            let dom = format!("score-{criterion}");
                            let action = move |score: String| key_action(KeyUserAction::ScoreCriterion {
                                id: criterion.clone(),
                                member: id.get_value(),
                                score,
                            });
                            view! { <InlineField id=dom label=name field=Field::CriterionScore kind="number" value=score action /> }
                        }
                    </For>
                </div>
                <p class="hint">{t!(i18n, key_users.score_hint)}</p>
            </div>
        </Show>
    }
}

/// Where the key user stands, a form to place them, and every move.
#[component]
fn Position(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let history = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.placings().track();
            app.view.with_untracked(|g| {
                key_users::placings_of(g, &id)
                    .into_iter()
                    .rev()
                    .map(|p| (p.id.clone(), p.influence, p.interest, p.at, p.by.clone()))
                    .collect::<Vec<_>>()
            })
        })
    };
    let current = move || history.with(|h| h.first().map(|(_, i, n, _, _)| (*i, *n)));
    // The latest move by another organizer (concurrent drags keep the later one): said, so
    // that a point that moved by itself is explained.
    let by_someone_else = move || {
        history.with(|h| {
            let (_, _, _, at, by) = h.first()?;
            (!by.is_empty() && *by != app.display_name.get()).then(|| (by.clone(), *at))
        })
    };
    let influence = RwSignal::new(None::<u8>);
    let interest = RwSignal::new(None::<u8>);
    let error = RwSignal::new(None::<FormError>);
    let id = StoredValue::new(id);
    let place = move |_| {
        let (Some(influence), Some(interest)) = (
            influence.get_untracked().or(current().map(|c| c.0)),
            interest.get_untracked().or(current().map(|c| c.1)),
        ) else {
            error.set(Some(
                Failure::Invalid(cohort_model::Invalid::new(
                    Field::Influence,
                    cohort_model::Problem::Empty,
                ))
                .into(),
            ));
            return;
        };
        let Ok(placing) = PlacingId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        send(
            app,
            KeyUserAction::PlaceKeyUser {
                id: placing,
                member: id.get_value(),
                influence,
                interest,
                by: app.display_name.get_untracked(),
                at: now(),
            },
            error,
        );
    };
    let select = move |dom: &'static str,
                       field: Field,
                       value: RwSignal<Option<u8>>,
                       pick: fn((u8, u8)) -> u8| {
        view! {
            <div class="field">
                <label for=dom>{move || words::field(i18n.get_locale(), field)}</label>
                <select id=dom on:change=move |ev| value.set(event_target_value(&ev).parse().ok())>
                    <option value="" selected=move || value.get().or(current().map(pick)).is_none()>"–"</option>
                    {(GRID.0..=GRID.1).map(|v| view! {
                        <option value=v.to_string() selected=move || value.get().or(current().map(pick)) == Some(v)>{v}</option>
                    }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <div class="position">
            <h3>{t!(i18n, key_users.position_heading)}</h3>
            <div class="inline-form">
                {select("ku-influence", Field::Influence, influence, |c| c.0)}
                {select("ku-interest", Field::Interest, interest, |c| c.1)}
                <button type="button" class="place" on:click=place>{t!(i18n, key_users.place)}</button>
            </div>
            <FormAlert error any_field=true />
            {move || by_someone_else().map(|(by, at)| view! {
                <p class="moved-by-other" role="status">{t_string!(i18n, key_users.other_organizer_moved, by = by, day = moment(at))}</p>
            })}
            <Show when=move || !history.with(Vec::is_empty)>
                <h4>{t!(i18n, key_users.history)}</h4>
                <ul class="moves" role="list">
                    <For each=move || history.get() key=|row| row.0.clone() let:((_, influence, interest, at, by))>
                        <li>{t_string!(i18n, key_users.moved, day = moment(at), influence = influence, interest = interest, by = by)}</li>
                    </For>
                </ul>
            </Show>
        </div>
    }
}

/// The key user's strategy: each field shows the quadrant's default until set.
#[component]
fn StrategyFields(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    let member = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view
                .members()
                .at_key(id.clone())
                .try_with(|m| m.strategy.clone())
                .unwrap_or_default()
        })
    };
    let defaults = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.members().track();
            app.view.placings().track();
            app.view.with_untracked(|g| {
                key_users::key_user(g, &id).map(|k| (k.cadence_days, k.decision_role))
            })
        })
    };
    let id = StoredValue::new(id);
    let set = move |field: StrategyField| {
        move |value: String| {
            key_action(KeyUserAction::SetStrategy {
                member: id.get_value(),
                field,
                value,
            })
        }
    };
    let pick = move |field: StrategyField| {
        Callback::new(move |value: Option<&'static str>| {
            send(
                app,
                KeyUserAction::SetStrategy {
                    member: id.get_value(),
                    field,
                    value: value.unwrap_or_default().to_owned(),
                },
                error,
            );
        })
    };
    let role_pick = pick(StrategyField::DecisionRole);
    let channel_pick = pick(StrategyField::Channel);
    view! {
        <div class="strategy">
            <h3>{t!(i18n, key_users.strategy_heading)}</h3>
            <div class="form-grid">
                <InlineField id="ku-cadence" field=Field::Cadence kind="number"
                    label=TextProp::from(move || {
                        let days = defaults.get().map(|d| d.0).unwrap_or_default();
                        format!("{} · {}", words::field(i18n.get_locale(), Field::Cadence), t_string!(i18n, key_users.cadence_days, days = days))
                    })
                    value=Signal::derive(move || member.get().cadence_days.map(|d| d.to_string()).unwrap_or_default())
                    action=set(StrategyField::Cadence) />
                <EnumSelect id="ku-channel" label=TextProp::from(move || words::field(i18n.get_locale(), Field::PreferredChannel))
                    options=&ContactChannel::ALL name=words::contact_channel
                    chosen=Signal::derive(move || member.get().channel)
                    empty=TextProp::from(move || t_string!(i18n, key_users.any_channel))
                    on_pick=Callback::new(move |c: Option<ContactChannel>| channel_pick.run(c.map(ContactChannel::key))) />
                <EnumSelect id="ku-role" label=TextProp::from(move || words::field(i18n.get_locale(), Field::DecisionRole))
                    options=DecisionRole::ALL name=words::decision_role
                    chosen=Signal::derive(move || member.get().decision_role)
                    empty=TextProp::from(move || {
                        let role = defaults.get().map_or(DecisionRole::Informed, |d| d.1);
                        t_string!(i18n, key_users.default_value, value = words::decision_role(i18n.get_locale(), role))
                    })
                    on_pick=Callback::new(move |r: Option<DecisionRole>| role_pick.run(r.map(DecisionRole::key))) />
                <InlineField id="ku-incentives" field=Field::Incentives
                    value=Signal::derive(move || member.get().incentives)
                    action=set(StrategyField::Incentives) />
            </div>
            <PlannedTrainings id=id.get_value() />
            <FormAlert error any_field=true />
        </div>
    }
}

/// The trainings planned for a key user (plans whose audience includes them), and a menu to
/// plan another.
#[component]
fn PlannedTrainings(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    use cohort_model::Invitee;
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    let plans = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.trainings().track();
            app.view.members().track();
            app.view.with_untracked(|g| {
                let taking = cohort_model::training::member_trainings(g, &id);
                let planned: Vec<_> = taking.iter().map(|(t, _)| t.title.clone()).collect();
                let mut others: Vec<_> = g
                    .trainings
                    .values()
                    .filter(|t| !taking.iter().any(|(taken, _)| taken.id == t.id))
                    .map(|t| (t.id.clone(), t.title.clone()))
                    .collect();
                others.sort_by(|a, b| a.1.cmp(&b.1));
                (planned, others)
            })
        })
    };
    let id = StoredValue::new(id);
    let plan = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        let Some(training) = cohort_model::TrainingId::from_key(&chosen) else {
            return;
        };
        let action = Action::SetTrainingAudience {
            id: training,
            invitee: Invitee::Member(id.get_value()),
            included: true,
        };
        app.apply_then(action, error, || ());
    };
    view! {
        <div class="planned-trainings">
            <p>{t!(i18n, key_users.trainings_planned)}": "{move || {
                let planned = plans.with(|p| p.0.clone());
                if planned.is_empty() { "–".to_owned() } else { planned.join(" · ") }
            }}</p>
            <Show when=move || !plans.with(|p| p.1.is_empty())>
                <div class="field">
                    <label for="ku-plan-training">{t!(i18n, key_users.plan_training)}</label>
                    <select id="ku-plan-training" on:change=plan>
                        <option value="" selected>"–"</option>
                        {move || plans.get().1.into_iter().map(|(id, title)| view! { <option value=id.to_string()>{title}</option> }).collect_view()}
                    </select>
                </div>
            </Show>
            <FormAlert error any_field=true />
        </div>
    }
}

/// The key user's needs: each with its status, and a form for a new one.
#[component]
fn Needs(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let needs = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.needs().track();
            app.view.with_untracked(|g| {
                key_users::needs_of(g, &id)
                    .into_iter()
                    .map(|n| n.id.clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    let statement = RwSignal::new(String::new());
    let priority = RwSignal::new(Some(Priority::Should));
    let source = RwSignal::new(Some(NeedSource::Interview));
    let error = RwSignal::new(None::<FormError>);
    let id = StoredValue::new(id);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(need) = NeedId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let action = key_action(KeyUserAction::AddNeed {
            id: need,
            draft: NeedDraft {
                member: Some(id.get_value()),
                statement: statement.get_untracked(),
                priority: priority.get_untracked(),
                source: source.get_untracked(),
                ..NeedDraft::default()
            },
            at: now(),
        });
        app.apply_then(action, error, move || statement.set(String::new()));
    };
    view! {
        <div class="needs">
            <h3>{t!(i18n, key_users.needs_of)}</h3>
            <ul class="need-list" role="list">
                <For each=move || needs.get() key=|id| id.clone() let:need>
                    <NeedItem id=need />
                </For>
            </ul>
            <form class="inline-form new-need" on:submit=add novalidate>
                <TextField id="need-statement" field=Field::Need value=statement error />
                <EnumSelect id="need-priority" label=TextProp::from(move || words::field(i18n.get_locale(), Field::Priority))
                    options=Priority::ALL name=words::priority chosen=priority on_pick=Callback::new(move |p| priority.set(p)) />
                <EnumSelect id="need-source" label=TextProp::from(move || words::field(i18n.get_locale(), Field::NeedSource))
                    options=NeedSource::ALL name=words::need_source chosen=source on_pick=Callback::new(move |s| source.set(s)) />
                <button type="submit">{t!(i18n, key_users.add_need)}</button>
            </form>
            <FormAlert error />
        </div>
    }
}

/// One need: statement, priority, and its status (declining asks for the reason).
#[component]
fn NeedItem(
    /// The need.
    id: NeedId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let need = {
        let id = id.clone();
        Memo::new(move |_| app.view.needs().at_key(id.clone()).try_get())
    };
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let id = StoredValue::new(id);
    let on_status = Callback::new(move |status: Option<NeedStatus>| {
        if let Some(status) = status {
            send(
                app,
                KeyUserAction::SetNeedStatus {
                    id: id.get_value(),
                    status,
                    reason: reason.get_untracked(),
                    at: now(),
                },
                error,
            );
        }
    });
    let dom = move |what: &str| format!("need-{what}-{}", id.get_value());
    view! {
        {move || need.get().map(|n| view! {
            <li class=format!("need {}", n.status.key())>
                <p>
                    <span class="statement">{n.statement.clone()}</span>" · "
                    <span class=format!("priority {}", n.priority.key())>{move || words::priority(i18n.get_locale(), n.priority)}</span>" · "
                    <span class="muted">{move || words::need_source(i18n.get_locale(), n.source)}</span>
                    {(!n.reason.is_empty()).then(|| view! { " · "<span class="reason">{n.reason.clone()}</span> })}
                </p>
                <NeedLinks id=id.get_value() member=n.member.clone() />
                <div class="inline-form">
                    <EnumSelect id=dom("status") label=TextProp::from(move || words::field(i18n.get_locale(), Field::Status))
                        options=NeedStatus::ALL name=words::need_status chosen=Signal::derive(move || need.get().map(|n| n.status)) on_pick=on_status />
                    {note_input(dom("reason"), move || words::field(i18n.get_locale(), Field::DeclineReason), reason)}
                </div>
                <FormAlert error any_field=true />
            </li>
        })}
    }
}

/// What a need is linked to (feedback items, activities), each with a button to unlink, and a
/// menu to link the member's feedback or an activity.
#[component]
fn NeedLinks(
    /// The need.
    id: NeedId,
    /// Whose need it is.
    member: MemberId,
) -> impl IntoView {
    use cohort_model::key_users::NeedLink;
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    // Linked, then linkable: (link, label) each.
    let links = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.needs().track();
            app.view.feedback().track();
            app.view.activities().track();
            app.view.with_untracked(|g| {
                let Some(need) = g.needs.get(&id) else {
                    return (Vec::new(), Vec::new());
                };
                let feedback_label = |f: &cohort_model::Feedback| {
                    let text: String = f.text.chars().take(40).collect();
                    format!("“{text}”")
                };
                let linked: Vec<(NeedLink, String)> = need
                    .feedback
                    .iter()
                    .filter_map(|f| {
                        Some((
                            NeedLink::Feedback(f.clone()),
                            feedback_label(g.feedback.get(f)?),
                        ))
                    })
                    .chain(need.activities.iter().filter_map(|a| {
                        Some((
                            NeedLink::Activity(a.clone()),
                            g.activities.get(a)?.title.clone(),
                        ))
                    }))
                    .collect();
                let mut activities: Vec<_> = g
                    .activities
                    .values()
                    .filter(|a| !need.activities.contains(&a.id))
                    .collect();
                activities.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
                let linkable = g
                    .feedback
                    .values()
                    .filter(|f| {
                        f.member.as_ref() == Some(&member) && !need.feedback.contains(&f.id)
                    })
                    .map(|f| (NeedLink::Feedback(f.id.clone()), feedback_label(f)))
                    .chain(activities.into_iter().take(30).map(|a| {
                        (
                            NeedLink::Activity(a.id.clone()),
                            format!("{} · {}", a.title, day(a.starts_at)),
                        )
                    }))
                    .collect();
                (linked, linkable)
            })
        })
    };
    let id = StoredValue::new(id);
    let link = move |link: NeedLink, included: bool| {
        send(
            app,
            KeyUserAction::LinkNeed {
                id: id.get_value(),
                link,
                included,
            },
            error,
        );
    };
    let key = |link: &NeedLink| match link {
        NeedLink::Feedback(f) => format!("f:{f}"),
        NeedLink::Activity(a) => format!("a:{a}"),
    };
    let dom = move || format!("need-link-{}", id.get_value());
    view! {
        <div class="need-links">
            <ul class="chips" role="list">
                <For each=move || links.get().0 key=move |(l, label)| (key(l), label.clone()) let:((linked, label))>
                    <li class="chip">
                        {label.clone()}
                        <button type="button" class="link" aria-label=move || t_string!(i18n, key_users.unlink, what = label.clone())
                            on:click=move |_| link(linked.clone(), false)>"×"</button>
                    </li>
                </For>
            </ul>
            <Show when=move || !links.with(|l| l.1.is_empty())>
                <div class="field">
                    <label for=dom()>{t!(i18n, key_users.link)}</label>
                    <select id=dom() on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        if let Some((picked, _)) = links.with_untracked(|l| l.1.iter().find(|(l, _)| key(l) == chosen).cloned()) {
                            link(picked, true);
                        }
                    }>
                        <option value="" selected>"–"</option>
                        {move || links.get().1.into_iter().map(|(l, label)| view! { <option value=key(&l)>{label}</option> }).collect_view()}
                    </select>
                </div>
            </Show>
            <FormAlert error any_field=true />
        </div>
    }
}

/// A labelled text input with an id made at run time (one per record in a list).
fn note_input(
    id: String,
    label: impl Fn() -> &'static str + Send + Sync + 'static,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="text" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        </div>
    }
}

/// The key user's expectations: each with agreement and state (declining or missing asks for
/// what they were told), and a form for a new one.
#[component]
fn Expectations(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let expectations = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.expectations().track();
            app.view.with_untracked(|g| {
                key_users::expectations_of(g, &id)
                    .into_iter()
                    .map(|e| e.id.clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    let text = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let id = StoredValue::new(id);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(expectation) = ExpectationId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let action = key_action(KeyUserAction::AddExpectation {
            id: expectation,
            draft: ExpectationDraft {
                member: Some(id.get_value()),
                text: text.get_untracked(),
                due: due.get_untracked(),
                agreed: None,
            },
            at: now(),
        });
        app.apply_then(action, error, move || {
            text.set(String::new());
            due.set(String::new());
        });
    };
    view! {
        <div class="expectations">
            <h3>{t!(i18n, key_users.expectations_of)}</h3>
            <ul class="expectation-list" role="list">
                <For each=move || expectations.get() key=|id| id.clone() let:expectation>
                    <ExpectationItem id=expectation />
                </For>
            </ul>
            <form class="inline-form new-expectation" on:submit=add novalidate>
                <TextField id="expectation-text" field=Field::Expectation value=text error />
                <TextField id="expectation-due" field=Field::Due kind="date" value=due error />
                <button type="submit">{t!(i18n, key_users.add_expectation)}</button>
            </form>
            <FormAlert error />
        </div>
    }
}

/// Agreement with an expectation, as a menu.
#[derive(Clone, Copy, PartialEq)]
enum Agreement {
    Undecided,
    Agreed,
    Declined,
}

impl KeyOf for Agreement {
    fn key_of(self) -> &'static str {
        match self {
            Self::Undecided => "undecided",
            Self::Agreed => "agreed",
            Self::Declined => "declined",
        }
    }
}

fn agreement_name(locale: crate::i18n::Locale, agreement: Agreement) -> &'static str {
    use crate::i18n::td_string;
    match agreement {
        Agreement::Undecided => td_string!(locale, key_users.undecided),
        Agreement::Agreed => td_string!(locale, key_users.agreed),
        Agreement::Declined => td_string!(locale, key_users.declined),
    }
}

/// One expectation.
#[component]
fn ExpectationItem(
    /// The expectation.
    id: ExpectationId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let expectation = {
        let id = id.clone();
        Memo::new(move |_| app.view.expectations().at_key(id.clone()).try_get())
    };
    let explanation = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let id = StoredValue::new(id);
    let on_state = Callback::new(move |state: Option<ExpectationState>| {
        if let Some(state) = state {
            send(
                app,
                KeyUserAction::SetExpectationState {
                    id: id.get_value(),
                    state,
                    explanation: explanation.get_untracked(),
                },
                error,
            );
        }
    });
    let on_agreement = Callback::new(move |agreement: Option<Agreement>| {
        let agreed = match agreement {
            Some(Agreement::Agreed) => Some(true),
            Some(Agreement::Declined) => Some(false),
            _ => None,
        };
        send(
            app,
            KeyUserAction::SetExpectationAgreed {
                id: id.get_value(),
                agreed,
                explanation: explanation.get_untracked(),
            },
            error,
        );
    });
    let dom = move |what: &str| format!("expectation-{what}-{}", id.get_value());
    view! {
        {move || expectation.get().map(|e| view! {
            <li class=format!("expectation {}", e.state.key())>
                <p>
                    <span class="text">{e.text.clone()}</span>
                    {(!e.due.is_empty()).then(|| view! { " · "<span class="muted">{t_string!(i18n, key_users.due_by, day = super::calendar_day(&e.due))}</span> })}
                    {(!e.explanation.is_empty()).then(|| view! { " · "<span class="explanation">{e.explanation.clone()}</span> })}
                </p>
                <div class="inline-form">
                    <EnumSelect id=dom("agreed") label=TextProp::from(move || t_string!(i18n, key_users.agreed))
                        options=&[Agreement::Undecided, Agreement::Agreed, Agreement::Declined] name=agreement_name
                        chosen=Signal::derive(move || expectation.get().map(|e| match e.agreed {
                            Some(true) => Agreement::Agreed,
                            Some(false) => Agreement::Declined,
                            None => Agreement::Undecided,
                        }))
                        on_pick=on_agreement />
                    <EnumSelect id=dom("state") label=TextProp::from(move || words::field(i18n.get_locale(), Field::Status))
                        options=ExpectationState::ALL name=words::expectation_state
                        chosen=Signal::derive(move || expectation.get().map(|e| e.state)) on_pick=on_state />
                    {note_input(dom("explanation"), move || words::field(i18n.get_locale(), Field::Explanation), explanation)}
                </div>
                <FormAlert error any_field=true />
            </li>
        })}
    }
}

/// Satisfaction readings, newest first, with a form for a new one.
#[component]
fn Satisfaction(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let readings = {
        let id = id.clone();
        Memo::new(move |_| {
            app.view.readings().track();
            app.view.with_untracked(|g| {
                let readings = key_users::readings_of(g, &id);
                let trend = key_users::satisfaction_trend(&readings);
                let list = readings
                    .into_iter()
                    .rev()
                    .map(|r| (r.id.clone(), r.value, r.scale, r.source.clone(), r.at))
                    .collect::<Vec<_>>();
                (list, trend)
            })
        })
    };
    let value = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let scale = RwSignal::new(Some(SatisfactionScale::OneToFive));
    let error = RwSignal::new(None::<FormError>);
    let id = StoredValue::new(id);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(reading) = ReadingId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let action = key_action(KeyUserAction::RecordSatisfaction {
            id: reading,
            member: id.get_value(),
            value: value.get_untracked(),
            scale: scale
                .get_untracked()
                .unwrap_or(SatisfactionScale::OneToFive),
            source: source.get_untracked(),
            at: now(),
        });
        app.apply_then(action, error, move || value.set(String::new()));
    };
    let scale_name = |_: crate::i18n::Locale, scale: SatisfactionScale| scale.key();
    view! {
        <div class="satisfaction">
            <h3>{t!(i18n, key_users.satisfaction_of)}</h3>
            {move || readings.with(|(_, trend)| trend.latest.map(|latest| {
                let change = trend.change.map(|c| format!(" ({c:+.0})")).unwrap_or_default();
                view! { <p class="trend"><strong>{format!("{latest:.0}/100")}</strong>{change}</p> }
            }))}
            <ul class="readings" role="list">
                <For each=move || readings.get().0 key=|row| row.0.clone() let:((_, value, scale, source, at))>
                    <li>{t_string!(i18n, key_users.reading_line, day = day(at), value = value, scale = scale.key(), source = source)}</li>
                </For>
            </ul>
            <form class="inline-form new-reading" on:submit=add novalidate>
                <TextField id="reading-value" field=Field::Reading kind="number" value error />
                <EnumSelect id="reading-scale" label=TextProp::from(move || t_string!(i18n, key_users.scale))
                    options=SatisfactionScale::ALL name=scale_name chosen=scale on_pick=Callback::new(move |s| scale.set(s)) />
                <TextField id="reading-source" field=Field::Source value=source error />
                <button type="submit">{t!(i18n, key_users.record_reading)}</button>
            </form>
            <FormAlert error />
        </div>
    }
}

/// The key user's participation in user tests, reviews, interviews and trainings: the rate,
/// and each such activity with where they stood.
#[component]
fn Participation(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let part = Memo::new(move |_| {
        app.view.activities().track();
        app.view.members().track();
        let at = now();
        app.view.with_untracked(|g| {
            let by_member = key_users::participation(g, &[&id], at);
            let Some(p) = by_member.get(&id) else {
                return (0, 0, Vec::new());
            };
            let history = p
                .history
                .iter()
                .filter_map(|(activity, standing)| {
                    let a = g.activities.get(activity)?;
                    Some((
                        a.id.clone(),
                        a.title.clone(),
                        a.kind,
                        a.starts_at,
                        *standing,
                    ))
                })
                .collect::<Vec<_>>();
            (p.attended, p.counted, history)
        })
    });
    view! {
        <div class="participation">
            <h3>{t!(i18n, key_users.participation)}</h3>
            <p>{move || {
                let (attended, counted, _) = part.get();
                if counted == 0 {
                    t_string!(i18n, key_users.participation_none).to_owned()
                } else {
                    t_string!(i18n, key_users.participation_line, attended = attended, counted = counted)
                }
            }}</p>
            <ul class="participation-list" role="list">
                <For each=move || part.get().2 key=|row| row.clone() let:((_, title, kind, at, standing))>
                    <li>
                        {title}" · "<span class="muted">{move || words::activity_kind(i18n.get_locale(), kind)}", "{day(at)}</span>" · "
                        <span class=format!("standing {}", standing.key())>{move || words::standing(i18n.get_locale(), standing)}</span>
                    </li>
                </For>
            </ul>
        </div>
    }
}

/// A button that copies the key user's summary, in the chosen language, for a report or a
/// WeChat message.
#[component]
fn CopySummary(
    /// The key user.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let copied = RwSignal::new(false);
    let summary = move || {
        let today = local_day(now());
        app.view.with_untracked(|g| {
            let key_user = key_users::key_user(g, &id)?;
            let mut lines = vec![t_string!(
                i18n,
                key_users.summary_title,
                name = key_user.member.name.clone()
            )];
            if let Some(p) = key_user.position {
                lines.push(t_string!(
                    i18n,
                    key_users.summary_position,
                    quadrant = words::quadrant(i18n.get_locale(), p.quadrant()),
                    influence = p.influence,
                    interest = p.interest,
                    days = key_user.cadence_days,
                    role = words::decision_role(i18n.get_locale(), key_user.decision_role)
                ));
            }
            let open_needs = key_users::needs_of(g, &id)
                .iter()
                .filter(|n| n.is_open())
                .count();
            lines.push(t_string!(i18n, key_users.summary_needs, count = open_needs));
            for need in key_users::needs_of(g, &id).iter().filter(|n| n.is_open()) {
                lines.push(format!(
                    "- {} ({})",
                    need.statement,
                    words::priority(i18n.get_locale(), need.priority)
                ));
            }
            let open = key_users::expectations_of(g, &id);
            let open: Vec<_> = open.iter().filter(|e| e.is_open()).collect();
            lines.push(t_string!(
                i18n,
                key_users.summary_expectations,
                count = open.len()
            ));
            for expectation in open {
                let risk = if expectation.is_at_risk(&today) {
                    format!(
                        " ({})",
                        words::expectation_state(i18n.get_locale(), ExpectationState::AtRisk)
                    )
                } else {
                    String::new()
                };
                lines.push(format!("- {}{risk}", expectation.text));
            }
            if let Some(latest) =
                key_users::satisfaction_trend(&key_users::readings_of(g, &id)).latest
            {
                lines.push(t_string!(
                    i18n,
                    key_users.summary_satisfaction,
                    value = format!("{latest:.0}")
                ));
            }
            Some(lines.join("\n"))
        })
    };
    let copy = move |_| {
        if let Some(text) = summary() {
            let copy = super::copy_to_clipboard(&text);
            leptos::task::spawn_local(async move { copied.set(copy.await) });
        }
    };
    view! {
        <p class="copy-summary">
            <button type="button" class="copy" on:click=copy>{t!(i18n, key_users.copy_summary)}</button>" "
            <span role="status">{move || copied.get().then(|| t_string!(i18n, key_users.copied))}</span>
        </p>
    }
}
