//! The doorbell's on-device motion tier: the camera's frames (yuv420p from ffmpeg) reduced to a
//! small grey picture (the luma plane, box-averaged), run through the core's edge detector and
//! tracker, and reported as [`MotionSignal`]s with wall-clock times. Runs on a blocking thread:
//! a frame costs well under a millisecond, but it is steady CPU work.

use crate::camera::{Camera, Frame};
use chrono::{DateTime, Local, Utc};
use sightline_core::motion::{
    MotionConfig, MotionDetector, MotionEvent, MotionTracker, Schedule, TrackerConfig,
};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, watch};

/// Frames are analysed at most this wide: enough for a person at the door, cheap to analyse.
pub const ANALYSIS_WIDTH: u32 = 320;

/// What the motion tier is told to do; replaced whenever the owner's settings change.
#[derive(Debug, Clone, PartialEq)]
pub struct MotionRuntime {
    pub enabled: bool,
    pub config: MotionConfig,
    /// `None`: always armed.
    pub schedule: Option<Schedule>,
    /// The camera sees by IR: the detector runs its night parameters.
    pub night: bool,
}

impl Default for MotionRuntime {
    fn default() -> Self {
        Self {
            enabled: true,
            config: MotionConfig::default(),
            schedule: None,
            night: false,
        }
    }
}

/// One normalised box (fractions of the frame) with its confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeenBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MotionSignal {
    Started {
        at: DateTime<Utc>,
        confidence: f32,
        boxes: Vec<SeenBox>,
    },
    Continues {
        at: DateTime<Utc>,
        confidence: f32,
    },
    Ended {
        at: DateTime<Utc>,
    },
}

/// Box-averages the luma plane of a yuv420p frame by `factor` in both directions.
pub fn downscale_luma(frame: &[u8], width: u32, height: u32, factor: u32) -> (Vec<u8>, u32, u32) {
    let factor = factor.max(1);
    let (w, h) = (width as usize, height as usize);
    let (out_w, out_h) = ((width / factor).max(1), (height / factor).max(1));
    let f = factor as usize;
    let mut out = Vec::with_capacity(out_w as usize * out_h as usize);
    let luma = &frame[..(w * h).min(frame.len())];
    for oy in 0..out_h as usize {
        for ox in 0..out_w as usize {
            let mut sum = 0u32;
            let mut count = 0u32;
            for y in oy * f..((oy + 1) * f).min(h) {
                let row = y * w;
                for x in ox * f..((ox + 1) * f).min(w) {
                    if let Some(&v) = luma.get(row + x) {
                        sum += u32::from(v);
                        count += 1;
                    }
                }
            }
            out.push((sum / count.max(1)) as u8);
        }
    }
    (out, out_w, out_h)
}

/// The factor that brings `width` to at most [`ANALYSIS_WIDTH`].
pub fn analysis_factor(width: u32) -> u32 {
    width.div_ceil(ANALYSIS_WIDTH).max(1)
}

/// Starts analysing `camera`'s frames; signals go to `sink` until it is dropped.
pub fn spawn(
    camera: &Camera,
    settings: watch::Receiver<MotionRuntime>,
    sink: mpsc::Sender<MotionSignal>,
) {
    let frames = camera.subscribe();
    let format = camera.format();
    tokio::task::spawn_blocking(move || run(frames, format.width, format.height, settings, sink));
}

struct Pipeline {
    runtime: MotionRuntime,
    detector: Option<MotionDetector>,
    tracker: MotionTracker,
    factor: u32,
}

impl Pipeline {
    fn new(runtime: MotionRuntime, width: u32, height: u32) -> Self {
        let factor = analysis_factor(width);
        let (w, h) = ((width / factor).max(1), (height / factor).max(1));
        let config = if runtime.night {
            runtime.config.for_night()
        } else {
            runtime.config.clone()
        };
        let detector = match MotionDetector::new(w, h, config) {
            Ok(detector) => Some(detector),
            Err(err) => {
                tracing::error!(error = %err, "motion detection settings refused; detection is off");
                None
            }
        };
        Self {
            runtime,
            detector,
            tracker: fresh_tracker(),
            factor,
        }
    }
}

