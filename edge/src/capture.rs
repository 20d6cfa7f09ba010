//! Camera capture through GStreamer, stopping at the appsink: a source chosen by URI (a file,
//! `rtsp://` over TCP, `v4l2://`), decoded, scaled and converted to fixed RGB caps, handed over
//! through a bounded queue. Live capture drops frames (and counts them) when the consumer is
//! slower than the camera; lock-step capture (replay, evaluation) waits instead. One thread owns
//! the pipeline, watches its bus and restarts it with exponential backoff when a live camera
//! fails; a file that ends or is corrupt ends the capture with a clear outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

/// What to capture and how.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureSettings {
    /// `file:///…`, `rtsp://…`, or `v4l2:///dev/videoN`.
    pub uri: String,
    pub width: u32,
    pub height: u32,
    /// RTSP jitter-buffer latency.
    pub latency_ms: u32,
    /// Frames waiting for the consumer at most.
    pub queue_frames: usize,
    /// Wait for the consumer instead of dropping frames (replay, evaluation).
    pub lock_step: bool,
    pub reconnect_initial: Duration,
    pub reconnect_max: Duration,
}

impl CaptureSettings {
    pub fn live(uri: &str, width: u32, height: u32) -> Self {
        Self {
            uri: uri.to_owned(),
            width,
            height,
            latency_ms: 200,
            queue_frames: 2,
            lock_step: false,
            reconnect_initial: Duration::from_millis(250),
            reconnect_max: Duration::from_secs(10),
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Running count of frames delivered by this capture.
    pub index: u64,
    /// Media timestamp from the stream, in milliseconds.
    pub pts_ms: u64,
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// Why capture stopped or could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("GStreamer is not usable: {0}")]
    Init(String),
    #[error("unsupported camera URI {0:?} (expected file://, rtsp:// or v4l2://)")]
    Uri(String),
    #[error("cannot read {uri}: {detail}")]
    Source { uri: String, detail: String },
}

/// Counters a capture keeps while it runs.
#[derive(Debug, Default)]
pub struct CaptureStats {
    pub frames: AtomicU64,
    pub dropped: AtomicU64,
    pub restarts: AtomicU64,
}

/// What the consumer receives.
#[derive(Debug)]
pub enum CaptureEvent {
    Frame(Frame),
    /// A file source reached its end.
    Finished,
    /// A file source could not be read (corrupt, truncated, missing).
    Failed(CaptureError),
}

/// A running capture; stopped when dropped.
#[derive(Debug)]
pub struct Capture {
    events: Receiver<CaptureEvent>,
    stats: Arc<CaptureStats>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn launch_description(settings: &CaptureSettings) -> Result<String, CaptureError> {
    let (w, h) = (settings.width, settings.height);
    let tail = format!(
        "videoconvert n-threads=2 ! videoscale ! video/x-raw,format=RGB,width={w},height={h},pixel-aspect-ratio=1/1 \
         ! appsink name=sink sync=false max-buffers=2 drop={}",
        !settings.lock_step
    );
    let uri = &settings.uri;
    let quoted = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    if let Some(path) = uri.strip_prefix("file://") {
        Ok(format!(
            "filesrc location=\"{}\" ! decodebin ! {tail}",
            quoted(path)
        ))
    } else if uri.starts_with("rtsp://") {
        Ok(format!(
            "rtspsrc location=\"{}\" protocols=tcp latency={} ! decodebin ! {tail}",
            quoted(uri),
            settings.latency_ms
        ))
    } else if let Some(device) = uri.strip_prefix("v4l2://") {
        Ok(format!(
            "v4l2src device=\"{}\" ! decodebin ! {tail}",
            quoted(device)
        ))
    } else {
        Err(CaptureError::Uri(uri.clone()))
    }
}

impl Capture {
    /// Starts capturing on a thread of its own.
    pub fn start(settings: CaptureSettings) -> Result<Self, CaptureError> {
        gst::init().map_err(|e| CaptureError::Init(e.to_string()))?;
        launch_description(&settings)?;
        let (sender, events) = sync_channel(settings.queue_frames.max(1));
        let stats = Arc::new(CaptureStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stats, stop) = (Arc::clone(&stats), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("capture".into())
                .spawn(move || run(&settings, &sender, &stats, &stop))
                .map_err(|e| CaptureError::Init(e.to_string()))?
        };
        Ok(Self {
            events,
            stats,
            stop,
            thread: Some(thread),
        })
    }

    /// The next frame or outcome, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<CaptureEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Unblock a lock-step sender waiting on a full queue.
        while self.events.try_recv().is_ok() {}
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How one pipeline run ended.
enum RunEnd {
    Stopped,
    EndOfStream,
    Error(String),
}

fn run(
    settings: &CaptureSettings,
    sender: &SyncSender<CaptureEvent>,
    stats: &CaptureStats,
    stop: &AtomicBool,
) {
    let is_file = settings.uri.starts_with("file://");
    let mut backoff = settings.reconnect_initial;
    let mut pts_offset_ms = 0u64;
    loop {
        let end = run_pipeline(settings, sender, stats, stop, &mut pts_offset_ms);
        match end {
            RunEnd::Stopped => return,
            RunEnd::EndOfStream if is_file => {
                let _ = sender.send(CaptureEvent::Finished);
                return;
            }
            RunEnd::Error(detail) if is_file => {
                let _ = sender.send(CaptureEvent::Failed(CaptureError::Source {
                    uri: settings.uri.clone(),
                    detail,
                }));
                return;
            }
            RunEnd::EndOfStream | RunEnd::Error(_) => {
                // A live camera went away: try again, waiting longer each time.
                stats.restarts.fetch_add(1, Ordering::Relaxed);
                let deadline = std::time::Instant::now() + backoff;
                while std::time::Instant::now() < deadline {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                backoff = (backoff * 2).min(settings.reconnect_max);
            }
        }
    }
}

fn run_pipeline(
    settings: &CaptureSettings,
    sender: &SyncSender<CaptureEvent>,
    stats: &CaptureStats,
    stop: &AtomicBool,
    pts_offset_ms: &mut u64,
) -> RunEnd {
    let Ok(description) = launch_description(settings) else {
        return RunEnd::Stopped;
    };
    let pipeline = match gst::parse::launch(&description).map(|e| e.downcast::<gst::Pipeline>()) {
        Ok(Ok(pipeline)) => pipeline,
        Ok(Err(_)) => return RunEnd::Error("not a pipeline".into()),
        Err(e) => return RunEnd::Error(e.to_string()),
    };
    let Some(sink) = pipeline
        .by_name("sink")
        .and_then(|s| s.downcast::<gst_app::AppSink>().ok())
    else {
        return RunEnd::Error("no appsink".into());
    };
    let Some(bus) = pipeline.bus() else {
        return RunEnd::Error("no bus".into());
    };
    if let Err(e) = pipeline.set_state(gst::State::Playing) {
        let _ = pipeline.set_state(gst::State::Null);
        return RunEnd::Error(e.to_string());
    }
    let mut last_pts_ms = *pts_offset_ms;
    let end = loop {
        if stop.load(Ordering::Relaxed) {
            break RunEnd::Stopped;
        }
        while let Some(message) = bus.pop() {
            match message.view() {
                gst::MessageView::Error(error) => {
                    let _ = pipeline.set_state(gst::State::Null);
                    return RunEnd::Error(error.error().to_string());
                }
                gst::MessageView::Eos(_) => {
                    let _ = pipeline.set_state(gst::State::Null);
                    return RunEnd::EndOfStream;
                }
                _ => {}
            }
        }
        let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_mseconds(100)) else {
            if sink.is_eos() {
                break RunEnd::EndOfStream;
            }
            continue;
        };
        let Some(buffer) = sample.buffer() else {
            continue;
        };
        let Ok(map) = buffer.map_readable() else {
            continue;
        };
        let expected = settings.width as usize * settings.height as usize * 3;
        if map.size() < expected {
            continue;
        }
        // Timestamps continue across restarts so that media time never goes backwards.
        let pts_ms = *pts_offset_ms + buffer.pts().map_or(0, |t| t.mseconds());
        last_pts_ms = last_pts_ms.max(pts_ms);
        let index = stats.frames.load(Ordering::Relaxed);
        let frame = Frame {
            index,
            pts_ms,
            width: settings.width,
            height: settings.height,
            rgb: map.as_slice()[..expected].to_vec(),
        };
        let delivered = if settings.lock_step {
            sender.send(CaptureEvent::Frame(frame)).is_ok()
        } else {
            match sender.try_send(CaptureEvent::Frame(frame)) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    stats.dropped.fetch_add(1, Ordering::Relaxed);
                    false
                }
                Err(TrySendError::Disconnected(_)) => break RunEnd::Stopped,
            }
        };
        if delivered {
            stats.frames.fetch_add(1, Ordering::Relaxed);
        } else if settings.lock_step {
            break RunEnd::Stopped;
        }
    };
    *pts_offset_ms = last_pts_ms + 1;
    let _ = pipeline.set_state(gst::State::Null);
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_chosen_by_uri() {
        let mut settings = CaptureSettings::live("rtsp://cam/stream", 1280, 720);
        assert!(
            launch_description(&settings)
                .unwrap()
                .starts_with("rtspsrc location=\"rtsp://cam/stream\" protocols=tcp")
        );
        settings.uri = "file:///data/game.mp4".into();
        assert!(
            launch_description(&settings)
                .unwrap()
                .starts_with("filesrc location=\"/data/game.mp4\"")
        );
        settings.uri = "v4l2:///dev/video0".into();
        assert!(
            launch_description(&settings)
                .unwrap()
                .starts_with("v4l2src device=\"/dev/video0\"")
        );
        settings.uri = "http://cam".into();
        assert_eq!(
            launch_description(&settings),
            Err(CaptureError::Uri("http://cam".into()))
        );
    }

    #[test]
    fn a_corrupt_file_ends_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.mp4");
        std::fs::write(&path, b"this is not a video at all").unwrap();
        let mut settings = CaptureSettings::live(&format!("file://{}", path.display()), 64, 36);
        settings.lock_step = true;
        let capture = Capture::start(settings).unwrap();
        match capture.next(Duration::from_secs(10)) {
            Some(CaptureEvent::Failed(CaptureError::Source { uri, detail })) => {
                assert!(uri.ends_with("broken.mp4"));
                assert!(!detail.is_empty());
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
