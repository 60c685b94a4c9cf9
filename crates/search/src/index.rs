//! The search backend trait.

use crate::error::Result;
use crate::model::{MediaDoc, SearchPage, SearchQuery};
use async_trait::async_trait;
use sightline_core::{MediaId, UserId};

/// The read model's search index: a projection of the write model, updated from events and
/// rebuildable from scratch (`clear`, `upsert` everything, `commit`).
///
/// Writes are staged and become visible to `search` together at the next `commit`, which is the
/// expensive step (segment flush and fsync): the projector upserts a batch of events' changes and
/// commits once per batch. Staged writes apply in call order. Every document and every query
/// carries the user: no query ever reaches another user's documents.
#[async_trait]
pub trait SearchIndex: Send + Sync + 'static {
    /// Adds or replaces documents, keyed by (user, media).
    async fn upsert(&self, docs: Vec<MediaDoc>) -> Result<()>;
    /// Removes one item; removing an absent item is not an error.
    async fn delete(&self, user: UserId, media: MediaId) -> Result<()>;
    /// Removes every item of the user.
    async fn delete_user(&self, user: UserId) -> Result<()>;
    /// Removes everything, before a rebuild.
    async fn clear(&self) -> Result<()>;
    /// Makes the staged writes durable and visible.
    async fn commit(&self) -> Result<()>;
    /// Fails with `InvalidQuery` on a bad page size; never on query text.
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage>;
}
