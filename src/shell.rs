//! The frame around every page: header, the open group's section navigation, status and
//! alerts, and the routed page.

use cohort_model::GroupStoreFields;
use cohort_model::protocol::SyncState;
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::{A, Outlet, ParentRoute, Redirect, Route, Router, Routes},
    hooks::use_params_map,
    path,
};

use crate::access::{AccessNotes, SharePanel};
use crate::i18n::{I18nContextProvider, t, t_string, use_i18n};
use crate::pages::{
    ActivitiesPage, ActivityPage, AnalyticsPage, ChangesPage, DataPage, DigestPage, FeedbackPage,
    FollowUpsPage, GroupsPage, KeyUsersPage, MemberPage, MembersPage, NotFound, RecruitmentPage,
    RolesPage, TrainingPage, TrainingsPage,
};
use crate::sections::Section;
use crate::state::{AppState, use_app};

/// The whole app: the shell with the page of the current route.
#[component]
pub fn App() -> impl IntoView {
    AppState::provide();
    // The provider picks the language (see `crate::language`) and keeps `<html lang>` on it.
    view! {
        <I18nContextProvider>
            <Shell />
        </I18nContextProvider>
    }
}

/// Header, navigation and the routed page, in the chosen language.
#[component]
fn Shell() -> impl IntoView {
    crate::language::follow_the_saved_choice();
    let i18n = use_i18n();
    let update_ready = RwSignal::new(false);
    // The service worker fetches the whole build as it installs: on a slow first visit that
    // waits until what the organizer came for is on screen (the open group loaded, or the
    // list of groups shown), rather than compete with it.
    let app = use_app();
    Effect::new(move |registered: Option<bool>| {
        let ready = app.loaded.get() || (app.open.get().is_none() && app.groups.get().is_some());
        if registered != Some(true) && ready {
            crate::update::register(app, update_ready);
        }
        registered == Some(true) || ready
    });
    view! {
        <Router>
            <a class="skip-link" href="#main">{t!(i18n, skip_to_content)}</a>
            <div class="shell">
                <header class="app-header">
                    <a class="brand" href="/" aria-label=move || t_string!(i18n, brand_label)>
                        <span class="brand-mark" aria-hidden="true"></span>
                        <span class="brand-name">"Cohort"</span>
                    </a>
                    <GroupName />
                    <OnlineNow />
                    <ShareGroup />
                    <SyncStatus />
                    <DirectPeers />
                </header>
                <SectionNav />
                <main id="main" class="page" tabindex="-1">
                    <crate::update::UpdateBanner ready=update_ready />
                    <Alert />
                    <crate::pairing::PairingAnswer />
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=GroupsPage />
                        <ParentRoute path=path!("/g/:group") view=GroupScope>
                            <Route path=path!("") view=GroupHome />
                            <Route path=path!("members/:member") view=MemberPage />
                            <Route path=path!("data") view=DataPage />
                            <Route path=path!("follow-ups") view=FollowUpsPage />
                            <Route path=path!("digest") view=DigestPage />
                            <Route path=path!("changes") view=ChangesPage />
                            <Route path=path!("activities/:activity") view=ActivityPage />
                            <Route path=path!("training/:training") view=TrainingPage />
                            <Route path=path!(":section") view=SectionPage />
                        </ParentRoute>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// A problem the organizer must know about, such as full storage.
#[component]
fn Alert() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let message = crate::forms::notice_text(app.alert);
    view! {
        <Show when=move || app.alert.get().is_some()>
            <div class="alert" role="alert">
                <p>{message}</p>
                <button type="button" class="link" on:click=move |_| app.alert.set(None)>{t!(i18n, dismiss)}</button>
            </div>
        </Show>
    }
}

/// The open group's name, next to the brand.
#[component]
fn GroupName() -> impl IntoView {
    let app = use_app();
    let name = move || {
        app.open.get().and(
            app.shown
                .get()
                .then(|| app.view.profile().with(|p| p.name.clone())),
        )
    };
    view! { <span class="group-name">{name}</span> }
}

/// Opens the group named in the URL and shows its page once its members are in.
#[component]
fn GroupScope() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let params = use_params_map();
    let group = Memo::new(move |_| params.read().get("group").and_then(|id| id.parse().ok()));
    // Opening a group talks to the worker: the outside world.
    Effect::new(move |_| {
        if let Some(id) = group.get() {
            app.open_group(id);
        }
    });
    move || {
        match (group.get(), app.open_failure.get()) {
            (None, _) => view! { <NotFound /> }.into_any(),
            (Some(_), Some(failure)) => view! {
                <article class="section-overview">
                    <h1>{t!(i18n, shell.cannot_open)}</h1>
                    <p class="lead">{move || crate::words::failure(i18n.get_locale(), &failure)}</p>
                    <p><A href="/">{t!(i18n, common.see_groups)}</A></p>
                </article>
            }
            .into_any(),
            // The page renders at once, empty, and fills in when the group's view arrives: the
            // work is split over two tasks instead of one long one.
            // A reader's pages are disabled as a whole: every control in them, present and
            // future, is off (and buttons are hidden, see main.css).
            (Some(_), None) => view! {
                <AccessNotes />
                <fieldset class="group-pages" disabled=move || app.read_only()>
                    <Outlet />
                </fieldset>
            }
            .into_any(),
        }
    }
}

