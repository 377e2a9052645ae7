//! Messages between the page and the worker that holds the group document.
//!
//! The page sends [`Request`]s, each with a number; the worker answers each with a
//! [`Reply`] carrying that number, and also sends [`Event`]s when the view must change.
//! Both travel as postcard bytes.

use serde::{Deserialize, Serialize};

use crate::history::{HistoryPage, RecordKey, Undone};
use crate::sheet::{
    Column, Export, ImportCounts, OnMatch, Sheet, SheetError, SheetPreview, Table, Words,
};
use crate::{Action, Activity, Feedback, GroupId, Invalid, Member, Millis, Update};

/// A group in the list of groups kept in this browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: GroupId,
    pub name: String,
    pub created_at: Millis,
}

/// What a capability link lets its holder do with a protected group (docs/sync.md, "Who may
/// sync a group").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessRole {
    /// See everything, live; change nothing.
    Read,
    Edit,
    /// Edit, and make and revoke links, and delete the group for everyone.
    Owner,
}

impl AccessRole {
    /// The name in a link's fragment and in the relay's API: `read`, `edit`, `owner`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Edit => "edit",
            Self::Owner => "owner",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Read, Self::Edit, Self::Owner]
            .into_iter()
            .find(|role| role.key() == key)
    }
}

/// A capability this device holds for a protected group: what it presents to the relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub group: GroupId,
    pub role: AccessRole,
    /// 32 hex digits; the relay keeps only its hash.
    pub secret: String,
}

impl Grant {
    /// Reads a share link's fragment, `<role>.<secret>` (`#` left off).
    pub fn from_fragment(group: GroupId, fragment: &str) -> Option<Self> {
        let (role, secret) = fragment.split_once('.')?;
        let secret_is_hex =
            secret.len() == 32 && secret.bytes().all(|byte| byte.is_ascii_hexdigit());
        Some(Self {
            group,
            role: AccessRole::from_key(role)?,
            secret: secret_is_hex.then(|| secret.to_ascii_lowercase())?,
        })
    }

    /// The fragment of a share link that carries it.
    pub fn fragment(&self) -> String {
        format!("{}.{}", self.role.key(), self.secret)
    }
}

