"""Train BenchSight's puck finder: a small full-resolution heat-map network for the puck alone.

    python puck.py --data DATASET [--data MORE ...] --out models/bs-det-2/puck.onnx --minutes 40

The detector finds people and nets well, but the puck is two or three pixels across and often a
faint motion-blurred streak: at the detector's stride 4, shared with a dozen people, it is lost.
This network sees the same letterboxed rink input as the detector (1280 x 288, so the appliance
prepares one image for both) and predicts, at stride 2, one puck heat map and the sub-cell offset
of its centre. Wide context comes from dilated layers at stride 4 (a skate or a stick blade
beside a player is not a puck); the stride-2 branch keeps the pixel detail.

On a fixed camera the moving puck is what changes between frames, so by default (``--frames 2``)
the network also sees the previous frame's input as a fourth, grey plane (the appliance keeps the
input of the frame it processed before; the data holds predecessors 1 to 3 frames earlier, as a
live camera with dropped frames gives). It is trained on crops of the letterboxed images, most of
them holding the puck, and exported (opset 17) in the raw YOLOv8 layout with one class, ``[1, 5, N]``: centre x, centre y, width,
height in input pixels, puck score, non-peak cells zeroed (3 x 3 max-pool) — the same decoding as
the detector's.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from detector import CLASSES, INPUT_HEIGHT, INPUT_WIDTH, conv, export_onnx, peak_scores
from train import augment, grey, load_split

PUCK = CLASSES.index("puck")
STRIDE = 2
# The puck's drawn box in input pixels (its size carries no information; the centre does).
BOX = 3.0
CROP_WIDTH = 256
CROP_HEIGHT = 192


class PuckNet(nn.Module):
    def __init__(self, channels=4):
        super().__init__()
        self.channels = channels
        self.stem = conv(channels, 16, 2)  # stride 2: the pixel detail
        self.down = conv(16, 32, 2)  # stride 4
        self.context = nn.Sequential(
            conv(32, 32),
            nn.Sequential(nn.Conv2d(32, 32, 3, 1, 2, dilation=2, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True)),
            nn.Sequential(nn.Conv2d(32, 32, 3, 1, 4, dilation=4, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True)),
        )
        self.top = conv(32, 16, kernel=1)
        self.lateral = conv(16, 16, kernel=1)
        self.merge = conv(16, 16)
        self.heat = nn.Conv2d(16, 1, 1)
        self.offset = nn.Conv2d(16, 2, 1)
        nn.init.constant_(self.heat.bias, -4.0)

    def forward(self, x):
        c2 = self.stem(x)
        c4 = self.context(self.down(c2))
        p2 = self.merge(self.lateral(c2) + F.interpolate(self.top(c4), scale_factor=2.0, mode="nearest"))
        return self.heat(p2), self.offset(p2)


class Exported(nn.Module):
    """Image in [0, 1] NCHW (RGB, then the previous frame's grey) -> [1, 5, N] (cx, cy, w, h in
    input pixels, puck score)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        heat, offset = self.net(image)
        scores, cx, cy = peak_scores(heat, offset, STRIDE)
        wh = torch.full_like(cx, BOX)
        return torch.cat([cx, cy, wh, wh, scores], dim=1).flatten(2)


def pucks_of(targets):
    """Each image's puck centre in input pixels, or None."""
    out = []
    for boxes in targets:
        pucks = boxes[boxes[:, 0] == PUCK]
        out.append((float(pucks[0, 1]), float(pucks[0, 2])) if len(pucks) else None)
    return out


