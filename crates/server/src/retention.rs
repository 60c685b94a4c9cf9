//! The retention and lifecycle job: every `retention.interval_secs` it deletes doorbell events
//! past their owner's plan (30 days standard, 60 premium) with their clips — rows, blobs,
//! derived files, index entries and the off-site copy — moves aging clips from the hot store to
//! warm and then cold, copies new clips off site, and compacts the sync change log (entries a
//! later change of the same item supersedes).

use crate::config::RetentionConfig;
use crate::routes::media::delete_item;
use crate::state::AppState;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sightline_core::blob_key;
use sightline_store::blob::TieredBlobStore;
use sightline_store::retention::{EventClip, Plan, StorageTier};
use sightline_store::{Backends, BlobStore, resolve_blobs};
use std::sync::Arc;
use std::time::Duration;

/// Rows handled per query, so one sweep never holds a huge list.
const BATCH: u32 = 200;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub events_deleted: u64,
    pub clips_deleted: u64,
    pub clips_to_warm: u64,
    pub clips_to_cold: u64,
    pub offsite_copies: u64,
    pub log_entries_compacted: u64,
}

/// The stores retention works on besides the main ones.
pub struct RetentionStores {
    pub tiers: Option<Arc<TieredBlobStore>>,
    pub offsite: Option<Arc<dyn BlobStore>>,
}

/// Builds the tiered store (replacing `backends.blobs`, so every reader finds a moved blob) and
/// the off-site store from the configuration.
pub fn open_stores(
    config: &RetentionConfig,
    backends: &mut Backends,
) -> anyhow::Result<RetentionStores> {
    anyhow::ensure!(
        config.cold_url.is_empty() || !config.warm_url.is_empty(),
        "retention.cold_url needs retention.warm_url: clips go hot → warm → cold"
    );
    anyhow::ensure!(
        config.warm_after_days < config.cold_after_days,
        "retention.warm_after_days must be less than retention.cold_after_days"
    );
    let tiers = if config.warm_url.is_empty() {
        None
    } else {
        let warm = resolve_blobs(&config.warm_url).context("cannot open the warm tier")?;
        let cold = if config.cold_url.is_empty() {
            warm.clone()
        } else {
            resolve_blobs(&config.cold_url).context("cannot open the cold tier")?
        };
        let tiered = Arc::new(TieredBlobStore::new(backends.blobs.clone(), warm, cold));
        backends.blobs = tiered.clone();
        Some(tiered)
    };
    let offsite = if config.offsite_url.is_empty() {
        None
    } else {
        Some(resolve_blobs(&config.offsite_url).context("cannot open the off-site store")?)
    };
    Ok(RetentionStores { tiers, offsite })
}

/// Runs sweeps for as long as the server runs.
pub async fn run(state: AppState) {
    let every = Duration::from_secs(state.config.retention.interval_secs.max(1));
    loop {
        match sweep(&state, Utc::now()).await {
            Ok(report) if report != SweepReport::default() => {
                tracing::info!(?report, "retention sweep")
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "retention sweep failed; retried next time"),
        }
        tokio::time::sleep(every).await;
    }
}

fn days_before(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(days))
}

/// One pass of retention, lifecycle and off-site copies as of `now`.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    delete_expired(state, now, &mut report).await?;
    if let Some(tiers) = &state.tiers {
        let config = &state.config.retention;
        let steps = [
            (StorageTier::Hot, StorageTier::Warm, config.warm_after_days),
            (StorageTier::Warm, StorageTier::Cold, config.cold_after_days),
        ];
        for (from, to, after) in steps {
            let moved = demote(state, tiers, from, to, days_before(now, after)).await?;
            match to {
                StorageTier::Warm => report.clips_to_warm += moved,
                _ => report.clips_to_cold += moved,
            }
        }
    }
    if let Some(offsite) = &state.offsite {
        report.offsite_copies += copy_offsite(state, offsite, now).await?;
    }
    report.log_entries_compacted = compact_sync_log(state).await?;
    Ok(report)
}

