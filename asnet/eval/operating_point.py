"""Operating points: the score threshold that turns a score into a decision (bona fide iff
score > threshold), chosen on a checkpoint's dev scores (`dev_scores.tsv`), never on test data.

    eer      the checkpoint's `eer_threshold`: dev false acceptances = dev false rejections (default)
    far=A    the lowest threshold at which at most a fraction A of the dev spoofs is accepted as
             bona fide (e.g. far=0.01: one spoof in a hundred gets through, on dev)
    frr=R    the highest threshold at which at most a fraction R of the dev bona fide clips is
             called spoof (e.g. frr=0.05: one genuine recording in twenty is flagged, on dev)

The rates hold on dev data; on audio unlike the training corpora (other languages, microphones,
codecs, generators) both error rates move, which is why the detector also reports its energy
(OOD) flag and its abstention flag.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("eer", "far", "frr")


@dataclass(frozen=True)
class OperatingPoint:
    name: str  # "eer", "far=0.01", ...
    threshold: float  # bona fide iff score > threshold
    dev_far: float | None  # fraction of dev spoofs with score > threshold (None without dev scores)
    dev_frr: float | None  # fraction of dev bona fide with score <= threshold


def parse(spec: str) -> tuple[str, float | None]:
    """"eer" -> ("eer", None); "far=0.01" -> ("far", 0.01). ValueError on anything else."""
    kind, _, value = spec.strip().lower().partition("=")
    if kind == "eer" and not value:
        return kind, None
    if kind in ("far", "frr"):
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if 0.0 <= rate < 1.0:
            return kind, rate
    raise ValueError(f"bad operating point {spec!r}: use eer, far=RATE or frr=RATE with 0 <= RATE < 1")


def error_rates(bonafide: np.ndarray, spoof: np.ndarray, threshold: float) -> tuple[float, float]:
    """(FAR, FRR) at `threshold`: spoofs scoring above it, bona fide at or below it."""
    return float(np.mean(spoof > threshold)), float(np.mean(bonafide <= threshold))


def far_threshold(spoof: np.ndarray, rate: float) -> float:
    """The lowest threshold with at most floor(rate * n) spoof scores above it."""
    ordered = np.sort(spoof)
    allowed = min(int(np.floor(rate * ordered.size + 1e-9)), ordered.size - 1)
    return float(ordered[ordered.size - allowed - 1])


def frr_threshold(bonafide: np.ndarray, rate: float) -> float:
    """The highest threshold with at most floor(rate * n) bona fide scores at or below it."""
    ordered = np.sort(bonafide)
    allowed = min(int(np.floor(rate * ordered.size + 1e-9)), ordered.size - 1)
    return float(np.nextafter(ordered[allowed], -np.inf))


def fit(spec: str, eer_threshold: float | None, bonafide: np.ndarray | None,
        spoof: np.ndarray | None) -> OperatingPoint:
    """The operating point `spec` names, from the checkpoint's EER threshold and its dev scores
    (bona fide and spoof arrays; None when the checkpoint has none, which only `eer` survives)."""
    kind, rate = parse(spec)
    have_dev = bonafide is not None and spoof is not None and bonafide.size and spoof.size
    if kind == "eer":
        if eer_threshold is None:
            raise ValueError("the checkpoint records no eer_threshold")
        threshold = float(eer_threshold)
    elif not have_dev:
        raise ValueError(f"operating point {spec!r} needs the checkpoint's dev scores (dev_scores.tsv)")
    else:
        threshold = far_threshold(spoof, rate) if kind == "far" else frr_threshold(bonafide, rate)
    far, frr = error_rates(bonafide, spoof, threshold) if have_dev else (None, None)
    name = kind if rate is None else f"{kind}={rate:g}"
    return OperatingPoint(name, threshold, far, frr)
