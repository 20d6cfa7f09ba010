//! `benchsight_core::mot` agrees with the `motmetrics` package on random tracking sequences with
//! misses, false positives and identity switches (fixture written by
//! `scripts/reference/mot_fixture.py` with motmetrics 1.4.0).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use benchsight_core::detection::PixelBox;
use benchsight_core::mot::{MotAccumulator, MotObject};
use serde_json::Value;

fn objects(list: &Value) -> Vec<MotObject> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let b: Vec<f32> = o["bbox"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            MotObject {
                id: o["id"].as_u64().unwrap(),
                bbox: PixelBox {
                    x0: b[0],
                    y0: b[1],
                    x1: b[2],
                    y1: b[3],
                },
            }
        })
        .collect()
}

#[test]
fn scores_match_motmetrics() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/mot_reference.json")).unwrap();
    let min_iou = fixture["min_iou"].as_f64().unwrap() as f32;
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let mut acc = MotAccumulator::new(min_iou);
        for frame in case["frames"].as_array().unwrap() {
            acc.add_frame(&objects(&frame["truth"]), &objects(&frame["hypotheses"]));
        }
        let ours = acc.summary();
        let theirs = &case["motmetrics"];
        let count = |name: &str| theirs[name].as_f64().unwrap() as u64;
        let name = case["name"].as_str().unwrap();
        // motmetrics counts a switch instead of a match, we count it as both.
        assert_eq!(
            (
                ours.frames,
                ours.truth_objects,
                ours.hypotheses,
                ours.matches - ours.switches,
                ours.misses,
                ours.false_positives,
                ours.switches
            ),
            (
                count("num_frames"),
                count("num_objects"),
                count("num_predictions"),
                count("num_matches"),
                count("num_misses"),
                count("num_false_positives"),
                count("num_switches")
            ),
            "{name}"
        );
        assert_eq!(
            (ours.idtp, ours.idfp, ours.idfn),
            (count("idtp"), count("idfp"), count("idfn")),
            "{name}"
        );
        for (figure, value) in [
            ("mota", ours.mota),
            ("motp", ours.motp),
            ("idf1", ours.idf1),
        ] {
            let expected = theirs[figure].as_f64().unwrap();
            assert!(
                (value - expected).abs() < 1e-5,
                "{name} {figure}: ours {value}, motmetrics {expected}"
            );
        }
    }
}
