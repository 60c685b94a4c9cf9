//! The shared contract suites against the embedded and in-memory implementations.

use sightline_store::blob::{LocalFsBlobStore, MemoryBlobStore};
use sightline_store::memory::MemoryStore;
use sightline_store::sqlite::SqliteStore;
use sightline_store::testsuite;

async fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    (dir, SqliteStore::open(&url).await.unwrap())
}

#[tokio::test]
async fn sqlite_metadata() {
    let (_dir, store) = sqlite().await;
    testsuite::metadata_suite(&store).await;
}

/// `sqlite::memory:`: the database is the pool's one connection, which the writer must share.
#[tokio::test]
async fn sqlite_in_memory_metadata() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    testsuite::metadata_suite(&store).await;
}

#[tokio::test]
async fn sqlite_bus() {
    let (_dir, store) = sqlite().await;
    testsuite::bus_suite(&store).await;
}

#[tokio::test]
async fn memory_metadata() {
    testsuite::metadata_suite(&MemoryStore::default()).await;
}

#[tokio::test]
async fn memory_bus() {
    testsuite::bus_suite(&MemoryStore::default()).await;
}

#[tokio::test]
async fn local_fs_blobs() {
    let dir = tempfile::tempdir().unwrap();
    testsuite::blob_suite(&LocalFsBlobStore::new(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn memory_blobs() {
    testsuite::blob_suite(&MemoryBlobStore::default()).await;
}

/// A database whose `counter` consumer counts `media.uploaded` events, and one user in it.
async fn counted_store(
    email: &str,
) -> (tempfile::TempDir, SqliteStore, sightline_store::model::User) {
    use sightline_core::event::Topic;
    use sightline_store::{EventBus, MetadataStore};
    let (dir, store) = sqlite().await;
    store
        .subscribe("counter", &[Topic::MediaUploaded])
        .await
        .unwrap();
    let user = testsuite::user(email);
    store.create_user(&user).await.unwrap();
    (dir, store, user)
}

/// Concurrent commits land in shared group-commit batches: the same media id committed many
/// times at once yields one row and one event; distinct ids all land.
#[tokio::test]
async fn sqlite_group_commit_keeps_commits_apart() {
    use sightline_store::model::CommitOutcome;
    use sightline_store::{EventBus, MetadataStore};
    let (_dir, store, user) = counted_store("batch@example.com").await;
    let twin = testsuite::media(user.id, 3);
    let event = |m| vec![testsuite::uploaded(m)];
    let others: Vec<_> = (0..20).map(|_| testsuite::media(user.id, 4)).collect();
    let twin_events = event(&twin);
    let other_events: Vec<_> = others.iter().map(event).collect();
    let twins = (0..20).map(|_| store.commit_media(&twin, None, &twin_events));
    let distinct = others
        .iter()
        .zip(&other_events)
        .map(|(m, e)| store.commit_media(m, None, e));
    let (twins, distinct) = tokio::join!(
        futures::future::join_all(twins),
        futures::future::join_all(distinct)
    );
    let created = twins
        .into_iter()
        .filter(|o| *o.as_ref().unwrap() == CommitOutcome::Created)
        .count();
    assert_eq!(created, 1);
    assert!(
        distinct
            .iter()
            .all(|o| *o.as_ref().unwrap() == CommitOutcome::Created)
    );
    let delivered = store
        .claim("counter", 100, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(delivered.len(), 21, "one event per stored item");
}

/// A batch holding a write that fails (its user does not exist) beside good commits and
/// upload creations: the bad one fails alone, leaving nothing behind, and the rest commit with
/// their uploads and one event each.
#[tokio::test]
async fn sqlite_group_commit_fails_a_bad_write_alone() {
    use chrono::Utc;
    use sightline_core::media::MediaKind;
    use sightline_core::{MediaId, UploadId, UserId};
    use sightline_store::model::{CommitOutcome, PendingMedia, Upload};
    use sightline_store::{EventBus, MetadataStore};
    let (_dir, store, owner) = counted_store("mixed@example.com").await;
    let upload_of = |user: UserId, media_id: MediaId| Upload {
        id: UploadId::new_random(),
        user_id: user,
        length: 10,
        offset: 0,
        media: PendingMedia {
            media_id,
            kind: MediaKind::Photo,
            captured_at: None,
            location: None,
            device_id: None,
            filename: Some("p.jpg".into()),
            sha256: None,
        },
        created_at: Utc::now(),
        expires_at: Utc::now() + chrono::Duration::hours(1),
        completed: false,
    };
    let uploaded = |m| vec![testsuite::uploaded(m)];
    let good: Vec<_> = (1..=12)
        .map(|day| testsuite::media(owner.id, day))
        .collect();
    let good_uploads: Vec<_> = good.iter().map(|m| upload_of(owner.id, m.id)).collect();
    let good_events: Vec<_> = good.iter().map(uploaded).collect();
    let stranger = testsuite::user("nobody@example.com"); // never stored
    let bad = testsuite::media(stranger.id, 13);
    let (bad_upload, bad_events) = (upload_of(stranger.id, bad.id), uploaded(&bad));
    let pending: Vec<_> = (0..6)
        .map(|_| upload_of(owner.id, MediaId::new_random()))
        .collect();

    let commits = good
        .iter()
        .zip(&good_uploads)
        .zip(&good_events)
        .map(|((m, u), e)| store.commit_media(m, Some(u), e));
    let creations = pending.iter().map(|u| store.create_upload(u));
    let (commits, creations, bad_outcome) = tokio::join!(
        futures::future::join_all(commits),
        futures::future::join_all(creations),
        store.commit_media(&bad, Some(&bad_upload), &bad_events)
    );
    assert!(
        bad_outcome.is_err(),
        "a commit for a missing user must fail"
    );
    for outcome in commits {
        assert_eq!(outcome.unwrap(), CommitOutcome::Created);
    }
    for (created, asked) in creations.into_iter().zip(&pending) {
        assert_eq!(created.unwrap().id, asked.id);
    }
    for (m, u) in good.iter().zip(&good_uploads) {
        assert!(store.media(owner.id, m.id).await.unwrap().is_some());
        let stored = store.upload(owner.id, u.id).await.unwrap().unwrap();
        assert!(stored.completed && stored.offset == stored.length);
    }
    assert!(store.media(stranger.id, bad.id).await.unwrap().is_none());
    assert!(!store.media_id_in_use(stranger.id, bad.id).await.unwrap());
    let delivered = store
        .claim("counter", 100, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(delivered.len(), good.len(), "one event per stored item");
}

/// The writer never checkpoints itself; the task beside it does, so the database file takes in
/// what was committed while the writer goes on.
#[tokio::test]
async fn sqlite_group_commits_are_checkpointed_beside_the_writer() {
    use sightline_store::MetadataStore;
    let (dir, store) = sqlite().await;
    let owner = testsuite::user("checkpoint@example.com");
    store.create_user(&owner).await.unwrap();
    let database = dir.path().join("meta.db");
    let before = std::fs::metadata(&database).unwrap().len();
    let items: Vec<_> = (0..600)
        .map(|i| testsuite::media(owner.id, 1 + i % 28))
        .collect();
    let commits = items.iter().map(|m| store.commit_media(m, None, &[]));
    for outcome in futures::future::join_all(commits).await {
        outcome.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::metadata(&database).unwrap().len() <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was checkpointed into the database file"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for item in items.iter().step_by(50) {
        assert!(store.media(owner.id, item.id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn sqlite_library() {
    let (_dir, store) = sqlite().await;
    testsuite::library_suite(&store, &store).await;
}

#[tokio::test]
async fn memory_library() {
    let store = MemoryStore::default();
    testsuite::library_suite(&store, &store).await;
}

#[tokio::test]
async fn sqlite_sync() {
    let (_dir, store) = sqlite().await;
    testsuite::sync_suite(&store, &store, &store).await;
}

#[tokio::test]
async fn memory_sync() {
    let store = MemoryStore::default();
    testsuite::sync_suite(&store, &store, &store).await;
}

#[tokio::test]
async fn sqlite_doorbell_events() {
    let (_dir, store) = sqlite().await;
    testsuite::doorbell_events_suite(&store).await;
}

#[tokio::test]
async fn memory_doorbell_events() {
    testsuite::doorbell_events_suite(&MemoryStore::default()).await;
}

#[tokio::test]
async fn sqlite_notifications() {
    let (_dir, store) = sqlite().await;
    testsuite::notifications_suite(&store).await;
}

#[tokio::test]
async fn memory_notifications() {
    testsuite::notifications_suite(&MemoryStore::default()).await;
}

/// The cooldown clock is in the database: a second handle (as after a restart) sees it.
#[tokio::test]
async fn sqlite_cooldown_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    testsuite::cooldown_survives_restart(store, |old| async move {
        old.pool().close().await;
        SqliteStore::open(&url).await.unwrap()
    })
    .await;
}

#[tokio::test]
async fn sqlite_retention() {
    let (_dir, store) = sqlite().await;
    testsuite::retention_suite(&store).await;
}

#[tokio::test]
async fn memory_retention() {
    testsuite::retention_suite(&MemoryStore::default()).await;
}

/// A writer whose caller goes away mid-write (a client hanging up cancels its request's
/// future) must leave no transaction open on a pooled connection: SQLite would hold its write
/// lock for that connection's lifetime and every later write would fail with "database is
/// locked" after the busy timeout (the kill-loop test hung on exactly that).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_cancelled_writes_leave_no_transaction_open() {
    use sightline_core::event::{MediaEvent, NewEvent, Topic};
    use sightline_store::EventBus;
    use std::time::Duration;
    let (_dir, store) = sqlite().await;
    store
        .subscribe("counter", &[Topic::MediaUploaded])
        .await
        .unwrap();
    let user = testsuite::user("cancel@example.com");
    let event = |n: u32| {
        vec![NewEvent::media(
            Topic::MediaUploaded,
            &MediaEvent::new(user.id, testsuite::media(user.id, n % 28 + 1).id, "t"),
        )]
    };
    // Cancel publishes at spread-out points: after a number of polls, and after a few µs.
    for round in 0..3000u32 {
        let events = event(round);
        let publish = store.publish(&events);
        tokio::pin!(publish);
        if round % 2 == 0 {
            for _ in 0..round % 23 {
                if futures::poll!(publish.as_mut()).is_ready() {
                    break;
                }
                tokio::task::yield_now().await;
            }
        } else {
            let _ =
                tokio::time::timeout(Duration::from_micros(u64::from(round) * 7 % 1500), publish)
                    .await;
        }
    }
    // Every pooled connection must be free to write now, within far less than the 30 s busy
    // timeout: enough writes at once to take all of them.
    let writes = (0..16).map(|n| {
        let events = event(n);
        let store = &store;
        async move { store.publish(&events).await }
    });
    let done = tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(writes))
        .await
        .expect("writes after cancelled ones must not wait for a leaked lock");
    assert!(done.iter().all(Result::is_ok), "{done:?}");
    let claimed = store
        .claim("counter", 1000, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(claimed.len() >= 16, "the later writes landed");
}

/// The group-commit writer commits without waiting for the disk and syncs the log itself:
/// every commit it answered is in the database after a restart, and the connections the pool
/// hands to everyone else still sync each commit (`synchronous=FULL`, 2).
#[tokio::test]
async fn sqlite_group_commits_are_answered_committed_and_leave_the_pool_synchronous() {
    use sightline_store::MetadataStore;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let owner = testsuite::user("pipeline@example.com");
    store.create_user(&owner).await.unwrap();
    let items: Vec<_> = (1..=24)
        .map(|day| testsuite::media(owner.id, day))
        .collect();
    let commits = items.iter().map(|m| store.commit_media(m, None, &[]));
    for outcome in futures::future::join_all(commits).await {
        assert_eq!(
            outcome.unwrap(),
            sightline_store::model::CommitOutcome::Created
        );
    }
    for _ in 0..3 {
        let (level,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(level, 2);
    }
    store.pool().close().await;
    drop(store);
    let reopened = SqliteStore::open(&url).await.unwrap();
    for item in &items {
        assert!(reopened.media(owner.id, item.id).await.unwrap().is_some());
    }
}
