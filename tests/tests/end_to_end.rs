//! The whole system on release binaries: a simulated game streamed like an IP camera (RTSP, real
//! time, 1280×720) → `benchsight-edge run` (capture, perception with the shipped detector,
//! the game-event engine, SQLite, uplink) → a private Mosquitto → `benchsight-cloud ingest` →
//! PostgreSQL → ETL → `benchsight-cloud serve`. During the same run the broker is stopped and
//! started again (its sessions lost) and the appliance is killed with SIGKILL and restarted.
//! Afterwards every record the appliance committed is in the cloud exactly once, and the API's
//! statistics are the ETL over the stored events. The appliance never sees the truth file; the
//! goals it found are compared with the simulator's truth and printed.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use benchsight_cloud::db::{provision_database, provisioned_urls};
use benchsight_core::event::GameEvent;
use benchsight_core::stats::{TeamStats, game_stats};
use benchsight_core::vocabulary::EventType;
use benchsight_core::wire::RecordChange;
use benchsight_sim::game::GameConfig;
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_sim::rtsp::VirtualCamera;
use benchsight_sim::truth::GameTruth;
use benchsight_tests::cloud::pg_admin_url;
use benchsight_tests::{Appliance, Broker, Process, calibrate, release_binary, wait_for};
use serde_json::Value;

const SEED: u64 = 9701;
const VIDEO_S: u32 = 120;
const PERIOD_S: u32 = 60;
const GAME: &str = "e2e-9701";
const TENANT: &str = "league";
const DEVICE: &str = "rink-1";
const SERVICE_ROLE: &str = "bs_test_service";

/// `benchsight-cloud` on the test's configuration.
fn cloud(config: &Path) -> Command {
    let mut command = Command::new(release_binary("benchsight-cloud"));
    command.arg("--config").arg(config);
    command
}

/// Runs a `benchsight-cloud` command to completion; returns its standard output.
fn cloud_ok(config: &Path, args: &[&str]) -> String {
    let output = cloud(config).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "benchsight-cloud {args:?}: {output:?}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The value after the last ": " of the output line starting with `prefix`.
fn printed(output: &str, prefix: &str) -> String {
    output
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit_once(": "))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {prefix:?} line in {output}"))
}

/// A blocking HTTP client for the cloud's API, with an API key.
struct Api {
    agent: ureq::Agent,
    base: String,
    key: String,
}

impl Api {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.key))
            .header("Content-Type", "application/json")
            .body(body.map(|b| b.to_string()).unwrap_or_default())
            .unwrap();
        let mut response = self.agent.run(request).unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {value}"
        );
        value
    }
}

/// The test's PostgreSQL database, freshly created: (owner URL, service URL).
fn database(name: &str) -> (String, String) {
    let admin = pg_admin_url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(provision_database(&admin, name, SERVICE_ROLE))
        .unwrap();
    provisioned_urls(&admin, name, SERVICE_ROLE).unwrap()
}

