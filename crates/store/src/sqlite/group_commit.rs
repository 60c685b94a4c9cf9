//! Group commit for the hot writes (upload creation, media commit). SQLite has one writer and
//! every commit is an fsync; concurrent uploads would queue behind each other's fsyncs. Instead
//! one task takes every write waiting at that moment and runs them in one transaction. When one
//! write fails, the batch is rolled back and each write is run alone, so only the bad one fails.
//!
//! On a database file the batches are pipelined: the writer's connection commits without
//! waiting for the disk (`synchronous=NORMAL`) and hands the batch to a syncer thread, which
//! `fdatasync`s the WAL and only then answers its writes. The next batch is written while that
//! sync runs, and one sync covers every batch committed before it began. A write is answered
//! only once its commit is durable, as with `synchronous=FULL`; it can be seen by readers a few
//! milliseconds before that, as an upload's blob already can (`ingest::recover` removes items
//! whose original a crash lost). The writer leaves checkpoints to a task beside it
//! (`checkpoints`).

use super::checkpoints::Checkpoints;
use super::metadata::{MEDIA_COLUMNS, to_json};
use super::{millis, rows};
use crate::error::{Result, StoreError};
use crate::model::{CommitOutcome, Media, Upload};
use sightline_core::event::NewEvent;
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

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
    /// `write_turn`: the store's, taken for each batch. `wal`: the database's write-ahead log,
    /// for a database file (commits are then pipelined); `None` in memory.
    pub(super) fn start(
        pool: SqlitePool,
        write_turn: Arc<Mutex<()>>,
        wal: Option<PathBuf>,
    ) -> Result<Self> {
        let (requests, queue) = mpsc::channel(4 * MAX_BATCH);
        // The syncer is a thread of its own: it only ever waits on the disk, and as a task each
        // sync cost two more hand-offs (to the blocking pool and back) per batch.
        let syncer = match wal {
            Some(wal) => {
                let (committed, batches) = std::sync::mpsc::channel();
                std::thread::Builder::new()
                    .name("sqlite-wal-sync".into())
                    .spawn(move || sync_then_answer(&wal, &batches))?;
                Some(committed)
            }
            None => None,
        };
        tokio::spawn(run(pool, write_turn, queue, syncer));
        Ok(Self { requests })
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

type Replies = Vec<oneshot::Sender<Result<Written>>>;
/// A committed batch on its way to the syncer: its replies and what to answer.
type Committed = (Replies, Vec<Result<Written>>);

async fn run(
    pool: SqlitePool,
    write_turn: Arc<Mutex<()>>,
    mut queue: mpsc::Receiver<Request>,
    syncer: Option<std::sync::mpsc::Sender<Committed>>,
) {
    let pipelined = syncer.is_some();
    // The writer keeps its own connection: each trip through the pool costs round trips to the
    // connection's thread, and a pipelined one commits without syncing, which no other user of
    // the pool may inherit. After a failed batch it opens a fresh one.
    let mut held: Option<SqliteConnection> = None;
    let mut checkpoints = pipelined.then(|| Checkpoints::start(pool.clone()));
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (writes, replies): (Vec<Write>, Replies) = batch.into_iter().unzip();
        let turn = write_turn.lock().await;
        let (size, started) = (writes.len(), std::time::Instant::now());
        let results = match connection(&pool, &mut held, pipelined).await {
            Ok(conn) => apply_each_on_failure(conn, &writes).await,
            Err(e) => unavailable(writes.len(), &format!("no database connection: {e}")),
        };
        if results.iter().any(Result::is_err) {
            held = None;
        }
        drop(turn);
        if let Some(checkpoints) = &mut checkpoints {
            checkpoints.committed(results.iter().filter(|r| r.is_ok()).count());
        }
        tracing::debug!(
            size,
            elapsed_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        match &syncer {
            Some(syncer) => {
                if let Err(std::sync::mpsc::SendError((replies, _))) =
                    syncer.send((replies, results))
                {
                    let stopped = unavailable(replies.len(), "the WAL syncer has stopped");
                    answer(replies, stopped);
                }
            }
            None => answer(replies, results),
        }
    }
}

/// The same failure for each of `count` writes.
fn unavailable(count: usize, reason: &str) -> Vec<Result<Written>> {
    (0..count)
        .map(|_| Err(StoreError::Unavailable(reason.to_string())))
        .collect()
}

fn answer(replies: Replies, results: Vec<Result<Written>>) {
    for (reply, result) in replies.into_iter().zip(results) {
        let _ = reply.send(result);
    }
}

/// The writer's connection, detached from the pool; opened when there is none. Pipelined, it
/// neither syncs nor checkpoints: the syncer and the checkpointing task do that beside it.
async fn connection<'a>(
    pool: &SqlitePool,
    held: &'a mut Option<SqliteConnection>,
    pipelined: bool,
) -> Result<&'a mut SqliteConnection> {
    if held.is_none() {
        let mut conn = pool.acquire().await?.detach();
        if pipelined {
            sqlx::query("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0")
                .execute(&mut conn)
                .await?;
        }
        *held = Some(conn);
    }
    held.as_mut()
        .ok_or_else(|| StoreError::Unavailable("no database connection".into()))
}

