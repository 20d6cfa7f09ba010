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
    /// Also record the camera stream into fixed segments (live capture only).
    pub recording: Option<RecordingSettings>,
}

/// Where and how the camera stream is recorded: MPEG-TS segments (a segment cut short by a
/// power loss stays playable), H.264 passed through when the camera sends H.264, encoded
/// otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingSettings {
    pub folder: std::path::PathBuf,
    pub segment: Duration,
}

/// A recording segment opened or closed; media times are those of the frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentEvent {
    Opened {
        path: std::path::PathBuf,
        media_ms: u64,
    },
    Closed {
        path: std::path::PathBuf,
        media_ms: u64,
    },
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
            recording: None,
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
    segments: Receiver<SegmentEvent>,
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
    // With recording, the source's video stream is split before decoding (after `parsebin`
    // has depayloaded / demuxed it, so that only one demuxer reads the source): one branch is
    // decoded for perception, the other stops at H.264 (passed through) or raw video (to be
    // encoded); its queue drops rather than ever holding back perception. The front's video pad
    // is linked to the split in code (`attach_recorder`).
    let branches = if settings.recording.is_some() && !settings.lock_step {
        format!(
            "parsebin name={RECORDING_FRONT} tee name={RECORDING_SPLIT} {RECORDING_SPLIT}. ! queue \
             ! decodebin ! {tail} {RECORDING_SPLIT}. ! queue leaky=downstream max-size-buffers=0 \
             max-size-bytes=0 max-size-time=5000000000 ! decodebin name={RECORDING_DECODER} \
             caps=\"video/x-h264;video/x-raw(ANY)\""
        )
    } else {
        format!("decodebin ! {tail}")
    };
    let uri = &settings.uri;
    let quoted = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    if let Some(path) = uri.strip_prefix("file://") {
        Ok(format!(
            "filesrc location=\"{}\" ! {branches}",
            quoted(path)
        ))
    } else if uri.starts_with("rtsp://") {
        Ok(format!(
            "rtspsrc location=\"{}\" protocols=tcp latency={} ! {branches}",
            quoted(uri),
            settings.latency_ms
        ))
    } else if let Some(device) = uri.strip_prefix("v4l2://") {
        Ok(format!(
            "v4l2src device=\"{}\" ! {branches}",
            quoted(device)
        ))
    } else {
        Err(CaptureError::Uri(uri.clone()))
    }
}

/// Names in the pipeline description of a recording capture: the demuxer / depayloader in
/// front, the split, and the decoder of the recording branch.
const RECORDING_FRONT: &str = "recording_front";
const RECORDING_SPLIT: &str = "recording_split";
const RECORDING_DECODER: &str = "recording_decoder";

/// Adds the recording sink to `pipeline` and links the recording branch to it once the stream
/// shows what it carries: H.264 is parsed and muxed as it is, raw video is encoded first.
/// Segment names start with the run's wall-clock time, so runs never overwrite each other.
fn attach_recorder(pipeline: &gst::Pipeline, recording: &RecordingSettings) -> Result<(), String> {
    let (Some(front), Some(split), Some(decoder)) = (
        pipeline.by_name(RECORDING_FRONT),
        pipeline.by_name(RECORDING_SPLIT),
        pipeline.by_name(RECORDING_DECODER),
    ) else {
        return Err("the recording branch is missing".into());
    };
    // The first video stream of the source feeds both branches; audio is left unlinked.
    let front_linked = AtomicBool::new(false);
    front.connect_pad_added(move |front, pad| {
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        // Cameras that send Motion JPEG announce it as an image stream.
        let is_video = caps
            .structure(0)
            .is_some_and(|s| s.name().starts_with("video/") || s.name() == "image/jpeg");
        if !is_video || front_linked.swap(true, Ordering::SeqCst) {
            return;
        }
        let linked = split
            .static_pad("sink")
            .ok_or_else(|| "the split has no sink pad".to_owned())
            .and_then(|sink| pad.link(&sink).map_err(|e| e.to_string()));
        if let Err(detail) = linked {
            gst::element_error!(
                front,
                gst::CoreError::Negotiation,
                ("cannot split the camera stream: {detail}")
            );
        }
    });
    std::fs::create_dir_all(&recording.folder).map_err(|e| e.to_string())?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let pattern = recording.folder.join(format!("{stamp}-%05d.ts"));
    let sink = gst::ElementFactory::make("splitmuxsink")
        .name("recorder")
        .property("location", pattern.to_string_lossy().as_ref())
        .property(
            "max-size-time",
            u64::try_from(recording.segment.as_nanos()).unwrap_or(u64::MAX),
        )
        .property("send-keyframe-requests", true)
        .property_from_str("muxer-factory", "mpegtsmux")
        .build()
        .map_err(|e| e.to_string())?;
    pipeline.add(&sink).map_err(|e| e.to_string())?;
    let weak = pipeline.downgrade();
    let linked = Arc::new(AtomicBool::new(false));
    decoder.connect_pad_added(move |_, pad| {
        let Some(pipeline) = weak.upgrade() else {
            return;
        };
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        let Some(kind) = caps.structure(0).map(|s| s.name().to_string()) else {
            return;
        };
        if !kind.starts_with("video/") || linked.swap(true, Ordering::SeqCst) {
            return;
        }
        let chain = if kind == "video/x-h264" {
            "h264parse config-interval=-1".to_owned()
        } else {
            "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency \
             speed-preset=ultrafast key-int-max=60 ! h264parse config-interval=-1"
                .to_owned()
        };
        let link = || -> Result<(), String> {
            let bin = gst::parse::bin_from_description(&chain, true).map_err(|e| e.to_string())?;
            pipeline.add(&bin).map_err(|e| e.to_string())?;
            bin.sync_state_with_parent().map_err(|e| e.to_string())?;
            let sink = pipeline.by_name("recorder").ok_or("no recorder")?;
            let sink_pad = sink.request_pad_simple("video").ok_or("no video pad")?;
            let bin_src = bin.static_pad("src").ok_or("no src pad")?;
            bin_src.link(&sink_pad).map_err(|e| e.to_string())?;
            let bin_sink = bin.static_pad("sink").ok_or("no sink pad")?;
            pad.link(&bin_sink).map_err(|e| e.to_string())?;
            Ok(())
        };
        if let Err(detail) = link() {
            gst::element_error!(
                pipeline,
                gst::CoreError::Negotiation,
                ("cannot record the camera stream: {detail}")
            );
        }
    });
    Ok(())
}

