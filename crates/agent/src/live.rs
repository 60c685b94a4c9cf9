//! Live streaming: the camera's frames encoded for low latency and pushed to an RTMP(S)
//! destination (a social platform's ingest URL with its stream key, or any RTMP server). One
//! stream at a time; it ends when asked, when the destination goes away, or when the agent
//! stops. Platforms refuse streams without sound, so a silent AAC track goes with the picture.

use crate::camera::{Camera, FrameFormat};
use crate::process::die_with_parent;
use crate::recorder::{VideoSettings, camera_input_args, low_latency_x264_args, rate_args};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sightline_core::command::redact_stream_url;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Mutex, broadcast, oneshot};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("already streaming to {0} (say \"stop streaming\" first)")]
    AlreadyStreaming(String),
    #[error("not streaming")]
    NotStreaming,
    #[error(
        "no stream destination: start the agent with --live-url rtmp://… or say where, \"start a live stream to rtmp://host/app/key\""
    )]
    NoDestination,
    #[error("{0}")]
    BadDestination(String),
    #[error("the stream encoder could not start: {0}")]
    Spawn(std::io::Error),
    #[error("the stream ended: {0}")]
    Ended(String),
}

/// What `status` shows of the stream.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LiveStatus {
    /// The destination without its stream key.
    pub destination: String,
    pub since: DateTime<Utc>,
    pub frames_sent: u64,
}

/// How a stream went, once it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveStats {
    pub frames: u64,
    /// Frames the encoder fell too far behind to take.
    pub dropped: u64,
}

struct Running {
    destination: String,
    since: DateTime<Utc>,
    frames: Arc<AtomicU64>,
    /// Cleared as soon as frames stop going out, before the encoder is waited for and the
    /// end announced.
    on_air: Arc<AtomicBool>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<LiveStats, LiveError>>,
}

impl Running {
    fn is_on_air(&self) -> bool {
        self.on_air.load(Ordering::Acquire) && !self.task.is_finished()
    }
}

/// The device's one live stream.
pub struct LiveStreamer {
    camera: Camera,
    default_url: Option<String>,
    running: Mutex<Option<Running>>,
    /// Told when a stream ends by itself (the destination hung up or refused it).
    announce: broadcast::Sender<String>,
}

fn encoder_args(format: FrameFormat, settings: VideoSettings, url: &str) -> Vec<String> {
    let mut args = camera_input_args(format);
    args.extend(
        [
            "-f",
            "lavfi",
            "-i",
            "anullsrc=channel_layout=stereo:sample_rate=44100",
            "-map",
            "0:v",
            "-map",
            "1:a",
        ]
        .map(String::from),
    );
    args.extend(low_latency_x264_args());
    let mut fps = format.fps;
    if let Some(out) = settings.output.filter(|out| *out != format) {
        args.extend([
            "-vf".into(),
            format!("scale={}:{},fps={}", out.width, out.height, out.fps),
        ]);
        fps = out.fps;
    }
    args.extend(rate_args(settings.bitrate_kbps));
    // Platforms ask for a keyframe at least every 2 s.
    args.extend(["-g".into(), (fps * 2).to_string()]);
    args.extend(["-c:a", "aac", "-b:a", "128k", "-shortest", "-f", "flv"].map(String::from));
    args.push(url.to_owned());
    args
}

impl LiveStreamer {
    pub fn new(
        camera: Camera,
        default_url: Option<String>,
        announce: broadcast::Sender<String>,
    ) -> Self {
        Self {
            camera,
            default_url,
            running: Mutex::new(None),
            announce,
        }
    }

