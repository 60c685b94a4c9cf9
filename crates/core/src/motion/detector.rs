//! The per-frame pipeline: tone correction → background classification → opening and closing
//! → components → boxes. All buffers are allocated once, in [`MotionDetector::new`].

use super::background::{BackgroundModel, Rates, Thresholds};
use super::components::{Labeller, MotionBox};
use super::tone::ToneEstimator;
use super::{MotionConfig, MotionError, ZoneMask, morph};

/// Frames larger than this are refused (the detector wants downscaled frames).
const MAX_PIXELS: u64 = 4096 * 4096;
/// A sudden light change starts from a frame where less than this fraction moved.
const QUIET_FRACTION: f32 = 0.15;
/// The spread test: the frame in a 4×4 grid, a cell counts when this fraction of it moves…
const GRID: usize = 4;
const CELL_MOVING_FRACTION: f32 = 0.1;
/// …and the change is frame-wide when this many of the 16 cells count.
const SPREAD_CELLS: usize = 12;

/// What one frame showed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameAnalysis<'a> {
    /// Moving regions above the minimum area, largest first. Empty while warming up and on
    /// frames taken as a light change.
    pub boxes: &'a [MotionBox],
    /// 0..=1: the write-up's `min(10 × moving fraction, 1)` combined with the boxes'
    /// confidences (`1 − Π(1 − c)`), averaged. 0 without boxes.
    pub confidence: f32,
    /// Moving fraction of the pixels where motion counts, after noise removal.
    pub moving_fraction: f32,
    /// The largest brightness shift of the frame against the background, in grey levels.
    pub light_shift: f32,
    /// The frame was taken as a global light change (the model re-learns).
    pub light_change: bool,
    /// Still learning the scene.
    pub warming_up: bool,
}

