//! The automerge-repo sync protocol on `automerge::sync`, as state machines with no I/O:
//! frames, storage results and clock ticks in; frames, writes and closes out.
//!
//! - [`hub::Hub`] is the relay's engine: many connections and documents.
//! - [`front::Front`] is one connection's handshake and limits, before any hub.
//! - [`client::Client`] is one peer's side of a connection: the app's sync client.
//! - [`message`] reads and writes the protocol's CBOR messages.

mod cbor;
pub mod client;
pub mod front;
pub mod hub;
pub mod message;
pub mod presence;
mod shortcut;

pub use automerge;
pub use message::{DocumentId, Message};
