//! Writes rendered frames as an H.264 MP4 through GStreamer: RGB frames enter an `appsrc`, are
//! converted to I420 (so the stream is 4:2:0 8-bit that any decoder plays), encoded by x264 with a
//! keyframe every second (clips are cut on keyframes) and muxed into MP4.

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

/// Why the video could not be written.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("GStreamer is not usable: {0}")]
    Init(String),
    #[error("cannot build the encoding pipeline: {0}")]
    Pipeline(String),
    #[error("frame is {got} bytes; a {width}×{height} RGB frame is {expected}")]
    FrameSize {
        got: usize,
        expected: usize,
        width: u32,
        height: u32,
    },
    #[error("encoding failed: {0}")]
    Encoding(String),
}

/// An MP4 file being written, one RGB frame at a time.
#[derive(Debug)]
pub struct Mp4Writer {
    pipeline: gst::Pipeline,
    source: gst_app::AppSrc,
    width: u32,
    height: u32,
    frames_per_s: u32,
    frames: u64,
}

impl Mp4Writer {
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        frames_per_s: u32,
    ) -> Result<Self, VideoError> {
        gst::init().map_err(|e| VideoError::Init(e.to_string()))?;
        let description = format!(
            "appsrc name=source format=time is-live=false block=true \
               caps=video/x-raw,format=RGB,width={width},height={height},framerate={frames_per_s}/1 \
             ! videoconvert n-threads=2 ! video/x-raw,format=I420 \
             ! x264enc speed-preset=veryfast key-int-max={frames_per_s} bframes=0 \
             ! h264parse ! mp4mux ! filesink name=sink"
        );
        let pipeline = gst::parse::launch(&description)
            .map_err(|e| VideoError::Pipeline(e.to_string()))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| VideoError::Pipeline("the description is not a pipeline".into()))?;
        let sink = pipeline
            .by_name("sink")
            .ok_or_else(|| VideoError::Pipeline("no filesink".into()))?;
        sink.set_property("location", path.to_string_lossy().as_ref());
        let source = pipeline
            .by_name("source")
            .ok_or_else(|| VideoError::Pipeline("no appsrc".into()))?
            .downcast::<gst_app::AppSrc>()
            .map_err(|_| VideoError::Pipeline("source is not an appsrc".into()))?;
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| VideoError::Pipeline(format!("cannot start: {e}")))?;
        Ok(Self {
            pipeline,
            source,
            width,
            height,
            frames_per_s,
            frames: 0,
        })
    }

    /// Appends one frame (RGB, row-major, no padding).
    pub fn push(&mut self, rgb: &[u8]) -> Result<(), VideoError> {
        let expected = self.width as usize * self.height as usize * 3;
        if rgb.len() != expected {
            return Err(VideoError::FrameSize {
                got: rgb.len(),
                expected,
                width: self.width,
                height: self.height,
            });
        }
        self.check_bus()?;
        let mut buffer = gst::Buffer::from_slice(rgb.to_vec());
        {
            let buffer = buffer
                .get_mut()
                .ok_or_else(|| VideoError::Encoding("buffer is shared".into()))?;
            let duration = gst::ClockTime::SECOND / u64::from(self.frames_per_s);
            buffer.set_pts(duration * self.frames);
            buffer.set_duration(duration);
        }
        self.source
            .push_buffer(buffer)
            .map_err(|e| VideoError::Encoding(format!("the pipeline refused a frame: {e:?}")))?;
        self.frames += 1;
        Ok(())
    }

    fn check_bus(&self) -> Result<(), VideoError> {
        let Some(bus) = self.pipeline.bus() else {
            return Ok(());
        };
        while let Some(message) = bus.pop_filtered(&[gst::MessageType::Error]) {
            if let gst::MessageView::Error(error) = message.view() {
                return Err(VideoError::Encoding(error.error().to_string()));
            }
        }
        Ok(())
    }

    /// Ends the stream and waits until the file is complete.
    pub fn finish(self) -> Result<u64, VideoError> {
        self.source
            .end_of_stream()
            .map_err(|e| VideoError::Encoding(format!("cannot end the stream: {e:?}")))?;
        let bus = self
            .pipeline
            .bus()
            .ok_or_else(|| VideoError::Encoding("pipeline has no bus".into()))?;
        let outcome = loop {
            let Some(message) = bus.timed_pop(gst::ClockTime::from_seconds(60)) else {
                break Err(VideoError::Encoding("no end of stream within 60 s".into()));
            };
            match message.view() {
                gst::MessageView::Eos(_) => break Ok(self.frames),
                gst::MessageView::Error(error) => {
                    break Err(VideoError::Encoding(error.error().to_string()));
                }
                _ => {}
            }
        };
        let _ = self.pipeline.set_state(gst::State::Null);
        outcome
    }
}

impl Drop for Mp4Writer {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
