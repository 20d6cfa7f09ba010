//! The appliance daemon against a real Mosquitto: `benchsight-edge run` fed by recorded rink
//! states (a simulated game, corrupted as perception reports it), its SQLite store compared with
//! what a DESIGN.md §4 acker kept — through kill -9, a broker that loses its sessions, bad
//! commands and a source that falls silent under a watchdog.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use benchsight_core::domain::Rgb;
use benchsight_core::ids::{CommandId, DeviceId, GameId, TenantId};
use benchsight_core::wire::{self, CommandBody, RecordChange, StartGame, TeamSetup};
use benchsight_eval::acker::Acker;
use benchsight_sim::game::GameConfig;
use benchsight_tests::{
    Appliance, Broker, CommandChannel, Subscriber, calibrate, recorded_states, wait_for,
    workspace_binary,
};
use rand::Rng;

const TENANT: &str = "league";
const DEVICE: &str = "rink-a";

/// An appliance of tenant `league` called `rink-a` playing recorded rink states.
fn appliance(dir: &Path, broker_port: u16, states: &Path, speed: f64) -> Appliance {
    Appliance::new(dir, TENANT, DEVICE, broker_port, states, speed)
}

fn command(body: CommandBody) -> wire::Command {
    wire::Command {
        cmd_id: CommandId::new(1_764_000_000_000, rand::rng().random()),
        tenant: TenantId::parse(TENANT).unwrap(),
        device: DeviceId::parse(DEVICE).unwrap(),
        command: body,
    }
}

fn start_game(game: &str) -> wire::Command {
    let team = |name: &str, r| TeamSetup {
        name: name.into(),
        colour: Rgb { r, g: 20, b: 20 },
    };
    command(CommandBody::StartGame(StartGame {
        game_id: GameId::parse(game).unwrap(),
        home: team("Home", 200),
        away: team("Away", 20),
        home_attacks_right_p1: true,
        period_lengths_s: vec![120, 120, 120],
    }))
}

/// Ends the game (so no more records are produced) and waits until the acker holds, and the
/// appliance knows it holds, every committed record.
fn end_game_and_drain(cloud: &CommandChannel, appliance: &Appliance, acker: &Acker, game: &str) {
    let end = command(CommandBody::EndGame {
        game_id: GameId::parse(game).unwrap(),
    });
    assert!(cloud.request(&end, Duration::from_secs(60)).ok);
    let (store, _) = appliance.committed();
    wait_for("the backlog to drain", Duration::from_secs(60), || {
        let last = appliance.last_seq();
        acker.contiguous(store) >= last && appliance.acked_through() >= last
    });
}

/// Every record the appliance committed was kept by the acker exactly as committed, once per
/// seq and once per record id.
fn assert_delivered_exactly(appliance: &Appliance, acker: &Acker) -> usize {
    let (store, committed) = appliance.committed();
    let kept = acker.kept();
    let kept_records = kept.records.get(&store).cloned().unwrap_or_default();
    assert_eq!(
        kept_records.len(),
        committed.len(),
        "the acker kept {} of {} committed records",
        kept_records.len(),
        committed.len()
    );
    for record in &committed {
        assert_eq!(
            kept_records.get(&record.seq.get()),
            Some(record),
            "seq {} differs",
            record.seq
        );
    }
    let ids: BTreeSet<_> = kept_records.values().map(|r| r.record_id).collect();
    assert_eq!(
        ids.len(),
        committed.len(),
        "a record id arrived under two seqs"
    );
    // Deduplicated by event id, each new event is there once (amendments and retractions
    // share their event's id by design).
    let new_events: Vec<_> = kept_records
        .values()
        .filter(|r| matches!(r.change, RecordChange::Event(_)))
        .map(|r| r.change.event_id())
        .collect();
    let unique: BTreeSet<_> = new_events.iter().collect();
    assert_eq!(
        unique.len(),
        new_events.len(),
        "an event was committed twice"
    );
    eprintln!(
        "{} records kept once each from {} arrivals (resends included)",
        committed.len(),
        kept.arrivals.iter().filter(|(s, _)| *s == store).count()
    );
    committed.len()
}