def crop_batch(images, pucks, indices, rng):
    """CROP_WIDTH x CROP_HEIGHT crops, the puck inside most of the time; targets at stride 2."""
    rows, cols = CROP_HEIGHT // STRIDE, CROP_WIDTH // STRIDE
    ys, xs = np.mgrid[0:rows, 0:cols]
    xs_out, heats, offsets, masks = [], [], [], []
    for i in indices:
        puck = pucks[i]
        if puck is not None and rng.random() < 0.7:
            lo = int(max(0, min(INPUT_WIDTH - CROP_WIDTH, puck[0] - CROP_WIDTH + 8)))
            hi = int(max(lo, min(INPUT_WIDTH - CROP_WIDTH, puck[0] - 8)))
            x0 = int(rng.integers(lo, hi + 1))
            lo = int(max(0, min(INPUT_HEIGHT - CROP_HEIGHT, puck[1] - CROP_HEIGHT + 8)))
            hi = int(max(lo, min(INPUT_HEIGHT - CROP_HEIGHT, puck[1] - 8)))
            y0 = int(rng.integers(lo, hi + 1))
        else:
            x0 = int(rng.integers(0, INPUT_WIDTH - CROP_WIDTH + 1))
            y0 = int(rng.integers(0, INPUT_HEIGHT - CROP_HEIGHT + 1))
        crop = images[i][y0:y0 + CROP_HEIGHT, x0:x0 + CROP_WIDTH]
        if crop.shape[2] > 3 and rng.random() < 0.05:
            # No motion to see, as on the first frame after a start or a restart.
            crop = np.concatenate([crop[..., :3], grey(crop[..., :3])[..., None]], axis=2)
        image = augment(crop, rng)
        heat = np.zeros((1, rows, cols), np.float32)
        offset = np.zeros((2, rows, cols), np.float32)
        mask = np.zeros((rows, cols), np.float32)
        flip = rng.random() < 0.5
        if flip:
            image = image[:, ::-1]
        if puck is not None:
            px, py = puck[0] - x0, puck[1] - y0
            if flip:
                px = CROP_WIDTH - px
            if 0 <= px < CROP_WIDTH and 0 <= py < CROP_HEIGHT:
                gx, gy = px / STRIDE, py / STRIDE
                ix, iy = int(gx), int(gy)
                heat[0] = np.exp(-((xs - ix) ** 2 + (ys - iy) ** 2) / (2 * 0.8 * 0.8))
                offset[:, iy, ix] = (gx - ix, gy - iy)
                mask[iy, ix] = 1.0
        xs_out.append(np.ascontiguousarray(image.transpose(2, 0, 1)) / 255.0)
        heats.append(heat)
        offsets.append(offset)
        masks.append(mask)
    as_tensor = lambda a: torch.from_numpy(np.stack(a).astype(np.float32))
    return as_tensor(xs_out), as_tensor(heats), as_tensor(offsets), as_tensor(masks)


def loss_fn(outputs, heat_t, offset_t, mask):
    heat, offset = outputs
    pred = torch.sigmoid(heat).clamp(1e-4, 1 - 1e-4)
    positive = heat_t.eq(1).float()
    negative_weight = torch.pow(1 - heat_t, 4)
    pos_loss = torch.log(pred) * torch.pow(1 - pred, 2) * positive
    neg_loss = torch.log(1 - pred) * torch.pow(pred, 2) * negative_weight * (1 - positive)
    count = positive.sum().clamp(min=1.0)
    focal = -(pos_loss.sum() + neg_loss.sum()) / count
    m = mask.unsqueeze(1)
    offset_loss = (torch.abs(offset - offset_t) * m).sum() / mask.sum().clamp(min=1.0)
    return focal + offset_loss, (focal.item(), offset_loss.item())


