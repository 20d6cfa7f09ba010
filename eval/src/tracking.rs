//! Scores the perception pipeline's output against a rendered game's truth, frame by frame:
//! skater tracking (MOTA, IDF1 over boxes, IoU ≥ 0.5), the puck on the rink (within 2 ft of the
//! truth where the puck is visible) and team assignment (of skaters matched to a true skater).
//!
//! Skaters hidden for the most part (visibility below `min_visibility`) are neither required
//! nor held against the tracker: a track on one is set aside, as MOTChallenge does with its
//! ignored boxes.

use benchsight_core::assignment::min_cost_assignment;
use benchsight_core::detection::{Detection, ObjectClass};
use benchsight_core::mot::{MotAccumulator, MotObject, MotSummary};
use benchsight_core::rink_state::RinkState;
use benchsight_core::tracking::TrackedObject;
use benchsight_sim::truth::{FrameTruth, ObjectLabel};
use serde::Serialize;

/// What counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoringRules {
    /// Overlap at which a track is on a true skater.
    pub min_iou: f32,
    /// Visibility from which a skater or the puck must be found.
    pub min_visibility: f32,
    /// Distance on the ice within which the puck is found.
    pub puck_radius_ft: f64,
}

impl Default for ScoringRules {
    fn default() -> Self {
        Self {
            min_iou: 0.5,
            min_visibility: 0.5,
            puck_radius_ft: 2.0,
        }
    }
}

/// The figures of one or more games.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrackingReport {
    pub skaters: MotSummary,
    /// Frames where the puck is visible.
    pub puck_visible_frames: u64,
    /// Of those, frames with a puck estimate within the radius.
    pub puck_found_frames: u64,
    pub puck_within_radius: f64,
    /// Skater-frames matched to a track.
    pub team_frames: u64,
    /// Of those, frames where the track's team is the skater's.
    pub team_correct_frames: u64,
    pub team_accuracy: f64,
}

/// How the puck was found, frame by frame where it is visible: in all, and by how the tracker
/// knew where it was (seen, predicted, held, no estimate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PuckScore {
    pub visible: u64,
    pub found: u64,
    /// (visible frames, found frames) by the estimate's status: seen, predicted, held, none.
    pub by_status: [(u64, u64); 4],
}

impl PuckScore {
    /// Adds one frame: the true puck (rink feet, visibility) and the estimate on the rink.
    pub fn add(
        &mut self,
        rules: &ScoringRules,
        truth: Option<(f64, f64, f32)>,
        estimate: Option<&benchsight_core::rink_state::RinkPuck>,
    ) {
        use benchsight_core::puck_tracking::PuckStatus;
        let Some((x, y, visibility)) = truth else {
            return;
        };
        if visibility < rules.min_visibility {
            return;
        }
        let found = estimate.is_some_and(|e| {
            (e.position.x_ft() - x).hypot(e.position.y_ft() - y) <= rules.puck_radius_ft
        });
        let status = match estimate.map(|e| e.status) {
            Some(PuckStatus::Seen) => 0,
            Some(PuckStatus::Predicted) => 1,
            Some(PuckStatus::Held { .. }) => 2,
            None => 3,
        };
        self.visible += 1;
        self.found += u64::from(found);
        self.by_status[status].0 += 1;
        self.by_status[status].1 += u64::from(found);
    }

    /// Found frames over visible frames.
    pub fn ratio(&self) -> f64 {
        ratio(self.found, self.visible)
    }

    /// Several games taken together.
    pub fn merge(games: &[PuckScore]) -> Self {
        games.iter().fold(Self::default(), |mut all, g| {
            all.visible += g.visible;
            all.found += g.found;
            for (a, b) in all.by_status.iter_mut().zip(g.by_status) {
                a.0 += b.0;
                a.1 += b.1;
            }
            all
        })
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b > 0 { a as f64 / b as f64 } else { 0.0 }
}

/// Accumulates the score of a game.
#[derive(Debug, Clone)]
pub struct TrackingScorer {
    rules: ScoringRules,
    mot: MotAccumulator,
    puck: PuckScore,
    team_frames: u64,
    team_correct: u64,
}

fn as_mot(id: u64, bbox: benchsight_core::detection::PixelBox) -> MotObject {
    MotObject { id, bbox }
}

impl TrackingScorer {
    pub fn new(rules: ScoringRules) -> Self {
        Self {
            rules,
            mot: MotAccumulator::new(rules.min_iou),
            puck: PuckScore::default(),
            team_frames: 0,
            team_correct: 0,
        }
    }

