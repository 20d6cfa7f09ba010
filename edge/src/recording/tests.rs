use std::time::Duration;

use benchsight_core::ids::{EventId, GameId};
use gstreamer as gst;
use gstreamer::prelude::*;

use super::*;
use crate::test_support::{record, test_video};

/// Wall-clock time of media time 0 in these tests.
const ORIGIN: u64 = 1_764_000_000_000;

/// A 10-s H.264 camera (keyframe every 0.5 s) recorded in 2-s segments.
fn camera_recording(dir: &Path) -> Vec<crate::capture::SegmentEvent> {
    let video = dir.join("camera.mp4");
    test_video(
        &video,
        10,
        "x264enc key-int-max=15 speed-preset=ultrafast",
        "mp4mux",
    );
    record(&video, &dir.join("rec"), Duration::from_secs(2)).0
}

/// The recording's segments entered in a store with a disk budget; returns the files pruned.
fn enter(
    dir: &Path,
    events: &[crate::capture::SegmentEvent],
    budget_bytes: u64,
) -> (Store, Vec<PathBuf>) {
    let mut store = Store::open_in(&dir.join("state")).unwrap();
    let mut pruned = Vec::new();
    for event in events {
        pruned.extend(bookkeep_segment(&mut store, event, ORIGIN, budget_bytes).unwrap());
    }
    (store, pruned)
}

fn recorded(dir: &Path, budget_bytes: u64) -> (Store, Vec<PathBuf>) {
    let events = camera_recording(dir);
    enter(dir, &events, budget_bytes)
}

/// Frames in an MP4 file, decoded.
fn decoded_frames(path: &Path) -> u64 {
    let description = format!(
        "filesrc location=\"{}\" ! qtdemux ! h264parse ! avdec_h264 ! fakesink name=sink",
        path.display()
    );
    let pipeline = gst::parse::launch(&description)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let sink = pipeline.by_name("sink").unwrap();
    let frames = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = frames.clone();
    sink.static_pad("sink")
        .unwrap()
        .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            gst::PadProbeReturn::Ok
        });
    pipeline.set_state(gst::State::Playing).unwrap();
    let message = pipeline
        .bus()
        .unwrap()
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(30),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        )
        .unwrap();
    assert!(
        matches!(message.view(), gst::MessageView::Eos(_)),
        "{message:?}"
    );
    pipeline.set_state(gst::State::Null).unwrap();
    frames.load(std::sync::atomic::Ordering::Relaxed)
}

#[test]
fn a_clip_spanning_segments_is_cut_at_keyframes_without_re_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, pruned) = recorded(dir.path(), u64::MAX);
    assert!(pruned.is_empty());
    // 3.2 s .. 6.6 s: across two segment boundaries (4 s and 6 s).
    let event = EventId::appliance(ORIGIN, [1; 10]);
    let game = GameId::parse("g1").unwrap();
    store
        .queue_clip(event, &game, ORIGIN + 3_200, ORIGIN + 6_600)
        .unwrap();
    let policy = ClipPolicy {
        before: Duration::from_secs(8),
        after: Duration::from_secs(4),
        folder: dir.path().join("clips"),
    };
    assert_eq!(clip_round(&mut store, &policy, None).unwrap(), (1, 0));
    assert_eq!(store.clip_state(event).unwrap().as_deref(), Some("cut"));
    let clip = policy.folder.join(format!("{event}.mp4"));
    let frames = decoded_frames(&clip);
    // Playable from its first bytes: the MP4 index (moov) comes before the media (mdat).
    let bytes = std::fs::read(&clip).unwrap();
    let box_at = |name: &[u8]| bytes.windows(4).position(|w| w == name).unwrap();
    assert!(box_at(b"moov") < box_at(b"mdat"), "moov after mdat");
    let leftovers: Vec<_> = std::fs::read_dir(&policy.folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "only the clip remains: {leftovers:?}");
    // 3.4 s of footage, plus up to one keyframe interval (0.5 s) before each segment's share.
    assert!(
        (100..=3 * 15 + 102).contains(&frames),
        "{frames} frames in a 3.4-s clip"
    );
    // Not re-encoded: the clip is no bigger than the footage it was cut from, give or take
    // the container.
    let footage: u64 = store
        .segments_between(ORIGIN + 3_200, ORIGIN + 6_600)
        .unwrap()
        .iter()
        .map(|s| s.bytes)
        .sum();
    assert!(std::fs::metadata(&clip).unwrap().len() <= footage);
    // A second round has nothing left to do.
    assert_eq!(clip_round(&mut store, &policy, None).unwrap(), (0, 0));
}

