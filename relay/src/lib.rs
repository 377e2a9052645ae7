//! The Cohort relay: one small server per group of organizers. It serves the built app and
//! syncs group documents at `/sync` (the automerge-repo WebSocket protocol), storing them on
//! local disk.
//!
//! The start-up checks run before anything listens, so a misconfigured relay says what is
//! wrong in one line instead of failing on the first request.

mod access;
pub mod admin;
mod app;
mod groups;
mod headers;
mod low_priority;
mod memory;
pub mod open_files;
mod storage;
mod sync;
mod tls;

use std::{
    fs, io,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use axum::extract::State;
use axum::http::StatusCode;
use axum::serve::{Listener, ListenerExt};
use axum::{Json, Router, http::header, middleware, response::IntoResponse, routing::get};
use clap::Parser;
use cohort_sync::automerge::{Automerge, AutomergeError};
use cohort_sync::{DocumentId, hub};
use tokio::net::TcpListener;

use access::Guesses;
pub use access::{AccessStore, LinkInfo, NewLink, Role};
use app::serve_app;
use headers::SecurityHeaders;
pub use storage::DiskStore;
use sync::{EngineTask, Limits, SyncService, sync_socket};
pub use tls::TlsError;
use tls::TlsListener;

/// How the relay is started: every option also reads an environment variable.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "cohort-relay",
    version,
    about = "Serves the Cohort app to organizers' browsers and syncs their groups.",
    after_help = "Logging: COHORT_LOG sets the log filter (default: info), e.g. COHORT_LOG=debug."
)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "COHORT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory for the relay's stored data; created if missing.
    #[arg(long, env = "COHORT_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory of the built app (Trunk's output, with index.html).
    #[arg(long, env = "COHORT_APP_DIR", default_value = "dist")]
    pub app_dir: PathBuf,
    /// PEM certificate chain to serve HTTPS and WSS with, instead of plain HTTP; needs
    /// --tls-key. Browsers give the app its offline copy and install only over HTTPS (or on
    /// localhost).
    #[arg(long, env = "COHORT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "COHORT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Threads that run the connections and the sync engine's shards; default: one per core.
    #[arg(long, env = "COHORT_THREADS")]
    pub threads: Option<usize>,
    /// Most sync connections open at once; more are refused with 503.
    #[arg(long, env = "COHORT_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Largest sync frame in bytes; a larger one closes its connection.
    #[arg(long, env = "COHORT_MAX_FRAME_BYTES", default_value_t = 64 << 20)]
    pub max_frame_bytes: usize,
    /// Largest ephemeral message (such as presence) forwarded to a group's other peers, in
    /// bytes; a larger one is dropped and its sender told why.
    #[arg(long, env = "COHORT_MAX_EPHEMERAL_BYTES", default_value_t = 16 << 10)]
    pub max_ephemeral_bytes: usize,
    /// Most ephemeral messages of one connection forwarded per second; the others are dropped
    /// and the sender told why (each goes to every peer of the group).
    #[arg(long, env = "COHORT_MAX_EPHEMERAL_PER_SECOND", default_value_t = 50)]
    pub max_ephemeral_per_second: u32,
    /// Seconds a connection may go with nothing heard from its peer and none of the relay's
    /// frames getting through before it is closed (a peer that stopped reading). It is pinged
    /// at a third of this, so a live but quiet peer always answers in time.
    #[arg(long, env = "COHORT_STALLED_SECS", default_value_t = 45)]
    pub stalled_secs: u64,
    /// Most bytes one group may take on disk; a change past it is refused, its senders told
    /// why (they keep it), and tried again later. Default: no limit.
    #[arg(long, env = "COHORT_MAX_GROUP_BYTES")]
    pub max_group_bytes: Option<u64>,
    /// Most bytes all groups together may take on disk, as for `--max-group-bytes`.
    #[arg(long, env = "COHORT_MAX_STORAGE_BYTES")]
    pub max_storage_bytes: Option<u64>,
    /// Most documents one connection may sync.
    #[arg(
        long,
        env = "COHORT_MAX_DOCUMENTS_PER_CONNECTION",
        default_value_t = 256
    )]
    pub max_documents_per_connection: usize,
    /// Most frames one connection may send per second.
    #[arg(long, env = "COHORT_MAX_MESSAGES_PER_SECOND", default_value_t = 2_000)]
    pub max_messages_per_second: u32,
    /// Most bytes of one connection's frames read per second; a connection that sends faster
    /// is read more slowly (nothing is lost), so it cannot take the relay's cores or memory.
    #[arg(long, env = "COHORT_MAX_BYTES_PER_SECOND", default_value_t = 8 << 20)]
    pub max_bytes_per_second: u64,
    /// Most bytes that may wait to be sent to one connection beyond the frame it is taking; a
    /// connection that falls further behind is closed (it syncs again when it reconnects),
    /// and ephemeral messages such as presence are skipped for it instead.
    #[arg(long, env = "COHORT_MAX_BYTES_IN_FLIGHT", default_value_t = 16 << 20)]
    pub max_bytes_in_flight: usize,
    /// Most bytes waiting to be sent to all connections together (a message shared by many
    /// connections counts once). Past it, a connection that is sent more is closed until the
    /// relay catches up (it reconnects and syncs), and ephemeral messages are skipped.
    #[arg(long, env = "COHORT_MAX_PENDING_OUTPUT_BYTES", default_value_t = 256 << 20)]
    pub max_pending_output_bytes: usize,
    /// Most messages of one connection that may wait for one document's load or write; more
    /// close the connection.
    #[arg(long, env = "COHORT_MAX_WAITING_PER_DOCUMENT", default_value_t = 64)]
    pub max_waiting_per_document: usize,
    /// Seconds a document nobody syncs stays in memory.
    #[arg(long, env = "COHORT_IDLE_UNLOAD_SECS", default_value_t = 30)]
    pub idle_unload_secs: u64,
    /// Seconds a new connection has to start the handshake.
    #[arg(long, env = "COHORT_JOIN_TIMEOUT_SECS", default_value_t = 10)]
    pub join_timeout_secs: u64,
    /// Seconds a request for a document the relay does not have yet waits for the changes
    /// another peer has announced, before it is answered "unavailable".
    #[arg(long, env = "COHORT_HOLD_REQUEST_SECS", default_value_t = 10)]
    pub hold_request_secs: u64,
    /// Keep and sync no groups: only introduce the peers that have a group open to each other
    /// (their presence, and the offers and answers with which their browsers connect
    /// directly). Organizers' browsers then sync with each other, and nothing of a group
    /// reaches this relay's disk or memory.
    #[arg(long, env = "COHORT_SIGNAL_ONLY")]
    pub signal_only: bool,
    /// Compact every document into one snapshot, then exit without serving. Run it with the
    /// relay stopped, before giving the data directory to the reference sync server, which
    /// does not read the relay's change logs.
    #[arg(long)]
    pub compact_and_exit: bool,
    /// Other origins the app may sync with (its Content-Security-Policy's connect-src), such
    /// as another relay organizers set in the app's settings: `wss://relay.example.org`.
    #[arg(long, env = "COHORT_CONNECT_SRC", value_delimiter = ',')]
    pub connect_src: Vec<String>,
    /// Wrong capabilities one address may present per minute before it is refused for the rest
    /// of the minute.
    #[arg(long, env = "COHORT_WRONG_LINKS_PER_ADDRESS", default_value_t = 30)]
    pub wrong_links_per_address: u32,
    /// Wrong capabilities for one group per minute, from anywhere, before attempts at it are
    /// refused for the rest of the minute.
    #[arg(long, env = "COHORT_WRONG_LINKS_PER_GROUP", default_value_t = 100)]
    pub wrong_links_per_group: u32,
    /// An admin task instead of serving.
    #[command(subcommand)]
    pub command: Option<admin::Command>,
}

