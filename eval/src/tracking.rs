//! Scores the perception pipeline's output against a rendered game's truth, frame by frame:
//! skater tracking (MOTA, IDF1 over boxes, IoU ≥ 0.5), the puck on the rink (within 2 ft of the
//! truth where the puck is visible) and team assignment (of skaters matched to a true skater).
//!
//! Skaters hidden for the most part (visibility below `min_visibility`) are neither required
//! nor held against the tracker: a track on one is set aside, as MOTChallenge does with its
//! ignored boxes.

use benchsight_core::assignment::min_cost_assignment;
use benchsight_core::detection::{Detection, ObjectClass, PixelBox};
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

/// Perfect parts `retrack` may put in place of a dumped frame's own tracker input, to measure
/// how far each would take the tracker.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Substitutes {
    /// The true boxes of the skaters at least this visible instead of the detections (the
    /// association's own ceiling, the detector's mistakes taken away).
    pub true_boxes: Option<f32>,
    /// Each skater's colour replaced by one standing for its true team (for a detection: the
    /// team of the true skater it overlaps most, at IoU 0.3 or more; otherwise its own colour
    /// is kept): what perfect team evidence would give.
    pub true_teams: bool,
    /// The true boxes of the skaters at least this visible that no detection covers (see
    /// [`covered_skaters`], among those skaters) added to the detections, after any strays are
    /// left out: what the detector's misses cost (nearly all of them a skater partly behind
    /// another).
    pub add_missed: Option<f32>,
    /// Skater detections that cover no true skater, however hidden, left out: what the
    /// detector's strays cost.
    pub drop_strays: bool,
}

/// Overlap at which a detection covers a true skater.
const COVER_IOU: f32 = 0.3;

/// The true skater each detection covers, if any: one detection per skater and one skater per
/// detection, at IoU [`COVER_IOU`] or more, the biggest overlaps first.
fn covered_skaters(detections: &[Detection], skaters: &[ObjectLabel]) -> Vec<Option<usize>> {
    let mut pairs: Vec<(f32, usize, usize)> = detections
        .iter()
        .enumerate()
        .filter(|(_, d)| d.class == ObjectClass::Player)
        .flat_map(|(d, detection)| {
            skaters
                .iter()
                .enumerate()
                .map(move |(s, skater)| (skater.bbox.iou(&detection.bbox), d, s))
        })
        .filter(|&(iou, _, _)| iou >= COVER_IOU)
        .collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut covers = vec![None; detections.len()];
    let mut taken = vec![false; skaters.len()];
    for (_, d, s) in pairs {
        if covers[d].is_none() && !taken[s] {
            covers[d] = Some(s);
            taken[s] = true;
        }
    }
    covers
}

/// Colours standing for the home and the away team under [`Substitutes::true_teams`]: far
/// beyond the tracker's colour bar apart, so never confused.
const TRUE_TEAM_COLOURS: [[u8; 3]; 2] = [[200, 30, 30], [30, 30, 200]];

fn true_team_colour(skater: &ObjectLabel) -> Option<[u8; 3]> {
    skater.team.map(|team| match team {
        benchsight_core::domain::Team::Home => TRUE_TEAM_COLOURS[0],
        benchsight_core::domain::Team::Away => TRUE_TEAM_COLOURS[1],
    })
}

/// Distance in pixels between two skaters' box centres within which they stand close.
pub const CLOSE_PX: f32 = 8.0;

/// Distance in pixels between the centres of two boxes.
fn centre_distance(a: &PixelBox, b: &PixelBox) -> f32 {
    let ((ax, ay), (bx, by)) = (a.centre(), b.centre());
    (ax - bx).hypot(ay - by)
}

/// The detector's mistakes over dumped frames, as the people tracker meets them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetectorMisses {
    /// Skater-frames at least `min_visibility` visible that no detection covers (see
    /// [`covered_skaters`], among those skaters) …
    pub missed: u64,
    /// … of which with another skater's box centre, however hidden, within [`CLOSE_PX`].
    pub missed_close: u64,
    /// Confident skater detections (at least the given score) covering no true skater, however
    /// hidden.
    pub strays: u64,
}

