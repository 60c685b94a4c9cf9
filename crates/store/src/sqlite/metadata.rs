use super::bus::insert_events;
use super::group_commit::Write;
use super::{SqliteStore, millis, rows};
use crate::error::{Result, StoreError};
use crate::metadata::MetadataStore;
use crate::model::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::event::NewEvent;
use sightline_core::{DeviceId, MediaId, UploadId, UserId};

pub(super) const MEDIA_COLUMNS: &str = "user_id, id, kind, status, failure_reason, filename, device_id, captured_at, \
     captured_at_from_client, lat, lon, size_bytes, raw_key, facts, thumbnail_key, preview_key, rendition_key, created_at, updated_at";

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl MetadataStore for SqliteStore {
    async fn create_user(&self, user: &User) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)")
            .bind(user.id.to_string())
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(millis(user.created_at))
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("e-mail already registered".into())
                } else {
                    e.into()
                }
            })?;
        Ok(())
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn insert_refresh_token(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user.to_string())
        .bind(millis(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_refresh_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>> {
        let _turn = self.write_turn().await;
        let row: Option<(String, i64)> = sqlx::query_as(
            "DELETE FROM refresh_tokens WHERE token_hash = ? RETURNING user_id, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((user, expires)) if expires > millis(now) => {
                Ok(Some(rows::parse(&user, "user id")?))
            }
            _ => Ok(None),
        }
    }

    async fn create_device(&self, device: &Device, token_hash: &str) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO devices (id, user_id, device_type, name, firmware_version, battery_level, \
             connectivity, last_sync_at, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(device.id.to_string())
        .bind(device.user_id.to_string())
        .bind(device.device_type.as_str())
        .bind(&device.name)
        .bind(&device.firmware_version)
        .bind(device.battery_level.map(i64::from))
        .bind(device.connectivity.map(|c| c.as_str()))
        .bind(device.last_sync_at.map(millis))
        .bind(token_hash)
        .bind(millis(device.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn device(&self, user: UserId, id: DeviceId) -> Result<Option<Device>> {
        let row = sqlx::query("SELECT * FROM devices WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::device).transpose()
    }

    async fn devices(&self, user: UserId) -> Result<Vec<Device>> {
        sqlx::query("SELECT * FROM devices WHERE user_id = ? ORDER BY created_at, id")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::device)
            .collect()
    }

    async fn report_device(
        &self,
        user: UserId,
        id: DeviceId,
        report: &DeviceReport,
    ) -> Result<Option<Device>> {
        let _turn = self.write_turn().await;
        let row = sqlx::query(
            "UPDATE devices SET firmware_version = COALESCE(?, firmware_version), \
             battery_level = COALESCE(?, battery_level), connectivity = COALESCE(?, connectivity), \
             last_sync_at = COALESCE(?, last_sync_at), last_seen_at = COALESCE(?, last_seen_at), \
             telemetry = COALESCE(?, telemetry) WHERE user_id = ? AND id = ? RETURNING *",
        )
        .bind(&report.firmware_version)
        .bind(report.battery_level.map(i64::from))
        .bind(report.connectivity.map(|c| c.as_str()))
        .bind(report.last_sync_at.map(millis))
        .bind(report.seen_at.map(millis))
        .bind(report.telemetry.as_ref().map(serde_json::Value::to_string))
        .bind(user.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::device).transpose()
    }

    async fn set_device_settings(
        &self,
        user: UserId,
        id: DeviceId,
        settings: &AgentSettings,
        expected_version: Option<u64>,
    ) -> Result<Option<Device>> {
        let _turn = self.write_turn().await;
        let json = serde_json::to_string(settings)
            .map_err(|e| StoreError::Corrupt(format!("device settings: {e}")))?;
        let expected = expected_version.map(|v| v as i64);
        let row = sqlx::query(
            "UPDATE devices SET settings = ?, settings_version = settings_version + 1 \
             WHERE user_id = ? AND id = ? AND (? IS NULL OR settings_version = ?) RETURNING *",
        )
        .bind(json)
        .bind(user.to_string())
        .bind(id.to_string())
        .bind(expected)
        .bind(expected)
        .fetch_optional(&self.pool)
        .await?;
        match (row, expected_version) {
            (Some(row), _) => rows::device(&row).map(Some),
            (None, None) => Ok(None),
            (None, Some(expected)) => match self.device(user, id).await? {
                Some(now) => Err(StoreError::Conflict(crate::metadata::settings_moved(
                    expected,
                    now.settings_version,
                ))),
                None => Ok(None),
            },
        }
    }

    async fn delete_device(&self, user: UserId, id: DeviceId) -> Result<bool> {
        let _turn = self.write_turn().await;
        let done = sqlx::query("DELETE FROM devices WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        let row = sqlx::query("SELECT * FROM devices WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::device).transpose()
    }

    async fn create_upload(&self, upload: &Upload) -> Result<Upload> {
        self.writer
            .submit(Write::CreateUpload(upload.clone()))
            .await?
            .into_upload()
    }

    async fn upload(&self, user: UserId, id: UploadId) -> Result<Option<Upload>> {
        let row = sqlx::query("SELECT * FROM uploads WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::upload).transpose()
    }

    async fn upload_by_media(&self, user: UserId, media: MediaId) -> Result<Option<Upload>> {
        let row = sqlx::query("SELECT * FROM uploads WHERE user_id = ? AND media_id = ?")
            .bind(user.to_string())
            .bind(media.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::upload).transpose()
    }

    async fn set_upload_offset(&self, id: UploadId, offset: u64) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE uploads SET \"offset\" = ? WHERE id = ?")
            .bind(offset as i64)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_upload(&self, user: UserId, id: UploadId) -> Result<bool> {
        let _turn = self.write_turn().await;
        let done =
            sqlx::query("DELETE FROM uploads WHERE user_id = ? AND id = ? AND completed = 0")
                .bind(user.to_string())
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn expired_uploads(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Upload>> {
        sqlx::query("SELECT * FROM uploads WHERE completed = 0 AND expires_at < ? ORDER BY expires_at LIMIT ?")
            .bind(millis(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::upload)
            .collect()
    }

    async fn commit_media(
        &self,
        media: &Media,
        upload: Option<&Upload>,
        events: &[NewEvent],
    ) -> Result<CommitOutcome> {
        let write = Write::CommitMedia {
            media: Box::new(media.clone()),
            upload: upload.cloned(),
            events: events.to_vec(),
        };
        self.writer.submit(write).await?.into_commit()
    }

    async fn media(&self, user: UserId, id: MediaId) -> Result<Option<Media>> {
        let row = sqlx::query("SELECT * FROM media WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::media).transpose()
    }

    async fn media_id_in_use(&self, user: UserId, media: MediaId) -> Result<bool> {
        let (in_use,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM uploads WHERE user_id = ?1 AND media_id = ?2) \
                 OR EXISTS (SELECT 1 FROM media WHERE user_id = ?1 AND id = ?2)",
        )
        .bind(user.to_string())
        .bind(media.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(in_use)
    }

    async fn media_committed_since(&self, since: DateTime<Utc>, limit: u32) -> Result<Vec<Media>> {
        sqlx::query("SELECT * FROM media WHERE created_at >= ? ORDER BY created_at, id LIMIT ?")
            .bind(millis(since))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::media)
            .collect()
    }

    async fn list_media(&self, user: UserId, query: &MediaQuery) -> Result<Vec<Media>> {
        let (after_ms, after_id) = match query.after {
            Some(c) => (Some(c.captured_at_ms), Some(c.id.to_string())),
            None => (None, None),
        };
        sqlx::query(
            "SELECT * FROM media WHERE user_id = ?1 \
             AND (?2 IS NULL OR captured_at >= ?2) AND (?3 IS NULL OR captured_at < ?3) \
             AND (?4 IS NULL OR kind = ?4) AND (?5 IS NULL OR status = ?5) \
             AND (?6 IS NULL OR captured_at < ?6 OR (captured_at = ?6 AND id < ?7)) \
             ORDER BY captured_at DESC, id DESC LIMIT ?8",
        )
        .bind(user.to_string())
        .bind(query.from.map(millis))
        .bind(query.to.map(millis))
        .bind(query.kind.map(|k| k.as_str()))
        .bind(query.status.map(|s| s.as_str()))
        .bind(after_ms)
        .bind(after_id)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::media)
        .collect()
    }

    async fn update_media(
        &self,
        user: UserId,
        id: MediaId,
        update: &ProcessingUpdate,
        events: &[NewEvent],
    ) -> Result<Option<Media>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "UPDATE media SET status = ?, failure_reason = ?, facts = COALESCE(?, facts), \
             captured_at = COALESCE(?, captured_at), lat = COALESCE(?, lat), lon = COALESCE(?, lon), \
             thumbnail_key = COALESCE(?, thumbnail_key), preview_key = COALESCE(?, preview_key), \
             rendition_key = COALESCE(?, rendition_key), updated_at = ? \
             WHERE user_id = ? AND id = ? RETURNING *",
        )
        .bind(update.status.as_str())
        .bind(&update.failure_reason)
        .bind(update.facts.as_ref().map(to_json).transpose()?)
        .bind(update.captured_at.map(millis))
        .bind(update.location.map(|l| l.lat))
        .bind(update.location.map(|l| l.lon))
        .bind(&update.thumbnail_key)
        .bind(&update.preview_key)
        .bind(&update.rendition_key)
        .bind(millis(Utc::now()))
        .bind(user.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        rows::media(&row).map(Some)
    }

    async fn delete_media(
        &self,
        user: UserId,
        id: MediaId,
        events: &[NewEvent],
    ) -> Result<Option<Media>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("DELETE FROM media WHERE user_id = ? AND id = ? RETURNING *")
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM uploads WHERE user_id = ? AND media_id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        rows::media(&row).map(Some)
    }
}
