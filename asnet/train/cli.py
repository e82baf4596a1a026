"""`asnet train`: train one stage of a run (a curriculum stage of ASNet, a baseline, the trivial-cue model).

    asnet train --run asnet_s0 --stage sam --cache data/cache/demo --out results/models/asnet_s0/sam \\
        [--init results/models/asnet_s0/base] [--params params.yaml] [--device auto]

--run names a run of params `runs` (entry and seed: asnet.runs): the stage sees params with the
run's overrides and seed applied, and builds the run's model config; --stage must be one of the
run's stages, and --init defaults to the checkpoint of the run's previous stage
(results/models/<run>/<previous stage>; missing, it is an error, never a start from random
weights). Without --run, params are used as they are (params `model`, seed --seed), and every
curriculum stage after the first needs --init. Unknown runs and stages, and a missing previous
checkpoint, are user errors (one line, exit 2). Reads <cache>/train and <cache>/dev; writes the
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
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, load_params


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, help="base | sam | energy | ood | adv")
    parser.add_argument("--run", default=None, help="run id from params runs, e.g. asnet_s0 (default: params as they are)")
    parser.add_argument("--seed", type=int, default=0, help="seed without --run (a run's seed comes from params runs)")
    parser.add_argument("--processes", type=int, default=int(os.environ.get("ASNET_PROCESSES", "1")),
                        help="data-parallel processes, under torchrun (default: $ASNET_PROCESSES, else 1)")
    parser.add_argument("--cache", required=True, help="shard directory with train/ and dev/ (e.g. data/cache/demo)")
    parser.add_argument("--out", required=True, help="checkpoint directory to write")
    parser.add_argument("--init", default=None,
                        help="checkpoint directory to warm-start from (default with --run: the run's previous stage, "
                             "results/models/<run>/<previous stage>)")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--live", default=None, help="DVCLive directory (default: results/train/<run>/<stage>)")
    parser.add_argument("--resume-dir", default=None,
                        help="where the epoch state is kept (default: <out>/../.resume/<stage>)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")
    parser.add_argument("--loader-workers", type=int, default=None,
                        help="DataLoader workers for crops and per-sample draws (default: 0 on CPU; on CUDA "
                             "this process's share of the CPUs - 1, 1-8); the weights do not depend on it")


def warm_start(stage: str, run, init: str | None) -> str | None:
    """The checkpoint directory `stage` starts from: --init, else (with --run) the run's previous
    stage's checkpoint, which must exist; None only for a first stage."""
    from asnet.runs import RunError
    from asnet.checkpoint import WEIGHTS
    from asnet.train.stages import STAGES

    if stage not in STAGES:
        raise RunError(f"unknown stage {stage!r} (one of {', '.join(STAGES)})")
    previous = run.init_of(stage) if run else (STAGES[STAGES.index(stage) - 1] if stage != STAGES[0] else None)
    if init is not None and not (Path(init) / WEIGHTS).is_file():
        raise RunError(f"{init}: not a checkpoint directory ({WEIGHTS} missing)")
    if init is not None or previous is None:
        return init
    if run is None:
        raise RunError(f"stage {stage!r} warm-starts from the {previous!r} checkpoint: give --init DIR "
                       f"(or --run RUN to take results/models/RUN/{previous})")
    path = run.checkpoint_dir(previous)
    if not (Path(path) / WEIGHTS).is_file():
        raise RunError(f"{path}: no checkpoint of {run.id}'s previous stage {previous!r} to warm-start {stage!r} "
                       f"from (train it first, or give --init)")
    return path


def relaunch_under_torchrun(processes: int) -> None:
    """Replace this process by torchrun running this same command on `processes` processes."""
    os.execvp("torchrun", ["torchrun", "--standalone", "--nproc_per_node", str(processes), "--no-python",
                           "asnet", *sys.argv[1:]])


def main(args: argparse.Namespace) -> int:
    from asnet.runs import find_run, run_params, with_seed

    params = load_params(args.params)
    run = find_run(params, args.run) if args.run else None
    init = warm_start(args.stage, run, args.init)  # user errors before any process is started
    if args.processes > 1 and "WORLD_SIZE" not in os.environ:  # torchrun sets it in every process it starts
        relaunch_under_torchrun(args.processes)
    from asnet.train.trainer import run_stage

    params = run_params(params, run) if run else with_seed(params, args.seed)
    meta = run_stage(
        args.stage, params, args.cache, args.out,
        init=init, live_dir=args.live, resume_dir=args.resume_dir, device=args.device, run_id=args.run,
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
