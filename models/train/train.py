"""Train BenchSight's detector on a simulator dataset and export it to ONNX.

    python train.py --data DATASET [--data MORE ...] --out models/bs-det-2/model.onnx --minutes 70 [--stride 2]

DATASET is the output of `benchsight-sim dataset` (YOLO layout plus cameras.json with each seed's
rink region). Each image is cropped to its rink region and letterboxed into the model's fixed
1280 x 288 input, the same geometry the appliance uses (benchsight_core::detector). Training runs
on the CPU (or a GPU when one is present) until the time budget is spent, then the weights are
exported as ONNX (opset 17) with decoding built in; the PyTorch weights are kept beside it (.pt)
for fine-tuning with --init.
"""

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from detector import CLASSES, INPUT_HEIGHT, INPUT_WIDTH, STRIDES, Detector, Exported, export_onnx

PAD = 114


def letterbox(image, region):
    """Crops `region` (x0, y0, x1, y1) and letterboxes it; returns the array and the geometry."""
    x0, y0, x1, y1 = region
    w, h = x1 - x0, y1 - y0
    scale = min(INPUT_WIDTH / w, INPUT_HEIGHT / h)
    pad_x = (INPUT_WIDTH - w * scale) / 2
    pad_y = (INPUT_HEIGHT - h * scale) / 2
    crop = image.crop((round(x0), round(y0), round(x1), round(y1)))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    crop = crop.resize(size, Image.BILINEAR)
    canvas = Image.new("RGB", (INPUT_WIDTH, INPUT_HEIGHT), (PAD, PAD, PAD))
    canvas.paste(crop, (round(pad_x), round(pad_y)))
    return np.asarray(canvas), (x0, y0, scale, pad_x, pad_y)


def load_split(root, split, limit=None, previous=False):
    """Letterboxed images and their targets; with `previous`, each image carries its predecessor
    (`previous/` of a dataset written with --previous-gap) as a fourth, grey channel."""
    cameras = json.loads((root / "cameras.json").read_text())
    images, targets = [], []
    files = sorted((root / "images" / split).glob("*.jpg"))
    if limit:
        files = files[:limit]
    for n, path in enumerate(files):
        region = cameras[path.stem.split("_")[0]]["rink_region"]
        region = (region["x0"], region["y0"], region["x1"], region["y1"])
        with Image.open(path) as image:
            width, height = image.size
            array, (x0, y0, scale, pad_x, pad_y) = letterbox(image.convert("RGB"), region)
        if previous:
            before = root / "previous" / split / path.name
            if not before.is_file():
                raise SystemExit(f"{before}: no previous frame (write the dataset with --previous-gap)")
            with Image.open(before) as image:
                earlier, _ = letterbox(image.convert("RGB"), region)
            array = np.concatenate([array, grey(earlier)[..., None]], axis=2)
        boxes = []
        label_path = root / "labels" / split / (path.stem + ".txt")
        for line in label_path.read_text().splitlines():
            c, cx, cy, w, h = line.split()
            cx, cy = float(cx) * width, float(cy) * height
            w, h = float(w) * width, float(h) * height
            boxes.append((int(c), (cx - x0) * scale + pad_x, (cy - y0) * scale + pad_y, w * scale, h * scale))
        images.append(array)
        targets.append(np.array(boxes, dtype=np.float32).reshape(-1, 5))
        if (n + 1) % 500 == 0:
            print(f"loaded {n + 1}/{len(files)} {split} images", flush=True)
    return np.stack(images), targets


def grey(rgb):
    """The channel mean, as the appliance computes a previous frame's grey plane."""
    return np.round(rgb.astype(np.float32).mean(axis=2)).astype(np.uint8)


# Where two objects of a class stand close (skaters side by side, one partly behind the other),
# each one's Gaussian is narrowed so that it has fallen to this much halfway to the other's
# centre: the focal loss scales the penalty on a cell by (1 - target)^4, so with the usual spread
# the cells between two centres 2 cells apart (target ~0.6) are hardly penalised, the network
# learns one plateau over both, and the peak decoding keeps one of them.
CROWD_HALFWAY_TARGET = 0.2
# The narrowest spread, in cells: below it a Gaussian is one cell either way.
CROWD_MIN_SPREAD = 0.3


