//! A recorded game through the perception stages in lock-step: every decoded frame is processed
//! (none dropped), and each frame's result goes to the caller. The `replay` command writes the
//! rink states out; evaluation and benchmark tools score them.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::capture::{Capture, CaptureError, CaptureEvent, CaptureSettings};
use crate::inference::InferenceError;
use crate::perception::{Perceived, Perception};

/// How a replay went (also the `--stats` file of `benchsight-edge replay`, and the format the
/// benchmark's Python reference writes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReplaySummary {
    pub frames: u64,
    /// Wall time from the first frame asked for to the last one processed, in seconds.
    pub elapsed_s: f64,
    /// Time spent in the network (ONNX Runtime's `run`) over all frames, in seconds.
    pub inference_s: f64,
    /// Frames the capture dropped (zero in lock-step unless something is wrong).
    #[serde(default)]
    pub dropped: u64,
}

impl ReplaySummary {
    pub fn fps(&self) -> f64 {
        self.frames as f64 / self.elapsed_s.max(1e-9)
    }

    pub fn inference_ms_per_frame(&self) -> f64 {
        self.inference_s * 1000.0 / self.frames.max(1) as f64
    }

    /// Wall time per frame not spent in the network, in milliseconds.
    pub fn other_ms_per_frame(&self) -> f64 {
        (self.elapsed_s - self.inference_s).max(0.0) * 1000.0 / self.frames.max(1) as f64
    }
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("video {0} does not exist")]
    Missing(String),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error("no frame from {0} for {1:?}")]
    Stalled(String, Duration),
    #[error("{0}")]
    Consumer(String),
}

/// Decodes `video` at `width` × `height` and runs every frame through `perception`, handing
/// each frame's result, in order, to `on_frame` (which may stop the replay with an error).
pub fn replay_file(
    video: &Path,
    (width, height): (u32, u32),
    perception: &mut Perception,
    mut on_frame: impl FnMut(&Perceived) -> Result<(), String>,
) -> Result<ReplaySummary, ReplayError> {
    const STALL: Duration = Duration::from_secs(30);
    if !video.is_file() {
        return Err(ReplayError::Missing(video.display().to_string()));
    }
    let absolute = std::path::absolute(video)
        .map_err(|_| ReplayError::Missing(video.display().to_string()))?;
    let mut settings =
        CaptureSettings::live(&format!("file://{}", absolute.display()), width, height);
    settings.lock_step = true;
    let capture = Capture::start(settings)?;
    let started = Instant::now();
    let (mut frames, mut inference) = (0u64, Duration::ZERO);
    loop {
        let (settled, ended) = match capture.next(STALL) {
            Some(CaptureEvent::Frame(frame)) => (perception.process(&frame)?, false),
            Some(CaptureEvent::Finished) => (perception.finish(), true),
            Some(CaptureEvent::Failed(error)) => return Err(error.into()),
            None => return Err(ReplayError::Stalled(video.display().to_string(), STALL)),
        };
        for perceived in settled {
            inference += perceived.timing.inference;
            frames += 1;
            on_frame(&perceived).map_err(ReplayError::Consumer)?;
        }
        if ended {
            break;
        }
    }
    Ok(ReplaySummary {
        frames,
        elapsed_s: started.elapsed().as_secs_f64(),
        inference_s: inference.as_secs_f64(),
        dropped: capture
            .stats()
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed),
    })
}
