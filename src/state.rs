//! The page's side of the data flow: the view state of the open group, kept up to date by the
//! worker that holds the group document.
//!
//! User action → [`AppState::apply`] → worker (document, IndexedDB) → `Updated` event →
//! the records it touched are replaced in [`AppState::view`], a store keyed by record id →
//! only the signals of those records fire, so only what shows them re-renders. The same record
//! ids key the document, the store and the keyed lists.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::words::Notice;
use cohort_model::protocol::{
    self, AccessRole, Answer, DirectStatus, Event, Failure, FromWorker, Grant, GroupSummary,
    Request, SyncState, SyncStatus, ToWorker,
};
use cohort_model::{
    Action, Activity, DeviceId, Feedback, Group, GroupId, GroupStoreFields, MemberChanges,
    MemberId, Millis, RoleId,
};
use futures_channel::oneshot;
use js_sys::{Array, Uint8Array};
use leptos::prelude::*;
use reactive_stores::Store;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

/// Where Trunk puts the worker's loader (see `index.html`). Absolute: pages live at nested paths.
const WORKER_URL: &str = "/cohort-worker_loader.js";

/// Resolves in a later task, once the tasks already started have run (and sent their
/// requests, so that one sent after this goes after theirs).
pub async fn next_turn() {
    let turn = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(turn).await;
}

/// Now, as the document stores times.
pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// Requests waiting for their reply, and requests held until the worker is ready.
#[derive(Default)]
struct Pending {
    next_seq: u32,
    replies: HashMap<u32, oneshot::Sender<Result<Answer, Failure>>>,
    ready: bool,
    held: Vec<Vec<u8>>,
}

/// The page's handle on the worker.
struct WorkerClient {
    worker: Option<Worker>,
    pending: Rc<RefCell<Pending>>,
    /// Keeps the message and error handlers alive as long as the worker.
    _handlers: Vec<Closure<dyn Fn(MessageEvent)>>,
}

/// A group view arriving in parts from the worker.
#[derive(Default)]
struct Incoming {
    group: Option<GroupId>,
    view: Group,
    /// What arrives after the members, put in place once the view is complete.
    feedback: Vec<Feedback>,
    activities: Vec<Activity>,
}

/// Everything the screens read, and the way to change it.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The groups in this browser, by name.
    pub groups: RwSignal<Option<Vec<GroupSummary>>>,
    /// The group shown (or being opened).
    pub open: RwSignal<Option<GroupId>>,
    /// The open group, keyed by record id: read one record with
    /// `view.members().at_key(id)`, one collection with `view.members()`.
    pub view: Store<Group>,
    /// Which members recent changes touched, for lists that sort or filter everyone.
    pub member_changes: RwSignal<MemberChanges>,
    /// The view holds the group's members (from the cache or the document).
    pub shown: RwSignal<bool>,
    /// The document has loaded: changes apply at once (before, they wait in order).
    pub loaded: RwSignal<bool>,
    /// Opening the group failed.
    pub open_failure: RwSignal<Option<Failure>>,
    /// A problem the organizer must know about (storage, the worker).
    pub alert: RwSignal<Option<Notice>>,
    /// How the open group stands with the relay.
    pub sync: RwSignal<SyncStatus>,
    /// The display names of the other devices that have the open group open now.
    pub online: RwSignal<Vec<String>>,
    /// The analytics report stored with the group being opened, for the analytics page to
    /// draw while the document loads.
    pub stored_report: RwSignal<Option<cohort_model::analytics::Report>>,
    /// Counts the changes the view followed: for what the worker works out from the whole
    /// document (a history), to be asked again.
    pub followed: RwSignal<u64>,
    /// This device's display name, kept in the browser's local storage.
    pub display_name: RwSignal<String>,
    /// The relay address set in the settings; empty for the relay that served the app.
    pub relay: RwSignal<String>,
    /// This browser's device id, made on its first visit and kept in local storage: the
    /// group's history says which organizer made each change by it.
    pub device: StoredValue<String>,
    /// The capabilities this browser holds for protected groups, kept in local storage.
    pub grants: RwSignal<Vec<Grant>>,
    /// The relay answered for this group as for one it never had (deleted for everyone, or
    /// this browser's link revoked or expired).
    pub gone: RwSignal<Option<GroupId>>,
    /// The open group's direct connections to other browsers, and how each stands.
    pub direct: RwSignal<Vec<DirectStatus>>,
    /// The answer code this device shows another that paired with it (`crate::pairing`).
    pub pairing_answer: RwSignal<Option<crate::pairing::ShownCode>>,
    /// The page's side of those connections (see `crate::direct`).
    pub(crate) direct_connections: StoredValue<crate::direct::Connections, LocalStorage>,
    client: StoredValue<WorkerClient, LocalStorage>,
    incoming: StoredValue<Incoming, LocalStorage>,
}

