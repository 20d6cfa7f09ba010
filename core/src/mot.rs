//! Multi-object tracking scores with the definitions of the `motmetrics` package (the reference
//! implementation of the MOTChallenge metrics), so that our figures can be set beside anyone's:
//!
//! - CLEAR-MOT: per frame, truth objects keep the hypothesis they were matched to last while the
//!   pair still overlaps enough; the rest are matched optimally (most pairs, then least distance).
//!   A truth object matched to a different hypothesis than last time is an identity switch.
//!   MOTA = 1 − (misses + false positives + switches) / truth objects; MOTP is the mean distance
//!   (1 − IoU) of the matched pairs.
//! - Identity: truth trajectories and hypothesis trajectories are matched one-to-one for the whole
//!   sequence so that the frames they share (overlapping enough) are the most; those frames are
//!   the identity true positives. IDF1 = 2 IDTP / (truth detections + hypothesis detections).
//!
//! The accumulator takes one frame at a time and keeps only counts, so a whole game fits.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::assignment::{max_weight_assignment, min_cost_assignment};
use crate::detection::PixelBox;

/// One labelled or hypothesised object in one frame: its identity and its box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MotObject {
    pub id: u64,
    pub bbox: PixelBox,
}

/// The figures of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MotSummary {
    pub frames: u64,
    /// Truth objects over all frames.
    pub truth_objects: u64,
    /// Hypotheses over all frames.
    pub hypotheses: u64,
    pub matches: u64,
    pub misses: u64,
    pub false_positives: u64,
    pub switches: u64,
    pub mota: f64,
    /// Mean 1 − IoU of matched pairs (lower is better, as in `motmetrics`).
    pub motp: f64,
    pub idtp: u64,
    pub idfp: u64,
    pub idfn: u64,
    pub idf1: f64,
    pub idp: f64,
    pub idr: f64,
    pub precision: f64,
    pub recall: f64,
    pub unique_truth: u64,
    pub unique_hypotheses: u64,
}

/// Accumulates a sequence frame by frame.
#[derive(Debug, Clone)]
pub struct MotAccumulator {
    min_iou: f32,
    /// The hypothesis each truth object was last matched to.
    last_match: HashMap<u64, u64>,
    /// The per-frame counts (identity counts are settled in `summary`).
    counts: MotCounts,
    /// Frames each truth and hypothesis id appears in.
    truth_frames: HashMap<u64, u64>,
    hypothesis_frames: HashMap<u64, u64>,
    /// Frames in which a (truth, hypothesis) pair overlaps enough to count as the same object.
    shared_frames: HashMap<(u64, u64), u64>,
}

const DISTANCE_SCALE: f64 = 1_000_000.0;

impl MotAccumulator {
    /// Pairs overlapping by less than `min_iou` are never the same object (`motmetrics`'
    /// `iou_matrix(max_iou = 1 − min_iou)`; 0.5 is the MOTChallenge convention).
    pub fn new(min_iou: f32) -> Self {
        Self {
            min_iou,
            last_match: HashMap::new(),
            counts: MotCounts::default(),
            truth_frames: HashMap::new(),
            hypothesis_frames: HashMap::new(),
            shared_frames: HashMap::new(),
        }
    }