/// A link of a protected group, as its owners see it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: String,
    pub role: AccessRole,
    pub label: String,
    /// Seconds since the Unix epoch, as the relay keeps time.
    pub expires_at: Option<u64>,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
}

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    ListGroups,
    CreateGroup {
        name: String,
        at: Millis,
    },
    RenameGroup {
        id: GroupId,
        name: String,
    },
    DeleteGroup {
        id: GroupId,
    },
    /// Shows the group (events follow) and makes it the one actions apply to. With `report`
    /// (the page's clock), an analytics report comes right after the stored view
    /// ([`Event::StoredReport`]): the one last worked out, or else one worked out from that
    /// view. The analytics page draws it while the document loads.
    OpenGroup {
        id: GroupId,
        report: Option<crate::analytics::Clock>,
    },
    /// Applies actions to the open group as one change, all or nothing (a bulk check-in, a
    /// pasted sign-in list). Queued if the group is still loading.
    Apply {
        actions: Vec<Action>,
    },
    /// Saves the open group's view, so the next open shows it at once. The page sends this
    /// when it is hidden.
    SaveView,
    /// Stores a saved Automerge document as a new group (for import and benchmarks): under
    /// `id` when it is a backup of a group with that id (restored on another device, it is
    /// the same group and syncs as one), else under a new id.
    ImportGroup {
        bytes: Vec<u8>,
        at: Millis,
        id: Option<GroupId>,
    },
    /// Benchmark: loads the stored bytes of a group with bare Automerge and times it.
    MeasureBareLoad {
        id: GroupId,
    },
    /// The browser went offline or came back online (the page's `offline` and `online`
    /// events): drop the relay connection at once rather than wait for it to time out, and
    /// reconnect at once when the network is back.
    NetworkChanged {
        online: bool,
    },
    /// Syncs through this relay (a `ws://` or `wss://` URL), or through the one that served the
    /// app when `None`.
    SetRelay {
        url: Option<String>,
    },
    /// This device's organizer: the name co-organizers see (while the device has a group
    /// open, and in the group's history), and the device id the group's changes made here are
    /// written under (its history's author; undo undoes this device's changes).
    SetOrganizer {
        name: String,
        device: String,
    },
    /// A page of the open group's history ([`Answer::History`]): the changes to `record`, or
    /// else the group's latest changes (only `by`'s, a device id, if given).
    History {
        record: Option<RecordKey>,
        by: Option<String>,
    },
    /// Undoes this device's latest change not undone yet, as a new change
    /// ([`Answer::Undone`]).
    Undo,
    /// Previews a spreadsheet (as the spreadsheet worker read it) as members of the open
    /// group: with the columns chosen, or those guessed from its header.
    PreviewSheet {
        table: Table,
        columns: Option<Vec<Option<Column>>>,
        words: Words,
    },
    /// Imports a spreadsheet into the open group as one change, as previewed.
    ImportSheet {
        table: Table,
        columns: Vec<Option<Column>>,
        on_match: OnMatch,
        words: Words,
        at: Millis,
    },
    /// The open group as a file to download, or its tables for the spreadsheet worker to
    /// write ([`Answer::Tables`]).
    Export {
        file: ExportFile,
        words: Words,
    },
    /// Merges a backup of the open group (its `.automerge` file) into it: neither side's
    /// changes are lost.
    MergeBackup {
        bytes: Vec<u8>,
    },
    /// The open group's analytics report ([`Answer::Analytics`]), worked out here, off the
    /// page's thread.
    Analytics {
        clock: crate::analytics::Clock,
    },
    /// The capabilities this device holds (the page keeps them): presented to the relay from
    /// the next connection on, and a group with a read-only one cannot be changed here.
    SetAccess {
        grants: Vec<Grant>,
    },
    /// Protects the group on the relay: from now on it syncs only with links its owners make.
    /// The answer is this device's owner capability ([`Answer::Granted`]).
    Protect {
        group: GroupId,
    },
    /// The open group's live links ([`Answer::Links`]); owners only.
    Links,
    /// A new link of the open group ([`Answer::NewLink`]); owners only.
    MakeLink {
        role: AccessRole,
        label: String,
        /// Seconds since the Unix epoch.
        expires_at: Option<u64>,
    },
    /// Revokes a link of the open group: its connections are cut at once.
    RevokeLink {
        id: String,
    },
    /// Deletes the open group from the relay for everyone, then from this device.
    DeleteForEveryone,
    /// A direct connection to another browser: the page holds it (workers have no WebRTC),
    /// the worker syncs over it. Answered at once, never queued behind storage.
    Direct(Direct),
}

/// What the page tells the worker of its direct connections (docs/sync.md, "Direct
/// connections").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direct {
    /// A data channel opened. The side that made the offer joins, the other welcomes.
    Opened {
        channel: u32,
        offered: bool,
        /// The display name of the organizer there, as far as this side knows it.
        name: String,
    },
    /// A frame arrived on the channel.
    Frame { channel: u32, frame: Vec<u8> },
    /// The channel closed, failed or stopped answering.
    Closed { channel: u32 },
    /// Send this offer or answer to a peer of the open group, through the relay.
    Signal(DirectSignal),
}

/// An offer or answer of a direct connection, with every ICE candidate in its SDP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectSignal {
    /// The peer it is for, or (received) from.
    pub peer: String,
    /// The attempt it belongs to; an answer carries its offer's.
    pub call: u64,
    pub offer: bool,
    pub sdp: String,
}

/// A direct connection as the sync status shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectStatus {
    pub channel: u32,
    /// The organizer's display name there (empty if it has not said).
    pub name: String,
    /// `Connecting` until the handshake, then `Syncing`, then `ServerHas` once that browser
    /// has everything this one has.
    pub state: SyncState,
}

/// A file the open group can be exported as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFile {
    /// One table as CSV.
    Csv(Export),
    /// Members, roles and feedback as the sheets of one workbook.
    Xlsx,
    /// The whole group as JSON.
    Json,
    /// The group's Automerge document: a backup, restored or merged on any device.
    Backup,
}

