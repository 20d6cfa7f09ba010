//! The plane-to-plane mapping between a camera image and the rink: fitted from image↔rink point
//! pairs by the normalised direct linear transform (least squares over all pairs), applied in both
//! directions, and judged by its reprojection error.
//!
//! Degenerate input (too few pairs, non-finite values, repeated or collinear points, a singular
//! result) is refused with a typed error rather than producing a mapping that looks valid.

use nalgebra::{DMatrix, Matrix3, Vector3};
use serde::{Deserialize, Serialize};

/// A position in an image, in pixels from the top-left corner (x right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImagePoint {
    pub x_px: f64,
    pub y_px: f64,
}

/// A position on the rink's plane in centre-relative feet, not necessarily on the ice (an image
/// point above the boards maps beyond them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlanePoint {
    pub x_ft: f64,
    pub y_ft: f64,
}

impl PlanePoint {
    pub fn distance_ft(self, other: PlanePoint) -> f64 {
        (self.x_ft - other.x_ft).hypot(self.y_ft - other.y_ft)
    }
}

/// One calibration landmark: where a known rink point appears in the image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointPair {
    pub image: ImagePoint,
    pub rink: PlanePoint,
}

/// Why no homography could be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HomographyError {
    #[error("a homography needs at least 4 point pairs; got {0}")]
    TooFewPairs(usize),
    #[error("point pair {0} has a non-finite coordinate")]
    NotFinite(usize),
    #[error("the {0} points are degenerate (repeated or all on one line)")]
    Degenerate(&'static str),
    #[error(
        "the pairs do not determine a unique mapping (three of four collinear, or inconsistent)"
    )]
    Singular,
}

/// Summary of how well a homography maps image points onto their known rink positions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReprojectionError {
    pub rms_ft: f64,
    pub max_ft: f64,
}

/// A fitted image↔rink plane mapping, with both directions precomputed. Serialised as its
/// row-major rink → image matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HomographyRows", into = "HomographyRows")]
pub struct Homography {
    image_to_rink: Matrix3<f64>,
    rink_to_image: Matrix3<f64>,
}

impl Homography {
    /// Builds a homography from its rink → image matrix (e.g. from a known camera).
    pub fn from_rink_to_image(rink_to_image: Matrix3<f64>) -> Result<Self, HomographyError> {
        let scale = rink_to_image.norm();
        if !scale.is_finite() || scale == 0.0 {
            return Err(HomographyError::Singular);
        }
        let normalised = rink_to_image / scale;
        if normalised.determinant().abs() < 1e-12 {
            return Err(HomographyError::Singular);
        }
        let image_to_rink = normalised.try_inverse().ok_or(HomographyError::Singular)?;
        Ok(Self {
            image_to_rink: image_to_rink / image_to_rink.norm(),
            rink_to_image: normalised,
        })
    }

