//! The `benchsight-edge` binary as an operator meets it: help, version, and configuration errors
//! that name the offending key.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn edge(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_benchsight-edge"));
    command.args(args).env_remove("BENCHSIGHT_EDGE_CONFIG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

fn write_config(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

#[test]
fn help_and_version_describe_the_binary() {
    let help = edge(&["--help"], &[]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("check-config"));
    let version = edge(&["--version"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("benchsight-edge {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_valid_config_is_shown_with_environment_overrides_applied() {
    let file =
        write_config("[device]\ntenant = \"league\"\nid = \"rink-a\"\n\n[broker]\nport = 8883\n");
    let path = file.path().to_str().unwrap();
    let out = edge(
        &["check-config", "--config", path],
        &[("BENCHSIGHT_EDGE_BROKER__HOST", "broker.example.net")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"host\": \"broker.example.net\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"port\": 8883"), "{stdout}");
}

#[test]
fn bad_configs_fail_with_the_key_named() {
    let cases = [
        (
            "[device]\ntenant = \"league\"\nid = \"rink-a\"\ncolour = \"red\"\n",
            "colour",
        ),
        (
            "[device]\ntenant = \"League A\"\nid = \"rink-a\"\n",
            "tenant",
        ),
        (
            "[device]\ntenant = \"league\"\nid = \"rink-a\"\n[broker]\nport = \"x\"\n",
            "port",
        ),
        (
            "[device]\ntenant = \"league\"\nid = \"rink-a\"\n[broker]\nack_timeout_s = 0\n",
            "broker.ack_timeout_s",
        ),
        ("[broker]\nport = 1\n", "device"),
        ("[device\n", "TOML"),
    ];
    for (text, key) in cases {
        let file = write_config(text);
        let out = edge(
            &["check-config", "--config", file.path().to_str().unwrap()],
            &[],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text:?} was accepted");
        assert!(
            stderr.contains(key),
            "{text:?}: error does not name {key}: {stderr}"
        );
    }
    let missing = edge(&["check-config", "--config", "/nonexistent/edge.toml"], &[]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
}

#[test]
fn the_shipped_example_config_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/edge.toml");
    let out = edge(&["check-config", "--config", path], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"uri\": \"rtsp://"), "{stdout}");
    assert!(stdout.contains("\"provider\": \"tensorrt\""), "{stdout}");
}

#[test]
fn run_refuses_a_config_without_a_camera() {
    let state = tempfile::tempdir().unwrap();
    let file = write_config(&format!(
        "state_dir = {:?}\n[device]\ntenant = \"league\"\nid = \"rink-a\"\n",
        state.path().display().to_string()
    ));
    let out = edge(&["run", "--config", file.path().to_str().unwrap()], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("camera.uri"), "{stderr}");
}

#[test]
fn run_refuses_a_damaged_event_store_and_says_how_to_recover() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(state.path().join("events.sqlite"), vec![b'x'; 8192]).unwrap();
    let states = state.path().join("states.jsonl");
    std::fs::write(&states, "").unwrap();
    let file = write_config(&format!(
        "state_dir = {:?}\n[device]\ntenant = \"league\"\nid = \"rink-a\"\n\
         [camera]\nrecorded_states = {:?}\n",
        state.path().display().to_string(),
        states.display().to_string()
    ));
    let out = edge(&["run", "--config", file.path().to_str().unwrap()], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("damaged") && stderr.contains(".recover"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(state.path().join("events.sqlite")).unwrap(),
        vec![b'x'; 8192]
    );
}
