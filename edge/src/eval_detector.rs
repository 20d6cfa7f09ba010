//! `benchsight-edge eval-detector`: runs a model through the deployed inference path (ONNX
//! Runtime, rink region, letterbox, decoding, NMS) over a labelled dataset in the YOLO layout and
//! reports per-class precision, recall and AP50, the puck by centre distance, and the time per
//! frame. These are the figures that count for a model, not the training framework's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use benchsight_core::detection::{ObjectClass, PixelBox, best_of_class};
use benchsight_core::detector::rink_region;
use benchsight_core::evaluation::{ClassReport, DetectionEvaluator, PuckReport};
use benchsight_core::homography::Homography;
use benchsight_core::puck_finder::{PuckFinderSettings, with_blob_puck};
use serde::{Deserialize, Serialize};

use crate::inference::{Detector, InferenceError, RgbFrame};

/// The score below which detections are not even ranked for AP.
const RANKING_FLOOR: f32 = 0.05;

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0} has no images (expected DATASET/images/SPLIT/*.jpg)")]
    NoImages(PathBuf),
    #[error(
        "the model's puck network reads the previous frame, but {0} is missing (write the dataset with `benchsight-sim dataset --previous-gap N`)"
    )]
    NoPreviousFrame(PathBuf),
    #[error("cannot read {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error("label file {path} line {line}: {detail}")]
    Label {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error(transparent)]
    Inference(#[from] InferenceError),
}

/// What the evaluation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub images: usize,
    pub classes: Vec<ClassReport>,
    pub puck: PuckReport,
    pub mean_preprocess_ms: f64,
    pub mean_inference_ms: f64,
    pub mean_postprocess_ms: f64,
    pub score_threshold: f32,
    /// The puck's own operating score when the model has a dedicated puck network.
    pub puck_score_threshold: f32,
}

#[derive(Debug, Deserialize)]
struct SeedCamera {
    calibration: CalibrationFile,
}

#[derive(Debug, Deserialize)]
struct CalibrationFile {
    homography: Homography,
}

/// Parses a YOLO label file into classes and pixel boxes.
pub fn read_labels(
    path: &Path,
    width: u32,
    height: u32,
) -> Result<Vec<(ObjectClass, PixelBox)>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Read {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    let (w, h) = (width as f32, height as f32);
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let bad = |detail: String| EvalError::Label {
                path: path.to_owned(),
                line: n + 1,
                detail,
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [class, cx, cy, bw, bh] = fields[..] else {
                return Err(bad(format!("expected 5 fields, got {}", fields.len())));
            };
            let class = class
                .parse::<usize>()
                .ok()
                .and_then(ObjectClass::from_id)
                .ok_or_else(|| bad(format!("unknown class id {class}")))?;
            let number = |s: &str| {
                s.parse::<f32>()
                    .map_err(|_| bad(format!("{s:?} is not a number")))
            };
            let (cx, cy, bw, bh) = (
                number(cx)? * w,
                number(cy)? * h,
                number(bw)? * w,
                number(bh)? * h,
            );
            Ok((
                class,
                PixelBox {
                    x0: cx - bw / 2.0,
                    y0: cy - bh / 2.0,
                    x1: cx + bw / 2.0,
                    y1: cy + bh / 2.0,
                },
            ))
        })
        .collect()
}

/// Evaluates `detector` on `dataset`'s `split`, calling `progress(done, total)` along the way.
/// With `puck_finder`, frames where the network reports no puck get the blob step's puck.
pub fn evaluate(
    detector: &mut Detector,
    dataset: &Path,
    split: &str,
    puck_radius_px: f32,
    puck_finder: Option<&PuckFinderSettings>,
    mut progress: impl FnMut(usize, usize),
) -> Result<EvalReport, EvalError> {
    let image_dir = dataset.join("images").join(split);
    let mut images: Vec<PathBuf> = std::fs::read_dir(&image_dir)
        .map_err(|e| EvalError::Read {
            path: image_dir.clone(),
            detail: e.to_string(),
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jpg" || e == "png"))
        .collect();
    images.sort();
    if images.is_empty() {
        return Err(EvalError::NoImages(image_dir));
    }
    let cameras: BTreeMap<String, SeedCamera> =
        match std::fs::read_to_string(dataset.join("cameras.json")) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| EvalError::Read {
                path: dataset.join("cameras.json"),
                detail: e.to_string(),
            })?,
            Err(_) => BTreeMap::new(),
        };
    let package = detector.package().clone();
    let threshold = |class| package.threshold(class);
    let mut evaluator = DetectionEvaluator::default();
    let mut timing = [Duration::ZERO; 3];
    for (done, path) in images.iter().enumerate() {
        let picture = read_rgb(path)?;
        let (width, height) = picture.dimensions();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label_path = dataset
            .join("labels")
            .join(split)
            .join(format!("{stem}.txt"));
        let labels = read_labels(&label_path, width, height)?;
        let seed_key = stem.split('_').next().unwrap_or_default();
        let region = cameras
            .get(seed_key)
            .and_then(|camera| rink_region(&camera.calibration.homography, width, height));
        let geometry = detector.geometry(width, height, region);
        if detector.wants_previous_frame() {
            let previous_path = dataset
                .join("previous")
                .join(split)
                .join(path.file_name().unwrap_or_default());
            if !previous_path.is_file() {
                return Err(EvalError::NoPreviousFrame(previous_path));
            }
            let previous = read_rgb(&previous_path)?;
            let frame = RgbFrame {
                width: previous.width(),
                height: previous.height(),
                pixels: previous.as_raw(),
            };
            detector.set_previous_frame(frame, &geometry)?;
        }
        let frame = RgbFrame {
            width,
            height,
            pixels: picture.as_raw(),
        };
        let (mut detections, spent) = detector.detect_ranked(frame, &geometry, RANKING_FLOOR)?;
        if let Some(settings) = puck_finder {
            // The blob step sees only what the pipeline would act on: detections above threshold.
            let confident: Vec<_> = detections
                .iter()
                .filter(|d| d.score >= threshold(d.class))
                .copied()
                .collect();
            let region = region.unwrap_or(geometry.region);
            let confident_count = confident.len();
            let completed =
                with_blob_puck(confident, picture.as_raw(), width, height, region, settings);
            detections.extend(completed.into_iter().skip(confident_count));
        }
        // One puck is in play: the frame's answer is the best-scoring one.
        if let Some(best) = best_of_class(&detections, ObjectClass::Puck) {
            detections.retain(|d| d.class != ObjectClass::Puck);
            detections.push(best);
        }
        timing[0] += spent.preprocess;
        timing[1] += spent.inference;
        timing[2] += spent.postprocess;
        evaluator.add_image(&detections, &labels, threshold, puck_radius_px);
        progress(done + 1, images.len());
    }
    let mean_ms = |d: Duration| d.as_secs_f64() * 1000.0 / images.len() as f64;
    Ok(EvalReport {
        images: images.len(),
        classes: evaluator.class_reports(),
        puck: evaluator.puck_report(puck_radius_px),
        mean_preprocess_ms: mean_ms(timing[0]),
        mean_inference_ms: mean_ms(timing[1]),
        mean_postprocess_ms: mean_ms(timing[2]),
        score_threshold: package.spec.thresholds.score,
        puck_score_threshold: threshold(ObjectClass::Puck),
    })
}

fn read_rgb(path: &Path) -> Result<image::RgbImage, EvalError> {
    Ok(image::open(path)
        .map_err(|e| EvalError::Read {
            path: path.to_owned(),
            detail: e.to_string(),
        })?
        .to_rgb8())
}

impl EvalReport {
    /// The report as an aligned table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<8} {:>7} {:>9} {:>7} {:>7}\n",
            "class", "labels", "precision", "recall", "AP50"
        );
        for class in &self.classes {
            out += &format!(
                "{:<8} {:>7} {:>9.3} {:>7.3} {:>7.3}\n",
                class.class.as_str(),
                class.labels,
                class.precision,
                class.recall,
                class.ap50
            );
        }
        out += &format!(
            "puck by centre distance ≤ {} px at score ≥ {}: precision {:.3}, recall {:.3} ({} visible pucks)\n",
            self.puck.radius_px,
            self.puck_score_threshold,
            self.puck.precision,
            self.puck.recall,
            self.puck.labels
        );
        out += &format!(
            "{} images at score ≥ {}; per frame: preprocess {:.1} ms, inference {:.1} ms, postprocess {:.1} ms",
            self.images,
            self.score_threshold,
            self.mean_preprocess_ms,
            self.mean_inference_ms,
            self.mean_postprocess_ms
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yolo_labels_become_pixel_boxes_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "0 0.5 0.5 0.1 0.2\n\n3 0.25 0.75 0.01 0.02\n").unwrap();
        let labels = read_labels(&path, 200, 100).unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].0, ObjectClass::Player);
        assert_eq!(
            labels[0].1,
            PixelBox {
                x0: 90.0,
                y0: 40.0,
                x1: 110.0,
                y1: 60.0
            }
        );
        assert_eq!(labels[1].0, ObjectClass::Puck);
        std::fs::write(&path, "0 0.5 0.5 0.1\n").unwrap();
        let error = read_labels(&path, 200, 100).unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
        std::fs::write(&path, "9 0.5 0.5 0.1 0.1\n").unwrap();
        assert!(read_labels(&path, 200, 100).is_err());
    }
}
