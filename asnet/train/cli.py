"""`asnet train`: train one stage of a run (a curriculum stage of ASNet, a baseline, the trivial-cue model).

    asnet train --run asnet_s0 --stage sam --cache data/cache/demo --out results/models/asnet_s0/sam \\
        --init results/models/asnet_s0/base [--params params.yaml] [--device auto]

--run names a run of params `runs` (entry and seed: asnet.runs): the stage sees params with the
run's overrides and seed applied, and builds the run's model config. Without --run, params are
used as they are (params `model`, seed --seed). Reads <cache>/train and <cache>/dev; writes the
checkpoint (weights, checkpoint.json, dev_scores.tsv) to --out, the DVCLive training curves to
--live (default results/train/<run>/<stage>) and its resume state to --resume-dir (default
results/models/<run>/.resume/<stage>; removed when the stage completes). The logic lives in
asnet.train.trainer.run_stage.

--processes N (default: environment ASNET_PROCESSES, else 1) trains data-parallel: the command
replaces itself by `torchrun --standalone --nproc_per_node N --no-python asnet train ...` (the
same arguments), one process per GPU (asnet.train.distributed). An execution choice, not a
params value: the weights do not depend on it beyond float rounding, so changing it reruns nothing.
"""
from __future__ import annotations

import argparse
import os
import sys

from asnet.utils import DEFAULT_PARAMS, load_params


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, help="base | sam | energy | ood | adv")
    parser.add_argument("--run", default=None, help="run id from params runs, e.g. asnet_s0 (default: params as they are)")
    parser.add_argument("--seed", type=int, default=0, help="seed without --run (a run's seed comes from params runs)")
    parser.add_argument("--processes", type=int, default=int(os.environ.get("ASNET_PROCESSES", "1")),
                        help="data-parallel processes, under torchrun (default: $ASNET_PROCESSES, else 1)")
    parser.add_argument("--cache", required=True, help="shard directory with train/ and dev/ (e.g. data/cache/demo)")
    parser.add_argument("--out", required=True, help="checkpoint directory to write")
    parser.add_argument("--init", default=None, help="checkpoint directory to warm-start from (the previous stage)")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--live", default=None, help="DVCLive directory (default: results/train/<run>/<stage>)")
    parser.add_argument("--resume-dir", default=None,
                        help="where the epoch state is kept (default: <out>/../.resume/<stage>)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")
    parser.add_argument("--loader-workers", type=int, default=None,
                        help="DataLoader workers for crops and per-sample draws (default: 0 on CPU; on CUDA "
                             "this process's share of the CPUs - 1, 1-8); the weights do not depend on it")


def relaunch_under_torchrun(processes: int) -> None:
    """Replace this process by torchrun running this same command on `processes` processes."""
    os.execvp("torchrun", ["torchrun", "--standalone", "--nproc_per_node", str(processes), "--no-python",
                           "asnet", *sys.argv[1:]])


def main(args: argparse.Namespace) -> int:
    from asnet.runs import find_run, run_params, with_seed

    if args.processes > 1 and "WORLD_SIZE" not in os.environ:  # torchrun sets it in every process it starts
        relaunch_under_torchrun(args.processes)
    from asnet.train.trainer import run_stage

    params = load_params(args.params)
    params = run_params(params, find_run(params, args.run)) if args.run else with_seed(params, args.seed)
    meta = run_stage(
        args.stage, params, args.cache, args.out,
        init=args.init, live_dir=args.live, resume_dir=args.resume_dir, device=args.device, run_id=args.run,
        loader_workers=args.loader_workers,
    )
    if not meta:  # a data-parallel process other than the first: process 0 reports
        return 0
    dev = meta["dev"]
    print(
        f"{args.run or 'params'}/{args.stage}: {meta['epoch']} epochs -> {args.out} | dev AUC {dev['auc']:.4f}"
        f" EER {dev['eer']:.2f}% | T {meta['temperature']:.3f} tau {meta['abstain_threshold']:.3f}"
    )
    return 0
