//! Telling the two teams apart by jersey colour. Each tracked skater's torso colour is sampled
//! frame after frame where no one in front hides it (in CIE L*a*b*, where distances match what
//! people see) and averaged per track; the tracks' colours are split online into two clusters;
//! the configured team colours only *name* the clusters (home / away), they never define them,
//! so lighting that shifts every colour does not break the assignment. Referees are told apart by the detector, not here.

use std::collections::BTreeMap;

use crate::detection::PixelBox;
use crate::domain::{Rgb, Team};

/// A colour in CIE L*a*b* (D65).
pub type Lab = [f64; 3];

/// CIE L*a*b* of an sRGB colour.
pub fn srgb_to_lab(colour: [u8; 3]) -> Lab {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (linear(colour[0]), linear(colour[1]), linear(colour[2]));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The CIE76 colour difference ΔE*ab.
pub fn delta_e(a: Lab, b: Lab) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Least share of a torso's pixels that must be in sight for its colour to count: a torso mostly
/// behind someone else says more of that someone than of its own jersey.
pub const MIN_TORSO_IN_SIGHT: f64 = 0.25;

/// The mean colour of a person's torso (the middle of the box's upper half, where the jersey
/// is) in an RGB frame, over the pixels that no one in front hides: of `people` (the people's
/// boxes in the frame, this one's among them or not), those whose bottom edge — their feet —
/// lies lower in the picture than this box's stand nearer the elevated camera. `None` if the box is too small or outside the
/// frame, or if less than [`MIN_TORSO_IN_SIGHT`] of the torso is in sight.
pub fn torso_colour(
    rgb: &[u8],
    width: u32,
    height: u32,
    bbox: &PixelBox,
    people: &[PixelBox],
) -> Option<[u8; 3]> {
    let x0 = (bbox.x0 + bbox.width() * 0.3).max(0.0) as usize;
    let x1 = ((bbox.x0 + bbox.width() * 0.7) as usize).min(width as usize);
    let y0 = (bbox.y0 + bbox.height() * 0.3).max(0.0) as usize;
    let y1 = ((bbox.y0 + bbox.height() * 0.55) as usize).min(height as usize);
    if x1 <= x0 || y1 <= y0 || rgb.len() < width as usize * height as usize * 3 {
        return None;
    }
    let in_front: Vec<&PixelBox> = people
        .iter()
        .filter(|o| o.y1 > bbox.y1)
        .filter(|o| o.x1 > x0 as f32 && o.x0 < x1 as f32 && o.y1 > y0 as f32 && o.y0 < y1 as f32)
        .collect();
    let hidden = |x: usize, y: usize| {
        let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
        in_front
            .iter()
            .any(|o| px >= o.x0 && px < o.x1 && py >= o.y0 && py < o.y1)
    };
    let mut sum = [0u64; 3];
    let mut count = 0u64;
    for y in y0..y1 {
        for x in (x0..x1).filter(|&x| !hidden(x, y)) {
            let i = (y * width as usize + x) * 3;
            for c in 0..3 {
                sum[c] += u64::from(rgb[i + c]);
            }
            count += 1;
        }
    }
    let torso = ((x1 - x0) * (y1 - y0)) as f64;
    if count == 0 || (count as f64) < MIN_TORSO_IN_SIGHT * torso {
        return None;
    }
    Some(sum.map(|s| (s / count) as u8))
}

/// The two centres of weighted colours split in two: a few 2-means iterations from `previous`,
/// or at the start from the two most different colours — `None` while fewer than two colours
/// are known or all lie within 15 ΔE*ab of one another (one team seen so far: wait for the
/// other).
pub fn split_colours(samples: &[(Lab, f64)], previous: Option<[Lab; 2]>) -> Option<[Lab; 2]> {
    if samples.len() < 2 {
        return None;
    }
    let mut centres = match previous {
        Some(centres) => centres,
        None => {
            let mut best = (samples[0].0, samples[1].0, -1.0);
            for (i, a) in samples.iter().enumerate() {
                for b in &samples[i + 1..] {
                    let d = delta_e(a.0, b.0);
                    if d > best.2 {
                        best = (a.0, b.0, d);
                    }
                }
            }
            if best.2 < 15.0 {
                return None;
            }
            [best.0, best.1]
        }
    };
    for _ in 0..5 {
        let mut sums = [[0.0; 3]; 2];
        let mut weights = [0.0; 2];
        for (lab, weight) in samples {
            let k = usize::from(delta_e(*lab, centres[1]) < delta_e(*lab, centres[0]));
            for c in 0..3 {
                sums[k][c] += lab[c] * weight;
            }
            weights[k] += weight;
        }
        for k in 0..2 {
            if weights[k] > 0.0 {
                centres[k] = sums[k].map(|s| s / weights[k]);
            }
        }
    }
    Some(centres)
}

#[derive(Debug, Clone, Copy)]
struct TrackColour {
    mean: Lab,
    samples: u32,
}

/// Online two-team clustering of tracked skaters by torso colour.
#[derive(Debug, Clone)]
pub struct TeamClassifier {
    tracks: BTreeMap<u64, TrackColour>,
    /// The two cluster centres, once there is enough to tell them apart.
    centres: Option<[Lab; 2]>,
    /// Configured colours naming the clusters (home, away).
    names: Option<[Lab; 2]>,
}

/// Samples a track's colour must have before it shapes the clusters.
pub const SETTLED_SAMPLES: u32 = 3;

/// Frames between re-clusterings of the tracks' colours into the two teams'.
pub const RECLUSTER_EVERY: u64 = 15;

impl TeamClassifier {
    pub fn new(home: Option<Rgb>, away: Option<Rgb>) -> Self {
        let lab = |c: Rgb| srgb_to_lab([c.r, c.g, c.b]);
        Self {
            tracks: BTreeMap::new(),
            centres: None,
            names: home.zip(away).map(|(h, a)| [lab(h), lab(a)]),
        }
    }

    /// Adds one torso sample of a track.
    pub fn observe(&mut self, track_id: u64, colour: [u8; 3]) {
        let lab = srgb_to_lab(colour);
        let entry = self.tracks.entry(track_id).or_insert(TrackColour {
            mean: lab,
            samples: 0,
        });
        entry.samples += 1;
        // A running mean that settles, then follows slow changes (lighting across the rink).
        let weight = 1.0 / f64::from(entry.samples.min(30));
        for (mean, sample) in entry.mean.iter_mut().zip(lab) {
            *mean += (sample - *mean) * weight;
        }
    }

    /// Forgets a track that ended.
    pub fn forget(&mut self, track_id: u64) {
        self.tracks.remove(&track_id);
    }

    /// Re-clusters the settled tracks (see [`split_colours`]).
    pub fn recluster(&mut self) {
        let samples: Vec<(Lab, f64)> = self
            .tracks
            .values()
            .filter(|t| t.samples >= SETTLED_SAMPLES)
            .map(|t| (t.mean, f64::from(t.samples.min(30))))
            .collect();
        if let Some(centres) = split_colours(&samples, self.centres) {
            self.centres = Some(centres);
        }
    }

    /// Which cluster is home: by the configured colours when there are any (the assignment with
    /// the smaller total difference), otherwise the first cluster found.
    fn home_cluster(&self, centres: &[Lab; 2]) -> usize {
        match self.names {
            Some([home, away]) => {
                let straight = delta_e(centres[0], home) + delta_e(centres[1], away);
                let crossed = delta_e(centres[1], home) + delta_e(centres[0], away);
                usize::from(crossed < straight)
            }
            None => 0,
        }
    }

    /// The team of a track, once its colour has settled and two clusters exist.
    pub fn team_of(&self, track_id: u64) -> Option<Team> {
        let centres = self.centres?;
        let track = self.tracks.get(&track_id)?;
        if track.samples < SETTLED_SAMPLES {
            return None;
        }
        let cluster =
            usize::from(delta_e(track.mean, centres[1]) < delta_e(track.mean, centres[0]));
        Some(if cluster == self.home_cluster(&centres) {
            Team::Home
        } else {
            Team::Away
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_matches_reference_values() {
        let white = srgb_to_lab([255, 255, 255]);
        assert!((white[0] - 100.0).abs() < 0.1 && white[1].abs() < 0.1 && white[2].abs() < 0.1);
        let red = srgb_to_lab([255, 0, 0]);
        assert!(
            (red[0] - 53.2).abs() < 0.5
                && (red[1] - 80.1).abs() < 0.5
                && (red[2] - 67.2).abs() < 0.5
        );
    }

    fn boxed(x0: f32, y0: f32, x1: f32, y1: f32) -> PixelBox {
        PixelBox { x0, y0, x1, y1 }
    }

    /// A 10 × 20 frame, black but for a red torso where a box over the whole frame has it.
    fn red_torso_frame() -> (Vec<u8>, u32, u32) {
        let (w, h) = (10u32, 20u32);
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        for y in 6..11 {
            for x in 3..7 {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&[200, 20, 40]);
            }
        }
        (rgb, w, h)
    }

    #[test]
    fn the_torso_is_sampled_from_the_upper_middle_of_the_box() {
        let (rgb, w, h) = red_torso_frame();
        let bbox = boxed(0.0, 0.0, 10.0, 20.0);
        assert_eq!(torso_colour(&rgb, w, h, &bbox, &[]), Some([200, 20, 40]));
        assert_eq!(
            torso_colour(&rgb, w, h, &boxed(50.0, 0.0, 60.0, 20.0), &[]),
            None
        );
    }

    #[test]
    fn only_the_torso_in_sight_is_sampled() {
        let (mut rgb, w, h) = red_torso_frame();
        // A blue skater in front (feet lower) covers the torso's left half.
        for y in 6..11 {
            for x in 3..5 {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&[20, 40, 200]);
            }
        }
        let bbox = boxed(0.0, 0.0, 10.0, 20.0);
        let in_front = boxed(-6.0, 4.0, 5.0, 21.0);
        assert_eq!(
            torso_colour(&rgb, w, h, &bbox, &[in_front]),
            Some([200, 20, 40])
        );
        // The same box standing behind (feet higher) hides nothing: the colours mix.
        let behind = boxed(-6.0, 4.0, 5.0, 19.0);
        assert_eq!(
            torso_colour(&rgb, w, h, &bbox, &[behind]),
            Some([110, 30, 120])
        );
        // All but its top row hidden: its colour is not known.
        let covering = boxed(-6.0, 6.6, 7.5, 21.0);
        assert_eq!(torso_colour(&rgb, w, h, &bbox, &[covering]), None);
    }

    #[test]
    fn skaters_split_into_teams_named_by_the_configured_colours() {
        let red = Rgb {
            r: 200,
            g: 16,
            b: 46,
        };
        let navy = Rgb { r: 0, g: 38, b: 84 };
        // Configured colours say home is navy; the rink's light makes everything a bit warmer.
        let mut classifier = TeamClassifier::new(Some(navy), Some(red));
        for frame in 0..10u8 {
            for track in 1..=5u64 {
                classifier.observe(track, [215, 30 + frame % 3, 50]);
            }
            for track in 6..=10u64 {
                classifier.observe(track, [20, 50 + frame % 3, 95]);
            }
        }
        classifier.recluster();
        for track in 1..=5 {
            assert_eq!(classifier.team_of(track), Some(Team::Away));
        }
        for track in 6..=10 {
            assert_eq!(classifier.team_of(track), Some(Team::Home));
        }
        assert_eq!(classifier.team_of(99), None);
    }

    #[test]
    fn one_colour_alone_is_not_split_into_two_teams() {
        let mut classifier = TeamClassifier::new(None, None);
        for track in 1..=4u64 {
            for _ in 0..5 {
                classifier.observe(track, [200, 16, 46 + track as u8]);
            }
        }
        classifier.recluster();
        assert_eq!(classifier.team_of(1), None);
    }
}
