//! End-to-end tests of BenchSight across crate and process boundaries live in `tests/tests/`.
//! This library holds what they share: a private Mosquitto that a test may stop and restart, the
//! workspace's binaries, an MQTT client that plays the cloud's command side, the appliance daemon
//! on a simulated game ([`appliance`]), the cloud in-process ([`cloud`]) and a headless browser
//! ([`browser`]).

// Test support: a failed set-up step is a failed test, reported by the panic's message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod appliance;
pub mod browser;
pub mod cloud;

pub use appliance::{Appliance, calibrate, recorded_states};

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// A binary of this workspace, built by `cargo test --workspace` next to the test executables.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` (make test)",
        path.display()
    );
    path
}

/// A release binary of this workspace: the end-to-end tests run what ships. `make test` builds
/// them before the tests (`cargo build --release --workspace --bins`).
pub fn release_binary(name: &str) -> PathBuf {
    let debug = workspace_binary(name);
    let path = debug
        .parent()
        .and_then(Path::parent)
        .map(|target| target.join("release").join(name))
        .expect("target/<profile>");
    assert!(
        path.is_file(),
        "{} is missing: cargo build --release --workspace --bins (make test does)",
        path.display()
    );
    path
}

/// Waits until `ready` holds, polling every 50 ms; panics with `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private Mosquitto on its own port, with no persistence: stopping it loses every session,
/// as a broker that crashed and was replaced would.
#[derive(Debug)]
pub struct Broker {
    pub port: u16,
    folder: tempfile::TempDir,
    process: Option<Child>,
    /// Listener settings added to the plain configuration (TLS, authentication).
    listener_settings: String,
}

impl Broker {
    pub fn start() -> Self {
        Self::start_with("allow_anonymous true\n")
    }

    /// A broker whose listener takes `listener_settings` (e.g. `cafile`, `certfile`,
    /// `require_certificate`).
    pub fn start_with(listener_settings: &str) -> Self {
        let folder = tempfile::tempdir().expect("broker folder");
        let mut broker = Self {
            port: free_port(),
            folder,
            process: None,
            listener_settings: listener_settings.to_owned(),
        };
        broker.resume();
        broker
    }

    /// Starts the broker again (same port, empty state).
    pub fn resume(&mut self) {
        assert!(self.process.is_none(), "the broker is running");
        let conf = self.folder.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "per_listener_settings true\npersistence false\nmax_queued_messages 0\n\
                 max_inflight_messages 0\nlog_dest none\nlistener {} 127.0.0.1\n{}",
                self.port, self.listener_settings
            ),
        )
        .expect("mosquitto.conf");
        let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .expect("mosquitto is not installed: run scripts/bootstrap");
        let child = Command::new(binary)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting mosquitto");
        self.process = Some(child);
        let port = self.port;
        wait_for("mosquitto to listen", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// The broker's process id while it runs (what a daemonised Mosquitto writes to its
    /// `pid_file`).
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Child::id)
    }

    /// Makes the broker re-read its password and ACL files (SIGHUP).
    pub fn reload(&self) {
        if let Some(child) = &self.process {
            let status = Command::new("kill")
                .arg("-HUP")
                .arg(child.id().to_string())
                .status()
                .expect("kill -HUP");
            assert!(status.success());
        }
    }

    /// Kills the broker (its sessions are lost).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A process that is killed when the test lets go of it.
#[derive(Debug)]
pub struct Process {
    pub child: Child,
}

impl Process {
    pub fn spawn(command: &mut Command) -> Self {
        Self {
            child: command.spawn().expect("spawning a workspace binary"),
        }
    }

    /// SIGKILL, as a power cut would.
    pub fn kill_nine(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill_nine();
    }
}

/// One message seen by a [`Subscriber`].
#[derive(Debug, Clone)]
pub struct Seen {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
    pub at: Instant,
}

/// An MQTT client subscribed to one topic filter, keeping every message it receives. It
/// resubscribes after the broker comes back.
pub struct Subscriber {
    client: rumqttc::Client,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    subscribed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber").finish_non_exhaustive()
    }
}

