//! One contract test suite per trait, run against every implementation. Server-backed
//! implementations run it when their `*_TEST_URL` is set.

use crate::bus::EventBus;
use crate::model::*;
use crate::{BlobStore, MetadataStore, StoreError};
use chrono::{Duration as Days, TimeZone, Utc};
use sightline_core::event::{MediaEvent, NewEvent, Topic};
use sightline_core::media::{DeviceType, MediaKind, MediaStatus};
use sightline_core::range::ByteRange;
use sightline_core::{DeviceId, MediaId, UploadId, UserId};
use std::time::Duration;
use tokio::io::AsyncReadExt;

mod doorbell_suite;
mod notification_suite;
mod retention_suite;
mod sync_suite;
pub use doorbell_suite::doorbell_events_suite;
pub use notification_suite::{cooldown_survives_restart, notifications_suite};
pub use retention_suite::retention_suite;
pub use sync_suite::sync_suite;

/// Bytes that differ at every shift, for tests of file writers (a misplaced block shows).
pub fn distinct_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u64).wrapping_mul(0x9E37_79B9) >> 11) as u8 ^ seed)
        .collect()
}

pub fn user(email: &str) -> User {
    User {
        id: UserId::new_random(),
        email: email.to_string(),
        password_hash: "argon2-hash".into(),
        created_at: Utc::now(),
    }
}

