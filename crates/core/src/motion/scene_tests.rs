//! Synthetic scenes, 320×180 at 10 frames/s: a textured background with sensor noise, plus
//! whatever each scene moves through it. Each asserts which events the detector and tracker
//! produce.

use super::*;
use std::time::Duration;

const W: usize = 320;
const H: usize = 180;

/// xorshift64*, so scenes are the same on every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Roughly normal, σ ≈ 2.9 grey levels.
    fn sample(&mut self) -> f32 {
        let r = self.next();
        let sum: u32 = (0..4).map(|i| ((r >> (i * 16)) & 0xffff) as u32).sum();
        (sum as f32 / 65535.0 - 2.0) * 5.0
    }
}

fn background(x: usize, y: usize) -> f32 {
    let checker = if (x / 10 + y / 10).is_multiple_of(2) {
        0.0
    } else {
        30.0
    };
    40.0 + (x as f32) * 140.0 / W as f32 + checker
}

/// Dark clothes with stripes: clearly not the background.
fn person_texture(_x: usize, y: usize) -> f32 {
    if (y / 6).is_multiple_of(2) {
        20.0
    } else {
        45.0
    }
}

struct Scene {
    noise: Noise,
    frame: Vec<f32>,
    bytes: Vec<u8>,
}

impl Scene {
    fn new() -> Self {
        Self {
            noise: Noise(0x9e37_79b9_7f4a_7c15),
            frame: vec![0.0; W * H],
            bytes: vec![0; W * H],
        }
    }

    fn start(&mut self) {
        for y in 0..H {
            for x in 0..W {
                self.frame[y * W + x] = background(x, y);
            }
        }
    }

    /// Paints a `w × h` rectangle at `(x0, y0)` (may be partly outside), with `texture`.
    fn rect(&mut self, x0: i32, y0: i32, w: i32, h: i32, texture: impl Fn(usize, usize) -> f32) {
        for y in y0.max(0)..(y0 + h).min(H as i32) {
            for x in x0.max(0)..(x0 + w).min(W as i32) {
                let (xu, yu) = (x as usize, y as usize);
                self.frame[yu * W + xu] = texture(xu, yu);
            }
        }
    }

    fn finish(&mut self, light: impl Fn(f32) -> f32) -> &[u8] {
        for (b, &v) in self.bytes.iter_mut().zip(&self.frame) {
            *b = (light(v) + self.noise.sample()).round().clamp(0.0, 255.0) as u8;
        }
        &self.bytes
    }
}

#[derive(Debug, Default)]
struct Outcome {
    /// Frame index and event.
    events: Vec<(usize, MotionEvent)>,
    motion_frames: Vec<usize>,
    light_frames: Vec<usize>,
}

impl Outcome {
    fn starts(&self) -> Vec<usize> {
        self.events
            .iter()
            .filter(|(_, e)| matches!(e, MotionEvent::MotionStarted { .. }))
            .map(|(i, _)| *i)
            .collect()
    }

    fn ends(&self) -> Vec<usize> {
        self.events
            .iter()
            .filter(|(_, e)| matches!(e, MotionEvent::MotionEnded { .. }))
            .map(|(i, _)| *i)
            .collect()
    }

