//! `benchsight-edge doctor`: the checks a rink technician runs when something is wrong — state
//! folder and disk, event store, clock, camera, calibration, model and execution provider,
//! broker login — each printed as one line, each independent of the others.

use std::fmt;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet};

use crate::calibration::{calibration_path, load_homography};
use crate::capture::{Capture, CaptureEvent, CaptureSettings};
use crate::config::{EdgeConfig, SourceSpec};
use crate::health::disk_space;
use crate::inference::{Detector, InferenceSettings, OnnxRuntime};
use crate::model::ModelPackage;
use crate::store::{Store, unix_ms};
use crate::uplink::UplinkSettings;

/// Less free space than this on the state folder's disk is a failure.
const MIN_FREE_BYTES: u64 = 1 << 30;
/// 2025-01-01: a clock before this was never set (no RTC battery, no NTP yet).
const EARLIEST_SANE_UNIX_MS: u64 = 1_735_689_600_000;

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "{verdict} {:<12} {}", self.name, self.detail)
    }
}

fn check(name: &'static str, outcome: Result<String, String>) -> Check {
    match outcome {
        Ok(detail) => Check {
            name,
            ok: true,
            detail,
        },
        Err(detail) => Check {
            name,
            ok: false,
            detail,
        },
    }
}

/// Runs every check; the caller prints them and fails when any failed.
pub async fn run_checks(config: &EdgeConfig) -> Vec<Check> {
    let mut checks = vec![
        check("disk", disk(config)),
        check("store", store(config)),
        check("clock", clock()),
        check("calibration", calibration(config)),
    ];
    let camera_config = config.clone();
    checks.push(check(
        "camera",
        tokio::task::spawn_blocking(move || camera(&camera_config))
            .await
            .unwrap_or_else(|e| Err(e.to_string())),
    ));
    let model_config = config.clone();
    checks.push(check(
        "model",
        tokio::task::spawn_blocking(move || model(&model_config))
            .await
            .unwrap_or_else(|e| Err(e.to_string())),
    ));
    checks.push(check("broker", broker(config).await));
    checks
}

fn disk(config: &EdgeConfig) -> Result<String, String> {
    std::fs::create_dir_all(&config.state_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.state_dir.display()))?;
    let probe = config.state_dir.join(".doctor-probe");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("{} is not writable: {e}", config.state_dir.display()))?;
    let (free, total) = disk_space(&config.state_dir).map_err(|e| e.to_string())?;
    let gib = |b: u64| b as f64 / f64::from(1u32 << 30);
    let detail = format!(
        "{}: {:.1} GiB free of {:.1} GiB",
        config.state_dir.display(),
        gib(free),
        gib(total)
    );
    if free < MIN_FREE_BYTES {
        Err(format!("{detail} (less than 1 GiB)"))
    } else {
        Ok(detail)
    }
}

fn store(config: &EdgeConfig) -> Result<String, String> {
    let store = Store::open_in(&config.state_dir).map_err(|e| e.to_string())?;
    let committed = store.last_seq().map_err(|e| e.to_string())?;
    let acked = store.acked_through().map_err(|e| e.to_string())?;
    Ok(format!(
        "{} intact; {committed} records, {} not yet acknowledged by the cloud",
        store.path().display(),
        committed - acked.min(committed)
    ))
}

fn clock() -> Result<String, String> {
    let now = unix_ms();
    if now < EARLIEST_SANE_UNIX_MS {
        return Err(format!(
            "the system clock reads {} s after 1970, before 2025: is NTP (chrony) running?",
            now / 1000
        ));
    }
    Ok(format!("{} ms since the Unix epoch", now))
}

fn calibration(config: &EdgeConfig) -> Result<String, String> {
    if matches!(config.source(), Ok(SourceSpec::RecordedStates { .. })) {
        return Ok("not needed: the source is recorded rink states".into());
    }
    let path = calibration_path(&config.state_dir, &config.camera.name);
    load_homography(&path)
        .map(|_| format!("camera {}: {}", config.camera.name, path.display()))
        .map_err(|e| e.to_string())
}

fn camera(config: &EdgeConfig) -> Result<String, String> {
    match config.source().map_err(|e| e.to_string())? {
        SourceSpec::RecordedStates { path, .. } => std::fs::metadata(&path)
            .map(|m| format!("recorded states {} ({} bytes)", path.display(), m.len()))
            .map_err(|e| format!("{}: {e}", path.display())),
        SourceSpec::Camera { uri } => {
            let mut settings =
                CaptureSettings::live(&uri, config.camera.width, config.camera.height);
            settings.latency_ms = config.camera.latency_ms;
            let capture = Capture::start(settings).map_err(|e| e.to_string())?;
            match capture.next(Duration::from_secs(10)) {
                Some(CaptureEvent::Frame(frame)) => Ok(format!(
                    "{uri}: first frame {}×{} at media time {} ms",
                    frame.width, frame.height, frame.pts_ms
                )),
                Some(CaptureEvent::Failed(error)) => Err(error.to_string()),
                Some(CaptureEvent::Finished) => Err(format!("{uri}: ended before a frame")),
                None => Err(format!("{uri}: no frame within 10 s")),
            }
        }
    }
}

fn model(config: &EdgeConfig) -> Result<String, String> {
    if matches!(config.source(), Ok(SourceSpec::RecordedStates { .. })) {
        return Ok("not needed: the source is recorded rink states".into());
    }
    let package = ModelPackage::open(&config.model.path).map_err(|e| e.to_string())?;
    let name = package.spec.name.clone();
    let runtime = OnnxRuntime::load(&config.model.onnxruntime).map_err(|e| e.to_string())?;
    let settings = InferenceSettings {
        provider: config.model.provider,
        intra_threads: config.model.threads,
        engine_cache_dir: Some(config.state_dir.join("tensorrt-cache")),
        ..InferenceSettings::default()
    };
    Detector::new(&runtime, package, &settings).map_err(|e| e.to_string())?;
    Ok(format!(
        "{name} loads on the {:?} execution provider",
        config.model.provider
    ))
}

/// Logs in with the appliance's credentials under a separate client id (so the daemon's
/// persistent session is not disturbed) and waits for the broker's answer.
async fn broker(config: &EdgeConfig) -> Result<String, String> {
    let settings =
        UplinkSettings::from_config(config, Default::default()).map_err(|e| e.to_string())?;
    let mut options = MqttOptions::new(
        format!("{}-doctor", config.device.id),
        &settings.host,
        settings.port,
    );
    options.set_clean_session(true);
    settings.apply_login(&mut options);
    let (client, mut eventloop) = AsyncClient::new(options, 4);
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(error) => return Err(error.to_string()),
            }
        }
    })
    .await;
    let _ = client.disconnect().await;
    let target = format!(
        "{}:{} as {}",
        settings.host, settings.port, settings.username
    );
    match answer {
        Ok(Ok(())) => Ok(format!("logged in to {target}")),
        Ok(Err(error)) => Err(format!("{target}: {error}")),
        Err(_) => Err(format!("{target}: no answer within 10 s")),
    }
}
