//! Group commit for the hot writes (upload creation, media commit). SQLite has one writer and
//! every commit is an fsync; concurrent uploads would queue behind each other's fsyncs. Instead
//! one task takes every write waiting at that moment, runs them in one transaction and commits
//! them with a single fsync. When one write fails, the batch is rolled back and each write is
//! run alone, so only the bad one fails.

use super::bus::insert_events;
use super::metadata::{MEDIA_COLUMNS, to_json};
use super::{millis, rows};
use crate::error::{Result, StoreError};
use crate::model::{CommitOutcome, Media, Upload};
use sightline_core::event::NewEvent;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqlitePool;
use tokio::sync::{mpsc, oneshot};

/// Most writes one commit takes; bounds the transaction under a flood.
const MAX_BATCH: usize = 256;

pub(super) enum Write {
    CreateUpload(Upload),
    CommitMedia {
        media: Box<Media>,
        upload: Option<Upload>,
        events: Vec<NewEvent>,
    },
}

pub(super) enum Written {
    Upload(Upload),
    Commit(CommitOutcome),
}

impl Written {
    pub(super) fn into_upload(self) -> Result<Upload> {
        match self {
            Self::Upload(upload) => Ok(upload),
            Self::Commit(_) => Err(out_of_kind()),
        }
    }

    pub(super) fn into_commit(self) -> Result<CommitOutcome> {
        match self {
            Self::Commit(outcome) => Ok(outcome),
            Self::Upload(_) => Err(out_of_kind()),
        }
    }
}

fn out_of_kind() -> StoreError {
    StoreError::Corrupt("group commit answered a different kind of write".into())
}

type Request = (Write, oneshot::Sender<Result<Written>>);

#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    requests: mpsc::Sender<Request>,
}

impl GroupCommit {
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (requests, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, queue));
        Self { requests }
    }

    pub(super) async fn submit(&self, write: Write) -> Result<Written> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the database writer has stopped".into());
        self.requests
            .send((write, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: SqlitePool, mut queue: mpsc::Receiver<Request>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (writes, replies): (Vec<Write>, Vec<_>) = batch.into_iter().unzip();
        let (size, started) = (writes.len(), std::time::Instant::now());
        let results = match apply(&pool, &writes).await {
            Ok(done) => done.into_iter().map(Ok).collect(),
            // One write failed (a constraint, a bad row): run each alone, so it fails alone.
            Err(_) if writes.len() > 1 => {
                let mut results = Vec::with_capacity(writes.len());
                for write in &writes {
                    results.push(
                        apply(&pool, std::slice::from_ref(write))
                            .await
                            .map(|mut done| done.remove(0)),
                    );
                }
                results
            }
            Err(e) => vec![Err(e)],
        };
        tracing::debug!(
            size,
            elapsed_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// Runs the writes in one transaction: all of them commit, or none.
async fn apply(pool: &SqlitePool, writes: &[Write]) -> Result<Vec<Written>> {
    let mut conn = pool.acquire().await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let mut done = Vec::with_capacity(writes.len());
    for write in writes {
        let result = match write {
            Write::CreateUpload(upload) => {
                create_upload(&mut conn, upload).await.map(Written::Upload)
            }
            Write::CommitMedia {
                media,
                upload,
                events,
            } => commit_media(&mut conn, media, upload.as_ref(), events)
                .await
                .map(Written::Commit),
        };
        match result {
            Ok(written) => done.push(written),
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                return Err(e);
            }
        }
    }
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(e.into());
    }
    Ok(done)
}

async fn create_upload(conn: &mut SqliteConnection, upload: &Upload) -> Result<Upload> {
    sqlx::query(
        "INSERT INTO uploads (id, user_id, media_id, length, \"offset\", media, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(upload.id.to_string())
    .bind(upload.user_id.to_string())
    .bind(upload.media.media_id.to_string())
    .bind(upload.length as i64)
    .bind(upload.offset as i64)
    .bind(to_json(&upload.media)?)
    .bind(millis(upload.created_at))
    .bind(millis(upload.expires_at))
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT * FROM uploads WHERE user_id = ? AND media_id = ?")
        .bind(upload.user_id.to_string())
        .bind(upload.media.media_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    rows::upload(&row)
}

async fn commit_media(
    conn: &mut SqliteConnection,
    media: &Media,
    upload: Option<&Upload>,
    events: &[NewEvent],
) -> Result<CommitOutcome> {
    let inserted = sqlx::query(&format!(
        "INSERT INTO media ({MEDIA_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (user_id, id) DO NOTHING"
    ))
    .bind(media.user_id.to_string())
    .bind(media.id.to_string())
    .bind(media.kind.as_str())
    .bind(media.status.as_str())
    .bind(&media.failure_reason)
    .bind(&media.filename)
    .bind(media.device_id.map(|d| d.to_string()))
    .bind(millis(media.captured_at))
    .bind(media.captured_at_from_client)
    .bind(media.location.map(|l| l.lat))
    .bind(media.location.map(|l| l.lon))
    .bind(media.size_bytes as i64)
    .bind(&media.raw_key)
    .bind(media.facts.as_ref().map(to_json).transpose()?)
    .bind(&media.thumbnail_key)
    .bind(&media.preview_key)
    .bind(&media.rendition_key)
    .bind(millis(media.created_at))
    .bind(millis(media.updated_at))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if let Some(upload) = upload {
        // Stored complete when new, marked complete when it exists, left alone when another
        // upload holds the media id.
        sqlx::query(
            "INSERT INTO uploads (id, user_id, media_id, length, \"offset\", media, created_at, expires_at, completed) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) \
             ON CONFLICT (id) DO UPDATE SET completed = 1, \"offset\" = length ON CONFLICT DO NOTHING",
        )
        .bind(upload.id.to_string())
        .bind(upload.user_id.to_string())
        .bind(upload.media.media_id.to_string())
        .bind(upload.length as i64)
        .bind(upload.length as i64)
        .bind(to_json(&upload.media)?)
        .bind(millis(upload.created_at))
        .bind(millis(upload.expires_at))
        .execute(&mut *conn)
        .await?;
    }
    if !inserted {
        return Ok(CommitOutcome::AlreadyExists);
    }
    insert_events(conn, events).await?;
    Ok(CommitOutcome::Created)
}
