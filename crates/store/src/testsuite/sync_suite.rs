//! The sync contract: idempotent edits, the change log that every media write feeds, paging
//! that resumes, cursors, status and conflicts, all scoped by user.

use super::{media, user};
use crate::model::*;
use crate::sync::{EditOutcome, SyncStore};
use crate::{LibraryStore, MetadataStore, StoreError};
use chrono::{Duration as Days, Utc};
use sightline_core::media::{DeviceType, MediaKind, MediaStatus};
use sightline_core::sync::{Change, Edit, Field, Hlc, MediaEdits, NodeId, Tag, Title};
use sightline_core::{DeviceId, MediaId, UploadId, UserId};

fn device(user: UserId) -> Device {
    Device {
        id: DeviceId::new_random(),
        user_id: user,
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
    }
}

fn stamp(wall_ms: u64, device: DeviceId) -> Hlc {
    Hlc::new(
        wall_ms,
        0,
        NodeId::parse(&device.to_string()).expect("node"),
    )
    .expect("stamp")
}

fn title(wall_ms: u64, device: DeviceId, text: &str) -> Edit {
    Edit {
        stamp: stamp(wall_ms, device),
        seen: None,
        change: Change::SetTitle {
            title: Some(Title::parse(text).expect("title")),
        },
    }
}

fn add_tag(wall_ms: u64, device: DeviceId, tag: &str) -> Edit {
    Edit {
        stamp: stamp(wall_ms, device),
        seen: None,
        change: Change::AddTag {
            tag: Tag::parse(tag).expect("tag"),
        },
    }
}

/// Reads every page from `since` with `limit`, returning the item ids in order and the end.
async fn drain(sync: &dyn SyncStore, user: UserId, since: i64, limit: u32) -> (Vec<MediaId>, i64) {
    let (mut seen, mut token) = (Vec::new(), since);
    loop {
        let page = sync.changes(user, token, limit).await.expect("changes");
        assert!(page.changes.len() <= limit as usize);
        seen.extend(page.changes.iter().map(|c| c.media_id));
        token = page.next;
        if !page.has_more {
            return (seen, token);
        }
    }
}

