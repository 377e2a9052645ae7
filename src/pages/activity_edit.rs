//! Changing an activity after it is made: its words, kind, time, organizer and who is invited.
//! Each change is saved as the organizer makes it, as on a member's page.

use std::collections::BTreeSet;

use cohort_model::GroupStoreFields;
use cohort_model::{
    Action, ActivityField, ActivityId, ActivityKind, Field, Invitee, MemberId, Millis, RoleId,
};
use leptos::prelude::*;

use super::activities::local_moment;
use super::local_day;
use super::member::InlineField;
use crate::forms::{FormAlert, FormError, MemberPicker};
use crate::i18n::{t, t_string, use_i18n};
use crate::state::use_app;
use crate::words;

/// A time of day, `HH:MM`, in the organizer's time zone.
fn local_time(at: Millis) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// The "Edit details" part of an activity's page.
#[component]
pub fn ActivityEdit(
    /// The activity changed.
    activity: ActivityId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let id = StoredValue::new(activity);
    let current = Memo::new(move |_| app.view.activities().at_key(id.get_value()).try_get());
    // Each part a memo of its own: a check-in changes the activity, and must not redraw the
    // fields or the 300 invitation chips of this (usually closed) part.
    let read = move |pick: fn(&cohort_model::Activity) -> String| {
        Signal::from(Memo::new(move |_| {
            current.with(|a| a.as_ref().map(pick).unwrap_or_default())
        }))
    };
    let set = move |field: ActivityField| {
        move |value: String| Action::SetActivity {
            id: id.get_value(),
            field,
            value,
        }
    };
    let error = RwSignal::new(None::<FormError>);
    let apply = move |action: Action| app.apply_then(action, error, || ());
    // The day and times as typed; saved together once all three read as a moment.
    let day = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    if let Some(a) = current.get_untracked() {
        day.set(local_day(a.starts_at));
        start.set(local_time(a.starts_at));
        end.set(local_time(a.ends_at));
    }
    let save_time = move |_| {
        let day = day.get_untracked();
        apply(Action::SetActivityTime {
            id: id.get_value(),
            starts_at: local_moment(&day, &start.get_untracked()).unwrap_or_default(),
            ends_at: local_moment(&day, &end.get_untracked()).unwrap_or_default(),
        });
    };
    let organizer = RwSignal::new(current.get_untracked().and_then(|a| a.organizer));
    let pick_organizer = Callback::new(move |member: MemberId| {
        organizer.set(Some(member.clone()));
        apply(Action::SetActivityOrganizer {
            id: id.get_value(),
            organizer: Some(member),
        });
    });
    let invited = Memo::new(move |_| {
        current.with(|a| a.as_ref().map(|a| a.invited.clone()).unwrap_or_default())
    });
    let uninvite = Callback::new(move |invitee: Invitee| {
        apply(Action::Uninvite {
            id: id.get_value(),
            invitee,
        });
    });
    let invite_member = Callback::new(move |member: MemberId| {
        apply(Action::Invite {
            id: id.get_value(),
            invitee: Invitee::Member(member),
        });
    });
    let picked = RwSignal::new(None::<MemberId>);
    let invite_group = Callback::new(move |invitee: Invitee| {
        apply(Action::Invite {
            id: id.get_value(),
            invitee,
        });
    });
    let locale = move || i18n.get_locale();
    view! {
        <details class="card activity-edit">
            <summary>{t!(i18n, activities.edit)}</summary>
            <div class="form-grid">
                <InlineField id="activity-edit-title" field=Field::ActivityTitle value=read(|a| a.title.clone()) action=set(ActivityField::Title) />
                <div class="field">
                    <label for="activity-edit-kind">{t!(i18n, activities.kind)}</label>
                    <select id="activity-edit-kind" on:change=move |ev| apply(Action::SetActivityKind { id: id.get_value(), kind: ActivityKind::from_key(&event_target_value(&ev)) })>
                        {ActivityKind::ALL.map(|k| view! {
                            <option value=k.key() selected=move || current.with(|a| a.as_ref().is_some_and(|a| a.kind == k))>{move || words::activity_kind(locale(), k)}</option>
                        })}
                    </select>
                </div>
                <InlineField id="activity-edit-place" field=Field::Place value=read(|a| a.place.clone()) action=set(ActivityField::Place) />
                <InlineField id="activity-edit-link" field=Field::Link kind="url" value=read(|a| a.link.clone()) action=set(ActivityField::Link) />
            </div>
            <div class="form-grid activity-edit-time">
                <div class="field">
                    <label for="activity-edit-day">{t!(i18n, activities.day)}</label>
                    <input id="activity-edit-day" type="date" prop:value=move || day.get() on:change=move |ev| { day.set(event_target_value(&ev)); save_time(()); } />
                </div>
                <div class="field">
                    <label for="activity-edit-start">{t!(i18n, activities.start_time)}</label>
                    <input id="activity-edit-start" type="time" prop:value=move || start.get() on:change=move |ev| { start.set(event_target_value(&ev)); save_time(()); } />
                </div>
                <div class="field">
                    <label for="activity-edit-end">{t!(i18n, activities.end_time)}</label>
                    <input id="activity-edit-end" type="time" prop:value=move || end.get() on:change=move |ev| { end.set(event_target_value(&ev)); save_time(()); } />
                </div>
            </div>
            <MemberPicker id="activity-edit-organizer" label=TextProp::from(move || words::field(locale(), Field::Organizer))
                chosen=organizer on_pick=pick_organizer />
            <InlineField id="activity-edit-description" field=Field::Description multiline=true value=read(|a| a.description.clone()) action=set(ActivityField::Description) />
            <h3>{t!(i18n, activities.invited)}</h3>
            <InvitationChips invited on_remove=uninvite />
            <div class="form-grid">
                <MemberPicker id="activity-edit-invite" label=TextProp::from(move || t_string!(i18n, activities.invite_member)) chosen=picked on_pick=invite_member />
                <GroupPicker id="activity-edit-invite-group" on_pick=invite_group />
            </div>
            <FormAlert error any_field=true />
        </details>
    }
}

