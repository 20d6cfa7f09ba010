//! The BenchSight simulator: deterministic hockey games rendered as camera video with full ground
//! truth, used to train the detector, to measure perception and event accuracy, and as a virtual
//! camera for the demo and end-to-end tests.
//!
//! Module map:
//! - [`calibration`]: the virtual camera's calibration file (camera model and ground homography).
//! - [`game`]: the seeded game simulation and its true event log.

pub mod calibration;
pub mod game;
