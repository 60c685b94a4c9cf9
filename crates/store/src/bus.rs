//! The event bus: at-least-once delivery to named consumers, with leases, retries and a
//! dead-letter list. Embedded, it is the outbox table of the metadata database, so events are
//! written in the same transaction as the data they describe.

use crate::error::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sightline_core::event::{NewEvent, Topic};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub event_id: i64,
    pub consumer: String,
    pub topic: Topic,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    pub event_id: i64,
    pub consumer: String,
    pub topic: String,
    pub payload: serde_json::Value,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Idempotent: a consumer receives every event published on its topics from now on.
    async fn subscribe(&self, consumer: &str, topics: &[Topic]) -> Result<()>;
    async fn publish(&self, events: &[NewEvent]) -> Result<()>;
    /// Leases up to `max` due deliveries; an unacknowledged lease expires and is redelivered.
    async fn claim(&self, consumer: &str, max: u32, lease: Duration) -> Result<Vec<Delivery>>;
    async fn extend_lease(&self, delivery: &Delivery, lease: Duration) -> Result<()>;
    async fn ack(&self, delivery: &Delivery) -> Result<()>;
    /// Makes the delivery due again at `retry_at`.
    async fn retry(&self, delivery: &Delivery, error: &str, retry_at: DateTime<Utc>) -> Result<()>;
    /// Parks the delivery; it is listed by `dead_letters` and never redelivered.
    async fn dead_letter(&self, delivery: &Delivery, error: &str) -> Result<()>;
    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>>;
    /// Deliveries not yet acknowledged or dead-lettered, for every consumer.
    async fn backlog(&self) -> Result<u64>;
    /// The same for one consumer: lets a reader wait until a projection has caught up.
    async fn pending(&self, consumer: &str) -> Result<u64>;
}