    /// Fits the image → rink mapping to `pairs` by the normalised DLT: both point sets are moved
    /// to their centroid and scaled to a mean distance of √2, the 2N×9 linear system is solved
    /// in the least-squares sense by SVD, and the result is mapped back.
    pub fn fit(pairs: &[PointPair]) -> Result<Self, HomographyError> {
        if pairs.len() < 4 {
            return Err(HomographyError::TooFewPairs(pairs.len()));
        }
        if let Some(index) = pairs.iter().position(|p| {
            ![p.image.x_px, p.image.y_px, p.rink.x_ft, p.rink.y_ft]
                .iter()
                .all(|v| v.is_finite())
        }) {
            return Err(HomographyError::NotFinite(index));
        }
        let image: Vec<(f64, f64)> = pairs.iter().map(|p| (p.image.x_px, p.image.y_px)).collect();
        let rink: Vec<(f64, f64)> = pairs.iter().map(|p| (p.rink.x_ft, p.rink.y_ft)).collect();
        let image_norm = Normalisation::of(&image).ok_or(HomographyError::Degenerate("image"))?;
        let rink_norm = Normalisation::of(&rink).ok_or(HomographyError::Degenerate("rink"))?;

        // At least 9 rows so that the SVD yields the full 9×9 right singular basis.
        let rows = (2 * pairs.len()).max(9);
        let mut system = DMatrix::<f64>::zeros(rows, 9);
        for (i, (&from, &to)) in image.iter().zip(&rink).enumerate() {
            let (x, y) = image_norm.apply(from);
            let (u, v) = rink_norm.apply(to);
            let r = 2 * i;
            system
                .row_mut(r)
                .copy_from_slice(&[-x, -y, -1.0, 0.0, 0.0, 0.0, u * x, u * y, u]);
            system
                .row_mut(r + 1)
                .copy_from_slice(&[0.0, 0.0, 0.0, -x, -y, -1.0, v * x, v * y, v]);
        }
        let svd = system.svd(false, true);
        let v_t = svd.v_t.ok_or(HomographyError::Singular)?;
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[a].total_cmp(&svd.singular_values[b]));
        let (smallest, second) = (order[0], order[1]);
        let largest = svd.singular_values.max();
        // A second (near-)null direction means the pairs admit many mappings.
        if svd.singular_values[second] <= largest * 1e-10 {
            return Err(HomographyError::Singular);
        }
        let h = v_t.row(smallest);
        let normalised = Matrix3::new(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]);
        let image_to_rink = rink_norm.inverse() * normalised * image_norm.matrix();
        let rink_to_image = image_to_rink
            .try_inverse()
            .ok_or(HomographyError::Singular)?;
        Self::from_rink_to_image(rink_to_image)
    }

    /// Where an image point lies on the rink's plane; `None` at or beyond the horizon.
    pub fn image_to_rink(&self, point: ImagePoint) -> Option<PlanePoint> {
        let (x_ft, y_ft) = project(&self.image_to_rink, point.x_px, point.y_px)?;
        Some(PlanePoint { x_ft, y_ft })
    }

    /// Where a rink-plane point appears in the image; `None` if it is behind the camera's
    /// horizon line.
    pub fn rink_to_image(&self, point: PlanePoint) -> Option<ImagePoint> {
        let (x_px, y_px) = project(&self.rink_to_image, point.x_ft, point.y_ft)?;
        Some(ImagePoint { x_px, y_px })
    }

    /// The rink → image matrix (row-major), e.g. for a calibration file.
    pub fn rink_to_image_matrix(&self) -> [[f64; 3]; 3] {
        let m = &self.rink_to_image;
        [
            [m[(0, 0)], m[(0, 1)], m[(0, 2)]],
            [m[(1, 0)], m[(1, 1)], m[(1, 2)]],
            [m[(2, 0)], m[(2, 1)], m[(2, 2)]],
        ]
    }

    /// Rebuilds a homography from a row-major rink → image matrix.
    pub fn from_rink_to_image_rows(rows: [[f64; 3]; 3]) -> Result<Self, HomographyError> {
        Self::from_rink_to_image(Matrix3::from_row_slice(rows.as_flattened()))
    }

    /// Transfer error in rink feet: how far each pair's image point maps from its rink point.
    /// A pair whose image point maps beyond the horizon counts as infinitely far.
    pub fn reprojection_error(&self, pairs: &[PointPair]) -> ReprojectionError {
        let errors: Vec<f64> = pairs
            .iter()
            .map(|pair| {
                self.image_to_rink(pair.image)
                    .map_or(f64::INFINITY, |mapped| mapped.distance_ft(pair.rink))
            })
            .collect();
        if errors.is_empty() {
            return ReprojectionError {
                rms_ft: 0.0,
                max_ft: 0.0,
            };
        }
        let mean_square = errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64;
        ReprojectionError {
            rms_ft: mean_square.sqrt(),
            max_ft: errors.iter().copied().fold(0.0, f64::max),
        }
    }
}

/// The serialised form of a [`Homography`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct HomographyRows {
    rink_to_image: [[f64; 3]; 3],
}

impl TryFrom<HomographyRows> for Homography {
    type Error = HomographyError;
    fn try_from(rows: HomographyRows) -> Result<Self, HomographyError> {
        Homography::from_rink_to_image_rows(rows.rink_to_image)
    }
}

impl From<Homography> for HomographyRows {
    fn from(homography: Homography) -> Self {
        HomographyRows {
            rink_to_image: homography.rink_to_image_matrix(),
        }
    }
}

fn project(matrix: &Matrix3<f64>, x: f64, y: f64) -> Option<(f64, f64)> {
    let p = matrix * Vector3::new(x, y, 1.0);
    // Points whose projective scale is not positive lie at or behind the horizon line.
    let scale = p.norm();
    if !scale.is_finite() || p.z.abs() <= f64::EPSILON * scale {
        return None;
    }
    let (u, v) = (p.x / p.z, p.y / p.z);
    (u.is_finite() && v.is_finite()).then_some((u, v))
}

