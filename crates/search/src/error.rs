use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid search query: {0}")]
    InvalidQuery(String),
    #[error("unsupported search backend uri {0:?}")]
    UnsupportedUri(String),
    #[error("{0} is not empty and holds no search index; refusing to overwrite it")]
    NotAnIndex(PathBuf),
    #[error("search index is locked by another writer: {0}")]
    Locked(String),
    #[error("search index writer unavailable after a failed segment merge")]
    WriterUnavailable,
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("search bench: {0}")]
    Bench(String),
    #[error("search index task failed: {0}")]
    Task(String),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;
