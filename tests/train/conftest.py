from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from asnet.runs import with_seed
from asnet.train.stages import STAGES
from asnet.utils import load_params


class ToyDetector(torch.nn.Module):
    """wave [B, N] -> SimpleNamespace(logits [B, 2]); has BatchNorm, so running stats can move."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 4, kernel_size=9, stride=4)
        self.norm = torch.nn.BatchNorm1d(4)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, wave):
        hidden = torch.relu(self.norm(self.conv(wave.unsqueeze(1))))
        return SimpleNamespace(logits=self.head(hidden.mean(dim=2)))


@pytest.fixture
def toy():
    torch.manual_seed(0)
    return ToyDetector()


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(1)
    wave = (torch.randn(8, 400, generator=generator) * 0.6).clamp(-1.0, 1.0)
    return wave, torch.tensor([0, 1] * 4)


def write_fake_split(directory, n_bonafide: int, n_spoof: int, seed: int, min_len: int = 800, max_len: int = 4000):
    """A tiny shard split: bona fide = noisy harmonic tones, spoof = clean sine sweeps."""
    import numpy as np

    from asnet.data.shards import ClipInfo, ShardWriter

    rng = np.random.default_rng(seed)
    with ShardWriter(directory) as writer:
        for i in range(n_bonafide + n_spoof):
            bonafide = i < n_bonafide
            n = int(rng.integers(min_len, max_len))
            t = np.arange(n) / 16000
            f0 = rng.uniform(100, 300)
            if bonafide:
                wave = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * np.sin(4 * np.pi * f0 * t) + 0.05 * rng.standard_normal(n)
            else:
                wave = 0.3 * np.sin(2 * np.pi * (f0 + 400 * t) * t)
            system = "bonafide" if bonafide else f"tts{i % 2}"
            writer.add(ClipInfo(f"utt{i:03d}", 0, n, "bonafide" if bonafide else "spoof", system, f"spk{i % 3}"), wave)
    return directory


@pytest.fixture(scope="session")
def make_split():
    return write_fake_split


@pytest.fixture
def fake_cache(tmp_path):
    """A shard directory with train/ (8 bona fide, 8 spoof) and dev/ (4 + 4)."""
    root = tmp_path / "cache"
    write_fake_split(root / "train", 8, 8, seed=0)
    write_fake_split(root / "dev", 4, 4, seed=1)
    return root


def tiny_asnet_params() -> dict:
    """params.yaml, as a run's stage sees it (seed 0), with a tiny ASNet, 0.1 s crops and two
    2-step epochs per stage."""
    params = with_seed(load_params(Path(__file__).parents[2] / "params.yaml"), 0)
    params["base"]["clip_seconds"] = 0.1
    params["model"].update(
        embed_dim=8, spectral_channels=[4, 4, 4, 4], prosody_channels=4, prosody_dilations=[1, 2],
        attention_dim=4, gate_hidden=4, head_hidden=4, proj_dim=4,
    )
    common = params["train"]["common"]
    common.update(batch_size=4, ema_decay=0.5)
    for stage in STAGES:
        params["train"][stage].update(epochs=2, steps_per_epoch=2)
    params["train"]["adv"]["steps"] = 2
    return params


@pytest.fixture(scope="session")
def tiny_params():
    return tiny_asnet_params
