//! The appliance daemon as the end-to-end tests run it: `benchsight-edge run` playing a simulated
//! game's rink states (corrupted as perception reports them), and its SQLite store read back.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use benchsight_core::ids::StoreId;
use benchsight_core::wire::Record;
use benchsight_eval::corruption::CorruptionLevels;
use benchsight_eval::events::write_corrupted_states;
use benchsight_sim::game::GameConfig;

use crate::{Process, wait_for, workspace_binary};

/// A simulated game's rink states (written once per test into `dir`).
pub fn recorded_states(dir: &Path, seed: u64, period_seconds: u32) -> PathBuf {
    let path = dir.join(format!("states-{seed}.jsonl"));
    let mut game = GameConfig::new(seed);
    game.period_length_s = period_seconds;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write_corrupted_states(game, CorruptionLevels::default(), &mut out).unwrap();
    std::io::Write::flush(&mut out).unwrap();
    path
}

/// `benchsight-edge calibrate` (binary `edge`) from the landmark pairs in `landmarks` into
/// `state_dir`, as an installer does before the first game.
pub fn calibrate(edge: &Path, landmarks: &Path, state_dir: &Path) {
    let calibrated = Command::new(edge)
        .args(["calibrate", "--camera", "main", "--landmarks"])
        .arg(landmarks)
        .arg("--state-dir")
        .arg(state_dir)
        .output()
        .unwrap();
    assert!(calibrated.status.success(), "{calibrated:?}");
}

/// `benchsight-edge run` in a folder of its own: its configuration, its state directory (the
/// SQLite store is read directly to compare with what was delivered).
#[derive(Debug)]
pub struct Appliance {
    /// The daemon's binary (the workspace's debug build unless set).
    pub binary: PathBuf,
    pub config: PathBuf,
    pub state_dir: PathBuf,
    /// Environment variables added to the daemon's.
    pub extra_env: Vec<(String, String)>,
}

impl Appliance {
    /// An appliance of `tenant` / `device` playing recorded rink `states` at `speed`.
    pub fn new(
        dir: &Path,
        tenant: &str,
        device: &str,
        broker_port: u16,
        states: &Path,
        speed: f64,
    ) -> Self {
        let state_dir = dir.join("state");
        let config = dir.join("edge.toml");
        std::fs::write(
            &config,
            format!(
                "state_dir = {state:?}\n\
                 [device]\ntenant = \"{tenant}\"\nid = \"{device}\"\n\
                 [broker]\nhost = \"127.0.0.1\"\nport = {broker_port}\nack_timeout_s = 2\n\
                 keep_alive_s = 5\ntelemetry_interval_s = 1\n\
                 [camera]\nrecorded_states = {states:?}\nspeed = {speed}\n",
                state = state_dir.display().to_string(),
                states = states.display().to_string(),
            ),
        )
        .unwrap();
        Self {
            binary: workspace_binary("benchsight-edge"),
            config,
            state_dir,
            extra_env: Vec::new(),
        }
    }

    pub fn start(&self) -> Process {
        let mut command = Command::new(&self.binary);
        command
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .env(
                "RUST_LOG",
                std::env::var("BENCHSIGHT_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        Process::spawn(&mut command)
    }

    pub fn database(&self) -> rusqlite::Connection {
        let path = self.state_dir.join("events.sqlite");
        wait_for("the event store", Duration::from_secs(20), || {
            path.is_file()
        });
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection.busy_timeout(Duration::from_secs(10)).unwrap();
        connection
    }

    /// (store id, every committed record) from the appliance's SQLite.
    pub fn committed(&self) -> (StoreId, Vec<Record>) {
        let db = self.database();
        let store: String = db
            .query_row("SELECT store_id FROM store_meta", [], |r| r.get(0))
            .unwrap();
        let mut statement = db
            .prepare("SELECT payload FROM records ORDER BY seq")
            .unwrap();
        let records = statement
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|p| serde_json::from_str(&p.unwrap()).unwrap())
            .collect();
        (StoreId::parse(&store).unwrap(), records)
    }

    /// One number from the appliance's store (0 while it cannot be read).
    pub fn number(&self, sql: &str) -> u64 {
        self.database()
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_or(0, |v| v as u64)
    }

    pub fn last_seq(&self) -> u64 {
        self.number("SELECT COALESCE(MAX(seq), 0) FROM records")
    }

    pub fn acked_through(&self) -> u64 {
        self.number("SELECT acked_through FROM store_meta")
    }

    pub fn integrity(&self) -> String {
        self.database()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap()
    }
}