/// A file made for the organizer to download.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    pub name: String,
    /// Its media type, such as `text/csv`.
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Why a request failed, as the organizer should read it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Failure {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    Storage(StorageFailure),
    #[error("{0}")]
    Document(String),
    #[error("no group is open")]
    NoGroupOpen,
    #[error("this group is not in this browser (it may have been deleted)")]
    UnknownGroup,
    #[error(
        "this group is not on this device and the relay does not have it: check the link, or ask \
         whoever shared it to open Cohort while online so the relay gets the group"
    )]
    NotOnRelay,
    #[error("{0}")]
    Sheet(SheetError),
    #[error("this file is a backup of another group")]
    NotThisGroup,
    #[error("nothing of yours to undo in this group")]
    NothingToUndo,
    #[error("you can read this group but not change it: ask one of its owners for an edit link")]
    ReadOnly,
    #[error("only the group's owners can do this")]
    NotOwner,
    #[error("the relay cannot be reached: try again once you are online")]
    RelayUnreachable,
    #[error("the relay refused: {0}")]
    RelayRefused(String),
    #[error(
        "this relay does not protect groups (it is not a Cohort relay): the group stays open to anyone with its link"
    )]
    RelayWithoutAccess,
    /// The page's own: the storage worker did not start or stopped, so nothing answers.
    #[error(
        "Cohort could not start its storage worker, so nothing can be shown or saved. Reload the \
         page; if this keeps happening, use an up-to-date browser."
    )]
    WorkerDown,
}

/// A storage failure, with what the organizer can do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum StorageFailure {
    #[error(
        "This browser's storage for Cohort is full. Free space (delete groups you no longer need, or clear other sites' data), then try again."
    )]
    QuotaExceeded,
    #[error(
        "Cohort was updated in another tab. Close the other Cohort tabs, then reload this one."
    )]
    Blocked,
    #[error(
        "This browser does not let Cohort store data (private browsing or blocked storage). Allow site storage for this site, then reload."
    )]
    Unavailable(String),
    #[error("Saving failed: {0}. Your last change may not be stored; reload to see what was kept.")]
    Failed(String),
}

/// The answer to one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    Done,
    Groups(Vec<GroupSummary>),
    Group(GroupSummary),
    /// Milliseconds taken.
    Measured(f64),
    SheetPreview(SheetPreview),
    Imported(ImportCounts),
    File(Download),
    /// Tables to write as a file, and the group's name as file names start with it.
    Tables {
        stem: String,
        sheets: Vec<Sheet>,
    },
    Analytics(Box<crate::analytics::Report>),
    History(Box<HistoryPage>),
    Undone(Undone),
    Granted(Grant),
    Links(Vec<ShareLink>),
    NewLink {
        link: ShareLink,
        grant: Grant,
    },
}

/// A reply to request `seq`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub seq: u32,
    pub result: Result<Answer, Failure>,
}

/// Where the view came from when a group is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewSource {
    /// The view saved with the group: shown before the document has loaded.
    Cache,
    /// Read from the loaded document.
    Document,
}

/// What the worker tells the page without being asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker is ready for requests.
    Ready,
    /// A view of the group follows, in parts; the page shows it once `members` are in.
    ViewStart {
        group: GroupId,
        source: ViewSource,
        /// The group without its members, feedback and activities (those follow in parts):
        /// the profile, roles, contact log, trainings and key users' records.
        small: Box<crate::Group>,
    },
    ViewMembers(Vec<Member>),
    /// Every member has been sent.
    ViewMembersDone,
    ViewFeedback(Vec<Feedback>),
    ViewActivities(Vec<Activity>),
    /// The whole view has been sent.
    ViewDone,
    /// The document has loaded: actions now apply at once.
    Loaded {
        group: GroupId,
    },
    /// An analytics report of the group being opened, from before its document loaded.
    StoredReport {
        group: GroupId,
        report: Box<crate::analytics::Report>,
    },
    /// The open group changed.
    Updated {
        group: GroupId,
        update: Update,
    },
    /// Storage failed outside any request (for example while saving a change).
    StorageFailed(StorageFailure),
    /// The open group could not be opened after all (a shared group the relay lacks).
    OpenFailed {
        group: GroupId,
        failure: Failure,
    },
    /// How the open group stands with the relay.
    Sync(SyncStatus),
    /// The relay answered for the open group as for one it never had: deleted for everyone,
    /// or this device's link was revoked or expired (the relay does not say which). What this
    /// device has stays.
    Gone {
        group: GroupId,
    },
    /// The other devices that have the open group open now, by display name.
    Online {
        group: GroupId,
        names: Vec<String>,
    },
    /// Open a direct connection to this peer of the open group (it heard of it through the
    /// relay): make an offer, and send it with [`Direct::Signal`].
    Dial {
        peer: String,
        name: String,
    },
    /// A peer of the open group sent this offer or answer through the relay.
    Signalled {
        name: String,
        signal: DirectSignal,
    },
    /// Send this frame on the direct channel.
    DirectSend {
        channel: u32,
        frame: Vec<u8>,
    },
    /// Close the direct channel: its peer sent what cannot be synced.
    DirectClose {
        channel: u32,
    },
    /// The direct connections and how each stands, whenever that changes.
    Direct(Vec<DirectStatus>),
}