#[test]
fn kill_nine_at_random_moments_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start();
    let acker = Acker::start("127.0.0.1", broker.port).unwrap();
    let states = recorded_states(dir.path(), 301, 120);
    let appliance = appliance(dir.path(), broker.port, &states, 40.0);
    let mut daemon = appliance.start();
    let cloud = CommandChannel::connect(broker.port, TENANT, DEVICE);
    let start = start_game("kill-test");
    assert!(cloud.request(&start, Duration::from_secs(60)).ok);

    let mut rng = rand::rng();
    let mut kills = Vec::new();
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(rng.random_range(400..2500)));
        let before = appliance.last_seq();
        daemon.kill_nine();
        kills.push(before);
        daemon = appliance.start();
    }
    let produced = appliance.last_seq();
    assert!(
        produced > kills[0] + 20,
        "events must keep being produced across the kills: {kills:?} then {produced}"
    );
    // Let the restarted daemon deliver everything, then stop it cleanly.
    end_game_and_drain(&cloud, &appliance, &acker, "kill-test");
    let status = daemon.terminate(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "clean stop: {status:?}"
    );
    assert_eq!(appliance.integrity(), "ok");
    let delivered = assert_delivered_exactly(&appliance, &acker);
    eprintln!("{delivered} records through 6 kills at seqs {kills:?}");
}

#[test]
fn a_broker_outage_with_lost_sessions_drains_the_backlog_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start();
    let acker = Acker::start("127.0.0.1", broker.port).unwrap();
    let states = recorded_states(dir.path(), 302, 120);
    let appliance = appliance(dir.path(), broker.port, &states, 40.0);
    let _daemon = appliance.start();
    let cloud = CommandChannel::connect(broker.port, TENANT, DEVICE);
    let start = start_game("outage-test");
    assert!(cloud.request(&start, Duration::from_secs(60)).ok);
    wait_for("some records acknowledged", Duration::from_secs(30), || {
        appliance.acked_through() > 5
    });

    broker.stop();
    let down_at = appliance.last_seq();
    std::thread::sleep(Duration::from_secs(4));
    let logged_while_down = appliance.last_seq() - down_at;
    assert!(
        logged_while_down > 0,
        "events keep being logged while the broker is down"
    );
    let acked_while_down = appliance.acked_through();
    let arrivals_before = acker.kept().arrivals.len();

    broker.resume();
    let back = Instant::now();
    end_game_and_drain(&cloud, &appliance, &acker, "outage-test");
    eprintln!(
        "{logged_while_down} records logged during the outage; drained {:.1} s after the broker came back",
        back.elapsed().as_secs_f64()
    );
    // In order: after the outage, each record first arrives after every lower one.
    let kept = acker.kept();
    let mut seen: BTreeSet<u64> = kept.arrivals[..arrivals_before]
        .iter()
        .map(|&(_, seq)| seq)
        .collect();
    for &(_, seq) in &kept.arrivals[arrivals_before..] {
        if seen.insert(seq) {
            assert!(
                seq <= acked_while_down + 1 || seen.contains(&(seq - 1)),
                "seq {seq} arrived before seq {}",
                seq - 1
            );
        }
    }
    assert_delivered_exactly(&appliance, &acker);
}

