"""BenchSight's own detector: a small anchor-free, CenterNet-style network in plain PyTorch.

It looks at the rink region of a frame (letterboxed into a fixed 1280 x 288 input), predicts
at stride 4 (or 2) a centre heat map per class, the box size and the sub-cell offset, and
exports to ONNX with the decoding built in, as the raw YOLOv8 layout ``[1, 4 + nc, N]`` (centre x, centre
y, width, height in input pixels, then per-class scores), so the appliance decodes it with the
same code as an Ultralytics export. Non-peak cells are zeroed in the graph (3 x 3 max-pool), so
class-wise NMS only has to settle the rare near-duplicates.

At stride 4 a peak stands for a 4 x 4 pixel cell and suppresses its neighbours, so two skaters
whose centres lie within about 6 pixels (one partly behind the other, as at every faceoff and
along the boards) come out as one box. ``stride=2`` adds a stride-2 level on top of the same
backbone (the stem's first layer as its lateral input) and puts the heads there.
"""

import torch
from torch import nn
import torch.nn.functional as F

CLASSES = ["player", "goalie", "referee", "puck", "net"]
INPUT_WIDTH = 1280
INPUT_HEIGHT = 288
STRIDES = (4, 2)


def conv(cin, cout, stride=1, kernel=3):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            conv(channels, channels),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x):
        return F.relu(x + self.body(x))


class Detector(nn.Module):
    def __init__(self, classes=len(CLASSES), stride=4):
        super().__init__()
        if stride not in STRIDES:
            raise ValueError(f"stride {stride}: must be one of {STRIDES}")
        self.classes = classes
        self.stride = stride
        self.stem = nn.Sequential(conv(3, 16, 2), conv(16, 24, 2))  # stride 2, then 4
        self.down8 = nn.Sequential(conv(24, 48, 2), Residual(48))
        self.down16 = nn.Sequential(conv(48, 96, 2), Residual(96))
        self.top16 = conv(96, 48, kernel=1)
        self.merge8 = conv(48, 48)
        self.top8 = conv(48, 32, kernel=1)
        self.lateral4 = conv(24, 32, kernel=1)
        self.merge4 = conv(32, 32)
        # One shared 3 x 3 layer feeds the three 1 x 1 outputs: at stride 4 every full-size
        # layer costs as much as the whole backbone below it, at stride 2 four times as much,
        # hence its 16 channels there.
        head = 32 if stride == 4 else 16
        if stride == 2:
            self.top4 = conv(32, 16, kernel=1)
            self.lateral2 = conv(16, 16, kernel=1)
            self.merge2 = conv(16, 16)
        self.shared = conv(head, head)
        self.heat = nn.Conv2d(head, classes, 1)
        self.size = nn.Conv2d(head, 2, 1)
        self.offset = nn.Conv2d(head, 2, 1)
        # Start with a low prior so the focal loss is not swamped by background cells.
        nn.init.constant_(self.heat.bias, -4.0)

    def forward(self, x):
        c2 = self.stem[0](x)
        c4 = self.stem[1](c2)
        c8 = self.down8(c4)
        c16 = self.down16(c8)
        p8 = self.merge8(c8 + upsampled(self.top16(c16)))
        p4 = self.merge4(self.lateral4(c4) + upsampled(self.top8(p8)))
        top = p4 if self.stride == 4 else self.merge2(self.lateral2(c2) + upsampled(self.top4(p4)))
        features = self.shared(top)
        return self.heat(features), self.size(features), self.offset(features)


def upsampled(x):
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


def peak_scores(heat, offset, stride):
    """Sigmoid scores with non-peak cells zeroed (3 x 3 max-pool), and each cell's centre in input
    pixels (cx, cy) from its offset."""
    scores = torch.sigmoid(heat)
    peaks = F.max_pool2d(scores, 3, stride=1, padding=1)
    scores = scores * (scores == peaks).to(scores.dtype)
    _, _, rows, cols = scores.shape
    ys = torch.arange(rows, dtype=scores.dtype).view(1, 1, rows, 1).expand(1, 1, rows, cols)
    xs = torch.arange(cols, dtype=scores.dtype).view(1, 1, 1, cols).expand(1, 1, rows, cols)
    return scores, (xs + offset[:, 0:1]) * stride, (ys + offset[:, 1:2]) * stride


def export_onnx(module, path, channels=3):
    """Exports `module` (image in [0, 1] NCHW at the fixed input size: RGB, then any extra planes)
    as ONNX opset 17."""
    module.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        module,
        (torch.zeros(1, channels, INPUT_HEIGHT, INPUT_WIDTH),),
        str(path),
        opset_version=17,
        input_names=["images"],
        output_names=["output0"],
        dynamo=False,
    )


class Exported(nn.Module):
    """The detector with decoding: image in [0, 1] RGB NCHW -> [1, 4 + nc, N]."""

    def __init__(self, detector):
        super().__init__()
        self.detector = detector

    def forward(self, image):
        heat, size, offset = self.detector(image)
        stride = self.detector.stride
        scores, cx, cy = peak_scores(heat, offset, stride)
        wh = torch.exp(size.clamp(max=8.0)) * stride
        boxes = torch.cat([cx, cy, wh[:, 0:1], wh[:, 1:2]], dim=1)
        return torch.cat([boxes, scores], dim=1).flatten(2)
