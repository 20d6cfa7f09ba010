//! The static scene, rendered once per camera and look: ice with texture, wear and markings,
//! the boards with their kick plate, the glass, and the stands. Each pixel's viewing ray is
//! traced against the rink; where the near boards stand between the camera and the ice, their
//! depth is kept so that players and the puck behind them are hidden.

use benchsight_core::camera::PinholeCamera;
use benchsight_core::homography::PlanePoint;
use benchsight_core::rink::{
    BLUE_LINE_X_FT, CREASE_RADIUS_FT, FACEOFF_CIRCLE_RADIUS_FT, FaceoffDot, GOAL_LINE_X_FT,
    RinkPoint,
};
use nalgebra::Vector3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::profile::GameLook;

/// Height of the boards above the ice.
const BOARDS_HEIGHT_FT: f64 = 3.5;
/// Height of the top of the glass above the ice.
const GLASS_TOP_FT: f64 = 8.0;
const RED: [f32; 3] = [196.0, 32.0, 44.0];
const BLUE: [f32; 3] = [28.0, 70.0, 170.0];
const CREASE_BLUE: [f32; 3] = [120.0, 180.0, 232.0];

/// The pre-rendered scene.
#[derive(Debug, Clone)]
pub struct Background {
    pub rgb: Vec<u8>,
    /// Depth of the near boards where they hide the ice (infinite elsewhere).
    pub scenery_depth: Vec<f32>,
}

/// Smooth value noise in [0, 1] on a lattice of `cell` feet, for ice texture and wear.
struct ValueNoise {
    values: Vec<f32>,
    size: usize,
}

impl ValueNoise {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        let size = 64;
        Self {
            values: (0..size * size).map(|_| rng.random()).collect(),
            size,
        }
    }

    fn at(&self, x: f64, y: f64) -> f32 {
        let (fx, fy) = (x.floor(), y.floor());
        let (tx, ty) = ((x - fx) as f32, (y - fy) as f32);
        let n = self.size as i64;
        let v = |i: i64, j: i64| self.values[(i.rem_euclid(n) * n + j.rem_euclid(n)) as usize];
        let (i, j) = (fx as i64, fy as i64);
        let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
        let (sx, sy) = (smooth(tx), smooth(ty));
        let top = v(i, j) * (1.0 - sx) + v(i + 1, j) * sx;
        let bottom = v(i, j + 1) * (1.0 - sx) + v(i + 1, j + 1) * sx;
        top * (1.0 - sy) + bottom * sy
    }
}

/// True when a plane point lies inside the boards (rounded corners included).
fn inside_boards(x: f64, y: f64) -> bool {
    RinkPoint::new(x, y).is_ok_and(RinkPoint::is_on_ice)
}

/// Coverage of a marking band `|d| <= half_width` by a pixel whose footprint spans
/// `footprint` feet across the band.
fn band(distance_ft: f64, half_width_ft: f64, footprint_ft: f64) -> f32 {
    let fp = footprint_ft.max(1e-3);
    let lo = (-half_width_ft).max(distance_ft - fp / 2.0);
    let hi = half_width_ft.min(distance_ft + fp / 2.0);
    ((hi - lo) / fp).clamp(0.0, 1.0) as f32
}

fn mix(base: [f32; 3], over: [f32; 3], amount: f32) -> [f32; 3] {
    [
        base[0] + (over[0] - base[0]) * amount,
        base[1] + (over[1] - base[1]) * amount,
        base[2] + (over[2] - base[2]) * amount,
    ]
}

