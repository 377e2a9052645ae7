//! The end-to-end harness: a real relay on loopback and real headless Chromium driven through
//! chromedriver.
//!
//! It builds nothing: the test command builds the app (`dist/`) and the relay first. Every
//! process it starts runs in a process group of its own and is killed, group and all, when its
//! guard is dropped, so a failing or panicking test leaves no relay, driver or browser behind.
//!
//! ```no_run
//! # async fn scenario() -> harness::Result<()> {
//! let relay = harness::Relay::start()?;
//! let browser = harness::Browser::launch(harness::Viewport::Desktop).await?;
//! browser.goto(relay.url()).await?;
//! assert!(browser.console_errors().await?.is_empty());
//! browser.close().await
//! # }
//! ```

pub mod direct;
pub mod js;
mod link;
mod process;
mod sync_peer;

use std::{
    ops::Deref,
    path::{Path, PathBuf},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, wd::WebDriverCompatibleCommand};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

pub use link::{Shape, SlowLink};
use process::Guarded;
pub use sync_peer::SyncPeer;

/// How long a process may take to say it is ready, and an element to appear.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong in the harness itself (not in the app under test).
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{what} not found at {path}; run the README's test command, which builds it first")]
    NotBuilt { what: &'static str, path: PathBuf },
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} exited or stayed silent before saying it was ready (see its output above)")]
    NotReady { program: String },
    #[error("cannot make a temporary directory: {0}")]
    TempDir(std::io::Error),
    #[error("cannot open a WebDriver session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    #[error("WebDriver command failed: {0}")]
    Command(#[from] fantoccini::error::CmdError),
    #[error("unexpected answer from WebDriver: {0}")]
    Answer(String),
    #[error("sync failed: {0}")]
    Sync(String),
    #[error("cannot clear the relay's data directory: {0}")]
    ClearData(std::io::Error),
}

pub type Result<T> = std::result::Result<T, HarnessError>;

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The built app: `$COHORT_APP_DIR`, or `dist/` in the workspace.
pub fn app_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("COHORT_APP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    built("the built app (index.html)", dir.join("index.html")).map(|_| dir)
}

/// The relay binary: `$COHORT_RELAY_BIN`, or the debug build in the workspace's target dir.
pub fn relay_bin() -> Result<PathBuf> {
    let bin = std::env::var_os("COHORT_RELAY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/cohort-relay"));
    built("the relay binary", bin)
}

fn built(what: &'static str, path: PathBuf) -> Result<PathBuf> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::NotBuilt { what, path })
    }
}

/// A new temporary directory, removed when dropped.
pub fn temp_dir(prefix: &str) -> Result<TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(HarnessError::TempDir)
}

/// Where a browser's downloads go, inside its profile.
const DOWNLOADS: &str = "Downloads";

/// A relay on a free loopback port with a fresh data directory, killed when dropped.
#[derive(Debug)]
pub struct Relay {
    url: String,
    data_dir: PathBuf,
    bin: PathBuf,
    app_dir: PathBuf,
    args: Vec<String>,
    // Dropped in this order: the process first, then the directory holding its data.
    process: Option<Guarded>,
    _scratch: TempDir,
}

impl Relay {
    /// Starts the built relay serving the built app.
    pub fn start() -> Result<Self> {
        Self::start_with(&[])
    }

    /// Starts the built relay with extra command-line options, such as limits.
    pub fn start_with(args: &[&str]) -> Result<Self> {
        Self::launch_with(&relay_bin()?, &app_dir()?, args)
    }

    /// Starts the relay binary `bin` serving the app in `app_dir`.
    pub fn launch(bin: &Path, app_dir: &Path) -> Result<Self> {
        Self::launch_with(bin, app_dir, &[])
    }

