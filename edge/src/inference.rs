//! Runs a detector through ONNX Runtime (loaded at run time from its shared library): the chosen
//! execution provider (CPU, CUDA or TensorRT, failing loudly if it cannot be registered), the
//! TensorRT engine cache keyed by model checksum and TensorRT version, thread settings, and the
//! frame → input tensor → detections path (letterbox, decoding and NMS come from the core).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use benchsight_core::detection::{Detection, ObjectClass, PixelBox, non_maximum_suppression};
use benchsight_core::detector::{HeadLayout, InputGeometry, decode_output};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;
use serde::{Deserialize, Serialize};

use crate::model::ModelPackage;

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProvider {
    #[default]
    Cpu,
    Cuda,
    Tensorrt,
}

/// How to run the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InferenceSettings {
    pub provider: ExecutionProvider,
    /// Threads inside one operator (0: ONNX Runtime decides).
    pub intra_threads: usize,
    /// Where TensorRT engines are kept, one folder per model checksum.
    pub engine_cache_dir: Option<PathBuf>,
    /// TensorRT version of the device, part of the engine cache key (engines are tied to it).
    pub tensorrt_version: String,
}

impl Default for InferenceSettings {
    fn default() -> Self {
        Self {
            provider: ExecutionProvider::Cpu,
            intra_threads: 0,
            engine_cache_dir: None,
            tensorrt_version: "unknown".into(),
        }
    }
}

/// Why inference could not run.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    #[error("cannot load the ONNX Runtime library {path}: {detail}")]
    Library { path: PathBuf, detail: String },
    #[error("cannot create the ONNX Runtime session for {model}: {detail}")]
    Session { model: PathBuf, detail: String },
    #[error("the {0:?} execution provider is not available in this ONNX Runtime build")]
    ProviderUnavailable(ExecutionProvider),
    #[error("inference failed: {0}")]
    Run(String),
    #[error(transparent)]
    Head(#[from] benchsight_core::detector::HeadError),
    #[error("frame is {got} bytes; {width}×{height} RGB needs {expected}")]
    FrameSize {
        got: usize,
        expected: usize,
        width: u32,
        height: u32,
    },
}

/// The ONNX Runtime library, loaded once per process.
#[derive(Debug)]
pub struct OnnxRuntime {
    environment: Environment,
}

impl OnnxRuntime {
    pub fn load(library: &Path) -> Result<Self, InferenceError> {
        let fail = |detail: String| InferenceError::Library {
            path: library.to_owned(),
            detail,
        };
        let environment = ort::init_from(library)
            .map_err(|e| fail(e.to_string()))?
            .with_name("benchsight")
            .build()
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self { environment })
    }
}

/// An RGB frame borrowed from the capture.
#[derive(Debug, Clone, Copy)]
pub struct RgbFrame<'a> {
    pub width: u32,
    pub height: u32,
    pub pixels: &'a [u8],
}

/// How long one frame's detection took, split into the model and everything around it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DetectTiming {
    pub preprocess: Duration,
    pub inference: Duration,
    pub postprocess: Duration,
}

/// One ONNX Runtime session and how its output is read.
#[derive(Debug)]
struct Head {
    session: Session,
    /// Omitted in `model.toml`: recognised from the first output.
    layout: Option<HeadLayout>,
    /// BenchSight class per output class id.
    class_map: Vec<Option<ObjectClass>>,
}

