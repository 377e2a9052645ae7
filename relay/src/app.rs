//! Serving the built app: files from Trunk's output with the right caching, and `index.html`
//! for the app's own routes so a reload or a shared link to `/members` works.

use std::path::Path;

use axum::{
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{MethodRouter, get, get_service},
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// How long a browser may keep a file without asking again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CachePolicy {
    /// A file whose name carries a hash of its content: it never changes, keep it a year.
    Immutable,
    /// Anything else (`index.html`, app routes): revalidate every time, so a new build is
    /// picked up on the next load.
    Revalidate,
}

impl CachePolicy {
    /// The policy for a request path.
    fn for_path(path: &str) -> Self {
        if has_content_hash(last_segment(path)) {
            Self::Immutable
        } else {
            Self::Revalidate
        }
    }

    fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Immutable => "public, max-age=31536000, immutable",
            Self::Revalidate => "no-cache",
        })
    }
}

/// Whether a file name looks like Trunk's hashed output: `name-<hex hash>.ext`, with an
/// optional `_bg` before the extension (wasm-bindgen's module), e.g. `cohort-1f0c…_bg.wasm`.
/// Trunk writes the wasm and JS hashes without leading zeros, so a hash may be shorter than
/// 16 digits; under 8 digits is too unlikely (one in 2³²) to be worth trusting.
fn has_content_hash(file_name: &str) -> bool {
    let Some((stem, _extension)) = file_name.split_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(name, hash)| {
        !name.is_empty()
            && (8..=16).contains(&hash.len())
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The service for everything under `/` that is not an API route.
///
/// Paths without a file extension are the app's own routes and get `index.html`; a missing
/// file with an extension is a real 404, so a stale asset is not answered with HTML.
/// Precompressed `.br` and `.gz` files beside the originals are sent to browsers that accept
/// brotli or gzip (brotli first).
pub(crate) fn serve_app(app_dir: &Path) -> MethodRouter {
    let index = ServeFile::new(app_dir.join("index.html"));
    let app_route = get(move |request: Request| async move {
        if is_app_route(request.uri().path()) {
            index.oneshot(request).await.into_response()
        } else {
            StatusCode::NOT_FOUND.into_response()
        }
    });
    let files = ServeDir::new(app_dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(app_route);
    get_service(files).layer(middleware::from_fn(set_cache_control))
}

/// The app's own routes (`/members`, `/members/123`) have no extension in their last segment.
fn is_app_route(path: &str) -> bool {
    !last_segment(path).contains('.')
}

/// The file name of a request path: `cohort-1f0c_bg.wasm` for `/cohort-1f0c_bg.wasm`.
fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or_default()
}

async fn set_cache_control(request: Request, next: Next) -> Response {
    let policy = CachePolicy::for_path(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, policy.header_value());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::CachePolicy::{self, *};

    #[test]
    fn trunk_outputs_are_immutable() {
        for path in [
            "/cohort-59019e8ddf2025c9_bg.wasm",
            "/cohort-6df5e4a2eb8175d1.js",
            // Trunk does not pad the wasm and JS hashes with leading zeros.
            "/cohort-9e8ddf2025c9_bg.wasm",
            "/main-0700dde1e0ec95f1.css",
            "/favicon-a3978e9299d7b094.svg",
        ] {
            assert_eq!(CachePolicy::for_path(path), Immutable, "{path}");
        }
    }

    #[test]
    fn everything_else_is_revalidated() {
        for path in [
            "/",
            "/index.html",
            "/sw.js",
            "/members",
            "/manifest.webmanifest",
            "/favicon.svg",
            "/key-users",
            "/cohort-abc.js",
            "/-0700dde1e0ec95f1.css",
            "/cohort-0700dde1e0ec95fz.css",
        ] {
            assert_eq!(CachePolicy::for_path(path), Revalidate, "{path}");
        }
    }
}
