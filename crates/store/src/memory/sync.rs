use super::MemoryStore;
use crate::error::{Result, StoreError};
use crate::sync::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::sync::{Edit, MediaEdits};
use sightline_core::{DeviceId, MediaId, UserId};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the SQLite triggers do there, the metadata methods call here: every media write and
/// every accepted edit appends to the log.
#[derive(Default)]
pub(super) struct SyncState {
    edits: HashMap<(UserId, MediaId), BTreeMap<String, Edit>>,
    states: HashMap<(UserId, MediaId), MediaEdits>,
    /// seq → (user, media); ops are not needed: presence is read from the media map.
    log: BTreeMap<i64, (UserId, MediaId)>,
    last_seq: i64,
    cursors: HashMap<DeviceId, SyncCursor>,
}

impl super::State {
    /// `NotFound` unless the device is the user's.
    fn own_device(&self, user: UserId, device: DeviceId) -> Result<()> {
        match self.devices.get(&device) {
            Some((d, _)) if d.user_id == user => Ok(()),
            _ => Err(StoreError::NotFound),
        }
    }
}

impl SyncState {
    pub(super) fn log(&mut self, user: UserId, media: MediaId) {
        self.last_seq += 1;
        self.log.insert(self.last_seq, (user, media));
    }

    /// What deleting a media row cascades to (its log entry is written by the caller).
    pub(super) fn forget_media(&mut self, user: UserId, media: MediaId) {
        self.edits.remove(&(user, media));
        self.states.remove(&(user, media));
    }

    pub(super) fn forget_device(&mut self, device: DeviceId) {
        self.cursors.remove(&device);
    }
}

#[async_trait]
impl SyncStore for MemoryStore {
    async fn apply_edits(&self, user: UserId, edits: &[(MediaId, Edit)]) -> Result<AppliedEdits> {
        let mut guard = self.lock()?;
        let state = &mut *guard;
        // Checked before anything is written, so a reused stamp leaves no trace.
        let mut fresh = Vec::with_capacity(edits.len());
        let mut batch: HashMap<(MediaId, String), &Edit> = HashMap::new();
        for (media, edit) in edits {
            if !state.media.contains_key(&(user, *media)) {
                fresh.push(None);
                continue;
            }
            let key = (*media, edit.stamp.to_string());
            let stored = state
                .sync
                .edits
                .get(&(user, *media))
                .and_then(|e| e.get(&key.1))
                .or_else(|| batch.get(&key).copied());
            match stored {
                Some(stored) if stored != edit => return Err(reused_stamp(edit)),
                Some(_) => fresh.push(Some(false)),
                None => {
                    batch.insert(key, edit);
                    fresh.push(Some(true));
                }
            }
        }
        let mut states: HashMap<MediaId, MediaEdits> = edits
            .iter()
            .filter_map(|(m, _)| Some((*m, state.sync.states.get(&(user, *m))?.clone())))
            .collect();
        let applied = merge_edits(edits, &fresh, &mut states);
        let mut changed = HashSet::new();
        for ((media, edit), fresh) in edits.iter().zip(&fresh) {
            if *fresh == Some(true) {
                state
                    .sync
                    .edits
                    .entry((user, *media))
                    .or_default()
                    .insert(edit.stamp.to_string(), edit.clone());
                state.sync.log(user, *media);
                changed.insert(*media);
            }
        }
        for (media, merged) in &applied.states {
            if changed.contains(media) {
                state.sync.states.insert((user, *media), merged.clone());
            }
        }
        if !changed.is_empty() {
            state.library.bump(user);
        }
        Ok(applied)
    }

    async fn synced(
        &self,
        user: UserId,
        media: &[MediaId],
    ) -> Result<HashMap<MediaId, MediaEdits>> {
        let state = self.lock()?;
        Ok(media
            .iter()
            .filter_map(|m| Some((*m, state.sync.states.get(&(user, *m))?.clone())))
            .collect())
    }