impl DetectorMisses {
    /// Counts the detector's misses and its strays scoring at least `min_score` over `frames`.
    pub fn count(frames: &[TrackerFrame], min_visibility: f32, min_score: f32) -> Self {
        let mut misses = Self::default();
        for frame in frames {
            let skaters = &frame.truth.objects;
            let detections = &frame.input.detections;
            misses.strays += strays(detections, skaters)
                .zip(detections)
                .filter(|&(stray, d)| stray && d.score >= min_score)
                .count() as u64;
            for skater in missed_skaters(frame, detections, min_visibility) {
                misses.missed += 1;
                let close = skaters.iter().any(|other| {
                    other.track_id != skater.track_id
                        && centre_distance(&skater.bbox, &other.bbox) < CLOSE_PX
                });
                misses.missed_close += u64::from(close);
            }
        }
        misses
    }

    /// Adds another game's counts.
    pub fn add(&mut self, other: Self) {
        self.missed += other.missed;
        self.missed_close += other.missed_close;
        self.strays += other.strays;
    }
}

/// Distances in pixels from a skater's box centre to the nearest opponent's that split
/// [`ColourErrors`] into crowded and open ice.
pub const OPPONENT_PX: [f32; 3] = [8.0, 16.0, 32.0];

/// How good the torso colours the tracker is given are, per skater detection, by how near the
/// nearest opponent stands (under each of [`OPPONENT_PX`], then farther): a colour is wrong
/// when it lies nearer the other team's mean colour than its own team's, the means taken over
/// the game's own detections by their skaters' true teams.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColourErrors {
    /// Detections covering a skater of a known team.
    pub detections: [u64; 4],
    /// … of which with no colour.
    pub unknown: [u64; 4],
    /// … of which with a colour nearer the other team's.
    pub wrong: [u64; 4],
}

impl ColourErrors {
    /// Counts one game's dumped frames.
    pub fn count(frames: &[TrackerFrame]) -> Self {
        use benchsight_core::domain::Team;
        use benchsight_core::teams::{Lab, delta_e, srgb_to_lab};
        // (skater, its frame's skaters, colour) per covered detection, then the teams' means.
        let mut samples: Vec<(&ObjectLabel, &[ObjectLabel], Option<Lab>)> = Vec::new();
        for frame in frames {
            let skaters = &frame.truth.objects;
            let detections = &frame.input.detections;
            for (d, cover) in covered_skaters(detections, skaters).into_iter().enumerate() {
                if let Some(s) = cover {
                    let colour = frame.input.colours.get(d).copied().flatten();
                    samples.push((&skaters[s], skaters, colour.map(srgb_to_lab)));
                }
            }
        }
        let mean = |team: Team| -> Option<Lab> {
            let colours: Vec<Lab> = samples
                .iter()
                .filter(|(skater, _, _)| skater.team == Some(team))
                .filter_map(|&(_, _, colour)| colour)
                .collect();
            (!colours.is_empty()).then(|| {
                let n = colours.len() as f64;
                [0, 1, 2].map(|c| colours.iter().map(|lab| lab[c]).sum::<f64>() / n)
            })
        };
        let mut errors = Self::default();
        let (Some(home), Some(away)) = (mean(Team::Home), mean(Team::Away)) else {
            return errors;
        };
        for (skater, skaters, colour) in samples {
            let Some(team) = skater.team else { continue };
            let nearest = skaters
                .iter()
                .filter(|o| o.team.is_some() && o.team != skater.team)
                .map(|o| centre_distance(&skater.bbox, &o.bbox))
                .fold(f32::INFINITY, f32::min);
            let bucket = OPPONENT_PX
                .iter()
                .position(|&px| nearest < px)
                .unwrap_or(OPPONENT_PX.len());
            errors.detections[bucket] += 1;
            match colour {
                None => errors.unknown[bucket] += 1,
                Some(lab) => {
                    let (own, other) = match team {
                        Team::Home => (home, away),
                        Team::Away => (away, home),
                    };
                    errors.wrong[bucket] += u64::from(delta_e(lab, other) < delta_e(lab, own));
                }
            }
        }
        errors
    }

    /// Adds another game's counts.
    pub fn add(&mut self, other: Self) {
        for b in 0..4 {
            self.detections[b] += other.detections[b];
            self.unknown[b] += other.unknown[b];
            self.wrong[b] += other.wrong[b];
        }
    }
}

