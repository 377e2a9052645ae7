//! Security headers on everything the relay serves.
//!
//! The Content-Security-Policy allows exactly what the app needs: its own scripts, workers,
//! styles, images and connections (which include its WebSockets), WebAssembly compilation
//! (`'wasm-unsafe-eval'`), and the inline scripts of the built `index.html` by their hashes
//! (Trunk's loader and the boot line's language), computed when the relay starts. Inline
//! styles are allowed: the app sets widths and colours of charts in `style` attributes, and
//! a style cannot run code. Nothing may frame the app, and no page sends a Referer, so a share
//! link's path never leaks through one (its secret is in the fragment, which is never sent).

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// The headers, made once.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    policy: HeaderValue,
}

impl SecurityHeaders {
    /// The policy for this build of the app (its `index.html`), and any other origins the app
    /// may sync with (`--connect-src`).
    pub fn new(index_html: &str, connect_src: &[String]) -> Self {
        let scripts: String = inline_scripts(index_html)
            .map(|script| {
                format!(
                    " 'sha256-{}'",
                    BASE64.encode(Sha256::digest(script.as_bytes()))
                )
            })
            .collect();
        let connect: String = connect_src
            .iter()
            .map(|origin| format!(" {origin}"))
            .collect();
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
             worker-src 'self'; connect-src 'self'{connect}; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data: blob:; manifest-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        Self {
            policy: HeaderValue::from_str(&policy).unwrap_or_else(|_| {
                HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'")
            }),
        }
    }
}

/// The middleware that sets them.
pub async fn apply(
    State(security): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, security.policy);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The text of each `<script>` without a `src` in the page.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, body) = rest.split_once('>')?;
        if attributes.contains("src=") {
            return None;
        }
        Some(body.split_once("</script>")?.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_others_are_not() {
        let html = r#"<script type="module">import init from '/a.js';</script>
            <script src="/b.js"></script><script>boot()</script>"#;
        let scripts: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(scripts, ["import init from '/a.js';", "boot()"]);
        let headers = SecurityHeaders::new(html, &[]);
        let policy = headers.policy.to_str().unwrap_or_default();
        assert_eq!(policy.matches("'sha256-").count(), 2, "{policy}");
        // echo -n "boot()" | openssl dgst -sha256 -binary | base64
        assert!(
            policy.contains("'sha256-MeZS89WlF0u+o0hCvHTBt4q1WHU+U+sJKgbdRUc36mY='"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
