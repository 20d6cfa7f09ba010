//! The appliance's configuration (`/etc/benchsight/edge.toml`): which device of which tenant this
//! is, how to reach the broker, and where run-time state lives. The binary loads it (file plus
//! `BENCHSIGHT_EDGE_*` environment overrides); this module defines it, its defaults and the checks
//! that keep a bad value from surfacing later as a confusing failure.

use std::path::PathBuf;

use benchsight_core::ids::{DeviceId, TenantId};
use serde::{Deserialize, Serialize};

use crate::inference::ExecutionProvider;

/// The whole appliance configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeConfig {
    pub device: DeviceSection,
    #[serde(default)]
    pub broker: BrokerSection,
    /// Where the appliance keeps what it learns at run time: the event store, calibration, the
    /// current game, recordings, the TensorRT engine cache (systemd `StateDirectory`).
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    #[serde(default)]
    pub camera: CameraSection,
    #[serde(default)]
    pub model: ModelSection,
    #[serde(default)]
    pub recording: RecordingSection,
}

/// Recording of the camera stream and the clips cut around goals and shots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingSection {
    /// Record live cameras (rtsp://, v4l2://) into STATE_DIR/recordings; files are not recorded
    /// again.
    pub enabled: bool,
    /// Segment length; segments end at the first keyframe after it.
    pub segment_s: u64,
    /// Disk the segments may use; the oldest are deleted beyond it (events never are).
    pub budget_mb: u64,
    /// A clip around each goal and shot: this long before the event…
    pub clip_before_s: u64,
    /// …and this long after it.
    pub clip_after_s: u64,
    /// Where clips are uploaded (`PUT {url}/{event_id}` with the device token); clips stay in
    /// STATE_DIR/clips when not set.
    pub clip_upload_url: Option<String>,
}

impl Default for RecordingSection {
    fn default() -> Self {
        Self {
            enabled: true,
            segment_s: 10,
            budget_mb: 20_000,
            clip_before_s: 8,
            clip_after_s: 4,
            clip_upload_url: None,
        }
    }
}

/// Where the daemon's frames come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraSection {
    /// Camera name; its calibration is `STATE_DIR/calibration/NAME.json`.
    pub name: String,
    /// `rtsp://…`, `v4l2:///dev/videoN` or `file:///…`.
    pub uri: Option<String>,
    /// Instead of a camera: rink states recorded by `benchsight-edge replay --out`, played from
    /// the moment a game starts at `speed` × real time (re-deriving a game's events, tests).
    pub recorded_states: Option<PathBuf>,
    pub speed: f64,
    /// Size frames are decoded to (the calibration's image size).
    pub width: u32,
    pub height: u32,
    /// RTSP jitter-buffer latency.
    pub latency_ms: u32,
}

impl Default for CameraSection {
    fn default() -> Self {
        Self {
            name: "main".into(),
            uri: None,
            recorded_states: None,
            speed: 1.0,
            width: 1280,
            height: 720,
            latency_ms: 200,
        }
    }
}

/// The detector and how to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSection {
    /// Model folder holding model.toml and the ONNX file.
    pub path: PathBuf,
    /// The ONNX Runtime shared library.
    pub onnxruntime: PathBuf,
    pub provider: ExecutionProvider,
    /// Threads inside one operator (0: ONNX Runtime decides).
    pub threads: usize,
}

impl Default for ModelSection {
    fn default() -> Self {
        Self {
            path: "/usr/share/benchsight/models/bs-det-2".into(),
            onnxruntime: "/usr/lib/libonnxruntime.so.1".into(),
            provider: ExecutionProvider::Cpu,
            threads: 0,
        }
    }
}

/// The daemon's source of rink states, as configured.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    Camera { uri: String },
    RecordedStates { path: PathBuf, speed: f64 },
}

/// Which appliance this is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSection {
    pub tenant: TenantId,
    pub id: DeviceId,
}

/// How the uplink reaches the MQTT broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerSection {
    pub host: String,
    pub port: u16,
    /// Broker user name; the device id when not set.
    pub username: Option<String>,
    /// File holding the device token (the broker password). Kept out of the config so the config
    /// can be shown and shipped without the secret.
    pub password_file: Option<PathBuf>,
    /// CA certificate to verify the broker (enables TLS).
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key, for brokers that authenticate devices by certificate.
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
    /// Republish from the lowest unacknowledged record when no ack arrives within this time.
    pub ack_timeout_s: u64,
    pub keep_alive_s: u64,
    /// The most records published and not yet acknowledged.
    pub max_in_flight: u64,
    /// How often health figures go to the `telemetry` topic.
    pub telemetry_interval_s: u64,
}

impl Default for BrokerSection {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 1883,
            username: None,
            password_file: None,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            ack_timeout_s: 30,
            keep_alive_s: 30,
            max_in_flight: 20_000,
            telemetry_interval_s: 60,
        }
    }
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/benchsight")
}

/// A configuration value that parsed but cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {problem}")]
pub struct ConfigError {
    pub key: &'static str,
    pub problem: String,
}

