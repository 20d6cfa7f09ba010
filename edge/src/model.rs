//! A detector model on disk: a folder with `model.onnx` and `model.toml`, which says what the
//! network expects and produces — class names and ids, input size and region, normalisation,
//! output layout, operating thresholds — plus where it came from, its measured figures and the
//! checksum of the ONNX file (verified at load, and the key of the TensorRT engine cache). A
//! folder may add a dedicated puck network (`[puck]`) that reads the same input as the detector
//! and whose pucks replace the detector's.

use std::path::{Path, PathBuf};

use benchsight_core::detection::ObjectClass;
use benchsight_core::detector::HeadLayout;
use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which part of the frame the model looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRegion {
    /// The rink region from the camera calibration (BenchSight's own models).
    Rink,
    /// The whole frame (drop-in models such as Ultralytics exports).
    Frame,
}

/// `[input]` of `model.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub width: u32,
    pub height: u32,
    pub region: InputRegion,
    /// Pixel values are multiplied by this (1/255 maps 8-bit RGB to [0, 1]).
    #[serde(default = "default_scale")]
    pub scale: f32,
    /// Grey level of the letterbox padding.
    #[serde(default = "default_pad")]
    pub pad_value: u8,
}

fn default_scale() -> f32 {
    1.0 / 255.0
}

fn default_pad() -> u8 {
    114
}

/// `[output]` of `model.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Omitted: recognised from the output shape.
    pub layout: Option<HeadLayout>,
}

/// `[thresholds]` of `model.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub score: f32,
    pub nms_iou: f32,
}

/// `[puck]` of `model.toml`: a puck-only network fed the detector's own input (one class, raw
/// YOLOv8 layout `[1, 5, N]`); its pucks replace the detector's. With `previous_frame`, its input
/// carries a fourth plane after RGB: the grey (channel mean) of the previous processed frame's
/// input, so it sees what moved on the fixed camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PuckSpec {
    /// The ONNX file, relative to the model folder.
    pub file: String,
    /// SHA-256 of that file, hex.
    pub sha256: String,
    /// Least score of a puck the pipeline acts on.
    pub score: f32,
    /// Whether the network reads the previous frame's grey plane as well.
    #[serde(default)]
    pub previous_frame: bool,
}

/// The whole `model.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub name: String,
    /// The ONNX file, relative to the model folder.
    pub file: String,
    /// SHA-256 of the ONNX file, hex.
    pub sha256: String,
    /// Class names in model class-id order; names BenchSight does not know are ignored.
    pub classes: Vec<String>,
    pub input: InputSpec,
    #[serde(default = "default_output")]
    pub output: OutputSpec,
    pub thresholds: Thresholds,
    #[serde(default)]
    pub puck: Option<PuckSpec>,
    /// Where the model came from (free-form, for the model card).
    #[serde(default)]
    pub training: Option<serde_json::Value>,
    /// Measured figures (free-form, for the model card).
    #[serde(default)]
    pub metrics: Option<serde_json::Value>,
}

fn default_output() -> OutputSpec {
    OutputSpec { layout: None }
}

/// Why a model could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model folder {0} has no model.toml")]
    MissingSpec(PathBuf),
    #[error("{path}: {detail}")]
    BadSpec { path: PathBuf, detail: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} has SHA-256 {found}, but model.toml expects {expected}: the file was changed or damaged"
    )]
    Checksum {
        path: PathBuf,
        expected: String,
        found: String,
    },
}

/// A model folder, checked.
#[derive(Debug, Clone)]
pub struct ModelPackage {
    pub spec: ModelSpec,
    pub onnx_path: PathBuf,
    /// BenchSight class per model class id (`None` for classes the pipeline ignores).
    pub class_map: Vec<Option<ObjectClass>>,
    /// The dedicated puck network's file, checked, when `[puck]` names one.
    pub puck_onnx_path: Option<PathBuf>,
}

/// SHA-256 of a file, as lower-case hex.
pub fn sha256_hex(path: &Path) -> Result<String, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

