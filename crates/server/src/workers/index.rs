//! The projector: keeps the search index in step with the write model.

use super::runner::{Job, JobError};
use crate::readmodel;
use crate::state::AppState;
use async_trait::async_trait;
use sightline_core::event::{MediaEvent, Topic, UserEvent};

/// The projector's consumers, for readers that wait for it to catch up.
pub const CONSUMERS: [&str; 2] = [IndexMediaJob::CONSUMER, IndexLibraryJob::CONSUMER];

/// One item changed: its document is rewritten (or removed) and committed.
pub struct IndexMediaJob;

#[async_trait]
impl Job for IndexMediaJob {
    const CONSUMER: &'static str = "index";
    const TOPICS: &'static [Topic] = &[Topic::MediaReady, Topic::MediaChanged, Topic::MediaDeleted];
    type Event = MediaEvent;

    async fn handle(&self, state: &AppState, event: &MediaEvent) -> Result<(), JobError> {
        readmodel::project_media(state, event.user_id, event.media_id)
            .await
            .map_err(JobError::Transient)?;
        state.search.commit().await.map_err(JobError::transient)
    }

    async fn give_up(
        &self,
        _: &AppState,
        event: &MediaEvent,
        reason: &str,
    ) -> Result<(), JobError> {
        tracing::error!(media_id = %event.media_id, %reason, "search index not updated; `sightline reindex` repairs it");
        Ok(())
    }
}

/// People or places changed: every document of the user is rewritten.
pub struct IndexLibraryJob;

#[async_trait]
impl Job for IndexLibraryJob {
    const CONSUMER: &'static str = "index-library";
    const TOPICS: &'static [Topic] = &[Topic::LibraryChanged];
    type Event = UserEvent;

    async fn handle(&self, state: &AppState, event: &UserEvent) -> Result<(), JobError> {
        readmodel::project_user(state, event.user_id)
            .await
            .map_err(JobError::Transient)?;
        state.search.commit().await.map_err(JobError::transient)
    }

    async fn give_up(&self, _: &AppState, event: &UserEvent, reason: &str) -> Result<(), JobError> {
        tracing::error!(user_id = %event.user_id, %reason, "search index not updated; `sightline reindex` repairs it");
        Ok(())
    }
}