/// A splitmuxsink fragment message as a segment event.
fn segment_event(structure: &gst::StructureRef, pts_offset_ms: u64) -> Option<SegmentEvent> {
    let path = std::path::PathBuf::from(structure.get::<String>("location").ok()?);
    let media_ms = pts_offset_ms
        + structure
            .get::<gst::ClockTime>("running-time")
            .map_or(0, |t| t.mseconds());
    match structure.name().as_str() {
        "splitmuxsink-fragment-opened" => Some(SegmentEvent::Opened { path, media_ms }),
        "splitmuxsink-fragment-closed" => Some(SegmentEvent::Closed { path, media_ms }),
        _ => None,
    }
}

impl Capture {
    /// Starts capturing on a thread of its own.
    pub fn start(settings: CaptureSettings) -> Result<Self, CaptureError> {
        gst::init().map_err(|e| CaptureError::Init(e.to_string()))?;
        launch_description(&settings)?;
        let (sender, events) = sync_channel(settings.queue_frames.max(1));
        let (segment_sender, segments) = std::sync::mpsc::channel();
        let stats = Arc::new(CaptureStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stats, stop) = (Arc::clone(&stats), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("capture".into())
                .spawn(move || run(&settings, &sender, &segment_sender, &stats, &stop))
                .map_err(|e| CaptureError::Init(e.to_string()))?
        };
        Ok(Self {
            events,
            segments,
            stats,
            stop,
            thread: Some(thread),
        })
    }

