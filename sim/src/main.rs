//! `benchsight-sim`: the simulator's command-line entry point.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use benchsight_core::camera::PinholeCamera;
use benchsight_sim::calibration::CameraCalibration;
use benchsight_sim::game::GameConfig;
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_sim::render::profile::LookProfile;
use clap::{Parser, Subcommand};

/// Deterministic hockey game simulator and renderer: test data, training data and a virtual
/// camera for BenchSight.
#[derive(Debug, Parser)]
#[command(name = "benchsight-sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a game and render it as an H.264 MP4 with its ground truth and calibration.
    Render {
        /// Seed of the game: the same seed and options give the same video and truth.
        #[arg(long)]
        seed: u64,
        /// Length of the video, in seconds.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=7200))]
        seconds: u32,
        /// Look profile: arena, community (training) or heldout.
        #[arg(long, default_value = "arena")]
        profile: String,
        #[arg(long, default_value_t = 1920, value_parser = clap::value_parser!(u32).range(64..=7680))]
        width: u32,
        #[arg(long, default_value_t = 1080, value_parser = clap::value_parser!(u32).range(64..=4320))]
        height: u32,
        /// Game-clock length of a period, in seconds.
        #[arg(long, default_value_t = 360, value_parser = clap::value_parser!(u32).range(30..=1200))]
        period_seconds: u32,
        /// Empty ice between periods, in seconds.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1200))]
        intermission_seconds: u32,
        /// Chance that a shot on net beats the goalie (real leagues ≈ 0.1).
        #[arg(long, default_value_t = GameConfig::TEST_GOAL_PROBABILITY)]
        goal_probability: f64,
        /// The video to write (MP4).
        #[arg(long)]
        out: PathBuf,
        /// The ground truth to write (JSON): events and per-frame labels.
        #[arg(long)]
        truth: PathBuf,
        /// The camera calibration to write (JSON); by default beside the video as
        /// NAME.calibration.json.
        #[arg(long)]
        calibration: Option<PathBuf>,
    },
    /// Print the calibration (camera model and image↔rink homography) of the default virtual
    /// camera at the given image size, as JSON.
    Calibration {
        #[arg(long, default_value_t = 1920, value_parser = clap::value_parser!(u32).range(64..=7680))]
        width: u32,
        #[arg(long, default_value_t = 1080, value_parser = clap::value_parser!(u32).range(64..=4320))]
        height: u32,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchsight-sim: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Render {
            seed,
            seconds,
            profile,
            width,
            height,
            period_seconds,
            intermission_seconds,
            goal_probability,
            out,
            truth,
            calibration,
        } => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&goal_probability),
                "--goal-probability must be between 0 and 1"
            );
            anyhow::ensure!(
                width % 2 == 0 && height % 2 == 0,
                "--width and --height must be even (4:2:0 video)"
            );
            LookProfile::named(&profile)?;
            let mut game = GameConfig::new(seed);
            game.period_length_s = period_seconds;
            game.intermission_s = intermission_seconds;
            game.goal_probability = goal_probability;
            let job = RenderJob {
                game,
                seconds,
                profile,
                width,
                height,
            };
            let summary = render_game(&job, &out, &truth, |done, total| {
                if done % 300 == 0 || done == total {
                    eprintln!("benchsight-sim: rendered {done}/{total} frames");
                }
            })
            .with_context(|| format!("rendering seed {seed} to {}", out.display()))?;
            let calibration_path = calibration.unwrap_or_else(|| beside(&out, "calibration.json"));
            let truth_file = benchsight_sim::truth::GameTruth::read(&truth)?;
            std::fs::write(
                &calibration_path,
                serde_json::to_string_pretty(&truth_file.calibration)?,
            )
            .with_context(|| format!("writing {}", calibration_path.display()))?;
            println!(
                "rendered {} frames ({seconds} s at {width}×{height}) in {:.1} s, {:.2}× real time; \
                 {} events, {} goals; video {}, truth {}, calibration {}",
                summary.frames,
                summary.wall_seconds,
                summary.real_time_factor(job.game.frames_per_s),
                summary.events,
                summary.goals,
                out.display(),
                truth.display(),
                calibration_path.display()
            );
            Ok(())
        }
        Command::Calibration { width, height } => {
            let calibration =
                CameraCalibration::of(PinholeCamera::broadcast_default(width, height))
                    .context("deriving the default camera's homography")?;
            println!("{}", serde_json::to_string_pretty(&calibration)?);
            Ok(())
        }
    }
}

/// `dir/game.mp4` → `dir/game.SUFFIX`.
fn beside(video: &Path, suffix: &str) -> PathBuf {
    let stem = video
        .file_stem()
        .map_or_else(|| "game".into(), |s| s.to_string_lossy().into_owned());
    video.with_file_name(format!("{stem}.{suffix}"))
}
