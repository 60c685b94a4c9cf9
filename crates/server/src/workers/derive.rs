//! `media.probed` → thumbnail, preview and (videos) the normalised rendition → `ready` and
//! `media.ready`. Derived files are only linked once the row says ready.

use super::runner::{Job, JobError, load_media};
use super::{local_original, work_dir};
use crate::state::AppState;
use async_trait::async_trait;
use sightline_core::blob_key::{self, DerivedFile};
use sightline_core::event::{MediaEvent, NewEvent, Topic};
use sightline_core::media::{MediaKind, MediaStatus};
use sightline_store::library::Annotations;
use sightline_store::model::ProcessingUpdate;

pub struct DeriveJob;

#[async_trait]
impl Job for DeriveJob {
    const CONSUMER: &'static str = "derive";
    const TOPICS: &'static [Topic] = &[Topic::MediaProbed];

    type Event = MediaEvent;

    async fn give_up(
        &self,
        state: &AppState,
        event: &MediaEvent,
        reason: &str,
    ) -> Result<(), JobError> {
        super::runner::fail_media(state, event, reason).await
    }

    async fn handle(&self, state: &AppState, event: &MediaEvent) -> Result<(), JobError> {
        let store = &state.backends.metadata;
        let Some(media) = load_media(state, event).await? else {
            return Ok(());
        };
        if media.status != MediaStatus::Processing {
            return Ok(());
        }
        let facts = media.facts.clone().unwrap_or_default();
        let (original, _guard) = local_original(state, &media.raw_key).await?;
        let work = work_dir(state)?;
        let thumb = work.path().join(DerivedFile::Thumbnail.file_name());
        let preview = work.path().join(DerivedFile::Preview.file_name());
        state
            .tools
            .make_stills(&original, media.kind, &facts, &thumb, &preview)
            .await?;

        let key = |file| blob_key::processed(media.user_id, media.id, file);
        let blobs = &state.backends.blobs;
        let mut update = ProcessingUpdate::status(MediaStatus::Ready);
        blobs
            .put_file(&key(DerivedFile::Thumbnail), &thumb)
            .await
            .map_err(JobError::transient)?;
        update.thumbnail_key = Some(key(DerivedFile::Thumbnail));
        blobs
            .put_file(&key(DerivedFile::Preview), &preview)
            .await
            .map_err(JobError::transient)?;
        update.preview_key = Some(key(DerivedFile::Preview));
        let annotations = if media.kind == MediaKind::Video {
            let rendition = work.path().join(DerivedFile::Rendition.file_name());
            state.tools.normalise(&original, &facts, &rendition).await?;
            // Analysed before the file moves into the blob store.
            let annotations = annotate(state, &media, Some(&rendition)).await;
            blobs
                .put_file(&key(DerivedFile::Rendition), &rendition)
                .await
                .map_err(JobError::transient)?;
            update.rendition_key = Some(key(DerivedFile::Rendition));
            annotations
        } else {
            annotate(state, &media, None).await
        };
        state
            .backends
            .library
            .set_annotations(media.user_id, media.id, &annotations)
            .await
            .or_else(|e| match e {
                // Deleted while we worked: handled below.
                sightline_store::StoreError::NotFound => Ok(()),
                other => Err(JobError::transient(other)),
            })?;
        let ready = NewEvent::media(Topic::MediaReady, event);
        let updated = store
            .update_media(media.user_id, media.id, &update, &[ready])
            .await
            .map_err(JobError::transient)?;
        if updated.is_none() {
            // Deleted while we worked: take our files with it.
            blobs
                .delete_prefix(&blob_key::processed_prefix(media.user_id, media.id))
                .await
                .map_err(JobError::transient)?;
        }
        state.wake.notify_waiters();
        Ok(())
    }
}

/// Place names from the GPS position and, for videos, per-second interest from the rendition.
/// Neither is essential: a failure is logged and the item is still ready, just less findable.
async fn annotate(
    state: &AppState,
    media: &sightline_store::model::Media,
    rendition: Option<&std::path::Path>,
) -> Annotations {
    let mut annotations = Annotations::default();
    if let Some(point) = media.location {
        match tokio::task::spawn_blocking(move || sightline_places::locate(point)).await {
            Ok(Some(place)) => {
                annotations.city = place.city;
                annotations.nearby = place.nearby;
                annotations.region = place.region;
                annotations.country_code = Some(place.country_code);
                annotations.country = Some(place.country);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "place lookup panicked"),
        }
    }
    if let Some(rendition) = rendition {
        let timeout = state.tools.normalise_timeout;
        match sightline_media::interest::analyse_interest(&state.tools, rendition, timeout).await {
            Ok(track) => match serde_json::to_string(&track) {
                Ok(json) => annotations.interest = Some(json),
                Err(e) => tracing::warn!(error = %e, "interest track not serialisable"),
            },
            Err(e) => {
                tracing::warn!(error = %e, "interest analysis failed; clips will be chosen without it")
            }
        }
    }
    annotations
}
