//! Notifications: per-user preferences, webhooks and Web Push subscriptions, the per-device
//! cooldown clock, and the per-event record that makes a retried delivery resume where it
//! stopped. Scoped by user; a device's cooldown goes with the device and an event's record
//! with the event.

use crate::error::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_core::ids::DoorbellEventId;
use sightline_core::{DeviceId, UserId};
use std::time::Duration;
use uuid::Uuid;

/// When pushes stay silent, in the user's local time: an IANA time zone (which follows daylight
/// saving time), else a fixed offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub enabled: bool,
    /// Minutes after local midnight, 0..1440; `end` before `start` spans midnight.
    pub start_minute: u16,
    pub end_minute: u16,
    pub utc_offset_minutes: i16,
    /// Wins over `utc_offset_minutes` when set.
    #[serde(default)]
    pub time_zone: Option<chrono_tz::Tz>,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            enabled: false,
            start_minute: 22 * 60,
            end_minute: 7 * 60,
            utc_offset_minutes: 0,
            time_zone: None,
        }
    }
}

/// Which event types may notify at all; an absent one is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyTypes {
    pub motion: bool,
    pub doorbell_press: bool,
    pub person: bool,
    pub package: bool,
    pub vehicle: bool,
    pub animal: bool,
}

impl Default for NotifyTypes {
    fn default() -> Self {
        Self {
            motion: true,
            doorbell_press: true,
            person: true,
            package: true,
            vehicle: true,
            animal: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPreferences {
    pub quiet_hours: QuietHours,
    pub notify_types: NotifyTypes,
    /// A visitor ringing still notifies during quiet hours.
    pub press_during_quiet_hours: bool,
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        Self {
            quiet_hours: QuietHours::default(),
            notify_types: NotifyTypes::default(),
            press_during_quiet_hours: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub user_id: UserId,
    pub url: String,
    /// HMAC key of the `X-Sightline-Signature` header.
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// A browser's Web Push subscription (RFC 8030 endpoint, RFC 8291 keys as base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub id: Uuid,
    pub user_id: UserId,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub created_at: DateTime<Utc>,
}

/// Why an event did not notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressReason {
    /// The user turned this event type off.
    TypeOff,
    /// The device's AI detection for this class is off.
    ClassOff,
    QuietHours,
    Cooldown,
    /// Too long ago for an alert to help (pushed after an outage); the feed still has it.
    Stale,
}

impl SuppressReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TypeOff => "type_off",
            Self::ClassOff => "class_off",
            Self::QuietHours => "quiet_hours",
            Self::Cooldown => "cooldown",
            Self::Stale => "stale",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::TypeOff,
            Self::ClassOff,
            Self::QuietHours,
            Self::Cooldown,
            Self::Stale,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Notify,
    Suppressed(SuppressReason),
}

/// One event asking for the device's cooldown slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CooldownClaim {
    pub user: UserId,
    pub event: DoorbellEventId,
    pub device: DeviceId,
    /// When the event was accepted (the server's clock, so device clock skew cannot game it).
    pub at: DateTime<Utc>,
    pub cooldown: Duration,
}

/// Most webhooks one user may register.
pub const MAX_WEBHOOKS: usize = 10;
/// Most push subscriptions one user may hold (one per browser profile).
pub const MAX_PUSH_SUBSCRIPTIONS: usize = 20;

#[async_trait]
pub trait NotificationStore: Send + Sync + 'static {
    /// The defaults until the user sets any.
    async fn preferences(&self, user: UserId) -> Result<NotificationPreferences>;
    async fn set_preferences(&self, user: UserId, prefs: &NotificationPreferences) -> Result<()>;

    /// `Conflict` when the user has [`MAX_WEBHOOKS`] already.
    async fn add_webhook(&self, hook: &Webhook) -> Result<()>;
    /// Oldest first.
    async fn webhooks(&self, user: UserId) -> Result<Vec<Webhook>>;
    /// Whether there was one.
    async fn delete_webhook(&self, user: UserId, id: Uuid) -> Result<bool>;

    /// Keyed by endpoint per user: subscribing again replaces the keys and keeps the id, which
    /// is returned. `Conflict` past [`MAX_PUSH_SUBSCRIPTIONS`].
    async fn add_push_subscription(&self, sub: &PushSubscription) -> Result<PushSubscription>;
    async fn push_subscriptions(&self, user: UserId) -> Result<Vec<PushSubscription>>;
    async fn delete_push_subscription(&self, user: UserId, id: Uuid) -> Result<bool>;

    /// One transaction: an event already decided gets its first decision back (so a retry
    /// does not lose to its own cooldown); otherwise the device's slot is taken when no
    /// notified event is within `cooldown` of this one, and the decision is recorded.
    async fn claim_cooldown(&self, claim: &CooldownClaim) -> Result<Decision>;
    /// When the device last notified under cooldown.
    async fn last_notified(&self, device: DeviceId) -> Result<Option<DateTime<Utc>>>;

    /// Targets (`webhook:<id>`, `push:<id>`) that already have this event, so a retry after a
    /// partial failure sends only to the rest.
    async fn delivered(&self, user: UserId, event: DoorbellEventId) -> Result<Vec<String>>;
    async fn record_delivered(
        &self,
        user: UserId,
        event: DoorbellEventId,
        targets: &[String],
    ) -> Result<()>;
}

/// The stored form of the preferences: versioned like every payload.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredPreferences {
    pub version: u32,
    #[serde(flatten)]
    pub prefs: NotificationPreferences,
}

/// The slot is free when the last notified event is at least `cooldown` away, either side
/// (events of one device may be handled out of order).
pub(crate) fn slot_free(
    last: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    cooldown: Duration,
) -> bool {
    let cooldown = chrono::Duration::from_std(cooldown).unwrap_or(chrono::Duration::MAX);
    last.is_none_or(|last| (at - last).abs() >= cooldown)
}