/// The ice's colour at a rink point, markings included.
fn ice_colour(
    x: f64,
    y: f64,
    footprint_ft: f64,
    look: &GameLook,
    noise: &ValueNoise,
    wear: &ValueNoise,
) -> [f32; 3] {
    let base = [
        f32::from(look.ice[0]),
        f32::from(look.ice[1]),
        f32::from(look.ice[2]),
    ];
    let grain = noise.at(x / 6.0, y / 6.0) - 0.5;
    // Skating wears the ice grey in front of the nets and along the boards.
    let near_net = (-(((x.abs() - 80.0).powi(2) + y.powi(2)) / 300.0)).exp() as f32;
    let scuff = wear.at(x / 2.0, y / 2.0) * (0.4 + near_net);
    let mut c = [
        base[0] + grain * 8.0 - scuff * 18.0,
        base[1] + grain * 8.0 - scuff * 16.0,
        base[2] + grain * 6.0 - scuff * 12.0,
    ];
    let fp = footprint_ft;
    // Creases: light blue inside a red outline.
    for end in [-1.0, 1.0] {
        let out = GOAL_LINE_X_FT - x * end;
        if out >= 0.0 {
            let r = out.hypot(y);
            if r <= CREASE_RADIUS_FT {
                c = mix(c, CREASE_BLUE, 0.8);
            }
            if out <= CREASE_RADIUS_FT + 0.5 {
                c = mix(c, RED, band(r - CREASE_RADIUS_FT, 1.0 / 12.0, fp));
            }
        }
    }
    let lines = [
        (x, 0.5, RED),
        (x - BLUE_LINE_X_FT, 0.5, BLUE),
        (x + BLUE_LINE_X_FT, 0.5, BLUE),
    ];
    for (d, half, colour) in lines {
        c = mix(c, colour, band(d, half, fp));
    }
    // Goal lines stop at the boards' curve; the rest of the markings are circles and dots.
    for end in [-1.0, 1.0] {
        c = mix(
            c,
            RED,
            band(x - end * GOAL_LINE_X_FT, 1.0 / 12.0, fp) * 0.95,
        );
    }
    let centre_r = x.hypot(y);
    c = mix(
        c,
        BLUE,
        band(centre_r - FACEOFF_CIRCLE_RADIUS_FT, 1.0 / 12.0, fp),
    );
    for dot in FaceoffDot::ALL {
        let p = dot.position();
        let r = (x - p.x_ft()).hypot(y - p.y_ft());
        match dot {
            FaceoffDot::Centre => c = mix(c, BLUE, band(r, 0.5, fp)),
            FaceoffDot::Neutral { .. } => c = mix(c, RED, band(r, 1.0, fp)),
            FaceoffDot::EndZone { .. } => {
                c = mix(c, RED, band(r, 1.0, fp));
                c = mix(c, RED, band(r - FACEOFF_CIRCLE_RADIUS_FT, 1.0 / 12.0, fp));
            }
        }
    }
    c
}