/// Hartley normalisation of one point set: centroid to the origin, mean distance √2.
#[derive(Debug, Clone, Copy)]
struct Normalisation {
    centre: (f64, f64),
    scale: f64,
}

impl Normalisation {
    /// `None` when the points are all the same or all on one line.
    fn of(points: &[(f64, f64)]) -> Option<Self> {
        let n = points.len() as f64;
        let cx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let cy = points.iter().map(|p| p.1).sum::<f64>() / n;
        let mean_distance = points
            .iter()
            .map(|p| (p.0 - cx).hypot(p.1 - cy))
            .sum::<f64>()
            / n;
        // Zero (all points equal), or not finite: no scale to normalise by.
        if !mean_distance.is_normal() {
            return None;
        }
        let scale = std::f64::consts::SQRT_2 / mean_distance;
        // The scatter matrix of the normalised points has a vanishing eigenvalue iff they are
        // collinear.
        let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
        for p in points {
            let (x, y) = ((p.0 - cx) * scale, (p.1 - cy) * scale);
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
        }
        let half_trace = (sxx + syy) / 2.0;
        let smaller_eigen = half_trace - ((sxx - syy).powi(2) / 4.0 + sxy * sxy).sqrt();
        if smaller_eigen <= 1e-9 * half_trace {
            return None;
        }
        Some(Self {
            centre: (cx, cy),
            scale,
        })
    }

    fn apply(&self, p: (f64, f64)) -> (f64, f64) {
        (
            (p.0 - self.centre.0) * self.scale,
            (p.1 - self.centre.1) * self.scale,
        )
    }

    fn matrix(&self) -> Matrix3<f64> {
        let s = self.scale;
        Matrix3::new(
            s,
            0.0,
            -s * self.centre.0,
            0.0,
            s,
            -s * self.centre.1,
            0.0,
            0.0,
            1.0,
        )
    }

    fn inverse(&self) -> Matrix3<f64> {
        let s = self.scale;
        Matrix3::new(
            1.0 / s,
            0.0,
            self.centre.0,
            0.0,
            1.0 / s,
            self.centre.1,
            0.0,
            0.0,
            1.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::PinholeCamera;
    use proptest::prelude::*;

    fn pair(camera: &PinholeCamera, x_ft: f64, y_ft: f64) -> PointPair {
        let rink = PlanePoint { x_ft, y_ft };
        PointPair {
            image: camera.project_ground(rink).expect("landmark in view"),
            rink,
        }
    }

    /// Rink landmarks a calibrator would click: dots, line ends, crease corners.
    fn landmarks(camera: &PinholeCamera) -> Vec<PointPair> {
        [
            (0.0, 0.0),
            (-20.0, 22.0),
            (20.0, -22.0),
            (-69.0, 22.0),
            (69.0, -22.0),
            (-69.0, -22.0),
            (69.0, 22.0),
            (-25.0, 40.0),
            (25.0, -40.0),
            (-89.0, 0.0),
            (89.0, 0.0),
            (0.0, 42.5),
        ]
        .iter()
        .map(|&(x, y)| pair(camera, x, y))
        .collect()
    }

    fn check_grid(fitted: &Homography, camera: &PinholeCamera) -> f64 {
        let mut worst: f64 = 0.0;
        for xi in -9..=9 {
            for yi in -4..=4 {
                let truth = PlanePoint {
                    x_ft: f64::from(xi) * 10.0,
                    y_ft: f64::from(yi) * 10.0,
                };
                let image = camera.project_ground(truth).unwrap();
                let mapped = fitted.image_to_rink(image).unwrap();
                worst = worst.max(mapped.distance_ft(truth));
            }
        }
        worst
    }

    #[test]
    fn fit_from_four_exact_points_recovers_the_camera() {
        let camera = PinholeCamera::broadcast_default(1920, 1080);
        let four: Vec<_> = [(-69.0, 22.0), (69.0, 22.0), (69.0, -22.0), (-69.0, -22.0)]
            .iter()
            .map(|&(x, y)| pair(&camera, x, y))
            .collect();
        let fitted = Homography::fit(&four).unwrap();
        assert!(check_grid(&fitted, &camera) < 0.01);
        let error = fitted.reprojection_error(&four);
        assert!(error.max_ft < 1e-6, "{error:?}");
    }

    #[test]
    fn round_trip_and_inverse_agree() {
        let camera = PinholeCamera::broadcast_default(1280, 720);
        let fitted = Homography::fit(&landmarks(&camera)).unwrap();
        let point = PlanePoint {
            x_ft: 42.0,
            y_ft: -17.0,
        };
        let image = fitted.rink_to_image(point).unwrap();
        let back = fitted.image_to_rink(image).unwrap();
        assert!(back.distance_ft(point) < 1e-6);
        let rebuilt = Homography::from_rink_to_image_rows(fitted.rink_to_image_matrix()).unwrap();
        let again = rebuilt.image_to_rink(image).unwrap();
        assert!(again.distance_ft(point) < 1e-6);
    }

    #[test]
    fn degenerate_inputs_are_refused() {
        let camera = PinholeCamera::broadcast_default(1920, 1080);
        let three: Vec<_> = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)]
            .iter()
            .map(|&(x, y)| pair(&camera, x, y))
            .collect();
        assert_eq!(
            Homography::fit(&three),
            Err(HomographyError::TooFewPairs(3))
        );

        let collinear: Vec<_> = (0..6)
            .map(|i| pair(&camera, f64::from(i) * 10.0, 5.0))
            .collect();
        assert!(matches!(
            Homography::fit(&collinear),
            Err(HomographyError::Degenerate(_))
        ));

        let repeated = vec![pair(&camera, 5.0, 5.0); 5];
        assert!(Homography::fit(&repeated).is_err());

        let three_collinear: Vec<_> = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (0.0, 10.0)]
            .iter()
            .map(|&(x, y)| pair(&camera, x, y))
            .collect();
        assert_eq!(
            Homography::fit(&three_collinear),
            Err(HomographyError::Singular)
        );

