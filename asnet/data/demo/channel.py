"""Give a synthetic clip the long-term spectral envelope of the recording it imitates.

The neural TTS voices were trained on studio speech; the volunteers' recordings went through
their own microphones and rooms. Left alone, that colouration is a shortcut: the trivial-cue
audit separated Piper from bona fide by its band energies and roll-off (boosted trees fitted per
system, language-grouped 5-fold AUC 0.90 on 400 clips of each class; 0.71 with this step and
pacing's third rendering, 300 each). An attacker would play or filter a clone through the
target's channel, so each neural spoof is equalised to its recording: the ratio of the two clips' smoothed
average power spectra over their speech (high-passed and trimmed as in
asnet.data.demo.condition), limited to +-MAX_GAIN_DB, becomes a zero-phase FIR filter. What is
left to detect is the synthesis itself, not the microphone.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import fftconvolve, firwin2

from asnet.data.demo.condition import highpass, trim_silence

FRAME, HOP = 512, 256  # long-term spectrum analysis at 16 kHz (32 ms frames)
SMOOTH_HZ = 300.0  # envelope resolution: wider than a harmonic spacing, so only the colouration is matched
MAX_GAIN_DB = 20.0
TAPS = 511  # FIR length (odd: a type I linear-phase filter, delay compensated)


def long_term_spectrum(wave: np.ndarray, sample_rate: int, highpass_hz: float, top_db: float) -> np.ndarray:
    """Smoothed mean power spectrum [FRAME // 2 + 1] of the clip's trimmed speech."""
    speech = trim_silence(highpass(wave, sample_rate, highpass_hz), sample_rate, top_db)
    speech = np.pad(speech, (0, max(0, FRAME - len(speech))))
    frames = np.lib.stride_tricks.sliding_window_view(speech, FRAME)[::HOP] * np.hanning(FRAME)
    power = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    return uniform_filter1d(power, size=max(1, round(SMOOTH_HZ / (sample_rate / FRAME))), mode="nearest")


def match_channel(spoof: np.ndarray, reference: np.ndarray, sample_rate: int, highpass_hz: float,
                  top_db: float) -> np.ndarray:
    """`spoof` filtered so its long-term spectral envelope is `reference`'s (both at sample_rate)."""
    ratio = long_term_spectrum(reference, sample_rate, highpass_hz, top_db) / np.maximum(
        long_term_spectrum(spoof, sample_rate, highpass_hz, top_db), 1e-20)
    gain_db = np.clip(10 * np.log10(np.maximum(ratio, 1e-20)), -MAX_GAIN_DB, MAX_GAIN_DB)
    freqs = np.linspace(0.0, 1.0, len(gain_db))  # firwin2's frequency axis: 0 .. Nyquist
    taps = firwin2(TAPS, freqs, 10 ** (gain_db / 20))
    return fftconvolve(spoof, taps, mode="same").astype(np.float32)