impl Head {
    fn new(
        runtime: &OnnxRuntime,
        onnx_path: &Path,
        sha256: &str,
        settings: &InferenceSettings,
        layout: Option<HeadLayout>,
        class_map: Vec<Option<ObjectClass>>,
        shares_cores: bool,
    ) -> Result<Self, InferenceError> {
        let fail = |detail: String| InferenceError::Session {
            model: onnx_path.to_owned(),
            detail,
        };
        // Each session has its own thread pool, whose threads spin a while after every run:
        // with two sessions run one after the other, the idle pool's spinning would take the
        // cores from the busy one.
        let mut builder = Session::builder(&runtime.environment)
            .map_err(|e| fail(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| fail(e.to_string()))?
            .with_intra_op_spinning(!shares_cores)
            .map_err(|e| fail(e.to_string()))?;
        if settings.intra_threads > 0 {
            builder = builder
                .with_intra_threads(settings.intra_threads)
                .map_err(|e| fail(e.to_string()))?;
        }
        let provider = match settings.provider {
            ExecutionProvider::Cpu => ort::ep::CPU::default().build(),
            ExecutionProvider::Cuda => ort::ep::CUDA::default().build(),
            ExecutionProvider::Tensorrt => {
                let mut tensorrt = ort::ep::TensorRT::default().with_fp16(false);
                if let Some(dir) = &settings.engine_cache_dir {
                    let key = &sha256[..16.min(sha256.len())];
                    let folder = dir.join(format!("{key}-trt{}", settings.tensorrt_version));
                    tensorrt = tensorrt
                        .with_engine_cache(true)
                        .with_engine_cache_path(folder.display().to_string());
                }
                tensorrt.build()
            }
        };
        builder = builder
            .with_execution_providers([provider.error_on_failure()])
            .map_err(|e| fail(e.to_string()))?;
        let session = builder
            .commit_from_file(onnx_path)
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            session,
            layout,
            class_map,
        })
    }

    /// Runs the session on a prepared input; detections scoring at least `score_floor`, in frame
    /// pixels, after NMS, and the time the session itself took.
    fn run(
        &mut self,
        input: &[f32],
        shape: [usize; 4],
        geometry: &InputGeometry,
        score_floor: f32,
        nms_iou: f32,
    ) -> Result<(Vec<Detection>, Duration), InferenceError> {
        let tensor = TensorRef::from_array_view((shape, input))
            .map_err(|e| InferenceError::Run(e.to_string()))?;
        let started = Instant::now();
        let outputs = self
            .session
            .run(ort::inputs![tensor])
            .map_err(|e| InferenceError::Run(e.to_string()))?;
        let spent = started.elapsed();
        let (out_shape, data) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| InferenceError::Run(e.to_string()))?;
        let out_shape: Vec<usize> = out_shape.iter().map(|&d| d.max(0) as usize).collect();
        let layout = match self.layout {
            Some(layout) => layout,
            None => HeadLayout::from_shape(&out_shape, self.class_map.len())?,
        };
        self.layout = Some(layout);
        let raw = decode_output(
            layout,
            data,
            &out_shape,
            &self.class_map,
            score_floor,
            geometry,
        )?;
        Ok((non_maximum_suppression(raw, nms_iou), spent))
    }
}

/// A loaded detector, ready to run frame after frame: the model's network and, when its folder
/// has one, the dedicated puck network fed the same input.
#[derive(Debug)]
pub struct Detector {
    head: Head,
    puck: Option<Head>,
    package: ModelPackage,
    /// RGB planes of the frame being processed; for a puck network that reads the previous
    /// frame, a fourth plane holding that frame's grey.
    input: Vec<f32>,
    /// The geometry of the frame whose grey is in the fourth plane, if it is there.
    previous: Option<InputGeometry>,
}

impl Detector {
    pub fn new(
        runtime: &OnnxRuntime,
        package: ModelPackage,
        settings: &InferenceSettings,
    ) -> Result<Self, InferenceError> {
        let spec = &package.spec;
        let head = Head::new(
            runtime,
            &package.onnx_path,
            &spec.sha256,
            settings,
            spec.output.layout,
            package.class_map.clone(),
            package.puck_onnx_path.is_some(),
        )?;
        let puck = match (&package.puck_onnx_path, &spec.puck) {
            (Some(path), Some(puck)) => Some(Head::new(
                runtime,
                path,
                &puck.sha256,
                settings,
                Some(HeadLayout::YoloRaw),
                vec![Some(ObjectClass::Puck)],
                true,
            )?),
            _ => None,
        };
        let planes = if Self::reads_previous(&package) { 4 } else { 3 };
        let input = vec![0.0; planes * spec.input.width as usize * spec.input.height as usize];
        Ok(Self {
            head,
            puck,
            package,
            input,
            previous: None,
        })
    }

    fn reads_previous(package: &ModelPackage) -> bool {
        package.puck_onnx_path.is_some()
            && package
                .spec
                .puck
                .as_ref()
                .is_some_and(|puck| puck.previous_frame)
    }

    pub fn package(&self) -> &ModelPackage {
        &self.package
    }

    /// Whether the model reads the previous frame as well as the current one.
    pub fn wants_previous_frame(&self) -> bool {
        Self::reads_previous(&self.package)
    }

    /// Makes `frame` the previous frame of the next detection, as if it had just been processed
    /// (evaluation on still images with their predecessor).
    pub fn set_previous_frame(
        &mut self,
        frame: RgbFrame<'_>,
        geometry: &InputGeometry,
    ) -> Result<(), InferenceError> {
        self.fill_rgb(frame, geometry)?;
        self.keep_as_previous(geometry);
        Ok(())
    }

    /// Forgets the previous frame (after a gap in the video): the next frame is compared with
    /// itself, as the first one is.
    pub fn forget_previous_frame(&mut self) {
        self.previous = None;
    }

