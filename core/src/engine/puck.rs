//! The puck's motion on the rink as the engine sees it: recent observations (the appliance's
//! puck estimate only when actually seen) smoothed by a least-squares line over a short window,
//! which gives a position and a velocity robust to the per-frame noise of the rink projection.

use std::collections::VecDeque;

use crate::rink::RinkPoint;

/// One observation of the puck.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PuckSample {
    pub time_ms: u64,
    pub frame: u64,
    pub x_ft: f64,
    pub y_ft: f64,
}

/// The smoothed puck.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PuckFix {
    pub time_ms: u64,
    pub x_ft: f64,
    pub y_ft: f64,
    /// Feet per second.
    pub vx: f64,
    pub vy: f64,
}

impl PuckFix {
    pub fn speed(&self) -> f64 {
        self.vx.hypot(self.vy)
    }

    pub fn point(&self) -> RinkPoint {
        RinkPoint::clamped(self.x_ft, self.y_ft).unwrap_or(RinkPoint::CENTRE)
    }
}

/// Recent observations of the puck.
#[derive(Debug, Clone, Default)]
pub struct PuckMotion {
    samples: VecDeque<PuckSample>,
}

/// Observations kept (about a second at 30 fps).
const KEPT: usize = 32;

impl PuckMotion {
    pub fn observe(&mut self, sample: PuckSample) {
        if self.samples.len() == KEPT {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    pub fn last(&self) -> Option<&PuckSample> {
        self.samples.back()
    }

    /// Since when the puck has stayed within `radius_ft` of `point`: the oldest observation of
    /// the unbroken run of recent ones that are.
    pub fn near_since(&self, point: RinkPoint, radius_ft: f64) -> Option<PuckSample> {
        self.samples
            .iter()
            .rev()
            .take_while(|s| (s.x_ft - point.x_ft()).hypot(s.y_ft - point.y_ft()) <= radius_ft)
            .last()
            .copied()
    }

    /// When the puck most likely arrived within `radius_ft` of `point`: the start of the run of
    /// observations there or, when the puck was unseen just before that run, the middle of the
    /// gap (it arrived while hidden).
    pub fn arrival(&self, point: RinkPoint, radius_ft: f64) -> Option<u64> {
        let first = self.near_since(point, radius_ft)?;
        let before = self
            .samples
            .iter()
            .rev()
            .find(|s| s.time_ms < first.time_ms);
        Some(match before {
            Some(b) if first.time_ms - b.time_ms > 100 => (b.time_ms + first.time_ms) / 2,
            _ => first.time_ms,
        })
    }

    /// Forgets everything (the puck was moved by hand: a faceoff, a goal).
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// A line fitted to the observations of the `window_ms` before `now` (at least
    /// `min_samples` of them), evaluated at the newest one.
    pub fn fix(&self, now_ms: u64, window_ms: u64, min_samples: usize) -> Option<PuckFix> {
        let newest = self.samples.back()?;
        let recent: Vec<&PuckSample> = self
            .samples
            .iter()
            .filter(|s| now_ms.saturating_sub(s.time_ms) <= window_ms)
            .collect();
        if recent.len() < min_samples.max(1) {
            return None;
        }
        let n = recent.len() as f64;
        let t = |s: &PuckSample| (s.time_ms as f64 - newest.time_ms as f64) / 1000.0;
        let mean_t = recent.iter().map(|s| t(s)).sum::<f64>() / n;
        let mean_x = recent.iter().map(|s| s.x_ft).sum::<f64>() / n;
        let mean_y = recent.iter().map(|s| s.y_ft).sum::<f64>() / n;
        let stt: f64 = recent.iter().map(|s| (t(s) - mean_t).powi(2)).sum();
        let (vx, vy) = if stt > 1e-9 {
            (
                recent
                    .iter()
                    .map(|s| (t(s) - mean_t) * (s.x_ft - mean_x))
                    .sum::<f64>()
                    / stt,
                recent
                    .iter()
                    .map(|s| (t(s) - mean_t) * (s.y_ft - mean_y))
                    .sum::<f64>()
                    / stt,
            )
        } else {
            (0.0, 0.0)
        };
        // The line at the newest time (t = 0).
        Some(PuckFix {
            time_ms: newest.time_ms,
            x_ft: mean_x - vx * mean_t,
            y_ft: mean_y - vy * mean_t,
            vx,
            vy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_run_gives_its_position_and_velocity() {
        let mut motion = PuckMotion::default();
        for k in 0..10u64 {
            motion.observe(PuckSample {
                time_ms: k * 100,
                frame: k,
                x_ft: 10.0 + 5.0 * k as f64 / 10.0,
                y_ft: -2.0,
            });
        }
        let fix = motion.fix(900, 450, 3).unwrap();
        assert!(
            (fix.x_ft - 14.5).abs() < 1e-9 && (fix.vx - 5.0).abs() < 1e-9,
            "{fix:?}"
        );
        assert!(fix.vy.abs() < 1e-9 && (fix.speed() - 5.0).abs() < 1e-9);
        assert!(motion.fix(900, 50, 2).is_none());
        assert!(
            motion.fix(2000, 450, 3).is_none(),
            "old observations say nothing now"
        );
        let since = motion
            .near_since(RinkPoint::clamped(14.5, -2.0).unwrap(), 1.1)
            .unwrap();
        assert_eq!(since.time_ms, 700);
        motion.clear();
        assert!(motion.last().is_none());
    }
}
