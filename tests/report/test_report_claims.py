"""The claims check on constructed inputs: each verdict (holds / does not hold / inconclusive /
underpowered / not measured), the power rule, gains in each claim's terms, the best baseline
chosen on dev, pairing by utt_id, the neural unseen systems in the cross-vocoder pool, both
readings of the codec claim, the PGD claim on the claims suite's results."""
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
N = 60  # clips per system (too few for a firm verdict: report.claims.min_clips is 200)
MANY = 2000  # clips per system where a test needs a powered comparison


def eval_table(bona_scores, unseen_scores, seen_scores=None, energy=None, unseen="sys_u") -> ScoreTable:
    n = len(bona_scores)
    seen_scores = np.full(n, -3.0) if seen_scores is None else seen_scores
    score = np.concatenate([bona_scores, seen_scores, unseen_scores])
    system = np.repeat(["bonafide", "sys_a", unseen], n)
    utt = np.array([f"{s}_{i}" for s in ("bonafide", "sys_a", unseen) for i in range(n)])
    energy = np.zeros(score.size) if energy is None else energy
    return ScoreTable(utt_id=utt, score=score, p_spoof=1 / (1 + np.exp(score)), energy=energy,
                      abstain=-np.abs(score), label=np.where(system == "bonafide", "bonafide", "spoof"), system=system)


def eval_metrics(dev_eer: float, ece_bins: int = 10) -> dict:
    unseen = {"unseen": {"systems": ["sys_u"], "auc": None}}
    return {"eval": metric(1.0, 0.9, seen_unseen=unseen, checkpoint={"train_systems": ["sys_a"]},
                           calibration={"temperature": 1.0, "ece_bins": ece_bins, "ece": 0.1}),
            "dev": metric(dev_eer, 0.9)}


def unseen_results(tmp_path, asnet_shift: float, lcnn_shift: float, rawnet_shift: float = -5.0, noise: float = 1.0,
                   n: int = N):
    """Unseen spoofs at -shift + noise against bona fide at +noise: larger shift = higher unseen AUC."""
    rng = np.random.default_rng(0)
    bona = rng.normal(0.0, noise, n)
    base = rng.normal(0.0, noise, n)
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
    results = unseen_results(tmp_path, asnet_shift=4.0, lcnn_shift=2.0, n=MANY)
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    # lcnn: mean dev EER 6 % beats rawnet2's 8 %, although rawnet2 is much better on the test set
    assert result.baseline.entry == "lcnn" and result.baseline_dev_eer == pytest.approx(6.0)
    asnet_auc = roc_auc(results.asnet().checkpoints[0].scores("eval").score[:MANY],
                        results.asnet().checkpoints[0].scores("eval").score[2 * MANY:])
    assert result.asnet.mean == pytest.approx(asnet_auc)
    assert result.gain == pytest.approx(100 * (result.asnet.mean - result.baseline_value.mean) / result.baseline_value.mean)
    assert result.interval[0] >= 4.0 and result.verdict == claims.HOLDS
    assert result.replicates == results.config.resamples


def test_does_not_hold_when_asnet_equals_the_baseline(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=1.0, lcnn_shift=1.0, n=200)
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    # the same scores on the same clips: every paired replicate's gain is 0
    assert result.gain == 0.0 and result.interval == (0.0, 0.0) and result.verdict == claims.FAILS
    assert result.clips == {"bona fide": 200, "unseen spoofs": 200}


def test_too_few_clips_is_underpowered_and_says_how_many(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=1.0, lcnn_shift=1.0)  # 60 clips per class
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert result.interval == (0.0, 0.0) and result.verdict == claims.UNDERPOWERED
    assert "fewer than 200 clips in bona fide (60), unseen spoofs (60)" in result.note
    assert 'the interval alone reads "does not hold"' in result.note


def test_a_wide_interval_is_underpowered_however_many_clips(tmp_path):
    results = unseen_results(tmp_path, asnet_shift=2.0, lcnn_shift=1.5, n=300)
    rng = np.random.default_rng(4)
    for ck in results.model("lcnn").checkpoints:  # noise of its own: the paired comparison stays imprecise
        table = ck.scores("eval")
        ck._scores["eval"] = ScoreTable(**{**table.__dict__, "score": table.score + rng.normal(0, 1.5, len(table))})
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert result.verdict == claims.UNDERPOWERED and "wider than the claimed range" in result.note
    assert result.widths[0] > result.widths[1] == pytest.approx(math.log(1.08 / 1.04))


