//! The sync benchmark: our relay against the reference automerge-repo sync server
//! (`@automerge/automerge-repo-sync-server`, in Node), both driven by the same Rust clients
//! (`cohort_sync::client::Client` over tokio-tungstenite, one WebSocket each). Prints the
//! figures `docs/perf.md` records, as a table and as JSON. Run it with `scripts/bench sync`
//! (release builds).
//!
//! Usage: `bench-sync [--quick] [--server relay|reference|both|protected|threads|all]
//! [--only SCENARIO,...] [--rounds N] [--quiet-wait SECONDS]` with scenarios `scale`, `scale2`,
//! `busy` (what a server delivers per second when 200 groups edit faster than it keeps up),
//! `crowd-slow`, `crowd`, `join`, `wire`, `big`. `--rounds` repeats the load scenarios' join, write and leave on one server (to see
//! whether memory comes back); before each scenario the benchmark waits up to `--quiet-wait`
//! seconds (default 120) for other processes to stop using the CPU.
//!
//! `--server all` runs the three: the relay on one thread, on all cores, and the reference.
//! `--server threads` runs the relay on one thread (`--threads 1`, `relay-1-thread` in the
//! output) and on all the machine's cores, to measure what the engine's shards gain.
//!
//! `--server protected` runs the relay twice, as it is and with every group protected (each
//! connection presenting an edit capability for its group in its URL), to measure what the
//! access checks cost (`relay-protected` in the output).
//!
//! Every scenario starts a fresh server with a fresh data directory, on 127.0.0.1, and kills it
//! (its whole process group) when done, on error, and on Ctrl-C or SIGTERM.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use cohort_model::{Action, GroupDoc, MemberField, MemberId, MemberStatus, sample};
use cohort_sync::DocumentId;
use cohort_sync::automerge::transaction::Transactable;
use cohort_sync::automerge::{
    Automerge, ChangeHash, PatchAction, PatchLog, ROOT, ReadDoc, ScalarValue, Value,
};
use harness::SyncPeer;
use serde_json::{Value as Json, json};
use tokio::sync::{Semaphore, watch};
use tokio::time::MissedTickBehavior;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = Result<T, Error>;

fn error(message: impl Into<String>) -> Error {
    message.into().into()
}

/// Root keys the writers put, `w:<writer>:<seq>`, each holding the microseconds since
/// [`bench_start`] at which the edit was made.
const EDIT_PREFIX: &str = "w:";
/// Frames larger than this are applied one at a time by the load client (see `join`).
const BIG_FRAME: usize = 64 << 10;
/// How long each client joining the large group may take.
const JOIN_LIMIT: Duration = Duration::from_secs(120);
/// The relay's idle unload, in seconds (a command-line option of the relay).
const IDLE_UNLOAD_SECS: u64 = 5;

/// The clock every client shares: edits carry their time on it.
fn bench_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn bench_micros() -> u64 {
    u64::try_from(bench_start().elapsed().as_micros()).unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------------------------------------
// The servers and what /proc says about them.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Relay,
    /// The relay with `--threads 1`: its shards on one thread.
    RelayOneThread,
    /// The relay with every group protected before it is seeded.
    ProtectedRelay,
    Reference,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Relay => "relay",
            Kind::RelayOneThread => "relay-1-thread",
            Kind::ProtectedRelay => "relay-protected",
            Kind::Reference => "reference",
        }
    }
}

/// `$COHORT_RELAY_BIN`, or the release build: a benchmark of a debug build would mislead.
/// A server under load: the harness's relay or reference sync server, each on a free loopback
/// port with a fresh data directory, killed (process group and all) when dropped.
enum Process {
    Relay(harness::Relay),
    Reference(harness::js::ReferenceServer),
}

struct Server {
    process: Process,
    pid: u32,
    url: String,
    /// The relay's stand-in app (see `start`); removed after the relay is killed.
    _app: Option<tempfile::TempDir>,
}

impl Server {
    fn start(kind: Kind) -> Res<Self> {
        match kind {
            Kind::Relay | Kind::RelayOneThread | Kind::ProtectedRelay => {
                // The relay wants an app to serve; this benchmark never asks for it, so a
                // stand-in does (and a rebuild of dist/ meanwhile cannot get in the way).
                let app = harness::temp_dir("cohort-bench-app-")?;
                fs::write(
                    app.path().join("index.html"),
                    "<!doctype html><title>bench</title>",
                )?;
                let idle = IDLE_UNLOAD_SECS.to_string();
                let mut args = vec![
                    "--max-connections",
                    "20000",
                    "--idle-unload-secs",
                    idle.as_str(),
                ];
                if kind == Kind::RelayOneThread {
                    args.extend(["--threads", "1"]);
                }
                let relay = harness::Relay::launch_with(&harness::relay_bin()?, app.path(), &args)?;
                let pid = relay
                    .pid()
                    .ok_or_else(|| error("the relay is not running"))?;
                Ok(Self {
                    url: relay.sync_url(),
                    pid,
                    process: Process::Relay(relay),
                    _app: Some(app),
                })
            }
            Kind::Reference => {
                let server = harness::js::ReferenceServer::start()?;
                Ok(Self {
                    url: server.url(),
                    pid: server.pid(),
                    process: Process::Reference(server),
                    _app: None,
                })
            }
        }
    }

    /// Resident memory in KiB.
    fn rss_kib(&self) -> u64 {
        proc_status(self.pid, "VmRSS:")
    }

    /// Resident anonymous memory (the heap and stacks, not the mapped program) in KiB.
    fn anon_kib(&self) -> u64 {
        proc_status(self.pid, "RssAnon:")
    }

    /// Peak resident memory since start, in KiB.
    fn hwm_kib(&self) -> u64 {
        proc_status(self.pid, "VmHWM:")
    }

    fn cpu_ms(&self) -> f64 {
        cpu_ms(&self.pid.to_string())
    }

    fn alive(&mut self) -> bool {
        match &mut self.process {
            Process::Relay(relay) => relay.is_running(),
            Process::Reference(server) => server.is_running(),
        }
    }
}

fn proc_status(pid: u32, field: &str) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// User plus system CPU time of a process (`self` for this one), in milliseconds.
fn cpu_ms(pid: &str) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); the list starts at field 3.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 1000.0 / clock_ticks_per_second()
}

