//! A pinhole camera in rink coordinates (feet; x along the rink, y across, z up): projection of
//! 3-D points into the image and the exact ground-plane homography it implies. The simulator
//! renders through it and calibration tests use it as the known truth.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

use crate::homography::{Homography, HomographyError, ImagePoint, PlanePoint};

/// An ideal pinhole camera without lens distortion and without roll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PinholeCamera {
    /// Optical centre in rink feet (z is the height above the ice).
    pub position_ft: [f64; 3],
    /// The rink point the optical axis passes through.
    pub look_at_ft: [f64; 3],
    /// Focal length in pixels (square pixels).
    pub focal_px: f64,
    pub width_px: u32,
    pub height_px: u32,
}

impl PinholeCamera {
    pub fn looking_at(
        position_ft: (f64, f64, f64),
        look_at_ft: (f64, f64, f64),
        focal_px: f64,
        width_px: u32,
        height_px: u32,
    ) -> Self {
        Self {
            position_ft: [position_ft.0, position_ft.1, position_ft.2],
            look_at_ft: [look_at_ft.0, look_at_ft.1, look_at_ft.2],
            focal_px,
            width_px,
            height_px,
        }
    }

    /// The default rink-side camera: about 8 m (26 ft) up beside centre ice, 60 ft back from
    /// the near boards, with a wide lens (horizontal field of view ≈ 108°) that keeps the whole
    /// rink, rounded corners included, in the frame.
    pub fn broadcast_default(width_px: u32, height_px: u32) -> Self {
        let focal_px = 0.36 * f64::from(width_px);
        Self::looking_at(
            (0.0, -102.5, 26.0),
            (0.0, 5.0, 0.0),
            focal_px,
            width_px,
            height_px,
        )
    }

    /// World → camera rotation (rows: right, down, forward).
    fn rotation(&self) -> Matrix3<f64> {
        let position = Vector3::from(self.position_ft);
        let forward = (Vector3::from(self.look_at_ft) - position).normalize();
        let right = forward.cross(&Vector3::z()).normalize();
        let down = forward.cross(&right);
        Matrix3::from_rows(&[right.transpose(), down.transpose(), forward.transpose()])
    }

    fn intrinsics(&self) -> Matrix3<f64> {
        let (cx, cy) = (
            f64::from(self.width_px) / 2.0,
            f64::from(self.height_px) / 2.0,
        );
        Matrix3::new(
            self.focal_px,
            0.0,
            cx,
            0.0,
            self.focal_px,
            cy,
            0.0,
            0.0,
            1.0,
        )
    }

    /// Camera-frame coordinates (x right, y down, z forward) of a world point, in feet.
    pub fn to_camera_frame(&self, world_ft: [f64; 3]) -> [f64; 3] {
        let p = self.rotation() * (Vector3::from(world_ft) - Vector3::from(self.position_ft));
        [p.x, p.y, p.z]
    }

    /// Where a world point appears in the image; `None` if it is behind the camera. The result
    /// may lie outside the image bounds.
    pub fn project(&self, world_ft: [f64; 3]) -> Option<ImagePoint> {
        let [x, y, z] = self.to_camera_frame(world_ft);
        if z <= 1e-6 {
            return None;
        }
        let (cx, cy) = (
            f64::from(self.width_px) / 2.0,
            f64::from(self.height_px) / 2.0,
        );
        Some(ImagePoint {
            x_px: self.focal_px * x / z + cx,
            y_px: self.focal_px * y / z + cy,
        })
    }

    /// The unit direction, in rink coordinates, of the viewing ray through an image point.
    pub fn pixel_ray(&self, x_px: f64, y_px: f64) -> [f64; 3] {
        let (cx, cy) = (
            f64::from(self.width_px) / 2.0,
            f64::from(self.height_px) / 2.0,
        );
        let in_camera = Vector3::new(
            (x_px - cx) / self.focal_px,
            (y_px - cy) / self.focal_px,
            1.0,
        );
        let world = (self.rotation().transpose() * in_camera).normalize();
        [world.x, world.y, world.z]
    }

    /// Where a point on the ice appears in the image.
    pub fn project_ground(&self, point: PlanePoint) -> Option<ImagePoint> {
        self.project([point.x_ft, point.y_ft, 0.0])
    }

    /// Distance from the optical centre to a world point along the optical axis (its depth).
    pub fn depth_ft(&self, world_ft: [f64; 3]) -> f64 {
        self.to_camera_frame(world_ft)[2]
    }

    /// The exact homography between the ice plane (z = 0) and the image: K · [r1 r2 t].
    pub fn ground_homography(&self) -> Result<Homography, HomographyError> {
        let rotation = self.rotation();
        let translation = -(rotation * Vector3::from(self.position_ft));
        let mut columns = Matrix3::zeros();
        columns.set_column(0, &rotation.column(0));
        columns.set_column(1, &rotation.column(1));
        columns.set_column(2, &translation);
        Homography::from_rink_to_image(self.intrinsics() * columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_camera_sees_the_whole_rink() {
        let camera = PinholeCamera::broadcast_default(1920, 1080);
        // The ends, the sides, and the rounded corners (radius 28 ft) at 45°.
        let diagonal = 28.0 * std::f64::consts::FRAC_1_SQRT_2;
        let corner = (72.0 + diagonal, 14.5 + diagonal);
        for (x, y) in [
            (-100.0, 0.0),
            (100.0, 0.0),
            (0.0, -42.5),
            (0.0, 42.5),
            (-corner.0, -corner.1),
            (corner.0, -corner.1),
            (-corner.0, corner.1),
            (corner.0, corner.1),
        ] {
            let p = camera
                .project_ground(PlanePoint { x_ft: x, y_ft: y })
                .unwrap();
            assert!(
                (0.0..1920.0).contains(&p.x_px) && (0.0..1080.0).contains(&p.y_px),
                "corner ({x}, {y}) at {p:?}"
            );
        }
    }

    #[test]
    fn ground_homography_matches_projection() {
        let camera = PinholeCamera::broadcast_default(1280, 720);
        let homography = camera.ground_homography().unwrap();
        let point = PlanePoint {
            x_ft: -61.0,
            y_ft: 13.5,
        };
        let direct = camera.project_ground(point).unwrap();
        let via = homography.rink_to_image(point).unwrap();
        assert!((direct.x_px - via.x_px).abs() < 1e-6 && (direct.y_px - via.y_px).abs() < 1e-6);
        let back = homography.image_to_rink(direct).unwrap();
        assert!(back.distance_ft(point) < 1e-6);
    }

    #[test]
    fn pixel_rays_pass_through_what_projects_there() {
        let camera = PinholeCamera::broadcast_default(1280, 720);
        let world = [31.0, -12.0, 0.0];
        let image = camera.project(world).unwrap();
        let ray = camera.pixel_ray(image.x_px, image.y_px);
        let t = -camera.position_ft[2] / ray[2];
        let hit = [0, 1].map(|k| camera.position_ft[k] + ray[k] * t);
        assert!((hit[0] - world[0]).abs() < 1e-6 && (hit[1] - world[1]).abs() < 1e-6);
    }

    #[test]
    fn points_behind_the_camera_do_not_project() {
        let camera = PinholeCamera::broadcast_default(1920, 1080);
        assert!(camera.project([0.0, -200.0, 0.0]).is_none());
        assert!(camera.depth_ft([0.0, 0.0, 0.0]) > 0.0);
    }
}