        let mut bad = landmarks(&camera);
        bad[2].image.x_px = f64::NAN;
        assert_eq!(Homography::fit(&bad), Err(HomographyError::NotFinite(2)));
    }

    /// Deterministic pseudo-noise for the property tests (a splitmix64 stream mapped to a
    /// Gaussian by Box-Muller), so that a failing case replays exactly.
    fn gaussian_noise(seed: u64, count: usize) -> Vec<f64> {
        let mut state = seed;
        let mut uniform = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..count)
            .map(|_| {
                let (u1, u2) = (uniform().max(1e-12), uniform());
                (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any plausible rink-side camera is recovered to < 0.01 ft from exact landmarks.
        #[test]
        fn exact_landmarks_recover_any_camera(
            side_ft in 40.0f64..120.0,
            height_ft in 15.0f64..45.0,
            shift_ft in -30.0f64..30.0,
            focal_px in 700.0f64..1600.0,
        ) {
            let camera = PinholeCamera::looking_at(
                (shift_ft, -side_ft - 42.5, height_ft),
                (0.0, 0.0, 0.0),
                focal_px,
                1920,
                1080,
            );
            let fitted = Homography::fit(&landmarks(&camera)).unwrap();
            prop_assert!(check_grid(&fitted, &camera) < 0.01);
        }

        /// With pixel noise on the landmarks the mapping degrades in proportion to the noise
        /// instead of breaking down.
        #[test]
        fn noisy_landmarks_degrade_gracefully(seed in any::<u64>(), sigma_px in 0.1f64..2.0) {
            let camera = PinholeCamera::broadcast_default(1920, 1080);
            let mut pairs = landmarks(&camera);
            let noise = gaussian_noise(seed, 2 * pairs.len());
            for (pair, n) in pairs.iter_mut().zip(noise.chunks(2)) {
                pair.image.x_px += sigma_px * n[0];
                pair.image.y_px += sigma_px * n[1];
            }
            let fitted = Homography::fit(&pairs).unwrap();
            let error = fitted.reprojection_error(&pairs);
            // From this wide camera one pixel spans about 0.2 ft across and 0.8 ft along the
            // line of sight at centre ice, several feet at the far corners; the errors must stay
            // within a fixed multiple of the noise (measured: rms ≤ 1.2 σ, grid ≤ 4.8 σ).
            prop_assert!(error.rms_ft < 2.0 * sigma_px, "{:?} at σ={}", error, sigma_px);
            let grid = check_grid(&fitted, &camera);
            prop_assert!(grid < 10.0 * sigma_px, "grid error {} ft at σ={}", grid, sigma_px);
        }
    }
}
