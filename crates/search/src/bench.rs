//! `run_search_bench`: builds (or reuses) a tantivy index of a synthetic library — one big user
//! among many small ones — and times a mix of hybrid queries for the big user and a small one.

mod queries;
mod report;
mod vocabulary;
mod world;

use crate::error::{Result, SearchError};
use crate::index::SearchIndex;
use crate::model::SearchQuery;
use crate::tantivy_index::{TantivyConfig, TantivyIndex};
use queries::{QueryClass, query};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use world::World;

pub use report::{ALL_CLASSES, BenchReport, BuildStats, LatencyRow};

/// Bumped when the generated documents change, so a cached index is rebuilt.
const BENCH_DATA_VERSION: u32 = 1;
const MANIFEST_FILE: &str = "bench-manifest.json";
const UPSERT_BATCH: usize = 10_000;
const COMMIT_EVERY: usize = 100_000;
const WARM_UP_QUERIES: usize = 100;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Holds the cached index and its manifest.
    pub dir: PathBuf,
    pub total_docs: usize,
    /// Documents of the one big user, included in `total_docs`.
    pub big_user_docs: usize,
    /// Users sharing the other documents.
    pub other_users: usize,
    /// Timed queries per user.
    pub queries: usize,
    pub writer_heap_bytes: usize,
    pub writer_threads: usize,
    pub seed: u64,
    /// Rebuild even when a matching cached index exists.
    pub rebuild: bool,
    /// Merge the built index into one segment (as after a rebuild); otherwise query the
    /// segments batch commits and background merges left, as a live index has.
    pub merge_after_build: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("/var/tmp/sightline-bench-search"),
            total_docs: 1_000_000,
            big_user_docs: 100_000,
            other_users: 900,
            queries: 1_000,
            writer_heap_bytes: 200 * 1024 * 1024,
            writer_threads: 2,
            seed: 42,
            rebuild: false,
            merge_after_build: true,
        }
    }
}

/// What the cached index was built from; any difference means a rebuild.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Manifest {
    bench_data_version: u32,
    seed: u64,
    total_docs: usize,
    big_user_docs: usize,
    other_users: usize,
    merged: bool,
}

