//! The BenchSight appliance daemon: a thin driver around `benchsight-core` that captures the
//! camera, derives events, keeps them durably and delivers them to the cloud.
//!
//! Module map:
//! - [`calibration`]: camera calibration files, fitted from landmarks, kept in the state dir.
//! - [`capture`]: GStreamer capture to RGB frames, bounded hand-off, restart with backoff.
//! - [`config`]: the appliance configuration, its defaults and validation.
//! - [`doctor`]: `doctor` — one line per check: disk, store, clock, camera, model, broker.
//! - [`daemon`]: `run` — source → perception → engine → store → uplink, commands, watchdog.
//! - [`model`]: a detector model folder (`model.toml` + ONNX), checked.
//! - [`inference`]: ONNX Runtime sessions, execution providers, frame → detections.
//! - [`eval_detector`]: a model's precision, recall and AP50 through the deployed path.
//! - [`health`]: pipeline progress counters (watchdog, telemetry), disk space, temperature.
//! - [`perception`]: the stages wired: frame → detections → tracks → rink state.
//! - [`recording`]: recorded segments in the store, pruning by disk budget, clips cut and uploaded.
//! - [`replay`]: a recorded game through the perception stages in lock-step.
//! - [`store`]: the durable event log (SQLite): outbox, watermark, games, commands, clips.
//! - [`uplink`]: the store-and-forward MQTT uplink: batches, acks, resends, status, commands.

pub mod calibration;
pub mod capture;
pub mod config;
pub mod daemon;
pub mod doctor;
pub mod eval_detector;
pub mod health;
pub mod inference;
pub mod model;
pub mod perception;
pub mod recording;
pub mod replay;
pub mod store;
pub mod uplink;

#[cfg(test)]
mod test_support;