#[test]
fn the_disk_budget_prunes_the_oldest_segments_and_never_events() {
    let dir = tempfile::tempdir().unwrap();
    let events = camera_recording(dir.path());
    let sizes: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            crate::capture::SegmentEvent::Closed { path, .. } => {
                Some(std::fs::metadata(path).unwrap().len())
            }
            crate::capture::SegmentEvent::Opened { .. } => None,
        })
        .collect();
    // Room for the two newest segments only.
    let budget = sizes[sizes.len() - 2..].iter().sum::<u64>();
    let (mut store, pruned) = enter(dir.path(), &events, budget);
    assert!(
        !pruned.is_empty(),
        "a budget of two segments cannot hold five"
    );
    assert!(
        pruned.iter().all(|p| !p.exists()),
        "pruned files are deleted"
    );
    let kept = store.segments_between(0, u64::MAX).unwrap();
    let total: u64 = kept.iter().map(|s| s.bytes).sum();
    assert!(
        total <= budget,
        "{total} bytes kept of a {budget}-byte budget"
    );
    assert!(
        kept.iter().all(|s| s.path.exists()),
        "kept segments stay on disk"
    );
    let oldest_kept = kept.first().unwrap().started_unix_ms;
    assert!(
        pruned.len() + kept.len() >= 5,
        "10 s in 2-s segments: {} pruned, {} kept",
        pruned.len(),
        kept.len()
    );
    assert!(oldest_kept > ORIGIN, "the oldest went first");
    // A clip whose footage is gone is given up, not retried forever.
    let event = EventId::appliance(ORIGIN, [2; 10]);
    store
        .queue_clip(event, &GameId::parse("g1").unwrap(), ORIGIN, ORIGIN + 1_000)
        .unwrap();
    let policy = ClipPolicy {
        before: Duration::from_secs(8),
        after: Duration::from_secs(4),
        folder: dir.path().join("clips"),
    };
    clip_round(&mut store, &policy, None).unwrap();
    assert_eq!(store.clip_state(event).unwrap().as_deref(), Some("failed"));
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

struct FlakyUploader {
    failures_left: u32,
    uploaded: Vec<EventId>,
}

impl ClipUploader for FlakyUploader {
    fn upload(&mut self, job: &ClipJob, file: &Path) -> Result<(), String> {
        assert!(file.is_file());
        if self.failures_left > 0 {
            self.failures_left -= 1;
            return Err("503 service unavailable".into());
        }
        self.uploaded.push(job.event_id);
        Ok(())
    }
}

#[test]
fn a_failed_upload_is_retried_from_the_durable_queue() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = recorded(dir.path(), u64::MAX);
    let event = EventId::appliance(ORIGIN, [3; 10]);
    store
        .queue_clip(
            event,
            &GameId::parse("g1").unwrap(),
            ORIGIN + 1_000,
            ORIGIN + 2_500,
        )
        .unwrap();
    let policy = ClipPolicy {
        before: Duration::from_secs(8),
        after: Duration::from_secs(4),
        folder: dir.path().join("clips"),
    };
    let mut uploader = FlakyUploader {
        failures_left: 1,
        uploaded: Vec::new(),
    };
    assert_eq!(
        clip_round(&mut store, &policy, Some(&mut uploader)).unwrap(),
        (1, 0)
    );
    assert_eq!(store.clip_state(event).unwrap().as_deref(), Some("cut"));
    // Not yet due again.
    assert_eq!(
        clip_round(&mut store, &policy, Some(&mut uploader)).unwrap(),
        (0, 0)
    );
    // The queue survives a reopen; once due, the upload goes through.
    drop(store);
    let mut store = Store::open_in(&dir.path().join("state")).unwrap();
    store
        .sql()
        .execute("UPDATE clips SET next_attempt_unix_ms = 0", [])
        .unwrap();
    assert_eq!(
        clip_round(&mut store, &policy, Some(&mut uploader)).unwrap(),
        (0, 1)
    );
    assert_eq!(uploader.uploaded, [event]);
    assert_eq!(
        store.clip_state(event).unwrap().as_deref(),
        Some("uploaded")
    );
}

#[test]
fn the_http_uploader_puts_the_clip_with_the_device_token() {
    use std::io::{BufRead, BufReader, Read};

    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    std::fs::write(&clip, vec![0x47u8; 188 * 10]).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut answers = Vec::new();
        for status in ["503 Service Unavailable", "201 Created"] {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_owned());
            }
            let length: usize = head
                .iter()
                .find_map(|h| {
                    h.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.parse().unwrap())
                })
                .unwrap();
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            std::io::Write::write_all(
                &mut stream,
                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .unwrap();
            answers.push((head, body.len()));
        }
        answers
    });
    let job = ClipJob {
        event_id: EventId::appliance(ORIGIN, [4; 10]),
        window_start_unix_ms: ORIGIN,
        window_end_unix_ms: ORIGIN + 1,
        path: Some(clip.clone()),
        attempts: 0,
    };
    let mut uploader = HttpClipUploader::new(
        &format!("http://127.0.0.1:{port}/api/v1/clips/"),
        Some("secret".into()),
    );
    let refused = uploader.upload(&job, &clip).unwrap_err();
    assert!(refused.contains("503"), "{refused}");
    uploader.upload(&job, &clip).unwrap();
    let answers = server.join().unwrap();
    let (head, bytes) = &answers[1];
    assert_eq!(
        head[0],
        format!("PUT /api/v1/clips/{} HTTP/1.1", job.event_id)
    );
    assert!(
        head.iter()
            .any(|h| h == "authorization: Bearer secret" || h == "Authorization: Bearer secret"),
        "{head:?}"
    );
    assert_eq!(*bytes, 1880);
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case("content-type: video/mp4")),
        "{head:?}"
    );
}
