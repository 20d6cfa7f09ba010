//! Spots that stay put on a fixed camera: ice marks, faceoff dots, stains, a bolt in the boards.
//! A puck in play moves; a puck-like spot found in the same place frame after frame is part of
//! the picture. The image is cut into square cells, each keeping a decaying count of the
//! candidates found in it (and of their scores), so a spot that stops recurring is forgotten
//! again, and a puck lying on a mark can be told from the mark by outscoring it. The memory of
//! the scores may be shorter than that of the count: what a mark scored while a puck lay on
//! it, before the mark was known, is then forgotten sooner than that the mark is there. A spot
//! also keeps how its candidates have lately scored against what they seldom reach: a puck laid
//! on a mark outscores it frame after frame, the mark's own flares only now and then.

use std::collections::HashMap;

/// Per-cell decaying counts of where puck-like candidates were found.
#[derive(Debug, Clone)]
pub struct StaticSpots {
    /// Per-frame decay of a cell's count.
    decay: f32,
    /// Per-frame decay of the memory of a cell's scores.
    score_decay: f32,
    cells: HashMap<(i32, i32), Cell>,
    pruned_at: u64,
}

/// One cell's decayed candidate count, and its candidates' score sums with the count they are
/// summed over (decayed as the scores are), as of frame `last`; and its lead (see
/// [`StaticSpots::keeps_outscoring`]) as of frame `lead_at`.
#[derive(Debug, Clone, Copy)]
struct Cell {
    count: f32,
    weight: f32,
    score_sum: f32,
    score_sq_sum: f32,
    last: u64,
    lead: u32,
    lead_at: u64,
}

/// What a spot is, as of a frame: how often candidates recur there and how they usually score.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Spot {
    pub count: f32,
    /// The mean score of its candidates (decayed like the count); 0 when none.
    pub typical_score: f32,
    /// Their standard deviation.
    pub score_spread: f32,
}

impl Spot {
    /// A score the spot's own candidates seldom reach (two deviations above their mean).
    pub fn usual_top(&self) -> f32 {
        self.typical_score + 2.0 * self.score_spread
    }
}

/// The side of a cell, in pixels: about a puck's peak wandering from frame to frame.
const CELL_PX: f32 = 8.0;

/// Frames without a candidate after which a spot's lead is forgotten (a second).
const LEAD_MEMORY_FRAMES: u64 = 30;

impl Default for StaticSpots {
    /// 8 × 8 px cells, half-life about 70 frames.
    fn default() -> Self {
        Self::with_decay(0.99)
    }
}

impl StaticSpots {
    /// 8 × 8 px cells whose counts and scores decay by `decay` a frame.
    pub fn with_decay(decay: f32) -> Self {
        Self::with_decays(decay, decay)
    }

    /// 8 × 8 px cells whose counts decay by `decay` a frame, and the memory of their scores by
    /// `score_decay`.
    pub fn with_decays(decay: f32, score_decay: f32) -> Self {
        Self {
            decay,
            score_decay,
            cells: HashMap::new(),
            pruned_at: 0,
        }
    }

    fn cell(&self, x: f32, y: f32) -> (i32, i32) {
        ((x / CELL_PX).floor() as i32, (y / CELL_PX).floor() as i32)
    }

    fn decay_to(decay: f32, cell: Cell, frame: u64) -> f32 {
        decay.powi(frame.saturating_sub(cell.last).min(10_000) as i32)
    }

    /// Records a candidate of `score` at (`x`, `y`) in `frame` (frames in order) and returns its
    /// cell's count, this candidate included.
    pub fn observe(&mut self, frame: u64, x: f32, y: f32, score: f32) -> f32 {
        let key = self.cell(x, y);
        let cell = self.cells.get(&key).copied().unwrap_or(Cell {
            count: 0.0,
            weight: 0.0,
            score_sum: 0.0,
            score_sq_sum: 0.0,
            last: frame,
            lead: 0,
            lead_at: frame,
        });
        let k = Self::decay_to(self.decay, cell, frame);
        let ks = Self::decay_to(self.score_decay, cell, frame);
        let count = cell.count * k + 1.0;
        self.cells.insert(
            key,
            Cell {
                count,
                weight: cell.weight * ks + 1.0,
                score_sum: cell.score_sum * ks + score,
                score_sq_sum: cell.score_sq_sum * ks + score * score,
                last: frame,
                ..cell
            },
        );
        // Forget cells that have faded, so the map stays small.
        if frame >= self.pruned_at + 300 {
            self.pruned_at = frame;
            let decay = self.decay;
            self.cells.retain(|_, c| {
                c.count * decay.powi(frame.saturating_sub(c.last).min(10_000) as i32) > 0.5
            });
        }
        count
    }

    /// The spot, as of `frame`, at (`x`, `y`): of the cell holding it and its eight neighbours
    /// (a spot that jitters across a cell border is still one spot), the one seen most.
    pub fn around(&self, frame: u64, x: f32, y: f32) -> Spot {
        self.most_seen(frame, x, y)
            .map_or_else(Spot::default, |(_, cell, count)| {
                let n = cell.weight.max(1e-6);
                let mean = cell.score_sum / n;
                Spot {
                    count,
                    typical_score: mean,
                    score_spread: (cell.score_sq_sum / n - mean * mean).max(0.0).sqrt(),
                }
            })
    }

