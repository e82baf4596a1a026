"""EOT stages, the subset draw and the params checks."""
import numpy as np
import pytest
import torch

from asnet.attacks.config import ConfigError
from asnet.attacks.eot import EOT, RandomCrop, StraightThrough
from asnet.attacks.pgd import pgd
from asnet.attacks.subset import SubsetError, draw_subset
from asnet.attacks.target import AttackTarget
from asnet.data.shards import ClipInfo, ShardWriter, WaveShards

from attacks_toys import TONE_POINT, ToneDetector, attack_config, tone_subset


def test_random_crop_takes_a_seeded_window_of_each_row():
    wave = torch.arange(20.0).reshape(2, 10)
    crop = RandomCrop(4)
    a, b = crop(wave, np.random.default_rng(3)), crop(wave, np.random.default_rng(3))
    assert a.shape == (2, 4) and torch.equal(a, b)
    for row, window in zip(wave, a):
        start = int(window[0] - row[0])
        assert torch.equal(window, row[start : start + 4])
    assert torch.equal(RandomCrop(50)(wave, np.random.default_rng(0)), wave)


def test_a_numpy_transform_is_exact_forward_and_identity_backward():
    wave = torch.linspace(-0.5, 0.5, 16).reshape(2, 8).requires_grad_(True)
    out = StraightThrough(lambda row, rng: row[::-1].copy())(wave, np.random.default_rng(0))
    assert torch.equal(out.detach(), wave.detach().flip(-1))
    (grad,) = torch.autograd.grad((out * torch.arange(16.0).reshape(2, 8)).sum(), wave)
    assert torch.equal(grad, torch.arange(16.0).reshape(2, 8))


def test_attacks_average_over_the_random_stages_and_stay_in_budget():
    config = attack_config(eot={"samples": 3, "transforms": {"crop": {"family": "random_crop", "seconds": 0.04},
                                                             "reverse": {"family": "reverse"}}})
    eot = EOT.from_params(config.eot, config.sample_rate)
    target = AttackTarget(ToneDetector(), TONE_POINT, eot)
    clean = torch.from_numpy(tone_subset().waves)
    expected, deployed = target.expected(clean), target.deployed(clean)
    assert not torch.allclose(expected.score, deployed.score)  # crops of reversed audio score otherwise
    assert torch.equal(AttackTarget(ToneDetector(), TONE_POINT).expected(clean).score, deployed.score)
    radius = torch.full((len(clean),), 0.004)
    adversarial = pgd(target, clean, torch.from_numpy(tone_subset().labels), "linf", radius, 2, 1, 0.5)
    assert (adversarial - clean).abs().max() <= 0.004 * (1 + 1e-5) and adversarial.abs().max() <= 1.0


@pytest.fixture
def shard(tmp_path):
    rng = np.random.default_rng(0)
    with ShardWriter(tmp_path / "eval") as writer:
        for i in range(12):
            label = "bonafide" if i < 5 else "spoof"
            n = 300 if i % 3 == 0 else 1000
            wave = np.zeros(n) if i == 1 else 0.1 * rng.standard_normal(n)
            writer.add(ClipInfo(f"utt{i:02d}", 0, n, label, "bonafide" if i < 5 else "tts", "spk"), wave)
    return WaveShards(tmp_path / "eval")


def test_the_subset_is_balanced_seeded_fixed_length_and_skips_silence(shard, capsys):
    subset = draw_subset(shard, 6, 800, seed=0)
    assert "utt01 skipped: empty or silent" in capsys.readouterr().err
    assert list(subset.labels).count(1) == 3 and list(subset.labels).count(0) == 3
    assert "utt01" not in subset.utt_id and subset.utt_id == sorted(subset.utt_id)
    assert subset.waves.shape == (6, 800) and subset.waves.dtype == np.float32
    assert subset.utt_id == draw_subset(shard, 6, 800, seed=0).utt_id
    for utt, wave in zip(subset.utt_id, subset.waves):
        np.testing.assert_array_equal(wave, np.resize(shard.by_id(utt), 800))  # the start, repeated when short


def test_a_one_class_shard_is_refused(tmp_path):
    with ShardWriter(tmp_path / "s") as writer:
        writer.add(ClipInfo("a", 0, 100, "spoof", "tts", "spk"), np.full(100, 0.1))
    with pytest.raises(SubsetError, match="no usable bona fide clip"):
        draw_subset(WaveShards(tmp_path / "s"), 4, 100, 0)


@pytest.mark.parametrize("changes, message", [
    ({"suites": {"grid": ["pgd_linf", "pgd_typo"]}}, "unknown attack"),
    ({"linf_eps": [0.001, 0.002]}, "reference_eps"),
    ({"pgd": {"steps": 5, "restarts": 1}}, "attack.pgd: missing"),
    ({"surprise": 1}, "unknown \\['surprise'\\]"),
])
def test_bad_params_are_named(changes, message):
    with pytest.raises(ConfigError, match=message):
        attack_config(**changes)
