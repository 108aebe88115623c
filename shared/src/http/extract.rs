//! Request bodies and query strings, parsed with limits into typed commands.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::domain::InvalidField;

/// Commands are small; anything larger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body parsed into `T`, with its raw bytes (for hashing an idempotent request).
/// Answers 415 for another media type, 413 above [`MAX_BODY_BYTES`], 400 for malformed JSON
/// or a field that does not parse (naming the field).
pub struct JsonBody<T> {
    pub value: T,
    pub raw: Bytes,
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Like [`JsonBody`], for commands whose body may be left out (`POST .../cancel`): an empty body
/// is `T::default()`; a body that is there follows the same rules.
pub struct OptionalJsonBody<T>(pub T);

/// Reads a JSON body with the media-type and size checks; `None` for an empty body when
/// `allow_empty`.
async fn read_json<T: DeserializeOwned>(
    req: Request,
    allow_empty: bool,
) -> Result<Option<(T, Bytes)>, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let raw = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        })?;
    if allow_empty && raw.is_empty() {
        return Ok(None);
    }
    if !is_json(&content_type) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the body as application/json, not '{content_type}'"
        )));
    }
    let value = parse_json(&raw)?;
    Ok(Some((value, raw)))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        match read_json(req, false).await? {
            Some((value, raw)) => Ok(Self { value, raw }),
            None => Err(ApiError::bad_request("a JSON body is required")),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        Ok(Self(
            read_json(req, true)
                .await?
                .map(|(value, _)| value)
                .unwrap_or_default(),
        ))
    }
}

/// Parses JSON bytes, telling a malformed document from a well-formed one with a bad field.
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(raw);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = if path == "." {
                "body".to_owned()
            } else {
                path.replace('.', "/")
            };
            ApiError::invalid(vec![InvalidField::new(
                field,
                strip_position(&inner.to_string()),
            )])
        } else {
            ApiError::bad_request(format!("the body is not valid JSON: {inner}"))
        }
    })
}

/// serde's messages end with "at line 1 column 42": useless to a client of a field error.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string parsed into `T`; a bad parameter is a 400 that names it.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|err| {
                let field = err.path().to_string();
                ApiError::invalid(vec![InvalidField::new(
                    if field == "." {
                        "query".to_owned()
                    } else {
                        field
                    },
                    err.into_inner().to_string(),
                )])
            })
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The most items a listing answers at once.
pub const MAX_PAGE: usize = 100;

/// A listing's `limit`: `default` when left out, else 1 to [`MAX_PAGE`].
pub fn page_limit(given: Option<usize>, default: usize) -> Result<usize, InvalidField> {
    let limit = given.unwrap_or(default);
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(InvalidField::new(
            "limit",
            format!("must be 1 to {MAX_PAGE}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_with_parameters_and_suffixes_are_accepted() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }

    #[test]
    fn a_bad_field_is_named_and_malformed_json_is_told_apart() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Cmd {
            inner: Inner,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            n: u8,
        }
        match parse_json::<Cmd>(br#"{"inner": {"n": 300}}"#) {
            Err(ApiError::BadRequest { invalid_params, .. }) => {
                assert_eq!(invalid_params[0].field, "inner/n")
            }
            other => panic!("expected a field error, got {other:?}"),
        }
        match parse_json::<Cmd>(b"{\"inner\": ") {
            Err(ApiError::BadRequest {
                detail,
                invalid_params,
            }) => {
                assert!(invalid_params.is_empty());
                assert!(detail.contains("not valid JSON"));
            }
            other => panic!("expected malformed JSON, got {other:?}"),
        }
    }
}
