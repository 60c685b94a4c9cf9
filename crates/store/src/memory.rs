//! The write model and event bus in memory, for fast unit tests. Same contract as SQLite; the
//! shared suite in [`crate::testsuite`] holds both to it.

mod doorbell_events;
mod library;
mod notifications;
mod retention;
mod sync;

use crate::bus::{DeadLetter, Delivery, EventBus};
use crate::error::{Result, StoreError};
use crate::metadata::{MetadataStore, settings_moved};
use crate::model::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::event::{NewEvent, Topic};
use sightline_core::{DeviceId, MediaId, UploadId, UserId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

#[derive(Default)]
struct State {
    users: HashMap<UserId, User>,
    refresh: HashMap<String, (UserId, DateTime<Utc>)>,
    devices: HashMap<DeviceId, (Device, String)>,
    uploads: HashMap<UploadId, Upload>,
    media: HashMap<(UserId, MediaId), Media>,
    events: BTreeMap<i64, (Topic, serde_json::Value, DateTime<Utc>)>,
    subscriptions: HashSet<(String, Topic)>,
    deliveries: BTreeMap<(i64, String), DeliveryState>,
    library: library::LibraryState,
    sync: sync::SyncState,
    doorbell: doorbell_events::DoorbellState,
    notifications: notifications::NotificationState,
    retention: retention::RetentionState,
}

struct DeliveryState {
    dead: bool,
    done: bool,
    attempts: u32,
    available_at: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    last_error: Option<String>,
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Io(std::io::Error::other("memory store lock poisoned")))
    }
}

impl State {
    fn insert_events(&mut self, events: &[NewEvent]) {
        let now = Utc::now();
        for event in events {
            let id = self.events.keys().next_back().copied().unwrap_or(0) + 1;
            self.events
                .insert(id, (event.topic, event.payload.clone(), now));
            let consumers: Vec<String> = self
                .subscriptions
                .iter()
                .filter(|(_, t)| *t == event.topic)
                .map(|(c, _)| c.clone())
                .collect();
            for consumer in consumers {
                self.deliveries.insert(
                    (id, consumer),
                    DeliveryState {
                        dead: false,
                        done: false,
                        attempts: 0,
                        available_at: now,
                        lease_until: DateTime::<Utc>::MIN_UTC,
                        last_error: None,
                    },
                );
            }
        }
    }

    fn delivery(&mut self, d: &Delivery) -> Option<&mut DeliveryState> {
        self.deliveries.get_mut(&(d.event_id, d.consumer.clone()))
    }
}

