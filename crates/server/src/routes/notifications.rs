//! `/notifications/…`: the owner's webhooks, Web Push subscriptions, preferences (quiet hours,
//! which event types notify) and delivery latency. User tokens only: a device never reads or
//! changes where its owner's alerts go.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::notifications::latency::WINDOW;
use crate::notifications::{webhook, webpush};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sightline_store::notifications::{
    NotificationPreferences, NotifyTypes, PushSubscription, QuietHours, Webhook,
};
use uuid::Uuid;

fn owner(caller: &Caller) -> ApiResult<()> {
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden(
            "notification settings are the owner's: use a user token".into(),
        ));
    }
    Ok(())
}

fn id(text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| ApiError::NotFound)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    url: String,
    #[serde(default)]
    secret: Option<String>,
}

#[derive(Serialize)]
pub struct WebhookView {
    id: Uuid,
    url: String,
    created_at: DateTime<Utc>,
    /// Only in the answer to the POST that registered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

fn hook_view(hook: Webhook, with_secret: bool) -> WebhookView {
    WebhookView {
        id: hook.id,
        url: hook.url,
        created_at: hook.created_at,
        secret: with_secret.then_some(hook.secret),
    }
}

/// `POST /notifications/webhooks`: without a `secret`, one is made and returned once.
pub async fn add_webhook(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewWebhook>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<WebhookView>)> {
    owner(&caller)?;
    let Json(body) = body?;
    let url = webhook::check_url(&body.url).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let secret = match body.secret {
        Some(secret) => {
            webhook::check_secret(&secret).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            secret
        }
        None => webhook::new_secret(),
    };
    let hook = Webhook {
        id: Uuid::new_v4(),
        user_id: caller.user_id,
        url: url.to_string(),
        secret,
        created_at: Utc::now(),
    };
    state.backends.notifications.add_webhook(&hook).await?;
    tracing::info!(webhook = %hook.id, "webhook registered");
    Ok((StatusCode::CREATED, Json(hook_view(hook, true))))
}

pub async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    owner(&caller)?;
    let hooks = state
        .backends
        .notifications
        .webhooks(caller.user_id)
        .await?;
    let views: Vec<WebhookView> = hooks.into_iter().map(|h| hook_view(h, false)).collect();
    Ok(Json(json!({ "webhooks": views })))
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(hook): Path<String>,
) -> ApiResult<StatusCode> {
    owner(&caller)?;
    let store = &state.backends.notifications;
    if !store.delete_webhook(caller.user_id, id(&hook)?).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    endpoint: String,
    keys: SubscriptionKeys,
    /// Browsers' `PushSubscription.toJSON()` sends it; it is not used.
    #[serde(default, rename = "expirationTime")]
    _expiration_time: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

fn subscription_view(sub: &PushSubscription) -> Value {
    json!({"id": sub.id, "endpoint": sub.endpoint, "created_at": sub.created_at})
}

/// `POST /notifications/push-subscriptions`: what `PushSubscription.toJSON()` gives. The same
/// endpoint again renews its keys (201 either way, with the kept id).
pub async fn add_subscription(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewSubscription>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    owner(&caller)?;
    let Json(body) = body?;
    let endpoint =
        webpush::check_endpoint(&body.endpoint).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    webpush::check_keys(&body.keys.p256dh, &body.keys.auth)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let sub = PushSubscription {
        id: Uuid::new_v4(),
        user_id: caller.user_id,
        endpoint: endpoint.to_string(),
        p256dh: body.keys.p256dh.trim().to_string(),
        auth: body.keys.auth.trim().to_string(),
        created_at: Utc::now(),
    };
    let kept = state
        .backends
        .notifications
        .add_push_subscription(&sub)
        .await?;
    tracing::info!(subscription = %kept.id, "push subscription registered");
    Ok((StatusCode::CREATED, Json(subscription_view(&kept))))
}

pub async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    owner(&caller)?;
    let subs = state
        .backends
        .notifications
        .push_subscriptions(caller.user_id)
        .await?;
    let views: Vec<Value> = subs.iter().map(subscription_view).collect();
    Ok(Json(json!({ "push_subscriptions": views })))
}

