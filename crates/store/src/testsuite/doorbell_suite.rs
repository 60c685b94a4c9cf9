//! The doorbell event contract: idempotent inserts that write their bus event exactly once,
//! ownership of device and clip, filters, paging with totals, and what deleting a device or a
//! clip does, all scoped by user; replacing an event's alert clip by its full clip.

use super::{media, user};
use crate::doorbell_events::{DoorbellEventStore, EventQuery, InsertOutcome, UpdateOutcome};
use crate::model::*;
use crate::{EventBus, MetadataStore, StoreError};
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use sightline_core::doorbell_event::{
    Classification as ClipVerdict, ClipUpdate, Detection, DoorbellEvent, DoorbellEventNotice,
    EventType,
};
use sightline_core::event::{NewEvent, Topic};
use sightline_core::ids::DoorbellEventId;
use sightline_core::media::DeviceType;
use sightline_core::{DeviceId, MediaId, UserId};
use std::time::Duration;

pub(super) fn doorbell(user: UserId) -> Device {
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

pub(super) fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 5, 10, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
        + Span::minutes(minute)
}

pub(super) fn event(
    user: UserId,
    device: DeviceId,
    kind: EventType,
    minute: i64,
    clip: Option<MediaId>,
) -> DoorbellEvent {
    DoorbellEvent {
        id: DoorbellEventId::new_random(),
        user_id: user,
        device_id: device,
        event_type: kind,
        occurred_at: at(minute),
        duration_secs: 20.5,
        pre_roll_secs: 3.0,
        media_id: clip,
        confidence: Some(0.9),
        detections: vec![Detection {
            label: "person".into(),
            confidence: 0.9,
            x: 0.1,
            y: 0.2,
            w: 0.3,
            h: 0.4,
        }],
        battery_level: Some(77),
        created_at: Utc.timestamp_millis_opt(1_770_000_000_123).unwrap(),
    }
}

fn notice(e: &DoorbellEvent) -> Vec<NewEvent> {
    vec![NewEvent::new(
        Topic::DoorbellEvent,
        &DoorbellEventNotice::of(e, "suite"),
    )]
}

pub(super) async fn insert<S: DoorbellEventStore>(store: &S, e: &DoorbellEvent) -> InsertOutcome {
    store.insert_event(e, &notice(e)).await.expect("insert")
}

fn ids(events: &[DoorbellEvent]) -> Vec<DoorbellEventId> {
    events.iter().map(|e| e.id).collect()
}