#[test]
fn bad_commands_get_a_reasoned_negative_ack_and_nothing_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start();
    let states = recorded_states(dir.path(), 303, 60);
    let appliance = appliance(dir.path(), broker.port, &states, 1.0);
    let mut daemon = appliance.start();
    let cloud = CommandChannel::connect(broker.port, TENANT, DEVICE);
    let ping = command(CommandBody::Ping);
    // The first command is repeated until the appliance, still starting, subscribes.
    assert!(cloud.request(&ping, Duration::from_secs(60)).ok);

    // Malformed JSON: no id to answer to, still answered.
    let before = cloud.raw_ack_count();
    cloud.send_raw(b"{\"v\":1,\"kind\":\"cmd\",\"body\":".to_vec());
    wait_for(
        "the malformed command's ack",
        Duration::from_secs(10),
        || cloud.raw_ack_count() > before,
    );
    let malformed = cloud
        .acks()
        .into_iter()
        .find(|a| a.cmd_id.is_none())
        .unwrap();
    assert!(!malformed.ok && malformed.reason.is_some());

    // An unknown command type keeps its id.
    let unknown_id = CommandId::new(1_764_000_000_000, [7; 10]);
    cloud.send_raw(
        format!(
            r#"{{"v":1,"kind":"cmd","body":{{"cmd_id":"{unknown_id}","tenant":"{TENANT}","device":"{DEVICE}","command":{{"type":"format_disk"}}}}}}"#
        )
        .into_bytes(),
    );
    let ack = cloud.ack_of(unknown_id, Duration::from_secs(10));
    assert!(!ack.ok && ack.reason.unwrap().contains("format_disk"));

    // Addressed to another tenant's appliance.
    let mut foreign = command(CommandBody::Ping);
    foreign.tenant = TenantId::parse("other-league").unwrap();
    cloud.send(&foreign);
    let ack = cloud.ack_of(foreign.cmd_id, Duration::from_secs(10));
    assert!(!ack.ok && ack.reason.unwrap().contains("other-league"));

    // Valid JSON, invalid content: a game of no periods; ending a game that is not running.
    let mut empty = start_game("g1");
    if let CommandBody::StartGame(start) = &mut empty.command {
        start.period_lengths_s.clear();
    }
    cloud.send_raw(
        serde_json::to_vec(&serde_json::json!({"v": 1, "kind": "cmd", "body": empty})).unwrap(),
    );
    let ack = cloud.ack_of(empty.cmd_id, Duration::from_secs(10));
    assert!(!ack.ok && ack.reason.unwrap().contains("periods"));
    let end = command(CommandBody::EndGame {
        game_id: GameId::parse("never-started").unwrap(),
    });
    cloud.send(&end);
    let ack = cloud.ack_of(end.cmd_id, Duration::from_secs(10));
    assert!(!ack.ok && ack.reason.unwrap().contains("not being captured"));

    // Still alive and obeying.
    assert!(daemon.is_running());
    let start = start_game("g2");
    cloud.send(&start);
    assert!(cloud.ack_of(start.cmd_id, Duration::from_secs(10)).ok);
    // A redelivered command is answered the same way, not carried out twice.
    cloud.send(&start);
    wait_for("the repeated ack", Duration::from_secs(10), || {
        cloud
            .acks()
            .iter()
            .filter(|a| a.cmd_id == Some(start.cmd_id))
            .count()
            == 2
    });
    let other = start_game("g3");
    cloud.send(&other);
    let ack = cloud.ack_of(other.cmd_id, Duration::from_secs(10));
    assert!(!ack.ok && ack.reason.unwrap().contains("g2"));

    // The game context survives a restart.
    daemon.kill_nine();
    let _daemon = appliance.start();
    let again = start_game("g3");
    let ack = cloud.request(&again, Duration::from_secs(60));
    assert!(
        !ack.ok && ack.reason.unwrap().contains("g2"),
        "g2 is still the running game"
    );
}

/// Reads the fake notify socket until `until`, returning each message with its arrival time.
fn notifications(socket: &UnixDatagram, until: Instant) -> Vec<(Instant, String)> {
    let mut out = Vec::new();
    let mut buffer = [0u8; 4096];
    while Instant::now() < until {
        socket
            .set_read_timeout(Some(
                until
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1)),
            ))
            .unwrap();
        if let Ok(n) = socket.recv(&mut buffer) {
            out.push((
                Instant::now(),
                String::from_utf8_lossy(&buffer[..n]).into_owned(),
            ));
        }
    }
    out
}

