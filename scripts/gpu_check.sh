#!/usr/bin/env bash
# One pass of every speed check on a lent GPU machine (or, with --device cpu and tiny settings, in
# CI: tests/test_gpu_check.py). Each step has its own time box and the run has a deadline, a failing
# step is logged and the next one runs; everything goes to OUT_DIR:
#   gpu_check.log        the whole output          gpu_check.json   every step's status + results
#   bench_model.json     asnet bench model         bench_train_<crop>s.json   asnet bench train
#   bench_attack.json    asnet bench attack (skipped while `asnet bench attack --help` fails)
#   curriculum.json      host cost per batch, loader workers needed, curriculum projection (asnet.train.project)
#
#   scripts/gpu_check.sh OUT_DIR [--device cuda|cpu] [--batch 256] [--crops "4 6"] [--clips 512]
#       [--steps 2] [--repeats 3] [--attack-clips 16] [--train-clips 92000] [--dev-clips 18000] [--deadline 420]
#
# The first crop length is the goal's (base >= 3,000 four-second clips/s on one H100-class GPU), the
# last the projection's (LibriSeVoc-like: 6 s crops). Needs a python with torch (PYTHON, default
# python3) and the repository's other requirements; the repository root goes on PYTHONPATH. A CUDA
# image with torch usually lacks librosa, soundfile, soxr, av and torchattacks (pip install
# --no-deps torchattacks==3.5.1): the first step names every package missing and stops the run.
set -u -o pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
OUT=$1; shift
DEVICE=cuda BATCH=256 CROPS="4 6" CLIPS=512 STEPS=2 REPEATS=3 ATTACK_CLIPS=16 TRAIN_CLIPS=92000 DEV_CLIPS=18000 DEADLINE=420
while [ $# -gt 0 ]; do
    case $1 in
        --device) DEVICE=$2 ;; --batch) BATCH=$2 ;; --crops) CROPS=$2 ;; --clips) CLIPS=$2 ;;
        --steps) STEPS=$2 ;; --repeats) REPEATS=$2 ;; --attack-clips) ATTACK_CLIPS=$2 ;;
        --train-clips) TRAIN_CLIPS=$2 ;; --dev-clips) DEV_CLIPS=$2 ;; --deadline) DEADLINE=$2 ;;
        *) usage ;;
    esac
    shift 2
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 ASNET_NO_PROGRESS=1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)              # synthetic shards: large, and not worth bringing back
trap 'rm -rf "$WORK"' EXIT
LOG=$OUT/gpu_check.log STEPS_TSV=$WORK/steps.tsv
: > "$LOG"
START=$SECONDS
ABORT=""
ASNET=("$PYTHON" -m asnet)   # no install needed: the package runs from PYTHONPATH

# step NAME SECONDS COMMAND...: run it under min(SECONDS, time left before the deadline), log it, go on.
step() {
    local name=$1 box=$2; shift 2
    if [ -n "$ABORT" ]; then skip "$name" "$ABORT"; return; fi
    local left=$((DEADLINE - (SECONDS - START) - 5))
    local limit=$((box < left ? box : left))
    if [ "$limit" -le 0 ]; then
        echo "== $name: skipped, deadline reached" | tee -a "$LOG"
        printf '%s\tskipped\t0\t-\tdeadline reached\n' "$name" >> "$STEPS_TSV"
        return
    fi
    echo "== $name (time box ${limit} s): $*" | tee -a "$LOG"
    local began=$SECONDS
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]} status=ok
    [ "$rc" -eq 0 ] || status=failed
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && status=timed_out
    echo "== $name: $status (rc $rc, $((SECONDS - began)) s)" | tee -a "$LOG"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - began))" "$rc" "${*//[$'\t\n']/ }" >> "$STEPS_TSV"
}

skip() {
    echo "== $1: skipped, $2" | tee -a "$LOG"
    printf '%s\tskipped\t0\t-\t%s\n' "$1" "$2" >> "$STEPS_TSV"
}

