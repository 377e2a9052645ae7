//! Who may open the group: the Share panel (protect the group; make, list and revoke links;
//! delete it for everyone), and the notes a reader and a cut-off device see.
//!
//! The relay keeps the links (docs/sync.md, "Who may sync a group"); this browser keeps only
//! the capabilities it holds ([`AppState::grants`]). A new link's secret is shown once, in the
//! link itself, and never again.

use cohort_model::GroupId;
use cohort_model::protocol::{AccessRole, Answer, Grant, Request, ShareLink};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::i18n::{t, t_string, use_i18n};
use crate::state::use_app;
use crate::words::Notice;

/// The address that opens `grant`'s group with it.
fn share_address(grant: &Grant) -> String {
    let origin = window().location().origin().unwrap_or_default();
    format!("{origin}/g/{}#{}", grant.group, grant.fragment())
}

/// The open group's link for anyone, while it is not protected.
fn open_address(group: GroupId) -> String {
    let origin = window().location().origin().unwrap_or_default();
    format!("{origin}/g/{group}")
}

/// Lifetimes a link can be given, in days (none: it does not expire).
const EXPIRIES: [Option<u64>; 4] = [None, Some(1), Some(7), Some(30)];

/// A date for the organizer, in the language shown.
fn date(seconds: u64, locale: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(seconds as f64 * 1000.0));
    date.to_locale_date_string(locale, &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

/// The share panel's content for the open group.
#[component]
pub fn SharePanel(
    /// The open group.
    group: GroupId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let failure = RwSignal::new(None::<Notice>);
    let message = crate::forms::notice_text(failure);
    let protecting = RwSignal::new(false);
    let protect = move |_| {
        protecting.set(true);
        leptos::task::spawn_local(async move {
            match app.request(Request::Protect { group }).await {
                Ok(Answer::Granted(grant)) => {
                    app.hold(grant);
                    failure.set(None);
                }
                Ok(_) => {}
                Err(refused) => failure.set(Some(refused.into())),
            }
            protecting.set(false);
        });
    };
    let role = move || app.role(group);
    view! {
        {move || match role() {
            None => view! {
                <label for="share-link">{t!(i18n, shell.share_link)}</label>
                <input id="share-link" type="url" readonly prop:value=open_address(group)
                    on:focus=|event| { event_target::<web_sys::HtmlInputElement>(&event).select(); }
                />
                <p class="hint open-warning">{t!(i18n, access.open_hint)}</p>
                <button type="button" id="protect-group" class="primary" disabled=move || protecting.get() on:click=protect>
                    {t!(i18n, access.protect)}
                </button>
                <p class="hint">{t!(i18n, access.protect_hint)}</p>
            }.into_any(),
            Some(AccessRole::Owner) => view! { <OwnerLinks failure /> }.into_any(),
            Some(held) => view! {
                <p class="hint held-access">{move || if held == AccessRole::Read {
                    t_string!(i18n, access.held_read)
                } else {
                    t_string!(i18n, access.held_edit)
                }}</p>
            }.into_any(),
        }}
        <p class="form-error" role="alert">{message}</p>
    }
}

/// An owner's view: make a link, the group's links with Revoke, and Delete for everyone.
#[component]
fn OwnerLinks(
    /// Where a refusal is shown.
    failure: RwSignal<Option<Notice>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let links = RwSignal::new(None::<Vec<ShareLink>>);
    let made = RwSignal::new(None::<String>);
    let role = RwSignal::new(AccessRole::Edit);
    let label = RwSignal::new(String::new());
    let expiry_days = RwSignal::new(None::<u64>);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            match app.request(Request::Links).await {
                Ok(Answer::Links(list)) => links.set(Some(list)),
                Ok(_) => {}
                Err(refused) => failure.set(Some(refused.into())),
            }
        });
    };
    refresh();
    let make = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let now = (js_sys::Date::now() / 1000.0) as u64;
        let request = Request::MakeLink {
            role: role.get_untracked(),
            label: label.get_untracked(),
            expires_at: expiry_days.get_untracked().map(|days| now + days * 86_400),
        };
        leptos::task::spawn_local(async move {
            match app.request(request).await {
                Ok(Answer::NewLink { grant, .. }) => {
                    made.set(Some(share_address(&grant)));
                    label.set(String::new());
                    failure.set(None);
                    refresh();
                }
                Ok(_) => {}
                Err(refused) => failure.set(Some(refused.into())),
            }
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            match app.request(Request::RevokeLink { id }).await {
                Ok(_) => refresh(),
                Err(refused) => failure.set(Some(refused.into())),
            }
        });
    };
    let delete_for_everyone = move |_| {
        let Some(group) = app.open.get_untracked() else {
            return;
        };
        let confirmed = window()
            .confirm_with_message(t_string!(i18n, access.delete_confirm))
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match app.request(Request::DeleteForEveryone).await {
                Ok(_) => {
                    app.forget_grant(group);
                    app.close_group();
                    app.refresh_groups();
                    navigate("/", Default::default());
                }
                Err(refused) => failure.set(Some(refused.into())),
            }
        });
    };
    let role_name = move |role: AccessRole| match role {
        AccessRole::Read => t_string!(i18n, access.role_read),
        AccessRole::Edit => t_string!(i18n, access.role_edit),
        AccessRole::Owner => t_string!(i18n, access.role_owner),
    };
    let locale = move || i18n.get_locale().to_string();
    view! {
        <p class="hint protected-note">{t!(i18n, access.protected_hint)}</p>
        <form class="make-link" on:submit=make>
            <label for="link-role">{t!(i18n, access.link_access)}</label>
            <select id="link-role" on:change=move |event| {
                if let Some(chosen) = AccessRole::from_key(&event_target_value(&event)) {
                    role.set(chosen);
                }
            }>
                {[AccessRole::Edit, AccessRole::Read, AccessRole::Owner].map(|option| view! {
                    <option value=option.key() selected=move || role.get() == option>{move || role_name(option)}</option>
                })}
            </select>
            <label for="link-label">{t!(i18n, access.link_label)}</label>
            <input id="link-label" type="text" maxlength="80"
                placeholder=move || t_string!(i18n, access.link_label_example)
                prop:value=move || label.get()
                on:input=move |event| label.set(event_target_value(&event))
            />
            <label for="link-expiry">{t!(i18n, access.link_expiry)}</label>
            <select id="link-expiry" on:change=move |event| {
                expiry_days.set(event_target_value(&event).parse().ok());
            }>
                {EXPIRIES.map(|days| view! {
                    <option value=days.map(|d| d.to_string()).unwrap_or_default()>
                        {move || match days {
                            None => t_string!(i18n, access.never).to_owned(),
                            Some(days) => t_string!(i18n, access.in_days, days),
                        }}
                    </option>
                })}
            </select>
            <button type="submit" id="make-link" class="primary">{t!(i18n, access.make_link)}</button>
        </form>
        {move || made.get().map(|address| view! {
            <label for="new-link">{t!(i18n, access.new_link)}</label>
            <input id="new-link" type="url" readonly prop:value=address
                on:focus=|event| { event_target::<web_sys::HtmlInputElement>(&event).select(); }
            />
            <p class="hint">{t!(i18n, access.new_link_hint)}</p>
        })}
        <h3 class="links-title">{t!(i18n, access.links)}</h3>
        <ul class="share-links">
            <For each=move || links.get().unwrap_or_default() key=|link| link.id.clone() let(link)>
                {
                    let id = link.id.clone();
                    let label = if link.label.is_empty() { t_string!(i18n, access.no_label).to_owned() } else { link.label.clone() };
                    let expires = link.expires_at;
                    let used = link.last_used_at;
                    view! {
                        <li class="share-link" data-link=link.id.clone()>
                            <strong>{label}</strong>" · "{role_name(link.role)}
                            <span class="hint">
                                " · "{move || match expires {
                                    Some(at) => t_string!(i18n, access.expires, date = date(at, &locale())),
                                    None => t_string!(i18n, access.no_expiry).to_owned(),
                                }}
                                " · "{move || match used {
                                    Some(at) => t_string!(i18n, access.last_used, date = date(at, &locale())),
                                    None => t_string!(i18n, access.never_used).to_owned(),
                                }}
                            </span>
                            <button type="button" class="link revoke" on:click=move |_| revoke(id.clone())>{t!(i18n, access.revoke)}</button>
                        </li>
                    }
                }
            </For>
        </ul>
        <p class="hint">{t!(i18n, access.revoke_hint)}</p>
        <button type="button" class="danger" id="delete-for-everyone" on:click=delete_for_everyone>
            {t!(i18n, access.delete_for_everyone)}
        </button>
    }
}

