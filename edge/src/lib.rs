//! The BenchSight appliance daemon: a thin driver around `benchsight-core` that captures the
//! camera, derives events, keeps them durably and delivers them to the cloud.
//!
//! Module map:
//! - [`config`]: the appliance configuration, its defaults and validation.
//! - [`uplink`]: turning committed outbox records into size-limited MQTT payloads.

pub mod config;
pub mod uplink;
