//! `media.uploaded` → ffprobe (+ EXIF for photos) → facts on the row → `media.probed`.

use super::local_original;
use super::runner::{Job, JobError, load_media};
use crate::state::AppState;
use async_trait::async_trait;
use sightline_core::event::{MediaEvent, NewEvent, Topic};
use sightline_core::media::MediaStatus;
use sightline_store::model::ProcessingUpdate;

pub struct ProbeJob;

#[async_trait]
impl Job for ProbeJob {
    const CONSUMER: &'static str = "probe";
    const TOPICS: &'static [Topic] = &[Topic::MediaUploaded];

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
        if matches!(media.status, MediaStatus::Ready | MediaStatus::Failed) {
            return Ok(()); // A redelivery after the work was done.
        }
        if media.status == MediaStatus::Pending {
            store
                .update_media(
                    event.user_id,
                    event.media_id,
                    &ProcessingUpdate::status(MediaStatus::Processing),
                    &[],
                )
                .await
                .map_err(JobError::transient)?;
        }
        let (path, _guard) = local_original(state, &media.raw_key).await?;
        let facts = state.tools.probe(&path, media.kind).await?;
        let update = ProcessingUpdate {
            // The file's own capture time wins over the upload time, never over the client's.
            captured_at: facts.created_at.filter(|_| !media.captured_at_from_client),
            location: facts.location.filter(|_| media.location.is_none()),
            facts: Some(facts),
            ..ProcessingUpdate::status(MediaStatus::Processing)
        };
        let next = NewEvent::media(Topic::MediaProbed, event);
        store
            .update_media(event.user_id, event.media_id, &update, &[next])
            .await
            .map_err(JobError::transient)?;
        state.wake.notify_waiters();
        Ok(())
    }
}