/// `/g/:group` goes to the group's home section, replacing the history entry.
#[component]
fn GroupHome() -> impl IntoView {
    let params = use_params_map();
    let target = move || {
        let group = params.read().get("group").unwrap_or_default();
        format!("/g/{group}/{}", Section::HOME.slug())
    };
    let options = NavigateOptions {
        replace: true,
        ..NavigateOptions::default()
    };
    view! { <Redirect path=target() options /> }
}

/// The page of the section named in the URL.
#[component]
fn SectionPage() -> impl IntoView {
    let params = use_params_map();
    let section = move || {
        params
            .read()
            .get("section")
            .and_then(|slug| Section::from_slug(&slug))
    };
    move || match section() {
        Some(Section::Members) => view! { <MembersPage /> }.into_any(),
        Some(Section::Roles) => view! { <RolesPage /> }.into_any(),
        Some(Section::Feedback) => view! { <FeedbackPage /> }.into_any(),
        Some(Section::Activities) => view! { <ActivitiesPage /> }.into_any(),
        Some(Section::Training) => view! { <TrainingsPage /> }.into_any(),
        Some(Section::KeyUsers) => view! { <KeyUsersPage /> }.into_any(),
        Some(Section::Recruitment) => view! { <RecruitmentPage /> }.into_any(),
        Some(Section::Analytics) => view! { <AnalyticsPage /> }.into_any(),
        None => view! { <NotFound /> }.into_any(),
    }
}

/// The open group's sections; the router marks the current one with `aria-current="page"`.
#[component]
fn SectionNav() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    view! {
        <nav class="app-nav" aria-label=move || t_string!(i18n, shell.sections)>
            <ul>
                <li><A href="/" exact=true>{t!(i18n, shell.all_groups)}</A></li>
                {move || app.open.get().map(|group| {
                    Section::ALL
                        .map(|section| view! { <li><A href=section.href(group)>{move || section.title(i18n.get_locale())}</A></li> })
                        .collect_view()
                })}
            </ul>
        </nav>
    }
}

