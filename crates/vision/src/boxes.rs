//! Candidate boxes, intersection over union and per-class non-maximum suppression.

/// One scored box of one class in model-input pixels (corners).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub class: usize,
    pub score: f32,
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl Candidate {
    fn corners(&self) -> [f32; 4] {
        [self.x1, self.y1, self.x2, self.y2]
    }
}

/// Intersection over union of two corner boxes `[x1, y1, x2, y2]`; 0 when either is empty.
pub fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = |r: [f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// Most boxes looked at before suppression (highest scores first), as NanoDet's own `nms_pre`.
const MAX_CANDIDATES: usize = 1000;

/// Greedy NMS within each class: the best box of a cluster stays, boxes overlapping it by more
/// than `iou_threshold` go. Returns at most `max` boxes, best first.
pub(crate) fn nms_per_class(
    mut candidates: Vec<Candidate>,
    iou_threshold: f32,
    max: usize,
) -> Vec<Candidate> {
    candidates.retain(|c| c.score.is_finite() && c.x2 > c.x1 && c.y2 > c.y1);
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    candidates.truncate(MAX_CANDIDATES);
    let mut kept: Vec<Candidate> = Vec::new();
    for c in candidates {
        if kept.len() >= max {
            break;
        }
        let suppressed = kept
            .iter()
            .any(|k| k.class == c.class && iou(k.corners(), c.corners()) > iou_threshold);
        if !suppressed {
            kept.push(c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(class: usize, score: f32, x1: f32, y1: f32, x2: f32, y2: f32) -> Candidate {
        Candidate {
            class,
            score,
            x1,
            y1,
            x2,
            y2,
        }
    }

    #[test]
    fn iou_of_known_boxes() {
        assert_eq!(iou([0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]), 1.0);
        assert_eq!(iou([0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]), 0.0);
        // Half overlap: 2 / (4 + 4 - 2).
        let v = iou([0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]);
        assert!((v - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(iou([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]), 0.0);
    }

    #[test]
    fn nms_suppresses_within_a_class_only() {
        let kept = nms_per_class(
            vec![
                cand(0, 0.5, 0.0, 0.0, 10.0, 10.0),
                cand(0, 0.9, 1.0, 1.0, 11.0, 11.0),
                cand(1, 0.7, 1.0, 1.0, 11.0, 11.0),
                cand(0, 0.6, 50.0, 50.0, 60.0, 60.0),
                cand(0, 0.99, 5.0, 5.0, 5.0, 9.0), // empty: dropped
                cand(0, f32::NAN, 0.0, 0.0, 1.0, 1.0),
            ],
            0.5,
            10,
        );
        let scores: Vec<f32> = kept.iter().map(|c| c.score).collect();
        assert_eq!(scores, vec![0.9, 0.7, 0.6]);
        assert_eq!(nms_per_class(kept, 0.5, 2).len(), 2);
    }
}
