"""Copy-synthesis and voice-conversion spoofs: re-generate a bona fide recording through a vocoder.

All functions take and return float32 mono audio at `sample_rate` and are deterministic; the
ones with random parts (Griffin-Lim phase init, LPC noise excitation) take an explicit seed.
- world_resynthesis: WORLD analysis (DIO + StoneMask F0, CheapTrick envelope, D4C aperiodicity)
  and synthesis, unmodified.
- world_conversion: WORLD voice conversion across gender: F0 scaled by pitch_ratio and the
  spectral envelope warped along frequency by warp_ratio (formants move up), or by their inverses
  for voices whose median F0 is already high (>= 165 Hz), so a man sounds like a woman and vice versa.
- griffin_lim: the STFT magnitude kept, the phase rebuilt by fast Griffin-Lim (momentum 0.99)
  from a seeded random start.
- lpc_vocoder: LPC-10 style: per 25 ms frame an all-pole envelope and gain; excitation is a
  pulse train at the WORLD F0 in voiced frames and seeded white noise in unvoiced ones.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import solve_toeplitz
from scipy.signal import lfilter
from scipy.signal.windows import hann

HIGH_VOICE_HZ = 165.0  # median F0 above which a voice is treated as female/child
PRE_EMPHASIS = 0.97


def _world():
    with warnings.catch_warnings():  # pyworld imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import pyworld
    return pyworld


def _world_analysis(wave: np.ndarray, sample_rate: int, frame_period_ms: float = 5.0):
    pw = _world()
    x = np.ascontiguousarray(wave, dtype=np.float64)
    f0, times = pw.dio(x, sample_rate, frame_period=frame_period_ms)
    f0 = pw.stonemask(x, f0, times, sample_rate)
    return f0, pw.cheaptrick(x, f0, times, sample_rate), pw.d4c(x, f0, times, sample_rate)


def _world_synthesis(f0, envelope, aperiodicity, sample_rate: int, length: int) -> np.ndarray:
    wave = _world().synthesize(f0, envelope, aperiodicity, sample_rate)
    return np.pad(wave, (0, max(0, length - len(wave))))[:length].astype(np.float32)


def world_resynthesis(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    return _world_synthesis(*_world_analysis(wave, sample_rate), sample_rate, len(wave))


def warp_envelope(envelope: np.ndarray, ratio: float) -> np.ndarray:
    """Stretch a [frames, bins] power envelope along frequency: output(f) = input(f / ratio)."""
    bins = envelope.shape[1]
    position = np.minimum(np.arange(bins) / ratio, bins - 1)
    low = np.floor(position).astype(int)
    high, frac = np.minimum(low + 1, bins - 1), position - low
    log_env = np.log(envelope)  # interpolate in dB-like domain: peaks keep their shape
    return np.ascontiguousarray(np.exp(log_env[:, low] * (1 - frac) + log_env[:, high] * frac))


def world_conversion(wave: np.ndarray, sample_rate: int, pitch_ratio: float, warp_ratio: float) -> np.ndarray:
    f0, envelope, aperiodicity = _world_analysis(wave, sample_rate)
    voiced = f0[f0 > 0]
    if len(voiced) and np.median(voiced) >= HIGH_VOICE_HZ:
        pitch_ratio, warp_ratio = 1 / pitch_ratio, 1 / warp_ratio
    return _world_synthesis(f0 * pitch_ratio, warp_envelope(envelope, warp_ratio), aperiodicity, sample_rate, len(wave))


def _stft(x: np.ndarray, window: np.ndarray, hop: int) -> np.ndarray:
    """Centred STFT (zero padding) -> [frames, bins]."""
    half = len(window) // 2
    padded = np.pad(x, (half, half + hop))
    frames = np.lib.stride_tricks.sliding_window_view(padded, len(window))[::hop]
    return np.fft.rfft(frames * window, axis=1)


def _overlap_add(frames: np.ndarray, hop: int) -> np.ndarray:
    """Sum [frames, n_fft] blocks shifted by hop (n_fft a multiple of hop)."""
    n_frames, n_fft = frames.shape
    blocks = np.zeros((n_frames + n_fft // hop - 1, hop))
    for k in range(n_fft // hop):
        blocks[k : k + n_frames] += frames[:, k * hop : (k + 1) * hop]
    return blocks.ravel()


def _istft(spectrum: np.ndarray, window: np.ndarray, hop: int, length: int) -> np.ndarray:
    """Least-squares inverse of _stft (windowed overlap-add over the summed squared window)."""
    frames = np.fft.irfft(spectrum, n=len(window), axis=1) * window
    weight = _overlap_add(np.broadcast_to(window**2, frames.shape), hop)
    half = len(window) // 2
    return (_overlap_add(frames, hop) / np.maximum(weight, 1e-8))[half : half + length]


def griffin_lim(wave: np.ndarray, sample_rate: int, n_iter: int, seed: int,
                n_fft: int = 512, hop: int = 128, momentum: float = 0.99) -> np.ndarray:
    """sample_rate is unused (the STFT is in samples) but kept for the common vocoder signature."""
    window = hann(n_fft, sym=False)
    magnitude = np.abs(_stft(wave.astype(np.float64), window, hop))
    angles = np.exp(2j * np.pi * np.random.default_rng(seed).random(magnitude.shape))
    previous = np.zeros_like(angles)
    for _ in range(n_iter):
        rebuilt = _stft(_istft(magnitude * angles, window, hop, len(wave)), window, hop)
        accelerated = rebuilt - (momentum / (1 + momentum)) * previous
        angles = accelerated / (np.abs(accelerated) + 1e-16)
        previous = rebuilt
    return _istft(magnitude * angles, window, hop, len(wave)).astype(np.float32)


def _lpc(frame: np.ndarray, order: int) -> tuple[np.ndarray, float]:
    """Autocorrelation-method LPC of one windowed frame -> (A(z) coefficients, residual RMS per sample)."""
    r = np.correlate(frame, frame, "full")[len(frame) - 1 : len(frame) + order] / len(frame)
    if r[0] <= 1e-12:
        return np.r_[1.0, np.zeros(order)], 0.0
    r[0] *= 1 + 1e-6  # white-noise correction keeps the Toeplitz system well conditioned
    a = solve_toeplitz(r[:order], -r[1:])
    return np.r_[1.0, a], float(np.sqrt(max(r[0] + a @ r[1:], 0.0)))


def _excitation(f0_per_sample: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-power pulse train where voiced, unit-variance white noise where not."""
    voiced = f0_per_sample > 0
    phase = np.cumsum(np.where(voiced, f0_per_sample, 0.0) / sample_rate)
    pulses = np.diff(np.floor(phase), prepend=0.0) > 0
    train = pulses * np.sqrt(sample_rate / np.maximum(f0_per_sample, 1.0))
    return np.where(voiced, train, rng.standard_normal(len(f0_per_sample)))


def lpc_vocoder(wave: np.ndarray, sample_rate: int, order: int, seed: int) -> np.ndarray:
    hop, size = int(0.010 * sample_rate), int(0.025 * sample_rate)
    x = lfilter([1.0, -PRE_EMPHASIS], [1.0], wave.astype(np.float64))
    f0, _, _ = _world_analysis(wave, sample_rate, frame_period_ms=1000 * hop / sample_rate)
    n_frames = int(np.ceil(len(x) / hop))
    f0_per_sample = np.repeat(np.pad(f0, (0, max(0, n_frames - len(f0))))[:n_frames], hop)[: len(x)]
    excitation = _excitation(f0_per_sample, sample_rate, np.random.default_rng(seed))
    window, padded = hann(size, sym=False), np.pad(x, (size // 2, size))
    out, state = np.zeros(len(x)), np.zeros(order)
    for i in range(n_frames):
        a, gain = _lpc(padded[i * hop : i * hop + size] * window / np.sqrt(np.mean(window**2)), order)
        piece = slice(i * hop, min((i + 1) * hop, len(x)))
        out[piece], state = lfilter([gain], a, excitation[piece], zi=state)
    return lfilter([1.0], [1.0, -PRE_EMPHASIS], out).astype(np.float32)
