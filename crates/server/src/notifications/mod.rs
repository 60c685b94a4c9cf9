//! The notification service, fed by `doorbell.classified` on the bus (each new event once the AI
//! tier looked at its clip, see [`crate::workers::classify`]). Two consumers, so a slow
//! webhook never holds up the live feed:
//! - [`feed::FeedJob`] puts every event on its owner's `/events/stream` as a `doorbell.event`
//!   note (the feed shows everything, quiet hours and cooldown included);
//! - [`deliver::DeliverJob`] decides with [`policy`] and the device's cooldown whether the
//!   event notifies, then sends it to the owner's webhooks and Web Push subscriptions. A target
//!   that fails makes the bus retry the event with backoff; the retry sends only to the targets
//!   that do not have it yet.
//!
//! Both measure accepted (the event's `created_at`) → delivered into [`latency::Latencies`].

pub mod deliver;
pub mod feed;
pub mod latency;
pub mod policy;
pub mod webhook;
pub mod webpush;

use crate::state::AppState;
use crate::workers::JobError;
use serde_json::{Value, json};
use sightline_core::doorbell_event::{DoorbellEvent, DoorbellEventNotice};
use sightline_store::model::Device;
use std::time::Duration;

/// A webhook or push service that has not answered by then has failed this attempt.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// What the notification jobs and routes share.
pub struct Notifier {
    /// One pool of connections to webhooks and push services.
    pub http: reqwest::Client,
    pub latency: latency::Latencies,
    pub vapid: webpush::Vapid,
}

impl Notifier {
    /// `secret` is the server's secret: the VAPID key is derived from it, so it stays the same
    /// across restarts and browsers' subscriptions stay valid.
    pub fn new(secret: &[u8]) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            // A redirect would send the signed body somewhere the user did not register.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Sightline/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            latency: latency::Latencies::default(),
            vapid: webpush::Vapid::derive(secret)?,
        })
    }
}

/// The event and its device as they are now; `None` when either was deleted meanwhile.
pub(crate) struct Subject {
    pub event: DoorbellEvent,
    pub device: Device,
}

pub(crate) async fn load(
    state: &AppState,
    notice: &DoorbellEventNotice,
) -> Result<Option<Subject>, JobError> {
    let Some(event) = state
        .backends
        .doorbell_events
        .event(notice.user_id, notice.event_id)
        .await
        .map_err(JobError::transient)?
    else {
        return Ok(None);
    };
    let device = state
        .backends
        .metadata
        .device(notice.user_id, event.device_id)
        .await
        .map_err(JobError::transient)?;
    Ok(device.map(|device| Subject { event, device }))
}

/// The notification's body, the same on the feed, webhooks and Web Push.
pub(crate) async fn payload(state: &AppState, subject: &Subject) -> Result<Value, JobError> {
    let links = crate::routes::doorbell_events::clip_links(state, &subject.event)
        .await
        .map_err(JobError::transient)?;
    let event = &subject.event;
    Ok(json!({
        "type": "doorbell.event",
        "event_id": event.id,
        "event_type": event.event_type,
        "device_id": event.device_id,
        "device_name": subject.device.name,
        "occurred_at": event.occurred_at,
        "accepted_at": event.created_at,
        "clip_url": links.video_url,
        "thumbnail_url": links.thumbnail_url,
    }))
}