#[test]
fn a_source_that_falls_silent_stops_the_watchdog_pings() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start();
    let states = dir.path().join("short.jsonl");
    // Five seconds of a game, then the feed stops.
    let full = recorded_states(dir.path(), 304, 60);
    let text = std::fs::read_to_string(&full).unwrap();
    std::fs::write(
        &states,
        text.lines().take(150).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let mut appliance = appliance(dir.path(), broker.port, &states, 1.0);
    appliance.extra_env = vec![
        ("NOTIFY_SOCKET".into(), socket_path.display().to_string()),
        ("WATCHDOG_USEC".into(), "600000".into()),
    ];
    let mut daemon = appliance.start();
    let cloud = CommandChannel::connect(broker.port, TENANT, DEVICE);
    let start = start_game("watchdog-test");
    assert!(cloud.request(&start, Duration::from_secs(60)).ok);
    let started = Instant::now();
    let messages = notifications(&socket, started + Duration::from_secs(10));
    assert!(
        daemon.is_running(),
        "the daemon itself does not exit; systemd restarts it"
    );
    assert!(
        messages.iter().any(|(_, m)| m.contains("READY=1")),
        "READY=1 was sent: {messages:?}"
    );
    let pings: Vec<f64> = messages
        .iter()
        .filter(|(_, m)| m.contains("WATCHDOG=1"))
        .map(|(at, _)| at.duration_since(started).as_secs_f64())
        .collect();
    assert!(
        pings.iter().filter(|&&t| t < 4.0).count() >= 3,
        "pings while the feed plays: {pings:?}"
    );
    assert!(
        pings.iter().all(|&t| t < 7.0),
        "no ping once the feed has been silent for a while: {pings:?}"
    );
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn a_live_camera_is_perceived_and_recorded_in_segments() {
    use benchsight_sim::recording::{RenderJob, render_game};
    use benchsight_sim::rtsp::VirtualCamera;

    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("game.mp4");
    let job = RenderJob {
        game: GameConfig::new(9602),
        seconds: 14,
        profile: "heldout".into(),
        width: 1280,
        height: 720,
    };
    let summary = render_game(&job, &video, &dir.path().join("truth.json"), |_, _| {}).unwrap();
    let landmarks = dir.path().join("calibration.json");
    std::fs::write(
        &landmarks,
        serde_json::to_string(&summary.calibration).unwrap(),
    )
    .unwrap();
    let state_dir = dir.path().join("state");
    calibrate(&workspace_binary("benchsight-edge"), &landmarks, &state_dir);

    let camera = VirtualCamera::serve(&video, "127.0.0.1", 0, "rink").unwrap();
    let broker = Broker::start();
    let library = std::env::var("ORT_DYLIB_PATH").unwrap_or_else(|_| {
        repo()
            .join(".cache/onnxruntime/1.31.1/libonnxruntime.so.1.31.1")
            .display()
            .to_string()
    });
    let config = dir.path().join("camera.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = {state:?}\n\
             [device]\ntenant = \"{TENANT}\"\nid = \"{DEVICE}\"\n\
             [broker]\nhost = \"127.0.0.1\"\nport = {port}\n\
             [camera]\nuri = {uri:?}\n\
             [model]\npath = {model:?}\nonnxruntime = {library:?}\nthreads = 1\n\
             [recording]\nsegment_s = 2\nbudget_mb = 100\n",
            state = state_dir.display().to_string(),
            port = broker.port,
            uri = camera.url(),
            model = repo().join("models/bs-det-2").display().to_string(),
        ),
    )
    .unwrap();
    let mut appliance = appliance(dir.path(), broker.port, Path::new("/dev/null"), 1.0);
    appliance.config = config;
    appliance.state_dir = state_dir.clone();
    let mut daemon = appliance.start();
    let cloud = CommandChannel::connect(broker.port, TENANT, DEVICE);
    let start = start_game("camera-test");
    assert!(cloud.request(&start, Duration::from_secs(60)).ok);

    let closed_segments = || -> Vec<(String, i64)> {
        let db = appliance.database();
        let mut statement = db
            .prepare("SELECT path, bytes FROM recordings WHERE ended_unix_ms IS NOT NULL ORDER BY started_unix_ms")
            .unwrap();
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    wait_for("three recorded segments", Duration::from_secs(60), || {
        closed_segments().len() >= 3
    });
    assert!(daemon.is_running());
    let status = daemon.terminate(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "clean stop: {status:?}"
    );
    let segments = closed_segments();
    for (path, bytes) in &segments {
        assert!(path.starts_with(&state_dir.join("recordings").display().to_string()));
        assert_eq!(
            std::fs::metadata(path).unwrap().len() as i64,
            *bytes,
            "{path}"
        );
        assert!(*bytes > 10_000, "{path} holds {bytes} bytes");
    }
    assert_eq!(appliance.integrity(), "ok");
}

/// The device states published on the status topic so far.
fn states(watcher: &Subscriber) -> Vec<(wire::DeviceState, bool)> {
    watcher
        .seen()
        .iter()
        .filter(|m| m.topic.ends_with("/status"))
        .map(|m| {
            (
                wire::decode::<wire::Status>(&m.payload).unwrap().state,
                m.retain,
            )
        })
        .collect()
}

/// Waits until the last status published is `state`.
fn wait_for_state(watcher: &Subscriber, state: wire::DeviceState, what: &str) {
    wait_for(what, Duration::from_secs(30), || {
        states(watcher)
            .last()
            .is_some_and(|(last, _)| *last == state)
    });
}

/// Runs `benchsight-edge doctor`: (success, the report on stdout, stderr).
fn doctor(config: &Path) -> (bool, String, String) {
    let out = Command::new(workspace_binary("benchsight-edge"))
        .arg("--config")
        .arg(config)
        .arg("doctor")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// True when the report has a line for `check` with `verdict` ("ok" or "FAIL").
fn reports(report: &str, verdict: &str, check: &str) -> bool {
    report
        .lines()
        .any(|l| l.starts_with(verdict) && l.contains(check))
}

#[test]
fn status_is_retained_with_a_last_will_and_telemetry_reports_health() {
    use wire::DeviceState::{Offline, Online};

    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start();
    let states_file = recorded_states(dir.path(), 305, 60);
    let appliance = appliance(dir.path(), broker.port, &states_file, 5.0);
    let watcher = Subscriber::connect(broker.port, &format!("bs/v1/{TENANT}/{DEVICE}/#"));
    let mut daemon = appliance.start();
    let cloud = CommandChannel::connect(broker.port, TENANT, DEVICE);
    assert!(
        cloud
            .request(&start_game("telemetry-test"), Duration::from_secs(30))
            .ok
    );
    wait_for(
        "two telemetry reports of a running pipeline",
        Duration::from_secs(20),
        || {
            watcher
                .seen()
                .iter()
                .filter(|m| m.topic.ends_with("/telemetry"))
                .filter_map(|m| wire::decode::<wire::Telemetry>(&m.payload).ok())
                .filter(|t| t.frames_per_s > 10.0 && t.disk_total_bytes > 0)
                .count()
                >= 2
        },
    );
    let telemetry = watcher
        .seen()
        .iter()
        .filter(|m| m.topic.ends_with("/telemetry"))
        .filter_map(|m| wire::decode::<wire::Telemetry>(&m.payload).ok())
        .next_back()
        .unwrap();
    assert_eq!(telemetry.versions.daemon, env!("CARGO_PKG_VERSION"));
    assert_eq!(states(&watcher).last(), Some(&(Online, false)));

    // A newcomer learns the state from the retained message.
    let late = Subscriber::connect(broker.port, &format!("bs/v1/{TENANT}/{DEVICE}/status"));
    wait_for("the retained status", Duration::from_secs(10), || {
        states(&late) == [(Online, true)]
    });

    // Killed: the connection drops without a DISCONNECT, and the broker publishes the Last Will.
    daemon.kill_nine();
    wait_for_state(&watcher, Offline, "the last will");
    // Back, then stopped cleanly: online, then offline said by the daemon itself at once.
    let mut daemon = appliance.start();
    wait_for_state(&watcher, Online, "online again");
    let stopping = Instant::now();
    assert!(
        daemon
            .terminate(Duration::from_secs(20))
            .is_some_and(|s| s.success())
    );
    wait_for("offline on a clean stop", Duration::from_secs(3), || {
        states(&watcher)
            .last()
            .is_some_and(|(state, _)| *state == Offline)
    });
    assert!(stopping.elapsed() < Duration::from_secs(5));
}

#[test]
fn doctor_prints_one_line_per_check_and_fails_on_a_dead_broker() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start();
    let states_file = recorded_states(dir.path(), 306, 60);
    let appliance = appliance(dir.path(), broker.port, &states_file, 1.0);
    let (ok, report, stderr) = doctor(&appliance.config);
    assert!(ok, "{report}\n{stderr}");
    for check in [
        "disk",
        "store",
        "clock",
        "calibration",
        "camera",
        "model",
        "broker",
    ] {
        assert!(reports(&report, "ok", check), "{check} in:\n{report}");
    }
    broker.stop();
    let (ok, report, stderr) = doctor(&appliance.config);
    assert!(!ok);
    assert!(reports(&report, "FAIL", "broker"), "{report}");
    assert!(stderr.contains("1 of 7 checks failed"), "{stderr}");
}

/// A CA, a broker certificate for `localhost` and a client certificate for the device, made with
/// the openssl tool into `dir`.
fn certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "[server]\nsubjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n\
         [client]\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ca.key",
    ]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-sha256",
        "-days",
        "2",
        "-subj",
        "/CN=BenchSight test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "ca.pem",
    ]);
    for (name, subject) in [("server", "/CN=localhost"), ("client", "/CN=rink-a")] {
        openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &format!("{name}.sec1"),
        ]);
        openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            &format!("{name}.sec1"),
            "-out",
            &format!("{name}.key"),
        ]);
        openssl(&[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            subject,
            "-out",
            &format!("{name}.csr"),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-sha256",
            "-extfile",
            "ext.cnf",
            "-extensions",
            name,
            "-out",
            &format!("{name}.pem"),
        ]);
    }
}