    /// The input geometry for a frame: the rink region (when the model wants it) or the frame.
    pub fn geometry(
        &self,
        frame_width: u32,
        frame_height: u32,
        rink_region: Option<PixelBox>,
    ) -> InputGeometry {
        let spec = &self.package.spec.input;
        let whole = PixelBox {
            x0: 0.0,
            y0: 0.0,
            x1: frame_width as f32,
            y1: frame_height as f32,
        };
        let region = match spec.region {
            crate::model::InputRegion::Rink => rink_region.unwrap_or(whole),
            crate::model::InputRegion::Frame => whole,
        };
        InputGeometry::letterbox(region, spec.width, spec.height)
    }

    /// Detects objects in one frame at the model's operating thresholds; returns detections in
    /// frame pixels after NMS.
    pub fn detect(
        &mut self,
        frame: RgbFrame<'_>,
        geometry: &InputGeometry,
    ) -> Result<(Vec<Detection>, DetectTiming), InferenceError> {
        let package = &self.package;
        let floor = ObjectClass::ALL
            .into_iter()
            .map(|class| package.threshold(class))
            .fold(1.0, f32::min);
        let (mut detections, timing) = self.detect_ranked(frame, geometry, floor)?;
        detections.retain(|d| d.score >= self.package.threshold(d.class));
        Ok((detections, timing))
    }

    /// Like [`Detector::detect`] but keeps every detection scoring at least `score_floor`
    /// (evaluation ranks low-scoring detections too).
    pub fn detect_ranked(
        &mut self,
        frame: RgbFrame<'_>,
        geometry: &InputGeometry,
        score_floor: f32,
    ) -> Result<(Vec<Detection>, DetectTiming), InferenceError> {
        let started = Instant::now();
        self.fill_rgb(frame, geometry)?;
        let plane = self.rgb_len() / 3;
        let reads_previous = self.input.len() > 3 * plane;
        if reads_previous && self.previous != Some(*geometry) {
            // No previous frame of this view: the frame stands in for it (nothing moved).
            self.keep_as_previous(geometry);
        }
        let preprocessed = Instant::now();
        let spec = &self.package.spec.input;
        let shape = [1usize, 3, spec.height as usize, spec.width as usize];
        let nms_iou = self.package.spec.thresholds.nms_iou;
        let (mut detections, mut inference) = self.head.run(
            &self.input[..3 * plane],
            shape,
            geometry,
            score_floor,
            nms_iou,
        )?;
        if let Some(puck) = &mut self.puck {
            let puck_shape = [1usize, self.input.len() / plane, shape[2], shape[3]];
            let (pucks, spent) =
                puck.run(&self.input, puck_shape, geometry, score_floor, nms_iou)?;
            detections.retain(|d| d.class != ObjectClass::Puck);
            detections.extend(pucks);
            inference += spent;
        }
        if reads_previous {
            self.keep_as_previous(geometry);
        }
        let preprocess = preprocessed - started;
        Ok((
            detections,
            DetectTiming {
                preprocess,
                inference,
                postprocess: started.elapsed().saturating_sub(preprocess + inference),
            },
        ))
    }
}

impl Detector {
    /// Number of values in the RGB planes of the input.
    fn rgb_len(&self) -> usize {
        let spec = &self.package.spec.input;
        3 * spec.width as usize * spec.height as usize
    }

    /// Checks the frame's size and writes its RGB planes.
    fn fill_rgb(
        &mut self,
        frame: RgbFrame<'_>,
        geometry: &InputGeometry,
    ) -> Result<(), InferenceError> {
        let expected = frame.width as usize * frame.height as usize * 3;
        if frame.pixels.len() != expected {
            return Err(InferenceError::FrameSize {
                got: frame.pixels.len(),
                expected,
                width: frame.width,
                height: frame.height,
            });
        }
        let spec = &self.package.spec.input;
        let rgb = self.rgb_len();
        fill_input(
            frame,
            geometry,
            spec.scale,
            spec.pad_value,
            &mut self.input[..rgb],
        );
        Ok(())
    }

    /// Writes the grey of the RGB planes into the fourth plane, for the next frame.
    fn keep_as_previous(&mut self, geometry: &InputGeometry) {
        let rgb = self.rgb_len();
        if self.input.len() > rgb {
            let (colour, previous) = self.input.split_at_mut(rgb);
            grey_plane(colour, previous);
            self.previous = Some(*geometry);
        }
    }
}

