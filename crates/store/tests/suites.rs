//! The shared contract suites against the embedded and in-memory implementations.

use sightline_store::blob::{LocalFsBlobStore, MemoryBlobStore};
use sightline_store::memory::MemoryStore;
use sightline_store::sqlite::SqliteStore;
use sightline_store::testsuite;

async fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    (dir, SqliteStore::open(&url).await.unwrap())
}

#[tokio::test]
async fn sqlite_metadata() {
    let (_dir, store) = sqlite().await;
    testsuite::metadata_suite(&store).await;
}

#[tokio::test]
async fn sqlite_bus() {
    let (_dir, store) = sqlite().await;
    testsuite::bus_suite(&store).await;
}

#[tokio::test]
async fn memory_metadata() {
    testsuite::metadata_suite(&MemoryStore::default()).await;
}

#[tokio::test]
async fn memory_bus() {
    testsuite::bus_suite(&MemoryStore::default()).await;
}

#[tokio::test]
async fn local_fs_blobs() {
    let dir = tempfile::tempdir().unwrap();
    testsuite::blob_suite(&LocalFsBlobStore::new(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn memory_blobs() {
    testsuite::blob_suite(&MemoryBlobStore::default()).await;
}
