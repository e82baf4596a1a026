"""Model cards: name the corpora, the thresholds and the limits; render with and without metrics."""
from asnet.report.model_card import render_model_card

META = {
    "model": {"architecture": "asnet", "embed_dim": 128, "spectral_channels": [16, 32, 48, 64], "prosody_channels": 64,
              "prosody_dilations": [1, 2, 4, 8, 16], "gate_energy_weight": 1.0, "cmra": {"variant": "corridor"},
              "features": {"n_mels": 80, "win_length": 400, "hop_length": 160}},
    "stage": "adv", "temperature": 1.8731, "abstain_threshold": 0.4211, "eer_threshold": -0.3377,
    "ood_threshold": -4.1234, "train_corpora": ["demo"], "train_systems": ["espeak_ng", "world"],
    "dev": {"auc": 0.991, "eer": 3.21, "accuracy": 0.95, "energy": -6.2}, "parameters": 612345,
    "path": "results/models/asnet_s0/adv",
}
METRICS = {
    "eval": {"corpus": "demo", "n": {"total": 3350, "bonafide": 335, "spoof": 3015}, "eer_pct": 7.53,
             "ci95": {"eer_pct": [6.1, 9.2], "auc": [0.95, 0.98]}, "auc": 0.9712,
             "calibration": {"ece": 0.0412, "temperature": 1.8731},
             "abstention": {"at_threshold": {"abstain_pct": 10.4, "eer_pct": 4.2}}, "ood": None},
    "codec_mp3_16k": {"corpus": "demo", "n": {"bonafide": 335, "spoof": 3015}, "eer_pct": 15.02, "auc": 0.901,
                      "calibration": {"ece": 0.11}, "abstention": {"at_threshold": {"abstain_pct": 22.0, "eer_pct": None}},
                      "ood": {"energy_auroc": 0.734}},
}
ATTACKS = {"results": [{"name": "pgd_linf_eps0.001", "budget": 0.001, "robust_accuracy": 0.41,
                        "success_rate": {"all": 0.55}, "undetected_flip_rate": 0.3, "snr_db_mean": 38.2}],
           "sanity": [{"name": "budget_monotone", "status": "pass"}, {"name": "unbounded", "status": "fail"}]}


def test_card_without_metrics_names_corpora_thresholds_and_limits():
    card = render_model_card(META)
    assert card.startswith("# Model card: asnet `adv` (results/models/asnet_s0/adv)")
    assert "`demo`" in card and "`espeak_ng`" in card and "612,345" in card
    for value in ("1.8731", "0.4211", "-0.3377", "-4.1234"):
        assert value in card
    assert "sigmoid(-score / T)" in card and "bona fide iff score > threshold" in card
    assert "At this threshold P(spoof) = 0.545" in card  # 1 / (1 + exp(-0.3377 / 1.8731))
    assert "Not a forensic tool" in card and "7,546 training clips" in card
    assert "Not evaluated yet" in card and "## Robustness to attacks" not in card
    assert "EER 3.21 %" in card and "AUC 0.9910" in card


def test_card_with_metrics_and_attacks_tabulates_them():
    card = render_model_card(META, METRICS, ATTACKS)
    assert "Not evaluated yet" not in card
    assert "| `codec_mp3_16k` | demo | 335 / 3015 | 15.02 | 0.9010 | 0.1100 | 22.0 | n/a | 0.734 |" in card
    assert "| `eval` | demo | 335 / 3015 | 7.53 (6.10-9.20) | 0.9712 | 0.0412 | 10.4 | 4.20 | n/a |" in card
    assert "| `pgd_linf_eps0.001` | 0.001 | 0.410 | 0.550 | 0.300 | 38.2 |" in card
    assert "Sanity checks: 1 of 2 passed; failed: unbounded" in card


def test_a_checkpoint_from_another_corpus_does_not_claim_the_demo_facts():
    card = render_model_card({**META, "train_corpora": ["asvspoof2019_la"], "model": {"architecture": "lcnn"}})
    assert "7,546" not in card and "`asvspoof2019_la`" in card and "Model card: lcnn" in card
