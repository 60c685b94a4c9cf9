//! `sightline bench ingest`: tus uploads over loopback against plain copies of the same bytes on
//! the same disk, in one run. Processing is off: this measures the write path to durable
//! acknowledgement (blob fsynced, row and event committed).

use crate::session::Session;
use anyhow::Context;
use bytes::Bytes;
use futures::{StreamExt, stream};
use sightline_client::{TusClient, UploadMeta};
use sightline_core::MediaId;
use sightline_server::Server;
use sightline_server::config::Config;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct IngestBench {
    pub large_files: usize,
    pub large_mib: usize,
    pub small_files: usize,
    pub small_kib: usize,
    pub parallel: usize,
    /// Each case runs this many times, interleaved; the median is reported.
    pub rounds: usize,
    /// Where both the server's data and the plain copies go (the same disk).
    pub dir: PathBuf,
}

pub struct Row {
    pub name: String,
    pub files: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    /// CPU time of the whole process (client and server) during the case, when known.
    pub cpu: Option<Duration>,
}

impl Row {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64()
    }
    fn files_per_s(&self) -> f64 {
        self.files as f64 / self.elapsed.as_secs_f64()
    }
    fn cpu_ms_per_file(&self) -> Option<f64> {
        Some(self.cpu?.as_secs_f64() * 1e3 / self.files as f64)
    }
}

/// Deterministic incompressible bytes (xorshift), so runs compare like with like.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn cpu_since(before: Option<Duration>) -> Option<Duration> {
    Some(super::cpu::own()?.saturating_sub(before?))
}

/// The baseline: the same files written by `parallel` threads, each fsynced.
async fn plain_writes(
    name: &str,
    dir: &Path,
    files: &[Bytes],
    parallel: usize,
) -> anyhow::Result<Row> {
    std::fs::create_dir_all(dir)?;
    let (started, cpu_before) = (Instant::now(), super::cpu::own());
    let results: Vec<std::io::Result<()>> = stream::iter(files.iter().cloned().enumerate())
        .map(|(i, bytes)| {
            let path = dir.join(format!("{i}.bin"));
            tokio::task::spawn_blocking(move || write_synced(&path, &bytes))
        })
        .buffer_unordered(parallel)
        .map(|joined| joined.unwrap_or_else(|e| Err(std::io::Error::other(e))))
        .collect()
        .await;
    let (elapsed, cpu) = (started.elapsed(), cpu_since(cpu_before));
    results.into_iter().collect::<std::io::Result<()>>()?;
    Ok(Row {
        name: name.into(),
        files: files.len(),
        bytes: files.iter().map(|f| f.len() as u64).sum(),
        elapsed,
        cpu,
    })
}

