//! `cohort-relay links|revoke|delete`: the relay's admin manages a group's links and deletes
//! groups, without any secret of the group.
//!
//! The relay keeps an admin secret in `<data>/.admin-secret` (readable by its owner only),
//! which is an owner capability for every group. A command reads it and asks the running relay
//! at `--addr`, so a revocation cuts open connections at once. When no relay answers there, the
//! command changes the data directory itself (the next relay to start reads it).

use std::io;
use std::path::Path;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use clap::Subcommand;
use cohort_sync::DocumentId;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::access::{AccessStore, LinkInfo, unix_now};
use crate::storage::DiskStore;
use crate::{Config, access};

const SECRET_FILE: &str = ".admin-secret";

/// An admin task on a group, by its document id (`automerge:` prefix optional).
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// List the group's links: label, access, expiry and last use (never their secrets).
    Links { group: String },
    /// Revoke one of the group's links by its id (from `links`); its connections are cut.
    Revoke { group: String, link: String },
    /// Delete the group for everyone: its files and links go, and it cannot be synced again.
    Delete { group: String },
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0} is not a group's document id")]
    BadGroup(String),
    #[error("the data directory {dir}: {source}")]
    DataDir { dir: String, source: io::Error },
    #[error("the relay at {addr} answered {status}: {body}")]
    Relay {
        addr: String,
        status: StatusCode,
        body: String,
    },
    #[error("no such link, or the group is not protected")]
    NoSuchLink,
    #[error("{0}")]
    Storage(String),
}

/// The admin secret, made on the relay's first start.
pub fn secret(data_dir: &Path) -> io::Result<String> {
    crate::storage::kept_or_made(&data_dir.join(SECRET_FILE), || access::random_hex(32))
}

/// Runs the command; what it prints on success.
pub async fn run(config: &Config, command: &Command) -> Result<String, AdminError> {
    let group = match command {
        Command::Links { group } | Command::Revoke { group, .. } | Command::Delete { group } => {
            group
        }
    };
    let document = DocumentId::parse(group.trim_start_matches("automerge:"))
        .map_err(|_| AdminError::BadGroup(group.clone()))?;
    let data_dir_error = |source| AdminError::DataDir {
        dir: config.data_dir.display().to_string(),
        source,
    };
    let secret = secret(&config.data_dir).map_err(data_dir_error)?;
    let (method, path) = match command {
        Command::Links { .. } => (Method::GET, format!("/groups/{document}/links")),
        Command::Revoke { link, .. } => {
            (Method::DELETE, format!("/groups/{document}/links/{link}"))
        }
        Command::Delete { .. } => (Method::DELETE, format!("/groups/{document}")),
    };
    match ask_relay(config, &secret, method, &path).await {
        Ok(body) => Ok(report(command, &document, &body)),
        Err(Unreachable) => offline(config, command, &document),
        Err(Answered(error)) => Err(error),
    }
}

enum Asked {
    Unreachable,
    Answered(AdminError),
}
use Asked::{Answered, Unreachable};

/// Asks the running relay; `Unreachable` if none listens at `--addr`.
async fn ask_relay(
    config: &Config,
    secret: &str,
    method: Method,
    path: &str,
) -> Result<Bytes, Asked> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", config.addr))
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .body(Full::new(Bytes::new()))
        .map_err(|error| Answered(AdminError::Storage(error.to_string())))?;
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .map_err(|_| Unreachable)?
        .map_err(|_| Unreachable)?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|_| Unreachable)?
        .to_bytes();
    if status.is_success() {
        Ok(body)
    } else if status == StatusCode::NOT_FOUND {
        Err(Answered(AdminError::NoSuchLink))
    } else {
        Err(Answered(AdminError::Relay {
            addr: config.addr.to_string(),
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        }))
    }
}

/// The command on the data directory, with no relay running.
fn offline(
    config: &Config,
    command: &Command,
    document: &DocumentId,
) -> Result<String, AdminError> {
    let data_dir_error = |source| AdminError::DataDir {
        dir: config.data_dir.display().to_string(),
        source,
    };
    // First, as the relay does: its lock keeps a relay started meanwhile off the directory.
    let disk = DiskStore::open(&config.data_dir).map_err(data_dir_error)?;
    let store = AccessStore::open(&config.data_dir).map_err(data_dir_error)?;
    let storage = |error: access::AccessError| match error {
        access::AccessError::Storage(error) => AdminError::Storage(error.to_string()),
        _ => AdminError::NoSuchLink,
    };
    let body = match command {
        Command::Links { .. } => {
            serde_json::to_vec(&store.links(document, unix_now())).unwrap_or_default()
        }
        Command::Revoke { link, .. } => {
            store.revoke(document, link).map_err(storage)?;
            Vec::new()
        }
        Command::Delete { .. } => {
            store.delete(document).map_err(storage)?;
            disk.delete(document).map_err(data_dir_error)?;
            Vec::new()
        }
    };
    Ok(report(command, document, &body))
}

fn report(command: &Command, document: &DocumentId, body: &[u8]) -> String {
    match command {
        Command::Links { .. } => {
            let links: Vec<LinkInfo> = serde_json::from_slice(body).unwrap_or_default();
            links_table(document, &links, unix_now())
        }
        Command::Revoke { link, .. } => {
            format!("Revoked link {link} of {document}; its connections were cut.")
        }
        Command::Delete { .. } => format!("Deleted {document} for everyone."),
    }
}

/// One line per link; times relative to now.
fn links_table(document: &DocumentId, links: &[LinkInfo], now: u64) -> String {
    if links.is_empty() {
        return format!(
            "{document} has no links: it is not protected (anyone with its id may sync it), or was deleted."
        );
    }
    let mut table = format!(
        "{:<14} {:<6} {:<24} {:<14} {:<14}\n",
        "LINK", "ACCESS", "LABEL", "EXPIRES", "LAST USED"
    );
    for link in links {
        let role = serde_json::to_value(link.role)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        table.push_str(&format!(
            "{:<14} {:<6} {:<24} {:<14} {:<14}\n",
            link.id,
            role,
            if link.label.is_empty() {
                "-"
            } else {
                &link.label
            },
            link.expires_at
                .map_or("never".to_owned(), |at| relative(at, now)),
            link.last_used_at
                .map_or("never".to_owned(), |at| relative(at, now)),
        ));
    }
    table
}

/// "in 3 days", "5 min ago".
fn relative(at: u64, now: u64) -> String {
    let (span, future) = if at >= now {
        (at - now, true)
    } else {
        (now - at, false)
    };
    let amount = match span {
        0..60 => format!("{span} s"),
        60..3_600 => format!("{} min", span / 60),
        3_600..86_400 => format!("{} h", span / 3_600),
        _ => format!("{} days", span / 86_400),
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}
