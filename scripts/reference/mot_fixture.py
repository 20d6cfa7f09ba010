"""Writes core/tests/fixtures/mot_reference.json: random tracking sequences (objects that move,
vanish, and trackers that miss, invent and swap identities) with the figures the `motmetrics`
package computes for them. `benchsight_core::mot` must agree (core/tests/mot_reference.rs).

    .venv-ref/bin/python scripts/reference/mot_fixture.py > core/tests/fixtures/mot_reference.json
"""

import json
import sys

import numpy as np

# motmetrics 1.4.0 still calls np.asfarray, which NumPy 2 removed.
if not hasattr(np, "asfarray"):
    np.asfarray = lambda a, dtype=float: np.asarray(a, dtype=dtype)

import motmetrics as mm  # noqa: E402


def sequence(rng, frames, objects):
    start = rng.uniform(0, 600, size=(objects, 2))
    velocity = rng.normal(0, 3, size=(objects, 2))
    size = rng.uniform(15, 40, size=(objects, 2))
    hyp_id = np.arange(objects) + 100
    next_id = 100 + objects
    out = []
    for f in range(frames):
        truth, hyps = [], []
        for o in range(objects):
            if rng.random() < 0.05:  # the object leaves the frame for a moment
                continue
            x, y = start[o] + velocity[o] * f
            w, h = size[o]
            truth.append({"id": int(o + 1), "bbox": [x, y, x + w, y + h]})
            if rng.random() < 0.1:  # missed
                continue
            if rng.random() < 0.03:  # identity switch / new id
                hyp_id[o] = next_id
                next_id += 1
            jitter = rng.normal(0, 0.12, size=4) * np.array([w, h, w, h])
            hyps.append({"id": int(hyp_id[o]), "bbox": list(np.array([x, y, x + w, y + h]) + jitter)})
        for _ in range(rng.poisson(0.4)):  # false positives
            x, y = rng.uniform(0, 600, 2)
            hyps.append({"id": int(next_id), "bbox": [x, y, x + 20, y + 30]})
            next_id += 1
        out.append({"truth": truth, "hypotheses": hyps})
    return out


def score(frames):
    acc = mm.MOTAccumulator(auto_id=True)
    for frame in frames:
        to_xywh = lambda b: [b[0], b[1], b[2] - b[0], b[3] - b[1]]
        t = np.array([to_xywh(o["bbox"]) for o in frame["truth"]]).reshape(-1, 4)
        h = np.array([to_xywh(o["bbox"]) for o in frame["hypotheses"]]).reshape(-1, 4)
        dists = mm.distances.iou_matrix(t, h, max_iou=0.5)
        acc.update([o["id"] for o in frame["truth"]], [o["id"] for o in frame["hypotheses"]], dists)
    metrics = ["num_frames", "num_objects", "num_predictions", "num_matches", "num_misses",
               "num_false_positives", "num_switches", "mota", "motp", "idtp", "idfp", "idfn", "idf1"]
    summary = mm.metrics.create().compute(acc, metrics=metrics)
    return {m: float(summary[m].iloc[0]) for m in metrics}


def main():
    rng = np.random.default_rng(20261125)
    cases = []
    for n in range(6):
        frames = sequence(rng, frames=int(rng.integers(20, 60)), objects=int(rng.integers(2, 12)))
        for frame in frames:
            for o in frame["truth"] + frame["hypotheses"]:
                o["bbox"] = [round(float(v), 3) for v in o["bbox"]]
        cases.append({"name": f"case{n}", "frames": frames, "motmetrics": score(frames)})
    json.dump({"motmetrics_version": mm.__version__, "min_iou": 0.5, "cases": cases}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
