//! The agent's local SQLite store: one row per capture and its upload state, and a log of
//! commands. Synchronous=FULL with WAL: a capture acknowledged to the wearer survives a power cut.

use chrono::{DateTime, TimeZone, Utc};
use sightline_core::MediaId;
use sightline_core::media::MediaKind;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("local database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("local database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("local database holds a bad row: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureState {
    /// The row exists, the file is still being written.
    Writing,
    /// Complete on disk, not yet on the server.
    Pending,
    Uploaded,
    /// Uploaded, then deleted locally to make room.
    Evicted,
    /// The file is missing or no longer matches its checksum; never uploaded as good.
    Corrupt,
}

impl CaptureState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Writing => "writing",
            Self::Pending => "pending",
            Self::Uploaded => "uploaded",
            Self::Evicted => "evicted",
            Self::Corrupt => "corrupt",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "writing" => Self::Writing,
            "pending" => Self::Pending,
            "uploaded" => Self::Uploaded,
            "evicted" => Self::Evicted,
            "corrupt" => Self::Corrupt,
            other => return Err(StoreError::Corrupt(format!("capture state {other:?}"))),
        })
    }
}

/// Upload order: lower first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Photos and anything the wearer asked for explicitly.
    UserRequested = 0,
    Video = 1,
    /// Captures the device made by itself (motion clips, timelapses).
    Background = 2,
}