pub async fn sync_suite(
    metadata: &dyn MetadataStore,
    sync: &dyn SyncStore,
    library: &dyn LibraryStore,
) {
    let alice = user(&format!("alice-{}@example.com", UserId::new_random()));
    let bob = user(&format!("bob-{}@example.com", UserId::new_random()));
    metadata.create_user(&alice).await.unwrap();
    metadata.create_user(&bob).await.unwrap();
    let (glasses, phone, bobs) = (device(alice.id), device(alice.id), device(bob.id));
    for d in [&glasses, &phone, &bobs] {
        metadata
            .create_device(d, &format!("tok-{}", d.id))
            .await
            .unwrap();
    }

    // Committing media writes the log; another user's log is empty of it.
    let photo = media(alice.id, 3);
    metadata.commit_media(&photo, None, &[]).await.unwrap();
    let (ids, head) = drain(sync, alice.id, 0, 100).await;
    assert_eq!(ids, [photo.id]);
    assert!(head > 0);
    let first = sync.changes(alice.id, 0, 10).await.unwrap();
    assert_eq!(first.changes[0].state, Some(MediaEdits::default()));
    assert!(drain(sync, bob.id, 0, 100).await.0.is_empty());

    // Edits apply, merge and log (and make cached memories stale); a replay changes nothing.
    let version = library.library_version(alice.id).await.unwrap();
    let edits = vec![
        (photo.id, title(1_000, glasses.id, "Beach")),
        (photo.id, add_tag(1_001, glasses.id, "Sunset")),
    ];
    let applied = sync.apply_edits(alice.id, &edits).await.unwrap();
    assert_eq!(
        applied.outcomes,
        [EditOutcome::Applied, EditOutcome::Applied]
    );
    assert!(library.library_version(alice.id).await.unwrap() > version);
    let view = applied.states[0].1.visible();
    assert_eq!(view.title.as_deref(), Some("Beach"));
    assert_eq!(view.tags, ["sunset"]);
    let after_edits = sync.changes(alice.id, head, 10).await.unwrap();
    assert_eq!(after_edits.changes.len(), 1, "one entry per item");
    assert_eq!(
        after_edits.changes[0].state.as_ref(),
        Some(&applied.states[0].1)
    );
    let head = after_edits.next;
    let replay = sync.apply_edits(alice.id, &edits).await.unwrap();
    assert_eq!(
        replay.outcomes,
        [EditOutcome::Duplicate, EditOutcome::Duplicate]
    );
    assert_eq!(replay.states, applied.states);
    assert!(
        sync.changes(alice.id, head, 10)
            .await
            .unwrap()
            .changes
            .is_empty(),
        "a replay is not a change"
    );

    // A stamp reused for another edit fails the whole batch.
    let reused = vec![
        (photo.id, add_tag(2_000, glasses.id, "other")),
        (photo.id, title(1_000, glasses.id, "Not beach")),
    ];
    assert!(matches!(
        sync.apply_edits(alice.id, &reused).await,
        Err(StoreError::Conflict(_))
    ));
    let states = sync.synced(alice.id, &[photo.id]).await.unwrap();
    assert_eq!(
        states[&photo.id].visible().tags,
        ["sunset"],
        "nothing written"
    );

    // Another user's item is not found, and their view stays empty.
    let foreign = sync
        .apply_edits(bob.id, &[(photo.id, title(3_000, bobs.id, "Mine"))])
        .await
        .unwrap();
    assert_eq!(foreign.outcomes, [EditOutcome::NotFound]);
    assert!(foreign.states.is_empty());
    assert!(sync.synced(bob.id, &[photo.id]).await.unwrap().is_empty());

    // A concurrent title from the phone, which had not seen the glasses' one: a conflict.
    let concurrent = sync
        .apply_edits(alice.id, &[(photo.id, title(1_500, phone.id, "Lisbon"))])
        .await
        .unwrap();
    assert_eq!(concurrent.new_conflicts.len(), 1);
    assert_eq!(concurrent.new_conflicts[0].1.field, Field::Title);
    assert_eq!(
        concurrent.states[0].1.visible().title.as_deref(),
        Some("Lisbon")
    );
    let conflicted = sync.conflicted(alice.id).await.unwrap();
    assert_eq!(conflicted.len(), 1);
    assert_eq!(conflicted[0].0, photo.id);
    assert!(sync.conflicted(bob.id).await.unwrap().is_empty());

    // Paging with a small limit resumes where it stopped and sees each item once; an item
    // changed after a page was read shows up again later.
    let mut more = Vec::new();
    for day in 4..9 {
        let m = media(alice.id, day);
        metadata.commit_media(&m, None, &[]).await.unwrap();
        more.push(m.id);
    }
    let (ids, _) = drain(sync, alice.id, 0, 2).await;
    let mut expected = vec![photo.id];
    expected.extend(&more);
    assert_eq!(ids, expected);
    let page = sync.changes(alice.id, 0, 2).await.unwrap();
    assert!(page.has_more);
    assert_eq!(page.changes.len(), 2);
    metadata
        .update_media(
            alice.id,
            photo.id,
            &ProcessingUpdate::status(MediaStatus::Ready),
            &[],
        )
        .await
        .unwrap();
    let (rest, end) = drain(sync, alice.id, page.next, 2).await;
    assert_eq!(rest.last(), Some(&photo.id), "updated after the first page");
    assert_eq!(rest.len(), 5);
    let empty = sync.changes(alice.id, end, 2).await.unwrap();
    assert!(empty.changes.is_empty() && !empty.has_more);
    assert_eq!(empty.next, end);

    // Deleting an item leaves a tombstone; its edits are gone with it.
    let gone = more[0];
    metadata.delete_media(alice.id, gone, &[]).await.unwrap();
    let page = sync.changes(alice.id, end, 10).await.unwrap();
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].media_id, gone);
    assert_eq!(page.changes[0].state, None);
    let late = sync
        .apply_edits(alice.id, &[(gone, title(4_000, glasses.id, "late"))])
        .await
        .unwrap();
    assert_eq!(late.outcomes, [EditOutcome::NotFound]);

    // Compaction drops only superseded entries: from any token, every reader sees the same
    // items at the same latest changes, the tombstone included.
    let tokens = [0, head, page.next, end];
    let mut before = Vec::new();
    for since in tokens {
        before.push(sync.changes(alice.id, since, 100).await.unwrap());
    }
    assert_eq!(sync.compact_log(1).await.unwrap(), 1, "at most the limit");
    let rest = sync.compact_log(10_000).await.unwrap();
    assert!(rest > 0, "the photo's earlier entries");
    assert_eq!(sync.compact_log(10_000).await.unwrap(), 0);
    for (since, earlier) in tokens.into_iter().zip(&before) {
        assert_eq!(&sync.changes(alice.id, since, 100).await.unwrap(), earlier);
    }

    // Cursors, status and sync runs, per device and scoped by user.
    assert!(matches!(
        sync.sync_status(alice.id, bobs.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        sync.start_sync(bob.id, glasses.id, Utc::now()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        sync.record_pull(bob.id, glasses.id, 1, true, Utc::now())
            .await,
        Err(StoreError::NotFound)
    ));
    let fresh = sync.sync_status(alice.id, glasses.id).await.unwrap();
    assert_eq!(fresh.cursor.acked_seq, 0);
    assert_eq!(fresh.cursor.last_sync_at, None);
    assert!(!fresh.cursor.in_progress);
    assert_eq!(
        fresh.pending_downloads, 6,
        "every item once, tombstone included"
    );

    let pending = PendingMedia {
        media_id: MediaId::new_random(),
        kind: MediaKind::Photo,
        captured_at: None,
        location: None,
        device_id: Some(glasses.id),
        filename: None,
        sha256: None,
    };
    metadata
        .create_upload(&Upload {
            id: UploadId::new_random(),
            user_id: alice.id,
            length: 10,
            offset: 0,
            media: pending,
            created_at: Utc::now(),
            expires_at: Utc::now() + Days::days(1),
            completed: false,
        })
        .await
        .unwrap();
    let started = sync
        .start_sync(alice.id, glasses.id, Utc::now())
        .await
        .unwrap();
    assert!(started.in_progress);
    let now = Utc::now();
    let mid = sync.changes(alice.id, 0, 2).await.unwrap();
    let cursor = sync
        .record_pull(alice.id, glasses.id, mid.next, false, now)
        .await
        .unwrap();
    assert!(cursor.in_progress, "not at the end yet");
    assert_eq!(cursor.acked_seq, mid.next);
    let status = sync.sync_status(alice.id, glasses.id).await.unwrap();
    assert_eq!(status.pending_uploads, 1);
    assert_eq!(status.pending_downloads, 4);
    assert!(status.cursor.in_progress);
    assert_eq!(
        status.cursor.last_sync_at.map(|t| t.timestamp_millis()),
        Some(now.timestamp_millis())
    );
    let done = sync
        .record_pull(alice.id, glasses.id, page.next, true, now)
        .await
        .unwrap();
    assert!(!done.in_progress);
    let status = sync.sync_status(alice.id, glasses.id).await.unwrap();
    assert_eq!(status.pending_downloads, 0);
    assert_eq!(
        sync.sync_status(alice.id, phone.id)
            .await
            .unwrap()
            .pending_uploads,
        0,
        "uploads are counted per device"
    );
    let device = metadata
        .device(alice.id, glasses.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        device.last_sync_at.map(|t| t.timestamp_millis()),
        Some(now.timestamp_millis()),
        "the devices table shows the last sync too"
    );

    // Deleting a device drops its cursor.
    assert!(metadata.delete_device(alice.id, glasses.id).await.unwrap());
    assert!(matches!(
        sync.sync_status(alice.id, glasses.id).await,
        Err(StoreError::NotFound)
    ));
}