/// Samples a process's resident memory every 20 ms on a thread, keeping the highest.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<u64>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::Relaxed) {
                peak = peak.max(proc_status(pid, "VmRSS:"));
                thread::sleep(Duration::from_millis(20));
            }
            peak.max(proc_status(pid, "VmRSS:"))
        });
        Self { stop, thread }
    }

    fn peak_kib(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// One client connection: the same code against both servers.

/// A load client's connection: the harness's sync peer, and the latency of each writer's edit
/// it received.
struct Conn {
    peer: SyncPeer,
    /// Whether to read the writers' keys out of what arrives (latency).
    track: bool,
    latencies: Vec<u32>,
}

impl Conn {
    /// Connects, does the handshake and sends the document's first sync message.
    async fn open(
        url: &str,
        name: String,
        document: DocumentId,
        doc: Automerge,
        track: bool,
    ) -> Res<Self> {
        let url = match capabilities()
            .lock()
            .ok()
            .and_then(|held| held.get(&document).cloned())
        {
            Some(secret) => format!("{url}?access={document}.{secret}"),
            None => url.to_owned(),
        };
        let peer = SyncPeer::connect(&url, &name, document, doc).await?;
        Ok(Self {
            peer,
            track,
            latencies: Vec::new(),
        })
    }

    /// Handles one frame; returns how many writers' edits it delivered.
    fn handle(&mut self, frame: &[u8]) -> Res<u64> {
        let mut log = if self.track {
            PatchLog::active()
        } else {
            PatchLog::inactive()
        };
        self.peer.handle(frame, &mut log)?;
        if self.peer.unavailable {
            return Err(error("the server said the document is unavailable"));
        }
        Ok(if self.track { self.record(&mut log) } else { 0 })
    }

    /// Records the latency of each writer's edit that a sync message brought.
    fn record(&mut self, log: &mut PatchLog) -> u64 {
        let now = bench_micros();
        let mut delivered = 0;
        for patch in self.peer.doc.make_patches(log) {
            if patch.obj != ROOT {
                continue;
            }
            if let PatchAction::PutMap {
                key,
                value: (Value::Scalar(value), _),
                ..
            } = &patch.action
                && key.starts_with(EDIT_PREFIX)
                && let ScalarValue::Uint(at) = value.as_ref()
            {
                let micros = now.saturating_sub(*at);
                self.latencies
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
                delivered += 1;
            }
        }
        delivered
    }

    /// Puts one writer key and sends the change.
    async fn edit(&mut self, key: String) -> Res<usize> {
        let mut tx = self.peer.doc.transaction();
        tx.put(ROOT, key, ScalarValue::Uint(bench_micros()))?;
        tx.commit();
        Ok(self.peer.flush().await?)
    }

    /// Reads and handles frames (answering each) until `done` holds.
    async fn until(&mut self, limit: Duration, done: impl Fn(&SyncPeer) -> bool) -> Res<()> {
        Ok(self.peer.until(limit, done).await?)
    }

    async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.peer.close()).await;
    }
}

/// The peer's socket, counters and document, as the scenarios read them.
impl std::ops::Deref for Conn {
    type Target = SyncPeer;
    fn deref(&self) -> &SyncPeer {
        &self.peer
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut SyncPeer {
        &mut self.peer
    }
}

/// Whether the server has said it has exactly `heads`, and the peer has them too.
fn synced_at(peer: &SyncPeer, heads: &[ChangeHash]) -> bool {
    peer.is_synced() && sorted(peer.doc.get_heads()) == heads
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort_unstable();
    heads
}

// ---------------------------------------------------------------------------------------------
// Documents.

/// A document to put on the server first.
#[derive(Debug)]
struct Seed {
    id: DocumentId,
    doc: Automerge,
    heads: Vec<ChangeHash>,
}

fn document_id(n: u64) -> DocumentId {
    // A version 4 UUID, as automerge-repo makes (the reference checks the version and variant).
    let mut bytes = [0xc0; 16];
    bytes[8..].copy_from_slice(&(n + 1).to_be_bytes());
    bytes[6] = 0x40;
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    DocumentId::from_bytes(bytes)
}

fn seed(n: u64, members: usize, feedback: usize) -> Res<Seed> {
    let group = sample::group(members, feedback, n + 1).map_err(|e| error(e.to_string()))?;
    let doc = group.automerge().clone();
    Ok(Seed {
        id: document_id(n),
        heads: sorted(doc.get_heads()),
        doc,
    })
}

/// Puts the documents on the server, `parallel` at a time, and returns the connections that
/// did it (still open when `keep`).
/// The edit capability for each protected group, which every connection to it presents: a
/// global, so that the scenarios' code is the same for a protected relay.
fn capabilities() -> &'static std::sync::Mutex<std::collections::HashMap<DocumentId, String>> {
    static HELD: OnceLock<std::sync::Mutex<std::collections::HashMap<DocumentId, String>>> =
        OnceLock::new();
    HELD.get_or_init(Default::default)
}

/// Whether the documents put on the server are protected first.
static PROTECT: AtomicBool = AtomicBool::new(false);

/// Protects the group on the relay at `url` (its sync URL) and keeps its owner capability.
async fn protect(url: &str, document: &DocumentId) -> Res<()> {
    use http_body_util::{BodyExt, Full};
    let base = url.replacen("ws://", "http://", 1).replace("/sync", "");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<tokio_tungstenite::tungstenite::Bytes>>();
    let request = http::Request::post(format!("{base}/groups/{document}/protect"))
        .body(Full::new(tokio_tungstenite::tungstenite::Bytes::new()))?;
    let response = client.request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    let owner: Json = serde_json::from_slice(&body)?;
    let secret = owner["secret"]
        .as_str()
        .ok_or_else(|| error(format!("the relay did not protect {document}: {owner}")))?;
    capabilities()
        .lock()
        .map_err(|_| error("capabilities poisoned"))?
        .insert(document.clone(), secret.to_owned());
    Ok(())
}

async fn put_documents(
    url: &str,
    seeds: &[Arc<Seed>],
    parallel: usize,
    keep: bool,
) -> Res<Vec<Conn>> {
    if PROTECT.load(Ordering::Relaxed) {
        for seed in seeds {
            protect(url, &seed.id).await?;
        }
    }
    let gate = Arc::new(Semaphore::new(parallel));
    let mut tasks = Vec::new();
    for (n, seed) in seeds.iter().enumerate() {
        let (gate, url, seed) = (gate.clone(), url.to_owned(), seed.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            let mut conn = Conn::open(
                &url,
                format!("seeder-{n}"),
                seed.id.clone(),
                seed.doc.clone(),
                false,
            )
            .await?;
            conn.until(Duration::from_secs(60), |c| synced_at(c, &seed.heads))
                .await?;
            if keep {
                Ok::<_, Error>(Some(conn))
            } else {
                conn.close().await;
                Ok(None)
            }
        }));
    }
    let mut kept = Vec::new();
    for task in tasks {
        if let Some(conn) = task.await?? {
            kept.push(conn);
        }
    }
    Ok(kept)
}

// ---------------------------------------------------------------------------------------------
// Scenarios 1-3: many connections over many documents, writers on a few.

#[derive(Clone, Copy, Debug)]
struct Load {
    name: &'static str,
    connections: usize,
    documents: usize,
    /// Documents with writers: the first ones.
    hot_documents: usize,
    /// Writers on each hot document: its first clients.
    writers_per_document: usize,
    /// Each writer makes an edit this often...
    period: Duration,
    /// ... for this long.
    duration: Duration,
    /// How many connections may be opening at once.
    opening: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Joining,
    Writing {
        start: tokio::time::Instant,
        end: tokio::time::Instant,
    },
    Stop,
}

#[derive(Debug)]
struct Writer {
    /// `<round>:<connection>`: unique over the rounds on one server.
    id: String,
    offset: Duration,
    period: Duration,
    /// How many peers each edit goes to.
    fanout: u64,
}

#[derive(Debug, Default)]
struct Counters {
    synced: AtomicU64,
    failed: AtomicU64,
    edits: AtomicU64,
    expected: AtomicU64,
    delivered: AtomicU64,
}

#[derive(Debug, Default)]
struct PeerReport {
    synced_after: Option<Duration>,
    error: Option<String>,
    /// Lost after it had synced.
    dropped: bool,
    latencies: Vec<u32>,
}