    /// Starts the relay binary `bin` serving the app in `app_dir`, with extra options.
    pub fn launch_with(bin: &Path, app_dir: &Path, args: &[&str]) -> Result<Self> {
        let scratch = temp_dir("cohort-relay-")?;
        let mut relay = Self {
            url: String::new(),
            // Not created here: the relay creates its data directory itself.
            data_dir: scratch.path().join("data"),
            bin: bin.to_owned(),
            app_dir: app_dir.to_owned(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            process: None,
            _scratch: scratch,
        };
        relay.spawn("127.0.0.1:0")?;
        Ok(relay)
    }

    fn spawn(&mut self, addr: &str) -> Result<()> {
        let mut command = std::process::Command::new(&self.bin);
        command
            .arg(format!("--addr={addr}"))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--app-dir")
            .arg(&self.app_dir)
            .args(&self.args);
        let (process, ready_line) =
            Guarded::spawn("relay", command, |line| line.contains("is running at"))?;
        self.url = ready_line
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_owned();
        self.process = Some(process);
        Ok(())
    }

    /// The relay's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Guarded::id)
    }

    /// Whether the relay is still running (it has not exited, nor been killed).
    pub fn is_running(&mut self) -> bool {
        self.process.as_mut().is_some_and(Guarded::is_running)
    }

    /// Kills the relay at once (SIGKILL): no shutdown, no flushing.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    /// Starts the relay again on the same port and data directory.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        self.spawn_again()
    }

    /// Starts the relay again on the same port with nothing stored: a browser then has only
    /// what it kept itself.
    pub fn restart_empty(&mut self) -> Result<()> {
        self.kill();
        if self.data_dir.exists() {
            std::fs::remove_dir_all(&self.data_dir).map_err(HarnessError::ClearData)?;
        }
        self.spawn_again()
    }

    fn spawn_again(&mut self) -> Result<()> {
        let addr = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        self.spawn(&addr)
    }

    /// The relay's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The relay's base URL, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The relay's sync endpoint, e.g. `ws://127.0.0.1:41234/sync` (`wss://` over TLS).
    pub fn sync_url(&self) -> String {
        let url = match self.url.split_once("://") {
            Some(("https", rest)) => format!("wss://{rest}"),
            Some((_, rest)) => format!("ws://{rest}"),
            None => self.url.clone(),
        };
        format!("{url}sync")
    }
}

/// The usual opening of a scenario: a relay, and a browser showing the app it serves.
pub async fn open_app(viewport: Viewport) -> Result<(Relay, Browser)> {
    let relay = Relay::start()?;
    let browser = Browser::launch(viewport).await?;
    browser.goto(relay.url()).await?;
    browser.wait_for("main h1").await?;
    Ok((relay, browser))
}

/// The size and kind of screen a browser emulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewport {
    /// A 1280 × 800 desktop window.
    Desktop,
    /// A 360 × 740 phone screen (Chromium's mobile emulation, with touch).
    Phone,
}

impl Viewport {
    /// Chromium's options: this screen, this profile, and `language` as the browser's preferred
    /// language (what `navigator.languages` says), so that no test depends on the machine's;
    /// and whether pages may open direct (WebRTC) connections.
    fn chrome_options(self, profile: &Path, language: &str, direct_connections: bool) -> Value {
        // The networking flags keep Chromium from calling home on a closed network.
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", profile.display()),
            format!("--lang={language}"),
        ];
        let mut options = json!({
            "binary": chromium_binary(),
            "prefs": {
                "intl": { "accept_languages": language },
                // Files the app hands out land in the profile, where tests read them.
                "download": {
                    "default_directory": profile.join(DOWNLOADS).display().to_string(),
                    "prompt_for_download": false,
                },
            },
        });
        match self {
            Self::Desktop => args.push("--window-size=1280,800".to_owned()),
            Self::Phone => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 2.0, "touch": true },
                });
            }
        }
        if !direct_connections {
            // WebRTC may send UDP only through a proxy, and there is none. A profile pref,
            // since the `--force-webrtc-ip-handling-policy` switch did not stop it (Chromium 156).
            options["prefs"]["webrtc"] = json!({ "ip_handling_policy": "disable_non_proxied_udp" });
        }
        options["args"] = json!(args);
        options
    }
}

