//! The pure half of running a detector: where the model's input comes from in the frame (the
//! rink region, letterboxed into the model's fixed input size), which output layout a model has,
//! and how its raw output tensor becomes [`Detection`]s in frame pixels.
//!
//! Supported output layouts (chosen from `model.toml` or recognised by shape):
//! - raw YOLOv8 / YOLO11 style `[1, 4 + nc, N]`: per candidate `cx, cy, w, h` in input pixels,
//!   then one score per class (BenchSight's own detector exports this layout);
//! - end-to-end `[1, K, 6]`: `x0, y0, x1, y1, score, class` (YOLOv10, YOLO26, `nms=True`);
//! - RT-DETR `[1, K, 4 + nc]`: normalised `cx, cy, w, h`, then class scores.

use serde::{Deserialize, Serialize};

use crate::detection::{Detection, ObjectClass, PixelBox};
use crate::homography::{Homography, PlanePoint};
use crate::rink::{CORNER_RADIUS_FT, HALF_LENGTH_FT, HALF_WIDTH_FT};

/// How a model's output tensor is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadLayout {
    /// `[1, 4 + nc, N]`, boxes as centre and size in input pixels.
    YoloRaw,
    /// `[1, K, 6]`, boxes as corners in input pixels, already suppressed.
    EndToEnd,
    /// `[1, K, 4 + nc]`, boxes as normalised centre and size.
    RtDetr,
}

/// Why an output tensor could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("output shape {0:?} matches no known detector layout")]
    UnknownShape(Vec<usize>),
    #[error("output shape {shape:?} does not fit layout {layout:?} with {classes} classes")]
    ShapeMismatch {
        shape: Vec<usize>,
        layout: HeadLayout,
        classes: usize,
    },
    #[error("output holds {got} values; shape {shape:?} needs {expected}")]
    Length {
        got: usize,
        expected: usize,
        shape: Vec<usize>,
    },
}

impl HeadLayout {
    /// Recognises a layout from the output shape and the model's class count.
    pub fn from_shape(shape: &[usize], classes: usize) -> Result<HeadLayout, HeadError> {
        match *shape {
            [1, rows, _] if rows == 4 + classes => Ok(HeadLayout::YoloRaw),
            [1, _, 6] => Ok(HeadLayout::EndToEnd),
            [1, _, columns] if columns == 4 + classes => Ok(HeadLayout::RtDetr),
            _ => Err(HeadError::UnknownShape(shape.to_vec())),
        }
    }
}

/// Where a model's input comes from: a region of the frame scaled (aspect kept) and padded
/// into the model's fixed input size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InputGeometry {
    /// The region of the frame fed to the model, in frame pixels.
    pub region: PixelBox,
    /// Frame pixels → input pixels.
    pub scale: f32,
    pub pad_x: f32,
    pub pad_y: f32,
    pub input_width: u32,
    pub input_height: u32,
}

impl InputGeometry {
    /// Letterboxes `region` into an `input_width × input_height` input, centred.
    pub fn letterbox(region: PixelBox, input_width: u32, input_height: u32) -> Self {
        let (w, h) = (input_width as f32, input_height as f32);
        let scale = (w / region.width().max(1.0)).min(h / region.height().max(1.0));
        Self {
            region,
            scale,
            pad_x: (w - region.width() * scale) / 2.0,
            pad_y: (h - region.height() * scale) / 2.0,
            input_width,
            input_height,
        }
    }

    /// A box in input pixels back in frame pixels.
    pub fn to_frame(&self, bbox: PixelBox) -> PixelBox {
        let x = |v: f32| (v - self.pad_x) / self.scale + self.region.x0;
        let y = |v: f32| (v - self.pad_y) / self.scale + self.region.y0;
        PixelBox {
            x0: x(bbox.x0),
            y0: y(bbox.y0),
            x1: x(bbox.x1),
            y1: y(bbox.y1),
        }
    }

    /// A point in frame pixels in input pixels.
    pub fn to_input(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.region.x0) * self.scale + self.pad_x,
            (y - self.region.y0) * self.scale + self.pad_y,
        )
    }
}

