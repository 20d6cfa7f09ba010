//! The moment play stopped, read from the skaters. At a whistle or a goal every skater on the ice
//! stops playing and glides to a stand, all at once; the last surge of the skaters' pace before
//! they all stand still dates that moment when the puck does not (hidden in the net, lost in a
//! scramble, or a false sighting standing in for it). In play the skaters never all stand still:
//! someone is always skating.

use std::collections::VecDeque;

use super::Holder;

/// The skaters' pace is their mean speed over this long (long enough that a foot of noise on a
/// position fakes little speed; the pace then runs this half-window behind).
pub(super) const PACE_WINDOW_MS: u64 = 500;
/// The least share of the window two frames must span to give a pace.
const PACE_MIN_SPAN_MS: u64 = 400;
/// The fewest skaters, tracked at both ends of the window, whose pace tells.
const PACE_SKATERS: usize = 4;
/// No skater skates faster than this (feet per second).
const TOP_SPEED_FT_S: f64 = 35.0;
/// Skaters at this pace (feet per second) all stand: play is stopped.
const STANDING_FT_S: f64 = 1.5;
/// Skaters at this pace or faster are playing: a new stop can be heard.
const PLAYING_FT_S: f64 = 6.0;
/// The surge before a stop is looked for this far back from the stand…
const GLIDE_MAX_MS: u64 = 3500;
/// …back to where the pace was this much below the highest since, for this long (past the
/// surge's top).
const SURGE_FALL_FT_S: f64 = 2.0;
const SURGE_FALL_MS: u64 = 300;
/// How much pace history is kept.
const KEPT_MS: u64 = GLIDE_MAX_MS + PACE_WINDOW_MS;

/// What the skaters' pace told in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PaceChange {
    /// They all stand, having played until `at_ms`.
    Stopped { at_ms: u64 },
    /// They play again after standing.
    Resumed,
}

/// Listens to the skaters' pace for the moments play stops.
#[derive(Debug, Clone)]
pub(super) struct Whistle {
    /// The skaters' mean speed (feet per second) at recent frames, oldest first.
    pace: VecDeque<(u64, f64)>,
    /// Whether the skaters have played since they last stood (a new stop can be heard).
    playing: bool,
}

impl Default for Whistle {
    fn default() -> Self {
        Self {
            pace: VecDeque::new(),
            playing: true,
        }
    }
}

impl Whistle {
    /// Reads a frame's skaters at `now` against those `then` (a frame about `PACE_WINDOW_MS`
    /// earlier); tells when they all stand after they played (and since when play stopped), and
    /// when they play again.
    pub(super) fn observe(
        &mut self,
        now: u64,
        skaters: &[Holder],
        then: Option<(u64, &[Holder])>,
    ) -> Option<PaceChange> {
        let (then_ms, then) = then?;
        let span_ms = now
            .checked_sub(then_ms)
            .filter(|&d| d >= PACE_MIN_SPAN_MS)?;
        // A track that jumped to another skater moved him faster than any skates: counted at a
        // skater's top speed.
        let window_s = span_ms as f64 / 1000.0;
        let (mut moved_ft, mut count) = (0.0, 0usize);
        for skater in skaters {
            if let Some(before) = then.iter().find(|t| t.track_id == skater.track_id) {
                moved_ft += skater
                    .position
                    .distance_ft(before.position)
                    .min(TOP_SPEED_FT_S * window_s);
                count += 1;
            }
        }
        if count < PACE_SKATERS {
            return None;
        }
        let pace = moved_ft / count as f64 / window_s;
        while self.pace.front().is_some_and(|&(t, _)| t + KEPT_MS < now) {
            self.pace.pop_front();
        }
        self.pace.push_back((now, pace));
        if pace >= PLAYING_FT_S {
            let resumed = !self.playing;
            self.playing = true;
            return resumed.then_some(PaceChange::Resumed);
        }
        if pace >= STANDING_FT_S || !self.playing {
            return None;
        }
        self.playing = false;
        self.stopped_at(now)
            .map(|at_ms| PaceChange::Stopped { at_ms })
    }

