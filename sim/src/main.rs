//! `benchsight-sim`: the simulator's command-line entry point.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use benchsight_core::camera::PinholeCamera;
use benchsight_sim::calibration::CameraCalibration;
use benchsight_sim::dataset::{DatasetJob, write_dataset};
use benchsight_sim::game::{GameConfig, GameSim};
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_sim::render::Renderer;
use benchsight_sim::render::profile::LookProfile;
use benchsight_sim::rtsp::VirtualCamera;
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
    /// Render a single frame of a game as a PNG (for looking at a profile).
    Frame {
        #[arg(long)]
        seed: u64,
        /// Media time of the frame, in seconds.
        #[arg(long, default_value_t = 10.0)]
        at: f64,
        #[arg(long, default_value = "arena")]
        profile: String,
        #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(64..=7680))]
        width: u32,
        #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(64..=4320))]
        height: u32,
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate detector training data: images and labels in the Ultralytics YOLO layout.
    Dataset {
        /// Seeds as FIRST..LAST (inclusive), e.g. 1..200.
        #[arg(long, value_parser = benchsight_sim::parse_seed_range)]
        seeds: (u64, u64),
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        frames_per_seed: u32,
        /// Comma-separated look profiles, used in turn seed by seed.
        #[arg(long, default_value = "arena,community", value_delimiter = ',')]
        profiles: Vec<String>,
        #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(64..=7680))]
        width: u32,
        #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(64..=4320))]
        height: u32,
        /// Every n-th seed goes to the validation split (0: no validation split).
        #[arg(long, default_value_t = 5)]
        val_every: u64,
        /// Simulated length of each game from which frames are sampled, in seconds.
        #[arg(long, default_value_t = 240, value_parser = clap::value_parser!(u32).range(2..=7200))]
        game_seconds: u32,
        /// Objects less visible than this (0–1) are not labelled.
        #[arg(long, default_value_t = 0.3)]
        min_visibility: f32,
        /// Also write each frame's predecessor, 1 to N frames earlier (drawn per frame), under
        /// previous/ (0: none).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=30))]
        previous_gap: u32,
        /// Draw each seed's lighting from a wide range around its profile's (exposure, tint,
        /// vignette, reflections, shadows, noise, ice shade): training data for rinks lit
        /// unlike any profile.
        #[arg(long)]
        vary_lighting: bool,
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve a rendered game as a live RTSP camera, in real time, until interrupted.
    Camera {
        /// The MP4 to stream (from `render`).
        #[arg(long)]
        video: PathBuf,
        #[arg(long, default_value = "127.0.0.1")]
        address: String,
        #[arg(long, default_value_t = 8554)]
        port: u16,
        #[arg(long, default_value = "game")]
        mount: String,
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
            std::fs::write(
                &calibration_path,
                serde_json::to_string_pretty(&summary.calibration)?,
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
        Command::Frame {
            seed,
            at,
            profile,
            width,
            height,
            out,
        } => {
            anyhow::ensure!(
                at >= 0.0 && at.is_finite(),
                "--at must be a time in seconds"
            );
            let look_profile = LookProfile::named(&profile)?;
            let game = GameConfig::new(seed);
            let frame = (at * f64::from(game.frames_per_s)).round() as u64;
            let mut sim = GameSim::new(game);
            for _ in 0..frame {
                sim.step();
            }
            let mut renderer = Renderer::new(
                look_profile.camera(seed, width, height),
                look_profile.game_look(seed),
            );
            let (rgb, labels) = renderer.render(&sim.state());
            image::save_buffer(&out, rgb, width, height, image::ExtendedColorType::Rgb8)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "frame {frame} of seed {seed} ({profile}): {} labelled objects, {}",
                labels.len(),
                out.display()
            );
            Ok(())
        }
        Command::Dataset {
            seeds,
            frames_per_seed,
            profiles,
            width,
            height,
            val_every,
            game_seconds,
            min_visibility,
            previous_gap,
            vary_lighting,
            out,
        } => {
            let job = DatasetJob {
                first_seed: seeds.0,
                last_seed: seeds.1,
                frames_per_seed,
                profiles,
                width,
                height,
                val_every,
                game_seconds,
                min_visibility,
                previous_gap,
                vary_lighting,
            };
            let started = std::time::Instant::now();
            let summary = write_dataset(&job, &out, |done, total| {
                eprintln!(
                    "benchsight-sim: dataset {done}/{total} seeds ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            })?;
            println!(
                "dataset in {}: {} train and {} val images; labels per class {:?} (player, goalie, referee, puck, net)",
                out.display(),
                summary.train_images,
                summary.val_images,
                summary.labels_per_class
            );
            Ok(())
        }
        Command::Camera {
            video,
            address,
            port,
            mount,
        } => {
            let camera = VirtualCamera::serve(&video, &address, port, &mount)?;
            println!(
                "virtual camera streaming {} at {}",
                video.display(),
                camera.url()
            );
            camera.wait();
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

/// Parses `FIRST..LAST` (inclusive) or a single seed.
/// `dir/game.mp4` → `dir/game.SUFFIX`.
fn beside(video: &Path, suffix: &str) -> PathBuf {
    let stem = video
        .file_stem()
        .map_or_else(|| "game".into(), |s| s.to_string_lossy().into_owned());
    video.with_file_name(format!("{stem}.{suffix}"))
}
