//! The reference JavaScript automerge-repo peers from npm (`tests/js`), run with Node: its
//! client (`client.mjs`) and its sync server (`sync-server.mjs`).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::process::Guarded;
use crate::{HarnessError, Result, SlowLink, temp_dir, workspace_root};

/// `tests/js`, once `npm ci` has installed the reference packages there.
pub fn js_dir() -> Result<PathBuf> {
    let dir = workspace_root().join("tests/js");
    if dir.join("node_modules").is_dir() {
        Ok(dir)
    } else {
        Err(HarnessError::NotBuilt {
            what: "the reference JS packages (npm ci in tests/js)",
            path: dir.join("node_modules"),
        })
    }
}

/// The last lines of a script's stderr: they say why it failed (an `error: ...` line), after
/// the library's diagnostics.
fn last_lines(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Runs `client.mjs` with these arguments (see its header) and returns its JSON lines.
pub async fn client(args: &[&str]) -> Result<Vec<Value>> {
    let mut args = args.to_vec();
    args.extend(["--timeout-ms", "20000"]);
    script("client.mjs", &args).await
}

/// Runs a script of `tests/js` with these arguments (see its header) and returns its JSON
/// lines.
pub async fn script(name: &str, args: &[&str]) -> Result<Vec<Value>> {
    let output = tokio::process::Command::new("node")
        .arg(name)
        .args(args)
        .current_dir(js_dir()?)
        .output()
        .await
        .map_err(|source| HarnessError::Spawn {
            program: format!("node {name}"),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(HarnessError::Sync(format!(
            "{name} {args:?} failed:\n{}",
            last_lines(&stderr)
        )));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .map_err(|e| HarnessError::Sync(format!("{name} printed {line:?}: {e}")))
        })
        .collect()
}

/// One step of `two-on-links.mjs`: its time, and the bytes each peer's link carried during it
/// (to the relay, from the relay).
#[derive(Clone, Debug)]
pub struct LinkStep {
    pub step: String,
    pub ms: f64,
    pub a: (u64, u64),
    pub b: (u64, u64),
}

impl LinkStep {
    /// Every byte the step moved, over both links and both ways.
    pub fn total(&self) -> u64 {
        self.a.0 + self.a.1 + self.b.0 + self.b.1
    }
}

/// Runs `two-on-links.mjs` (see its header) with peer A on link `a` and peer B on link `b`,
/// and returns its steps with what each link carried during each.
pub async fn two_on_links(a: &SlowLink, b: &SlowLink, args: &[&str]) -> Result<Vec<LinkStep>> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let mut child = tokio::process::Command::new("node")
        .arg("two-on-links.mjs")
        .args(["--a", &a.sync_url(), "--b", &b.sync_url()])
        .args(args)
        .current_dir(js_dir()?)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| HarnessError::Spawn {
            program: "node two-on-links.mjs".into(),
            source,
        })?;
    let broken = |what: &str| HarnessError::Sync(format!("two-on-links.mjs: {what}"));
    let stdout = child.stdout.take().ok_or_else(|| broken("no stdout"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| broken("no stderr"))?;
    let diagnostics = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let mut lines = BufReader::new(stdout).lines();
    let mut steps = Vec::new();
    let (mut last_a, mut last_b) = (a.carried(), b.carried());
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|e| broken(&e.to_string()))?
    {
        let (now_a, now_b) = (a.carried(), b.carried());
        let value: Value =
            serde_json::from_str(&line).map_err(|e| broken(&format!("{line:?}: {e}")))?;
        steps.push(LinkStep {
            step: value["step"].as_str().unwrap_or_default().to_owned(),
            ms: value["ms"].as_f64().unwrap_or_default(),
            a: (now_a.0 - last_a.0, now_a.1 - last_a.1),
            b: (now_b.0 - last_b.0, now_b.1 - last_b.1),
        });
        (last_a, last_b) = (now_a, now_b);
    }
    let status = child.wait().await.map_err(|e| broken(&e.to_string()))?;
    if !status.success() {
        let stderr = diagnostics.await.unwrap_or_default();
        return Err(broken(&format!("failed:\n{}", last_lines(&stderr))));
    }
    Ok(steps)
}

/// The names of the members of a group document printed by `client.mjs --print`, sorted.
pub fn member_names(doc: &Value) -> Vec<String> {
    let mut names: Vec<String> = doc["members"]
        .as_object()
        .map(|members| {
            members
                .values()
                .filter_map(|m| m["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The reference `@automerge/automerge-repo-sync-server` on a free loopback port, with a fresh
/// data directory; killed when dropped.
#[derive(Debug)]
pub struct ReferenceServer {
    port: u16,
    process: Guarded,
    data: TempDir,
}

impl ReferenceServer {
    pub fn start() -> Result<Self> {
        let data = temp_dir("cohort-reference-")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|source| HarnessError::Spawn {
                program: "a free port".into(),
                source,
            })?
            .port();
        let mut command = Command::new("node");
        command
            .arg("sync-server.mjs")
            .arg("--port")
            .arg(port.to_string())
            .arg("--dir")
            .arg(data.path());
        command.current_dir(js_dir()?);
        let (process, _) = Guarded::spawn("reference-server", command, |line| {
            line.contains("listening")
        })?;
        Ok(Self {
            port,
            process,
            data,
        })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Its WebSocket URL.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// Its data directory (automerge-repo's NodeFS layout).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }
}
