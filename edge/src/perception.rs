//! The perception stages wired in one place, the same for the live daemon and for replay:
//! `Frame → Detections → Tracks → RinkState`. Detection runs through ONNX Runtime; the puck comes
//! from the model's dedicated puck network (or, for a model without one, the detector completed
//! by the full-resolution blob step) and is followed by its own tracker; skaters are tracked,
//! sorted into teams by jersey colour, and placed on the rink through the calibration.

use benchsight_core::detection::{Detection, ObjectClass, best_of_class};
use benchsight_core::detector::{InputGeometry, rink_region};
use benchsight_core::domain::{MediaTimeMs, Rgb};
use benchsight_core::homography::{Homography, ImagePoint};
use benchsight_core::puck_finder::{PuckFinderSettings, StaticSpots, find_puck_candidates};
use benchsight_core::puck_tracking::{PuckObservation, PuckTracker, PuckTrackerSettings};
use benchsight_core::rink::RinkPoint;
use benchsight_core::rink_state::{RinkState, rink_state};
use benchsight_core::teams::{TeamClassifier, torso_colour};
use benchsight_core::tracking::{ByteTracker, TrackedObject, TrackerSettings};

use crate::capture::Frame;
use crate::inference::{DetectTiming, Detector, InferenceError, RgbFrame};

/// Least score of a detection handed to the tracker (ByteTrack's low-score stage).
const TRACKER_FLOOR: f32 = 0.1;

/// The most blob-step candidates the puck tracker weighs per frame.
const BLOB_CANDIDATES: usize = 8;

/// Frames between re-clusterings of the jersey colours.
const RECLUSTER_EVERY: u64 = 15;

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
}

/// One frame through the pipeline.
#[derive(Debug, Clone)]
pub struct Perceived {
    pub detections: Vec<Detection>,
    /// The tracker's objects in image pixels (people and nets; the puck is in `rink`).
    pub tracks: Vec<TrackedObject>,
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
        // A lost puck is taken up again only from a candidate the model itself would report.
        let defaults = PuckTrackerSettings::default();
        let puck_tracking = PuckTrackerSettings {
            reacquire_score: defaults
                .reacquire_score
                .max(detector.package().threshold(ObjectClass::Puck)),
            ..defaults
        };
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
            puck: PuckTracker::new(puck_tracking),
            teams: TeamClassifier::new(home, away),
            puck_finder,
            static_spots: StaticSpots::default(),
            last_pts_ms: None,
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

    /// Runs every stage on one frame.
    pub fn process(&mut self, frame: &Frame) -> Result<Perceived, InferenceError> {
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
        let colours: Vec<Option<[u8; 3]>> = ranked
            .iter()
            .map(|d| match d.class {
                ObjectClass::Player | ObjectClass::Goalie | ObjectClass::Referee => {
                    torso_colour(&frame.rgb, frame.width, frame.height, &d.bbox)
                }
                _ => None,
            })
            .collect();
        let tracks = self.tracker.update_with_colours(&ranked, &colours);
        // One puck is in play: the network's best one at its operating score is the frame's
        // measurement (weaker or second peaks lead the tracker astray: puck within 2 ft on the
        // tracking evaluation, single-frame network 7 % with up to four peaks down to half the
        // score vs 22 % with the best; previous-frame network 3.7 % with up to three down to 0.6
        // of it vs 41 % with the best).
        let puck_floor = package.threshold(ObjectClass::Puck);
        let best_puck = best_of_class(&ranked, ObjectClass::Puck).filter(|d| d.score >= puck_floor);
        let detections: Vec<Detection> = ranked
            .into_iter()
            .filter(|d| d.score >= package.threshold(d.class))
            .collect();
        for track in tracks
            .iter()
            .filter(|t| matches!(t.class, ObjectClass::Player | ObjectClass::Goalie))
        {
            if let Some(colour) = torso_colour(&frame.rgb, frame.width, frame.height, &track.bbox) {
                self.teams.observe(track.track_id, colour);
            }
        }
        if frame.index.is_multiple_of(RECLUSTER_EVERY) {
            self.teams.recluster();
        }
        // Puck candidates: the network's, and (without a puck network) the blob step's outside
        // every person and net. A spot in the stands or on the glass is never the puck in play:
        // candidates from both sources must map onto the ice.
        let mut candidates: Vec<PuckObservation> = best_puck
            .iter()
            .map(|d| {
                let (x, y) = d.bbox.centre();
                PuckObservation {
                    x,
                    y,
                    score: d.score,
                }
            })
            .filter(|c| on_ice(&self.homography, c.x, c.y))
            .collect();
        if let Some(settings) = &self.puck_finder {
            let occupied: Vec<_> = detections
                .iter()
                .filter(|d| d.class != ObjectClass::Puck)
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
            candidates.extend(
                self.static_spots
                    .filter(frame.index, spots)
                    .into_iter()
                    .filter(|c| on_ice(&self.homography, c.x, c.y))
                    .take(BLOB_CANDIDATES)
                    .map(|c| PuckObservation {
                        x: c.x,
                        y: c.y,
                        score: c.detection().score,
                    }),
            );
        }
        let puck = self.puck.update(&candidates, &tracks);
        let rink = rink_state(
            frame.index,
            MediaTimeMs(frame.pts_ms),
            &tracks,
            puck.as_ref(),
            &self.homography,
            &self.teams,
        );
        Ok(Perceived {
            detections,
            tracks,
            rink,
            timing,
        })
    }
}

/// True when an image point maps onto the ice surface.
fn on_ice(homography: &Homography, x: f32, y: f32) -> bool {
    homography
        .image_to_rink(ImagePoint {
            x_px: f64::from(x),
            y_px: f64::from(y),
        })
        .and_then(|p| RinkPoint::new(p.x_ft, p.y_ft).ok())
        .is_some_and(RinkPoint::is_on_ice)
}
