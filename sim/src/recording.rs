//! Renders a whole simulated game: steps the simulation, draws every frame, writes the video,
//! and collects the ground truth (events, labels, calibration).

use std::path::Path;
use std::time::Instant;

use benchsight_core::homography::HomographyError;

use crate::calibration::CameraCalibration;
use crate::game::{GameConfig, GameSim};
use crate::render::Renderer;
use crate::render::profile::{LookProfile, UnknownProfile};
use crate::truth::{FrameTruth, GameTruth, TRUTH_FORMAT, TruthError};
use crate::video::{Mp4Writer, VideoError};

/// What to render.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderJob {
    pub game: GameConfig,
    pub seconds: u32,
    pub profile: String,
    pub width: u32,
    pub height: u32,
}

/// Why a game could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Profile(#[from] UnknownProfile),
    #[error("the camera has no valid ground homography: {0}")]
    Camera(#[from] HomographyError),
    #[error(transparent)]
    Video(#[from] VideoError),
    #[error(transparent)]
    Truth(#[from] TruthError),
}

/// Figures of a finished render.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSummary {
    pub calibration: CameraCalibration,
    pub frames: u64,
    pub events: usize,
    pub goals: usize,
    pub wall_seconds: f64,
}

impl RenderSummary {
    /// How many times faster than real time the render ran.
    pub fn real_time_factor(&self, frames_per_s: u32) -> f64 {
        self.frames as f64 / f64::from(frames_per_s) / self.wall_seconds.max(1e-9)
    }
}

/// Simulates and renders a game into `video` (MP4) and `truth` (JSON), calling `progress` with
/// the number of frames done after each second of video.
pub fn render_game(
    job: &RenderJob,
    video: &Path,
    truth_path: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<RenderSummary, RenderError> {
    let started = Instant::now();
    let profile = LookProfile::named(&job.profile)?;
    let camera = profile.camera(job.game.seed, job.width, job.height);
    let look = profile.game_look(job.game.seed);
    let calibration = CameraCalibration::of(camera.clone())?;
    let mut renderer = Renderer::new(camera, look.clone());
    let mut sim = GameSim::new(job.game.clone());
    let fps = job.game.frames_per_s;
    let total = u64::from(job.seconds) * u64::from(fps);
    let mut writer = Mp4Writer::create(video, job.width, job.height, fps)?;
    let mut frames = Vec::with_capacity(total as usize);
    for index in 0..total {
        if index > 0 {
            sim.step();
        }
        let state = sim.state();
        let (rgb, objects) = renderer.render(&state);
        writer.push(rgb)?;
        frames.push(FrameTruth {
            frame: state.frame,
            media_time_ms: state.media_time_ms,
            period: state.period,
            clock_ms: state.clock_ms,
            play_on: state.play_on,
            objects,
        });
        if (index + 1) % u64::from(fps) == 0 {
            progress(index + 1, total);
        }
    }
    writer.finish()?;
    // Events stamped after the last frame (a whistle just after the cut) did not happen on video.
    let last_ms = frames.last().map_or(0, |f| f.media_time_ms);
    let mut events = sim.take_events();
    events.retain(|e| e.media_time_ms.is_some_and(|t| t.0 <= last_ms));
    let goals = events
        .iter()
        .filter(|e| e.event_type == benchsight_core::vocabulary::EventType::Goal)
        .count();
    let truth = GameTruth {
        format: TRUTH_FORMAT,
        game: job.game.clone(),
        look,
        calibration,
        frames_per_s: fps,
        events,
        frames,
    };
    truth.write(truth_path)?;
    Ok(RenderSummary {
        calibration: truth.calibration,
        frames: total,
        events: truth.events.len(),
        goals,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}