/// Shards of the sync engine per thread: more than one, so that a shard busy with one large
/// group holds up few others, and few enough that idle shards cost nothing to speak of.
const SHARDS_PER_THREAD: usize = 4;

impl Config {
    /// The threads to run on: `--threads`, or one per core.
    pub fn threads(&self) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1)
    }

    fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections,
            shards: self.threads() * SHARDS_PER_THREAD,
            stalled: std::time::Duration::from_secs(self.stalled_secs.max(1)),
            max_bytes_in_flight: self.max_bytes_in_flight,
            max_pending_output_bytes: self.max_pending_output_bytes,
            engine: hub::Config {
                max_frame_bytes: self.max_frame_bytes,
                max_documents_per_connection: self.max_documents_per_connection,
                max_messages_per_second: self.max_messages_per_second,
                max_bytes_per_second: self.max_bytes_per_second,
                max_waiting_per_document: self.max_waiting_per_document,
                idle_unload_ms: self.idle_unload_secs.saturating_mul(1_000),
                join_timeout_ms: self.join_timeout_secs.saturating_mul(1_000),
                hold_request_ms: self.hold_request_secs.saturating_mul(1_000),
                max_ephemeral_bytes: self.max_ephemeral_bytes,
                max_ephemeral_per_second: self.max_ephemeral_per_second,
                signal_only: self.signal_only,
                ..hub::Config::default()
            },
        }
    }
}

