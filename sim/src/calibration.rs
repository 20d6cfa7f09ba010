//! The calibration a rendered game ships with: the pinhole camera it was rendered through and the
//! exact image↔rink homography that camera implies. The appliance accepts this file directly as
//! its camera calibration.

use benchsight_core::camera::PinholeCamera;
use benchsight_core::homography::{Homography, HomographyError};
use serde::{Deserialize, Serialize};

/// A camera calibration as written next to a rendered game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraCalibration {
    pub camera: PinholeCamera,
    pub homography: Homography,
}

impl CameraCalibration {
    /// The calibration of a camera, with its ground-plane homography derived exactly.
    pub fn of(camera: PinholeCamera) -> Result<Self, HomographyError> {
        let homography = camera.ground_homography()?;
        Ok(Self { camera, homography })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchsight_core::homography::PlanePoint;

    #[test]
    fn calibration_round_trips_and_maps_like_the_camera() {
        let calibration =
            CameraCalibration::of(PinholeCamera::broadcast_default(1280, 720)).unwrap();
        let json = serde_json::to_string(&calibration).unwrap();
        let back: CameraCalibration = serde_json::from_str(&json).unwrap();
        let dot = PlanePoint {
            x_ft: 69.0,
            y_ft: 22.0,
        };
        let direct = calibration.camera.project_ground(dot).unwrap();
        let mapped = back.homography.rink_to_image(dot).unwrap();
        assert!((direct.x_px - mapped.x_px).abs() < 1e-6);
        assert!((direct.y_px - mapped.y_px).abs() < 1e-6);
    }
}
