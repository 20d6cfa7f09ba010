//! The renderer: turns a simulated frame into the picture a rink-side camera would take and the
//! labels of everything in it. The static scene comes from [`background`]; people, nets and the
//! puck are drawn far to near through the pinhole camera with shadows, team jerseys and numbers,
//! goalie pads, striped officials, a puck of real size with motion blur, and sensor noise.
//! Labels come from the same geometry, and visibility from the per-pixel object ids, so boxes
//! and pictures cannot disagree.

pub mod background;
pub mod font;
pub mod profile;
pub mod raster;

use benchsight_core::camera::PinholeCamera;
use benchsight_core::detection::{ObjectClass, PixelBox};
use benchsight_core::domain::{Rgb, Team};
use benchsight_core::rink::{
    GOAL_LINE_X_FT, NET_DEPTH_FT, NET_HALF_WIDTH_FT, NET_HEIGHT_FT, PUCK_DIAMETER_FT,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::game::{FrameState, PersonKind, PersonState, PuckState};
use crate::truth::ObjectLabel;
use background::Background;
use profile::GameLook;
use raster::{Canvas, Coverage, NO_OBJECT, Paint};

/// Track ids of the two nets (people use small ids, the puck 0).
pub const NET_TRACK_IDS: [u32; 2] = [901, 902];
/// Track id of the puck.
pub const PUCK_TRACK_ID: u32 = 900;

/// Renders frames of one game through one camera with one look.
#[derive(Debug)]
pub struct Renderer {
    camera: PinholeCamera,
    look: GameLook,
    background: Background,
    canvas: Canvas,
    noise: Vec<i8>,
}

/// Something to draw this frame, with its distance from the camera.
#[derive(Debug, Clone, Copy)]
enum Drawable<'a> {
    Person(&'a PersonState),
    Net(f64),
    Puck(&'a PuckState),
}

/// A point in image pixels.
type Px = (f32, f32);

fn rgb_of(colour: Rgb) -> [f32; 3] {
    [
        f32::from(colour.r),
        f32::from(colour.g),
        f32::from(colour.b),
    ]
}

fn luminance(c: [f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

impl Renderer {
    pub fn new(camera: PinholeCamera, look: GameLook) -> Self {
        let background = Background::render(&camera, &look);
        let (width, height) = (camera.width_px as usize, camera.height_px as usize);
        let mut canvas = Canvas::new(width, height);
        canvas.scenery_depth.clone_from(&background.scenery_depth);
        let mut rng = ChaCha8Rng::seed_from_u64(look.texture_seed ^ 0x5E45);
        let sigma = f64::from(look.lighting.noise_sigma.max(0.01));
        let normal = Normal::new(0.0, sigma).unwrap_or_else(|_| unreachable!("sigma is positive"));
        let noise = (0..width * height * 3 + 4096)
            .map(|_| normal.sample(&mut rng).clamp(-127.0, 127.0) as i8)
            .collect();
        Self {
            camera,
            look,
            background,
            canvas,
            noise,
        }
    }

    pub fn camera(&self) -> &PinholeCamera {
        &self.camera
    }

    pub fn width(&self) -> usize {
        self.canvas.width
    }

    pub fn height(&self) -> usize {
        self.canvas.height
    }

    /// Draws one frame; returns the RGB pixels (row-major, 3 bytes a pixel) and the labels.
    pub fn render(&mut self, state: &FrameState) -> (&[u8], Vec<ObjectLabel>) {
        self.canvas.reset(&self.background.rgb);
        let mut drawables: Vec<(f64, Drawable<'_>)> = Vec::new();
        for person in &state.people {
            drawables.push((
                self.camera.depth_ft([person.x_ft, person.y_ft, 0.0]),
                Drawable::Person(person),
            ));
        }
        for end in [-1.0, 1.0] {
            let centre = [end * (GOAL_LINE_X_FT + NET_DEPTH_FT / 2.0), 0.0, 0.0];
            drawables.push((self.camera.depth_ft(centre), Drawable::Net(end)));
        }
        if let Some(puck) = &state.puck {
            drawables.push((
                self.camera.depth_ft([puck.x_ft, puck.y_ft, puck.height_ft]),
                Drawable::Puck(puck),
            ));
        }
        // Shadows lie on the ice under everyone, so they go first.
        for (depth, drawable) in &drawables {
            if let Drawable::Person(person) = drawable {
                self.draw_shadow(person, *depth as f32);
            }
        }
        drawables.sort_by(|a, b| b.0.total_cmp(&a.0));

        let mut pending: Vec<(ObjectLabel, PixelBox, Coverage, u16)> = Vec::new();
        let mut puck_check: Option<(ObjectLabel, Px, f32, u16)> = None;
        for (index, (depth, drawable)) in drawables.iter().enumerate() {
            let id = index as u16;
            let depth = *depth as f32;
            match drawable {
                Drawable::Person(person) => {
                    let mut counts = self.canvas.begin_object();
                    if let Some(bbox) = self.draw_person(person, id, depth, &mut counts) {
                        let class = match person.kind {
                            PersonKind::Skater => ObjectClass::Player,
                            PersonKind::Goalie => ObjectClass::Goalie,
                            PersonKind::Referee | PersonKind::Linesman => ObjectClass::Referee,
                        };
                        let label = ObjectLabel {
                            class,
                            track_id: person.track_id,
                            team: person.team,
                            number: person.number,
                            bbox,
                            visibility: 0.0,
                            x_ft: person.x_ft,
                            y_ft: person.y_ft,
                            height_ft: 0.0,
                        };
                        pending.push((label, bbox, counts, id));
                    }
                }
                Drawable::Net(end) => {
                    let mut counts = self.canvas.begin_object();
                    if let Some(bbox) = self.draw_net(*end, id, depth, &mut counts) {
                        let label = ObjectLabel {
                            class: ObjectClass::Net,
                            track_id: if *end < 0.0 {
                                NET_TRACK_IDS[0]
                            } else {
                                NET_TRACK_IDS[1]
                            },
                            team: None,
                            number: None,
                            bbox,
                            visibility: 0.0,
                            x_ft: end * GOAL_LINE_X_FT,
                            y_ft: 0.0,
                            height_ft: 0.0,
                        };
                        pending.push((label, bbox, counts, id));
                    }
                }
                Drawable::Puck(puck) => {
                    if let Some((label, centre)) = self.draw_puck(puck, depth) {
                        puck_check = Some((label, centre, depth, id));
                    }
                }
            }
        }

        let visible = self.canvas.visible_pixels(drawables.len());
        let (width, height) = (self.canvas.width as f32, self.canvas.height as f32);
        let mut labels = Vec::new();
        for (mut label, full, counts, id) in pending {
            let Some(clipped) = full.clipped(width, height) else {
                continue;
            };
            let in_frame = clipped.area() / full.area().max(1e-6);
            let unoccluded = if counts.attempted == 0 {
                0.0
            } else {
                visible[usize::from(id)] as f32 / counts.attempted as f32
            };
            label.bbox = clipped;
            label.visibility = (in_frame * unoccluded).clamp(0.0, 1.0);
            labels.push(label);
        }
        if let Some((mut label, centre, depth, puck_id)) = puck_check {
            let (x, y) = (centre.0.floor(), centre.1.floor());
            let inside = x >= 0.0 && y >= 0.0 && x < width && y < height;
            label.visibility = if inside {
                let index = y as usize * self.canvas.width + x as usize;
                let hidden_by_object = !matches!(self.canvas.ids[index], NO_OBJECT)
                    && self.canvas.ids[index] != puck_id;
                let hidden_by_boards = self.canvas.scenery_depth[index] < depth;
                if hidden_by_object || hidden_by_boards {
                    0.0
                } else {
                    1.0
                }
            } else {
                0.0
            };
            if let Some(clipped) = label.bbox.clipped(width, height) {
                label.bbox = clipped;
                labels.push(label);
            }
        }
        self.add_noise(state.frame);
        (&self.canvas.rgb, labels)
    }

    fn project(&self, point: [f64; 3]) -> Option<Px> {
        self.camera
            .project(point)
            .map(|p| (p.x_px as f32, p.y_px as f32))
    }

    fn add_noise(&mut self, frame: u64) {
        let offset = ((frame.wrapping_mul(7919)) % 4096) as usize;
        let noise = &self.noise[offset..offset + self.canvas.rgb.len()];
        for (value, n) in self.canvas.rgb.iter_mut().zip(noise) {
            *value = value.saturating_add_signed(*n);
        }
    }

    fn draw_shadow(&mut self, person: &PersonState, depth: f32) {
        let strength = self.look.lighting.shadow;
        if strength <= 0.0 {
            return;
        }
        // Light from above and slightly behind the camera: a soft ellipse offset away from it.
        let (x, y) = (person.x_ft, person.y_ft + 0.6);
        let points: Vec<Px> = (0..12)
            .filter_map(|k| {
                let a = f64::from(k) / 12.0 * std::f64::consts::TAU;
                self.project([x + 1.6 * a.cos(), y + 1.1 * a.sin(), 0.0])
            })
            .collect();
        let paint = Paint {
            rgb: [30.0, 34.0, 40.0],
            alpha: strength,
            id: NO_OBJECT,
            depth_ft: depth,
        };
        self.canvas
            .fill_convex(&points, &paint, &mut Coverage::default());
    }

    /// Draws a skater, goalie or official; returns the body's box (stick excluded).
    fn draw_person(
        &mut self,
        person: &PersonState,
        id: u16,
        depth: f32,
        counts: &mut Coverage,
    ) -> Option<PixelBox> {
        let height_ft = match person.kind {
            PersonKind::Goalie => 5.2,
            _ => 6.0,
        };
        let foot = self.project([person.x_ft, person.y_ft, 0.0])?;
        let head = self.project([person.x_ft, person.y_ft, height_ft])?;
        let axis = (head.0 - foot.0, head.1 - foot.1);
        let axis_len = (axis.0 * axis.0 + axis.1 * axis.1).sqrt();
        if axis_len < 2.0 {
            return None;
        }
        let px_per_ft = axis_len / height_ft as f32;
        // Unit vector across the body in the image (to the viewer's right).
        let across = (-axis.1 / axis_len, axis.0 / axis_len);
        let across = if across.0 < 0.0 {
            (-across.0, -across.1)
        } else {
            across
        };
        let at = |h_ft: f32, w_ft: f32| -> Px {
            let t = h_ft / height_ft as f32;
            (
                foot.0 + axis.0 * t + across.0 * w_ft * px_per_ft,
                foot.1 + axis.1 * t + across.1 * w_ft * px_per_ft,
            )
        };
        // Which way the person faces, across the image (-1 left … +1 right).
        let ahead = self.project([
            person.x_ft + person.heading_rad.cos(),
            person.y_ft + person.heading_rad.sin(),
            0.0,
        ])?;
        let facing = {
            let d = (ahead.0 - foot.0, ahead.1 - foot.1);
            let len = (d.0 * d.0 + d.1 * d.1).sqrt().max(1e-3);
            (d.0 * across.0 + d.1 * across.1) / len
        };
        let swing = (person.stride_phase.sin() as f32)
            * (person.speed_ft_s.min(25.0) as f32 / 25.0)
            * 0.45
            * facing.signum();

        let (jersey, trim, pants) = match (person.kind, person.team) {
            (PersonKind::Referee | PersonKind::Linesman, _) => (
                [235.0, 235.0, 235.0],
                [20.0, 20.0, 20.0],
                [22.0, 22.0, 24.0],
            ),
            (_, Some(Team::Home)) => (
                rgb_of(self.look.home_colour),
                [240.0, 240.0, 240.0],
                [25.0, 25.0, 30.0],
            ),
            (_, Some(Team::Away)) | (_, None) => (
                rgb_of(self.look.away_colour),
                [240.0, 240.0, 240.0],
                [25.0, 25.0, 30.0],
            ),
        };
        let number_colour = if luminance(jersey) > 140.0 {
            [25.0, 25.0, 30.0]
        } else {
            [245.0, 245.0, 245.0]
        };
        let paint = |rgb: [f32; 3]| Paint {
            rgb,
            alpha: 1.0,
            id,
            depth_ft: depth,
        };
        let mut extent: Vec<Px> = Vec::new();
        let goalie = person.kind == PersonKind::Goalie;

        // Legs (pads for a goalie), then skates.
        let (leg_half, hip) = if goalie { (0.45, 2.3) } else { (0.22, 2.9) };
        for side in [-1.0f32, 1.0] {
            let base = side * if goalie { 0.6 } else { 0.32 };
            let foot_w = base + side * swing * 0.5 + if side > 0.0 { swing } else { -swing } * 0.5;
            let leg = [
                at(hip, base - leg_half),
                at(hip, base + leg_half),
                at(0.3, foot_w + leg_half),
                at(0.3, foot_w - leg_half),
            ];
            let colour = if goalie { [238.0, 238.0, 232.0] } else { pants };
            self.canvas.fill_convex(&leg, &paint(colour), counts);
            let skate = [
                at(0.35, foot_w - 0.3),
                at(0.35, foot_w + 0.3),
                at(0.0, foot_w + 0.35),
                at(0.0, foot_w - 0.35),
            ];
            self.canvas
                .fill_convex(&skate, &paint([15.0, 15.0, 18.0]), counts);
            extent.extend(leg);
            extent.extend(skate);
        }
        if !goalie {
            let shorts = [at(3.2, -0.72), at(3.2, 0.72), at(2.3, 0.65), at(2.3, -0.65)];
            self.canvas.fill_convex(&shorts, &paint(pants), counts);
        }
        // Torso with arms.
        let (waist, shoulder, half_waist, half_shoulder) = if goalie {
            (2.3, 4.3, 1.0, 1.2)
        } else {
            (3.0, 4.9, 0.75, 0.95)
        };
        let torso = [
            at(shoulder, -half_shoulder),
            at(shoulder, half_shoulder),
            at(waist, half_waist),
            at(waist, -half_waist),
        ];
        self.canvas.fill_convex(&torso, &paint(jersey), counts);
        extent.extend(torso);
        if matches!(person.kind, PersonKind::Referee | PersonKind::Linesman) {
            let stripes = 7;
            for k in 0..stripes {
                let w0 =
                    -half_shoulder + (2.0 * half_shoulder) * (k as f32 + 0.25) / stripes as f32;
                let w1 = w0 + half_shoulder / stripes as f32;
                let stripe = [
                    at(shoulder, w0),
                    at(shoulder, w1),
                    at(waist, w1 * 0.8),
                    at(waist, w0 * 0.8),
                ];
                self.canvas.fill_convex(&stripe, &paint(trim), counts);
            }
            if person.kind == PersonKind::Referee {
                for side in [-1.0, 1.0] {
                    let band = [
                        at(4.5, side * 1.0),
                        at(4.5, side * 1.25),
                        at(4.3, side * 1.25),
                        at(4.3, side * 1.0),
                    ];
                    self.canvas
                        .fill_convex(&band, &paint([240.0, 110.0, 20.0]), counts);
                }
            }
        } else {
            // Shoulder yoke in the trim colour.
            let yoke = [
                at(shoulder, -half_shoulder),
                at(shoulder, half_shoulder),
                at(shoulder - 0.25, half_shoulder),
                at(shoulder - 0.25, -half_shoulder),
            ];
            self.canvas.fill_convex(&yoke, &paint(trim), counts);
        }
        let hands_h = if goalie { 3.0 } else { 3.4 };
        for side in [-1.0f32, 1.0] {
            let reach = side * half_shoulder + facing * 0.5;
            let arm = [
                at(shoulder, side * half_shoulder - 0.15),
                at(shoulder, side * half_shoulder + 0.15),
                at(hands_h, reach + side * 0.2),
                at(hands_h, reach - side * 0.05),
            ];
            self.canvas.fill_convex(&arm, &paint(jersey), counts);
            extent.extend(arm);
            if goalie {
                let colour = if side < 0.0 {
                    [240.0, 240.0, 236.0]
                } else {
                    [200.0, 40.0, 40.0]
                };
                self.canvas
                    .fill_disc(at(hands_h, reach), 0.35 * px_per_ft, &paint(colour), counts);
            }
        }
        // Number on the chest or back.
        if let Some(number) = person.number {
            let (cells, (cols, rows)) = font::number_cells(number);
            let cell = (shoulder - waist) * 0.5 / rows as f32;
            if cell * px_per_ft >= 0.8 {
                let left = -(cols as f32) * cell / 2.0;
                let top = shoulder - 0.45;
                for (c, r) in cells {
                    let w0 = left + c as f32 * cell;
                    let h0 = top - r as f32 * cell;
                    let square = [
                        at(h0, w0),
                        at(h0, w0 + cell),
                        at(h0 - cell, w0 + cell),
                        at(h0 - cell, w0),
                    ];
                    self.canvas
                        .fill_convex(&square, &paint(number_colour), counts);
                }
            }
        }
        // Helmet (a goalie's mask is white).
        let helmet_colour = match (person.kind, goalie) {
            (_, true) => [236.0, 236.0, 236.0],
            (PersonKind::Referee | PersonKind::Linesman, _) => [15.0, 15.0, 15.0],
            _ => [jersey[0] * 0.6, jersey[1] * 0.6, jersey[2] * 0.6],
        };
        let helmet_r = 0.42 * px_per_ft;
        let helmet_c = at(height_ft as f32 - 0.45, 0.0);
        self.canvas
            .fill_disc(helmet_c, helmet_r, &paint(helmet_colour), counts);
        extent.push((helmet_c.0 - helmet_r, helmet_c.1 - helmet_r));
        extent.push((helmet_c.0 + helmet_r, helmet_c.1 + helmet_r));

        // Stick: from the hands to a blade on the ice ahead (not part of the box).
        if !matches!(person.kind, PersonKind::Referee | PersonKind::Linesman) {
            let side = if facing >= 0.0 { 1.0 } else { -1.0 };
            let hands = at(hands_h, side * half_shoulder + facing * 0.5);
            let (cos, sin) = (person.heading_rad.cos(), person.heading_rad.sin());
            let reach = if goalie { 2.0 } else { 3.5 };
            let blade_point = [
                person.x_ft + cos * reach - sin * 0.8 * f64::from(side),
                person.y_ft + sin * reach + cos * 0.8 * f64::from(side),
                0.05,
            ];
            if let Some(blade) = self.project(blade_point) {
                let stick_paint = Paint {
                    rgb: [40.0, 32.0, 28.0],
                    alpha: 1.0,
                    id: NO_OBJECT,
                    depth_ft: depth,
                };
                self.canvas.fill_capsule(
                    hands,
                    blade,
                    (0.07 * px_per_ft).max(0.5),
                    &stick_paint,
                    &mut Coverage::default(),
                );
                let toe = self
                    .project([blade_point[0] + cos * 0.9, blade_point[1] + sin * 0.9, 0.05])
                    .unwrap_or(blade);
                let tape = Paint {
                    rgb: [230.0, 230.0, 230.0],
                    ..stick_paint
                };
                self.canvas.fill_capsule(
                    blade,
                    toe,
                    (0.1 * px_per_ft).max(0.5),
                    &tape,
                    &mut Coverage::default(),
                );
            }
        }
        // The box is centred on the skates' contact point: half as wide as the farthest limb
        // reaches on either side, so that its bottom-centre is where the person stands.
        bounding_box(&extent).map(|bbox| {
            let half = (foot.0 - bbox.x0).max(bbox.x1 - foot.0);
            PixelBox {
                x0: foot.0 - half,
                x1: foot.0 + half,
                ..bbox
            }
        })
    }

    fn draw_net(
        &mut self,
        end: f64,
        id: u16,
        depth: f32,
        counts: &mut Coverage,
    ) -> Option<PixelBox> {
        let front = end * GOAL_LINE_X_FT;
        let back = end * (GOAL_LINE_X_FT + NET_DEPTH_FT);
        let mut corners = Vec::new();
        for x in [front, back] {
            for y in [-NET_HALF_WIDTH_FT, NET_HALF_WIDTH_FT] {
                for z in [0.0, NET_HEIGHT_FT] {
                    // The net's top slopes down towards the back.
                    let z = if x == back { z * 0.35 } else { z };
                    corners.push(self.project([x, y, z])?);
                }
            }
        }
        let hull = convex_hull(&corners);
        let mesh = Paint {
            rgb: [245.0, 245.0, 245.0],
            alpha: 0.45,
            id,
            depth_ft: depth,
        };
        self.canvas.fill_convex(&hull, &mesh, counts);
        let post_r = (self.camera.focal_px as f32 * 0.11 / depth).max(0.6);
        let frame = Paint {
            rgb: [205.0, 30.0, 40.0],
            alpha: 1.0,
            id,
            depth_ft: depth,
        };
        let p = |y: f64, z: f64| self.project([front, y, z]);
        let (a, b, c, d) = (
            p(-NET_HALF_WIDTH_FT, 0.0)?,
            p(-NET_HALF_WIDTH_FT, NET_HEIGHT_FT)?,
            p(NET_HALF_WIDTH_FT, NET_HEIGHT_FT)?,
            p(NET_HALF_WIDTH_FT, 0.0)?,
        );
        self.canvas.fill_capsule(a, b, post_r, &frame, counts);
        self.canvas.fill_capsule(b, c, post_r, &frame, counts);
        self.canvas.fill_capsule(c, d, post_r, &frame, counts);
        let mut extent = hull;
        extent.extend([a, b, c, d]);
        bounding_box(&extent)
    }

    /// Draws the puck with motion blur; returns its label (visibility decided afterwards) and its
    /// centre in the image.
    fn draw_puck(&mut self, puck: &PuckState, depth: f32) -> Option<(ObjectLabel, Px)> {
        let lift = PUCK_DIAMETER_FT / 6.0;
        let centre = self.project([puck.x_ft, puck.y_ft, puck.height_ft + lift])?;
        let radius =
            (self.camera.focal_px as f32 * (PUCK_DIAMETER_FT as f32 / 2.0) / depth).max(0.35);
        // The shutter is open for half a frame: the streak covers half the last frame's motion.
        let before = self
            .project([puck.previous[0], puck.previous[1], puck.previous[2] + lift])
            .unwrap_or(centre);
        let tail = (
            centre.0 + (before.0 - centre.0) * 0.5,
            centre.1 + (before.1 - centre.1) * 0.5,
        );
        let streak = ((tail.0 - centre.0).powi(2) + (tail.1 - centre.1).powi(2)).sqrt();
        let alpha = (2.0 * radius / (streak + 2.0 * radius)).clamp(0.15, 1.0);
        let paint = Paint {
            rgb: [12.0, 12.0, 14.0],
            alpha,
            id: NO_OBJECT,
            depth_ft: depth,
        };
        self.canvas
            .fill_capsule(tail, centre, radius, &paint, &mut Coverage::default());
        let half = radius.max(1.5);
        let label = ObjectLabel {
            class: ObjectClass::Puck,
            track_id: PUCK_TRACK_ID,
            team: None,
            number: None,
            bbox: PixelBox {
                x0: centre.0 - half,
                y0: centre.1 - half,
                x1: centre.0 + half,
                y1: centre.1 + half,
            },
            visibility: 0.0,
            x_ft: puck.x_ft,
            y_ft: puck.y_ft,
            height_ft: puck.height_ft,
        };
        Some((label, centre))
    }
}

fn bounding_box(points: &[Px]) -> Option<PixelBox> {
    let mut bbox = PixelBox {
        x0: f32::INFINITY,
        y0: f32::INFINITY,
        x1: f32::NEG_INFINITY,
        y1: f32::NEG_INFINITY,
    };
    for &(x, y) in points {
        bbox.x0 = bbox.x0.min(x);
        bbox.y0 = bbox.y0.min(y);
        bbox.x1 = bbox.x1.max(x);
        bbox.y1 = bbox.y1.max(y);
    }
    (bbox.area() > 0.0).then_some(bbox)
}

/// The convex hull of a few points (monotone chain), counter-clockwise.
fn convex_hull(points: &[Px]) -> Vec<Px> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let cross = |o: Px, a: Px, b: Px| (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0);
    let mut hull: Vec<Px> = Vec::new();
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &Px>> = if pass == 0 {
            Box::new(sorted.iter())
        } else {
            Box::new(sorted.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

#[cfg(test)]
mod tests;
