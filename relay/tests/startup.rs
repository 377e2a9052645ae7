//! Starting the real relay binary: clear one-line errors for bad configuration, and a served
//! app when all is well.
#![allow(
    clippy::unwrap_used,
    reason = "a test that cannot set up should fail loudly"
)]

use std::{
    fs,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Command, Output},
};

use harness::Relay;

const RELAY: &str = env!("CARGO_BIN_EXE_cohort-relay");

fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>Cohort</title>",
    )
    .unwrap();
    dir
}

/// Runs the relay with `args` in `cwd` and expects it to fail at start-up.
fn run_failing(cwd: &Path, args: &[&str]) -> String {
    let Output { status, stderr, .. } = Command::new(RELAY)
        .args(args)
        .current_dir(cwd)
        .env_remove("COHORT_ADDR")
        .env_remove("COHORT_DATA_DIR")
        .env_remove("COHORT_APP_DIR")
        .output()
        .unwrap();
    assert!(!status.success(), "the relay should have refused to start");
    let stderr = String::from_utf8(stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_taken_port_is_one_clear_error() {
    let app = app_dir();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let error = run_failing(app.path(), &["--addr", &addr, "--app-dir", "."]);
    assert!(
        error.contains(&format!("cannot listen on {addr}")),
        "{error}"
    );
    assert!(error.contains("--addr"), "{error}");
}

#[test]
fn a_missing_build_is_one_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let error = run_failing(empty.path(), &["--addr", "127.0.0.1:0"]);
    assert!(error.contains("the built app is missing"), "{error}");
    assert!(error.contains("dist/index.html"), "{error}");
}

#[test]
fn an_unusable_data_directory_is_one_clear_error() {
    let app = app_dir();
    // A data directory below a plain file can never be created, even by root.
    fs::write(app.path().join("a-file"), "").unwrap();
    let error = run_failing(
        app.path(),
        &[
            "--addr",
            "127.0.0.1:0",
            "--app-dir",
            ".",
            "--data-dir",
            "a-file/data",
        ],
    );
    assert!(
        error.contains("the data directory a-file/data is not usable"),
        "{error}"
    );
}

#[test]
fn help_documents_options_and_their_environment_variables() {
    let output = Command::new(RELAY).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "--addr",
        "COHORT_ADDR",
        "127.0.0.1:8080",
        "--data-dir",
        "COHORT_DATA_DIR",
        "--app-dir",
        "COHORT_APP_DIR",
        "COHORT_LOG",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}:\n{help}");
    }
}

#[test]
fn the_relay_serves_the_app_and_health_on_its_printed_address() {
    let app = app_dir();
    let relay = Relay::launch(Path::new(RELAY), app.path()).unwrap();
    let addr = relay
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    for (path, expected) in [
        ("/healthz", "\"status\":\"ok\""),
        ("/healthz", "cache-control: no-store"),
        ("/", "<title>Cohort</title>"),
    ] {
        let mut stream = TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200 OK"),
            "{path}: {response}"
        );
        assert!(response.contains(expected), "{path}: {response}");
    }
}

#[test]
fn a_missing_data_directory_is_created() {
    let app = app_dir();
    let relay = Relay::launch(Path::new(RELAY), app.path()).unwrap();
    assert!(relay.data_dir().is_dir());
}

#[test]
fn a_data_directory_in_use_is_refused_to_a_second_process() {
    let app = app_dir();
    let relay = Relay::launch(Path::new(RELAY), app.path()).unwrap();
    let data = relay.data_dir().to_str().unwrap().to_owned();
    let app_path = app.path().to_str().unwrap();
    for args in [
        &[
            "--addr",
            "127.0.0.1:0",
            "--app-dir",
            app_path,
            "--data-dir",
            &data,
        ][..],
        &["--compact-and-exit", "--data-dir", &data],
    ] {
        let error = run_failing(app.path(), args);
        assert!(
            error.contains("another cohort-relay process is using it"),
            "{args:?}: {error}"
        );
    }
}