pub async fn doorbell_events_suite<S: MetadataStore + DoorbellEventStore + EventBus>(store: &S) {
    clip_updates(store).await;
    classification(store).await;
    let consumer = format!("notify-{}", UserId::new_random());
    store
        .subscribe(&consumer, &[Topic::DoorbellEvent])
        .await
        .unwrap();
    let alice = user(&format!("alice-{}@example.com", UserId::new_random()));
    let bob = user(&format!("bob-{}@example.com", UserId::new_random()));
    store.create_user(&alice).await.unwrap();
    store.create_user(&bob).await.unwrap();
    let (front, back, bobs) = (doorbell(alice.id), doorbell(alice.id), doorbell(bob.id));
    for d in [&front, &back, &bobs] {
        store
            .create_device(d, &format!("tok-{}", d.id))
            .await
            .unwrap();
    }
    let clip = media(alice.id, 5);
    let bobs_clip = media(bob.id, 5);
    for m in [&clip, &bobs_clip] {
        store.commit_media(m, None, &[]).await.unwrap();
    }

    // Created once; a replay returns the same row and writes no second bus event.
    let first = event(alice.id, front.id, EventType::Motion, 0, Some(clip.id));
    assert_eq!(
        insert(store, &first).await,
        InsertOutcome::Created(first.clone())
    );
    let replay = DoorbellEvent {
        event_type: EventType::Animal,
        ..first.clone()
    };
    assert_eq!(
        insert(store, &replay).await,
        InsertOutcome::Existing(first.clone())
    );
    assert_eq!(
        store.event(alice.id, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.event(bob.id, first.id).await.unwrap(), None);
    let delivered = store
        .claim(&consumer, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(delivered.len(), 1, "one bus event per stored event");
    let payload: DoorbellEventNotice =
        serde_json::from_value(delivered[0].payload.clone()).expect("notice");
    assert_eq!(payload.event_id, first.id);
    assert_eq!(payload.device_id, front.id);
    assert_eq!(payload.media_id, Some(clip.id));
    store.ack(&delivered[0]).await.unwrap();

    // Someone else's device, someone else's clip, a clip that does not exist: nothing written.
    let foreign = event(alice.id, bobs.id, EventType::Motion, 1, None);
    assert!(matches!(
        store.insert_event(&foreign, &notice(&foreign)).await,
        Err(StoreError::NotFound)
    ));
    for missing in [bobs_clip.id, MediaId::new_random()] {
        let e = event(alice.id, front.id, EventType::Motion, 1, Some(missing));
        assert_eq!(insert(store, &e).await, InsertOutcome::UnknownClip);
        assert_eq!(store.event(alice.id, e.id).await.unwrap(), None);
    }
    assert_eq!(store.pending(&consumer).await.unwrap(), 0);

    // The same event id is a different event for another user.
    let bobs_twin = DoorbellEvent {
        user_id: bob.id,
        device_id: bobs.id,
        media_id: None,
        ..first.clone()
    };
    assert_eq!(
        insert(store, &bobs_twin).await,
        InsertOutcome::Created(bobs_twin.clone())
    );

    // A few more for alice over both devices: a press without clip, a person, a vehicle.
    let press = event(alice.id, front.id, EventType::DoorbellPress, 10, None);
    let person = event(alice.id, back.id, EventType::Person, 20, None);
    let vehicle = event(alice.id, back.id, EventType::Vehicle, 30, None);
    let late_motion = event(alice.id, front.id, EventType::Motion, 40, None);
    for e in [&press, &person, &vehicle, &late_motion] {
        assert!(matches!(insert(store, e).await, InsertOutcome::Created(_)));
    }

    let all = store
        .events(alice.id, &EventQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 5);
    assert_eq!(
        ids(&all.events),
        vec![late_motion.id, vehicle.id, person.id, press.id, first.id],
        "newest first"
    );

    let front_only = EventQuery {
        device: Some(front.id),
        ..EventQuery::default()
    };
    let page = store.events(alice.id, &front_only).await.unwrap();
    assert_eq!(ids(&page.events), vec![late_motion.id, press.id, first.id]);

    let motion = EventQuery {
        event_type: Some(EventType::Motion),
        ..EventQuery::default()
    };
    let page = store.events(alice.id, &motion).await.unwrap();
    assert_eq!(
        (page.total, ids(&page.events)),
        (2, vec![late_motion.id, first.id])
    );

    // Both bounds inclusive.
    let window = EventQuery {
        start: Some(at(10)),
        end: Some(at(30)),
        ..EventQuery::default()
    };
    let page = store.events(alice.id, &window).await.unwrap();
    assert_eq!(ids(&page.events), vec![vehicle.id, person.id, press.id]);

    // Paging: the total is over all pages.
    let mut seen = Vec::new();
    for offset in [0, 2, 4] {
        let page = store
            .events(
                alice.id,
                &EventQuery {
                    limit: 2,
                    offset,
                    ..EventQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 5);
        seen.extend(ids(&page.events));
    }
    assert_eq!(seen, ids(&all.events));

    // Keyset paging: each page starts after the last one's final event; a new event arriving
    // meanwhile (newer than all) does not shift the pages. It comes from a device deleted
    // afterwards, so the rest of the suite sees the five it expects.
    let extra = doorbell(alice.id);
    store
        .create_device(&extra, &format!("tok-{}", extra.id))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store
            .events(
                alice.id,
                &EventQuery {
                    limit: 2,
                    after,
                    ..EventQuery::default()
                },
            )
            .await
            .unwrap();
        pages += 1;
        seen.extend(ids(&page.events));
        if pages == 1 {
            insert(
                store,
                &event(alice.id, extra.id, EventType::Motion, 90, None),
            )
            .await;
        }
        if !page.has_more {
            break;
        }
        after = page
            .events
            .last()
            .map(crate::doorbell_events::EventCursor::of);
    }
    assert_eq!(seen, ids(&all.events));
    assert_eq!(pages, 3);
    assert!(store.delete_device(alice.id, extra.id).await.unwrap());
    let beyond = EventQuery {
        offset: 50,
        ..EventQuery::default()
    };
    let page = store.events(alice.id, &beyond).await.unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.total, 5);

    // Bob sees his own only, even filtering by alice's device.
    let page = store.events(bob.id, &front_only).await.unwrap();
    assert_eq!(page.total, 0);
    let page = store.events(bob.id, &EventQuery::default()).await.unwrap();
    assert_eq!(ids(&page.events), vec![bobs_twin.id]);

    // Deleting the clip leaves the event without one.
    store.delete_media(alice.id, clip.id, &[]).await.unwrap();
    let kept = store
        .event(alice.id, first.id)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(kept.media_id, None);

    // Deleting a device takes its events with it, and only its.
    assert!(store.delete_device(alice.id, back.id).await.unwrap());
    let page = store
        .events(alice.id, &EventQuery::default())
        .await
        .unwrap();
    assert_eq!(ids(&page.events), vec![late_motion.id, press.id, first.id]);
    assert_eq!(page.total, 3);
    assert_eq!(store.event(alice.id, person.id).await.unwrap(), None);
    let gone = EventQuery {
        device: Some(back.id),
        ..EventQuery::default()
    };
    assert_eq!(store.events(alice.id, &gone).await.unwrap().total, 0);
}

fn clip_notice(e: &DoorbellEvent) -> Vec<NewEvent> {
    vec![NewEvent::new(
        Topic::DoorbellClipUpdated,
        &DoorbellEventNotice::of(e, "suite"),
    )]
}

/// The full clip replaces the alert clip once, with one bus event; replays, foreign events and
/// foreign clips write nothing.
async fn clip_updates<S: MetadataStore + DoorbellEventStore + EventBus>(store: &S) {
    let consumer = format!("clips-{}", UserId::new_random());
    store
        .subscribe(&consumer, &[Topic::DoorbellClipUpdated])
        .await
        .unwrap();
    let alice = user(&format!("alice-{}@example.com", UserId::new_random()));
    let bob = user(&format!("bob-{}@example.com", UserId::new_random()));
    store.create_user(&alice).await.unwrap();
    store.create_user(&bob).await.unwrap();
    let (front, side, bobs) = (doorbell(alice.id), doorbell(alice.id), doorbell(bob.id));
    for d in [&front, &side, &bobs] {
        store
            .create_device(d, &format!("tok-{}", d.id))
            .await
            .unwrap();
    }
    let (alert, full, bobs_clip) = (media(alice.id, 6), media(alice.id, 7), media(bob.id, 7));
    for m in [&alert, &full, &bobs_clip] {
        store.commit_media(m, None, &[]).await.unwrap();
    }
    let posted = event(alice.id, front.id, EventType::Person, 0, Some(alert.id));
    assert!(matches!(
        insert(store, &posted).await,
        InsertOutcome::Created(_)
    ));

    let update = ClipUpdate {
        media_id: full.id,
        duration_secs: 25.0,
        confidence: None,
        detections: None,
    };
    let expected = DoorbellEvent {
        media_id: Some(full.id),
        duration_secs: 25.0,
        ..posted.clone()
    };
    // Twice: the same answer, and the bus event written once.
    for _ in 0..2 {
        let outcome = store
            .update_clip(
                alice.id,
                front.id,
                posted.id,
                &update,
                &clip_notice(&expected),
            )
            .await
            .unwrap();
        assert_eq!(outcome, UpdateOutcome::Updated(expected.clone()));
    }
    assert_eq!(
        store.event(alice.id, posted.id).await.unwrap(),
        Some(expected.clone())
    );
    let delivered = store
        .claim(&consumer, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        delivered.len(),
        1,
        "a replayed update notifies nobody twice"
    );
    assert_eq!(delivered[0].topic, Topic::DoorbellClipUpdated);
    let payload: DoorbellEventNotice =
        serde_json::from_value(delivered[0].payload.clone()).expect("notice");
    assert_eq!(
        (payload.event_id, payload.media_id),
        (posted.id, Some(full.id))
    );
    store.ack(&delivered[0]).await.unwrap();

    // Confidence and detections replace the stored ones when given.
    let richer = ClipUpdate {
        confidence: Some(0.5),
        detections: Some(vec![]),
        ..update.clone()
    };
    let expected = DoorbellEvent {
        confidence: Some(0.5),
        detections: vec![],
        ..expected
    };
    assert_eq!(
        store
            .update_clip(
                alice.id,
                front.id,
                posted.id,
                &richer,
                &clip_notice(&expected)
            )
            .await
            .unwrap(),
        UpdateOutcome::Updated(expected.clone())
    );
    assert_eq!(store.pending(&consumer).await.unwrap(), 1);
    for d in store
        .claim(&consumer, 10, Duration::from_secs(30))
        .await
        .unwrap()
    {
        store.ack(&d).await.unwrap();
    }

    // Another user's, another device's or no event; a clip that is not alice's.
    let bobs_event = DoorbellEvent {
        user_id: bob.id,
        device_id: bobs.id,
        media_id: None,
        ..posted.clone()
    };
    assert!(matches!(
        insert(store, &bobs_event).await,
        InsertOutcome::Created(_)
    ));
    let notices = clip_notice(&expected);
    for (who, device, id) in [
        (bob.id, front.id, posted.id),
        (alice.id, side.id, posted.id),
        (alice.id, bobs.id, posted.id),
        (alice.id, front.id, DoorbellEventId::new_random()),
    ] {
        let outcome = store
            .update_clip(who, device, id, &update, &notices)
            .await
            .unwrap();
        assert_eq!(outcome, UpdateOutcome::NotFound);
    }
    for clip in [bobs_clip.id, MediaId::new_random()] {
        let foreign = ClipUpdate {
            media_id: clip,
            ..update.clone()
        };
        let outcome = store
            .update_clip(alice.id, front.id, posted.id, &foreign, &notices)
            .await
            .unwrap();
        assert_eq!(outcome, UpdateOutcome::UnknownClip);
    }
    assert_eq!(
        store.event(alice.id, posted.id).await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        store.event(bob.id, posted.id).await.unwrap(),
        Some(bobs_event)
    );
    assert_eq!(store.pending(&consumer).await.unwrap(), 0);

    // A clip deleted since may be attached again; an event whose device went is gone.
    store.delete_media(alice.id, full.id, &[]).await.unwrap();
    let again = ClipUpdate {
        media_id: alert.id,
        ..richer
    };
    let outcome = store
        .update_clip(alice.id, front.id, posted.id, &again, &notices)
        .await
        .unwrap();
    assert!(
        matches!(&outcome, UpdateOutcome::Updated(e) if e.media_id == Some(alert.id)),
        "{outcome:?}"
    );
    assert!(store.delete_device(alice.id, front.id).await.unwrap());
    let outcome = store
        .update_clip(alice.id, front.id, posted.id, &again, &notices)
        .await
        .unwrap();
    assert_eq!(outcome, UpdateOutcome::NotFound);
    for d in store
        .claim(&consumer, 10, Duration::from_secs(30))
        .await
        .unwrap()
    {
        store.ack(&d).await.unwrap();
    }
}

/// The AI tier's verdict replaces type, detections and confidence, with its bus event, and
/// leaves the rest; a gone event is `None` and writes nothing.
async fn classification<S: MetadataStore + DoorbellEventStore + EventBus>(store: &S) {
    let owner = user(&format!("ai-{}@example.com", UserId::new_random()));
    store.create_user(&owner).await.unwrap();
    let door = doorbell(owner.id);
    store
        .create_device(&door, &format!("tok-{}", door.id))
        .await
        .unwrap();
    let seen = event(owner.id, door.id, EventType::Motion, 5, None);
    insert(store, &seen).await;
    let consumer = format!("classified-{}", UserId::new_random());
    store
        .subscribe(&consumer, &[Topic::DoorbellClassified])
        .await
        .unwrap();
    let verdict = ClipVerdict {
        event_type: EventType::Person,
        detections: vec![Detection {
            label: "person".into(),
            confidence: 0.81,
            x: 0.4,
            y: 0.1,
            w: 0.2,
            h: 0.7,
        }],
        confidence: Some(0.81),
    };
    let notice = vec![NewEvent::new(
        Topic::DoorbellClassified,
        &DoorbellEventNotice::of(&verdict.apply(&seen), "suite"),
    )];
    let classified = store
        .classify(owner.id, seen.id, &verdict, &notice)
        .await
        .unwrap()
        .expect("the event is there");
    assert_eq!(classified, verdict.apply(&seen));
    assert_eq!(classified.event_type, EventType::Person);
    assert_eq!(
        classified.duration_secs, seen.duration_secs,
        "the rest stays"
    );
    assert_eq!(
        store.event(owner.id, seen.id).await.unwrap(),
        Some(classified)
    );
    let delivered = store
        .claim(&consumer, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].topic, Topic::DoorbellClassified);
    let gone = store
        .classify(owner.id, DoorbellEventId::new_random(), &verdict, &notice)
        .await
        .unwrap();
    assert_eq!(gone, None);
    let stranger = user(&format!("x-{}@example.com", UserId::new_random()));
    store.create_user(&stranger).await.unwrap();
    assert_eq!(
        store
            .classify(stranger.id, seen.id, &verdict, &notice)
            .await
            .unwrap(),
        None,
        "another user's event"
    );
    assert!(
        store
            .claim(&consumer, 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty(),
        "nothing written for a gone event"
    );
}
