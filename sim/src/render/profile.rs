//! Named look profiles: which jersey colours teams may wear, how the arena is lit, and where the
//! camera hangs. Each game draws its exact look from its profile and seed. The held-out profile
//! differs from every training profile in all three respects, so that a detector trained on the
//! training profiles is tested on a look it has never seen. The validation profile is a second
//! look the detector never sees, for tuning what follows the detector (trackers, the game-event
//! engine) on an unseen look while the held-out games stay unread.

use benchsight_core::camera::PinholeCamera;
use benchsight_core::domain::Rgb;
use benchsight_core::teams;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Why a profile name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown look profile {0:?} (known: {known})", known = LookProfile::NAMES.join(", "))]
pub struct UnknownProfile(pub String);

/// How the arena is lit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lighting {
    /// Overall exposure (1.0 = neutral).
    pub exposure: f32,
    /// Per-channel gain: the colour of the light.
    pub tint: [f32; 3],
    /// Darkening towards the image corners (0 = none).
    pub vignette: f32,
    /// Number of bright light reflections on the ice.
    pub reflections: u32,
    /// Strength of the players' shadows (0 = none, 1 = black).
    pub shadow: f32,
    /// Standard deviation of the sensor noise, in 8-bit levels.
    pub noise_sigma: f32,
}

/// Where the camera hangs: a base pose plus the seeded jitter around it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraPose {
    pub position_ft: [f64; 3],
    pub look_at_ft: [f64; 3],
    /// Focal length as a share of the image width.
    pub focal_share: f64,
    /// Uniform jitter applied to each position coordinate and to the aim point.
    pub jitter_ft: f64,
    /// Uniform relative jitter of the focal length (0.1 = ±10 %).
    pub focal_jitter: f64,
}

/// A named look.
#[derive(Debug, Clone, PartialEq)]
pub struct LookProfile {
    pub name: &'static str,
    /// Whether detector training may use this profile.
    pub for_training: bool,
    pub jersey_colours: &'static [[u8; 3]],
    pub lighting: Lighting,
    pub camera: CameraPose,
    /// Colour of the ice before lighting.
    pub ice: [u8; 3],
    /// Colour of the seats in the stands.
    pub stands: [u8; 3],
}

/// The look of one game, drawn from a profile and a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameLook {
    pub profile: String,
    pub home_colour: Rgb,
    pub away_colour: Rgb,
    pub lighting: Lighting,
    pub ice: [u8; 3],
    pub stands: [u8; 3],
    /// Seed for the look's textures (ice wear, crowd).
    pub texture_seed: u64,
}

const ARENA_COLOURS: &[[u8; 3]] = &[
    [200, 16, 46],   // red
    [0, 38, 84],     // navy
    [240, 240, 236], // white
    [28, 28, 30],    // black
    [0, 104, 71],    // forest green
];
const COMMUNITY_COLOURS: &[[u8; 3]] = &[
    [252, 181, 20],  // gold
    [0, 83, 155],    // royal blue
    [111, 38, 61],   // maroon
    [162, 170, 173], // silver
    [200, 16, 46],   // red
    [240, 240, 236], // white
];
const HELD_OUT_COLOURS: &[[u8; 3]] = &[
    [255, 110, 0],   // orange
    [95, 37, 159],   // purple
    [0, 150, 160],   // teal
    [120, 190, 240], // sky blue
    [236, 64, 180],  // pink
];
const VALIDATION_COLOURS: &[[u8; 3]] = &[
    [140, 198, 63],  // lime
    [101, 67, 33],   // brown
    [170, 150, 210], // lavender
    [250, 128, 114], // coral
];

