"""Every attack stays within its budget and within [-1, 1]; the torchattacks path keeps negative
samples, works with two logits and leaves the detector in eval mode."""
import numpy as np
import pytest
import torch

from asnet.attacks import norms
from asnet.attacks.external import apgd, cw_l2
from asnet.attacks.target import DUMMY_LOGIT, AttackTarget, UnitInterval, from_unit, to_unit
from asnet.models.output import DetectorOutput

from attacks_toys import ALL_ATTACKS, TONE_POINT, ToneDetector, rail_subset, tone


@pytest.mark.parametrize("attack", ALL_ATTACKS)
def test_every_attack_stays_within_its_budget_and_the_waveform_range(full_run, attack):
    runner, _, _ = full_run
    clean = torch.from_numpy(rail_subset().waves)
    spec_norm = "l2" if attack in ("pgd_l2", "cw_l2") else "linf"
    for budget, (adversarial, _) in runner.found[attack].items():
        adversarial = torch.from_numpy(adversarial)
        assert adversarial.min() >= -1.0 and adversarial.max() <= 1.0, (attack, budget)
        radius = norms.radius(clean, spec_norm, budget)
        size = norms.norm(adversarial - clean, spec_norm)
        assert (size <= radius * (1 + 1e-5)).all(), (attack, budget, (size / radius).max())


def test_the_rails_are_reached_but_never_crossed(full_run):
    runner, _, _ = full_run
    adversarial, _ = runner.found["pgd_linf"][0.016]
    assert adversarial[0, :40].max() == 1.0 and adversarial[1, :40].min() == -1.0


def test_per_clip_records_match_the_budget(full_run):
    _, _, out = full_run
    import json

    for budget in (0.001, 0.004, 0.016):
        result = json.loads((out / f"pgd_linf-eps{budget:g}.json").read_text())
        assert all(clip["linf"] <= budget * (1 + 1e-5) for clip in result["per_clip"])
        assert all(clip["snr_db"] is None or clip["snr_db"] > 0 for clip in result["per_clip"])


def test_the_affine_view_keeps_negative_samples():
    wave = torch.tensor([[-1.0, -0.5, -1e-4, 0.0, 0.25, 1.0]])
    u = to_unit(wave)
    assert u.shape == (1, 1, 1, 6) and u.min() >= 0 and u.max() <= 1
    assert torch.allclose(from_unit(u), wave, rtol=0, atol=1e-6)


@pytest.mark.parametrize("attack", ["apgd_ce", "apgd_dlr", "fab_linf", "cw_l2"])
def test_torchattacks_never_clips_the_negative_half_of_the_waveform(full_run, attack):
    runner, _, _ = full_run
    clean = rail_subset().waves
    for adversarial, _ in runner.found[attack].values():
        negative = clean < -0.05  # far below any budget: must stay negative
        assert (adversarial[negative] < 0).all()
        assert adversarial.min() < -0.25


def test_the_two_class_autoattack_path_runs_and_succeeds(full_run):
    _, summary, _ = full_run
    rows = {r["name"]: r for r in summary["results"]}
    for name in ("apgd_ce-eps0.016", "apgd_dlr-eps0.016"):
        assert rows[name]["success_rate"]["all"] == 1.0, name  # PGD flips every clip there too
    view = UnitInterval(AttackTarget(ToneDetector(), TONE_POINT), dummies=2)
    logits = view(to_unit(torch.from_numpy(rail_subset().waves)))
    assert logits.shape == (8, 4) and (logits[:, 2:] == DUMMY_LOGIT).all()
    assert set(logits.argmax(-1).tolist()) <= {0, 1}


class NormedTone(torch.nn.Module):
    """The tone detector behind a BatchNorm and a dropout: train mode would change its output."""

    def __init__(self):
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(1)
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, wave, lengths=None):
        x = self.drop(self.norm(wave.unsqueeze(1)).squeeze(1))
        score = 200 * (x * tone(x.shape[-1])).mean(-1)
        return DetectorOutput(torch.stack([-score / 2, score / 2], -1), score, score - 1, -score.abs())


def test_torchattacks_leave_the_detector_in_eval_mode_with_its_statistics():
    model = NormedTone()
    model.norm.running_mean.fill_(0.01)
    target = AttackTarget(model, TONE_POINT)
    wave = torch.from_numpy(rail_subset().waves)
    labels = torch.tensor([1, 0] * 4)
    apgd(target, wave, labels, 0.004, "ce", steps=2, restarts=1, rho=0.75, seed=0)
    cw_l2(target, wave, labels, c=10.0, kappa=0.0, steps=2, lr=0.01)
    target.train()
    assert not model.training and not model.norm.training and not model.drop.training
    assert model.norm.running_mean.item() == pytest.approx(0.01) and model.norm.num_batches_tracked.item() == 0
    assert all(not p.requires_grad for p in model.parameters())


def test_unchanged_samples_come_back_exactly():
    """A clip torchattacks leaves alone reads as no perturbation (SNR inf), not a 100+ dB one."""
    from asnet.attacks.external import to_wave

    wave = torch.from_numpy(rail_subset().waves)
    assert torch.equal(to_wave(to_unit(wave), wave), wave)
    assert np.isinf(norms.snr_db(wave, to_wave(to_unit(wave), wave) - wave).numpy()).all()