def crowd_spread_limits(boxes, stride):
    """Per box, the largest Gaussian spread (in cells at `stride`) that falls to
    `CROWD_HALFWAY_TARGET` halfway to the nearest centre of the same class (inf when alone)."""
    limits = np.full(len(boxes), np.inf)
    if len(boxes) < 2:
        return limits
    classes = boxes[:, 0]
    centres = boxes[:, 1:3] / stride
    distance = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
    distance[classes[:, None] != classes[None, :]] = np.inf
    np.fill_diagonal(distance, np.inf)
    nearest = distance.min(axis=1)
    falloff = math.sqrt(2 * math.log(1 / CROWD_HALFWAY_TARGET))
    return np.maximum(CROWD_MIN_SPREAD, nearest / 2 / falloff)


def heat_targets(boxes, flip, stride):
    """Gaussian centre heat maps, sizes, offsets and their mask at `stride` (the same spread in
    pixels at either stride)."""
    rows, cols = INPUT_HEIGHT // stride, INPUT_WIDTH // stride
    reach = 32 // stride
    heat = np.zeros((len(CLASSES), rows, cols), np.float32)
    size = np.zeros((2, rows, cols), np.float32)
    offset = np.zeros((2, rows, cols), np.float32)
    mask = np.zeros((rows, cols), np.float32)
    ys, xs = np.mgrid[0:rows, 0:cols]
    crowd_limits = crowd_spread_limits(boxes, stride)
    for (c, cx, cy, w, h), limit in zip(boxes, crowd_limits):
        if flip:
            cx = INPUT_WIDTH - cx
        gx, gy = cx / stride, cy / stride
        ix, iy = int(gx), int(gy)
        if not (0 <= ix < cols and 0 <= iy < rows):
            continue
        sx = min(max(0.6, w / stride / 6), limit)
        sy = min(max(0.6, h / stride / 6), limit)
        window = (slice(max(0, iy - reach), iy + reach + 1), slice(max(0, ix - reach), ix + reach + 1))
        g = np.exp(-((xs[window] - ix) ** 2 / (2 * sx * sx) + (ys[window] - iy) ** 2 / (2 * sy * sy)))
        heat[int(c)][window] = np.maximum(heat[int(c)][window], g)
        size[:, iy, ix] = (math.log(max(w, 1.0) / stride), math.log(max(h, 1.0) / stride))
        offset[:, iy, ix] = (gx - ix, gy - iy)
        mask[iy, ix] = 1.0
    return heat, size, offset, mask


def augment(array, rng):
    """Colour changes so that jersey colours never seen in training do not matter (channels past
    the third, a previous frame's grey, take the same brightness change)."""
    image = array.astype(np.float32)
    image[..., :3] = image[..., rng.permutation(3)]
    image = image * rng.uniform(0.75, 1.25) + rng.uniform(-20, 20)
    image += rng.normal(0, rng.uniform(0, 4), image.shape)
    return np.clip(image, 0, 255)


def rescale(array, boxes, rng):
    """Zooms in or out around a random point, so that object sizes vary beyond the training
    cameras' own range; boxes whose centre leaves the input are dropped."""
    s = rng.uniform(0.8, 1.25)
    width, height = round(INPUT_WIDTH * s), round(INPUT_HEIGHT * s)
    scaled = np.asarray(Image.fromarray(array).resize((width, height), Image.BILINEAR))
    canvas = np.full_like(array, PAD)
    # Offset of the scaled image on the canvas: negative when it is larger (a crop).
    ox = int(rng.integers(min(0, INPUT_WIDTH - width), max(0, INPUT_WIDTH - width) + 1))
    oy = int(rng.integers(min(0, INPUT_HEIGHT - height), max(0, INPUT_HEIGHT - height) + 1))
    sx0, sy0 = max(0, -ox), max(0, -oy)
    dx0, dy0 = max(0, ox), max(0, oy)
    w = min(width - sx0, INPUT_WIDTH - dx0)
    h = min(height - sy0, INPUT_HEIGHT - dy0)
    canvas[dy0:dy0 + h, dx0:dx0 + w] = scaled[sy0:sy0 + h, sx0:sx0 + w]
    moved = boxes.copy()
    moved[:, 1] = boxes[:, 1] * s + ox
    moved[:, 2] = boxes[:, 2] * s + oy
    moved[:, 3:5] = boxes[:, 3:5] * s
    inside = (moved[:, 1] >= 0) & (moved[:, 1] < INPUT_WIDTH) & (moved[:, 2] >= 0) & (moved[:, 2] < INPUT_HEIGHT)
    return canvas, moved[inside]


