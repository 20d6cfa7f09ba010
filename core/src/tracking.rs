//! Multi-object tracking of people and nets, ByteTrack-class: a constant-velocity Kalman filter
//! per track over (centre x, centre y, width, height), optimal assignment in two stages —
//! confident detections against every live or recently lost track, then the remaining tracked
//! tracks against low-score detections (which keeps partly hidden players alive), each pair
//! costed by its overlap, by how far apart the two boxes' feet stand in depth and, once the
//! skaters' torso colours split into two teams, by a detection of the other team — tentative
//! tracks that must be seen twice, and lost tracks re-activated when their object comes back
//! (overlapping the predicted box, or failing that near its predicted centre).
//! Frames are the clock: the tracker is fed one frame's detections at a time.

use nalgebra::{SMatrix, SVector};
use serde::{Deserialize, Serialize};

use crate::assignment::min_cost_assignment;
use crate::detection::{Detection, ObjectClass, PixelBox};
use crate::teams::{Lab, RECLUSTER_EVERY, SETTLED_SAMPLES, delta_e, split_colours, srgb_to_lab};

type State = SVector<f64, 8>;
type Covariance = SMatrix<f64, 8, 8>;
type Measurement = SVector<f64, 4>;

/// Tuning of the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackerSettings {
    /// Detections at or above this score are confident (first stage, may start tracks).
    pub high_score: f32,
    /// Detections below this are ignored; between the two they only extend existing tracks.
    pub low_score: f32,
    /// A new track starts only from a detection at least this confident.
    pub new_track_score: f32,
    /// Least IoU for a match in the first stage.
    pub first_iou: f32,
    /// Weight, in the cost of a match beside 1 − IoU, of the vertical distance between the
    /// bottom edges (the feet) of the track's predicted box and the detection, in box heights.
    /// From an elevated camera a box's bottom edge tells how far from the camera its player
    /// stands: two skaters crossing in the picture overlap, but the one behind stands higher, so
    /// a track keeps to the detection at its own depth rather than to the biggest overlap.
    pub depth_weight: f64,
    /// Least IoU for a match with a low-score detection.
    pub second_iou: f32,
    /// Frames a lost track is kept for re-activation.
    pub max_lost_frames: u32,
    /// A detection whose torso colour differs from a track's by more than this ΔE*ab is not
    /// that track (two players of different teams crossing).
    pub max_colour_difference: f64,
    /// Once the skater tracks' colours split into two teams, the cost, beside 1 − IoU, of
    /// continuing a track with a detection of the other team: in full when both colours lie
    /// 10 ΔE*ab or more nearer their own team's colour than the other's, in proportion below.
    /// A cost, not a bar: in a crowd a torso's colour is often partly another player's, and
    /// teams can differ by less than `max_colour_difference` (a torso's colour varies by
    /// nearly as much within a team), which only bars what is clearly not the track.
    pub team_weight: f64,
    /// A lost track overlapping no confident detection takes a leftover one whose centre lies
    /// within this many of its box heights of where it is predicted (a player who came out from
    /// behind another, not where the track's last velocity carried it) …
    pub reactivation_gate: f64,
    /// … plus this many more for every frame it has been lost.
    pub reactivation_gate_growth: f64,
    /// Spread of a detected box's centre and size about the player's true box, as a fraction of
    /// the box height (the Kalman filter's measurement noise).
    pub measurement_noise: f64,
    /// Spread of a frame's change in a box's centre and size about the constant-velocity
    /// prediction, as a fraction of the box height (the filter's process noise on position) …
    pub position_noise: f64,
    /// … and on velocity.
    pub velocity_noise: f64,
}

impl Default for TrackerSettings {
    fn default() -> Self {
        Self {
            high_score: 0.5,
            low_score: 0.1,
            new_track_score: 0.6,
            first_iou: 0.1,
            depth_weight: 3.0,
            second_iou: 0.4,
            max_lost_frames: 90,
            max_colour_difference: 35.0,
            team_weight: 1.0,
            reactivation_gate: 1.0,
            reactivation_gate_growth: 0.1,
            // Detected boxes of players a few pixels tall jitter: trust the motion more than
            // ByteTrack's defaults do (1/20, 1/20, 1/160).
            measurement_noise: 1.0 / 10.0,
            position_noise: 1.0 / 40.0,
            velocity_noise: 1.0 / 160.0,
        }
    }
}

