//! `benchsight-sim`: the simulator's command-line entry point.

use std::process::ExitCode;

use anyhow::Context;
use benchsight_core::camera::PinholeCamera;
use benchsight_sim::calibration::CameraCalibration;
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
        Command::Calibration { width, height } => {
            let calibration =
                CameraCalibration::of(PinholeCamera::broadcast_default(width, height))
                    .context("deriving the default camera's homography")?;
            println!("{}", serde_json::to_string_pretty(&calibration)?);
            Ok(())
        }
    }
}
