//! The bench's results and their table.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The `class` of each user's row over all queries.
pub const ALL_CLASSES: &str = "all";

#[derive(Debug, Clone)]
pub struct BuildStats {
    pub index_seconds: f64,
    /// `None` when the bench was asked not to merge.
    pub merge_seconds: Option<f64>,
    /// Segments before the final merge.
    pub segments_before_merge: usize,
}

#[derive(Debug, Clone)]
pub struct LatencyRow {
    pub user: String,
    pub class: String,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Mean number of matching documents.
    pub mean_total: f64,
    /// Mean number of hits on the page.
    pub mean_returned: f64,
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub index_dir: PathBuf,
    pub docs: u64,
    pub index_bytes: u64,
    pub segments: usize,
    pub big_user_docs: u64,
    pub small_user_docs: u64,
    pub other_users: usize,
    /// `None` when the cached index was reused.
    pub build: Option<BuildStats>,
    pub rows: Vec<LatencyRow>,
}

impl BenchReport {
    /// The p99 of all queries of each user is under `goal`.
    pub fn meets_p99(&self, goal: Duration) -> bool {
        let goal_ms = goal.as_secs_f64() * 1e3;
        self.rows
            .iter()
            .filter(|row| row.class == ALL_CLASSES)
            .all(|row| row.p99_ms < goal_ms)
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "search bench: {} docs ({} of the big user, {} other users; small user {}), \
             index {:.0} MiB in {} segment(s) at {}",
            self.docs,
            self.big_user_docs,
            self.other_users,
            self.small_user_docs,
            self.index_bytes as f64 / (1024.0 * 1024.0),
            self.segments,
            self.index_dir.display()
        )?;
        match &self.build {
            Some(build) => {
                write!(
                    f,
                    "build: {:.1} s indexing ({:.0} docs/s, {} segments)",
                    build.index_seconds,
                    self.docs as f64 / build.index_seconds.max(1e-9),
                    build.segments_before_merge,
                )?;
                match build.merge_seconds {
                    Some(seconds) => writeln!(f, ", {seconds:.1} s merging to one")?,
                    None => writeln!(f, ", not merged")?,
                }
            }
            None => writeln!(f, "build: cached index reused")?,
        }
        writeln!(
            f,
            "{:<20} {:<38} {:>7} {:>8} {:>8} {:>8} {:>10} {:>9}",
            "user", "query", "queries", "p50 ms", "p99 ms", "max ms", "matches", "returned"
        )?;
        for row in &self.rows {
            writeln!(
                f,
                "{:<20} {:<38} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>10.0} {:>9.1}",
                row.user,
                row.class,
                row.queries,
                row.p50_ms,
                row.p99_ms,
                row.max_ms,
                row.mean_total,
                row.mean_returned
            )?;
        }
        Ok(())
    }
}
