"""`asnet detect PATHS --labels FILE`: the metrics of a labelled folder, as `asnet evaluate` computes them.

The labels file is a custom-corpus protocol (asnet.data.adapters.custom: CSV/TSV `path,label
[,system,...]` with paths under --labels-root, default the file's folder, or the ASVspoof-style
`SPEAKER UTT - SYSTEM LABEL`, matched to the scored files by name without suffix). Scored files
become one scores table (the scores TSV's columns), and asnet.eval.evaluate.set_metrics computes
on it exactly what `asnet evaluate` writes for a test set: EER and AUC with bootstrap CIs, the
FAR/FRR at the checkpoint's dev EER threshold, ECE, per-system EER/AUC, abstention. Beside it
`decisions`, what a user of `asnet detect` sees at the operating point it used (--operating-point):
FAR and FRR, per system the share of clips decided correctly, and the shares flagged OOD
(energy > ood_threshold) and abstained on (a(x) > tau), per class and per system.

Counted, never silently dropped: labelled files that were rejected (unusable audio), labelled
files not among the inputs, and scored files without a label (scored, shown, left out of the metrics).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asnet.data.adapters.custom import check_unique, read_protocol, system_of, utt_id_of
from asnet.data.adapters.common import PrepareError

UNNAMED_SPOOF = "spoof"  # system of a spoof row that names none (custom corpora use <name>_spoof)


@dataclass(frozen=True)
class Label:
    utt_id: str
    label: str
    system: str


class Labels:
    """The labels file, looked up by a scored file's path (CSV/TSV) or name without suffix (ASVspoof)."""

    def __init__(self, path: Path, root: Path | None = None):
        self.path, self.root = Path(path), Path(root or Path(path).parent)
        rows, self.format = read_protocol(self.path)
        ids = [row.path if self.format == "asvspoof" else utt_id_of(row.path, self.root) for row in rows]
        check_unique(rows, ids, self.path)
        self.by_key = {self.key_of_row(row.path): Label(utt_id, row.label, system_of(row, UNNAMED_SPOOF, self.path))
                       for row, utt_id in zip(rows, ids)}

    def key_of_row(self, written: str) -> str:
        return written if self.format == "asvspoof" else str((self.root / written).resolve())

    def key_of_file(self, path: Path) -> str:
        return path.stem if self.format == "asvspoof" else str(Path(path).resolve())

    def match(self, files: list[Path]) -> tuple[dict[Path, Label], list[Path], int]:
        """(label of each labelled input, inputs without a label, labelled files not among the inputs)."""
        keys = [self.key_of_file(f) for f in files]
        doubled = [k for k, n in Counter(keys).items() if n > 1 and k in self.by_key]
        if doubled:
            raise PrepareError(f"{self.path}: {doubled[0]!r} matches {Counter(keys)[doubled[0]]} of the input files")
        found = {f: self.by_key[k] for f, k in zip(files, keys) if k in self.by_key}
        classes = {label.label for label in found.values()}
        if classes != {"bonafide", "spoof"}:
            raise PrepareError(f"{self.path}: the input files it labels are {len(found)}, of classes {sorted(classes)}: "
                               "the metrics need bona fide and spoof clips")
        return found, [f for f in files if f not in found], len(self.by_key) - len(found)


def score_table(records: list[dict], labels: dict[Path, Label]):
    """The scored, labelled records as a scores table (asnet.eval.scorefile.ScoreTable)."""
    from asnet.eval.scorefile import ScoreTable

    chosen = [(r, labels[Path(r["path"])]) for r in records if r["status"] == "scored" and Path(r["path"]) in labels]
    column = lambda key: np.array([float(r[key]) for r, _ in chosen])  # noqa: E731
    return ScoreTable(utt_id=np.array([lab.utt_id for _, lab in chosen]), score=column("score"),
                      p_spoof=column("p_spoof"), energy=column("energy"), abstain=column("abstain_logit"),
                      label=np.array([lab.label for _, lab in chosen]), system=np.array([lab.system for _, lab in chosen]))


def rates(mask: np.ndarray, groups: dict[str, np.ndarray]) -> dict[str, float | None]:
    return {name: float(mask[g].mean()) if g.any() else None for name, g in groups.items()}