/// Answers committed batches once the WAL holding them is on disk: each sync covers every
/// batch that arrived before it began. Returns when the writer has stopped.
fn sync_then_answer(wal: &Path, batches: &std::sync::mpsc::Receiver<Committed>) {
    while let Ok(first) = batches.recv() {
        let mut committed = vec![first];
        committed.extend(batches.try_iter());
        let needs_sync = committed
            .iter()
            .any(|(_, results)| results.iter().any(Result::is_ok));
        let synced = match needs_sync {
            true => sync_wal(wal),
            false => Ok(()),
        };
        for (replies, results) in committed {
            let results = match &synced {
                Ok(()) => results,
                Err(e) => unavailable(
                    results.len(),
                    &format!("the database log could not be synced: {e}"),
                ),
            };
            answer(replies, results);
        }
    }
}

/// Opened anew each time: SQLite may delete and recreate the log (when its last connection
/// closes, after checkpointing everything into the database file and syncing that).
fn sync_wal(wal: &Path) -> std::io::Result<()> {
    match std::fs::File::open(wal) {
        Ok(file) => file.sync_data(),
        // No log: whatever was committed is in the database file, synced at its checkpoint.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The batch in one transaction; when that fails and the batch holds more than one write,
/// each write alone, so that only a bad one (a constraint, a bad row) fails.
async fn apply_each_on_failure(
    conn: &mut SqliteConnection,
    writes: &[Write],
) -> Vec<Result<Written>> {
    match apply(conn, writes).await {
        Ok(done) => done.into_iter().map(Ok).collect(),
        Err(_) if writes.len() > 1 => {
            let mut results = Vec::with_capacity(writes.len());
            for write in writes {
                results.push(
                    apply(conn, std::slice::from_ref(write))
                        .await
                        .map(|mut done| done.remove(0)),
                );
            }
            results
        }
        Err(e) => vec![Err(e)],
    }
}

/// Runs the writes in one transaction: all of them commit, or none.
async fn apply(conn: &mut SqliteConnection, writes: &[Write]) -> Result<Vec<Written>> {
    let applied = apply_in_transaction(conn, writes).await;
    if applied.is_err() {
        // A failed statement leaves its transaction open; nothing of the batch may stay.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    }
    applied
}

/// Upload creations one by one (rare on the hot path), each its own trips to the connection's
/// thread; media commits together with the transaction's end as one command.
async fn apply_in_transaction(
    conn: &mut SqliteConnection,
    writes: &[Write],
) -> Result<Vec<Written>> {
    let mut done: Vec<Option<Written>> = writes.iter().map(|_| None).collect();
    let mut commits = Vec::new();
    let mut began = false;
    for (i, write) in writes.iter().enumerate() {
        match write {
            Write::CreateUpload(upload) => {
                if !began {
                    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
                    began = true;
                }
                done[i] = Some(Written::Upload(create_upload(conn, upload).await?))
            }
            Write::CommitMedia {
                media,
                upload,
                events,
            } => commits.push((
                i,
                Commit {
                    media,
                    upload: upload.as_ref(),
                    events,
                },
            )),
        }
    }
    let items: Vec<&Commit> = commits.iter().map(|(_, c)| c).collect();
    let outcomes = commit_media(conn, &items, !began).await?;
    for ((i, _), outcome) in commits.iter().zip(outcomes) {
        done[*i] = Some(Written::Commit(outcome));
    }
    done.into_iter()
        .map(|w| w.ok_or_else(out_of_kind))
        .collect()
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

struct Commit<'a> {
    media: &'a Media,
    upload: Option<&'a Upload>,
    events: &'a [NewEvent],
}

/// Media rows, their uploads and the events of the rows that are new, for a whole batch, and
/// the transaction's `COMMIT` (and its `BEGIN` when `begin`), sent to the connection's thread
/// as one command. Each hand-off to that thread waits for a core, and under load those waits
/// were most of a batch's time. The first commit of a media id in the batch wins; later ones
/// (and ones already stored) answer `AlreadyExists` and write no events.
async fn commit_media(
    conn: &mut SqliteConnection,
    items: &[&Commit<'_>],
    begin: bool,
) -> Result<Vec<CommitOutcome>> {
    let mut command = QueryBuilder::<Sqlite>::new(if begin { "BEGIN IMMEDIATE;" } else { "" });
    let now = millis(chrono::Utc::now());
    for item in items {
        push_commit(&mut command, item, now)?;
    }
    command.push("COMMIT;");
    let inserted: Vec<(String, String)> = command.build_query_as().fetch_all(&mut *conn).await?;
    let inserted: HashSet<(String, String)> = inserted.into_iter().collect();
    let mut first = HashSet::new();
    Ok(items
        .iter()
        .map(|c| {
            let key = (c.media.user_id.to_string(), c.media.id.to_string());
            if inserted.contains(&key) && first.insert(key) {
                CommitOutcome::Created
            } else {
                CommitOutcome::AlreadyExists
            }
        })
        .collect())
}

/// One commit's statements: its media row (returned when new), its events only when the row
/// was new (`changes()` counts the statement before, not what triggers add), and its upload:
/// stored complete when new, marked complete when it exists, left alone when another upload
/// holds the media id.
fn push_commit(command: &mut QueryBuilder<Sqlite>, c: &Commit<'_>, now: i64) -> Result<()> {
    let m = c.media;
    let facts = m.facts.as_ref().map(to_json).transpose()?;
    command.push(format!("INSERT INTO media ({MEDIA_COLUMNS}) "));
    command.push_values([m], |mut row, m| {
        row.push_bind(m.user_id.to_string())
            .push_bind(m.id.to_string())
            .push_bind(m.kind.as_str())
            .push_bind(m.status.as_str())
            .push_bind(m.failure_reason.clone())
            .push_bind(m.filename.clone())
            .push_bind(m.device_id.map(|d| d.to_string()))
            .push_bind(millis(m.captured_at))
            .push_bind(m.captured_at_from_client)
            .push_bind(m.location.map(|l| l.lat))
            .push_bind(m.location.map(|l| l.lon))
            .push_bind(m.size_bytes as i64)
            .push_bind(m.raw_key.clone())
            .push_bind(facts.clone())
            .push_bind(m.thumbnail_key.clone())
            .push_bind(m.preview_key.clone())
            .push_bind(m.rendition_key.clone())
            .push_bind(millis(m.created_at))
            .push_bind(millis(m.updated_at));
    });
    command.push(" ON CONFLICT (user_id, id) DO NOTHING RETURNING user_id, id;");
    // Each event's insert inserted one row when the one before it did: the chain holds.
    for event in c.events {
        // The `outbox_fanout` trigger adds the deliveries.
        command
            .push("INSERT INTO outbox (topic, payload, created_at) SELECT ")
            .push_bind(event.topic.as_str())
            .push(", ")
            .push_bind(event.payload.to_string())
            .push(", ")
            .push_bind(now)
            .push(" WHERE changes() = 1;");
    }
    if let Some(u) = c.upload {
        let media_json = to_json(&u.media)?;
        command.push(
            "INSERT INTO uploads (id, user_id, media_id, length, \"offset\", media, created_at, expires_at, completed) ",
        );
        command.push_values([u], |mut row, u| {
            row.push_bind(u.id.to_string())
                .push_bind(u.user_id.to_string())
                .push_bind(u.media.media_id.to_string())
                .push_bind(u.length as i64)
                .push_bind(u.length as i64)
                .push_bind(media_json.clone())
                .push_bind(millis(u.created_at))
                .push_bind(millis(u.expires_at))
                .push_bind(1i64);
        });
        command.push(
            " ON CONFLICT (id) DO UPDATE SET completed = 1, \"offset\" = length ON CONFLICT DO NOTHING;",
        );
    }
    Ok(())
}
