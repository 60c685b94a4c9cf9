//! The embedded profile's search index: one tantivy index on local disk, a `user` term on every
//! document as the partition filter, one writer behind a mutex, and a reader reloaded at every
//! commit. Blocking work runs on tokio's blocking pool.

mod directory;
mod query;
mod schema;
mod search;

use crate::analysis::{WORDS_TOKENIZER, words_analyzer};
use crate::error::{Result, SearchError};
use crate::index::SearchIndex;
use crate::model::{MediaDoc, SearchPage, SearchQuery};
use async_trait::async_trait;
use schema::{Fields, build_schema, key_bytes, to_document};
use sightline_core::{MediaId, UserId};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tantivy::query::AllQuery;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyError, Term};

#[derive(Debug, Clone)]
pub struct TantivyConfig {
    /// Indexing memory shared by the writer threads; a segment is flushed when it fills.
    pub writer_heap_bytes: usize,
    /// Each thread needs at least 15 MB of the heap.
    pub writer_threads: usize,
}

impl Default for TantivyConfig {
    fn default() -> Self {
        Self {
            writer_heap_bytes: 128 * 1024 * 1024,
            writer_threads: 1,
        }
    }
}

#[derive(Clone)]
pub struct TantivyIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: Index,
    config: TantivyConfig,
    fields: Fields,
    /// Empty only while `merge_segments` replaces the writer, or if that failed.
    writer: Mutex<Option<IndexWriter>>,
    reader: IndexReader,
    created: bool,
}

impl TantivyIndex {
    /// Opens the index in `dir`, or creates it there. An index of an older format or schema is
    /// deleted and created empty (it is a projection; see [`TantivyIndex::was_created`]); a
    /// non-empty directory that holds no index is refused. Takes the directory's writer lock,
    /// so one process at a time.
    pub fn open(dir: impl AsRef<Path>, config: &TantivyConfig) -> Result<Self> {
        let (schema, fields) = build_schema();
        let opened = directory::open_or_create(dir.as_ref(), schema)?;
        let index: Index = opened.index;
        index
            .tokenizers()
            .register(WORDS_TOKENIZER, words_analyzer());
        let writer = new_writer(&index, config)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                config: config.clone(),
                fields,
                writer: Mutex::new(Some(writer)),
                reader,
                created: opened.created,
            }),
        })
    }

    /// True when `open` created the index (new directory, or an outdated index replaced): the
    /// caller should rebuild it from the write model.
    pub fn was_created(&self) -> bool {
        self.inner.created
    }

    /// Documents visible to search (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Segments visible to search.
    pub fn segment_count(&self) -> usize {
        self.inner.reader.searcher().segment_readers().len()
    }

    /// Commits, waits for background merges, then merges every segment into one: for after a
    /// rebuild, when a single segment makes queries cheapest. Takes as long as rewriting the
    /// index; writes wait meanwhile.
    pub async fn merge_segments(&self) -> Result<()> {
        self.blocking(|inner| {
            let mut slot = inner.writer_slot();
            let mut writer = slot.take().ok_or(SearchError::WriterUnavailable)?;
            writer.commit()?;
            writer.wait_merging_threads()?;
            let mut writer = new_writer(&inner.index, &inner.config)?;
            let segments = inner.index.searchable_segment_ids()?;
            if segments.len() > 1 {
                writer.merge(&segments).wait()?;
            }
            *slot = Some(writer);
            inner.reader.reload()?;
            Ok(())
        })
        .await
    }

    /// Runs `work` on the blocking pool: tantivy writes, commits and searches are CPU or disk
    /// work that must not stall the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|error| SearchError::Task(error.to_string()))?
    }
}

fn new_writer(index: &Index, config: &TantivyConfig) -> Result<IndexWriter> {
    index
        .writer_with_num_threads(config.writer_threads.max(1), config.writer_heap_bytes)
        .map_err(|error| match error {
            TantivyError::LockFailure(lock, detail) => {
                SearchError::Locked(detail.unwrap_or_else(|| lock.to_string()))
            }
            other => SearchError::Index(other),
        })
}

impl Inner {
    fn writer_slot(&self) -> MutexGuard<'_, Option<IndexWriter>> {
        // A panic while holding the writer leaves at most an uncommitted batch behind, which the
        // next commit settles; the writer itself stays usable.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` with the writer.
    fn with_writer<T>(&self, work: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut slot = self.writer_slot();
        let writer = slot.as_mut().ok_or(SearchError::WriterUnavailable)?;
        work(writer)
    }

    fn key_term(&self, user: UserId, media: MediaId) -> Term {
        Term::from_field_bytes(self.fields.key, &key_bytes(user, media))
    }
}

#[async_trait]
impl SearchIndex for TantivyIndex {
    async fn upsert(&self, docs: Vec<MediaDoc>) -> Result<()> {
        self.blocking(move |inner| {
            inner.with_writer(|writer| {
                for doc in &docs {
                    writer.delete_term(inner.key_term(doc.user, doc.media));
                    writer.add_document(to_document(&inner.fields, doc))?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn delete(&self, user: UserId, media: MediaId) -> Result<()> {
        self.blocking(move |inner| {
            inner.with_writer(|writer| {
                writer.delete_term(inner.key_term(user, media));
                Ok(())
            })
        })
        .await
    }

    async fn delete_user(&self, user: UserId) -> Result<()> {
        self.blocking(move |inner| {
            let term = Term::from_field_bytes(inner.fields.user, user.0.as_bytes());
            inner.with_writer(|writer| {
                writer.delete_term(term);
                Ok(())
            })
        })
        .await
    }

    async fn clear(&self) -> Result<()> {
        // A delete query, not `delete_all_documents`: it is ordered with the staged writes
        // around it, like every other change.
        self.blocking(|inner| {
            inner.with_writer(|writer| {
                writer.delete_query(Box::new(AllQuery))?;
                Ok(())
            })
        })
        .await
    }

    async fn commit(&self) -> Result<()> {
        self.blocking(|inner| {
            inner.with_writer(|writer| {
                writer.commit()?;
                Ok(())
            })?;
            inner.reader.reload()?;
            Ok(())
        })
        .await
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        query.validate()?;
        let query = query.clone();
        self.blocking(move |inner| search::run(&inner.reader.searcher(), &inner.fields, &query))
            .await
    }
}

#[cfg(test)]
mod tests;
