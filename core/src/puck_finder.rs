//! The puck as a small dark blob on white ice. At full-rink view the puck is one or two pixels
//! wide — too small for the detector's stride — but it is the only compact, colourless, dark
//! spot on the ice away from the people: skates, helmets and gloves sit inside person boxes, the
//! markings are red or blue, and sticks are long thin lines rather than blobs. This step scans
//! the rink region at full resolution for such spots.

use serde::{Deserialize, Serialize};

use crate::detection::{Detection, ObjectClass, PixelBox};
use crate::static_spots::StaticSpots;

/// Tuning of the blob search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PuckFinderSettings {
    /// How much darker than its surroundings (8-bit luma) a spot must be.
    pub min_contrast: f32,
    /// The most clearly dark pixels a 5 × 5 window around the spot may hold (a blob, not a line).
    pub max_blob_pixels: usize,
    /// Spread between the brightest and darkest channel above which a spot is a coloured
    /// marking, not the black puck.
    pub max_colour_spread: u8,
    /// Person boxes are widened by this share of their size before spots inside are ignored.
    pub person_margin: f32,
}

impl Default for PuckFinderSettings {
    fn default() -> Self {
        Self {
            min_contrast: 35.0,
            max_blob_pixels: 6,
            max_colour_spread: 60,
            person_margin: 0.15,
        }
    }
}

/// A puck-like spot, centre in frame pixels, with how much darker it is than its surroundings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PuckCandidate {
    pub x: f32,
    pub y: f32,
    pub contrast: f32,
}

impl PuckCandidate {
    /// As a detection: a 3 × 3 px box, scored by contrast (saturating at 150 levels).
    pub fn detection(&self) -> Detection {
        Detection {
            class: ObjectClass::Puck,
            score: (self.contrast / 150.0).clamp(0.0, 1.0),
            bbox: PixelBox {
                x0: self.x - 1.5,
                y0: self.y - 1.5,
                x1: self.x + 1.5,
                y1: self.y + 1.5,
            },
        }
    }
}

/// Puck-like spots in `region` of an RGB frame, best first. `occupied` are the boxes of people
/// (and nets) whose dark parts must not be mistaken for the puck.
pub fn find_puck_candidates(
    rgb: &[u8],
    width: u32,
    height: u32,
    region: PixelBox,
    occupied: &[PixelBox],
    settings: &PuckFinderSettings,
) -> Vec<PuckCandidate> {
    let (w, h) = (width as usize, height as usize);
    if rgb.len() != w * h * 3 || w < 8 || h < 8 {
        return Vec::new();
    }
    let x0 = (region.x0.max(0.0) as usize).max(3);
    let y0 = (region.y0.max(0.0) as usize).max(3);
    let x1 = (region.x1.min(width as f32) as usize).min(w - 4);
    let y1 = (region.y1.min(height as f32) as usize).min(h - 4);
    if x1 <= x0 || y1 <= y0 {
        return Vec::new();
    }
    let luma = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        (77 * u32::from(rgb[i]) + 150 * u32::from(rgb[i + 1]) + 29 * u32::from(rgb[i + 2])) >> 8
    };
    let widened: Vec<PixelBox> = occupied
        .iter()
        .map(|b| {
            let (mx, my) = (
                b.width() * settings.person_margin + 2.0,
                b.height() * settings.person_margin * 0.5 + 2.0,
            );
            PixelBox {
                x0: b.x0 - mx,
                y0: b.y0 - my,
                x1: b.x1 + mx,
                y1: b.y1 + my,
            }
        })
        .collect();
    let mut found = Vec::new();
    for y in y0..y1 {
        for x in x0..x1 {
            let centre = luma(x, y);
            // A strict local minimum of its 3 × 3 neighbourhood (ties broken towards the top left).
            let mut is_minimum = true;
            'neighbours: for dy in 0..3 {
                for dx in 0..3 {
                    let (nx, ny) = (x + dx - 1, y + dy - 1);
                    if (nx, ny) == (x, y) {
                        continue;
                    }
                    let v = luma(nx, ny);
                    if v < centre || (v == centre && (ny, nx) < (y, x)) {
                        is_minimum = false;
                        break 'neighbours;
                    }
                }
            }
            if !is_minimum {
                continue;
            }
            // Surroundings: the ring of pixels at distance 3. A blob is ringed by ice all
            // round; a line (a stick) or an edge runs through the ring.
            let mut ring = [0u32; 28];
            let mut k = 0;
            for d in 0..7 {
                for (rx, ry) in [
                    (x + d - 3, y - 3),
                    (x + d - 3, y + 3),
                    (x - 3, y + d - 3),
                    (x + 3, y + d - 3),
                ] {
                    ring[k] = luma(rx, ry);
                    k += 1;
                }
            }
            let background = ring.iter().sum::<u32>() as f32 / ring.len() as f32;
            let contrast = background - centre as f32;
            if contrast < settings.min_contrast {
                continue;
            }
            let darkest_ring = ring.iter().copied().min().unwrap_or(0) as f32;
            if background - darkest_ring > contrast * 0.5 {
                continue;
            }
            let i = (y * w + x) * 3;
            let (r, g, b) = (rgb[i], rgb[i + 1], rgb[i + 2]);
            if r.max(g).max(b) - r.min(g).min(b) > settings.max_colour_spread {
                continue;
            }
            // Compact: few clearly dark pixels around it, and a darkness-weighted centre.
            let mut dark = 0usize;
            let (mut sx, mut sy, mut sw) = (0.0f32, 0.0f32, 0.0f32);
            for dy in 0..5 {
                for dx in 0..5 {
                    let (nx, ny) = (x + dx - 2, y + dy - 2);
                    let darkness = background - luma(nx, ny) as f32;
                    if darkness >= settings.min_contrast * 0.5 {
                        dark += 1;
                        sx += darkness * (nx as f32 + 0.5);
                        sy += darkness * (ny as f32 + 0.5);
                        sw += darkness;
                    }
                }
            }
            if dark > settings.max_blob_pixels || sw <= 0.0 {
                continue;
            }
            let (cx, cy) = (sx / sw, sy / sw);
            if widened
                .iter()
                .any(|b| cx >= b.x0 && cx <= b.x1 && cy >= b.y0 && cy <= b.y1)
            {
                continue;
            }
            found.push(PuckCandidate {
                x: cx,
                y: cy,
                contrast,
            });
        }
    }
    found.sort_by(|a, b| b.contrast.total_cmp(&a.contrast));
    found
}