    /// Starts streaming to `url` (or the configured destination). Returns the redacted
    /// destination. The URL has been checked by `sightline_core::command::check_stream_url`.
    pub async fn start(
        &self,
        url: Option<&str>,
        settings: VideoSettings,
    ) -> Result<String, LiveError> {
        let mut running = self.running.lock().await;
        if let Some(current) = running.as_ref() {
            if current.is_on_air() {
                return Err(LiveError::AlreadyStreaming(current.destination.clone()));
            }
            // The last stream ended by itself (destination gone): its slot is free.
            if let Some(ended) = running.take() {
                log_end(&ended.destination, &outcome(ended.task).await);
            }
        }
        let url = url
            .map(str::to_owned)
            .or_else(|| self.default_url.clone())
            .ok_or(LiveError::NoDestination)?;
        let destination = redact_stream_url(&url);
        let mut command = tokio::process::Command::new("ffmpeg");
        command
            .args(encoder_args(self.camera.format(), settings, &url))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        die_with_parent(&mut command);
        let mut child = command.spawn().map_err(LiveError::Spawn)?;
        let (Some(mut stdin), Some(mut stderr)) = (child.stdin.take(), child.stderr.take()) else {
            return Err(LiveError::Ended("no pipes to the encoder".into()));
        };
        let mut frames = self.camera.subscribe();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let on_air = Arc::new(AtomicBool::new(true));
        let still_on_air = on_air.clone();
        let (stop, mut stopped) = oneshot::channel();
        let announce = self.announce.clone();
        let shown = destination.clone();
        let task = tokio::spawn(async move {
            let errors = tokio::spawn(async move {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text).await;
                text
            });
            let mut dropped = 0;
            let mut asked_to_stop = false;
            loop {
                tokio::select! {
                    _ = &mut stopped => { asked_to_stop = true; break }
                    frame = frames.recv() => match frame {
                        Ok(frame) => {
                            // A write fails when ffmpeg has gone (the destination hung up).
                            if stdin.write_all(&frame.data).await.is_err() {
                                break;
                            }
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(broadcast::error::RecvError::Lagged(n)) => dropped += n,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                }
            }
            still_on_air.store(false, Ordering::Release);
            drop(stdin);
            let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
            let stderr = errors.await.unwrap_or_default();
            let frames = counter.load(Ordering::Relaxed);
            let result = match status {
                Ok(Ok(status)) if status.success() => Ok(LiveStats { frames, dropped }),
                // Asked to stop: what ffmpeg says while closing the connection does not matter.
                _ if asked_to_stop && frames > 0 => Ok(LiveStats { frames, dropped }),
                Ok(Ok(status)) => Err(LiveError::Ended(format!("{status}: {}", stderr.trim()))),
                Ok(Err(err)) => Err(LiveError::Ended(err.to_string())),
                Err(_) => Err(LiveError::Ended(
                    "the encoder did not finish in 10 s".into(),
                )),
            };
            if !asked_to_stop {
                let why = match &result {
                    Ok(_) => "the destination closed it".to_owned(),
                    Err(err) => err.to_string(),
                };
                let _ = announce.send(format!("the live stream to {shown} stopped: {why}"));
            }
            result
        });
        tracing::info!(%destination, "live stream started");
        *running = Some(Running {
            destination: destination.clone(),
            since: Utc::now(),
            frames: sent,
            on_air,
            stop,
            task,
        });
        Ok(destination)
    }

    /// Ends the stream and reports how it went.
    pub async fn stop(&self) -> Result<(String, LiveStats), LiveError> {
        let running = self
            .running
            .lock()
            .await
            .take()
            .ok_or(LiveError::NotStreaming)?;
        let _ = running.stop.send(());
        let result = outcome(running.task).await;
        log_end(&running.destination, &result);
        result.map(|stats| (running.destination, stats))
    }

    /// The stream now on air, if any (one that ended by itself is not).
    pub async fn status(&self) -> Option<LiveStatus> {
        let running = self.running.lock().await;
        let current = running.as_ref().filter(|r| r.is_on_air())?;
        Some(LiveStatus {
            destination: current.destination.clone(),
            since: current.since,
            frames_sent: current.frames.load(Ordering::Relaxed),
        })
    }
}

async fn outcome(task: JoinHandle<Result<LiveStats, LiveError>>) -> Result<LiveStats, LiveError> {
    task.await
        .unwrap_or_else(|e| Err(LiveError::Ended(format!("stream task failed: {e}"))))
}

fn log_end(destination: &str, result: &Result<LiveStats, LiveError>) {
    match result {
        Ok(stats) => tracing::info!(
            destination,
            frames = stats.frames,
            dropped = stats.dropped,
            "live stream ended"
        ),
        Err(err) => tracing::warn!(destination, error = %err, "live stream failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoder_keeps_keyframes_two_seconds_apart_and_adds_sound() {
        let format = FrameFormat {
            width: 640,
            height: 480,
            fps: 15,
        };
        let args = encoder_args(format, VideoSettings::native(1500), "rtmp://h/a/k");
        let joined = args.join(" ");
        assert!(joined.contains("-g 30"), "{joined}");
        assert!(joined.contains("anullsrc"), "{joined}");
        assert!(joined.ends_with("-f flv rtmp://h/a/k"), "{joined}");
    }
}
