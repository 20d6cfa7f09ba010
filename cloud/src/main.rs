//! `benchsight-cloud`: the cloud service's command-line entry point. Parses arguments, loads the
//! configuration (TOML file plus `BENCHSIGHT_CLOUD_*` environment overrides) and runs the chosen
//! command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use benchsight_cloud::api::{AppState, serve};
use benchsight_cloud::audit::Actor;
use benchsight_cloud::clips::ClipStore;
use benchsight_cloud::config::CloudConfig;
use benchsight_cloud::control::CommandSender;
use benchsight_cloud::credentials::{Role, create_api_key, revoke_api_key};
use benchsight_cloud::db::{Database, create_tenant};
use benchsight_cloud::import::import_tracker;
use benchsight_cloud::provision::{
    BrokerFiles, broker_acl, create_device, create_rink, revoke_device,
};
use benchsight_cloud::stats::stored_stats;
use benchsight_cloud::users::upsert_user;
use benchsight_cloud::worker::{IngestSettings, run_ingest};
use benchsight_core::ids::{DeviceId, GameId, RinkId, TenantId};
use benchsight_core::topic::Topic;
use benchsight_core::tracker::read_tracker_file;
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
    /// Apply the database migrations (migrations/cloud) as the schema owner
    /// (`database.owner_url`, else `database.url`).
    Migrate,
    /// Create a tenant (nothing happens when it exists).
    CreateTenant {
        tenant: String,
        /// Display name; the id when not given.
        #[arg(long)]
        name: Option<String>,
    },
    /// Import a BenchSight tracker save file into a tenant: teams, players, the game, its events
    /// and stints, then its statistics. Importing the same file again changes nothing.
    ImportTracker {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
    /// Run the ingest worker: store the fleet's event batches exactly once, acknowledge them,
    /// dead-letter bad messages and keep the games' statistics current, until SIGTERM / Ctrl-C.
    Ingest,
    /// Register a rink (or rename it).
    CreateRink {
        rink: String,
        #[arg(long)]
        tenant: String,
        /// Display name; the id when not given.
        #[arg(long)]
        name: Option<String>,
    },
    /// Register a device (or give it a new token): prints its broker user name and one-time
    /// token and adds the login to Mosquitto's password file; the broker is reloaded when its
    /// pid file is configured (`broker_admin.pid_file`).
    CreateDevice {
        #[command(flatten)]
        device: DeviceArgs,
        /// The rink the appliance stands at (registered with create-rink).
        #[arg(long)]
        rink: Option<String>,
    },
    /// Revoke a device: ingest refuses it at once, its broker login is deleted and the broker
    /// reloaded (when its pid file is configured), which also drops the device's connection.
    RevokeDevice(DeviceArgs),
    /// Create an API key for a program: prints the key once (only its hash is kept).
    CreateApiKey {
        #[arg(long)]
        tenant: String,
        /// What the key is for, e.g. "league website".
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "viewer", value_parser = parse_role)]
        role: Role,
    },
    /// Revoke an API key: its next request is refused.
    RevokeApiKey {
        key_id: String,
        #[arg(long)]
        tenant: String,
    },
    /// Print the broker ACL that confines each device to its own topics.
    BrokerAcl {
        /// The broker user of the cloud services.
        #[arg(long, default_value = "benchsight-cloud")]
        cloud_user: String,
    },
    /// Create a dashboard user, or set an existing one's role and password. The password is
    /// read from the first line of standard input (at least 10 characters).
    CreateUser {
        login: String,
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "viewer", value_parser = parse_role)]
        role: Role,
    },
    /// Serve the HTTP API (and, later, the dashboard) on `http.listen` until SIGTERM / Ctrl-C.
    Serve,
    /// Print a game's stored team, player and goalie statistics.
    Stats {
        game: String,
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum, default_value = "table")]
        format: StatsFormat,
    },
}

/// Which device, and the broker's password file its login goes into.
#[derive(Debug, clap::Args)]
struct DeviceArgs {
    device: String,
    #[arg(long)]
    tenant: String,
    /// Mosquitto's password file (created when missing); `broker_admin.password_file` when not
    /// given.
    #[arg(long)]
    broker_passwords: Option<PathBuf>,
}

impl DeviceArgs {
    fn ids(&self) -> anyhow::Result<(TenantId, DeviceId)> {
        Ok((
            TenantId::parse(&self.tenant).context("tenant")?,
            DeviceId::parse(&self.device).context("device")?,
        ))
    }