async fn tus_uploads(
    name: &str,
    client: &TusClient,
    files: &[Bytes],
    parallel: usize,
    kind_ext: &str,
) -> anyhow::Result<Row> {
    let (started, cpu_before) = (Instant::now(), super::cpu::own());
    let results: Vec<anyhow::Result<()>> = stream::iter(files.iter().cloned())
        .map(|bytes| async move {
            let meta = UploadMeta {
                filename: Some(format!("bench.{kind_ext}")),
                ..UploadMeta::new(MediaId::new_random())
            };
            client
                .upload_bytes(bytes, &meta)
                .await
                .map(|_| ())
                .map_err(anyhow::Error::from)
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    let (elapsed, cpu) = (started.elapsed(), cpu_since(cpu_before));
    results.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(Row {
        name: name.into(),
        files: files.len(),
        bytes: files.iter().map(|f| f.len() as u64).sum(),
        elapsed,
        cpu,
    })
}

/// Per case, the round with the median time.
fn median_rows(rounds: Vec<Vec<Row>>) -> Vec<Row> {
    let cases = rounds.first().map_or(0, Vec::len);
    let mut by_case: Vec<Vec<Row>> = (0..cases).map(|_| Vec::new()).collect();
    for round in rounds {
        for (case, row) in round.into_iter().enumerate() {
            by_case[case].push(row);
        }
    }
    by_case
        .into_iter()
        .filter_map(|mut runs| {
            runs.sort_by_key(|r| r.elapsed);
            let middle = runs.len() / 2;
            runs.into_iter().nth(middle)
        })
        .collect()
}

pub async fn ingest(options: IngestBench) -> anyhow::Result<Vec<Row>> {
    let scratch = tempfile::tempdir_in(&options.dir).context("creating the bench directory")?;
    // SIGHTLINE__* variables apply, so other backends can be measured the same way.
    let config = Config::load(
        None,
        std::env::vars(),
        serde_json::json!({
            "data_dir": scratch.path().join("server"),
            "listen": "127.0.0.1:0",
            "workers": {"concurrency": 0},
            "uploads": {"max_size": (options.large_mib as u64 + 1) << 20},
        }),
    )?;
    let server = Server::start(config).await?;
    let session =
        Session::login_or_register(&server.url(), "bench@sightline.local", "bench-password")
            .await?;
    let client = TusClient::new(&server.url(), session.access_token.clone())?;

    let large: Vec<Bytes> = (0..options.large_files)
        .map(|i| payload(options.large_mib << 20, i as u64).into())
        .collect();
    let small: Vec<Bytes> = (0..options.small_files)
        .map(|i| payload(options.small_kib << 10, 1000 + i as u64).into())
        .collect();
    let plain = client.clone().with_checksums(false);
    let parallel = options.parallel;
    // Disk latency on shared machines drifts; interleaving the cases over several rounds and
    // keeping each case's median keeps one slow moment from deciding a ratio.
    let mut rounds: Vec<Vec<Row>> = Vec::new();
    for round in 0..options.rounds.max(1) {
        let (large_dir, small_dir) = (
            scratch.path().join(format!("plain-large-{round}")),
            scratch.path().join(format!("plain-small-{round}")),
        );
        rounds.push(vec![
            plain_writes("large: plain copy + fsync", &large_dir, &large, parallel).await?,
            tus_uploads("large: tus upload", &plain, &large, parallel, "mp4").await?,
            tus_uploads(
                "large: tus upload, sha256 per chunk",
                &client,
                &large,
                parallel,
                "mp4",
            )
            .await?,
            tus_uploads("small: tus upload", &plain, &small, parallel, "jpg").await?,
            plain_writes("small: plain write + fsync", &small_dir, &small, parallel).await?,
        ]);
        // The plain copies stay until the end: deleting thousands of files between rounds
        // makes ext4 scan past recently freed inodes on every later create, which would
        // slow whichever case runs next.
    }
    let rows = median_rows(rounds);
    server.shutdown();
    Ok(rows)
}

pub fn print_table(options: &IngestBench, rows: &[Row]) {
    println!(
        "ingest bench: {} x {} MiB and {} x {} KiB, {} in parallel, median of {} rounds, on {}",
        options.large_files,
        options.large_mib,
        options.small_files,
        options.small_kib,
        options.parallel,
        options.rounds.max(1),
        options.dir.display()
    );
    println!("| case | files | MB | seconds | MB/s | files/s | CPU ms/file |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.1} | {:.0} | {} |",
            row.name,
            row.files,
            row.bytes as f64 / 1e6,
            row.elapsed.as_secs_f64(),
            row.mb_per_s(),
            row.files_per_s(),
            row.cpu_ms_per_file()
                .map_or_else(|| "?".into(), |ms| format!("{ms:.2}"))
        );
    }
    let find = |name: &str| rows.iter().find(|r| r.name == name);
    if let (Some(plain), Some(tus)) = (find("large: plain copy + fsync"), find("large: tus upload"))
    {
        println!(
            "large files: tus reaches {:.0} % of the plain copy's MB/s (goal >= 80 %)",
            100.0 * tus.mb_per_s() / plain.mb_per_s()
        );
    }
    if let (Some(plain), Some(tus)) = (
        find("small: plain write + fsync"),
        find("small: tus upload"),
    ) {
        println!(
            "small files: tus reaches {:.0} % of plain fsync'd writes per second (goal >= 50 %)",
            100.0 * tus.files_per_s() / plain.files_per_s()
        );
    }
}
