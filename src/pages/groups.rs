//! The groups kept in this browser: create, open, rename, delete.

use cohort_model::protocol::{Answer, GroupSummary, Request};
use cohort_model::{Field, GroupId};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::use_page_title;
use crate::forms::{FormAlert, FormError, TextField, notice_text};
use crate::i18n::{t, t_string, use_i18n};
use crate::relay_address::relay_url;
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words::Notice;

/// Which relay groups sync through: the one that served the app, or another automerge-repo
/// sync server.
#[component]
fn RelaySettings() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let typed = RwSignal::new(app.relay.get_untracked());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = typed.get_untracked();
        let checked = if text.trim().is_empty() {
            Ok(String::new())
        } else {
            relay_url(&text)
        };
        match checked {
            Ok(url) => {
                error.set(None);
                typed.set(url.clone());
                app.set_relay(url);
                saved.set(true);
            }
            Err(bad) => {
                error.set(Some(bad.0));
                saved.set(false);
            }
        }
    };
    view! {
        <section class="card relay-settings" aria-labelledby="relay-heading">
            <h2 id="relay-heading">{t!(i18n, groups.sync)}</h2>
            <p class="hint">{t!(i18n, groups.sync_hint)}</p>
            <form class="relay-form" on:submit=save novalidate>
                <div class="field">
                    <label for="relay-address">{t!(i18n, groups.relay_address)}</label>
                    <input id="relay-address" type="url" inputmode="url" placeholder=move || t_string!(i18n, groups.relay_placeholder)
                        prop:value=move || typed.get()
                        on:input=move |ev| { typed.set(event_target_value(&ev)); saved.set(false); }
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        aria-describedby="relay-address-error" />
                    <p id="relay-address-error" class="field-error" hidden=move || error.with(Option::is_none)>
                        {move || error.get().map(|value| t_string!(i18n, failure.bad_relay, value))}
                    </p>
                </div>
                <button type="submit">{t!(i18n, common.save)}</button>
                <p role="status">{move || saved.get().then_some(t!(i18n, groups.relay_saved))}</p>
            </form>
            <IceSettings />
        </section>
    }
}

/// The STUN and TURN servers direct connections may use (none: only devices that reach each
/// other, such as on one Wi-Fi, connect directly).
#[component]
fn IceSettings() -> impl IntoView {
    let i18n = use_i18n();
    let typed = RwSignal::new(crate::direct::kept_ice_servers());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match crate::direct::set_ice_servers(&typed.get_untracked()) {
            Ok(kept) => {
                typed.set(kept);
                error.set(None);
                saved.set(true);
            }
            Err(line) => {
                error.set(Some(line));
                saved.set(false);
            }
        }
    };
    view! {
        <form class="ice-form" on:submit=save novalidate>
            <div class="field">
                <label for="ice-servers">{t!(i18n, groups.ice_servers)}</label>
                <p class="hint" id="ice-servers-hint">{t!(i18n, groups.ice_hint)}</p>
                <textarea id="ice-servers" rows="3" spellcheck="false" autocomplete="off"
                    placeholder="stun:stun.example.org:3478"
                    prop:value=move || typed.get()
                    on:input=move |ev| { typed.set(event_target_value(&ev)); saved.set(false); }
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby="ice-servers-hint ice-servers-error"></textarea>
                <p id="ice-servers-error" class="field-error" hidden=move || error.with(Option::is_none)>
                    {move || error.get().map(|line| t_string!(i18n, groups.bad_ice_server, line))}
                </p>
            </div>
            <button type="submit">{t!(i18n, common.save)}</button>
            <p role="status">{move || saved.get().then_some(t!(i18n, groups.ice_saved))}</p>
        </form>
    }
}

/// The list of groups, with a form to start one.
#[component]
pub fn GroupsPage() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, groups.title).to_owned());
    let app = use_app();
    view! {
        <article class="groups">
            <header class="page-header">
                <h1>{t!(i18n, groups.title)}</h1>
            </header>
            <p class="lead">{t!(i18n, groups.lead)}</p>
            {move || match app.groups.get() {
                None => view! { <p role="status">{t!(i18n, groups.loading)}</p> }.into_any(),
                Some(groups) if groups.is_empty() => view! { <p class="empty">{t!(i18n, groups.empty)}</p> }.into_any(),
                Some(groups) => view! {
                    <ul class="group-list" role="list">
                        <For each=move || groups.clone() key=|g| (g.id, g.name.clone()) let:group>
                            <GroupItem group />
                        </For>
                    </ul>
                }
                .into_any(),
            }}
            <CreateGroup />
            <ImportGroup />
            <crate::pairing::TakePairingCode />
            <RelaySettings />
            <crate::language::LanguageSetting />
        </article>
    }
}