/// A cell's count from which a blob is part of the picture (about 15 of the last 20 frames).
const SPOT_STATIC: f32 = 15.0;

/// Records this frame's blob candidates in `spots` and returns those not in a static cell.
pub fn drop_static(
    spots: &mut StaticSpots,
    frame: u64,
    candidates: Vec<PuckCandidate>,
) -> Vec<PuckCandidate> {
    candidates
        .into_iter()
        .filter(|c| spots.observe(frame, c.x, c.y, c.contrast) < SPOT_STATIC)
        .collect()
}

/// Completes a frame's detections with the blob step: when the network reports no puck, the
/// most contrasted candidate outside every detected person and net becomes the puck.
pub fn with_blob_puck(
    mut detections: Vec<Detection>,
    rgb: &[u8],
    width: u32,
    height: u32,
    region: PixelBox,
    settings: &PuckFinderSettings,
) -> Vec<Detection> {
    if detections.iter().any(|d| d.class == ObjectClass::Puck) {
        return detections;
    }
    let occupied: Vec<PixelBox> = detections
        .iter()
        .filter(|d| d.class != ObjectClass::Puck)
        .map(|d| d.bbox)
        .collect();
    if let Some(best) =
        find_puck_candidates(rgb, width, height, region, &occupied, settings).first()
    {
        detections.push(best.detection());
    }
    detections
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ice(width: usize, height: usize) -> Vec<u8> {
        // Bright ice with a little deterministic texture.
        (0..width * height)
            .flat_map(|i| {
                let t = ((i * 7919) % 11) as u8;
                [225 + t, 232 + t, 238 + t]
            })
            .collect()
    }

    fn paint(rgb: &mut [u8], width: usize, x: usize, y: usize, colour: [u8; 3]) {
        let i = (y * width + x) * 3;
        rgb[i..i + 3].copy_from_slice(&colour);
    }

    fn whole(width: usize, height: usize) -> PixelBox {
        PixelBox {
            x0: 0.0,
            y0: 0.0,
            x1: width as f32,
            y1: height as f32,
        }
    }

    #[test]
    fn a_dark_dot_on_the_ice_is_found_at_its_centre() {
        let (w, h) = (60, 40);
        let mut rgb = ice(w, h);
        paint(&mut rgb, w, 30, 20, [20, 20, 22]);
        paint(&mut rgb, w, 31, 20, [120, 120, 125]);
        let found = find_puck_candidates(
            &rgb,
            w as u32,
            h as u32,
            whole(w, h),
            &[],
            &PuckFinderSettings::default(),
        );
        assert_eq!(found.len(), 1);
        assert!(
            (found[0].x - 30.8).abs() < 0.5 && (found[0].y - 20.5).abs() < 0.2,
            "{found:?}"
        );
        assert_eq!(found[0].detection().class, ObjectClass::Puck);
    }

    #[test]
    fn a_spot_that_never_moves_is_dropped_and_a_moving_one_kept() {
        let mut spots = StaticSpots::default();
        let at = |x: f32| PuckCandidate {
            x,
            y: 100.0,
            contrast: 80.0,
        };
        let mut still_kept = 0;
        for frame in 0..60u64 {
            let kept = drop_static(
                &mut spots,
                frame,
                vec![at(500.0), at(100.0 + 5.0 * frame as f32)],
            );
            still_kept += kept.iter().filter(|c| c.x == 500.0).count();
            assert!(kept.iter().any(|c| c.x != 500.0), "the moving one stays");
        }
        assert!(still_kept < 20, "{still_kept}");
    }

    #[test]
    fn lines_markings_and_people_are_not_pucks() {
        let (w, h) = (60, 40);
        let mut rgb = ice(w, h);
        // A stick: a dark diagonal line.
        for k in 0..10 {
            paint(&mut rgb, w, 10 + k, 10 + k, [40, 32, 28]);
        }
        // A red faceoff dot.
        paint(&mut rgb, w, 45, 10, [196, 32, 44]);
        // A skate inside a person's box.
        paint(&mut rgb, w, 40, 30, [15, 15, 18]);
        let person = PixelBox {
            x0: 36.0,
            y0: 10.0,
            x1: 44.0,
            y1: 31.0,
        };
        let found = find_puck_candidates(
            &rgb,
            w as u32,
            h as u32,
            whole(w, h),
            &[person],
            &PuckFinderSettings::default(),
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