    /// Adds one frame. Ids must be unique within the frame on each side.
    pub fn add_frame(&mut self, truth: &[MotObject], hypotheses: &[MotObject]) {
        self.counts.frames += 1;
        self.counts.truth_objects += truth.len() as u64;
        self.counts.hypotheses += hypotheses.len() as u64;
        let distance = |t: usize, h: usize| -> Option<f64> {
            let iou = truth[t].bbox.iou(&hypotheses[h].bbox);
            (iou >= self.min_iou).then(|| f64::from(1.0 - iou))
        };
        for t in truth {
            *self.truth_frames.entry(t.id).or_default() += 1;
        }
        for h in hypotheses {
            *self.hypothesis_frames.entry(h.id).or_default() += 1;
        }
        for (ti, t) in truth.iter().enumerate() {
            for (hi, h) in hypotheses.iter().enumerate() {
                if distance(ti, hi).is_some() {
                    *self.shared_frames.entry((t.id, h.id)).or_default() += 1;
                }
            }
        }

        // Correspondences carried over from earlier frames come first.
        let mut truth_taken = vec![false; truth.len()];
        let mut hypothesis_taken = vec![false; hypotheses.len()];
        let mut matched: Vec<(usize, usize, f64)> = Vec::new();
        for (ti, t) in truth.iter().enumerate() {
            let Some(&previous) = self.last_match.get(&t.id) else {
                continue;
            };
            let Some(hi) = hypotheses.iter().position(|h| h.id == previous) else {
                continue;
            };
            if hypothesis_taken[hi] {
                continue;
            }
            if let Some(d) = distance(ti, hi) {
                truth_taken[ti] = true;
                hypothesis_taken[hi] = true;
                matched.push((ti, hi, d));
            }
        }
        // Then an optimal matching of the rest.
        let free_truth: Vec<usize> = (0..truth.len()).filter(|&i| !truth_taken[i]).collect();
        let free_hyp: Vec<usize> = (0..hypotheses.len())
            .filter(|&i| !hypothesis_taken[i])
            .collect();
        let pairs = min_cost_assignment(free_truth.len(), free_hyp.len(), |r, c| {
            distance(free_truth[r], free_hyp[c]).map(|d| (d * DISTANCE_SCALE).round() as i64)
        });
        for (r, c) in pairs {
            let (ti, hi) = (free_truth[r], free_hyp[c]);
            let d = distance(ti, hi).unwrap_or(1.0);
            if let Some(&previous) = self.last_match.get(&truth[ti].id)
                && previous != hypotheses[hi].id
            {
                self.counts.switches += 1;
            }
            matched.push((ti, hi, d));
        }
        for (ti, hi, d) in matched {
            self.last_match.insert(truth[ti].id, hypotheses[hi].id);
            self.counts.matches += 1;
            self.counts.distance_sum += d;
        }
    }

    /// The figures so far.
    pub fn summary(&self) -> MotSummary {
        let truth_ids: Vec<u64> = sorted_keys(&self.truth_frames);
        let hyp_ids: Vec<u64> = sorted_keys(&self.hypothesis_frames);
        let shared = |r: usize, c: usize| -> i64 {
            self.shared_frames
                .get(&(truth_ids[r], hyp_ids[c]))
                .map_or(0, |&n| n as i64)
        };
        let idtp: u64 = max_weight_assignment(truth_ids.len(), hyp_ids.len(), shared)
            .into_iter()
            .map(|(r, c)| shared(r, c) as u64)
            .sum();
        MotSummary::from_counts(MotCounts {
            idtp,
            unique_truth: truth_ids.len() as u64,
            unique_hypotheses: hyp_ids.len() as u64,
            ..self.counts
        })
    }
}

/// The counts every figure derives from; they add up across sequences.
#[derive(Debug, Clone, Copy, Default)]
struct MotCounts {
    frames: u64,
    truth_objects: u64,
    hypotheses: u64,
    matches: u64,
    switches: u64,
    distance_sum: f64,
    idtp: u64,
    unique_truth: u64,
    unique_hypotheses: u64,
}

impl MotSummary {
    fn from_counts(c: MotCounts) -> Self {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let misses = c.truth_objects - c.matches;
        let false_positives = c.hypotheses - c.matches;
        let (n_truth, n_hyp, idtp) = (c.truth_objects as f64, c.hypotheses as f64, c.idtp as f64);
        MotSummary {
            frames: c.frames,
            truth_objects: c.truth_objects,
            hypotheses: c.hypotheses,
            matches: c.matches,
            misses,
            false_positives,
            switches: c.switches,
            mota: if n_truth > 0.0 {
                1.0 - (misses + false_positives + c.switches) as f64 / n_truth
            } else {
                0.0
            },
            motp: ratio(c.distance_sum, c.matches as f64),
            idtp: c.idtp,
            idfp: c.hypotheses - c.idtp,
            idfn: c.truth_objects - c.idtp,
            idf1: ratio(2.0 * idtp, n_truth + n_hyp),
            idp: ratio(idtp, n_hyp),
            idr: ratio(idtp, n_truth),
            precision: ratio(c.matches as f64, n_hyp),
            recall: ratio(c.matches as f64, n_truth),
            unique_truth: c.unique_truth,
            unique_hypotheses: c.unique_hypotheses,
        }
    }

