//! The relay over TLS (`--tls-cert`, `--tls-key`): the app and its health over HTTPS, a group
//! synced over WSS, and one clear line for a certificate it cannot use.
#![allow(
    clippy::unwrap_used,
    reason = "a test that cannot set up should fail loudly"
)]

use std::{fs, path::Path, process::Command, sync::Arc, time::Duration};

use cohort_sync::DocumentId;
use cohort_sync::automerge::{Automerge, ROOT, ReadDoc, transaction::Transactable};
use harness::{Relay, SyncPeer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::{TlsConnector, client::TlsStream};

const RELAY: &str = env!("CARGO_BIN_EXE_cohort-relay");
const PATIENCE: Duration = Duration::from_secs(20);

/// A built app of one page, and a self-signed certificate for `localhost` with its key.
struct Site {
    dir: tempfile::TempDir,
    certificate: rcgen::Certificate,
}

impl Site {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("index.html"),
            "<!doctype html><title>Cohort</title>",
        )
        .unwrap();
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
        fs::write(dir.path().join("key.pem"), signing_key.serialize_pem()).unwrap();
        Self {
            dir,
            certificate: cert,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// A TLS client that trusts this site's certificate only.
    fn connector(&self) -> TlsConnector {
        let mut roots = RootCertStore::empty();
        roots.add(self.certificate.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        TlsConnector::from(Arc::new(config))
    }

    async fn connect(&self, port: u16) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        self.connector().connect(name, tcp).await.unwrap()
    }
}

fn port_of(relay: &Relay) -> u16 {
    let url = relay.url().trim_end_matches('/');
    url.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// Sends one HTTP/1.1 GET and reads the whole response.
async fn get(stream: &mut (impl AsyncReadExt + AsyncWriteExt + Unpin), path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // A TLS peer may close without close_notify; what arrived before is what counts.
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn the_relay_serves_https_and_syncs_over_wss() {
    let site = Site::new();
    let app = site.dir.path();
    let args = [
        "--tls-cert",
        &site.path("cert.pem"),
        "--tls-key",
        &site.path("key.pem"),
    ];
    let relay = Relay::launch_with(Path::new(RELAY), app, &args).unwrap();
    assert!(relay.url().starts_with("https://"), "{}", relay.url());
    let port = port_of(&relay);

    for (path, expected) in [
        ("/healthz", "\"status\":\"ok\""),
        ("/", "<title>Cohort</title>"),
    ] {
        let response = get(&mut site.connect(port).await, path).await;
        assert!(
            response.starts_with("HTTP/1.1 200 OK"),
            "{path}: {response}"
        );
        assert!(response.contains(expected), "{path}: {response}");
    }

    // A group put by one peer over WSS reaches another.
    let url = format!("wss://localhost:{port}/sync");
    assert_eq!(relay.sync_url(), url.replace("localhost", "127.0.0.1"));
    let document = DocumentId::from_bytes(*b"tls-test-group!!");
    let mut doc = Automerge::new();
    doc.transact::<_, _, cohort_sync::automerge::AutomergeError>(|tx| {
        tx.put(ROOT, "name", "Readers")?;
        Ok(())
    })
    .unwrap();
    let stream = site.connect(port).await;
    let mut ann = SyncPeer::connect_over(stream, &url, "ann", document.clone(), doc)
        .await
        .unwrap();
    ann.sync(PATIENCE).await.unwrap();
    let stream = site.connect(port).await;
    let mut bo = SyncPeer::connect_over(stream, &url, "bo", document, Automerge::new())
        .await
        .unwrap();
    bo.until(PATIENCE, |peer| {
        peer.doc.get(ROOT, "name").unwrap().is_some()
    })
    .await
    .unwrap();
    assert_eq!(bo.doc.get_heads(), ann.doc.get_heads());

    // Plain HTTP on the TLS port gets no page.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let response = get(&mut plain, "/").await;
    assert!(!response.contains("<title>Cohort</title>"), "{response}");
}

/// Runs the relay with `args` and returns its one-line error.
fn start_error(app: &Path, args: &[&str]) -> String {
    let output = Command::new(RELAY)
        .args(["--addr", "127.0.0.1:0", "--app-dir"])
        .arg(app)
        .arg("--data-dir")
        .arg(app.join("data"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "the relay should not have started"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_certificate_the_relay_cannot_use_is_one_clear_error() {
    let site = Site::new();
    let other = Site::new();
    let app = site.dir.path();
    let (cert, key) = (site.path("cert.pem"), site.path("key.pem"));
    let missing = site.path("missing.pem");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--tls-cert", &missing, "--tls-key", &key],
            "cannot read the certificate",
        ),
        (
            &["--tls-cert", &key, "--tls-key", &key],
            "holds no PEM certificate",
        ),
        (
            &["--tls-cert", &cert, "--tls-key", &cert],
            "cannot read the private key",
        ),
        (
            &["--tls-cert", &cert, "--tls-key", &other.path("key.pem")],
            "cannot be used together",
        ),
    ];
    for (args, expected) in cases {
        let error = start_error(app, args);
        assert!(error.contains(expected), "{args:?}: {error}");
        assert!(error.contains("--tls-cert"), "{args:?}: {error}");
    }
    // One without the other is refused before anything starts.
    let output = Command::new(RELAY)
        .args(["--tls-cert", &cert])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tls-key"));
}
