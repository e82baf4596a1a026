"""`python -m asnet.train.project`: how long the whole curriculum takes on this device for a corpus
of a given size (default LibriSeVoc-like: 92,000 training clips), and whether the data path
keeps the accelerator busy. Run by scripts/gpu_check.sh between and after the benchmarks:

    prepare  synthetic training shards (seeded speech-like audio, asnet.models.bench) and one
             params file per crop length, with the batch size to measure, for `asnet bench train`
    report   reads the JSON of `asnet bench train` (clips/s of every stage, the host side made as
             training makes it: inline on CPU, DataLoader workers on CUDA) and of `asnet bench
             model`; times what the host does per batch (numpy crops from the memory-mapped shard,
             the pseudo-outlier and training-shift transforms, host -> device copies, pageable and
             pinned); projects each stage's epoch and the curriculum; prints and writes JSON.

Projection: a stage takes epochs x (steps x batch / clips_per_s + dev clips / eval clips_per_s);
steps = params' steps_per_epoch, or one pass over the corpus where it is null ("as_params"), and
one pass for every stage ("full_pass"). The dev rate is `asnet bench model`'s, scaled by clip
length. The host share of a step is the host time over the measured step time; the DataLoader
(asnet.train.loader) hides it when it has at least `workers_needed` = ceil(host share) workers
assembling (and transforming) the next batches into pinned memory while the GPU steps.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import yaml

from asnet.params_log import copy_tree
from asnet.utils import DEFAULT_PARAMS, load_params, write_json

BASE_GOAL_CLIPS_PER_S = 3000.0  # base stage, 4-second crops, one H100-class GPU (issue 15)
DISTINCT_CLIPS = 32              # synthetic clips generated; the others are shifted copies of them
TRANSFORM_SAMPLE = 24            # clips of a batch the host transforms are timed on (a whole batch takes seconds)
# Stages whose objective draws host-side transforms per step (the curriculum is cumulative).
OUTLIER_STAGES = ("energy", "ood", "adv")
SHIFT_STAGES = ("ood", "adv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    prepare = actions.add_parser("prepare", help="synthetic shards + one bench params file per crop length")
    prepare.add_argument("--out", required=True, help="folder: <out>/train/ shards, <out>/params-<crop>s.yaml")
    prepare.add_argument("--params", default=DEFAULT_PARAMS)
    prepare.add_argument("--clips", type=int, default=512, help="clips in the synthetic train split")
    prepare.add_argument("--crops", type=float, nargs="+", default=[4.0, 6.0], help="crop lengths, seconds")
    prepare.add_argument("--batch", type=int, default=256, help="train.common.batch_size of the bench params")
    report = actions.add_parser("report", help="host costs per batch + curriculum projection")
    report.add_argument("--shards", required=True, help="the synthetic train split (`prepare`)")
    report.add_argument("--params", required=True, help="the bench params of the projected crop length")
    report.add_argument("--train-bench", required=True, help="`asnet bench train` JSON at those params")
    report.add_argument("--goal-bench", help="`asnet bench train` JSON at 4-second crops (the base goal)")
    report.add_argument("--model-bench", help="`asnet bench model` JSON (dev scoring rate)")
    report.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")
    report.add_argument("--train-clips", type=int, default=92_000, help="training clips of the projected corpus")
    report.add_argument("--dev-clips", type=int, default=18_000, help="dev clips scored after every epoch")
    report.add_argument("--dev-seconds", type=float, default=6.0, help="mean dev clip length, seconds")
    report.add_argument("--batches", type=int, default=5, help="batches timed for each host cost")
    report.add_argument("--out", default="results/bench/curriculum.json")


# ---------------------------------------------------------------- prepare
def write_synthetic_shards(out_dir: Path, clips: int, seconds: float, sample_rate: int, seed: int = 0) -> None:
    """`clips` clips of `seconds`..1.25x`seconds` (so crops start anywhere), half bona fide."""
    from asnet.data.shards import ShardWriter
    from asnet.models.bench import synthetic_speech

    rng = np.random.default_rng(seed)
    longest = round(1.25 * seconds * sample_rate)
    pool = synthetic_speech(min(clips, DISTINCT_CLIPS), longest, sample_rate, seed)
    with ShardWriter(out_dir) as writer:
        for i in range(clips):
            length = int(rng.integers(round(seconds * sample_rate), longest + 1))
            wave = np.roll(pool[i % len(pool)], int(rng.integers(longest)))[:length]
            clip = SimpleNamespace(utt_id=f"synthetic_{i:06d}", label="bonafide" if i % 2 else "spoof",
                                   system="bonafide" if i % 2 else "synthetic", speaker=f"speaker_{i % 16}")
            writer.add(clip, wave)


def bench_params(params: dict, crop_seconds: float, batch: int) -> dict:
    """params with the crop length and batch size to measure (everything else as given)."""
    params = copy_tree(params)
    params["base"]["clip_seconds"] = crop_seconds
    params["train"]["common"]["batch_size"] = batch
    return params


def prepare(args: argparse.Namespace) -> int:
    out = Path(args.out)
    params = load_params(args.params)
    started = time.perf_counter()
    write_synthetic_shards(out / "train", args.clips, max(args.crops), params["base"]["sample_rate"])
    for crop in args.crops:
        (out / f"params-{crop:g}s.yaml").write_text(yaml.safe_dump(bench_params(params, crop, args.batch), sort_keys=False))
    print(f"wrote {args.clips} synthetic clips to {out / 'train'} and {len(args.crops)} params files "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


# ---------------------------------------------------------------- host costs
def median_ms(fn, repeats: int) -> float:
    """Median wall ms of `repeats` calls after an untimed one (codec set-up, first-touch pages)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def host_costs(shards, params: dict, device, batches: int) -> dict:
    """Median ms per batch of each piece of host work a training step does."""
    import torch

    from asnet.shift import pools
    from asnet.train.data import cut_batch, plan_epoch, trainable_labels

    batch = params["train"]["common"]["batch_size"]
    crop = round(params["base"]["clip_seconds"] * params["base"]["sample_rate"])
    rng = np.random.default_rng(0)
    labels = trainable_labels(shards)
    stream = iter(plan_epoch(shards, labels, batch, batches + 2, crop, rng))
    waves = cut_batch(shards, next(stream), crop)
    costs = {"assembly": median_ms(lambda: cut_batch(shards, next(stream), crop), batches)}
    sample = waves[:TRANSFORM_SAMPLE]  # transforms cost per clip: timed on a few, scaled to the batch
    for name, pool in (("outliers", pools.pseudo_outliers(params)), ("shifts", pools.train_shifts(params))):
        transforms = [pool[key] for key in sorted(pool)]
        per_sample = median_ms(lambda: [transforms[i % len(transforms)](w, rng) for i, w in enumerate(sample)], batches)
        costs[name] = per_sample * len(waves) / len(sample)
    if device.type == "cuda":
        sync = torch.cuda.synchronize
        costs["copy_pageable"] = median_ms(lambda: (torch.as_tensor(waves, device=device), sync()), batches)
        pinned = torch.from_numpy(waves).pin_memory()
        costs["pin"] = median_ms(lambda: torch.from_numpy(waves).pin_memory(), batches)
        costs["copy_pinned"] = median_ms(lambda: (pinned.to(device, non_blocking=True), sync()), batches)
    return costs


