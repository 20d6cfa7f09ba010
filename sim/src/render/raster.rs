//! A small software rasteriser: an RGB canvas with a per-pixel object-id buffer (for exact
//! occlusion and visibility), a static depth layer for scenery that stands in front of objects
//! (the near boards), and the primitives the renderer needs: convex polygons, discs, capsules and
//! thick lines, with coverage-based anti-aliasing where small things need it.

/// Id written where no object is drawn.
pub const NO_OBJECT: u16 = u16::MAX;

/// An RGB image with an object id per pixel.
#[derive(Debug, Clone)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
    pub ids: Vec<u16>,
    /// Depth (ft) of scenery that occludes objects behind it; infinite where nothing does.
    pub scenery_depth: Vec<f32>,
    /// The stamp of the last object that tried to cover each pixel (counts pixels once).
    touched: Vec<u32>,
    last_stamp: u32,
}

/// What a draw call paints: a colour, an opacity, and the object and depth it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub rgb: [f32; 3],
    pub alpha: f32,
    pub id: u16,
    pub depth_ft: f32,
}

/// How many distinct pixels an object tried to cover, before anything in front of it is
/// considered. The default value counts nothing (for shadows and sticks).
#[derive(Debug, Clone, Copy, Default)]
pub struct Coverage {
    pub attempted: u32,
    stamp: u32,
}