#[allow(clippy::too_many_arguments)]
async fn load_peer(
    url: Arc<str>,
    n: usize,
    seed: Arc<Seed>,
    writer: Option<Writer>,
    gate: Arc<Semaphore>,
    counters: Arc<Counters>,
    mut phase: watch::Receiver<Phase>,
) -> PeerReport {
    let started = Instant::now();
    let joining = async {
        let mut conn = {
            let _permit = gate.acquire().await?;
            Conn::open(
                &url,
                format!("peer-{n}"),
                seed.id.clone(),
                Automerge::new(),
                false,
            )
            .await?
        };
        // Synced with the server: it has said it has exactly what this peer has, which is
        // not empty. (Not the seeded heads: from the second round on, the groups that were
        // written to have moved on.)
        conn.until(Duration::from_secs(120), |c| {
            c.is_synced() && !c.doc.get_heads().is_empty()
        })
        .await?;
        // Edits count from here on: not those of earlier rounds the first sync brought.
        conn.track = true;
        Ok::<_, Error>(conn)
    };
    let mut report = PeerReport::default();
    let mut conn = match tokio::time::timeout(Duration::from_secs(150), joining).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            report.error = Some(e.to_string());
            counters.failed.fetch_add(1, Ordering::Relaxed);
            return report;
        }
        Err(_) => {
            report.error = Some("not synced in 150 s".to_owned());
            counters.failed.fetch_add(1, Ordering::Relaxed);
            return report;
        }
    };
    report.synced_after = Some(started.elapsed());
    counters.synced.fetch_add(1, Ordering::Relaxed);

    let mut ticker: Option<tokio::time::Interval> = None;
    let mut end = None;
    let mut seq = 0u64;
    loop {
        if let (Some(w), Phase::Writing { start, end: until }, None) =
            (&writer, *phase.borrow(), &end)
        {
            let mut interval = tokio::time::interval_at(start + w.offset, w.period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
            ticker = Some(interval);
            end = Some(until);
        }
        let tick = async {
            match ticker.as_mut() {
                Some(ticker) => ticker.tick().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = conn.next_frame() => {
                let handled = match frame {
                    Ok(frame) => conn.handle(&frame),
                    Err(e) => Err(e.into()),
                };
                let flushed = match handled {
                    Ok(delivered) => {
                        counters.delivered.fetch_add(delivered, Ordering::Relaxed);
                        conn.flush().await.map(drop).map_err(Error::from)
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = flushed {
                    report.error = Some(e.to_string());
                    report.dropped = true;
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
            now = tick => {
                let (Some(w), Some(until)) = (&writer, end) else { continue };
                if now >= until {
                    ticker = None;
                    continue;
                }
                seq += 1;
                if let Err(e) = conn.edit(format!("{EDIT_PREFIX}{}:{seq}", w.id)).await {
                    report.error = Some(e.to_string());
                    report.dropped = true;
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                counters.edits.fetch_add(1, Ordering::Relaxed);
                counters.expected.fetch_add(w.fanout, Ordering::Relaxed);
            }
            changed = phase.changed() => {
                if changed.is_err() || *phase.borrow() == Phase::Stop {
                    break;
                }
            }
        }
    }
    report.latencies = std::mem::take(&mut conn.latencies);
    if !report.dropped {
        // Wait for the stop before closing, so that a dropped peer leaves as the others do.
        while *phase.borrow() != Phase::Stop {
            if phase.changed().await.is_err() {
                break;
            }
        }
        conn.close().await;
    }
    report
}

/// Waits until `done` holds, or `limit` passes; returns whether it held.
async fn wait_for(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn idle_baseline(server: &Server) -> u64 {
    // Let the server settle (Node finishes loading its modules) before the baseline.
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.rss_kib()
}

/// Busy CPU time of the whole machine (all cores), in milliseconds.
fn machine_busy_ms() -> f64 {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy: f64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum();
    busy * 1000.0 / clock_ticks_per_second()
}

/// CPU use of the server, this load client and everything else over a stretch of time.
#[derive(Clone, Copy, Debug)]
struct CpuMark {
    at: Instant,
    server: f64,
    client: f64,
    machine: f64,
}

impl CpuMark {
    fn now(server: &Server) -> Self {
        Self {
            at: Instant::now(),
            server: server.cpu_ms(),
            client: cpu_ms("self"),
            machine: machine_busy_ms(),
        }
    }

    /// (server ms, client ms, other processes ms, wall s) since `self`.
    fn since(&self, server: &Server) -> (f64, f64, f64, f64) {
        let now = Self::now(server);
        let (s, c) = (now.server - self.server, now.client - self.client);
        let other = (now.machine - self.machine - s - c).max(0.0);
        (s, c, other, now.at.duration_since(self.at).as_secs_f64())
    }
}

/// Waits (up to `limit`) until other processes use less than a tenth of a core over a second,
/// so that the figures are not another program's. Returns the share they were using.
async fn wait_quiet(limit: Duration) -> f64 {
    let started = Instant::now();
    let mut warned = false;
    loop {
        let (machine, own) = (machine_busy_ms(), cpu_ms("self"));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let other = (machine_busy_ms() - machine - (cpu_ms("self") - own)) / 1000.0;
        if other < 0.1 || started.elapsed() >= limit {
            if other >= 0.1 {
                eprintln!(
                    "warning: other processes are using {:.0}% of a core; measuring anyway",
                    other * 100.0
                );
            }
            return other;
        }
        if !warned {
            eprintln!(
                "waiting for other processes to go quiet ({:.0}% of a core busy)…",
                other * 100.0
            );
            warned = true;
        }
    }
}

async fn run_load(
    server: &mut Server,
    kind: Kind,
    load: Load,
    rounds: usize,
    leave_wait: Duration,
) -> Res<Json> {
    let baseline = idle_baseline(server).await;
    let anon_baseline = server.anon_kib();
    let seeds: Vec<Arc<Seed>> = (0..load.documents as u64)
        .map(|n| seed(n, 10, 5).map(Arc::new))
        .collect::<Res<_>>()?;
    let seeding = Instant::now();
    put_documents(&server.url, &seeds, 32, false).await?;
    let seeded_in = seeding.elapsed();
    let after_seeding = server.rss_kib();
    // The server idle once more, having run every code path the rounds run: what "back to
    // baseline" is measured against, so that program code paged in on first use (a few MiB
    // of the relay binary) does not count as memory kept.
    tokio::time::sleep(leave_wait).await;
    let warm = server.rss_kib();
    let anon_warm = server.anon_kib();
    let mut result = json!({
        "connections": load.connections,
        "documents": load.documents,
        "writers": load.hot_documents * load.writers_per_document,
        "edit_period_ms": load.period.as_millis(),
        "write_seconds": load.duration.as_secs_f64(),
        "seeded_in_s": seeded_in.as_secs_f64(),
        "rss_baseline_mib": mib(baseline),
        "rss_anon_baseline_mib": mib(anon_baseline),
        "rss_after_seeding_mib": mib(after_seeding),
        "rss_warm_baseline_mib": mib(warm),
        "rss_anon_warm_baseline_mib": mib(anon_warm),
    });
    let mut after_rounds = Vec::new();
    let mut anon_after_rounds = Vec::new();
    for round in 0..rounds {
        let baselines = Baselines {
            cold: baseline,
            warm,
        };
        let figures = load_round(server, kind, load, round, &seeds, baselines, leave_wait).await?;
        after_rounds.push(figures["rss_after_leaving_mib"].clone());
        anon_after_rounds.push(figures["rss_anon_after_leaving_mib"].clone());
        if round == 0
            && let (Json::Object(all), Json::Object(first)) = (&mut result, figures)
        {
            all.extend(first);
        }
    }
    result["rss_after_leaving_rounds_mib"] = Json::Array(after_rounds);
    result["rss_anon_after_leaving_rounds_mib"] = Json::Array(anon_after_rounds);
    result["server_alive"] = Json::Bool(server.alive());
    result["rss_hwm_mib"] = json!(mib(server.hwm_kib()));
    Ok(result)
}

/// The server's idle RSS before any client came (cold) and after seeding, once the seeded
/// documents were unloaded (warm), in KiB.
#[derive(Clone, Copy, Debug)]
struct Baselines {
    cold: u64,
    warm: u64,
}

/// One round: every client connects and syncs, the writers write, everyone leaves.
async fn load_round(
    server: &mut Server,
    kind: Kind,
    load: Load,
    round: usize,
    seeds: &[Arc<Seed>],
    baselines: Baselines,
    leave_wait: Duration,
) -> Res<Json> {
    let baseline = baselines.cold;
    let per_document = load.connections / load.documents;
    let counters = Arc::new(Counters::default());
    let gate = Arc::new(Semaphore::new(load.opening));
    let (phase_tx, phase_rx) = watch::channel(Phase::Joining);
    let url: Arc<str> = server.url.clone().into();
    let writers = load.hot_documents * load.writers_per_document;
    let joining = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..load.connections {
        let document = n % load.documents;
        let place = n / load.documents;
        let writer =
            (document < load.hot_documents && place < load.writers_per_document).then(|| {
                let index = document * load.writers_per_document + place;
                Writer {
                    id: format!("{round}:{n}"),
                    offset: load.period * u32::try_from(index).unwrap_or(0)
                        / u32::try_from(writers).unwrap_or(1),
                    period: load.period,
                    fanout: per_document as u64 - 1,
                }
            });
        tasks.push(tokio::spawn(load_peer(
            url.clone(),
            n,
            seeds[document].clone(),
            writer,
            gate.clone(),
            counters.clone(),
            phase_rx.clone(),
        )));
    }
    let total = load.connections as u64;
    wait_for(Duration::from_secs(180), || {
        counters.synced.load(Ordering::Relaxed) + counters.failed.load(Ordering::Relaxed) >= total
    })
    .await;
    let joined_in = joining.elapsed();
    let failed_joining = counters.failed.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected = server.rss_kib();
    let threads = proc_status(server.pid, "Threads:");
    // What the server spends with everyone connected and nobody writing.
    let idle = CpuMark::now(server);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (idle_cpu, _, idle_other, idle_wall) = idle.since(server);
    eprintln!(
        "[{}] {} round {round}: {} synced, {failed_joining} failed in {:.1} s; RSS {:.1} → {:.1} MiB; idle CPU {:.1}%",
        kind.name(),
        load.name,
        counters.synced.load(Ordering::Relaxed),
        joined_in.as_secs_f64(),
        mib(baseline),
        mib(connected),
        idle_cpu / idle_wall / 10.0,
    );

    let sampler = Sampler::start(server.pid);
    let mark = CpuMark::now(server);
    let start = tokio::time::Instant::now() + Duration::from_millis(500);
    let end = start + load.duration;
    phase_tx.send(Phase::Writing { start, end })?;
    tokio::time::sleep_until(end).await;
    // Drain: until every edit reached every peer, or nothing arrives for 5 s (at most 60 s).
    let drain_started = Instant::now();
    let mut last = (counters.delivered.load(Ordering::Relaxed), Instant::now());
    while drain_started.elapsed() < Duration::from_secs(60) {
        let delivered = counters.delivered.load(Ordering::Relaxed);
        if delivered >= counters.expected.load(Ordering::Relaxed) {
            break;
        }
        if delivered != last.0 {
            last = (delivered, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained_in = drain_started.elapsed();
    let (cpu, own_cpu, other_cpu, wall) = mark.since(server);
    let peak = sampler.peak_kib();

    phase_tx.send(Phase::Stop)?;
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut dropped = 0;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut join_times = Vec::new();
    for task in tasks {
        let report = task.await?;
        if let Some(e) = report.error {
            failed += 1;
            dropped += usize::from(report.dropped);
            *errors.entry(e).or_default() += 1;
        }
        if let Some(after) = report.synced_after {
            join_times.push(u32::try_from(after.as_micros()).unwrap_or(u32::MAX));
        }
        latencies.extend(report.latencies);
    }
    latencies.sort_unstable();
    join_times.sort_unstable();
    let edits = counters.edits.load(Ordering::Relaxed);
    let expected = counters.expected.load(Ordering::Relaxed);
    let delivered = latencies.len() as u64;

    tokio::time::sleep(leave_wait).await;
    let after_leaving = server.rss_kib();
    let anon_after_leaving = server.anon_kib();
    let result = json!({
        "joined_in_s": joined_in.as_secs_f64(),
        "join_p50_ms": percentile(&join_times, 0.5),
        "join_p99_ms": percentile(&join_times, 0.99),
        "failed": failed,
        "failed_joining": failed_joining,
        "dropped_after_sync": dropped,
        "errors": errors,
        "rss_connected_mib": mib(connected),
        "server_threads_connected": threads,
        "rss_peak_writing_mib": mib(peak),
        "kib_per_connection": (connected as f64 - baseline as f64) / load.connections as f64,
        "idle_server_cpu_percent": idle_cpu / idle_wall / 10.0,
        "idle_other_cpu_percent": idle_other / idle_wall / 10.0,
        "edits": edits,
        "expected_deliveries": expected,
        "delivered": delivered,
        "delivered_share": delivered as f64 / expected.max(1) as f64,
        "drain_s": drained_in.as_secs_f64(),
        "delivered_per_s": delivered as f64 / load.duration.as_secs_f64(),
        "server_cpu_ms": cpu,
        "server_cpu_percent": cpu / wall / 10.0,
        "cpu_ms_per_1000_delivered": cpu / delivered.max(1) as f64 * 1000.0,
        "client_cpu_percent": own_cpu / wall / 10.0,
        "other_cpu_percent": other_cpu / wall / 10.0,
        "latency_p50_ms": percentile(&latencies, 0.5),
        "latency_p95_ms": percentile(&latencies, 0.95),
        "latency_p99_ms": percentile(&latencies, 0.99),
        "latency_max_ms": percentile(&latencies, 1.0),
        "rss_after_leaving_mib": mib(after_leaving),
        "rss_anon_after_leaving_mib": mib(anon_after_leaving),
        "after_leaving_over_baseline": after_leaving as f64 / baseline as f64,
        "after_leaving_over_warm_baseline": after_leaving as f64 / baselines.warm as f64,
    });
    eprintln!("[{}] {} round {round}: {result}", kind.name(), load.name);
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Scenario 4: many clients join one large group at once.

async fn join_peer(
    url: Arc<str>,
    n: usize,
    seed: Arc<Seed>,
    apply_gate: Arc<Semaphore>,
) -> Res<Duration> {
    let started = Instant::now();
    let mut conn = Conn::open(
        &url,
        format!("joiner-{n}"),
        seed.id.clone(),
        Automerge::new(),
        false,
    )
    .await?;
    loop {
        let frame = conn.next_frame().await?;
        let arrived = started.elapsed();
        if frame.len() > BIG_FRAME {
            // Applying the whole group is the client's own work, the same for both servers:
            // one at a time, off the runtime's workers, so the load client takes one core
            // and leaves the other to the server.
            let _permit = apply_gate.acquire().await?;
            tokio::task::block_in_place(|| conn.handle(&frame))?;
        } else {
            conn.handle(&frame)?;
        }
        conn.flush().await?;
        if synced_at(&conn, &seed.heads) {
            // Hold the connection until every joiner is done, as a real client would stay.
            let _ = tokio::time::timeout(Duration::from_secs(1), conn.next_frame()).await;
            conn.close().await;
            return Ok(arrived);
        }
    }
}

async fn run_join(
    server: &mut Server,
    kind: Kind,
    clients: usize,
    group: Arc<Seed>,
    leave_wait: Duration,
) -> Res<Json> {
    let baseline = idle_baseline(server).await;
    // The group's organizer stays connected, so the group is in use when the others join.
    let organizer = put_documents(&server.url, std::slice::from_ref(&group), 1, true).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before_join = server.rss_kib();
    let mark = CpuMark::now(server);
    let sampler = Sampler::start(server.pid);
    let url: Arc<str> = server.url.clone().into();
    let apply_gate = Arc::new(Semaphore::new(1));
    let joining = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            tokio::spawn(tokio::time::timeout(
                JOIN_LIMIT,
                join_peer(url.clone(), n, group.clone(), apply_gate.clone()),
            ))
        })
        .collect();
    let mut times = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        match task.await? {
            Ok(Ok(time)) => times.push(u32::try_from(time.as_micros()).unwrap_or(u32::MAX)),
            Ok(Err(e)) => *errors.entry(e.to_string()).or_default() += 1,
            Err(_) => {
                *errors
                    .entry(format!("not synced in {JOIN_LIMIT:?}"))
                    .or_default() += 1;
            }
        }
    }
    let all_done = joining.elapsed();
    let peak = sampler.peak_kib();
    let (cpu, own_cpu, other_cpu, wall) = mark.since(server);
    times.sort_unstable();
    for conn in organizer {
        conn.close().await;
    }
    tokio::time::sleep(leave_wait).await;
    let after_leaving = server.rss_kib();
    let alive = server.alive();
    let result = json!({
        "clients": clients,
        "group_bytes": group.doc.save().len(),
        "synced": times.len(),
        "failed": clients - times.len(),
        "errors": errors,
        "time_to_synced_p50_ms": percentile(&times, 0.5),
        "time_to_synced_p99_ms": percentile(&times, 0.99),
        "time_to_synced_max_ms": percentile(&times, 1.0),
        "all_done_s": all_done.as_secs_f64(),
        "server_cpu_ms": cpu,
        "client_cpu_percent": own_cpu / wall / 10.0,
        "other_cpu_percent": other_cpu / wall / 10.0,
        "rss_baseline_mib": mib(baseline),
        "rss_before_join_mib": mib(before_join),
        "rss_peak_join_mib": mib(peak),
        "rss_after_leaving_mib": mib(after_leaving),
        "after_leaving_over_baseline": after_leaving as f64 / baseline as f64,
        "server_alive": alive,
    });
    eprintln!("[{}] join: {result}", kind.name());
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Scenario 5: bytes on the wire.

/// A member of the group, read from the document.
fn some_member(doc: &Automerge) -> Res<MemberId> {
    let (_, members) = doc
        .get(ROOT, "members")?
        .ok_or_else(|| error("the group has no members map"))?;
    let key = doc
        .keys(&members)
        .next()
        .ok_or_else(|| error("the group has no members"))?;
    MemberId::from_key(&key).ok_or_else(|| error("a bad member key"))
}

/// Makes a model edit in the connection's copy of the group.
fn apply_action(conn: &mut Conn, action: &Action) -> Res<()> {
    let mut group = GroupDoc::from_automerge(std::mem::take(&mut conn.doc))?;
    group.apply(action).map_err(|e| error(e.to_string()))?;
    conn.doc = group.automerge().clone();
    Ok(())
}

/// One edit by `writer`, seen by `reader`: the frame sent, the frame forwarded, and the
/// bytes each side sent and received until both are synced again.
async fn edit_on_the_wire(writer: &mut Conn, reader: &mut Conn, action: &Action) -> Res<Json> {
    let (w_in, w_out, r_in, r_out) = (
        writer.bytes_in,
        writer.bytes_out,
        reader.bytes_in,
        reader.bytes_out,
    );
    apply_action(writer, action)?;
    let heads = sorted(writer.doc.get_heads());
    let sent = writer.flush().await?;
    let limit = Duration::from_secs(30);
    let forwarded = tokio::time::timeout(limit, reader.next_frame())
        .await
        .map_err(|_| error("the edit was not forwarded"))??;
    reader.handle(&forwarded)?;
    reader.flush().await?;
    let (w, r) = tokio::join!(
        writer.until(limit, |c| synced_at(c, &heads)),
        reader.until(limit, |c| synced_at(c, &heads)),
    );
    w?;
    r?;
    Ok(json!({
        "sent_frame": sent,
        "forwarded_frame": forwarded.len(),
        "writer_sent": writer.bytes_out - w_out,
        "writer_received": writer.bytes_in - w_in,
        "peer_received": reader.bytes_in - r_in,
        "peer_sent": reader.bytes_out - r_out,
    }))
}

async fn run_wire(server: &mut Server, kind: Kind, group: Arc<Seed>) -> Res<Json> {
    idle_baseline(server).await;
    let limit = Duration::from_secs(120);
    let mut organizer = put_documents(&server.url, std::slice::from_ref(&group), 1, true)
        .await?
        .pop()
        .ok_or_else(|| error("no organizer"))?;
    let started = Instant::now();
    let mut fresh = Conn::open(
        &server.url,
        "fresh".to_owned(),
        group.id.clone(),
        Automerge::new(),
        false,
    )
    .await?;
    fresh.until(limit, |c| synced_at(c, &group.heads)).await?;
    let first_sync = json!({
        "received": fresh.bytes_in,
        "sent": fresh.bytes_out,
        "frames_received": fresh.frames_in,
        "ms": started.elapsed().as_secs_f64() * 1000.0,
    });
    // Whatever either side still has to say (a last acknowledgement) before measuring edits.
    for conn in [&mut organizer, &mut fresh] {
        while let Ok(frame) =
            tokio::time::timeout(Duration::from_millis(300), conn.next_frame()).await
        {
            conn.handle(&frame?)?;
            conn.flush().await?;
        }
    }
    let member = some_member(&organizer.doc)?;
    let phone = edit_on_the_wire(
        &mut organizer,
        &mut fresh,
        &Action::SetMember {
            id: member.clone(),
            field: MemberField::Phone,
            value: "+86 138 0000 0001".to_owned(),
        },
    )
    .await?;
    let status = edit_on_the_wire(
        &mut organizer,
        &mut fresh,
        &Action::SetMemberStatus {
            id: member,
            status: MemberStatus::Left,
            at: 1_800_000_000_000,
        },
    )
    .await?;
    organizer.close().await;
    fresh.close().await;
    let result = json!({
        "group_bytes": group.doc.save().len(),
        "first_sync": first_sync,
        "phone_edit": phone,
        "status_edit": status,
    });
    eprintln!("[{}] wire: {result}", kind.name());
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Scenario 6: a large group loads and first-syncs while small groups keep editing.

/// The small groups' edits for `duration`: each writer edits every 100 ms and its reader
/// records each edit's latency. Returns the latencies (µs).
async fn edit_small_groups(pairs: &mut [(Conn, Conn)], duration: Duration) -> Res<Vec<u32>> {
    let deadline = tokio::time::Instant::now() + duration;
    let runs = pairs
        .iter_mut()
        .enumerate()
        .map(|(n, (writer, reader))| async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(100));
            let mut seq = 0_u64;
            reader.latencies.clear();
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => break,
                    _ = ticks.tick() => {
                        writer.edit(format!("{EDIT_PREFIX}small{n}:{seq}")).await?;
                        seq += 1;
                    }
                    frame = writer.next_frame() => {
                        writer.handle(&frame?)?;
                        writer.flush().await?;
                    }
                    frame = reader.next_frame() => {
                        reader.handle(&frame?)?;
                        reader.flush().await?;
                    }
                }
            }
            Ok::<_, Error>(std::mem::take(&mut reader.latencies))
        });
    let mut latencies = Vec::new();
    for result in futures_util::future::join_all(runs).await {
        latencies.extend(result?);
    }
    latencies.sort_unstable();
    Ok(latencies)
}

fn latency_figures(sorted: &[u32]) -> Json {
    json!({
        "edits": sorted.len(),
        "p50_ms": percentile(sorted, 0.5),
        "p95_ms": percentile(sorted, 0.95),
        "p99_ms": percentile(sorted, 0.99),
        "max_ms": percentile(sorted, 1.0),
    })
}

async fn run_big(
    server: &mut Server,
    kind: Kind,
    big: Arc<Seed>,
    small: &[Arc<Seed>],
) -> Res<Json> {
    idle_baseline(server).await;
    let limit = Duration::from_secs(300);
    put_documents(&server.url, std::slice::from_ref(&big), 1, false).await?;
    put_documents(&server.url, small, 8, false).await?;
    let mut pairs = Vec::new();
    for (n, seed) in small.iter().enumerate() {
        let mut pair = Vec::new();
        for (role, track) in [("writer", false), ("reader", true)] {
            let name = format!("{role}-{n}");
            let mut conn =
                Conn::open(&server.url, name, seed.id.clone(), seed.doc.clone(), track).await?;
            conn.until(limit, |c| synced_at(c, &seed.heads)).await?;
            pair.push(conn);
        }
        let reader = pair.pop().ok_or_else(|| error("no reader"))?;
        let writer = pair.pop().ok_or_else(|| error("no writer"))?;
        pairs.push((writer, reader));
    }
    // Nobody syncs the large group now: the relay unloads it, so the peer below makes it load.
    tokio::time::sleep(Duration::from_secs(IDLE_UNLOAD_SECS + 3)).await;
    let idle = edit_small_groups(&mut pairs, Duration::from_secs(5)).await?;

    // A peer with nothing asks for the large group; the server loads it and sends it whole.
    // The peer takes the bytes but does not apply them: that is the client's work, not the
    // server's, and it would take this machine's other core from the server.
    let started = Instant::now();
    let (url, id) = (server.url.clone(), big.id.clone());
    let fetch = tokio::spawn(async move {
        let mut fresh = Conn::open(&url, "fresh".to_owned(), id, Automerge::new(), false).await?;
        let mut received = 0;
        while received < BIG_FRAME {
            received = fresh.next_frame().await?.len();
        }
        let elapsed = started.elapsed();
        fresh.close().await;
        Ok::<_, Error>((elapsed, received))
    });
    let mut during = Vec::new();
    while !fetch.is_finished() && started.elapsed() < limit {
        during.extend(edit_small_groups(&mut pairs, Duration::from_millis(500)).await?);
    }
    let (first_sync, frame) = fetch.await??;
    during.sort_unstable();
    for (writer, reader) in pairs {
        writer.close().await;
        reader.close().await;
    }
    let (idle_figures, during_figures) = (latency_figures(&idle), latency_figures(&during));
    let result = json!({
        "group_bytes": big.doc.save().len(),
        "small_groups": small.len(),
        "first_sync_ms": first_sync.as_secs_f64() * 1000.0,
        "first_sync_frame_bytes": frame,
        "idle": idle_figures,
        "during": during_figures,
        "p95_during_over_idle": percentile(&during, 0.95) / percentile(&idle, 0.95),
        "max_during_over_idle_p95": percentile(&during, 1.0) / percentile(&idle, 0.95),
    });
    eprintln!("[{}] big: {result}", kind.name());
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// The run and the table.

#[derive(Clone, Copy, Debug)]
struct Plan {
    scale: Load,
    /// Many groups, each with two organizers editing faster than a server can keep up with:
    /// what the server delivers per second, on one thread and on more.
    busy: Load,
    scale2: Load,
    crowd: Load,
    crowd_slow: Load,
    join_clients: usize,
    /// Members and feedback of the group joined at once (about 1 MB).
    join_group: (usize, usize),
    /// Members of the group whose first sync is measured.
    wire_members: usize,
    /// Members and feedback of the large group that loads while small ones edit.
    big_group: (usize, usize),
    /// The small groups edited meanwhile.
    small_groups: usize,
    leave_wait: Duration,
}

fn plan(quick: bool) -> Plan {
    let scale = Load {
        name: "scale",
        connections: 1_000,
        documents: 200,
        hot_documents: 5,
        writers_per_document: 2,
        period: Duration::from_millis(100),
        duration: Duration::from_secs(20),
        opening: 64,
    };
    let crowd = Load {
        name: "crowd",
        connections: 200,
        documents: 1,
        hot_documents: 1,
        writers_per_document: 200,
        period: Duration::from_secs(1),
        duration: Duration::from_secs(15),
        opening: 64,
    };
    let busy = Load {
        name: "busy",
        connections: 400,
        documents: 200,
        hot_documents: 200,
        writers_per_document: 2,
        period: Duration::from_millis(40),
        duration: Duration::from_secs(15),
        opening: 64,
    };
    if quick {
        Plan {
            busy: Load {
                connections: 40,
                documents: 20,
                hot_documents: 20,
                duration: Duration::from_secs(5),
                ..busy
            },
            scale: Load {
                connections: 100,
                documents: 20,
                duration: Duration::from_secs(5),
                ..scale
            },
            scale2: Load {
                name: "scale2",
                connections: 200,
                documents: 40,
                duration: Duration::from_secs(5),
                ..scale
            },
            crowd: Load {
                connections: 20,
                writers_per_document: 20,
                duration: Duration::from_secs(5),
                ..crowd
            },
            crowd_slow: Load {
                name: "crowd-slow",
                connections: 20,
                writers_per_document: 20,
                period: Duration::from_secs(5),
                duration: Duration::from_secs(5),
                ..crowd
            },
            join_clients: 15,
            join_group: (1_000, 700),
            wire_members: 1_000,
            big_group: (10_000, 20_000),
            small_groups: 4,
            leave_wait: Duration::from_secs(IDLE_UNLOAD_SECS + 3),
        }
    } else {
        Plan {
            scale,
            busy,
            scale2: Load {
                name: "scale2",
                connections: 2_000,
                documents: 400,
                ..scale
            },
            crowd,
            // The same writers at a pace both servers keep up with on this machine.
            crowd_slow: Load {
                name: "crowd-slow",
                period: Duration::from_secs(30),
                duration: Duration::from_secs(30),
                ..crowd
            },
            join_clients: 150,
            join_group: (10_000, 7_000),
            wire_members: 10_000,
            big_group: (100_000, 200_000),
            small_groups: 10,
            leave_wait: Duration::from_secs(2 * IDLE_UNLOAD_SECS),
        }
    }
}

struct Args {
    quick: bool,
    /// Rounds of join, write and leave on one server, for the load scenarios.
    rounds: usize,
    /// Seconds to wait for other processes to go quiet before each scenario.
    quiet_wait: u64,
    servers: Vec<Kind>,
    only: Option<Vec<String>>,
}

fn parse_args() -> Res<Args> {
    let mut args = Args {
        quick: false,
        rounds: 1,
        quiet_wait: 120,
        servers: vec![Kind::Relay, Kind::Reference],
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--rounds" => {
                args.rounds = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| error("--rounds N (1 or more)"))?;
            }
            "--quiet-wait" => {
                args.quiet_wait = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| error("--quiet-wait SECONDS"))?;
            }
            "--server" => {
                args.servers = match it.next().as_deref() {
                    Some("relay") => vec![Kind::Relay],
                    Some("reference") => vec![Kind::Reference],
                    Some("both") => vec![Kind::Relay, Kind::Reference],
                    Some("protected") => vec![Kind::Relay, Kind::ProtectedRelay],
                    Some("threads") => vec![Kind::RelayOneThread, Kind::Relay],
                    Some("all") => vec![Kind::RelayOneThread, Kind::Relay, Kind::Reference],
                    other => {
                        return Err(error(format!(
                            "--server relay|reference|both|protected|threads|all, not {other:?}"
                        )));
                    }
                }
            }
            "--only" => {
                args.only = Some(
                    it.next()
                        .unwrap_or_default()
                        .split(',')
                        .map(str::to_owned)
                        .collect(),
                )
            }
            other => {
                return Err(error(format!(
                    "unknown argument {other}; usage: bench-sync [--quick] [--server relay|reference|both] [--only scale,scale2,busy,crowd-slow,crowd,join,wire,big] [--rounds N] [--quiet-wait SECONDS]"
                )));
            }
        }
    }
    Ok(args)
}

fn open_file_limit() -> u64 {
    fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn version_of(command: &mut Command) -> String {
    command
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

async fn run(args: Args) -> Res<Json> {
    bench_start();
    let plan = plan(args.quick);
    let wanted = |name: &str| {
        args.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|s| s == name))
    };
    let needed_fds = (plan.scale2.connections as u64) * 2 + 200;
    if wanted("scale2") && open_file_limit() < needed_fds {
        return Err(error(format!(
            "the open-file limit is {}; {needed_fds} are needed: run `ulimit -n 20000` first (scripts/bench does)",
            open_file_limit()
        )));
    }

    let started = Instant::now();
    let join_group = Arc::new(seed(1_000, plan.join_group.0, plan.join_group.1)?);
    let wire_group = if plan.wire_members == plan.join_group.0 && plan.join_group.1 == 0 {
        join_group.clone()
    } else {
        Arc::new(seed(1_000, plan.wire_members, 0)?)
    };
    eprintln!(
        "groups made in {:.1} s: joined group {} bytes, wire group {} bytes",
        started.elapsed().as_secs_f64(),
        join_group.doc.save().len(),
        wire_group.doc.save().len()
    );

    let (big_group, small_groups) = if wanted("big") {
        let started = Instant::now();
        let big = Arc::new(seed(2_000, plan.big_group.0, plan.big_group.1)?);
        let small: Vec<Arc<Seed>> = (0..plan.small_groups)
            .map(|n| seed(3_000 + n as u64, 50, 20).map(Arc::new))
            .collect::<Res<_>>()?;
        eprintln!(
            "large group made in {:.1} s: {} bytes",
            started.elapsed().as_secs_f64(),
            big.doc.save().len()
        );
        (Some(big), small)
    } else {
        (None, Vec::new())
    };

    let mut results = serde_json::Map::new();
    for kind in &args.servers {
        let kind = *kind;
        let mut figures = serde_json::Map::new();
        for scenario in [
            "scale",
            "scale2",
            "busy",
            "crowd-slow",
            "crowd",
            "join",
            "wire",
            "big",
        ] {
            if !wanted(scenario) {
                continue;
            }
            let other = wait_quiet(Duration::from_secs(args.quiet_wait)).await;
            // A fresh server for each scenario; dropping it kills it.
            let mut server = Server::start(kind)?;
            PROTECT.store(kind == Kind::ProtectedRelay, Ordering::Relaxed);
            let outcome = match scenario {
                "scale" => {
                    run_load(&mut server, kind, plan.scale, args.rounds, plan.leave_wait).await
                }
                "scale2" => {
                    run_load(&mut server, kind, plan.scale2, args.rounds, plan.leave_wait).await
                }
                "crowd" => {
                    run_load(&mut server, kind, plan.crowd, args.rounds, plan.leave_wait).await
                }
                "busy" => {
                    run_load(&mut server, kind, plan.busy, args.rounds, plan.leave_wait).await
                }
                "crowd-slow" => {
                    let load = plan.crowd_slow;
                    run_load(&mut server, kind, load, args.rounds, plan.leave_wait).await
                }
                "join" => {
                    let group = join_group.clone();
                    run_join(&mut server, kind, plan.join_clients, group, plan.leave_wait).await
                }
                "big" => match &big_group {
                    Some(big) => run_big(&mut server, kind, big.clone(), &small_groups).await,
                    None => Err(error("no large group")),
                },
                _ => run_wire(&mut server, kind, wire_group.clone()).await,
            };
            match outcome {
                Ok(mut figure) => {
                    figure["other_cpu_percent_before"] = json!(other * 100.0);
                    figures.insert(scenario.to_owned(), figure);
                }
                Err(e) => {
                    let state = if server.alive() { "running" } else { "exited" };
                    eprintln!(
                        "[{}] {scenario} failed: {e}; the server has {state} (its output is above)",
                        kind.name(),
                    );
                    return Err(e);
                }
            }
        }
        results.insert(kind.name().to_owned(), Json::Object(figures));
    }
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_default();
    Ok(json!({
        "quick": args.quick,
        "machine": {
            "cpu": cpu,
            "cores": thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "kernel": version_of(Command::new("uname").arg("-r")),
            "node": version_of(Command::new("node").arg("--version")),
            "clock_ticks_per_second": clock_ticks_per_second(),
        },
        "relay_idle_unload_secs": IDLE_UNLOAD_SECS,
        "total_s": started.elapsed().as_secs_f64(),
        "results": results,
    }))
}

/// One row of the table: a figure for each server, their ratio and the target.
fn table(report: &Json) -> String {
    let results = &report["results"];
    let get = |server: &str, path: &str| -> Option<f64> {
        let mut value = &results[server];
        for part in path.split('.') {
            value = &value[part];
        }
        value.as_f64()
    };
    let rows = [
        (
            "scale: connections that failed",
            "scale.failed",
            "{:.0}",
            "",
        ),
        (
            "scale: memory per connection (KiB)",
            "scale.kib_per_connection",
            "{:.1}",
            "≤ 1/3",
        ),
        (
            "scale: server CPU per 1,000 delivered edits (ms)",
            "scale.cpu_ms_per_1000_delivered",
            "{:.1}",
            "≤ 1/5",
        ),
        (
            "scale: delivered edits per second",
            "scale.delivered_per_s",
            "{:.0}",
            "",
        ),
        (
            "busy: delivered edits per second",
            "busy.delivered_per_s",
            "{:.0}",
            "",
        ),
        (
            "busy: server CPU (% of one core)",
            "busy.server_cpu_percent",
            "{:.0}",
            "",
        ),
        (
            "busy: load client CPU (% of one core)",
            "busy.client_cpu_percent",
            "{:.0}",
            "",
        ),
        (
            "busy: edit-to-peer p99 (ms)",
            "busy.latency_p99_ms",
            "{:.1}",
            "",
        ),
        (
            "scale: edit-to-peer p50 (ms)",
            "scale.latency_p50_ms",
            "{:.1}",
            "",
        ),
        (
            "scale: edit-to-peer p99 (ms)",
            "scale.latency_p99_ms",
            "{:.1}",
            "≤ 1/2",
        ),
        (
            "scale: RSS after all left / idle after seeding",
            "scale.after_leaving_over_warm_baseline",
            "{:.2}",
            "≤ 1.10",
        ),
        (
            "scale: RSS after all left / idle at start",
            "scale.after_leaving_over_baseline",
            "{:.2}",
            "≤ 1.10",
        ),
        (
            "2,000: connections that failed",
            "scale2.failed",
            "{:.0}",
            "0",
        ),
        (
            "2,000: memory per connection (KiB)",
            "scale2.kib_per_connection",
            "{:.1}",
            "≤ 1/3",
        ),
        (
            "2,000: server CPU per 1,000 delivered edits (ms)",
            "scale2.cpu_ms_per_1000_delivered",
            "{:.1}",
            "≤ 1/5",
        ),
        (
            "2,000: edit-to-peer p99 (ms)",
            "scale2.latency_p99_ms",
            "{:.1}",
            "≤ 1/2",
        ),
        (
            "2,000: RSS after all left / idle after seeding",
            "scale2.after_leaving_over_warm_baseline",
            "{:.2}",
            "≤ 1.10",
        ),
        (
            "2,000: RSS after all left / idle at start",
            "scale2.after_leaving_over_baseline",
            "{:.2}",
            "≤ 1.10",
        ),
        (
            "200 writers, 1 edit/30 s each: p50 (ms)",
            "crowd-slow.latency_p50_ms",
            "{:.1}",
            "",
        ),
        (
            "200 writers, 1 edit/30 s each: p95 (ms)",
            "crowd-slow.latency_p95_ms",
            "{:.1}",
            "",
        ),
        (
            "200 writers, 1 edit/30 s each: p99 (ms)",
            "crowd-slow.latency_p99_ms",
            "{:.1}",
            "≤ 1/2",
        ),
        (
            "200 writers, 1 edit/30 s: server CPU per 1,000 delivered (ms)",
            "crowd-slow.cpu_ms_per_1000_delivered",
            "{:.1}",
            "≤ 1/5",
        ),
        (
            "200 writers, 1 edit/s each (overload): edits made",
            "crowd.edits",
            "{:.0}",
            "",
        ),
        (
            "200 writers, 1 edit/s: deliveries / expected",
            "crowd.delivered_share",
            "{:.2}",
            "",
        ),
        (
            "200 writers, 1 edit/s each: p95 (ms)",
            "crowd.latency_p95_ms",
            "{:.1}",
            "",
        ),
        (
            "join at once: p99 time to synced (ms)",
            "join.time_to_synced_p99_ms",
            "{:.0}",
            "",
        ),
        (
            "join at once: peak server RSS (MiB)",
            "join.rss_peak_join_mib",
            "{:.1}",
            "",
        ),
        (
            "join: RSS after all left / baseline",
            "join.after_leaving_over_baseline",
            "{:.2}",
            "≤ 1.10",
        ),
        (
            "wire: one-field edit, frame sent (B)",
            "wire.phone_edit.sent_frame",
            "{:.0}",
            "",
        ),
        (
            "wire: one-field edit, frame forwarded (B)",
            "wire.phone_edit.forwarded_frame",
            "{:.0}",
            "",
        ),
        (
            "wire: first sync of the group, received (B)",
            "wire.first_sync.received",
            "{:.0}",
            "",
        ),
        (
            "big: other groups' edit latency p95, idle (ms)",
            "big.idle.p95_ms",
            "{:.1}",
            "",
        ),
        (
            "big: the same while the large group loads and first-syncs (ms)",
            "big.during.p95_ms",
            "{:.1}",
            "",
        ),
        (
            "big: p95 while loading ÷ p95 idle",
            "big.p95_during_over_idle",
            "{:.2}",
            "≤ 2 (relay)",
        ),
        (
            "big: time to the large group's first sync (ms)",
            "big.first_sync_ms",
            "{:.0}",
            "",
        ),
    ];
    let format = |value: Option<f64>, spec: &str| match value {
        None => "—".to_owned(),
        Some(v) => match spec {
            "{:.0}" => format!("{v:.0}"),
            "{:.1}" => format!("{v:.1}"),
            _ => format!("{v:.2}"),
        },
    };
    let mut notes = String::new();
    for server in ["relay", "reference"] {
        if let Some(figures) = results[server].as_object() {
            for (scenario, figure) in figures {
                let other = figure["other_cpu_percent"].as_f64().unwrap_or(0.0);
                if other > 10.0 {
                    notes.push_str(&format!(
                        "\nwarning: other processes used {other:.0}% of a core during {server} {scenario}; rerun it on a quiet machine"
                    ));
                }
            }
        }
    }
    let mut out = String::from(
        "| Measure | Relay | Reference | Relay ÷ reference | Target |\n|---|---|---|---|---|\n",
    );
    for (label, path, spec, target) in rows {
        let ours = get("relay", path);
        let theirs = get("reference", path);
        let ratio = match (ours, theirs) {
            (Some(a), Some(b)) if b != 0.0 => format!("{:.2}", a / b),
            _ => "—".to_owned(),
        };
        out.push_str(&format!(
            "| {label} | {} | {} | {ratio} | {target} |\n",
            format(ours, spec),
            format(theirs, spec)
        ));
    }
    out.push_str(&notes);
    out
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(e) => {
                eprintln!("error: cannot watch for SIGTERM: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
    // Dropping `run` (on a signal) drops its servers, which kills them.
    let outcome = tokio::select! {
        outcome = run(args) => outcome,
        _ = tokio::signal::ctrl_c() => Err(error("interrupted")),
        _ = terminate.recv() => Err(error("terminated")),
    };
    match outcome {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            println!();
            println!("{}", table(&report));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
