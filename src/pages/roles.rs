//! Roles: name, responsibilities, holders; members without a role and roles without a holder
//! are flagged.

use cohort_model::GroupStoreFields;
use cohort_model::{Action, Field, MemberId, RoleDraft, RoleField, RoleId};
use leptos::prelude::*;

use super::member::InlineField;
use super::{WhenShown, use_page_title};
use crate::forms::{FormAlert, FormError, MemberPicker, TextField, notice_text};
use crate::i18n::{t, t_string, use_i18n};
use crate::sections::Section;
use crate::state::use_app;

/// How many members without a role are listed by name.
const UNASSIGNED_LISTED: usize = 20;

/// The roles of the open group.
#[component]
pub fn RolesPage() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.roles).to_owned());
    let app = use_app();
    let role_ids = Memo::new(move |_| {
        app.view.roles().with(|roles| {
            let mut roles: Vec<_> = roles
                .values()
                .map(|r| (cohort_model::pinyin::sort_key(&r.name), r.id.clone()))
                .collect();
            roles.sort();
            roles.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        })
    });
    let unassigned = Memo::new(move |_| {
        app.view.roles().track();
        app.member_changes.track();
        app.view.with_untracked(|g| {
            g.members_without_role()
                .into_iter()
                .map(|m| (m.id.clone(), m.name.clone()))
                .collect::<Vec<_>>()
        })
    });
    let without_holder = move || {
        app.view.roles().track();
        app.view.with_untracked(|g| g.roles_without_holder().len())
    };
    view! {
        <WhenShown>
        <article class="roles">
            <header class="page-header"><h1>{t!(i18n, section.roles)}</h1></header>
            <section class="card flags" aria-labelledby="gaps-heading">
                <h2 id="gaps-heading">{t!(i18n, roles.gaps)}</h2>
                <p class="flag" data-flag="roles-without-holder">{move || {
                    let n = without_holder();
                    if n == 0 {
                        t_string!(i18n, roles.all_held).to_owned()
                    } else {
                        super::count!(i18n, roles.without_holder, n)
                    }
                }}</p>
                <p class="flag" data-flag="members-without-role">{move || {
                    let n = unassigned.with(Vec::len);
                    if n == 0 {
                        t_string!(i18n, roles.all_hold_roles).to_owned()
                    } else {
                        super::count!(i18n, roles.without_role, n)
                    }
                }}</p>
                <ul class="chips" role="list">
                    {move || unassigned.get().into_iter().take(UNASSIGNED_LISTED).map(|(id, name)| view! {
                        <li class="chip"><a href=app.open.get().map(|group| Section::member_href(group, &id))>{name}</a></li>
                    }).collect_view()}
                </ul>
            </section>
            <AddRole />
            <For each=move || role_ids.get() key=|id| id.clone() let:id>
                <RoleCard id />
            </For>
        </article>
        </WhenShown>
    }
}

/// One role; reads its role by id.
#[component]
fn RoleCard(
    /// The role shown.
    id: RoleId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let role = {
        let id = id.clone();
        Memo::new(move |_| app.view.roles().at_key(id.clone()).try_get())
    };
    let holders = Memo::new(move |_| {
        role.with(|r| {
            r.as_ref()
                .map(|r| r.holders.iter().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let name_of = move |member: &MemberId| app.member_name(member).unwrap_or_default();
    let chosen = RwSignal::new(None::<MemberId>);
    let error = RwSignal::new(None::<cohort_model::protocol::Failure>);
    let message = notice_text(error);
    let send = move |action: Action| {
        app.apply_then(action, error, move || chosen.set(None));
    };
    let assign = {
        let id = id.clone();
        move |_| {
            if let Some(member) = chosen.get_untracked() {
                send(Action::AssignRole {
                    role: id.clone(),
                    member,
                });
            }
        }
    };
    let remove = {
        let id = id.clone();
        move |_| send(Action::RemoveRole { id: id.clone() })
    };
    // Field ids unique per role card on the page.
    let (name_id, text_id, picker_id) = (
        format!("role-{id}-name"),
        format!("role-{id}-resp"),
        format!("role-{id}-holder"),
    );
    let name = Signal::derive(move || {
        role.with(|r| r.as_ref().map(|r| r.name.clone()).unwrap_or_default())
    });
    let responsibilities = Signal::derive(move || {
        role.with(|r| {
            r.as_ref()
                .map(|r| r.responsibilities.clone())
                .unwrap_or_default()
        })
    });
    let set_name = {
        let id = id.clone();
        move |value| Action::SetRole {
            id: id.clone(),
            field: RoleField::Name,
            value,
        }
    };
    let set_text = {
        let id = id.clone();
        move |value| Action::SetRole {
            id: id.clone(),
            field: RoleField::Responsibilities,
            value,
        }
    };
    let role_key = id.to_string();
    view! {
        <section class="card role" data-role=role_key aria-label=move || name.get()>
            <header class="role-header">
                <h2>{move || name.get()}</h2>
                <Show when=move || holders.with(Vec::is_empty)>
                    <span class="badge warn">{t!(i18n, roles.no_holder)}</span>
                </Show>
            </header>
            <div class="form-grid">
                <InlineField id=name_id field=Field::RoleName value=name action=set_name />
            </div>
            <InlineField id=text_id field=Field::Responsibilities multiline=true value=responsibilities action=set_text />
            <h3>{t!(i18n, roles.holders)}</h3>
            <ul class="chips" role="list">
                {move || holders.get().into_iter().map(|member| {
                    let role = id.clone();
                    let name = name_of(&member);
                    let label = t_string!(i18n, roles.take_off, name = &name);
                    view! {
                        <li class="chip">{name}
                            <button type="button" class="chip-remove" aria-label=label
                                on:click=move |_| send(Action::UnassignRole { role: role.clone(), member: member.clone() })>"×"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="inline-form">
                <MemberPicker id=picker_id label=move || t_string!(i18n, roles.add_holder_label) chosen exclude=Signal::derive(move || holders.get()) />
                <button type="button" disabled=move || chosen.with(Option::is_none) on:click=assign>{t!(i18n, roles.add_holder)}</button>
            </div>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
            <div class="actions">
                <button type="button" class="danger" on:click=remove>{t!(i18n, roles.delete)}</button>
            </div>
        </section>
    }
}

/// The form to add a role.
#[component]
fn AddRole() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let responsibilities = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = RoleId::random() else {
            error.set(Some(crate::words::Notice::NoRandom.into()));
            return;
        };
        let draft = RoleDraft {
            name: name.get_untracked(),
            responsibilities: responsibilities.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match app.apply(Action::AddRole { id, draft }).await {
                Ok(()) => {
                    error.set(None);
                    name.set(String::new());
                    responsibilities.set(String::new());
                }
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    view! {
        <form class="card add-role" on:submit=submit aria-labelledby="add-role-heading" novalidate>
            <h2 id="add-role-heading">{t!(i18n, roles.add_heading)}</h2>
            <TextField id="new-role-name" field=Field::RoleName value=name error required=true />
            <TextField id="new-role-resp" field=Field::Responsibilities value=responsibilities error multiline=true />
            <FormAlert error />
            <button type="submit" class="primary">{t!(i18n, roles.add)}</button>
        </form>
    }
}