#[test]
fn the_uplink_logs_in_over_tls_with_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    certificates(&pki);
    // Mosquitto started as root drops to its own user, which must be able to read these.
    use std::os::unix::fs::PermissionsExt;
    for path in [dir.path(), pki.as_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for entry in std::fs::read_dir(&pki).unwrap() {
        std::fs::set_permissions(
            entry.unwrap().path(),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    let file = |name: &str| pki.join(name).display().to_string();
    // A second, plain listener lets the test watch what the appliance publishes over TLS.
    let observer_port = benchsight_tests::free_port();
    let broker = Broker::start_with(&format!(
        "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n\
         use_identity_as_username true\nallow_anonymous false\n\
         listener {observer_port} 127.0.0.1\nallow_anonymous true\n",
        file("ca.pem"),
        file("server.pem"),
        file("server.key")
    ));
    let states_file = recorded_states(dir.path(), 307, 60);
    let mut appliance = appliance(dir.path(), broker.port, &states_file, 1.0);
    let config = std::fs::read_to_string(&appliance.config).unwrap().replace(
        "host = \"127.0.0.1\"",
        &format!(
            "host = \"localhost\"\nca_file = {:?}\nclient_cert_file = {:?}\nclient_key_file = {:?}",
            file("ca.pem"),
            file("client.pem"),
            file("client.key")
        ),
    );
    appliance.config = dir.path().join("tls.toml");
    std::fs::write(&appliance.config, config).unwrap();
    let watcher = Subscriber::connect(observer_port, &format!("bs/v1/{TENANT}/{DEVICE}/status"));
    let _daemon = appliance.start();
    wait_for_state(
        &watcher,
        wire::DeviceState::Online,
        "the appliance online over TLS",
    );
    // `doctor` logs in with the same credentials and says so.
    let (_, report, _) = doctor(&appliance.config);
    assert!(reports(&report, "ok", "localhost"), "{report}");
    // Without the client certificate the broker refuses the login.
    let anonymous = std::fs::read_to_string(&appliance.config)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("client_"))
        .collect::<Vec<_>>()
        .join("\n");
    let refused_config = dir.path().join("no-cert.toml");
    std::fs::write(&refused_config, anonymous).unwrap();
    let (ok, report, _) = doctor(&refused_config);
    assert!(!ok && reports(&report, "FAIL", "broker"), "{report}");
}

#[test]
fn the_uplink_logs_in_with_its_device_token() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let passwords = dir.path().join("passwd");
    let made = Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(&passwords)
        .args([&format!("{TENANT}/{DEVICE}"), "s3cret-token"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    std::fs::set_permissions(&passwords, std::fs::Permissions::from_mode(0o644)).unwrap();
    let observer_port = benchsight_tests::free_port();
    let broker = Broker::start_with(&format!(
        "allow_anonymous false\npassword_file {}\nlistener {observer_port} 127.0.0.1\nallow_anonymous true\n",
        passwords.display()
    ));
    let states_file = recorded_states(dir.path(), 308, 60);
    let mut appliance = appliance(dir.path(), broker.port, &states_file, 1.0);
    let token = dir.path().join("device-token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let with_token = |name: &str, token: &Path| {
        let config = std::fs::read_to_string(dir.path().join("edge.toml"))
            .unwrap()
            .replace(
                "host = \"127.0.0.1\"",
                &format!(
                    "host = \"127.0.0.1\"\npassword_file = {:?}",
                    token.display().to_string()
                ),
            );
        let path = dir.path().join(name);
        std::fs::write(&path, config).unwrap();
        path
    };
    appliance.config = with_token("token.toml", &token);
    let watcher = Subscriber::connect(observer_port, &format!("bs/v1/{TENANT}/{DEVICE}/status"));
    let _daemon = appliance.start();
    wait_for_state(
        &watcher,
        wire::DeviceState::Online,
        "the appliance online with its token",
    );
    let wrong = dir.path().join("wrong-token");
    std::fs::write(&wrong, "guess").unwrap();
    let (ok, report, _) = doctor(&with_token("wrong.toml", &wrong));
    assert!(!ok && reports(&report, "FAIL", "broker"), "{report}");
}