fn lease_end(lease: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl MetadataStore for MemoryStore {
    async fn create_user(&self, user: &User) -> Result<()> {
        let mut state = self.lock()?;
        if state.users.values().any(|u| u.email == user.email) {
            return Err(StoreError::Conflict("e-mail already registered".into()));
        }
        state.users.insert(user.id, user.clone());
        Ok(())
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self
            .lock()?
            .users
            .values()
            .find(|u| u.email == email)
            .cloned())
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.lock()?.users.get(&id).cloned())
    }

    async fn insert_refresh_token(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.lock()?
            .refresh
            .insert(token_hash.to_string(), (user, expires_at));
        Ok(())
    }

    async fn take_refresh_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>> {
        Ok(match self.lock()?.refresh.remove(token_hash) {
            Some((user, expires)) if expires > now => Some(user),
            _ => None,
        })
    }

    async fn create_device(&self, device: &Device, token_hash: &str) -> Result<()> {
        self.lock()?
            .devices
            .insert(device.id, (device.clone(), token_hash.to_string()));
        Ok(())
    }

    async fn device(&self, user: UserId, id: DeviceId) -> Result<Option<Device>> {
        Ok(self
            .lock()?
            .devices
            .get(&id)
            .map(|(d, _)| d)
            .filter(|d| d.user_id == user)
            .cloned())
    }

    async fn devices(&self, user: UserId) -> Result<Vec<Device>> {
        let mut found: Vec<Device> = self
            .lock()?
            .devices
            .values()
            .map(|(d, _)| d)
            .filter(|d| d.user_id == user)
            .cloned()
            .collect();
        found.sort_by_key(|d| (d.created_at, d.id));
        Ok(found)
    }

    async fn report_device(
        &self,
        user: UserId,
        id: DeviceId,
        report: &DeviceReport,
    ) -> Result<Option<Device>> {
        let mut state = self.lock()?;
        let Some((device, _)) = state
            .devices
            .get_mut(&id)
            .filter(|(d, _)| d.user_id == user)
        else {
            return Ok(None);
        };
        if let Some(v) = &report.firmware_version {
            device.firmware_version = Some(v.clone());
        }
        device.battery_level = report.battery_level.or(device.battery_level);
        device.connectivity = report.connectivity.or(device.connectivity);
        device.last_sync_at = report.last_sync_at.or(device.last_sync_at);
        device.last_seen_at = report.seen_at.or(device.last_seen_at);
        if let Some(telemetry) = &report.telemetry {
            device.telemetry = Some(telemetry.clone());
        }
        Ok(Some(device.clone()))
    }

    async fn set_device_settings(
        &self,
        user: UserId,
        id: DeviceId,
        settings: &AgentSettings,
        expected_version: Option<u64>,
    ) -> Result<Option<Device>> {
        let mut state = self.lock()?;
        let Some((device, _)) = state
            .devices
            .get_mut(&id)
            .filter(|(d, _)| d.user_id == user)
        else {
            return Ok(None);
        };
        if let Some(expected) = expected_version
            && expected != device.settings_version
        {
            return Err(StoreError::Conflict(settings_moved(
                expected,
                device.settings_version,
            )));
        }
        device.settings = settings.clone();
        device.settings_version += 1;
        Ok(Some(device.clone()))
    }

    async fn delete_device(&self, user: UserId, id: DeviceId) -> Result<bool> {
        let mut state = self.lock()?;
        let owned = state
            .devices
            .get(&id)
            .is_some_and(|(d, _)| d.user_id == user);
        if owned {
            state.devices.remove(&id);
            state.sync.forget_device(id);
        }
        Ok(owned)
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        Ok(self
            .lock()?
            .devices
            .values()
            .find(|(_, t)| t == token_hash)
            .map(|(d, _)| d.clone()))
    }

    async fn create_upload(&self, upload: &Upload) -> Result<Upload> {
        let mut state = self.lock()?;
        let existing = state
            .uploads
            .values()
            .find(|u| u.user_id == upload.user_id && u.media.media_id == upload.media.media_id);
        if let Some(existing) = existing {
            return Ok(existing.clone());
        }
        state.uploads.insert(upload.id, upload.clone());
        Ok(upload.clone())
    }

    async fn upload_by_media(&self, user: UserId, media: MediaId) -> Result<Option<Upload>> {
        let state = self.lock()?;
        let found = state
            .uploads
            .values()
            .find(|u| u.user_id == user && u.media.media_id == media);
        Ok(found.cloned())
    }

    async fn upload(&self, user: UserId, id: UploadId) -> Result<Option<Upload>> {
        Ok(self
            .lock()?
            .uploads
            .get(&id)
            .filter(|u| u.user_id == user)
            .cloned())
    }

    async fn set_upload_offset(&self, id: UploadId, offset: u64) -> Result<()> {
        if let Some(upload) = self.lock()?.uploads.get_mut(&id) {
            upload.offset = offset;
        }
        Ok(())
    }

    async fn delete_upload(&self, user: UserId, id: UploadId) -> Result<bool> {
        let mut state = self.lock()?;
        let removable = state
            .uploads
            .get(&id)
            .is_some_and(|u| u.user_id == user && !u.completed);
        if removable {
            state.uploads.remove(&id);
        }
        Ok(removable)
    }

    async fn expired_uploads(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Upload>> {
        let mut found: Vec<Upload> = self
            .lock()?
            .uploads
            .values()
            .filter(|u| !u.completed && u.expires_at < now)
            .cloned()
            .collect();
        found.sort_by_key(|u| u.expires_at);
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn commit_media(
        &self,
        media: &Media,
        upload: Option<&Upload>,
        events: &[NewEvent],
    ) -> Result<CommitOutcome> {
        let mut state = self.lock()?;
        if let Some(upload) = upload {
            let media_taken = state.uploads.values().any(|u| {
                u.id != upload.id
                    && u.user_id == upload.user_id
                    && u.media.media_id == upload.media.media_id
            });
            if !media_taken {
                let stored = state
                    .uploads
                    .entry(upload.id)
                    .or_insert_with(|| upload.clone());
                stored.completed = true;
                stored.offset = stored.length;
            }
        }
        let key = (media.user_id, media.id);
        if state.media.contains_key(&key) {
            return Ok(CommitOutcome::AlreadyExists);
        }
        state.media.insert(key, media.clone());
        state.library.bump(media.user_id);
        state.sync.log(media.user_id, media.id);
        state.insert_events(events);
        Ok(CommitOutcome::Created)
    }

    async fn media(&self, user: UserId, id: MediaId) -> Result<Option<Media>> {
        Ok(self.lock()?.media.get(&(user, id)).cloned())
    }

    async fn media_committed_since(&self, since: DateTime<Utc>, limit: u32) -> Result<Vec<Media>> {
        let mut found: Vec<Media> = self
            .lock()?
            .media
            .values()
            .filter(|m| m.created_at >= since)
            .cloned()
            .collect();
        found.sort_by_key(|m| (m.created_at, m.id));
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn list_media(&self, user: UserId, query: &MediaQuery) -> Result<Vec<Media>> {
        let state = self.lock()?;
        let mut found: Vec<Media> = state
            .media
            .values()
            .filter(|m| m.user_id == user)
            .filter(|m| query.from.is_none_or(|from| m.captured_at >= from))
            .filter(|m| query.to.is_none_or(|to| m.captured_at < to))
            .filter(|m| query.kind.is_none_or(|k| m.kind == k))
            .filter(|m| query.status.is_none_or(|s| m.status == s))
            .filter(|m| {
                query.after.is_none_or(|c| {
                    (m.captured_at.timestamp_millis(), m.id.to_string())
                        < (c.captured_at_ms, c.id.to_string())
                })
            })
            .cloned()
            .collect();
        found.sort_by_key(|m| {
            std::cmp::Reverse((m.captured_at.timestamp_millis(), m.id.to_string()))
        });
        found.truncate(query.limit as usize);
        Ok(found)
    }

    async fn update_media(
        &self,
        user: UserId,
        id: MediaId,
        update: &ProcessingUpdate,
        events: &[NewEvent],
    ) -> Result<Option<Media>> {
        let mut state = self.lock()?;
        let Some(media) = state.media.get_mut(&(user, id)) else {
            return Ok(None);
        };
        media.status = update.status;
        media.failure_reason = update.failure_reason.clone();
        media.facts = update.facts.clone().or(media.facts.take());
        media.captured_at = update.captured_at.unwrap_or(media.captured_at);
        media.location = update.location.or(media.location);
        media.thumbnail_key = update.thumbnail_key.clone().or(media.thumbnail_key.take());
        media.preview_key = update.preview_key.clone().or(media.preview_key.take());
        media.rendition_key = update.rendition_key.clone().or(media.rendition_key.take());
        media.updated_at = Utc::now();
        let updated = media.clone();
        state.library.bump(user);
        state.sync.log(user, id);
        state.insert_events(events);
        Ok(Some(updated))
    }

    async fn delete_media(
        &self,
        user: UserId,
        id: MediaId,
        events: &[NewEvent],
    ) -> Result<Option<Media>> {
        let mut state = self.lock()?;
        let Some(media) = state.media.remove(&(user, id)) else {
            return Ok(None);
        };
        state
            .uploads
            .retain(|_, u| !(u.user_id == user && u.media.media_id == id));
        state.library.forget_media(user, id);
        state.sync.forget_media(user, id);
        state.sync.log(user, id);
        state.insert_events(events);
        Ok(Some(media))
    }
}

#[async_trait]
impl EventBus for MemoryStore {
    async fn subscribe(&self, consumer: &str, topics: &[Topic]) -> Result<()> {
        let mut state = self.lock()?;
        for topic in topics {
            state.subscriptions.insert((consumer.to_string(), *topic));
        }
        Ok(())
    }

    async fn publish(&self, events: &[NewEvent]) -> Result<()> {
        self.lock()?.insert_events(events);
        Ok(())
    }

    async fn claim(&self, consumer: &str, max: u32, lease: Duration) -> Result<Vec<Delivery>> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let mut due: Vec<(DateTime<Utc>, i64)> = state
            .deliveries
            .iter()
            .filter(|((_, c), d)| {
                c == consumer && !d.done && !d.dead && d.available_at <= now && d.lease_until <= now
            })
            .map(|((id, _), d)| (d.available_at, *id))
            .collect();
        due.sort();
        due.truncate(max as usize);
        let mut claimed = Vec::with_capacity(due.len());
        for (_, event_id) in due {
            let Some(d) = state.deliveries.get_mut(&(event_id, consumer.to_string())) else {
                continue;
            };
            d.attempts += 1;
            d.lease_until = lease_end(lease);
            let attempts = d.attempts;
            if let Some((topic, payload, _)) = state.events.get(&event_id) {
                claimed.push(Delivery {
                    event_id,
                    consumer: consumer.to_string(),
                    topic: *topic,
                    payload: payload.clone(),
                    attempts,
                });
            }
        }
        claimed.sort_by_key(|d| d.event_id);
        Ok(claimed)
    }

    async fn extend_lease(&self, delivery: &Delivery, lease: Duration) -> Result<()> {
        if let Some(d) = self.lock()?.delivery(delivery) {
            d.lease_until = lease_end(lease);
        }
        Ok(())
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        if let Some(d) = self.lock()?.delivery(delivery) {
            d.done = true;
            d.last_error = None;
        }
        Ok(())
    }

    async fn retry(&self, delivery: &Delivery, error: &str, retry_at: DateTime<Utc>) -> Result<()> {
        if let Some(d) = self
            .lock()?
            .delivery(delivery)
            .filter(|d| !d.done && !d.dead)
        {
            d.available_at = retry_at;
            d.lease_until = DateTime::<Utc>::MIN_UTC;
            d.last_error = Some(error.to_string());
        }
        Ok(())
    }

    async fn dead_letter(&self, delivery: &Delivery, error: &str) -> Result<()> {
        if let Some(d) = self.lock()?.delivery(delivery) {
            d.dead = true;
            d.last_error = Some(error.to_string());
        }
        Ok(())
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>> {
        let state = self.lock()?;
        Ok(state
            .deliveries
            .iter()
            .rev()
            .filter(|(_, d)| d.dead)
            .filter_map(|((event_id, consumer), d)| {
                let (topic, payload, created_at) = state.events.get(event_id)?;
                Some(DeadLetter {
                    event_id: *event_id,
                    consumer: consumer.clone(),
                    topic: topic.as_str().to_string(),
                    payload: payload.clone(),
                    attempts: d.attempts,
                    last_error: d.last_error.clone(),
                    created_at: *created_at,
                })
            })
            .take(limit as usize)
            .collect())
    }

    async fn backlog(&self) -> Result<u64> {
        Ok(self
            .lock()?
            .deliveries
            .values()
            .filter(|d| !d.done && !d.dead)
            .count() as u64)
    }

    async fn pending(&self, consumer: &str) -> Result<u64> {
        Ok(self
            .lock()?
            .deliveries
            .iter()
            .filter(|((_, c), d)| c == consumer && !d.done && !d.dead)
            .count() as u64)
    }
}
