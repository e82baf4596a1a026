"""run_model on long recordings: windows of a clip longer than max_clip, averaged; short clips unchanged."""
from dataclasses import dataclass

import numpy as np
import torch

from asnet.data.shards import ClipInfo, ShardWriter, WaveShards
from asnet.eval.inference import run_model
from asnet.eval.windows import WindowPolicy

POLICY = WindowPolicy(max_clip=4000, window=1600, hop=800)


@dataclass
class Output:
    logits: torch.Tensor
    score: torch.Tensor
    energy: torch.Tensor
    abstain: torch.Tensor
    gate: None = None


class LevelDetector(torch.nn.Module):
    """Outputs depend on the whole input; records the longest input it was given."""

    longest = 0

    def forward(self, wave, lengths=None):
        LevelDetector.longest = max(LevelDetector.longest, wave.shape[1])
        level = wave.abs().mean(1) * 10
        peak = wave.abs().amax(1)
        logits = torch.stack([peak - level, level - peak * 0.5], 1)
        return Output(logits, logits[:, 1] - logits[:, 0], -torch.logsumexp(logits, 1), level)


def shard(directory, waves: dict[str, np.ndarray]) -> WaveShards:
    with ShardWriter(directory) as writer:
        for utt_id, wave in waves.items():
            writer.add(ClipInfo(utt_id, 0, 0, "bonafide", "bonafide", "spk"), wave)
    return WaveShards(directory)


def clips(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"short{i}": (0.2 * rng.standard_normal(n)).astype(np.float32) for i, n in enumerate([900, 2500, 4000, 2500])}


def test_short_clips_are_bit_identical_with_a_long_clip_beside_them(tmp_path):
    rng = np.random.default_rng(1)
    long = (0.1 * rng.standard_normal(9100)).astype(np.float32)
    long[2400:5600] = 0.0  # three windows of digital silence (starts 2400, 3200, 4000), left out of the mean
    alone = run_model(LevelDetector(), shard(tmp_path / "a", clips()), 2, "cpu", POLICY)
    LevelDetector.longest = 0
    mixed_shards = shard(tmp_path / "b", {**clips(), "long": long})
    mixed = run_model(LevelDetector(), mixed_shards, 2, "cpu", POLICY)
    assert mixed.utt_id == ["short0", "short1", "short2", "short3", "long"] and not mixed.rejects
    for name in ("logits", "score", "energy", "abstain"):
        np.testing.assert_array_equal(getattr(mixed, name)[:4], getattr(alone, name))
    assert LevelDetector.longest == 4000  # the long clip was never passed whole

    stored = mixed_shards.by_id("long")
    starts = POLICY.starts(len(stored))
    windows = [stored[s : s + POLICY.window] for s in starts]
    kept = [w for w in windows if np.abs(w).max() > 0]
    assert len(kept) == len(windows) - 3
    with torch.no_grad():
        expected = LevelDetector()(torch.from_numpy(np.stack(kept)))
    assert mixed.score[4] == np.float32(expected.score.double().mean())
    np.testing.assert_allclose(mixed.logits[4], expected.logits.double().mean(0), rtol=1e-6)
    assert mixed.gate is None


def test_a_long_clip_of_silence_is_rejected_by_name(tmp_path):
    outputs = run_model(LevelDetector(), shard(tmp_path, {**clips(), "quiet": np.zeros(9000, np.float32)}), 4, "cpu",
                        POLICY)
    assert outputs.utt_id == ["short0", "short1", "short2", "short3"]
    assert outputs.rejects == [("quiet", "silent")]


def test_dev_calibration_windows_long_clips_as_asnet_score_does(tmp_path):
    """Dev scoring (asnet.eval.calibrate) takes its window policy from params eval at
    base.sample_rate, like `asnet score`, not a built-in 16 kHz default."""
    from asnet.eval.calibrate import score_dev

    long = (0.1 * np.random.default_rng(2).standard_normal(9100)).astype(np.float32)
    shards = shard(tmp_path, {**clips(), "long": long})
    params = {"base": {"sample_rate": 8000},
              "eval": {"max_clip_seconds": 0.5, "window_seconds": 0.2, "window_hop_seconds": 0.1}}
    outputs, _ = score_dev(LevelDetector(), shards, params, "cpu")
    expected = run_model(LevelDetector(), shards, 2, "cpu", POLICY)  # 0.5 / 0.2 / 0.1 s at 8 kHz
    assert outputs.utt_id == expected.utt_id
    np.testing.assert_array_equal(outputs.score, expected.score)
