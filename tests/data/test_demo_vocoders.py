import warnings

import numpy as np
import pytest
from scipy.signal import lfilter

from asnet.data.demo import vocoders

RATE = 16000


def voice(f0: float, seconds: float = 0.8) -> np.ndarray:
    """A vowel-like test signal: a harmonic pulse train at f0 through two formant resonators."""
    n = int(seconds * RATE)
    pulses = (np.diff(np.floor(np.arange(n + 1) * f0 / RATE)) > 0).astype(float)
    for formant in (700, 1200):
        r, theta = 0.97, 2 * np.pi * formant / RATE
        pulses = lfilter([1.0], [1.0, -2 * r * np.cos(theta), r * r], pulses)
    return (0.3 * pulses / np.abs(pulses).max()).astype(np.float32)


def median_f0(wave: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyworld
    f0, _ = pyworld.dio(wave.astype(np.float64), RATE)
    return float(np.median(f0[f0 > 0]))


@pytest.fixture(scope="module")
def low_voice():
    return voice(120.0)


def test_world_resynthesis_keeps_pitch_and_length(low_voice):
    out = vocoders.world_resynthesis(low_voice, RATE)
    assert out.shape == low_voice.shape and np.isfinite(out).all()
    assert median_f0(out) == pytest.approx(120, rel=0.05)


def test_world_conversion_crosses_gender_both_ways(low_voice):
    assert median_f0(vocoders.world_conversion(low_voice, RATE, 1.6, 1.15)) == pytest.approx(192, rel=0.06)
    assert median_f0(vocoders.world_conversion(voice(220.0), RATE, 1.6, 1.15)) == pytest.approx(220 / 1.6, rel=0.06)


def test_envelope_warp_moves_peaks_up_by_the_ratio():
    envelope = np.full((2, 257), 1e-3)
    envelope[:, 100] = 1.0
    assert np.argmax(vocoders.warp_envelope(envelope, 1.2)[0]) == 120
    np.testing.assert_allclose(vocoders.warp_envelope(envelope, 1.0), envelope)


def test_griffin_lim_matches_magnitude_and_is_seeded(low_voice):
    out = vocoders.griffin_lim(low_voice, RATE, n_iter=32, seed=1)
    np.testing.assert_array_equal(out, vocoders.griffin_lim(low_voice, RATE, n_iter=32, seed=1))
    assert not np.array_equal(out, vocoders.griffin_lim(low_voice, RATE, n_iter=32, seed=2))
    window = np.hanning(512)
    target, rebuilt = (np.abs(vocoders._stft(x.astype(float), window, 128)) for x in (low_voice, out))
    assert np.linalg.norm(target - rebuilt) / np.linalg.norm(target) < 0.3
    assert not np.allclose(out, low_voice, atol=1e-2)  # the phase is new: a different waveform


def test_lpc_vocoder_keeps_pitch_and_is_seeded(low_voice):
    out = vocoders.lpc_vocoder(low_voice, RATE, order=16, seed=0)
    assert out.shape == low_voice.shape and np.isfinite(out).all()
    np.testing.assert_array_equal(out, vocoders.lpc_vocoder(low_voice, RATE, order=16, seed=0))
    assert median_f0(out) == pytest.approx(120, rel=0.05)
    energy = np.sqrt(np.mean(out.astype(float) ** 2)) / np.sqrt(np.mean(low_voice.astype(float) ** 2))
    assert 0.3 < energy < 3
