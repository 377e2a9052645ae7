//! `cohort-relay`: serves the built Cohort app and syncs groups.

use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;
use cohort_relay::{Config, Relay, admin, compact_all, open_files};
use tracing_subscriber::EnvFilter;

/// Threads for blocking work: document reads and writes (a few at once, see `sync.rs`) and
/// static files. Tokio's default of 512 let a crowd's reconnection start hundreds, and each
/// thread that allocates keeps a heap of its own after it is done.
const BLOCKING_THREADS: usize = 8;

/// Open files the relay needs beside its connections' sockets: the app's files being served,
/// the groups being read and written, the log and the lock.
const SPARE_FILES: u64 = 256;

/// `--threads` threads run the sockets and the engine's shards (one per core by default);
/// blocking work has its own threads. With one thread the runtime is the current-thread one,
/// which does without the wake-ups between threads.
fn main() -> ExitCode {
    let config = Config::parse();
    let mut builder = match config.threads() {
        1 => tokio::runtime::Builder::new_current_thread(),
        threads => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(threads);
            builder
        }
    };
    let runtime = builder
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run(config)),
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("COHORT_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    if config.compact_and_exit {
        return compact(&config);
    }
    if let Some(command) = &config.command {
        return match admin::run(&config, command).await {
            Ok(report) => {
                println!("{}", report.trim_end());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match open_files::raise_limit() {
        Ok(limit) if limit < config.max_connections as u64 + SPARE_FILES => tracing::warn!(
            limit,
            "too few open files for --max-connections={}: raise `ulimit -n` or lower \
             --max-connections",
            config.max_connections
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot read the limit on open files"),
    }
    let relay = match Relay::bind(&config).await {
        Ok(relay) => relay,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The one line a person (or a test harness) reads to know where to go.
    println!("Cohort is running at {}", relay.url());
    match relay.serve(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `--compact-and-exit`: every document into one snapshot, then a report.
fn compact(config: &Config) -> ExitCode {
    let dir = config.data_dir.display();
    match compact_all(&config.data_dir) {
        Ok((compacted, failed)) => {
            for error in &failed {
                eprintln!("error: {error}");
            }
            println!("Compacted {compacted} documents in {dir}.");
            if failed.is_empty() {
                println!("The reference sync server can serve this directory now.");
                ExitCode::SUCCESS
            } else {
                println!("{} documents were left as they were (above).", failed.len());
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM, so open requests finish before the relay exits.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            },
            Err(error) => {
                tracing::warn!(%error, "cannot watch for SIGTERM; stop the relay with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
}
