//! Writing upload bytes: the staging file, offsets, and handing finished uploads to the commit
//! path. The database offset is the truth; bytes past it in the staging file (from a request
//! cut short by a crash) are truncated before the next write.

use super::staging::StagingFile;
use crate::error::{ApiError, ApiResult};
use crate::ingest;
use crate::routes::header_str;
use crate::state::AppState;
use axum::body::Body;
use axum::http::HeaderMap;
use chrono::Utc;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use sightline_core::UploadId;
use sightline_core::tus;
use sightline_store::model::{CommitOutcome, Upload};
use std::path::PathBuf;

pub(super) fn staging_path(state: &AppState, id: UploadId) -> PathBuf {
    state.config.staging_dir().join(format!("{id}.part"))
}

/// Whole bodies up to this size are taken in memory and written once under their final key:
/// no staging file, no rename (photos from the devices).
const WHOLE_IN_MEMORY_MAX: u64 = 1 << 20;

/// KiB of bodies held in memory at once across all uploads; past it, bodies stream to a
/// staging file as larger ones do, so a flood of clients cannot exhaust memory.
static WHOLE_IN_MEMORY_BUDGET: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(64 << 10);

fn request_checksum(headers: &HeaderMap) -> ApiResult<Option<tus::Checksum>> {
    header_str(headers, "Upload-Checksum")
        .map(tus::parse_checksum)
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn overrun(upload: &Upload) -> ApiError {
    ApiError::PayloadTooLarge(format!("the body overruns Upload-Length {}", upload.length))
}

fn declared_hash_mismatch(actual: &str, expected: &str) -> ApiError {
    // Neither the bytes nor the upload are kept: the client starts over, or finds that its
    // own copy is damaged.
    ApiError::FileChecksumMismatch(format!(
        "the uploaded file has sha256 {actual}, not the declared {expected}; the upload was discarded"
    ))
}

/// What arrived of a body taken in memory.
enum Whole {
    /// Every byte, as the frames it arrived in (kept as they are: no copy into one buffer).
    Complete(Vec<bytes::Bytes>),
    /// The client went away first: these frames become a resumable upload.
    Partial(Vec<bytes::Bytes>),
}

/// Takes a creation's whole body in memory, verifying the request checksum when one was sent.
async fn receive_whole(upload: &Upload, headers: &HeaderMap, body: Body) -> ApiResult<Whole> {
    let checksum = request_checksum(headers)?;
    let mut hasher = checksum.as_ref().map(|_| Sha256::new());
    let mut frames = Vec::new();
    let mut received = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(next) = stream.next().await {
        let Ok(chunk) = next else {
            if checksum.is_some() {
                // Unverifiable: nothing is kept.
                return Err(ApiError::ChecksumMismatch);
            }
            return Ok(Whole::Partial(frames));
        };
        received += chunk.len() as u64;
        if received > upload.length {
            return Err(overrun(upload));
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        frames.push(chunk);
    }
    if let (Some(expected), Some(h)) = (checksum, hasher)
        && h.finalize()[..] != expected.sha256[..]
    {
        return Err(ApiError::ChecksumMismatch);
    }
    if received < upload.length {
        return Ok(Whole::Partial(frames));
    }
    Ok(Whole::Complete(frames))
}

/// Writes the frames of a creation cut short to its staging file.
async fn stage_frames(
    state: &AppState,
    upload: &Upload,
    frames: Vec<bytes::Bytes>,
) -> ApiResult<(u64, StagingFile)> {
    tokio::fs::create_dir_all(state.config.staging_dir())
        .await
        .map_err(ApiError::internal)?;
    let mut file = StagingFile::open_at(&staging_path(state, upload.id), 0)
        .await
        .map_err(ApiError::internal)?;
    let mut written = 0;
    for frame in frames {
        written += frame.len() as u64;
        file.push(frame).await.map_err(ApiError::internal)?;
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok((written, file))
}

/// Streams one request body into `upload`'s staging file at its offset, verifying the
/// checksum when one was sent. Returns the bytes taken and the file, written but not synced.
/// On an error the file is left at the old offset.
async fn receive(
    state: &AppState,
    upload: &Upload,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<(u64, StagingFile)> {
    let checksum = request_checksum(headers)?;
    let declared = header_str(headers, "Content-Length").and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| upload.offset + n > upload.length) {
        return Err(overrun(upload));
    }
    tokio::fs::create_dir_all(state.config.staging_dir())
        .await
        .map_err(ApiError::internal)?;
    let mut file = StagingFile::open_at(&staging_path(state, upload.id), upload.offset)
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
            file.truncate(upload.offset)
                .await
                .map_err(ApiError::internal)?;
            return Err(overrun(upload));
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        written += chunk.len() as u64;
        file.push(chunk).await.map_err(ApiError::internal)?;
    }
    if let (Some(expected), Some(h)) = (checksum, hasher)
        && (interrupted || h.finalize()[..] != expected.sha256[..])
    {
        file.truncate(upload.offset)
            .await
            .map_err(ApiError::internal)?;
        return Err(ApiError::ChecksumMismatch);
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok((written, file))
}

/// A creation without a body: the upload row and an empty staging file.
pub(super) async fn create_empty(state: &AppState, candidate: Upload) -> ApiResult<(Upload, bool)> {
    tokio::fs::create_dir_all(state.config.staging_dir())
        .await
        .map_err(ApiError::internal)?;
    tokio::fs::File::create(staging_path(state, candidate.id))
        .await
        .map_err(ApiError::internal)?;
    let upload = state.backends.metadata.create_upload(&candidate).await?;
    let fresh = upload.id == candidate.id;
    if !fresh {
        // Another creation for the same media id won the race.
        ingest::remove_quietly(&staging_path(state, candidate.id)).await;
    }
    Ok((upload, fresh))
}

/// The memory a creation's whole body may take, when it declares the whole file
/// (`Content-Length` = `Upload-Length`) of at most [`WHOLE_IN_MEMORY_MAX`] and the shared
/// budget allows.
pub(super) fn whole_body_budget(
    headers: &HeaderMap,
    length: u64,
) -> Option<tokio::sync::SemaphorePermit<'static>> {
    let declared = header_str(headers, "Content-Length").and_then(|v| v.parse::<u64>().ok());
    if declared != Some(length) || length > WHOLE_IN_MEMORY_MAX {
        return None;
    }
    WHOLE_IN_MEMORY_BUDGET
        .try_acquire_many(length.div_ceil(1024) as u32)
        .ok()
}

/// creation-with-upload of a small whole file (photos from the devices), taken in memory
/// before anything is read. When no upload or item carries its media id yet (almost always),
/// it is committed in that media id's commit turn: its blob written while one read checks the
/// id, then the upload row, media row and event in one database commit. Otherwise it is answered
/// as before a body was taken: with the upload that holds the media id, or as the item that
/// already exists. A body cut short becomes a resumable upload.
pub(super) async fn create_whole_body(
    state: &AppState,
    candidate: Upload,
    headers: &HeaderMap,
    body: Body,
    _budget: tokio::sync::SemaphorePermit<'static>,
    correlation_id: &str,
) -> ApiResult<(Upload, bool)> {
    let frames = match receive_whole(&candidate, headers, body).await? {
        Whole::Complete(frames) => frames,
        Whole::Partial(frames) => {
            let received = stage_frames(state, &candidate, frames).await;
            return record_received(state, candidate, received, correlation_id).await;
        }
    };
    if let Some(expected) = candidate.media.sha256.as_deref() {
        let mut hasher = Sha256::new();
        frames.iter().for_each(|frame| hasher.update(frame));
        let actual = hex::encode(hasher.finalize());
        if actual != expected {
            return Err(declared_hash_mismatch(&actual, expected));
        }
    }
    let (user, media_id) = (candidate.user_id, candidate.media.media_id);
    let store = &state.backends.metadata;
    let turn = ingest::commit_turn(state, user, media_id).await;
    let upload = complete(candidate);
    let item = ingest::Item::of_upload(&upload, correlation_id);
    // The media id is almost always new, so its blob is written while that is checked. It is
    // created exclusively, so it never replaces another item's; it is removed again when the
    // id turns out to be taken.
    let key = item.raw_key();
    let (in_use, placed) = tokio::join!(
        store.media_id_in_use(user, media_id),
        state.backends.blobs.place_new_bytes(&key, frames.clone()),
    );
    let original = match (in_use, placed) {
        (Ok(false), Ok(Some(placed))) => Some(ingest::Original::Placed(placed)),
        // Left by an attempt that crashed before its commit: written again.
        (Ok(false), Ok(None)) => Some(ingest::Original::InMemory(frames.clone())),
        (Ok(false), Err(e)) => return Err(e.into()),
        (in_use, placed) => {
            if let Ok(Some(placed)) = placed {
                drop(placed);
                state.backends.blobs.delete(&key).await?;
            }
            in_use?;
            None
        }
    };
    if let Some(original) = original {
        let outcome = ingest::commit_new(state, turn, item, original).await?;
        return answer_creation(state, user, media_id, upload, outcome).await;
    }
    drop(turn);
    if let Some(existing) = store.upload_by_media(user, media_id).await? {
        let length = upload.length;
        let upload = super::resume_existing(state, existing, length, correlation_id).await?;
        return Ok((upload, false));
    }
    let (upload, outcome) = commit_complete(
        state,
        upload,
        ingest::Original::InMemory(frames),
        correlation_id,
    )
    .await?;
    answer_creation(state, user, media_id, upload, outcome).await
}

/// creation-with-upload of a body streamed to a staging file (a large or unbudgeted one).
pub(super) async fn create_with_body(
    state: &AppState,
    candidate: Upload,
    headers: &HeaderMap,
    body: Body,
    correlation_id: &str,
) -> ApiResult<(Upload, bool)> {
    let received = receive(state, &candidate, headers, body).await;
    record_received(state, candidate, received, correlation_id).await
}

/// A creation's body written to its staging file: committed when it was the whole file,
/// else recorded as a resumable upload at the offset it reached.
async fn record_received(
    state: &AppState,
    mut candidate: Upload,
    received: ApiResult<(u64, StagingFile)>,
    correlation_id: &str,
) -> ApiResult<(Upload, bool)> {
    let (written, mut file) = match received {
        Ok(received) => received,
        Err(e) => {
            ingest::remove_quietly(&staging_path(state, candidate.id)).await;
            return Err(e);
        }
    };
    candidate.offset = written;
    if written == candidate.length {
        drop(file);
        let (user, media_id) = (candidate.user_id, candidate.media.media_id);
        let (done, outcome) = finish(state, candidate, correlation_id).await?;
        return answer_creation(state, user, media_id, done, outcome).await;
    }
    file.sync().await.map_err(ApiError::internal)?;
    drop(file);
    let upload = state.backends.metadata.create_upload(&candidate).await?;
    let fresh = upload.id == candidate.id;
    if !fresh {
        ingest::remove_quietly(&staging_path(state, candidate.id)).await;
    }
    Ok((upload, fresh))
}

/// The answer to a creation whose bytes were committed. When they became the item, this upload
/// is complete (a concurrent creation of the same media id may have stored an upload row of its
/// own, which stays unfinished). Otherwise the item already existed: answer with the upload row
/// stored for it, if another one holds it.
async fn answer_creation(
    state: &AppState,
    user: sightline_core::UserId,
    media_id: sightline_core::MediaId,
    done: Upload,
    outcome: CommitOutcome,
) -> ApiResult<(Upload, bool)> {
    if outcome == CommitOutcome::Created {
        return Ok((done, true));
    }
    match state
        .backends
        .metadata
        .upload_by_media(user, media_id)
        .await?
    {
        Some(stored) if stored.id != done.id => Ok((stored, false)),
        _ => Ok((done, true)),
    }
}

/// Appends one PATCH body at the upload's offset; commits the media when the upload is full.
pub(super) async fn write_chunk(
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
    let claimed: u64 = header_str(headers, "Upload-Offset")
        .ok_or_else(|| ApiError::BadRequest("missing Upload-Offset".into()))?
        .parse()
        .map_err(|_| ApiError::BadRequest("Upload-Offset must be a non-negative integer".into()))?;
    if claimed != upload.offset {
        return Err(ApiError::Conflict(format!(
            "Upload-Offset {claimed} does not match the upload's offset {}",
            upload.offset
        )));
    }
    if upload.completed {
        return Ok(upload);
    }
    if upload.offset == upload.length {
        return Ok(finish(state, upload, correlation_id).await?.0);
    }
    if upload.expires_at < Utc::now() {
        return Err(ApiError::Gone("upload expired".into()));
    }
    let (written, mut file) = receive(state, &upload, headers, body).await?;
    upload.offset += written;
    if upload.offset == upload.length {
        // The blob store makes the finished file durable when it takes it, and the commit
        // records the upload complete: syncing here or writing the offset would only add
        // fsyncs. A crash before the commit leaves the old offset and a longer staged file,
        // which the next PATCH truncates.
        drop(file);
        return Ok(finish(state, upload, correlation_id).await?.0);
    }
    file.sync().await.map_err(ApiError::internal)?;
    drop(file);
    state
        .backends
        .metadata
        .set_upload_offset(upload.id, upload.offset)
        .await?;
    Ok(upload)
}

/// Moves a complete upload into the library. Safe to repeat after a crash at any point. Also
/// tells whether these bytes became the item (or it existed already).
pub(super) async fn finish(
    state: &AppState,
    upload: Upload,
    correlation_id: &str,
) -> ApiResult<(Upload, CommitOutcome)> {
    let staged = staging_path(state, upload.id);
    let declared = upload.media.sha256.as_deref();
    // A staged file already gone was renamed into place by an attempt that crashed: the commit
    // checks the blob instead.
    let staged_hash = match declared {
        None => None,
        Some(_) => match hash_file(&staged).await {
            Ok(actual) => Some(actual),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(ApiError::internal(e)),
        },
    };
    if let (Some(expected), Some(actual)) = (declared, staged_hash)
        && actual != expected
    {
        if state
            .backends
            .metadata
            .delete_upload(upload.user_id, upload.id)
            .await
            .is_ok()
        {
            ingest::remove_quietly(&staged).await;
        }
        return Err(declared_hash_mismatch(&actual, expected));
    }
    commit_complete(
        state,
        upload,
        ingest::Original::Staged(&staged),
        correlation_id,
    )
    .await
}

/// The upload as recorded once its bytes are committed.
fn complete(mut upload: Upload) -> Upload {
    upload.completed = true;
    upload.offset = upload.length;
    upload
}

/// Records the upload complete and commits its bytes as a media item.
async fn commit_complete(
    state: &AppState,
    upload: Upload,
    original: ingest::Original<'_>,
    correlation_id: &str,
) -> ApiResult<(Upload, CommitOutcome)> {
    let upload = complete(upload);
    let item = ingest::Item::of_upload(&upload, correlation_id);
    let outcome = ingest::commit(state, item, original).await?;
    Ok((upload, outcome))
}

async fn hash_file(path: &std::path::Path) -> std::io::Result<String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher)?;
        Ok(hex::encode(hasher.finalize()))
    })
    .await
    .map_err(std::io::Error::other)?
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
