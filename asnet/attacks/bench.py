"""`asnet bench attack`: how long each attack of `asnet attack` takes, on CPU and on CUDA when present.

    asnet bench attack [--checkpoint DIR] [--shards data/cache/demo/eval] [--clips 32] [--seconds 1.0]
        [--threads N] [--params params.yaml] [--out results/bench/attack.json]

Each attack runs exactly as the suites run it (all its budgets, the params settings) on a
class-balanced subset of --clips clips of --seconds each. Reported per attack: wall seconds,
clips/s = clips x budgets / seconds (a minimum-norm attack serves all its budgets with one run)
and CPU seconds (process time: with --threads 1, what the attack costs on an idle core however
loaded the machine is); per suite: the sums over its attacks, i.e. what `asnet attack --suite`
spends attacking (start-up and the clean pass come on top). Without --checkpoint the model is a freshly
initialised params `model` (untrained: the cost per step is a trained model's, but early-stopping
attacks such as Square, FAB and CW stop at different points); its operating point is then fitted
on the bench clips themselves, which only a benchmark may do.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, load_params, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=None, help="checkpoint directory (default: an untrained params model)")
    parser.add_argument("--shards", default="data/cache/demo/eval", help="waveform shard directory the clips come from")
    parser.add_argument("--clips", type=int, default=None, help="clips attacked (default: params attack.clips)")
    parser.add_argument("--seconds", type=float, default=None, help="clip length (default: params attack.clip_seconds)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--out", default="results/bench/attack.json")


def bench_point(model, waves, labels, batch_size: int):
    """An operating point fitted on the bench clips themselves (untrained model only)."""
    import numpy as np
    import torch

    from asnet.attacks.target import OperatingPoint
    from asnet.eval.metrics import compute_eer

    with torch.no_grad():
        outs = [model(waves[i : i + batch_size]) for i in range(0, len(waves), batch_size)]
    score, energy, abstain = (torch.cat([getattr(o, f) for o in outs]).float().cpu().numpy()
                              for f in ("score", "energy", "abstain"))
    return OperatingPoint(compute_eer(score[labels == 1], score[labels == 0])[1], float(energy.max()),
                          float(np.quantile(abstain, 0.9)), 1.0)


def bench_device(device, args, params: dict, config) -> dict:
    import dataclasses

    import torch

    from asnet.attacks.eot import EOT
    from asnet.attacks.runner import Runner
    from asnet.attacks.subset import draw_subset
    from asnet.attacks.suite import plan
    from asnet.attacks.target import AttackTarget, OperatingPoint
    from asnet.checkpoint import load_checkpoint
    from asnet.data.shards import WaveShards
    from asnet.models import build_model

    subset = draw_subset(WaveShards(args.shards), config.clips, config.clip_samples, config.seed)
    if args.checkpoint:
        model, meta = load_checkpoint(args.checkpoint, str(device))
        point = OperatingPoint.from_meta(meta)
    else:
        torch.manual_seed(config.seed)
        model = build_model({"architecture": "asnet", **params["model"]}).to(device).eval()
        point = bench_point(model, torch.from_numpy(subset.waves).to(device), subset.labels, config.batch_size)
    target = AttackTarget(model, point, EOT.from_params(config.eot, config.sample_rate))
    # Runner.attack never writes: the bench only times it
    runner = Runner(target, subset, config, {"checkpoint": args.checkpoint or "untrained"}, Path(args.out).parent, device)
    # suites with their own subset (attack.suite_subsets: the claims suite) are sized by `asnet bench attack-cost`
    suites = {name: attacks for name, attacks in config.suites.items() if name not in config.suite_subsets}
    attacks, jobs = {}, {job.attack: job for suite in suites for job in plan(config, suite)}
    for name, job in jobs.items():
        start, cpu_start = time.perf_counter(), time.process_time()
        runner.attack(job)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        attacks[name] = {"seconds": seconds, "cpu_s": cpu, "budgets": len(job.budgets),
                         "clips_per_s": len(subset.utt_id) * len(job.budgets) / seconds}
        print(f"{device.type:>4} {name:<24}{seconds:8.1f} s {attacks[name]['clips_per_s']:8.2f} clips/s"
              f" ({cpu:.1f} CPU s)")
    suites = {suite: {key: sum(attacks[name][key] for name in names) for key in ("seconds", "cpu_s")}
              for suite, names in suites.items()}
    for suite, total in suites.items():
        print(f"{device.type:>4} suite {suite:<18}{total['seconds']:8.1f} s ({total['cpu_s']:.1f} CPU s)")
    return {"device": (torch.cuda.get_device_name(device) if device.type == "cuda"
                       else f"cpu ({torch.get_num_threads()} threads)"),
            "clips": len(subset.utt_id), "clip_seconds": config.clip_seconds,
            "settings": {k: v for k, v in dataclasses.asdict(config).items() if k != "suites"},
            "attacks": attacks, "suites": suites}


def main(args: argparse.Namespace) -> int:
    import dataclasses

    import torch

    from asnet.attacks.config import ConfigError
    from asnet.attacks.suite import read_config

    import sys

    if not (Path(args.shards) / "index.csv").is_file():
        print(f"asnet bench attack: error: {args.shards} is not a waveform shard directory (no index.csv)", file=sys.stderr)
        return 2
    params = load_params(args.params)
    try:
        config = read_config(params)
    except ConfigError as error:
        print(f"asnet bench attack: error: {error}", file=sys.stderr)
        return 2
    overrides = {k: v for k, v in (("clips", args.clips), ("clip_seconds", args.seconds)) if v is not None}
    config = dataclasses.replace(config, **overrides)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    report = {"torch": torch.__version__, "checkpoint": args.checkpoint,
              "devices": {d.type: bench_device(d, args, params, config) for d in devices}}
    write_json(args.out, report)
    print(f"wrote {args.out}")
    return 0
