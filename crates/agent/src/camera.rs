//! The camera: one ffmpeg process per source decodes it into raw yuv420p frames on a pipe.
//! The agent keeps the newest frame (a photo is that frame, so taking one costs a JPEG encode,
//! not a camera start-up) and hands every frame to a recording while one runs. The camera is
//! opened once however many consumers there are, as a V4L2 device allows only one reader.

use crate::process::die_with_parent;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::process::Stdio;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::sync::{broadcast, watch};

#[derive(Debug, Clone, PartialEq)]
pub enum CaptureSource {
    /// ffmpeg's `testsrc2` pattern with a running clock: a camera for tests and demos.
    TestPattern,
    /// A video file played in real time and looped.
    File(std::path::PathBuf),
    /// A V4L2 device such as `/dev/video0`.
    V4l2(std::path::PathBuf),
    /// An RTSP camera, over TCP.
    Rtsp(String),
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("capture source {0:?}: expected testsrc, file:PATH, v4l2:/dev/videoN or rtsp://…")]
pub struct BadCaptureSource(pub String);

impl FromStr for CaptureSource {
    type Err = BadCaptureSource;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "testsrc" {
            return Ok(Self::TestPattern);
        }
        if text.starts_with("rtsp://") || text.starts_with("rtsps://") {
            return Ok(Self::Rtsp(text.to_owned()));
        }
        match text.split_once(':') {
            Some(("file", path)) if !path.is_empty() => Ok(Self::File(path.into())),
            Some(("v4l2", path)) if path.starts_with("/dev/") => Ok(Self::V4l2(path.into())),
            _ => Err(BadCaptureSource(text.to_owned())),
        }
    }
}

/// Picture size and rate the camera delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameFormat {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl FrameFormat {
    /// Bytes of one yuv420p frame.
    pub fn frame_bytes(&self) -> usize {
        let (w, h) = (self.width as usize, self.height as usize);
        w * h + 2 * (w.div_ceil(2) * h.div_ceil(2))
    }
}

#[derive(Debug, Clone)]
pub struct Frame {
    pub format: FrameFormat,
    /// Planar yuv420p.
    pub data: Bytes,
    pub captured_at: DateTime<Utc>,
    pub arrived: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("the camera has not delivered a frame yet ({0})")]
    NoFrame(String),
    #[error("the last frame is {0:?} old: the camera stopped ({1})")]
    Stale(Duration, String),
}

/// A running camera. Cloning shares it.
#[derive(Clone)]
pub struct Camera {
    latest: Arc<Mutex<Option<Frame>>>,
    frames: broadcast::Sender<Frame>,
    status: watch::Receiver<String>,
    format: FrameFormat,
}

/// Frames a slow recording may fall behind by before it loses some (two seconds' worth).
const RECORDING_BACKLOG_SECS: usize = 2;

