//! What becomes of the recording the capture writes: its segments are entered in the store as
//! they open and close, the oldest are deleted when the disk budget is exceeded (events are never
//! touched), and a clip is cut around each goal and shot — from the segments covering its window,
//! snapped to keyframes, without re-encoding — then uploaded from a durable queue with retries.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use benchsight_core::event::GameEvent;
use benchsight_core::vocabulary::EventType;
use gstreamer as gst;
use gstreamer::prelude::*;

use crate::capture::SegmentEvent;
use crate::store::{ClipJob, Segment, Store, StoreError, unix_ms};

/// How clips are cut and where they go.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipPolicy {
    pub before: Duration,
    pub after: Duration,
    pub folder: PathBuf,
}

impl ClipPolicy {
    /// The wall-clock window of an event's clip, for the events that get one (goals, shots).
    pub fn window(&self, event: &GameEvent, media_origin_unix_ms: u64) -> Option<(u64, u64)> {
        if !matches!(event.event_type, EventType::Goal | EventType::Shot) {
            return None;
        }
        let at = media_origin_unix_ms + event.media_time_ms?.0;
        Some((
            at.saturating_sub(self.before.as_millis() as u64),
            at + self.after.as_millis() as u64,
        ))
    }
}

/// Why a clip could not be cut.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("no recorded footage covers the clip's window")]
    NoFootage,
    #[error("cutting {path}: {detail}")]
    Cut { path: PathBuf, detail: String },
    #[error("writing the clip {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Enters a capture's segment event in the store (`media_origin_unix_ms`: the wall-clock time
/// of media time 0) and, when a segment closed, prunes the oldest segments beyond
/// `budget_bytes`. Returns the files deleted.
pub fn bookkeep_segment(
    store: &mut Store,
    event: &SegmentEvent,
    media_origin_unix_ms: u64,
    budget_bytes: u64,
) -> Result<Vec<PathBuf>, StoreError> {
    match event {
        SegmentEvent::Opened { path, media_ms } => {
            store.segment_opened(path, media_origin_unix_ms + media_ms, *media_ms)?;
            Ok(Vec::new())
        }
        SegmentEvent::Closed { path, media_ms } => {
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            store.segment_closed(path, media_origin_unix_ms + media_ms, *media_ms, bytes)?;
            let mut pruned = Vec::new();
            for segment in store.segments_over_budget(budget_bytes)? {
                match std::fs::remove_file(&segment.path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => {
                        tracing::warn!(path = %segment.path.display(), %error, "cannot prune a segment");
                        continue;
                    }
                }
                store.segment_pruned(&segment.path)?;
                pruned.push(segment.path);
            }
            Ok(pruned)
        }
    }
}

/// Cuts `[start, end]` (wall clock) out of `segments` into `out`, an MP4 with its index ahead of
/// the media so that a browser plays it from the first bytes. Each segment's share is re-muxed
/// from the keyframe at or before its start, never re-encoded; the shares are joined as MPEG-TS
/// (which concatenates) and the whole re-muxed into MP4. Returns the clip's size.
pub fn cut_clip(segments: &[Segment], start: u64, end: u64, out: &Path) -> Result<u64, ClipError> {
    let pieces: Vec<(&Segment, u64, u64)> = segments
        .iter()
        .filter(|s| s.started_unix_ms < end && s.ended_unix_ms > start)
        .map(|s| {
            let from = start.saturating_sub(s.started_unix_ms);
            let to = end.min(s.ended_unix_ms) - s.started_unix_ms;
            (s, from, to)
        })
        .collect();
    if pieces.is_empty() {
        return Err(ClipError::NoFootage);
    }
    let write = |source| ClipError::Write {
        path: out.to_owned(),
        source,
    };
    if let Some(folder) = out.parent() {
        std::fs::create_dir_all(folder).map_err(write)?;
    }
    let joined = out.with_extension("joined.ts");
    let partial = out.with_extension("part");
    let outcome = (|| {
        let mut file = std::fs::File::create(&joined).map_err(write)?;
        for (index, (segment, from, to)) in pieces.iter().enumerate() {
            let piece = out.with_extension(format!("piece{index}"));
            let cut = remux(&segment.path, Some((*from, *to)), "mpegtsmux", &piece);
            let bytes = cut.and_then(|()| {
                std::fs::read(&piece).map_err(|e| ClipError::Cut {
                    path: segment.path.clone(),
                    detail: e.to_string(),
                })
            });
            let _ = std::fs::remove_file(&piece);
            file.write_all(&bytes?).map_err(write)?;
        }
        drop(file);
        remux(&joined, None, "mp4mux faststart=true", &partial)?;
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(write)?;
        std::fs::rename(&partial, out).map_err(write)
    })();
    let _ = std::fs::remove_file(&joined);
    if outcome.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    outcome?;
    Ok(std::fs::metadata(out).map_err(write)?.len())
}