def batch(images, targets, indices, rng, train, stride):
    xs, heats, sizes, offsets, masks = [], [], [], [], []
    for i in indices:
        flip = train and rng.random() < 0.5
        array, boxes = images[i], targets[i]
        if train and rng.random() < 0.5:
            array, boxes = rescale(array, boxes, rng)
        image = augment(array, rng) if train else array.astype(np.float32)
        if flip:
            image = image[:, ::-1]
        xs.append(np.ascontiguousarray(image.transpose(2, 0, 1)) / 255.0)
        heat, size, offset, mask = heat_targets(boxes, flip, stride)
        heats.append(heat)
        sizes.append(size)
        offsets.append(offset)
        masks.append(mask)
    as_tensor = lambda a: torch.from_numpy(np.stack(a).astype(np.float32))
    return as_tensor(xs), as_tensor(heats), as_tensor(sizes), as_tensor(offsets), as_tensor(masks)


# The puck is one small object among a dozen people: its heat map counts this much more.
CLASS_WEIGHTS = torch.tensor([1.0, 1.0, 1.0, 3.0, 1.0]).view(1, -1, 1, 1)


def loss_fn(outputs, heat_t, size_t, offset_t, mask):
    heat, size, offset = outputs
    pred = torch.sigmoid(heat).clamp(1e-4, 1 - 1e-4)
    positive = heat_t.eq(1).float()
    negative_weight = torch.pow(1 - heat_t, 4)
    weights = CLASS_WEIGHTS.to(heat.device)
    pos_loss = torch.log(pred) * torch.pow(1 - pred, 2) * positive * weights
    neg_loss = torch.log(1 - pred) * torch.pow(pred, 2) * negative_weight * (1 - positive) * weights
    count = positive.sum().clamp(min=1.0)
    focal = -(pos_loss.sum() + neg_loss.sum()) / count
    m = mask.unsqueeze(1)
    objects = mask.sum().clamp(min=1.0)
    size_loss = (torch.abs(size - size_t) * m).sum() / objects
    offset_loss = (torch.abs(offset - offset_t) * m).sum() / objects
    return focal + 0.5 * size_loss + offset_loss, (focal.item(), size_loss.item(), offset_loss.item())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True, help="dataset folder (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="ONNX file to write")
    parser.add_argument("--minutes", type=float, default=80.0, help="training time budget")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only this many images (smoke tests)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--init", type=Path, default=None, help="start from these weights (.pt) to fine-tune")
    parser.add_argument(
        "--stride", type=int, choices=STRIDES, default=4, help="the heads' stride (2: overlapping skaters apart)"
    )
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    started = time.time()
    loaded = [load_split(folder, "train", args.limit) for folder in args.data]
    images = np.concatenate([images for images, _ in loaded])
    targets = [target for _, folder_targets in loaded for target in folder_targets]
    del loaded
    print(f"{len(images)} training images loaded in {time.time() - started:.0f} s on {device}", flush=True)

    model = Detector(stride=args.stride)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
        print(f"starting from {args.init}", flush=True)
    model = model.to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    budget = args.minutes * 60
    train_start = time.time()
    step, epoch = 0, 0
    while time.time() - train_start < budget:
        epoch += 1
        order = rng.permutation(len(images))
        totals = np.zeros(4)
        for first in range(0, len(order) - args.batch + 1, args.batch):
            elapsed = time.time() - train_start
            if elapsed >= budget:
                break
            # Cosine decay over the time budget, after a short warm-up.
            progress = elapsed / budget
            lr = args.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * progress))
            for group in optimiser.param_groups:
                group["lr"] = lr
            chosen = order[first:first + args.batch]
            x, heat, size, offset, mask = (t.to(device) for t in batch(images, targets, chosen, rng, True, args.stride))
            model.train()
            loss, parts = loss_fn(model(x), heat, size, offset, mask)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            totals += (loss.item(), *parts)
            step += 1
            if step % 50 == 0:
                mean = totals / max(1, (first // args.batch) + 1)
                print(
                    f"epoch {epoch} step {step} loss {mean[0]:.3f} (focal {mean[1]:.3f} size {mean[2]:.3f} "
                    f"offset {mean[3]:.3f}) lr {lr:.2e} {elapsed / 60:.1f}/{args.minutes:.0f} min",
                    flush=True,
                )
    model.cpu()
    torch.save(model.state_dict(), args.out.with_suffix(".pt"))
    model.eval()
    export_onnx(Exported(model), args.out)
    print(f"trained {step} steps ({epoch} epochs) in {(time.time() - train_start) / 60:.1f} min; wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
