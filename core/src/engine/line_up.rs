//! The skaters lined up for a faceoff, and the moment they break from it. At the drop every
//! skater at the dot starts at once, which dates the drop when the puck — a few pixels wide,
//! between the centres' sticks and skates — is not seen leaving the dot, and tells a puck that
//! only seemed to move (a false sighting, a jittery fix) from one that was dropped.

use super::{Holder, LINED_UP_AROUND_FT, stayed_within};
use crate::rink::RinkPoint;

/// The skaters within `LINED_UP_AROUND_FT` of the dot make the line-up, which stands once this
/// many of them have moved less than `STILL_FT` over the engine's recent-skaters window (a
/// second; wide enough that a foot of noise on each position does not unseat a skater standing
/// still).
const STANDING_SKATERS: usize = 6;
const STILL_FT: f64 = 4.0;
/// A skater this far from where he stood has left it (beyond what the noise fakes); the line-up
/// broke when half of those still tracked (and at least `BROKE_SKATERS`) have.
const LEFT_FT: f64 = 5.0;
const BROKE_SKATERS: usize = 3;
/// How long after the drop skaters starting from a stand are `LEFT_FT` away (0.7 s at the
/// 20 ft/s² of a skater's first strides).
pub(super) const BREAK_LAG_MS: u64 = 700;
/// The puck is seen off the dot within this long of the skaters' break when they broke at the
/// drop (it leaves as they start).
pub(super) const BREAK_BEFORE_PUCK_MS: u64 = 1200;
/// The skaters breaking this soon after the puck was seen leaving the dot (before they were
/// seen to break) answered its drop.
pub(super) const BREAK_AFTER_PUCK_MS: u64 = 1000;
/// Skaters this long away from their places (15 ft and more) took the draw.
pub(super) const DRAW_TAKEN_AFTER_BREAK_MS: u64 = 2000;

/// The line-up at one faceoff dot, as it is watched while the faceoff is set up.
#[derive(Debug, Clone, Default)]
pub(super) struct LineUp {
    /// Where each skater (by track) stood, the last time the line-up was seen standing.
    stood: Vec<Holder>,
    /// When it was first seen broken since it last stood.
    broke_ms: Option<u64>,
    /// Skaters around the dot in the last frame.
    around: usize,
}

impl LineUp {
    /// Forgets the line-up (a new faceoff is set up).
    pub(super) fn clear(&mut self) {
        self.stood.clear();
        self.broke_ms = None;
        self.around = 0;
    }

    /// Whether a puck seen leaving the dot may have been dropped: the skaters lined up there
    /// have broken from their places, or too few are tracked around it to tell (skaters still
    /// gathering at the dot, not yet standing, say the draw is still to come).
    pub(super) fn allows_drop(&self) -> bool {
        self.broke_ms.is_some() || (self.stood.is_empty() && self.around < STANDING_SKATERS)
    }

    /// Whether the skaters were seen standing lined up at the dot.
    pub(super) fn stood(&self) -> bool {
        !self.stood.is_empty()
    }

    /// When the skaters were seen to have broken from where they stood.
    pub(super) fn broke_ms(&self) -> Option<u64> {
        self.broke_ms
    }

