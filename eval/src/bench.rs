//! The perception benchmark's measuring tools: a pipeline run as a child process with its peak
//! resident memory (GNU time's maximum RSS, so each pipeline is measured alone), and the raw
//! network speed in-process (ONNX Runtime `run` on one prepared frame, nothing else).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use benchsight_core::detector::rink_region;
use benchsight_core::homography::Homography;
use benchsight_edge::capture::{Capture, CaptureEvent, CaptureSettings, Frame};
use benchsight_edge::inference::{Detector, RgbFrame};
use benchsight_edge::replay::ReplaySummary;

/// The GNU time program and the line it is asked to print.
const TIME: &str = "/usr/bin/time";
const RSS_MARK: &str = "BENCHSIGHT_PEAK_RSS_KIB";

/// A pipeline's run: its own summary and its peak memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PipelineRun {
    pub summary: ReplaySummary,
    pub peak_rss_mib: f64,
}

/// Runs `program args…` under GNU time; the program must write a [`ReplaySummary`] to
/// `stats`.
pub fn run_pipeline(program: &Path, args: &[String], stats: &Path) -> anyhow::Result<PipelineRun> {
    anyhow::ensure!(
        Path::new(TIME).is_file(),
        "{TIME} is missing (Debian package `time`; scripts/bootstrap installs it)"
    );
    let output = Command::new(TIME)
        .arg("-f")
        .arg(format!("{RSS_MARK} %M"))
        .arg("--")
        .arg(program)
        .args(args)
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(
        output.status.success(),
        "{} failed ({}):\n{}",
        program.display(),
        output.status,
        stderr.trim_end()
    );
    let peak_kib: f64 = stderr
        .lines()
        .find_map(|line| line.strip_prefix(RSS_MARK))
        .and_then(|value| value.trim().parse().ok())
        .context("GNU time printed no peak memory")?;
    let text = std::fs::read(stats).with_context(|| format!("reading {}", stats.display()))?;
    let summary: ReplaySummary =
        serde_json::from_slice(&text).with_context(|| format!("reading {}", stats.display()))?;
    Ok(PipelineRun {
        summary,
        peak_rss_mib: peak_kib / 1024.0,
    })
}

/// The first frame of a video, decoded as the pipeline decodes it.
pub fn first_frame(video: &Path, (width, height): (u32, u32)) -> anyhow::Result<Frame> {
    let absolute = std::path::absolute(video)?;
    let mut settings =
        CaptureSettings::live(&format!("file://{}", absolute.display()), width, height);
    settings.lock_step = true;
    let capture = Capture::start(settings)?;
    match capture.next(Duration::from_secs(30)) {
        Some(CaptureEvent::Frame(frame)) => Ok(frame),
        Some(CaptureEvent::Failed(error)) => Err(error.into()),
        _ => anyhow::bail!("{} has no frame", video.display()),
    }
}

/// The network alone: mean time of ONNX Runtime's `run` over `runs` runs on one frame, after a
/// few warm-up runs.
pub fn raw_inference(
    detector: &mut Detector,
    frame: &Frame,
    homography: &Homography,
    runs: u32,
) -> anyhow::Result<Duration> {
    let region = rink_region(homography, frame.width, frame.height);
    let geometry = detector.geometry(frame.width, frame.height, region);
    let view = RgbFrame {
        width: frame.width,
        height: frame.height,
        pixels: &frame.rgb,
    };
    for _ in 0..5 {
        detector.detect(view, &geometry)?;
    }
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        total += detector.detect(view, &geometry)?.1.inference;
    }
    Ok(total / runs.max(1))
}
