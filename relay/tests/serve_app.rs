//! The relay's HTTP surface, exercised in process on a fake build output.
#![allow(
    clippy::unwrap_used,
    reason = "a test that cannot set up should fail loudly"
)]

use std::{fs, path::Path};

use axum::{
    Router,
    body::Body,
    http::{Request, Response, StatusCode, header},
};
use cohort_relay::router;
use http_body_util::BodyExt;
use tower::ServiceExt;

const WASM: &str = "cohort-0f1e2d3c4b5a6978_bg.wasm";
const JS: &str = "cohort-0f1e2d3c4b5a6978.js";

/// A directory shaped like Trunk's output.
fn fake_build(dir: &Path) {
    fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Cohort</title>",
    )
    .unwrap();
    fs::write(dir.join(WASM), b"\0asm\x01\0\0\0").unwrap();
    fs::write(dir.join(JS), "export default 1;").unwrap();
    fs::write(dir.join("favicon.svg"), "<svg/>").unwrap();
}

async fn get(app: &Router, path: &str, accept_encoding: Option<&str>) -> Response<Body> {
    let mut request = Request::get(path);
    if let Some(encoding) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encoding);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn header_of(response: &Response<Body>, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .map(|value| value.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header"))
}

async fn body_of(response: Response<Body>) -> String {
    String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).into_owned()
}

fn app() -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().unwrap();
    fake_build(dir.path());
    let app = router(dir.path());
    (dir, app)
}

#[tokio::test]
async fn index_is_html_and_always_revalidated() {
    let (_dir, app) = app();
    for path in ["/", "/index.html"] {
        let response = get(&app, path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/html"));
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
    }
}

#[tokio::test]
async fn hashed_assets_are_typed_and_cached_for_a_year() {
    let (_dir, app) = app();
    let wasm = get(&app, &format!("/{WASM}"), None).await;
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(header_of(&wasm, header::CONTENT_TYPE), "application/wasm");
    assert_eq!(
        header_of(&wasm, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let js = get(&app, &format!("/{JS}"), None).await;
    assert_eq!(header_of(&js, header::CONTENT_TYPE), "text/javascript");
    assert_eq!(
        header_of(&js, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn unhashed_files_are_revalidated() {
    let (_dir, app) = app();
    let icon = get(&app, "/favicon.svg", None).await;
    assert_eq!(header_of(&icon, header::CONTENT_TYPE), "image/svg+xml");
    assert_eq!(header_of(&icon, header::CACHE_CONTROL), "no-cache");
}

#[tokio::test]
async fn app_routes_get_the_index_and_missing_files_a_404() {
    let (_dir, app) = app();
    for path in ["/members", "/key-users", "/members/0f1e2d"] {
        let response = get(&app, path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
        assert!(body_of(response).await.contains("<title>Cohort</title>"));
    }
    let missing = get(&app, "/cohort-ffffffffffffffff_bg.wasm", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().get(header::CACHE_CONTROL).is_none());
}

#[tokio::test]
async fn precompressed_files_go_to_browsers_that_accept_gzip() {
    let (dir, app) = app();
    fs::write(dir.path().join(format!("{WASM}.gz")), b"gzipped").unwrap();
    let gzipped = get(&app, &format!("/{WASM}"), Some("gzip, br")).await;
    assert_eq!(header_of(&gzipped, header::CONTENT_ENCODING), "gzip");
    assert_eq!(
        header_of(&gzipped, header::CONTENT_TYPE),
        "application/wasm"
    );
    assert_eq!(body_of(gzipped).await, "gzipped");
    let plain = get(&app, &format!("/{WASM}"), None).await;
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test]
async fn brotli_copies_go_first_to_browsers_that_accept_brotli() {
    let (dir, app) = app();
    fs::write(dir.path().join(format!("{WASM}.gz")), b"gzipped").unwrap();
    fs::write(dir.path().join(format!("{WASM}.br")), b"brotli").unwrap();
    let brotli = get(&app, &format!("/{WASM}"), Some("gzip, deflate, br")).await;
    assert_eq!(header_of(&brotli, header::CONTENT_ENCODING), "br");
    assert_eq!(body_of(brotli).await, "brotli");
    let gzipped = get(&app, &format!("/{WASM}"), Some("gzip")).await;
    assert_eq!(header_of(&gzipped, header::CONTENT_ENCODING), "gzip");
}