    fn broker_files(&self, config: &CloudConfig) -> anyhow::Result<BrokerFiles> {
        let passwords = self
            .broker_passwords
            .clone()
            .or_else(|| config.broker_admin.password_file.clone())
            .context(
                "no broker password file: pass --broker-passwords or set broker_admin.password_file",
            )?;
        Ok(BrokerFiles {
            passwords,
            pid_file: config.broker_admin.pid_file.clone(),
        })
    }
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
        .map_err(|e: benchsight_cloud::credentials::CredentialError| e.to_string())
}

/// What to say about the broker after a change to its logins.
fn broker_note(broker: &BrokerFiles) -> &'static str {
    if broker.pid_file.is_some() {
        "the broker was reloaded"
    } else {
        "reload the broker (SIGHUP) to apply it; set broker_admin.pid_file to have it done"
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StatsFormat {
    Json,
    Table,
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
        Command::Migrate => {
            let config = load_config(&cli.config)?;
            let url = config
                .database
                .owner_url
                .as_ref()
                .unwrap_or(&config.database.url);
            block_on(async {
                Database::connect(url, 1).await?.migrate().await?;
                println!("database migrated");
                Ok(())
            })
        }
        Command::CreateTenant { tenant, name } => {
            let config = load_config(&cli.config)?;
            let tenant = TenantId::parse(&tenant).context("tenant")?;
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                let name = name.as_deref().unwrap_or(tenant.as_str());
                create_tenant(&db, &tenant, name, &Actor::command_line()).await?;
                println!("tenant {tenant} exists");
                Ok(())
            })
        }
        Command::ImportTracker { file, tenant } => {
            let config = load_config(&cli.config)?;
            let tenant = TenantId::parse(&tenant).context("tenant")?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let game = read_tracker_file(&text, &tenant)
                .with_context(|| format!("reading {}", file.display()))?;
            for skipped in &game.skipped {
                eprintln!("benchsight-cloud: skipped {skipped}");
            }
            block_on(async {
                let db = Database::connect(&config.database.url, 2).await?;
                let report = import_tracker(&db, &tenant, &game, &Actor::command_line()).await?;
                println!(
                    "game {}: {} of {} events added, {} stints added ({} – {})",
                    game.game_id,
                    report.events_added,
                    report.events_total,
                    report.stints_added,
                    game.home.name,
                    game.away.name
                );
                Ok(())
            })
        }
        Command::CreateRink { rink, tenant, name } => {
            let config = load_config(&cli.config)?;
            let tenant = TenantId::parse(&tenant).context("tenant")?;
            let rink = RinkId::parse(&rink).context("rink")?;
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                let name = name.as_deref().unwrap_or(rink.as_str());
                create_rink(&db, &tenant, &rink, name, &Actor::command_line()).await?;
                println!("rink {tenant}/{rink} exists");
                Ok(())
            })
        }
        Command::CreateDevice { device: args, rink } => {
            let config = load_config(&cli.config)?;
            let (tenant, device) = args.ids()?;
            let rink = rink
                .map(|r| RinkId::parse(&r))
                .transpose()
                .context("rink")?;
            let broker = args.broker_files(&config)?;
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                let actor = Actor::command_line();
                let token =
                    create_device(&db, &tenant, &device, rink.as_ref(), &broker, &actor).await?;
                println!("broker user: {}", Topic::broker_username(&tenant, &device));
                println!("token (shown once; put it in the appliance's password_file): {token}");
                println!("{}", broker_note(&broker));
                Ok(())
            })
        }
        Command::RevokeDevice(args) => {
            let config = load_config(&cli.config)?;
            let (tenant, device) = args.ids()?;
            let broker = args.broker_files(&config)?;
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                revoke_device(&db, &tenant, &device, &broker, &Actor::command_line()).await?;
                println!("device {tenant}/{device} revoked; {}", broker_note(&broker));
                Ok(())
            })
        }
        Command::CreateApiKey { tenant, name, role } => {
            let config = load_config(&cli.config)?;
            let tenant = TenantId::parse(&tenant).context("tenant")?;
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                let (key_id, key) =
                    create_api_key(&db, &tenant, &name, role, &Actor::command_line()).await?;
                println!("API key {key_id} ({role}) for {name:?}");
                println!("key (shown once; send it as `Authorization: Bearer KEY`): {key}");
                Ok(())
            })
        }
        Command::RevokeApiKey { key_id, tenant } => {
            let config = load_config(&cli.config)?;
            let tenant = TenantId::parse(&tenant).context("tenant")?;
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                revoke_api_key(&db, &tenant, &key_id, &Actor::command_line()).await?;
                println!("API key {key_id} revoked");
                Ok(())
            })
        }
        Command::BrokerAcl { cloud_user } => {
            print!("{}", broker_acl(&cloud_user));
            Ok(())
        }
        Command::Ingest => {
            let config = load_config(&cli.config)?;
            init_logging();
            let settings = IngestSettings {
                host: config.broker.host.clone(),
                port: config.broker.port,
                credentials: broker_credentials(&config)?,
                share_group: config.broker.share_group.clone(),
                client_id: format!("ingest-{}", hostname()),
                etl_debounce: std::time::Duration::from_secs(2),
            };
            runtime()?.block_on(async {
                let db = Database::connect(&config.database.url, config.database.max_connections)
                    .await?;
                let report = run_ingest(db, settings, shutdown_signal()?).await?;
                tracing::info!(?report, "ingest stopped");
                Ok(())
            })
        }
        Command::CreateUser {
            login,
            tenant,
            role,
        } => {
            let config = load_config(&cli.config)?;
            let tenant = TenantId::parse(&tenant).context("tenant")?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                upsert_user(&db, &tenant, &login, role, password, &Actor::command_line()).await?;
                println!("user {login} ({role}) in {tenant}");
                Ok(())
            })
        }
        Command::Serve => {
            let config = load_config(&cli.config)?;
            init_logging();
            runtime()?.block_on(async {
                let db = Database::connect(&config.database.url, config.database.max_connections)
                    .await?;
                let listener = tokio::net::TcpListener::bind(config.http.listen)
                    .await
                    .with_context(|| format!("listening on {}", config.http.listen))?;
                tracing::info!(address = %listener.local_addr()?, "serving the API");
                let clips = ClipStore::from_config(&config.clips)?;
                let mut state = AppState::new(
                    db.clone(),
                    config.http.secure_cookies,
                    (config.broker.host.clone(), config.broker.port),
                    clips.clone(),
                );
                state.max_clip_bytes =
                    usize::try_from(config.clips.max_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
                let shutdown = shutdown_signal()?;
                state.commands = Some(CommandSender::connect(
                    &config.broker.host,
                    config.broker.port,
                    broker_credentials(&config)?,
                    // Publish-only and session-less: unique per process, so that two API
                    // processes on one host never take each other's connection.
                    &format!("api-{}-{}", hostname(), std::process::id()),
                    shutdown.clone(),
                ));
                // Clips past their tenant's retention go once an hour.
                tokio::spawn({
                    let shutdown = shutdown.clone();
                    async move {
                        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
                        loop {
                            tokio::select! {
                                () = shutdown.cancelled() => return,
                                _ = hourly.tick() => match clips.prune(&db).await {
                                    Ok(0) => {}
                                    Ok(n) => tracing::info!(clips = n, "pruned clips past retention"),
                                    Err(error) => tracing::warn!(%error, "cannot prune clips"),
                                },
                            }
                        }
                    }
                });
                serve(listener, state, shutdown).await?;
                Ok(())
            })
        }
        Command::Stats {
            game,
            tenant,
            format,
        } => {
            let config = load_config(&cli.config)?;
            let tenant = TenantId::parse(&tenant).context("tenant")?;
            let game = GameId::parse(&game).context("game")?;
            block_on(async {
                let db = Database::connect(&config.database.url, 1).await?;
                let stats = stored_stats(&db, &tenant, &game).await?;
                match format {
                    StatsFormat::Json => println!("{}", serde_json::to_string_pretty(&stats)?),
                    StatsFormat::Table => print!("{}", stats.table()),
                }
                Ok(())
            })
        }
    }
}

/// The service's broker login: `broker.username` with the password in `broker.password_file`.
fn broker_credentials(config: &CloudConfig) -> anyhow::Result<Option<(String, String)>> {
    let password = config
        .broker
        .password_file
        .as_ref()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
        .transpose()?;
    Ok(config
        .broker
        .username
        .clone()
        .zip(password.map(|p| p.trim().to_owned())))
}

/// This machine's name, for a stable MQTT client id across restarts.
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "cloud".into())
}

/// Logs to standard error, at `RUST_LOG` or `info`.
fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// The runtime of the long-running services.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// A token cancelled on SIGTERM or Ctrl-C (call inside the runtime).
fn shutdown_signal() -> std::io::Result<tokio_util::sync::CancellationToken> {
    let cancel = tokio_util::sync::CancellationToken::new();
    let stop = cancel.clone();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        stop.cancel();
    });
    Ok(cancel)
}

/// Runs one command's database work on a small runtime.
fn block_on(work: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(work)
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
