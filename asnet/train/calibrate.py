"""Everything a checkpoint learns from the dev split after training, the same for every detector
(ASNet stages, baselines, the trivial-cue model, imported published weights):

    temperature        T of the calibrated P(spoof) = sigmoid(-score / T), NLL-fitted on dev
    abstain_threshold  tau: abstain when the abstention logit a(x) > tau; keeps eval.target_coverage of dev
    eer_threshold      the dev EER threshold on the score: the operating point (bona fide iff score > t)
    ood_threshold      energy above which a clip is flagged out-of-distribution: the dev energy
                       quantile that flags eval.ood_flag_rate of dev clips
    dev                uncalibrated dev metrics (AUC, EER %, accuracy at 0, mean energy)

The dev scores themselves are written beside the weights (`dev_scores.tsv`, the scores-TSV format
of asnet.eval.scorefile), so any later tool can fit another operating point on dev without ever
touching test labels. Nothing here reads a test set.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from asnet.data.shards import WaveShards

DEV_SCORES = "dev_scores.tsv"


def score_dev(model, dev: WaveShards, params: dict, device):
    """Model outputs on the dev split, computed exactly as `asnet score` computes them."""
    from asnet.eval.inference import default_batch_size, run_model

    outputs = run_model(model, dev, default_batch_size(), str(device))
    for utt_id, reason in outputs.rejects:
        print(f"dev clip {utt_id} skipped: {reason}", file=sys.stderr)
    labels = dev.labels[[dev.position[u] for u in outputs.utt_id]]
    return outputs, labels


def dev_metrics(outputs, labels: np.ndarray) -> dict[str, float]:
    """Uncalibrated dev metrics for the training curves (EER in %)."""
    from asnet.eval.metrics import compute_eer, negative_log_likelihood, roc_auc

    bonafide, spoof = outputs.score[labels == 1], outputs.score[labels == 0]
    return {
        "ce": negative_log_likelihood(outputs.score, labels),
        "auc": roc_auc(bonafide, spoof),
        "eer": 100.0 * compute_eer(bonafide, spoof)[0],
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
    from asnet.eval.score import score_table
    from asnet.eval.scorefile import write_scores

    write_scores(Path(directory) / DEV_SCORES, score_table(outputs, dev.clips, temperature))


def calibrate_on_dev(model, dev: WaveShards, params: dict, device, outputs=None) -> tuple[dict, object]:
    """(calibration dict, dev outputs) for `model` in eval mode; `outputs` reuses a dev pass
    already made with these exact weights."""
    if outputs is None:
        outputs = score_dev(model, dev, params, device)
    return fit_calibration(*outputs, params), outputs
