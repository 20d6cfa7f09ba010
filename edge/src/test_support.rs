//! Helpers shared by the unit tests: test videos written with GStreamer, a recorded capture.

use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;

use crate::capture::{Capture, CaptureEvent, CaptureSettings, RecordingSettings, SegmentEvent};

/// Writes `seconds` of a test pattern with `encoder` into `path` (30 fps, 160×90).
pub fn test_video(path: &std::path::Path, seconds: u32, encoder: &str, muxer: &str) {
    gst::init().unwrap();
    let description = format!(
        "videotestsrc num-buffers={} ! video/x-raw,width=160,height=90,framerate=30/1 \
         ! videoconvert ! video/x-raw,format=I420 ! {encoder} ! {muxer} ! filesink location=\"{}\"",
        seconds * 30,
        path.display()
    );
    let pipeline = gst::parse::launch(&description).unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    bus.timed_pop_filtered(gst::ClockTime::from_seconds(60), &[gst::MessageType::Eos])
        .expect("the test video is written");
    pipeline.set_state(gst::State::Null).unwrap();
}

/// Captures `video` with recording into `folder` until the file ends; returns the
/// segment events and the frames seen.
pub fn record(
    video: &std::path::Path,
    folder: &std::path::Path,
    segment: Duration,
) -> (Vec<SegmentEvent>, u64) {
    let mut settings = CaptureSettings::live(&format!("file://{}", video.display()), 64, 36);
    settings.recording = Some(RecordingSettings {
        folder: folder.to_owned(),
        segment,
    });
    let capture = Capture::start(settings).unwrap();
    let mut frames = 0;
    loop {
        match capture.next(Duration::from_secs(20)) {
            Some(CaptureEvent::Frame(_)) => frames += 1,
            Some(CaptureEvent::Finished) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    (capture.segment_events(), frames)
}
