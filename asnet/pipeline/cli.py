"""`python -m asnet.pipeline render|list|digest|--check`: write dvc.yaml (and drop removed
stages from dvc.lock), list the stages, write the code digests, or fail when dvc.yaml is stale."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asnet.pipeline.codedeps import ROOT
from asnet.pipeline.dvc import prune_lock, render, stale_lock_entries
from asnet.pipeline.registry import CODE_DIGESTS, check_all_outputs_unique, code_digests, stages
from asnet.utils import load_params, write_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asnet.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("action", nargs="?", choices=["render", "list", "digest"],
                        help=f"render: write dvc.yaml; digest: write the code digests under {CODE_DIGESTS}/")
    parser.add_argument("--check", action="store_true", help="exit 1 when dvc.yaml differs from the render")
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    parser.add_argument("--dvc-yaml", default=str(ROOT / "dvc.yaml"))
    args = parser.parse_args(argv)
    params = load_params(args.params)
    all_stages = stages(params)
    check_all_outputs_unique(all_stages)
    names = {s.name for s in all_stages}
    if args.action == "list":
        for s in all_stages:
            print(s.name)
        return 0
    if args.action == "digest":
        for path, digest in code_digests(all_stages, params).items():
            write_text(path, digest)
        return 0
    text = render(params)
    lock = Path(args.dvc_yaml).with_name("dvc.lock")
    lock_text = lock.read_text() if lock.exists() else ""
    stale = stale_lock_entries(lock_text, names)
    if args.check:
        current = Path(args.dvc_yaml).read_text() if Path(args.dvc_yaml).exists() else ""
        if current != text or stale:
            what = f"{args.dvc_yaml} is stale" if current != text else f"{lock} records {len(stale)} removed stages"
            print(f"{what}: run `python -m asnet.pipeline render`", file=sys.stderr)
            return 1
        print(f"{args.dvc_yaml} matches the registry ({len(all_stages)} stages)")
        return 0
    if args.action == "render":
        Path(args.dvc_yaml).write_text(text)
        print(f"wrote {args.dvc_yaml} ({len(all_stages)} stages)")
        if stale:
            lock.write_text(prune_lock(lock_text, names))
            print(f"dropped {len(stale)} removed stages from {lock}")
        return 0
    parser.error("name an action or --check")
    return 2