/// The part of a `width × height` frame where the game happens: the rink's outline through the
/// calibration, widened upwards so that players standing at the far boards fit, clipped to the
/// frame. Detecting only there spends the model's pixels on the ice rather than the stands.
pub fn rink_region(homography: &Homography, width: u32, height: u32) -> Option<PixelBox> {
    let (mut x0, mut y0, mut x1, mut y1) = (
        f32::INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
    );
    let corner_x = HALF_LENGTH_FT - CORNER_RADIUS_FT;
    let corner_y = HALF_WIDTH_FT - CORNER_RADIUS_FT;
    for k in 0..64 {
        let angle = f64::from(k) / 64.0 * std::f64::consts::TAU;
        let (c, s) = (angle.cos(), angle.sin());
        let point = PlanePoint {
            x_ft: c.signum() * corner_x + CORNER_RADIUS_FT * c,
            y_ft: s.signum() * corner_y + CORNER_RADIUS_FT * s,
        };
        let p = homography.rink_to_image(point)?;
        x0 = x0.min(p.x_px as f32);
        x1 = x1.max(p.x_px as f32);
        y0 = y0.min(p.y_px as f32);
        y1 = y1.max(p.y_px as f32);
    }
    // A person is about a third of the rink's apparent depth tall at the far boards for a
    // camera beside the rink; 40 % of it above the outline covers them with room to spare.
    let depth = y1 - y0;
    PixelBox {
        x0: x0 - 4.0,
        y0: y0 - 0.4 * depth,
        x1: x1 + 4.0,
        y1: y1 + 0.08 * depth,
    }
    .clipped(width as f32, height as f32)
}

