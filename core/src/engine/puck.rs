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

    /// Going on as it moves: in how many seconds it meets the line `x = line_x_ft` (negative when
    /// it moves away from it) and where across (feet from the middle).
    pub fn towards_line(&self, line_x_ft: f64) -> (f64, f64) {
        let in_s = (line_x_ft - self.x_ft) / self.vx;
        (in_s, self.y_ft + self.vy * in_s)
    }
}

/// Recent observations of the puck.
#[derive(Debug, Clone, Default)]
pub struct PuckMotion {
    samples: VecDeque<PuckSample>,
}

/// Observations kept (about three seconds at 30 fps: a goal is called a second after the puck
/// arrived in the net, and its time and way in are read back from them).
const KEPT: usize = 96;

/// Observations that say where the puck was as a flight began (a tenth of a second and more at
/// 30 fps, averaging the noise; a longer stretch would reach back along a carrier's path and put
/// a puck skated out of the crease and shot back in as if it had never left).
const BEFORE_FLIGHT_SAMPLES: usize = 4;

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

    /// The observations made from `from_ms` to `to_ms`, oldest first.
    pub fn between(&self, from_ms: u64, to_ms: u64) -> impl Iterator<Item = &PuckSample> {
        self.samples
            .iter()
            .filter(move |s| (from_ms..=to_ms).contains(&s.time_ms))
    }

    /// The latest gap in the observations longer than `min_gap_ms` that ended no earlier than
    /// `after_ms`: the observations on either side of it.
    pub fn last_gap(&self, min_gap_ms: u64, after_ms: u64) -> Option<(PuckSample, PuckSample)> {
        // Consecutive pairs, newest first, without collecting them (called every frame).
        let newer = self.samples.iter().rev();
        let older = self.samples.iter().rev().skip(1);
        newer
            .zip(older)
            .take_while(|(n, _)| n.time_ms >= after_ms)
            .find(|(n, o)| n.time_ms - o.time_ms > min_gap_ms)
            .map(|(n, o)| (*o, *n))
    }

    /// Since when the puck has stayed within `radius_ft` of `point`: the oldest observation of
    /// the run of recent ones that are, broken by no more than `max_strays` in a row that are not
    /// (another candidate taken for the puck for a frame or two).
    pub fn near_since(
        &self,
        point: RinkPoint,
        radius_ft: f64,
        max_strays: usize,
    ) -> Option<PuckSample> {
        let mut strays = 0;
        let mut oldest = None;
        for s in self.samples.iter().rev() {
            if (s.x_ft - point.x_ft()).hypot(s.y_ft - point.y_ft()) <= radius_ft {
                strays = 0;
                oldest = Some(*s);
            } else {
                strays += 1;
                if strays > max_strays {
                    break;
                }
            }
        }
        oldest
    }

    /// When the puck, seen in two observations in a row that both satisfy `outside` (clearly
    /// somewhere it was not yet where it came to rest) and then unseen for more than
    /// `min_gap_ms`, got there: the middle of the last such gap since `since_ms`.
    pub fn arrived_unseen_after(
        &self,
        since_ms: u64,
        min_gap_ms: u64,
        outside: impl Fn(&PuckSample) -> bool,
    ) -> Option<u64> {
        let recent: Vec<&PuckSample> = self
            .samples
            .iter()
            .filter(|s| s.time_ms >= since_ms)
            .collect();
        recent
            .windows(3)
            .rev()
            .find(|w| outside(w[0]) && outside(w[1]) && w[2].time_ms - w[1].time_ms > min_gap_ms)
            .map(|w| (w[1].time_ms + w[2].time_ms) / 2)
    }

    /// When the puck was last seen twice in a row where `outside` holds (clearly somewhere it
    /// was not yet), since `since_ms` and before it was first seen where `inside` holds (where it
    /// came to rest; sightings of something else out there later do not count): the later
    /// sighting's time.
    pub fn last_seen_twice_before(
        &self,
        since_ms: u64,
        outside: impl Fn(&PuckSample) -> bool,
        inside: impl Fn(&PuckSample) -> bool,
    ) -> Option<u64> {
        let mut last = None;
        let mut previous_outside = false;
        for sample in self.samples.iter().filter(|s| s.time_ms >= since_ms) {
            if inside(sample) {
                break;
            }
            let outside = outside(sample);
            if outside && previous_outside {
                last = Some(sample.time_ms);
            }
            previous_outside = outside;
        }
        last
    }

    /// When the puck most likely arrived within `radius_ft` of `point`: the start of the run of
    /// observations there (see [`Self::near_since`]) or, when the puck was unseen just before
    /// that run, the middle of the gap (it arrived while hidden).
    pub fn arrival(&self, point: RinkPoint, radius_ft: f64, max_strays: usize) -> Option<u64> {
        let first = self.near_since(point, radius_ft, max_strays)?;
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

    /// Where the puck rests, judged robustly: the observation of the `window_ms` up to `now_ms`
    /// with the most others within `radius_ft` of it, when they number `min_inliers` or more —
    /// their mean, at rest. Unlike [`Self::fix`]'s line, a few stray observations (another
    /// candidate taken for the puck a moment) do not move it.
    pub fn rest(
        &self,
        now_ms: u64,
        window_ms: u64,
        radius_ft: f64,
        min_inliers: usize,
    ) -> Option<PuckFix> {
        let recent: Vec<&PuckSample> = self
            .between(now_ms.saturating_sub(window_ms), now_ms)
            .collect();
        let near =
            |a: &PuckSample, b: &PuckSample| (a.x_ft - b.x_ft).hypot(a.y_ft - b.y_ft) <= radius_ft;
        let centre = recent
            .iter()
            .max_by_key(|c| recent.iter().filter(|s| near(c, s)).count())?;
        let inliers: Vec<&&PuckSample> = recent.iter().filter(|s| near(centre, s)).collect();
        if inliers.len() < min_inliers {
            return None;
        }
        let n = inliers.len() as f64;
        Some(PuckFix {
            time_ms: recent.last()?.time_ms,
            x_ft: inliers.iter().map(|s| s.x_ft).sum::<f64>() / n,
            y_ft: inliers.iter().map(|s| s.y_ft).sum::<f64>() / n,
            vx: 0.0,
            vy: 0.0,
        })
    }

    /// The flight that ends at the newest observation, if the puck is flying: the observations
    /// of the last `window_ms` split where straight lines fit them best — the way the puck came
    /// (`approach`: one line, or two for a carrier who turned), then the shot — and the last part
    /// taken when it is at least `min_speed_ft_s` fast and `min_length_ft` long. Per-frame noise
    /// hides the moment of a short flight's release; the split finds it from the whole of the
    /// parts.
    pub fn flight(
        &self,
        window_ms: u64,
        min_speed_ft_s: f64,
        min_length_ft: f64,
        approach: Approach,
    ) -> Option<Flight> {
        let newest = self.samples.back()?;
        let recent: Vec<&PuckSample> = self
            .samples
            .iter()
            .filter(|s| newest.time_ms - s.time_ms <= window_ms)
            .collect();
        let n = recent.len();
        let sums = RunSums::new(&recent);
        let approach_error = |j: usize| match approach {
            Approach::Straight => sums.line_error(0, j),
            // Turned anywhere up to the release (at the start: straight after all).
            Approach::Turned => (0..=j)
                .map(|i| sums.line_error(0, i) + sums.line_error(i, j))
                .fold(f64::INFINITY, f64::min),
        };
        // At least three observations in flight (two always fit a line exactly).
        let (j, _) = (0..n.saturating_sub(2))
            .map(|j| (j, approach_error(j) + sums.line_error(j, n - 1)))
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        let (after, _) = line_fit(&recent[j..])?;
        let start = recent[j];
        let duration_s = (newest.time_ms - start.time_ms) as f64 / 1000.0;
        let speed = after.speed();
        let before_mean = (j > 0).then(|| {
            let last = &recent[j.saturating_sub(BEFORE_FLIGHT_SAMPLES)..j];
            let n = last.len() as f64;
            (
                last.iter().map(|s| s.x_ft).sum::<f64>() / n,
                last.iter().map(|s| s.y_ft).sum::<f64>() / n,
            )
        });
        (speed >= min_speed_ft_s && speed * duration_s >= min_length_ft).then_some(Flight {
            start: *start,
            origin_x_ft: after.x_ft - after.vx * duration_s,
            origin_y_ft: after.y_ft - after.vy * duration_s,
            line: after,
            before_mean,
        })
    }

    /// Where the puck's way in crossed the line `x = line_x_ft`: a line fitted to its
    /// observations of the `window_ms` up to `until_ms` (at least four, moving across the line
    /// at `min_speed_ft_s` or more), solved there. `None` when they do not tell.
    pub fn crossing_y(
        &self,
        line_x_ft: f64,
        until_ms: u64,
        window_ms: u64,
        min_speed_ft_s: f64,
    ) -> Option<f64> {
        let approach = self.window(until_ms, window_ms);
        if approach.len() < 4 {
            return None;
        }
        let (line, _) = line_fit(&approach)?;
        if line.vx.abs() < min_speed_ft_s {
            return None;
        }
        Some(line.y_ft + line.vy * (line_x_ft - line.x_ft) / line.vx)
    }

    /// Forgets everything (the puck was moved by hand: a faceoff, a goal).
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// Whether the puck moved steadily over the `window_ms` before `now`: observations (at
    /// least `min_samples`) that a line fits within `max_rms_ft`, travelled at `min_speed_ft_s`
    /// or more — a puck in play, not a false sighting here and there.
    pub fn moving_steadily(
        &self,
        now_ms: u64,
        window_ms: u64,
        min_samples: usize,
        min_speed_ft_s: f64,
        max_rms_ft: f64,
    ) -> bool {
        let recent = self.window(now_ms, window_ms);
        recent.len() >= min_samples.max(2)
            && line_fit(&recent).is_some_and(|(fix, error)| {
                fix.speed() >= min_speed_ft_s && (error / recent.len() as f64).sqrt() <= max_rms_ft
            })
    }

    /// A line fitted to the observations of the `window_ms` before `now` (at least
    /// `min_samples` of them), evaluated at the newest one.
    pub fn fix(&self, now_ms: u64, window_ms: u64, min_samples: usize) -> Option<PuckFix> {
        let recent = self.window(now_ms, window_ms);
        if recent.len() < min_samples.max(1) {
            return None;
        }
        line_fit(&recent).map(|(fix, _)| fix)
    }

    /// The observations of the `window_ms` up to `until_ms`, oldest first.
    fn window(&self, until_ms: u64, window_ms: u64) -> Vec<&PuckSample> {
        self.samples
            .iter()
            .filter(|s| s.time_ms <= until_ms && until_ms - s.time_ms <= window_ms)
            .collect()
    }
}

