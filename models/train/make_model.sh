#!/usr/bin/env bash
# `make model`: generate the data, train, export, evaluate through the Rust / ONNX Runtime path,
# and write the model folder (model.onnx, model.toml with its measured figures).
#
# Environment: MODEL_NAME (bs-det-2), TRAIN_MINUTES (65), TRAIN_SEEDS (1..150),
# FRAMES_PER_SEED (16), HELDOUT_SEEDS (9001..9030); the puck network: PUCK_MINUTES (25),
# PUCK_SEEDS (151..400, more frames of the training looks, on top of TRAIN_SEEDS); the detector:
# DETECTOR_STRIDE (4; 2 for bs-det-3's and bs-det-4's stride-2 heads), DETECTOR_SEEDS (none;
# more frames for the detector alone, rendered beside the rest, e.g. 151..300 for bs-det-3 and
# bs-det-4). Wall time on
# the 2-core development machine: about 15 min of data (rendered in parallel), TRAIN_MINUTES of
# detector training, 5 min loading the puck data, PUCK_MINUTES of puck training, 2 min of evaluation.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"
NAME=${MODEL_NAME:-bs-det-2}
MINUTES=${TRAIN_MINUTES:-65}
TRAIN_SEEDS=${TRAIN_SEEDS:-1..150}
FRAMES=${FRAMES_PER_SEED:-16}
HELDOUT_SEEDS=${HELDOUT_SEEDS:-9001..9030}
PUCK_MINUTES=${PUCK_MINUTES:-25}
PUCK_SEEDS=${PUCK_SEEDS:-151..400}
DETECTOR_STRIDE=${DETECTOR_STRIDE:-4}
DETECTOR_SEEDS=${DETECTOR_SEEDS:-}
# Class-wise NMS overlap: at stride 2 the detector separates skaters overlapping more than that.
NMS_IOU=${NMS_IOU:-$([[ $DETECTOR_STRIDE == 2 ]] && echo 0.65 || echo 0.5)}
WORK="$ROOT/.work/model"
VENV="$ROOT/.venv-train"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$WORK"
# The simulator version that renders the data (taken now: the tree may change while training runs).
SIM_VERSION=$(git describe --always --dirty 2>/dev/null || echo unknown)

if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -r models/train/requirements.txt
scripts/bootstrap >/dev/null
ORT_DYLIB_PATH=$(sed -n 's/^ORT_DYLIB_PATH=//p' .cache/onnxruntime/env)
export ORT_DYLIB_PATH
cargo build --release --workspace --quiet

# The renderer is single-threaded: the puck data renders beside the rest, one per core. Each
# frame comes with its predecessor (previous/), which the puck network reads.
if [[ ! -d $WORK/puck-data/previous ]]; then
    "$TARGET/release/benchsight-sim" dataset --seeds "$PUCK_SEEDS" --frames-per-seed "$FRAMES" \
        --profiles arena,community --val-every 0 --game-seconds 300 --previous-gap 3 --vary-lighting \
        --out "$WORK/puck-data" 2> "$WORK/puck-data.log" &
fi
DETECTOR_DATA=(--data "$WORK/train-data")
if [[ -n $DETECTOR_SEEDS ]]; then
    DETECTOR_DATA+=(--data "$WORK/detector-data-$DETECTOR_SEEDS")
    if [[ ! -d $WORK/detector-data-$DETECTOR_SEEDS/images ]]; then
        "$TARGET/release/benchsight-sim" dataset --seeds "$DETECTOR_SEEDS" --frames-per-seed "$FRAMES" \
            --profiles arena,community --game-seconds 300 --vary-lighting \
            --out "$WORK/detector-data-$DETECTOR_SEEDS" 2> "$WORK/detector-data.log" &
    fi
fi
if [[ ! -d $WORK/train-data/previous ]]; then
    "$TARGET/release/benchsight-sim" dataset --seeds "$TRAIN_SEEDS" --frames-per-seed "$FRAMES" \
        --profiles arena,community --game-seconds 300 --previous-gap 3 --vary-lighting --out "$WORK/train-data"
fi
if [[ ! -d $WORK/heldout/previous ]]; then
    "$TARGET/release/benchsight-sim" dataset --seeds "$HELDOUT_SEEDS" --frames-per-seed 10 \
        --profiles heldout --val-every 1 --game-seconds 300 --previous-gap 3 --out "$WORK/heldout"
fi
wait_all() {
    local job
    for job in $(jobs -p); do wait "$job"; done
}
wait_all

started=$(date +%s)
(cd models/train && "$VENV/bin/python" train.py "${DETECTOR_DATA[@]}" --out "$WORK/$NAME.onnx" --minutes "$MINUTES" \
    --stride "$DETECTOR_STRIDE")
trained=$(( ($(date +%s) - started) / 60 ))
started=$(date +%s)
# The puck network's operating score comes from the training data's validation split.
(cd models/train && "$VENV/bin/python" puck.py --data "$WORK/train-data" --data "$WORK/puck-data" \
    --out "$WORK/$NAME-puck.onnx" --minutes "$PUCK_MINUTES")
puck_trained=$(( ($(date +%s) - started) / 60 ))
PUCK_SCORE=$("$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["score"])' "$WORK/$NAME-puck.json")
PUCK_FRAMES=$("$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("frames", 1))' "$WORK/$NAME-puck.json")

cat > "$WORK/training.json" <<JSON
{"framework": "PyTorch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')",
 "simulator": "benchsight-sim $SIM_VERSION",
 "train_seeds": "$TRAIN_SEEDS", "frames_per_seed": $FRAMES, "profiles": ["arena", "community"],
 "heldout_seeds": "$HELDOUT_SEEDS", "heldout_profile": "heldout",
 "device": "$("$VENV/bin/python" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')",
 "train_minutes": $trained,
 "detector_stride": $DETECTOR_STRIDE, "detector_extra_seeds": "$DETECTOR_SEEDS",
 "lighting": "varied per seed (benchsight-sim dataset --vary-lighting)",
 "puck_seeds": "$TRAIN_SEEDS, $PUCK_SEEDS", "puck_train_minutes": $puck_trained}
JSON
(cd models/train && "$VENV/bin/python" card.py --onnx "$WORK/$NAME.onnx" --out "$ROOT/models/$NAME" \
    --puck-onnx "$WORK/$NAME-puck.onnx" --puck-score "$PUCK_SCORE" --puck-frames "$PUCK_FRAMES" --training "$WORK/training.json" \
    --nms-iou "$NMS_IOU")
"$TARGET/release/benchsight-edge" eval-detector --model "models/$NAME" --dataset "$WORK/heldout" --json "$WORK/eval.json"
(cd models/train && "$VENV/bin/python" card.py --onnx "$ROOT/models/$NAME/model.onnx" --out "$ROOT/models/$NAME" \
    --puck-onnx "$ROOT/models/$NAME/puck.onnx" --puck-score "$PUCK_SCORE" --puck-frames "$PUCK_FRAMES" \
    --training "$WORK/training.json" --metrics "$WORK/eval.json" --nms-iou "$NMS_IOU")
echo "model: models/$NAME (held-out figures in models/$NAME/model.toml)"
