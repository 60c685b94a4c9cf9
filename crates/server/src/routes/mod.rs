//! HTTP routes, one file per resource, wired here.

mod account;
mod audio;
mod auth;
mod channel;
mod device_settings;
mod devices;
pub(crate) mod doorbell_events;
mod events;
mod files;
mod health;
pub(crate) mod media;
pub(crate) mod memories;
mod metrics;
mod notifications;
mod oneshot;
mod people;
mod places;
mod search;
mod slow;
mod sync;
pub mod uploads;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, post};
use sightline_core::DeviceId;
use std::convert::Infallible;

pub fn router(state: AppState) -> Router {
    let oneshot_limit = DefaultBodyLimit::max(state.config.uploads.max_oneshot_size as usize);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/auth/register", post(auth::register))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route(
            "/api/v1/audio/messages",
            post(audio::upload)
                .get(audio::list)
                .layer(DefaultBodyLimit::max(audio::MAX_UPLOAD_BYTES + 1)),
        )
        .route(
            "/api/v1/audio/messages/{id}",
            axum::routing::delete(audio::delete),
        )
        .route("/api/v1/devices/{id}/audio/speak", post(audio::speak))
        .route(
            "/api/v1/account/plan",
            get(account::get_plan).put(account::put_plan),
        )
        .route("/api/v1/devices", post(devices::create).get(devices::list))
        .route("/api/v1/devices/channel", get(channel::connect))
        .route("/api/v1/devices/{id}/commands", post(channel::send_command))
        .route(
            "/api/v1/devices/{id}/settings",
            get(device_settings::get).put(device_settings::put),
        )
        .route(
            "/api/v1/devices/{id}/settings/motion",
            get(device_settings::get_motion).put(device_settings::put_motion),
        )
        .route(
            "/api/v1/devices/{id}/events",
            post(doorbell_events::create).get(doorbell_events::list_for_device),
        )
        .route(
            "/api/v1/devices/{id}/events/{event_id}",
            axum::routing::patch(doorbell_events::update_clip),
        )
        .route("/api/v1/events", get(doorbell_events::list))
        .route(
            "/api/v1/devices/{id}",
            get(devices::get)
                .patch(devices::report)
                .delete(devices::delete),
        )
        .route(
            "/api/v1/uploads",
            post(uploads::create)
                .options(uploads::options)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/uploads/{id}",
            axum::routing::head(uploads::head)
                .patch(uploads::patch)
                .delete(uploads::terminate)
                .options(uploads::options)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/device/photos",
            post(oneshot::device_photo).layer(oneshot_limit),
        )
        .route(
            "/api/v1/device/videos",
            post(oneshot::device_video).layer(oneshot_limit),
        )
        .route(
            "/api/v1/videos/upload",
            post(oneshot::video_upload).layer(oneshot_limit),
        )
        .route("/api/v1/media", get(media::list))
        .route("/api/v1/media/{id}", get(media::get).delete(media::delete))
        .route("/api/v1/media/{id}/people", post(people::add_appearance))
        .route(
            "/api/v1/media/{id}/people/{appearance}",
            axum::routing::delete(people::remove_appearance),
        )
        .route("/api/v1/people", post(people::create).get(people::list))
        .route(
            "/api/v1/people/{id}",
            get(people::get)
                .patch(people::update)
                .delete(people::delete),
        )
        .route("/api/v1/people/{id}/merge", post(people::merge))
        .route("/api/v1/places", post(places::create).get(places::list))
        .route("/api/v1/places/{id}", axum::routing::delete(places::delete))
        .route("/api/v1/memories/create", post(memories::create))
        .route("/api/v1/memories", get(memories::list))
        .route(
            "/api/v1/memories/{id}",
            get(memories::get).delete(memories::delete),
        )
        .route("/api/v1/videos/search", post(search::search))
        .route("/api/v1/sync/edits", post(sync::edits))
        .route("/api/v1/sync/changes", get(sync::changes))
        .route("/api/v1/sync/status", get(sync::status))
        .route("/api/v1/sync/trigger", post(sync::trigger))
        .route("/api/v1/sync/conflicts", get(sync::conflicts))
        .route("/api/v1/events/stream", get(events::stream))
        .route(
            "/api/v1/notifications/webhooks",
            post(notifications::add_webhook).get(notifications::list_webhooks),
        )
        .route(
            "/api/v1/notifications/webhooks/{id}",
            axum::routing::delete(notifications::delete_webhook),
        )
        .route(
            "/api/v1/notifications/push-subscriptions",
            post(notifications::add_subscription).get(notifications::list_subscriptions),
        )
        .route(
            "/api/v1/notifications/push-subscriptions/{id}",
            axum::routing::delete(notifications::delete_subscription),
        )
        .route(
            "/api/v1/notifications/vapid-public-key",
            get(notifications::vapid_public_key),
        )
        .route(
            "/api/v1/notifications/preferences",
            get(notifications::get_preferences).put(notifications::put_preferences),
        )
        .route("/api/v1/notifications/stats", get(notifications::stats))
        .route("/api/v1/files/{*key}", get(files::get))
        .route("/api/v1/jobs/dead-letters", get(media::dead_letters))
        .layer(axum::middleware::from_fn(slow::warn_when_slow))
        .with_state(state)
}

/// The request's correlation id: the client's `X-Request-Id` when sane, else a fresh one.
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let given = header_str(&parts.headers, "X-Request-Id").filter(|v| {
            v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        Ok(Self(
            given
                .map(str::to_string)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        ))
    }
}

/// A user-given name or label: 1 to `max` printable characters.
pub fn check_text(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.trim().is_empty() || value.chars().count() > max || value.chars().any(char::is_control)
    {
        return Err(ApiError::BadRequest(format!(
            "{field} must be 1 to {max} printable characters"
        )));
    }
    Ok(())
}

/// Tells an absent JSON field (`None`) from an explicit `null` (`Some(None)`), for PATCH bodies
/// where `null` clears a field.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The device an upload comes from: the calling device, or one the user names, which must be
/// theirs.
pub async fn resolve_device(
    state: &AppState,
    caller: Caller,
    named: Option<DeviceId>,
) -> ApiResult<Option<DeviceId>> {
    match (caller.device_id, named) {
        (Some(own), Some(named)) if own != named => Err(ApiError::Forbidden(
            "a device may only upload as itself".into(),
        )),
        (Some(own), _) => Ok(Some(own)),
        (None, Some(named)) => match state
            .backends
            .metadata
            .device(caller.user_id, named)
            .await?
        {
            Some(device) => Ok(Some(device.id)),
            None => Err(ApiError::BadRequest(format!(
                "device_id {named} is not one of your devices"
            ))),
        },
        (None, None) => Ok(None),
    }
}