/// Blocking: runs its own tokio runtime, so call it from synchronous code or, from async code,
/// through `tokio::task::spawn_blocking`.
pub fn run_search_bench(options: BenchOptions) -> Result<BenchReport> {
    if options.big_user_docs > options.total_docs
        || options.other_users == 0
        || options.queries == 0
    {
        return Err(SearchError::Bench(
            "need big_user_docs <= total_docs, other_users >= 1 and queries >= 1".into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let world = World::new(options.seed, options.other_users + 1);
    let index_dir = options.dir.join("index");
    let manifest = Manifest {
        bench_data_version: BENCH_DATA_VERSION,
        seed: options.seed,
        total_docs: options.total_docs,
        big_user_docs: options.big_user_docs,
        other_users: options.other_users,
        merged: options.merge_after_build,
    };
    let config = TantivyConfig {
        writer_heap_bytes: options.writer_heap_bytes,
        writer_threads: options.writer_threads,
    };

    let cached = !options.rebuild && read_manifest(&options.dir).as_ref() == Some(&manifest);
    if !cached && index_dir.exists() {
        std::fs::remove_dir_all(&index_dir)?;
    }
    let index = TantivyIndex::open(&index_dir, &config)?;
    let build = if cached && !index.was_created() && index.num_docs() == options.total_docs as u64 {
        None
    } else {
        std::fs::remove_file(options.dir.join(MANIFEST_FILE)).ok();
        let stats = runtime.block_on(build_index(&index, &world, &options))?;
        std::fs::write(
            options.dir.join(MANIFEST_FILE),
            serde_json::to_vec_pretty(&manifest).map_err(|e| SearchError::Bench(e.to_string()))?,
        )?;
        Some(stats)
    };

    let big = &world.users[0];
    let small = &world.users[1];
    let count = |user| runtime.block_on(index.search(&SearchQuery::for_user(user)));
    let big_user_docs = count(big.id)?.total;
    let small_user_docs = count(small.id)?.total;
    let mut rows = Vec::new();
    for (label, profile, docs) in [
        ("big", big, big_user_docs),
        ("small", small, small_user_docs),
    ] {
        let user = format!("{label} ({docs} docs)");
        rows.extend(runtime.block_on(time_queries(&index, &world, profile, &user, &options))?);
    }
    Ok(BenchReport {
        index_bytes: directory_bytes(&index_dir)?,
        index_dir,
        docs: index.num_docs(),
        segments: index.segment_count(),
        big_user_docs,
        small_user_docs,
        other_users: options.other_users,
        build,
        rows,
    })
}

fn read_manifest(dir: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join(MANIFEST_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn directory_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let metadata = entry?.metadata()?;
        if metadata.is_file() {
            total += metadata.len();
        }
    }
    Ok(total)
}

/// Documents in random user order (as uploads arrive), committed in batches, then (optionally)
/// merged into one segment as after a rebuild.
async fn build_index(
    index: &TantivyIndex,
    world: &World,
    options: &BenchOptions,
) -> Result<BuildStats> {
    let mut rng = StdRng::seed_from_u64(options.seed.wrapping_add(1));
    let mut owners: Vec<u32> = Vec::with_capacity(options.total_docs);
    owners.resize(options.big_user_docs, 0);
    let other_users = options.other_users as u32;
    owners.extend(
        (options.big_user_docs..options.total_docs)
            .map(|_| rand::Rng::gen_range(&mut rng, 1..=other_users)),
    );
    owners.shuffle(&mut rng);

    let started = Instant::now();
    let mut since_commit = 0;
    for (batch_number, batch) in owners.chunks(UPSERT_BATCH).enumerate() {
        let docs = batch
            .iter()
            .enumerate()
            .map(|(i, owner)| {
                let serial = batch_number * UPSERT_BATCH + i;
                world.document(&world.users[*owner as usize], serial, &mut rng)
            })
            .collect();
        index.upsert(docs).await?;
        since_commit += batch.len();
        if since_commit >= COMMIT_EVERY {
            index.commit().await?;
            since_commit = 0;
        }
    }
    index.commit().await?;
    let index_seconds = started.elapsed().as_secs_f64();
    let segments_before_merge = index.segment_count();
    let merge_seconds = if options.merge_after_build {
        let merge_started = Instant::now();
        index.merge_segments().await?;
        Some(merge_started.elapsed().as_secs_f64())
    } else {
        None
    };
    Ok(BuildStats {
        index_seconds,
        merge_seconds,
        segments_before_merge,
    })
}

struct Sample {
    class: QueryClass,
    latency: Duration,
    total: u64,
    returned: usize,
}

async fn time_queries(
    index: &TantivyIndex,
    world: &World,
    profile: &world::UserProfile,
    user_label: &str,
    options: &BenchOptions,
) -> Result<Vec<LatencyRow>> {
    let classes = QueryClass::ALL;
    let mut warm_rng = StdRng::seed_from_u64(options.seed.wrapping_add(2));
    for i in 0..WARM_UP_QUERIES {
        let q = query(classes[i % classes.len()], world, profile, &mut warm_rng);
        index.search(&q).await?;
    }
    let mut rng = StdRng::seed_from_u64(options.seed.wrapping_add(3));
    let mut samples = Vec::with_capacity(options.queries);
    for i in 0..options.queries {
        let class = classes[i % classes.len()];
        let q = query(class, world, profile, &mut rng);
        let started = Instant::now();
        let page = index.search(&q).await?;
        samples.push(Sample {
            class,
            latency: started.elapsed(),
            total: page.total,
            returned: page.hits.len(),
        });
    }
    let mut rows: Vec<LatencyRow> = classes
        .iter()
        .filter_map(|class| {
            let of_class: Vec<&Sample> = samples.iter().filter(|s| s.class == *class).collect();
            summarize(user_label, class.label(), &of_class)
        })
        .collect();
    rows.extend(summarize(
        user_label,
        ALL_CLASSES,
        &samples.iter().collect::<Vec<_>>(),
    ));
    Ok(rows)
}

fn summarize(user: &str, class: &str, samples: &[&Sample]) -> Option<LatencyRow> {
    if samples.is_empty() {
        return None;
    }
    let mut millis: Vec<f64> = samples
        .iter()
        .map(|s| s.latency.as_secs_f64() * 1e3)
        .collect();
    millis.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        let rank = ((p / 100.0) * millis.len() as f64).ceil() as usize;
        millis[rank.clamp(1, millis.len()) - 1]
    };
    let count = samples.len() as f64;
    Some(LatencyRow {
        user: user.to_string(),
        class: class.to_string(),
        queries: samples.len(),
        p50_ms: percentile(50.0),
        p99_ms: percentile(99.0),
        max_ms: millis[millis.len() - 1],
        mean_total: samples.iter().map(|s| s.total as f64).sum::<f64>() / count,
        mean_returned: samples.iter().map(|s| s.returned as f64).sum::<f64>() / count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(dir: &Path) -> BenchOptions {
        BenchOptions {
            dir: dir.to_path_buf(),
            total_docs: 3_000,
            big_user_docs: 1_000,
            other_users: 4,
            queries: 40,
            writer_heap_bytes: 20_000_000,
            writer_threads: 1,
            seed: 7,
            rebuild: false,
            merge_after_build: true,
        }
    }

    #[tokio::test]
    async fn builds_once_then_reuses_the_cached_index() {
        let dir = tempfile::tempdir().unwrap();
        let options = tiny(dir.path());
        // The CLI calls it from async code this way.
        let first = tokio::task::spawn_blocking({
            let options = options.clone();
            move || run_search_bench(options)
        })
        .await
        .unwrap()
        .unwrap();
        assert!(first.build.is_some());
        assert_eq!(
            (first.docs, first.big_user_docs, first.segments),
            (3_000, 1_000, 1)
        );
        assert!(first.small_user_docs > 0);
        let all: Vec<&LatencyRow> = first
            .rows
            .iter()
            .filter(|r| r.class == ALL_CLASSES)
            .collect();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|r| r.queries == 40 && r.mean_returned > 0.0));
        assert!(first.to_string().contains("p99 ms"));

        let second = tokio::task::spawn_blocking(move || run_search_bench(options))
            .await
            .unwrap()
            .unwrap();
        assert!(second.build.is_none());
        assert_eq!(second.docs, 3_000);
    }

    #[test]
    fn the_world_is_deterministic() {
        let one = World::new(9, 3);
        let two = World::new(9, 3);
        let mut rng_one = StdRng::seed_from_u64(1);
        let mut rng_two = StdRng::seed_from_u64(1);
        assert_eq!(
            one.document(&one.users[0], 0, &mut rng_one),
            two.document(&two.users[0], 0, &mut rng_two)
        );
        assert_eq!(one.users[2].id, two.users[2].id);
    }
}
