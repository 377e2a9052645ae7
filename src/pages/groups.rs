//! The groups kept in this browser: create, open, rename, delete.

use cohort_model::protocol::{Answer, GroupSummary, Request};
use cohort_model::{Field, GroupId};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::use_page_title;
use crate::forms::{FormAlert, FormError, TextField};
use crate::relay_address::relay_url;
use crate::sections::Section;
use crate::state::{now, use_app};

/// Which relay groups sync through: the one that served the app, or another automerge-repo
/// sync server.
#[component]
fn RelaySettings() -> impl IntoView {
    let app = use_app();
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
                error.set(Some(bad.to_string()));
                saved.set(false);
            }
        }
    };
    view! {
        <section class="card relay-settings" aria-labelledby="relay-heading">
            <h2 id="relay-heading">"Sync"</h2>
            <p class="hint">"Groups sync through the relay this app came from. To use another Cohort relay or any automerge-repo sync server, enter its address."</p>
            <form class="relay-form" on:submit=save novalidate>
                <div class="field">
                    <label for="relay-address">"Relay address"</label>
                    <input id="relay-address" type="url" inputmode="url" placeholder="The relay this app came from"
                        prop:value=move || typed.get()
                        on:input=move |ev| { typed.set(event_target_value(&ev)); saved.set(false); }
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        aria-describedby="relay-address-error" />
                    <p id="relay-address-error" class="field-error" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
                </div>
                <button type="submit">"Save"</button>
                <p role="status">{move || saved.get().then_some("Saved: syncing through this relay now.")}</p>
            </form>
        </section>
    }
}

/// The list of groups, with a form to start one.
#[component]
pub fn GroupsPage() -> impl IntoView {
    use_page_title(|| "Your groups".to_owned());
    let app = use_app();
    view! {
        <article class="groups">
            <header class="page-header">
                <h1>"Your groups"</h1>
            </header>
            <p class="lead">"Each group lives on this device; open one to manage its members, roles and feedback."</p>
            {move || match app.groups.get() {
                None => view! { <p role="status">"Loading your groups…"</p> }.into_any(),
                Some(groups) if groups.is_empty() => view! { <p class="empty">"No groups yet. Start one below."</p> }.into_any(),
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
                Err(failure) => app.alert.set(Some(failure.to_string())),
            }
        });
    };
    let title = StoredValue::new(group.name.clone());
    view! {
        <li class="group-item card">
            <Show when=move || renaming.get() fallback=move || view! {
                <A href=Section::HOME.href(id) attr:class="group-link">{title.get_value()}</A>
                <div class="actions">
                    <button type="button" on:click=move |_| renaming.set(true)>"Rename"</button>
                    <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Delete"</button>
                </div>
            }>
                <form class="inline-form" on:submit=rename>
                    <TextField id="rename-group" label="New name" field=Field::GroupName value=name error required=true />
                    <div class="actions">
                        <button type="submit" class="primary">"Save name"</button>
                        <button type="button" on:click=move |_| renaming.set(false)>"Cancel"</button>
                    </div>
                </form>
            </Show>
            <Show when=move || confirming.get()>
                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                    <p>{format!("Delete “{}” and everything in it from this device? This cannot be undone.", group.name)}</p>
                    <div class="actions">
                        <button type="button" class="danger" on:click=delete>"Delete group"</button>
                        <button type="button" on:click=move |_| confirming.set(false)>"Keep it"</button>
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
            <h2 id="create-group-heading">"Start a group"</h2>
            <TextField id="group-name" label="Group name" field=Field::GroupName value=name error required=true />
            <FormAlert error />
            <button type="submit" class="primary">"Create group"</button>
        </form>
    }
}

/// Reads a group saved as an Automerge file (by Cohort or another automerge client) into a
/// new group on this device.
#[component]
fn ImportGroup() -> impl IntoView {
    let app = use_app();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        let navigate = navigate.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let bytes = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
            let result = match bytes {
                Ok(buffer) => {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    app.request(Request::ImportGroup { bytes, at: now() })
                        .await
                        .map_err(|f| f.to_string())
                }
                Err(_) => Err("The file could not be read.".to_owned()),
            };
            busy.set(false);
            match result {
                Ok(Answer::Group(summary)) => {
                    error.set(None);
                    app.refresh_groups();
                    navigate(&Section::HOME.href(summary.id), Default::default());
                }
                Ok(_) => {}
                Err(message) => error.set(Some(message)),
            }
        });
    };
    view! {
        <section class="card import-group" aria-labelledby="import-group-heading">
            <h2 id="import-group-heading">"Import a group"</h2>
            <div class="field">
                <label for="import-file">"Group file (.automerge)"</label>
                <input id="import-file" type="file" accept=".automerge,application/octet-stream" on:change=import disabled=move || busy.get() />
            </div>
            <p role="status">{move || busy.get().then_some("Importing…")}</p>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        </section>
    }
}
