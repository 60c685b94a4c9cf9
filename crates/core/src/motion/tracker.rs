//! Frames to events: motion must persist `confirm_frames` frames to start an event, the event
//! ends after `quiet_frames` frames without motion, and no new event starts within `cooldown`
//! of the last one's end.

use super::{FrameAnalysis, MotionBox, MotionError};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerConfig {
    pub confirm_frames: u32,
    pub quiet_frames: u32,
    /// The write-up's `notification_cooldown_seconds` default is 60.
    pub cooldown: Duration,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            confirm_frames: 3,
            quiet_frames: 10,
            cooldown: Duration::from_secs(60),
        }
    }
}

/// `at` is the frame's time on the stream's clock (monotonic, from any origin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MotionEvent {
    /// Motion confirmed: the boxes and confidence of the confirming frame.
    MotionStarted {
        at: Duration,
        boxes: Vec<MotionBox>,
        confidence: f32,
    },
    /// Another frame with motion during the event: the union of its boxes.
    MotionContinues {
        at: Duration,
        bounds: MotionBox,
        confidence: f32,
    },
    /// `quiet_frames` frames without motion; `at` is the last frame with motion.
    MotionEnded {
        at: Duration,
        started_at: Duration,
        peak_confidence: f32,
        motion_frames: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Idle { streak: u32 },
    Active(Active),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Active {
    started_at: Duration,
    last_motion: Duration,
    quiet: u32,
    peak: f32,
    frames: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MotionTracker {
    config: TrackerConfig,
    state: State,
    cooldown_until: Option<Duration>,
}

impl MotionTracker {
    pub fn new(config: TrackerConfig) -> Result<Self, MotionError> {
        if config.confirm_frames == 0 {
            return Err(MotionError::InvalidSetting {
                name: "confirm_frames",
                reason: "must be at least 1",
            });
        }
        if config.quiet_frames == 0 {
            return Err(MotionError::InvalidSetting {
                name: "quiet_frames",
                reason: "must be at least 1",
            });
        }
        Ok(Self {
            config,
            state: State::Idle { streak: 0 },
            cooldown_until: None,
        })
    }

    pub fn is_active(&self) -> bool {
        matches!(self.state, State::Active(_))
    }

    /// Feeds one analysed frame.
    pub fn update(&mut self, at: Duration, frame: &FrameAnalysis<'_>) -> Option<MotionEvent> {
        self.step(at, frame.boxes, frame.confidence)
    }

    /// Feeds one frame's boxes and confidence (no boxes: a quiet frame).
    pub fn step(
        &mut self,
        at: Duration,
        boxes: &[MotionBox],
        confidence: f32,
    ) -> Option<MotionEvent> {
        let moving = !boxes.is_empty();
        match &mut self.state {
            State::Idle { streak } => {
                let cooling = self.cooldown_until.is_some_and(|until| at < until);
                if !moving || cooling {
                    *streak = 0;
                    return None;
                }
                *streak += 1;
                if *streak < self.config.confirm_frames {
                    return None;
                }
                self.state = State::Active(Active {
                    started_at: at,
                    last_motion: at,
                    quiet: 0,
                    peak: confidence,
                    frames: 1,
                });
                Some(MotionEvent::MotionStarted {
                    at,
                    boxes: boxes.to_vec(),
                    confidence,
                })
            }
            State::Active(active) if moving => {
                active.quiet = 0;
                active.last_motion = at;
                active.peak = active.peak.max(confidence);
                active.frames += 1;
                let bounds = boxes[1..].iter().fold(boxes[0], |u, b| u.union(b));
                Some(MotionEvent::MotionContinues {
                    at,
                    bounds,
                    confidence,
                })
            }
            State::Active(active) => {
                active.quiet += 1;
                if active.quiet < self.config.quiet_frames {
                    return None;
                }
                let ended = MotionEvent::MotionEnded {
                    at: active.last_motion,
                    started_at: active.started_at,
                    peak_confidence: active.peak,
                    motion_frames: active.frames,
                };
                self.cooldown_until = Some(at + self.config.cooldown);
                self.state = State::Idle { streak: 0 };
                Some(ended)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b() -> MotionBox {
        MotionBox {
            x: 1,
            y: 2,
            width: 3,
            height: 4,
            area: 12,
            confidence: 0.5,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n * 100)
    }

    fn run(tracker: &mut MotionTracker, pattern: &str, from: u64) -> Vec<(u64, &'static str)> {
        let mut out = Vec::new();
        for (i, c) in pattern.bytes().enumerate() {
            let t = from + i as u64;
            let boxes = if c == b'#' { vec![b()] } else { vec![] };
            match tracker.step(ms(t), &boxes, 0.5) {
                Some(MotionEvent::MotionStarted { .. }) => out.push((t, "start")),
                Some(MotionEvent::MotionEnded { .. }) => out.push((t, "end")),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn motion_must_persist_and_ends_after_quiet_frames() {
        let config = TrackerConfig {
            confirm_frames: 3,
            quiet_frames: 2,
            cooldown: Duration::ZERO,
        };
        let mut t = MotionTracker::new(config).unwrap();
        // Blips of one and two frames do not start; three do; one quiet frame does not end.
        assert_eq!(
            run(&mut t, "#..##..###.####..", 0),
            vec![(9, "start"), (16, "end")]
        );
    }

    #[test]
    fn cooldown_holds_back_the_next_event() {
        let config = TrackerConfig {
            confirm_frames: 1,
            quiet_frames: 1,
            cooldown: Duration::from_secs(1),
        };
        let mut t = MotionTracker::new(config).unwrap();
        // Ends at frame 1 (0.1 s): no start before 1.1 s, frame 11.
        assert_eq!(
            run(&mut t, "#.##########", 0),
            vec![(0, "start"), (1, "end"), (11, "start")]
        );
    }

    #[test]
    fn zero_frames_are_refused() {
        let config = TrackerConfig {
            confirm_frames: 0,
            ..TrackerConfig::default()
        };
        assert!(matches!(
            MotionTracker::new(config),
            Err(MotionError::InvalidSetting { .. })
        ));
    }
}