/// Re-muxes an MPEG-TS file's H.264 into `muxer` — only `[from_ms, to_ms]` when a range is
/// given, from the keyframe at or before `from_ms`.
fn remux(
    segment: &Path,
    range: Option<(u64, u64)>,
    muxer: &str,
    out: &Path,
) -> Result<(), ClipError> {
    let fail = |detail: String| ClipError::Cut {
        path: segment.to_owned(),
        detail,
    };
    gst::init().map_err(|e| fail(e.to_string()))?;
    let quoted = |p: &Path| {
        p.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    };
    let description = format!(
        "filesrc location=\"{}\" ! tsdemux ! h264parse ! {muxer} ! filesink location=\"{}\"",
        quoted(segment),
        quoted(out)
    );
    let pipeline = gst::parse::launch(&description)
        .map_err(|e| fail(e.to_string()))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| fail("not a pipeline".into()))?;
    let bus = pipeline.bus().ok_or_else(|| fail("no bus".into()))?;
    let outcome = (|| {
        pipeline
            .set_state(gst::State::Paused)
            .map_err(|e| fail(e.to_string()))?;
        wait(&bus, gst::MessageType::AsyncDone)?;
        if let Some((from_ms, to_ms)) = range {
            pipeline
                .seek(
                    1.0,
                    gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT | gst::SeekFlags::SNAP_BEFORE,
                    gst::SeekType::Set,
                    gst::ClockTime::from_mseconds(from_ms),
                    gst::SeekType::Set,
                    gst::ClockTime::from_mseconds(to_ms),
                )
                .map_err(|e| fail(format!("seek to {from_ms}..{to_ms} ms: {e}")))?;
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| fail(e.to_string()))?;
        wait(&bus, gst::MessageType::Eos)
    })();
    let _ = pipeline.set_state(gst::State::Null);
    outcome.map_err(|e| match e {
        ClipError::Cut { detail, .. } => fail(detail),
        other => other,
    })
}

/// Waits for a message of `kind`, failing on an error message or after 30 s.
fn wait(bus: &gst::Bus, kind: gst::MessageType) -> Result<(), ClipError> {
    let fail = |detail: String| ClipError::Cut {
        path: PathBuf::new(),
        detail,
    };
    let message = bus
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(30),
            &[kind, gst::MessageType::Error],
        )
        .ok_or_else(|| fail(format!("no {kind:?} within 30 s")))?;
    match message.view() {
        gst::MessageView::Error(error) => Err(fail(error.error().to_string())),
        _ => Ok(()),
    }
}

/// Sends a cut clip to the cloud.
pub trait ClipUploader: Send {
    fn upload(&mut self, event: &ClipJob, file: &Path) -> Result<(), String>;
}

/// Uploads clips with an HTTPS `PUT {url}/{event_id}` (body: the clip, MP4 — or MPEG-TS for a
/// clip cut by an older release), authorised by the device token.
#[derive(Debug)]
pub struct HttpClipUploader {
    agent: ureq::Agent,
    url: String,
    token: Option<String>,
}

impl HttpClipUploader {
    pub fn new(url: &str, token: Option<String>) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .new_agent();
        Self {
            agent,
            url: url.trim_end_matches('/').to_owned(),
            token,
        }
    }
}

impl ClipUploader for HttpClipUploader {
    fn upload(&mut self, job: &ClipJob, file: &Path) -> Result<(), String> {
        let body = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut request = self
            .agent
            .put(format!("{}/{}", self.url, job.event_id))
            .header("Content-Type", clip_content_type(file));
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        request
            .send(&body[..])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The media type of a clip file, by its extension.
fn clip_content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("ts") => "video/mp2t",
        _ => "video/mp4",
    }
}

/// The wait before upload attempt `attempts + 1`: 10 s doubling to an hour.
fn retry_delay(attempts: u64) -> Duration {
    Duration::from_secs(10u64.saturating_mul(1 << attempts.min(9)).min(3600))
}

/// One round of the clip queue: cuts the clips whose footage is complete, then uploads what is
/// cut (when an uploader is configured). Failures are retried later; a clip whose footage was
/// pruned before it could be cut is given up. Returns how many clips were cut and uploaded.
pub fn clip_round(
    store: &mut Store,
    policy: &ClipPolicy,
    uploader: Option<&mut dyn ClipUploader>,
) -> Result<(usize, usize), StoreError> {
    let now = unix_ms();
    let mut cut = 0;
    for job in store.clips_to_cut(now)? {
        let segments = store.segments_between(job.window_start_unix_ms, job.window_end_unix_ms)?;
        let out = policy.folder.join(format!("{}.mp4", job.event_id));
        match cut_clip(
            &segments,
            job.window_start_unix_ms,
            job.window_end_unix_ms,
            &out,
        ) {
            Ok(bytes) => {
                store.clip_cut(job.event_id, &out, bytes)?;
                cut += 1;
            }
            Err(ClipError::NoFootage) => {
                store.clip_attempt_failed(job.event_id, &ClipError::NoFootage.to_string(), None)?;
            }
            Err(error) => {
                tracing::warn!(event = %job.event_id, %error, "cannot cut a clip; retrying later");
                let retry = now + retry_delay(job.attempts).as_millis() as u64;
                store.clip_attempt_failed(job.event_id, &error.to_string(), Some(retry))?;
            }
        }
    }
    let mut uploaded = 0;
    if let Some(uploader) = uploader {
        for job in store.clips_to_upload(now)? {
            let Some(path) = job.path.clone() else {
                continue;
            };
            match uploader.upload(&job, &path) {
                Ok(()) => {
                    store.clip_uploaded(job.event_id)?;
                    uploaded += 1;
                }
                Err(error) => {
                    tracing::warn!(event = %job.event_id, %error, "clip upload failed; retrying later");
                    let retry = now + retry_delay(job.attempts).as_millis() as u64;
                    store.clip_attempt_failed(job.event_id, &error, Some(retry))?;
                }
            }
        }
    }
    Ok((cut, uploaded))
}

#[cfg(test)]
mod tests;
