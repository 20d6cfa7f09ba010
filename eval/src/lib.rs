//! Evaluation and benchmark tools for the appliance's perception, kept out of the appliance:
//! they read the simulator's truth, which the appliance must never see (DESIGN.md §2).
//!
//! Module map:
//! - [`acker`]: a stand-in for the cloud's ingest that acks as DESIGN.md §4 says (tests, bench).
//! - [`bench`]: pipelines run side by side with their peak memory; the network alone.
//! - [`corruption`]: true positions turned into realistic perception output (noise, drop-outs).
//! - [`drain`]: the uplink draining a day's backlog through a real broker, next to bare MQTT.
//! - [`events`]: the game-event engine scored on corrupted simulator tracks (engine only).
//! - [`ingest_bench`]: the cloud's ingest next to a raw UNNEST insert; the ETL's speed.
//! - [`games`]: held-out games rendered once into a work folder and reused.
//! - [`tracking`]: tracking, puck and team scores of a replay against the truth.

pub mod acker;
pub mod bench;
pub mod corruption;
pub mod drain;
pub mod events;
pub mod games;
pub mod ingest_bench;
pub mod tracking;
