//! Devices connected on `/devices/channel`: one connection per device (a new one replaces the
//! old), what each last reported, and the commands waiting for their result.
//!
//! Kept in memory: after a restart every device is offline until it reconnects, which it does
//! by itself. Battery, connectivity and firmware also go to the devices table.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_core::DeviceId;
use sightline_core::command::Command;
use sightline_core::settings::AgentSettings;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Frames queued towards one device before senders wait.
const OUTBOX: usize = 32;

/// What the server sends a device.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToDevice {
    Command {
        id: Uuid,
        command: Command,
    },
    /// The owner's settings, whole; sent on connect and whenever they change.
    Settings {
        version: u64,
        settings: AgentSettings,
    },
    Error {
        message: String,
    },
}

/// What a device answers about one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    pub id: Uuid,
    pub ok: bool,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<sightline_core::MediaId>,
}

/// The last telemetry beyond the devices table's own columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Telemetry {
    pub charging: Option<bool>,
    pub power_mode: Option<String>,
    pub storage_free_bytes: Option<u64>,
    pub storage_used_bytes: Option<u64>,
    pub pending_uploads: Option<u64>,
    pub reported_at: DateTime<Utc>,
}

/// A device's presence as `GET /devices/{id}` shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Presence {
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub telemetry: Option<Telemetry>,
    /// The settings version the device said it applied (since it last connected here).
    pub settings_applied: Option<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    #[error("the device is not connected to the server")]
    NotConnected,
    #[error("the device did not answer in time")]
    Timeout,
}

/// One live connection, as the registry knows it.
struct Connection {
    serial: u64,
    outbox: mpsc::Sender<ToDevice>,
}

#[derive(Default)]
struct Entry {
    connection: Option<Connection>,
    last_seen_at: Option<DateTime<Utc>>,
    telemetry: Option<Telemetry>,
    settings_applied: Option<u64>,
}

#[derive(Default)]
pub struct DeviceChannels {
    devices: Mutex<HashMap<DeviceId, Entry>>,
    /// Command id → the connection it went to and who waits for the result.
    waiting: Mutex<HashMap<Uuid, Waiter>>,
    serials: AtomicU64,
}

struct Waiter {
    device: DeviceId,
    serial: u64,
    done: oneshot::Sender<CommandResult>,
}

/// A registered connection: its serial tells it from the one that may replace it.
pub struct Registration {
    pub serial: u64,
    pub outbox: mpsc::Receiver<ToDevice>,
}

impl DeviceChannels {
    /// Registers a new connection for `device`; an older one loses its outbox and closes.
    pub fn connect(&self, device: DeviceId) -> Registration {
        let serial = self.serials.fetch_add(1, Ordering::Relaxed) + 1;
        let (outbox, receiver) = mpsc::channel(OUTBOX);
        let mut devices = self.lock_devices();
        let entry = devices.entry(device).or_default();
        if entry.connection.is_some() {
            tracing::info!(%device, "device reconnected; the older connection is closed");
        }
        entry.connection = Some(Connection { serial, outbox });
        entry.last_seen_at = Some(Utc::now());
        Registration {
            serial,
            outbox: receiver,
        }
    }

    /// The connection `serial` ended; a newer connection of the same device stays.
    pub fn disconnect(&self, device: DeviceId, serial: u64) {
        let mut devices = self.lock_devices();
        if let Some(entry) = devices.get_mut(&device) {
            if entry
                .connection
                .as_ref()
                .is_some_and(|c| c.serial == serial)
            {
                entry.connection = None;
            }
            entry.last_seen_at = Some(Utc::now());
        }
        drop(devices);
        self.forget_waiting(device, serial);
    }

    /// Closes every connection (the server is stopping).
    pub fn close_all(&self) {
        for entry in self.lock_devices().values_mut() {
            entry.connection = None;
        }
    }

    pub fn seen(&self, device: DeviceId, telemetry: Option<Telemetry>) {
        let mut devices = self.lock_devices();
        let entry = devices.entry(device).or_default();
        entry.last_seen_at = Some(Utc::now());
        if telemetry.is_some() {
            entry.telemetry = telemetry;
        }
    }

    pub fn presence(&self, device: DeviceId) -> Presence {
        self.lock_devices()
            .get(&device)
            .map(|entry| Presence {
                online: entry.connection.is_some(),
                last_seen_at: entry.last_seen_at,
                telemetry: entry.telemetry.clone(),
                settings_applied: entry.settings_applied,
            })
            .unwrap_or_default()
    }