# First, every package the steps import (cold imports of torch + librosa can take tens of seconds):
# a missing one fails here, not once per step.
step environment 90 "$PYTHON" -c "
import importlib, platform, sys
needed = ['torch', 'numpy', 'scipy', 'yaml', 'safetensors', 'librosa', 'soundfile', 'soxr', 'av', 'torchattacks']
missing = []
for name in needed:
    try:
        importlib.import_module(name)
    except Exception as error:
        missing.append(f'{name} ({type(error).__name__}: {error})')
if missing:
    sys.exit('missing packages: ' + '; '.join(missing))
import torch
print('python', platform.python_version(), '| torch', torch.__version__, '| cuda', torch.version.cuda,
      '| device', torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu', '| threads', torch.get_num_threads())"
case $(tail -n 1 "$STEPS_TSV" | cut -f 2) in failed|timed_out) ABORT="the environment step failed (see its output)" ;; esac
command -v nvidia-smi > /dev/null && step nvidia-smi 15 nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv

step prepare 40 "$PYTHON" -m asnet.train.project prepare --out "$WORK/synthetic" --params "$ROOT/params.yaml" \
    --clips "$CLIPS" --batch "$BATCH" --crops $CROPS
FIRST=${CROPS%% *} LAST=${CROPS##* }

for crop in $CROPS; do
    step "bench_train_${crop}s" 110 "${ASNET[@]}" bench train --device "$DEVICE" --cache "$WORK/synthetic" \
        --params "$WORK/synthetic/params-${crop}s.yaml" --steps "$STEPS" --warmup 1 --out "$OUT/bench_train_${crop}s.json"
done

step bench_model 60 "${ASNET[@]}" bench model --device "$DEVICE" --params "$ROOT/params.yaml" --batch "$BATCH" \
    --train-batch "$BATCH" --seconds "$FIRST" --repeats "$REPEATS" --reference-clips 1 --out "$OUT/bench_model.json"

step curriculum 45 "$PYTHON" -m asnet.train.project report --shards "$WORK/synthetic/train" \
    --params "$WORK/synthetic/params-${LAST}s.yaml" --train-bench "$OUT/bench_train_${LAST}s.json" \
    --goal-bench "$OUT/bench_train_${FIRST}s.json" --model-bench "$OUT/bench_model.json" --device "$DEVICE" \
    --train-clips "$TRAIN_CLIPS" --dev-clips "$DEV_CLIPS" --batches "$REPEATS" --out "$OUT/curriculum.json"

# Last: the attack benchmark gets what is left before the deadline.
if [ -n "$ABORT" ]; then
    skip bench_attack "$ABORT"
elif help=$("${ASNET[@]}" bench attack --help 2>&1); then
    device_flag=(); [[ $help == *--device* ]] && device_flag=(--device "$DEVICE")
    step bench_attack 90 "${ASNET[@]}" bench attack "${device_flag[@]}" --shards "$WORK/synthetic/train" \
        --clips "$ATTACK_CLIPS" --params "$ROOT/params.yaml" --out "$OUT/bench_attack.json"
else
    skip bench_attack "asnet bench attack is not available here: ${help##*$'\n'}"
fi

# Every step's status and every result in one JSON (a result missing where its step failed); exit 1
# when a step failed or timed out.
"$PYTHON" - "$OUT" "$STEPS_TSV" "$((SECONDS - START))" <<'EOF' 2>&1 | tee -a "$LOG"
import json, sys
from pathlib import Path
out, tsv, seconds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
steps = {}
for line in tsv.read_text().splitlines():
    name, status, took, rc, detail = line.split("\t")
    steps[name] = {"status": status, "seconds": int(took), "rc": rc, "command": detail}
results = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json")) if p.name != "gpu_check.json"}
(out / "gpu_check.json").write_text(json.dumps({"seconds": seconds, "steps": steps, "results": results}, indent=2, sort_keys=True))
failed = [name for name, s in steps.items() if s["status"] not in ("ok", "skipped")]
print(f"gpu_check: {len(steps)} steps in {seconds} s, {'failed: ' + ', '.join(failed) if failed else 'none failed'}")
print(f"wrote {out / 'gpu_check.json'}")
sys.exit(1 if failed else 0)
EOF
