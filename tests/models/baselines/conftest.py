"""Shared inputs of the baseline tests.

`reference_wave` is the recipe of the inputs whose published-AASIST logits are stored in
fixtures/aasist_reference.json: the JSON names (kind, n_samples, seed) and the test regenerates the
waveform from them (numpy's PCG64 generator, so the samples are the same on every platform).
"""
from __future__ import annotations

import numpy as np
import pytest

SAMPLE_RATE = 16000


def reference_wave(kind: str, n_samples: int, seed: int) -> np.ndarray:
    """float32 [n_samples] in [-1, 1] at about -23 dBFS.

    noise:  white Gaussian noise.
    speech: voiced speech-like audio: 30 harmonics of an F0 gliding within 100-220 Hz, shaped by
            three formant bumps (500, 1500, 2500 Hz), under a 4 Hz syllabic envelope, with noise
            filling the gaps between syllables (fricative-like).
    """
    rng = np.random.default_rng(seed)
    if kind == "noise":
        wave = rng.standard_normal(n_samples)
    elif kind == "speech":
        t = np.arange(n_samples) / SAMPLE_RATE
        f0 = 160 + 60 * np.sin(2 * np.pi * rng.uniform(0.3, 0.9) * t + rng.uniform(0, 2 * np.pi))
        phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
        formants = [(500, 1.0), (1500, 0.5), (2500, 0.25)]
        voice = np.zeros(n_samples)
        for k in range(1, 31):
            gain = sum(a * np.exp(-0.5 * ((k * f0 - f) / 150) ** 2) for f, a in formants) / k
            voice += gain * np.sin(k * phase)
        envelope = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 2 * np.pi)), 0, None)
        wave = voice * envelope + 0.05 * (1 - envelope) * rng.standard_normal(n_samples)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    wave = wave / np.sqrt(np.mean(wave**2)) * 10 ** (-23 / 20)
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


@pytest.fixture(name="reference_wave")
def reference_wave_fixture():
    return reference_wave


# The sizes each module documents as its default (the published ones), and small ones for fast tests.
CONFIGS = {
    "lcnn": {"architecture": "lcnn", "sample_rate": 16000, "min_samples": 16000, "n_fft": 512, "win_length": 320,
             "hop_length": 160, "n_filters": 20, "n_coefficients": 20, "max_freq": 0.5, "pre_emphasis": 0.97,
             "dropout": 0.7},
    "rawnet2": {"architecture": "rawnet2", "sample_rate": 16000, "min_samples": 16000, "sinc_channels": 20,
                "sinc_kernel": 1024, "block_channels": [20, 20, 128, 128, 128, 128], "gru_hidden": 1024,
                "gru_layers": 3, "fc_hidden": 1024},
    "rawnet2_narrow": {"architecture": "rawnet2", "sample_rate": 16000, "min_samples": 16000, "sinc_channels": 20,
                       "sinc_kernel": 256, "block_channels": [20, 20, 64, 64, 64, 64], "gru_hidden": 128,
                       "gru_layers": 1, "fc_hidden": 128},
    "trivial": {"architecture": "trivial", "sample_rate": 16000, "n_estimators": 100, "max_depth": 3,
                "learning_rate": 0.1, "quiet_db": 40.0},
}


@pytest.fixture
def configs():
    import copy

    return copy.deepcopy(CONFIGS)