    /// Adds one frame: its truth, the tracker's objects and the rink state built from them.
    pub fn add_frame(&mut self, truth: &FrameTruth, tracks: &[TrackedObject], rink: &RinkState) {
        let rules = self.rules;
        let skaters: Vec<&ObjectLabel> = truth
            .objects
            .iter()
            .filter(|o| o.class == ObjectClass::Player)
            .collect();
        let hypotheses: Vec<&TrackedObject> = tracks
            .iter()
            .filter(|t| t.class == ObjectClass::Player)
            .collect();
        // One matching of every true skater, hidden or not, to the tracks: tracks on hidden
        // skaters are set aside, the rest is scored.
        let pairs = min_cost_assignment(skaters.len(), hypotheses.len(), |s, h| {
            let iou = skaters[s].bbox.iou(&hypotheses[h].bbox);
            (iou >= rules.min_iou).then_some(((1.0 - iou) * 1e6) as i64)
        });
        let mut set_aside = vec![false; hypotheses.len()];
        for &(s, h) in &pairs {
            if skaters[s].visibility < rules.min_visibility {
                set_aside[h] = true;
            }
        }
        let scored_truth: Vec<MotObject> = skaters
            .iter()
            .filter(|o| o.visibility >= rules.min_visibility)
            .map(|o| as_mot(u64::from(o.track_id), o.bbox))
            .collect();
        let scored_hypotheses: Vec<MotObject> = hypotheses
            .iter()
            .zip(&set_aside)
            .filter(|(_, aside)| !**aside)
            .map(|(t, _)| as_mot(t.track_id, t.bbox))
            .collect();
        self.mot.add_frame(&scored_truth, &scored_hypotheses);

        for &(s, h) in &pairs {
            let (skater, track) = (skaters[s], hypotheses[h]);
            let Some(true_team) = skater.team else {
                continue;
            };
            if skater.visibility < rules.min_visibility {
                continue;
            }
            self.team_frames += 1;
            let team = rink
                .tracks
                .iter()
                .find(|t| t.track_id == track.track_id)
                .and_then(|t| t.team);
            if team == Some(true_team) {
                self.team_correct += 1;
            }
        }

        self.puck.add(&rules, true_puck(truth), rink.puck.as_ref());
    }

    /// The figures of the game so far.
    pub fn report(&self) -> TrackingReport {
        TrackingReport::from_counts(
            self.mot.summary(),
            (self.puck.visible, self.puck.found),
            (self.team_frames, self.team_correct),
        )
    }
}

impl TrackingReport {
    fn from_counts(
        skaters: MotSummary,
        (visible, found): (u64, u64),
        (teams, correct): (u64, u64),
    ) -> Self {
        Self {
            skaters,
            puck_visible_frames: visible,
            puck_found_frames: found,
            puck_within_radius: ratio(found, visible),
            team_frames: teams,
            team_correct_frames: correct,
            team_accuracy: ratio(correct, teams),
        }
    }

    /// Several games taken together.
    pub fn merge(games: &[TrackingReport]) -> Self {
        let skaters: Vec<MotSummary> = games.iter().map(|g| g.skaters).collect();
        let sum = |f: fn(&TrackingReport) -> u64| games.iter().map(f).sum::<u64>();
        Self::from_counts(
            MotSummary::merge(&skaters),
            (sum(|g| g.puck_visible_frames), sum(|g| g.puck_found_frames)),
            (sum(|g| g.team_frames), sum(|g| g.team_correct_frames)),
        )
    }
}

/// Per-frame record of what the puck tracker was given and where the puck truly was, written
/// as JSON lines so tracker designs can be compared offline on the same network output (`repuck`):
/// a first line with the game's homography (`PuckDumpHeader`), then one `PuckDumpFrame` a frame.
#[derive(Debug)]
pub struct PuckDump {
    homography: benchsight_core::homography::Homography,
    out: std::io::BufWriter<std::fs::File>,
}

/// The first line of a puck dump.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PuckDumpHeader {
    pub homography: benchsight_core::homography::Homography,
}

/// A tracked person as dumped: track id, box, rink position of the feet.
pub type DumpedPerson = (u64, [f32; 4], Option<(f64, f64)>);

/// One frame of a puck dump.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PuckDumpFrame {
    pub frame: u64,
    pub pts_ms: u64,
    /// The puck's true rink position and visibility.
    pub truth: Option<(f64, f64, f32)>,
    /// Candidates: image x, y, score, rink x, y.
    pub candidates: Vec<(f32, f32, f32, f64, f64)>,
    /// People: track id, box, rink position of the feet.
    pub people: Vec<DumpedPerson>,
    /// The pipeline's own estimate on the rink.
    pub estimate: Option<(f64, f64)>,
}