    /// The figures of several independent sequences taken together (identities never carry
    /// from one to another), as `motmetrics` computes its OVERALL row.
    pub fn merge(parts: &[MotSummary]) -> MotSummary {
        let mut c = MotCounts::default();
        for p in parts {
            c.frames += p.frames;
            c.truth_objects += p.truth_objects;
            c.hypotheses += p.hypotheses;
            c.matches += p.matches;
            c.switches += p.switches;
            c.distance_sum += p.motp * p.matches as f64;
            c.idtp += p.idtp;
            c.unique_truth += p.unique_truth;
            c.unique_hypotheses += p.unique_hypotheses;
        }
        MotSummary::from_counts(c)
    }
}

fn sorted_keys(map: &HashMap<u64, u64>) -> Vec<u64> {
    let mut keys: Vec<u64> = map.keys().copied().collect();
    keys.sort_unstable();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(id: u64, x: f32) -> MotObject {
        MotObject {
            id,
            bbox: PixelBox {
                x0: x,
                y0: 0.0,
                x1: x + 10.0,
                y1: 20.0,
            },
        }
    }

    #[test]
    fn a_perfect_tracker_scores_one() {
        let mut acc = MotAccumulator::new(0.5);
        for f in 0..10 {
            let frame = [object(1, f as f32), object(2, 50.0 + f as f32)];
            let hyps = [object(7, f as f32), object(9, 50.0 + f as f32)];
            acc.add_frame(&frame, &hyps);
        }
        let s = acc.summary();
        assert_eq!(
            (s.matches, s.misses, s.false_positives, s.switches),
            (20, 0, 0, 0)
        );
        assert_eq!((s.mota, s.idf1, s.motp), (1.0, 1.0, 0.0));
    }

    #[test]
    fn a_swapped_identity_is_one_switch_and_costs_idf1() {
        let mut acc = MotAccumulator::new(0.5);
        for f in 0..10 {
            // The tracker's id for the object changes from 7 to 8 halfway.
            let id = if f < 5 { 7 } else { 8 };
            acc.add_frame(&[object(1, 0.0)], &[object(id, 1.0)]);
        }
        let s = acc.summary();
        assert_eq!((s.matches, s.switches), (10, 1));
        assert!((s.mota - 0.9).abs() < 1e-12);
        assert_eq!(s.idtp, 5);
        assert!((s.idf1 - 0.5).abs() < 1e-12);
    }

    #[test]
    fn misses_and_false_positives_are_counted_below_the_overlap() {
        let mut acc = MotAccumulator::new(0.5);
        // IoU of boxes 6 px apart: 4 / 16 = 0.25 < 0.5: a miss and a false positive.
        acc.add_frame(&[object(1, 0.0)], &[object(5, 6.0)]);
        acc.add_frame(&[object(1, 0.0)], &[]);
        let s = acc.summary();
        assert_eq!((s.matches, s.misses, s.false_positives), (0, 2, 1));
        assert!((s.mota - -0.5).abs() < 1e-12);
        assert_eq!(s.idf1, 0.0);
    }

    #[test]
    fn merged_sequences_add_their_counts() {
        let mut perfect = MotAccumulator::new(0.5);
        let mut missed = MotAccumulator::new(0.5);
        for _ in 0..3 {
            perfect.add_frame(&[object(1, 0.0)], &[object(1, 0.0)]);
            missed.add_frame(&[object(1, 0.0)], &[]);
        }
        let merged = MotSummary::merge(&[perfect.summary(), missed.summary()]);
        assert_eq!(
            (merged.truth_objects, merged.matches, merged.misses),
            (6, 3, 3)
        );
        assert!((merged.mota - 0.5).abs() < 1e-12 && (merged.idf1 - 2.0 / 3.0).abs() < 1e-12);
    }
}
