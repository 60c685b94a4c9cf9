//! Doorbell events over SQLite. The clip link is cleared by a trigger when the media row goes
//! (migration 0007); the device's events go with it by `ON DELETE CASCADE`.

use super::bus::insert_events;
use super::metadata::to_json;
use super::rows::{parse, time};
use super::{SqliteStore, millis};
use crate::doorbell_events::*;
use crate::error::{Result, StoreError};
use async_trait::async_trait;
use sightline_core::doorbell_event::{Classification, ClipUpdate, DoorbellEvent};
use sightline_core::event::{NewEvent, PAYLOAD_VERSION};
use sightline_core::ids::DoorbellEventId;
use sightline_core::{DeviceId, MediaId, UserId};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

pub(super) fn event(row: &SqliteRow) -> Result<DoorbellEvent> {
    let detections: StoredDetections =
        serde_json::from_str(&row.try_get::<String, _>("detections")?)
            .map_err(|e| StoreError::Corrupt(format!("event detections: {e}")))?;
    let media: Option<String> = row.try_get("media_id")?;
    Ok(DoorbellEvent {
        id: parse(&row.try_get::<String, _>("id")?, "event id")?,
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        device_id: parse(&row.try_get::<String, _>("device_id")?, "device id")?,
        event_type: parse(&row.try_get::<String, _>("event_type")?, "event type")?,
        occurred_at: time(row.try_get("occurred_at")?)?,
        duration_secs: row.try_get("duration_secs")?,
        pre_roll_secs: row.try_get("pre_roll_secs")?,
        media_id: media
            .map(|m| parse::<MediaId>(&m, "media id"))
            .transpose()?,
        confidence: row.try_get("confidence")?,
        detections: detections.items,
        battery_level: row
            .try_get::<Option<i64>, _>("battery_level")?
            .map(|b| b.clamp(0, 100) as u8),
        created_at: time(row.try_get("created_at")?)?,
    })
}

