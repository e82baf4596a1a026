"""Rejected clips: counted in every metrics JSON and held to a bound.

`asnet score` (and dev calibration) write the clips they could not score beside the scores TSV:
<dir>/<set>.rejects.csv (`utt_id,reason`; asnet.eval.scorefile.write_rejects). Only data problems
are rejects (asnet.eval.inference); `asnet evaluate` reads the file of every set it evaluates,
reports {total, by_reason, fraction} under the metrics JSON's "rejects" key, and refuses a set
whose rejected fraction (rejected / (scored + rejected)) exceeds params eval.max_reject_fraction,
so a scoring regression that rejects clips cannot print a clean EER on the rest.
"""
from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

from asnet.eval.metrics import ScoreError


def rejects_path(scores: str | os.PathLike) -> Path:
    """<dir>/<set>.tsv -> <dir>/<set>.rejects.csv."""
    scores = Path(scores)
    return scores.with_name(scores.stem + ".rejects.csv")


def read_reasons(scores: str | os.PathLike) -> list[str]:
    """The reasons of the clips rejected while `scores` was made."""
    path = rejects_path(scores)
    if not path.exists():
        raise ScoreError(f"{path}: missing; the rejects file is written beside every scores TSV: rescore {scores}")
    with open(path, newline="") as f:
        return [row["reason"] for row in csv.DictReader(f)]


def summary(reasons: list[str], scored: int) -> dict:
    """{total, by_reason, fraction of all clips}."""
    return {
        "total": len(reasons),
        "by_reason": dict(sorted(Counter(reasons).items())),
        "fraction": len(reasons) / (len(reasons) + scored) if reasons or scored else 0.0,
    }


def check_bound(counts: dict, bound: float, what: str) -> None:
    """ScoreError when more than `bound` (params eval.max_reject_fraction) of the clips were rejected."""
    if counts["fraction"] > bound:
        raise ScoreError(f"{what}: {counts['total']} clips rejected ({100 * counts['fraction']:.1f} %, "
                         f"{counts['by_reason']}) > eval.max_reject_fraction {bound}")
