//! The embedded write model and event bus: one SQLite database in WAL mode. Each commit is
//! fsynced (`synchronous=FULL`) so an acknowledged upload survives power loss, except the bus's
//! bookkeeping (claims, leases, acks, retries), which commits without waiting for the disk: the
//! WAL is append-only, so the next durable commit makes it durable too, and a power cut that
//! loses the last few only hands those deliveries out again, which at-least-once delivery to
//! idempotent consumers allows. Waiting on an fsync for each of them put every event's
//! consumers in line behind the disk (`bench notify`).

mod bus;
mod checkpoints;
mod doorbell_events;
mod group_commit;
mod library;
mod metadata;
mod notifications;
mod retention;
mod rows;
mod sync;

use crate::error::{Result, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Writers take turns here, in order, instead of in SQLite's busy handler, which polls
    /// with sleeps of up to 100 ms and lets an unlucky writer lose the race again and again:
    /// under `bench notify` that was about a thousand sleeps a second and a p99 of hundreds of ms.
    /// Readers never wait for it (WAL).
    write_turn: Arc<tokio::sync::Mutex<()>>,
    /// `synchronous=NORMAL` connections for the bus's bookkeeping (the same pool in memory).
    bookkeeping: SqlitePool,
    writer: group_commit::GroupCommit,
}

/// Connections to a database file, closed when idle for 10 minutes and renewed hourly. The
/// pool's ping before handing out a connection is off: a connection to a local file cannot
/// have been cut off while idle, and sqlx already pings every connection on its way back into
/// the pool. That ping is a round trip to the connection's worker thread, about a third of the
/// thread hand-offs of a small query.
fn file_pool(max: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .idle_timeout(Some(Duration::from_secs(600)))
        .max_lifetime(Some(Duration::from_secs(3600)))
        .test_before_acquire(false)
}

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database at `url` (`sqlite://path` or
    /// `sqlite::memory:`).
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let in_memory = url.contains(":memory:");
        let pool = if in_memory {
            // An in-memory database exists per connection: keep exactly one, for good.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options.clone())
                .await?
        } else {
            file_pool(8).connect_with(options.clone()).await?
        };
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let wal = (!in_memory).then(|| {
            let mut wal = options.get_filename().as_os_str().to_owned();
            wal.push("-wal");
            std::path::PathBuf::from(wal)
        });
        let bookkeeping = if in_memory {
            pool.clone()
        } else {
            file_pool(4)
                .connect_with(options.synchronous(SqliteSynchronous::Normal))
                .await?
        };
        let write_turn = Arc::new(tokio::sync::Mutex::new(()));
        let writer = group_commit::GroupCommit::start(pool.clone(), Arc::clone(&write_turn), wal)?;
        Ok(Self {
            pool,
            write_turn,
            bookkeeping,
            writer,
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// This process's turn to write; hold it across the write (and nothing that writes).
    async fn write_turn(&self) -> WriteTurn<'_> {
        self.write_turn.lock().await
    }

    /// A write transaction (`BEGIN IMMEDIATE`) begun in this process's turn, which it keeps
    /// until it is committed or dropped (rolled back).
    async fn write_tx(&self) -> Result<WriteTx<'_>> {
        let turn = self.write_turn().await;
        // sqlx's `begin_with` awaits once more after its BEGIN has run; a caller cancelled
        // there (a request whose client hung up) would leave the transaction open on a pooled
        // connection, holding the write lock until that connection closes. In a task of its
        // own the begin always finishes, and a transaction nobody took is dropped: rolled back.
        let pool = self.pool.clone();
        let tx = tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await })
            .await
            .map_err(|e| StoreError::Unavailable(format!("beginning a write: {e}")))??;
        Ok(WriteTx { tx, _turn: turn })
    }
}

type WriteTurn<'a> = tokio::sync::MutexGuard<'a, ()>;

/// A transaction holding the write turn; derefs to its connection.
struct WriteTx<'a> {
    // Declared first, so a dropped transaction rolls back before the turn passes on.
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: WriteTurn<'a>,
}

impl WriteTx<'_> {
    async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

pub(crate) fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}