async fn stored(
    conn: &mut SqliteConnection,
    user: UserId,
    id: DoorbellEventId,
) -> Result<Option<DoorbellEvent>> {
    sqlx::query("SELECT * FROM doorbell_events WHERE user_id = ? AND id = ?")
        .bind(user.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(event)
        .transpose()
}

async fn exists(conn: &mut SqliteConnection, sql: &str, user: UserId, id: String) -> Result<bool> {
    Ok(sqlx::query(sql)
        .bind(user.to_string())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// `WHERE …` of a listing, shared by the page and its count.
fn filter(query: &mut QueryBuilder<'_, Sqlite>, user: UserId, q: &EventQuery) {
    query
        .push(" FROM doorbell_events WHERE user_id = ")
        .push_bind(user.to_string());
    if let Some(device) = q.device {
        query
            .push(" AND device_id = ")
            .push_bind(device.to_string());
    }
    if let Some(start) = q.start {
        query.push(" AND occurred_at >= ").push_bind(millis(start));
    }
    if let Some(end) = q.end {
        query.push(" AND occurred_at <= ").push_bind(millis(end));
    }
    if let Some(kind) = q.event_type {
        query.push(" AND event_type = ").push_bind(kind.as_str());
    }
}

#[async_trait]
impl DoorbellEventStore for SqliteStore {
    async fn insert_event(
        &self,
        new: &DoorbellEvent,
        events: &[NewEvent],
    ) -> Result<InsertOutcome> {
        // IMMEDIATE: the replay check and the insert see no other writer in between.
        let mut tx = self.write_tx().await?;
        if let Some(existing) = stored(&mut tx, new.user_id, new.id).await? {
            return Ok(InsertOutcome::Existing(existing));
        }
        let own_device = "SELECT 1 FROM devices WHERE user_id = ? AND id = ?";
        if !exists(&mut tx, own_device, new.user_id, new.device_id.to_string()).await? {
            return Err(StoreError::NotFound);
        }
        if let Some(media) = new.media_id {
            let own_media = "SELECT 1 FROM media WHERE user_id = ? AND id = ?";
            if !exists(&mut tx, own_media, new.user_id, media.to_string()).await? {
                return Ok(InsertOutcome::UnknownClip);
            }
        }
        let detections = to_json(&StoredDetections {
            version: PAYLOAD_VERSION,
            items: new.detections.clone(),
        })?;
        sqlx::query(
            "INSERT INTO doorbell_events (user_id, id, device_id, event_type, occurred_at, \
             duration_secs, pre_roll_secs, media_id, confidence, detections, battery_level, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.user_id.to_string())
        .bind(new.id.to_string())
        .bind(new.device_id.to_string())
        .bind(new.event_type.as_str())
        .bind(millis(new.occurred_at))
        .bind(new.duration_secs)
        .bind(new.pre_roll_secs)
        .bind(new.media_id.map(|m| m.to_string()))
        .bind(new.confidence)
        .bind(detections)
        .bind(new.battery_level.map(i64::from))
        .bind(millis(new.created_at))
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        let created = stored(&mut tx, new.user_id, new.id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("inserted event not readable".into()))?;
        tx.commit().await?;
        Ok(InsertOutcome::Created(created))
    }

    async fn event(&self, user: UserId, id: DoorbellEventId) -> Result<Option<DoorbellEvent>> {
        let mut conn = self.pool.acquire().await?;
        stored(&mut conn, user, id).await
    }

    async fn classify(
        &self,
        user: UserId,
        id: DoorbellEventId,
        verdict: &Classification,
        events: &[NewEvent],
    ) -> Result<Option<DoorbellEvent>> {
        let mut tx = self.write_tx().await?;
        let Some(current) = stored(&mut tx, user, id).await? else {
            return Ok(None);
        };
        let wanted = verdict.apply(&current);
        let detections = to_json(&StoredDetections {
            version: PAYLOAD_VERSION,
            items: wanted.detections.clone(),
        })?;
        sqlx::query(
            "UPDATE doorbell_events SET event_type = ?, confidence = ?, detections = ? \
             WHERE user_id = ? AND id = ?",
        )
        .bind(wanted.event_type.as_str())
        .bind(wanted.confidence)
        .bind(detections)
        .bind(user.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        let classified = stored(&mut tx, user, id).await?;
        tx.commit().await?;
        Ok(classified)
    }

    async fn update_clip(
        &self,
        user: UserId,
        device: DeviceId,
        id: DoorbellEventId,
        update: &ClipUpdate,
        events: &[NewEvent],
    ) -> Result<UpdateOutcome> {
        // IMMEDIATE: the comparison with the stored row and the write see no other writer.
        let mut tx = self.write_tx().await?;
        let Some(current) = stored(&mut tx, user, id)
            .await?
            .filter(|e| e.device_id == device)
        else {
            return Ok(UpdateOutcome::NotFound);
        };
        let own_media = "SELECT 1 FROM media WHERE user_id = ? AND id = ?";
        if !exists(&mut tx, own_media, user, update.media_id.to_string()).await? {
            return Ok(UpdateOutcome::UnknownClip);
        }
        let wanted = update.apply(&current);
        if wanted == current {
            return Ok(UpdateOutcome::Updated(current));
        }
        let detections = to_json(&StoredDetections {
            version: PAYLOAD_VERSION,
            items: wanted.detections.clone(),
        })?;
        sqlx::query(
            "UPDATE doorbell_events SET media_id = ?, duration_secs = ?, confidence = ?, \
             detections = ? WHERE user_id = ? AND id = ?",
        )
        .bind(update.media_id.to_string())
        .bind(wanted.duration_secs)
        .bind(wanted.confidence)
        .bind(detections)
        .bind(user.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        let updated = stored(&mut tx, user, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("updated event not readable".into()))?;
        tx.commit().await?;
        Ok(UpdateOutcome::Updated(updated))
    }

    async fn events(&self, user: UserId, q: &EventQuery) -> Result<EventPage> {
        // One read transaction, so the page and its total are the same snapshot.
        let mut tx = self.pool.begin().await?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*)");
        filter(&mut count, user, q);
        let (total,): (i64,) = count.build_query_as().fetch_one(&mut *tx).await?;
        let mut page = QueryBuilder::<Sqlite>::new("SELECT *");
        filter(&mut page, user, q);
        if let Some(after) = q.after {
            let at = millis(after.occurred_at);
            page.push(" AND (occurred_at < ")
                .push_bind(at)
                .push(" OR (occurred_at = ")
                .push_bind(at)
                .push(" AND id < ")
                .push_bind(after.id.to_string())
                .push("))");
        }
        let limit = i64::from(q.limit.clamp(1, MAX_PAGE));
        page.push(" ORDER BY occurred_at DESC, id DESC LIMIT ")
            .push_bind(limit + 1)
            .push(" OFFSET ")
            .push_bind(i64::from(q.offset));
        let rows = page.build().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let mut events: Vec<DoorbellEvent> = rows.iter().map(event).collect::<Result<_>>()?;
        let has_more = events.len() as i64 > limit;
        events.truncate(limit as usize);
        Ok(EventPage {
            events,
            has_more,
            total: total.max(0) as u64,
        })
    }
}
