"""Write a model folder's model.toml and model card (README.md).

    python card.py --onnx FILE --out models/NAME [--puck-onnx FILE --puck-score S]
                   [--metrics eval.json] [--training training.json]

model.toml carries what the appliance needs (classes, input, output layout, thresholds, the
ONNX file's SHA-256) and, as records, where the model came from and its measured figures. The
figures come from `benchsight-edge eval-detector --json`, i.e. the Rust / ONNX Runtime path.
"""

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from detector import CLASSES, INPUT_HEIGHT, INPUT_WIDTH


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(round(value, 4)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--name", default=None)
    parser.add_argument("--metrics", type=Path, default=None)
    parser.add_argument("--training", type=Path, default=None)
    parser.add_argument("--score", type=float, default=0.3)
    parser.add_argument("--nms-iou", type=float, default=0.5, help="class-wise NMS overlap")
    parser.add_argument("--puck-onnx", type=Path, default=None, help="the dedicated puck network (puck.py)")
    parser.add_argument("--puck-score", type=float, default=0.5)
    parser.add_argument("--puck-frames", type=int, choices=(1, 2), default=2, help="2: the puck network reads the previous frame")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "model.onnx"
    if args.onnx.resolve() != target.resolve():
        shutil.copyfile(args.onnx, target)
    sha = hashlib.sha256(target.read_bytes()).hexdigest()
    puck_sha = None
    if args.puck_onnx:
        puck_target = args.out / "puck.onnx"
        if args.puck_onnx.resolve() != puck_target.resolve():
            shutil.copyfile(args.puck_onnx, puck_target)
        puck_sha = hashlib.sha256(puck_target.read_bytes()).hexdigest()
    name = args.name or args.out.name
    training = json.loads(args.training.read_text()) if args.training else {}
    metrics = json.loads(args.metrics.read_text()) if args.metrics else None

    lines = [
        "# BenchSight detector: what the appliance needs to run it, and where it came from.",
        f"name = {toml_value(name)}",
        'file = "model.onnx"',
        f"sha256 = {toml_value(sha)}",
        f"classes = {toml_value(CLASSES)}",
        "",
        "[input]",
        f"width = {INPUT_WIDTH}",
        f"height = {INPUT_HEIGHT}",
        '# The rink region from the camera calibration, letterboxed; RGB scaled to [0, 1].',
        'region = "rink"',
        "scale = 0.00392156862745098",
        "pad_value = 114",
        "",
        "[output]",
        "# [1, 4 + nc, N]: cx, cy, w, h in input pixels, then one score per class.",
        'layout = "yolo_raw"',
        "",
        "[thresholds]",
        f"score = {args.score}",
        f"nms_iou = {args.nms_iou}",
    ]
    if puck_sha:
        lines += [
            "",
            "[puck]",
            "# A puck-only network on the same input, at stride 2; its pucks replace the detector's.",
            'file = "puck.onnx"',
            f"sha256 = {toml_value(puck_sha)}",
            f"score = {args.puck_score}",
        ]
        if args.puck_frames == 2:
            lines += [
                "# A fourth input plane: the grey (channel mean) of the previous processed frame's input.",
                "previous_frame = true",
            ]
    if training:
        lines += ["", "[training]"] + [f"{k} = {toml_value(v)}" for k, v in training.items()]
    if metrics:
        lines += ["", "[metrics]", f"images = {metrics['images']}", f"score_threshold = {metrics['score_threshold']}"]
        for c in metrics["classes"]:
            lines.append(
                f"{c['class']} = {{ labels = {c['labels']}, precision = {c['precision']:.4f}, "
                f"recall = {c['recall']:.4f}, ap50 = {c['ap50']:.4f} }}"
            )
        p = metrics["puck"]
        lines.append(
            f"puck_centre = {{ radius_px = {p['radius_px']}, score = {metrics['puck_score_threshold']}, "
            f"precision = {p['precision']:.4f}, "
            f"recall = {p['recall']:.4f}, labels = {p['labels']} }}"
        )
        lines.append(
            f"cpu_ms_per_frame = {{ preprocess = {metrics['mean_preprocess_ms']:.2f}, "
            f"inference = {metrics['mean_inference_ms']:.2f}, postprocess = {metrics['mean_postprocess_ms']:.2f} }}"
        )
    (args.out / "model.toml").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'model.toml'} (sha256 {sha[:16]}…)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