    fn first_boxes(&self) -> &[MotionBox] {
        self.events
            .iter()
            .find_map(|(_, e)| match e {
                MotionEvent::MotionStarted { boxes, .. } => Some(boxes.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    fn motion_in(&self, frames: std::ops::Range<usize>) -> usize {
        self.motion_frames
            .iter()
            .filter(|f| frames.contains(f))
            .count()
    }
}

fn tracker() -> TrackerConfig {
    TrackerConfig {
        confirm_frames: 3,
        quiet_frames: 10,
        cooldown: Duration::from_secs(5),
    }
}

/// Runs `frames` frames; `paint(i, scene)` draws frame `i` and returns its light function.
fn run(
    config: MotionConfig,
    tracker_config: TrackerConfig,
    frames: usize,
    mut paint: impl FnMut(usize, &mut Scene) -> Box<dyn Fn(f32) -> f32>,
) -> Outcome {
    let mut detector = MotionDetector::new(W as u32, H as u32, config).unwrap();
    let mut tracker = MotionTracker::new(tracker_config).unwrap();
    let mut scene = Scene::new();
    let mut outcome = Outcome::default();
    for i in 0..frames {
        scene.start();
        let light = paint(i, &mut scene);
        let frame = scene.finish(light).to_vec();
        let analysis = detector.analyse(&frame).unwrap();
        if analysis.has_motion() {
            outcome.motion_frames.push(i);
        }
        if analysis.light_change {
            outcome.light_frames.push(i);
        }
        for b in analysis.boxes {
            assert!(b.x + b.width <= W as u32 && b.y + b.height <= H as u32);
            assert!((0.0..=1.0).contains(&b.confidence));
        }
        assert!((0.0..=1.0).contains(&analysis.confidence));
        let at = Duration::from_millis(i as u64 * 100);
        if let Some(event) = tracker.update(at, &analysis) {
            outcome.events.push((i, event));
        }
    }
    outcome
}

fn same() -> Box<dyn Fn(f32) -> f32> {
    Box::new(|v| v)
}

/// A person-sized figure (24×60) walking right at 4 px/frame from `x0`, starting at `from`.
fn walker(i: usize, from: usize, x0: i32, y0: i32, scene: &mut Scene) {
    if i >= from {
        let x = x0 + 4 * (i - from) as i32;
        scene.rect(x, y0, 24, 60, person_texture);
    }
}

#[test]
fn a_static_noisy_scene_never_fires() {
    let out = run(MotionConfig::default(), tracker(), 150, |_, _| same());
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert!(out.motion_frames.is_empty(), "{:?}", out.motion_frames);
}

/// Leaves over x 200..280, y 20..100 swaying ±35 grey levels, period 0.8 s, phase by position.
fn tree(i: usize, scene: &mut Scene) {
    let t = i as f32;
    scene.rect(200, 20, 80, 80, |x, y| {
        let phase = (x + 2 * y) as f32 / 9.0;
        background(x, y) + 35.0 * (std::f32::consts::TAU * t / 8.0 + phase).sin()
    });
}

#[test]
fn a_swaying_tree_does_not_fire_but_a_person_beside_it_does() {
    let out = run(MotionConfig::default(), tracker(), 200, |i, s| {
        tree(i, s);
        same()
    });
    assert!(out.events.is_empty(), "{:?}", out.events);

    let out = run(MotionConfig::default(), tracker(), 120, |i, s| {
        tree(i, s);
        walker(i, 60, -24, 110, s);
        same()
    });
    let starts = out.starts();
    assert_eq!(starts.len(), 1, "{:?}", out.events);
    assert!((60..70).contains(&starts[0]), "{starts:?}");
    // The person's box, not the tree's.
    assert!(
        out.first_boxes().iter().all(|b| b.y >= 100),
        "{:?}",
        out.first_boxes()
    );
}

#[test]
fn a_global_brightness_jump_does_not_fire() {
    let out = run(MotionConfig::default(), tracker(), 150, |i, _| {
        if i >= 80 {
            Box::new(|v| v + 60.0)
        } else {
            same()
        }
    });
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert!(out.light_frames.contains(&80), "{:?}", out.light_frames);
}

#[test]
fn exposure_and_ir_like_changes_do_not_fire() {
    // Auto exposure halving the gain, then the IR switch: gain up with a gamma bend.
    let out = run(MotionConfig::default(), tracker(), 200, |i, _| match i {
        0..60 => same(),
        60..130 => Box::new(|v| v * 0.5),
        _ => Box::new(|v| 255.0 * (v / 255.0).powf(0.6)),
    });
    assert!(out.events.is_empty(), "{:?}", out.events);
    // Headlights sweeping across over five frames, staying on.
    let out = run(MotionConfig::default(), tracker(), 150, |i, _| {
        let k = (i.saturating_sub(60) as f32 / 5.0).min(1.0);
        Box::new(move |v| v + 50.0 * k)
    });
    assert!(out.events.is_empty(), "{:?}", out.events);
}

#[test]
fn an_ir_switch_that_turns_materials_around_does_not_fire() {
    // Under IR the checker's dark squares turn bright and the bright ones dark, all brighter:
    // no tone curve maps the old scene onto the new one.
    let out = run(MotionConfig::default(), tracker(), 150, |i, s| {
        if i >= 80 {
            s.rect(0, 0, W as i32, H as i32, |x, y| {
                let swapped = if (x / 10 + y / 10).is_multiple_of(2) {
                    30.0
                } else {
                    0.0
                };
                80.0 + (x as f32) * 140.0 / W as f32 + swapped
            });
        }
        same()
    });
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert!(out.light_frames.contains(&80), "{:?}", out.light_frames);
    assert!(out.motion_frames.is_empty(), "{:?}", out.motion_frames);
}

#[test]
fn a_person_walking_through_a_brightness_jump_is_still_seen() {
    let out = run(MotionConfig::default(), tracker(), 120, |i, s| {
        walker(i, 40, -24, 100, s);
        if i >= 70 {
            Box::new(|v| v + 60.0)
        } else {
            same()
        }
    });
    assert_eq!(out.starts().len(), 1, "{:?}", out.events);
    // Seen on most frames after the jump, while it is still in the frame.
    assert!(out.motion_in(71..100) >= 22, "{:?}", out.motion_frames);
}

fn lower_left_zone() -> MotionConfig {
    MotionConfig {
        zones: vec![Polygon::rect(0.0, 0.5, 0.5, 1.0).unwrap()],
        ..MotionConfig::default()
    }
}

#[test]
fn a_person_entering_a_zone_fires_and_leaving_it_ends() {
    // Walks in from the left along the bottom: inside the zone until x ≈ 160 (frame ≈ 86).
    let out = run(lower_left_zone(), tracker(), 140, |i, s| {
        walker(i, 40, -24, 110, s);
        same()
    });
    let starts = out.starts();
    assert_eq!(starts.len(), 1, "{:?}", out.events);
    assert!((40..50).contains(&starts[0]), "{starts:?}");
    for b in out.first_boxes() {
        assert!(b.x + b.width <= 161 && b.y >= 89, "{b:?}");
        assert!(b.height >= 40, "a person-sized box: {b:?}");
    }
    let ends = out.ends();
    assert_eq!(ends.len(), 1, "{:?}", out.events);
    assert!((88..110).contains(&ends[0]), "{ends:?}");
}

#[test]
fn a_person_walking_outside_the_zone_does_not_fire() {
    // Along the top, above the zone.
    let out = run(lower_left_zone(), tracker(), 140, |i, s| {
        walker(i, 40, -24, 5, s);
        same()
    });
    assert!(out.events.is_empty(), "{:?}", out.events);
}

#[test]
fn motion_inside_a_privacy_mask_does_not_fire() {
    let masked = MotionConfig {
        privacy_masks: vec![Polygon::rect(0.5, 0.0, 1.0, 1.0).unwrap()],
        ..MotionConfig::default()
    };
    // Pacing up and down the right half, never leaving it (x 180..300).
    let pace = |i: usize, s: &mut Scene| {
        if i >= 40 {
            let step = (i - 40) % 50;
            let offset = if step < 25 { step } else { 50 - step } as i32;
            s.rect(180 + 4 * offset, 60, 24, 60, person_texture);
        }
        same()
    };
    let out = run(masked, tracker(), 150, pace);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert!(out.motion_frames.is_empty());
    // The same walk without the mask fires.
    let out = run(MotionConfig::default(), tracker(), 150, pace);
    assert_eq!(out.starts().len(), 1, "{:?}", out.events);
}

#[test]
fn a_person_approaching_the_camera_fires() {
    // A figure growing from 12×30 at frame 40 to 200×176 at frame 70, then standing close.
    let out = run(MotionConfig::default(), tracker(), 90, |i, s| {
        if i >= 40 {
            let k = ((i - 40) as f32 / 30.0).min(1.0);
            let (w, h) = (12.0 + 188.0 * k, 30.0 + 146.0 * k);
            let (x, y) = (160.0 - w / 2.0, H as f32 - h);
            s.rect(x as i32, y as i32, w as i32, h as i32, person_texture);
        }
        same()
    });
    let starts = out.starts();
    assert_eq!(starts.len(), 1, "{:?}", out.events);
    assert!((40..46).contains(&starts[0]), "{starts:?}");
    // Not taken for a light change while it grows, and seen on nearly every frame.
    assert!(out.light_frames.is_empty(), "{:?}", out.light_frames);
    assert!(out.motion_in(40..71) >= 28, "{:?}", out.motion_frames);
}

#[test]
fn a_one_frame_flash_of_an_object_does_not_fire() {
    let out = run(MotionConfig::default(), tracker(), 80, |i, s| {
        if i == 50 {
            s.rect(100, 60, 40, 60, person_texture);
        }
        same()
    });
    assert_eq!(out.motion_frames, vec![50]);
    assert!(out.events.is_empty(), "{:?}", out.events);
}

#[test]
fn cooldown_merges_two_walks_and_zero_cooldown_does_not() {
    let walks = |i: usize, s: &mut Scene| {
        walker(i, 40, -24, 100, s); // leaves the frame at frame ≈ 126
        walker(i, 150, -24, 100, s);
        same()
    };
    let long = TrackerConfig {
        cooldown: Duration::from_secs(60),
        ..tracker()
    };
    let out = run(MotionConfig::default(), long, 200, walks);
    assert_eq!(out.starts().len(), 1, "{:?}", out.events);
    let none = TrackerConfig {
        cooldown: Duration::ZERO,
        ..tracker()
    };
    let out = run(MotionConfig::default(), none, 200, walks);
    assert_eq!(out.starts().len(), 2, "{:?}", out.events);
}

#[test]
fn sensitivity_sets_the_contrast_that_counts() {
    // A faint figure, 20 grey levels off the background.
    let faint = |i: usize, s: &mut Scene| {
        if i >= 40 {
            let x = -24 + 4 * (i - 40) as i32;
            s.rect(x, 100, 24, 60, |x, y| background(x, y) + 20.0);
        }
        same()
    };
    let high = run(
        MotionConfig::with_sensitivity(Sensitivity::High),
        tracker(),
        100,
        faint,
    );
    assert_eq!(high.starts().len(), 1, "{:?}", high.events);
    let low = run(
        MotionConfig::with_sensitivity(Sensitivity::Low),
        tracker(),
        100,
        faint,
    );
    assert!(low.events.is_empty(), "{:?}", low.events);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert_eq!(
        MotionDetector::new(0, 180, MotionConfig::default()).err(),
        Some(MotionError::ZeroSize {
            width: 0,
            height: 180
        })
    );
    assert!(matches!(
        MotionDetector::new(100_000, 100_000, MotionConfig::default()),
        Err(MotionError::FrameTooLarge { .. })
    ));
    let bad_rate = MotionConfig {
        learning_rate: f32::NAN,
        ..MotionConfig::default()
    };
    assert!(matches!(
        MotionDetector::new(320, 180, bad_rate),
        Err(MotionError::InvalidSetting {
            name: "learning_rate",
            ..
        })
    ));
    let mut d = MotionDetector::new(320, 180, MotionConfig::default()).unwrap();
    assert_eq!(
        d.analyse(&[0; 100]).err(),
        Some(MotionError::WrongBufferLength {
            expected: 57_600,
            actual: 100
        })
    );
    assert!(d.analyse(&[0; 57_600]).is_ok());
    assert_eq!(d.min_area(), 139);
}
