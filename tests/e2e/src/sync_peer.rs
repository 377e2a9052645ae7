//! A native automerge-repo peer for tests and benchmarks: one WebSocket to a relay, one
//! document, driven by the same sans-IO client as the app.

use std::time::Duration;

use cohort_sync::DocumentId;
use cohort_sync::automerge::{Automerge, PatchLog};
use cohort_sync::client::{Client, Incoming};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{HarnessError, Result};

/// A peer syncing one document with a relay, over a plain TCP connection unless made with
/// [`SyncPeer::connect_over`] (a TLS stream, say).
#[derive(Debug)]
pub struct SyncPeer<S = MaybeTlsStream<TcpStream>> {
    client: Client,
    socket: WebSocketStream<S>,
    document: DocumentId,
    /// The peer's copy of the document.
    pub doc: Automerge,
    /// Whether the relay said nobody has the document.
    pub unavailable: bool,
    /// What the relay said it did not take, and why (its `error` messages).
    pub relay_errors: Vec<String>,
    /// Bytes of the frames received and sent, and how many frames were received.
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub frames_in: u64,
}

fn sync_error(what: impl std::fmt::Display) -> HarnessError {
    HarnessError::Sync(what.to_string())
}

/// Frames as large as the relay allows (a large group's first sync), where tungstenite's
/// default stops at 16 MiB.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20))
}

impl SyncPeer {
    /// Connects, does the handshake and sends the document's first sync message.
    pub async fn connect(
        url: &str,
        name: &str,
        document: DocumentId,
        doc: Automerge,
    ) -> Result<Self> {
        // Nagle off, as a browser's WebSocket has it.
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(url, Some(socket_config()), true)
                .await
                .map_err(sync_error)?;
        Self::joined(socket, name, document, doc).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> SyncPeer<S> {
    /// As [`SyncPeer::connect`], over a stream already connected to the relay.
    pub async fn connect_over(
        stream: S,
        url: &str,
        name: &str,
        document: DocumentId,
        doc: Automerge,
    ) -> Result<Self> {
        let (socket, _) =
            tokio_tungstenite::client_async_with_config(url, stream, Some(socket_config()))
                .await
                .map_err(sync_error)?;
        Self::joined(socket, name, document, doc).await
    }

    async fn joined(
        socket: WebSocketStream<S>,
        name: &str,
        document: DocumentId,
        doc: Automerge,
    ) -> Result<Self> {
        let client = Client::new(name.to_owned());
        let mut peer = Self {
            client,
            socket,
            document,
            doc,
            unavailable: false,
            relay_errors: Vec::new(),
            bytes_in: 0,
            bytes_out: 0,
            frames_in: 0,
        };
        let join = peer.client.join();
        peer.send(join).await?;
        while !peer.client.is_joined() {
            peer.read_one(Duration::from_secs(10)).await?;
        }
        peer.flush().await?;
        Ok(peer)
    }

    async fn send(&mut self, frame: Vec<u8>) -> Result<usize> {
        let size = frame.len();
        self.bytes_out += size as u64;
        self.socket
            .send(WsMessage::Binary(frame.into()))
            .await
            .map_err(sync_error)?;
        Ok(size)
    }

    /// Sends what the relay lacks, if anything; returns the frame's size (0: nothing sent).
    pub async fn flush(&mut self) -> Result<usize> {
        match self.client.outgoing(&self.document, &self.doc) {
            Some(frame) => self.send(frame).await,
            None => Ok(0),
        }
    }

    /// The next binary frame from the relay. Cancel-safe: it can race other futures.
    pub async fn next_frame(&mut self) -> Result<Bytes> {
        loop {
            let message = self
                .socket
                .next()
                .await
                .ok_or_else(|| sync_error("the relay closed the connection"))?
                .map_err(sync_error)?;
            match message {
                WsMessage::Binary(frame) => {
                    self.bytes_in += frame.len() as u64;
                    self.frames_in += 1;
                    return Ok(frame);
                }
                WsMessage::Close(reason) => {
                    return Err(sync_error(format!("closed by the relay: {reason:?}")));
                }
                _ => {}
            }
        }
    }

    /// Handles one frame, logging what a sync message changed in `log`. It does not answer:
    /// [`flush`](Self::flush) does.
    pub fn handle(&mut self, frame: &[u8], log: &mut PatchLog) -> Result<()> {
        match self.client.receive(frame).map_err(sync_error)? {
            Incoming::Sync { document, message } if document == self.document => {
                self.client
                    .apply(&document, &mut self.doc, message, log)
                    .map_err(sync_error)?;
            }
            Incoming::Unavailable(document) if document == self.document => self.unavailable = true,
            Incoming::RelayError(message) => self.relay_errors.push(message),
            _ => {}
        }
        Ok(())
    }

    /// Reads, handles and answers one frame.
    async fn read_one(&mut self, timeout: Duration) -> Result<()> {
        let frame = tokio::time::timeout(timeout, self.next_frame())
            .await
            .map_err(|_| sync_error(format!("no message from the relay in {timeout:?}")))??;
        self.handle(&frame, &mut PatchLog::inactive())?;
        self.flush().await?;
        Ok(())
    }

    /// The document this peer syncs.
    pub fn document(&self) -> DocumentId {
        self.document.clone()
    }

    /// Whether the relay has acknowledged everything this peer has.
    pub fn is_synced(&self) -> bool {
        self.client.is_synced(&self.document, &self.doc)
    }

    /// Exchanges messages until `done` holds for this peer.
    pub async fn until(&mut self, timeout: Duration, done: impl Fn(&Self) -> bool) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        while !done(self) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(sync_error(format!("not done in {timeout:?}")));
            }
            self.read_one(left).await?;
        }
        Ok(())
    }

    /// Sends local changes and waits until the relay has acknowledged them.
    pub async fn sync(&mut self, timeout: Duration) -> Result<()> {
        self.flush().await?;
        self.until(timeout, Self::is_synced).await
    }

    /// Sends an ephemeral message (as presence is sent) to the document's other peers.
    pub async fn send_ephemeral(&mut self, count: u64, data: Vec<u8>) -> Result<()> {
        let frame = self
            .client
            .ephemeral(&self.document, "session", count, data)
            .ok_or_else(|| sync_error("not joined"))?;
        self.send(frame).await.map(drop)
    }

    /// Sends a raw frame, as a misbehaving peer would.
    pub async fn send_raw(&mut self, frame: Vec<u8>) -> Result<()> {
        self.send(frame).await.map(drop)
    }

    pub async fn close(mut self) -> Result<()> {
        self.socket.close(None).await.map_err(sync_error)
    }
}
