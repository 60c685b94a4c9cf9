//! Config URI → search backend. The only place that knows which ones exist.

use crate::error::{Result, SearchError};
use crate::index::SearchIndex;
use crate::memory::MemorySearchIndex;
use crate::tantivy_index::{TantivyConfig, TantivyIndex};
use std::sync::Arc;

/// `tantivy://PATH` (an index directory on local disk) or `memory://`. The second value is
/// true when the index starts empty and must be rebuilt from the write model.
pub fn resolve(uri: &str, config: &TantivyConfig) -> Result<(Arc<dyn SearchIndex>, bool)> {
    if let Some(path) = uri.strip_prefix("tantivy://") {
        if path.is_empty() {
            return Err(SearchError::UnsupportedUri(uri.to_string()));
        }
        let index = TantivyIndex::open(path, config)?;
        let created = index.was_created();
        Ok((Arc::new(index), created))
    } else if uri == "memory://" {
        Ok((Arc::new(MemorySearchIndex::default()), true))
    } else {
        Err(SearchError::UnsupportedUri(uri.to_string()))
    }
}
