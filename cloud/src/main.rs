//! `benchsight-cloud`: the cloud service's command-line entry point. Parses arguments, loads the
//! configuration (TOML file plus `BENCHSIGHT_CLOUD_*` environment overrides) and runs the chosen
//! command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use benchsight_cloud::config::CloudConfig;
use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Toml};

/// The BenchSight cloud service: ingests events from rink appliances, stores them per tenant and
/// serves statistics and the review dashboard.
#[derive(Debug, Parser)]
#[command(name = "benchsight-cloud", version, about)]
struct Cli {
    /// Configuration file. Any key can be overridden by an environment variable such as
    /// BENCHSIGHT_CLOUD_DATABASE__URL (sections separated by a double underscore).
    #[arg(
        long,
        global = true,
        env = "BENCHSIGHT_CLOUD_CONFIG",
        default_value = "/etc/benchsight/cloud.toml"
    )]
    config: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load and validate the configuration, then print the effective values as JSON (the
    /// database password is masked).
    CheckConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchsight-cloud: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::CheckConfig => {
            let config = load_config(&cli.config)?;
            let shown =
                serde_json::to_value(config.redacted()).context("showing the configuration")?;
            println!("# {} is valid", cli.config.display());
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
    }
}

/// Reads the configuration file, applies environment overrides and validates the result.
fn load_config(path: &Path) -> anyhow::Result<CloudConfig> {
    if !path.is_file() {
        bail!(
            "configuration file {} does not exist (pass --config PATH)",
            path.display()
        );
    }
    let config: CloudConfig = Figment::new()
        .merge(Toml::file_exact(path))
        .merge(
            Env::prefixed("BENCHSIGHT_CLOUD_")
                .ignore(&["config"])
                .split("__"),
        )
        .extract()
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
    config
        .validate()
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
    Ok(config)
}
