//! A video recording: the camera's frames piped into an H.264 encoder that writes fragmented
//! MP4. Every fragment on disk is playable, so a recording cut short by a crash or a power cut
//! keeps everything up to its last second (see [`salvage`]).

use crate::camera::{Camera, FrameFormat};
use crate::process::die_with_parent;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    #[error("the encoder could not start: {0}")]
    Spawn(std::io::Error),
    #[error("the encoder failed: {0}")]
    Encoder(String),
    #[error("the recording holds no video")]
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoSettings {
    pub bitrate_kbps: u32,
    /// Scaled down from the camera's format (the power manager saves encoder work this way);
    /// `None` records what the camera delivers.
    pub output: Option<FrameFormat>,
}

impl VideoSettings {
    pub fn native(bitrate_kbps: u32) -> Self {
        Self {
            bitrate_kbps,
            output: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingStats {
    pub frames: u64,
    /// Frames the encoder fell too far behind to take.
    pub dropped: u64,
}

pub struct Recording {
    stop: Option<oneshot::Sender<()>>,
    feeder: JoinHandle<Result<RecordingStats, RecorderError>>,
    pub path: PathBuf,
}

/// ffmpeg reading the camera's raw yuv420p frames from stdin.
pub(crate) fn camera_input_args(format: FrameFormat) -> Vec<String> {
    let size = format!("{}x{}", format.width, format.height);
    let fps = format.fps.to_string();
    [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-s",
        &size,
        "-framerate",
        &fps,
        "-i",
        "pipe:0",
    ]
    .map(String::from)
    .into()
}

/// x264 tuned for low latency.
pub(crate) fn low_latency_x264_args() -> Vec<String> {
    [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
    ]
    .map(String::from)
    .into()
}

/// The camera's frames into a low-latency H.264 encoder; the caller adds GOP, rate and output.
pub(crate) fn camera_encoder_args(format: FrameFormat) -> Vec<String> {
    [camera_input_args(format), low_latency_x264_args()].concat()
}

/// Average bitrate with a 1.5× peak and a two-second buffer.
pub(crate) fn rate_args(kbps: u32) -> Vec<String> {
    vec![
        "-b:v".into(),
        format!("{kbps}k"),
        "-maxrate".into(),
        format!("{}k", kbps * 3 / 2),
        "-bufsize".into(),
        format!("{}k", kbps * 2),
    ]
}

fn encoder_args(format: FrameFormat, settings: VideoSettings, output: &Path) -> Vec<String> {
    let fps = format.fps.to_string();
    let mut args = camera_encoder_args(format);
    let mut gop = fps.clone();
    if let Some(out) = settings.output.filter(|out| *out != format) {
        args.extend([
            "-vf".into(),
            format!("scale={}:{},fps={}", out.width, out.height, out.fps),
        ]);
        gop = out.fps.to_string();
    }
    args.extend(rate_args(settings.bitrate_kbps));
    args.extend(["-g".into(), gop]);
    args.extend(
        [
            "-movflags",
            "+frag_keyframe+empty_moov+default_base_moof",
            "-f",
            "mp4",
        ]
        .map(String::from),
    );
    args.push(format!("file:{}", output.display()));
    args
}

impl Recording {
    /// Starts recording the camera into `path` (a temporary name; the caller commits it).
    pub fn start(
        camera: &Camera,
        settings: VideoSettings,
        path: PathBuf,
    ) -> Result<Self, RecorderError> {
        let format = camera.format();
        let mut command = tokio::process::Command::new("ffmpeg");
        command
            .args(encoder_args(format, settings, &path))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        die_with_parent(&mut command);
        let mut child = command.spawn().map_err(RecorderError::Spawn)?;
        let (Some(mut stdin), Some(mut stderr)) = (child.stdin.take(), child.stderr.take()) else {
            return Err(RecorderError::Encoder("no pipes".into()));
        };
        let mut frames = camera.subscribe();
        let (stop, mut stopped) = oneshot::channel();
        let feeder = tokio::spawn(async move {
            let errors = tokio::spawn(async move {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text).await;
                text
            });
            let mut stats = RecordingStats {
                frames: 0,
                dropped: 0,
            };
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    frame = frames.recv() => match frame {
                        Ok(frame) => {
                            if stdin.write_all(&frame.data).await.is_err() {
                                break;
                            }
                            stats.frames += 1;
                        }
                        Err(broadcast::error::RecvError::Lagged(n)) => stats.dropped += n,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                }
            }
            // End of input: ffmpeg writes its last fragment and exits.
            drop(stdin);
            let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
            let stderr = errors.await.unwrap_or_default();
            match status {
                Ok(Ok(status)) if status.success() => {}
                Ok(Ok(status)) => {
                    return Err(RecorderError::Encoder(format!(
                        "{status}: {}",
                        stderr.trim()
                    )));
                }
                Ok(Err(err)) => return Err(RecorderError::Encoder(err.to_string())),
                Err(_) => return Err(RecorderError::Encoder("did not finish in 30 s".into())),
            }
            if stats.frames == 0 {
                return Err(RecorderError::Empty);
            }
            Ok(stats)
        });
        Ok(Self {
            stop: Some(stop),
            feeder,
            path,
        })
    }

    /// Stops and waits until the file is complete.
    pub async fn stop(mut self) -> Result<RecordingStats, RecorderError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.feeder).await {
            Ok(result) => result,
            Err(err) => Err(RecorderError::Encoder(format!(
                "recording task failed: {err}"
            ))),
        }
    }
}

/// Rewrites what a crash left of a fragmented recording at `partial` into a complete MP4 at
/// `output`, keeping every whole fragment. Fails with [`RecorderError::Empty`] when nothing
/// playable is left.
pub async fn salvage(partial: &Path, output: &Path) -> Result<(), RecorderError> {
    let args = [
        "-nostdin".to_owned(),
        "-hide_banner".into(),
        "-loglevel".into(),
        "error".into(),
        "-y".into(),
        "-i".into(),
        format!("file:{}", partial.display()),
        "-c".into(),
        "copy".into(),
        "-movflags".into(),
        "+faststart".into(),
        "-f".into(),
        "mp4".into(),
        format!("file:{}", output.display()),
    ];
    let result =
        sightline_media::process::run_tool("ffmpeg", &args, Duration::from_secs(120)).await;
    let size = tokio::fs::metadata(output)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    match result {
        Ok(_) if size > 0 => Ok(()),
        Ok(_) => Err(RecorderError::Empty),
        Err(err) => {
            let _ = tokio::fs::remove_file(output).await;
            Err(RecorderError::Encoder(err.to_string()))
        }
    }
}