    /// When the skaters who stand at `now` stopped playing: the end of their last surge of pace
    /// (they glided to a stand from there), half a window back, if they were playing then.
    fn stopped_at(&self, now: u64) -> Option<u64> {
        let mut top: Option<(u64, f64)> = None;
        // Going back in time: when the pace first fell well below the top (a blip of noise, a
        // track lost or found, does not end the surge; a lasting fall does).
        let mut fallen_at: Option<u64> = None;
        for &(t, pace) in self.pace.iter().rev() {
            if t + GLIDE_MAX_MS < now {
                break;
            }
            match top {
                Some((_, highest)) if pace < highest - SURGE_FALL_FT_S => {
                    let since = *fallen_at.get_or_insert(t);
                    if t + SURGE_FALL_MS <= since {
                        break;
                    }
                }
                Some((_, highest)) if pace < highest => fallen_at = None,
                _ => {
                    top = Some((t, pace));
                    fallen_at = None;
                }
            }
        }
        let (top_ms, highest) = top.filter(|&(_, highest)| highest >= PLAYING_FT_S)?;
        // The surge held until the pace last came near its top: the glide began there.
        let held_ms = self
            .pace
            .iter()
            .rev()
            .find(|&&(t, pace)| t >= top_ms && pace >= highest - SURGE_FALL_FT_S)
            .map_or(top_ms, |&(t, _)| t);
        Some(held_ms.saturating_sub(PACE_WINDOW_MS / 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Team;
    use crate::rink::RinkPoint;

    /// Ten skaters on a circle of 30 ft about centre ice, each having skated `travelled(id)` ft
    /// round it from a start of his own.
    fn skaters(travelled: impl Fn(u64) -> f64) -> Vec<Holder> {
        const RADIUS_FT: f64 = 30.0;
        (0..10)
            .map(|id| {
                let angle = id as f64 * 0.6 + travelled(id) / RADIUS_FT;
                Holder {
                    track_id: id,
                    team: if id < 5 { Team::Home } else { Team::Away },
                    position: RinkPoint::new(RADIUS_FT * angle.cos(), RADIUS_FT * angle.sin())
                        .unwrap(),
                }
            })
            .collect()
    }

    /// Feeds 30 frames a second from `from_ms` to `to_ms` of skaters having skated `x(id, ms)`
    /// ft, with their
    /// positions `PACE_WINDOW_MS` before; returns the stops heard.
    fn listen(
        whistle: &mut Whistle,
        (from_ms, to_ms): (u64, u64),
        x: impl Fn(u64, u64) -> f64,
    ) -> Vec<u64> {
        let mut heard = Vec::new();
        let mut ms = from_ms;
        while ms < to_ms {
            let now = skaters(|id| x(id, ms));
            let then_ms = ms.saturating_sub(PACE_WINDOW_MS);
            let then = skaters(|id| x(id, then_ms));
            if let Some(PaceChange::Stopped { at_ms }) =
                whistle.observe(ms, &now, Some((then_ms, &then)))
            {
                heard.push(at_ms);
            }
            ms += 33;
        }
        heard
    }

    /// Skating at 15 to 24 ft/s, with half a foot of jitter.
    fn skating(id: u64, ms: u64) -> f64 {
        let jitter = if (ms / 33 + id).is_multiple_of(2) {
            0.25
        } else {
            -0.25
        };
        (15.0 + id as f64) * ms as f64 / 1000.0 + jitter
    }

    #[test]
    fn skaters_gliding_to_a_stand_date_the_stop_at_its_start() {
        // Playing until 10 s, then every skater glides to a stand at 10 ft/s².
        let stop_ms = 10_000;
        let x = |id: u64, ms: u64| {
            let v = 15.0 + id as f64;
            if ms <= stop_ms {
                return skating(id, ms);
            }
            let t = ((ms - stop_ms) as f64 / 1000.0).min(v / 10.0);
            skating(id, stop_ms) + v * t - 5.0 * t * t
        };
        let mut whistle = Whistle::default();
        let heard = listen(&mut whistle, (0, 16_000), x);
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert!(
            heard[0].abs_diff(stop_ms) <= 500,
            "heard at {}, stopped at {stop_ms}",
            heard[0]
        );
    }

    #[test]
    fn skaters_slowing_in_play_are_not_a_stop_and_a_stand_is_heard_once() {
        let mut whistle = Whistle::default();
        // Half the skaters slow to a crawl while the others keep skating.
        let slowing = |id: u64, ms: u64| {
            if id < 5 {
                skating(id, ms.min(3000)) + (ms.saturating_sub(3000)) as f64 / 1000.0
            } else {
                skating(id, ms)
            }
        };
        assert!(listen(&mut whistle, (0, 8000), slowing).is_empty());
        // Standing for a long while (a faceoff set up, a stoppage) is one stop, not many.
        let stood = |id: u64, ms: u64| skating(id, 8000.min(ms));
        let heard = listen(&mut whistle, (8000, 20_000), stood);
        assert_eq!(heard.len(), 1, "{heard:?}");
    }

    #[test]
    fn too_few_skaters_tell_nothing() {
        let mut whistle = Whistle::default();
        let few: Vec<Holder> = skaters(|_| 0.0).into_iter().take(3).collect();
        for ms in (0..5000).step_by(33) {
            assert_eq!(
                whistle.observe(ms, &few, Some((ms.saturating_sub(500), &few))),
                None
            );
        }
    }
}