/// How the puck came to where a flight began, as `PuckMotion::flight` fits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approach {
    /// Along one line: carried straight, or at rest.
    Straight,
    /// Along two: a carrier who turned (cut back, or took a pass) before the release.
    Turned,
}

/// A fast flight of the puck ending now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flight {
    /// The observation it started from.
    pub start: PuckSample,
    /// Where the fitted line puts its start.
    pub origin_x_ft: f64,
    pub origin_y_ft: f64,
    /// The line fitted to it, at its newest observation.
    pub line: PuckFix,
    /// Where the puck was just before it (x, y): the mean of its last few observations, if it
    /// was seen then.
    pub before_mean: Option<(f64, f64)>,
}

/// Running sums over a window of observations (oldest first) that give the least-squares error
/// of a line through any run of them in constant time: the flight search tries every split.
struct RunSums {
    /// Element k: the sums over the first k observations of 1, t, x, y, t², tx, ty, x² + y²
    /// (t in seconds from the first).
    prefix: Vec<[f64; 8]>,
}

impl RunSums {
    fn new(samples: &[&PuckSample]) -> Self {
        let t0 = samples.first().map_or(0, |s| s.time_ms);
        let mut prefix = Vec::with_capacity(samples.len() + 1);
        let mut acc = [0.0; 8];
        prefix.push(acc);
        for s in samples {
            let t = (s.time_ms - t0) as f64 / 1000.0;
            let terms = [
                1.0,
                t,
                s.x_ft,
                s.y_ft,
                t * t,
                t * s.x_ft,
                t * s.y_ft,
                s.x_ft * s.x_ft + s.y_ft * s.y_ft,
            ];
            for (a, v) in acc.iter_mut().zip(terms) {
                *a += v;
            }
            prefix.push(acc);
        }
        Self { prefix }
    }

