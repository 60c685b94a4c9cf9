//! The one commit path for finished uploads (tus and one-shot): blob into place, then the media
//! row and its `media.uploaded` event in one transaction.

use crate::error::{ApiError, ApiResult};
use crate::locks::KeyGuard;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sightline_core::blob_key;
use sightline_core::event::{MediaEvent, NewEvent, Topic};
use sightline_core::media::MediaStatus;
use sightline_core::{MediaId, UserId};
use sightline_store::blob::PlacedBlob;
use sightline_store::model::{CommitOutcome, Media, PendingMedia, Upload};
use std::path::Path;
use tokio::io::AsyncReadExt;

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

/// The bytes of a finished upload.
pub enum Original<'a> {
    /// A staging file, consumed by the commit; when it is already gone (a crash after the blob
    /// was placed) the blob in the store is used.
    Staged(&'a Path),
    /// A small upload taken whole in memory, as the frames it arrived in.
    InMemory(Vec<bytes::Bytes>),
    /// Already placed under the item's raw key by the caller.
    Placed(PlacedBlob),
}

/// The lock that makes commits of one media id take turns in this process: the first one
/// stores its blob and row, the others find the item.
pub async fn commit_turn(state: &AppState, user: UserId, media: MediaId) -> KeyGuard<'_> {
    state.locks.lock(&format!("commit:{user}:{media}")).await
}

/// Commits an upload's bytes as a media item.
pub async fn commit(
    state: &AppState,
    item: Item<'_>,
    original: Original<'_>,
) -> ApiResult<CommitOutcome> {
    let (user, upload, media_id) = (item.user, item.upload, item.pending.media_id);
    let store = &state.backends.metadata;
    let turn = commit_turn(state, user, media_id).await;
    if let Some(existing) = store.media(user, media_id).await? {
        if let Original::Staged(staged) = original {
            remove_quietly(staged).await;
        }
        if let Some(upload) = upload {
            // Finish the upload record too, so its HEAD reports it complete.
            store.commit_media(&existing, Some(upload), &[]).await?;
        }
        return Ok(CommitOutcome::AlreadyExists);
    }
    commit_new(state, turn, item, original).await
}

/// What an item is committed from, besides its bytes.
pub struct Item<'a> {
    pub user: UserId,
    /// The upload that carried it (recorded complete by the commit); none for one-shot uploads.
    pub upload: Option<&'a Upload>,
    pub pending: &'a PendingMedia,
    pub received_at: DateTime<Utc>,
    pub correlation_id: &'a str,
}

impl Item<'_> {
    /// Where the item's original is stored.
    pub fn raw_key(&self) -> String {
        raw_key(self.user, self.pending, self.received_at)
    }
}

impl<'a> Item<'a> {
    /// The item a finished upload carries.
    pub fn of_upload(upload: &'a Upload, correlation_id: &'a str) -> Self {
        Self {
            user: upload.user_id,
            upload: Some(upload),
            pending: &upload.media,
            received_at: upload.created_at,
            correlation_id,
        }
    }
}

