//! `benchsight-edge`: the appliance's command-line entry point. Parses arguments, loads the
//! configuration (TOML file plus `BENCHSIGHT_EDGE_*` environment overrides) and runs the chosen
//! command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use benchsight_edge::config::EdgeConfig;
use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Toml};

/// The BenchSight rink-side appliance: captures a game, derives its events and delivers them to
/// the cloud.
#[derive(Debug, Parser)]
#[command(name = "benchsight-edge", version, about)]
struct Cli {
    /// Configuration file. Any key can be overridden by an environment variable such as
    /// BENCHSIGHT_EDGE_BROKER__HOST (sections separated by a double underscore).
    #[arg(
        long,
        global = true,
        env = "BENCHSIGHT_EDGE_CONFIG",
        default_value = "/etc/benchsight/edge.toml"
    )]
    config: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load and validate the configuration, then print the effective values as JSON (secrets
    /// live in files and are never printed).
    CheckConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchsight-edge: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::CheckConfig => {
            let config = load_config(&cli.config)?;
            let shown = serde_json::to_value(&config).context("showing the configuration")?;
            println!("# {} is valid", cli.config.display());
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
    }
}

/// Reads the configuration file, applies environment overrides and validates the result.
fn load_config(path: &Path) -> anyhow::Result<EdgeConfig> {
    if !path.is_file() {
        bail!(
            "configuration file {} does not exist (pass --config PATH)",
            path.display()
        );
    }
    let config: EdgeConfig = Figment::new()
        .merge(Toml::file_exact(path))
        .merge(
            Env::prefixed("BENCHSIGHT_EDGE_")
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
