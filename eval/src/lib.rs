//! Evaluation and benchmark tools for the appliance's perception, kept out of the appliance:
//! they read the simulator's truth, which the appliance must never see (DESIGN.md §2).
//!
//! Module map:
//! - [`bench`]: pipelines run side by side with their peak memory; the network alone.
//! - [`games`]: held-out games rendered once into a work folder and reused.
//! - [`tracking`]: tracking, puck and team scores of a replay against the truth.

pub mod bench;
pub mod games;
pub mod tracking;
