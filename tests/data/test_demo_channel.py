"""Channel matching: a neural spoof takes its recording's long-term spectral envelope, not its content."""
import numpy as np
from scipy.signal import butter, sosfilt

from asnet.data.demo.channel import long_term_spectrum, match_channel

RATE = 16000


def band_share(wave: np.ndarray, low_hz: float) -> float:
    spectrum = long_term_spectrum(wave, RATE, 60.0, 40.0)
    freqs = np.linspace(0, RATE / 2, len(spectrum))
    return spectrum[freqs > low_hz].sum() / spectrum.sum()


def voiced(f0: float, seconds: float, rng) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    harmonics = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, int(RATE / 2 // f0)))
    return (harmonics + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def test_spoof_gets_the_recording_band_energies():
    rng = np.random.default_rng(0)
    dull = sosfilt(butter(1, 4000, "lowpass", fs=RATE, output="sos"), voiced(120, 1.0, rng)).astype(np.float32)
    bright = sosfilt(butter(1, 500, "highpass", fs=RATE, output="sos"), voiced(210, 0.8, rng)).astype(np.float32)
    matched = match_channel(dull, bright, RATE, 60.0, 40.0)
    assert len(matched) == len(dull) and np.isfinite(matched).all()
    for edge in (3400, 4000, 6000, 7000):  # the trivial-cue audit's band edges
        before = abs(np.log10(band_share(dull, edge) / band_share(bright, edge)))
        after = abs(np.log10(band_share(matched, edge) / band_share(bright, edge)))
        assert before > 1.0 and after < 0.1 * before  # 10 to 25 dB off before, a tenth of that after
        assert after < 0.1 or edge == 7000  # within 1 dB up to 6 kHz


def test_matching_a_clip_to_itself_changes_little():
    wave = voiced(150, 0.7, np.random.default_rng(1))
    same = match_channel(wave, wave, RATE, 60.0, 40.0)
    assert np.sqrt(np.mean((same - wave) ** 2)) < 0.05 * np.sqrt(np.mean(wave**2))