/// A tracked object as reported for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackedObject {
    pub track_id: u64,
    pub class: ObjectClass,
    /// The filtered box.
    pub bbox: PixelBox,
    /// Score of the detection that updated the track this frame.
    pub score: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Tentative,
    Tracked,
    Lost,
}

#[derive(Debug, Clone)]
struct Track {
    id: u64,
    class: ObjectClass,
    state: State,
    covariance: Covariance,
    phase: Phase,
    lost_frames: u32,
    score: f32,
    /// Running mean torso colour (CIE L*a*b*), when the caller supplies colours.
    colour: Option<Lab>,
    /// Colours blended into `colour`.
    colour_samples: u32,
}

/// The per-frame tracker.
#[derive(Debug, Clone)]
pub struct ByteTracker {
    settings: TrackerSettings,
    tracks: Vec<Track>,
    next_id: u64,
    frames: u64,
    /// The skaters' two team colours, split from the tracks' colours every
    /// `RECLUSTER_EVERY` frames.
    team_colours: Option<[Lab; 2]>,
}

fn measurement(bbox: &PixelBox) -> Measurement {
    let (cx, cy) = bbox.centre();
    Measurement::new(
        f64::from(cx),
        f64::from(cy),
        f64::from(bbox.width()),
        f64::from(bbox.height()),
    )
}

impl Track {
    fn new(id: u64, detection: &Detection, phase: Phase) -> Self {
        let z = measurement(&detection.bbox);
        let mut state = State::zeros();
        state.fixed_rows_mut::<4>(0).copy_from(&z);
        let h = z[3].max(1.0);
        let position = 2.0 * h / 20.0;
        let velocity = 10.0 * h / 160.0;
        let variances = [
            position, position, position, position, velocity, velocity, velocity, velocity,
        ];
        let covariance = Covariance::from_diagonal(&SVector::<f64, 8>::from_iterator(
            variances.iter().map(|s| s * s),
        ));
        Self {
            id,
            class: detection.class,
            state,
            covariance,
            phase,
            lost_frames: 0,
            score: detection.score,
            colour: None,
            colour_samples: 0,
        }
    }

    fn blend_colour(&mut self, colour: Option<Lab>) {
        if let Some(c) = colour {
            self.colour_samples += 1;
            self.colour = Some(match self.colour {
                Some(mean) => [0, 1, 2].map(|i| 0.8 * mean[i] + 0.2 * c[i]),
                None => c,
            });
        }
    }

    fn predict(&mut self, settings: &TrackerSettings) {
        let mut transition = Covariance::identity();
        for i in 0..4 {
            transition[(i, i + 4)] = 1.0;
        }
        let h = self.state[3].max(1.0);
        let (p, v) = (h * settings.position_noise, h * settings.velocity_noise);
        let noise = Covariance::from_diagonal(&SVector::<f64, 8>::from_iterator(
            [p, p, p, p, v, v, v, v].iter().map(|s| s * s),
        ));
        self.state = transition * self.state;
        self.covariance = transition * self.covariance * transition.transpose() + noise;
    }

    fn update(&mut self, detection: &Detection, settings: &TrackerSettings) {
        let z = measurement(&detection.bbox);
        let observe = SMatrix::<f64, 4, 8>::from_fn(|r, c| if r == c { 1.0 } else { 0.0 });
        let h = self.state[3].max(1.0);
        let r = h * settings.measurement_noise;
        let noise = SMatrix::<f64, 4, 4>::from_diagonal_element(r * r);
        let innovation = z - observe * self.state;
        let system = observe * self.covariance * observe.transpose() + noise;
        if let Some(inverse) = system.try_inverse() {
            let gain = self.covariance * observe.transpose() * inverse;
            self.state += gain * innovation;
            self.covariance = (Covariance::identity() - gain * observe) * self.covariance;
        }
        self.score = detection.score;
        self.lost_frames = 0;
    }

    fn bbox(&self) -> PixelBox {
        let (cx, cy) = (self.state[0] as f32, self.state[1] as f32);
        let (w, h) = (
            (self.state[2].max(1.0)) as f32,
            (self.state[3].max(1.0)) as f32,
        );
        PixelBox {
            x0: cx - w / 2.0,
            y0: cy - h / 2.0,
            x1: cx + w / 2.0,
            y1: cy + h / 2.0,
        }
    }
}