@torch.no_grad()
def validate(net, images, pucks, radius=3.0):
    """Best peak per image against the truth: (threshold, precision, recall) rows."""
    net.eval()
    exported = Exported(net).eval()
    best = []
    for i in range(0, len(images), 8):
        x = torch.from_numpy(np.stack(images[i:i + 8]).transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
        out = exported(x)
        for row in out:
            k = int(torch.argmax(row[4]))
            best.append((float(row[4, k]), float(row[0, k]), float(row[1, k])))
    rows = []
    for threshold in np.arange(0.1, 0.91, 0.05):
        found = alarms = 0
        for (score, x, y), puck in zip(best, pucks):
            if score < threshold:
                continue
            if puck is not None and math.hypot(x - puck[0], y - puck[1]) <= radius:
                found += 1
            else:
                alarms += 1
        visible = sum(p is not None for p in pucks)
        rows.append((float(threshold), found / max(1, found + alarms), found / max(1, visible)))
    return rows


def operating_score(rows, precision=0.92):
    """The lowest validation threshold whose precision reaches `precision` (the highest if none)."""
    for threshold, p, _ in rows:
        if p >= precision:
            return round(threshold, 2)
    return round(rows[-1][0], 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True, help="dataset folder (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="ONNX file to write")
    parser.add_argument("--minutes", type=float, default=40.0, help="training time budget")
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="use only this many images per folder (smoke tests)")
    parser.add_argument("--init", type=Path, default=None, help="start from these weights (.pt); with --minutes 0, only validate and export")
    parser.add_argument("--frames", type=int, choices=(1, 2), default=2, help="2: the previous frame as an extra grey plane")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    started = time.time()
    images, pucks, val_images, val_pucks = [], [], [], []
    for folder in args.data:
        loaded, targets = load_split(folder, "train", args.limit, previous=args.frames == 2)
        images.extend(loaded)
        pucks.extend(pucks_of(targets))
        if (folder / "images" / "val").is_dir() and any((folder / "images" / "val").iterdir()):
            loaded, targets = load_split(folder, "val", args.limit, previous=args.frames == 2)
            val_images.extend(loaded)
            val_pucks.extend(pucks_of(targets))
    print(
        f"{len(images)} training images ({sum(p is not None for p in pucks)} with the puck), "
        f"{len(val_images)} validation, loaded in {time.time() - started:.0f} s",
        flush=True,
    )

    net = PuckNet(channels=images[0].shape[2])
    if args.init:
        net.load_state_dict(torch.load(args.init, map_location="cpu"))
        print(f"starting from {args.init}", flush=True)
    optimiser = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    budget = args.minutes * 60
    train_start = time.time()
    step = 0
    totals = np.zeros(3)
    while time.time() - train_start < budget:
        elapsed = time.time() - train_start
        progress = elapsed / budget
        lr = args.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in optimiser.param_groups:
            group["lr"] = lr
        x, heat, offset, mask = crop_batch(images, pucks, rng.integers(0, len(images), args.batch), rng)
        net.train()
        loss, parts = loss_fn(net(x), heat, offset, mask)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        totals += (loss.item(), *parts)
        step += 1
        if step % 100 == 0:
            mean = totals / 100
            totals[:] = 0
            print(
                f"step {step} loss {mean[0]:.3f} (focal {mean[1]:.3f} offset {mean[2]:.3f}) "
                f"lr {lr:.2e} {elapsed / 60:.1f}/{args.minutes:.0f} min",
                flush=True,
            )
        if step % 1000 == 0 and val_images:
            table = ", ".join(f"≥{t:.2f}: P {p:.3f} R {r:.3f}" for t, p, r in validate(net, val_images, val_pucks)[::2])
            print(f"validation (best peak per image, ≤ 3 input px): {table}", flush=True)
    score = 0.5
    if val_images:
        rows = validate(net, val_images, val_pucks)
        table = ", ".join(f"≥{t:.2f}: P {p:.3f} R {r:.3f}" for t, p, r in rows)
        print(f"validation (best peak per image, ≤ 3 input px): {table}", flush=True)
        score = operating_score(rows)
        print(f"operating score {score} (precision ≥ 0.92 on the validation split)", flush=True)
    torch.save(net.state_dict(), args.out.with_suffix(".pt"))
    args.out.with_suffix(".json").write_text(json.dumps({"score": score, "frames": args.frames}) + "\n")
    net.eval()
    export_onnx(Exported(net), args.out, channels=net.channels)
    print(f"trained {step} steps in {(time.time() - train_start) / 60:.1f} min; wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
