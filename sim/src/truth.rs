//! Ground truth of a rendered game, exactly what happened and what the camera saw: the event log
//! in BenchSight's vocabulary and, per frame, every object's class, track id, team, number,
//! bounding box, visibility and rink position, with the camera's calibration.
//!
//! Only evaluation commands and tests read this file; nothing of it travels with the video.

use std::path::Path;

use benchsight_core::detection::{ObjectClass, PixelBox};
use benchsight_core::domain::Team;
use benchsight_core::event::GameEvent;
use serde::{Deserialize, Serialize};

use crate::calibration::CameraCalibration;
use crate::game::GameConfig;
use crate::render::profile::GameLook;

/// The truth file's format version.
pub const TRUTH_FORMAT: u32 = 1;

/// One object as the camera saw it in one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectLabel {
    pub class: ObjectClass,
    pub track_id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Team>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u16>,
    /// Box in image pixels, clipped to the image.
    pub bbox: PixelBox,
    /// Share of the object that is in the frame and not hidden by nearer objects or the boards.
    pub visibility: f32,
    /// Where the object stands on the ice (feet); for the puck, the point under it.
    pub x_ft: f64,
    pub y_ft: f64,
    /// Height above the ice (the puck in flight); zero for everything standing on it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub height_ft: f64,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// Everything labelled in one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameTruth {
    pub frame: u64,
    pub media_time_ms: u64,
    pub period: u8,
    pub clock_ms: u32,
    pub play_on: bool,
    pub objects: Vec<ObjectLabel>,
}

/// The whole truth of one rendered game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameTruth {
    pub format: u32,
    pub game: GameConfig,
    pub look: GameLook,
    pub calibration: CameraCalibration,
    pub frames_per_s: u32,
    pub events: Vec<GameEvent>,
    pub frames: Vec<FrameTruth>,
}

/// Why a truth file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    #[error("cannot access truth file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("truth file {path} is malformed: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("truth file {path} has format {found}; this build reads format {TRUTH_FORMAT}")]
    Format { path: String, found: u32 },
}

impl GameTruth {
    pub fn write(&self, path: &Path) -> Result<(), TruthError> {
        let io = |source| TruthError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::create(path).map_err(io)?;
        let mut writer = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut writer, self).map_err(|source| TruthError::Json {
            path: path.display().to_string(),
            source,
        })?;
        std::io::Write::flush(&mut writer).map_err(io)
    }

    pub fn read(path: &Path) -> Result<GameTruth, TruthError> {
        let text = std::fs::read(path).map_err(|source| TruthError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let truth: GameTruth =
            serde_json::from_slice(&text).map_err(|source| TruthError::Json {
                path: path.display().to_string(),
                source,
            })?;
        if truth.format != TRUTH_FORMAT {
            return Err(TruthError::Format {
                path: path.display().to_string(),
                found: truth.format,
            });
        }
        Ok(truth)
    }
}