fn run(
    mut frames: broadcast::Receiver<Frame>,
    width: u32,
    height: u32,
    mut settings: watch::Receiver<MotionRuntime>,
    sink: mpsc::Sender<MotionSignal>,
) {
    let mut pipeline = Pipeline::new(settings.borrow_and_update().clone(), width, height);
    let origin = Instant::now();
    loop {
        let frame = match frames.blocking_recv() {
            Ok(frame) => frame,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if sink.is_closed() {
            return;
        }
        if settings.has_changed().unwrap_or(false) {
            pipeline = Pipeline::new(settings.borrow_and_update().clone(), width, height);
        }
        let armed = pipeline.runtime.enabled
            && pipeline
                .runtime
                .schedule
                .as_ref()
                .is_none_or(|s| s.is_active(Local::now().naive_local()));
        let Some(detector) = pipeline.detector.as_mut().filter(|_| armed) else {
            // Disarmed: a running event ends now, and the scene is learned afresh when armed.
            if let Some(signal) = end_now(&mut pipeline.tracker, frame.captured_at) {
                let _ = sink.blocking_send(signal);
            }
            if let Some(d) = pipeline.detector.as_mut() {
                d.reset();
            }
            continue;
        };
        let (grey, w, h) = downscale_luma(
            &frame.data,
            frame.format.width,
            frame.format.height,
            pipeline.factor,
        );
        let analysis = match detector.analyse(&grey) {
            Ok(analysis) => analysis,
            Err(err) => {
                tracing::error!(error = %err, "motion analysis failed");
                continue;
            }
        };
        let now = frame.arrived.duration_since(origin);
        let wall = |at: Duration| {
            frame.captured_at
                - chrono::Duration::from_std(now.saturating_sub(at)).unwrap_or_default()
        };
        let signal = match pipeline.tracker.update(now, &analysis) {
            Some(MotionEvent::MotionStarted {
                at,
                boxes,
                confidence,
            }) => MotionSignal::Started {
                at: wall(at),
                confidence,
                boxes: boxes
                    .iter()
                    .map(|b| {
                        let (x, y, w, h) = b.normalised(w, h);
                        SeenBox {
                            x,
                            y,
                            w,
                            h,
                            confidence: b.confidence,
                        }
                    })
                    .collect(),
            },
            Some(MotionEvent::MotionContinues { at, confidence, .. }) => MotionSignal::Continues {
                at: wall(at),
                confidence,
            },
            Some(MotionEvent::MotionEnded { at, .. }) => MotionSignal::Ended { at: wall(at) },
            None => continue,
        };
        if sink.blocking_send(signal).is_err() {
            return;
        }
    }
}

/// Ends an active event when detection is disarmed (schedule over, turned off).
fn end_now(tracker: &mut MotionTracker, at: DateTime<Utc>) -> Option<MotionSignal> {
    if !tracker.is_active() {
        return None;
    }
    *tracker = fresh_tracker();
    Some(MotionSignal::Ended { at })
}

/// Alerts have their cooldown on the server: the device records whatever it sees.
fn fresh_tracker() -> MotionTracker {
    MotionTracker::new(TrackerConfig {
        cooldown: Duration::ZERO,
        ..TrackerConfig::default()
    })
    .expect("the default frame counts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscales_the_luma_plane_by_box_averages() {
        // 4x2 luma then chroma bytes that must be ignored.
        let frame = [10, 20, 30, 40, 50, 60, 70, 80, 255, 255, 255, 255];
        let (grey, w, h) = downscale_luma(&frame, 4, 2, 2);
        assert_eq!((w, h), (2, 1));
        assert_eq!(grey, vec![(10 + 20 + 50 + 60) / 4, (30 + 40 + 70 + 80) / 4]);
        let (same, w, h) = downscale_luma(&frame, 4, 2, 1);
        assert_eq!((w, h), (4, 2));
        assert_eq!(same, frame[..8].to_vec());
    }

    #[test]
    fn analysis_is_at_most_320_wide() {
        assert_eq!(analysis_factor(1920), 6);
        assert_eq!(analysis_factor(1280), 4);
        assert_eq!(analysis_factor(320), 1);
        assert_eq!(analysis_factor(100), 1);
        assert_eq!(analysis_factor(1000), 4);
    }
}
