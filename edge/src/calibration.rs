//! Camera calibration files: landmark pairs (image pixels ↔ rink feet) fitted into the camera's
//! homography, with the reprojection error, written to the appliance's state directory (never to
//! `/etc`, which is read-only on the appliance). The simulator's calibration files (camera model
//! plus exact homography) are accepted as they are.

use std::path::{Path, PathBuf};

use benchsight_core::homography::{Homography, HomographyError, PointPair, ReprojectionError};
use serde::{Deserialize, Serialize};

/// The calibration of one camera, as the appliance stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraCalibration {
    pub camera: String,
    pub homography: Homography,
    /// The landmarks it was fitted from (empty when it came from a simulator camera model).
    #[serde(default)]
    pub pairs: Vec<PointPair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprojection: Option<ReprojectionError>,
}

/// What `calibrate` reads: landmark pairs, or a simulator calibration (camera model + exact
/// homography).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum CalibrationInput {
    Landmarks { pairs: Vec<PointPair> },
    Simulator { homography: Homography },
}

/// Why a calibration could not be made or kept.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    #[error("cannot read {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error(
        "{path} holds neither landmark pairs ({{\"pairs\": [{{\"image\": {{\"x_px\", \"y_px\"}}, \
         \"rink\": {{\"x_ft\", \"y_ft\"}}}}, …]}}) nor a simulator calibration: {detail}"
    )]
    Format { path: PathBuf, detail: String },
    #[error("the landmarks do not determine the camera: {0}")]
    Fit(#[from] HomographyError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads landmarks (or a simulator calibration) and fits the camera's calibration.
pub fn calibrate(camera: &str, input: &Path) -> Result<CameraCalibration, CalibrationError> {
    let text = std::fs::read_to_string(input).map_err(|e| CalibrationError::Read {
        path: input.to_owned(),
        detail: e.to_string(),
    })?;
    let parsed: CalibrationInput =
        serde_json::from_str(&text).map_err(|e| CalibrationError::Format {
            path: input.to_owned(),
            detail: e.to_string(),
        })?;
    Ok(match parsed {
        CalibrationInput::Landmarks { pairs } => CameraCalibration::fit(camera, pairs)?,
        CalibrationInput::Simulator { homography } => CameraCalibration {
            camera: camera.to_owned(),
            homography,
            pairs: Vec::new(),
            reprojection: None,
        },
    })
}

/// The homography of any calibration file: the appliance's own or a simulator's.
pub fn load_homography(path: &Path) -> Result<Homography, CalibrationError> {
    #[derive(Deserialize)]
    struct WithHomography {
        homography: Homography,
    }
    let text = std::fs::read_to_string(path).map_err(|e| CalibrationError::Read {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    serde_json::from_str::<WithHomography>(&text)
        .map(|c| c.homography)
        .map_err(|e| CalibrationError::Format {
            path: path.to_owned(),
            detail: e.to_string(),
        })
}

/// Where a camera's calibration lives in the state directory.
pub fn calibration_path(state_dir: &Path, camera: &str) -> PathBuf {
    state_dir.join("calibration").join(format!("{camera}.json"))
}

impl CameraCalibration {
    /// Fits a camera's homography to landmark pairs (from a file or a `set_calibration`
    /// command) and measures its reprojection error.
    pub fn fit(camera: &str, pairs: Vec<PointPair>) -> Result<Self, CalibrationError> {
        let homography = Homography::fit(&pairs)?;
        let reprojection = Some(homography.reprojection_error(&pairs));
        Ok(Self {
            camera: camera.to_owned(),
            homography,
            pairs,
            reprojection,
        })
    }

    /// Writes the calibration atomically (temporary file, then rename) into the state directory.
    pub fn save(&self, state_dir: &Path) -> Result<PathBuf, CalibrationError> {
        let path = calibration_path(state_dir, &self.camera);
        let write = |source| CalibrationError::Write {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write)?;
        }
        let temporary = path.with_extension("json.tmp");
        let text =
            serde_json::to_string_pretty(self).map_err(|e| write(std::io::Error::other(e)))?;
        std::fs::write(&temporary, text).map_err(write)?;
        std::fs::rename(&temporary, &path).map_err(write)?;
        Ok(path)
    }

    pub fn load(path: &Path) -> Result<Self, CalibrationError> {
        let text = std::fs::read_to_string(path).map_err(|e| CalibrationError::Read {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| CalibrationError::Format {
            path: path.to_owned(),
            detail: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchsight_core::camera::PinholeCamera;
    use benchsight_core::homography::PlanePoint;

    #[test]
    fn landmarks_are_fitted_saved_and_loaded() {
        let camera = PinholeCamera::broadcast_default(1280, 720);
        let pairs: Vec<PointPair> = [
            (0.0, 0.0),
            (-69.0, 22.0),
            (69.0, 22.0),
            (69.0, -22.0),
            (-69.0, -22.0),
            (-89.0, 0.0),
        ]
        .iter()
        .map(|&(x, y)| {
            let rink = PlanePoint { x_ft: x, y_ft: y };
            PointPair {
                image: camera.project_ground(rink).unwrap(),
                rink,
            }
        })
        .collect();
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("pairs.json");
        std::fs::write(
            &input,
            serde_json::to_string(&serde_json::json!({ "pairs": pairs })).unwrap(),
        )
        .unwrap();
        let calibration = calibrate("main", &input).unwrap();
        assert!(calibration.reprojection.unwrap().max_ft < 1e-6);
        let state = dir.path().join("state");
        let path = calibration.save(&state).unwrap();
        assert_eq!(path, state.join("calibration/main.json"));
        assert_eq!(CameraCalibration::load(&path).unwrap(), calibration);
    }

    #[test]
    fn simulator_calibrations_are_accepted_and_bad_input_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let camera = PinholeCamera::broadcast_default(1280, 720);
        let sim = serde_json::json!({ "camera": camera, "homography": camera.ground_homography().unwrap() });
        let input = dir.path().join("sim.json");
        std::fs::write(&input, sim.to_string()).unwrap();
        assert!(calibrate("main", &input).unwrap().pairs.is_empty());

        std::fs::write(
            &input,
            r#"{"pairs": [{"image": {"x_px": 1, "y_px": 2}, "rink": {"x_ft": 0, "y_ft": 0}}]}"#,
        )
        .unwrap();
        assert!(matches!(
            calibrate("main", &input),
            Err(CalibrationError::Fit(HomographyError::TooFewPairs(1)))
        ));
        std::fs::write(&input, "{}").unwrap();
        let error = calibrate("main", &input).unwrap_err().to_string();
        assert!(error.contains("landmark pairs"), "{error}");
    }
}
