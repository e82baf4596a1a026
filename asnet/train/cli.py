"""`asnet train`: run one curriculum stage (base, sam, energy, ood, adv; ARCHITECTURE §5).

    asnet train --stage sam --cache data/cache/demo --out results/models/asnet/sam \\
        --init results/models/asnet/base [--params params.yaml] [--device auto]

Reads <cache>/train and <cache>/dev; writes the checkpoint to --out, the DVCLive training curves
to --live (default results/train/<run>/<stage>) and its resume state to --resume-dir (default
results/models/<run>/.resume/<stage>; removed when the stage completes). The logic lives in
asnet.train.trainer.run_stage.
"""
from __future__ import annotations

import argparse

from asnet.utils import DEFAULT_PARAMS, load_params


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, help="base | sam | energy | ood | adv")
    parser.add_argument("--cache", required=True, help="shard directory with train/ and dev/ (e.g. data/cache/demo)")
    parser.add_argument("--out", required=True, help="checkpoint directory to write")
    parser.add_argument("--init", default=None, help="checkpoint directory to warm-start from (the previous stage)")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--live", default=None, help="DVCLive directory (default: results/train/<run>/<stage>)")
    parser.add_argument("--resume-dir", default=None,
                        help="where the epoch state is kept (default: <out>/../.resume/<stage>)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")


def main(args: argparse.Namespace) -> int:
    from asnet.train.trainer import run_stage

    meta = run_stage(
        args.stage, load_params(args.params), args.cache, args.out,
        init=args.init, live_dir=args.live, resume_dir=args.resume_dir, device=args.device,
    )
    dev = meta["dev"]
    print(
        f"{args.stage}: {meta['epoch']} epochs -> {args.out} | dev AUC {dev['auc']:.4f} EER {dev['eer']:.2f}%"
        f" | T {meta['temperature']:.3f} tau {meta['abstain_threshold']:.3f}"
    )
    return 0