impl LookProfile {
    pub const NAMES: [&'static str; 4] = ["arena", "community", "validation", "heldout"];

    /// The look profile of that name.
    pub fn named(name: &str) -> Result<LookProfile, UnknownProfile> {
        let profile = match name {
            "arena" => LookProfile {
                name: "arena",
                for_training: true,
                jersey_colours: ARENA_COLOURS,
                lighting: Lighting {
                    exposure: 1.0,
                    tint: [1.0, 1.0, 1.02],
                    vignette: 0.15,
                    reflections: 6,
                    shadow: 0.3,
                    noise_sigma: 3.0,
                },
                camera: CameraPose {
                    position_ft: [0.0, -102.5, 26.0],
                    look_at_ft: [0.0, 5.0, 0.0],
                    focal_share: 0.36,
                    jitter_ft: 6.0,
                    focal_jitter: 0.06,
                },
                ice: [226, 234, 240],
                stands: [120, 24, 32],
            },
            "community" => LookProfile {
                name: "community",
                for_training: true,
                jersey_colours: COMMUNITY_COLOURS,
                lighting: Lighting {
                    exposure: 0.86,
                    tint: [1.04, 1.0, 0.9],
                    vignette: 0.3,
                    reflections: 3,
                    shadow: 0.2,
                    noise_sigma: 5.0,
                },
                camera: CameraPose {
                    position_ft: [-6.0, -97.0, 24.0],
                    look_at_ft: [-3.0, 6.0, 0.0],
                    focal_share: 0.33,
                    jitter_ft: 6.0,
                    focal_jitter: 0.06,
                },
                ice: [214, 222, 226],
                stands: [60, 70, 90],
            },
            "validation" => LookProfile {
                name: "validation",
                for_training: false,
                jersey_colours: VALIDATION_COLOURS,
                lighting: Lighting {
                    exposure: 0.95,
                    tint: [1.0, 0.96, 1.04],
                    vignette: 0.2,
                    reflections: 8,
                    shadow: 0.35,
                    noise_sigma: 4.0,
                },
                camera: CameraPose {
                    position_ft: [-12.0, -110.0, 29.0],
                    look_at_ft: [-6.0, 4.0, 0.0],
                    focal_share: 0.39,
                    jitter_ft: 3.0,
                    focal_jitter: 0.03,
                },
                ice: [220, 230, 236],
                stands: [90, 60, 40],
            },
            "heldout" => LookProfile {
                name: "heldout",
                for_training: false,
                jersey_colours: HELD_OUT_COLOURS,
                lighting: Lighting {
                    exposure: 1.12,
                    tint: [0.92, 0.98, 1.1],
                    vignette: 0.05,
                    reflections: 10,
                    shadow: 0.4,
                    noise_sigma: 2.0,
                },
                camera: CameraPose {
                    position_ft: [10.0, -112.0, 31.0],
                    look_at_ft: [6.0, 3.0, 0.0],
                    focal_share: 0.40,
                    jitter_ft: 2.0,
                    focal_jitter: 0.0,
                },
                ice: [236, 240, 246],
                stands: [40, 40, 44],
            },
            other => return Err(UnknownProfile(other.to_owned())),
        };
        Ok(profile)
    }

    /// The camera for a game of this profile: the base pose jittered by the seed.
    pub fn camera(&self, seed: u64, width_px: u32, height_px: u32) -> PinholeCamera {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xCA3E_7A00);
        let jitter = self.camera.jitter_ft;
        let mut shift = || rng.random_range(-jitter..=jitter);
        let p = self.camera.position_ft;
        let a = self.camera.look_at_ft;
        // The aim follows a sideways move halfway, as an operator keeps the rink centred.
        let sideways = shift();
        let position = (p[0] + sideways, p[1] + shift(), p[2] + shift() * 0.3);
        let aim = (
            a[0] + 0.5 * sideways + 0.3 * shift(),
            a[1] + 0.3 * shift(),
            0.0,
        );
        let zoom = 1.0 + self.camera.focal_jitter * rng.random_range(-1.0..=1.0);
        PinholeCamera::looking_at(
            position,
            aim,
            self.camera.focal_share * zoom * f64::from(width_px),
            width_px,
            height_px,
        )
    }

    /// The look of one game: two distinct jersey colours, and slight lighting variation.
    pub fn game_look(&self, seed: u64) -> GameLook {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x100C_0000);
        let count = self.jersey_colours.len();
        let home = rng.random_range(0..count);
        let away = (home + rng.random_range(1..count)) % count;
        let colour = |c: [u8; 3]| Rgb {
            r: c[0],
            g: c[1],
            b: c[2],
        };
        let mut lighting = self.lighting;
        lighting.exposure *= rng.random_range(0.94..1.06);
        GameLook {
            profile: self.name.to_owned(),
            home_colour: colour(self.jersey_colours[home]),
            away_colour: colour(self.jersey_colours[away]),
            lighting,
            ice: self.ice,
            stands: self.stands,
            texture_seed: rng.random(),
        }
    }
}

impl GameLook {
    /// The same game under lighting drawn from a wide range around its own (domain
    /// randomisation for training data): exposure ×0.85–1.2, each channel's tint ×0.92–1.08,
    /// vignette 0–0.35, 2–12 reflections, shadows 0.15–0.5, noise σ 1.5–6 levels, and the ice
    /// a shade (±10 levels) lighter or darker. Real rinks differ in all of these, so a network
    /// trained on a handful of fixed looks learns their lighting along with the objects.
    pub fn with_varied_lighting(mut self, seed: u64) -> GameLook {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1164_7000);
        let base = self.lighting;
        self.lighting = Lighting {
            exposure: base.exposure * rng.random_range(0.85..1.2),
            tint: base.tint.map(|gain| gain * rng.random_range(0.92..1.08)),
            vignette: rng.random_range(0.0..0.35),
            reflections: rng.random_range(2..=12),
            shadow: rng.random_range(0.15..0.5),
            noise_sigma: rng.random_range(1.5..6.0),
        };
        let shade: i16 = rng.random_range(-10..=10);
        self.ice = self
            .ice
            .map(|level| (i16::from(level) + shade).clamp(0, 255) as u8);
        self
    }
}