#[test]
fn a_simulated_game_reaches_the_api_exactly_once_through_a_broker_outage_and_a_killed_appliance() {
    let dir = tempfile::tempdir().unwrap();

    // The game, rendered; its truth stays with the test.
    let video = dir.path().join("game.mp4");
    let truth_path = dir.path().join("truth.json");
    let mut game = GameConfig::new(SEED);
    game.period_length_s = PERIOD_S;
    game.intermission_s = 5;
    let job = RenderJob {
        game,
        seconds: VIDEO_S,
        profile: "heldout".into(),
        width: 1280,
        height: 720,
    };
    let summary = render_game(&job, &video, &truth_path, |_, _| {}).unwrap();
    let landmarks = dir.path().join("calibration.json");
    std::fs::write(
        &landmarks,
        serde_json::to_string(&summary.calibration).unwrap(),
    )
    .unwrap();

    // The cloud: its database, tenant, rink, appliance and an admin key; ingest and API.
    let mut broker = Broker::start();
    let (owner_url, service_url) = database("bs_test_end_to_end");
    let http_port = benchsight_tests::free_port();
    let config = dir.path().join("cloud.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = {service_url:?}\nowner_url = {owner_url:?}\n\
             [broker]\nhost = \"127.0.0.1\"\nport = {}\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n\
             [clips]\npath = {:?}\n\
             [broker_admin]\npassword_file = {:?}\n",
            broker.port,
            dir.path().join("clips").display().to_string(),
            dir.path().join("passwd").display().to_string(),
        ),
    )
    .unwrap();
    cloud_ok(&config, &["create-tenant", TENANT]);
    cloud_ok(&config, &["create-rink", "north", "--tenant", TENANT]);
    let token = printed(
        &cloud_ok(
            &config,
            &[
                "create-device",
                DEVICE,
                "--tenant",
                TENANT,
                "--rink",
                "north",
            ],
        ),
        "token",
    );
    let key = printed(
        &cloud_ok(
            &config,
            &[
                "create-api-key",
                "--tenant",
                TENANT,
                "--name",
                "e2e",
                "--role",
                "admin",
            ],
        ),
        "key",
    );
    let service = |what: &str| {
        let log = std::fs::File::create(dir.path().join(format!("cloud-{what}.log"))).unwrap();
        Process::spawn(
            cloud(&config)
                .arg(what)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log),
        )
    };
    let _ingest = service("ingest");
    let _serve = service("serve");
    let api = Api {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent(),
        base: format!("http://127.0.0.1:{http_port}"),
        key,
    };
    wait_for("the API", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", http_port)).is_ok()
    });

    // The appliance watching the camera; it never sees the truth.
    let camera = VirtualCamera::serve(&video, "127.0.0.1", 0, "rink").unwrap();
    let state_dir = dir.path().join("edge");
    calibrate(&release_binary("benchsight-edge"), &landmarks, &state_dir);
    let token_file = dir.path().join("device-token");
    std::fs::write(&token_file, &token).unwrap();
    let mut appliance = Appliance::new(
        dir.path(),
        TENANT,
        DEVICE,
        broker.port,
        Path::new("/dev/null"),
        1.0,
    );
    appliance.binary = release_binary("benchsight-edge");
    appliance.config = dir.path().join("camera.toml");
    appliance.state_dir = state_dir.clone();
    let library = std::env::var("ORT_DYLIB_PATH").expect("ORT_DYLIB_PATH (run with `make test`)");
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/bs-det-2");
    std::fs::write(
        &appliance.config,
        format!(
            "state_dir = {:?}\n\
             [device]\ntenant = \"{TENANT}\"\nid = \"{DEVICE}\"\n\
             [broker]\nhost = \"127.0.0.1\"\nport = {}\npassword_file = {:?}\n\
             ack_timeout_s = 2\nkeep_alive_s = 5\ntelemetry_interval_s = 2\n\
             [camera]\nuri = {:?}\n\
             [model]\npath = {:?}\nonnxruntime = {library:?}\n\
             [recording]\nsegment_s = 4\nclip_upload_url = \"http://127.0.0.1:{http_port}/device-api/v1/{TENANT}/{DEVICE}/clips\"\n",
            state_dir.display().to_string(),
            broker.port,
            token_file.display().to_string(),
            camera.url(),
            models.display().to_string(),
        ),
    )
    .unwrap();
    let mut daemon = appliance.start();
    wait_for(
        "the appliance online in the cloud",
        Duration::from_secs(60),
        || {
            api.ok("GET", "/api/v1/devices", None)
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["status"] == "online"))
        },
    );

    // Game control: schedule at the rink and start on its appliance.
    api.ok(
        "POST",
        "/api/v1/games",
        Some(serde_json::json!({
            "game_id": GAME, "rink_id": "north", "starts_at": "2026-11-25T19:30:00Z",
            "home": {"name": "Nelson", "colour": "#c81e1e"},
            "away": {"name": "Velodrome", "colour": "#1e3cc8"},
            "period_lengths_s": [PERIOD_S, PERIOD_S, PERIOD_S],
            // What the rink operator knows; the appliance never sees the truth.
            "home_attacks_right_p1": job.game.home_attacks_right_p1,
        })),
    );
    let started = Instant::now();
    api.ok(
        "POST",
        &format!("/api/v1/games/{GAME}/start"),
        Some(serde_json::json!({})),
    );
    let at = |s: u64| {
        let until = started + Duration::from_secs(s);
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
    };

    // The faults, while the game is on.
    at(30);
    broker.stop();
    at(42);
    broker.resume();
    at(60);
    daemon.kill_nine();
    at(66);
    let mut daemon = appliance.start();
    at(u64::from(VIDEO_S) + 5);
    assert!(daemon.is_running(), "the appliance died");

    api.ok(
        "POST",
        &format!("/api/v1/games/{GAME}/end"),
        Some(serde_json::json!({})),
    );
    // The appliance closes the game's engine (its last events, GameEnd among them) only after
    // the command has reached it: the snapshot below must not be taken before.
    wait_for(
        "the appliance to log the game's end",
        Duration::from_secs(60),
        || appliance.number("SELECT COUNT(*) FROM events WHERE event_type = 'GameEnd'") > 0,
    );
    wait_for(
        "the appliance's backlog to drain",
        Duration::from_secs(120),
        || {
            let last = appliance.last_seq();
            last > 0 && appliance.acked_through() >= last
        },
    );
    let (store, committed) = appliance.committed();
    let status = daemon.terminate(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "clean stop: {status:?}"
    );
    assert_eq!(appliance.integrity(), "ok");

    // Every committed record in the cloud's delivery ledger exactly once; every event stored.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let owner = runtime
        .block_on(benchsight_cloud::db::Database::connect(&owner_url, 1))
        .unwrap();
    let ledger: Vec<i64> = runtime
        .block_on(
            sqlx::query_scalar(
                "SELECT seq FROM device_record WHERE tenant_id = $1 AND device_id = $2
                   AND store_id = $3::uuid AND outcome = 'stored' ORDER BY seq",
            )
            .bind(TENANT)
            .bind(DEVICE)
            .bind(store.to_string())
            .fetch_all(owner.pool()),
        )
        .unwrap();
    let seqs: Vec<i64> = committed.iter().map(|r| r.seq.get() as i64).collect();
    assert_eq!(
        ledger, seqs,
        "the cloud's ledger differs from the appliance's records"
    );
    let mut latest: BTreeMap<String, Option<GameEvent>> = BTreeMap::new();
    for record in &committed {
        match &record.change {
            RecordChange::Event(e) => {
                latest.insert(e.event_id.to_string(), Some(e.clone()));
            }
            RecordChange::Amendment(a) => {
                latest.insert(a.event.event_id.to_string(), Some(a.event.clone()));
            }
            RecordChange::Retraction(r) => {
                latest.insert(r.event_id.to_string(), None);
            }
        }
    }
    let stored: Vec<(uuid::Uuid, bool, Value)> = runtime
        .block_on(
            sqlx::query_as(
                "SELECT event_id, retracted, payload FROM event
                 WHERE tenant_id = $1 AND game_id = $2",
            )
            .bind(TENANT)
            .bind(GAME)
            .fetch_all(owner.pool()),
        )
        .unwrap();
    let stored_ids: BTreeSet<String> = stored.iter().map(|(id, _, _)| id.to_string()).collect();
    let edge_ids: BTreeSet<String> = latest.keys().cloned().collect();
    assert_eq!(
        stored_ids, edge_ids,
        "events differ between the appliance and the cloud"
    );
    for (id, retracted, payload) in &stored {
        let edge = &latest[&id.to_string()];
        assert_eq!(*retracted, edge.is_none(), "{id}: retraction");
        if let Some(edge) = edge {
            let cloud: GameEvent = serde_json::from_value(payload.clone()).unwrap();
            assert_eq!(&cloud, edge, "{id}: the cloud holds another version");
        }
    }

    // One game start, however often the appliance restarted during the game.
    let starts = latest
        .values()
        .flatten()
        .filter(|e| e.event_type == EventType::GameStart)
        .count();
    assert_eq!(starts, 1, "game starts logged");

    // The API's statistics are the ETL over the stored events.
    let current: Vec<GameEvent> = latest.values().flatten().cloned().collect();
    let expected = game_stats(&current, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let (home, away) = loop {
        let game = api.ok("GET", &format!("/api/v1/games/{GAME}"), None);
        let team = |side: &str| -> Option<TeamStats> {
            game["box_score"]["teams"]
                .as_array()?
                .iter()
                .find(|t| t["team"] == side)
                .and_then(|t| serde_json::from_value(t["stats"].clone()).ok())
        };
        let pair = (
            team("home").unwrap_or_default(),
            team("away").unwrap_or_default(),
        );
        if pair == (expected.home.clone(), expected.away.clone()) || Instant::now() > deadline {
            break pair;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(home, expected.home, "home statistics");
    assert_eq!(away, expected.away, "away statistics");

    // What the appliance found, next to the truth (goals within the video).
    let truth = GameTruth::read(&truth_path).unwrap();
    let truth_goals: Vec<u64> = truth
        .events
        .iter()
        .filter(|e| e.event_type == EventType::Goal)
        .filter_map(|e| e.media_time_ms.map(|t| t.0))
        .collect();
    let found_goals: Vec<u64> = current
        .iter()
        .filter(|e| e.event_type == EventType::Goal)
        .filter_map(|e| e.media_time_ms.map(|t| t.0))
        .collect();
    let kinds: BTreeMap<String, usize> = current.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(format!("{:?}", e.event_type)).or_default() += 1;
        m
    });
    eprintln!(
        "{} records delivered once each; {} events {kinds:?}; goals found at {found_goals:?} ms, \
         truth {truth_goals:?} ms; score {} – {}",
        committed.len(),
        current.len(),
        home.goals,
        away.goals
    );
    drop(camera);
}
