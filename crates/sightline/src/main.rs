//! `sightline`: serve, demo, upload, agent, reindex, bench.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value, json};
use sightline::bench::{self, IngestBench};
use sightline::demo::{self, DemoOptions};
use sightline::session::Session;
use sightline_client::{TusClient, UploadOptions, upload_paths};
use sightline_server::Server;
use sightline_server::config::Config;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "sightline",
    version,
    about = "Self-hosted platform for smart glasses and doorbells"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ServerFlags {
    /// TOML configuration file.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the config).
    #[arg(long)]
    listen: Option<String>,
    /// Data directory (overrides the config).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServerFlags),
    /// Run the server with a demo user, device and processed sample library.
    Demo {
        #[command(flatten)]
        server: ServerFlags,
        /// Exit after printing the summary instead of serving until Ctrl-C.
        #[arg(long)]
        exit: bool,
        /// How long to wait for processing, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Upload files or folders to a server with tus (resumable).
    Upload {
        paths: Vec<PathBuf>,
        #[arg(
            long,
            env = "SIGHTLINE_SERVER",
            default_value = "http://127.0.0.1:8080"
        )]
        server: String,
        /// An access or device token; or give --email and --password.
        #[arg(long, env = "SIGHTLINE_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[arg(long, env = "SIGHTLINE_EMAIL")]
        email: Option<String>,
        #[arg(long, env = "SIGHTLINE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Files uploaded at once.
        #[arg(long, default_value_t = 2)]
        parallel: usize,
        #[arg(long)]
        device_id: Option<String>,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run the device agent (glasses or doorbell), or ask a running one for its status.
    Agent(Box<sightline::agent_cli::AgentArgs>),
    /// Rebuild the search index from the library (stop the server first).
    Reindex(ServerFlags),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The glasses agent: command → photo latency, queue drain vs plain tus, battery per mode.
    Agent(sightline::bench::agent::AgentBench),
    /// The doorbell's edge motion detector vs OpenCV's MOG2: frames/s, precision, recall.
    Motion(sightline::bench::motion::MotionBench),
    /// Doorbell event accepted → SSE note and webhook delivery, p50/p99 at a steady rate.
    Notify(sightline::bench::notify::NotifyBench),
    /// Doorbell press → classified notification, end to end on vtest.avi.
    Doorbell(sightline::bench::doorbell::DoorbellBench),
    /// A 2-minute memory video: smart cut vs a naive full re-encode.
    Memory(sightline::bench::memory::MemoryBench),
    /// tus uploads vs plain copies of the same bytes on the same disk.
    Ingest {
        #[arg(long, default_value_t = 4)]
        large_files: usize,
        #[arg(long, default_value_t = 256)]
        large_mib: usize,
        #[arg(long, default_value_t = 2000)]
        small_files: usize,
        #[arg(long, default_value_t = 200)]
        small_kib: usize,
        /// Uploads (and plain writes) at once.
        #[arg(long, default_value_t = 16)]
        parallel: usize,
        /// Rounds per case; the median is reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Scratch directory on the disk to measure.
        #[arg(long, default_value = "/var/tmp")]
        dir: PathBuf,
    },
    /// Search latency over a million-document index (100K of one user).
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        total_docs: usize,
        #[arg(long, default_value_t = 100_000)]
        big_user_docs: usize,
        /// Timed queries per user.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        /// Where the index is cached between runs.
        #[arg(long, default_value = "/var/tmp/sightline-bench-search")]
        dir: PathBuf,
        /// Build the index again even when a cached one matches.
        #[arg(long)]
        rebuild: bool,
    },
}

fn load_config(flags: &ServerFlags) -> anyhow::Result<Config> {
    let mut overrides = Map::new();
    if let Some(listen) = &flags.listen {
        overrides.insert("listen".into(), json!(listen));
    }
    if let Some(dir) = &flags.data_dir {
        overrides.insert("data_dir".into(), json!(dir));
    }
    Ok(Config::load(
        flags.config.as_deref(),
        std::env::vars(),
        Value::Object(overrides),
    )?)
}