/// Decodes a detector's raw output into detections in frame pixels, keeping candidates whose
/// best class score reaches `score_threshold`. `classes` maps the model's class ids to
/// BenchSight classes (`None` for classes the pipeline ignores). Non-maximum suppression is left
/// to the caller.
pub fn decode_output(
    layout: HeadLayout,
    output: &[f32],
    shape: &[usize],
    classes: &[Option<ObjectClass>],
    score_threshold: f32,
    geometry: &InputGeometry,
) -> Result<Vec<Detection>, HeadError> {
    let expected: usize = shape.iter().product();
    if output.len() != expected {
        return Err(HeadError::Length {
            got: output.len(),
            expected,
            shape: shape.to_vec(),
        });
    }
    let mismatch = || HeadError::ShapeMismatch {
        shape: shape.to_vec(),
        layout,
        classes: classes.len(),
    };
    let nc = classes.len();
    let mut detections = Vec::new();
    let mut push = |class_id: usize, score: f32, bbox: PixelBox| {
        if let Some(Some(class)) = classes.get(class_id)
            && score >= score_threshold
        {
            detections.push(Detection {
                class: *class,
                score,
                bbox: geometry.to_frame(bbox),
            });
        }
    };
    match layout {
        HeadLayout::YoloRaw => {
            let [1, rows, n] = *shape else {
                return Err(mismatch());
            };
            if rows != 4 + nc {
                return Err(mismatch());
            }
            for i in 0..n {
                let (best, score) = (0..nc)
                    .map(|c| (c, output[(4 + c) * n + i]))
                    .fold((0, f32::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
                if score < score_threshold {
                    continue;
                }
                let (cx, cy, w, h) = (
                    output[i],
                    output[n + i],
                    output[2 * n + i],
                    output[3 * n + i],
                );
                push(best, score, centre_box(cx, cy, w, h));
            }
        }
        HeadLayout::EndToEnd => {
            let [1, k, 6] = *shape else {
                return Err(mismatch());
            };
            for row in output.chunks_exact(6).take(k) {
                let class = row[5].round();
                if class >= 0.0 {
                    let bbox = PixelBox {
                        x0: row[0],
                        y0: row[1],
                        x1: row[2],
                        y1: row[3],
                    };
                    push(class as usize, row[4], bbox);
                }
            }
        }
        HeadLayout::RtDetr => {
            let [1, k, columns] = *shape else {
                return Err(mismatch());
            };
            if columns != 4 + nc {
                return Err(mismatch());
            }
            let (w, h) = (geometry.input_width as f32, geometry.input_height as f32);
            for row in output.chunks_exact(columns).take(k) {
                let (best, score) = row[4..]
                    .iter()
                    .copied()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
                push(
                    best,
                    score,
                    centre_box(row[0] * w, row[1] * h, row[2] * w, row[3] * h),
                );
            }
        }
    }
    Ok(detections)
}

fn centre_box(cx: f32, cy: f32, w: f32, h: f32) -> PixelBox {
    PixelBox {
        x0: cx - w / 2.0,
        y0: cy - h / 2.0,
        x1: cx + w / 2.0,
        y1: cy + h / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::PinholeCamera;

    const CLASSES: [Option<ObjectClass>; 2] = [Some(ObjectClass::Player), Some(ObjectClass::Puck)];

    fn identity(width: u32, height: u32) -> InputGeometry {
        InputGeometry::letterbox(
            PixelBox {
                x0: 0.0,
                y0: 0.0,
                x1: width as f32,
                y1: height as f32,
            },
            width,
            height,
        )
    }

    #[test]
    fn layouts_are_recognised_by_shape() {
        assert_eq!(
            HeadLayout::from_shape(&[1, 9, 25600], 5),
            Ok(HeadLayout::YoloRaw)
        );
        assert_eq!(
            HeadLayout::from_shape(&[1, 300, 6], 5),
            Ok(HeadLayout::EndToEnd)
        );
        assert_eq!(
            HeadLayout::from_shape(&[1, 300, 9], 5),
            Ok(HeadLayout::RtDetr)
        );
        assert!(HeadLayout::from_shape(&[1, 300, 7], 5).is_err());
        assert!(HeadLayout::from_shape(&[9, 25600], 5).is_err());
    }

    #[test]
    fn letterbox_round_trips_boxes() {
        let region = PixelBox {
            x0: 0.0,
            y0: 250.0,
            x1: 1280.0,
            y1: 490.0,
        };
        let geometry = InputGeometry::letterbox(region, 1280, 320);
        assert_eq!(geometry.scale, 1.0);
        assert_eq!(geometry.pad_y, 40.0);
        let (ix, iy) = geometry.to_input(100.0, 300.0);
        assert_eq!((ix, iy), (100.0, 90.0));
        let back = geometry.to_frame(PixelBox {
            x0: ix,
            y0: iy,
            x1: ix + 10.0,
            y1: iy + 20.0,
        });
        assert_eq!((back.x0, back.y0, back.y1), (100.0, 300.0, 320.0));
        let big = InputGeometry::letterbox(
            PixelBox {
                x0: 0.0,
                y0: 300.0,
                x1: 1920.0,
                y1: 660.0,
            },
            1280,
            320,
        );
        assert!((big.scale - 1280.0 / 1920.0).abs() < 1e-6);
    }

    #[test]
    fn raw_yolo_output_decodes_to_frame_boxes() {
        // Two candidates: a confident player and a weak puck.
        let n = 2;
        let mut output = vec![0.0; (4 + 2) * n];
        let set = |o: &mut Vec<f32>, row: usize, i: usize, v: f32| o[row * n + i] = v;
        for (i, (cx, cy, w, h, player, puck)) in [
            (50.0, 40.0, 10.0, 20.0, 0.9, 0.1),
            (200.0, 60.0, 3.0, 3.0, 0.0, 0.2),
        ]
        .into_iter()
        .enumerate()
        {
            for (row, v) in [cx, cy, w, h, player, puck].into_iter().enumerate() {
                set(&mut output, row, i, v);
            }
        }
        let geometry = InputGeometry::letterbox(
            PixelBox {
                x0: 0.0,
                y0: 100.0,
                x1: 640.0,
                y1: 260.0,
            },
            640,
            160,
        );
        let found = decode_output(
            HeadLayout::YoloRaw,
            &output,
            &[1, 6, 2],
            &CLASSES,
            0.25,
            &geometry,
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].class, ObjectClass::Player);
        assert_eq!(
            found[0].bbox,
            PixelBox {
                x0: 45.0,
                y0: 130.0,
                x1: 55.0,
                y1: 150.0
            }
        );
    }

    #[test]
    fn end_to_end_and_rtdetr_outputs_decode() {
        let geometry = identity(640, 640);
        let e2e = [
            10.0, 20.0, 30.0, 60.0, 0.8, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0,
        ];
        let found = decode_output(
            HeadLayout::EndToEnd,
            &e2e,
            &[1, 2, 6],
            &CLASSES,
            0.5,
            &geometry,
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].class, ObjectClass::Puck);
        let detr = [0.5, 0.5, 0.1, 0.2, 0.7, 0.3];
        let found = decode_output(
            HeadLayout::RtDetr,
            &detr,
            &[1, 1, 6],
            &CLASSES,
            0.5,
            &geometry,
        )
        .unwrap();
        assert_eq!(
            found[0].bbox,
            PixelBox {
                x0: 288.0,
                y0: 256.0,
                x1: 352.0,
                y1: 384.0
            }
        );
        assert!(matches!(
            decode_output(
                HeadLayout::RtDetr,
                &detr[..5],
                &[1, 1, 6],
                &CLASSES,
                0.5,
                &geometry
            ),
            Err(HeadError::Length { .. })
        ));
    }

    #[test]
    fn the_rink_region_covers_the_ice_and_skips_the_stands() {
        let camera = PinholeCamera::broadcast_default(1280, 720);
        let homography = camera.ground_homography().unwrap();
        let region = rink_region(&homography, 1280, 720).unwrap();
        // A player's head at the far boards is inside; most of the stands are not.
        let head = camera.project([0.0, 42.0, 6.5]).unwrap();
        assert!(region.y0 < head.y_px as f32);
        assert!(region.height() < 0.5 * 720.0, "{region:?}");
        assert!(region.width() > 0.9 * 1280.0);
    }
}
