//! Detector training data: frames sampled from simulated games, written as JPEG images with
//! labels in the Ultralytics YOLO layout (`images/{train,val}`, `labels/{train,val}`, one
//! `class cx cy w h` line per object, normalised), a `data.yaml`, and a manifest of what was
//! generated. Whole seeds go to either split, so no game leaks from training into validation.
//! `cameras.json` holds each seed's camera calibration and rink region (the part of the frame a
//! rink-region model is fed), keyed by the image-name prefix `sNNNNN`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use benchsight_core::camera::PinholeCamera;
use benchsight_core::detection::{ObjectClass, PixelBox};
use benchsight_core::detector::rink_region;
use benchsight_core::homography::HomographyError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::calibration::CameraCalibration;

use crate::game::{GameConfig, GameSim};
use crate::render::Renderer;
use crate::render::profile::{LookProfile, UnknownProfile};
use crate::truth::ObjectLabel;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetJob {
    pub first_seed: u64,
    pub last_seed: u64,
    pub frames_per_seed: u32,
    /// Profiles used in turn, seed by seed.
    pub profiles: Vec<String>,
    pub width: u32,
    pub height: u32,
    /// Every n-th seed goes to the validation split.
    pub val_every: u64,
    /// Simulated length of each game, from which frames are sampled.
    pub game_seconds: u32,
    /// Objects less visible than this are not labelled.
    pub min_visibility: f32,
    /// 0: no previous frames; n: each frame's predecessor, 1 to n frames earlier.
    pub previous_gap: u32,
    /// Each seed's lighting drawn from a wide range around its profile's
    /// ([`GameLook::with_varied_lighting`](crate::render::profile::GameLook::with_varied_lighting)).
    pub vary_lighting: bool,
}