pub fn media(user: UserId, captured_day: u32) -> Media {
    let at = Utc
        .with_ymd_and_hms(2024, 7, captured_day, 12, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    Media {
        id: MediaId::new_random(),
        user_id: user,
        kind: MediaKind::Photo,
        status: MediaStatus::Pending,
        failure_reason: None,
        filename: Some("a.jpg".into()),
        device_id: None,
        captured_at: at,
        captured_at_from_client: true,
        location: None,
        size_bytes: 3,
        raw_key: format!("raw/{user}/x.jpg"),
        facts: None,
        thumbnail_key: None,
        preview_key: None,
        rendition_key: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

/// The `media.uploaded` event of `m`.
pub fn uploaded(m: &Media) -> NewEvent {
    NewEvent::media(
        Topic::MediaUploaded,
        &MediaEvent::new(m.user_id, m.id, "test"),
    )
}

/// Users, devices, uploads and media, including isolation between users.
pub async fn metadata_suite(store: &dyn MetadataStore) {
    let alice = user(&format!("alice-{}@example.com", UserId::new_random()));
    let bob = user(&format!("bob-{}@example.com", UserId::new_random()));
    store.create_user(&alice).await.expect("create alice");
    store.create_user(&bob).await.expect("create bob");
    assert!(matches!(
        store.create_user(&user(&alice.email)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .user_by_email(&alice.email)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(alice.id)
    );

    // Refresh tokens are single use and expire.
    store
        .insert_refresh_token("r1", alice.id, Utc::now() + Days::days(1))
        .await
        .unwrap();
    store
        .insert_refresh_token("r2", alice.id, Utc::now() - Days::days(1))
        .await
        .unwrap();
    assert_eq!(
        store.take_refresh_token("r1", Utc::now()).await.unwrap(),
        Some(alice.id)
    );
    assert_eq!(
        store.take_refresh_token("r1", Utc::now()).await.unwrap(),
        None
    );
    assert_eq!(
        store.take_refresh_token("r2", Utc::now()).await.unwrap(),
        None
    );

    // Devices are scoped to their owner; deleting revokes the token.
    let device = Device {
        id: DeviceId::new_random(),
        user_id: alice.id,
        device_type: DeviceType::SmartGlass,
        name: "glasses".into(),
        firmware_version: None,
        battery_level: None,
        connectivity: None,
        last_sync_at: None,
        settings: Default::default(),
        settings_version: 0,
        last_seen_at: None,
        telemetry: None,
        created_at: Utc::now(),
    };
    let token = format!("tok-{}", device.id);
    store.create_device(&device, &token).await.unwrap();
    assert!(store.device(bob.id, device.id).await.unwrap().is_none());
    let report = DeviceReport {
        battery_level: Some(42),
        ..Default::default()
    };
    assert!(
        store
            .report_device(bob.id, device.id, &report)
            .await
            .unwrap()
            .is_none()
    );
    let reported = store
        .report_device(alice.id, device.id, &report)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reported.battery_level, Some(42));
    assert_eq!(
        store.device_by_token(&token).await.unwrap().map(|d| d.id),
        Some(device.id)
    );
    // Presence is kept for a restart; a report without it leaves it as it was.
    let seen = Utc.timestamp_millis_opt(1_790_000_000_000).unwrap();
    let beat = DeviceReport {
        seen_at: Some(seen),
        telemetry: Some(serde_json::json!({"power_mode": "balanced"})),
        ..Default::default()
    };
    store
        .report_device(alice.id, device.id, &beat)
        .await
        .unwrap();
    store
        .report_device(alice.id, device.id, &report)
        .await
        .unwrap();
    let kept = store.device(alice.id, device.id).await.unwrap().unwrap();
    assert_eq!(kept.last_seen_at, Some(seen));
    assert_eq!(kept.telemetry, beat.telemetry);
    // Settings belong to the owner; each change bumps the version.
    let settings = AgentSettings {
        video_kbps: Some(1500),
        ..Default::default()
    };
    assert!(
        store
            .set_device_settings(bob.id, device.id, &settings, None)
            .await
            .unwrap()
            .is_none()
    );
    let set = store
        .set_device_settings(alice.id, device.id, &settings, Some(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((set.settings.clone(), set.settings_version), (settings, 1));
    // A change made from version 0 lost the race: refused, nothing written.
    assert!(matches!(
        store
            .set_device_settings(alice.id, device.id, &AgentSettings::default(), Some(0))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .set_device_settings(bob.id, device.id, &AgentSettings::default(), Some(1))
            .await
            .unwrap()
            .is_none(),
        "another user's device is not found, whatever the version"
    );
    let cleared = store
        .set_device_settings(alice.id, device.id, &AgentSettings::default(), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.settings_version, 2);
    let read = store.device(alice.id, device.id).await.unwrap().unwrap();
    assert_eq!(read.settings, AgentSettings::default());
    assert_eq!(read.battery_level, Some(42));
    assert!(!store.delete_device(bob.id, device.id).await.unwrap());
    assert!(store.delete_device(alice.id, device.id).await.unwrap());
    assert!(store.device_by_token(&token).await.unwrap().is_none());

    // A second creation with the same media id returns the first upload.
    let media_id = MediaId::new_random();
    let pending = PendingMedia {
        media_id,
        kind: MediaKind::Video,
        captured_at: None,
        location: None,
        device_id: None,
        filename: Some("v.mp4".into()),
        sha256: None,
    };
    let new_upload = |length| Upload {
        id: UploadId::new_random(),
        user_id: alice.id,
        length,
        offset: 0,
        media: pending.clone(),
        created_at: Utc::now(),
        expires_at: Utc::now() - Days::seconds(1),
        completed: false,
    };
    assert!(!store.media_id_in_use(alice.id, media_id).await.unwrap());
    let first = store.create_upload(&new_upload(10)).await.unwrap();
    assert!(store.media_id_in_use(alice.id, media_id).await.unwrap());
    assert!(!store.media_id_in_use(bob.id, media_id).await.unwrap());
    let second = store.create_upload(&new_upload(10)).await.unwrap();
    assert_eq!(first.id, second.id);
    assert!(store.upload(bob.id, first.id).await.unwrap().is_none());
    store.set_upload_offset(first.id, 4).await.unwrap();
    assert_eq!(
        store
            .upload(alice.id, first.id)
            .await
            .unwrap()
            .unwrap()
            .offset,
        4
    );
    assert!(
        store
            .expired_uploads(Utc::now(), 10)
            .await
            .unwrap()
            .iter()
            .any(|u| u.id == first.id)
    );

    // Commit is idempotent per media id and completes the upload.
    let mut item = media(alice.id, 10);
    item.id = media_id;
    assert_eq!(
        store
            .commit_media(&item, Some(&first), &[uploaded(&item)])
            .await
            .unwrap(),
        CommitOutcome::Created
    );
    assert_eq!(
        store
            .commit_media(&item, Some(&first), &[uploaded(&item)])
            .await
            .unwrap(),
        CommitOutcome::AlreadyExists
    );
    let done = store.upload(alice.id, first.id).await.unwrap().unwrap();
    assert!(done.completed && done.offset == 10);
    assert_eq!(
        store
            .upload_by_media(alice.id, media_id)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(first.id)
    );
    assert!(
        store
            .upload_by_media(bob.id, media_id)
            .await
            .unwrap()
            .is_none()
    );

    // An item without an upload record (a one-shot upload) takes its media id too.
    let lone = media(alice.id, 12);
    assert!(!store.media_id_in_use(alice.id, lone.id).await.unwrap());
    store.commit_media(&lone, None, &[]).await.unwrap();
    assert!(store.media_id_in_use(alice.id, lone.id).await.unwrap());
    assert!(!store.media_id_in_use(bob.id, lone.id).await.unwrap());
    store.delete_media(alice.id, lone.id, &[]).await.unwrap();

    // A creation that carried the whole file is stored by the commit itself, complete.
    let mut whole = media(alice.id, 11);
    let mut carried = new_upload(3);
    carried.media.media_id = whole.id;
    whole.size_bytes = 3;
    store
        .commit_media(&whole, Some(&carried), &[uploaded(&whole)])
        .await
        .unwrap();
    let stored = store
        .upload(alice.id, carried.id)
        .await
        .unwrap()
        .expect("inserted by the commit");
    assert!(stored.completed && stored.offset == 3);
    store.delete_media(alice.id, whole.id, &[]).await.unwrap();
    assert!(
        !store.delete_upload(alice.id, first.id).await.unwrap(),
        "completed uploads stay"
    );
    assert!(store.media(bob.id, media_id).await.unwrap().is_none());

    // Start-up recovery looks at what every user committed lately, oldest first.
    let cutoff = Utc::now();
    let mut before = media(bob.id, 5);
    before.created_at = cutoff - chrono::Duration::hours(1);
    let mut late = media(bob.id, 6);
    late.created_at = cutoff + chrono::Duration::milliseconds(5);
    let mut later = media(alice.id, 7);
    later.created_at = cutoff + chrono::Duration::milliseconds(9);
    for m in [&later, &before, &late] {
        store.commit_media(m, None, &[]).await.unwrap();
    }
    let recent: Vec<MediaId> = store
        .media_committed_since(cutoff, 100)
        .await
        .unwrap()
        .iter()
        .filter(|m| [late.id, later.id, before.id].contains(&m.id))
        .map(|m| m.id)
        .collect();
    assert_eq!(recent, vec![late.id, later.id]);
    assert_eq!(
        store.media_committed_since(cutoff, 1).await.unwrap().len(),
        1
    );
    for m in [&before, &late] {
        store.delete_media(bob.id, m.id, &[]).await.unwrap();
    }
    store.delete_media(alice.id, later.id, &[]).await.unwrap();

    // Listing: newest first, cursor pagination, filters.
    for day in [1, 2, 3, 4] {
        let m = media(alice.id, day);
        store.commit_media(&m, None, &[]).await.unwrap();
    }
    let page1 = store
        .list_media(
            alice.id,
            &MediaQuery {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page1.len(), 2);
    assert_eq!(page1[0].id, media_id, "day 10 first");
    let last = &page1[1];
    let after = MediaCursor {
        captured_at_ms: last.captured_at.timestamp_millis(),
        id: last.id,
    };
    let page2 = store
        .list_media(
            alice.id,
            &MediaQuery {
                limit: 10,
                after: Some(after),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page2.len(), 3);
    assert!(page2.iter().all(|m| m.captured_at < last.captured_at));
    let videos = MediaQuery {
        limit: 10,
        kind: Some(MediaKind::Video),
        ..Default::default()
    };
    assert!(
        store
            .list_media(alice.id, &videos)
            .await
            .unwrap()
            .is_empty()
    );
    let july_2_3 = MediaQuery {
        limit: 10,
        from: Utc.with_ymd_and_hms(2024, 7, 2, 0, 0, 0).single(),
        to: Utc.with_ymd_and_hms(2024, 7, 4, 0, 0, 0).single(),
        ..Default::default()
    };
    assert_eq!(
        store.list_media(alice.id, &july_2_3).await.unwrap().len(),
        2
    );
    assert!(
        store
            .list_media(
                bob.id,
                &MediaQuery {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );

    // Processing updates and deletion are scoped too.
    let failed = ProcessingUpdate::failed("not a video");
    assert!(
        store
            .update_media(bob.id, media_id, &failed, &[])
            .await
            .unwrap()
            .is_none()
    );
    let updated = store
        .update_media(alice.id, media_id, &failed, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.status, MediaStatus::Failed);
    assert_eq!(updated.failure_reason.as_deref(), Some("not a video"));
    assert!(
        store
            .delete_media(bob.id, media_id, &[])
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .delete_media(alice.id, media_id, &[])
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.media(alice.id, media_id).await.unwrap().is_none());
    assert!(store.upload(alice.id, first.id).await.unwrap().is_none());
}

/// Delivery, leases, retries and dead letters. `store` must be both metadata store and bus,
/// because events are written with the data.
pub async fn bus_suite<S: MetadataStore + EventBus>(store: &S) {
    let consumer = format!("suite-{}", UserId::new_random());
    store
        .subscribe(&consumer, &[Topic::MediaUploaded])
        .await
        .unwrap();
    store
        .subscribe(&consumer, &[Topic::MediaUploaded])
        .await
        .unwrap();
    let alice = user(&format!("bus-{}@example.com", UserId::new_random()));
    store.create_user(&alice).await.unwrap();
    let item = media(alice.id, 5);
    store
        .commit_media(&item, None, &[uploaded(&item)])
        .await
        .unwrap();
    store
        .publish(&[NewEvent::media(
            Topic::MediaReady,
            &MediaEvent::new(alice.id, item.id, "x"),
        )])
        .await
        .unwrap();

    let lease = Duration::from_millis(300);
    assert_eq!(store.pending(&consumer).await.unwrap(), 1);
    assert_eq!(store.pending("nobody").await.unwrap(), 0);
    let claimed = store.claim(&consumer, 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 1, "only the subscribed topic, once");
    let delivery = &claimed[0];
    assert_eq!(delivery.topic, Topic::MediaUploaded);
    assert_eq!(delivery.attempts, 1);
    assert_eq!(delivery.payload["media_id"], item.id.to_string());
    assert!(
        store.claim(&consumer, 10, lease).await.unwrap().is_empty(),
        "leased"
    );

    // An expired lease is redelivered with the attempt counted.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = store.claim(&consumer, 10, lease).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);

    // Retry later: not due now.
    store
        .retry(&again[0], "busy", Utc::now() + Days::seconds(60))
        .await
        .unwrap();
    assert!(store.claim(&consumer, 10, lease).await.unwrap().is_empty());
    store.retry(&again[0], "busy", Utc::now()).await.unwrap();
    let third = store.claim(&consumer, 10, lease).await.unwrap();
    assert_eq!(third.len(), 1);

    store.dead_letter(&third[0], "gave up: boom").await.unwrap();
    assert!(
        store
            .claim(&consumer, 10, Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = store.dead_letters(100).await.unwrap();
    let ours = dead
        .iter()
        .find(|d| d.consumer == consumer)
        .expect("listed");
    assert_eq!(ours.last_error.as_deref(), Some("gave up: boom"));
    assert_eq!(ours.attempts, 3);

    // Acknowledged deliveries are gone for good.
    let other = media(alice.id, 6);
    store
        .commit_media(&other, None, &[uploaded(&other)])
        .await
        .unwrap();
    let fresh = store.claim(&consumer, 10, lease).await.unwrap();
    assert_eq!(fresh.len(), 1);
    store.ack(&fresh[0]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(store.claim(&consumer, 10, lease).await.unwrap().is_empty());
}

/// Put, read whole and by range, list, delete; hostile keys rejected.
async fn read_all(blobs: &dyn BlobStore, key: &str) -> Vec<u8> {
    let mut whole = Vec::new();
    let mut reader = blobs.open(key, None).await.unwrap();
    reader.read_to_end(&mut whole).await.unwrap();
    whole
}

pub async fn blob_suite(blobs: &dyn BlobStore) {
    let prefix = format!("processed/{}/m1/", UserId::new_random());
    let key = format!("{prefix}thumb.jpg");
    blobs
        .put_bytes(&key, bytes::Bytes::from_static(b"0123456789"))
        .await
        .unwrap();
    assert_eq!(blobs.size(&key).await.unwrap(), Some(10));

    assert_eq!(read_all(blobs, &key).await, b"0123456789");
    let mut part = Vec::new();
    blobs
        .open(&key, Some(ByteRange { start: 2, end: 5 }))
        .await
        .unwrap()
        .read_to_end(&mut part)
        .await
        .unwrap();
    assert_eq!(part, b"2345");

    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("incoming.bin");
    std::fs::write(&source, b"abc").unwrap();
    let second = format!("{prefix}rendition.mp4");
    assert_eq!(blobs.put_file(&second, &source).await.unwrap(), 3);
    assert!(!source.exists(), "put_file consumes its source");
    // A placed blob is readable before its sync is awaited.
    std::fs::write(&source, b"placed").unwrap();
    let third = format!("{prefix}preview.jpg");
    let placed = blobs.place_file(&third, &source).await.unwrap();
    assert_eq!(placed.size(), 6);
    assert_eq!(blobs.size(&third).await.unwrap(), Some(6));
    assert_eq!(placed.synced().await.unwrap(), 6);
    assert!(!source.exists(), "place_file consumes its source");
    let placed = blobs
        .place_bytes(
            &third,
            vec![
                bytes::Bytes::from_static(b"in "),
                bytes::Bytes::from_static(b"memory"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(placed.synced().await.unwrap(), 9, "replaces what was there");
    assert_eq!(blobs.size(&third).await.unwrap(), Some(9));
    assert_eq!(blobs.make_durable(&third).await.unwrap(), Some(9));
    // A new blob is placed only where nothing is.
    let refused = blobs
        .place_new_bytes(&third, vec![bytes::Bytes::from_static(b"other")])
        .await
        .unwrap();
    assert!(refused.is_none(), "an existing blob is never replaced");
    assert_eq!(read_all(blobs, &third).await, b"in memory");
    blobs.delete(&third).await.unwrap();
    let placed = blobs
        .place_new_bytes(&third, vec![bytes::Bytes::from_static(b"fresh")])
        .await
        .unwrap()
        .expect("nothing was at the key");
    assert_eq!(placed.synced().await.unwrap(), 5);
    assert_eq!(read_all(blobs, &third).await, b"fresh");
    blobs.delete(&third).await.unwrap();
    assert_eq!(blobs.make_durable(&third).await.unwrap(), None);
    let copy = dir.path().join("copy.bin");
    blobs.download_to(&second, &copy).await.unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), b"abc");
    assert_eq!(
        blobs.list(&prefix).await.unwrap(),
        vec![second.clone(), key.clone()]
    );

    blobs.delete(&key).await.unwrap();
    blobs.delete(&key).await.unwrap();
    assert_eq!(blobs.size(&key).await.unwrap(), None);
    assert!(matches!(
        blobs.open(&key, None).await,
        Err(StoreError::NotFound)
    ));
    blobs.delete_prefix(&prefix).await.unwrap();
    assert!(blobs.list(&prefix).await.unwrap().is_empty());

    for hostile in ["../etc/passwd", "/abs", "a//b", "a/./b"] {
        assert!(
            matches!(blobs.size(hostile).await, Err(StoreError::InvalidKey(_))),
            "{hostile}"
        );
    }
}

fn person(name: &str, relationship: Option<&str>, is_me: bool) -> crate::library::Person {
    crate::library::Person {
        id: sightline_core::PersonId::new_random(),
        name: name.into(),
        relationship: relationship.map(str::to_string),
        is_me,
        birthday: None,
        created_at: Utc::now(),
    }
}

/// People, appearances, places, annotations, memories and the library version, including
/// isolation between users. `metadata` and `library` are the same backend.
pub async fn library_suite(metadata: &dyn MetadataStore, library: &dyn crate::LibraryStore) {
    use crate::library::*;
    let alice = user(&format!("alice-{}@example.com", UserId::new_random()));
    let bob = user(&format!("bob-{}@example.com", UserId::new_random()));
    metadata.create_user(&alice).await.unwrap();
    metadata.create_user(&bob).await.unwrap();
    let v0 = library.library_version(alice.id).await.unwrap();

    // People: one "me" per user; moving "me" clears the old one.
    let me = person("Alex", None, true);
    let wife = person("Anna", Some("wife"), false);
    library.create_person(alice.id, &me, &[]).await.unwrap();
    library.create_person(alice.id, &wife, &[]).await.unwrap();
    let second_me = person("Other", None, true);
    assert!(matches!(
        library.create_person(alice.id, &second_me, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    let v1 = library.library_version(alice.id).await.unwrap();
    assert!(v1 > v0, "adding people bumps the version");
    let people = library.people(alice.id).await.unwrap();
    assert_eq!(
        people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Alex", "Anna"]
    );
    assert!(library.people(bob.id).await.unwrap().is_empty());
    assert_eq!(library.person(bob.id, wife.id).await.unwrap(), None);

    let patch = PersonPatch {
        name: Some("Anna Maria".into()),
        birthday: Some(chrono::NaiveDate::from_ymd_opt(1991, 5, 2)),
        ..Default::default()
    };
    let renamed = library
        .update_person(alice.id, wife.id, &patch, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.name, "Anna Maria");
    assert_eq!(renamed.relationship.as_deref(), Some("wife"));
    assert!(
        library
            .update_person(bob.id, wife.id, &patch, &[])
            .await
            .unwrap()
            .is_none()
    );

    // Appearances: only on one's own media and people.
    let photo = media(alice.id, 3);
    metadata.commit_media(&photo, None, &[]).await.unwrap();
    let bobs_photo = media(bob.id, 3);
    metadata.commit_media(&bobs_photo, None, &[]).await.unwrap();
    let whole = NewAppearance {
        media_id: photo.id,
        person_id: wife.id,
        start_secs: None,
        end_secs: None,
    };
    let added = library.add_appearance(alice.id, &whole, &[]).await.unwrap();
    assert_eq!(added.person_id, wife.id);
    let foreign = NewAppearance {
        media_id: bobs_photo.id,
        ..whole.clone()
    };
    assert!(matches!(
        library.add_appearance(alice.id, &foreign, &[]).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        library.add_appearance(bob.id, &whole, &[]).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        library.media_with(alice.id, wife.id).await.unwrap(),
        [photo.id]
    );
    assert!(
        library
            .remove_appearance(bob.id, added.id, &[])
            .await
            .unwrap()
            .is_none()
    );

    // Merge: appearances move, "me" and missing fields carry over, duplicates collapse.
    let twin = person("Annie", None, false);
    library.create_person(alice.id, &twin, &[]).await.unwrap();
    let twin_whole = NewAppearance {
        person_id: twin.id,
        ..whole.clone()
    };
    library
        .add_appearance(alice.id, &twin_whole, &[])
        .await
        .unwrap();
    let ranged = NewAppearance {
        person_id: twin.id,
        start_secs: Some(2.0),
        end_secs: Some(9.0),
        ..whole.clone()
    };
    library
        .add_appearance(alice.id, &ranged, &[])
        .await
        .unwrap();
    let kept = library
        .merge_people(alice.id, wife.id, twin.id, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.name, "Anna Maria");
    assert!(library.person(alice.id, twin.id).await.unwrap().is_none());
    let spans = library.appearances_in(alice.id, photo.id).await.unwrap();
    assert_eq!(
        spans.len(),
        2,
        "the duplicate whole-item appearance collapsed"
    );
    assert!(spans.iter().all(|a| a.person_id == wife.id));
    assert!(
        library
            .merge_people(alice.id, wife.id, wife.id, &[])
            .await
            .is_err()
    );

    // Moving "me".
    let moved = PersonPatch {
        is_me: Some(true),
        ..Default::default()
    };
    library
        .update_person(alice.id, wife.id, &moved, &[])
        .await
        .unwrap();
    let mine: Vec<_> = library
        .people(alice.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.is_me)
        .map(|p| p.id)
        .collect();
    assert_eq!(mine, [wife.id]);

    // Places.
    let home = Place {
        id: sightline_core::PlaceId::new_random(),
        name: "home".into(),
        lat: 48.85,
        lon: 2.35,
        radius_m: 150.0,
        created_at: Utc::now(),
    };
    library.create_place(alice.id, &home, &[]).await.unwrap();
    assert_eq!(library.places(alice.id).await.unwrap().len(), 1);
    assert!(library.places(bob.id).await.unwrap().is_empty());
    assert!(!library.delete_place(bob.id, home.id, &[]).await.unwrap());

    // Annotations only for existing media of the user.
    let notes = Annotations {
        city: Some("Paris".into()),
        country_code: Some("FR".into()),
        nearby: vec!["Neuilly-sur-Seine".into()],
        interest: Some("{\"seconds\":[]}".into()),
        ..Default::default()
    };
    let before = library.library_version(alice.id).await.unwrap();
    library
        .set_annotations(alice.id, photo.id, &notes)
        .await
        .unwrap();
    assert!(library.library_version(alice.id).await.unwrap() > before);
    assert_eq!(
        library.annotations(alice.id, photo.id).await.unwrap(),
        Some(notes.clone())
    );
    let names = library.place_names(alice.id).await.unwrap();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0].city.as_deref(), Some("Paris"));
    assert_eq!(names[0].interest, None);
    assert!(library.place_names(bob.id).await.unwrap().is_empty());
    assert!(matches!(
        library.set_annotations(bob.id, photo.id, &notes).await,
        Err(StoreError::NotFound)
    ));

    // Memories and the cache lookup.
    let version = library.library_version(alice.id).await.unwrap();
    let memory = Memory {
        id: sightline_core::MemoryId::new_random(),
        user_id: alice.id,
        query: "Paris".into(),
        cache_key: "place:paris|120".into(),
        understood: serde_json::json!({"places": ["Paris"]}),
        max_duration_secs: 120,
        library_version: version,
        status: MemoryStatus::Queued,
        reason: None,
        clips: serde_json::Value::Null,
        video_key: None,
        thumbnail_key: None,
        duration_secs: None,
        render_ms: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    library.insert_memory(&memory, &[]).await.unwrap();
    let hit = library
        .cached_memory(alice.id, &memory.cache_key, version)
        .await
        .unwrap();
    assert_eq!(hit.map(|m| m.id), Some(memory.id));
    assert!(
        library
            .cached_memory(alice.id, &memory.cache_key, version + 1)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        library
            .cached_memory(bob.id, &memory.cache_key, version)
            .await
            .unwrap()
            .is_none()
    );
    let done = MemoryUpdate {
        status: MemoryStatus::Ready,
        reason: None,
        clips: serde_json::json!([{"media_id": photo.id}]),
        video_key: Some("memories/x.mp4".into()),
        thumbnail_key: None,
        duration_secs: Some(61.5),
        render_ms: Some(900),
    };
    let updated = library
        .update_memory(alice.id, memory.id, &done, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.status, MemoryStatus::Ready);
    assert_eq!(updated.duration_secs, Some(61.5));
    assert!(
        library
            .update_memory(bob.id, memory.id, &done, &[])
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(library.memories(alice.id, 10).await.unwrap().len(), 1);
    let failed = MemoryUpdate {
        status: MemoryStatus::Failed,
        ..done.clone()
    };
    library
        .update_memory(alice.id, memory.id, &failed, &[])
        .await
        .unwrap();
    assert!(
        library
            .cached_memory(alice.id, &memory.cache_key, version)
            .await
            .unwrap()
            .is_none(),
        "a failed memory is never a cache hit"
    );
    assert!(
        library
            .delete_memory(bob.id, memory.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        library
            .delete_memory(alice.id, memory.id)
            .await
            .unwrap()
            .is_some()
    );

    // Deleting media cascades to its appearances and annotations and bumps the version.
    let before = library.library_version(alice.id).await.unwrap();
    metadata
        .delete_media(alice.id, photo.id, &[])
        .await
        .unwrap();
    assert!(library.library_version(alice.id).await.unwrap() > before);
    assert!(
        library
            .appearances_in(alice.id, photo.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(library.annotations(alice.id, photo.id).await.unwrap(), None);

    // Deleting a person removes their appearances.
    assert!(library.delete_person(alice.id, wife.id, &[]).await.unwrap());
    assert!(!library.delete_person(alice.id, wife.id, &[]).await.unwrap());
}
