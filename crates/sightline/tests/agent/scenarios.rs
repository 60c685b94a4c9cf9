//! The failure scenarios of the glasses agent, one test each.

use crate::proxy::Mode;
use crate::{World, command, drained, unique, wait_offline};
use sightline_agent::queue::Connectivity;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_made_offline_arrive_once_when_the_network_returns() {
    let world = World::start(Mode::Down).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(dir.path()).await;
    let mut announcements = agent.announcements();

    let mut captured = BTreeSet::new();
    for _ in 0..3 {
        let photo = command(&agent, "take a picture").await;
        captured.insert(photo.media_id.unwrap().to_string());
    }
    command(&agent, "record a video").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let video = command(&agent, "stop recording").await;
    captured.insert(video.media_id.unwrap().to_string());

    wait_offline(&agent).await;
    let said = announcements.recv().await.unwrap();
    assert!(said.starts_with("offline:"), "{said}");
    assert!(world.server_media().await.is_empty());
    let status = agent.status().await.unwrap();
    assert_eq!(
        status.queue.pending_user_requested + status.queue.pending_other,
        4
    );

    world.proxy.set(Mode::Up);
    drained(&agent, Duration::from_secs(30)).await;
    assert_eq!(unique(&world.server_media().await), captured);
    assert_eq!(agent.queue().connectivity(), Connectivity::Online);
    // A sync asked for after everything arrived sends nothing twice.
    agent.queue().trigger().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(unique(&world.server_media().await), captured);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_over_a_flapping_link_resumes_instead_of_restarting() {
    let world = World::start(Mode::Down).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = world.agent_config(dir.path());
    config.format.width = 640;
    config.format.height = 480;
    config.video.bitrate_kbps = 6000;
    let (agent, _) = sightline_agent::Agent::start(config).await.unwrap();
    agent.camera().ready(Duration::from_secs(30)).await.unwrap();
    command(&agent, "record a video").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let video = command(&agent, "stop recording").await;
    let size = std::fs::metadata(
        dir.path()
            .join("media")
            .join(format!("{}.mp4", video.media_id.unwrap())),
    )
    .unwrap()
    .len();
    assert!(
        size > 600_000,
        "the test needs a large file, got {size} bytes"
    );

    // Every connection dies after ~200 KB: the upload only finishes by resuming.
    world.proxy.set(Mode::CutAfter(200_000));
    drained(&agent, Duration::from_secs(90)).await;
    let cuts = world.proxy.cuts.load(Ordering::Relaxed);
    let sent = world.proxy.upstream_bytes.load(Ordering::Relaxed);
    assert!(cuts >= 3, "the link never flapped ({cuts} cuts)");
    // Restarting from zero after each cut would send the file many times over.
    assert!(
        sent < size * 2,
        "sent {sent} bytes for a {size}-byte file over {cuts} cuts"
    );
    let ids = unique(&world.server_media().await);
    assert_eq!(ids, BTreeSet::from([video.media_id.unwrap().to_string()]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_make_the_queue_wait_and_retry_without_losing_anything() {
    let world = World::start(Mode::Unavailable).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(dir.path()).await;
    let photo = command(&agent, "take a photo").await;
    let id = photo.media_id.unwrap();
    // Let it fail at least once against the 503s.
    let store = sightline_agent::store::AgentStore::open(&dir.path().join("agent.db"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = store.get(id).await.unwrap().unwrap();
        if row.attempts >= 1 {
            assert!(
                row.last_error.as_deref().unwrap_or("").contains("503"),
                "{row:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    world.proxy.set(Mode::Up);
    agent.queue().trigger().await.unwrap();
    drained(&agent, Duration::from_secs(30)).await;
    assert_eq!(
        unique(&world.server_media().await),
        BTreeSet::from([id.to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_capture_is_reported_and_never_uploaded_as_good() {
    let world = World::start(Mode::Down).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(dir.path()).await;
    let bad = command(&agent, "take a picture").await.media_id.unwrap();
    let good = command(&agent, "take a picture").await.media_id.unwrap();
    let path = dir.path().join("media").join(format!("{bad}.jpg"));
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();

    world.proxy.set(Mode::Up);
    agent.queue().trigger().await.unwrap();
    drained(&agent, Duration::from_secs(30)).await;
    let status = agent.status().await.unwrap();
    assert_eq!(status.queue.corrupt, 1);
    assert!(
        status
            .announcements
            .iter()
            .any(|a| a.contains("damaged") && a.contains(&bad.to_string())),
        "{:?}",
        status.announcements
    );
    assert_eq!(
        unique(&world.server_media().await),
        BTreeSet::from([good.to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_refuses_captures_instead_of_deleting_unsynced_ones() {
    let world = World::start(Mode::Down).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = world.agent_config(dir.path());
    // Room for a few small photos (each reserves one raw 320x240 frame, 115 KB).
    config.quota_bytes = 300_000;
    let (agent, _) = sightline_agent::Agent::start(config).await.unwrap();
    agent.camera().ready(Duration::from_secs(30)).await.unwrap();

    let mut kept = Vec::new();
    let refusal = loop {
        let outcome = agent.handle_text("take a picture", "test").await;
        if !outcome.ok {
            break outcome;
        }
        kept.push(outcome.media_id.unwrap());
        assert!(kept.len() < 100, "the quota never filled");
    };
    assert!(
        refusal.message.starts_with("storage full")
            && refusal.message.contains("nothing was deleted"),
        "{}",
        refusal.message
    );
    for id in &kept {
        assert!(dir.path().join("media").join(format!("{id}.jpg")).exists());
    }

    // Once they are uploaded they may make room for new captures.
    world.proxy.set(Mode::Up);
    agent.queue().trigger().await.unwrap();
    drained(&agent, Duration::from_secs(30)).await;
    let again = command(&agent, "take a picture").await;
    drained(&agent, Duration::from_secs(30)).await;
    let mut expected: BTreeSet<String> = kept.iter().map(|id| id.to_string()).collect();
    expected.insert(again.media_id.unwrap().to_string());
    assert_eq!(unique(&world.server_media().await), expected);
}
