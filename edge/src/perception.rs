//! The perception stages wired in one place, the same for the live daemon and for replay:
//! `Frame → Detections → Tracks → RinkState`. Detection runs through ONNX Runtime; the puck comes
//! from the model's dedicated puck network (or, for a model without one, the detector completed
//! by the full-resolution blob step) and is followed by its own tracker; skaters are tracked,
//! sorted into teams by jersey colour, and placed on the rink through the calibration. The puck
//! tracker settles a frame once later frames confirm the puck's path, so a frame comes out
//! `lag_frames` frames after it went in (and the last ones when the stream ends: `finish`).

use std::collections::VecDeque;

use benchsight_core::detection::{Detection, ObjectClass, PixelBox};
use benchsight_core::detector::{InputGeometry, rink_region};
use benchsight_core::domain::{MediaTimeMs, Rgb};
use benchsight_core::homography::{Homography, ImagePoint};
use benchsight_core::puck_finder::{PuckFinderSettings, drop_static, find_puck_candidates};
use benchsight_core::puck_tracking::{
    PuckObservation, PuckTracker, PuckTrackerSettings, SettledPuck,
};
use benchsight_core::rink::RinkPoint;
use benchsight_core::rink_state::{RinkState, rink_state};
use benchsight_core::static_spots::StaticSpots;
use benchsight_core::teams::{RECLUSTER_EVERY, TeamClassifier, torso_colour};
use benchsight_core::tracking::{ByteTracker, TrackedObject, TrackerSettings};

use crate::capture::Frame;
use crate::inference::{DetectTiming, Detector, InferenceError, RgbFrame};

/// Least score of a detection handed to the tracker (ByteTrack's low-score stage).
const TRACKER_FLOOR: f32 = 0.1;

/// The most blob-step candidates the puck tracker weighs per frame.
const BLOB_CANDIDATES: usize = 8;

/// The longest step between frames over which a puck network still compares a frame with the
/// previous one (trained on predecessors up to 100 ms back); past it, or when media time goes
/// backwards (a restarted stream), the frame is compared with itself.
const MOTION_GAP_MS: u64 = 200;

/// The perception pipeline of one camera.
#[derive(Debug)]
pub struct Perception {
    detector: Detector,
    homography: Homography,
    geometry: Option<InputGeometry>,
    tracker: ByteTracker,
    puck: PuckTracker,
    teams: TeamClassifier,
    /// The blob step, for models without a puck network.
    puck_finder: Option<PuckFinderSettings>,
    static_spots: StaticSpots,
    /// Media time of the last frame processed.
    last_pts_ms: Option<u64>,
    /// Frames through every stage but the puck's, waiting for the puck tracker to settle them.
    pending: VecDeque<Unsettled>,
}

/// A frame waiting for its puck.
#[derive(Debug)]
struct Unsettled {
    frame: u64,
    pts_ms: u64,
    tracker_input: TrackerInput,
    tracks: Vec<TrackedObject>,
    puck_candidates: Vec<PuckObservation>,
    timing: DetectTiming,
}

/// One frame's detections as the people tracker takes them: every detection down to ByteTrack's
/// low-score floor, strongest first, with the torso colour of each person (`None` for nets and
/// pucks, or where the torso could not be read).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackerInput {
    pub detections: Vec<Detection>,
    pub colours: Vec<Option<[u8; 3]>>,
}

/// One frame through the pipeline (its number and media time are its rink state's).
#[derive(Debug, Clone)]
pub struct Perceived {
    /// What the people tracker was fed this frame.
    pub tracker_input: TrackerInput,
    /// The tracker's objects in image pixels (people and nets; the puck is in `rink`).
    pub tracks: Vec<TrackedObject>,
    /// The frame's puck-like peaks on the ice, strongest first.
    pub puck_candidates: Vec<PuckObservation>,
    pub rink: RinkState,
    pub timing: DetectTiming,
}

impl Perception {
    pub fn new(
        detector: Detector,
        homography: Homography,
        home: Option<Rgb>,
        away: Option<Rgb>,
    ) -> Self {
        let puck_finder = detector
            .package()
            .puck_onnx_path
            .is_none()
            .then(PuckFinderSettings::default);
        Self {
            detector,
            homography,
            geometry: None,
            tracker: ByteTracker::new(TrackerSettings::default()),
            puck: PuckTracker::new(PuckTrackerSettings::default()),
            teams: TeamClassifier::new(home, away),
            puck_finder,
            static_spots: StaticSpots::default(),
            last_pts_ms: None,
            pending: VecDeque::new(),
        }
    }

    /// A new calibration (the camera was moved or re-surveyed).
    pub fn set_homography(&mut self, homography: Homography) {
        self.homography = homography;
    }

    /// The jersey colours of a new game; they name the colour clusters, learnt afresh.
    pub fn set_team_colours(&mut self, home: Option<Rgb>, away: Option<Rgb>) {
        self.teams = TeamClassifier::new(home, away);
    }

