//! Checkpoints of the group-commit writer's log, run beside the writer. SQLite's automatic
//! checkpoint runs inside the commit that crosses its threshold: one batch in every few dozen
//! waited for the log to be copied into the database file and for that file's fsync, and every
//! upload queued behind it waited too. The writer's connection turns it off, and this task runs
//! a passive checkpoint, which never blocks the writer or readers, every [`EVERY_WRITES`]
//! committed writes. Other connections keep SQLite's automatic checkpoints.

use sqlx::sqlite::SqlitePool;
use tokio::sync::mpsc;

/// Committed writes between checkpoints: a few log pages each, so about SQLite's own threshold
/// of 1,000 pages.
const EVERY_WRITES: usize = 256;

#[derive(Debug)]
pub(super) struct Checkpoints {
    due: mpsc::Sender<()>,
    since_last: usize,
}

impl Checkpoints {
    /// Starts the checkpointing task, which ends when this is dropped.
    pub(super) fn start(pool: SqlitePool) -> Self {
        // One request waiting is enough: a checkpoint covers everything committed before it.
        let (due, requests) = mpsc::channel(1);
        tokio::spawn(run(pool, requests));
        Self { due, since_last: 0 }
    }

    /// Counts writes the writer committed; asks for a checkpoint once enough have been.
    pub(super) fn committed(&mut self, writes: usize) {
        self.since_last += writes;
        if self.since_last >= EVERY_WRITES {
            self.since_last = 0;
            let _ = self.due.try_send(());
        }
    }
}

async fn run(pool: SqlitePool, mut requests: mpsc::Receiver<()>) {
    while requests.recv().await.is_some() {
        let checkpoint = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await;
        match checkpoint {
            Ok((_, log_pages, copied)) => tracing::debug!(log_pages, copied, "checkpoint"),
            Err(e) => tracing::warn!(error = %e, "checkpoint failed; the next one retries"),
        }
    }
}
