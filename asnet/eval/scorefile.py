"""The scores TSV (ARCHITECTURE §3) and its ASVspoof 2021 two-column export.

`results/scores/<run>/<set>.tsv`, tab-separated, one header line, one row per scored clip in
shard-index order:

    utt_id   clip id from the shard index
    score    logit_bona - logit_spoof: HIGHER = MORE BONA FIDE, fixed by the model, never by labels
    p_spoof  calibrated P(spoof) = sigmoid(-score / T), T from the checkpoint (fitted on dev)
    energy   free energy E(x) = -T_e logsumexp(logits / T_e): higher = less familiar (OOD score)
    abstain  the abstention LOGIT a(x); the detector abstains when a(x) > tau (checkpoint's
             abstain_threshold), see asnet.eval.calibration
    label    bonafide | spoof, copied from the shard index after scoring
    system   generator id ("bonafide" for real speech), copied from the shard index
    gate_spec, gate_pros   the fusion gate weights (alpha_spec, alpha_pros); they sum to 1

Floats are written with 9 significant digits, which round-trips the model's float32 outputs
exactly. The export (`<set>.asvspoof.txt`) is `utt_id score` per line, space-separated, no
header: the format of the ASVspoof 2021 evaluation package.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asnet.eval.metrics import ScoreError, check_finite
from asnet.utils import atomic_path

SCORE_COLUMNS = ["utt_id", "score", "p_spoof", "energy", "abstain", "label", "system"]
GATE_COLUMNS = ["gate_spec", "gate_pros"]
FLOAT_COLUMNS = ["score", "p_spoof", "energy", "abstain"]
LABELS = ("bonafide", "spoof")
BONAFIDE = "bonafide"
REJECT_COLUMNS = ["utt_id", "reason"]


@dataclass
class ScoreTable:
    """Columns of a scores TSV as aligned arrays; `gate` is [N, 2] or None when absent."""

    utt_id: np.ndarray
    score: np.ndarray
    p_spoof: np.ndarray
    energy: np.ndarray
    abstain: np.ndarray
    label: np.ndarray
    system: np.ndarray
    gate: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.utt_id)

    @property
    def labels(self) -> np.ndarray:
        """1 = bona fide, 0 = spoof."""
        return (self.label == BONAFIDE).astype(np.int64)

    def subset(self, mask: np.ndarray) -> "ScoreTable":
        gate = None if self.gate is None else self.gate[mask]
        return ScoreTable(**{c: getattr(self, c)[mask] for c in SCORE_COLUMNS}, gate=gate)


def _format(value: float) -> str:
    return f"{value:.9g}"


def write_scores(path: str | os.PathLike, table: ScoreTable) -> None:
    columns = SCORE_COLUMNS + (GATE_COLUMNS if table.gate is not None else [])
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        f.write("\t".join(columns) + "\n")
        for i in range(len(table)):
            row = [str(table.utt_id[i])] + [_format(getattr(table, c)[i]) for c in FLOAT_COLUMNS]
            row += [str(table.label[i]), str(table.system[i])]
            if table.gate is not None:
                row += [_format(g) for g in table.gate[i]]
            f.write("\t".join(row) + "\n")


def write_asvspoof_export(path: str | os.PathLike, table: ScoreTable) -> None:
    """`utt_id score` lines, the ASVspoof 2021 evaluation package's score-file format."""
    with atomic_path(path) as tmp:
        tmp.write_text("".join(f"{u} {_format(s)}\n" for u, s in zip(table.utt_id, table.score)))


def write_rejects(path: str | os.PathLike, rejects: list[tuple[str, str]]) -> None:
    """Clips that could not be scored, one `utt_id,reason` row each (header only when none)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(REJECT_COLUMNS)
        writer.writerows(rejects)


def read_scores(path: str | os.PathLike) -> ScoreTable:
    """Parse and validate a scores TSV: required columns, known labels, unique ids, finite values."""
    path = Path(path)
    with open(path, newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = [c for c in SCORE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ScoreError(f"{path}: missing column(s) {missing}; expected {SCORE_COLUMNS}")
        rows = list(reader)
    if not rows:
        raise ScoreError(f"{path}: no scored clips")
    utt_id = np.array([r["utt_id"] for r in rows])
    _check_unique(path, utt_id)
    columns = {c: check_finite(_floats(path, rows, c), utt_id, what=f"{c} values in {path}") for c in FLOAT_COLUMNS}
    label = np.array([r["label"] for r in rows])
    unknown = sorted(set(label) - set(LABELS))
    if unknown:
        raise ScoreError(f"{path}: unknown label(s) {unknown}; expected {LABELS}")
    gate = None
    if all(c in reader.fieldnames for c in GATE_COLUMNS):
        gate = np.stack([check_finite(_floats(path, rows, c), utt_id, what=f"{c} in {path}") for c in GATE_COLUMNS], 1)
    return ScoreTable(utt_id=utt_id, label=label, system=np.array([r["system"] for r in rows]), gate=gate, **columns)


def _floats(path: Path, rows: list[dict], column: str) -> list[float]:
    values = []
    for row in rows:
        try:
            values.append(float(row[column]))
        except (TypeError, ValueError):
            raise ScoreError(f"{path}: {column} of {row['utt_id']} is not a number: {row[column]!r}") from None
    return values


def _check_unique(path: Path, utt_id: np.ndarray) -> None:
    ids, counts = np.unique(utt_id, return_counts=True)
    if (counts > 1).any():
        raise ScoreError(f"{path}: duplicate utt_id(s) {list(ids[counts > 1][:10])}")
