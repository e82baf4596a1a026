"""The claims check on constructed inputs: each verdict (holds / does not hold / inconclusive /
not measured), gains in each claim's terms, the best baseline chosen on dev, pairing by utt_id."""
import copy
import math

import numpy as np
import pytest
from report_fixtures import PARAMS, memory_results, metric

from asnet.eval.metrics import roc_auc
from asnet.eval.scorefile import ScoreTable
from asnet.report import claims

VALUES = copy.deepcopy(PARAMS)
VALUES["runs"]["rawnet2"] = {"config": "baselines.lcnn", "stages": ["base"], "seeds": [0]}
N = 60  # clips per system


def eval_table(bona_scores, unseen_scores, seen_scores=None, energy=None) -> ScoreTable:
    seen_scores = np.full(N, -3.0) if seen_scores is None else seen_scores
    score = np.concatenate([bona_scores, seen_scores, unseen_scores])
    system = np.repeat(["bonafide", "sys_a", "sys_u"], N)
    utt = np.array([f"{s}_{i}" for s in ("bonafide", "sys_a", "sys_u") for i in range(N)])
    energy = np.zeros(score.size) if energy is None else energy
    return ScoreTable(utt_id=utt, score=score, p_spoof=1 / (1 + np.exp(score)), energy=energy,
                      abstain=-np.abs(score), label=np.where(system == "bonafide", "bonafide", "spoof"), system=system)


def eval_metrics(dev_eer: float, ece_bins: int = 10) -> dict:
    unseen = {"unseen": {"systems": ["sys_u"], "auc": None}}
    return {"eval": metric(1.0, 0.9, seen_unseen=unseen, checkpoint={"train_systems": ["sys_a"]},
                           calibration={"temperature": 1.0, "ece_bins": ece_bins, "ece": 0.1}),
            "dev": metric(dev_eer, 0.9)}


def unseen_results(tmp_path, asnet_shift: float, lcnn_shift: float, rawnet_shift: float = -5.0, noise: float = 1.0):
    """Unseen spoofs at -shift + noise against bona fide at +noise: larger shift = higher unseen AUC."""
    rng = np.random.default_rng(0)
    bona = rng.normal(0.0, noise, N)
    base = rng.normal(0.0, noise, N)
    scores = {("asnet_s0", "adv", "eval"): eval_table(bona, base - asnet_shift),
              ("asnet_s1", "adv", "eval"): eval_table(bona, base - asnet_shift),
              ("lcnn_s0", "base", "eval"): eval_table(bona, base - lcnn_shift),
              ("lcnn_s1", "base", "eval"): eval_table(bona, base - lcnn_shift),
              ("rawnet2_s0", "base", "eval"): eval_table(bona, base - rawnet_shift)}
    metrics = {("asnet_s0", "adv"): eval_metrics(9.0), ("asnet_s1", "adv"): eval_metrics(9.0),
               ("lcnn_s0", "base"): eval_metrics(5.0), ("lcnn_s1", "base"): eval_metrics(7.0),
               ("rawnet2_s0", "base"): eval_metrics(8.0)}
    return memory_results(tmp_path, VALUES, metrics, scores=scores)


def claim(results, key: str):
    return next(c for c in claims.claims(results) if c.key == key)


@pytest.mark.parametrize("interval, expected", [
    ((4.0, 9.0), claims.HOLDS), ((12.0, 30.0), claims.HOLDS), ((-1.0, 3.9), claims.FAILS),
    ((3.0, 5.0), claims.INCONCLUSIVE), (None, claims.INCONCLUSIVE), ((math.nan, 1.0), claims.INCONCLUSIVE)])
def test_verdict_rule(interval, expected):
    assert claims.verdict(4.0, interval) == expected


def test_gains_in_the_claims_terms():
    assert claims.relative_gain(0.84, 0.80) == pytest.approx(5.0)
    assert claims.relative_reduction(6.0, 10.0) == pytest.approx(40.0)
    assert claims.factor_lower(0.01, 0.025) == pytest.approx(2.5)
    assert math.isnan(claims.relative_reduction(0.0, 0.0)) and claims.relative_reduction(1.0, 0.0) == -math.inf
    assert claims.factor_lower(0.0, 0.1) == math.inf


def test_holds_and_baseline_is_chosen_on_dev(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=4.0, lcnn_shift=1.0)
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    # lcnn: mean dev EER 6 % beats rawnet2's 8 %, although rawnet2 is much better on the test set
    assert result.baseline.entry == "lcnn" and result.baseline_dev_eer == pytest.approx(6.0)
    asnet_auc = roc_auc(results.asnet().checkpoints[0].scores("eval").score[:N],
                        results.asnet().checkpoints[0].scores("eval").score[2 * N:])
    assert result.asnet.mean == pytest.approx(asnet_auc)
    assert result.gain == pytest.approx(100 * (result.asnet.mean - result.baseline_value.mean) / result.baseline_value.mean)
    assert result.interval[0] >= 4.0 and result.verdict == claims.HOLDS
    assert result.replicates == results.config.resamples