fn chromium_binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn chromedriver_binary() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned())
}

/// A headless Chromium with a fresh profile, driven through its own chromedriver.
///
/// Derefs to the fantoccini [`Client`] for navigation and queries. Call [`Browser::close`] at
/// the end of a scenario; if the scenario fails first, dropping it kills driver and browser.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    /// Where its downloads go.
    downloads: PathBuf,
    // Dropped after the client: the driver's process group (Chromium included), then the
    // profile directory.
    _driver: Guarded,
    /// The profile directory, when this browser made it.
    _profile: Option<TempDir>,
}

impl Browser {
    /// Starts chromedriver and a Chromium session with the given viewport.
    pub async fn launch(viewport: Viewport) -> Result<Self> {
        Self::launch_in_language(viewport, "en-US").await
    }

    /// Starts a browser, with a fresh profile, whose preferred language is `language` (such as
    /// `zh-CN`); [`launch`](Self::launch) prefers US English.
    pub async fn launch_in_language(viewport: Viewport, language: &str) -> Result<Self> {
        Self::launch_fresh(viewport, language, true).await
    }

    /// Starts a browser, with a fresh profile, that cannot open direct connections. For
    /// scenarios about what organizers do while apart: two browsers on one machine would
    /// otherwise keep talking over a direct channel when DevTools takes their network away,
    /// since its emulation leaves WebRTC alone.
    pub async fn launch_without_direct_connections(viewport: Viewport) -> Result<Self> {
        Self::launch_fresh(viewport, "en-US", false).await
    }

    async fn launch_fresh(
        viewport: Viewport,
        language: &str,
        direct_connections: bool,
    ) -> Result<Self> {
        let profile = temp_dir("cohort-chromium-")?;
        let mut browser =
            Self::start(viewport, profile.path(), language, direct_connections).await?;
        browser._profile = Some(profile);
        Ok(browser)
    }

    /// Starts a browser on an existing profile, such as one a killed browser left behind:
    /// its IndexedDB is what the app finds. The stale lock of a killed Chromium is removed.
    pub async fn launch_with_profile(viewport: Viewport, profile: &Path) -> Result<Self> {
        Self::start(viewport, profile, "en-US", true).await
    }

