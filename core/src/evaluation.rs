//! Detector evaluation against labels: per-class precision, recall and average precision at an
//! IoU of 0.5 (all-point interpolated, as in Pascal VOC 2010+ and COCO's AP50), and for the puck
//! — a few pixels wide, where IoU says nothing — precision and recall of centre distance within a
//! pixel radius.

use serde::{Deserialize, Serialize};

use crate::detection::{Detection, ObjectClass, PixelBox};

/// Accumulates matches of detections against labels over many images.
#[derive(Debug, Clone, Default)]
pub struct DetectionEvaluator {
    /// Per class: (score, true positive) of every detection, and the number of labels.
    scored: [Vec<(f32, bool)>; 5],
    labels: [usize; 5],
    /// Per class: true and false positives at the operating threshold.
    at_threshold: [(usize, usize); 5],
}

/// The figures of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    pub class: ObjectClass,
    pub labels: usize,
    /// At the operating score threshold.
    pub precision: f64,
    pub recall: f64,
    /// Average precision at IoU 0.5 over all scores.
    pub ap50: f64,
}

/// The puck scored by centre distance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PuckReport {
    pub labels: usize,
    pub radius_px: f32,
    pub precision: f64,
    pub recall: f64,
}

impl DetectionEvaluator {
    /// Adds one image: its detections (all scores) and its labels. `threshold` gives the score
    /// the pipeline operates at per class; `puck_radius_px` the centre distance that counts as
    /// finding the puck.
    pub fn add_image(
        &mut self,
        detections: &[Detection],
        labels: &[(ObjectClass, PixelBox)],
        threshold: impl Fn(ObjectClass) -> f32,
        puck_radius_px: f32,
    ) {
        for class in ObjectClass::ALL {
            let c = class.id();
            let truths: Vec<PixelBox> = labels
                .iter()
                .filter(|l| l.0 == class)
                .map(|l| l.1)
                .collect();
            self.labels[c] += truths.len();
            let mut mine: Vec<&Detection> =
                detections.iter().filter(|d| d.class == class).collect();
            mine.sort_by(|a, b| b.score.total_cmp(&a.score));
            let matches = if class == ObjectClass::Puck {
                greedy_match(&mine, &truths, |d, t| {
                    let (dx, dy) = d.centre();
                    let (tx, ty) = t.centre();
                    (dx - tx).hypot(dy - ty) <= puck_radius_px
                })
            } else {
                greedy_match(&mine, &truths, |d, t| d.iou(t) >= 0.5)
            };
            for (detection, matched) in mine.iter().zip(&matches) {
                self.scored[c].push((detection.score, *matched));
                if detection.score >= threshold(class) {
                    if *matched {
                        self.at_threshold[c].0 += 1;
                    } else {
                        self.at_threshold[c].1 += 1;
                    }
                }
            }
        }
    }

    pub fn class_reports(&self) -> Vec<ClassReport> {
        ObjectClass::ALL
            .into_iter()
            .map(|class| {
                let c = class.id();
                let (tp, fp) = self.at_threshold[c];
                ClassReport {
                    class,
                    labels: self.labels[c],
                    precision: ratio(tp, tp + fp),
                    recall: ratio(tp, self.labels[c]),
                    ap50: average_precision(&self.scored[c], self.labels[c]),
                }
            })
            .collect()
    }

    /// The puck's figures (its matches are by centre distance, so they are its class figures).
    pub fn puck_report(&self, radius_px: f32) -> PuckReport {
        let c = ObjectClass::Puck.id();
        let (found, false_alarms) = self.at_threshold[c];
        PuckReport {
            labels: self.labels[c],
            radius_px,
            precision: ratio(found, found + false_alarms),
            recall: ratio(found, self.labels[c]),
        }
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Matches detections (best first) to unmatched labels; returns whether each detection matched.
fn greedy_match(
    detections: &[&Detection],
    truths: &[PixelBox],
    fits: impl Fn(&PixelBox, &PixelBox) -> bool,
) -> Vec<bool> {
    let mut taken = vec![false; truths.len()];
    detections
        .iter()
        .map(|d| {
            let best = truths
                .iter()
                .enumerate()
                .filter(|(i, t)| !taken[*i] && fits(&d.bbox, t))
                .max_by(|a, b| d.bbox.iou(a.1).total_cmp(&d.bbox.iou(b.1)))
                .map(|(i, _)| i);
            if let Some(i) = best {
                taken[i] = true;
            }
            best.is_some()
        })
        .collect()
}

/// All-point interpolated average precision of scored matches against `labels` positives.
pub fn average_precision(scored: &[(f32, bool)], labels: usize) -> f64 {
    if labels == 0 {
        return 0.0;
    }
    let mut sorted = scored.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut curve: Vec<(f64, f64)> = Vec::with_capacity(sorted.len());
    for (_, matched) in sorted {
        if matched {
            tp += 1;
        } else {
            fp += 1;
        }
        curve.push((tp as f64 / labels as f64, tp as f64 / (tp + fp) as f64));
    }
    // Precision envelope from the right, then the area under the recall steps.
    let mut ap = 0.0;
    let mut best_precision = 0.0f64;
    let mut previous_recall = curve.last().map_or(0.0, |p| p.0);
    for &(recall, precision) in curve.iter().rev() {
        ap += (previous_recall - recall) * best_precision;
        best_precision = best_precision.max(precision);
        previous_recall = recall;
    }
    ap + previous_recall * best_precision
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f32, size: f32) -> PixelBox {
        PixelBox {
            x0: x,
            y0: 0.0,
            x1: x + size,
            y1: size,
        }
    }

    fn found(class: ObjectClass, score: f32, bbox: PixelBox) -> Detection {
        Detection { class, score, bbox }
    }

    #[test]
    fn average_precision_of_known_curves() {
        assert_eq!(average_precision(&[(0.9, true), (0.8, true)], 2), 1.0);
        assert_eq!(average_precision(&[(0.9, true)], 2), 0.5);
        // A false alarm ranked above the second hit halves precision for the second half of recall.
        let ap = average_precision(&[(0.9, true), (0.8, false), (0.7, true)], 2);
        assert!((ap - (0.5 * 1.0 + 0.5 * 2.0 / 3.0)).abs() < 1e-9, "{ap}");
        assert_eq!(average_precision(&[], 0), 0.0);
    }

    #[test]
    fn boxes_match_by_iou_and_the_puck_by_distance() {
        let mut evaluator = DetectionEvaluator::default();
        let labels = [
            (ObjectClass::Player, square(0.0, 10.0)),
            (ObjectClass::Player, square(50.0, 10.0)),
            (ObjectClass::Puck, square(100.0, 3.0)),
        ];
        let detections = [
            found(ObjectClass::Player, 0.9, square(1.0, 10.0)),
            found(ObjectClass::Player, 0.8, square(1.0, 10.0)),
            found(ObjectClass::Player, 0.2, square(50.0, 10.0)),
            found(ObjectClass::Puck, 0.6, square(102.0, 3.0)),
        ];
        evaluator.add_image(&detections, &labels, |_| 0.5, 3.0);
        let players = evaluator.class_reports()[0];
        assert_eq!(players.labels, 2);
        // At 0.5: one hit, one duplicate (false alarm); the low-scoring hit is below threshold.
        assert_eq!((players.precision, players.recall), (0.5, 0.5));
        assert!((players.ap50 - (0.5 + 0.5 * 2.0 / 3.0)).abs() < 1e-9);
        let puck = evaluator.puck_report(3.0);
        assert_eq!((puck.precision, puck.recall), (1.0, 1.0));
    }
}