impl ModelPackage {
    /// Reads `folder/model.toml`, checks it and the ONNX file's checksum.
    pub fn open(folder: &Path) -> Result<Self, ModelError> {
        let spec_path = folder.join("model.toml");
        if !spec_path.is_file() {
            return Err(ModelError::MissingSpec(folder.to_owned()));
        }
        let bad = |detail: String| ModelError::BadSpec {
            path: spec_path.clone(),
            detail,
        };
        let spec: ModelSpec = Figment::from(Toml::file_exact(&spec_path))
            .extract()
            .map_err(|e| bad(e.to_string()))?;
        if spec.input.width == 0 || spec.input.height == 0 {
            return Err(bad("input.width and input.height must be positive".into()));
        }
        if !(0.0..=1.0).contains(&spec.thresholds.score)
            || !(0.0..=1.0).contains(&spec.thresholds.nms_iou)
        {
            return Err(bad(
                "thresholds.score and thresholds.nms_iou must be within [0, 1]".into(),
            ));
        }
        let class_map: Vec<Option<ObjectClass>> = spec
            .classes
            .iter()
            .map(|name| name.parse::<ObjectClass>().ok())
            .collect();
        if class_map.iter().all(Option::is_none) {
            return Err(bad(format!(
                "none of the classes {:?} is one BenchSight tracks (player, goalie, referee, puck, net)",
                spec.classes
            )));
        }
        if let Some(puck) = &spec.puck
            && !(0.0..=1.0).contains(&puck.score)
        {
            return Err(bad("puck.score must be within [0, 1]".into()));
        }
        let onnx_path = checked_file(folder, &spec.file, &spec.sha256)?;
        let puck_onnx_path = spec
            .puck
            .as_ref()
            .map(|puck| checked_file(folder, &puck.file, &puck.sha256))
            .transpose()?;
        Ok(Self {
            spec,
            onnx_path,
            class_map,
            puck_onnx_path,
        })
    }

    /// Least score of a detection of `class` the pipeline acts on.
    pub fn threshold(&self, class: ObjectClass) -> f32 {
        match (&self.spec.puck, class) {
            (Some(puck), ObjectClass::Puck) => puck.score,
            _ => self.spec.thresholds.score,
        }
    }
}

/// `folder/file`, after checking that its SHA-256 is `expected`.
fn checked_file(folder: &Path, file: &str, expected: &str) -> Result<PathBuf, ModelError> {
    let path = folder.join(file);
    let found = sha256_hex(&path)?;
    if !found.eq_ignore_ascii_case(expected) {
        return Err(ModelError::Checksum {
            path,
            expected: expected.to_owned(),
            found,
        });
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_model(dir: &Path, sha: &str, extra: &str) {
        std::fs::write(dir.join("model.onnx"), b"not really onnx").unwrap();
        std::fs::write(
            dir.join("model.toml"),
            format!(
                "name = \"test\"\nfile = \"model.onnx\"\nsha256 = \"{sha}\"\n\
                 classes = [\"person\", \"player\", \"puck\"]\n{extra}\n\
                 [input]\nwidth = 640\nheight = 640\nregion = \"frame\"\n\
                 [thresholds]\nscore = 0.25\nnms_iou = 0.5\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn a_model_folder_is_checked_and_classes_are_mapped() {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path(), "0", "");
        let sha = sha256_hex(&dir.path().join("model.onnx")).unwrap();
        write_model(dir.path(), &sha, "");
        let package = ModelPackage::open(dir.path()).unwrap();
        assert_eq!(
            package.class_map,
            vec![None, Some(ObjectClass::Player), Some(ObjectClass::Puck)]
        );
        assert_eq!(package.spec.input.pad_value, 114);
        assert_eq!(package.spec.output.layout, None);
        assert_eq!(package.puck_onnx_path, None);
        assert_eq!(package.threshold(ObjectClass::Puck), 0.25);
    }

    #[test]
    fn a_puck_network_is_checked_and_brings_its_own_puck_threshold() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("puck.onnx"), b"a puck network").unwrap();
        let puck_sha = sha256_hex(&dir.path().join("puck.onnx")).unwrap();
        write_model(dir.path(), "0", "");
        let sha = sha256_hex(&dir.path().join("model.onnx")).unwrap();
        let section =
            |sha: &str| format!("[puck]\nfile = \"puck.onnx\"\nsha256 = \"{sha}\"\nscore = 0.6");
        write_model(dir.path(), &sha, &section(&puck_sha));
        let package = ModelPackage::open(dir.path()).unwrap();
        assert_eq!(package.puck_onnx_path, Some(dir.path().join("puck.onnx")));
        assert_eq!(package.threshold(ObjectClass::Puck), 0.6);
        assert_eq!(package.threshold(ObjectClass::Player), 0.25);
        write_model(dir.path(), &sha, &section("deadbeef"));
        assert!(matches!(
            ModelPackage::open(dir.path()),
            Err(ModelError::Checksum { path, .. }) if path.ends_with("puck.onnx")
        ));
    }

    #[test]
    fn a_changed_file_or_a_bad_spec_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path(), "deadbeef", "");
        assert!(matches!(
            ModelPackage::open(dir.path()),
            Err(ModelError::Checksum { .. })
        ));
        write_model(dir.path(), "deadbeef", "colour = 1");
        let error = ModelPackage::open(dir.path()).unwrap_err().to_string();
        assert!(error.contains("colour"), "{error}");
        assert!(matches!(
            ModelPackage::open(&dir.path().join("nowhere")),
            Err(ModelError::MissingSpec(_))
        ));
    }
}
