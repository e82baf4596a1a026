"""Trivial-cue baseline: cues measured right, trees walked in torch exactly as sklearn does, saved
and restored through safetensors, and a cue-separable toy corpus separated."""
import numpy as np
import pytest
import torch
from sklearn.ensemble import GradientBoostingClassifier

from asnet.data.shards import ClipInfo, ShardWriter, WaveShards
from asnet.models.baselines.trivial import CUES, build, clip_cues, fit, shard_cues
from asnet.checkpoint import load_checkpoint, save_checkpoint

RATE = 16000


def cue(cues, name):
    return cues[:, CUES.index(name)]


def toy_clip(rng, bonafide: bool) -> np.ndarray:
    """Bona fide: 0.4-0.8 s of tone in 0.2 s of leading and trailing silence, band-limited below
    4 kHz; spoof: 0.8-1.2 s of tone and broadband noise, no silence (a corpus with shortcuts)."""
    n = int(rng.uniform(0.4, 1.2) * RATE)
    t = np.arange(n) / RATE
    tone = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 300) * t)
    if bonafide:
        quiet = np.zeros(int(0.2 * RATE))
        return np.concatenate([quiet, tone, quiet])
    return tone + 0.05 * rng.standard_normal(n)


@pytest.fixture(scope="module")
def toy_split(tmp_path_factory):
    rng = np.random.default_rng(0)
    directory = tmp_path_factory.mktemp("toy") / "train"
    with ShardWriter(directory) as writer:
        for i in range(60):
            bonafide = i % 2 == 0
            writer.add(ClipInfo(f"utt{i:02d}", 0, 0, "bonafide" if bonafide else "spoof",
                                "bonafide" if bonafide else "tts", "spk"), toy_clip(rng, bonafide))
    return WaveShards(directory)


def test_cues_of_a_known_clip():
    wave = np.zeros(RATE, dtype=np.float32)
    wave[4000:12000] = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / RATE)
    cues = clip_cues(torch.from_numpy(wave)[None], None, RATE, quiet_db=40.0)
    assert cue(cues, "duration_s").item() == pytest.approx(1.0)
    assert cue(cues, "peak_dbfs").item() == pytest.approx(20 * np.log10(0.5), abs=0.01)
    assert cue(cues, "rms_dbfs").item() == pytest.approx(10 * np.log10(0.125 * 0.5), abs=0.01)
    assert cue(cues, "zero_fraction").item() == pytest.approx(0.5, abs=0.001)
    assert cue(cues, "leading_quiet_s").item() == pytest.approx(0.25, abs=0.035)  # one 16 ms hop, plus the frame
    assert cue(cues, "trailing_quiet_s").item() == pytest.approx(0.25, abs=0.035)
    assert cue(cues, "rolloff85_hz").item() == pytest.approx(440, abs=32)
    assert cue(cues, "energy_above_3400hz").item() < 1e-3


def test_cues_do_not_depend_on_padding():
    rng = np.random.default_rng(1)
    waves = [torch.from_numpy(rng.standard_normal(n).astype(np.float32) * 0.1) for n in (3000, 7000)]
    batched = clip_cues(torch.nn.utils.rnn.pad_sequence(waves, batch_first=True), torch.tensor([3000, 7000]), RATE, 40.0)
    alone = torch.cat([clip_cues(w[None], None, RATE, 40.0) for w in waves])
    assert torch.allclose(batched, alone, rtol=1e-5, atol=1e-6)


def test_tree_walk_equals_sklearn_decision_function(configs):
    rng = np.random.default_rng(2)
    cues = rng.standard_normal((400, len(CUES))).astype(np.float32)
    labels = (cues[:, 0] + 0.5 * cues[:, 3] ** 2 + 0.3 * rng.standard_normal(400) > 0.4).astype(int)
    config = configs["trivial"]
    classifier = GradientBoostingClassifier(n_estimators=config["n_estimators"], max_depth=config["max_depth"],
                                            learning_rate=config["learning_rate"], random_state=0).fit(cues, labels)
    model = build(config)
    model.copy_trees(classifier)
    ours = model.decision(torch.from_numpy(cues)).numpy()
    np.testing.assert_allclose(ours, classifier.decision_function(cues), atol=1e-6, rtol=0)


def test_fit_separates_a_cue_separable_corpus_and_survives_a_checkpoint(toy_split, configs, tmp_path):
    model = fit(toy_split, configs["trivial"], seed=0)
    waves = [torch.from_numpy(toy_split[i]) for i in range(len(toy_split))]
    with torch.no_grad():
        scores = torch.cat([model(w[None]).score for w in waves]).numpy()
    labels = toy_split.labels
    assert scores[labels == 1].min() > 0 > scores[labels == 0].max()
    save_checkpoint(tmp_path, model, {"model": configs["trivial"], "stage": "base"})
    restored, _ = load_checkpoint(tmp_path)
    with torch.no_grad():
        assert torch.equal(restored(waves[0][None]).logits, model(waves[0][None]).logits)
    assert shard_cues(toy_split, configs["trivial"]).shape == (60, len(CUES))