/// The CIE76 colour difference ΔE*ab between two sRGB colours.
pub fn delta_e(a: [u8; 3], b: [u8; 3]) -> f64 {
    teams::delta_e(teams::srgb_to_lab(a), teams::srgb_to_lab(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchsight_core::homography::PlanePoint;

    fn profiles() -> Vec<LookProfile> {
        LookProfile::NAMES
            .iter()
            .map(|n| LookProfile::named(n).unwrap())
            .collect()
    }

    #[test]
    fn the_profiles_never_trained_on_differ_from_every_training_profile() {
        let all = profiles();
        let held_out: Vec<_> = all.iter().filter(|p| !p.for_training).collect();
        let training: Vec<_> = all.iter().filter(|p| p.for_training).collect();
        assert!(!held_out.is_empty() && training.len() >= 2);
        for h in &held_out {
            for t in &training {
                for &hc in h.jersey_colours {
                    for &tc in t.jersey_colours {
                        let d = delta_e(hc, tc);
                        assert!(d > 20.0, "{hc:?} vs {tc:?}: ΔE {d:.1}");
                    }
                }
                assert_ne!(h.lighting, t.lighting);
                // The held-out camera hangs where no training camera ever does: on some axis
                // the two jittered position ranges do not overlap.
                let (hp, tp) = (h.camera.position_ft, t.camera.position_ft);
                let reach = [1.0, 1.0, 0.3].map(|k| k * (h.camera.jitter_ft + t.camera.jitter_ft));
                assert!(
                    (0..3).any(|axis| (hp[axis] - tp[axis]).abs() > reach[axis]),
                    "{} vs {}",
                    h.name,
                    t.name
                );
            }
        }
    }

    #[test]
    fn every_profile_camera_sees_the_whole_ice() {
        for profile in profiles() {
            for seed in 0..200 {
                let camera = profile.camera(seed, 1280, 720);
                for (x, y) in [
                    (-100.0, 0.0),
                    (100.0, 0.0),
                    (-89.0, -30.0),
                    (89.0, 30.0),
                    (0.0, -42.5),
                    (0.0, 42.5),
                ] {
                    let p = camera
                        .project_ground(PlanePoint { x_ft: x, y_ft: y })
                        .unwrap();
                    assert!(
                        (0.0..1280.0).contains(&p.x_px) && (0.0..720.0).contains(&p.y_px),
                        "{} seed {seed}: ({x}, {y}) at {p:?}",
                        profile.name
                    );
                }
            }
        }
    }

    #[test]
    fn games_get_two_different_colours() {
        let profile = LookProfile::named("arena").unwrap();
        for seed in 0..50 {
            let look = profile.game_look(seed);
            assert_ne!(look.home_colour, look.away_colour);
        }
        assert!(LookProfile::named("moon").is_err());
    }

    #[test]
    fn varied_lighting_changes_only_the_light_and_ice_within_its_ranges() {
        let profile = LookProfile::named("arena").unwrap();
        let mut exposures = Vec::new();
        for seed in 0..100 {
            let look = profile.game_look(seed);
            let varied = look.clone().with_varied_lighting(seed);
            assert_eq!(varied, look.clone().with_varied_lighting(seed), "seeded");
            assert_eq!(
                (varied.home_colour, varied.away_colour, varied.stands),
                (look.home_colour, look.away_colour, look.stands)
            );
            let (base, light) = (look.lighting, varied.lighting);
            let gain = light.exposure / base.exposure;
            assert!((0.85..1.2).contains(&gain), "exposure ×{gain}");
            for (g, b) in light.tint.iter().zip(base.tint) {
                assert!((0.92..1.08).contains(&(g / b)));
            }
            assert!((2..=12).contains(&light.reflections));
            assert!((0.15..0.5).contains(&light.shadow));
            let shade = i16::from(varied.ice[0]) - i16::from(look.ice[0]);
            assert!(shade.abs() <= 10);
            assert!(
                varied
                    .ice
                    .iter()
                    .zip(look.ice)
                    .all(|(v, l)| i16::from(*v) - i16::from(l) == shade)
            );
            exposures.push(gain);
        }
        // The range is used, not one corner of it.
        let low = exposures.iter().filter(|g| **g < 0.95).count();
        let high = exposures.iter().filter(|g| **g > 1.1).count();
        assert!(low > 10 && high > 10, "{low} low, {high} high of 100");
    }
}