fn state_file() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("sightline").join("uploads.json")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // A benchmark's table is its output; per-request logs would only slow it down.
    let default_filter = match cli.command {
        Command::Bench { .. } => "warn",
        _ => "info,sqlx=warn,tower_http=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGHTLINE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(flags) => {
            let server = Server::start(load_config(&flags)?).await?;
            tokio::select! {
                _ = server.wait() => {}
                _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
            }
        }
        Command::Demo {
            server,
            exit,
            timeout,
        } => {
            let config = load_config(&server)?;
            demo::run(
                config,
                DemoOptions {
                    exit_when_done: exit,
                    timeout: Duration::from_secs(timeout),
                },
            )
            .await?;
        }
        Command::Upload {
            paths,
            server,
            token,
            email,
            password,
            parallel,
            device_id,
            quiet,
        } => {
            anyhow::ensure!(
                !paths.is_empty(),
                "name at least one file or folder to upload"
            );
            let token = match (token, email, password) {
                (Some(token), _, _) => token,
                (None, Some(email), Some(password)) => {
                    Session::login(&server, &email, &password)
                        .await?
                        .access_token
                }
                _ => anyhow::bail!("give --token, or --email and --password (or SIGHTLINE_TOKEN)"),
            };
            let client = TusClient::new(&server, token)?;
            let options = UploadOptions {
                parallel,
                quiet,
                device_id,
            };
            let summary = upload_paths(&client, &paths, &options, &state_file())
                .await
                .context("upload")?;
            println!(
                "uploaded {}, already on the server {}, skipped (not media) {}, failed {}",
                summary.uploaded,
                summary.already_present,
                summary.skipped,
                summary.failed.len()
            );
            for (path, reason) in &summary.failed {
                println!("  failed: {}: {reason}", path.display());
            }
            anyhow::ensure!(
                summary.failed.is_empty(),
                "{} files failed",
                summary.failed.len()
            );
        }
        Command::Bench {
            which: BenchCommand::Memory(options),
        } => sightline::bench::memory::run(options).await?,
        Command::Bench {
            which: BenchCommand::Agent(options),
        } => sightline::bench::agent::run(options).await?,
        Command::Bench {
            which: BenchCommand::Motion(options),
        } => sightline::bench::motion::run(options)?,
        Command::Bench {
            which: BenchCommand::Notify(options),
        } => sightline::bench::notify::run(options).await?,
        Command::Bench {
            which: BenchCommand::Doorbell(options),
        } => sightline::bench::doorbell::run(options).await?,
        Command::Bench {
            which:
                BenchCommand::Ingest {
                    large_files,
                    large_mib,
                    small_files,
                    small_kib,
                    parallel,
                    rounds,
                    dir,
                },
        } => {
            let options = IngestBench {
                large_files,
                large_mib,
                small_files,
                small_kib,
                parallel,
                rounds,
                dir,
            };
            let rows = bench::ingest(options.clone()).await?;
            bench::print_table(&options, &rows);
        }
        Command::Bench {
            which:
                BenchCommand::Search {
                    total_docs,
                    big_user_docs,
                    queries,
                    dir,
                    rebuild,
                },
        } => {
            let options = sightline_search::bench::BenchOptions {
                dir,
                total_docs,
                big_user_docs,
                queries,
                rebuild,
                ..Default::default()
            };
            let report = tokio::task::spawn_blocking(move || {
                sightline_search::bench::run_search_bench(options)
            })
            .await??;
            println!("{report}");
        }
        Command::Agent(args) => sightline::agent_cli::run(*args).await?,
        Command::Reindex(flags) => {
            let written = sightline_server::reindex(load_config(&flags)?).await?;
            println!("search index rebuilt: {written} items");
        }
    }
    Ok(())
}