/// Whom an activity or training is for, as chips: members by name, roles by name, tags with
/// `#`, each with a button that takes it off.
#[component]
pub fn InvitationChips(
    /// The invitations.
    #[prop(into)]
    invited: Signal<BTreeSet<Invitee>>,
    /// Takes an invitation off.
    on_remove: Callback<Invitee>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let chips = move || {
        invited.with(|invited| {
            app.view.with_untracked(|g| {
                invited
                    .iter()
                    .map(|invitee| {
                        let name = match invitee {
                            Invitee::Member(m) => g.members.get(m).map(|m| m.name.clone()),
                            Invitee::Role(r) => g.roles.get(r).map(|r| r.name.clone()),
                            Invitee::Tag(tag) => Some(format!("#{tag}")),
                        };
                        let name = name.unwrap_or_else(|| {
                            t_string!(i18n, activities.former_member).to_owned()
                        });
                        (invitee.clone(), name)
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    view! {
        <ul class="chips invitations" role="list">
            {move || chips().into_iter().map(|(invitee, name)| {
                let label = t_string!(i18n, common.remove_chip, name = &name);
                view! {
                    <li class="chip">{name}
                        <button type="button" class="chip-remove" aria-label=label
                            on:click=move |_| on_remove.run(invitee.clone())>"×"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// A menu of the group's roles and tags: picking one hands it on as an invitation of
/// everyone holding the role or having the tag, and the menu is free for the next.
#[component]
pub fn GroupPicker(
    /// The DOM id of the menu, unique on the page.
    id: &'static str,
    /// Takes the role or tag picked.
    on_pick: Callback<Invitee>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let pick = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let invitee = match value.split_once(':') {
            Some(("role", role)) => RoleId::from_key(role).map(Invitee::Role),
            Some(("tag", tag)) => Some(Invitee::Tag(tag.to_owned())),
            _ => None,
        };
        if let Some(invitee) = invitee {
            on_pick.run(invitee);
        }
        let menu: web_sys::HtmlSelectElement = event_target(&ev);
        menu.set_value("");
    };
    view! {
        <div class="field">
            <label for=id>{t!(i18n, activities.invite_group)}</label>
            <select id=id class="group-picker" on:change=pick>
                <option value="">{t!(i18n, activities.nobody)}</option>
                {move || app.role_choices().into_iter().map(|(id, name)| view! { <option value=format!("role:{id}")>{name}</option> }).collect_view()}
                {move || app.tags().into_iter().map(|tag| view! { <option value=format!("tag:{tag}")>{format!("#{tag}")}</option> }).collect_view()}
            </select>
        </div>
    }
}