/// Commits `item`'s bytes; `_turn` is its media id's [`commit_turn`], held since the id was
/// found unused (no item yet whose blob these bytes could overwrite).
pub async fn commit_new(
    state: &AppState,
    _turn: KeyGuard<'_>,
    item: Item<'_>,
    original: Original<'_>,
) -> ApiResult<CommitOutcome> {
    let Item {
        user,
        upload,
        pending,
        received_at,
        correlation_id,
    } = item;
    let store = &state.backends.metadata;
    let key = raw_key(user, pending, received_at);
    let blobs = &state.backends.blobs;
    let placed = match original {
        Original::Placed(placed) => placed,
        Original::InMemory(chunks) => blobs.place_bytes(&key, chunks).await?,
        Original::Staged(staged) if tokio::fs::try_exists(staged).await.unwrap_or(false) => {
            blobs.place_file(&key, staged).await?
        }
        Original::Staged(_) => {
            // Renamed into place by an attempt that crashed before its sync or its commit: the
            // bytes must prove they are this upload's before they become an item.
            let size = blobs.make_durable(&key).await?.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("staged upload and blob {key} both missing"))
            })?;
            if !survived_whole(state, &key, size, upload, pending).await? {
                tracing::warn!(media_id = %pending.media_id, key, size, "an upload's bytes were lost in a crash; the client must send them again");
                blobs.delete(&key).await?;
                if let Some(upload) = upload {
                    store.delete_upload(user, upload.id).await?;
                }
                return Err(ApiError::Gone(
                    "the bytes of this upload were lost in a crash before they were stored; \
                     upload the file again"
                        .into(),
                ));
            }
            PlacedBlob::durable(size)
        }
    };
    let size = placed.size();
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
    // The blob's sync and the commit wait on the disk at the same time (one journal commit
    // covers both); the upload is acknowledged only once both are durable. A crash in between
    // can leave a committed row whose original never reached the disk: `recover` at start-up
    // removes such rows, so the client's retry uploads again.
    let events = [event];
    let (synced, committed) =
        tokio::join!(placed.synced(), store.commit_media(&media, upload, &events));
    let outcome = committed?;
    if let Err(e) = synced {
        if outcome == CommitOutcome::Created {
            crate::routes::media::delete_item(state, user, media.id, correlation_id.to_string())
                .await?;
        }
        return Err(ApiError::internal(anyhow::anyhow!(
            "the original of {} could not be made durable: {e}",
            media.id
        )));
    }
    state.wake.notify_waiters();
    tracing::info!(media_id = %media.id, user_id = %user, size, correlation_id, "media committed");
    Ok(outcome)
}

/// Whether a blob left by a crashed attempt holds the whole upload: its length, and its
/// sha256 when the client declared one (after a power cut a renamed file can have the right
/// length and lost blocks).
async fn survived_whole(
    state: &AppState,
    key: &str,
    size: u64,
    upload: Option<&Upload>,
    pending: &PendingMedia,
) -> ApiResult<bool> {
    if upload.is_some_and(|u| u.length != size) {
        return Ok(false);
    }
    let Some(expected) = pending.sha256.as_deref() else {
        return Ok(true);
    };
    let mut reader = state.backends.blobs.open(key, None).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buffer).await.map_err(ApiError::internal)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()) == expected)
}

/// How far back [`recover`] looks: far longer than any sync of one original takes.
const RECOVERY_WINDOW: chrono::Duration = chrono::Duration::hours(1);

/// Start-up check after the commit path's overlap of blob sync and row commit: a media row
/// committed shortly before a crash whose original is missing or shorter than recorded is
/// removed (with its upload record and anything derived), so the device, which never got an
/// acknowledgement, uploads it again. Returns how many were removed.
pub async fn recover(state: &AppState) -> ApiResult<usize> {
    let store = &state.backends.metadata;
    let mut removed = 0;
    let mut cursor = Utc::now() - RECOVERY_WINDOW;
    loop {
        let batch = store.media_committed_since(cursor, 1000).await?;
        let Some(last) = batch.last() else { break };
        let next = last.created_at;
        for media in &batch {
            let on_disk = state.backends.blobs.size(&media.raw_key).await?;
            if on_disk == Some(media.size_bytes) {
                continue;
            }
            tracing::warn!(
                media_id = %media.id, user_id = %media.user_id, expected = media.size_bytes,
                ?on_disk, "original lost in a crash before it was acknowledged; removing the item"
            );
            if crate::routes::media::delete_item(state, media.user_id, media.id, "recovery".into())
                .await?
            {
                removed += 1;
            }
        }
        if batch.len() < 1000 || next == cursor {
            break;
        }
        cursor = next;
    }
    Ok(removed)
}

pub async fn remove_quietly(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "could not remove staged file");
    }
}