/// Optimal one-to-one matching of tracks and detections of the same class, keeping only pairs
/// overlapping by `min_iou` or more, at the least total cost: 1 − IoU plus the depth term (see
/// [`TrackerSettings::depth_weight`]). Returns (track index, detection index) pairs.
fn associate(
    tracks: &[&Track],
    detections: &[Candidate<'_>],
    min_iou: f32,
    settings: &TrackerSettings,
    colours: &ColourEvidence,
) -> Vec<(usize, usize)> {
    const SCALE: f64 = 1_000_000.0;
    min_cost_assignment(tracks.len(), detections.len(), |t, d| {
        let (track, Candidate(detection, colour)) = (tracks[t], detections[d]);
        if track.class != detection.class || !colours.admits(track, colour) {
            return None;
        }
        let predicted = track.bbox();
        let iou = predicted.iou(&detection.bbox);
        let depth = f64::from((detection.bbox.y1 - predicted.y1).abs()) / track.state[3].max(1.0);
        let teams = settings.team_weight * colours.team_conflict(track, colour);
        (iou >= min_iou).then_some(
            ((1.0 - f64::from(iou) + settings.depth_weight * depth + teams) * SCALE) as i64,
        )
    })
}

/// Optimal one-to-one matching of lost tracks and detections of the same class by the distance
/// of the detection's centre from the track's predicted one, in box heights, within a gate that
/// widens the longer the track has been lost. Returns (track index, detection index) pairs.
fn reactivate(
    tracks: &[&Track],
    detections: &[Candidate<'_>],
    settings: &TrackerSettings,
    colours: &ColourEvidence,
) -> Vec<(usize, usize)> {
    const SCALE: f64 = 1_000_000.0;
    min_cost_assignment(tracks.len(), detections.len(), |t, d| {
        let (track, Candidate(detection, colour)) = (tracks[t], detections[d]);
        if track.class != detection.class || !colours.admits(track, colour) {
            return None;
        }
        let (x, y) = detection.bbox.centre();
        let distance = (f64::from(x) - track.state[0]).hypot(f64::from(y) - track.state[1])
            / track.state[3].max(1.0);
        let gate = settings.reactivation_gate
            + settings.reactivation_gate_growth * f64::from(track.lost_frames);
        (distance <= gate).then_some((distance * SCALE) as i64)
    })
}

/// What torso colours say of a match: a bar on clearly different colours, and a cost on
/// colours of different teams once the teams' colours are known.
#[derive(Debug, Clone, Copy)]
struct ColourEvidence {
    max_difference: f64,
    /// The two teams' colours, once the skaters' tracks split into two.
    teams: Option<[Lab; 2]>,
}

/// ΔE*ab nearer the other team's colour at which a colour is that team's beyond doubt.
const TEAM_CONFLICT_DE: f64 = 10.0;

impl ColourEvidence {
    /// Whether `track` may be continued by a detection of colour `detection` (either unknown:
    /// yes): no more than `max_difference` ΔE*ab apart.
    fn admits(&self, track: &Track, detection: Option<Lab>) -> bool {
        match (track.colour, detection) {
            (Some(own), Some(other)) => delta_e(own, other) <= self.max_difference,
            _ => true,
        }
    }

    /// How clearly a skater's track and a detection are of different teams, 0 to 1: 0 when
    /// either colour is unknown or both are nearer one team's colour, else how much nearer
    /// its own team's colour the less clear of the two lies, in [`TEAM_CONFLICT_DE`], at most 1.
    fn team_conflict(&self, track: &Track, detection: Option<Lab>) -> f64 {
        let (Some(own), Some(other), Some(teams)) = (track.colour, detection, self.teams) else {
            return 0.0;
        };
        if track.class != ObjectClass::Player {
            return 0.0;
        }
        // Positive nearer the second team's colour, negative nearer the first.
        let lead = |c: Lab| delta_e(c, teams[0]) - delta_e(c, teams[1]);
        let (a, b) = (lead(own), lead(other));
        if a.signum() == b.signum() {
            0.0
        } else {
            (a.abs().min(b.abs()) / TEAM_CONFLICT_DE).min(1.0)
        }
    }
}

/// A detection with its torso colour, as the association sees it.
#[derive(Debug, Clone, Copy)]
struct Candidate<'a>(&'a Detection, Option<Lab>);

impl ByteTracker {
    pub fn new(settings: TrackerSettings) -> Self {
        Self {
            settings,
            tracks: Vec::new(),
            next_id: 1,
            frames: 0,
            team_colours: None,
        }
    }

    /// Splits the colours of the established skater tracks into the two teams'.
    fn split_teams(&mut self) {
        let samples: Vec<(Lab, f64)> = self
            .tracks
            .iter()
            .filter(|t| t.class == ObjectClass::Player && t.phase != Phase::Tentative)
            .filter(|t| t.colour_samples >= SETTLED_SAMPLES)
            .filter_map(|t| t.colour.map(|c| (c, 1.0)))
            .collect();
        if let Some(centres) = split_colours(&samples, self.team_colours) {
            self.team_colours = Some(centres);
        }
    }

    /// The tracks lost and kept for re-activation: id, predicted box and frames since seen.
    pub fn lost_tracks(&self) -> impl Iterator<Item = (u64, PixelBox, u32)> + '_ {
        self.tracks
            .iter()
            .filter(|t| t.phase == Phase::Lost)
            .map(|t| (t.id, t.bbox(), t.lost_frames))
    }

    /// Feeds one frame's detections (pucks are ignored: the puck has its own tracker) and
    /// returns the objects tracked in this frame.
    pub fn update(&mut self, detections: &[Detection]) -> Vec<TrackedObject> {
        self.update_with_colours(detections, &[])
    }

    /// Like [`ByteTracker::update`], with each detection's torso colour (sRGB, same order as
    /// `detections`, `None` where unknown; an empty slice for none at all): a track is never
    /// continued by a detection of a clearly different colour.
    pub fn update_with_colours(
        &mut self,
        detections: &[Detection],
        colours: &[Option<[u8; 3]>],
    ) -> Vec<TrackedObject> {
        self.frames += 1;
        for track in &mut self.tracks {
            track.predict(&self.settings);
        }
        let s = self.settings;
        if self.frames.is_multiple_of(RECLUSTER_EVERY) {
            self.split_teams();
        }
        let evidence = ColourEvidence {
            max_difference: s.max_colour_difference,
            teams: self.team_colours,
        };
        let usable: Vec<Candidate<'_>> = detections
            .iter()
            .enumerate()
            .filter(|(_, d)| d.class != ObjectClass::Puck && d.score >= s.low_score)
            .map(|(i, d)| Candidate(d, colours.get(i).copied().flatten().map(srgb_to_lab)))
            .collect();
        let (high, low): (Vec<Candidate<'_>>, Vec<Candidate<'_>>) =
            usable.into_iter().partition(|c| c.0.score >= s.high_score);
        let mut track_used = vec![false; self.tracks.len()];
        let mut high_used = vec![false; high.len()];
        let mut matched: Vec<(usize, Candidate<'_>)> = Vec::new();

        // Stage 1: confident detections against established tracks, tracked or lost.
        let established: Vec<usize> = (0..self.tracks.len())
            .filter(|&i| self.tracks[i].phase != Phase::Tentative)
            .collect();
        let pool: Vec<&Track> = established.iter().map(|&i| &self.tracks[i]).collect();
        for (t, d) in associate(&pool, &high, s.first_iou, &s, &evidence) {
            track_used[established[t]] = true;
            high_used[d] = true;
            matched.push((established[t], high[d]));
        }
        // Stage 1b: lost tracks against the confident detections left, by centre distance.
        let lost: Vec<usize> = established
            .iter()
            .copied()
            .filter(|&i| !track_used[i] && self.tracks[i].phase == Phase::Lost)
            .collect();
        let left: Vec<usize> = (0..high.len()).filter(|&d| !high_used[d]).collect();
        let pool: Vec<&Track> = lost.iter().map(|&i| &self.tracks[i]).collect();
        let left_dets: Vec<Candidate<'_>> = left.iter().map(|&d| high[d]).collect();
        for (t, d) in reactivate(&pool, &left_dets, &s, &evidence) {
            track_used[lost[t]] = true;
            high_used[left[d]] = true;
            matched.push((lost[t], high[left[d]]));
        }
        // Stage 2: still-tracked tracks against low-score detections.
        let waiting: Vec<usize> = established
            .iter()
            .copied()
            .filter(|&i| !track_used[i] && self.tracks[i].phase == Phase::Tracked)
            .collect();
        let pool: Vec<&Track> = waiting.iter().map(|&i| &self.tracks[i]).collect();
        for (t, d) in associate(&pool, &low, s.second_iou, &s, &evidence) {
            track_used[waiting[t]] = true;
            matched.push((waiting[t], low[d]));
        }
        // Stage 3: tentative tracks against the confident detections left over.
        let tentative: Vec<usize> = (0..self.tracks.len())
            .filter(|&i| self.tracks[i].phase == Phase::Tentative)
            .collect();
        let left: Vec<usize> = (0..high.len()).filter(|&d| !high_used[d]).collect();
        let pool: Vec<&Track> = tentative.iter().map(|&i| &self.tracks[i]).collect();
        let left_dets: Vec<Candidate<'_>> = left.iter().map(|&d| high[d]).collect();
        for (t, d) in associate(&pool, &left_dets, s.first_iou, &s, &evidence) {
            track_used[tentative[t]] = true;
            high_used[left[d]] = true;
            matched.push((tentative[t], high[left[d]]));
        }

        for (index, Candidate(detection, colour)) in &matched {
            let track = &mut self.tracks[*index];
            track.update(detection, &s);
            track.blend_colour(*colour);
            track.phase = Phase::Tracked;
        }
        let max_lost = s.max_lost_frames;
        for (index, track) in self.tracks.iter_mut().enumerate() {
            if !track_used[index] {
                track.lost_frames += 1;
                track.phase = match track.phase {
                    // A tentative track seen only once is dropped.
                    Phase::Tentative => Phase::Tentative,
                    _ => Phase::Lost,
                };
            }
        }
        self.tracks.retain(|t| {
            !(t.phase == Phase::Tentative && t.lost_frames > 0) && t.lost_frames <= max_lost
        });

        // New tracks from unmatched confident detections (confirmed at once on the first frame).
        let first_frame = self.frames == 1;
        for (d, Candidate(detection, colour)) in high.iter().enumerate() {
            if !high_used[d] && detection.score >= s.new_track_score {
                let phase = if first_frame {
                    Phase::Tracked
                } else {
                    Phase::Tentative
                };
                let mut track = Track::new(self.next_id, detection, phase);
                track.blend_colour(*colour);
                self.tracks.push(track);
                self.next_id += 1;
            }
        }
        self.tracks
            .iter()
            .filter(|t| t.phase == Phase::Tracked && t.lost_frames == 0)
            .map(|t| TrackedObject {
                track_id: t.id,
                class: t.class,
                bbox: t.bbox(),
                score: t.score,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(x: f32, y: f32, score: f32) -> Detection {
        Detection {
            class: ObjectClass::Player,
            score,
            bbox: PixelBox {
                x0: x,
                y0: y,
                x1: x + 10.0,
                y1: y + 25.0,
            },
        }
    }

    fn ids(objects: &[TrackedObject]) -> Vec<u64> {
        let mut ids: Vec<u64> = objects.iter().map(|o| o.track_id).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_player_no_longer_detected_is_reported_lost_until_dropped() {
        let settings = TrackerSettings {
            max_lost_frames: 3,
            ..TrackerSettings::default()
        };
        let mut tracker = ByteTracker::new(settings);
        tracker.update(&[player(0.0, 0.0, 0.9), player(100.0, 0.0, 0.9)]);
        assert_eq!(tracker.lost_tracks().count(), 0);
        for lost in 1..=3 {
            tracker.update(&[player(100.0, 0.0, 0.9)]);
            let reported: Vec<(u64, u32)> =
                tracker.lost_tracks().map(|(id, _, n)| (id, n)).collect();
            assert_eq!(reported, vec![(1, lost)]);
        }
        tracker.update(&[player(100.0, 0.0, 0.9)]);
        assert_eq!(tracker.lost_tracks().count(), 0);
    }

    #[test]
    fn moving_players_keep_their_ids() {
        let mut tracker = ByteTracker::new(TrackerSettings::default());
        let first = tracker.update(&[player(0.0, 0.0, 0.9), player(100.0, 0.0, 0.9)]);
        assert_eq!(ids(&first), vec![1, 2]);
        for frame in 1..60 {
            let x = frame as f32 * 2.0;
            let out = tracker.update(&[player(x, 0.0, 0.9), player(100.0 - x * 0.5, 5.0, 0.9)]);
            assert_eq!(ids(&out), vec![1, 2], "frame {frame}");
            let one = out.iter().find(|o| o.track_id == 1).unwrap();
            assert!((one.bbox.x0 - x).abs() < 2.0, "frame {frame}: {one:?}");
        }
    }

    /// Two skaters of one team cross: the one farther from the camera (standing higher in the
    /// picture) skates on behind the other, hidden by him for 8 frames, while the nearer one
    /// stops where they meet. Returns, per frame after the back one shows again, whether each
    /// track is still on its own skater.
    fn crossing_at_two_depths(settings: TrackerSettings) -> Vec<bool> {
        let mut tracker = ByteTracker::new(settings);
        let back = |f: u32| player(f as f32 * 3.0, 0.0, 0.9);
        let front = |f: u32| player(30.0 - f.min(5) as f32 * 3.0, 6.0, 0.9);
        let mut kept = Vec::new();
        for f in 0..30 {
            let hidden = (3..11).contains(&f);
            let detections: Vec<Detection> = if hidden {
                vec![front(f)]
            } else {
                vec![back(f), front(f)]
            };
            let out = tracker.update(&detections);
            if f >= 13 {
                let on = |id: u64, expected: Detection| {
                    out.iter()
                        .any(|o| o.track_id == id && (o.bbox.y1 - expected.bbox.y1).abs() < 2.0)
                };
                kept.push(on(1, back(f)) && on(2, front(f)));
            }
        }
        kept
    }

    #[test]
    fn skaters_crossing_at_different_depths_keep_their_ids() {
        assert!(
            crossing_at_two_depths(TrackerSettings::default())
                .iter()
                .all(|&k| k)
        );
        // By overlap alone the stopped skater's box, which the hidden one's track coasts onto,
        // goes to that track, and the two ids are swapped from then on.
        for first_iou in [0.1, 0.2] {
            let overlap_only = TrackerSettings {
                depth_weight: 0.0,
                first_iou,
                ..TrackerSettings::default()
            };
            assert!(!crossing_at_two_depths(overlap_only).iter().all(|&k| k));
        }
    }

    #[test]
    fn a_hidden_player_comes_back_with_the_same_id() {
        let mut tracker = ByteTracker::new(TrackerSettings::default());
        for frame in 0..20 {
            tracker.update(&[player(frame as f32 * 2.0, 0.0, 0.9)]);
        }
        for _ in 20..30 {
            assert!(tracker.update(&[]).is_empty());
        }
        // Back where constant velocity predicts it.
        let out = tracker.update(&[player(60.0, 0.0, 0.9)]);
        assert_eq!(ids(&out), vec![1]);
    }

    #[test]
    fn a_player_who_stopped_while_hidden_comes_back_with_the_same_id() {
        let mut tracker = ByteTracker::new(TrackerSettings::default());
        for frame in 0..20 {
            tracker.update(&[player(frame as f32 * 2.0, 0.0, 0.9)]);
        }
        for _ in 20..30 {
            assert!(tracker.update(&[]).is_empty());
        }
        // Back a little past where it was lost, far short of where its speed would have
        // carried it (no overlap with the prediction).
        let out = tracker.update(&[player(44.0, 0.0, 0.9)]);
        assert_eq!(ids(&out), vec![1]);
        // Someone far from it is someone else.
        let mut tracker = ByteTracker::new(TrackerSettings::default());
        tracker.update(&[player(0.0, 0.0, 0.9)]);
        tracker.update(&[]);
        tracker.update(&[player(200.0, 0.0, 0.9)]);
        assert_eq!(ids(&tracker.update(&[player(200.0, 0.0, 0.9)])), vec![2]);
    }

    #[test]
    fn low_scores_extend_tracks_but_do_not_start_them() {
        let mut tracker = ByteTracker::new(TrackerSettings::default());
        tracker.update(&[player(0.0, 0.0, 0.9)]);
        let out = tracker.update(&[player(1.0, 0.0, 0.2), player(300.0, 0.0, 0.3)]);
        assert_eq!(ids(&out), vec![1]);
        assert_eq!(out[0].score, 0.2);
    }

    #[test]
    fn a_single_false_detection_never_becomes_a_track() {
        let mut tracker = ByteTracker::new(TrackerSettings::default());
        tracker.update(&[]);
        assert!(tracker.update(&[player(50.0, 50.0, 0.9)]).is_empty());
        assert!(tracker.update(&[]).is_empty());
        // Seen twice in a row, it is confirmed.
        tracker.update(&[player(200.0, 0.0, 0.9)]);
        assert_eq!(tracker.update(&[player(201.0, 0.0, 0.9)]).len(), 1);
    }

    #[test]
    fn classes_are_never_swapped() {
        let mut tracker = ByteTracker::new(TrackerSettings::default());
        let referee = |x: f32| Detection {
            class: ObjectClass::Referee,
            ..player(x, 0.0, 0.9)
        };
        tracker.update(&[player(0.0, 0.0, 0.9), referee(4.0)]);
        for frame in 1..10 {
            let out = tracker.update(&[
                player(frame as f32, 0.0, 0.9),
                referee(4.0 - frame as f32 * 0.5),
            ]);
            for object in out {
                let expected = if object.track_id == 1 {
                    ObjectClass::Player
                } else {
                    ObjectClass::Referee
                };
                assert_eq!(object.class, expected);
            }
        }
    }

    /// Two skaters, of the two colours given (or of no known colour), stand 40 px apart for
    /// `standing_frames`, then skate at each other, meet at x = 20 and both turn back.
    /// Whether each kept his id from the first frame to the last.
    fn meet_and_turn_back(
        settings: TrackerSettings,
        colours: Option<[[u8; 3]; 2]>,
        standing_frames: u32,
    ) -> bool {
        let mut tracker = ByteTracker::new(settings);
        let colours: Vec<Option<[u8; 3]>> = colours.map_or(Vec::new(), |c| c.map(Some).to_vec());
        let (mut start, mut end) = ((0, 0), (0, 0));
        let last = standing_frames + 20;
        for f in 0..=last {
            let step = f.saturating_sub(standing_frames);
            let t = if step <= 10 { step } else { 20 - step } as f32;
            let (x_first, x_second) = (2.0 * t, 40.0 - 2.0 * t);
            let dets = vec![player(x_first, 0.0, 0.9), player(x_second, 0.0, 0.9)];
            let out = tracker.update_with_colours(&dets, &colours);
            let id_near = |x: f32| {
                out.iter()
                    .min_by(|a, b| (a.bbox.x0 - x).abs().total_cmp(&(b.bbox.x0 - x).abs()))
                    .map_or(0, |o| o.track_id)
            };
            if f == 0 {
                start = (id_near(0.0), id_near(40.0));
            }
            if f == last {
                end = (id_near(0.0), id_near(40.0));
            }
        }
        start == end
    }

    #[test]
    fn players_of_different_colours_keep_their_ids_when_they_meet() {
        // Motion alone hands each track the other player; colours this different bar it.
        let (red, blue) = ([200, 16, 46], [0, 83, 155]);
        let settings = TrackerSettings::default();
        assert!(meet_and_turn_back(settings, Some([red, blue]), 0));
        assert!(
            !meet_and_turn_back(settings, None, 0),
            "the scenario does swap on motion alone"
        );
    }

    #[test]
    fn players_of_two_teams_with_close_colours_keep_their_ids_when_they_meet() {
        // Two teams 30 ΔE*ab apart, within what a torso's colour varies by (the bar lets the
        // swap through); once the tracks have split into the two teams, the team cost does not.
        let (reddish, bluish) = ([150, 105, 105], [110, 110, 150]);
        assert!(delta_e(srgb_to_lab(reddish), srgb_to_lab(bluish)) < 35.0);
        let settings = TrackerSettings::default();
        assert!(meet_and_turn_back(settings, Some([reddish, bluish]), 30));
        let no_team_cost = TrackerSettings {
            team_weight: 0.0,
            ..settings
        };
        assert!(
            !meet_and_turn_back(no_team_cost, Some([reddish, bluish]), 30),
            "without the team cost the colours let the tracks swap"
        );
    }
}
