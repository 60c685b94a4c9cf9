//! `sightline agent`: runs the device agent, or talks to a running one (`status`, `command`,
//! `sync`) through its local control API.

use anyhow::Context;
use clap::{Args, Subcommand};
use sightline_agent::camera::{CaptureSource, FrameFormat};
use sightline_agent::control;
use sightline_agent::doorbell::DoorbellConfig;
use sightline_agent::doorbell::input::InputSource;
use sightline_agent::doorbell::night::{IrSink, LightSource};
use sightline_agent::doorbell::plan::ClipTiming;
use sightline_agent::location::LocationSource;
use sightline_agent::microphone::{self, MicrophoneSource};
use sightline_agent::power::BatterySource;
use sightline_agent::recorder::VideoSettings;
use sightline_agent::runtime::DEFAULT_UPLOAD_CHUNK_BYTES;
use sightline_agent::speaker::SpeakerSink;
use sightline_agent::storage::{DEFAULT_QUOTA_BYTES, human_bytes};
use sightline_agent::{Agent, AgentConfig, Profile};
use sightline_core::motion::{MotionConfig, Sensitivity};
use sightline_core::recording::RecordingMode;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_CONTROL: &str = "127.0.0.1:7878";

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AgentArgs {
    #[command(subcommand)]
    action: Option<AgentAction>,
    #[command(flatten)]
    run: RunFlags,
}

