"""Everything a checkpoint learns from the dev split after training, the same for every detector
(ASNet stages, baselines, the trivial-cue model, imported published weights):

    temperature        T of the calibrated P(spoof) = sigmoid(-score / T), NLL-fitted on dev
    abstain_threshold  tau: abstain when the abstention logit a(x) > tau; keeps eval.target_coverage of dev
    eer_threshold      the dev EER threshold on the score: the operating point (bona fide iff score > t)
    ood_threshold      energy above which a clip is flagged out-of-distribution: the dev energy
                       quantile that flags eval.ood_flag_rate of dev clips
    dev                uncalibrated dev metrics (AUC, EER % and its threshold, accuracy at 0, mean energy)

They are fitted on the same seeded, class-balanced dev subset for every checkpoint
(`calibration_split`, params eval.calibration_subset). The dev scores themselves are written beside
the weights (`dev_scores.tsv`, the scores-TSV format of asnet.eval.scorefile, and its rejects file
`dev_scores.rejects.csv`), so any later tool can fit another operating point on dev without ever
touching test labels. Nothing here reads a test set.
The rules themselves (temperature, abstention threshold) are asnet.eval.calibration; this module
fits them for a checkpoint, and training and the importer call it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from asnet.checkpoint import DEV_SCORES
from asnet.data.shards import WaveShards


def score_dev(model, dev: WaveShards, params: dict, device):
    """Model outputs on the dev split, computed exactly as `asnet score` computes them."""
    from asnet.eval.inference import default_batch_size, run_model
    from asnet.eval.windows import WindowPolicy

    windows = WindowPolicy.from_params(params["eval"], params["base"]["sample_rate"])
    outputs = run_model(model, dev, default_batch_size(), str(device), windows)
    for utt_id, reason in outputs.rejects:
        print(f"dev clip {utt_id} skipped: {reason}", file=sys.stderr)
    labels = dev.labels[[dev.position[u] for u in outputs.utt_id]]
    return outputs, labels


def dev_metrics(outputs, labels: np.ndarray) -> dict[str, float]:
    """Uncalibrated dev metrics for the training curves (EER in %)."""
    from asnet.eval.metrics import compute_eer, negative_log_likelihood, roc_auc

    bonafide, spoof = outputs.score[labels == 1], outputs.score[labels == 0]
    eer, threshold = compute_eer(bonafide, spoof)
    return {
        "ce": negative_log_likelihood(outputs.score, labels),
        "auc": roc_auc(bonafide, spoof),
        "eer": 100.0 * eer,
        "eer_threshold": float(threshold),
        "accuracy": float(np.mean((outputs.score > 0) == (labels == 1))),
        "energy": float(np.mean(outputs.energy)),
    }


def fit_calibration(outputs, labels: np.ndarray, params: dict) -> dict:
    """Temperature, thresholds and dev metrics fitted on dev outputs (see the module docstring)."""
    from asnet.eval.calibration import fit_abstain_threshold, fit_temperature
    from asnet.eval.metrics import compute_eer

    config = params["eval"]
    return {
        "temperature": fit_temperature(outputs.logits, labels),
        "abstain_threshold": fit_abstain_threshold(outputs.abstain, config["target_coverage"]),
        "eer_threshold": float(compute_eer(outputs.score[labels == 1], outputs.score[labels == 0])[1]),
        "ood_threshold": float(np.quantile(outputs.energy, 1.0 - config["ood_flag_rate"], method="higher")),
        "dev": dev_metrics(outputs, labels),
    }


def write_dev_scores(directory: str | Path, outputs, dev: WaveShards, temperature: float) -> None:
    """dev_scores.tsv and, as beside every scores TSV, its rejects file (dev_scores.rejects.csv)."""
    from asnet.eval.rejects import rejects_path
    from asnet.eval.score import score_table
    from asnet.eval.scorefile import write_rejects, write_scores

    write_scores(Path(directory) / DEV_SCORES, score_table(outputs, dev.clips, temperature))
    write_rejects(rejects_path(Path(directory) / DEV_SCORES), outputs.rejects)


def calibrate_on_dev(model, dev: WaveShards, params: dict, device, outputs=None) -> tuple[dict, object]:
    """(calibration dict, dev outputs) for `model` in eval mode; `outputs` reuses a dev pass
    already made with these exact weights."""
    if outputs is None:
        outputs = score_dev(model, dev, params, device)
    return fit_calibration(*outputs, params), outputs


def calibration_split(dev: WaveShards, params: dict) -> WaveShards:
    """The dev clips every checkpoint is calibrated on and its training curves are scored on: a
    seeded, class-balanced subset of eval.calibration_subset.clips (null: the whole dev split)."""
    subset = params["eval"]["calibration_subset"]
    if subset["clips"] is None or subset["clips"] >= len(dev):
        return dev
    return dev.subset(balanced_subset(dev.labels, subset["clips"], subset["seed"]))


def balanced_subset(labels: np.ndarray, clips: int, seed: int) -> np.ndarray:
    """Sorted indices of `clips` clips, half of each label (all of a class when it has fewer),
    drawn with numpy's Generator from `seed`."""
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(labels == label))[: clips // 2] for label in (0, 1)]
    return np.sort(np.concatenate(picked))
