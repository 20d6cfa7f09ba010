//! The BenchSight cloud service: a thin driver around `benchsight-core` that ingests events from
//! a fleet of appliances, stores them per tenant, runs the ETL and serves the API and dashboard.
//!
//! Module map:
//! - [`config`]: the service configuration, its defaults, validation and redaction.
//! - [`ingest`]: from an MQTT message to a decoded batch or a dead-letter reason.

pub mod config;
pub mod ingest;
