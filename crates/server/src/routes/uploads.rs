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
use futures::StreamExt;
use sha2::{Digest, Sha256};
use sightline_core::tus::{self, MediaUploadInfo};
use sightline_core::{UploadId, UserId};
use sightline_store::model::{PendingMedia, Upload};
use std::path::PathBuf;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

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

fn staging_path(state: &AppState, id: UploadId) -> PathBuf {
    state.config.staging_dir().join(format!("{id}.part"))
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
        },
        created_at: now,
        expires_at: now + chrono::Duration::seconds(state.config.uploads.expire_after_secs as i64),
        completed: false,
    };
    let mut upload = state.backends.metadata.create_upload(&candidate).await?;
    if upload.length != length {
        return Err(ApiError::Conflict(format!(
            "media_id {} is already being uploaded with Upload-Length {}",
            upload.media.media_id, upload.length
        )));
    }
    let fresh = upload.id == candidate.id;
    if fresh {
        tokio::fs::create_dir_all(state.config.staging_dir())
            .await
            .map_err(ApiError::internal)?;
        tokio::fs::File::create(staging_path(&state, upload.id))
            .await
            .map_err(ApiError::internal)?;
    }
    // creation-with-upload: only a new upload takes a body; a retried creation reports where
    // the existing one stands and the client continues with PATCH.
    if fresh && header_str(&headers, "Content-Type") == Some(OFFSET_OCTET_STREAM) {
        upload = write_chunk(&state, upload, &headers, body, &request_id.0).await?;
    } else if !fresh && upload.offset == upload.length && !upload.completed {
        upload = finish(&state, upload, &request_id.0).await?;
    }
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
        upload = finish(&state, upload, &request_id.0).await?;
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
    let upload = write_chunk(&state, upload, &headers, body, &request_id.0).await?;
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
    ingest::remove_quietly(&staging_path(&state, upload.id)).await;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
    Ok(response)
}

/// Appends one request body at the upload's offset; commits the media when the upload is full.
async fn write_chunk(
    state: &AppState,
    upload: Upload,
    headers: &HeaderMap,
    body: Body,
    correlation_id: &str,
) -> ApiResult<Upload> {
    let _lock = state
        .locks
        .try_lock(&format!("upload:{}", upload.id))
        .ok_or_else(|| ApiError::Locked("another request is writing to this upload".into()))?;
    // Re-read under the lock: the offset may have moved since the caller loaded it.
    let mut upload = state
        .backends
        .metadata
        .upload(upload.user_id, upload.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(claimed) = header_str(headers, "Upload-Offset") {
        let claimed: u64 = claimed.parse().map_err(|_| {
            ApiError::BadRequest("Upload-Offset must be a non-negative integer".into())
        })?;
        if claimed != upload.offset {
            return Err(ApiError::Conflict(format!(
                "Upload-Offset {claimed} does not match the upload's offset {}",
                upload.offset
            )));
        }
    } else if upload.offset != 0 {
        return Err(ApiError::BadRequest("missing Upload-Offset".into()));
    }
    if upload.completed || upload.offset == upload.length {
        return if upload.completed {
            Ok(upload)
        } else {
            finish(state, upload, correlation_id).await
        };
    }
    if upload.expires_at < Utc::now() {
        return Err(ApiError::Gone("upload expired".into()));
    }
    let checksum = header_str(headers, "Upload-Checksum")
        .map(tus::parse_checksum)
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(declared) =
        header_str(headers, "Content-Length").and_then(|v| v.parse::<u64>().ok())
        && upload.offset + declared > upload.length
    {
        return Err(ApiError::PayloadTooLarge(format!(
            "chunk of {declared} bytes at offset {} overruns Upload-Length {}",
            upload.offset, upload.length
        )));
    }

    let path = staging_path(state, upload.id);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .await
        .map_err(ApiError::internal)?;
    file.set_len(upload.offset)
        .await
        .map_err(ApiError::internal)?;
    file.seek(std::io::SeekFrom::Start(upload.offset))
        .await
        .map_err(ApiError::internal)?;

    let mut hasher = checksum.as_ref().map(|_| Sha256::new());
    let mut written = 0u64;
    let mut stream = body.into_data_stream();
    let mut interrupted = false;
    while let Some(next) = stream.next().await {
        let Ok(chunk) = next else {
            // The client went away: keep what arrived (unless it must be verified as a whole).
            interrupted = true;
            break;
        };
        if upload.offset + written + chunk.len() as u64 > upload.length {
            file.set_len(upload.offset)
                .await
                .map_err(ApiError::internal)?;
            return Err(ApiError::PayloadTooLarge(format!(
                "body overruns Upload-Length {}",
                upload.length
            )));
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
        written += chunk.len() as u64;
    }
    if let (Some(expected), Some(h)) = (checksum, hasher)
        && (interrupted || h.finalize()[..] != expected.sha256[..])
    {
        file.set_len(upload.offset)
            .await
            .map_err(ApiError::internal)?;
        return Err(ApiError::ChecksumMismatch);
    }
    file.sync_data().await.map_err(ApiError::internal)?;
    drop(file);
    upload.offset += written;
    state
        .backends
        .metadata
        .set_upload_offset(upload.id, upload.offset)
        .await?;
    if upload.offset == upload.length {
        upload = finish(state, upload, correlation_id).await?;
    }
    Ok(upload)
}

/// Moves a complete upload into the library. Safe to repeat after a crash at any point.
async fn finish(state: &AppState, mut upload: Upload, correlation_id: &str) -> ApiResult<Upload> {
    let staged = staging_path(state, upload.id);
    ingest::commit(
        state,
        upload.user_id,
        Some(upload.id),
        &upload.media,
        &staged,
        upload.created_at,
        correlation_id,
    )
    .await?;
    upload.completed = true;
    upload.offset = upload.length;
    Ok(upload)
}

/// Removes expired unfinished uploads and their staged bytes.
pub async fn expire_stale(state: &AppState) -> ApiResult<usize> {
    let expired = state
        .backends
        .metadata
        .expired_uploads(Utc::now(), 500)
        .await?;
    let mut removed = 0;
    for upload in expired {
        let Some(_lock) = state.locks.try_lock(&format!("upload:{}", upload.id)) else {
            continue;
        };
        if state
            .backends
            .metadata
            .delete_upload(upload.user_id, upload.id)
            .await?
        {
            ingest::remove_quietly(&staging_path(state, upload.id)).await;
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "expired unfinished uploads removed");
    }
    Ok(removed)
}
