//! Duties of an activity as a RACI chart (who is responsible, accountable, consulted,
//! informed), and a member's upcoming duties on their page.

use cohort_model::GroupStoreFields;
use cohort_model::activity::upcoming_duties;
use cohort_model::{Action, ActivityId, DutyId, Field, MemberId, Raci};
use leptos::prelude::*;

use super::day;
use crate::forms::{FormAlert, FormError, MemberPicker, TextField};
use crate::i18n::{t, t_string, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// The duties of an activity: each with its people by part, a way to give someone a part,
/// and a form for a new duty.
#[component]
pub fn DutiesSection(
    /// The activity whose duties these are.
    activity: ActivityId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let duties = {
        let activity = activity.clone();
        Memo::new(move |_| {
            app.view
                .activities()
                .at_key(activity.clone())
                .try_with(|a| {
                    let mut duties: Vec<_> = a
                        .duties
                        .values()
                        .map(|d| (d.title.clone(), d.id.clone()))
                        .collect();
                    duties.sort();
                    duties.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let title = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let add = {
        let activity = activity.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Ok(id) = DutyId::random() else {
                error.set(Some(Notice::NoRandom.into()));
                return;
            };
            let action = Action::AddDuty {
                activity: activity.clone(),
                id,
                title: title.get_untracked(),
            };
            app.apply_then(action, error, move || title.set(String::new()));
        }
    };
    let activity = StoredValue::new(activity);
    view! {
        <section class="card duties" aria-labelledby="duties-heading">
            <h2 id="duties-heading">{t!(i18n, duties.heading)}</h2>
            <p class="hint">{t!(i18n, duties.hint)}</p>
            <Show when=move || !duties.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{t!(i18n, duties.none)}</p> }>
                <ul class="duty-list" role="list">
                    <For each=move || duties.get() key=|id| id.clone() let:id>
                        <DutyItem activity=activity.get_value() id />
                    </For>
                </ul>
            </Show>
            <form class="inline-form new-duty" on:submit=add novalidate>
                <TextField id="duty-title" field=Field::Duty label=TextProp::from(move || t_string!(i18n, duties.new_label)) value=title error />
                <button type="submit">{t!(i18n, duties.add)}</button>
            </form>
            <FormAlert error />
        </section>
    }
}

/// One duty: its title, everyone with a part in it, and a picker to give someone a part.
#[component]
fn DutyItem(
    /// The activity.
    activity: ActivityId,
    /// The duty shown.
    id: DutyId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let duty = {
        let (activity, id) = (activity.clone(), id.clone());
        Memo::new(move |_| {
            app.view
                .activities()
                .at_key(activity.clone())
                .try_with(|a| a.duties.get(&id).cloned())
                .flatten()
        })
    };
    let picked = RwSignal::new(None::<MemberId>);
    let part = RwSignal::new(Raci::Responsible);
    let error = RwSignal::new(None::<FormError>);
    let apply = move |action: Action| app.apply_then(action, error, || ());
    let (activity, id) = (StoredValue::new(activity), StoredValue::new(id));
    let assign = move |member: MemberId, part: Option<Raci>| {
        apply(Action::AssignDuty {
            activity: activity.get_value(),
            id: id.get_value(),
            member,
            part,
        });
    };
    let give = move |_| {
        if let Some(member) = picked.get_untracked() {
            assign(member, Some(part.get_untracked()));
            picked.set(None);
        }
    };
    let remove = move |_| {
        apply(Action::RemoveDuty {
            activity: activity.get_value(),
            id: id.get_value(),
        });
    };
    let locale = move || i18n.get_locale();
    let picker_id = format!("duty-{}-member", id.get_value());
    view! {
        <li class="duty" data-duty=id.get_value().to_string()>
            {move || duty.get().map(|duty| {
                let people = Raci::ALL.map(|raci| {
                    let holders: Vec<_> = duty.assignments.iter()
                        .filter(|(_, p)| **p == raci)
                        .map(|(member, _)| member.clone())
                        .collect();
                    (!holders.is_empty()).then(|| view! {
                        <p class="raci" data-part=raci.key()>
                            <span class="raci-part">{words::raci(locale(), raci)}": "</span>
                            {holders.into_iter().map(|member| {
                                let name = app.member_name(&member)
                                    .unwrap_or_else(|| t_string!(i18n, activities.former_member).to_owned());
                                let label = t_string!(i18n, common.remove_chip, name = &name);
                                view! {
                                    <span class="chip">{name}
                                        <button type="button" class="chip-remove" aria-label=label
                                            on:click=move |_| assign(member.clone(), None)>"×"</button>
                                    </span>
                                }
                            }).collect_view()}
                        </p>
                    })
                });
                view! { <h3>{duty.title.clone()}</h3>{people.into_iter().collect_view()} }
            })}
            <div class="inline-form assign-duty">
                <MemberPicker id=picker_id label=TextProp::from(move || t_string!(i18n, duties.person)) chosen=picked />
                <div class="field">
                    <label for=format!("duty-{}-part", id.get_value())>{t!(i18n, duties.part)}</label>
                    <select id=format!("duty-{}-part", id.get_value()) class="duty-part"
                        on:change=move |ev| part.set(Raci::from_key(&event_target_value(&ev)).unwrap_or(Raci::Responsible))>
                        {Raci::ALL.map(|raci| view! { <option value=raci.key()>{move || words::raci(locale(), raci)}</option> })}
                    </select>
                </div>
                <button type="button" class="give-part" on:click=give disabled=move || picked.with(Option::is_none)>{t!(i18n, duties.give)}</button>
                <button type="button" class="danger remove-duty" on:click=remove>{t!(i18n, duties.remove)}</button>
            </div>
            <FormAlert error any_field=true />
        </li>
    }
}

/// A member's duties at activities that have not ended, on their page.
#[component]
pub fn UpcomingDuties(
    /// The member.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let duties = Memo::new(move |_| {
        app.view.activities().track();
        app.view.with_untracked(|g| {
            upcoming_duties(g, &id, now())
                .into_iter()
                .map(|d| {
                    (
                        d.activity.id.clone(),
                        d.activity.title.clone(),
                        d.activity.starts_at,
                        d.duty.title.clone(),
                        d.part,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card upcoming-duties" aria-labelledby="upcoming-duties-heading">
            <h2 id="upcoming-duties-heading">{t!(i18n, duties.upcoming)}</h2>
            <Show when=move || !duties.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{t!(i18n, duties.none_upcoming)}</p> }>
                <ul role="list">
                    {move || duties.get().into_iter().map(|(activity, title, at, duty, part)| {
                        let href = app.open.get().map(|group| format!("{}/{activity}", Section::Activities.href(group)));
                        view! {
                            <li data-part=part.key()>
                                <a href=href>{title}</a>" · "<time>{day(at)}</time>" · "{duty}" · "
                                <span class="raci-part">{words::raci(i18n.get_locale(), part)}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}
