//! The retention contract: plans per user (standard by default), which events are past their
//! plan's retention, deleting them, and tracking each clip's storage tier and off-site copy.

use super::doorbell_suite::{at, doorbell, event, insert};
use super::{media, user};
use crate::doorbell_events::DoorbellEventStore;
use crate::retention::{Plan, RetentionStore, StorageTier};
use crate::{EventBus, MetadataStore};
use chrono::Duration as Span;
use sightline_core::UserId;
use sightline_core::doorbell_event::EventType;

pub async fn retention_suite<S: MetadataStore + DoorbellEventStore + RetentionStore + EventBus>(
    store: &S,
) {
    let standard = user(&format!("std-{}@example.com", UserId::new_random()));
    let premium = user(&format!("pro-{}@example.com", UserId::new_random()));
    for u in [&standard, &premium] {
        store.create_user(u).await.unwrap();
    }
    assert_eq!(store.plan(standard.id).await.unwrap(), Plan::Standard);
    store.set_plan(premium.id, Plan::Premium).await.unwrap();
    store.set_plan(premium.id, Plan::Premium).await.unwrap();
    assert_eq!(store.plan(premium.id).await.unwrap(), Plan::Premium);

    let (std_door, pro_door) = (doorbell(standard.id), doorbell(premium.id));
    for d in [&std_door, &pro_door] {
        store
            .create_device(d, &format!("tok-{}", d.id))
            .await
            .unwrap();
    }
    let std_clip = media(standard.id, 5);
    let pro_clip = media(premium.id, 5);
    for m in [&std_clip, &pro_clip] {
        store.commit_media(m, None, &[]).await.unwrap();
    }
    let old_std = event(
        standard.id,
        std_door.id,
        EventType::Motion,
        0,
        Some(std_clip.id),
    );
    let new_std = event(standard.id, std_door.id, EventType::Person, 60, None);
    let old_pro = event(
        premium.id,
        pro_door.id,
        EventType::Motion,
        0,
        Some(pro_clip.id),
    );
    for e in [&old_std, &new_std, &old_pro] {
        insert(store, e).await;
    }

    // Only events of the plan, before the cut-off, oldest first.
    let cutoff = at(30);
    let expired = store
        .expired_events(Plan::Standard, cutoff, 100)
        .await
        .unwrap();
    let ours: Vec<_> = expired
        .iter()
        .filter(|e| e.user_id == standard.id)
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].id, old_std.id);
    assert!(expired.iter().all(|e| e.user_id != premium.id));
    let expired = store
        .expired_events(Plan::Premium, cutoff, 100)
        .await
        .unwrap();
    assert!(expired.iter().any(|e| e.id == old_pro.id));

    // Clips start hot, move down, and have no off-site copy until one is made.
    let hot = store
        .clips_in_tier(StorageTier::Hot, cutoff, 1000)
        .await
        .unwrap();
    assert!(
        hot.iter()
            .any(|c| c.media_id == std_clip.id && c.event_id == old_std.id)
    );
    assert!(hot.iter().all(|c| c.occurred_at < cutoff));
    store
        .set_clip_tier(standard.id, std_clip.id, StorageTier::Warm)
        .await
        .unwrap();
    let hot = store
        .clips_in_tier(StorageTier::Hot, cutoff, 1000)
        .await
        .unwrap();
    assert!(hot.iter().all(|c| c.media_id != std_clip.id));
    let warm = store
        .clips_in_tier(StorageTier::Warm, cutoff, 1000)
        .await
        .unwrap();
    assert!(warm.iter().any(|c| c.media_id == std_clip.id));
    let waiting = store.clips_without_offsite_copy(1000).await.unwrap();
    assert!(waiting.iter().any(|c| c.media_id == pro_clip.id));
    store
        .mark_offsite_copy(premium.id, pro_clip.id, at(1))
        .await
        .unwrap();
    let waiting = store.clips_without_offsite_copy(1000).await.unwrap();
    assert!(waiting.iter().all(|c| c.media_id != pro_clip.id));
    assert!(waiting.iter().any(|c| c.media_id == std_clip.id));
    // The copy mark keeps the tier.
    store
        .mark_offsite_copy(standard.id, std_clip.id, at(2))
        .await
        .unwrap();
    let warm = store
        .clips_in_tier(StorageTier::Warm, at(30), 1000)
        .await
        .unwrap();
    assert!(warm.iter().any(|c| c.media_id == std_clip.id));

    // Deleting an event deletes that event only, once.
    assert!(store.delete_event(standard.id, old_std.id).await.unwrap());
    assert!(!store.delete_event(standard.id, old_std.id).await.unwrap());
    assert!(
        !store.delete_event(premium.id, new_std.id).await.unwrap(),
        "another user's"
    );
    assert!(
        store
            .event(standard.id, old_std.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .event(standard.id, new_std.id)
            .await
            .unwrap()
            .is_some()
    );
    let later = store
        .expired_events(Plan::Standard, cutoff + Span::days(1), 100)
        .await
        .unwrap();
    assert!(later.iter().any(|e| e.id == new_std.id));
    assert!(later.iter().all(|e| e.id != old_std.id));
}
