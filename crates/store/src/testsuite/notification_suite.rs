//! The notification contract: preferences default until set, webhooks and push subscriptions
//! scoped by user with their limits, the cooldown slot taken once per window (in either order,
//! a retry keeping its first decision), and which targets have an event.

use super::user;
use crate::doorbell_events::DoorbellEventStore;
use crate::model::*;
use crate::notifications::*;
use crate::{MetadataStore, StoreError};
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use sightline_core::doorbell_event::{DoorbellEvent, EventType};
use sightline_core::ids::DoorbellEventId;
use sightline_core::media::DeviceType;
use sightline_core::{DeviceId, UserId};
use std::time::Duration;
use uuid::Uuid;

fn doorbell(user: UserId) -> Device {
    Device {
        id: DeviceId::new_random(),
        user_id: user,
        device_type: DeviceType::Doorbell,
        name: "front door".into(),
        firmware_version: None,
        battery_level: None,
        connectivity: None,
        last_sync_at: None,
        settings: Default::default(),
        settings_version: 0,
        last_seen_at: None,
        telemetry: None,
        created_at: Utc::now(),
    }
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 5, 10, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
        + Span::seconds(secs)
}

fn webhook(user: UserId, n: i64) -> Webhook {
    Webhook {
        id: Uuid::new_v4(),
        user_id: user,
        url: format!("https://hooks.example.com/{n}"),
        secret: format!("secret-{n}"),
        created_at: at(n),
    }
}

fn subscription(user: UserId, endpoint: &str) -> PushSubscription {
    PushSubscription {
        id: Uuid::new_v4(),
        user_id: user,
        endpoint: endpoint.into(),
        p256dh: "BKey".into(),
        auth: "auth".into(),
        created_at: at(0),
    }
}

/// A stored event of `device` accepted at `secs`: decisions reference it.
async fn stored_event<S: DoorbellEventStore>(store: &S, d: &Device, secs: i64) -> DoorbellEventId {
    let event = DoorbellEvent {
        id: DoorbellEventId::new_random(),
        user_id: d.user_id,
        device_id: d.id,
        event_type: EventType::Motion,
        occurred_at: at(secs),
        duration_secs: 1.0,
        pre_roll_secs: 0.0,
        media_id: None,
        confidence: None,
        detections: vec![],
        battery_level: None,
        created_at: at(secs),
    };
    store.insert_event(&event, &[]).await.expect("event");
    event.id
}

fn claim(d: &Device, event: DoorbellEventId, secs: i64, cooldown: u64) -> CooldownClaim {
    CooldownClaim {
        user: d.user_id,
        event,
        device: d.id,
        at: at(secs),
        cooldown: Duration::from_secs(cooldown),
    }
}