/// Above the group's pages: a reader's note, and what to do once the relay stops sharing the
/// group with this device.
#[component]
pub fn AccessNotes() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let remove = move |_| {
        let Some(group) = app.gone.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match app.request(Request::DeleteGroup { id: group }).await {
                Ok(_) => {
                    app.forget_grant(group);
                    app.close_group();
                    app.refresh_groups();
                    navigate("/", Default::default());
                }
                Err(refused) => app.alert.set(Some(refused.into())),
            }
        });
    };
    let kept = RwSignal::new(Vec::<GroupId>::new());
    let gone = move || {
        app.gone
            .get()
            .filter(|group| !kept.with(|kept| kept.contains(group)))
    };
    view! {
        <Show when=move || app.read_only()>
            <p class="read-only-note" role="status">{t!(i18n, access.read_only_note)}</p>
        </Show>
        <Show when=move || gone().is_some()>
            <div class="alert gone" role="alert">
                <p>{t!(i18n, access.gone)}</p>
                <div class="actions">
                    <button type="button" id="keep-local-copy" on:click=move |_| {
                        if let Some(group) = app.gone.get_untracked() {
                            kept.update(|kept| kept.push(group));
                        }
                    }>{t!(i18n, access.keep_copy)}</button>
                    <button type="button" class="danger" id="remove-local-copy" on:click=remove.clone()>{t!(i18n, access.remove_copy)}</button>
                </div>
            </div>
        </Show>
    }
}
