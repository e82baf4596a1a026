"""`asnet prepare <corpus>`: build a corpus manifest under data/prepared/<corpus>/.

Each corpus adapter module exposes `prepare(args, params) -> int`. The demo builds its own audio;
the public corpora (asnet/data/corpora.py, whose entries name the same adapters) read `--raw`
(what `asnet download` extracted) and write manifest.csv, rejects.csv, stats.json and their side
tables, pointing at the raw audio. This module imports no adapter code: each prepare stage of
the DAG depends on its own adapter only.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, load_params

ADAPTERS = {
    "demo": "asnet.data.demo.build",
    "asvspoof2019_la": "asnet.data.adapters.asvspoof2019_la",
    "asvspoof2021_la": "asnet.data.adapters.asvspoof2021_la",
    "asvspoof2021_df": "asnet.data.adapters.asvspoof2021_df",
    "asvspoof5": "asnet.data.adapters.asvspoof5",
    "in_the_wild": "asnet.data.adapters.in_the_wild",
    "wavefake": "asnet.data.adapters.wavefake",
    "librisevoc": "asnet.data.adapters.librisevoc",
}


def add_arguments(parser) -> None:
    parser.add_argument("corpus", choices=sorted(ADAPTERS))
    parser.add_argument("--out", type=Path, help="output folder (default: data/prepared/<corpus>)")
    parser.add_argument("--raw", type=Path, help="the downloaded corpus (default: data/raw/<corpus>; not for demo)")
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="params file (default: %(default)s)")
    parser.add_argument("--size", choices=["smoke", "full"], help="demo size (default: params prepare_demo.size)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                        help="parallel processes (default: the CPUs this process may use); the output does not depend on it")


def main(args) -> int:
    args.out = args.out or Path("data/prepared") / args.corpus
    args.raw = args.raw or Path("data/raw") / args.corpus
    return importlib.import_module(ADAPTERS[args.corpus]).prepare(args, load_params(args.params))
