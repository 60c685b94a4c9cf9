//! Sync over SQLite. The change log is written by triggers (migration 0005), never here: this
//! stores edits and merged states, reads the log and keeps the cursors.

use super::metadata::to_json;
use super::rows::time;
use super::{SqliteStore, millis};
use crate::error::{Result, StoreError};
use crate::sync::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::sync::{Edit, MediaEdits};
use sightline_core::{DeviceId, MediaId, UserId};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::{HashMap, HashSet};

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn media_id(text: &str) -> Result<MediaId> {
    MediaId::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn cursor(row: &SqliteRow) -> Result<SyncCursor> {
    let at = |column: &str| -> Result<Option<DateTime<Utc>>> {
        row.try_get::<Option<i64>, _>(column)?.map(time).transpose()
    };
    Ok(SyncCursor {
        acked_seq: row.try_get("acked_seq")?,
        last_sync_at: at("last_sync_at")?,
        in_progress: row.try_get::<i64, _>("in_progress")? != 0,
        started_at: at("started_at")?,
    })
}

/// `NotFound` unless the device is the user's.
async fn own_device(conn: &mut SqliteConnection, user: UserId, device: DeviceId) -> Result<()> {
    sqlx::query("SELECT 1 FROM devices WHERE user_id = ? AND id = ?")
        .bind(user.to_string())
        .bind(device.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound)
}

async fn write_state(
    conn: &mut SqliteConnection,
    user: UserId,
    media: MediaId,
    state: &MediaEdits,
    now: i64,
) -> Result<()> {
    let view = state.visible();
    sqlx::query(
        "INSERT INTO sync_media (user_id, media_id, state, title, favourite, deleted, tags, people, \
         conflict_count, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (user_id, media_id) DO UPDATE SET state = excluded.state, \
         title = excluded.title, favourite = excluded.favourite, deleted = excluded.deleted, \
         tags = excluded.tags, people = excluded.people, conflict_count = excluded.conflict_count, \
         updated_at = excluded.updated_at",
    )
    .bind(user.to_string())
    .bind(media.to_string())
    .bind(to_json(state)?)
    .bind(&view.title)
    .bind(view.favourite)
    .bind(view.deleted)
    .bind(to_json(&view.tags)?)
    .bind(to_json(&view.people)?)
    .bind(state.conflicts().len() as i64)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl SyncStore for SqliteStore {
    async fn apply_edits(&self, user: UserId, edits: &[(MediaId, Edit)]) -> Result<AppliedEdits> {
        // IMMEDIATE: the states are read, merged and written back; no other writer in between.
        let mut tx = self.write_tx().await?;
        let mut exists = HashMap::new();
        let mut states = HashMap::new();
        for (media, _) in edits {
            if exists.contains_key(media) {
                continue;
            }
            let row: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT m.id, s.state FROM media m LEFT JOIN sync_media s \
                 ON s.user_id = m.user_id AND s.media_id = m.id WHERE m.user_id = ? AND m.id = ?",
            )
            .bind(user.to_string())
            .bind(media.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            exists.insert(*media, row.is_some());
            if let Some((_, Some(state))) = row {
                states.insert(*media, json(&state, "sync state")?);
            }
        }
        let now = millis(Utc::now());
        let mut fresh = Vec::with_capacity(edits.len());
        let mut changed = HashSet::new();
        for (media, edit) in edits {
            if exists.get(media) != Some(&true) {
                fresh.push(None);
                continue;
            }
            let stamp = edit.stamp.to_string();
            // The `sync_log_edit_insert` trigger logs the change.
            let inserted = sqlx::query(
                "INSERT INTO sync_edits (user_id, media_id, stamp, edit, received_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(user.to_string())
            .bind(media.to_string())
            .bind(&stamp)
            .bind(to_json(edit)?)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0;
            if inserted {
                changed.insert(*media);
            } else {
                let (stored,): (String,) = sqlx::query_as(
                    "SELECT edit FROM sync_edits WHERE user_id = ? AND media_id = ? AND stamp = ?",
                )
                .bind(user.to_string())
                .bind(media.to_string())
                .bind(&stamp)
                .fetch_one(&mut *tx)
                .await?;
                if json::<Edit>(&stored, "stored edit")? != *edit {
                    return Err(reused_stamp(edit));
                }
            }
            fresh.push(Some(inserted));
        }
        let applied = merge_edits(edits, &fresh, &mut states);
        for (media, state) in &applied.states {
            if changed.contains(media) {
                write_state(&mut tx, user, *media, state, now).await?;
            }
        }
        tx.commit().await?;
        Ok(applied)
    }

    async fn synced(
        &self,
        user: UserId,
        media: &[MediaId],
    ) -> Result<HashMap<MediaId, MediaEdits>> {
        let mut found = HashMap::new();
        for chunk in media.chunks(500) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT media_id, state FROM sync_media WHERE user_id = ",
            );
            query.push_bind(user.to_string()).push(" AND media_id IN (");
            let mut ids = query.separated(", ");
            for id in chunk {
                ids.push_bind(id.to_string());
            }
            query.push(")");
            for (id, state) in query
                .build_query_as::<(String, String)>()
                .fetch_all(&self.pool)
                .await?
            {
                found.insert(media_id(&id)?, json(&state, "sync state")?);
            }
        }
        Ok(found)
    }

    async fn changes(&self, user: UserId, since: i64, limit: u32) -> Result<ChangePage> {
        // One statement, so the page is one snapshot. Each item once, at its latest change.
        let rows: Vec<(String, i64, i64, Option<String>)> = sqlx::query_as(
            "WITH latest AS (SELECT media_id, MAX(seq) AS seq FROM sync_log \
             WHERE user_id = ?1 AND seq > ?2 GROUP BY media_id ORDER BY seq LIMIT ?3) \
             SELECT latest.media_id, latest.seq, m.id IS NOT NULL, s.state FROM latest \
             LEFT JOIN media m ON m.user_id = ?1 AND m.id = latest.media_id \
             LEFT JOIN sync_media s ON s.user_id = ?1 AND s.media_id = latest.media_id \
             ORDER BY latest.seq",
        )
        .bind(user.to_string())
        .bind(since)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let has_more = rows.len() > limit as usize;
        let mut changes = Vec::with_capacity(rows.len());
        for (id, seq, present, state) in rows.into_iter().take(limit as usize) {
            let state = match (present != 0, state) {
                (false, _) => None,
                (true, None) => Some(MediaEdits::default()),
                (true, Some(state)) => Some(json(&state, "sync state")?),
            };
            changes.push(ChangeEntry {
                seq,
                media_id: media_id(&id)?,
                state,
            });
        }
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
        let mut tx = self.write_tx().await?;
        let updated =
            sqlx::query("UPDATE devices SET last_sync_at = ? WHERE user_id = ? AND id = ?")
                .bind(millis(now))
                .bind(user.to_string())
                .bind(device.to_string())
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(
            "INSERT INTO sync_cursors (device_id, user_id, acked_seq, last_sync_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (device_id) DO UPDATE SET \
             acked_seq = excluded.acked_seq, last_sync_at = excluded.last_sync_at, \
             in_progress = CASE WHEN ?5 THEN 0 ELSE in_progress END RETURNING *",
        )
        .bind(device.to_string())
        .bind(user.to_string())
        .bind(seq)
        .bind(millis(now))
        .bind(reached_end)
        .fetch_one(&mut *tx)
        .await?;
        let cursor = cursor(&row)?;
        tx.commit().await?;
        Ok(cursor)
    }

    async fn start_sync(
        &self,
        user: UserId,
        device: DeviceId,
        now: DateTime<Utc>,
    ) -> Result<SyncCursor> {
        let mut tx = self.write_tx().await?;
        own_device(&mut tx, user, device).await?;
        let row = sqlx::query(
            "INSERT INTO sync_cursors (device_id, user_id, in_progress, started_at) \
             VALUES (?1, ?2, 1, ?3) ON CONFLICT (device_id) DO UPDATE SET \
             in_progress = 1, started_at = excluded.started_at RETURNING *",
        )
        .bind(device.to_string())
        .bind(user.to_string())
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?;
        let cursor = cursor(&row)?;
        tx.commit().await?;
        Ok(cursor)
    }

    async fn sync_status(&self, user: UserId, device: DeviceId) -> Result<SyncStatus> {
        let mut conn = self.pool.acquire().await?;
        own_device(&mut conn, user, device).await?;
        let cursor = sqlx::query("SELECT * FROM sync_cursors WHERE device_id = ?")
            .bind(device.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .as_ref()
            .map(cursor)
            .transpose()?
            .unwrap_or_default();
        let (uploads,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM uploads WHERE user_id = ? AND completed = 0 \
             AND expires_at > ? AND json_extract(media, '$.device_id') = ?",
        )
        .bind(user.to_string())
        .bind(millis(Utc::now()))
        .bind(device.to_string())
        .fetch_one(&mut *conn)
        .await?;
        let (downloads,): (i64,) = sqlx::query_as(
            "SELECT COUNT(DISTINCT media_id) FROM sync_log WHERE user_id = ? AND seq > ?",
        )
        .bind(user.to_string())
        .bind(cursor.acked_seq)
        .fetch_one(&mut *conn)
        .await?;
        Ok(SyncStatus {
            cursor,
            pending_uploads: uploads.max(0) as u64,
            pending_downloads: downloads.max(0) as u64,
        })
    }

    async fn conflicted(&self, user: UserId) -> Result<Vec<(MediaId, MediaEdits)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT media_id, state FROM sync_media WHERE user_id = ? AND conflict_count > 0 \
             ORDER BY updated_at DESC, media_id",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|(id, state)| Ok((media_id(id)?, json(state, "sync state")?)))
            .collect()
    }

    async fn compact_log(&self, limit: u32) -> Result<u64> {
        let _turn = self.write_turn().await;
        let done = sqlx::query(
            "DELETE FROM sync_log WHERE seq IN (SELECT old.seq FROM sync_log AS old \
             WHERE EXISTS (SELECT 1 FROM sync_log AS newer WHERE newer.user_id = old.user_id \
             AND newer.media_id = old.media_id AND newer.seq > old.seq) LIMIT ?)",
        )
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
