//! The transactional outbox as an event bus: `outbox` holds events, `deliveries` one row per
//! subscribed consumer with its lease, attempts and state.

use super::{SqliteStore, millis, rows};
use crate::bus::{DeadLetter, Delivery, EventBus};
use crate::error::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::event::{NewEvent, Topic};
use sqlx::{Row, SqliteConnection};
use std::time::Duration;

/// Writes events and their deliveries inside the caller's transaction.
/// Writes events inside the caller's transaction; the `outbox_fanout` trigger adds one
/// delivery per subscribed consumer.
pub(super) async fn insert_events(conn: &mut SqliteConnection, events: &[NewEvent]) -> Result<()> {
    let now = millis(Utc::now());
    for event in events {
        sqlx::query("INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?)")
            .bind(event.topic.as_str())
            .bind(event.payload.to_string())
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn lease_end(lease: Duration) -> i64 {
    millis(Utc::now()) + lease.as_millis() as i64
}

#[async_trait]
impl EventBus for SqliteStore {
    async fn subscribe(&self, consumer: &str, topics: &[Topic]) -> Result<()> {
        let _turn = self.write_turn().await;
        for topic in topics {
            sqlx::query(
                "INSERT INTO subscriptions (consumer, topic) VALUES (?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(consumer)
            .bind(topic.as_str())
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    async fn publish(&self, events: &[NewEvent]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim(&self, consumer: &str, max: u32, lease: Duration) -> Result<Vec<Delivery>> {
        let _turn = self.write_turn().await;
        let now = millis(Utc::now());
        // One statement: the event's topic and payload come back with the claim.
        let claimed = sqlx::query(
            "UPDATE deliveries SET lease_until = ?1, attempts = attempts + 1 \
             WHERE rowid IN (SELECT rowid FROM deliveries WHERE consumer = ?2 AND state = 'pending' \
                             AND available_at <= ?3 AND lease_until <= ?3 ORDER BY available_at, event_id LIMIT ?4) \
             RETURNING event_id, attempts, \
                 (SELECT topic FROM outbox WHERE id = event_id) AS topic, \
                 (SELECT payload FROM outbox WHERE id = event_id) AS payload",
        )
        .bind(lease_end(lease))
        .bind(consumer)
        .bind(now)
        .bind(i64::from(max))
        .fetch_all(&self.bookkeeping)
        .await?;
        let mut deliveries = Vec::with_capacity(claimed.len());
        for row in claimed {
            let event_id: i64 = row.try_get("event_id")?;
            let attempts: i64 = row.try_get("attempts")?;
            let (Some(topic), Some(payload)): (Option<String>, Option<String>) =
                (row.try_get("topic")?, row.try_get("payload")?)
            else {
                return Err(StoreError::Corrupt(format!(
                    "delivery of event {event_id} without its outbox row"
                )));
            };
            deliveries.push(Delivery {
                event_id,
                consumer: consumer.to_string(),
                topic: Topic::parse(&topic)
                    .ok_or_else(|| StoreError::Corrupt(format!("topic {topic:?}")))?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                attempts: attempts as u32,
            });
        }
        deliveries.sort_by_key(|d| d.event_id);
        Ok(deliveries)
    }

    async fn extend_lease(&self, delivery: &Delivery, lease: Duration) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE deliveries SET lease_until = ? WHERE event_id = ? AND consumer = ? AND state = 'pending'")
            .bind(lease_end(lease))
            .bind(delivery.event_id)
            .bind(&delivery.consumer)
            .execute(&self.bookkeeping)
            .await?;
        Ok(())
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE deliveries SET state = 'done', last_error = NULL WHERE event_id = ? AND consumer = ?")
            .bind(delivery.event_id)
            .bind(&delivery.consumer)
            .execute(&self.bookkeeping)
            .await?;
        Ok(())
    }

    async fn retry(&self, delivery: &Delivery, error: &str, retry_at: DateTime<Utc>) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE deliveries SET available_at = ?, lease_until = 0, last_error = ? \
             WHERE event_id = ? AND consumer = ? AND state = 'pending'",
        )
        .bind(millis(retry_at))
        .bind(error)
        .bind(delivery.event_id)
        .bind(&delivery.consumer)
        .execute(&self.bookkeeping)
        .await?;
        Ok(())
    }

    async fn dead_letter(&self, delivery: &Delivery, error: &str) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE deliveries SET state = 'dead', last_error = ? WHERE event_id = ? AND consumer = ?")
            .bind(error)
            .bind(delivery.event_id)
            .bind(&delivery.consumer)
            .execute(&self.bookkeeping)
            .await?;
        Ok(())
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>> {
        let found = sqlx::query(
            "SELECT d.event_id, d.consumer, d.attempts, d.last_error, o.topic, o.payload, o.created_at \
             FROM deliveries d JOIN outbox o ON o.id = d.event_id WHERE d.state = 'dead' \
             ORDER BY d.event_id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found
            .iter()
            .map(|row| {
                Ok(DeadLetter {
                    event_id: row.try_get("event_id")?,
                    consumer: row.try_get("consumer")?,
                    topic: row.try_get("topic")?,
                    payload: serde_json::from_str(&row.try_get::<String, _>("payload")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    attempts: row.try_get::<i64, _>("attempts")? as u32,
                    last_error: row.try_get("last_error")?,
                    created_at: rows::time(row.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    async fn backlog(&self) -> Result<u64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")
                .fetch_one(&self.pool)
                .await?;
        Ok(n as u64)
    }

    async fn pending(&self, consumer: &str) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM deliveries WHERE consumer = ? AND state = 'pending'",
        )
        .bind(consumer)
        .fetch_one(&self.pool)
        .await?;
        Ok(n as u64)
    }
}