impl Canvas {
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            rgb: vec![0; width * height * 3],
            ids: vec![NO_OBJECT; width * height],
            scenery_depth: vec![f32::INFINITY; width * height],
            touched: vec![0; width * height],
            last_stamp: 0,
        }
    }

    /// A pixel counter for a new object.
    pub fn begin_object(&mut self) -> Coverage {
        self.last_stamp = self.last_stamp.wrapping_add(1).max(1);
        if self.last_stamp == 1 {
            self.touched.fill(0);
        }
        Coverage {
            attempted: 0,
            stamp: self.last_stamp,
        }
    }

    /// Starts a frame from a background image.
    pub fn reset(&mut self, background: &[u8]) {
        self.rgb.copy_from_slice(background);
        self.ids.fill(NO_OBJECT);
    }

    #[inline]
    fn blend(&mut self, x: usize, y: usize, paint: &Paint, coverage: f32, counts: &mut Coverage) {
        let index = y * self.width + x;
        let a = (paint.alpha * coverage).clamp(0.0, 1.0);
        if a <= 0.0 {
            return;
        }
        if counts.stamp != 0 && a >= 0.5 && self.touched[index] != counts.stamp {
            self.touched[index] = counts.stamp;
            counts.attempted += 1;
        }
        if self.scenery_depth[index] < paint.depth_ft {
            return;
        }
        let pixel = &mut self.rgb[index * 3..index * 3 + 3];
        for (channel, target) in pixel.iter_mut().zip(paint.rgb) {
            let value = f32::from(*channel) * (1.0 - a) + target * a;
            *channel = value.clamp(0.0, 255.0) as u8;
        }
        if a >= 0.5 && paint.id != NO_OBJECT {
            self.ids[index] = paint.id;
        }
    }

    /// Fills a convex polygon (vertices in order, either winding); pixel centres inside are
    /// painted.
    pub fn fill_convex(&mut self, points: &[(f32, f32)], paint: &Paint, counts: &mut Coverage) {
        if points.len() < 3 {
            return;
        }
        let (mut min_y, mut max_y) = (f32::INFINITY, f32::NEG_INFINITY);
        for p in points {
            min_y = min_y.min(p.1);
            max_y = max_y.max(p.1);
        }
        let y_start = (min_y - 0.5).ceil().max(0.0) as usize;
        let y_end = ((max_y - 0.5).floor() as i64).min(self.height as i64 - 1);
        if y_end < y_start as i64 {
            return;
        }
        for y in y_start..=y_end as usize {
            let yc = y as f32 + 0.5;
            let (mut left, mut right) = (f32::INFINITY, f32::NEG_INFINITY);
            for i in 0..points.len() {
                let a = points[i];
                let b = points[(i + 1) % points.len()];
                if (a.1 <= yc && b.1 > yc) || (b.1 <= yc && a.1 > yc) {
                    let x = a.0 + (yc - a.1) / (b.1 - a.1) * (b.0 - a.0);
                    left = left.min(x);
                    right = right.max(x);
                }
            }
            if left > right {
                continue;
            }
            let x_start = (left - 0.5).ceil().max(0.0) as usize;
            let x_end = ((right - 0.5).floor() as i64).min(self.width as i64 - 1);
            for x in x_start as i64..=x_end {
                self.blend(x as usize, y, paint, 1.0, counts);
            }
        }
    }

    /// Fills a disc with anti-aliased edges (for the puck and helmets).
    pub fn fill_disc(
        &mut self,
        centre: (f32, f32),
        radius: f32,
        paint: &Paint,
        counts: &mut Coverage,
    ) {
        self.fill_capsule(centre, centre, radius, paint, counts);
    }

    /// Fills the set of points within `radius` of the segment a–b, anti-aliased: a thick line
    /// with round ends, or a motion-blurred disc.
    pub fn fill_capsule(
        &mut self,
        a: (f32, f32),
        b: (f32, f32),
        radius: f32,
        paint: &Paint,
        counts: &mut Coverage,
    ) {
        let reach = radius + 1.0;
        let x0 = (a.0.min(b.0) - reach).floor().max(0.0) as i64;
        let x1 = ((a.0.max(b.0) + reach).ceil() as i64).min(self.width as i64 - 1);
        let y0 = (a.1.min(b.1) - reach).floor().max(0.0) as i64;
        let y1 = ((a.1.max(b.1) + reach).ceil() as i64).min(self.height as i64 - 1);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length_sq = (dx * dx + dy * dy).max(1e-6);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let t = (((px - a.0) * dx + (py - a.1) * dy) / length_sq).clamp(0.0, 1.0);
                let (cx, cy) = (a.0 + dx * t, a.1 + dy * t);
                let distance = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
                let coverage = (radius + 0.5 - distance).clamp(0.0, 1.0);
                self.blend(x as usize, y as usize, paint, coverage, counts);
            }
        }
    }

    /// Counts, per object id, the pixels where that object is finally visible.
    pub fn visible_pixels(&self, object_count: usize) -> Vec<u32> {
        let mut counts = vec![0u32; object_count];
        for &id in &self.ids {
            if let Some(count) = counts.get_mut(usize::from(id)) {
                *count += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paint(id: u16, depth_ft: f32) -> Paint {
        Paint {
            rgb: [255.0, 0.0, 0.0],
            alpha: 1.0,
            id,
            depth_ft,
        }
    }

    #[test]
    fn nearer_objects_hide_farther_ones_and_scenery_hides_both() {
        let mut canvas = Canvas::new(20, 10);
        let square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        let mut far = canvas.begin_object();
        canvas.fill_convex(&square, &paint(0, 50.0), &mut far);
        // Painting over its own pixels does not count them twice.
        canvas.fill_convex(&square, &paint(0, 50.0), &mut far);
        let mut near = canvas.begin_object();
        let right_half = [(5.0, 0.0), (10.0, 0.0), (10.0, 10.0), (5.0, 10.0)];
        canvas.fill_convex(&right_half, &paint(1, 20.0), &mut near);
        assert_eq!(far.attempted, 100);
        assert_eq!(canvas.visible_pixels(2), vec![50, 50]);

        canvas.scenery_depth[0] = 10.0;
        canvas.ids[0] = NO_OBJECT;
        let mut blocked = canvas.begin_object();
        canvas.fill_convex(
            &[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
            &paint(2, 20.0),
            &mut blocked,
        );
        assert_eq!(blocked.attempted, 1);
        assert_eq!(canvas.visible_pixels(3)[2], 0);
    }

    #[test]
    fn a_small_disc_covers_about_its_area() {
        let mut canvas = Canvas::new(20, 20);
        let mut counts = Coverage::default();
        canvas.fill_disc((10.0, 10.0), 3.0, &paint(0, 1.0), &mut counts);
        let red: f32 = canvas.rgb.chunks(3).map(|p| f32::from(p[0]) / 255.0).sum();
        let area = std::f32::consts::PI * 9.0;
        assert!((red - area).abs() < 0.1 * area, "{red} vs {area}");
    }
}
