"""`asnet report`: the paper's tables, figures, the claims check, REPORT.md and the model cards,
from whatever results exist.

    asnet report [--params params.yaml] [--results results] [--out results/paper] [--excerpt PATH]
                 [--entries asnet lcnn ...]   # only these entries of params runs (the demo's report)

Reads params `runs`, `corpora`, `shift.codecs`/`shift.vocoders` (set names) and `report`
(asnet.report.config), and under --results the checkpoints, metrics, attack results, scores and
training curves of every run (asnet.report.collect). Anything absent is reported as missing in
REPORT.md and the report still renders. Writes --out (asnet.report.build) and the README excerpt
(--excerpt, default: paper-excerpt.md beside --out; asnet.report.excerpt). Exit status: 0, or 2
with one line on a params error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="params.yaml (runs, corpora, shift, report)")
    parser.add_argument("--results", default="results", help="the DAG's results directory (models/, metrics/, ...)")
    parser.add_argument("--out", default="results/paper", help="output directory, replaced as a whole")
    parser.add_argument("--excerpt", help="README excerpt file (default: <out's parent>/paper-excerpt.md)")
    parser.add_argument("--entries", nargs="+",
                        help="report only these entries of params runs, or runs of them (lcnn_s0); default: all")


def main(args: argparse.Namespace) -> int:
    from asnet.report.build import build_report
    from asnet.report.config import ConfigError

    excerpt = Path(args.excerpt) if args.excerpt else Path(args.out).parent / "paper-excerpt.md"
    if not Path(args.params).is_file():
        print(f"asnet report: error: no params file {args.params}", file=sys.stderr)
        return 2
    try:
        built = build_report(args.params, args.results, args.out, excerpt, entries=args.entries)
    except ConfigError as error:
        print(f"asnet report: error: {error}", file=sys.stderr)
        return 2
    verdicts = "; ".join(f"{r.claim.title}: {r.verdict}" for r in built.claims)
    print(f"wrote {built.tables} tables, {built.figures} figures, {built.cards} model cards -> {built.out}/REPORT.md "
          f"(excerpt: {excerpt}); {len(built.notes)} missing inputs")
    print(f"claims: {verdicts}")
    return 0
