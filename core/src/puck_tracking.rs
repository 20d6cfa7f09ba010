//! The puck's own tracker, in image pixels: a constant-velocity Kalman filter fed at most one
//! measurement a frame — the candidate nearest the prediction inside a gate that widens while the
//! puck is unseen — that coasts through short drop-outs, knows when the puck is most likely on a
//! player's stick (the prediction falls at a tracked person's feet), and re-acquires the puck
//! from the best candidate anywhere once it has been lost for good.

use nalgebra::{SMatrix, SVector};
use serde::{Deserialize, Serialize};

use crate::tracking::TrackedObject;

/// Tuning of the puck tracker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PuckTrackerSettings {
    /// Gate radius around the prediction when the puck was seen last frame, in pixels.
    pub gate_px: f32,
    /// How much the gate widens per unseen frame, in pixels.
    pub gate_growth_px: f32,
    /// Frames the tracker predicts through before it declares the puck lost.
    pub max_unseen_frames: u32,
    /// Least score of a candidate that re-acquires a lost puck.
    pub reacquire_score: f32,
}

impl Default for PuckTrackerSettings {
    fn default() -> Self {
        Self {
            gate_px: 12.0,
            gate_growth_px: 6.0,
            max_unseen_frames: 30,
            reacquire_score: 0.4,
        }
    }
}

/// A puck-like measurement in one frame (from the detector or the blob step).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PuckObservation {
    pub x: f32,
    pub y: f32,
    pub score: f32,
}

/// How the tracker knows where the puck is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PuckStatus {
    /// Measured this frame.
    Seen,
    /// Not seen; predicted from its motion.
    Predicted,
    /// Not seen, and at a player's feet: most likely on that player's stick.
    Held { track_id: u64 },
}

/// The puck's estimated image position in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PuckEstimate {
    pub x: f32,
    pub y: f32,
    /// Velocity in pixels per frame.
    pub vx: f32,
    pub vy: f32,
    pub status: PuckStatus,
    pub unseen_frames: u32,
}

type State = SVector<f64, 4>;
type Covariance = SMatrix<f64, 4, 4>;

/// The per-frame puck tracker.
#[derive(Debug, Clone)]
pub struct PuckTracker {
    settings: PuckTrackerSettings,
    filter: Option<(State, Covariance)>,
    unseen: u32,
}

impl PuckTracker {
    pub fn new(settings: PuckTrackerSettings) -> Self {
        Self {
            settings,
            filter: None,
            unseen: 0,
        }
    }