/// Per detection, whether it is a skater detection covering no true skater of `skaters`.
fn strays<'a>(
    detections: &'a [Detection],
    skaters: &[ObjectLabel],
) -> impl Iterator<Item = bool> + 'a {
    covered_skaters(detections, skaters)
        .into_iter()
        .zip(detections)
        .map(|(cover, d)| cover.is_none() && d.class == ObjectClass::Player)
}

/// The skaters at least `min_visibility` visible that no detection covers, in `frame`.
fn missed_skaters(
    frame: &TrackerFrame,
    detections: &[Detection],
    min_visibility: f32,
) -> Vec<ObjectLabel> {
    let required: Vec<ObjectLabel> = frame
        .truth
        .objects
        .iter()
        .filter(|o| o.visibility >= min_visibility)
        .cloned()
        .collect();
    let mut covered = vec![false; required.len()];
    for &s in covered_skaters(detections, &required).iter().flatten() {
        covered[s] = true;
    }
    required
        .into_iter()
        .zip(covered)
        .filter(|(_, covered)| !covered)
        .map(|(skater, _)| skater)
        .collect()
}

/// What the people tracker is fed for a dumped frame: its dumped input, with `substitutes`.
fn tracker_input(
    frame: &TrackerFrame,
    substitutes: Substitutes,
) -> (Vec<Detection>, Vec<Option<[u8; 3]>>) {
    if let Some(min_visibility) = substitutes.true_boxes {
        let skaters: Vec<&ObjectLabel> = frame
            .truth
            .objects
            .iter()
            .filter(|o| o.visibility >= min_visibility)
            .collect();
        let detections = skaters
            .iter()
            .map(|o| Detection {
                class: o.class,
                score: 1.0,
                bbox: o.bbox,
            })
            .collect();
        let colours = if substitutes.true_teams {
            skaters.iter().map(|o| true_team_colour(o)).collect()
        } else {
            Vec::new()
        };
        return (detections, colours);
    }
    let mut detections = frame.input.detections.clone();
    let mut colours = frame.input.colours.clone();
    colours.resize(detections.len(), None);
    if substitutes.drop_strays {
        let kept: Vec<usize> = strays(&detections, &frame.truth.objects)
            .enumerate()
            .filter(|&(_, stray)| !stray)
            .map(|(d, _)| d)
            .collect();
        detections = kept.iter().map(|&d| detections[d]).collect();
        colours = kept.iter().map(|&d| colours[d]).collect();
    }
    if let Some(min_visibility) = substitutes.add_missed {
        for skater in missed_skaters(frame, &detections, min_visibility) {
            detections.push(Detection {
                class: skater.class,
                score: 1.0,
                bbox: skater.bbox,
            });
            colours.push(None);
        }
    }
    if substitutes.true_teams {
        for (detection, colour) in detections.iter().zip(&mut colours) {
            let nearest = frame
                .truth
                .objects
                .iter()
                .map(|o| (o.bbox.iou(&detection.bbox), o))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((iou, skater)) = nearest
                && iou >= 0.3
            {
                *colour = true_team_colour(skater).or(*colour);
            }
        }
    }
    (detections, colours)
}

/// The people tracker with `settings` run over a dumped game's frames (with `substitutes`):
/// `each` sees every frame, the tracker's objects and the tracker after it.
fn run_tracker(
    frames: &[TrackerFrame],
    settings: benchsight_core::tracking::TrackerSettings,
    substitutes: Substitutes,
    mut each: impl FnMut(&TrackerFrame, &[TrackedObject], &benchsight_core::tracking::ByteTracker),
) {
    let mut tracker = benchsight_core::tracking::ByteTracker::new(settings);
    for frame in frames {
        let (detections, colours) = tracker_input(frame, substitutes);
        let tracks = tracker.update_with_colours(&detections, &colours);
        each(frame, &tracks, &tracker);
    }
}

