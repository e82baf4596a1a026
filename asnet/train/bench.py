"""`asnet bench train`: training throughput of every curriculum stage.

    asnet bench train [--device auto|cpu|cuda] [--cache data/cache/demo] [--steps 5] [--loader-workers N]

For each stage: a freshly seeded model, the stage's full objective and optimizer step (SAM,
pseudo-outliers, shifts, PGD as configured in params) on class-balanced crops of <cache>/train,
the host side made as training makes it (asnet.train.loader: DataLoader workers on CUDA);
`--warmup` untimed steps, then `--steps` timed ones. Reports clips/s and, on CUDA, the peak GPU
memory; prints them and writes results/bench/train.json.
"""
from __future__ import annotations

import argparse
import itertools
import time

from asnet.utils import DEFAULT_PARAMS, load_params, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")
    parser.add_argument("--cache", default="data/cache/demo", help="shard directory with train/")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--steps", type=int, default=5, help="timed optimizer steps per stage")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (allocator, kernels)")
    parser.add_argument("--loader-workers", type=int, default=None,
                        help="DataLoader workers (default as asnet train: 0 on CPU; on CUDA the CPUs - 1, 1-8)")
    parser.add_argument("--out", default="results/bench/train.json")


def bench_stage(stage: str, params: dict, train, device, steps: int, warmup: int, workers: int) -> dict:
    import torch

    from asnet.train.loader import host_batches
    from asnet.train.trainer import Settings, StageTrainer, build_stage_model

    settings = Settings.from_params(stage, params)
    trainer = StageTrainer(settings, params, build_stage_model(params, None, device), train, device)
    # Throughput only: where the abstention target counts errors (training uses the dev EER
    # threshold, asnet.train.trainer) does not change the cost of a step, and there is no dev here.
    trainer.objective.decision_threshold = 0.0
    loader = host_batches(trainer.host_steps(trainer.plan(warmup + steps)), workers, pin_memory=device.type == "cuda")
    batches = iter(loader)
    for host in itertools.islice(batches, warmup):
        trainer.step(host)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start, clips = time.perf_counter(), 0
    for host in batches:
        trainer.step(host)
        clips += settings.batch_size
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    result = {"clips_per_s": clips / (time.perf_counter() - start), "sam": settings.sam_rho is not None}
    if device.type == "cuda":
        result["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return result


def main(args: argparse.Namespace) -> int:
    import torch

    from asnet.data.shards import WaveShards
    from asnet.train.stages import STAGES
    from asnet.train.loader import auto_workers
    from asnet.train.trainer import select_device

    from asnet.runs import with_seed

    params = with_seed(load_params(args.params), 0)  # a bench times steps: any seed does
    device = select_device(args.device)
    train = WaveShards(f"{args.cache}/train")
    workers = auto_workers(device) if args.loader_workers is None else args.loader_workers
    report = {
        "device": (torch.cuda.get_device_name(device) if device.type == "cuda"
                   else f"cpu ({torch.get_num_threads()} threads)"),
        "torch": torch.__version__,
        "batch_size": params["train"]["common"]["batch_size"],
        "crop_seconds": params["base"]["clip_seconds"],
        "train_clips": len(train),
        "steps": args.steps,
        "loader_workers": workers,
        "stages": {},
    }
    for stage in STAGES:
        result = report["stages"][stage] = bench_stage(stage, params, train, device, args.steps, args.warmup, workers)
        memory = f", peak {result['peak_gpu_memory_mb']:.0f} MiB" if "peak_gpu_memory_mb" in result else ""
        print(f"{stage:>6}: {result['clips_per_s']:8.1f} clips/s{memory}")
    write_json(args.out, report)
    print(f"wrote {args.out}")
    return 0
