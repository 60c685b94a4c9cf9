//! Notifications over SQLite (migration 0008). Limits and the cooldown slot are checked and
//! written under `BEGIN IMMEDIATE`, so two writers cannot both pass the same check.

use super::metadata::to_json;
use super::rows::{parse, time};
use super::{SqliteStore, millis};
use crate::error::{Result, StoreError};
use crate::notifications::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::event::PAYLOAD_VERSION;
use sightline_core::ids::DoorbellEventId;
use sightline_core::{DeviceId, UserId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

fn webhook(row: &SqliteRow) -> Result<Webhook> {
    Ok(Webhook {
        id: parse(&row.try_get::<String, _>("id")?, "webhook id")?,
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

fn subscription(row: &SqliteRow) -> Result<PushSubscription> {
    Ok(PushSubscription {
        id: parse(&row.try_get::<String, _>("id")?, "subscription id")?,
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        endpoint: row.try_get("endpoint")?,
        p256dh: row.try_get("p256dh")?,
        auth: row.try_get("auth")?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

fn decision(text: &str) -> Result<Decision> {
    if text == "notify" {
        return Ok(Decision::Notify);
    }
    SuppressReason::parse(text)
        .map(Decision::Suppressed)
        .ok_or_else(|| StoreError::Corrupt(format!("notification decision {text:?}")))
}

fn decision_text(d: Decision) -> &'static str {
    match d {
        Decision::Notify => "notify",
        Decision::Suppressed(reason) => reason.as_str(),
    }
}

async fn count(
    tx: &mut sqlx::SqliteConnection,
    sql: &str,
    user: UserId,
) -> Result<usize, StoreError> {
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await?;
    Ok(n.max(0) as usize)
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn preferences(&self, user: UserId) -> Result<NotificationPreferences> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT prefs FROM notification_preferences WHERE user_id = ?")
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?;
        match row {
            None => Ok(NotificationPreferences::default()),
            Some((text,)) => serde_json::from_str::<StoredPreferences>(&text)
                .map(|s| s.prefs)
                .map_err(|e| StoreError::Corrupt(format!("notification preferences: {e}"))),
        }
    }

    async fn set_preferences(&self, user: UserId, prefs: &NotificationPreferences) -> Result<()> {
        let _turn = self.write_turn().await;
        let stored = to_json(&StoredPreferences {
            version: PAYLOAD_VERSION,
            prefs: *prefs,
        })?;
        sqlx::query(
            "INSERT INTO notification_preferences (user_id, prefs, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at",
        )
        .bind(user.to_string())
        .bind(stored)
        .bind(millis(Utc::now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn add_webhook(&self, hook: &Webhook) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let held = count(
            &mut tx,
            "SELECT COUNT(*) FROM notification_webhooks WHERE user_id = ?",
            hook.user_id,
        )
        .await?;
        if held >= MAX_WEBHOOKS {
            return Err(StoreError::Conflict(format!(
                "at most {MAX_WEBHOOKS} webhooks per user: delete one first"
            )));
        }
        sqlx::query(
            "INSERT INTO notification_webhooks (id, user_id, url, secret, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(hook.id.to_string())
        .bind(hook.user_id.to_string())
        .bind(&hook.url)
        .bind(&hook.secret)
        .bind(millis(hook.created_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn webhooks(&self, user: UserId) -> Result<Vec<Webhook>> {
        sqlx::query("SELECT * FROM notification_webhooks WHERE user_id = ? ORDER BY created_at, id")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(webhook)
            .collect()
    }

    async fn delete_webhook(&self, user: UserId, id: Uuid) -> Result<bool> {
        let _turn = self.write_turn().await;
        let done = sqlx::query("DELETE FROM notification_webhooks WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn add_push_subscription(&self, sub: &PushSubscription) -> Result<PushSubscription> {
        let mut tx = self.write_tx().await?;
        let existing = sqlx::query(
            "SELECT * FROM notification_push_subscriptions WHERE user_id = ? AND endpoint = ?",
        )
        .bind(sub.user_id.to_string())
        .bind(&sub.endpoint)
        .fetch_optional(&mut *tx)
        .await?;
        let kept = match existing.as_ref().map(subscription).transpose()? {
            Some(old) => {
                sqlx::query(
                    "UPDATE notification_push_subscriptions SET p256dh = ?, auth = ? WHERE id = ?",
                )
                .bind(&sub.p256dh)
                .bind(&sub.auth)
                .bind(old.id.to_string())
                .execute(&mut *tx)
                .await?;
                PushSubscription {
                    p256dh: sub.p256dh.clone(),
                    auth: sub.auth.clone(),
                    ..old
                }
            }
            None => {
                let held = count(
                    &mut tx,
                    "SELECT COUNT(*) FROM notification_push_subscriptions WHERE user_id = ?",
                    sub.user_id,
                )
                .await?;
                if held >= MAX_PUSH_SUBSCRIPTIONS {
                    return Err(StoreError::Conflict(format!(
                        "at most {MAX_PUSH_SUBSCRIPTIONS} push subscriptions per user: delete one first"
                    )));
                }
                sqlx::query(
                    "INSERT INTO notification_push_subscriptions \
                     (id, user_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(sub.id.to_string())
                .bind(sub.user_id.to_string())
                .bind(&sub.endpoint)
                .bind(&sub.p256dh)
                .bind(&sub.auth)
                .bind(millis(sub.created_at))
                .execute(&mut *tx)
                .await?;
                sub.clone()
            }
        };
        tx.commit().await?;
        Ok(kept)
    }

    async fn push_subscriptions(&self, user: UserId) -> Result<Vec<PushSubscription>> {
        sqlx::query(
            "SELECT * FROM notification_push_subscriptions WHERE user_id = ? \
             ORDER BY created_at, id",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(subscription)
        .collect()
    }

    async fn delete_push_subscription(&self, user: UserId, id: Uuid) -> Result<bool> {
        let _turn = self.write_turn().await;
        let done =
            sqlx::query("DELETE FROM notification_push_subscriptions WHERE user_id = ? AND id = ?")
                .bind(user.to_string())
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn claim_cooldown(&self, claim: &CooldownClaim) -> Result<Decision> {
        let mut tx = self.write_tx().await?;
        let user = claim.user.to_string();
        let event = claim.event.to_string();
        let decided: Option<(String,)> = sqlx::query_as(
            "SELECT decision FROM notification_decisions WHERE user_id = ? AND event_id = ?",
        )
        .bind(&user)
        .bind(&event)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((text,)) = decided {
            return decision(&text);
        }
        let last: Option<(i64,)> = sqlx::query_as(
            "SELECT last_notified_at FROM notification_cooldowns WHERE device_id = ?",
        )
        .bind(claim.device.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let last = last.map(|(ms,)| time(ms)).transpose()?;
        let outcome = if slot_free(last, claim.at, claim.cooldown) {
            let newest = last.map_or(claim.at, |l| l.max(claim.at));
            sqlx::query(
                "INSERT INTO notification_cooldowns (device_id, last_notified_at) VALUES (?, ?) \
                 ON CONFLICT (device_id) DO UPDATE SET last_notified_at = excluded.last_notified_at",
            )
            .bind(claim.device.to_string())
            .bind(millis(newest))
            .execute(&mut *tx)
            .await?;
            Decision::Notify
        } else {
            Decision::Suppressed(SuppressReason::Cooldown)
        };
        sqlx::query(
            "INSERT INTO notification_decisions (user_id, event_id, decision, decided_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(&user)
        .bind(&event)
        .bind(decision_text(outcome))
        .bind(millis(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn last_notified(&self, device: DeviceId) -> Result<Option<DateTime<Utc>>> {
        let last: Option<(i64,)> = sqlx::query_as(
            "SELECT last_notified_at FROM notification_cooldowns WHERE device_id = ?",
        )
        .bind(device.to_string())
        .fetch_optional(&self.pool)
        .await?;
        last.map(|(ms,)| time(ms)).transpose()
    }

    async fn delivered(&self, user: UserId, event: DoorbellEventId) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT target FROM notification_deliveries WHERE user_id = ? AND event_id = ? \
             ORDER BY target",
        )
        .bind(user.to_string())
        .bind(event.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("target").map_err(StoreError::from))
            .collect()
    }

    async fn record_delivered(
        &self,
        user: UserId,
        event: DoorbellEventId,
        targets: &[String],
    ) -> Result<()> {
        if targets.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        let now = millis(Utc::now());
        for target in targets {
            sqlx::query(
                "INSERT INTO notification_deliveries (user_id, event_id, target, delivered_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(user.to_string())
            .bind(event.to_string())
            .bind(target)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
