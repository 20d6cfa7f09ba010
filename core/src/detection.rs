//! What the detector sees: the object classes shared by the simulator's labels, the model's
//! outputs and the tracker, and axis-aligned boxes in image pixels.

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

#[cfg(test)]
mod tests {
    use super::*;

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