    /// Feeds one frame's puck candidates and the tracked people; returns the puck's estimate, or
    /// `None` while it is lost.
    pub fn update(
        &mut self,
        candidates: &[PuckObservation],
        people: &[TrackedObject],
    ) -> Option<PuckEstimate> {
        let s = self.settings;
        let Some((mut state, mut covariance)) = self.filter else {
            // Lost: re-acquire from the best candidate anywhere.
            let best = candidates
                .iter()
                .filter(|c| c.score >= s.reacquire_score)
                .max_by(|a, b| a.score.total_cmp(&b.score))?;
            let state = State::new(f64::from(best.x), f64::from(best.y), 0.0, 0.0);
            let covariance =
                Covariance::from_diagonal(&SVector::<f64, 4>::new(4.0, 4.0, 400.0, 400.0));
            self.filter = Some((state, covariance));
            self.unseen = 0;
            return Some(self.estimate(state, PuckStatus::Seen));
        };
        // Predict.
        let transition = Covariance::new(
            1.0, 0.0, 1.0, 0.0, //
            0.0, 1.0, 0.0, 1.0, //
            0.0, 0.0, 1.0, 0.0, //
            0.0, 0.0, 0.0, 1.0,
        );
        let process = Covariance::from_diagonal(&SVector::<f64, 4>::new(1.0, 1.0, 9.0, 9.0));
        state = transition * state;
        covariance = transition * covariance * transition.transpose() + process;

        let gate = s.gate_px + s.gate_growth_px * self.unseen as f32;
        let (px, py) = (state[0] as f32, state[1] as f32);
        let nearest = candidates
            .iter()
            .map(|c| (c, (c.x - px).hypot(c.y - py)))
            .filter(|(_, d)| *d <= gate)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((seen, _)) = nearest {
            let observe = SMatrix::<f64, 2, 4>::new(1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            let noise = SMatrix::<f64, 2, 2>::from_diagonal_element(2.0);
            let innovation =
                SVector::<f64, 2>::new(f64::from(seen.x), f64::from(seen.y)) - observe * state;
            let system = observe * covariance * observe.transpose() + noise;
            if let Some(inverse) = system.try_inverse() {
                let gain = covariance * observe.transpose() * inverse;
                state += gain * innovation;
                covariance = (Covariance::identity() - gain * observe) * covariance;
            }
            self.unseen = 0;
            self.filter = Some((state, covariance));
            return Some(self.estimate(state, PuckStatus::Seen));
        }

        self.unseen += 1;
        if self.unseen > s.max_unseen_frames {
            self.filter = None;
            return None;
        }
        // At someone's feet? Then it travels with them.
        let holder = people
            .iter()
            .filter(|p| {
                let b = p.bbox;
                let margin = b.width() * 0.6;
                px >= b.x0 - margin
                    && px <= b.x1 + margin
                    && py >= b.y0 + b.height() * 0.6
                    && py <= b.y1 + margin
            })
            .min_by(|a, b| {
                let da = (a.bbox.bottom_centre().0 - px).hypot(a.bbox.bottom_centre().1 - py);
                let db = (b.bbox.bottom_centre().0 - px).hypot(b.bbox.bottom_centre().1 - py);
                da.total_cmp(&db)
            });
        let status = match holder {
            Some(person) => {
                let (fx, fy) = person.bbox.bottom_centre();
                // Follow the holder: position at the feet, motion damped.
                state[0] = f64::from(fx);
                state[1] = f64::from(fy);
                state[2] *= 0.5;
                state[3] *= 0.5;
                PuckStatus::Held {
                    track_id: person.track_id,
                }
            }
            None => PuckStatus::Predicted,
        };
        self.filter = Some((state, covariance));
        Some(self.estimate(state, status))
    }

    fn estimate(&self, state: State, status: PuckStatus) -> PuckEstimate {
        PuckEstimate {
            x: state[0] as f32,
            y: state[1] as f32,
            vx: state[2] as f32,
            vy: state[3] as f32,
            status,
            unseen_frames: self.unseen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::{ObjectClass, PixelBox};

    fn seen(x: f32, y: f32) -> PuckObservation {
        PuckObservation { x, y, score: 0.9 }
    }

    #[test]
    fn follows_a_sliding_puck_through_drop_outs() {
        let mut tracker = PuckTracker::new(PuckTrackerSettings::default());
        for frame in 0..60 {
            let (x, y) = (100.0 + frame as f32 * 5.0, 200.0 + frame as f32 * 1.0);
            // Every fourth frame and frames 30..36 the puck is not seen.
            let candidates = if frame % 4 == 3 || (30..36).contains(&frame) {
                vec![]
            } else {
                vec![seen(x, y)]
            };
            let estimate = tracker.update(&candidates, &[]).unwrap();
            if frame > 5 {
                assert!(
                    (estimate.x - x).hypot(estimate.y - y) < 4.0,
                    "frame {frame}: {estimate:?}"
                );
            }
        }
    }

    #[test]
    fn ignores_a_far_false_candidate_and_reacquires_after_a_long_loss() {
        let mut tracker = PuckTracker::new(PuckTrackerSettings::default());
        for frame in 0..10 {
            tracker.update(&[seen(100.0 + frame as f32, 100.0)], &[]);
        }
        let estimate = tracker.update(&[seen(600.0, 400.0)], &[]).unwrap();
        assert_eq!(estimate.status, PuckStatus::Predicted);
        for _ in 0..40 {
            tracker.update(&[], &[]);
        }
        assert!(tracker.update(&[], &[]).is_none());
        let back = tracker.update(&[seen(600.0, 400.0)], &[]).unwrap();
        assert_eq!(
            (back.x, back.y, back.status),
            (600.0, 400.0, PuckStatus::Seen)
        );
    }

    #[test]
    fn an_unseen_puck_at_a_players_feet_is_held_by_them() {
        let mut tracker = PuckTracker::new(PuckTrackerSettings::default());
        for frame in 0..5 {
            tracker.update(&[seen(100.0, 100.0 + frame as f32 * 0.1)], &[]);
        }
        let skater = TrackedObject {
            track_id: 7,
            class: ObjectClass::Player,
            bbox: PixelBox {
                x0: 95.0,
                y0: 76.0,
                x1: 105.0,
                y1: 101.0,
            },
            score: 0.9,
        };
        let estimate = tracker.update(&[], &[skater]).unwrap();
        assert_eq!(estimate.status, PuckStatus::Held { track_id: 7 });
        assert_eq!((estimate.x, estimate.y), (100.0, 101.0));
    }
}