impl Priority {
    fn from_i64(n: i64) -> Self {
        match n {
            0 => Self::UserRequested,
            1 => Self::Video,
            _ => Self::Background,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub media_id: MediaId,
    pub kind: MediaKind,
    /// Relative to the agent's media directory.
    pub file_name: String,
    pub state: CaptureState,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub captured_at: DateTime<Utc>,
    pub location: Option<(f64, f64)>,
    pub priority: Priority,
    pub upload_url: Option<String>,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// What a new capture is, before its file is written.
#[derive(Debug, Clone)]
pub struct NewCapture {
    pub media_id: MediaId,
    pub kind: MediaKind,
    pub file_name: String,
    pub captured_at: DateTime<Utc>,
    pub location: Option<(f64, f64)>,
    pub priority: Priority,
}

/// Bytes on disk by what may happen to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Not yet on the server (writing, pending, corrupt): never deleted to make room.
    pub unsynced_bytes: u64,
    pub unsynced_count: u64,
    /// On the server and still here: evictable, oldest first.
    pub synced_bytes: u64,
    pub synced_count: u64,
    pub corrupt_count: u64,
}

#[derive(Debug, Clone)]
pub struct CommandLog {
    pub source: String,
    pub text: String,
    pub outcome: String,
    pub received_at: DateTime<Utc>,
    pub latency: Duration,
}

#[derive(Clone)]
pub struct AgentStore {
    pool: SqlitePool,
}

const CAPTURE_COLUMNS: &str = "media_id, kind, file_name, state, bytes, sha256, captured_at, \
     lat, lon, priority, upload_url, attempts, next_attempt_at, last_error";

impl AgentStore {
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// For the other tables of the same database (doorbell events).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn begin_capture(&self, new: &NewCapture) -> Result<()> {
        sqlx::query(
            "INSERT INTO captures (media_id, kind, file_name, state, captured_at, lat, lon, priority) \
             VALUES (?, ?, ?, 'writing', ?, ?, ?, ?)",
        )
        .bind(new.media_id.to_string())
        .bind(new.kind.as_str())
        .bind(&new.file_name)
        .bind(new.captured_at.timestamp_millis())
        .bind(new.location.map(|l| l.0))
        .bind(new.location.map(|l| l.1))
        .bind(new.priority as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The file is complete under its final name: queue it for upload.
    pub async fn finish_capture(&self, id: MediaId, bytes: u64, sha256: &str) -> Result<()> {
        sqlx::query(
            "UPDATE captures SET state = 'pending', bytes = ?, sha256 = ? \
             WHERE media_id = ? AND state = 'writing'",
        )
        .bind(bytes as i64)
        .bind(sha256)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A capture that never produced a file.
    pub async fn forget(&self, id: MediaId) -> Result<()> {
        sqlx::query("DELETE FROM captures WHERE media_id = ? AND state = 'writing'")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drops a capture the owner deleted on the server, whatever its upload state: it must
    /// not come back by being uploaded again. A capture still being written is left alone.
    pub async fn remove_deleted(&self, id: MediaId) -> Result<Option<Capture>> {
        let Some(capture) = self.get(id).await? else {
            return Ok(None);
        };
        let removed = sqlx::query("DELETE FROM captures WHERE media_id = ? AND state != 'writing'")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok((removed > 0).then_some(capture))
    }

    /// The change-log token the device has applied up to, and when.
    pub async fn sync_position(&self) -> Result<Option<(String, DateTime<Utc>)>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT token, last_sync_at FROM sync_state WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(token, at)| Some((token, from_millis(at)?))))
    }

    pub async fn set_sync_position(&self, token: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_state (id, token, last_sync_at) VALUES (1, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET token = excluded.token, last_sync_at = excluded.last_sync_at",
        )
        .bind(token)
        .bind(at.timestamp_millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn get(&self, id: MediaId) -> Result<Option<Capture>> {
        let row = sqlx::query(&format!(
            "SELECT {CAPTURE_COLUMNS} FROM captures WHERE media_id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| capture(&r)).transpose()
    }

    pub async fn in_state(&self, state: CaptureState) -> Result<Vec<Capture>> {
        let rows = sqlx::query(&format!(
            "SELECT {CAPTURE_COLUMNS} FROM captures WHERE state = ? ORDER BY captured_at"
        ))
        .bind(state.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(capture).collect()
    }

    /// The next pending capture whose retry time has come, most urgent first.
    pub async fn next_due(&self, now: DateTime<Utc>) -> Result<Option<Capture>> {
        let row = sqlx::query(&format!(
            "SELECT {CAPTURE_COLUMNS} FROM captures \
             WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) \
             ORDER BY priority, captured_at LIMIT 1"
        ))
        .bind(now.timestamp_millis())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| capture(&r)).transpose()
    }

    /// When the earliest pending capture that is waiting out a backoff may be tried again.
    pub async fn next_retry_at(&self) -> Result<Option<DateTime<Utc>>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM captures WHERE state = 'pending'")
                .fetch_one(&self.pool)
                .await?;
        Ok(at.and_then(from_millis))
    }

    /// Pending captures by priority: (user-requested, others).
    pub async fn pending_counts(&self) -> Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(priority = 0), 0), COALESCE(SUM(priority <> 0), 0) \
             FROM captures WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get::<i64, _>(0) as u64, row.get::<i64, _>(1) as u64))
    }

    pub async fn set_upload_url(&self, id: MediaId, url: &str) -> Result<()> {
        sqlx::query("UPDATE captures SET upload_url = ? WHERE media_id = ?")
            .bind(url)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn mark_uploaded(&self, id: MediaId, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE captures SET state = 'uploaded', uploaded_at = ?, last_error = NULL, \
             next_attempt_at = NULL WHERE media_id = ? AND state = 'pending'",
        )
        .bind(at.timestamp_millis())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_failed(
        &self,
        id: MediaId,
        attempts: u32,
        retry_at: DateTime<Utc>,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE captures SET attempts = ?, next_attempt_at = ?, last_error = ? \
             WHERE media_id = ? AND state = 'pending'",
        )
        .bind(i64::from(attempts))
        .bind(retry_at.timestamp_millis())
        .bind(error)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every pending capture may be tried now (the network came back, or a sync was asked for).
    pub async fn retry_all_now(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE captures SET next_attempt_at = NULL \
             WHERE state = 'pending' AND next_attempt_at IS NOT NULL",
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn mark_corrupt(&self, id: MediaId, reason: &str) -> Result<()> {
        sqlx::query(
            "UPDATE captures SET state = 'corrupt', last_error = ? \
             WHERE media_id = ? AND state IN ('writing', 'pending')",
        )
        .bind(reason)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_evicted(&self, id: MediaId) -> Result<()> {
        sqlx::query(
            "UPDATE captures SET state = 'evicted' WHERE media_id = ? AND state = 'uploaded'",
        )
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uploaded captures still on disk, oldest first: what may be deleted to make room.
    pub async fn evictable(&self, limit: u32) -> Result<Vec<Capture>> {
        let rows = sqlx::query(&format!(
            "SELECT {CAPTURE_COLUMNS} FROM captures WHERE state = 'uploaded' \
             ORDER BY captured_at LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(capture).collect()
    }

    pub async fn usage(&self) -> Result<Usage> {
        let row = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN state IN ('writing','pending','corrupt') THEN bytes END), 0), \
               COALESCE(SUM(state IN ('writing','pending','corrupt')), 0), \
               COALESCE(SUM(CASE WHEN state = 'uploaded' THEN bytes END), 0), \
               COALESCE(SUM(state = 'uploaded'), 0), \
               COALESCE(SUM(state = 'corrupt'), 0) \
             FROM captures",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |i: usize| row.get::<i64, _>(i).max(0) as u64;
        Ok(Usage {
            unsynced_bytes: n(0),
            unsynced_count: n(1),
            synced_bytes: n(2),
            synced_count: n(3),
            corrupt_count: n(4),
        })
    }

    pub async fn log_command(&self, entry: &CommandLog) -> Result<()> {
        sqlx::query(
            "INSERT INTO commands (source, text, outcome, received_at, latency_us) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&entry.source)
        .bind(&entry.text)
        .bind(&entry.outcome)
        .bind(entry.received_at.timestamp_millis())
        .bind(i64::try_from(entry.latency.as_micros()).unwrap_or(i64::MAX))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn recent_commands(&self, limit: u32) -> Result<Vec<CommandLog>> {
        let rows = sqlx::query(
            "SELECT source, text, outcome, received_at, latency_us FROM commands \
             ORDER BY id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CommandLog {
                    source: r.try_get(0)?,
                    text: r.try_get(1)?,
                    outcome: r.try_get(2)?,
                    received_at: from_millis(r.try_get(3)?).unwrap_or_default(),
                    latency: Duration::from_micros(r.try_get::<i64, _>(4)?.max(0) as u64),
                })
            })
            .collect()
    }
}

pub(crate) fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

fn capture(r: &SqliteRow) -> Result<Capture> {
    let id: String = r.try_get("media_id")?;
    let media_id =
        MediaId::from_str(&id).map_err(|_| StoreError::Corrupt(format!("media id {id:?}")))?;
    let kind: String = r.try_get("kind")?;
    let kind =
        MediaKind::from_str(&kind).map_err(|_| StoreError::Corrupt(format!("kind {kind:?}")))?;
    let lat: Option<f64> = r.try_get("lat")?;
    let lon: Option<f64> = r.try_get("lon")?;
    let captured: i64 = r.try_get("captured_at")?;
    Ok(Capture {
        media_id,
        kind,
        file_name: r.try_get("file_name")?,
        state: CaptureState::parse(&r.try_get::<String, _>("state")?)?,
        bytes: r.try_get::<i64, _>("bytes")?.max(0) as u64,
        sha256: r.try_get("sha256")?,
        captured_at: from_millis(captured)
            .ok_or_else(|| StoreError::Corrupt(format!("captured_at {captured}")))?,
        location: lat.zip(lon),
        priority: Priority::from_i64(r.try_get("priority")?),
        upload_url: r.try_get("upload_url")?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: r
            .try_get::<Option<i64>, _>("next_attempt_at")?
            .and_then(from_millis),
        last_error: r.try_get("last_error")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_capture(kind: MediaKind, priority: Priority, at: i64) -> NewCapture {
        let media_id = MediaId::new_random();
        NewCapture {
            media_id,
            kind,
            file_name: format!("{media_id}.{}", kind.default_extension()),
            captured_at: from_millis(at).unwrap(),
            location: Some((48.85, 2.35)),
            priority,
        }
    }

    #[tokio::test]
    async fn captures_move_through_their_states_and_queue_by_priority() {
        let dir = tempfile::tempdir().unwrap();
        let store = AgentStore::open(&dir.path().join("agent.db"))
            .await
            .unwrap();
        let video = new_capture(MediaKind::Video, Priority::Video, 1_000);
        let photo = new_capture(MediaKind::Photo, Priority::UserRequested, 2_000);
        for c in [&video, &photo] {
            store.begin_capture(c).await.unwrap();
        }
        let now = from_millis(10_000).unwrap();
        // Rows still being written are not uploadable.
        assert!(store.next_due(now).await.unwrap().is_none());
        store
            .finish_capture(video.media_id, 500, "aa")
            .await
            .unwrap();
        store
            .finish_capture(photo.media_id, 100, "bb")
            .await
            .unwrap();
        // The later photo goes before the earlier video.
        let first = store.next_due(now).await.unwrap().unwrap();
        assert_eq!(first.media_id, photo.media_id);
        assert_eq!(first.location, Some((48.85, 2.35)));
        assert_eq!(store.pending_counts().await.unwrap(), (1, 1));

        // A failed photo waits out its backoff; the video goes meanwhile.
        let later = from_millis(20_000).unwrap();
        store
            .mark_failed(photo.media_id, 1, later, "connection refused")
            .await
            .unwrap();
        assert_eq!(
            store.next_due(now).await.unwrap().unwrap().media_id,
            video.media_id
        );
        assert_eq!(store.next_retry_at().await.unwrap(), Some(later));
        assert_eq!(store.retry_all_now().await.unwrap(), 1);
        assert_eq!(
            store.next_due(now).await.unwrap().unwrap().media_id,
            photo.media_id
        );

        store.mark_uploaded(photo.media_id, now).await.unwrap();
        let usage = store.usage().await.unwrap();
        assert_eq!((usage.unsynced_bytes, usage.synced_bytes), (500, 100));
        assert_eq!(
            store.evictable(10).await.unwrap()[0].media_id,
            photo.media_id
        );
        store.mark_evicted(photo.media_id).await.unwrap();
        // Only uploaded captures can be evicted: the pending video is untouched.
        store.mark_evicted(video.media_id).await.unwrap();
        assert_eq!(
            store.get(video.media_id).await.unwrap().unwrap().state,
            CaptureState::Pending
        );
        assert_eq!(store.usage().await.unwrap().synced_bytes, 0);
    }
}
