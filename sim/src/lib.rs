//! The BenchSight simulator: deterministic hockey games rendered as camera video with full ground
//! truth, used to train the detector, to measure perception and event accuracy, and as a virtual
//! camera for the demo and end-to-end tests.
//!
//! Module map:
//! - [`calibration`]: the virtual camera's calibration file (camera model and ground homography).
//! - [`game`]: the seeded game simulation and its true event log.
//! - [`render`]: the camera picture of each frame and the labels of what is in it.
//! - [`truth`]: the ground-truth file of a rendered game.
//! - [`video`]: H.264 MP4 writing through GStreamer.
//! - [`recording`]: a whole game simulated, rendered, encoded and labelled.
//! - [`dataset`]: detector training data in the YOLO layout.
//! - [`rtsp`]: the virtual IP camera streaming a rendered game in real time.

pub mod calibration;
pub mod dataset;
pub mod game;
pub mod recording;
pub mod render;
pub mod rtsp;
pub mod truth;
pub mod video;

/// A seed range as the commands take it: `FIRST..LAST` (inclusive; `..=` also accepted) or one
/// seed.
pub fn parse_seed_range(text: &str) -> Result<(u64, u64), String> {
    let bad = |_| format!("{text:?} is not a seed range like 1..200");
    match text.split_once("..") {
        Some((first, last)) => {
            let (first, last) = (
                first.parse().map_err(bad)?,
                last.trim_start_matches('=').parse().map_err(bad)?,
            );
            if first > last {
                return Err(format!("the range {text} is empty"));
            }
            Ok((first, last))
        }
        None => text.parse().map(|seed| (seed, seed)).map_err(bad),
    }
}
