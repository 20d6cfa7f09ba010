use super::*;
use crate::calibration::CameraCalibration;
use crate::game::{GameConfig, GameSim};
use benchsight_core::homography::PlanePoint;
use profile::LookProfile;

/// Renders `frames` frames of a game and hands each picture and its labels to `check`.
fn render_frames(
    seed: u64,
    profile: &str,
    frames: u64,
    mut check: impl FnMut(&FrameState, &[u8], &[ObjectLabel]),
) -> CameraCalibration {
    let profile = LookProfile::named(profile).unwrap();
    let camera = profile.camera(seed, 1280, 720);
    let calibration = CameraCalibration::of(camera.clone()).unwrap();
    let mut renderer = Renderer::new(camera, profile.game_look(seed));
    let mut sim = GameSim::new(GameConfig::new(seed));
    for _ in 0..frames {
        sim.step();
        let state = sim.state();
        let (rgb, labels) = renderer.render(&state);
        check(&state, rgb, &labels);
    }
    calibration
}

#[test]
fn labelled_boxes_agree_with_the_calibration() {
    let profile = LookProfile::named("arena").unwrap();
    let calibration = CameraCalibration::of(profile.camera(3, 1280, 720)).unwrap();
    let (mut worst_person, mut worst_puck, mut people, mut pucks) = (0.0f64, 0.0f64, 0, 0);
    render_frames(3, "arena", 240, |_, _, labels| {
        for label in labels {
            let touches_edge = label.bbox.x0 <= 0.0
                || label.bbox.y0 <= 0.0
                || label.bbox.x1 >= 1280.0
                || label.bbox.y1 >= 720.0;
            if label.visibility < 0.5 || touches_edge {
                continue;
            }
            match label.class {
                ObjectClass::Puck => {
                    let expected = calibration
                        .camera
                        .project([
                            label.x_ft,
                            label.y_ft,
                            label.height_ft + PUCK_DIAMETER_FT / 6.0,
                        ])
                        .unwrap();
                    let (cx, cy) = label.bbox.centre();
                    worst_puck = worst_puck
                        .max((f64::from(cx) - expected.x_px).hypot(f64::from(cy) - expected.y_px));
                    if label.height_ft == 0.0 {
                        // On the ice the homography alone finds it (within the puck's own height).
                        let mapped = calibration
                            .homography
                            .rink_to_image(PlanePoint {
                                x_ft: label.x_ft,
                                y_ft: label.y_ft,
                            })
                            .unwrap();
                        assert!(
                            (f64::from(cx) - mapped.x_px).hypot(f64::from(cy) - mapped.y_px) < 1.0
                        );
                    }
                    pucks += 1;
                }
                ObjectClass::Player | ObjectClass::Goalie | ObjectClass::Referee => {
                    let foot = calibration
                        .homography
                        .rink_to_image(PlanePoint {
                            x_ft: label.x_ft,
                            y_ft: label.y_ft,
                        })
                        .unwrap();
                    let (bx, by) = label.bbox.bottom_centre();
                    let error = (f64::from(bx) - foot.x_px).hypot(f64::from(by) - foot.y_px);
                    worst_person = worst_person.max(error);
                    people += 1;
                }
                ObjectClass::Net => {}
            }
        }
    });
    assert!(
        people > 1000 && pucks > 100,
        "{people} people, {pucks} pucks checked"
    );
    // Boxes are centred on the skates; perspective tilts a person's axis slightly, so the skate
    // blades can reach a little below the contact point (measured: 0.95 px at 1280×720).
    assert!(
        worst_person < 1.5,
        "person boxes up to {worst_person:.2} px off"
    );
    assert!(worst_puck < 0.01, "puck boxes up to {worst_puck:.3} px off");
}

#[test]
fn the_same_seed_renders_the_same_pictures() {
    let digest = |seed| {
        let mut pictures = Vec::new();
        let mut labels_seen = Vec::new();
        render_frames(seed, "community", 20, |_, rgb, labels| {
            pictures.push(rgb.iter().fold(0u64, |h, &b| {
                h.wrapping_mul(1_099_511_628_211).wrapping_add(u64::from(b))
            }));
            labels_seen.push(labels.to_vec());
        });
        (pictures, labels_seen)
    };
    let first = digest(5);
    assert_eq!(first, digest(5));
    assert_ne!(first.0, digest(6).0);
}

#[test]
fn hidden_objects_are_labelled_as_hidden() {
    let mut saw_partly_hidden = false;
    render_frames(7, "arena", 300, |_, _, labels| {
        for label in labels {
            assert!((0.0..=1.0).contains(&label.visibility));
            if label.class != ObjectClass::Puck && label.visibility < 0.5 {
                saw_partly_hidden = true;
            }
        }
    });
    assert!(saw_partly_hidden, "nobody was ever behind anybody");
}

#[test]
fn profiles_look_clearly_different() {
    let mean = |profile: &str| {
        let mut sum = [0.0f64; 3];
        let mut count = 0.0;
        render_frames(7, profile, 1, |_, rgb, _| {
            for pixel in rgb.chunks(3) {
                for k in 0..3 {
                    sum[k] += f64::from(pixel[k]);
                }
                count += 1.0;
            }
        });
        sum.map(|s| s / count)
    };
    let (arena, held_out) = (mean("arena"), mean("heldout"));
    let difference: f64 = arena.iter().zip(held_out).map(|(a, b)| (a - b).abs()).sum();
    assert!(difference > 15.0, "{arena:?} vs {held_out:?}");
}

#[test]
fn the_rink_region_holds_every_visible_object() {
    for profile in LookProfile::NAMES {
        for seed in [1, 2] {
            let look = LookProfile::named(profile).unwrap();
            let camera = look.camera(seed, 1280, 720);
            let region = benchsight_core::detector::rink_region(
                &camera.ground_homography().unwrap(),
                1280,
                720,
            )
            .unwrap();
            render_frames(seed, profile, 30, |_, _, labels| {
                for label in labels.iter().filter(|l| l.visibility > 0.3) {
                    let b = label.bbox;
                    assert!(
                        b.x0 >= region.x0 - 1.0
                            && b.x1 <= region.x1 + 1.0
                            && b.y0 >= region.y0 - 1.0
                            && b.y1 <= region.y1 + 1.0,
                        "{profile} seed {seed}: {label:?} outside {region:?}"
                    );
                }
            });
        }
    }
}
