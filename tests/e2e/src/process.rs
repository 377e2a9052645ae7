//! Child processes that cannot outlive their test.

use std::{
    io::{BufRead, BufReader, Read},
    os::unix::process::CommandExt,
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
};

use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};

use crate::{HarnessError, READY_TIMEOUT, Result};

/// A child process in its own process group; dropping it kills the whole group with SIGKILL,
/// so whatever the child started (Chromium under chromedriver) goes too.
#[derive(Debug)]
pub struct Guarded {
    child: Child,
}

impl Guarded {
    /// Starts `command` and waits until a line of its standard output satisfies `is_ready`,
    /// returning that line. Its output is echoed with a `[name]` prefix, which the test runner
    /// shows when a test fails.
    pub fn spawn(
        name: &'static str,
        mut command: Command,
        is_ready: impl Fn(&str) -> bool + Send + 'static,
    ) -> Result<(Self, String)> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                program: format!("{name} ({})", command.get_program().to_string_lossy()),
                source,
            })?;
        let mut guarded = Self { child };
        let (ready_tx, ready_rx) = mpsc::channel();
        if let Some(stdout) = guarded.child.stdout.take() {
            echo_lines(name, stdout, move |line| {
                if is_ready(line) {
                    let _ = ready_tx.send(line.to_owned());
                }
            });
        }
        if let Some(stderr) = guarded.child.stderr.take() {
            echo_lines(name, stderr, |_| {});
        }
        match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) => Ok((guarded, line)),
            Err(_) => {
                guarded.kill();
                Err(HarnessError::NotReady {
                    program: name.to_owned(),
                })
            }
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the process group at once (SIGKILL) and reaps the child.
    pub fn kill(&mut self) {
        let pgid = Pid::from_raw(self.child.id() as i32);
        // The group may be gone already; nothing is left to kill then.
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Echoes each line of `stream` to the test's output on a thread of its own, handing it to
/// `on_line` as well. Reading to the end also keeps the child from blocking on a full pipe.
fn echo_lines(
    name: &'static str,
    stream: impl Read + Send + 'static,
    on_line: impl Fn(&str) + Send + 'static,
) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            eprintln!("[{name}] {line}");
            on_line(&line);
        }
    });
}