def test_does_not_hold_when_asnet_equals_the_baseline(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=1.0, lcnn_shift=1.0)
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    # the same scores on the same clips: every paired replicate's gain is 0
    assert result.gain == 0.0 and result.interval == (0.0, 0.0) and result.verdict == claims.FAILS


def test_inconclusive_when_the_interval_contains_the_claim(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=1.05, lcnn_shift=0.9, noise=1.0)
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert result.interval[0] < 4.0 <= result.interval[1] and result.verdict == claims.INCONCLUSIVE


def test_bootstrap_is_seeded(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=1.05, lcnn_shift=0.9)
    first = claims.check(results, claim(results, "cross_vocoder_auc"))
    again = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert first.interval == again.interval
    results.config = type(results.config)(**{**results.config.__dict__, "seed": 1})
    assert claims.check(results, claim(results, "cross_vocoder_auc")).interval != first.interval


def test_not_measured_without_asnet_or_baselines(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=2.0, lcnn_shift=1.0)
    for group in results.checkpoints.values():
        for ck in group:
            if ck.run.entry in ("lcnn", "rawnet2"):
                ck._scores.clear()
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert result.verdict == claims.NOT_MEASURED and "no baseline" in result.note
    empty = memory_results(tmp_path, VALUES)
    assert {r.verdict for r in claims.check_all(empty)} == {claims.NOT_MEASURED}
    table = claims.claims_table(claims.check_all(empty))
    assert "not measured" in table.markdown() and len(table.rows) == 4


def test_pairs_by_utt_id(tmp_path):
    """A baseline that scored only some of the clips is compared on those clips alone."""
    results = unseen_results(tmp_path, asnet_shift=4.0, lcnn_shift=1.0)
    for ck in results.model("lcnn").checkpoints:
        table = ck.scores("eval")
        keep = np.ones(len(table), bool)
        keep[N - 10:N] = False  # ten bona fide clips missing
        ck._scores["eval"] = table.subset(keep)
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert "eval 110" in result.note  # 50 bona fide + 60 unseen spoofs both scored


def attack_result(clean, adv, labels) -> dict:
    per_clip = [{"utt_id": f"c{i}", "system": "bonafide" if y else "sys_a", "label": int(y), "clean_score": c,
                 "adv_score": a, "adv_energy": 0.0} for i, (c, a, y) in enumerate(zip(clean, adv, labels))]
    return {"per_clip": per_clip, "operating_point": {"temperature": 1.0}}


def test_pgd_claim_relative_reduction(tmp_path):
    rng = np.random.default_rng(1)
    labels = np.repeat([1, 0], 40)
    clean = np.where(labels == 1, 2.0, -2.0) + rng.normal(0, 0.5, 80)
    values = {"asnet": 1.5, "lcnn": 3.0}  # how far the attack moves the spoofs toward bona fide
    attacks, results = {}, None
    for entry, stage in (("asnet", "adv"), ("lcnn", "base")):
        for seed in (0, 1):
            adv = clean + np.where(labels == 0, values[entry], 0.0)
            row = {"name": "pgd_linf-eps0.002", "attack": "pgd_linf", "budget": 0.002, "norm": "linf"}
            attacks[(f"{entry}_s{seed}", stage)] = ({"results": [row]}, attack_result(clean, adv, labels))
    metrics = {key: eval_metrics(5.0) for key in attacks}
    results = memory_results(tmp_path, VALUES, metrics, {k: v[0] for k, v in attacks.items()})
    for group in results.checkpoints.values():
        for ck in group:
            if (ck.run.id, ck.stage) in attacks:
                ck._attacks["pgd_linf-eps0.002"] = attacks[(ck.run.id, ck.stage)][1]
    result = claims.check(results, claim(results, "pgd_eer"))
    assert result.baseline.entry == "lcnn"
    assert result.gain == pytest.approx(100 * (1 - result.asnet.mean / result.baseline_value.mean))
    assert result.asnet.mean < result.baseline_value.mean and result.verdict == claims.HOLDS


def test_codec_and_ece_claims_use_their_own_statistics(tmp_path):
    rng = np.random.default_rng(2)
    bona = rng.normal(2.0, 1.0, N)
    spoof = rng.normal(-2.0, 1.0, N)
    clean_energy = rng.normal(-5.0, 1.0, 3 * N)
    scores, metrics = {}, {}
    for entry, stage, gap in (("asnet", "adv", 3.0), ("lcnn", "base", 1.0)):
        for seed in (0, 1):
            key = (f"{entry}_s{seed}", stage)
            scores[(*key, "eval")] = eval_table(bona, spoof, energy=clean_energy)
            scores[(*key, "codec_mp3_16k")] = eval_table(bona, spoof, energy=clean_energy + gap)
            metrics[key] = eval_metrics(5.0)
    results = memory_results(tmp_path, VALUES, metrics, scores=scores)
    codec = claims.check(results, claim(results, "codec_shift_auroc"))
    assert codec.asnet.mean > codec.baseline_value.mean and "mp3_16k 180" in codec.note
    ece = claims.check(results, claim(results, "ece"))
    assert ece.gain == pytest.approx(1.0) and ece.verdict == claims.FAILS  # same scores: the same ECE
