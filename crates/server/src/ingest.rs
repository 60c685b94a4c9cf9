//! The one commit path for finished uploads (tus and one-shot): blob into place, then the media
//! row and its `media.uploaded` event in one transaction.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sightline_core::UserId;
use sightline_core::blob_key;
use sightline_core::event::{MediaEvent, NewEvent, Topic};
use sightline_core::media::MediaStatus;
use sightline_store::model::{CommitOutcome, Media, PendingMedia, Upload};
use std::path::Path;

pub fn raw_key(user: UserId, pending: &PendingMedia, received_at: DateTime<Utc>) -> String {
    let ext = pending
        .filename
        .as_deref()
        .map(blob_key::extension_of)
        .filter(|ext| ext != "bin")
        .unwrap_or_else(|| pending.kind.default_extension().to_string());
    blob_key::raw(
        user,
        pending.captured_at.unwrap_or(received_at),
        pending.media_id,
        &ext,
    )
}

/// Commits a staged file as a media item. `staged` is consumed; when it is already gone (a
/// crash after the blob was placed) the blob in the store is used.
pub async fn commit(
    state: &AppState,
    user: UserId,
    upload: Option<&Upload>,
    pending: &PendingMedia,
    staged: &Path,
    received_at: DateTime<Utc>,
    correlation_id: &str,
) -> ApiResult<CommitOutcome> {
    let store = &state.backends.metadata;
    let _guard = state
        .locks
        .lock(&format!("commit:{user}:{}", pending.media_id))
        .await;
    if let Some(existing) = store.media(user, pending.media_id).await? {
        remove_quietly(staged).await;
        if let Some(upload) = upload {
            // Finish the upload record too, so its HEAD reports it complete.
            store.commit_media(&existing, Some(upload), &[]).await?;
        }
        return Ok(CommitOutcome::AlreadyExists);
    }
    let key = raw_key(user, pending, received_at);
    let size = if tokio::fs::try_exists(staged).await.unwrap_or(false) {
        state.backends.blobs.put_file(&key, staged).await?
    } else {
        state.backends.blobs.size(&key).await?.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("staged upload and blob {key} both missing"))
        })?
    };
    let now = Utc::now();
    let media = Media {
        id: pending.media_id,
        user_id: user,
        kind: pending.kind,
        status: MediaStatus::Pending,
        failure_reason: None,
        filename: pending.filename.clone(),
        device_id: pending.device_id,
        captured_at: pending.captured_at.unwrap_or(received_at),
        captured_at_from_client: pending.captured_at.is_some(),
        location: pending.location,
        size_bytes: size,
        raw_key: key,
        facts: None,
        thumbnail_key: None,
        preview_key: None,
        rendition_key: None,
        created_at: now,
        updated_at: now,
    };
    let event = NewEvent::media(
        Topic::MediaUploaded,
        &MediaEvent::new(user, media.id, correlation_id),
    );
    let outcome = store.commit_media(&media, upload, &[event]).await?;
    state.wake.notify_waiters();
    tracing::info!(media_id = %media.id, user_id = %user, size, correlation_id, "media committed");
    Ok(outcome)
}

pub async fn remove_quietly(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "could not remove staged file");
    }
}