#[derive(Subcommand)]
enum AgentAction {
    /// Battery, power mode, upload queue, storage and connectivity of a running agent.
    Status {
        #[arg(long, default_value = DEFAULT_CONTROL)]
        control: SocketAddr,
        /// Print the raw JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a command as text, e.g. `sightline agent command "take a picture"`.
    Command {
        text: Vec<String>,
        #[arg(long, default_value = DEFAULT_CONTROL)]
        control: SocketAddr,
    },
    /// Doorbell: fire the (simulated) PIR sensor or press the button.
    Trigger {
        #[arg(value_enum)]
        input: TriggerArg,
        #[arg(long, default_value = DEFAULT_CONTROL)]
        control: SocketAddr,
    },
    /// Upload everything waiting now.
    Sync {
        #[arg(long, default_value = DEFAULT_CONTROL)]
        control: SocketAddr,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TriggerArg {
    Pir,
    Button,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ProfileArg {
    Glasses,
    Doorbell,
}

#[derive(Args)]
struct RunFlags {
    #[arg(long, value_enum, default_value = "glasses")]
    profile: ProfileArg,
    /// Where the agent keeps its database and captures.
    #[arg(long, env = "SIGHTLINE_AGENT_DIR", default_value = "sightline-agent")]
    data_dir: PathBuf,
    #[arg(
        long,
        env = "SIGHTLINE_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// The device token from `POST /api/v1/devices`.
    #[arg(long, env = "SIGHTLINE_DEVICE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[arg(long, env = "SIGHTLINE_DEVICE_ID")]
    device_id: Option<String>,
    /// testsrc, file:PATH, v4l2:/dev/videoN or rtsp://…
    #[arg(long, default_value = "testsrc")]
    source: String,
    /// none, fixed:LAT,LON, nmea:PATH or gpsd:HOST:PORT
    #[arg(long, default_value = "none")]
    location: String,
    #[arg(long, default_value_t = 1280)]
    width: u32,
    #[arg(long, default_value_t = 720)]
    height: u32,
    #[arg(long, default_value_t = 30)]
    fps: u32,
    #[arg(long, default_value_t = 4000)]
    video_kbps: u32,
    /// EXIF orientation of the camera as mounted (1 = upright, 6 = turned right).
    #[arg(long)]
    orientation: Option<u16>,
    /// none (mains), sysfs (the first battery), sysfs:DIR or simulated:LEVEL[xSPEEDUP]
    #[arg(long, default_value = "sysfs-or-none")]
    battery: String,
    /// Local storage quota in bytes.
    #[arg(long, default_value_t = DEFAULT_QUOTA_BYTES)]
    quota: u64,
    #[arg(long, default_value = DEFAULT_CONTROL)]
    control: SocketAddr,
    /// Voice commands from: none, alsa[:DEVICE], pulse[:SOURCE] or file:PATH (a recording
    /// played in real time).
    #[arg(long, default_value = "none")]
    microphone: String,
    /// Seconds between telemetry reports on the device channel to the server.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86400))]
    telemetry_secs: u64,
    /// Read commands from stdin too, one per line.
    #[arg(long)]
    stdin: bool,
    /// Where "go live" streams to: an RTMP/RTMPS ingest URL with its stream key (also
    /// SIGHTLINE_LIVE_URL). A command may name another ("start a live stream to rtmp://…").
    #[arg(long, env = "SIGHTLINE_LIVE_URL", hide_env_values = true)]
    live_url: Option<String>,
    #[command(flatten)]
    doorbell: DoorbellFlags,
}

/// The doorbell profile's flags.
#[derive(Args)]
struct DoorbellFlags {
    /// Where the pre-roll ring and event segments live (default: DATA_DIR/ring); a tmpfs such
    /// as /dev/shm/sightline spares the flash.
    #[arg(long)]
    ring_dir: Option<PathBuf>,
    /// Seconds of video kept before each event.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=30))]
    pre_roll: u64,
    /// Seconds recorded after the last motion.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=300))]
    post_roll: u64,
    /// Longest event clip, in seconds.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(5..=3600))]
    max_clip: u64,
    /// PIR sensor: gpio:/sys/class/gpio/gpioN/value[:active_low] or simulated (only the
    /// control API's POST /trigger). Without one, camera motion alone makes events.
    #[arg(long)]
    pir: Option<String>,
    /// Doorbell button: gpio:PATH[:active_low] or simulated.
    #[arg(long, default_value = "simulated")]
    button: String,
    /// Motion sensitivity until the owner sets one: low, medium or high.
    #[arg(long, value_enum, default_value = "medium")]
    sensitivity: SensitivityArg,
    /// Bitrate of the pre-roll ring (and so of event clips), kbit/s.
    #[arg(long, default_value_t = 2000)]
    ring_kbps: u32,
    /// Ambient light for night vision: none, sysfs:PATH[*SCALE] (IIO illuminance) or
    /// simulated:LUX (then set with the control API's POST /light).
    #[arg(long, default_value = "none")]
    light: String,
    /// IR illuminators: none or sysfs:PATH (an LED brightness file).
    #[arg(long, default_value = "none")]
    ir_leds: String,
    /// Recording mode until the owner sets one: event_only, 24_7 (kept on the device, events
    /// uploaded) or off.
    #[arg(long, default_value = "event_only")]
    recording: String,
    /// Where 24/7 footage is kept (default: RING_DIR/24_7); an SD card, not a tmpfs.
    #[arg(long)]
    recordings_dir: Option<PathBuf>,
    /// Bytes of 24/7 footage kept at most.
    #[arg(long, default_value_t = 8 << 30)]
    recordings_capacity: u64,
    /// Where pre-recorded messages for visitors play: none, alsa[:DEVICE] or file:PATH.
    #[arg(long, default_value = "none")]
    speaker: String,
    /// Days of 24/7 footage kept at most (the capacity may hold fewer).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=365))]
    recordings_days: u32,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SensitivityArg {
    Low,
    Medium,
    High,
}

impl DoorbellFlags {
    fn config(&self, data_dir: &std::path::Path) -> anyhow::Result<DoorbellConfig> {
        let mut config = DoorbellConfig::new(
            self.ring_dir
                .clone()
                .unwrap_or_else(|| data_dir.join("ring")),
        );
        config.timing = ClipTiming {
            pre_roll: Duration::from_secs(self.pre_roll),
            post_roll: Duration::from_secs(self.post_roll),
            max_length: Duration::from_secs(self.max_clip),
        };
        config.pir = self
            .pir
            .as_deref()
            .map(str::parse::<InputSource>)
            .transpose()?;
        config.button = Some(self.button.parse::<InputSource>()?);
        config.motion.config = MotionConfig::with_sensitivity(match self.sensitivity {
            SensitivityArg::Low => Sensitivity::Low,
            SensitivityArg::Medium => Sensitivity::Medium,
            SensitivityArg::High => Sensitivity::High,
        });
        config.ring_kbps = self.ring_kbps;
        config.light = self.light.parse::<LightSource>()?;
        config.ir = self.ir_leds.parse::<IrSink>()?;
        config.recording = self.recording.parse::<RecordingMode>()?;
        if let Some(dir) = &self.recordings_dir {
            config.continuous.dir = dir.clone();
        }
        config.continuous.capacity_bytes = self.recordings_capacity;
        config.continuous.max_days = self.recordings_days;
        config.speaker = self.speaker.parse::<SpeakerSink>()?;
        Ok(config)
    }
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    match args.action {
        None => run_agent(args.run).await,
        Some(AgentAction::Status { control, json }) => {
            let status: serde_json::Value = get(control, "status").await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(&status);
            }
            Ok(())
        }
        Some(AgentAction::Command { text, control }) => {
            let text = text.join(" ");
            let response = reqwest::Client::new()
                .post(format!("http://{control}/command"))
                .json(&serde_json::json!({ "text": text }))
                .send()
                .await
                .with_context(|| format!("no agent answers on {control}"))?;
            let ok = response.status().is_success();
            let body: serde_json::Value = response.json().await?;
            let message = body
                .get("message")
                .or_else(|| body.pointer("/error/message"))
                .and_then(|m| m.as_str())
                .unwrap_or("");
            println!("{}: {message}", if ok { "ok" } else { "error" });
            anyhow::ensure!(ok, "the agent refused the command");
            Ok(())
        }
        Some(AgentAction::Trigger { input, control }) => {
            let input = match input {
                TriggerArg::Pir => "pir",
                TriggerArg::Button => "button",
            };
            let response = reqwest::Client::new()
                .post(format!("http://{control}/trigger"))
                .json(&serde_json::json!({ "input": input }))
                .send()
                .await
                .with_context(|| format!("no agent answers on {control}"))?;
            let ok = response.status().is_success();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            anyhow::ensure!(
                ok,
                "{}",
                body.pointer("/error/message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("the agent refused the trigger")
            );
            println!("{input} triggered");
            Ok(())
        }
        Some(AgentAction::Sync { control }) => {
            let response = reqwest::Client::new()
                .post(format!("http://{control}/sync"))
                .send()
                .await
                .with_context(|| format!("no agent answers on {control}"))?;
            anyhow::ensure!(response.status().is_success(), "sync refused");
            println!("sync started");
            Ok(())
        }
    }
}

async fn get(control: SocketAddr, path: &str) -> anyhow::Result<serde_json::Value> {
    let response = reqwest::Client::new()
        .get(format!("http://{control}/{path}"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .with_context(|| format!("no agent answers on {control}; is `sightline agent` running?"))?;
    Ok(response.error_for_status()?.json().await?)
}

fn print_status(status: &serde_json::Value) {
    let text = |pointer: &str| {
        status
            .pointer(pointer)
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "-".into())
    };
    let bytes = |pointer: &str| {
        status
            .pointer(pointer)
            .and_then(|v| v.as_u64())
            .map(human_bytes)
            .unwrap_or_else(|| "-".into())
    };
    println!("profile:       {}", text("/profile"));
    let connectivity = match text("/connectivity/state").as_str() {
        "offline" => format!(
            "offline since {} ({})",
            text("/connectivity/since"),
            text("/connectivity/reason")
        ),
        other => other.to_owned(),
    };
    println!("connectivity:  {connectivity}");
    println!(
        "last sync:     {}",
        status
            .pointer("/last_sync")
            .and_then(|v| v.as_str())
            .unwrap_or("never")
    );
    println!(
        "upload queue:  {} user-requested, {} other, {} corrupt",
        text("/queue/pending_user_requested"),
        text("/queue/pending_other"),
        text("/queue/corrupt")
    );
    println!(
        "storage:       {} unsynced, {} synced, quota {}, disk free {}",
        bytes("/storage/unsynced_bytes"),
        bytes("/storage/synced_bytes"),
        bytes("/storage/quota_bytes"),
        bytes("/storage/disk_free_bytes")
    );
    println!("camera:        {}", text("/camera"));
    let battery = match status
        .pointer("/power/battery/level_percent")
        .and_then(|v| v.as_f64())
    {
        Some(level) => {
            let charging =
                status.pointer("/power/battery/charging") == Some(&serde_json::json!(true));
            let hours = |p: &str| {
                status
                    .pointer(p)
                    .and_then(|v| v.as_f64())
                    .map(|h| format!("{h:.1} h"))
                    .unwrap_or_else(|| "-".into())
            };
            format!(
                "{level:.0}%{}, about {} of use or {} standby left",
                if charging { " (charging)" } else { "" },
                hours("/power/active_hours_left"),
                hours("/power/standby_hours_left")
            )
        }
        None => text("/power/source"),
    };
    println!("battery:       {battery}");
    println!(
        "power mode:    {} (videos {}x{} at {} fps, {} kbit/s{})",
        text("/power/mode").replace('_', " "),
        text("/power/encoding/width"),
        text("/power/encoding/height"),
        text("/power/encoding/fps"),
        text("/power/encoding/bitrate_kbps"),
        if status.pointer("/power/defer_low_priority") == Some(&serde_json::json!(true)) {
            "; background uploads wait"
        } else {
            ""
        }
    );
    if status.get("doorbell").is_some() {
        let night = match status
            .pointer("/doorbell/night/level")
            .and_then(|v| v.as_str())
        {
            Some(level) => format!(
                "light {level} ({} lux, IR {}%)",
                text("/doorbell/night/lux"),
                text("/doorbell/night/ir_percent")
            ),
            None => "no light sensor".into(),
        };
        println!(
            "doorbell:      {} s of pre-roll ring, motion detection {}, {night}",
            text("/doorbell/ring_seconds"),
            if status.pointer("/doorbell/motion_enabled") == Some(&serde_json::json!(true)) {
                "on"
            } else {
                "off"
            },
        );
        if status.pointer("/doorbell/last_event/event_id").is_some() {
            println!(
                "last event:    {} at {} ({}, posted: {})",
                text("/doorbell/last_event/event_type"),
                text("/doorbell/last_event/occurred_at"),
                text("/doorbell/last_event/state"),
                text("/doorbell/last_event/alert_posted"),
            );
        }
    }
    if let Some(since) = status.pointer("/recording_since").and_then(|v| v.as_str()) {
        println!("recording:     since {since}");
    }
    if status.pointer("/live").is_some_and(|v| !v.is_null()) {
        println!(
            "live:          to {} since {}, {} frames sent",
            text("/live/destination"),
            text("/live/since"),
            text("/live/frames_sent")
        );
    }
    if let Some(list) = status.pointer("/announcements").and_then(|v| v.as_array()) {
        for message in list.iter().rev().take(3).filter_map(|m| m.as_str()) {
            println!("  said: {message}");
        }
    }
}

async fn run_agent(flags: RunFlags) -> anyhow::Result<()> {
    let token = flags.token.context(
        "the agent needs a device token: register the device with POST /api/v1/devices and pass \
         --token (or SIGHTLINE_DEVICE_TOKEN)",
    )?;
    let config = AgentConfig {
        profile: match flags.profile {
            ProfileArg::Glasses => Profile::Glasses,
            ProfileArg::Doorbell => Profile::Doorbell,
        },
        data_dir: flags.data_dir.clone(),
        server: flags.server,
        token,
        device_id: flags.device_id,
        source: flags.source.parse::<CaptureSource>()?,
        format: FrameFormat {
            width: flags.width,
            height: flags.height,
            fps: flags.fps,
        },
        location: flags.location.parse::<LocationSource>()?,
        quota_bytes: flags.quota,
        orientation: flags.orientation,
        video: VideoSettings::native(flags.video_kbps),
        battery: match flags.battery.as_str() {
            // A board without a battery is on mains.
            "sysfs-or-none" => "sysfs".parse().unwrap_or(BatterySource::Mains),
            other => other.parse::<BatterySource>()?,
        },
        upload_chunk_bytes: DEFAULT_UPLOAD_CHUNK_BYTES,
        control: flags.control,
        doorbell: match flags.profile {
            ProfileArg::Doorbell => Some(flags.doorbell.config(&flags.data_dir)?),
            ProfileArg::Glasses => None,
        },
        live_url: match flags.live_url {
            Some(url) => {
                sightline_core::command::check_stream_url(&url).context("--live-url")?;
                Some(url)
            }
            None => None,
        },
    };
    anyhow::ensure!(
        config.format.width >= 16
            && config.format.height >= 16
            && (1..=120).contains(&config.format.fps),
        "picture size must be at least 16x16 and the rate 1–120 fps"
    );
    let (agent, recovered) = Agent::start(config.clone())
        .await
        .context("starting the agent")?;
    if recovered != Default::default() {
        tracing::info!(
            ?recovered,
            "recovered captures interrupted by the last stop"
        );
    }
    let control = control::serve(agent.clone(), config.control).await?;
    println!("agent listening for commands on http://{control}");
    if flags.stdin {
        tokio::spawn(agent.clone().read_stdin());
    }
    // Telemetry to the server and commands from it, over a WebSocket kept open.
    sightline_agent::telemetry::spawn(
        agent.clone(),
        sightline_agent::telemetry::TelemetryConfig {
            interval: Duration::from_secs(flags.telemetry_secs),
            ..Default::default()
        },
    );
    let microphone = flags.microphone.parse::<MicrophoneSource>()?;
    match microphone::listen(agent.clone(), &microphone, None) {
        Ok(Some(_)) => println!("listening for voice commands ({microphone:?})"),
        Ok(None) => {}
        // The agent is still useful without a voice: say what is missing and go on.
        Err(err) => eprintln!("{err}"),
    }
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("stopping");
    agent.shutdown().await;
    Ok(())
}
