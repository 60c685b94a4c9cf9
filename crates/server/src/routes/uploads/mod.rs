//! tus 1.0 at `/api/v1/uploads`: core protocol plus creation, creation-with-upload, termination,
//! checksum (sha256) and expiration. The database offset is the truth; bytes past it in the
//! staging file (from a PATCH cut short by a crash) are truncated before the next write.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ingest;
use crate::routes::{RequestId, header_str, resolve_device};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sightline_core::tus::{self, MediaUploadInfo};
use sightline_core::{UploadId, UserId};
use sightline_store::model::{PendingMedia, Upload};

mod staging;
mod write;

pub use write::expire_stale;

pub(super) const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

fn tus_headers(response: &mut Response, upload: &Upload) {
    let headers = response.headers_mut();
    headers.insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
    headers.insert("Upload-Offset", HeaderValue::from(upload.offset));
    headers.insert("Upload-Length", HeaderValue::from(upload.length));
    headers.insert("Cache-Control", HeaderValue::from_static("no-store"));
    if !upload.completed
        && let Ok(v) =
            HeaderValue::from_str(&upload.expires_at.to_rfc2822().replace("+0000", "GMT"))
    {
        headers.insert("Upload-Expires", v);
    }
}

fn require_tus(headers: &HeaderMap) -> ApiResult<()> {
    match header_str(headers, "Tus-Resumable") {
        Some(tus::VERSION) => Ok(()),
        Some(other) => Err(ApiError::PreconditionFailed(format!(
            "unsupported Tus-Resumable {other:?}; this server speaks {}",
            tus::VERSION
        ))),
        None => Err(ApiError::PreconditionFailed(
            "missing Tus-Resumable header".into(),
        )),
    }
}

pub async fn options(State(state): State<AppState>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
    headers.insert("Tus-Version", HeaderValue::from_static(tus::VERSION));
    headers.insert("Tus-Extension", HeaderValue::from_static(tus::EXTENSIONS));
    headers.insert(
        "Tus-Checksum-Algorithm",
        HeaderValue::from_static(tus::CHECKSUM_ALGORITHMS),
    );
    headers.insert(
        "Tus-Max-Size",
        HeaderValue::from(state.config.uploads.max_size),
    );
    response
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    require_tus(&headers)?;
    if headers.contains_key("Upload-Defer-Length") {
        return Err(ApiError::BadRequest(
            "Upload-Defer-Length is not supported; send Upload-Length".into(),
        ));
    }
    let length: u64 = header_str(&headers, "Upload-Length")
        .ok_or_else(|| ApiError::BadRequest("missing Upload-Length".into()))?
        .parse()
        .map_err(|_| ApiError::BadRequest("Upload-Length must be a non-negative integer".into()))?;
    if length == 0 {
        return Err(ApiError::BadRequest(
            "Upload-Length is 0: nothing to upload".into(),
        ));
    }
    if length > state.config.uploads.max_size {
        return Err(ApiError::PayloadTooLarge(format!(
            "Upload-Length {length} exceeds the maximum of {} bytes",
            state.config.uploads.max_size
        )));
    }
    let pairs = tus::parse_metadata(header_str(&headers, "Upload-Metadata").unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let info =
        MediaUploadInfo::from_metadata(&pairs).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let device_id = resolve_device(&state, caller, info.device_id).await?;
    let now = Utc::now();
    let candidate = Upload {
        id: UploadId::new_random(),
        user_id: caller.user_id,
        length,
        offset: 0,
        media: PendingMedia {
            media_id: info.media_id,
            kind: info.kind,
            captured_at: info.captured_at,
            location: info.location,
            device_id,
            filename: info.filename,
            sha256: info.sha256,
        },
        created_at: now,
        expires_at: now + chrono::Duration::seconds(state.config.uploads.expire_after_secs as i64),
        completed: false,
    };
    let store = &state.backends.metadata;
    let with_body = header_str(&headers, "Content-Type") == Some(OFFSET_OCTET_STREAM);
    let whole_body = with_body
        .then(|| write::whole_body_budget(&headers, length))
        .flatten();
    let (upload, fresh) = if let Some(budget) = whole_body {
        write::create_whole_body(&state, candidate, &headers, body, budget, &request_id.0).await?
    } else {
        match store.upload_by_media(caller.user_id, info.media_id).await? {
            Some(existing) => (
                resume_existing(&state, existing, length, &request_id.0).await?,
                false,
            ),
            None if with_body => {
                write::create_with_body(&state, candidate, &headers, body, &request_id.0).await?
            }
            None => write::create_empty(&state, candidate).await?,
        }
    };
    // 200 tells a retrying client that the upload already existed (its body was not taken).
    let status = if fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = status.into_response();
    tus_headers(&mut response, &upload);
    let location = format!("/api/v1/uploads/{}", upload.id);
    response.headers_mut().insert(
        "Location",
        HeaderValue::from_str(&location).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// A creation for a media id that already has an upload: report where it stands (finishing it
/// if every byte arrived before a crash). Its body, if any, is not taken.
async fn resume_existing(
    state: &AppState,
    upload: Upload,
    length: u64,
    correlation_id: &str,
) -> ApiResult<Upload> {
    if upload.length != length {
        return Err(ApiError::Conflict(format!(
            "media_id {} is already being uploaded with Upload-Length {}",
            upload.media.media_id, upload.length
        )));
    }
    if upload.offset == upload.length && !upload.completed {
        return Ok(write::finish(state, upload, correlation_id).await?.0);
    }
    Ok(upload)
}

async fn load(state: &AppState, user: UserId, id: &str) -> ApiResult<Upload> {
    let id = UploadId::parse(id).map_err(|_| ApiError::NotFound)?;
    state
        .backends
        .metadata
        .upload(user, id)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn head(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut upload = load(&state, caller.user_id, &id).await?;
    if upload.offset == upload.length && !upload.completed {
        upload = write::finish(&state, upload, &request_id.0).await?.0;
    }
    let mut response = StatusCode::OK.into_response();
    tus_headers(&mut response, &upload);
    Ok(response)
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    require_tus(&headers)?;
    if header_str(&headers, "Content-Type") != Some(OFFSET_OCTET_STREAM) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "PATCH needs Content-Type: {OFFSET_OCTET_STREAM}"
        )));
    }
    let upload = load(&state, caller.user_id, &id).await?;
    let upload = write::write_chunk(&state, upload, &headers, body, &request_id.0).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut response, &upload);
    Ok(response)
}

pub async fn terminate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    require_tus(&headers)?;
    let upload = load(&state, caller.user_id, &id).await?;
    let _lock = state
        .locks
        .try_lock(&format!("upload:{}", upload.id))
        .ok_or_else(|| ApiError::Locked("the upload is busy with another request".into()))?;
    if upload.completed {
        return Err(ApiError::Conflict(
            "upload already completed; delete the media item instead".into(),
        ));
    }
    state
        .backends
        .metadata
        .delete_upload(caller.user_id, upload.id)
        .await?;
    ingest::remove_quietly(&write::staging_path(&state, upload.id)).await;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
    Ok(response)
}