    async fn changes(&self, user: UserId, since: i64, limit: u32) -> Result<ChangePage> {
        let state = self.lock()?;
        let mut latest: HashMap<MediaId, i64> = HashMap::new();
        for (seq, (u, media)) in state.sync.log.range(since.saturating_add(1)..) {
            if *u == user {
                latest.insert(*media, *seq);
            }
        }
        let mut order: Vec<(i64, MediaId)> = latest.into_iter().map(|(m, s)| (s, m)).collect();
        order.sort();
        let has_more = order.len() > limit as usize;
        let changes: Vec<ChangeEntry> = order
            .into_iter()
            .take(limit as usize)
            .map(|(seq, media_id)| ChangeEntry {
                seq,
                media_id,
                state: state.media.contains_key(&(user, media_id)).then(|| {
                    state
                        .sync
                        .states
                        .get(&(user, media_id))
                        .cloned()
                        .unwrap_or_default()
                }),
            })
            .collect();
        let next = changes.last().map_or(since, |c| c.seq);
        Ok(ChangePage {
            changes,
            next,
            has_more,
        })
    }

    async fn record_pull(
        &self,
        user: UserId,
        device: DeviceId,
        seq: i64,
        reached_end: bool,
        now: DateTime<Utc>,
    ) -> Result<SyncCursor> {
        let mut state = self.lock()?;
        let Some((owned, _)) = state
            .devices
            .get_mut(&device)
            .filter(|(d, _)| d.user_id == user)
        else {
            return Err(StoreError::NotFound);
        };
        owned.last_sync_at = Some(now);
        let cursor = state.sync.cursors.entry(device).or_default();
        cursor.acked_seq = seq;
        cursor.last_sync_at = Some(now);
        if reached_end {
            cursor.in_progress = false;
        }
        Ok(cursor.clone())
    }

    async fn start_sync(
        &self,
        user: UserId,
        device: DeviceId,
        now: DateTime<Utc>,
    ) -> Result<SyncCursor> {
        let mut state = self.lock()?;
        state.own_device(user, device)?;
        let cursor = state.sync.cursors.entry(device).or_default();
        cursor.in_progress = true;
        cursor.started_at = Some(now);
        Ok(cursor.clone())
    }

    async fn sync_status(&self, user: UserId, device: DeviceId) -> Result<SyncStatus> {
        let state = self.lock()?;
        state.own_device(user, device)?;
        let cursor = state.sync.cursors.get(&device).cloned().unwrap_or_default();
        let now = Utc::now();
        let pending_uploads = state
            .uploads
            .values()
            .filter(|u| u.user_id == user && !u.completed && u.expires_at > now)
            .filter(|u| u.media.device_id == Some(device))
            .count() as u64;
        let pending_downloads = state
            .sync
            .log
            .range(cursor.acked_seq.saturating_add(1)..)
            .filter(|(_, (u, _))| *u == user)
            .map(|(_, (_, m))| *m)
            .collect::<HashSet<_>>()
            .len() as u64;
        Ok(SyncStatus {
            cursor,
            pending_uploads,
            pending_downloads,
        })
    }

    async fn conflicted(&self, user: UserId) -> Result<Vec<(MediaId, MediaEdits)>> {
        let state = self.lock()?;
        let mut found: Vec<(MediaId, MediaEdits)> = state
            .sync
            .states
            .iter()
            .filter(|((u, _), s)| *u == user && !s.conflicts().is_empty())
            .map(|((_, m), s)| (*m, s.clone()))
            .collect();
        found.sort_by_key(|(m, _)| *m);
        Ok(found)
    }

    async fn compact_log(&self, limit: u32) -> Result<u64> {
        let mut state = self.lock()?;
        let log = &mut state.sync.log;
        let mut latest: HashSet<(UserId, MediaId)> = HashSet::new();
        let superseded: Vec<i64> = log
            .iter()
            .rev()
            .filter(|(_, item)| !latest.insert(**item))
            .map(|(seq, _)| *seq)
            .take(limit as usize)
            .collect();
        for seq in &superseded {
            log.remove(seq);
        }
        Ok(superseded.len() as u64)
    }
}