impl EdgeConfig {
    /// Checks what the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key, problem: &str| {
            Err(ConfigError {
                key,
                problem: problem.to_owned(),
            })
        };
        if self.broker.host.trim().is_empty() {
            return fail("broker.host", "must not be empty");
        }
        if self.broker.port == 0 {
            return fail("broker.port", "must be a port number from 1 to 65535");
        }
        if !(1..=3600).contains(&self.broker.ack_timeout_s) {
            return fail("broker.ack_timeout_s", "must be between 1 and 3600 seconds");
        }
        if !(5..=3600).contains(&self.broker.keep_alive_s) {
            return fail("broker.keep_alive_s", "must be between 5 and 3600 seconds");
        }
        if !(100..=1_000_000).contains(&self.broker.max_in_flight) {
            return fail(
                "broker.max_in_flight",
                "must be between 100 and 1000000 records",
            );
        }
        if !(1..=86_400).contains(&self.broker.telemetry_interval_s) {
            return fail(
                "broker.telemetry_interval_s",
                "must be between 1 and 86400 seconds",
            );
        }
        if self.broker.client_cert_file.is_some() != self.broker.client_key_file.is_some() {
            return fail(
                "broker.client_cert_file",
                "client_cert_file and client_key_file go together",
            );
        }
        if !self.state_dir.is_absolute() {
            return fail("state_dir", "must be an absolute path");
        }
        let camera = &self.camera;
        if camera.name.is_empty()
            || camera.name.len() > 64
            || !camera
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return fail("camera.name", "must be 1 to 64 letters, digits, '-' or '_'");
        }
        if !(camera.speed.is_finite() && (0.1..=1000.0).contains(&camera.speed)) {
            return fail("camera.speed", "must be between 0.1 and 1000");
        }
        let recording = &self.recording;
        if !(2..=600).contains(&recording.segment_s) {
            return fail("recording.segment_s", "must be between 2 and 600 seconds");
        }
        if recording.budget_mb < 100 {
            return fail("recording.budget_mb", "must be at least 100 MB");
        }
        if recording.clip_before_s > 120 || recording.clip_after_s > 120 {
            return fail(
                "recording.clip_before_s",
                "clip margins are at most 120 s each",
            );
        }
        if recording.clip_before_s + recording.clip_after_s == 0 {
            return fail("recording.clip_before_s", "a clip needs some length");
        }
        if let Some(url) = &recording.clip_upload_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return fail("recording.clip_upload_url", "must be an http(s):// URL");
        }
        if !(64..=7680).contains(&camera.width) || !(64..=4320).contains(&camera.height) {
            return fail("camera.width", "frame size must be 64×64 to 7680×4320");
        }
        Ok(())
    }

    /// Where `run` takes its rink states from: exactly one of `camera.uri` and
    /// `camera.recorded_states`.
    pub fn source(&self) -> Result<SourceSpec, ConfigError> {
        match (&self.camera.uri, &self.camera.recorded_states) {
            (Some(uri), None) => Ok(SourceSpec::Camera { uri: uri.clone() }),
            (None, Some(path)) => Ok(SourceSpec::RecordedStates {
                path: path.clone(),
                speed: self.camera.speed,
            }),
            (None, None) => Err(ConfigError {
                key: "camera.uri",
                problem: "no camera: set camera.uri (rtsp://, v4l2://, file://) or \
                          camera.recorded_states"
                    .into(),
            }),
            (Some(_), Some(_)) => Err(ConfigError {
                key: "camera.uri",
                problem: "camera.uri and camera.recorded_states exclude each other".into(),
            }),
        }
    }

    /// The broker user name: the configured one, or `{tenant}/{device}` as the cloud
    /// provisions it.
    pub fn broker_username(&self) -> String {
        self.broker.username.clone().unwrap_or_else(|| {
            benchsight_core::topic::Topic::broker_username(&self.device.tenant, &self.device.id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> EdgeConfig {
        serde_json::from_value(serde_json::json!({
            "device": {"tenant": "league", "id": "rink-a"}
        }))
        .unwrap()
    }

    #[test]
    fn defaults_fill_everything_but_the_device() {
        let config = minimal();
        assert_eq!(config.broker.port, 1883);
        assert_eq!(config.broker.ack_timeout_s, 30);
        assert_eq!(config.state_dir, PathBuf::from("/var/lib/benchsight"));
        assert_eq!(config.broker_username(), "league/rink-a");
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut config = minimal();
        config.broker.ack_timeout_s = 0;
        assert_eq!(config.validate().unwrap_err().key, "broker.ack_timeout_s");
        let mut config = minimal();
        config.broker.client_cert_file = Some("/etc/benchsight/client.pem".into());
        assert_eq!(
            config.validate().unwrap_err().key,
            "broker.client_cert_file"
        );
        let mut config = minimal();
        config.state_dir = "relative".into();
        assert_eq!(config.validate().unwrap_err().key, "state_dir");
    }
}