pub async fn delete_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Path(sub): Path<String>,
) -> ApiResult<StatusCode> {
    owner(&caller)?;
    let store = &state.backends.notifications;
    if !store
        .delete_push_subscription(caller.user_id, id(&sub)?)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /notifications/vapid-public-key`: the browser's `applicationServerKey`.
pub async fn vapid_public_key(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let _ = caller; // signed in, as anyone
    Json(json!({ "public_key": state.notifications.vapid.public_key() }))
}

/// The preferences as the API shows them: times as `HH:MM`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    #[serde(default)]
    quiet_hours: Option<QuietHoursBody>,
    #[serde(default)]
    notify_types: Option<NotifyTypes>,
    #[serde(default)]
    press_during_quiet_hours: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursBody {
    #[serde(default)]
    enabled: bool,
    start: String,
    end: String,
    #[serde(default)]
    utc_offset_minutes: i64,
    /// An IANA name ("Europe/Paris"): wins over `utc_offset_minutes` and follows daylight
    /// saving time.
    #[serde(default, alias = "tz", skip_serializing_if = "Option::is_none")]
    time_zone: Option<String>,
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_hhmm(field: &str, text: &str) -> ApiResult<u16> {
    let bad = || ApiError::BadRequest(format!("quiet_hours.{field} must be HH:MM, 00:00 to 23:59"));
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let ok = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(h) || m.len() != 2 || !ok(m) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// UTC−12:00 to UTC+14:00, the offsets in use.
const OFFSETS: std::ops::RangeInclusive<i64> = -720..=840;

impl PreferencesBody {
    fn of(prefs: &NotificationPreferences) -> Self {
        let q = prefs.quiet_hours;
        Self {
            quiet_hours: Some(QuietHoursBody {
                enabled: q.enabled,
                start: hhmm(q.start_minute),
                end: hhmm(q.end_minute),
                utc_offset_minutes: i64::from(q.utc_offset_minutes),
                time_zone: q.time_zone.map(|zone| zone.name().to_owned()),
            }),
            notify_types: Some(prefs.notify_types),
            press_during_quiet_hours: Some(prefs.press_during_quiet_hours),
        }
    }

    /// An absent section takes its default (PUT replaces the whole).
    fn checked(self) -> ApiResult<NotificationPreferences> {
        let defaults = NotificationPreferences::default();
        let quiet_hours = match self.quiet_hours {
            None => defaults.quiet_hours,
            Some(q) => {
                let time_zone = q
                    .time_zone
                    .as_deref()
                    .map(|name| {
                        name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
                            ApiError::BadRequest(format!(
                                "quiet_hours.time_zone {name:?} is not an IANA time zone \
                                 (like \"Europe/Paris\" or \"America/New_York\")"
                            ))
                        })
                    })
                    .transpose()?;
                if !OFFSETS.contains(&q.utc_offset_minutes) {
                    return Err(ApiError::BadRequest(
                        "quiet_hours.utc_offset_minutes must be -720 to 840".into(),
                    ));
                }
                QuietHours {
                    enabled: q.enabled,
                    start_minute: parse_hhmm("start", &q.start)?,
                    end_minute: parse_hhmm("end", &q.end)?,
                    utc_offset_minutes: q.utc_offset_minutes as i16,
                    time_zone,
                }
            }
        };
        Ok(NotificationPreferences {
            quiet_hours,
            notify_types: self.notify_types.unwrap_or(defaults.notify_types),
            press_during_quiet_hours: self
                .press_during_quiet_hours
                .unwrap_or(defaults.press_during_quiet_hours),
        })
    }
}

pub async fn get_preferences(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PreferencesBody>> {
    owner(&caller)?;
    let prefs = state
        .backends
        .notifications
        .preferences(caller.user_id)
        .await?;
    Ok(Json(PreferencesBody::of(&prefs)))
}

pub async fn put_preferences(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<PreferencesBody>, JsonRejection>,
) -> ApiResult<Json<PreferencesBody>> {
    owner(&caller)?;
    let Json(body) = body?;
    let prefs = body.checked()?;
    state
        .backends
        .notifications
        .set_preferences(caller.user_id, &prefs)
        .await?;
    Ok(Json(PreferencesBody::of(&prefs)))
}

/// `GET /notifications/stats`: the caller's deliveries over the recent window, per channel.
pub async fn stats(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    owner(&caller)?;
    let channels = state.notifications.latency.summary(Some(caller.user_id));
    Ok(Json(json!({
        "window_seconds": WINDOW.as_secs(),
        "channels": channels,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_hh_mm() {
        assert_eq!(parse_hhmm("start", "22:00").ok(), Some(22 * 60));
        assert_eq!(parse_hhmm("start", "7:05").ok(), Some(7 * 60 + 5));
        assert_eq!(parse_hhmm("start", "00:00").ok(), Some(0));
        for bad in [
            "24:00", "12:60", "12", "12:5", "-1:00", "ab:cd", "12:00:00", "",
        ] {
            assert!(parse_hhmm("start", bad).is_err(), "{bad}");
        }
        assert_eq!(hhmm(7 * 60 + 5), "07:05");
    }

    #[test]
    fn absent_sections_take_their_defaults_and_time_zones_are_iana_names() {
        let body: PreferencesBody = serde_json::from_value(json!({
            "quiet_hours": {"enabled": true, "start": "23:30", "end": "06:00", "utc_offset_minutes": -300}
        }))
        .expect("body");
        let prefs = body.checked().expect("valid");
        assert_eq!(prefs.quiet_hours.start_minute, 23 * 60 + 30);
        assert_eq!(prefs.quiet_hours.utc_offset_minutes, -300);
        assert_eq!(prefs.notify_types, NotifyTypes::default());
        assert!(prefs.press_during_quiet_hours);
        let zoned = |zone: &str| -> PreferencesBody {
            serde_json::from_value(json!({
                "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": zone}
            }))
            .expect("body")
        };
        let paris = zoned("Europe/Paris").checked().expect("a zone");
        assert_eq!(paris.quiet_hours.time_zone, Some(chrono_tz::Europe::Paris));
        let shown = serde_json::to_value(PreferencesBody::of(&paris)).unwrap();
        assert_eq!(shown["quiet_hours"]["time_zone"], "Europe/Paris");
        assert!(zoned("Mars/Olympus_Mons").checked().is_err());
        assert!(zoned("").checked().is_err());
        let far: PreferencesBody = serde_json::from_value(json!({
            "quiet_hours": {"start": "22:00", "end": "07:00", "utc_offset_minutes": 900}
        }))
        .expect("body");
        assert!(far.checked().is_err());
        assert!(serde_json::from_value::<PreferencesBody>(json!({"quiet": {}})).is_err());
    }
}