impl PuckDump {
    /// Creates the dump file `path` for one game.
    pub fn create(
        path: &std::path::Path,
        game: &crate::games::RenderedGame,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let homography = benchsight_edge::calibration::load_homography(&game.calibration)?;
        let mut out = std::io::BufWriter::new(file);
        serde_json::to_writer(
            &mut out,
            &PuckDumpHeader {
                homography: homography.clone(),
            },
        )?;
        std::io::Write::write_all(&mut out, b"\n")?;
        Ok(Self { homography, out })
    }

    /// Writes out what is still buffered (an error here is a dump cut short).
    pub fn finish(mut self) -> anyhow::Result<()> {
        use anyhow::Context;
        std::io::Write::flush(&mut self.out).context("writing the puck dump")
    }

    /// Adds one frame.
    pub fn add_frame(
        &mut self,
        truth: &FrameTruth,
        perceived: &benchsight_edge::perception::Perceived,
    ) -> std::io::Result<()> {
        use benchsight_core::homography::ImagePoint;
        let to_rink = |x: f32, y: f32| {
            self.homography
                .image_to_rink(ImagePoint {
                    x_px: f64::from(x),
                    y_px: f64::from(y),
                })
                .map(|p| (p.x_ft, p.y_ft))
        };
        let record = PuckDumpFrame {
            frame: truth.frame,
            pts_ms: truth.media_time_ms,
            truth: true_puck(truth),
            candidates: perceived
                .puck_candidates
                .iter()
                .filter_map(|c| to_rink(c.x, c.y).map(|(x, y)| (c.x, c.y, c.score, x, y)))
                .collect(),
            people: perceived
                .tracks
                .iter()
                .filter(|t| t.class != ObjectClass::Net)
                .map(|t| {
                    let (x, y) = t.bbox.bottom_centre();
                    (
                        t.track_id,
                        [t.bbox.x0, t.bbox.y0, t.bbox.x1, t.bbox.y1],
                        to_rink(x, y),
                    )
                })
                .collect(),
            estimate: perceived
                .rink
                .puck
                .as_ref()
                .map(|p| (p.position.x_ft(), p.position.y_ft())),
        };
        serde_json::to_writer(&mut self.out, &record)?;
        std::io::Write::write_all(&mut self.out, b"\n")
    }
}

/// One frame of the people tracker's input beside the skaters it is scored on: written by
/// `tracking --dump-tracker` (JSON lines, one file per game) and replayed by `retrack`, so tracker
/// designs are compared offline on the same network output.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TrackerFrame {
    /// The frame's truth, skaters only.
    pub truth: FrameTruth,
    pub input: benchsight_edge::perception::TrackerInput,
}

impl TrackerFrame {
    pub fn new(truth: &FrameTruth, input: &benchsight_edge::perception::TrackerInput) -> Self {
        let mut truth = truth.clone();
        truth.objects.retain(|o| o.class == ObjectClass::Player);
        Self {
            truth,
            input: input.clone(),
        }
    }
}

/// The people tracker with `settings` run again over a dumped game's frames, scored as
/// `tracking` scores it (skaters; no teams or puck); with `true_boxes`, fed the true boxes of
/// the skaters at least that visible instead of the detections (the association's own ceiling,
/// the detector's mistakes taken away).
pub fn retrack(
    frames: &[TrackerFrame],
    settings: benchsight_core::tracking::TrackerSettings,
    true_boxes: Option<f32>,
) -> MotSummary {
    use benchsight_core::domain::MediaTimeMs;
    use benchsight_core::tracking::ByteTracker;
    let mut tracker = ByteTracker::new(settings);
    let mut scorer = TrackingScorer::new(ScoringRules::default());
    for frame in frames {
        let tracks = match true_boxes {
            Some(min_visibility) => tracker.update(&true_boxes_of(&frame.truth, min_visibility)),
            None => tracker.update_with_colours(&frame.input.detections, &frame.input.colours),
        };
        let rink = RinkState {
            frame: frame.truth.frame,
            media_time_ms: MediaTimeMs(frame.truth.media_time_ms),
            tracks: Vec::new(),
            puck: None,
        };
        scorer.add_frame(&frame.truth, &tracks, &rink);
    }
    scorer.report().skaters
}

/// The puck of a frame's truth: rink feet and visibility.
fn true_puck(truth: &FrameTruth) -> Option<(f64, f64, f32)> {
    truth
        .objects
        .iter()
        .find(|o| o.class == ObjectClass::Puck)
        .map(|o| (o.x_ft, o.y_ft, o.visibility))
}

