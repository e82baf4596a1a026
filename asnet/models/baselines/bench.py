"""`asnet bench baselines`: size and CPU speed of every baseline of params `baselines`, and of the
published AASIST weights; prints and writes JSON.

For each neural baseline:
- parameters;
- one training step: --batch clips of 1 s, forward + cross-entropy + backward + AdamW step (train mode);
- inference (eval mode, inference_mode): clips/s on --batch clips of 1 s and --long-batch clips of 4 s.
For the published AASIST and AASIST-L: inference on --long-batch clips of 4.04 s (their input size).
For the trivial-cue model: the time `fit` takes on <--cache>/train (when given) and its inference.
Each figure is the median of --repeats timed runs after one warm-up, with the CPU time the process
used beside it (`cpu_*`, all threads together): on a shared machine the wall times carry other
jobs' load (the JSON records the load average), CPU time per clip is the steadier figure.
Inputs are asnet.models.bench.synthetic_speech (seeded).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from asnet.utils import load_params, write_json

PUBLISHED_SAMPLES = 64600


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default="params.yaml", help="its `baselines` section names what is timed")
    parser.add_argument("--out", default="results/bench/baselines.json")
    parser.add_argument("--only", nargs="*", default=None, help="names of params baselines to time (default: all)")
    parser.add_argument("--batch", type=int, default=32, help="clips per training step and per 1 s inference batch")
    parser.add_argument("--long-batch", type=int, default=8, help="clips per 4 s inference batch")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (after one warm-up)")
    parser.add_argument("--cache", default=None, help="shard directory whose train/ split times the trivial model's fit")


def timed(fn, repeats: int) -> dict:
    """Median wall and CPU seconds of `repeats` calls after one warm-up."""
    from asnet.models.bench import run_times

    times = run_times(fn, repeats)
    return {"seconds": statistics.median(w for w, _ in times), "cpu_seconds": statistics.median(c for _, c in times)}


def inference(model, wave, repeats: int) -> dict:
    import torch

    model.eval()
    with torch.inference_mode():
        t = timed(lambda: model(wave), repeats)
    return {**t, "clips": len(wave), "clip_seconds": wave.shape[1] / 16000, "clips_per_s": len(wave) / t["seconds"],
            "clips_per_cpu_s": len(wave) / t["cpu_seconds"]}


def train_step(model, wave, repeats: int) -> dict:
    import torch

    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    labels = torch.arange(len(wave)) % 2

    def step():
        loss = torch.nn.functional.cross_entropy(model(wave).logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return {**timed(step, repeats), "clips": len(wave), "clip_seconds": wave.shape[1] / 16000}


def measure_neural(config: dict, args, short, long) -> dict:
    from asnet.models import build_model, count_parameters

    model = build_model(config)
    return {"parameters": count_parameters(model), "train_step_1s": train_step(model, short, args.repeats),
            "inference_1s": inference(model, short, args.repeats), "inference_4s": inference(model, long, args.repeats)}


def measure_trivial(config: dict, args, short, long) -> dict:
    from asnet.data.shards import WaveShards
    from asnet.models.baselines.trivial import build, fit

    result = {"parameters": 0}
    model = build(config)
    if args.cache:
        train = WaveShards(Path(args.cache) / "train")
        wall, cpu = time.perf_counter(), time.process_time()
        model = fit(train, config, seed=0)
        result["fit"] = {"clips": len(train), "seconds": time.perf_counter() - wall,
                         "cpu_seconds": time.process_time() - cpu}
    return {**result, "inference_1s": inference(model, short, args.repeats),
            "inference_4s": inference(model, long, args.repeats)}


def measure_published(variant: str, args) -> dict:
    import torch

    from asnet.models.baselines.aasist import PUBLISHED
    from asnet.models.bench import synthetic_speech
    from asnet.models.baselines.published_weights import load_published

    wave = torch.from_numpy(synthetic_speech(args.long_batch, PUBLISHED_SAMPLES, 16000, seed=2))
    return {"inference_4.04s": inference(load_published(PUBLISHED / f"{variant}.pth", variant), wave, args.repeats)}


def main(args: argparse.Namespace) -> int:
    import torch

    from asnet.models.bench import synthetic_speech

    baselines = load_params(args.params)["baselines"]
    names = args.only if args.only is not None else list(baselines)
    short = torch.from_numpy(synthetic_speech(args.batch, 16000, 16000, seed=0))
    long = torch.from_numpy(synthetic_speech(args.long_batch, 64000, 16000, seed=1))
    results = {"threads": torch.get_num_threads(), "batch": args.batch, "long_batch": args.long_batch}
    for name in names:
        config = baselines[name]
        measure = measure_trivial if config["architecture"] == "trivial" else measure_neural
        results[name] = measure(config, args, short, long)
        print(name, summary(results[name]), flush=True)
    for variant in ("AASIST", "AASIST-L"):
        results[f"published_{variant}"] = measure_published(variant, args)
        print(f"published {variant}", summary(results[f"published_{variant}"]), flush=True)
    results["load_average_1min"] = os.getloadavg()[0]
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


def summary(result: dict) -> str:
    parts = [f"{result['parameters']:,} params"] if "parameters" in result else []
    for key, value in result.items():
        if isinstance(value, dict):
            rate = f", {value['clips_per_s']:.1f} clips/s" if "clips_per_s" in value else ""
            parts.append(f"{key} {value['seconds']:.2f} s (cpu {value['cpu_seconds']:.2f} s){rate}")
    return " | ".join(parts)
