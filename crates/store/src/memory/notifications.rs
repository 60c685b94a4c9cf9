use super::MemoryStore;
use crate::error::{Result, StoreError};
use crate::notifications::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::ids::DoorbellEventId;
use sightline_core::{DeviceId, UserId};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// What SQLite's cascades do happens here on read: a device's cooldown is ignored once the
/// device is gone.
#[derive(Default)]
pub(super) struct NotificationState {
    preferences: HashMap<UserId, NotificationPreferences>,
    webhooks: Vec<Webhook>,
    subscriptions: Vec<PushSubscription>,
    cooldowns: HashMap<DeviceId, DateTime<Utc>>,
    decisions: HashMap<(UserId, DoorbellEventId), Decision>,
    delivered: HashMap<(UserId, DoorbellEventId), BTreeSet<String>>,
}

fn sorted<T: Clone>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> (i64, Uuid)) -> Vec<T> {
    let mut found: Vec<T> = items.collect();
    found.sort_by_key(key);
    found
}

#[async_trait]
impl NotificationStore for MemoryStore {
    async fn preferences(&self, user: UserId) -> Result<NotificationPreferences> {
        Ok(self
            .lock()?
            .notifications
            .preferences
            .get(&user)
            .copied()
            .unwrap_or_default())
    }

    async fn set_preferences(&self, user: UserId, prefs: &NotificationPreferences) -> Result<()> {
        self.lock()?.notifications.preferences.insert(user, *prefs);
        Ok(())
    }

    async fn add_webhook(&self, hook: &Webhook) -> Result<()> {
        let mut state = self.lock()?;
        let hooks = &mut state.notifications.webhooks;
        if hooks.iter().filter(|h| h.user_id == hook.user_id).count() >= MAX_WEBHOOKS {
            return Err(StoreError::Conflict(format!(
                "at most {MAX_WEBHOOKS} webhooks per user: delete one first"
            )));
        }
        hooks.push(hook.clone());
        Ok(())
    }

    async fn webhooks(&self, user: UserId) -> Result<Vec<Webhook>> {
        let state = self.lock()?;
        let own = state
            .notifications
            .webhooks
            .iter()
            .filter(|h| h.user_id == user)
            .cloned();
        Ok(sorted(own, |h| (h.created_at.timestamp_millis(), h.id)))
    }

    async fn delete_webhook(&self, user: UserId, id: Uuid) -> Result<bool> {
        let mut state = self.lock()?;
        let hooks = &mut state.notifications.webhooks;
        let before = hooks.len();
        hooks.retain(|h| !(h.user_id == user && h.id == id));
        Ok(hooks.len() < before)
    }

    async fn add_push_subscription(&self, sub: &PushSubscription) -> Result<PushSubscription> {
        let mut state = self.lock()?;
        let subs = &mut state.notifications.subscriptions;
        if let Some(old) = subs
            .iter_mut()
            .find(|s| s.user_id == sub.user_id && s.endpoint == sub.endpoint)
        {
            old.p256dh = sub.p256dh.clone();
            old.auth = sub.auth.clone();
            return Ok(old.clone());
        }
        if subs.iter().filter(|s| s.user_id == sub.user_id).count() >= MAX_PUSH_SUBSCRIPTIONS {
            return Err(StoreError::Conflict(format!(
                "at most {MAX_PUSH_SUBSCRIPTIONS} push subscriptions per user: delete one first"
            )));
        }
        subs.push(sub.clone());
        Ok(sub.clone())
    }

    async fn push_subscriptions(&self, user: UserId) -> Result<Vec<PushSubscription>> {
        let state = self.lock()?;
        let own = state
            .notifications
            .subscriptions
            .iter()
            .filter(|s| s.user_id == user)
            .cloned();
        Ok(sorted(own, |s| (s.created_at.timestamp_millis(), s.id)))
    }

    async fn delete_push_subscription(&self, user: UserId, id: Uuid) -> Result<bool> {
        let mut state = self.lock()?;
        let subs = &mut state.notifications.subscriptions;
        let before = subs.len();
        subs.retain(|s| !(s.user_id == user && s.id == id));
        Ok(subs.len() < before)
    }

    async fn claim_cooldown(&self, claim: &CooldownClaim) -> Result<Decision> {
        let mut guard = self.lock()?;
        let state = &mut *guard;
        let device_live = state.devices.contains_key(&claim.device);
        let n = &mut state.notifications;
        if let Some(done) = n.decisions.get(&(claim.user, claim.event)) {
            return Ok(*done);
        }
        if !device_live {
            n.cooldowns.remove(&claim.device);
        }
        let last = n.cooldowns.get(&claim.device).copied();
        let outcome = if slot_free(last, claim.at, claim.cooldown) {
            n.cooldowns
                .insert(claim.device, last.map_or(claim.at, |l| l.max(claim.at)));
            Decision::Notify
        } else {
            Decision::Suppressed(SuppressReason::Cooldown)
        };
        n.decisions.insert((claim.user, claim.event), outcome);
        Ok(outcome)
    }

    async fn last_notified(&self, device: DeviceId) -> Result<Option<DateTime<Utc>>> {
        let state = self.lock()?;
        if !state.devices.contains_key(&device) {
            return Ok(None);
        }
        Ok(state.notifications.cooldowns.get(&device).copied())
    }

    async fn delivered(&self, user: UserId, event: DoorbellEventId) -> Result<Vec<String>> {
        Ok(self
            .lock()?
            .notifications
            .delivered
            .get(&(user, event))
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default())
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
        self.lock()?
            .notifications
            .delivered
            .entry((user, event))
            .or_default()
            .extend(targets.iter().cloned());
        Ok(())
    }
}
