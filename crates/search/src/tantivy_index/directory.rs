//! Opening the index directory: reuse an index of the current format, replace an outdated
//! one, never overwrite a directory that is not ours.

use crate::error::{Result, SearchError};
use std::fs;
use std::path::Path;
use tantivy::Index;
use tantivy::schema::Schema;

/// Bumped when the documents' meaning changes without the schema changing (tokenizer,
/// normalisation), so an old index is rebuilt.
const FORMAT_VERSION: &str = "1";
const FORMAT_FILE: &str = "sightline-search-format";
const TANTIVY_META_FILE: &str = "meta.json";

pub(super) struct Opened {
    pub index: Index,
    pub created: bool,
}

pub(super) fn open_or_create(dir: &Path, schema: Schema) -> Result<Opened> {
    fs::create_dir_all(dir)?;
    let format_file = dir.join(FORMAT_FILE);
    let has_index = dir.join(TANTIVY_META_FILE).exists();
    let current_format = fs::read_to_string(&format_file)
        .map(|text| text.trim() == FORMAT_VERSION)
        .unwrap_or(false);
    if has_index && current_format {
        let index = Index::open_in_dir(dir)?;
        if index.schema() == schema {
            return Ok(Opened {
                index,
                created: false,
            });
        }
        tracing::info!(dir = %dir.display(), "search index schema changed; recreating it");
    }
    let is_empty = fs::read_dir(dir)?.next().is_none();
    if !is_empty {
        if !has_index && !format_file.exists() {
            return Err(SearchError::NotAnIndex(dir.to_path_buf()));
        }
        tracing::info!(dir = %dir.display(), "replacing outdated search index");
        fs::remove_dir_all(dir)?;
        fs::create_dir_all(dir)?;
    }
    let index = Index::create_in_dir(dir, schema)?;
    // Written last: an index without it is treated as outdated and recreated.
    fs::write(&format_file, FORMAT_VERSION)?;
    Ok(Opened {
        index,
        created: true,
    })
}
