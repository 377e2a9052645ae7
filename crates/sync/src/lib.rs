//! The automerge-repo sync protocol on `automerge::sync`, as state machines with no I/O:
//! frames, storage results and clock ticks in; frames, writes and closes out.
//!
//! - [`hub::Hub`] is the relay's engine: many connections and documents.
//! - [`front::Front`] is one connection's handshake and limits, before any hub.
//! - [`client::Client`] is one peer's side of a connection: the app's sync client.
//! - [`message`] reads and writes the protocol's CBOR messages.
//! - [`pairing`] carries a direct connection's offer or answer by hand, as a short code.
//! - [`presence`] and [`signal`] are what peers of a group send each other as ephemeral
//!   messages: who is online, and the offers and answers of direct connections.

mod cbor;
pub mod client;
pub mod front;
pub mod hub;
pub mod message;
pub mod pairing;
pub mod presence;
mod shortcut;
pub mod signal;

pub use automerge;
pub use message::{DocumentId, Message};