    /// Runs every stage on one frame; returns the frames it settles, oldest first (once the
    /// pipeline is primed, the frame the puck tracker's lag back).
    pub fn process(&mut self, frame: &Frame) -> Result<Vec<Perceived>, InferenceError> {
        let geometry = match self.geometry {
            Some(geometry) => geometry,
            None => {
                let region = rink_region(&self.homography, frame.width, frame.height);
                let geometry = self.detector.geometry(frame.width, frame.height, region);
                self.geometry = Some(geometry);
                geometry
            }
        };
        if self
            .last_pts_ms
            .is_some_and(|last| frame.pts_ms < last || frame.pts_ms - last > MOTION_GAP_MS)
        {
            self.detector.forget_previous_frame();
        }
        self.last_pts_ms = Some(frame.pts_ms);
        let view = RgbFrame {
            width: frame.width,
            height: frame.height,
            pixels: &frame.rgb,
        };
        // The tracker's second stage feeds on the unconfident detections (partly hidden
        // players); everything else acts on the model's own threshold.
        let (ranked, timing) = self
            .detector
            .detect_ranked(view, &geometry, TRACKER_FLOOR)?;
        let package = self.detector.package();
        // A torso's colour is sampled where no one in front hides it: among the detections,
        // those the model is sure of; among the tracks, every person (a box with its own feet
        // never stands in front of itself, so each list serves all its members).
        let people: Vec<PixelBox> = ranked
            .iter()
            .filter(|d| d.class.is_person() && d.score >= package.threshold(d.class))
            .map(|d| d.bbox)
            .collect();
        let colours: Vec<Option<[u8; 3]>> = ranked
            .iter()
            .map(|d| {
                if !d.class.is_person() {
                    return None;
                }
                torso_colour(&frame.rgb, frame.width, frame.height, &d.bbox, &people)
            })
            .collect();
        let tracks = self.tracker.update_with_colours(&ranked, &colours);
        let tracked_people: Vec<PixelBox> = tracks
            .iter()
            .filter(|t| t.class.is_person())
            .map(|t| t.bbox)
            .collect();
        for track in tracks
            .iter()
            .filter(|t| matches!(t.class, ObjectClass::Player | ObjectClass::Goalie))
        {
            if let Some(colour) = torso_colour(
                &frame.rgb,
                frame.width,
                frame.height,
                &track.bbox,
                &tracked_people,
            ) {
                self.teams.observe(track.track_id, colour);
            }
        }
        if frame.index.is_multiple_of(RECLUSTER_EVERY) {
            self.teams.recluster();
        }
        // Puck candidates: every peak of the network (the puck tracker tells the puck from
        // skates, sticks and marks by how it moves), and, without a puck network, the blob
        // step's outside every person and net. A spot in the stands or on the glass is never
        // the puck in play: candidates from both sources must map onto the ice.
        let homography = &self.homography;
        let mut puck_candidates: Vec<PuckObservation> = ranked
            .iter()
            .filter(|d| d.class == ObjectClass::Puck)
            .filter_map(|d| {
                let (x, y) = d.bbox.centre();
                observation(homography, x, y, d.score)
            })
            .collect();
        if let Some(settings) = &self.puck_finder {
            let occupied: Vec<_> = ranked
                .iter()
                .filter(|d| d.class != ObjectClass::Puck && d.score >= package.threshold(d.class))
                .map(|d| d.bbox)
                .collect();
            let spots = find_puck_candidates(
                &frame.rgb,
                frame.width,
                frame.height,
                geometry.region,
                &occupied,
                settings,
            );
            puck_candidates.extend(
                drop_static(&mut self.static_spots, frame.index, spots)
                    .into_iter()
                    .filter_map(|c| observation(homography, c.x, c.y, c.detection().score))
                    .take(BLOB_CANDIDATES),
            );
        }
        puck_candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        let settled = self.puck.update(frame.index, &puck_candidates, &tracks);
        self.pending.push_back(Unsettled {
            frame: frame.index,
            pts_ms: frame.pts_ms,
            tracker_input: TrackerInput {
                detections: ranked,
                colours,
            },
            tracks,
            puck_candidates,
            timing,
        });
        Ok(self.settle(settled))
    }

    /// The stream ended: settles every frame still waiting for its puck.
    pub fn finish(&mut self) -> Vec<Perceived> {
        let settled = self.puck.finish();
        self.settle(settled)
    }

    fn settle(&mut self, settled: Vec<SettledPuck>) -> Vec<Perceived> {
        let mut out = Vec::with_capacity(settled.len());
        for (frame, puck) in settled {
            // The tracker settles every frame it was fed, in order.
            while let Some(waiting) = self.pending.pop_front() {
                if waiting.frame != frame {
                    continue;
                }
                let rink = rink_state(
                    waiting.frame,
                    MediaTimeMs(waiting.pts_ms),
                    &waiting.tracks,
                    puck.as_ref(),
                    &self.homography,
                    &self.teams,
                );
                out.push(Perceived {
                    tracker_input: waiting.tracker_input,
                    tracks: waiting.tracks,
                    puck_candidates: waiting.puck_candidates,
                    rink,
                    timing: waiting.timing,
                });
                break;
            }
        }
        out
    }
}

/// A puck candidate at image point (`x`, `y`), when it maps onto the ice surface.
fn observation(homography: &Homography, x: f32, y: f32, score: f32) -> Option<PuckObservation> {
    let rink = homography.image_to_rink(ImagePoint {
        x_px: f64::from(x),
        y_px: f64::from(y),
    })?;
    RinkPoint::new(rink.x_ft, rink.y_ft)
        .ok()
        .filter(|p| p.is_on_ice())
        .map(|_| PuckObservation { x, y, rink, score })
}
