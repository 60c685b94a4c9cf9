//! App ↔ server sync: the edits devices made offline, each item's merged state, the change log
//! every media write feeds (SQLite triggers; the memory store by hand) and each device's cursor
//! over it. The merge rules are `sightline_core::sync`'s; this only stores their inputs and
//! results. Scoped by user like everything else.

use crate::error::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::sync::{Conflict, Edit, MediaEdits};
use sightline_core::{DeviceId, MediaId, UserId};
use std::collections::HashMap;

/// What became of one submitted edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    /// Stored and merged.
    Applied,
    /// An edit with this stamp was already stored for this item: nothing changed.
    Duplicate,
    /// The media is not the user's (or is gone): the edit was dropped.
    NotFound,
}

/// The result of [`SyncStore::apply_edits`]: one outcome per edit, in order, and the merged
/// state of each item that exists among them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppliedEdits {
    pub outcomes: Vec<EditOutcome>,
    pub states: Vec<(MediaId, MediaEdits)>,
    /// Conflicts these edits introduced (each listed once).
    pub new_conflicts: Vec<(MediaId, Conflict)>,
}

/// One entry of a change page: the item's latest change in the log range and its state now.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEntry {
    /// The log position of this change; a page's last one is its resume point.
    pub seq: i64,
    pub media_id: MediaId,
    /// `None`: the media row is gone (a tombstone).
    pub state: Option<MediaEdits>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangePage {
    /// Each item once, ordered by its latest change.
    pub changes: Vec<ChangeEntry>,
    /// Where the next page starts: the last entry's `seq`, or `since` on an empty page.
    pub next: i64,
    pub has_more: bool,
}

/// A device's position in the change log as the server saw it last.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncCursor {
    /// The last position delivered to the device (0: nothing yet).
    pub acked_seq: i64,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Set by a trigger, cleared by the pull that reaches the end of the log.
    pub in_progress: bool,
    pub started_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncStatus {
    pub cursor: SyncCursor,
    /// Unfinished uploads of the device.
    pub pending_uploads: u64,
    /// Items changed after the device's cursor.
    pub pending_downloads: u64,
}

#[async_trait]
pub trait SyncStore: Send + Sync + 'static {
    /// One transaction: each edit whose (item, stamp) is new is stored and merged into the
    /// item's state; a replayed one changes nothing. Fails with `Conflict` (and writes nothing)
    /// when a stamp is reused for a different edit. The caller has checked the stamps (node,
    /// drift) already.
    async fn apply_edits(&self, user: UserId, edits: &[(MediaId, Edit)]) -> Result<AppliedEdits>;

    /// The merged states of those items that have any (items never edited are absent).
    async fn synced(&self, user: UserId, media: &[MediaId])
    -> Result<HashMap<MediaId, MediaEdits>>;

    /// Items changed after `since`, at most `limit`, each with its current state (an item never
    /// edited has the default state).
    async fn changes(&self, user: UserId, since: i64, limit: u32) -> Result<ChangePage>;

    /// Records that `device` was handed the log up to `seq` now; `reached_end` also ends a sync
    /// in progress. Keeps the device's `last_sync_at` too. `NotFound` for a foreign device.
    async fn record_pull(
        &self,
        user: UserId,
        device: DeviceId,
        seq: i64,
        reached_end: bool,
        now: DateTime<Utc>,
    ) -> Result<SyncCursor>;

    /// Marks a sync in progress for the device. `NotFound` for a foreign device.
    async fn start_sync(
        &self,
        user: UserId,
        device: DeviceId,
        now: DateTime<Utc>,
    ) -> Result<SyncCursor>;

    /// The device's cursor and what it has still to send and receive. `NotFound` for a foreign
    /// device.
    async fn sync_status(&self, user: UserId, device: DeviceId) -> Result<SyncStatus>;

    /// Items whose merged edits have conflicts, with their states.
    async fn conflicted(&self, user: UserId) -> Result<Vec<(MediaId, MediaEdits)>>;

    /// Drops up to `limit` log entries that a later entry of the same item supersedes (a page
    /// shows each item once, at its latest change, so no reader from any token misses anything;
    /// tombstones are latest entries and stay). Returns how many went.
    async fn compact_log(&self, limit: u32) -> Result<u64>;
}

/// Merges `edits` into `states` (the stored states of the items, as far as they have any): the
/// shared core of both implementations. `fresh[i]` is `None` when edit `i`'s item is not the
/// user's, else whether the edit was new (and has now been stored).
pub(crate) fn merge_edits(
    edits: &[(MediaId, Edit)],
    fresh: &[Option<bool>],
    states: &mut HashMap<MediaId, MediaEdits>,
) -> AppliedEdits {
    let mut applied = AppliedEdits::default();
    let mut order: Vec<(MediaId, Vec<Conflict>)> = Vec::new();
    for ((media, edit), fresh) in edits.iter().zip(fresh) {
        let Some(fresh) = fresh else {
            applied.outcomes.push(EditOutcome::NotFound);
            continue;
        };
        if !order.iter().any(|(m, _)| m == media) {
            let before = states.get(media).map(MediaEdits::conflicts);
            order.push((*media, before.unwrap_or_default()));
        }
        if !fresh {
            applied.outcomes.push(EditOutcome::Duplicate);
            continue;
        }
        states.entry(*media).or_default().apply(edit);
        applied.outcomes.push(EditOutcome::Applied);
    }
    for (media, before) in order {
        let state = states.get(&media).cloned().unwrap_or_default();
        applied.new_conflicts.extend(
            state
                .conflicts()
                .into_iter()
                .filter(|c| !before.contains(c))
                .map(|c| (media, c)),
        );
        applied.states.push((media, state));
    }
    applied
}

/// The error for a stamp that a different edit of the same item already carries.
pub(crate) fn reused_stamp(edit: &Edit) -> crate::StoreError {
    crate::StoreError::Conflict(format!(
        "stamp {} is already used by a different edit of this item",
        edit.stamp
    ))
}
