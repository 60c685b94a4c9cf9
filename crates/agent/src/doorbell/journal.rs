//! The doorbell's event journal in the agent's database: every event from its trigger until the
//! server holds it with both clips. The row is written at the trigger, before any clip, so a
//! crash leaves an event that start-up finishes or abandons, never one that is forgotten.

use crate::store::{AgentStore, Result, StoreError, from_millis};
use chrono::{DateTime, Utc};
use sightline_core::MediaId;
use sightline_core::doorbell_event::{Detection, EventType};
use sightline_core::ids::DoorbellEventId;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    Recording,
    AlertCut,
    ClipCut,
    Abandoned,
}

impl EventState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::AlertCut => "alert_cut",
            Self::ClipCut => "clip_cut",
            Self::Abandoned => "abandoned",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "recording" => Self::Recording,
            "alert_cut" => Self::AlertCut,
            "clip_cut" => Self::ClipCut,
            "abandoned" => Self::Abandoned,
            other => return Err(StoreError::Corrupt(format!("event state {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRow {
    pub event_id: DoorbellEventId,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub alert_media_id: MediaId,
    pub clip_media_id: Option<MediaId>,
    pub pre_roll_ms: u64,
    pub alert_duration_ms: u64,
    pub clip_duration_ms: u64,
    pub confidence: Option<f64>,
    pub detections: Vec<Detection>,
    pub battery_level: Option<u8>,
    pub state: EventState,
    pub alert_posted: bool,
    pub clip_posted: bool,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// What is known at the trigger.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_id: DoorbellEventId,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub alert_media_id: MediaId,
    pub clip_media_id: MediaId,
    pub confidence: Option<f64>,
    pub detections: Vec<Detection>,
    pub battery_level: Option<u8>,
}

#[derive(Clone)]
pub struct Journal {
    store: AgentStore,
}

fn json(detections: &[Detection]) -> Result<String> {
    serde_json::to_string(detections).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn ms(duration_ms: u64) -> i64 {
    i64::try_from(duration_ms).unwrap_or(i64::MAX)
}

impl Journal {
    pub fn new(store: AgentStore) -> Self {
        Self { store }
    }

    pub async fn open(&self, new: &NewEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO doorbell_events (event_id, event_type, occurred_at, alert_media_id, \
             clip_media_id, confidence, detections, battery_level, state) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'recording')",
        )
        .bind(new.event_id.to_string())
        .bind(new.event_type.as_str())
        .bind(new.occurred_at.timestamp_millis())
        .bind(new.alert_media_id.to_string())
        .bind(new.clip_media_id.to_string())
        .bind(new.confidence)
        .bind(json(&new.detections)?)
        .bind(new.battery_level.map(i64::from))
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// The alert clip is a capture: the event may be posted once it is uploaded.
    pub async fn alert_cut(
        &self,
        id: DoorbellEventId,
        pre_roll_ms: u64,
        duration_ms: u64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE doorbell_events SET state = 'alert_cut', pre_roll_ms = ?, \
             alert_duration_ms = ?, clip_duration_ms = ? \
             WHERE event_id = ? AND state = 'recording'",
        )
        .bind(ms(pre_roll_ms))
        .bind(ms(duration_ms))
        .bind(ms(duration_ms))
        .bind(id.to_string())
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// The full clip is a capture (or, with `clip` `None`, could not be made: the event keeps
    /// its alert clip).
    pub async fn clip_cut(
        &self,
        id: DoorbellEventId,
        clip: Option<(MediaId, u64)>,
        confidence: Option<f64>,
        detections: &[Detection],
    ) -> Result<()> {
        sqlx::query(
            "UPDATE doorbell_events SET state = 'clip_cut', clip_media_id = ?, \
             clip_duration_ms = COALESCE(?, clip_duration_ms), \
             confidence = COALESCE(?, confidence), detections = ? \
             WHERE event_id = ? AND state = 'alert_cut'",
        )
        .bind(clip.map(|(m, _)| m.to_string()))
        .bind(clip.map(|(_, d)| ms(d)))
        .bind(confidence)
        .bind(json(detections)?)
        .bind(id.to_string())
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    pub async fn abandon(&self, id: DoorbellEventId, reason: &str) -> Result<()> {
        sqlx::query(
            "UPDATE doorbell_events SET state = 'abandoned', last_error = ? WHERE event_id = ?",
        )
        .bind(reason)
        .bind(id.to_string())
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    pub async fn get(&self, id: DoorbellEventId) -> Result<Option<EventRow>> {
        let row = sqlx::query("SELECT * FROM doorbell_events WHERE event_id = ?")
            .bind(id.to_string())
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(event).transpose()
    }

    pub async fn in_state(&self, state: EventState) -> Result<Vec<EventRow>> {
        let rows =
            sqlx::query("SELECT * FROM doorbell_events WHERE state = ? ORDER BY occurred_at")
                .bind(state.as_str())
                .fetch_all(self.store.pool())
                .await?;
        rows.iter().map(event).collect()
    }

    /// Events with something to tell the server whose retry time has come, oldest first.
    pub async fn unposted(&self, now: DateTime<Utc>) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT * FROM doorbell_events \
             WHERE ((state IN ('alert_cut', 'clip_cut') AND alert_posted = 0) \
                 OR (state = 'clip_cut' AND clip_posted = 0 AND clip_media_id IS NOT NULL)) \
               AND (next_attempt_at IS NULL OR next_attempt_at <= ?) \
             ORDER BY occurred_at LIMIT 32",
        )
        .bind(now.timestamp_millis())
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(event).collect()
    }

    /// When the earliest waiting retry is due.
    pub async fn next_retry_at(&self) -> Result<Option<DateTime<Utc>>> {
        let (at,): (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(next_attempt_at) FROM doorbell_events \
             WHERE state IN ('alert_cut', 'clip_cut') AND (alert_posted = 0 OR clip_posted = 0)",
        )
        .fetch_one(self.store.pool())
        .await?;
        Ok(at.and_then(from_millis))
    }

    pub async fn mark_alert_posted(&self, id: DoorbellEventId) -> Result<()> {
        self.mark_posted(id, "alert_posted").await
    }

    pub async fn mark_clip_posted(&self, id: DoorbellEventId) -> Result<()> {
        self.mark_posted(id, "clip_posted").await
    }

    async fn mark_posted(&self, id: DoorbellEventId, column: &str) -> Result<()> {
        sqlx::query(&format!(
            "UPDATE doorbell_events SET {column} = 1, attempts = 0, next_attempt_at = NULL, \
             last_error = NULL WHERE event_id = ?"
        ))
        .bind(id.to_string())
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    pub async fn mark_post_failed(
        &self,
        id: DoorbellEventId,
        attempts: u32,
        retry_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE doorbell_events SET attempts = ?, next_attempt_at = ?, last_error = ? \
             WHERE event_id = ?",
        )
        .bind(i64::from(attempts))
        .bind(retry_at.timestamp_millis())
        .bind(reason.chars().take(500).collect::<String>())
        .bind(id.to_string())
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// A restart is a fresh chance, as for uploads.
    pub async fn retry_all_now(&self) -> Result<()> {
        sqlx::query("UPDATE doorbell_events SET next_attempt_at = NULL")
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// The newest events, for the control API.
    pub async fn recent(&self, limit: u32) -> Result<Vec<EventRow>> {
        let rows = sqlx::query("SELECT * FROM doorbell_events ORDER BY occurred_at DESC LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(event).collect()
    }
}

fn parse_id<T: FromStr>(r: &SqliteRow, column: &str) -> Result<T> {
    let text: String = r.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} {text:?}")))
}

fn event(r: &SqliteRow) -> Result<EventRow> {
    let kind: String = r.try_get("event_type")?;
    let detections: String = r.try_get("detections")?;
    let clip: Option<String> = r.try_get("clip_media_id")?;
    let count = |column: &str| -> Result<u64> { Ok(r.try_get::<i64, _>(column)?.max(0) as u64) };
    Ok(EventRow {
        event_id: parse_id(r, "event_id")?,
        event_type: kind
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("event type {kind:?}")))?,
        occurred_at: from_millis(r.try_get("occurred_at")?)
            .ok_or_else(|| StoreError::Corrupt("event time".into()))?,
        alert_media_id: parse_id(r, "alert_media_id")?,
        clip_media_id: clip
            .map(|c| {
                MediaId::from_str(&c).map_err(|_| StoreError::Corrupt(format!("clip id {c:?}")))
            })
            .transpose()?,
        pre_roll_ms: count("pre_roll_ms")?,
        alert_duration_ms: count("alert_duration_ms")?,
        clip_duration_ms: count("clip_duration_ms")?,
        confidence: r.try_get("confidence")?,
        detections: serde_json::from_str(&detections)
            .map_err(|e| StoreError::Corrupt(format!("detections: {e}")))?,
        battery_level: r
            .try_get::<Option<i64>, _>("battery_level")?
            .and_then(|b| u8::try_from(b).ok()),
        state: EventState::parse(&r.try_get::<String, _>("state")?)?,
        alert_posted: r.try_get::<i64, _>("alert_posted")? != 0,
        clip_posted: r.try_get::<i64, _>("clip_posted")? != 0,
        attempts: u32::try_from(count("attempts")?).unwrap_or(u32::MAX),
        last_error: r.try_get("last_error")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_event(at: DateTime<Utc>) -> NewEvent {
        NewEvent {
            event_id: DoorbellEventId::new_random(),
            event_type: EventType::Motion,
            occurred_at: at,
            alert_media_id: MediaId::new_random(),
            clip_media_id: MediaId::new_random(),
            confidence: Some(0.8),
            detections: vec![Detection {
                label: "motion".into(),
                confidence: 0.8,
                x: 0.1,
                y: 0.2,
                w: 0.3,
                h: 0.4,
            }],
            battery_level: Some(77),
        }
    }

    #[tokio::test]
    async fn an_event_is_posted_after_its_alert_clip_and_updated_after_its_full_clip() {
        let dir = tempfile::tempdir().unwrap();
        let store = AgentStore::open(&dir.path().join("agent.db"))
            .await
            .unwrap();
        let journal = Journal::new(store);
        let now = Utc::now();
        let new = new_event(now);
        let id = new.event_id;
        journal.open(&new).await.unwrap();
        assert!(
            journal.unposted(now).await.unwrap().is_empty(),
            "no clip yet"
        );
        journal.alert_cut(id, 3000, 4000).await.unwrap();
        let due = journal.unposted(now).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].pre_roll_ms, 3000);
        assert_eq!(due[0].detections, new.detections);
        assert_eq!(due[0].battery_level, Some(77));
        journal
            .mark_post_failed(id, 1, now + chrono::Duration::seconds(5), "offline")
            .await
            .unwrap();
        assert!(
            journal.unposted(now).await.unwrap().is_empty(),
            "backing off"
        );
        assert_eq!(
            journal
                .next_retry_at()
                .await
                .unwrap()
                .map(|t| t.timestamp()),
            Some((now + chrono::Duration::seconds(5)).timestamp())
        );
        journal.retry_all_now().await.unwrap();
        journal.mark_alert_posted(id).await.unwrap();
        assert!(journal.unposted(now).await.unwrap().is_empty());
        journal
            .clip_cut(id, Some((new.clip_media_id, 25_000)), Some(0.9), &[])
            .await
            .unwrap();
        let due = journal.unposted(now).await.unwrap();
        assert_eq!(due[0].state, EventState::ClipCut);
        assert_eq!(due[0].clip_duration_ms, 25_000);
        assert_eq!(due[0].confidence, Some(0.9));
        journal.mark_clip_posted(id).await.unwrap();
        assert!(journal.unposted(now).await.unwrap().is_empty());
        assert_eq!(journal.recent(10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn an_event_without_a_full_clip_keeps_its_alert_clip() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(AgentStore::open(&dir.path().join("a.db")).await.unwrap());
        let new = new_event(Utc::now());
        journal.open(&new).await.unwrap();
        journal.alert_cut(new.event_id, 3000, 4000).await.unwrap();
        journal.mark_alert_posted(new.event_id).await.unwrap();
        journal
            .clip_cut(new.event_id, None, None, &new.detections)
            .await
            .unwrap();
        let row = journal.get(new.event_id).await.unwrap().unwrap();
        assert_eq!(row.clip_media_id, None);
        assert_eq!(row.clip_duration_ms, 4000);
        assert!(journal.unposted(Utc::now()).await.unwrap().is_empty());
    }
}