impl Subscriber {
    pub fn connect(port: u16, filter: &str) -> Self {
        use std::sync::atomic::Ordering::SeqCst;
        let mut options =
            rumqttc::MqttOptions::new(format!("watch-{}", free_port()), "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut connection) = rumqttc::Client::new(options, 64);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let subscribed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let (client, seen, subscribed, filter) = (
                client.clone(),
                seen.clone(),
                subscribed.clone(),
                filter.to_owned(),
            );
            std::thread::spawn(move || {
                for event in connection.iter() {
                    match event {
                        Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                            let _ = client.try_subscribe(&filter, rumqttc::QoS::AtLeastOnce);
                        }
                        Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                            subscribed.store(true, SeqCst);
                        }
                        Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                            seen.lock().unwrap().push(Seen {
                                topic: p.topic.clone(),
                                payload: p.payload.to_vec(),
                                retain: p.retain,
                                at: Instant::now(),
                            });
                        }
                        Ok(_) => {}
                        Err(_) => {
                            subscribed.store(false, SeqCst);
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            });
        }
        let subscriber = Self {
            client,
            seen,
            subscribed,
        };
        subscriber.wait_subscribed();
        subscriber
    }

    fn wait_subscribed(&self) {
        wait_for("the subscription", Duration::from_secs(30), || {
            self.subscribed.load(std::sync::atomic::Ordering::SeqCst)
        });
    }

    /// Every message so far, in order of arrival.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Publishes once subscribed (again), so that answers are not missed.
    pub fn publish(&self, topic: &str, payload: Vec<u8>) {
        self.wait_subscribed();
        self.client
            .publish(topic, rumqttc::QoS::AtLeastOnce, false, payload)
            .expect("publishing");
    }
}

/// The cloud's command side for one appliance: publishes on its `cmd` topic and collects what
/// comes back on `cmd_ack`.
pub struct CommandChannel {
    answers: Subscriber,
    cmd_topic: String,
}

impl std::fmt::Debug for CommandChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandChannel")
            .field("cmd_topic", &self.cmd_topic)
            .finish_non_exhaustive()
    }
}

impl CommandChannel {
    pub fn connect(port: u16, tenant: &str, device: &str) -> Self {
        let prefix = format!("bs/v1/{tenant}/{device}");
        Self {
            answers: Subscriber::connect(port, &format!("{prefix}/cmd_ack")),
            cmd_topic: format!("{prefix}/cmd"),
        }
    }

    /// Publishes a raw payload on the appliance's `cmd` topic, once the channel is (again)
    /// subscribed to the answers: a broker that lost its sessions would drop them otherwise.
    pub fn send_raw(&self, payload: Vec<u8>) {
        self.answers.publish(&self.cmd_topic, payload);
    }

    pub fn send(&self, command: &benchsight_core::wire::Command) {
        self.send_raw(benchsight_core::wire::encode(command).expect("encoding a command"));
    }

    fn find(
        &self,
        cmd_id: benchsight_core::ids::CommandId,
    ) -> Option<benchsight_core::wire::CommandAck> {
        self.acks().into_iter().find(|a| a.cmd_id == Some(cmd_id))
    }

    /// Sends `command` until its ack arrives, as the cloud does: a command published while the
    /// appliance was away from a broker that lost its session is gone, and the appliance answers
    /// a repeated command id from its store without carrying it out again.
    pub fn request(
        &self,
        command: &benchsight_core::wire::Command,
        timeout: Duration,
    ) -> benchsight_core::wire::CommandAck {
        let deadline = Instant::now() + timeout;
        loop {
            self.send(command);
            let wait_until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < wait_until {
                if let Some(ack) = self.find(command.cmd_id) {
                    return ack;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(
                Instant::now() < deadline,
                "no ack of command {} within {timeout:?}",
                command.cmd_id
            );
        }
    }

    /// Waits for the ack of `cmd_id`.
    pub fn ack_of(
        &self,
        cmd_id: benchsight_core::ids::CommandId,
        timeout: Duration,
    ) -> benchsight_core::wire::CommandAck {
        let mut found = None;
        wait_for(&format!("the ack of command {cmd_id}"), timeout, || {
            found = self.find(cmd_id);
            found.is_some()
        });
        found.expect("found")
    }

    /// Every decodable ack received so far, in order.
    pub fn acks(&self) -> Vec<benchsight_core::wire::CommandAck> {
        self.answers
            .seen()
            .iter()
            .filter_map(|m| benchsight_core::wire::decode(&m.payload).ok())
            .collect()
    }

    /// Messages received on `cmd_ack`, decodable or not.
    pub fn raw_ack_count(&self) -> u64 {
        self.answers.seen().len() as u64
    }
}