/// Where a viewing ray first meets the boundary of the rink (the boards' line), as a ray
/// parameter, searching from `t_start`; `None` if it does not within `t_end`.
fn boundary_crossing(
    origin: Vector3<f64>,
    dir: Vector3<f64>,
    t_start: f64,
    t_end: f64,
    inside_at_start: bool,
) -> Option<f64> {
    let horizontal = dir.xy().norm().max(1e-9);
    let step = 1.0 / horizontal;
    let mut t = t_start;
    while t < t_end {
        let next = (t + step).min(t_end);
        let p = origin + dir * next;
        if inside_boards(p.x, p.y) != inside_at_start {
            let (mut lo, mut hi) = (t, next);
            for _ in 0..20 {
                let mid = (lo + hi) / 2.0;
                let q = origin + dir * mid;
                if inside_boards(q.x, q.y) == inside_at_start {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return Some(hi);
        }
        t = next;
    }
    None
}

fn stands_colour(dir: Vector3<f64>, look: &GameLook, crowd: &ValueNoise) -> [f32; 3] {
    let seats = [
        f32::from(look.stands[0]),
        f32::from(look.stands[1]),
        f32::from(look.stands[2]),
    ];
    let azimuth = dir.y.atan2(dir.x);
    let elevation = dir.z.atan2(dir.xy().norm());
    let n = crowd.at(azimuth * 120.0, elevation * 140.0);
    let people = if n > 0.55 {
        [200.0 * n, 170.0 * n, 150.0 * n]
    } else {
        seats
    };
    let dark = (1.0 - (elevation.max(0.0) * 3.0) as f32).clamp(0.25, 1.0);
    [
        people[0] * dark * 0.8,
        people[1] * dark * 0.8,
        people[2] * dark * 0.8,
    ]
}

impl Background {
    pub fn render(camera: &PinholeCamera, look: &GameLook) -> Background {
        let (width, height) = (camera.width_px as usize, camera.height_px as usize);
        let mut rng = ChaCha8Rng::seed_from_u64(look.texture_seed);
        let ice_noise = ValueNoise::new(&mut rng);
        let wear = ValueNoise::new(&mut rng);
        let crowd = ValueNoise::new(&mut rng);
        let ads: Vec<[f32; 3]> = (0..12)
            .map(|_| {
                [
                    rng.random_range(40.0..250.0),
                    rng.random_range(40.0..250.0),
                    rng.random_range(40.0..250.0),
                ]
            })
            .collect();
        let reflections: Vec<(f64, f64, f64)> = (0..look.lighting.reflections)
            .map(|_| {
                (
                    rng.random_range(-85.0..85.0),
                    rng.random_range(-35.0..35.0),
                    rng.random_range(6.0..14.0),
                )
            })
            .collect();

        let origin = Vector3::from(camera.position_ft);
        let homography = camera.ground_homography().ok();
        let mut rgb = vec![0u8; width * height * 3];
        let mut scenery_depth = vec![f32::INFINITY; width * height];
        let light = look.lighting;
        for v in 0..height {
            for u in 0..width {
                let (uc, vc) = (u as f64 + 0.5, v as f64 + 0.5);
                let dir = Vector3::from(camera.pixel_ray(uc, vc));
                let depth_of = |t: f64| camera.depth_ft((origin + dir * t).into());
                let ground_t = if dir.z < -1e-9 {
                    Some(-origin.z / dir.z)
                } else {
                    None
                };
                // The ray is outside the rink at the camera; it may enter through the near boards.
                let entry = boundary_crossing(origin, dir, 0.0, ground_t.unwrap_or(600.0), false);
                let mut colour: [f32; 3];
                let mut through_glass = false;
                match entry {
                    Some(t_in) => {
                        let z = origin.z + dir.z * t_in;
                        let p = origin + dir * t_in;
                        if z < BOARDS_HEIGHT_FT {
                            // The outside of the near boards: advertising panels.
                            let index = ((p.x + 100.0) / 17.0).floor().clamp(0.0, 11.0) as usize;
                            colour = ads[index];
                            scenery_depth[v * width + u] = depth_of(t_in) as f32;
                        } else {
                            through_glass = z < GLASS_TOP_FT;
                            // Inside the rink now: the ice, or the far boards, glass and stands.
                            let exit = boundary_crossing(
                                origin,
                                dir,
                                t_in + 1e-6,
                                ground_t.unwrap_or(t_in + 600.0),
                                true,
                            );
                            colour = match (exit, ground_t) {
                                (Some(t_out), _) => {
                                    let q = origin + dir * t_out;
                                    if q.z < 0.5 {
                                        [230.0, 200.0, 40.0]
                                    } else if q.z < BOARDS_HEIGHT_FT {
                                        [236.0, 236.0, 230.0]
                                    } else {
                                        let seen = stands_colour(dir, look, &crowd);
                                        if q.z < GLASS_TOP_FT {
                                            mix(seen, [200.0, 220.0, 230.0], 0.12)
                                        } else {
                                            seen
                                        }
                                    }
                                }
                                (None, Some(t_ground)) => {
                                    let g = origin + dir * t_ground;
                                    let footprint = homography
                                        .as_ref()
                                        .and_then(|h| {
                                            h.image_to_rink(
                                                benchsight_core::homography::ImagePoint {
                                                    x_px: uc + 1.0,
                                                    y_px: vc + 1.0,
                                                },
                                            )
                                        })
                                        .map_or(0.3, |q: PlanePoint| {
                                            ((q.x_ft - g.x).hypot(q.y_ft - g.y)
                                                / std::f64::consts::SQRT_2)
                                                .max(0.02)
                                        });
                                    let mut c =
                                        ice_colour(g.x, g.y, footprint, look, &ice_noise, &wear);
                                    for &(rx, ry, r) in &reflections {
                                        let d = ((g.x - rx).powi(2) + (g.y - ry).powi(2)) / (r * r);
                                        let glow = (-d).exp() as f32 * 22.0;
                                        c = [c[0] + glow, c[1] + glow, c[2] + glow];
                                    }
                                    c
                                }
                                (None, None) => stands_colour(dir, look, &crowd),
                            };
                        }
                    }
                    None => {
                        colour = match ground_t {
                            // Floor outside the rink (walkways) below the stands.
                            Some(_) => [70.0, 70.0, 74.0],
                            None => stands_colour(dir, look, &crowd),
                        };
                    }
                }
                if through_glass {
                    colour = mix(colour, [210.0, 225.0, 235.0], 0.06);
                }
                let (nx, ny) = (uc / width as f64 - 0.5, vc / height as f64 - 0.5);
                let vignette = 1.0 - light.vignette * ((nx * nx + ny * ny) * 2.0) as f32;
                let index = (v * width + u) * 3;
                for k in 0..3 {
                    rgb[index + k] = (colour[k] * light.exposure * light.tint[k] * vignette)
                        .clamp(0.0, 255.0) as u8;
                }
            }
        }
        Background { rgb, scenery_depth }
    }
}
