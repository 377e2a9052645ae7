//! A slow link in front of a relay: a proxy on loopback that delays and caps the bandwidth of
//! what it carries each way, as a phone's connection at a venue does, and counts the bytes.
//!
//! Chromium's network emulation is not enough: it applies to the page's own requests only, not
//! to its workers' (the wasm the storage worker loads, the sync WebSocket) nor to the service
//! worker's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::{HarnessError, Result};

/// How slow a link is.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Bytes per second each way, shared by every connection over the link.
    pub bytes_per_second: f64,
    /// Time from one end to the other (half the round trip).
    pub one_way: Duration,
}

impl Shape {
    /// 400 kbit/s each way and 400 ms of round trip: a phone on a venue's crowded network.
    pub const VENUE: Shape = Shape {
        bytes_per_second: 400_000.0 / 8.0,
        one_way: Duration::from_millis(200),
    };
}

/// One direction of the link: when it is next free, and what it has carried.
#[derive(Debug)]
struct Direction {
    shape: Shape,
    free_at: Mutex<Instant>,
    carried: AtomicU64,
}

impl Direction {
    fn new(shape: Shape) -> Self {
        Self {
            shape,
            free_at: Mutex::new(Instant::now()),
            carried: AtomicU64::new(0),
        }
    }

    /// When `bytes` sent now arrive: after the link has carried what was queued before them and
    /// them, plus the one-way delay.
    fn arrival(&self, bytes: usize) -> Instant {
        self.carried.fetch_add(bytes as u64, Ordering::Relaxed);
        let mut free_at = self
            .free_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = (*free_at).max(Instant::now());
        *free_at = start + Duration::from_secs_f64(bytes as f64 / self.shape.bytes_per_second);
        *free_at + self.shape.one_way
    }
}

/// Carries bytes from `from` to `to` as the link does.
async fn carry(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Arc<Direction>,
) {
    let (queue, mut queued) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, bytes)) = queued.recv().await {
            tokio::time::sleep_until(at.into()).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buffer = vec![0; 16 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 || queue.send((link.arrival(n), buffer[..n].to_vec())).is_err() {
            break;
        }
    }
    drop(queue);
    let _ = writer.await;
}

/// A slow link to a relay; it stops accepting when dropped.
#[derive(Debug)]
pub struct SlowLink {
    url: String,
    up: Arc<Direction>,
    down: Arc<Direction>,
    accepting: tokio::task::JoinHandle<()>,
}

impl SlowLink {
    /// A proxy on a free loopback port to `target` (`host:port`).
    pub async fn to(target: &str, shape: Shape) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(HarnessError::TempDir)?;
        let address = listener.local_addr().map_err(HarnessError::TempDir)?;
        let target = target.to_owned();
        let (up, down) = (
            Arc::new(Direction::new(shape)),
            Arc::new(Direction::new(shape)),
        );
        let (to_relay, to_client) = (up.clone(), down.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(relay) = TcpStream::connect(&target).await else {
                    continue;
                };
                let _ = (client.set_nodelay(true), relay.set_nodelay(true));
                let (client_read, client_write) = client.into_split();
                let (relay_read, relay_write) = relay.into_split();
                tokio::spawn(carry(client_read, relay_write, to_relay.clone()));
                tokio::spawn(carry(relay_read, client_write, to_client.clone()));
            }
        });
        Ok(Self {
            url: format!("http://{address}/"),
            up,
            down,
            accepting,
        })
    }

    /// The relay's address through the link, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The sync endpoint through the link.
    pub fn sync_url(&self) -> String {
        format!("{}sync", self.url.replacen("http://", "ws://", 1))
    }

    /// Bytes carried so far: (to the relay, from the relay).
    pub fn carried(&self) -> (u64, u64) {
        (
            self.up.carried.load(Ordering::Relaxed),
            self.down.carried.load(Ordering::Relaxed),
        )
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}
