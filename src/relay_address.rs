//! The address of a relay, as an organizer types it in the relay setting. The page checks it
//! before handing it to the worker.

/// An address that is not a relay's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "“{0}” is not a relay address: enter one such as wss://sync.example.org/sync (ws:// only on a local network)"
)]
pub struct BadRelayAddress(pub String);

/// The WebSocket URL of a relay, from what an organizer typed: `wss://` or `ws://` as they are;
/// `https://` and `http://` become `wss://` and `ws://`; a bare host gets `wss://`. A relay
/// served by Cohort listens at `/sync`, which is added when no path is given.
pub fn relay_url(typed: &str) -> Result<String, BadRelayAddress> {
    let typed = typed.trim();
    let bad = || BadRelayAddress(typed.to_owned());
    let (scheme, rest) = match typed.split_once("://") {
        Some(("wss" | "https", rest)) => ("wss", rest),
        Some(("ws" | "http", rest)) => ("ws", rest),
        Some(_) => return Err(bad()),
        None => ("wss", typed),
    };
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, ""), |(host, path)| (host, path));
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if !host_ok || path.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let path = if path.is_empty() { "sync" } else { path };
    Ok(format!("{scheme}://{host}/{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_addresses_are_read_as_organizers_type_them() {
        assert_eq!(
            relay_url("sync.example.org").as_deref(),
            Ok("wss://sync.example.org/sync")
        );
        assert_eq!(
            relay_url(" https://a.org/ ").as_deref(),
            Ok("wss://a.org/sync")
        );
        assert_eq!(
            relay_url("http://127.0.0.1:3030").as_deref(),
            Ok("ws://127.0.0.1:3030/sync")
        );
        assert_eq!(
            relay_url("ws://127.0.0.1:3030/").as_deref(),
            Ok("ws://127.0.0.1:3030/sync")
        );
        assert_eq!(
            relay_url("wss://a.org/relay").as_deref(),
            Ok("wss://a.org/relay")
        );
        for bad in ["", "ftp://a.org", "wss://", "a b", "wss://a.org/x y"] {
            assert!(relay_url(bad).is_err(), "{bad}");
        }
    }
}