/// The connection to the relay, as the header shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncState {
    /// No connection; changes stay on this device until there is one.
    Offline,
    /// The worker connects as it starts, so this is where the page starts too.
    #[default]
    Connecting,
    /// Connected, with changes on their way one way or the other.
    Syncing,
    /// The relay has everything this device has, on disk.
    UpToDate,
    /// A server that is not Cohort's relay has everything this device has: it says it has
    /// it, but does not promise it is on disk.
    ServerHas,
    /// Connected to a relay that keeps no groups (`--signal-only`): it introduces this
    /// device to the group's other devices, and changes travel only over direct connections.
    SignalOnly,
}

impl SyncState {
    /// A stable name, for styling and tests.
    pub fn key(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Connecting => "connecting",
            Self::Syncing => "syncing",
            Self::UpToDate => "synced",
            Self::ServerHas => "server-has",
            Self::SignalOnly => "signal-only",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Offline => "Offline",
            Self::Connecting => "Connecting…",
            Self::Syncing => "Syncing…",
            Self::UpToDate => "Up to date",
            Self::ServerHas => "On the server",
            Self::SignalOnly => "Direct only",
        }
    }
}

/// The sync state of the open group, and when the relay last had all of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub state: SyncState,
    pub last_synced_at: Option<Millis>,
}

/// Puts together a group view sent as `ViewStart`, `ViewMembers`, `ViewFeedback` and
/// `ViewActivities` events, brought up to date by `Updated` ones; other events are ignored,
/// and a later `ViewStart` starts over.
pub fn assemble(events: impl IntoIterator<Item = Event>) -> crate::Group {
    let mut group = crate::Group::default();
    for event in events {
        match event {
            Event::ViewStart { small, .. } => {
                group = *small;
            }
            Event::ViewMembers(members) => {
                group
                    .members
                    .extend(members.into_iter().map(|m| (m.id.clone(), m)));
            }
            Event::ViewFeedback(items) => {
                group
                    .feedback
                    .extend(items.into_iter().map(|f| (f.id.clone(), f)));
            }
            Event::ViewActivities(activities) => {
                group
                    .activities
                    .extend(activities.into_iter().map(|a| (a.id.clone(), a)));
            }
            Event::Updated { update, .. } => group.apply(update),
            _ => {}
        }
    }
    group
}

/// A message from the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    Reply(Reply),
    Event(Event),
}

/// A message to the worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToWorker {
    pub seq: u32,
    pub request: Request,
}

/// A message that could not be decoded: the page and worker are from different builds.
#[derive(Debug, thiserror::Error)]
#[error("a message between the page and its worker could not be read ({0}); reload the page")]
pub struct BadMessage(#[from] postcard::Error);

/// Encodes a message for `postMessage`.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    // Encoding plain data into a Vec cannot fail.
    postcard::to_stdvec(message).unwrap_or_default()
}

/// Decodes a message from `postMessage`.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, BadMessage> {
    Ok(postcard::from_bytes(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let message = ToWorker {
            seq: 7,
            request: Request::CreateGroup {
                name: "Choir".into(),
                at: 1,
            },
        };
        assert_eq!(decode::<ToWorker>(&encode(&message)).unwrap(), message);
        assert!(decode::<FromWorker>(&[0xff, 0xff, 0xff]).is_err());
    }
}
