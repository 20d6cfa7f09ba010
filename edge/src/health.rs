//! Progress counters the running pipeline keeps and the daemon reads: frames seen and dropped,
//! records committed, how far event derivation trails the camera. The watchdog pings only while
//! these move; telemetry reports them.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared between the pipeline thread and the daemon's tasks.
#[derive(Debug, Default)]
pub struct PipelineHealth {
    frames: AtomicU64,
    dropped: AtomicU64,
    records: AtomicU64,
    lag_ms: AtomicU64,
    beats: AtomicU64,
}

/// One reading of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthSnapshot {
    pub frames: u64,
    pub dropped: u64,
    pub records: u64,
    pub lag_ms: u64,
    /// Rises with every processed frame and every deliberate idle wait: what the watchdog
    /// watches.
    pub beats: u64,
}

impl PipelineHealth {
    /// A frame went through perception, `lag_ms` behind the camera.
    pub fn frame_processed(&self, lag_ms: u64) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.lag_ms.store(lag_ms, Ordering::Relaxed);
        self.beats.fetch_add(1, Ordering::Relaxed);
    }

    /// The pipeline waited on purpose (nothing to capture yet) and is alive.
    pub fn idle(&self) {
        self.beats.fetch_add(1, Ordering::Relaxed);
    }

    /// The capture's running count of dropped frames.
    pub fn set_dropped(&self, dropped: u64) {
        self.dropped.store(dropped, Ordering::Relaxed);
    }

    pub fn records_committed(&self, count: u64) {
        self.records.fetch_add(count, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HealthSnapshot {
        HealthSnapshot {
            frames: self.frames.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
            lag_ms: self.lag_ms.load(Ordering::Relaxed),
            beats: self.beats.load(Ordering::Relaxed),
        }
    }
}

/// Free and total bytes of the file system holding `path`.
pub fn disk_space(path: &Path) -> std::io::Result<(u64, u64)> {
    let stat = nix::sys::statvfs::statvfs(path).map_err(std::io::Error::from)?;
    let block = stat.fragment_size();
    Ok((
        stat.blocks_available().saturating_mul(block),
        stat.blocks().saturating_mul(block),
    ))
}

/// The hottest thermal zone the kernel exposes, in °C (`None` where none is readable, as in
/// most containers and virtual machines).
pub fn temperature_c() -> Option<f32> {
    let zones = std::fs::read_dir("/sys/class/thermal").ok()?;
    zones
        .filter_map(Result::ok)
        .filter(|zone| {
            zone.file_name()
                .to_string_lossy()
                .starts_with("thermal_zone")
        })
        .filter_map(|zone| std::fs::read_to_string(zone.path().join("temp")).ok())
        .filter_map(|text| text.trim().parse::<f32>().ok())
        .map(|milli| milli / 1000.0)
        .filter(|c| c.is_finite())
        .reduce(f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_accumulate() {
        let health = PipelineHealth::default();
        health.frame_processed(40);
        health.frame_processed(35);
        health.set_dropped(3);
        health.records_committed(2);
        health.idle();
        assert_eq!(
            health.snapshot(),
            HealthSnapshot {
                frames: 2,
                dropped: 3,
                records: 2,
                lag_ms: 35,
                beats: 3
            }
        );
    }

    #[test]
    fn disk_space_of_the_temp_folder_is_readable() {
        let (free, total) = disk_space(&std::env::temp_dir()).unwrap();
        assert!(total > 0 && free <= total);
    }
}
