//! `/groups/{document}/…`: owners protect a group, make, list and revoke its links, and
//! delete it for everyone. The relay's admin does the same with the admin secret
//! (`<data>/.admin-secret`), which is the owner of every group; `cohort-relay links|revoke|delete`
//! use it.
//!
//! A request presents its capability as `Authorization: Bearer <secret>`, never in the URL, so
//! it does not reach logs. Whatever is wrong with a request about a group (no capability, a
//! wrong one, a reader's, a group that does not exist) is answered 404, as a group that does
//! not exist is; wrong capabilities count as guesses ([`Guesses`]).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use cohort_sync::DocumentId;
use tracing::warn;

use crate::access::{AccessError, Capability, LinkRequest, Role, unix_now};
use crate::sync::SyncService;

/// The routes; `admin_secret` is the admin's capability for every group.
pub fn router(service: SyncService, admin_secret: String) -> Router {
    Router::new()
        .route("/groups/{document}/protect", post(protect))
        .route("/groups/{document}/access", get(access))
        .route("/groups/{document}/links", get(links).post(create_link))
        .route("/groups/{document}/links/{link}", delete(revoke))
        .route("/groups/{document}", delete(delete_group))
        .with_state(Groups {
            service,
            admin_secret: std::sync::Arc::from(admin_secret),
        })
}

#[derive(Clone)]
struct Groups {
    service: SyncService,
    admin_secret: std::sync::Arc<str>,
}

/// Why a request about a group is refused.
enum Refusal {
    /// Said as "not found", whatever the reason.
    NotFound,
    TooManyGuesses,
    Storage(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => (StatusCode::NOT_FOUND, "no such group").into_response(),
            Self::TooManyGuesses => (
                StatusCode::TOO_MANY_REQUESTS,
                "too many wrong links; try again in a minute",
            )
                .into_response(),
            Self::Storage(error) => {
                tracing::error!(%error, "cannot store a group's access");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the relay cannot store this change now; nothing was changed",
                )
                    .into_response()
            }
        }
    }
}

impl From<AccessError> for Refusal {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::NotProtectable | AccessError::NoSuchLink => Self::NotFound,
            AccessError::Storage(error) => Self::Storage(error.to_string()),
        }
    }
}

fn parse_group(text: &str) -> Result<DocumentId, Refusal> {
    DocumentId::parse(text).map_err(|_| Refusal::NotFound)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

impl Groups {
    /// The role the request's capability gives in the group, counting a wrong one as a guess.
    fn role(
        &self,
        document: &DocumentId,
        headers: &HeaderMap,
        peer: SocketAddr,
    ) -> Result<Option<Role>, Refusal> {
        let Some(secret) = bearer(headers) else {
            return Ok(None);
        };
        let guesses = &self.service.guesses;
        if !guesses.allowed(peer.ip(), [document]) {
            return Err(Refusal::TooManyGuesses);
        }
        if constant_time_eq(secret.as_bytes(), self.admin_secret.as_bytes()) {
            return Ok(Some(Role::Owner));
        }
        let role = Capability::parse(&format!("{document}.{secret}"))
            .and_then(|capability| self.service.access.role(&capability, unix_now()));
        if role.is_none() {
            warn!(address = %peer.ip(), %document, "a capability named no live link");
            guesses.failed(peer.ip(), document);
        }
        Ok(role)
    }

    fn owner(
        &self,
        document: &DocumentId,
        headers: &HeaderMap,
        peer: SocketAddr,
    ) -> Result<(), Refusal> {
        match self.role(document, headers, peer)? {
            Some(Role::Owner) => Ok(()),
            _ => Err(Refusal::NotFound),
        }
    }
}

/// Compares secrets without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Runs a store change (which fsyncs) off the runtime's thread.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, AccessError> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|error| Refusal::Storage(error.to_string()))?
        .map_err(Refusal::from)
}

/// Protects a group nobody protected: the caller becomes its owner.
async fn protect(
    State(groups): State<Groups>,
    Path(document): Path<String>,
) -> Result<Response, Refusal> {
    let document = parse_group(&document)?;
    let access = groups.service.access.clone();
    let id = document.clone();
    let owner = blocking(move || access.protect(&id, unix_now())).await?;
    groups.service.protected(document).await;
    Ok((StatusCode::CREATED, Json(owner)).into_response())
}

/// Whether the group is protected and what the request's capability lets it do.
async fn access(
    State(groups): State<Groups>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(document): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let document = parse_group(&document)?;
    if !groups.service.access.is_protected(&document) {
        let open = serde_json::json!({ "protected": false, "role": Role::Edit });
        return Ok(Json(open).into_response());
    }
    match groups.role(&document, &headers, peer)? {
        Some(role) => {
            Ok(Json(serde_json::json!({ "protected": true, "role": role })).into_response())
        }
        None => Err(Refusal::NotFound),
    }
}

async fn links(
    State(groups): State<Groups>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(document): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let document = parse_group(&document)?;
    groups.owner(&document, &headers, peer)?;
    Ok(Json(groups.service.access.links(&document, unix_now())).into_response())
}

async fn create_link(
    State(groups): State<Groups>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(document): Path<String>,
    headers: HeaderMap,
    Json(request): Json<LinkRequest>,
) -> Result<Response, Refusal> {
    let document = parse_group(&document)?;
    groups.owner(&document, &headers, peer)?;
    let access = groups.service.access.clone();
    let link = blocking(move || access.create_link(&document, &request, unix_now())).await?;
    Ok((StatusCode::CREATED, Json(link)).into_response())
}

async fn revoke(
    State(groups): State<Groups>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((document, link)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let document = parse_group(&document)?;
    groups.owner(&document, &headers, peer)?;
    let (access, id, revoked) = (
        groups.service.access.clone(),
        document.clone(),
        link.clone(),
    );
    blocking(move || access.revoke(&id, &revoked)).await?;
    groups.service.revoked(document, link).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deletes the group for everyone: marked deleted (stored), then its files removed (fsynced)
/// and its connected peers told, before the answer.
async fn delete_group(
    State(groups): State<Groups>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(document): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let document = parse_group(&document)?;
    groups.owner(&document, &headers, peer)?;
    let (access, id) = (groups.service.access.clone(), document.clone());
    blocking(move || access.delete(&id)).await?;
    groups
        .service
        .delete(document)
        .await
        .map_err(Refusal::Storage)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