/// The puck tracker with `settings` run again over a game's dumped frames (`tracking
/// --dump-puck`): each frame's puck on the rink, as the pipeline would have reported it.
pub fn replay_puck(
    header: &PuckDumpHeader,
    frames: &[PuckDumpFrame],
    settings: benchsight_core::puck_tracking::PuckTrackerSettings,
) -> std::collections::BTreeMap<u64, Option<benchsight_core::rink_state::RinkPuck>> {
    use benchsight_core::detection::PixelBox;
    use benchsight_core::domain::MediaTimeMs;
    use benchsight_core::homography::PlanePoint;
    use benchsight_core::puck_tracking::{PuckObservation, PuckTracker, SettledPuck};
    use benchsight_core::rink_state::rink_state;
    use benchsight_core::teams::TeamClassifier;
    use std::collections::{BTreeMap, HashMap};

    let by_frame: HashMap<u64, &PuckDumpFrame> = frames.iter().map(|f| (f.frame, f)).collect();
    let no_teams = TeamClassifier::new(None, None);
    let mut pucks = BTreeMap::new();
    let mut keep = |settled: Vec<SettledPuck>| {
        for (frame, estimate) in settled {
            let Some(dumped) = by_frame.get(&frame) else {
                continue;
            };
            let rink = rink_state(
                frame,
                MediaTimeMs(dumped.pts_ms),
                &[],
                estimate.as_ref(),
                &header.homography,
                &no_teams,
            );
            pucks.insert(frame, rink.puck);
        }
    };
    let mut tracker = PuckTracker::new(settings);
    for f in frames {
        let candidates: Vec<PuckObservation> = f
            .candidates
            .iter()
            .map(|&(x, y, score, x_ft, y_ft)| PuckObservation {
                x,
                y,
                rink: PlanePoint { x_ft, y_ft },
                score,
            })
            .collect();
        let people: Vec<TrackedObject> = f
            .people
            .iter()
            .map(|&(track_id, [x0, y0, x1, y1], _)| TrackedObject {
                track_id,
                class: ObjectClass::Player,
                bbox: PixelBox { x0, y0, x1, y1 },
                score: 1.0,
            })
            .collect();
        keep(tracker.update(f.frame, &candidates, &people));
    }
    keep(tracker.finish());
    pucks
}

/// The puck tracker with `settings` run again over a game's dumped frames, scored as
/// `tracking` scores the puck; also the pipeline's own estimates as dumped, scored the same
/// way (the replay with the shipped settings must match them).
pub fn repuck(
    header: &PuckDumpHeader,
    frames: &[PuckDumpFrame],
    settings: benchsight_core::puck_tracking::PuckTrackerSettings,
) -> (PuckScore, PuckScore) {
    let rules = ScoringRules::default();
    let pucks = replay_puck(header, frames, settings);
    let mut replayed = PuckScore::default();
    for f in frames {
        if let Some(puck) = pucks.get(&f.frame) {
            replayed.add(&rules, f.truth, puck.as_ref());
        }
    }
    let mut pipeline = PuckScore::default();
    for f in frames {
        let estimate = f.estimate.and_then(|(x, y)| {
            Some(benchsight_core::rink_state::RinkPuck {
                position: benchsight_core::rink::RinkPoint::clamped(x, y)?,
                status: benchsight_core::puck_tracking::PuckStatus::Seen,
                unseen_frames: 0,
            })
        });
        pipeline.add(&rules, f.truth, estimate.as_ref());
    }
    (replayed, pipeline)
}