/// One group: a link to open it, and rename and delete (which asks first).
#[component]
fn GroupItem(
    /// The group listed.
    group: GroupSummary,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let name = RwSignal::new(group.name.clone());
    let error = RwSignal::new(None::<FormError>);
    let id = group.id;
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            match app
                .request(Request::RenameGroup {
                    id,
                    name: name.get_untracked(),
                })
                .await
            {
                // An open group's view follows the new name through the worker's update.
                Ok(_) => {
                    renaming.set(false);
                    app.refresh_groups();
                }
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    let delete = move |_| {
        leptos::task::spawn_local(async move {
            match app.request(Request::DeleteGroup { id }).await {
                Ok(_) => {
                    if app.open.get_untracked() == Some(id) {
                        app.close_group();
                    }
                    app.refresh_groups();
                }
                Err(failure) => app.alert.set(Some(failure.into())),
            }
        });
    };
    let title = StoredValue::new(group.name.clone());
    view! {
        <li class="group-item card">
            <Show when=move || renaming.get() fallback=move || view! {
                <A href=Section::HOME.href(id) attr:class="group-link">{title.get_value()}</A>
                <div class="actions">
                    <button type="button" on:click=move |_| renaming.set(true)>{t!(i18n, groups.rename)}</button>
                    <button type="button" class="danger" on:click=move |_| confirming.set(true)>{t!(i18n, groups.delete)}</button>
                </div>
            }>
                <form class="inline-form" on:submit=rename>
                    <TextField id="rename-group" label=move || t_string!(i18n, groups.new_name) field=Field::GroupName value=name error required=true />
                    <div class="actions">
                        <button type="submit" class="primary">{t!(i18n, groups.save_name)}</button>
                        <button type="button" on:click=move |_| renaming.set(false)>{t!(i18n, common.cancel)}</button>
                    </div>
                </form>
            </Show>
            <Show when=move || confirming.get()>
                <div class="confirm" role="alertdialog" aria-label=move || t_string!(i18n, groups.confirm_delete)>
                    <p>{move || t_string!(i18n, groups.delete_question, name = title.get_value())}</p>
                    <div class="actions">
                        <button type="button" class="danger" on:click=delete>{t!(i18n, groups.delete_group)}</button>
                        <button type="button" on:click=move |_| confirming.set(false)>{t!(i18n, groups.keep_it)}</button>
                    </div>
                </div>
            </Show>
        </li>
    }
}

/// Starts a new group and opens it.
#[component]
fn CreateGroup() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match app
                .request(Request::CreateGroup {
                    name: name.get_untracked(),
                    at: now(),
                })
                .await
            {
                Ok(Answer::Group(summary)) => {
                    name.set(String::new());
                    error.set(None);
                    app.refresh_groups();
                    let id: GroupId = summary.id;
                    navigate(&Section::HOME.href(id), Default::default());
                }
                Ok(_) => {}
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    view! {
        <form class="card create-group" on:submit=create aria-labelledby="create-group-heading">
            <h2 id="create-group-heading">{t!(i18n, groups.start)}</h2>
            <TextField id="group-name" field=Field::GroupName value=name error required=true />
            <FormAlert error />
            <button type="submit" class="primary">{t!(i18n, groups.create)}</button>
        </form>
    }
}

/// Restores a group from a backup (its `.automerge` file, from Cohort or another automerge
/// client): a group this device already has (its id is in the backup's file name) gets the
/// backup merged in, so neither loses anything; any other becomes a new group here.
#[component]
fn ImportGroup() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<Notice>);
    let busy = RwSignal::new(false);
    let import = move |ev: leptos::ev::Event| {
        let Some(file) = crate::files::chosen(&ev) else {
            return;
        };
        let navigate = navigate.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let named = group_named_in(&file.name());
            let here = app.groups.get_untracked().unwrap_or_default();
            let existing = named.filter(|id| here.iter().any(|group| group.id == *id));
            let result = match crate::files::read(&file).await {
                Ok(bytes) => match existing {
                    Some(id) => {
                        // Open it, then merge: the worker merges into the open group.
                        app.open_group(id);
                        crate::state::next_turn().await;
                        app.request(Request::MergeBackup { bytes })
                            .await
                            .map(|_| id)
                            .map_err(Notice::from)
                    }
                    None => match app
                        .request(Request::ImportGroup {
                            bytes,
                            at: now(),
                            id: named,
                        })
                        .await
                    {
                        Ok(Answer::Group(summary)) => Ok(summary.id),
                        Ok(_) => Err(Notice::FileUnreadable),
                        Err(failure) => Err(failure.into()),
                    },
                },
                Err(notice) => Err(notice),
            };
            busy.set(false);
            match result {
                Ok(id) => {
                    error.set(None);
                    app.refresh_groups();
                    navigate(&Section::HOME.href(id), Default::default());
                }
                Err(notice) => error.set(Some(notice)),
            }
        });
    };
    let message = notice_text(error);
    view! {
        <section class="card import-group" aria-labelledby="import-group-heading">
            <h2 id="import-group-heading">{t!(i18n, groups.import)}</h2>
            <p class="hint">{t!(i18n, groups.import_hint)}</p>
            <div class="field">
                <label for="import-file">{t!(i18n, groups.import_file)}</label>
                <input id="import-file" type="file" accept=".automerge,application/octet-stream" on:change=import disabled=move || busy.get() />
            </div>
            <p role="status">{move || busy.get().then_some(t!(i18n, groups.importing))}</p>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
        </section>
    }
}

/// The group whose id a backup's file name holds ("读书会-2j9k….automerge", perhaps with
/// " (1)" added by a second download).
fn group_named_in(file_name: &str) -> Option<GroupId> {
    file_name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|word| word.parse::<GroupId>().ok())
}
