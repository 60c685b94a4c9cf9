//! The write model: users, devices, uploads and media. Every read and write of user data takes
//! the user id, so a foreign id is simply not found.

use crate::error::Result;
use crate::model::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::event::NewEvent;
use sightline_core::{DeviceId, MediaId, UploadId, UserId};

#[async_trait]
pub trait MetadataStore: Send + Sync + 'static {
    /// Fails with `Conflict` when the e-mail is taken.
    async fn create_user(&self, user: &User) -> Result<()>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;

    async fn insert_refresh_token(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Removes the token and returns its owner if it existed and had not expired (rotation).
    async fn take_refresh_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>>;

    async fn create_device(&self, device: &Device, token_hash: &str) -> Result<()>;
    async fn device(&self, user: UserId, id: DeviceId) -> Result<Option<Device>>;
    async fn devices(&self, user: UserId) -> Result<Vec<Device>>;
    async fn report_device(
        &self,
        user: UserId,
        id: DeviceId,
        report: &DeviceReport,
    ) -> Result<Option<Device>>;
    /// Replaces what the owner set for the device and bumps its settings version. With
    /// `expected_version`, only if the settings are still at that version (compare-and-set for
    /// a change made from what was read); otherwise `Conflict`.
    async fn set_device_settings(
        &self,
        user: UserId,
        id: DeviceId,
        settings: &AgentSettings,
        expected_version: Option<u64>,
    ) -> Result<Option<Device>>;
    /// Deleting a device revokes its token. Returns whether it existed.
    async fn delete_device(&self, user: UserId, id: DeviceId) -> Result<bool>;
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>>;

    /// Creates the upload, or returns the one that already carries this user's media id
    /// (a retried creation must not start a second upload).
    async fn create_upload(&self, upload: &Upload) -> Result<Upload>;
    async fn upload(&self, user: UserId, id: UploadId) -> Result<Option<Upload>>;
    /// The upload carrying this media id, if any.
    async fn upload_by_media(&self, user: UserId, media: MediaId) -> Result<Option<Upload>>;
    async fn set_upload_offset(&self, id: UploadId, offset: u64) -> Result<()>;
    async fn delete_upload(&self, user: UserId, id: UploadId) -> Result<bool>;
    /// Unfinished uploads whose expiry has passed.
    async fn expired_uploads(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Upload>>;

    /// One transaction: the media row, its events, and (when given) the upload recorded as
    /// complete; an upload not stored yet (a creation that carried the whole file) is inserted.
    async fn commit_media(
        &self,
        media: &Media,
        upload: Option<&Upload>,
        events: &[NewEvent],
    ) -> Result<CommitOutcome>;
    async fn media(&self, user: UserId, id: MediaId) -> Result<Option<Media>>;
    /// Whether an upload or an item already carries this user's media id: one read for the
    /// commit of a small upload, which almost always finds neither.
    async fn media_id_in_use(&self, user: UserId, media: MediaId) -> Result<bool> {
        Ok(self.upload_by_media(user, media).await?.is_some()
            || self.media(user, media).await?.is_some())
    }
    /// Every user's media committed at or after `since`, oldest first: the start-up check for
    /// originals that had not reached the disk when the machine went down.
    async fn media_committed_since(&self, since: DateTime<Utc>, limit: u32) -> Result<Vec<Media>>;
    async fn list_media(&self, user: UserId, query: &MediaQuery) -> Result<Vec<Media>>;
    /// One transaction: the processing outcome and the events it triggers.
    async fn update_media(
        &self,
        user: UserId,
        id: MediaId,
        update: &ProcessingUpdate,
        events: &[NewEvent],
    ) -> Result<Option<Media>>;
    /// Removes the row (and its upload record) and writes the events, in one transaction.
    async fn delete_media(
        &self,
        user: UserId,
        id: MediaId,
        events: &[NewEvent],
    ) -> Result<Option<Media>>;
}

/// The `Conflict` of a compare-and-set on device settings that lost a race.
pub fn settings_moved(expected: u64, now: u64) -> String {
    format!("the device settings changed meanwhile (version {now}, not {expected})")
}