    async fn start(
        viewport: Viewport,
        profile: &Path,
        language: &str,
        direct_connections: bool,
    ) -> Result<Self> {
        for lock in ["SingletonLock", "SingletonSocket", "SingletonCookie"] {
            let _ = std::fs::remove_file(profile.join(lock));
        }
        let mut command = std::process::Command::new(chromedriver_binary());
        command.args(["--port=0", "--log-level=WARNING"]);
        let (driver, ready_line) = Guarded::spawn("chromedriver", command, |line| {
            line.contains("started successfully on port")
        })?;
        let port = ready_line
            .trim_end_matches('.')
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_owned();

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            viewport.chrome_options(profile, language, direct_connections),
        );
        capabilities.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await?;
        Ok(Self {
            client,
            downloads: profile.join(DOWNLOADS),
            _driver: driver,
            _profile: None,
        })
    }

    /// Imports a saved group from the start page, and waits for its members page. The first
    /// open after an import reads the whole document and caches its view.
    pub async fn import_group(&self, relay: &Relay, bytes: &[u8]) -> Result<()> {
        let file = tempfile::Builder::new()
            .suffix(".automerge")
            .tempfile()
            .map_err(HarnessError::TempDir)?;
        std::fs::write(file.path(), bytes).map_err(HarnessError::TempDir)?;
        self.goto(relay.url()).await?;
        let input = self.wait_for("#import-file").await?;
        input.send_keys(&file.path().display().to_string()).await?;
        self.wait_until(
            "location.pathname.endsWith('/members') && document.querySelector('tbody tr')",
        )
        .await
    }

    /// Waits for the first element matching `css` and returns its text.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// Waits until the first element matching `css` is shown with some text, and returns
    /// it: for messages the app shows once the worker answers, such as a field's error.
    pub async fn shown_text(&self, css: &str) -> Result<String> {
        self.wait_until(&format!(
            "(() => {{ const el = document.querySelector({css}); \
             return el && !el.hidden && el.textContent.trim() !== ''; }})()",
            css = json!(css)
        ))
        .await?;
        self.text_of(css).await
    }

    /// Waits up to [`READY_TIMEOUT`] for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> Result<fantoccini::elements::Element> {
        Ok(self
            .client
            .wait()
            .at_most(READY_TIMEOUT)
            .for_element(Locator::Css(css))
            .await?)
    }

    /// Clicks the first element matching `css`, once it is there. An element the app
    /// re-rendered between finding and clicking is found again; one under the sticky header
    /// (scrolled to the screen's edge) is scrolled to the middle, as a person would, and
    /// clicked again.
    pub async fn click(&self, css: &str) -> Result<()> {
        use fantoccini::error::{CmdError, ErrorStatus};
        let mut attempts = 0;
        loop {
            let element = self.wait_for(css).await?;
            match element.click().await {
                Err(CmdError::Standard(error))
                    if error.error == ErrorStatus::StaleElementReference && attempts < 3 =>
                {
                    attempts += 1;
                }
                Err(CmdError::Standard(error))
                    if error.error == ErrorStatus::ElementClickIntercepted && attempts < 3 =>
                {
                    attempts += 1;
                    let reference = serde_json::to_value(&element)
                        .map_err(|e| HarnessError::Answer(e.to_string()))?;
                    // A re-rendered element is found again on the next round.
                    let _ = self
                        .client
                        .execute(
                            "arguments[0].scrollIntoView({ block: 'center' });",
                            vec![reference],
                        )
                        .await;
                }
                other => return Ok(other?),
            }
        }
    }

    /// Types into the input matching `css`, replacing what it held, as a person would.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let input = self.wait_for(css).await?;
        input.clear().await?;
        input.send_keys(text).await?;
        Ok(())
    }

    /// Sets an input's value and fires `input` and `change`, as a date picker would. The
    /// element is looked up in the page at that moment, so a re-render cannot leave it stale.
    pub async fn set_value(&self, css: &str, value: &str) -> Result<()> {
        self.wait_for(css).await?;
        self.client
            .execute(
                "const [css, value] = arguments; const el = document.querySelector(css); \
                 el.value = value; \
                 el.dispatchEvent(new Event('input', { bubbles: true })); \
                 el.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![json!(css), json!(value)],
            )
            .await?;
        Ok(())
    }

    /// Waits up to [`READY_TIMEOUT`] until a JavaScript expression is truthy.
    pub async fn wait_until(&self, expression: &str) -> Result<()> {
        let deadline = std::time::Instant::now() + READY_TIMEOUT;
        // JavaScript decides what is true: `0`, `""`, `null`, `undefined` and `NaN` are not.
        let truthy = format!("!!({expression})");
        loop {
            if self.eval(&truthy).await? == Value::Bool(true) {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(HarnessError::Answer(format!(
                    "timed out waiting for {expression}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the members table lists exactly these names.
    pub async fn wait_for_members(&self, names: &[&str]) -> Result<()> {
        let mut sorted: Vec<&str> = names.to_vec();
        sorted.sort_unstable();
        let expected = serde_json::to_string(&sorted).unwrap_or_default();
        self.wait_until(&format!(
            "JSON.stringify([...document.querySelectorAll('tbody tr th')].map(td => td.textContent.trim()).sort()) === '{expected}'"
        ))
        .await
    }

    /// Waits until the header's sync status is `state` (`synced`, `offline`, …).
    pub async fn wait_for_sync_state(&self, state: &str) -> Result<()> {
        self.wait_until(&format!(
            "document.querySelector('.sync-status')?.dataset.state === '{state}'"
        ))
        .await
    }

    /// Creates a group through the groups page and returns its address, `/g/<id>`.
    pub async fn create_group(&self, name: &str) -> Result<String> {
        self.click("a.brand").await?;
        self.fill("#group-name", name).await?;
        self.click("form.create-group button[type=submit]").await?;
        // The members page, in whatever language the browser speaks.
        self.wait_until(
            "location.pathname.startsWith('/g/') && location.pathname.endsWith('/members') \
             && document.querySelector('article.members h1') !== null",
        )
        .await?;
        let path = self.current_url().await?.path().to_owned();
        Ok(path.trim_end_matches("/members").to_owned())
    }

    /// Fills in and submits the members page's add-member form.
    pub async fn add_member(&self, name: &str, email: &str) -> Result<()> {
        self.click("button[aria-expanded]").await?;
        self.fill("#new-name", name).await?;
        self.fill("#new-email", email).await?;
        self.click("form.add-member button[type=submit]").await
    }

    /// Adds members by name through the members page, waiting for each to be listed (the
    /// page must show no members yet).
    pub async fn add_members(&self, names: &[&str]) -> Result<()> {
        for (n, name) in names.iter().enumerate() {
            self.add_member(name, "").await?;
            self.wait_until(&format!(
                "document.querySelectorAll('tbody tr').length === {}",
                n + 1
            ))
            .await?;
        }
        Ok(())
    }

    /// Opens a member's page from the members page (which must be shown), found by `name`.
    pub async fn open_member(&self, name: &str) -> Result<()> {
        self.fill("#member-search", name).await?;
        self.wait_until("document.querySelectorAll('tbody tr').length === 1")
            .await?;
        self.click("tbody tr th a").await?;
        self.wait_for("article.member-detail").await?;
        Ok(())
    }

    /// The words in Latin letters that the page shows, as text or as an accessible name,
    /// placeholder or tooltip, other than `allowed`: on a page in Chinese, the ones left
    /// untranslated (or a translation key shown raw, such as `members.count`).
    pub async fn latin_words(&self, allowed: &[&str]) -> Result<Vec<String>> {
        let shown = self
            .eval(
                "(() => {
                    const texts = [document.body.innerText, document.title];
                    for (const element of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
                        for (const name of ['aria-label', 'placeholder', 'title']) {
                            const value = element.getAttribute(name);
                            if (value) texts.push(value);
                        }
                    }
                    return [...new Set(texts.join('\\n').match(/[A-Za-z][A-Za-z.'_-]*/g) || [])];
                })()",
            )
            .await?;
        let words: Vec<String> = serde_json::from_value(shown)
            .map_err(|e| HarnessError::Answer(format!("not a list of words: {e}")))?;
        Ok(words
            .into_iter()
            .filter(|word| !allowed.contains(&word.as_str()))
            .collect())
    }

    /// Sets a file input to a file, as choosing it in the file dialog does.
    pub async fn choose_file(&self, css: &str, path: &Path) -> Result<()> {
        let input = self.wait_for(css).await?;
        // chromedriver takes only canonical paths.
        let path = path.canonicalize().map_err(HarnessError::TempDir)?;
        input.send_keys(&path.display().to_string()).await?;
        Ok(())
    }

    /// Waits for a finished download whose name ends with `suffix`, and takes it out of the
    /// downloads: its name and bytes.
    pub async fn take_download(&self, suffix: &str) -> Result<(String, Vec<u8>)> {
        let deadline = std::time::Instant::now() + READY_TIMEOUT;
        loop {
            let found = std::fs::read_dir(&self.downloads)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .find(|path| {
                    path.file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| name.ends_with(suffix))
                });
            if let Some(path) = found {
                let name = path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or_default()
                    .to_owned();
                let bytes = std::fs::read(&path).map_err(HarnessError::TempDir)?;
                std::fs::remove_file(&path).map_err(HarnessError::TempDir)?;
                return Ok((name, bytes));
            }
            if std::time::Instant::now() > deadline {
                return Err(HarnessError::Answer(format!(
                    "no download ending in {suffix} in {}",
                    self.downloads.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Evaluates a JavaScript expression in the page and returns its value.
    pub async fn eval(&self, expression: &str) -> Result<Value> {
        Ok(self
            .client
            .execute(&format!("return ({expression});"), Vec::new())
            .await?)
    }

    /// Console messages of level error (uncaught exceptions, failed loads, `console.error`)
    /// logged since the last call.
    pub async fn console_errors(&self) -> Result<Vec<String>> {
        let mut errors = Vec::new();
        // chromedriver hands the log out in batches, each read emptying one.
        loop {
            let batch = self
                .client
                .issue_cmd(SessionPost {
                    endpoint: "se/log",
                    body: json!({ "type": "browser" }),
                })
                .await?;
            let entries = batch.as_array().ok_or_else(|| {
                HarnessError::Answer(format!("browser log is not a list: {batch}"))
            })?;
            if entries.is_empty() {
                return Ok(errors);
            }
            errors.extend(
                entries
                    .iter()
                    .filter(|entry| entry["level"] == "SEVERE")
                    .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned()),
            );
        }
    }

    /// Cuts the browser off the network, or connects it again, through the DevTools
    /// protocol's network emulation: open connections drop, new ones fail.
    pub async fn set_offline(&self, offline: bool) -> Result<()> {
        let params = json!({
            "offline": offline,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        });
        self.cdp("Network.emulateNetworkConditions", params)
            .await
            .map(drop)
    }

    /// Runs a DevTools protocol command on the page, such as
    /// `Page.getInstallabilityErrors`, and returns its result.
    pub async fn cdp(&self, command: &str, params: Value) -> Result<Value> {
        Ok(self
            .client
            .issue_cmd(SessionPost {
                endpoint: "goog/cdp/execute",
                body: json!({ "cmd": command, "params": params }),
            })
            .await?)
    }

    /// Presses a key as a person would, on whatever has the focus (`code` is its Windows
    /// virtual key code, such as 39 for ArrowRight).
    pub async fn press(&self, key: &str, code: u32) -> Result<()> {
        for kind in ["keyDown", "keyUp"] {
            self.cdp(
                "Input.dispatchKeyEvent",
                json!({ "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code }),
            )
            .await?;
        }
        Ok(())
    }

    /// Drags with the mouse's left button from one point of the window to another (CSS
    /// pixels) in `steps` moves, as a person would: real input events, through the DevTools
    /// protocol.
    pub async fn drag(&self, from: (f64, f64), to: (f64, f64), steps: u32) -> Result<()> {
        let mouse = |kind: &str, (x, y): (f64, f64)| json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1 });
        self.cdp("Input.dispatchMouseEvent", mouse("mousePressed", from))
            .await?;
        for step in 1..=steps {
            let t = f64::from(step) / f64::from(steps);
            let at = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            self.cdp("Input.dispatchMouseEvent", mouse("mouseMoved", at))
                .await?;
        }
        self.cdp("Input.dispatchMouseEvent", mouse("mouseReleased", to))
            .await?;
        Ok(())
    }

    /// Waits until the app's service worker is installed and active (it then serves the app
    /// with no network).
    pub async fn wait_for_service_worker(&self) -> Result<()> {
        let script = "
            const done = arguments[arguments.length - 1];
            navigator.serviceWorker.ready.then(registration => {
                const worker = registration.active;
                if (worker.state === 'activated') return done(true);
                worker.addEventListener('statechange', () => worker.state === 'activated' && done(true));
            });
        ";
        self.execute_async(script, Vec::new()).await?;
        Ok(())
    }

    /// Ends the WebDriver session; the driver and browser processes go with the guard.
    pub async fn close(self) -> Result<()> {
        let Self { client, .. } = self;
        client.close().await?;
        Ok(())
    }
}

impl Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

/// A POST to one of chromedriver's session endpoints that fantoccini has no method for:
/// `se/log` (the browser log) and `goog/cdp/execute` (a DevTools protocol command).
#[derive(Debug)]
struct SessionPost {
    endpoint: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.endpoint
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
