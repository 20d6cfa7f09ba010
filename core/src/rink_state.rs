//! From image tracks to the rink: every tracked person placed on the ice at the bottom-centre of
//! their box (where the skates touch it), the puck at its centre, through the camera's
//! homography; teams from the jersey clustering. `RinkState` is what the game-event engine reads.

use serde::{Deserialize, Serialize};

use crate::detection::ObjectClass;
use crate::domain::{MediaTimeMs, Team};
use crate::homography::{Homography, ImagePoint};
use crate::puck_tracking::{PuckEstimate, PuckStatus};
use crate::rink::RinkPoint;
use crate::teams::TeamClassifier;
use crate::tracking::TrackedObject;

/// A tracked person on the ice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RinkTrack {
    pub track_id: u64,
    pub class: ObjectClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Team>,
    pub position: RinkPoint,
    pub score: f32,
}

/// The puck on the ice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RinkPuck {
    pub position: RinkPoint,
    pub status: PuckStatus,
    pub unseen_frames: u32,
}

/// Everything known about the ice in one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RinkState {
    pub frame: u64,
    pub media_time_ms: MediaTimeMs,
    pub tracks: Vec<RinkTrack>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub puck: Option<RinkPuck>,
}

fn to_rink(homography: &Homography, x: f32, y: f32) -> Option<RinkPoint> {
    let p = homography.image_to_rink(ImagePoint {
        x_px: f64::from(x),
        y_px: f64::from(y),
    })?;
    RinkPoint::clamped(p.x_ft, p.y_ft)
}

/// Places one frame's tracks and puck on the rink. Nets are left out (they do not move);
/// people whose feet map beyond the horizon are dropped.
pub fn rink_state(
    frame: u64,
    media_time_ms: MediaTimeMs,
    tracks: &[TrackedObject],
    puck: Option<&PuckEstimate>,
    homography: &Homography,
    teams: &TeamClassifier,
) -> RinkState {
    let tracks = tracks
        .iter()
        .filter(|t| t.class != ObjectClass::Net && t.class != ObjectClass::Puck)
        .filter_map(|t| {
            let (x, y) = t.bbox.bottom_centre();
            let position = to_rink(homography, x, y)?;
            let team = match t.class {
                ObjectClass::Player | ObjectClass::Goalie => teams.team_of(t.track_id),
                _ => None,
            };
            Some(RinkTrack {
                track_id: t.track_id,
                class: t.class,
                team,
                position,
                score: t.score,
            })
        })
        .collect();
    let puck = puck.and_then(|p| {
        Some(RinkPuck {
            position: to_rink(homography, p.x, p.y)?,
            status: p.status,
            unseen_frames: p.unseen_frames,
        })
    });
    RinkState {
        frame,
        media_time_ms,
        tracks,
        puck,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::PinholeCamera;
    use crate::detection::PixelBox;
    use crate::homography::PlanePoint;

    #[test]
    fn feet_and_puck_land_where_they_are_on_the_ice() {
        let camera = PinholeCamera::broadcast_default(1280, 720);
        let homography = camera.ground_homography().unwrap();
        let feet = camera
            .project_ground(PlanePoint {
                x_ft: 30.0,
                y_ft: -10.0,
            })
            .unwrap();
        let head = camera.project([30.0, -10.0, 6.0]).unwrap();
        let (fx, fy, hy) = (feet.x_px as f32, feet.y_px as f32, head.y_px as f32);
        let skater = TrackedObject {
            track_id: 4,
            class: ObjectClass::Player,
            bbox: PixelBox {
                x0: fx - 5.0,
                y0: hy,
                x1: fx + 5.0,
                y1: fy,
            },
            score: 0.9,
        };
        let net = TrackedObject {
            class: ObjectClass::Net,
            track_id: 9,
            ..skater
        };
        let puck_image = camera
            .project_ground(PlanePoint {
                x_ft: -50.0,
                y_ft: 20.0,
            })
            .unwrap();
        let puck = PuckEstimate {
            x: puck_image.x_px as f32,
            y: puck_image.y_px as f32,
            vx: 0.0,
            vy: 0.0,
            status: PuckStatus::Seen,
            unseen_frames: 0,
        };
        let state = rink_state(
            3,
            MediaTimeMs(100),
            &[skater, net],
            Some(&puck),
            &homography,
            &TeamClassifier::new(None, None),
        );
        assert_eq!(state.tracks.len(), 1);
        let placed = state.tracks[0].position;
        assert!(
            (placed.x_ft() - 30.0).abs() < 0.1 && (placed.y_ft() + 10.0).abs() < 0.1,
            "{placed}"
        );
        assert_eq!(state.tracks[0].team, None);
        let puck = state.puck.unwrap().position;
        assert!(
            (puck.x_ft() + 50.0).abs() < 0.1 && (puck.y_ft() - 20.0).abs() < 0.1,
            "{puck}"
        );
    }
}
