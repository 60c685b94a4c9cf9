//! The device follows the server's change log: what the owner deletes in the app — outright or
//! by a synced `delete` edit from the phone — leaves the glasses and is never uploaded again.

use crate::proxy::Mode;
use crate::{World, command, create_device, drained, wait_offline};
use serde_json::json;
use sightline_core::sync::{Hlc, NodeId};
use std::time::Duration;

/// The owner deletes an item in the app.
async fn delete_in_app(world: &World, id: sightline_core::MediaId) {
    let response = world
        .http
        .delete(format!("{}/api/v1/media/{id}", world.server.url()))
        .bearer_auth(&world.user_token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletions_in_the_app_leave_the_device() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(dir.path()).await;
    let kept = command(&agent, "take a picture").await.media_id.unwrap();
    let deleted = command(&agent, "take a picture").await.media_id.unwrap();
    let soft_deleted = command(&agent, "take a picture").await.media_id.unwrap();
    drained(&agent, Duration::from_secs(30)).await;
    let file = |id| dir.path().join("media").join(format!("{id}.jpg"));
    assert!(file(deleted).exists() && file(soft_deleted).exists());

    // A first catch-up removes nothing and remembers where it got to.
    let first = agent.sync_now().await.unwrap();
    assert!(first.removed.is_empty());
    assert!(first.changes >= 3, "{first:?}");
    assert!(agent.status().await.unwrap().last_sync.is_some());

    delete_in_app(&world, deleted).await;
    let (phone, _) = create_device(
        &world.http,
        &world.server.url(),
        &world.user_token,
        "phone_app",
    )
    .await;
    let now = chrono::Utc::now().timestamp_millis() as u64;
    let stamp = Hlc::new(now, 0, NodeId::parse(&phone).unwrap()).unwrap();
    let response = world
        .http
        .post(format!("{}/api/v1/sync/edits", world.server.url()))
        .bearer_auth(&world.user_token)
        .json(&json!({"device_id": phone, "edits": [
            {"media_id": soft_deleted, "edit": {"stamp": stamp, "op": "delete"}}
        ]}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );

    let second = agent.sync_now().await.unwrap();
    let mut removed = second.removed.clone();
    removed.sort();
    let mut expected = vec![deleted, soft_deleted];
    expected.sort();
    assert_eq!(removed, expected, "{second:?}");
    assert!(!file(deleted).exists() && !file(soft_deleted).exists());
    assert!(file(kept).exists());

    // Resumed from its token: nothing new, nothing removed twice.
    let third = agent.sync_now().await.unwrap();
    assert!(third.removed.is_empty(), "{third:?}");
    let status = agent.status().await.unwrap();
    assert_eq!(
        status.queue.pending_user_requested + status.queue.pending_other,
        0
    );
}

/// A deletion the owner makes while the glasses are offline reaches them as soon as they are
/// back online, not at the next minute's catch-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_made_while_offline_arrives_when_the_device_reconnects() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(dir.path()).await;
    let deleted = command(&agent, "take a picture").await.media_id.unwrap();
    drained(&agent, Duration::from_secs(30)).await;
    agent.sync_now().await.unwrap();
    let file = dir.path().join("media").join(format!("{deleted}.jpg"));
    assert!(file.exists());

    // Offline: a capture that cannot upload tells the queue so.
    world.proxy.set(Mode::Down);
    command(&agent, "take a picture").await;
    wait_offline(&agent).await;
    delete_in_app(&world, deleted).await;

    world.proxy.set(Mode::Up);
    // The queue probes every 2 s; the next scheduled catch-up is a minute away.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the deletion did not follow the reconnection"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