def decisions_block(table, threshold: float, operating_point: str, meta: dict) -> dict:
    """What `asnet detect` decided at its operating point (bona fide iff score > threshold)."""
    from asnet.eval.calibration import keeps
    from asnet.eval.operating_point import error_rates

    bonafide = table.labels == 1
    correct = (table.score > threshold) == bonafide
    ood_threshold = meta.get("ood_threshold")
    flagged = table.energy > ood_threshold if ood_threshold is not None else np.zeros(len(table), bool)
    abstained = ~keeps(table.abstain, meta.get("abstain_threshold"))
    far, frr = error_rates(table.score[bonafide], table.score[~bonafide], threshold)
    classes = {"all": np.ones(len(table), bool), "bonafide": bonafide, "spoof": ~bonafide}
    systems = {s: table.system == s for s in sorted(set(table.system))}
    return {
        "operating_point": operating_point, "threshold": threshold, "far": far, "frr": frr,
        "ood_threshold": ood_threshold, "abstain_threshold": meta.get("abstain_threshold"),
        "ood_flag_rate": rates(flagged, classes), "abstain_rate": rates(abstained, classes),
        "per_system": {s: {"n": int(g.sum()), "correct_rate": float(correct[g].mean()),
                           "ood_flag_rate": float(flagged[g].mean()), "abstain_rate": float(abstained[g].mean())}
                       for s, g in systems.items()},
    }


def labelled_metrics(records: list[dict], labels: Labels, found: dict[Path, Label], unlabelled: list[Path],
                     not_given: int, meta: dict, threshold: float, operating_point: str, config: dict) -> dict:
    from asnet.eval.evaluate import seen_systems, set_metrics

    table = score_table(records, found)
    if set(table.label) != {"bonafide", "spoof"}:
        raise PrepareError(f"{labels.path}: after rejects the scored files are of classes {sorted(set(table.label))}: "
                           "the metrics need bona fide and spoof clips")
    seen = seen_systems(meta, None)
    rejected = [r for r in records if r["status"] == "rejected" and Path(r["path"]) in found]
    return {
        "labels": str(labels.path), "format": labels.format,
        "counts": {"scored": len(table), "rejected": len(rejected), "unlabelled_inputs": len(unlabelled),
                   "labelled_not_given": not_given},
        "rejected": {r["path"]: r["reason"] for r in rejected},
        "checkpoint": {"stage": meta.get("stage"), "train_corpora": meta.get("train_corpora", []),
                       "train_systems": None if seen is None else sorted(seen)},
        **set_metrics(table, meta, seen, config),
        "decisions": decisions_block(table, threshold, operating_point, meta),
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def summary(metrics: dict, out: str) -> str:
    """The printed form: the headline numbers, then one line per system."""
    counts, op, decided = metrics["counts"], metrics["operating_point"], metrics["decisions"]
    ci = metrics["ci95"]
    lines = [
        f"labelled set {metrics['labels']}: {metrics['n']['bonafide']} bona fide, {metrics['n']['spoof']} spoof scored; "
        f"{counts['rejected']} rejected, {counts['unlabelled_inputs']} inputs without a label, "
        f"{counts['labelled_not_given']} labelled files not given",
        f"  EER {metrics['eer_pct']:.2f} % (95 % CI {ci['eer_pct'][0]:.2f}-{ci['eer_pct'][1]:.2f}), "
        f"AUC {metrics['auc']:.4f} (95 % CI {ci['auc'][0]:.4f}-{ci['auc'][1]:.4f}), "
        f"ECE {metrics['calibration']['ece']:.4f}",
    ]
    if op is not None:
        lines.append(f"  checkpoint's dev EER threshold {op['threshold']:+.3f}: FAR {_pct(op['far'])}, FRR {_pct(op['frr'])}")
    lines.append(f"  operating point {decided['operating_point']} ({decided['threshold']:+.3f}): FAR {_pct(decided['far'])}, "
                 f"FRR {_pct(decided['frr'])}; OOD-flagged {_pct(decided['ood_flag_rate']['all'])} "
                 f"(bona fide {_pct(decided['ood_flag_rate']['bonafide'])}, spoof {_pct(decided['ood_flag_rate']['spoof'])}), "
                 f"abstained {_pct(decided['abstain_rate']['all'])}")
    lines.append("  per system: n, decided correctly, OOD-flagged, abstained, EER / AUC against all bona fide")
    for system, row in decided["per_system"].items():
        detail = metrics["per_system"][system]
        versus = f", EER {detail['eer_pct']:.2f} %, AUC {detail['auc']:.4f}" if "eer_pct" in detail else ""
        seen = {True: " (seen in training)", False: " (unseen)"}.get(detail.get("seen"), "")
        lines.append(f"    {system}{seen}: {row['n']}, {_pct(row['correct_rate'])}, {_pct(row['ood_flag_rate'])}, "
                     f"{_pct(row['abstain_rate'])}{versus}")
    lines.append(f"  metrics -> {out}")
    return "\n".join(lines) + "\n"