/// The true skaters of a frame at least `min_visibility` visible, as confident detections.
fn true_boxes_of(truth: &FrameTruth, min_visibility: f32) -> Vec<Detection> {
    truth
        .objects
        .iter()
        .filter(|o| o.visibility >= min_visibility)
        .map(|o| Detection {
            class: o.class,
            score: 1.0,
            bbox: o.bbox,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use benchsight_core::detection::PixelBox;
    use benchsight_core::domain::{MediaTimeMs, Team};
    use benchsight_core::puck_tracking::PuckStatus;
    use benchsight_core::rink::RinkPoint;
    use benchsight_core::rink_state::{RinkPuck, RinkTrack};

    use super::*;

    fn boxed(x: f32) -> PixelBox {
        PixelBox {
            x0: x,
            y0: 100.0,
            x1: x + 20.0,
            y1: 160.0,
        }
    }

    fn label(
        class: ObjectClass,
        id: u32,
        x: f32,
        visibility: f32,
        team: Option<Team>,
    ) -> ObjectLabel {
        ObjectLabel {
            class,
            track_id: id,
            team,
            number: None,
            bbox: boxed(x),
            visibility,
            x_ft: f64::from(x) / 10.0,
            y_ft: 0.0,
            height_ft: 0.0,
        }
    }

    fn track(id: u64, x: f32) -> TrackedObject {
        TrackedObject {
            track_id: id,
            class: ObjectClass::Player,
            bbox: boxed(x),
            score: 0.9,
        }
    }

    #[test]
    fn hidden_skaters_are_set_aside_and_teams_and_puck_are_counted() {
        let truth = FrameTruth {
            frame: 0,
            media_time_ms: 0,
            period: 1,
            clock_ms: 0,
            play_on: true,
            objects: vec![
                label(ObjectClass::Player, 1, 0.0, 1.0, Some(Team::Home)),
                label(ObjectClass::Player, 2, 100.0, 0.2, Some(Team::Away)),
                label(ObjectClass::Player, 3, 200.0, 0.9, Some(Team::Away)),
                label(ObjectClass::Puck, 0, 300.0, 1.0, None),
            ],
        };
        // Tracks on skater 1 (right team), on hidden skater 2 (set aside), on skater 3 (wrong
        // team) and one on nobody (a false positive).
        let tracks = [
            track(10, 1.0),
            track(20, 101.0),
            track(30, 199.0),
            track(40, 400.0),
        ];
        let rink_track = |id: u64, team: Team| RinkTrack {
            track_id: id,
            class: ObjectClass::Player,
            team: Some(team),
            position: RinkPoint::clamped(0.0, 0.0).unwrap(),
            score: 0.9,
        };
        let rink = RinkState {
            frame: 0,
            media_time_ms: MediaTimeMs(0),
            tracks: vec![rink_track(10, Team::Home), rink_track(30, Team::Home)],
            puck: Some(RinkPuck {
                position: RinkPoint::clamped(31.5, 0.0).unwrap(),
                status: PuckStatus::Seen,
                unseen_frames: 0,
            }),
        };
        let mut scorer = TrackingScorer::new(ScoringRules::default());
        scorer.add_frame(&truth, &tracks, &rink);
        let report = scorer.report();
        let s = report.skaters;
        assert_eq!(
            (s.truth_objects, s.hypotheses, s.matches, s.false_positives),
            (2, 3, 2, 1)
        );
        assert_eq!((report.team_frames, report.team_correct_frames), (2, 1));
        assert_eq!(
            (report.puck_visible_frames, report.puck_found_frames),
            (1, 1)
        );

        let merged = TrackingReport::merge(&[report, report]);
        assert_eq!(merged.skaters.truth_objects, 4);
        assert!((merged.team_accuracy - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_replayed_puck_is_scored_by_how_it_was_known_beside_the_dumped_estimates() {
        // 5 px of image a foot, centre ice at (640, 360).
        let header = PuckDumpHeader {
            homography: benchsight_core::homography::Homography::from_rink_to_image_rows([
                [5.0, 0.0, 640.0],
                [0.0, 5.0, 360.0],
                [0.0, 0.0, 1.0],
            ])
            .unwrap(),
        };
        // A puck sliding at 1 ft a frame, seen for 40 frames; the dumped estimate is right for
        // the first 30 frames only. It is hidden (visibility 0) for the last 10: not counted.
        let frames: Vec<PuckDumpFrame> = (0..50u32)
            .map(|i| {
                let x_ft = -20.0 + f64::from(i);
                let seen = i < 40;
                PuckDumpFrame {
                    frame: u64::from(i),
                    pts_ms: u64::from(i) * 33,
                    truth: Some((x_ft, 0.0, if seen { 1.0 } else { 0.0 })),
                    candidates: if seen {
                        vec![(640.0 + 5.0 * x_ft as f32, 360.0, 0.9, x_ft, 0.0)]
                    } else {
                        Vec::new()
                    },
                    people: Vec::new(),
                    estimate: (i < 30).then_some((x_ft, 0.0)),
                }
            })
            .collect();
        let (replayed, dumped) = repuck(&header, &frames, Default::default());
        assert_eq!((dumped.visible, dumped.found), (40, 30));
        assert_eq!(replayed.visible, 40);
        let (seen_visible, seen_found) = replayed.by_status[0];
        assert!(seen_visible >= 30, "{replayed:?}");
        assert_eq!(seen_found, seen_visible, "{replayed:?}");
        assert_eq!(
            replayed.by_status.iter().map(|s| s.0).sum::<u64>(),
            replayed.visible
        );
        let both = PuckScore::merge(&[replayed, dumped]);
        assert_eq!((both.visible, both.found), (80, replayed.found + 30));
    }
}