impl AppState {
    /// Starts the worker and provides the state to every screen.
    pub fn provide() -> Self {
        let state = Self {
            groups: RwSignal::new(None),
            open: RwSignal::new(None),
            view: Store::new(Group::default()),
            member_changes: RwSignal::new(MemberChanges::default()),
            shown: RwSignal::new(false),
            loaded: RwSignal::new(false),
            open_failure: RwSignal::new(None),
            alert: RwSignal::new(None),
            sync: RwSignal::new(SyncStatus::default()),
            online: RwSignal::new(Vec::new()),
            followed: RwSignal::new(0),
            stored_report: RwSignal::new(None),
            display_name: RwSignal::new(stored(DISPLAY_NAME_KEY)),
            relay: RwSignal::new(stored(RELAY_KEY)),
            device: StoredValue::new(device_id()),
            grants: RwSignal::new(kept_grants()),
            gone: RwSignal::new(None),
            direct: RwSignal::new(Vec::new()),
            pairing_answer: RwSignal::new(None),
            direct_connections: StoredValue::new_local(crate::direct::Connections::default()),
            client: StoredValue::new_local(WorkerClient {
                worker: None,
                pending: Rc::default(),
                _handlers: Vec::new(),
            }),
            incoming: StoredValue::new_local(Incoming::default()),
        };
        state.start_worker();
        state.expose_diagnostics();
        provide_context(state);
        state.take_link_capability();
        state.tell_access();
        state.refresh_groups();
        state.tell_display_name();
        if !state.relay.get_untracked().is_empty() {
            state.tell_relay();
        }
        // Save the view when the page is hidden, so the next visit shows the group at once.
        let on_hide = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if document().visibility_state() == web_sys::VisibilityState::Hidden
                && state.loaded.get_untracked()
            {
                state.tell(Request::SaveView);
            }
        });
        let network_changed = move |online| {
            state.tell(Request::NetworkChanged { online });
        };
        let on_offline =
            window_event_listener(leptos::ev::offline, move |_| network_changed(false));
        let on_online = window_event_listener(leptos::ev::online, move |_| network_changed(true));
        on_cleanup(move || {
            on_hide.remove();
            on_offline.remove();
            on_online.remove();
        });
        state
    }

    fn start_worker(self) {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = match Worker::new_with_options(WORKER_URL, &options) {
            Ok(worker) => worker,
            Err(error) => {
                self.worker_failed(&format!("{error:?}"));
                return;
            }
        };
        let on_message =
            Closure::<dyn Fn(MessageEvent)>::new(
                move |event: MessageEvent| match protocol::decode::<FromWorker>(
                    &Uint8Array::new(&event.data()).to_vec(),
                ) {
                    Ok(FromWorker::Reply(reply)) => {
                        let sender = self
                            .client
                            .with_value(|c| c.pending.borrow_mut().replies.remove(&reply.seq));
                        if let Some(sender) = sender {
                            let _ = sender.send(reply.result);
                        }
                    }
                    Ok(FromWorker::Event(event)) => self.receive(event),
                    Err(error) => self.alert.set(Some(Notice::Garbled(error.to_string()))),
                },
            );
        let on_error = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let detail = event
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .unwrap_or_default();
            self.worker_failed(&detail);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.client.update_value(|client| {
            client.worker = Some(worker);
            client._handlers = vec![on_message, on_error];
        });
    }

    /// `window.cohortDiagnostics.measureBareLoad(groupId)`: how long the worker takes to load
    /// the group's stored bytes with bare Automerge, in milliseconds. The benchmark compares
    /// it with the app's own open (see `docs/perf.md`).
    fn expose_diagnostics(self) {
        let measure = Closure::<dyn Fn(String) -> js_sys::Promise>::new(move |id: String| {
            wasm_bindgen_futures::future_to_promise(async move {
                let id = id
                    .parse()
                    .map_err(|e: cohort_model::NotAGroupId| JsValue::from_str(&e.to_string()))?;
                match self.request(Request::MeasureBareLoad { id }).await {
                    Ok(Answer::Measured(ms)) => Ok(JsValue::from_f64(ms)),
                    Ok(_) => Err(JsValue::from_str("unexpected answer")),
                    Err(failure) => Err(JsValue::from_str(&failure.to_string())),
                }
            })
        });
        let diagnostics = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&diagnostics, &"measureBareLoad".into(), measure.as_ref());
        let _ = js_sys::Reflect::set(&window(), &"cohortDiagnostics".into(), &diagnostics);
        measure.forget();
    }

    fn worker_failed(self, detail: &str) {
        web_sys::console::error_2(&"Cohort: the storage worker failed:".into(), &detail.into());
        self.alert.set(Some(Failure::WorkerDown.into()));
        // The worker holds the connection too: nothing syncs without it.
        self.sync.set(SyncStatus {
            state: SyncState::Offline,
            last_synced_at: None,
        });
        // Nothing will answer: fail every waiting request rather than leave it hanging.
        self.client.update_value(|client| {
            client.worker = None;
            let mut pending = client.pending.borrow_mut();
            pending.held.clear();
            for (_, sender) in pending.replies.drain() {
                let _ = sender.send(Err(Failure::WorkerDown));
            }
        });
    }

    fn receive(self, event: Event) {
        let for_open = |group: &GroupId| self.open.get_untracked().as_ref() == Some(group);
        match event {
            Event::Ready => self.client.with_value(|client| {
                let mut pending = client.pending.borrow_mut();
                pending.ready = true;
                for message in pending.held.drain(..) {
                    post(client.worker.as_ref(), &message);
                }
            }),
            // A view from the document replaces a cached one once its members are in.
            Event::ViewStart {
                group,
                source: _,
                small,
            } => {
                if !for_open(&group) {
                    return;
                }
                self.incoming.set_value(Incoming {
                    group: Some(group),
                    view: *small,
                    feedback: Vec::new(),
                    activities: Vec::new(),
                });
            }
            Event::ViewMembers(members) => self.incoming.update_value(|incoming| {
                incoming
                    .view
                    .members
                    .extend(members.into_iter().map(|m| (m.id.clone(), m)));
            }),
            Event::ViewMembersDone => {
                let incoming = self.incoming.try_update_value(|incoming| {
                    incoming
                        .group
                        .filter(for_open)
                        .map(|_| std::mem::take(&mut incoming.view))
                });
                if let Some(Some(view)) = incoming {
                    self.replace_view(view);
                    self.shown.set(true);
                    // Sorting and filtering every member runs in a task of its own, so that
                    // no single task blocks the page for long.
                    set_timeout(
                        move || {
                            self.member_changes.update(|changes| changes.record(None));
                            // The next frame shows the members: a User Timing mark for the
                            // benchmark and for anyone profiling a slow open.
                            request_animation_frame(|| mark("cohort:members-shown"));
                        },
                        std::time::Duration::ZERO,
                    );
                }
            }
            Event::ViewFeedback(items) => self
                .incoming
                .update_value(|incoming| incoming.feedback.extend(items)),
            Event::ViewActivities(activities) => self
                .incoming
                .update_value(|incoming| incoming.activities.extend(activities)),
            Event::ViewDone => {
                let incoming = self.incoming.try_update_value(|incoming| {
                    incoming.group.take().filter(for_open).map(|_| {
                        (
                            std::mem::take(&mut incoming.feedback),
                            std::mem::take(&mut incoming.activities),
                        )
                    })
                });
                if let Some(Some((feedback, activities))) = incoming {
                    self.view
                        .feedback()
                        .set(feedback.into_iter().map(|f| (f.id.clone(), f)).collect());
                    self.view
                        .activities()
                        .set(activities.into_iter().map(|a| (a.id.clone(), a)).collect());
                }
            }
            Event::Loaded { group } if for_open(&group) => {
                self.loaded.set(true);
                mark("cohort:loaded");
            }
            Event::Updated { group, update } if for_open(&group) => self.follow(update),
            Event::OpenFailed { group, failure } if for_open(&group) => {
                self.open_failure.set(Some(failure));
            }
            Event::Sync(status) => self.sync.set(status),
            Event::Online { group, names } if for_open(&group) => self.online.set(names),
            Event::StoredReport { group, report } if for_open(&group) => {
                self.stored_report.set(Some(*report));
            }
            Event::Gone { group } if for_open(&group) => self.gone.set(Some(group)),
            Event::Gone { .. }
            | Event::Loaded { .. }
            | Event::Updated { .. }
            | Event::OpenFailed { .. }
            | Event::Online { .. }
            | Event::StoredReport { .. } => {}
            Event::StorageFailed(failure) => self.alert.set(Some(Failure::Storage(failure).into())),
            Event::Dial { peer, name } => crate::direct::dial(self, peer, name),
            Event::Signalled { name, signal } => crate::direct::signalled(self, name, signal),
            Event::DirectSend { channel, frame } => crate::direct::send(self, channel, &frame),
            Event::DirectClose { channel } => crate::direct::close(self, channel),
            Event::Direct(statuses) => {
                // The device that showed the answer code is connected: it is no longer needed.
                if !statuses.is_empty() {
                    self.pairing_answer.set(None);
                }
                self.direct.set(statuses);
            }
        }
    }

    /// Replaces the whole view (a newly opened group, or a change that touched everything).
    fn replace_view(self, group: Group) {
        cohort_model::store::replace(self.view, group);
        self.followed.update(|n| *n += 1);
    }

    /// Follows the document: only the signals of the records the update touched fire.
    fn follow(self, update: cohort_model::Update) {
        let touched = cohort_model::store::follow(self.view, update);
        self.followed.update(|n| *n += 1);
        // A change that touched no member (a feedback edit) leaves the member lists alone.
        if touched.as_ref().is_none_or(|members| !members.is_empty()) {
            self.member_changes
                .update(|changes| changes.record(touched));
        }
    }

    /// Sends a request to the worker and waits for its reply.
    pub async fn request(self, request: Request) -> Result<Answer, Failure> {
        let (sender, receiver) = oneshot::channel();
        let sent = self.client.try_with_value(|client| {
            let worker = client.worker.as_ref()?;
            let mut pending = client.pending.borrow_mut();
            let seq = pending.next_seq;
            pending.next_seq = seq.wrapping_add(1);
            pending.replies.insert(seq, sender);
            let message = protocol::encode(&ToWorker { seq, request });
            if pending.ready {
                post(Some(worker), &message);
            } else {
                pending.held.push(message);
            }
            Some(())
        });
        if sent.flatten().is_none() {
            return Err(Failure::WorkerDown);
        }
        receiver.await.unwrap_or(Err(Failure::WorkerDown))
    }

    /// Sends a request whose answer nothing waits for (its failures show through events).
    pub(crate) fn tell(self, request: Request) {
        leptos::task::spawn_local(async move {
            let _ = self.request(request).await;
        });
    }

    /// Resolves once the worker has handled, and stored, everything asked of it before (it
    /// handles one request at a time, storing before the next). A field being typed in is
    /// left first, which saves it.
    pub async fn settle(self) {
        if let Some(field) = document()
            .active_element()
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = field.blur();
        }
        // The field saves from a task of its own: let it ask first.
        next_turn().await;
        let _ = self.request(Request::ListGroups).await;
    }

    /// Applies an action to the open group; the view follows through the worker's update.
    pub async fn apply(self, action: Action) -> Result<(), Failure> {
        self.apply_all(vec![action]).await
    }

    /// Applies actions as one change, all or nothing.
    pub async fn apply_all(self, actions: Vec<Action>) -> Result<(), Failure> {
        self.request(Request::Apply { actions }).await.map(drop)
    }

    /// Applies an action in the background, for buttons: `error` says why it was refused, and
    /// `done` runs once it is applied.
    pub fn apply_then<E: From<Failure> + Send + Sync + 'static>(
        self,
        action: Action,
        error: RwSignal<Option<E>>,
        done: impl FnOnce() + 'static,
    ) {
        leptos::task::spawn_local(async move {
            match self.apply(action).await {
                Ok(()) => {
                    error.set(None);
                    done();
                }
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    }

    /// Every tag in use, in order (tracked: follows member changes).
    pub fn tags(self) -> Vec<String> {
        self.member_changes.track();
        self.view
            .with_untracked(|g| g.tags().into_iter().map(str::to_owned).collect())
    }

    /// Every role, by id and name (tracked), for menus.
    pub fn role_choices(self) -> Vec<(RoleId, String)> {
        self.view.roles().with(|roles| {
            roles
                .values()
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect()
        })
    }

    /// Reloads the list of groups.
    pub fn refresh_groups(self) {
        leptos::task::spawn_local(async move {
            match self.request(Request::ListGroups).await {
                Ok(Answer::Groups(groups)) => self.groups.set(Some(groups)),
                Ok(_) => {}
                Err(failure) => self.alert.set(Some(failure.into())),
            }
        });
    }

    /// Shows a group: the cached view first if there is one, then the loaded document.
    pub fn open_group(self, id: GroupId) {
        if self.open.get_untracked() == Some(id) {
            return;
        }
        self.show_group(Some(id));
        mark("cohort:open-requested");
        // Opened on its analytics page: a report comes with the view, drawn first.
        let report = window()
            .location()
            .pathname()
            .is_ok_and(|path| path.ends_with("/analytics"))
            .then(analytics_clock);
        leptos::task::spawn_local(async move {
            if let Err(failure) = self.request(Request::OpenGroup { id, report }).await
                && self.open.get_untracked() == Some(id)
            {
                self.open_failure.set(Some(failure));
            }
        });
    }

    /// A member's name as the view has it (tracked), or `None` if they are not in the group.
    pub fn member_name(self, id: &MemberId) -> Option<String> {
        self.view
            .members()
            .at_key(id.clone())
            .try_with(|m| m.name.clone())
    }

    /// Sets this device's display name, keeps it for the next visit and tells the worker.
    pub fn set_display_name(self, name: String) {
        let name = name.trim().to_owned();
        keep(DISPLAY_NAME_KEY, &name);
        self.display_name.set(name);
        self.tell_display_name();
    }

    /// Syncs through the relay at `url` (already checked), or the home relay if it is empty;
    /// kept for the next visit.
    pub fn set_relay(self, url: String) {
        keep(RELAY_KEY, &url);
        self.relay.set(url);
        self.tell_relay();
    }

    /// What this browser may do with the group: `None` if it holds no capability (the group
    /// is open to anyone with its link, or not protected yet).
    pub fn role(self, group: GroupId) -> Option<AccessRole> {
        self.grants.with(|grants| {
            grants
                .iter()
                .find(|grant| grant.group == group)
                .map(|grant| grant.role)
        })
    }

    /// Whether the open group is read-only here: no edit controls are shown, and the worker
    /// refuses changes.
    pub fn read_only(self) -> bool {
        self.open
            .get()
            .is_some_and(|group| self.role(group) == Some(AccessRole::Read))
    }

    /// Holds a capability (from a link opened, or one the relay just gave), in place of any
    /// other for its group, and presents it from now on.
    pub fn hold(self, grant: Grant) {
        self.grants.update(|grants| {
            grants.retain(|held| held.group != grant.group);
            grants.push(grant);
        });
        self.keep_grants();
    }

    /// Forgets the capability held for a group (it was deleted).
    pub fn forget_grant(self, group: GroupId) {
        self.grants
            .update(|grants| grants.retain(|held| held.group != group));
        self.keep_grants();
    }

    fn keep_grants(self) {
        self.store_grants();
        self.tell_access();
    }

    fn store_grants(self) {
        let lines: Vec<String> = self.grants.with_untracked(|grants| {
            grants
                .iter()
                .map(|grant| format!("{} {}", grant.group, grant.fragment()))
                .collect()
        });
        keep(GRANTS_KEY, &lines.join("\n"));
    }

    fn tell_access(self) {
        let grants = self.grants.get_untracked();
        self.tell(Request::SetAccess { grants });
    }

    /// A share link carries its capability in the URL's fragment (`/g/<id>#read.<secret>`),
    /// which browsers never send to a server. It is held, then taken out of the address bar,
    /// so that the page's address shared on does not pass it on by accident.
    fn take_link_capability(self) {
        let location = window().location();
        let (Ok(path), Ok(hash)) = (location.pathname(), location.hash()) else {
            return;
        };
        let group = path
            .strip_prefix("/g/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|id| id.parse::<GroupId>().ok());
        let Some(grant) =
            group.and_then(|group| Grant::from_fragment(group, hash.trim_start_matches('#')))
        else {
            return;
        };
        self.grants.update_untracked(|grants| {
            grants.retain(|held| held.group != grant.group);
            grants.push(grant);
        });
        self.store_grants();
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
        }
    }

    fn tell_relay(self) {
        let url = Some(self.relay.get_untracked()).filter(|url| !url.is_empty());
        self.tell(Request::SetRelay { url });
    }

    fn tell_display_name(self) {
        let name = self.display_name.get_untracked();
        let device = self.device.get_value();
        self.tell(Request::SetOrganizer { name, device });
    }

    /// Forgets the open group (after it was deleted).
    pub fn close_group(self) {
        self.show_group(None);
    }

    /// Switches the page to `group`, with an empty view until its view arrives.
    fn show_group(self, group: Option<GroupId>) {
        self.open.set(group);
        self.gone.set(None);
        self.shown.set(false);
        self.loaded.set(false);
        self.open_failure.set(None);
        self.online.set(Vec::new());
        self.stored_report.set(None);
        self.replace_view(Group::default());
        self.member_changes.update(|changes| changes.record(None));
    }
}

/// Where the display name and the relay address are kept in local storage.
const DISPLAY_NAME_KEY: &str = "cohort-display-name";
const DEVICE_KEY: &str = "cohort-device";

/// This browser's device id: the one kept, or a new one kept from now on. Without local
/// storage each visit is a new device (its changes can then be undone only in that visit).
fn device_id() -> String {
    let kept = stored(DEVICE_KEY);
    if !kept.is_empty() {
        return kept;
    }
    // Without random numbers the changes are simply not attributed.
    let made = DeviceId::random()
        .map(|id| id.to_string())
        .unwrap_or_default();
    keep(DEVICE_KEY, &made);
    made
}
const RELAY_KEY: &str = "cohort-relay";
/// The capabilities held: a line `<group id> <role>.<secret>` each.
const GRANTS_KEY: &str = "cohort-access";

fn kept_grants() -> Vec<Grant> {
    stored(GRANTS_KEY)
        .lines()
        .filter_map(|line| {
            let (group, fragment) = line.split_once(' ')?;
            Grant::from_fragment(group.parse().ok()?, fragment)
        })
        .collect()
}

/// The clock the analytics are worked out at: now, in the organizer's time zone.
pub fn analytics_clock() -> cohort_model::analytics::Clock {
    cohort_model::analytics::Clock {
        now: now(),
        utc_offset_minutes: -(js_sys::Date::new_0().get_timezone_offset() as i32),
    }
}

/// A setting kept in local storage, empty if there is none.
pub(crate) fn stored(key: &str) -> String {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(key).ok().flatten())
        .unwrap_or_default()
}

pub(crate) fn keep(key: &str, value: &str) {
    if let Ok(Some(storage)) = window().local_storage() {
        // Not being able to keep it only means setting it again next visit.
        let _ = storage.set_item(key, value);
    }
}

/// Records a User Timing mark (visible in the browser's performance tools).
pub(crate) fn mark(name: &str) {
    if let Some(performance) = window().performance() {
        let _ = performance.mark(name);
    }
}

fn post(worker: Option<&Worker>, message: &[u8]) {
    let Some(worker) = worker else { return };
    let bytes = Uint8Array::from(message);
    if let Err(error) = worker.post_message_with_transfer(&bytes, &Array::of1(&bytes.buffer())) {
        web_sys::console::error_2(&"Cohort: could not reach the storage worker".into(), &error);
    }
}

/// The app state provided by [`AppState::provide`].
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}