/// The people tracker with `settings` run again over a dumped game's frames, scored as
/// `tracking` scores it (skaters; no teams or puck).
pub fn retrack(
    frames: &[TrackerFrame],
    settings: benchsight_core::tracking::TrackerSettings,
    substitutes: Substitutes,
) -> MotSummary {
    use benchsight_core::domain::MediaTimeMs;
    let mut scorer = TrackingScorer::new(ScoringRules::default());
    run_tracker(frames, settings, substitutes, |frame, tracks, _| {
        let rink = RinkState {
            frame: frame.truth.frame,
            media_time_ms: MediaTimeMs(frame.truth.media_time_ms),
            tracks: Vec::new(),
            puck: None,
        };
        scorer.add_frame(&frame.truth, tracks, &rink);
    });
    scorer.report().skaters
}

/// Why visible skaters changed track over one or more games: each change counted by what the
/// skater's old track was doing (on another skater, shown on none, lost, ended) and where the
/// new one came from (a new track, another skater of the same or the other team, the skater's
/// own earlier track, nothing);
/// how many frames the skater had gone unmatched; and, where the old track was lost, how far
/// its predicted centre stood from the skater, in box heights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityChanges {
    /// Changes by (what the old track was doing, where the new one came from).
    pub kinds: std::collections::BTreeMap<(&'static str, &'static str), u64>,
    /// Frames unmatched before the change: ≤ 1, ≤ 5, ≤ 15, ≤ 45, ≤ 90, more.
    pub gaps: [u64; 6],
    /// Distance of a lost old track from the skater: < 1, < 2, < 4, more box heights.
    pub lost_distance: [u64; 4],
}

impl IdentityChanges {
    pub fn add(&mut self, other: &IdentityChanges) {
        for (kind, n) in &other.kinds {
            *self.kinds.entry(*kind).or_default() += n;
        }
        for (a, b) in self.gaps.iter_mut().zip(other.gaps) {
            *a += b;
        }
        for (a, b) in self.lost_distance.iter_mut().zip(other.lost_distance) {
            *a += b;
        }
    }
}

