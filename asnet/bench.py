"""`asnet bench <target>`: benchmarks that print their numbers and write results/bench/<target>.json.

Each target lives beside the code it measures and exposes `add_arguments(parser)` and `main(args)`.
"""
from __future__ import annotations

import argparse
import importlib

TARGETS = {
    "model": "asnet.models.bench",
    "train": "asnet.train.bench",
    "shift": "asnet.shift.bench",
    "baselines": "asnet.models.baselines.bench",
    "attack": "asnet.attacks.bench",
    "attack-cost": "asnet.attacks.cost",
    "prepare": "asnet.data.bench",
    "detect": "asnet.detect_bench",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="target", required=True)
    for name, module in TARGETS.items():
        module_parser = sub.add_parser(name)
        module_parser.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(module_parser)


def main(args: argparse.Namespace) -> int:
    return importlib.import_module(args._module).main(args)