    /// Reads a frame's skaters at `now`, with those of a second before (`then`), around the
    /// faceoff's `dot`.
    pub(super) fn observe(
        &mut self,
        now: u64,
        dot: RinkPoint,
        skaters: &[Holder],
        then: Option<&[Holder]>,
    ) {
        let around = |s: &&Holder| s.position.distance_ft(dot) < LINED_UP_AROUND_FT;
        self.around = skaters.iter().filter(around).count();
        if self.broke_ms.is_none()
            && let Some(then) = then
        {
            // Where the still skaters stood a second ago: before a drop they have not yet
            // answered.
            let standing: Vec<Holder> = then
                .iter()
                .filter(around)
                .filter(|t| stayed_within(skaters, t, STILL_FT))
                .copied()
                .collect();
            if standing.len() >= STANDING_SKATERS {
                self.stood = standing;
                return;
            }
        }
        if self.stood.is_empty() || self.broke_ms.is_some() {
            return;
        }
        let (mut tracked, mut left) = (0usize, 0usize);
        for stood in &self.stood {
            if let Some(now_at) = skaters.iter().find(|s| s.track_id == stood.track_id) {
                tracked += 1;
                left += usize::from(now_at.position.distance_ft(stood.position) > LEFT_FT);
            }
        }
        if left >= BROKE_SKATERS && 2 * left >= tracked {
            self.broke_ms = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Team;

    fn skater(id: u64, x: f64, y: f64) -> Holder {
        Holder {
            track_id: id,
            team: if id.is_multiple_of(2) {
                Team::Home
            } else {
                Team::Away
            },
            position: RinkPoint::new(x, y).unwrap(),
        }
    }

    /// Eight skaters around centre ice, each `offset(id)` ft along x from his place.
    fn frame(offset: impl Fn(u64) -> f64) -> Vec<Holder> {
        (0..8)
            .map(|id| {
                let (x, y) = (id as f64 * 3.0 - 10.0, (id % 3) as f64 * 4.0);
                skater(id, x + offset(id), y)
            })
            .collect()
    }

    #[test]
    fn skaters_leaving_together_break_the_line_up_and_jitter_does_not() {
        let mut line_up = LineUp::default();
        let dot = RinkPoint::CENTRE;
        let standing = frame(|_| 0.0);
        // Standing a while, with a foot of jitter.
        for ms in (0..3000).step_by(33) {
            let now = frame(|id| if (ms / 33 + id) % 2 == 0 { 1.0 } else { -1.0 });
            line_up.observe(ms, dot, &now, Some(&standing));
        }
        assert!(!line_up.allows_drop());
        // Dropped at 3000 ms: from then on everyone accelerates at 20 ft/s².
        let mut broke = None;
        for ms in (3000..4500).step_by(33) {
            let t = (ms - 3000) as f64 / 1000.0;
            let now = frame(|id| {
                if id % 2 == 0 {
                    10.0 * t * t
                } else {
                    -10.0 * t * t
                }
            });
            let then = frame(|_| 0.0);
            line_up.observe(ms, dot, &now, Some(&then));
            broke = broke.or(line_up.broke_ms());
        }
        let broke = broke.expect("the line-up broke");
        assert!(line_up.allows_drop());
        assert!(
            (3000 + BREAK_LAG_MS - 100..=3000 + BREAK_LAG_MS + 100).contains(&broke),
            "broke at {broke}"
        );
    }

    #[test]
    fn a_few_skaters_leaving_do_not_break_the_line_up() {
        let mut line_up = LineUp::default();
        let dot = RinkPoint::CENTRE;
        let standing = frame(|_| 0.0);
        line_up.observe(0, dot, &standing, Some(&standing));
        for ms in (0..2000).step_by(33) {
            let now = frame(|id| if id < 3 { ms as f64 / 100.0 } else { 0.0 });
            line_up.observe(ms, dot, &now, Some(&standing));
        }
        assert!(!line_up.allows_drop());
    }

    #[test]
    fn skaters_still_gathering_at_the_dot_hold_the_drop_and_a_few_do_not() {
        // Eight skaters coming in at 15 ft/s: around the dot, not standing.
        let mut line_up = LineUp::default();
        for ms in (0..1000).step_by(33) {
            let now = frame(|_| 15.0 * (1.0 - ms as f64 / 1000.0));
            let then = frame(|_| 15.0 * (2.0 - ms as f64 / 1000.0));
            line_up.observe(ms, RinkPoint::CENTRE, &now, Some(&then));
        }
        assert!(!line_up.allows_drop());
        // Only the two centres tracked: nothing to tell by.
        let mut line_up = LineUp::default();
        let centres: Vec<Holder> = frame(|_| 0.0).into_iter().take(2).collect();
        line_up.observe(0, RinkPoint::CENTRE, &centres, None);
        assert!(line_up.allows_drop());
    }
}