def host_ms(stage: str, costs: dict) -> float:
    """Host work of one step of `stage` done inline today: assembly, transforms, the pageable copy."""
    total = costs["assembly"] + costs.get("copy_pageable", 0.0)
    total += costs["outliers"] if stage in OUTLIER_STAGES else 0.0
    total += costs["shifts"] if stage in SHIFT_STAGES else 0.0
    return total


# ---------------------------------------------------------------- projection
def eval_clips_per_s(model_bench: dict | None, dev_seconds: float) -> float | None:
    """Dev scoring rate at `dev_seconds` per clip, from `asnet bench model` (bf16 on CUDA)."""
    if model_bench is None:
        return None
    measured = model_bench.get("model_eval_bf16") or model_bench["model_eval"]
    return measured["clips_per_s"] * model_bench["clip_seconds"] / dev_seconds


def project(train_bench: dict, params: dict, train_clips: int, dev_clips: int, dev_rate: float | None) -> dict:
    batch = params["train"]["common"]["batch_size"]
    full_pass = math.ceil(train_clips / batch)
    dev_s = dev_clips / dev_rate if dev_rate else 0.0
    stages = {}
    for stage in curriculum_order(train_bench, params):
        measured, own = train_bench["stages"][stage], params["train"][stage]
        step_s = batch / measured["clips_per_s"]
        steps = own["steps_per_epoch"] or full_pass
        stages[stage] = {
            "epochs": own["epochs"], "steps_per_epoch": steps, "step_s": step_s,
            "full_pass_epoch_h": (full_pass * step_s + dev_s) / 3600,
            "as_params_h": own["epochs"] * (steps * step_s + dev_s) / 3600,
            "full_pass_h": own["epochs"] * (full_pass * step_s + dev_s) / 3600,
        }
    return {
        "train_clips": train_clips, "dev_clips": dev_clips, "batch": batch, "steps_per_full_pass": full_pass,
        "dev_scoring_s_per_epoch": dev_s if dev_rate else None,
        "stages": stages,
        "curriculum_as_params_h": sum(s["as_params_h"] for s in stages.values()),
        "curriculum_full_pass_h": sum(s["full_pass_h"] for s in stages.values()),
    }


