//! The output of YOLO-format exports: one tensor of boxes `(cx, cy, w, h)` in input pixels,
//!
//! * YOLOv5/v7 style, `1×N×(5+classes)`: box, objectness, class scores (score = obj · class);
//! * YOLOv8/v11 style, `1×(4+classes)×N`: box then class scores, one column per candidate
//!   (and its transpose `1×N×(4+classes)`, which some exporters write).

use crate::boxes::Candidate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YoloLayout {
    /// `1×N×(5+classes)`.
    V5 { candidates: usize },
    /// `1×(5+classes)×N`.
    V5Columns { candidates: usize },
    /// `1×(4+classes)×N`.
    V8 { candidates: usize },
    /// `1×N×(4+classes)`.
    V8Rows { candidates: usize },
}

impl YoloLayout {
    /// The layout of an output of `shape` for a model of `classes` classes.
    pub fn from_shape(shape: &[usize], classes: usize) -> Result<Self, String> {
        let [1, a, b] = shape else {
            return Err(format!("expected one output of shape 1×A×B, got {shape:?}"));
        };
        let (a, b) = (*a, *b);
        if b == classes + 5 && a != classes + 4 {
            Ok(Self::V5 { candidates: a })
        } else if a == classes + 4 {
            Ok(Self::V8 { candidates: b })
        } else if b == classes + 4 {
            Ok(Self::V8Rows { candidates: a })
        } else if a == classes + 5 {
            Ok(Self::V5Columns { candidates: b })
        } else {
            Err(format!(
                "output {shape:?} fits neither 1×N×(5+{classes}) (YOLOv5) nor 1×(4+{classes})×N (YOLOv8): \
                 do the labels match the model's classes?"
            ))
        }
    }

    /// Candidates whose score passes `threshold`, in input pixels.
    pub fn decode(&self, data: &[f32], classes: usize, threshold: f32) -> Vec<Candidate> {
        let (n, attrs, objectness, columns) = match *self {
            Self::V5 { candidates } => (candidates, classes + 5, true, false),
            Self::V5Columns { candidates } => (candidates, classes + 5, true, true),
            Self::V8 { candidates } => (candidates, classes + 4, false, true),
            Self::V8Rows { candidates } => (candidates, classes + 4, false, false),
        };
        if data.len() < n * attrs {
            return Vec::new();
        }
        let at = |i: usize, k: usize| {
            if columns {
                data[k * n + i]
            } else {
                data[i * attrs + k]
            }
        };
        let first_class = if objectness { 5 } else { 4 };
        let mut found = Vec::new();
        for i in 0..n {
            let obj = if objectness { at(i, 4) } else { 1.0 };
            if obj <= threshold {
                continue;
            }
            let (cx, cy, w, h) = (at(i, 0), at(i, 1), at(i, 2), at(i, 3));
            for class in 0..classes {
                let score = obj * at(i, first_class + class);
                if score > threshold {
                    found.push(Candidate {
                        class,
                        score,
                        x1: cx - w / 2.0,
                        y1: cy - h / 2.0,
                        x2: cx + w / 2.0,
                        y2: cy + h / 2.0,
                    });
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_from_shapes() {
        assert_eq!(
            YoloLayout::from_shape(&[1, 25200, 85], 80),
            Ok(YoloLayout::V5 { candidates: 25200 })
        );
        assert_eq!(
            YoloLayout::from_shape(&[1, 84, 8400], 80),
            Ok(YoloLayout::V8 { candidates: 8400 })
        );
        assert_eq!(
            YoloLayout::from_shape(&[1, 8400, 84], 80),
            Ok(YoloLayout::V8Rows { candidates: 8400 })
        );
        assert_eq!(
            YoloLayout::from_shape(&[1, 85, 100], 80),
            Ok(YoloLayout::V5Columns { candidates: 100 })
        );
        assert!(YoloLayout::from_shape(&[1, 84, 8400], 3).is_err());
        assert!(YoloLayout::from_shape(&[84, 8400], 80).is_err());
    }

    #[test]
    fn v8_columns_decode() {
        // Two candidates, two classes: 1×6×2, column i is candidate i.
        let data = [
            100.0, 10.0, // cx
            50.0, 10.0, // cy
            20.0, 4.0, // w
            40.0, 4.0, // h
            0.1, 0.2, // class 0
            0.9, 0.3, // class 1
        ];
        let found = YoloLayout::V8 { candidates: 2 }.decode(&data, 2, 0.25);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].class, 1);
        assert_eq!(
            (found[0].x1, found[0].y1, found[0].x2, found[0].y2),
            (90.0, 30.0, 110.0, 70.0)
        );
        assert_eq!((found[1].class, found[1].score), (1, 0.3));
    }

    #[test]
    fn v5_rows_multiply_objectness() {
        let data = [
            50.0, 50.0, 10.0, 10.0, 0.5, 0.9, 0.1, // kept: 0.45 for class 0
            50.0, 50.0, 10.0, 10.0, 0.2, 1.0, 1.0, // objectness under the threshold
        ];
        let found = YoloLayout::V5 { candidates: 2 }.decode(&data, 2, 0.3);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].class, 0);
        assert!((found[0].score - 0.45).abs() < 1e-6);
        // Short data decodes to nothing instead of panicking.
        assert!(
            YoloLayout::V5 { candidates: 3 }
                .decode(&data, 2, 0.3)
                .is_empty()
        );
    }
}