    /// The next frame or outcome, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<CaptureEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Recording segments opened and closed since the last call, in order.
    pub fn segment_events(&self) -> Vec<SegmentEvent> {
        self.segments.try_iter().collect()
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
    segments: &std::sync::mpsc::Sender<SegmentEvent>,
    stats: &CaptureStats,
    stop: &AtomicBool,
) {
    let is_file = settings.uri.starts_with("file://");
    let mut backoff = settings.reconnect_initial;
    let mut pts_offset_ms = 0u64;
    loop {
        let end = run_pipeline(settings, sender, segments, stats, stop, &mut pts_offset_ms);
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
    segments: &std::sync::mpsc::Sender<SegmentEvent>,
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
    if let Some(recording) = settings.recording.as_ref().filter(|_| !settings.lock_step)
        && let Err(detail) = attach_recorder(&pipeline, recording)
    {
        return RunEnd::Error(detail);
    }
    let mut open_segment: Option<std::path::PathBuf> = None;
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
                    close_segment(segments, &mut open_segment, last_pts_ms);
                    return RunEnd::Error(error.error().to_string());
                }
                gst::MessageView::Eos(_) => {
                    let _ = pipeline.set_state(gst::State::Null);
                    close_segment(segments, &mut open_segment, last_pts_ms);
                    return RunEnd::EndOfStream;
                }
                gst::MessageView::Element(element) => {
                    forward_segment(element, segments, &mut open_segment, *pts_offset_ms);
                }
                _ => {}
            }
        }
        let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_mseconds(100)) else {
            if sink.is_eos() {
                if settings.recording.is_some() && !settings.lock_step {
                    // The recording branch may still be muxing: wait for the pipeline's own
                    // end of stream (every sink done) so the last segment is complete.
                    finish_recording(&bus, segments, &mut open_segment, *pts_offset_ms);
                }
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
    close_segment(segments, &mut open_segment, last_pts_ms);
    end
}

/// Passes a recorder's fragment message on as a segment event, keeping track of the open one.
fn forward_segment(
    element: &gst::message::Element,
    segments: &std::sync::mpsc::Sender<SegmentEvent>,
    open: &mut Option<std::path::PathBuf>,
    pts_offset_ms: u64,
) {
    if let Some(event) = element
        .structure()
        .and_then(|s| segment_event(s, pts_offset_ms))
    {
        *open = match &event {
            SegmentEvent::Opened { path, .. } => Some(path.clone()),
            SegmentEvent::Closed { .. } => None,
        };
        let _ = segments.send(event);
    }
}

/// Forwards the recorder's last messages until the pipeline's end of stream (or an error, or
/// ten seconds).
fn finish_recording(
    bus: &gst::Bus,
    segments: &std::sync::mpsc::Sender<SegmentEvent>,
    open: &mut Option<std::path::PathBuf>,
    pts_offset_ms: u64,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let Some(message) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
            continue;
        };
        match message.view() {
            gst::MessageView::Eos(_) | gst::MessageView::Error(_) => return,
            gst::MessageView::Element(element) => {
                forward_segment(element, segments, open, pts_offset_ms);
            }
            _ => {}
        }
    }
}

/// A pipeline that stops leaves its last segment as it is (MPEG-TS needs no finishing): it is
/// reported closed at the last frame's media time.
fn close_segment(
    segments: &std::sync::mpsc::Sender<SegmentEvent>,
    open: &mut Option<std::path::PathBuf>,
    last_pts_ms: u64,
) {
    if let Some(path) = open.take() {
        let _ = segments.send(SegmentEvent::Closed {
            path,
            media_ms: last_pts_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{record, test_video};

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

    fn closed_segments(events: &[SegmentEvent]) -> Vec<std::path::PathBuf> {
        events
            .iter()
            .filter_map(|e| match e {
                SegmentEvent::Closed { path, .. } => Some(path.clone()),
                SegmentEvent::Opened { .. } => None,
            })
            .collect()
    }

    #[test]
    fn an_h264_camera_is_recorded_in_segments_without_re_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let video = dir.path().join("camera.mp4");
        test_video(
            &video,
            7,
            "x264enc key-int-max=15 speed-preset=ultrafast",
            "mp4mux",
        );
        let (events, frames) = record(&video, &dir.path().join("rec"), Duration::from_secs(2));
        assert!(frames > 0);
        let closed = closed_segments(&events);
        assert!(closed.len() >= 3, "7 s in 2-s segments: {events:?}");
        let opened = events
            .iter()
            .filter(|e| matches!(e, SegmentEvent::Opened { .. }))
            .count();
        assert_eq!(
            opened,
            closed.len(),
            "every segment opened is closed: {events:?}"
        );
        // Passed through: the recording holds the camera's own H.264 bytes, ~ the file's size.
        let recorded: u64 = closed
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum();
        let source = std::fs::metadata(&video).unwrap().len();
        assert!(
            recorded > source / 2 && recorded < source * 2,
            "recorded {recorded} bytes of a {source}-byte stream"
        );
        assert!(
            closed
                .iter()
                .all(|p| p.extension().is_some_and(|e| e == "ts"))
        );
    }

    #[test]
    fn a_camera_that_is_not_h264_is_encoded_for_the_recording() {
        let dir = tempfile::tempdir().unwrap();
        let video = dir.path().join("camera.avi");
        test_video(&video, 3, "jpegenc", "avimux");
        let (events, _) = record(&video, &dir.path().join("rec"), Duration::from_secs(2));
        let closed = closed_segments(&events);
        assert!(!closed.is_empty(), "{events:?}");
        assert!(
            closed
                .iter()
                .all(|p| std::fs::metadata(p).unwrap().len() > 0),
            "{events:?} {:?}",
            closed
                .iter()
                .map(|p| std::fs::metadata(p).unwrap().len())
                .collect::<Vec<_>>()
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
