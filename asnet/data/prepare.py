"""`asnet prepare <corpus>`: build a corpus manifest (+ audio) under data/prepared/<corpus>/.

Each corpus adapter module exposes `prepare(args, params) -> int`.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, load_params

ADAPTERS = {"demo": "asnet.data.demo.build"}


def add_arguments(parser) -> None:
    parser.add_argument("corpus", choices=sorted(ADAPTERS))
    parser.add_argument("--out", type=Path, help="output folder (default: data/prepared/<corpus>)")
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="params file (default: %(default)s)")
    parser.add_argument("--size", choices=["smoke", "full"], help="demo size (default: params prepare_demo.size)")
    parser.add_argument("--workers", type=int, help="parallel processes (default: params prepare_demo.workers)")


def main(args) -> int:
    args.out = args.out or Path("data/prepared") / args.corpus
    return importlib.import_module(ADAPTERS[args.corpus]).prepare(args, load_params(args.params))
