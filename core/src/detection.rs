//! What the detector sees: the object classes shared by the simulator's labels, the model's
//! outputs and the tracker; axis-aligned boxes in image pixels; scored detections and their
//! class-wise non-maximum suppression.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The classes the detector is trained on, with their fixed class ids (the order of the model's
/// class scores and of YOLO label files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectClass {
    Player,
    Goalie,
    Referee,
    Puck,
    Net,
}

/// Why a class name or id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an object class (player, goalie, referee, puck, net)")]
pub struct ClassError(String);

impl ObjectClass {
    pub const ALL: [ObjectClass; 5] = [
        ObjectClass::Player,
        ObjectClass::Goalie,
        ObjectClass::Referee,
        ObjectClass::Puck,
        ObjectClass::Net,
    ];

    /// The class id in model outputs and label files.
    pub fn id(self) -> usize {
        self as usize
    }

    pub fn from_id(id: usize) -> Option<Self> {
        Self::ALL.get(id).copied()
    }

    /// Whether the class is a person (a skater, goalie or referee: someone wearing a jersey).
    pub fn is_person(self) -> bool {
        matches!(
            self,
            ObjectClass::Player | ObjectClass::Goalie | ObjectClass::Referee
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectClass::Player => "player",
            ObjectClass::Goalie => "goalie",
            ObjectClass::Referee => "referee",
            ObjectClass::Puck => "puck",
            ObjectClass::Net => "net",
        }
    }
}

impl fmt::Display for ObjectClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ObjectClass {
    type Err = ClassError;
    fn from_str(text: &str) -> Result<Self, ClassError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| ClassError(text.chars().take(40).collect()))
    }
}

/// An axis-aligned box in image pixels: `x0 <= x1`, `y0 <= y1` (top-left origin).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl PixelBox {
    pub fn width(&self) -> f32 {
        (self.x1 - self.x0).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y1 - self.y0).max(0.0)
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    pub fn centre(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    /// The middle of the bottom edge: where a standing object touches the ice.
    pub fn bottom_centre(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, self.y1)
    }

    /// Intersection over union with another box (0 when either is empty).
    pub fn iou(&self, other: &PixelBox) -> f32 {
        let inter = PixelBox {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        }
        .area();
        let union = self.area() + other.area() - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    /// The part of the box inside a `width × height` image, or `None` if nothing is.
    pub fn clipped(&self, width: f32, height: f32) -> Option<PixelBox> {
        if !(width > 0.0 && height > 0.0) {
            return None;
        }
        let clipped = PixelBox {
            x0: self.x0.clamp(0.0, width),
            y0: self.y0.clamp(0.0, height),
            x1: self.x1.clamp(0.0, width),
            y1: self.y1.clamp(0.0, height),
        };
        (clipped.area() > 0.0).then_some(clipped)
    }
}

/// One object found in one frame, in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub class: ObjectClass,
    pub score: f32,
    pub bbox: PixelBox,
}

/// Class-wise non-maximum suppression: within each class, keeps the best-scoring box and drops
/// every other box overlapping it by more than `iou_threshold`, repeatedly. The result is sorted
/// by descending score. No cap on the number of boxes kept.
pub fn non_maximum_suppression(
    mut detections: Vec<Detection>,
    iou_threshold: f32,
) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::with_capacity(detections.len());
    for candidate in detections {
        let overlaps = kept
            .iter()
            .any(|k| k.class == candidate.class && k.bbox.iou(&candidate.bbox) > iou_threshold);
        if !overlaps {
            kept.push(candidate);
        }
    }
    kept
}

/// The best-scoring detection of `class` (one puck is in play: a frame's puck is its best one).
pub fn best_of_class(detections: &[Detection], class: ObjectClass) -> Option<Detection> {
    detections
        .iter()
        .filter(|d| d.class == class)
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_best_of_a_class_ignores_other_classes() {
        let detections = [
            detection(ObjectClass::Puck, 0.4, 0.0),
            detection(ObjectClass::Player, 0.9, 0.0),
            detection(ObjectClass::Puck, 0.7, 50.0),
        ];
        let best = best_of_class(&detections, ObjectClass::Puck).unwrap();
        assert_eq!((best.score, best.bbox.x0), (0.7, 50.0));
        assert_eq!(best_of_class(&detections, ObjectClass::Net), None);
    }

    fn detection(class: ObjectClass, score: f32, x0: f32) -> Detection {
        Detection {
            class,
            score,
            bbox: PixelBox {
                x0,
                y0: 0.0,
                x1: x0 + 10.0,
                y1: 10.0,
            },
        }
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes_per_class() {
        let kept = non_maximum_suppression(
            vec![
                detection(ObjectClass::Player, 0.6, 1.0),
                detection(ObjectClass::Player, 0.9, 0.0),
                detection(ObjectClass::Referee, 0.5, 0.0),
                detection(ObjectClass::Player, 0.8, 30.0),
            ],
            0.5,
        );
        let summary: Vec<_> = kept.iter().map(|d| (d.class, d.score)).collect();
        assert_eq!(
            summary,
            vec![
                (ObjectClass::Player, 0.9),
                (ObjectClass::Player, 0.8),
                (ObjectClass::Referee, 0.5)
            ]
        );
    }

    proptest! {
        /// After NMS no two kept boxes of a class overlap beyond the threshold, and every
        /// dropped box overlaps a kept box of its class that scores at least as high.
        #[test]
        fn nms_invariants(boxes in proptest::collection::vec((0usize..2, 0.0f32..1.0, 0.0f32..100.0, 0.0f32..100.0, 1.0f32..30.0), 0..60)) {
            let input: Vec<Detection> = boxes.iter().map(|&(c, score, x, y, size)| Detection {
                class: ObjectClass::ALL[c],
                score,
                bbox: PixelBox { x0: x, y0: y, x1: x + size, y1: y + size },
            }).collect();
            let kept = non_maximum_suppression(input.clone(), 0.45);
            for (i, a) in kept.iter().enumerate() {
                for b in &kept[i + 1..] {
                    prop_assert!(a.class != b.class || a.bbox.iou(&b.bbox) <= 0.45);
                }
            }
            for d in &input {
                let survived = kept.contains(d);
                let covered = kept.iter().any(|k| k.class == d.class && k.score >= d.score && k.bbox.iou(&d.bbox) > 0.45);
                prop_assert!(survived || covered);
            }
        }
    }

    #[test]
    fn class_ids_are_stable() {
        for (id, class) in ObjectClass::ALL.into_iter().enumerate() {
            assert_eq!(class.id(), id);
            assert_eq!(ObjectClass::from_id(id), Some(class));
            assert_eq!(class.as_str().parse::<ObjectClass>().unwrap(), class);
        }
        assert_eq!(ObjectClass::from_id(5), None);
        assert_eq!(ObjectClass::Puck.id(), 3);
    }

    #[test]
    fn boxes_measure_overlap_and_clip() {
        let a = PixelBox {
            x0: 0.0,
            y0: 0.0,
            x1: 10.0,
            y1: 10.0,
        };
        let b = PixelBox {
            x0: 5.0,
            y0: 0.0,
            x1: 15.0,
            y1: 10.0,
        };
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(
            a.iou(&PixelBox {
                x0: 20.0,
                y0: 20.0,
                x1: 30.0,
                y1: 30.0
            }),
            0.0
        );
        assert_eq!(b.clipped(12.0, 12.0).unwrap().x1, 12.0);
        assert!(a.clipped(-1.0, 100.0).is_none());
        assert_eq!(a.bottom_centre(), (5.0, 10.0));
    }
}