/// The channel mean of planar RGB `rgb`, into `grey` (one plane).
pub fn grey_plane(rgb: &[f32], grey: &mut [f32]) {
    let plane = grey.len();
    let (r, rest) = rgb.split_at(plane);
    let (g, b) = rest.split_at(plane);
    for (((out, r), g), b) in grey.iter_mut().zip(r).zip(g).zip(b) {
        *out = (r + g + b) / 3.0;
    }
}

/// Writes the model input (CHW, scaled) for `frame`: the geometry's region resampled bilinearly
/// into the letterboxed area, the rest filled with the padding grey.
pub fn fill_input(
    frame: RgbFrame<'_>,
    geometry: &InputGeometry,
    scale: f32,
    pad: u8,
    input: &mut [f32],
) {
    let (w, h) = (
        geometry.input_width as usize,
        geometry.input_height as usize,
    );
    let plane = w * h;
    let pad_value = f32::from(pad) * scale;
    input.fill(pad_value);
    let (fw, fh) = (frame.width as usize, frame.height as usize);
    let region = geometry.region;
    let x_start = geometry.pad_x.round().max(0.0) as usize;
    let y_start = geometry.pad_y.round().max(0.0) as usize;
    let x_end = ((geometry.pad_x + region.width() * geometry.scale).round() as usize).min(w);
    let y_end = ((geometry.pad_y + region.height() * geometry.scale).round() as usize).min(h);
    let inverse = 1.0 / geometry.scale;
    // Horizontal sample positions and weights are the same for every row.
    let columns: Vec<(usize, usize, f32)> = (x_start..x_end)
        .map(|x| {
            let sx = ((x as f32 + 0.5 - geometry.pad_x) * inverse + region.x0 - 0.5)
                .clamp(0.0, (fw - 1) as f32);
            let x0 = sx.floor() as usize;
            (x0, (x0 + 1).min(fw - 1), sx - x0 as f32)
        })
        .collect();
    for y in y_start..y_end {
        let sy = ((y as f32 + 0.5 - geometry.pad_y) * inverse + region.y0 - 0.5)
            .clamp(0.0, (fh - 1) as f32);
        let y0 = sy.floor() as usize;
        let y1 = (y0 + 1).min(fh - 1);
        let wy = sy - y0 as f32;
        let row0 = &frame.pixels[y0 * fw * 3..(y0 + 1) * fw * 3];
        let row1 = &frame.pixels[y1 * fw * 3..(y1 + 1) * fw * 3];
        for (i, &(x0, x1, wx)) in columns.iter().enumerate() {
            let x = x_start + i;
            for c in 0..3 {
                let top =
                    f32::from(row0[x0 * 3 + c]) * (1.0 - wx) + f32::from(row0[x1 * 3 + c]) * wx;
                let bottom =
                    f32::from(row1[x0 * 3 + c]) * (1.0 - wx) + f32::from(row1[x1 * 3 + c]) * wx;
                input[c * plane + y * w + x] = (top * (1.0 - wy) + bottom * wy) * scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_the_region_letterboxed_in_planar_rgb() {
        // A 4×2 frame whose pixels encode their position; the region is its right half.
        let pixels: Vec<u8> = (0..2u8)
            .flat_map(|y| (0..4u8).flat_map(move |x| [x * 10, y * 10, 200]))
            .collect();
        let frame = RgbFrame {
            width: 4,
            height: 2,
            pixels: &pixels,
        };
        let region = PixelBox {
            x0: 2.0,
            y0: 0.0,
            x1: 4.0,
            y1: 2.0,
        };
        let geometry = InputGeometry::letterbox(region, 4, 2);
        let mut input = vec![0.0; 3 * 4 * 2];
        fill_input(frame, &geometry, 1.0, 114, &mut input);
        // Scale 1, padded by one column on each side.
        assert_eq!(geometry.pad_x, 1.0);
        let red: Vec<f32> = input[..8].to_vec();
        assert_eq!(
            red,
            vec![114.0, 20.0, 30.0, 114.0, 114.0, 20.0, 30.0, 114.0]
        );
        let green = &input[8..16];
        assert_eq!(&green[4..8], &[114.0, 10.0, 10.0, 114.0]);
        assert!(
            input[16..]
                .iter()
                .zip([114.0, 200.0, 200.0, 114.0].iter().cycle())
                .all(|(a, b)| a == b)
        );
    }

    #[test]
    fn the_previous_frame_plane_is_the_channel_mean() {
        // Two pixels: (30, 60, 90) and the padding grey.
        let rgb = [30.0, 114.0, 60.0, 114.0, 90.0, 114.0];
        let mut grey = [0.0; 2];
        grey_plane(&rgb, &mut grey);
        assert_eq!(grey, [60.0, 114.0]);
    }
}