@pytest.mark.parametrize("key, interval, clips, expected", [
    # the two verdicts a rerun of the demo flipped (issue 26): both runs of each give one answer
    ("cross_vocoder_auc", (3.0, 18.2), {"bona fide": 335, "unseen spoofs": 1005}, claims.UNDERPOWERED),
    ("cross_vocoder_auc", (5.6, 18.7), {"bona fide": 335, "unseen spoofs": 1005}, claims.UNDERPOWERED),
    ("ece", (0.91, 2.18), {"bona fide": 335, "spoof": 3015}, claims.UNDERPOWERED),
    ("ece", (0.86, 1.45), {"bona fide": 335, "spoof": 3015}, claims.UNDERPOWERED),
    # a narrow interval straddling the claimed boundary is never firm
    ("cross_vocoder_auc", (3.5, 5.0), {"bona fide": 500, "unseen spoofs": 500}, claims.INCONCLUSIVE),
    ("ece", (1.8, 2.4), {"bona fide": 500, "spoof": 500}, claims.INCONCLUSIVE),
    # narrow, enough clips, one side of the boundary: firm
    ("cross_vocoder_auc", (4.5, 7.0), {"bona fide": 200, "unseen spoofs": 200}, claims.HOLDS),
    ("cross_vocoder_auc", (0.5, 3.0), {"bona fide": 200, "unseen spoofs": 200}, claims.FAILS),
    ("pgd_eer", (35.0, 45.0), {"bona fide": 200, "spoof": 200}, claims.HOLDS),
    ("ece", (1.1, 1.5), {"bona fide": 200, "spoof": 200}, claims.FAILS),
    # the same with one clip too few in one group
    ("cross_vocoder_auc", (4.5, 7.0), {"bona fide": 199, "unseen spoofs": 200}, claims.UNDERPOWERED),
    ("pgd_eer", (35.0, 45.0), {"bona fide": 200, "spoof": 16}, claims.UNDERPOWERED),
    # an infinite factor (ASNet's ECE 0 in some replicate) has no finite width
    ("ece", (2.5, math.inf), {"bona fide": 500, "spoof": 500}, claims.UNDERPOWERED),
])
def test_power_rule(tmp_path, key, interval, clips, expected):
    results = memory_results(tmp_path, VALUES)
    decided, widths, why = claims.decide(claim(results, key), interval, clips, 200)
    assert decided == expected
    assert (why != "") == (expected == claims.UNDERPOWERED)


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
    assert "not measured" in table.markdown() and len(table.rows) == 5


def test_pairs_by_utt_id(tmp_path):
    """A baseline that scored only some of the clips is compared on those clips alone."""
    results = unseen_results(tmp_path, asnet_shift=4.0, lcnn_shift=1.0)
    for ck in results.model("lcnn").checkpoints:
        table = ck.scores("eval")
        keep = np.ones(len(table), bool)
        keep[N - 10:N] = False  # ten bona fide clips missing
        ck._scores["eval"] = table.subset(keep)
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert result.clips == {"bona fide": 50, "unseen spoofs": 60}  # both scored
    assert "paired clips: bona fide 50, unseen spoofs 60 (sys_u 60)" in result.note


def attack_result(clean, adv, labels) -> dict:
    per_clip = [{"utt_id": f"c{i}", "system": "bonafide" if y else "sys_a", "label": int(y), "clean_score": c,
                 "adv_score": a, "adv_energy": 0.0} for i, (c, a, y) in enumerate(zip(clean, adv, labels))]
    return {"per_clip": per_clip, "operating_point": {"temperature": 1.0}}


def pgd_results(tmp_path, per_class: int, suite: str = "claim_attacks"):
    """ASNet's attack moves the spoofs less than LCNN's; the results filed under `suite`."""
    rng = np.random.default_rng(1)
    labels = np.repeat([1, 0], per_class)
    clean = np.where(labels == 1, 1.0, -1.0) + rng.normal(0, 1.0, labels.size)
    values = {"asnet": 0.5, "lcnn": 1.5}  # how far the attack moves the spoofs toward bona fide
    attacks = {}
    for entry, stage in (("asnet", "adv"), ("lcnn", "base")):
        for seed in (0, 1):
            adv = clean + np.where(labels == 0, values[entry], 0.0)
            row = {"name": "pgd_linf-eps0.002", "attack": "pgd_linf", "budget": 0.002, "norm": "linf"}
            attacks[(f"{entry}_s{seed}", stage)] = ({"results": [row]}, attack_result(clean, adv, labels))
    metrics = {key: eval_metrics(5.0) for key in attacks}
    summaries = {k: v[0] for k, v in attacks.items()}
    results = memory_results(tmp_path, VALUES, metrics, **{"attacks" if suite == "attacks" else "claim_attacks": summaries})
    for group in results.checkpoints.values():
        for ck in group:
            if (ck.run.id, ck.stage) in attacks:
                ck._attacks[(suite, "pgd_linf-eps0.002")] = attacks[(ck.run.id, ck.stage)][1]
    return results