def curriculum_order(train_bench: dict, params: dict) -> list[str]:
    """The benchmarked stages in params' order (the bench JSON has its keys sorted)."""
    return [stage for stage in params["train"] if stage in train_bench["stages"]]


def data_path(train_bench: dict, costs: dict) -> dict:
    """Per stage: host ms per step against the measured step, and the loader workers that hide it."""
    batch = train_bench["batch_size"]
    verdicts = {}
    for stage, measured in train_bench["stages"].items():
        step_ms = 1000 * batch / measured["clips_per_s"]
        share = host_ms(stage, costs) / step_ms
        verdicts[stage] = {"step_ms": step_ms, "host_ms": host_ms(stage, costs), "host_share": share,
                           "workers_needed": max(1, math.ceil(share))}
    return verdicts


def base_goal(goal_bench: dict | None) -> dict | None:
    if goal_bench is None:
        return None
    measured = goal_bench["stages"]["base"]["clips_per_s"]
    return {"goal_clips_per_s": BASE_GOAL_CLIPS_PER_S, "crop_seconds": goal_bench["crop_seconds"],
            "measured_clips_per_s": measured, "met": goal_bench["crop_seconds"] == 4.0 and measured >= BASE_GOAL_CLIPS_PER_S}


def read_json(path: str | None) -> dict | None:
    return json.loads(Path(path).read_text()) if path else None


def report(args: argparse.Namespace) -> int:
    from asnet.data.shards import WaveShards
    from asnet.train.trainer import select_device

    params = load_params(args.params)
    train_bench = read_json(args.train_bench)
    device = select_device(args.device)
    costs = host_costs(WaveShards(args.shards), params, device, args.batches)
    result = {
        "device": train_bench["device"], "crop_seconds": params["base"]["clip_seconds"],
        "host_ms_per_batch": costs,
        "data_path": data_path(train_bench, costs),
        "projection": project(train_bench, params, args.train_clips, args.dev_clips,
                              eval_clips_per_s(read_json(args.model_bench), args.dev_seconds)),
        "base_goal": base_goal(read_json(args.goal_bench)),
    }
    write_json(args.out, result)
    print_report(result)
    return 0


def print_report(result: dict) -> None:
    costs = ", ".join(f"{name} {ms:.1f}" for name, ms in result["host_ms_per_batch"].items())
    print(f"{result['device']}, {result['crop_seconds']:g} s crops; host ms per batch: {costs}")
    projection = result["projection"]
    for stage, row in projection["stages"].items():
        path = result["data_path"][stage]
        print(f"{stage:>6}: step {path['step_ms']:8.1f} ms, host {path['host_share']:6.1%}"
              f" (loader workers needed: {path['workers_needed']}); one pass over "
              f"{projection['train_clips']:,} clips {row['full_pass_epoch_h']:.2f} h; "
              f"{row['epochs']} epochs x {row['steps_per_epoch']} steps {row['as_params_h']:.2f} h")
    print(f"curriculum: {projection['curriculum_as_params_h']:.2f} h as params say, "
          f"{projection['curriculum_full_pass_h']:.2f} h with full-pass epochs")
    goal = result["base_goal"]
    if goal:
        print(f"base goal >= {goal['goal_clips_per_s']:,.0f} clips/s at 4 s: measured "
              f"{goal['measured_clips_per_s']:,.0f} at {goal['crop_seconds']:g} s -> {'MET' if goal['met'] else 'NOT MET'}")


def main(args: argparse.Namespace) -> int:
    return prepare(args) if args.action == "prepare" else report(args)


if __name__ == "__main__":
    import sys

    parser = argparse.ArgumentParser(prog="python -m asnet.train.project", description=__doc__.split("\n")[0])
    add_arguments(parser)
    sys.exit(main(parser.parse_args()))
