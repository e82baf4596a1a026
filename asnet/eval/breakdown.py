"""Per-system results, seen vs unseen pooling and mean gate weights for one scored set.

Each spoof system (generator) is scored ASVspoof-style: all bona fide clips of the set against
that system's spoofs. A system is "seen" when it occurs in the checkpoint's training split;
"unseen" systems are the generalisation test. Bona fide clips are neither.
"""
from __future__ import annotations

import numpy as np

from asnet.eval.metrics import compute_eer, ood_auroc, roc_auc
from asnet.eval.scorefile import BONAFIDE, ScoreTable


def detection(bonafide_scores: np.ndarray, spoof_scores: np.ndarray) -> dict:
    """Counts, EER (%) and AUC of one bona fide vs spoof comparison (both sets non-empty)."""
    return {
        "n_bonafide": int(bonafide_scores.size),
        "n_spoof": int(spoof_scores.size),
        "eer_pct": 100.0 * compute_eer(bonafide_scores, spoof_scores)[0],
        "auc": roc_auc(bonafide_scores, spoof_scores),
    }


def _mean_gate(table: ScoreTable, mask: np.ndarray) -> list[float] | None:
    if table.gate is None or not mask.any():
        return None
    return [float(v) for v in table.gate[mask].mean(axis=0)]


def per_system(table: ScoreTable, kept: np.ndarray, seen: set[str] | None) -> dict:
    """{system: n, seen, mean score, abstain %, gate mean, and EER/AUC against all bona fide}."""
    is_bonafide = table.labels == 1
    bonafide_scores = table.score[is_bonafide]
    result = {}
    for system in sorted(set(table.system)):
        mask = table.system == system
        entry = {
            "n": int(mask.sum()),
            "mean_score": float(table.score[mask].mean()),
            "mean_energy": float(table.energy[mask].mean()),
            "abstain_pct": 100.0 * float(1 - kept[mask].mean()),
            "gate": _mean_gate(table, mask),
        }
        spoof_mask = mask & ~is_bonafide
        if system != BONAFIDE and spoof_mask.any():
            entry["seen"] = None if seen is None else system in seen
            entry.update(detection(bonafide_scores, table.score[spoof_mask]))
        result[system] = entry
    return result


def seen_unseen(table: ScoreTable, seen: set[str] | None) -> dict | None:
    """Bona fide vs the pooled spoofs of seen systems, and vs those of unseen systems.

    Also the energy AUROC of unseen vs seen spoofs (does E(x) flag unfamiliar generators?).
    None when the training systems are unknown.
    """
    if seen is None:
        return None
    is_spoof = table.labels == 0
    bonafide_scores = table.score[~is_spoof]
    groups = {"seen": is_spoof & np.isin(table.system, sorted(seen)), "unseen": is_spoof & ~np.isin(table.system, sorted(seen))}
    result = {}
    for name, mask in groups.items():
        result[name] = {
            "systems": sorted(set(table.system[mask])),
            "gate": _mean_gate(table, mask),
            **(detection(bonafide_scores, table.score[mask]) if mask.any() else {"n_spoof": 0}),
        }
    both = groups["seen"].any() and groups["unseen"].any()
    result["energy_auroc_unseen_vs_seen"] = (
        ood_auroc(table.energy[groups["seen"]], table.energy[groups["unseen"]]) if both else None
    )
    return result


def gate_summary(table: ScoreTable) -> dict | None:
    """Mean (alpha_spec, alpha_pros) over all clips, bona fide and spoof; None without gate columns."""
    if table.gate is None:
        return None
    is_bonafide = table.labels == 1
    return {
        "all": _mean_gate(table, np.ones(len(table), dtype=bool)),
        "bonafide": _mean_gate(table, is_bonafide),
        "spoof": _mean_gate(table, ~is_bonafide),
    }
