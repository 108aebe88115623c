//! RFC 9457 problem details: every failure of every function is answered here, and only here.
//!
//! Internal causes (a database error, a corrupt item) are logged with their cause and answered
//! opaquely, so that nothing about the system's inside reaches a client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::Refusal;
use crate::domain::access::Denied;
use crate::domain::{InvalidField, RuleError, RuleKind};
use crate::store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        detail: String,
        invalid_params: Vec<InvalidField>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("the database is busy or unreachable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

/// The body of every failure (RFC 9457).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem<'a> {
    /// `/problems/<what failed>`, or `/problems/rule/<rule>` for a business rule.
    #[serde(rename = "type")]
    #[schema(example = "/problems/rule/terms-exceed-order")]
    kind: String,
    title: &'a str,
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// For people, in English.
    detail: String,
    /// For a business rule (409, 422): its stable kebab-case name, to branch on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    rule: Option<&'a str>,
    /// For a malformed request (400): each field or parameter that did not parse, and why.
    #[serde(rename = "invalid-params", skip_serializing_if = "Vec::is_empty")]
    invalid_params: Vec<InvalidParam<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct InvalidParam<'a> {
    name: &'a str,
    /// For people, in English.
    reason: &'a str,
    /// For a number out of its range: the least value allowed, to word the reason in the
    /// client's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    minimum: Option<i64>,
    /// For a number out of its range: the greatest value allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    maximum: Option<i64>,
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            detail: detail.into(),
            invalid_params: Vec::new(),
        }
    }

    pub fn invalid(fields: Vec<InvalidField>) -> Self {
        let detail = match fields.as_slice() {
            [one] => one.to_string(),
            _ => format!("{} fields are invalid", fields.len()),
        };
        ApiError::BadRequest {
            detail,
            invalid_params: fields,
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use ApiError::*;
        match self {
            BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            PayloadTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Rule(r) if r.kind == RuleKind::State => (
                StatusCode::CONFLICT,
                "rule",
                "The case's current state does not allow this",
            ),
            Rule(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "rule",
                "A business rule refused the request",
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.parts();
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => tracing::debug!(status = status.as_u16(), error = %self, "request refused"),
        }
        let (kind, rule) = match &self {
            ApiError::Rule(r) => (format!("/problems/rule/{}", r.rule), Some(r.rule)),
            _ => (format!("/problems/{slug}"), None),
        };
        let invalid_params = match &self {
            ApiError::BadRequest { invalid_params, .. } => invalid_params
                .iter()
                .map(|f| InvalidParam {
                    name: &f.field,
                    reason: &f.reason,
                    minimum: f.range.map(|r| r.0),
                    maximum: f.range.map(|r| r.1),
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = Problem {
            kind,
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            rule,
            invalid_params,
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match self {
            ApiError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            }
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => ApiError::Conflict(
                "the case was changed by someone else meanwhile; reload it and try again".into(),
            ),
            StoreError::Taken(rule, why) => ApiError::Rule(RuleError::state(rule, why)),
            StoreError::Unavailable(cause) => ApiError::Unavailable(cause),
            StoreError::BadCursor => {
                ApiError::bad_request("the cursor is not valid for this query")
            }
            StoreError::Corrupt(cause) | StoreError::Other(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(fields) => ApiError::invalid(fields),
            Refusal::Rule(rule) => ApiError::Rule(rule),
            Refusal::Forbidden(why) => ApiError::Forbidden(why),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => ApiError::NotFound("no such resource".into()),
            Denied::Forbidden(why) => ApiError::Forbidden(why),
        }
    }
}

/// The router's fallback: unknown paths are problem+json 404s too.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such resource".into())
}

/// The routers' answer to a known path with an unknown method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