    /// Notes whether a candidate at (`x`, `y`) in `frame` scored above what its spot's
    /// candidates seldom reach (`outscores`), and returns whether the spot's candidates have
    /// lately kept doing so: its lead rises by one for each candidate that did and falls by two
    /// for each that did not, within 0 to `persistence`, and is at `persistence` (it is
    /// forgotten after a second without candidates). A puck laid on a mark outscores it frame
    /// after frame, a mark's own flares only now and then. A place that is no spot yet has no
    /// lead.
    pub fn keeps_outscoring(
        &mut self,
        frame: u64,
        x: f32,
        y: f32,
        outscores: bool,
        persistence: u32,
    ) -> bool {
        let Some((key, _, _)) = self.most_seen(frame, x, y) else {
            return false;
        };
        let Some(cell) = self.cells.get_mut(&key) else {
            return false;
        };
        let lead = if frame.saturating_sub(cell.lead_at) > LEAD_MEMORY_FRAMES {
            0
        } else {
            cell.lead
        };
        cell.lead = if outscores {
            (lead + 1).min(persistence)
        } else {
            lead.saturating_sub(2)
        };
        cell.lead_at = frame;
        outscores && cell.lead >= persistence
    }

    /// Of the cell holding (`x`, `y`) and its eight neighbours, the one with the highest count
    /// as of `frame`: its key, the cell and that count.
    fn most_seen(&self, frame: u64, x: f32, y: f32) -> Option<((i32, i32), Cell, f32)> {
        let (cx, cy) = self.cell(x, y);
        let mut most: Option<((i32, i32), Cell, f32)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                let key = (cx + dx, cy + dy);
                if let Some(&cell) = self.cells.get(&key) {
                    let count = cell.count * Self::decay_to(self.decay, cell, frame);
                    if most.is_none_or(|(_, _, c)| count > c) {
                        most = Some((key, cell, count));
                    }
                }
            }
        }
        most
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recurring_spot_builds_up_and_fades_when_it_stops() {
        let mut spots = StaticSpots::default();
        let mut count = 0.0;
        for frame in 0..200 {
            count = spots.observe(frame, 100.0, 50.0, 0.4);
        }
        // Steady state of a spot seen every frame: 1 / (1 - 0.99) = 100.
        assert!((80.0..=100.0).contains(&count), "{count}");
        let spot = spots.around(200, 107.0, 50.0);
        assert!(spot.count > 80.0, "a neighbour cell sees it: {spot:?}");
        assert!((spot.typical_score - 0.4).abs() < 1e-3, "{spot:?}");
        assert!(
            spots.around(900, 100.0, 50.0).count < 0.1,
            "forgotten after 700 frames"
        );
        assert_eq!(
            spots.around(200, 300.0, 50.0),
            Spot::default(),
            "a cell far away"
        );
    }

    #[test]
    fn a_moving_candidate_never_builds_up() {
        let mut spots = StaticSpots::default();
        for frame in 0..200u64 {
            let count = spots.observe(frame, 5.0 * frame as f32, 50.0, 0.9);
            assert!(count < 3.0, "frame {frame}: {count}");
        }
    }

    #[test]
    fn a_spot_remembers_how_its_candidates_usually_score() {
        let mut spots = StaticSpots::default();
        for frame in 0..300 {
            spots.observe(frame, 40.0, 40.0, if frame % 2 == 0 { 0.3 } else { 0.5 });
        }
        let spot = spots.around(300, 40.0, 40.0);
        assert!((spot.typical_score - 0.4).abs() < 0.01, "{spot:?}");
        assert!((spot.score_spread - 0.1).abs() < 0.01, "{spot:?}");
        assert!((spot.usual_top() - 0.6).abs() < 0.02, "{spot:?}");
    }

    #[test]
    fn a_spot_forgets_its_scores_sooner_than_that_it_is_there() {
        // A puck lies on a dot for 3 s (0.8), then the dot draws its own 0.2 every other frame.
        let after_27_s = |mut spots: StaticSpots| {
            for frame in 0..900 {
                if frame < 90 || frame % 2 == 0 {
                    spots.observe(frame, 40.0, 40.0, if frame < 90 { 0.8 } else { 0.2 });
                }
            }
            spots.around(900, 40.0, 40.0)
        };
        let spot = after_27_s(StaticSpots::with_decays(0.998, 0.995));
        assert!(spot.count > 200.0, "{spot:?}");
        assert!((spot.typical_score - 0.2).abs() < 0.01, "{spot:?}");
        let remembering = after_27_s(StaticSpots::with_decay(0.998));
        assert!(remembering.typical_score > 0.24, "{remembering:?}");
    }

    #[test]
    fn a_spot_keeps_being_outscored_only_after_a_run_of_candidates_above_it() {
        let mut spots = StaticSpots::default();
        spots.observe(0, 40.0, 40.0, 0.2);
        let mut note =
            |frame: u64, outscores: bool| spots.keeps_outscoring(frame, 42.0, 41.0, outscores, 4);
        let run: Vec<bool> = (1..=5).map(|frame| note(frame, true)).collect();
        assert_eq!(run, [false, false, false, true, true]);
        // One candidate below it costs two above.
        assert!(!note(6, false));
        assert!(!note(7, true));
        assert!(note(8, true));
        // A candidate not above it is never "kept outscoring".
        assert!(!note(9, false));
        assert!(!note(10, true));
        assert!(note(11, true));
        // The lead is forgotten after a second without candidates.
        assert!(!note(42, true));
        // A place that is no spot has no lead.
        assert!(!spots.keeps_outscoring(43, 400.0, 40.0, true, 1));
    }
}