    /// The sum of squared distances of observations `first..=last` from their least-squares
    /// line (as `line_fit`'s).
    fn line_error(&self, first: usize, last: usize) -> f64 {
        let (hi, lo) = (&self.prefix[last + 1], &self.prefix[first]);
        let [n, st, sx, sy, stt, stx, sty, sxx] = std::array::from_fn(|k| hi[k] - lo[k]);
        let spread_t = stt - st * st / n;
        let about_mean = sxx - (sx * sx + sy * sy) / n;
        let along_line = if spread_t > 1e-9 {
            let (cx, cy) = (stx - st * sx / n, sty - st * sy / n);
            (cx * cx + cy * cy) / spread_t
        } else {
            0.0
        };
        (about_mean - along_line).max(0.0)
    }
}

/// The least-squares line through `samples` (oldest first), evaluated at the newest, and its sum
/// of squared distances.
fn line_fit(samples: &[&PuckSample]) -> Option<(PuckFix, f64)> {
    let newest = samples.last()?;
    let n = samples.len() as f64;
    let t = |s: &PuckSample| (s.time_ms as f64 - newest.time_ms as f64) / 1000.0;
    let mean_t = samples.iter().map(|s| t(s)).sum::<f64>() / n;
    let mean_x = samples.iter().map(|s| s.x_ft).sum::<f64>() / n;
    let mean_y = samples.iter().map(|s| s.y_ft).sum::<f64>() / n;
    let stt: f64 = samples.iter().map(|s| (t(s) - mean_t).powi(2)).sum();
    let (vx, vy) = if stt > 1e-9 {
        (
            samples
                .iter()
                .map(|s| (t(s) - mean_t) * (s.x_ft - mean_x))
                .sum::<f64>()
                / stt,
            samples
                .iter()
                .map(|s| (t(s) - mean_t) * (s.y_ft - mean_y))
                .sum::<f64>()
                / stt,
        )
    } else {
        (0.0, 0.0)
    };
    // The line at the newest time (t = 0).
    let (x0, y0) = (mean_x - vx * mean_t, mean_y - vy * mean_t);
    let error = samples
        .iter()
        .map(|s| (s.x_ft - x0 - vx * t(s)).powi(2) + (s.y_ft - y0 - vy * t(s)).powi(2))
        .sum();
    Some((
        PuckFix {
            time_ms: newest.time_ms,
            x_ft: x0,
            y_ft: y0,
            vx,
            vy,
        },
        error,
    ))
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
            .near_since(RinkPoint::clamped(14.5, -2.0).unwrap(), 1.1, 0)
            .unwrap();
        assert_eq!(since.time_ms, 700);
        motion.clear();
        assert!(motion.last().is_none());
    }

    /// Small deterministic wobble standing in for the projection noise.
    fn wobble(k: u64) -> f64 {
        [0.6, -0.4, 0.1, -0.7, 0.5, 0.2, -0.3][k as usize % 7]
    }

    /// The puck seen at frame `k` (30 fps) at (`x`, `y`), give or take the wobble.
    fn observe_wobbly(motion: &mut PuckMotion, k: u64, x: f64, y: f64) {
        motion.observe(PuckSample {
            time_ms: k * 33,
            frame: k,
            x_ft: x + wobble(k),
            y_ft: y - wobble(k + 3),
        });
    }

    #[test]
    fn a_flight_starts_where_the_puck_left_the_stick() {
        let mut motion = PuckMotion::default();
        let mut at = |k: u64, x: f64, y: f64| observe_wobbly(&mut motion, k, x, y);
        // Carried at 15 ft/s along the boards, then shot at about 90 ft/s towards the net.
        for k in 0..20 {
            at(k, 50.0 + 0.5 * k as f64, 20.0);
        }
        for k in 20..25 {
            let f = (k - 19) as f64 * 3.0;
            at(k, 59.5 + f * 0.8, 20.0 - f * 0.6);
        }
        let flight = motion.flight(1000, 40.0, 5.0, Approach::Straight).unwrap();
        assert!((18..=20).contains(&flight.start.frame), "{flight:?}");
        assert!((flight.line.speed() - 90.0).abs() < 15.0, "{flight:?}");
        assert!((flight.origin_x_ft - 59.5).abs() < 2.5, "{flight:?}");
        // Too short, or too slow, is no flight.
        assert!(
            motion
                .flight(1000, 40.0, 30.0, Approach::Straight)
                .is_none()
        );
        assert!(
            motion
                .flight(1000, 150.0, 5.0, Approach::Straight)
                .is_none()
        );
        let mut carried = PuckMotion::default();
        for k in 0..25u64 {
            carried.observe(PuckSample {
                time_ms: k * 33,
                frame: k,
                x_ft: 50.0 + 0.5 * k as f64 + wobble(k),
                y_ft: 20.0,
            });
        }
        assert!(
            carried
                .flight(1000, 40.0, 5.0, Approach::Straight)
                .is_none()
        );
    }

    #[test]
    fn a_flight_after_a_turn_starts_at_the_release_not_at_the_turn() {
        let mut motion = PuckMotion::default();
        let mut at = |k: u64, x: f64, y: f64| observe_wobbly(&mut motion, k, x, y);
        // Carried away from the net at 15 ft/s, back in at 18 ft/s, then shot at 125 ft/s.
        for k in 0..18 {
            at(k, 78.0 - 0.5 * k as f64, 8.0);
        }
        for k in 18..28 {
            at(
                k,
                69.0 + 0.6 * (k - 18) as f64,
                7.0 - 0.15 * (k - 18) as f64,
            );
        }
        for k in 28..31 {
            let f = (k - 27) as f64 * 4.1;
            at(k, 75.0 + f * 0.94, 5.5 - f * 0.34);
        }
        // Read as one line before the flight, the split falls short of the release, between
        // the turn and it.
        let straight = motion.flight(1000, 40.0, 5.0, Approach::Straight);
        assert!(straight.is_none_or(|f| f.start.frame < 26), "{straight:?}");
        let flight = motion.flight(1000, 40.0, 5.0, Approach::Turned).unwrap();
        assert!((26..=28).contains(&flight.start.frame), "{flight:?}");
        assert!((flight.line.speed() - 125.0).abs() < 25.0, "{flight:?}");
    }

    #[test]
    fn a_puck_in_play_moves_steadily_and_a_flicker_between_two_spots_does_not() {
        let steadily = |motion: &PuckMotion| motion.moving_steadily(264, 270, 6, 15.0, 0.7);
        let mut carried = PuckMotion::default();
        for k in 0..9 {
            observe_wobbly(&mut carried, k, 80.0 + 0.7 * k as f64, -4.0);
        }
        assert!(steadily(&carried), "carried at 21 ft/s");
        let mut resting = PuckMotion::default();
        for k in 0..9 {
            observe_wobbly(&mut resting, k, 85.0, -2.0);
        }
        assert!(!steadily(&resting));
        // Two false sightings 5 ft apart, taken in turns and then the far one only: a
        // line through them runs fast, but fits none of them.
        let mut flicker = PuckMotion::default();
        for k in 0..9u64 {
            let far = k == 3 || k >= 5;
            observe_wobbly(&mut flicker, k, if far { 90.0 } else { 85.0 }, -2.0);
        }
        assert!(flicker.fix(264, 270, 6).unwrap().speed() > 15.0);
        assert!(!steadily(&flicker));
    }

    #[test]
    fn a_run_s_line_error_from_the_running_sums_is_the_fitted_line_s() {
        let samples: Vec<PuckSample> = (0..12u64)
            .map(|k| PuckSample {
                time_ms: 1000 + k * 33,
                frame: k,
                x_ft: 40.0 + 0.3 * (k * k) as f64,
                y_ft: -5.0 + [0.6, -0.4, 0.1, -0.7][k as usize % 4],
            })
            .collect();
        let refs: Vec<&PuckSample> = samples.iter().collect();
        let sums = RunSums::new(&refs);
        for (first, last) in [(0, 11), (3, 8), (5, 6), (4, 4)] {
            let fitted = line_fit(&refs[first..=last]).unwrap().1;
            assert!(
                (sums.line_error(first, last) - fitted).abs() < 1e-6,
                "{first}..={last}: {} vs {fitted}",
                sums.line_error(first, last)
            );
        }
    }
}
