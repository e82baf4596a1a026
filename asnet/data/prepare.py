"""`asnet prepare <corpus>`: build a corpus manifest under data/prepared/<corpus>/.

Each corpus adapter module exposes `prepare(args, params) -> int`. The demo builds its own audio;
the public corpora (asnet/data/corpora.py, whose entries name the same adapters) read `--raw`
(what `asnet download` extracted) and write manifest.csv, rejects.csv, stats.json and their side
tables, pointing at the raw audio. `custom` reads your own protocol instead (--protocol, --root;
asnet/data/adapters/custom.py): nothing to download, and no params file needed. This module
imports no adapter code: each prepare stage of the DAG depends on its own adapter only.
"""
from __future__ import annotations

import importlib
import os
import sys
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
    "custom": "asnet.data.adapters.custom",  # your own protocol; a DAG corpus of any name (params adapter: custom)
}
CUSTOM = "custom"


def add_arguments(parser) -> None:
    parser.add_argument("corpus", choices=sorted(ADAPTERS))
    parser.add_argument("--out", type=Path, help="output folder (default: data/prepared/<corpus>)")
    parser.add_argument("--raw", type=Path, help="the downloaded corpus (default: data/raw/<corpus>; not for demo)")
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="params file (default: %(default)s)")
    parser.add_argument("--size", choices=["smoke", "full"], help="demo size (default: params prepare_demo.size)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                        help="parallel processes (default: the CPUs this process may use); the output does not depend on it")
    custom = parser.add_argument_group("custom (your own labelled audio; asnet/data/adapters/custom.py)")
    custom.add_argument("--protocol", type=Path, help="CSV/TSV `path,label[,system,speaker,language,split,source]` "
                        "or ASVspoof-style `SPEAKER UTT - SYSTEM LABEL`")
    custom.add_argument("--root", type=Path, help="folder the protocol's paths are under (default: the protocol's)")
    custom.add_argument("--name", help="corpus name (default: custom); without --protocol, params prepare_<name> "
                        "(adapter: custom) gives the protocol, root and split settings")
    custom.add_argument("--seed", type=int, help="seed of the split made when the protocol has no split column (default 0)")
    custom.add_argument("--split-fractions", type=float, nargs=3, metavar=("TRAIN", "DEV", "EVAL"),
                        help="that split's fractions (default 0.6 0.2 0.2; 0 0 1: a test-only corpus)")
    custom.add_argument("--allow-speaker-overlap", action="store_true",
                        help="accept a split column that puts a speaker in two splits")


def main(args) -> int:
    if args.corpus != CUSTOM and (args.protocol or args.root or args.name):
        print(f"asnet prepare: error: --protocol, --root and --name are for `asnet prepare custom`, not {args.corpus}",
              file=sys.stderr)
        return 2
    name = (args.name or CUSTOM) if args.corpus == CUSTOM else args.corpus
    args.out = args.out or Path("data/prepared") / name
    args.raw = args.raw or Path("data/raw") / args.corpus
    standalone = args.corpus == CUSTOM and args.protocol  # everything is on the command line
    params = {} if standalone else load_params(args.params)
    return importlib.import_module(ADAPTERS[args.corpus]).prepare(args, params)