/// Why a dataset could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error(transparent)]
    Profile(#[from] UnknownProfile),
    #[error("the camera has no valid ground homography: {0}")]
    Camera(#[from] HomographyError),
    #[error("no seeds: the first seed {first} is after the last {last}")]
    NoSeeds { first: u64, last: u64 },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode image {path}: {source}")]
    Image {
        path: PathBuf,
        source: image::ImageError,
    },
}

/// One seed's camera, as the detector's training and evaluation need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedCamera {
    pub calibration: CameraCalibration,
    /// The rink region of the frame (`None` if the camera does not see the rink).
    pub rink_region: Option<PixelBox>,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DatasetSummary {
    pub train_images: u32,
    pub val_images: u32,
    /// Labels per class, in class-id order.
    pub labels_per_class: [u64; 5],
}

#[derive(Debug, Serialize)]
struct Manifest<'a> {
    generator: String,
    first_seed: u64,
    last_seed: u64,
    frames_per_seed: u32,
    profiles: &'a [String],
    width: u32,
    height: u32,
    val_every: u64,
    game_seconds: u32,
    min_visibility: f32,
    previous_gap: u32,
    vary_lighting: bool,
    summary: &'a DatasetSummary,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |source| DatasetError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One YOLO label line for an object in a `width × height` image.
pub fn yolo_line(label: &ObjectLabel, width: u32, height: u32) -> String {
    let (w, h) = (width as f32, height as f32);
    let (cx, cy) = label.bbox.centre();
    format!(
        "{} {:.6} {:.6} {:.6} {:.6}",
        label.class.id(),
        cx / w,
        cy / h,
        label.bbox.width() / w,
        label.bbox.height() / h
    )
}

/// Generates the dataset into `out`, calling `progress(seeds done, seeds in all)`.
pub fn write_dataset(
    job: &DatasetJob,
    out: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<DatasetSummary, DatasetError> {
    if job.first_seed > job.last_seed {
        return Err(DatasetError::NoSeeds {
            first: job.first_seed,
            last: job.last_seed,
        });
    }
    let profiles = job
        .profiles
        .iter()
        .map(|name| LookProfile::named(name))
        .collect::<Result<Vec<_>, _>>()?;
    let kinds: &[&str] = if job.previous_gap > 0 {
        &["images", "labels", "previous"]
    } else {
        &["images", "labels"]
    };
    for split in ["train", "val"] {
        for kind in kinds {
            let dir = out.join(kind).join(split);
            std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        }
    }
    let mut summary = DatasetSummary::default();
    let mut cameras = BTreeMap::new();
    let seed_count = job.last_seed - job.first_seed + 1;
    for (done, seed) in (job.first_seed..=job.last_seed).enumerate() {
        let profile = &profiles[seed as usize % profiles.len()];
        let split = if job.val_every > 0 && seed % job.val_every == 0 {
            "val"
        } else {
            "train"
        };
        let camera = profile.camera(seed, job.width, job.height);
        let calibration = CameraCalibration::of(camera.clone())?;
        let rink_region = rink_region(&calibration.homography, job.width, job.height);
        cameras.insert(
            format!("s{seed:05}"),
            SeedCamera {
                calibration,
                rink_region,
            },
        );
        write_seed(job, profile, camera, seed, split, out, &mut summary)?;
        progress(done as u64 + 1, seed_count);
    }
    let cameras_path = out.join("cameras.json");
    let text = serde_json::to_string(&cameras).unwrap_or_default();
    std::fs::write(&cameras_path, text).map_err(io_error(&cameras_path))?;
    let yaml = format!(
        "# BenchSight simulator dataset ({} seeds {}..={})\npath: {}\ntrain: images/train\nval: images/val\nnc: {}\nnames: [{}]\n",
        seed_count,
        job.first_seed,
        job.last_seed,
        std::path::absolute(out)
            .unwrap_or_else(|_| out.to_owned())
            .display(),
        ObjectClass::ALL.len(),
        ObjectClass::ALL.map(ObjectClass::as_str).join(", ")
    );
    let yaml_path = out.join("data.yaml");
    std::fs::write(&yaml_path, yaml).map_err(io_error(&yaml_path))?;
    let manifest = Manifest {
        generator: format!("benchsight-sim {}", env!("CARGO_PKG_VERSION")),
        first_seed: job.first_seed,
        last_seed: job.last_seed,
        frames_per_seed: job.frames_per_seed,
        profiles: &job.profiles,
        width: job.width,
        height: job.height,
        val_every: job.val_every,
        game_seconds: job.game_seconds,
        min_visibility: job.min_visibility,
        previous_gap: job.previous_gap,
        vary_lighting: job.vary_lighting,
        summary: &summary,
    };
    let manifest_path = out.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    std::fs::write(&manifest_path, text).map_err(io_error(&manifest_path))?;
    Ok(summary)
}

fn write_seed(
    job: &DatasetJob,
    profile: &LookProfile,
    camera: PinholeCamera,
    seed: u64,
    split: &str,
    out: &Path,
    summary: &mut DatasetSummary,
) -> Result<(), DatasetError> {
    let game = GameConfig::new(seed);
    let fps = u64::from(game.frames_per_s);
    let total = u64::from(job.game_seconds) * fps;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0DA7_A5E7);
    let mut wanted: Vec<u64> = (0..job.frames_per_seed)
        .map(|_| rng.random_range(fps..total.max(fps + 1)))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    // The frames whose render is some wanted frame's predecessor, with those wanted frames.
    let mut previous: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    if job.previous_gap > 0 {
        for &frame in &wanted {
            let gap = u64::from(rng.random_range(1..=job.previous_gap));
            previous.entry(frame - gap).or_default().push(frame);
        }
    }
    let mut look = profile.game_look(seed);
    if job.vary_lighting {
        look = look.with_varied_lighting(seed);
    }
    let mut renderer = Renderer::new(camera, look);
    let mut sim = GameSim::new(game);
    let mut next = wanted.into_iter().peekable();
    // Rendered predecessors waiting for their frame, by that frame.
    let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for frame in 0..total {
        if frame > 0 {
            sim.step();
        }
        if let Some(successors) = previous.get(&frame) {
            let (rgb, _) = renderer.render(&sim.state());
            for &successor in successors {
                pending.insert(successor, rgb.to_vec());
            }
        }
        if next.peek() != Some(&frame) {
            continue;
        }
        next.next();
        let predecessor = pending.remove(&frame);
        let state = sim.state();
        if state.people.is_empty() {
            // Intermission: an empty rink teaches little; skip it.
            continue;
        }
        let name = format!("s{seed:05}_f{frame:06}");
        if let Some(rgb) = predecessor {
            let path = out.join("previous").join(split).join(format!("{name}.jpg"));
            write_jpeg(job, rgb, &path)?;
        }
        let (rgb, labels) = renderer.render(&state);
        let image_path = out.join("images").join(split).join(format!("{name}.jpg"));
        write_jpeg(job, rgb.to_vec(), &image_path)?;
        let mut text = String::new();
        for label in labels.iter().filter(|l| l.visibility >= job.min_visibility) {
            let _ = writeln!(text, "{}", yolo_line(label, job.width, job.height));
            summary.labels_per_class[label.class.id()] += 1;
        }
        let label_path = out.join("labels").join(split).join(format!("{name}.txt"));
        std::fs::write(&label_path, text).map_err(io_error(&label_path))?;
        if split == "val" {
            summary.val_images += 1;
        } else {
            summary.train_images += 1;
        }
    }
    Ok(())
}

fn write_jpeg(job: &DatasetJob, rgb: Vec<u8>, path: &Path) -> Result<(), DatasetError> {
    let image =
        image::RgbImage::from_raw(job.width, job.height, rgb).ok_or_else(|| DatasetError::Io {
            path: path.to_owned(),
            source: std::io::Error::other("frame size does not match the image size"),
        })?;
    let file = std::fs::File::create(path).map_err(io_error(path))?;
    let mut encoder =
        image::codecs::jpeg::JpegEncoder::new_with_quality(std::io::BufWriter::new(file), 92);
    encoder
        .encode_image(&image)
        .map_err(|source| DatasetError::Image {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_yolo_dataset_split_by_seed() {
        let dir = tempfile::tempdir().unwrap();
        let job = DatasetJob {
            first_seed: 1,
            last_seed: 4,
            frames_per_seed: 3,
            profiles: vec!["arena".into(), "community".into()],
            width: 320,
            height: 180,
            val_every: 4,
            game_seconds: 20,
            min_visibility: 0.3,
            previous_gap: 3,
            vary_lighting: false,
        };
        let summary = write_dataset(&job, dir.path(), |_, _| {}).unwrap();
        assert_eq!(summary.train_images + summary.val_images, 12);
        assert_eq!(summary.val_images, 3);
        assert!(summary.labels_per_class[ObjectClass::Player.id()] > 50);
        let yaml = std::fs::read_to_string(dir.path().join("data.yaml")).unwrap();
        assert!(
            yaml.contains("names: [player, goalie, referee, puck, net]"),
            "{yaml}"
        );
        let cameras: BTreeMap<String, SeedCamera> = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("cameras.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(cameras.len(), 4);
        assert!(cameras["s00001"].rink_region.is_some());
        let labels: Vec<_> = std::fs::read_dir(dir.path().join("labels/val"))
            .unwrap()
            .collect();
        assert_eq!(labels.len(), 3);
        for entry in std::fs::read_dir(dir.path().join("labels/train")).unwrap() {
            let path = entry.unwrap().path();
            assert!(path.file_name().unwrap().to_string_lossy().starts_with('s'));
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let fields: Vec<f32> = line.split(' ').map(|f| f.parse().unwrap()).collect();
                assert_eq!(fields.len(), 5);
                assert!(
                    fields[0] < 5.0 && fields[1..].iter().all(|v| (0.0..=1.0).contains(v)),
                    "{line}"
                );
            }
            let image = path
                .to_string_lossy()
                .replace("labels", "images")
                .replace(".txt", ".jpg");
            let decoded = image::open(&image).unwrap().to_rgb8();
            assert_eq!((decoded.width(), decoded.height()), (320, 180));
            // The predecessor: same camera and size, and the play has moved since.
            let previous = image::open(image.replace("images", "previous"))
                .unwrap()
                .to_rgb8();
            assert_eq!(previous.dimensions(), decoded.dimensions());
            assert_ne!(previous.as_raw(), decoded.as_raw(), "{image}");
        }
    }
}