/// The tracker run as [`retrack`] runs it, each change of a visible skater's track (IoU 0.5,
/// as scored) explained.
pub fn explain_identity_changes(
    frames: &[TrackerFrame],
    settings: benchsight_core::tracking::TrackerSettings,
    substitutes: Substitutes,
) -> IdentityChanges {
    use std::collections::HashMap;
    let rules = ScoringRules::default();
    let mut changes = IdentityChanges::default();
    // Per true skater: its track and the frame it was last on it; per track: the frame it was
    // first shown and the skater it was last on; per skater: its team.
    let mut followed: HashMap<u32, (u64, u64)> = HashMap::new();
    let mut first_shown: HashMap<u64, u64> = HashMap::new();
    let mut last_skater: HashMap<u64, u32> = HashMap::new();
    let mut teams = HashMap::new();
    run_tracker(frames, settings, substitutes, |frame, tracks, tracker| {
        let f = frame.truth.frame;
        let tracks: Vec<&TrackedObject> = tracks
            .iter()
            .filter(|t| t.class == ObjectClass::Player)
            .collect();
        for t in &tracks {
            first_shown.entry(t.track_id).or_insert(f);
        }
        let skaters: Vec<&ObjectLabel> = frame
            .truth
            .objects
            .iter()
            .filter(|o| o.class == ObjectClass::Player && o.visibility >= rules.min_visibility)
            .collect();
        for o in &skaters {
            teams.insert(o.track_id, o.team);
        }
        let pairs = min_cost_assignment(skaters.len(), tracks.len(), |s, h| {
            let iou = skaters[s].bbox.iou(&tracks[h].bbox);
            (iou >= rules.min_iou).then_some(((1.0 - iou) * 1e6) as i64)
        });
        let on_a_skater: std::collections::HashSet<u64> =
            pairs.iter().map(|&(_, h)| tracks[h].track_id).collect();
        for &(s, h) in &pairs {
            let (skater, track) = (skaters[s], tracks[h].track_id);
            if let Some(&(previous, last_frame)) = followed.get(&skater.track_id)
                && previous != track
            {
                let gap = f - last_frame;
                let bucket = [1, 5, 15, 45, 90].iter().position(|&b| gap <= b);
                changes.gaps[bucket.unwrap_or(5)] += 1;
                let old = if on_a_skater.contains(&previous) {
                    "old on another skater"
                } else if tracks.iter().any(|t| t.track_id == previous) {
                    "old shown on no skater"
                } else if let Some((_, predicted, _)) =
                    tracker.lost_tracks().find(|(id, _, _)| *id == previous)
                {
                    let heights = centre_distance(&predicted, &skater.bbox) / skater.bbox.height();
                    let bucket = [1.0, 2.0, 4.0].iter().position(|&b| heights < b);
                    changes.lost_distance[bucket.unwrap_or(3)] += 1;
                    "old lost"
                } else {
                    "old ended"
                };
                let new = match last_skater.get(&track) {
                    _ if first_shown[&track] > last_frame => "new track",
                    Some(other) if *other == skater.track_id => "its own earlier track",
                    Some(other) if teams.get(other) == Some(&skater.team) => "from a team-mate",
                    Some(_) => "from an opponent",
                    None => "from no skater",
                };
                *changes.kinds.entry((old, new)).or_default() += 1;
            }
            followed.insert(skater.track_id, (track, f));
            last_skater.insert(track, skater.track_id);
        }
    });
    changes
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

    /// A dumped frame: true skaters `(id, x, team)`, detections at `detected` x positions.
    fn dumped(frame: u64, skaters: &[(u32, f32, Team)], detected: &[f32]) -> TrackerFrame {
        TrackerFrame {
            truth: FrameTruth {
                frame,
                media_time_ms: frame * 33,
                period: 1,
                clock_ms: 0,
                play_on: true,
                objects: skaters
                    .iter()
                    .map(|&(id, x, team)| label(ObjectClass::Player, id, x, 1.0, Some(team)))
                    .collect(),
            },
            input: benchsight_edge::perception::TrackerInput {
                detections: detected
                    .iter()
                    .map(|&x| Detection {
                        class: ObjectClass::Player,
                        score: 0.9,
                        bbox: boxed(x),
                    })
                    .collect(),
                colours: vec![Some([90, 90, 90]); detected.len()],
            },
        }
    }

    #[test]
    fn a_skater_unseen_for_longer_than_a_track_is_kept_comes_back_on_a_new_track() {
        let skaters = [(1, 0.0, Team::Home), (2, 200.0, Team::Away)];
        // Skater 1 goes undetected from frame 5 to 109: its track ends after 90 frames lost.
        let frames: Vec<TrackerFrame> = (0..200)
            .map(|f| {
                let seen: &[f32] = if (5..110).contains(&f) {
                    &[200.0]
                } else {
                    &[0.0, 200.0]
                };
                dumped(f, &skaters, seen)
            })
            .collect();
        let settings = benchsight_core::tracking::TrackerSettings::default();
        let changes = explain_identity_changes(&frames, settings, Substitutes::default());
        assert_eq!(
            changes.kinds.into_iter().collect::<Vec<_>>(),
            vec![(("old ended", "new track"), 1)]
        );
        assert_eq!(changes.gaps, [0, 0, 0, 0, 0, 1]);
        let summary = retrack(&frames, settings, Substitutes::default());
        assert_eq!((summary.unique_truth, summary.unique_hypotheses), (2, 3));
    }

    #[test]
    fn true_teams_recolour_the_detections_on_a_skater_and_keep_the_others() {
        let frame = dumped(
            0,
            &[(1, 0.0, Team::Home), (2, 200.0, Team::Away)],
            &[2.0, 198.0, 400.0],
        );
        let substitutes = Substitutes {
            true_teams: true,
            ..Substitutes::default()
        };
        let (detections, colours) = tracker_input(&frame, substitutes);
        assert_eq!(detections.len(), 3);
        assert_eq!(
            colours,
            vec![
                Some(TRUE_TEAM_COLOURS[0]),
                Some(TRUE_TEAM_COLOURS[1]),
                Some([90, 90, 90])
            ]
        );
        let input = tracker_input(
            &frame,
            Substitutes {
                true_boxes: Some(0.5),
                true_teams: true,
                ..Substitutes::default()
            },
        );
        assert_home_then_away_in_true_colours(&input, [0.0, 200.0]);
    }

    /// Asserts that the tracker is fed two boxes, at `xs`, in the home and the away team's
    /// true colours.
    fn assert_home_then_away_in_true_colours(
        (detections, colours): &(Vec<Detection>, Vec<Option<[u8; 3]>>),
        xs: [f32; 2],
    ) {
        assert_eq!(
            detections.iter().map(|d| d.bbox).collect::<Vec<_>>(),
            xs.map(boxed).to_vec()
        );
        assert_eq!(
            colours,
            &vec![Some(TRUE_TEAM_COLOURS[0]), Some(TRUE_TEAM_COLOURS[1])]
        );
    }

    /// Skaters 1 (home, x 0), 2 (away, x 200), 3 (away, x 400, mostly hidden) and `more`,
    /// detected on skater 1 and on nobody at x 600.
    fn one_found_one_missed_one_hidden(more: &[(u32, f32, Team)]) -> TrackerFrame {
        let mut skaters = vec![
            (1, 0.0, Team::Home),
            (2, 200.0, Team::Away),
            (3, 400.0, Team::Away),
        ];
        skaters.extend_from_slice(more);
        let mut frame = dumped(0, &skaters, &[2.0, 600.0]);
        frame.truth.objects[2].visibility = 0.2;
        frame
    }

    #[test]
    fn missed_skaters_at_least_so_visible_are_added_and_strays_left_out() {
        // Skater 3 is mostly hidden: not required, so not added.
        let frame = one_found_one_missed_one_hidden(&[]);
        let input = tracker_input(
            &frame,
            Substitutes {
                add_missed: Some(0.5),
                drop_strays: true,
                true_teams: true,
                ..Substitutes::default()
            },
        );
        assert_home_then_away_in_true_colours(&input, [2.0, 200.0]);
        // Alone, each changes only its own part; a detection on a hidden skater is no stray.
        let mut hidden = dumped(0, &[(1, 0.0, Team::Home)], &[1.0, 600.0]);
        hidden.truth.objects[0].visibility = 0.2;
        let strays_only = Substitutes {
            drop_strays: true,
            ..Substitutes::default()
        };
        assert_eq!(tracker_input(&hidden, strays_only).0.len(), 1);
        let missed_only = Substitutes {
            add_missed: Some(0.5),
            ..Substitutes::default()
        };
        assert_eq!(tracker_input(&frame, missed_only).0.len(), 3);
    }

    #[test]
    fn colours_are_scored_against_the_teams_means_by_the_nearest_opponent() {
        let (red, blue) = ([200, 30, 30], [30, 30, 200]);
        let skaters = [
            (1, 0.0, Team::Home),
            (2, 5.0, Team::Away),
            (3, 200.0, Team::Home),
            (4, 400.0, Team::Away),
        ];
        let mut frame = dumped(0, &skaters, &[0.0, 5.0, 200.0, 400.0]);
        // Beside an opponent: a home skater in the away colour, an away skater of no colour.
        frame.input.colours = vec![Some(blue), None, Some(red), Some(blue)];
        let errors = ColourErrors::count(&[frame]);
        assert_eq!(errors.detections, [2, 0, 0, 2]);
        assert_eq!(errors.unknown, [1, 0, 0, 0]);
        assert_eq!(errors.wrong, [1, 0, 0, 0]);
        // One team seen without a colour: no means to score against.
        let mut lone = dumped(0, &skaters[..1], &[0.0]);
        lone.input.colours = vec![None];
        assert_eq!(ColourErrors::count(&[lone]), ColourErrors::default());
    }

    #[test]
    fn the_detectors_misses_are_counted_with_those_beside_another_skater_and_its_strays() {
        // Skater 4, missed too, stands 5 px from skater 2.
        let frame = one_found_one_missed_one_hidden(&[(4, 205.0, Team::Home)]);
        let frames = [frame.clone(), frame];
        let misses = DetectorMisses::count(&frames, 0.5, 0.5);
        assert_eq!(
            (misses.missed, misses.missed_close, misses.strays),
            (4, 4, 2)
        );
        // At visibility 0.1 skater 3 is required too (missed, alone); a stray scoring below
        // the bar is not counted.
        let misses = DetectorMisses::count(&frames, 0.1, 0.95);
        assert_eq!(
            (misses.missed, misses.missed_close, misses.strays),
            (6, 4, 0)
        );
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
