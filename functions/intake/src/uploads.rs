//! Photo and video evidence, uploaded by the app straight to the evidence bucket:
//! - `POST /v1/cases/{id}/uploads` answers a presigned `PUT` URL for exactly the media type
//!   and size asked, for an object not there yet (S3 refuses anything else, a second write,
//!   and the URL after 15 minutes);
//! - `POST /v1/cases/{id}/uploads/{upload}` attaches the file once it is there: the bucket
//!   (`HEAD`) says what arrived, which must be the size asked, and only an object under the
//!   case's own prefix can be named;
//! - `GET /v1/cases/{id}/evidence/{n}` answers where to read a piece of evidence: a presigned
//!   `GET` of 5 minutes for an uploaded file, the address as given for the others.
//!
//! Nobody who may not see the case learns anything (404), and nothing is signed for them.

use std::time::SystemTime;

use aftersales::domain::RuleError;
use aftersales::domain::access::Action;
use aftersales::domain::case::{self, EvidenceKind, Uploaded};
use aftersales::http::{ApiError, CaseView, JsonBody, OptionalJsonBody, Principal, on_case};
use aftersales::storage::{self, Bucket, StorageError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;

/// `POST /v1/cases/{id}/uploads`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// One of the evidence media types (JPEG, PNG, WebP, HEIC/HEIF, MP4, QuickTime, WebM, PDF).
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    /// The file's exact size: S3 refuses any other.
    #[schema(minimum = 1, maximum = 209_715_200_u64)]
    pub size_bytes: u64,
}

/// Where and how to upload: send exactly these headers, before `expires_at`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadTicket {
    /// Name it when attaching the file: `POST /v1/cases/{id}/uploads/{upload_id}`.
    pub upload_id: String,
    pub method: &'static str,
    pub url: String,
    /// `Content-Type`, `Content-Length` and `If-None-Match: *`, as signed: send exactly these.
    pub headers: std::collections::BTreeMap<&'static str, String>,
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/cases/{id}/uploads/{upload}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachUpload {
    /// What the file shows (a photo of the fault unless said otherwise).
    #[serde(rename = "type", default = "photo")]
    pub kind: EvidenceKind,
    pub note: Option<String>,
}

fn photo() -> EvidenceKind {
    EvidenceKind::Photo
}

impl Default for AttachUpload {
    fn default() -> Self {
        Self {
            kind: photo(),
            note: None,
        }
    }
}

/// Where to read one piece of evidence.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvidenceLink {
    pub url: String,
    /// When a signed address stops working (none for an address given by the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

fn bucket(app: &AppState) -> Result<&Bucket, ApiError> {
    app.evidence
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable(StorageError::NotConfigured.to_string()))
}

fn storage_error(e: StorageError) -> ApiError {
    match e {
        StorageError::Signing(cause) => ApiError::Internal(cause),
        other => ApiError::Unavailable(other.to_string()),
    }
}

fn after(now: SystemTime, ttl: std::time::Duration) -> DateTime<Utc> {
    DateTime::<Utc>::from(now + ttl)
}

/// `POST /v1/cases/{id}/uploads`
pub async fn ask(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: request, .. }: JsonBody<UploadRequest>,
) -> Result<(StatusCode, Json<UploadTicket>), ApiError> {
    let case =
        aftersales::http::visible_case(&app.store, &principal, &id, Action::AddEvidence).await?;
    let content_type = case::plan_upload(
        &case,
        &principal.actor(),
        &request.content_type,
        request.size_bytes,
    )?;
    let bucket = bucket(&app)?;
    let upload_id = storage::new_upload_id(request.size_bytes);
    let key = storage::upload_key(case.id.as_str(), &upload_id);
    let now = SystemTime::now();
    let url = bucket
        .upload_url(&key, &content_type, request.size_bytes, now)
        .map_err(storage_error)?;
    tracing::info!(case = %case.id, %upload_id, size = request.size_bytes, "upload URL issued");
    Ok((
        StatusCode::CREATED,
        Json(UploadTicket {
            upload_id,
            method: "PUT",
            url,
            headers: [
                ("Content-Type", content_type),
                ("Content-Length", request.size_bytes.to_string()),
                ("If-None-Match", "*".to_owned()),
            ]
            .into(),
            expires_at: after(now, storage::UPLOAD_URL_TTL),
        }),
    ))
}

/// `POST /v1/cases/{id}/uploads/{upload}`
pub async fn attach(
    State(app): State<AppState>,
    principal: Principal,
    Path((id, upload_id)): Path<(String, String)>,
    OptionalJsonBody(command): OptionalJsonBody<AttachUpload>,
) -> Result<Json<CaseView>, ApiError> {
    let Some(asked_bytes) = storage::upload_size(&upload_id) else {
        return Err(ApiError::NotFound(format!("no upload {upload_id}")));
    };
    let (app, principal, command, upload_id) = (&app, &principal, &command, &upload_id);
    let view = on_case(app, principal, &id, Action::AddEvidence, |current, _| async move {
        let bucket = bucket(app)?;
        // The key is made from the case in hand: an object under another case's prefix is
        // never looked at.
        let key = storage::upload_key(current.id.as_str(), upload_id);
        let object = bucket.head(&key).await.map_err(storage_error)?.ok_or_else(|| {
            RuleError::new(
                "upload-missing",
                "nothing has been uploaded under that id for this case (yet): upload it with the URL you were given, then attach it",
            )
        })?;
        let upload = Uploaded {
            url: format!("s3://{}/{key}", bucket.name()),
            key,
            kind: command.kind,
            asked_bytes,
            size_bytes: object.size_bytes,
            content_type: object.content_type,
            note: command.note.clone(),
        };
        let decided = case::attach_upload(&current, principal.actor(), upload, app.clock.now())?;
        Ok((decided.into(), None))
    })
    .await?;
    Ok(Json(view))
}

/// `GET /v1/cases/{id}/evidence/{n}`
pub async fn read(
    State(app): State<AppState>,
    principal: Principal,
    Path((id, n)): Path<(String, String)>,
) -> Result<Json<EvidenceLink>, ApiError> {
    let case =
        aftersales::http::visible_case(&app.store, &principal, &id, Action::ReadCase).await?;
    let evidence = n
        .parse::<usize>()
        .ok()
        .and_then(|n| case.evidence.get(n))
        .ok_or_else(|| ApiError::NotFound(format!("case {id} has no evidence {n}")))?;
    match &evidence.upload {
        Some(key) => {
            let now = SystemTime::now();
            let url = bucket(&app)?.read_url(key, now).map_err(storage_error)?;
            Ok(Json(EvidenceLink {
                url,
                expires_at: Some(after(now, storage::READ_URL_TTL)),
            }))
        }
        None => Ok(Json(EvidenceLink {
            url: evidence.url.clone(),
            expires_at: None,
        })),
    }
}
