//! The BenchSight cloud service: a thin driver around `benchsight-core` that ingests events from
//! a fleet of appliances, stores them per tenant, runs the ETL and serves the API and dashboard.
//!
//! Module map:
//! - [`api`]: the HTTP API — sessions, games, events, shots, fleet, health, OpenAPI document.
//! - [`audit`]: the audit log, written in the transaction of the change it records.
//! - [`clips`]: the clip store (local folder or S3) and clip bookkeeping, retention.
//! - [`config`]: the service configuration, its defaults, validation and redaction.
//! - [`control`]: scheduling games and the commands sent to appliances.
//! - [`credentials`]: one-time tokens and API keys as argon2 hashes; roles.
//! - [`db`]: PostgreSQL pools, migrations, tenant-scoped transactions (row-level security).
//! - [`events`]: storing events and their players with UNNEST inserts, idempotently.
//! - [`etl`]: a game's derived statistics recomputed from what is stored.
//! - [`import`]: hand-tracked games (tracker save files) imported into a tenant.
//! - [`users`]: dashboard users (argon2 passwords) and their sessions.
//! - [`web`]: the dashboard's server-rendered pages and assets.
//! - [`worker`]: the ingest worker — shared subscription, store, ack, dead letters, debounced ETL.
//! - [`live`]: game-change notifications (LISTEN) fanned out to the live pages.
//! - [`provision`]: rinks; devices with their broker logins and ACL; revocation with a broker reload.
//! - [`review`]: review actions and finalising, each with the ETL and the audit log.
//! - [`stats`]: a game's stored statistics read back, and printed as a box score.
//! - [`ingest`]: from an MQTT message to a decoded batch or a dead-letter reason.

pub mod api;
pub mod audit;
pub mod clips;
pub mod config;
pub mod control;
pub mod credentials;
pub mod db;
pub mod etl;
pub mod events;
pub mod import;
pub mod ingest;
pub mod live;
pub mod provision;
pub mod review;
pub mod stats;
pub mod users;
pub mod web;
pub mod worker;
