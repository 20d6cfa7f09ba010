"""The pipeline a user might assemble in Python instead of BenchSight's, for `benchsight-eval
bench` to run beside ours on the same video, model and ONNX Runtime threads:

    OpenCV decode -> crop + letterbox (cv2) -> onnxruntime -> YOLO raw decoding with class-wise
    NMS (cv2.dnn) -> Roboflow `trackers` ByteTrack (with `supervision` detections)

It writes its frame count and timings as JSON (--stats); its peak memory is measured by the
caller. Requirements: scripts/reference/requirements.txt.
"""

import argparse
import json
import sys
import time

import cv2
import numpy as np
import onnxruntime as ort
import supervision as sv
from trackers import ByteTrackTracker


def letterbox(rgb, region, width, height, pad=114):
    x0, y0, x1, y1 = region
    crop = rgb[int(round(y0)):int(round(y1)), int(round(x0)):int(round(x1))]
    h, w = crop.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (width - size[0]) / 2, (height - size[1]) / 2
    left, top = int(round(pad_x)), int(round(pad_y))
    canvas = cv2.copyMakeBorder(
        resized, top, height - size[1] - top, left, width - size[0] - left,
        cv2.BORDER_CONSTANT, value=(pad, pad, pad),
    )
    return canvas, scale, pad_x, pad_y


def decode(output, region, scale, pad_x, pad_y, score_threshold, nms_iou):
    """[1, 4 + nc, N] -> frame-pixel boxes, scores and classes after class-wise NMS."""
    raw = output[0].T
    scores = raw[:, 4:]
    classes = scores.argmax(axis=1)
    best = scores[np.arange(len(raw)), classes]
    keep = best >= score_threshold
    raw, best, classes = raw[keep], best[keep], classes[keep]
    cx = (raw[:, 0] - pad_x) / scale + region[0]
    cy = (raw[:, 1] - pad_y) / scale + region[1]
    w, h = raw[:, 2] / scale, raw[:, 3] / scale
    xywh = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    if len(xywh) == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, int)
    kept = cv2.dnn.NMSBoxesBatched(xywh.tolist(), best.tolist(), classes.tolist(), score_threshold, nms_iou)
    kept = np.array(kept, dtype=int).reshape(-1)
    xyxy = np.concatenate([xywh[kept, :2], xywh[kept, :2] + xywh[kept, 2:]], axis=1)
    return xyxy.astype(np.float32), best[kept].astype(np.float32), classes[kept]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", required=True)
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--input", type=int, nargs=2, metavar=("WIDTH", "HEIGHT"), required=True)
    parser.add_argument("--region", type=float, nargs=4, metavar=("X0", "Y0", "X1", "Y1"), required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--score", type=float, default=0.3)
    parser.add_argument("--nms-iou", type=float, default=0.5)
    parser.add_argument("--stats", required=True, help="where to write the timings (JSON)")
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    tracker = ByteTrackTracker()
    capture = cv2.VideoCapture(args.video)
    if not capture.isOpened():
        print(f"cannot open {args.video}", file=sys.stderr)
        return 1
    width, height = args.input
    frames, inference, tracks = 0, 0.0, 0
    started = time.perf_counter()
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        canvas, scale, pad_x, pad_y = letterbox(rgb, args.region, width, height)
        tensor = np.ascontiguousarray(canvas.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
        t0 = time.perf_counter()
        (output,) = session.run(None, {input_name: tensor})
        inference += time.perf_counter() - t0
        xyxy, scores, classes = decode(output, args.region, scale, pad_x, pad_y, args.score, args.nms_iou)
        detections = sv.Detections(xyxy=xyxy, confidence=scores, class_id=classes)
        tracked = tracker.update(detections)
        tracks += len(tracked)
        frames += 1
    elapsed = time.perf_counter() - started
    with open(args.stats, "w") as out:
        json.dump({"frames": frames, "elapsed_s": elapsed, "inference_s": inference, "tracked_objects": tracks}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
