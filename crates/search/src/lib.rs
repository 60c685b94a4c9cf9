//! The read-model search index (design: "Read path", step 2): one document per media item with
//! its people, places, time, detections and text; exact filters, BM25 ranking on words, newest
//! first otherwise. [`SearchIndex`] is the backend trait; [`TantivyIndex`] the embedded profile's
//! implementation (on-disk tantivy index), [`MemorySearchIndex`] the in-memory one for tests of
//! callers; [`resolve`] picks one from a config URI. [`bench::run_search_bench`] measures the
//! tantivy index at a million documents.

mod analysis;
pub mod bench;
mod error;
mod index;
pub mod memory;
pub mod model;
mod resolver;
pub mod tantivy_index;
pub mod testsuite;

pub use error::{Result, SearchError};
pub use index::SearchIndex;
pub use memory::MemorySearchIndex;
pub use model::{CityFilter, MediaDoc, SearchHit, SearchPage, SearchQuery, TimeRange};
pub use resolver::resolve;
pub use tantivy_index::{TantivyConfig, TantivyIndex};