/// Why the relay could not start. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "the built app is missing: {index} not found; build it with `scripts/run` \
         (or `trunk build --release`), or point --app-dir at it"
    )]
    AppMissing { index: PathBuf },
    #[error("the data directory {dir} is not usable: {source}; choose another with --data-dir")]
    DataDir { dir: PathBuf, source: io::Error },
    #[error("{0}; give a PEM certificate chain with --tls-cert and its private key with --tls-key")]
    Tls(#[from] TlsError),
    #[error(
        "cannot listen on {addr}: {source}; is another relay running? choose another with --addr"
    )]
    Bind { addr: SocketAddr, source: io::Error },
}

/// Why a document could not be compacted; it is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum CompactError {
    #[error("the data directory {dir} cannot be read: {source}")]
    DataDir { dir: PathBuf, source: io::Error },
    #[error("document {document}: {source}")]
    Storage {
        document: DocumentId,
        source: io::Error,
    },
    #[error("document {document} does not load, so it was left as it is: {source}")]
    Unreadable {
        document: DocumentId,
        source: Box<AutomergeError>,
    },
}

/// Compacts every document that has a change log into one snapshot in automerge-repo's
/// NodeFS layout, which the reference sync server reads. Returns how many were compacted and
/// what went wrong with the others.
pub fn compact_all(data_dir: &Path) -> Result<(usize, Vec<CompactError>), CompactError> {
    let data_dir_error = |source| CompactError::DataDir {
        dir: data_dir.to_owned(),
        source,
    };
    let store = DiskStore::open(data_dir).map_err(data_dir_error)?;
    let mut compacted = 0;
    let mut failed = Vec::new();
    for document in store.logged_documents().map_err(data_dir_error)? {
        match compact_one(&store, &document) {
            Ok(()) => compacted += 1,
            Err(error) => failed.push(error),
        }
    }
    Ok((compacted, failed))
}

fn compact_one(store: &DiskStore, document: &DocumentId) -> Result<(), CompactError> {
    let storage_error = |source| CompactError::Storage {
        document: document.clone(),
        source,
    };
    let Some(stored) = store.load(document).map_err(storage_error)? else {
        return Ok(());
    };
    let whole = Automerge::load(&stored.bytes).map_err(|source| CompactError::Unreadable {
        document: document.clone(),
        source: Box::new(source),
    })?;
    store
        .compact(document, &whole.save())
        .map_err(storage_error)
}

/// A relay whose checks passed and whose socket is bound, ready to serve.
#[derive(Debug)]
pub struct Relay {
    listener: TcpListener,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
    router: Router,
    engine: EngineTask,
}

