"""Signal helpers shared by the shift conditions: zero-phase filters, resampling, quality measures.

Conventions: waveforms are float32 numpy arrays [N] in [-1, 1]. Filters and resamplers here are
zero-phase (linear-phase FIR or forward-backward IIR), so a processed signal stays aligned with
its input sample for sample; that is what lets every shift set keep output length == input length.
"""
from __future__ import annotations

from math import gcd

import numpy as np

SILENCE_FLOOR = 1e-10  # power floor (-100 dB re full scale) for log measures


def fit_length(wave: np.ndarray, n: int) -> np.ndarray:
    """Crop or zero-pad the end so that len == n."""
    if len(wave) >= n:
        return wave[:n]
    return np.pad(wave, (0, n - len(wave)))


def rms(wave: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(wave, dtype=np.float64)))) if len(wave) else 0.0


def match_rms(wave: np.ndarray, target_rms: float) -> np.ndarray:
    """Scale `wave` to `target_rms`, then keep it peak-safe (scaled down, never clipped)."""
    current = rms(wave)
    if current > 0:
        wave = wave * (target_rms / current)
    peak = float(np.max(np.abs(wave))) if len(wave) else 0.0
    if peak > 1.0:
        wave = wave / peak
    return wave.astype(np.float32)


def bandlimit(wave: np.ndarray, sample_rate: int, low_hz: float, high_hz: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-limit to [low_hz, high_hz]; low_hz <= 0 is a low-pass and
    high_hz >= Nyquist a high-pass. Forward-backward filtering doubles the effective order."""
    from scipy.signal import butter, sosfiltfilt

    nyquist = sample_rate / 2
    if low_hz > 0 and high_hz < nyquist:
        sos = butter(order, [low_hz, high_hz], btype="bandpass", fs=sample_rate, output="sos")
    elif low_hz > 0:
        sos = butter(order, low_hz, btype="highpass", fs=sample_rate, output="sos")
    elif high_hz < nyquist:
        sos = butter(order, high_hz, btype="lowpass", fs=sample_rate, output="sos")
    else:
        return wave.astype(np.float32)
    return sosfiltfilt(sos, wave).astype(np.float32)


def resample(wave: np.ndarray, from_rate: int, to_rate: float) -> np.ndarray:
    """Polyphase resampling with a linear-phase FIR (aligned, deterministic)."""
    from scipy.signal import resample_poly

    to_rate = int(round(to_rate))
    if from_rate == to_rate:
        return wave.astype(np.float32)
    common = gcd(from_rate, to_rate)
    return resample_poly(wave, to_rate // common, from_rate // common).astype(np.float32)


def snr_db(clean: np.ndarray, processed: np.ndarray) -> float:
    """Waveform SNR of `processed` against `clean` (inf when identical)."""
    noise = np.sum(np.square(clean.astype(np.float64) - processed))
    signal = np.sum(np.square(clean.astype(np.float64)))
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(max(signal, SILENCE_FLOOR) / noise))


def log_spectral_distance(
    clean: np.ndarray,
    processed: np.ndarray,
    sample_rate: int,
    max_hz: float | None = None,
    n_fft: int = 512,
    hop: int = 160,
) -> float:
    """Mean over frames of the RMS difference (dB) between log power spectra, over 0..max_hz
    (full band when None).

    Frames are Hann-windowed; powers are floored at -100 dB re the clean signal's peak bin power
    (in the band) so that digital silence does not dominate."""
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    return _lsd(_power_spectrogram(clean, n_fft, hop), _power_spectrogram(processed, n_fft, hop), freqs, max_hz)


def _lsd(clean_power: np.ndarray, processed_power: np.ndarray, freqs: np.ndarray, max_hz: float | None) -> float:
    keep = freqs <= (max_hz if max_hz is not None else freqs[-1])
    clean_power, processed_power = clean_power[:, keep], processed_power[:, keep]
    floor = max(float(clean_power.max()), SILENCE_FLOOR) * SILENCE_FLOOR
    difference = 10 * np.log10(np.maximum(clean_power, floor)) - 10 * np.log10(np.maximum(processed_power, floor))
    return float(np.mean(np.sqrt(np.mean(difference**2, axis=1))))


def _power_spectrogram(wave: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    wave = np.pad(wave.astype(np.float64), (0, max(0, n_fft - len(wave))))
    starts = np.arange(0, len(wave) - n_fft + 1, hop)
    frames = wave[starts[:, None] + np.arange(n_fft)] * np.hanning(n_fft)
    return np.abs(np.fft.rfft(frames, axis=1)) ** 2


def distortion(clean: np.ndarray, processed: np.ndarray, sample_rate: int, n_fft: int = 512, hop: int = 160) -> dict:
    """The distortion measures every shift sidecar reports (dB): waveform SNR, log-spectral
    distance over the full band and over 0-4 kHz (the band every condition keeps)."""
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    clean_power, processed_power = _power_spectrogram(clean, n_fft, hop), _power_spectrogram(processed, n_fft, hop)
    return {
        "snr_db": snr_db(clean, processed),
        "lsd_db": _lsd(clean_power, processed_power, freqs, None),
        "lsd_0_4k_db": _lsd(clean_power, processed_power, freqs, 4000),
    }


def band_energy_fraction(wave: np.ndarray, sample_rate: int, above_hz: float) -> float:
    """Share of the signal's energy at frequencies above `above_hz`."""
    power = np.abs(np.fft.rfft(wave.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(wave), 1 / sample_rate)
    total = power.sum()
    return float(power[freqs > above_hz].sum() / total) if total > 0 else 0.0


def best_lag(reference: np.ndarray, delayed: np.ndarray, max_lag: int) -> int:
    """The lag d in [-max_lag, max_lag] maximising sum_t reference[t] * delayed[t + d]."""
    n = len(reference) + len(delayed)
    size = 1 << (n - 1).bit_length()
    correlation = np.fft.irfft(np.fft.rfft(delayed, size) * np.conj(np.fft.rfft(reference, size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([correlation[: max_lag + 1], correlation[size - max_lag :]])
    return int(lags[np.argmax(values)])