impl Camera {
    /// Starts the camera; ffmpeg is restarted with a growing pause whenever it stops (a file
    /// source ends, an RTSP camera drops), for as long as the returned camera lives.
    pub fn start(source: CaptureSource, format: FrameFormat) -> Self {
        let latest = Arc::new(Mutex::new(None));
        let (frames, _) = broadcast::channel(RECORDING_BACKLOG_SECS * format.fps.max(1) as usize);
        let (status_tx, status) = watch::channel("starting".to_owned());
        let camera = Self {
            latest: latest.clone(),
            frames: frames.clone(),
            status,
            format,
        };
        let weak = Arc::downgrade(&latest);
        tokio::spawn(async move {
            let mut pause = Duration::from_millis(200);
            loop {
                let Some(latest) = weak.upgrade() else { return };
                let started = Instant::now();
                let outcome = run_once(&source, format, &latest, &frames, &status_tx).await;
                drop(latest);
                let _ = status_tx.send(format!("stopped: {outcome}; restarting"));
                tracing::warn!(?source, %outcome, "camera stopped");
                if started.elapsed() > Duration::from_secs(30) {
                    pause = Duration::from_millis(200);
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        });
        camera
    }

    pub fn format(&self) -> FrameFormat {
        self.format
    }

    /// The newest frame, if it is fresh enough to be what the wearer sees now.
    pub fn latest(&self) -> Result<Frame, CameraError> {
        let frame = self.latest.lock().ok().and_then(|slot| slot.clone());
        let Some(frame) = frame else {
            return Err(CameraError::NoFrame(self.status.borrow().clone()));
        };
        let age = frame.arrived.elapsed();
        // A few frame intervals of slack: a camera that stalls for longer is not "now".
        let limit = Duration::from_millis(500).max(Duration::from_secs(3) / self.format.fps.max(1));
        if age > limit {
            return Err(CameraError::Stale(age, self.status.borrow().clone()));
        }
        Ok(frame)
    }

    /// Waits until the camera delivers its first frame (start-up of the device).
    pub async fn ready(&self, timeout: Duration) -> Result<(), CameraError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.latest() {
                Ok(_) => return Ok(()),
                Err(err) if Instant::now() >= deadline => return Err(err),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Every frame from now on, for a recording.
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.frames.subscribe()
    }
}

fn input_args(source: &CaptureSource, format: FrameFormat) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    match source {
        CaptureSource::TestPattern => s(&[
            "-re",
            "-f",
            "lavfi",
            "-i",
            &format!(
                "testsrc2=size={}x{}:rate={}",
                format.width, format.height, format.fps
            ),
        ]),
        CaptureSource::File(path) => {
            let mut args = s(&["-re", "-stream_loop", "-1", "-i"]);
            args.push(format!("file:{}", path.display()));
            args
        }
        CaptureSource::V4l2(device) => {
            let mut args = s(&["-f", "v4l2", "-framerate", &format.fps.to_string(), "-i"]);
            args.push(device.display().to_string());
            args
        }
        CaptureSource::Rtsp(url) => s(&["-rtsp_transport", "tcp", "-i", url]),
    }
}

fn ffmpeg_args(source: &CaptureSource, format: FrameFormat) -> Vec<String> {
    let (w, h, fps) = (format.width, format.height, format.fps);
    let mut args: Vec<String> = ["-nostdin", "-hide_banner", "-loglevel", "error"]
        .map(String::from)
        .into();
    args.extend(input_args(source, format));
    args.extend(
        [
            "-an",
            "-vf",
            &format!(
                "scale={w}:{h}:force_original_aspect_ratio=decrease,\
                 pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,fps={fps},format=yuv420p"
            ),
            "-f",
            "rawvideo",
            "pipe:1",
        ]
        .map(String::from),
    );
    args
}

/// Runs ffmpeg until it exits; returns why it stopped.
async fn run_once(
    source: &CaptureSource,
    format: FrameFormat,
    latest: &Arc<Mutex<Option<Frame>>>,
    frames: &broadcast::Sender<Frame>,
    status: &watch::Sender<String>,
) -> String {
    let mut command = tokio::process::Command::new("ffmpeg");
    command
        .args(ffmpeg_args(source, format))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    die_with_parent(&mut command);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return format!("ffmpeg could not start: {err}"),
    };
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return "ffmpeg has no pipes".into();
    };
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let _ = status.send("running".into());
    let size = format.frame_bytes();
    loop {
        // This task holds the only reference left: every `Camera` is gone, stop.
        if Arc::strong_count(latest) == 1 {
            return "camera closed".into();
        }
        let mut buf = vec![0u8; size];
        if stdout.read_exact(&mut buf).await.is_err() {
            break;
        }
        let frame = Frame {
            format,
            data: Bytes::from(buf),
            captured_at: Utc::now(),
            arrived: Instant::now(),
        };
        if let Ok(mut slot) = latest.lock() {
            *slot = Some(frame.clone());
        }
        // No receiver simply means no recording is running.
        let _ = frames.send(frame);
    }
    let exit = child.wait().await;
    let stderr = errors.await.unwrap_or_default();
    let last = stderr.lines().last().unwrap_or("").trim().to_owned();
    match exit {
        Ok(status) => format!("ffmpeg exited ({status}) {last}"),
        Err(err) => format!("ffmpeg failed: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources() {
        assert_eq!("testsrc".parse(), Ok(CaptureSource::TestPattern));
        assert_eq!(
            "v4l2:/dev/video0".parse(),
            Ok(CaptureSource::V4l2("/dev/video0".into()))
        );
        assert_eq!(
            "rtsp://cam.local/stream".parse(),
            Ok(CaptureSource::Rtsp("rtsp://cam.local/stream".into()))
        );
        assert_eq!(
            "file:/tmp/a.mp4".parse(),
            Ok(CaptureSource::File("/tmp/a.mp4".into()))
        );
        assert!("v4l2:video0".parse::<CaptureSource>().is_err());
        assert!("webcam".parse::<CaptureSource>().is_err());
    }

    #[test]
    fn yuv420_frames_round_odd_sizes_up() {
        let f = FrameFormat {
            width: 3,
            height: 3,
            fps: 1,
        };
        assert_eq!(f.frame_bytes(), 9 + 2 * 4);
    }

    #[tokio::test]
    async fn delivers_fresh_frames_from_the_test_pattern() {
        let format = FrameFormat {
            width: 320,
            height: 240,
            fps: 15,
        };
        let camera = Camera::start(CaptureSource::TestPattern, format);
        camera.ready(Duration::from_secs(20)).await.unwrap();
        let mut frames = camera.subscribe();
        let first = frames.recv().await.unwrap();
        let second = frames.recv().await.unwrap();
        assert_eq!(first.data.len(), format.frame_bytes());
        assert!(second.arrived > first.arrived);
        assert!(camera.latest().is_ok());
    }
}