def test_pgd_claim_relative_reduction_on_the_claims_suite(tmp_path):
    results = pgd_results(tmp_path, per_class=2000)
    result = claims.check(results, claim(results, "pgd_eer"))
    assert result.baseline.entry == "lcnn" and result.clips == {"bona fide": 2000, "spoof": 2000}
    assert result.gain == pytest.approx(100 * (1 - result.asnet.mean / result.baseline_value.mean))
    assert result.asnet.mean < result.baseline_value.mean and result.verdict == claims.HOLDS
    few = claims.check(pgd_results(tmp_path, per_class=40), claim(results, "pgd_eer"))
    assert few.verdict == claims.UNDERPOWERED and "bona fide (40), spoof (40)" in few.note


def test_pgd_claim_ignores_the_grid_suite(tmp_path):
    """The per-checkpoint grid suite (16 clips of 0.5 s) never stands in for the claims suite."""
    results = pgd_results(tmp_path, per_class=40, suite="attacks")
    assert claims.check(results, claim(results, "pgd_eer")).verdict == claims.NOT_MEASURED


def codec_results(tmp_path, n: int = N):
    rng = np.random.default_rng(2)
    bona = rng.normal(2.0, 1.0, n)
    spoof = rng.normal(-2.0, 1.0, n)
    clean_energy = rng.normal(-5.0, 1.0, 3 * n)
    scores, metrics = {}, {}
    for entry, stage, gap, blur in (("asnet", "adv", 3.0, 0.0), ("lcnn", "base", 1.0, 1.5)):
        for seed in (0, 1):
            key = (f"{entry}_s{seed}", stage)
            scores[(*key, "eval")] = eval_table(bona, spoof, energy=clean_energy)
            shifted = eval_table(bona - blur, spoof + blur, energy=clean_energy + gap)
            scores[(*key, "codec_mp3_16k")] = shifted
            metrics[key] = eval_metrics(5.0)
    return memory_results(tmp_path, VALUES, metrics, scores=scores)


def test_codec_claim_has_both_readings_and_names_the_seeds(tmp_path):
    results = codec_results(tmp_path)
    ood = claims.check(results, claim(results, "codec_shift_auroc"))
    assert ood.asnet.mean > ood.baseline_value.mean and ood.clips == {"in-distribution": 120, "mp3_16k": 180}
    detection = claims.check(results, claim(results, "codec_shift_detection_auc"))
    lcnn = results.model("lcnn").checkpoints[0].scores("codec_mp3_16k")
    assert detection.baseline_value.mean == pytest.approx(roc_auc(lcnn.score[lcnn.labels == 1], lcnn.score[lcnn.labels == 0]))
    assert detection.clips == {"mp3_16k bona fide": N, "mp3_16k spoof": 2 * N}
    markdown = claims.claims_table(claims.check_all(results)).markdown()
    assert "energy OOD-AUROC (the seed's claim)" in markdown and "detection AUC under codecs" in markdown


def test_ece_claim_uses_its_own_statistic(tmp_path):
    results = codec_results(tmp_path, n=200)
    ece = claims.check(results, claim(results, "ece"))
    assert ece.gain == pytest.approx(1.0) and ece.verdict == claims.FAILS  # same scores: the same ECE


def test_cross_vocoder_pools_the_neural_unseen_system(tmp_path):
    """The corpus declares which systems are neural (prepare_demo.neural_systems); the unseen one
    is in the claim's pool and named as neural."""
    values = copy.deepcopy(VALUES)
    values["prepare_demo"] = {"neural_systems": ["tts_neural", "sys_a"]}
    rng = np.random.default_rng(3)
    bona, base = rng.normal(0.0, 1.0, N), rng.normal(0.0, 1.0, N)
    scores = {(run, stage, "eval"): eval_table(bona, base - shift, unseen="tts_neural")
              for run, stage, shift in (("asnet_s0", "adv", 2.0), ("asnet_s1", "adv", 2.0), ("lcnn_s0", "base", 1.0),
                                        ("lcnn_s1", "base", 1.0))}
    metrics = {key[:2]: eval_metrics(5.0) for key in scores}
    for key in metrics:
        metrics[key]["eval"]["seen_unseen"]["unseen"]["systems"] = ["tts_neural"]
    results = memory_results(tmp_path, values, metrics, scores=scores)
    assert results.neural == ("tts_neural", "sys_a")
    result = claims.check(results, claim(results, "cross_vocoder_auc"))
    assert result.clips == {"bona fide": N, "unseen spoofs": N} and "(tts_neural [neural] 60)" in result.note
    asnet = results.asnet().checkpoints[0].scores("eval")
    assert result.asnet.mean == pytest.approx(roc_auc(asnet.score[:N], asnet.score[2 * N:]))