/// Entries removed per statement: each is one short write, so uploads never wait long.
const COMPACT_BATCH: u32 = 5000;

async fn compact_sync_log(state: &AppState) -> anyhow::Result<u64> {
    let mut removed = 0;
    loop {
        let n = state.backends.sync.compact_log(COMPACT_BATCH).await?;
        removed += n;
        if n < u64::from(COMPACT_BATCH) {
            return Ok(removed);
        }
    }
}

async fn delete_expired(
    state: &AppState,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> anyhow::Result<()> {
    let retention = &state.backends.retention;
    for plan in Plan::ALL {
        let days = match plan {
            Plan::Standard => state.config.retention.standard_days,
            Plan::Premium => state.config.retention.premium_days,
        };
        let cutoff = days_before(now, days);
        loop {
            let expired = retention.expired_events(plan, cutoff, BATCH).await?;
            if expired.is_empty() {
                break;
            }
            for event in expired {
                // The clip first: an event row left without one is retried next time, a clip
                // left without its event would never be found again.
                if let Some(clip) = event.media_id {
                    let gone = delete_item(state, event.user_id, clip, "retention".into())
                        .await
                        .map_err(|e| anyhow::anyhow!("deleting clip {clip}: {e:?}"))?;
                    report.clips_deleted += u64::from(gone);
                }
                if retention.delete_event(event.user_id, event.id).await? {
                    report.events_deleted += 1;
                }
            }
        }
    }
    Ok(())
}

/// Every blob of a clip: the original and the derived files.
async fn clip_keys(state: &AppState, clip: &EventClip) -> anyhow::Result<Option<Vec<String>>> {
    let Some(media) = state
        .backends
        .metadata
        .media(clip.user_id, clip.media_id)
        .await?
    else {
        return Ok(None);
    };
    let mut keys = vec![media.raw_key.clone()];
    keys.extend(
        state
            .backends
            .blobs
            .list(&blob_key::processed_prefix(media.user_id, media.id))
            .await?,
    );
    keys.dedup();
    Ok(Some(keys))
}

async fn demote(
    state: &AppState,
    tiers: &TieredBlobStore,
    from: StorageTier,
    to: StorageTier,
    before: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let scratch = state.config.data_dir.join("work").join("tiers");
    let mut moved = 0;
    loop {
        let clips = state
            .backends
            .retention
            .clips_in_tier(from, before, BATCH)
            .await?;
        if clips.is_empty() {
            return Ok(moved);
        }
        for clip in clips {
            if let Some(keys) = clip_keys(state, &clip).await? {
                for key in keys {
                    tiers.move_to(&key, to, &scratch).await?;
                }
            }
            state
                .backends
                .retention
                .set_clip_tier(clip.user_id, clip.media_id, to)
                .await?;
            moved += 1;
        }
    }
}

async fn copy_offsite(
    state: &AppState,
    offsite: &Arc<dyn BlobStore>,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let scratch = state.config.data_dir.join("work").join("offsite");
    tokio::fs::create_dir_all(&scratch).await?;
    let mut copied = 0;
    loop {
        let clips = state
            .backends
            .retention
            .clips_without_offsite_copy(BATCH)
            .await?;
        if clips.is_empty() {
            return Ok(copied);
        }
        for clip in clips {
            if let Some(media) = state
                .backends
                .metadata
                .media(clip.user_id, clip.media_id)
                .await?
            {
                let temp = scratch.join(clip.media_id.to_string());
                state
                    .backends
                    .blobs
                    .download_to(&media.raw_key, &temp)
                    .await?;
                let put = offsite.put_file(&media.raw_key, &temp).await;
                let _ = tokio::fs::remove_file(&temp).await;
                put?;
                copied += 1;
            }
            state
                .backends
                .retention
                .mark_offsite_copy(clip.user_id, clip.media_id, now)
                .await?;
        }
    }
}
