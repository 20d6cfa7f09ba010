//! The BenchSight appliance daemon: a thin driver around `benchsight-core` that captures the
//! camera, derives events, keeps them durably and delivers them to the cloud.
//!
//! Module map:
//! - [`calibration`]: camera calibration files, fitted from landmarks, kept in the state dir.
//! - [`capture`]: GStreamer capture to RGB frames, bounded hand-off, restart with backoff.
//! - [`config`]: the appliance configuration, its defaults and validation.
//! - [`model`]: a detector model folder (`model.toml` + ONNX), checked.
//! - [`inference`]: ONNX Runtime sessions, execution providers, frame → detections.
//! - [`eval_detector`]: a model's precision, recall and AP50 through the deployed path.
//! - [`perception`]: the stages wired: frame → detections → tracks → rink state.
//! - [`replay`]: a recorded game through the perception stages in lock-step.
//! - [`uplink`]: turning committed outbox records into size-limited MQTT payloads.

pub mod calibration;
pub mod capture;
pub mod config;
pub mod eval_detector;
pub mod inference;
pub mod model;
pub mod perception;
pub mod replay;
pub mod uplink;
