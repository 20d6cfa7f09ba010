//! Spots that stay put on a fixed camera: ice marks, faceoff dots, stains, a bolt in the boards.
//! A puck in play moves; a puck-like spot found in the same place frame after frame is part of
//! the picture. The image is cut into square cells, each keeping a decaying count of the
//! candidates found in it, so a spot that stops recurring is forgotten again.

use std::collections::HashMap;

/// Per-cell decaying counts of where puck-like candidates were found.
#[derive(Debug, Clone)]
pub struct StaticSpots {
    cell_px: f32,
    /// Per-frame decay of a cell's count.
    decay: f32,
    cells: HashMap<(i32, i32), (f32, u64)>,
    pruned_at: u64,
}

impl Default for StaticSpots {
    /// 8 × 8 px cells, half-life about 70 frames.
    fn default() -> Self {
        Self::new(8.0, 0.99)
    }
}

impl StaticSpots {
    pub fn new(cell_px: f32, decay: f32) -> Self {
        Self {
            cell_px,
            decay,
            cells: HashMap::new(),
            pruned_at: 0,
        }
    }

    fn cell(&self, x: f32, y: f32) -> (i32, i32) {
        (
            (x / self.cell_px).floor() as i32,
            (y / self.cell_px).floor() as i32,
        )
    }

    fn decayed(&self, (count, last): (f32, u64), frame: u64) -> f32 {
        count
            * self
                .decay
                .powi(frame.saturating_sub(last).min(10_000) as i32)
    }

    /// Records a candidate at (`x`, `y`) in `frame` (frames in order) and returns its cell's
    /// count, this candidate included.
    pub fn observe(&mut self, frame: u64, x: f32, y: f32) -> f32 {
        let cell = self.cell(x, y);
        let entry = self.cells.get(&cell).copied().unwrap_or((0.0, frame));
        let count = self.decayed(entry, frame) + 1.0;
        self.cells.insert(cell, (count, frame));
        // Forget cells that have faded, so the map stays small.
        if frame >= self.pruned_at + 300 {
            self.pruned_at = frame;
            let decay = self.decay;
            self.cells.retain(|_, (count, last)| {
                *count * decay.powi(frame.saturating_sub(*last).min(10_000) as i32) > 0.5
            });
        }
        count
    }

    /// The highest count, as of `frame`, of the cell holding (`x`, `y`) and its eight neighbours
    /// (a spot that jitters across a cell border is still one spot).
    pub fn around(&self, frame: u64, x: f32, y: f32) -> f32 {
        let (cx, cy) = self.cell(x, y);
        let mut most = 0.0f32;
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(&entry) = self.cells.get(&(cx + dx, cy + dy)) {
                    most = most.max(self.decayed(entry, frame));
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
            count = spots.observe(frame, 100.0, 50.0);
        }
        // Steady state of a spot seen every frame: 1 / (1 - 0.99) = 100.
        assert!((80.0..=100.0).contains(&count), "{count}");
        assert!(
            spots.around(200, 107.0, 50.0) > 80.0,
            "a neighbour cell sees it"
        );
        assert!(
            spots.around(900, 100.0, 50.0) < 0.1,
            "forgotten after 700 frames"
        );
        assert_eq!(spots.around(200, 300.0, 50.0), 0.0, "a cell far away");
    }

    #[test]
    fn a_moving_candidate_never_builds_up() {
        let mut spots = StaticSpots::default();
        for frame in 0..200u64 {
            let count = spots.observe(frame, 5.0 * frame as f32, 50.0);
            assert!(count < 3.0, "frame {frame}: {count}");
        }
    }
}
