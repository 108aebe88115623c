//! The staff admin page (issue 13): the single-page app built from `web/` (react-admin, typed
//! from the OpenAPI document), embedded in this binary and served at `/admin/` behind the same
//! HTTP API, with its runtime configuration at `/admin/config.json`.
//!
//! Built files carry a content hash in their names (`assets/*-<hash>.js`), so they are cached
//! for a year; `index.html` and the configuration are never cached, so a deployment shows at
//! once. Every answer carries the security headers and the content security policy the page is
//! written for (no inline script, no eval; images from presigned HTTPS URLs).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;

mod files {
    include!(concat!(env!("OUT_DIR"), "/files.rs"));
}

/// The content security policy of every page answer.
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; connect-src 'self' https://*.amazoncognito.com; frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self' https://*.amazoncognito.com";

/// How the page signs people in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// The local gateway's own sign-in page (`/_dev/sign-in`): never deployed.
    Local,
    /// The Cognito user pool's hosted sign-in, authorization code with PKCE.
    Cognito {
        domain: String,
        client_id: String,
        redirect_uri: String,
    },
}

impl SignIn {
    /// From the environment: `ADMIN_COGNITO_DOMAIN`, `ADMIN_CLIENT_ID`, `ADMIN_REDIRECT_URI`
    /// (all three: Cognito; none: local).
    pub fn from_env() -> Result<Self, String> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        match (
            var("ADMIN_COGNITO_DOMAIN"),
            var("ADMIN_CLIENT_ID"),
            var("ADMIN_REDIRECT_URI"),
        ) {
            (Some(domain), Some(client_id), Some(redirect_uri)) => Ok(SignIn::Cognito {
                domain,
                client_id,
                redirect_uri,
            }),
            (None, None, None) => Ok(SignIn::Local),
            _ => Err("set all of ADMIN_COGNITO_DOMAIN, ADMIN_CLIENT_ID and ADMIN_REDIRECT_URI, or none (local sign-in)".into()),
        }
    }

    fn config(&self) -> Value {
        match self {
            SignIn::Local => json!({"mode": "local"}),
            SignIn::Cognito {
                domain,
                client_id,
                redirect_uri,
            } => json!({
                "mode": "cognito",
                "domain": domain,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scopes": ["openid", "email", "profile"],
            }),
        }
    }
}

/// The router as the Lambda serves it (and as the local gateway merges it).
pub fn router(sign_in: SignIn) -> Router {
    Router::new()
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(index))
        .route("/admin/config.json", get(config))
        .route("/admin/{*path}", get(file))
        .with_state(Arc::new(sign_in))
}

/// The security headers of every answer of the page.
fn secured(mut response: Response, cache: &'static str) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
        ("cache-control", cache),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

const NO_CACHE: &str = "no-cache";
const FOREVER: &str = "public, max-age=31536000, immutable";

fn find(path: &str) -> Option<&'static [u8]> {
    files::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The page's shell: the built `index.html`, or how to build it.
async fn index() -> Response {
    let body = find("index.html").map_or_else(
        || {
            "<!doctype html><meta charset=utf-8><title>Admin</title><p>The admin page is not built: run <code>npm ci &amp;&amp; npm run build</code> in functions/admin/web (make dev does).</p>"
                .as_bytes()
                .to_vec()
        },
        <[u8]>::to_vec,
    );
    secured(
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        NO_CACHE,
    )
}

async fn config(State(sign_in): State<Arc<SignIn>>) -> Response {
    secured(axum::Json(sign_in.config()).into_response(), NO_CACHE)
}

/// A built file; a path that names none is the app's own route (the shell answers it), but a
/// missing asset is a 404 (a stale page must not get HTML for its script).
async fn file(Path(path): Path<String>) -> Response {
    match find(&path) {
        Some(bytes) => {
            let cache = if path.starts_with("assets/") {
                FOREVER
            } else {
                NO_CACHE
            };
            secured(
                ([(header::CONTENT_TYPE, content_type(&path))], bytes).into_response(),
                cache,
            )
        }
        None if path.starts_with("assets/") || path.contains('.') => secured(
            (StatusCode::NOT_FOUND, "not found").into_response(),
            NO_CACHE,
        ),
        None => index().await,
    }
}
