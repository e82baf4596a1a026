"""The one processing chain every demo clip passes, bona fide and spoof alike (ARCHITECTURE §7).

Silence length, level, native sample rate, bandwidth and DC offset must not separate the classes, so:
1. everything is resampled to the corpus rate (16 kHz) with soxr;
2. a spoof derived from a recording stored below that rate (8 kHz ktuberling files) is first
   passed through the recording's native rate, so it has the same bandwidth as its bona fide;
3. a zero-phase 4th-order Butterworth high-pass at `highpass_hz` removes DC offset and rumble
   (up to half the energy of some ktuberling recordings; TTS output has none);
4. leading and trailing silence is trimmed, librosa-style: frames more than `top_db` below the
   loudest frame are silence (25 ms frames, 10 ms hop, so at most ~25 ms of it is kept);
5. RMS loudness is normalised to `target_dbfs`, then lowered if needed so the peak stays at or
   below `peak_dbfs` (no clipping when written as 16-bit PCM);
6. a seeded white-noise floor at `noise_floor_dbfs` is added: TTS engines write digital silence
   between words, which 16-bit quantisation keeps as runs of exact zeros that no microphone
   recording has (the trivial-cue baseline separated the classes by the share of zero samples
   alone, dev AUC 0.67).
Clips shorter than MIN_SECONDS before or after trimming are refused ("too short").
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

from asnet.data.audio import AudioError, resample, validate_wave

FRAME = 0.025  # s, trimming analysis window
HOP = 0.010  # s, trimming analysis hop
MIN_SECONDS = 0.1  # shorter than this is no word, and too short for the filters


def through_rate(wave: np.ndarray, sample_rate: int, native_rate: int) -> np.ndarray:
    """Band-limit `wave` as a recording stored at `native_rate` would be (no-op when not lower)."""
    if native_rate >= sample_rate:
        return wave
    return resample(resample(wave, sample_rate, native_rate), native_rate, sample_rate)[: len(wave)]


def highpass(wave: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    sos = butter(4, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
    return sosfiltfilt(sos, wave.astype(np.float64)).astype(np.float32)


def trim_silence(wave: np.ndarray, sample_rate: int, top_db: float) -> np.ndarray:
    """Cut leading/trailing frames whose energy is more than top_db below the loudest frame."""
    frame, hop = int(FRAME * sample_rate), int(HOP * sample_rate)
    if len(wave) <= frame:
        return wave
    starts = np.arange(0, len(wave) - frame + 1, hop)
    frames = np.lib.stride_tricks.sliding_window_view(wave, frame)[starts]
    power = np.mean(np.square(frames, dtype=np.float64), axis=1)
    loud = np.flatnonzero(10 * np.log10(np.maximum(power, 1e-20) / power.max()) > -top_db)
    return wave[starts[loud[0]] : starts[loud[-1]] + frame]


def normalize_loudness(wave: np.ndarray, target_dbfs: float, peak_dbfs: float) -> np.ndarray:
    """Scale to an RMS of target_dbfs, or less if that would push the peak above peak_dbfs."""
    rms = np.sqrt(np.mean(np.square(wave, dtype=np.float64)))
    gain = min(10 ** (target_dbfs / 20) / rms, 10 ** (peak_dbfs / 20) / np.abs(wave).max())
    return (wave * gain).astype(np.float32)


def add_noise_floor(wave: np.ndarray, noise_dbfs: float, rng: np.random.Generator) -> np.ndarray:
    """wave + white noise of RMS noise_dbfs (full scale = 1), kept within [-1, 1]."""
    noise = rng.standard_normal(len(wave)) * 10 ** (noise_dbfs / 20)
    return np.clip(wave + noise, -1.0, 1.0).astype(np.float32)


def condition(wave: np.ndarray, sample_rate: int, native_rate: int, *, target_rate: int, highpass_hz: float,
              top_db: float, target_dbfs: float, peak_dbfs: float, noise_floor_dbfs: float,
              rng: np.random.Generator, name: str = "") -> np.ndarray:
    """Steps 1-6 above for a float waveform at `sample_rate`; raises AudioError when nothing usable is left.

    native_rate is the rate of the bona fide recording the clip comes from (for the bona fide
    itself, its own rate, which makes step 2 a no-op up to the resampler).
    """
    wave = long_enough(resample(validate_wave(wave, name), sample_rate, target_rate), target_rate, name)
    wave = validate_wave(highpass(through_rate(wave, target_rate, native_rate), target_rate, highpass_hz), name)
    wave = long_enough(trim_silence(wave, target_rate, top_db), target_rate, name)
    wave = normalize_loudness(wave, target_dbfs, peak_dbfs)
    return validate_wave(add_noise_floor(wave, noise_floor_dbfs, rng), name)


def long_enough(wave: np.ndarray, sample_rate: int, name: str = "") -> np.ndarray:
    """validate_wave, and at least MIN_SECONDS long; raises AudioError otherwise."""
    wave = validate_wave(wave, name)
    if len(wave) < MIN_SECONDS * sample_rate:
        raise AudioError("too short", name)
    return wave