impl Relay {
    /// Checks the app and data directories, then binds the address.
    pub async fn bind(config: &Config) -> Result<Self, StartError> {
        let index = config.app_dir.join("index.html");
        if !index.is_file() {
            return Err(StartError::AppMissing { index });
        }
        let data_dir_error = |source| StartError::DataDir {
            dir: config.data_dir.clone(),
            source,
        };
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
            _ => None,
        };
        prepare_data_dir(&config.data_dir).map_err(data_dir_error)?;
        let quotas = storage::Quotas {
            per_document: config.max_group_bytes,
            total: config.max_storage_bytes,
        };
        let store = DiskStore::open(&config.data_dir)
            .and_then(|store| store.with_quotas(quotas))
            .map_err(data_dir_error)?;
        let access = AccessStore::open(&config.data_dir).map_err(data_dir_error)?;
        let storage_id = storage::storage_id(&config.data_dir).map_err(data_dir_error)?;
        let admin_secret = admin::secret(&config.data_dir).map_err(data_dir_error)?;
        let index_html = fs::read_to_string(&index).map_err(|_| StartError::AppMissing {
            index: index.clone(),
        })?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let guesses = Guesses::new(config.wrong_links_per_address, config.wrong_links_per_group);
        let mut limits = config.limits();
        limits.engine.storage_id = Some(storage_id);
        let (sync, engine) = SyncService::start(store, access, guesses, limits);
        let headers = SecurityHeaders::new(&index_html, &config.connect_src);
        let router = router(&config.app_dir)
            .merge(groups::router(sync.clone(), admin_secret))
            .merge(sync_router(sync))
            .layer(middleware::from_fn_with_state(headers, headers::apply));
        Ok(Self {
            listener,
            tls,
            router,
            engine,
        })
    }

    /// The address actually bound (differs from the configured one when it asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Where browsers find the app: `https://` when the relay has a certificate.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}/", self.local_addr())
    }

    /// Serves until `shutdown` resolves, then lets open requests finish. Fails if the sync
    /// engine stops (a panic), so the process ends with a failing status.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        tracing::info!(url = %self.url(), "serving");
        let Self {
            listener,
            tls,
            router,
            engine,
        } = self;
        match tls {
            Some(config) => {
                let listener =
                    TlsListener::new(listener, config)?.tap_io(|tls| set_nodelay(tls.get_ref().0));
                serve_on(listener, router, engine, shutdown).await
            }
            None => {
                let listener = listener.tap_io(|tcp| set_nodelay(tcp));
                serve_on(listener, router, engine, shutdown).await
            }
        }
    }
}

/// Small frames go out at once: without TCP_NODELAY, a frame written while the previous one is
/// unacknowledged waits for the peer's delayed ACK (up to 40 ms).
fn set_nodelay(tcp: &tokio::net::TcpStream) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY on a connection");
    }
}

/// Serves `router` on `listener` until `shutdown`, or fails when the sync engine stops.
async fn serve_on<L>(
    listener: L,
    router: Router,
    engine: EngineTask,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
    for<'a> SocketAddr: axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    // Wrong capabilities are counted per address.
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(shutdown);
    tokio::select! {
        served = served => served,
        error = engine.stopped() => {
            tracing::error!(%error, "stopping");
            Err(error)
        }
    }
}

/// The sync endpoint, and the health check that asks its engine.
fn sync_router(sync: SyncService) -> Router {
    Router::new()
        .route("/sync", get(sync_socket))
        .route("/healthz", get(healthz))
        .with_state(sync)
}

/// The routes that serve the app.
pub fn router(app_dir: &Path) -> Router {
    Router::new().fallback_service(serve_app(app_dir))
}

/// Healthy means the sync engine answers, not only that HTTP does: a supervisor restarts a
/// relay whose engine is stuck.
async fn healthz(State(sync): State<SyncService>) -> impl IntoResponse {
    let (code, status) = if sync.engine_answers().await {
        (StatusCode::OK, "ok")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the sync engine does not answer",
        )
    };
    (
        code,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "status": status, "version": env!("CARGO_PKG_VERSION") })),
    )
}

/// Creates the data directory if needed and proves it is writable with a synced probe file,
/// so a read-only disk is found at start-up and not on the first stored change.
fn prepare_data_dir(dir: &Path) -> io::Result<()> {
    use io::Write;
    fs::create_dir_all(dir)?;
    let probe = dir.join(".cohort-write-probe");
    let mut file = fs::File::create(&probe)?;
    file.write_all(b"ok")?;
    file.sync_all()?;
    fs::remove_file(&probe)
}