pub async fn notifications_suite<S: MetadataStore + DoorbellEventStore + NotificationStore>(
    store: &S,
) {
    let alice = user(&format!("alice-{}@example.com", UserId::new_random()));
    let bob = user(&format!("bob-{}@example.com", UserId::new_random()));
    store.create_user(&alice).await.unwrap();
    store.create_user(&bob).await.unwrap();

    // Preferences: defaults until set, per user.
    assert_eq!(
        store.preferences(alice.id).await.unwrap(),
        NotificationPreferences::default()
    );
    let quiet = NotificationPreferences {
        quiet_hours: QuietHours {
            enabled: true,
            start_minute: 23 * 60,
            end_minute: 6 * 60 + 30,
            utc_offset_minutes: -300,
            time_zone: Some(chrono_tz::America::New_York),
        },
        notify_types: NotifyTypes {
            motion: false,
            ..NotifyTypes::default()
        },
        press_during_quiet_hours: false,
    };
    store.set_preferences(alice.id, &quiet).await.unwrap();
    assert_eq!(store.preferences(alice.id).await.unwrap(), quiet);
    assert_eq!(
        store.preferences(bob.id).await.unwrap(),
        NotificationPreferences::default()
    );
    store
        .set_preferences(alice.id, &NotificationPreferences::default())
        .await
        .unwrap();
    assert_eq!(
        store.preferences(alice.id).await.unwrap(),
        NotificationPreferences::default()
    );

    // Webhooks: oldest first, per user, at most MAX_WEBHOOKS, deleted by their owner only.
    let hooks: Vec<Webhook> = (0..MAX_WEBHOOKS as i64)
        .map(|n| webhook(alice.id, n))
        .collect();
    for hook in hooks.iter().rev() {
        store.add_webhook(hook).await.unwrap();
    }
    assert_eq!(store.webhooks(alice.id).await.unwrap(), hooks);
    assert!(matches!(
        store.add_webhook(&webhook(alice.id, 99)).await,
        Err(StoreError::Conflict(_))
    ));
    store.add_webhook(&webhook(bob.id, 1)).await.unwrap();
    assert!(!store.delete_webhook(bob.id, hooks[0].id).await.unwrap());
    assert!(store.delete_webhook(alice.id, hooks[0].id).await.unwrap());
    assert!(!store.delete_webhook(alice.id, hooks[0].id).await.unwrap());
    assert_eq!(store.webhooks(alice.id).await.unwrap(), hooks[1..].to_vec());
    assert_eq!(store.webhooks(bob.id).await.unwrap().len(), 1);

    // Push subscriptions: one per endpoint per user; subscribing again renews the keys.
    let first = subscription(alice.id, "https://push.example.com/a");
    assert_eq!(store.add_push_subscription(&first).await.unwrap(), first);
    let renewed = PushSubscription {
        id: Uuid::new_v4(),
        p256dh: "BOther".into(),
        ..first.clone()
    };
    let kept = store.add_push_subscription(&renewed).await.unwrap();
    assert_eq!(kept.id, first.id);
    assert_eq!(kept.p256dh, "BOther");
    let bobs = subscription(bob.id, "https://push.example.com/a");
    store.add_push_subscription(&bobs).await.unwrap();
    assert_eq!(
        store.push_subscriptions(alice.id).await.unwrap(),
        vec![kept.clone()]
    );
    for n in 1..MAX_PUSH_SUBSCRIPTIONS {
        let endpoint = format!("https://push.example.com/{n}");
        store
            .add_push_subscription(&subscription(alice.id, &endpoint))
            .await
            .unwrap();
    }
    assert!(matches!(
        store
            .add_push_subscription(&subscription(alice.id, "https://push.example.com/full"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        !store
            .delete_push_subscription(bob.id, kept.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_push_subscription(alice.id, kept.id)
            .await
            .unwrap()
    );
    assert_eq!(store.push_subscriptions(bob.id).await.unwrap(), vec![bobs]);

    cooldown_contract(store, &alice).await;
}

async fn cooldown_contract<S: MetadataStore + DoorbellEventStore + NotificationStore>(
    store: &S,
    alice: &User,
) {
    let (front, back) = (doorbell(alice.id), doorbell(alice.id));
    for d in [&front, &back] {
        store
            .create_device(d, &format!("tok-{}", d.id))
            .await
            .unwrap();
    }
    assert_eq!(store.last_notified(front.id).await.unwrap(), None);
    let e0 = stored_event(store, &front, 0).await;
    let e30 = stored_event(store, &front, 30).await;
    let e60 = stored_event(store, &front, 60).await;
    let e100 = stored_event(store, &front, 100).await;
    let e_back = stored_event(store, &back, 30).await;
    let notify = Decision::Notify;
    let cooled = Decision::Suppressed(SuppressReason::Cooldown);

    assert_eq!(
        store
            .claim_cooldown(&claim(&front, e0, 0, 60))
            .await
            .unwrap(),
        notify
    );
    assert_eq!(store.last_notified(front.id).await.unwrap(), Some(at(0)));
    assert_eq!(
        store
            .claim_cooldown(&claim(&front, e30, 30, 60))
            .await
            .unwrap(),
        cooled
    );
    // Per device: the other doorbell has its own clock.
    assert_eq!(
        store
            .claim_cooldown(&claim(&back, e_back, 30, 60))
            .await
            .unwrap(),
        notify
    );
    // A retried event keeps its first decision, whatever the clock says now.
    assert_eq!(
        store
            .claim_cooldown(&claim(&front, e0, 0, 60))
            .await
            .unwrap(),
        notify
    );
    assert_eq!(
        store
            .claim_cooldown(&claim(&front, e30, 30, 0))
            .await
            .unwrap(),
        cooled
    );
    // Out of order: an event handled late within the window of a newer one is suppressed and
    // does not move the clock back.
    assert_eq!(
        store
            .claim_cooldown(&claim(&front, e100, 100, 60))
            .await
            .unwrap(),
        notify
    );
    assert_eq!(
        store
            .claim_cooldown(&claim(&front, e60, 60, 60))
            .await
            .unwrap(),
        cooled
    );
    assert_eq!(store.last_notified(front.id).await.unwrap(), Some(at(100)));

    // Targets that have an event.
    assert!(store.delivered(alice.id, e0).await.unwrap().is_empty());
    let targets = vec!["webhook:a".to_string(), "push:b".to_string()];
    store
        .record_delivered(alice.id, e0, &targets)
        .await
        .unwrap();
    store
        .record_delivered(alice.id, e0, &targets[..1])
        .await
        .unwrap();
    assert_eq!(
        store.delivered(alice.id, e0).await.unwrap(),
        vec!["push:b".to_string(), "webhook:a".to_string()]
    );
    assert!(store.delivered(alice.id, e30).await.unwrap().is_empty());

    // The clock goes with the device.
    assert!(store.delete_device(alice.id, front.id).await.unwrap());
    assert_eq!(store.last_notified(front.id).await.unwrap(), None);
}

/// The cooldown clock outlives the process: `reopen` gives a second handle on the same data.
pub async fn cooldown_survives_restart<S, F, Fut>(store: S, reopen: F)
where
    S: MetadataStore + DoorbellEventStore + NotificationStore,
    F: FnOnce(S) -> Fut,
    Fut: std::future::Future<Output = S>,
{
    let alice = user(&format!("restart-{}@example.com", UserId::new_random()));
    store.create_user(&alice).await.unwrap();
    let front = doorbell(alice.id);
    store.create_device(&front, "tok-restart").await.unwrap();
    let first = stored_event(&store, &front, 0).await;
    let second = stored_event(&store, &front, 10).await;
    assert_eq!(
        store
            .claim_cooldown(&claim(&front, first, 0, 60))
            .await
            .unwrap(),
        Decision::Notify
    );
    let store = reopen(store).await;
    assert_eq!(
        store
            .claim_cooldown(&claim(&front, second, 10, 60))
            .await
            .unwrap(),
        Decision::Suppressed(SuppressReason::Cooldown)
    );
}