/// Where the group stands with the relay: offline, connecting, syncing or up to date, and
/// when the relay last had all of it.
#[component]
fn SyncStatus() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let loading = move || app.open.get().is_some() && !app.loaded.get();
    let state = move || {
        if loading() {
            "loading"
        } else {
            app.sync.get().state.key()
        }
    };
    let label = move || {
        if loading() {
            return t_string!(i18n, shell.loading).to_owned();
        }
        let status = app.sync.get();
        let state = crate::words::sync_state(i18n.get_locale(), status.state);
        // Out of touch with the relay, the organizer wants to know since when.
        match (status.state, status.last_synced_at) {
            (SyncState::Offline | SyncState::Connecting, Some(at)) => {
                t_string!(i18n, shell.synced_since, state, when = synced_when(at))
            }
            _ => state.to_owned(),
        }
    };
    let title = move || {
        let status = app.sync.get();
        let last = match (status.state, status.last_synced_at) {
            (SyncState::UpToDate, _) => t_string!(i18n, shell.sync_all).to_owned(),
            (SyncState::ServerHas, _) => t_string!(i18n, shell.sync_server_has).to_owned(),
            (SyncState::SignalOnly, _) => t_string!(i18n, shell.sync_signal_only).to_owned(),
            (_, Some(at)) => t_string!(i18n, shell.sync_last, when = synced_when(at)),
            (_, None) => t_string!(i18n, shell.sync_never).to_owned(),
        };
        t_string!(i18n, shell.sync_title, last)
    };
    view! {
        <p class="sync-status" role="status" data-state=state title=title>
            <span class="sync-dot" aria-hidden="true"></span>
            <span class="sync-label">{label}</span>
        </p>
    }
}

/// The open group's direct connections to other browsers, each by the organizer's name there
/// and how it stands.
#[component]
fn DirectPeers() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    view! {
        <Show when=move || !app.direct.get().is_empty()>
            <ul class="direct-peers" aria-label=move || t_string!(i18n, shell.direct_peers)>
                <For
                    each=move || app.direct.get()
                    key=|peer| (peer.channel, peer.state.key(), peer.name.clone())
                    let:peer
                >
                    {
                        let name = if peer.name.is_empty() {
                            t_string!(i18n, shell.nameless).to_owned()
                        } else {
                            peer.name.clone()
                        };
                        let state = crate::words::direct_state(i18n.get_locale(), peer.state);
                        view! {
                            <li class="direct-peer" data-state=peer.state.key()>
                                {t_string!(i18n, shell.direct_peer, name, state)}
                            </li>
                        }
                    }
                </For>
            </ul>
        </Show>
    }
}

/// When something happened, in the organizer's language: the time of day if it was today
/// ("14:02"), with the date if earlier ("21 Nov 2026, 14:02"; "2026年11月21日 14:02").
fn synced_when(at: cohort_model::Millis) -> String {
    // The cached formatters: this runs on every change that reaches the relay.
    if crate::pages::local_day(at) == crate::pages::local_day(crate::state::now()) {
        crate::pages::time_of_day(at)
    } else {
        crate::pages::moment(at)
    }
}

/// Who else has the open group open right now (presence; never stored in the group).
#[component]
fn OnlineNow() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let names = move || {
        let names = app
            .online
            .get()
            .into_iter()
            .map(|name| {
                if name.is_empty() {
                    t_string!(i18n, shell.nameless).to_owned()
                } else {
                    name
                }
            })
            .collect::<Vec<_>>();
        t_string!(i18n, shell.here_now, names = crate::pages::list(&names))
    };
    view! {
        <p class="online-now" aria-live="polite">
            <Show when=move || !app.online.get().is_empty()>
                {names}
            </Show>
        </p>
    }
}

/// Sharing the open group (see `crate::access`), and this device's display name.
#[component]
fn ShareGroup() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    view! {
        <Show when=move || app.open.get().is_some()>
            <details class="share">
                <summary>{t!(i18n, shell.share)}</summary>
                <div class="share-panel">
                    {move || app.open.get().map(|group| view! { <SharePanel group /> })}
                    {move || app.open.get().map(|group| view! { <crate::pairing::PairDevice group /> })}
                    <label for="display-name">{t!(i18n, shell.display_name)}</label>
                    <input id="display-name" type="text" maxlength="80" autocomplete="name"
                        prop:value=move || app.display_name.get()
                        on:change=move |event| app.set_display_name(event_target_value(&event))
                    />
                </div>
            </details>
        </Show>
    }
}