impl FrameAnalysis<'_> {
    pub fn has_motion(&self) -> bool {
        !self.boxes.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct MotionDetector {
    width: usize,
    height: usize,
    config: MotionConfig,
    zones: ZoneMask,
    min_area: u32,
    model: Option<BackgroundModel>,
    tone: ToneEstimator,
    labeller: Labeller,
    strength: Vec<u8>,
    mask: Vec<u8>,
    tmp: Vec<u8>,
    work: Vec<u8>,
    /// What moved in the last frame (after noise removal, zones not applied), and around its
    /// boxes: left out of the light estimate.
    moved: Vec<u8>,
    boxes: Vec<MotionBox>,
    frames: u32,
    relearn_left: u32,
    previous_fraction: f32,
}

impl MotionDetector {
    pub fn new(width: u32, height: u32, config: MotionConfig) -> Result<Self, MotionError> {
        if width == 0 || height == 0 {
            return Err(MotionError::ZeroSize { width, height });
        }
        if width as u64 * height as u64 > MAX_PIXELS {
            return Err(MotionError::FrameTooLarge {
                width,
                height,
                max: MAX_PIXELS,
            });
        }
        config.validate()?;
        let (w, h) = (width as usize, height as usize);
        let zones = ZoneMask::rasterise(w, h, &config.zones, &config.privacy_masks);
        let fraction = config.sensitivity.params().min_area_fraction;
        let min_area = ((w * h) as f32 * fraction).round().max(1.0) as u32;
        Ok(Self {
            width: w,
            height: h,
            config,
            zones,
            min_area,
            model: None,
            tone: ToneEstimator::new(),
            labeller: Labeller::default(),
            strength: vec![0; w * h],
            mask: vec![0; w * h],
            tmp: vec![0; w * h],
            work: vec![0; w * h],
            moved: vec![0; w * h],
            boxes: Vec::with_capacity(64),
            frames: 0,
            relearn_left: 0,
            previous_fraction: 0.0,
        })
    }

    pub fn width(&self) -> u32 {
        self.width as u32
    }

    pub fn height(&self) -> u32 {
        self.height as u32
    }

    /// Smallest box area, in pixels.
    pub fn min_area(&self) -> u32 {
        self.min_area
    }

    pub fn config(&self) -> &MotionConfig {
        &self.config
    }

    pub fn zones(&self) -> &ZoneMask {
        &self.zones
    }

    /// Bytes of one frame: `width × height` grey levels, row-major.
    pub fn frame_len(&self) -> usize {
        self.width * self.height
    }

    /// Forgets the scene (after the camera moved, or on a new stream).
    pub fn reset(&mut self) {
        self.model = None;
        self.frames = 0;
        self.relearn_left = 0;
        self.previous_fraction = 0.0;
        self.moved.fill(0);
    }

    /// Analyses the next frame of the stream.
    pub fn analyse(&mut self, frame: &[u8]) -> Result<FrameAnalysis<'_>, MotionError> {
        if frame.len() != self.frame_len() {
            return Err(MotionError::WrongBufferLength {
                expected: self.frame_len(),
                actual: frame.len(),
            });
        }
        let params = self.config.sensitivity.params();
        let min_variance = self.config.min_sigma * self.config.min_sigma;
        let (w, h) = (self.width, self.height);
        self.boxes.clear();
        let Some(model) = self.model.as_mut() else {
            self.model = Some(BackgroundModel::new(frame, min_variance));
            self.frames = 1;
            return Ok(self.quiet(0.0, false, true));
        };
        self.frames = self.frames.saturating_add(1);
        let warming_up = self.frames <= self.config.warmup_frames;

        self.tone.estimate(frame, model.mean(), &self.moved, w, h);
        let light_shift = self.tone.max_shift();
        let mut light_change = false;
        let light_seen = self.tone.reliable() && light_shift >= self.config.light_shift_threshold;
        if light_seen && !warming_up {
            // Follow the light at once; the rest is re-learnt fast.
            model.remap(self.tone.lut());
            self.tone.estimate(frame, model.mean(), &self.moved, w, h);
            self.relearn_left = self.config.relearn_frames;
            light_change = true;
        }
        let relearning = self.relearn_left > 0;
        let rates = if warming_up {
            let r = (1.0 / self.frames as f32).max(self.config.learning_rate);
            Rates {
                still: r,
                moving: r,
                variance: r,
            }
        } else if relearning {
            Rates {
                still: self.config.relearn_rate,
                moving: self.config.relearn_rate,
                variance: self.config.variance_rate,
            }
        } else {
            Rates {
                still: self.config.learning_rate,
                moving: self.config.foreground_learning_rate,
                variance: self.config.variance_rate,
            }
        };
        let thresholds = Thresholds {
            sigmas_sq: params.sigmas * params.sigmas,
            min_difference: params.min_difference,
            min_variance,
        };
        model.classify_and_learn(
            frame,
            self.tone.lut(),
            thresholds,
            rates,
            &mut self.strength,
        );
        self.relearn_left = self.relearn_left.saturating_sub(1);
        if warming_up {
            return Ok(self.quiet(light_shift, false, true));
        }

        // Noise removal: open (erode, dilate), then close (dilate, erode) to join a body's parts.
        for (m, &s) in self.mask.iter_mut().zip(&self.strength) {
            *m = u8::from(s > 0);
        }
        morph::erode(&self.mask, &mut self.tmp, &mut self.work, w, h);
        morph::dilate(&self.work, &mut self.tmp, &mut self.mask, w, h);
        morph::dilate(&self.mask, &mut self.tmp, &mut self.work, w, h);
        morph::erode(&self.work, &mut self.tmp, &mut self.mask, w, h);
        self.moved.copy_from_slice(&self.mask);
        let zones = self.zones.as_slice();
        for (m, &z) in self.mask.iter_mut().zip(zones) {
            *m &= z;
        }

        let moving = self.mask.iter().map(|&m| m as usize).sum::<usize>();
        let active = self.zones.active_count().max(1);
        let fraction = moving as f32 / active as f32;
        let sudden = self.previous_fraction < QUIET_FRACTION || relearning || light_change;
        self.previous_fraction = fraction;
        if fraction > self.config.sudden_change_fraction && sudden && self.spread_wide() {
            // Frame-wide, all at once: light the tone curve could not follow. Start over from
            // this frame (something standing in it is absorbed and shows again when it moves).
            if let Some(model) = self.model.as_mut() {
                model.adopt(frame);
            }
            self.relearn_left = self.config.relearn_frames;
            return Ok(self.quiet(light_shift, true, false));
        }

        self.labeller.boxes(
            &self.mask,
            &self.strength,
            w,
            h,
            self.min_area,
            &mut self.boxes,
        );
        self.exclude_around_boxes();
        let confidence = if self.boxes.is_empty() {
            0.0
        } else {
            let area_conf = (fraction * 10.0).min(1.0);
            let none = self.boxes.iter().fold(1.0, |p, b| p * (1.0 - b.confidence));
            (0.5 * area_conf + 0.5 * (1.0 - none)).clamp(0.0, 1.0)
        };
        Ok(FrameAnalysis {
            boxes: &self.boxes,
            confidence,
            moving_fraction: fraction,
            light_shift,
            light_change,
            warming_up: false,
        })
    }

    fn quiet(&self, light_shift: f32, light_change: bool, warming_up: bool) -> FrameAnalysis<'_> {
        FrameAnalysis {
            boxes: &[],
            confidence: 0.0,
            moving_fraction: 0.0,
            light_shift,
            light_change,
            warming_up,
        }
    }

    /// Marks each box, grown by a tenth of its size and 4 pixels, in `moved`: a growing or
    /// partly matching body stays out of the next light estimate.
    fn exclude_around_boxes(&mut self) {
        let (w, h) = (self.width as u32, self.height as u32);
        for b in &self.boxes {
            let mx = b.width / 10 + 4;
            let my = b.height / 10 + 4;
            let (x0, y0) = (b.x.saturating_sub(mx), b.y.saturating_sub(my));
            let x1 = (b.x + b.width + mx).min(w) as usize;
            let y1 = (b.y + b.height + my).min(h) as usize;
            for row in y0 as usize..y1 {
                self.moved[row * self.width + x0 as usize..row * self.width + x1].fill(1);
            }
        }
    }

    /// Whether the moving pixels of `mask` cover most cells of a 4×4 grid.
    fn spread_wide(&self) -> bool {
        let (w, h) = (self.width, self.height);
        let mut cells = 0;
        for gy in 0..GRID {
            let (y0, y1) = (gy * h / GRID, (gy + 1) * h / GRID);
            for gx in 0..GRID {
                let (x0, x1) = (gx * w / GRID, (gx + 1) * w / GRID);
                let size = (y1 - y0) * (x1 - x0);
                if size == 0 {
                    continue;
                }
                let mut n = 0;
                for row in y0..y1 {
                    n += self.mask[row * w + x0..row * w + x1]
                        .iter()
                        .map(|&m| m as usize)
                        .sum::<usize>();
                }
                if n as f32 >= CELL_MOVING_FRACTION * size as f32 {
                    cells += 1;
                }
            }
        }
        cells >= SPREAD_CELLS
    }
}