    /// Queues a frame for the device without waiting for anything back; false when it is not
    /// connected or its outbox is full (it gets the current settings again when it reconnects).
    pub fn push(&self, device: DeviceId, frame: ToDevice) -> bool {
        self.lock_devices()
            .get(&device)
            .and_then(|entry| entry.connection.as_ref())
            .is_some_and(|c| c.outbox.try_send(frame).is_ok())
    }

    pub fn settings_applied(&self, device: DeviceId, version: u64) {
        let mut devices = self.lock_devices();
        let entry = devices.entry(device).or_default();
        entry.last_seen_at = Some(Utc::now());
        entry.settings_applied = Some(version);
    }

    /// Sends `command` to the device and waits up to `timeout` for its result.
    pub async fn command(
        &self,
        device: DeviceId,
        command: Command,
        timeout: std::time::Duration,
    ) -> Result<CommandResult, SendError> {
        let (serial, outbox) = self
            .lock_devices()
            .get(&device)
            .and_then(|entry| entry.connection.as_ref())
            .map(|c| (c.serial, c.outbox.clone()))
            .ok_or(SendError::NotConnected)?;
        let id = Uuid::new_v4();
        let (done, result) = oneshot::channel();
        self.lock_waiting().insert(
            id,
            Waiter {
                device,
                serial,
                done,
            },
        );
        let outcome = tokio::time::timeout(timeout, async {
            outbox
                .send(ToDevice::Command { id, command })
                .await
                .map_err(|_| SendError::NotConnected)?;
            // The sender goes away when the connection closes before answering.
            result.await.map_err(|_| SendError::NotConnected)
        })
        .await
        .unwrap_or(Err(SendError::Timeout));
        self.lock_waiting().remove(&id);
        outcome
    }

    /// A device answered; results for commands it was not sent are ignored.
    pub fn result(&self, device: DeviceId, result: CommandResult) -> bool {
        let mut waiting = self.lock_waiting();
        if waiting.get(&result.id).is_none_or(|w| w.device != device) {
            return false;
        }
        match waiting.remove(&result.id) {
            Some(waiter) => waiter.done.send(result).is_ok(),
            None => false,
        }
    }

    /// Drops the waiters of a closed connection's commands so their callers learn at once.
    fn forget_waiting(&self, device: DeviceId, serial: u64) {
        self.lock_waiting()
            .retain(|_, w| !(w.device == device && w.serial == serial));
    }

    fn lock_devices(&self) -> std::sync::MutexGuard<'_, HashMap<DeviceId, Entry>> {
        self.devices.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Waiter>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn results_go_to_their_waiter_and_silence_times_out() {
        let channels = DeviceChannels::default();
        let device = DeviceId::new_random();
        let other = DeviceId::new_random();
        assert_eq!(
            channels
                .command(device, Command::TakePicture, Duration::from_millis(10))
                .await,
            Err(SendError::NotConnected)
        );
        let mut registration = channels.connect(device);
        assert!(channels.presence(device).online);
        assert_eq!(
            channels
                .command(device, Command::TakePicture, Duration::from_millis(20))
                .await,
            Err(SendError::Timeout)
        );
        let _ = registration.outbox.recv().await;

        let channels = std::sync::Arc::new(channels);
        let waiting = {
            let channels = channels.clone();
            tokio::spawn(async move {
                channels
                    .command(device, Command::StopRecording, Duration::from_secs(5))
                    .await
            })
        };
        let Some(ToDevice::Command { id, .. }) = registration.outbox.recv().await else {
            panic!("no command sent");
        };
        let result = CommandResult {
            id,
            ok: true,
            message: "done".into(),
            media_id: None,
        };
        assert!(
            !channels.result(other, result.clone()),
            "another device cannot answer"
        );
        assert!(channels.result(device, result.clone()));
        assert_eq!(waiting.await.unwrap(), Ok(result));
    }

    #[tokio::test]
    async fn a_replaced_connection_does_not_take_the_new_one_down() {
        let channels = DeviceChannels::default();
        let device = DeviceId::new_random();
        let mut old = channels.connect(device);
        let new = channels.connect(device);
        assert!(old.outbox.recv().await.is_none(), "the old outbox closes");
        channels.disconnect(device, old.serial);
        assert!(channels.presence(device).online);
        channels.disconnect(device, new.serial);
        let presence = channels.presence(device);
        assert!(!presence.online && presence.last_seen_at.is_some());
    }
}
