//! Retention plans and clip storage tiers over SQLite (migration 0009).

use super::doorbell_events::event;
use super::rows::{parse, time};
use super::{SqliteStore, millis};
use crate::error::Result;
use crate::retention::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::doorbell_event::DoorbellEvent;
use sightline_core::ids::DoorbellEventId;
use sightline_core::{MediaId, UserId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn clip(row: &SqliteRow) -> Result<EventClip> {
    Ok(EventClip {
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        event_id: parse(&row.try_get::<String, _>("id")?, "event id")?,
        media_id: parse(&row.try_get::<String, _>("media_id")?, "media id")?,
        occurred_at: time(row.try_get("occurred_at")?)?,
    })
}

/// Events with a clip joined to where the clip is.
const CLIPS: &str = "SELECT e.user_id, e.id, e.media_id, e.occurred_at FROM doorbell_events e \
     LEFT JOIN clip_storage c ON c.user_id = e.user_id AND c.media_id = e.media_id \
     WHERE e.media_id IS NOT NULL";

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn plan(&self, user: UserId) -> Result<Plan> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT plan FROM retention_plans WHERE user_id = ?")
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(p,)| parse(&p, "plan"))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn set_plan(&self, user: UserId, plan: Plan) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO retention_plans (user_id, plan) VALUES (?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET plan = excluded.plan",
        )
        .bind(user.to_string())
        .bind(plan.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn expired_events(
        &self,
        plan: Plan,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DoorbellEvent>> {
        let rows = sqlx::query(
            "SELECT e.* FROM doorbell_events e \
             LEFT JOIN retention_plans p ON p.user_id = e.user_id \
             WHERE COALESCE(p.plan, 'standard') = ? AND e.occurred_at < ? \
             ORDER BY e.occurred_at LIMIT ?",
        )
        .bind(plan.as_str())
        .bind(millis(before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event).collect()
    }

    async fn delete_event(&self, user: UserId, id: DoorbellEventId) -> Result<bool> {
        let _turn = self.write_turn().await;
        let done = sqlx::query("DELETE FROM doorbell_events WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn clips_in_tier(
        &self,
        tier: StorageTier,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<EventClip>> {
        let rows = sqlx::query(&format!(
            "{CLIPS} AND COALESCE(c.tier, 'hot') = ? AND e.occurred_at < ? \
             ORDER BY e.occurred_at LIMIT ?"
        ))
        .bind(tier.as_str())
        .bind(millis(before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(clip).collect()
    }

    async fn set_clip_tier(&self, user: UserId, media: MediaId, tier: StorageTier) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO clip_storage (user_id, media_id, tier) VALUES (?, ?, ?) \
             ON CONFLICT (user_id, media_id) DO UPDATE SET tier = excluded.tier",
        )
        .bind(user.to_string())
        .bind(media.to_string())
        .bind(tier.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn clips_without_offsite_copy(&self, limit: u32) -> Result<Vec<EventClip>> {
        let rows = sqlx::query(&format!(
            "{CLIPS} AND c.offsite_copied_at IS NULL ORDER BY e.occurred_at LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(clip).collect()
    }

    async fn mark_offsite_copy(
        &self,
        user: UserId,
        media: MediaId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO clip_storage (user_id, media_id, tier, offsite_copied_at) \
             VALUES (?, ?, 'hot', ?) \
             ON CONFLICT (user_id, media_id) DO UPDATE SET offsite_copied_at = excluded.offsite_copied_at",
        )
        .bind(user.to_string())
        .bind(media.to_string())
        .bind(millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
