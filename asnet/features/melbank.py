"""librosa's Slaney mel filterbank (librosa.filters.mel, htk=False, norm="slaney"), written out.

The same arithmetic in the same order, so the float32 matrix is identical (a test compares them);
importing librosa (numba, llvmlite, scipy.signal) cost every stage that builds a front-end about
0.75 CPU-seconds, for one small matrix.
"""
from __future__ import annotations

import numpy as np

F_SP = 200.0 / 3  # Hz per mel below MIN_LOG_HZ (the linear part of the Slaney scale)
MIN_LOG_HZ = 1000.0  # the log part starts here
MIN_LOG_MEL = MIN_LOG_HZ / F_SP
LOGSTEP = np.log(6.4) / 27.0  # mel step of the log part


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asanyarray(hz, dtype=np.float64)
    mels = hz / F_SP
    log = hz >= MIN_LOG_HZ
    mels[log] = MIN_LOG_MEL + np.log(hz[log] / MIN_LOG_HZ) / LOGSTEP
    return mels


def mel_to_hz(mels: np.ndarray) -> np.ndarray:
    hz = F_SP * mels
    log = mels >= MIN_LOG_MEL
    hz[log] = MIN_LOG_HZ * np.exp(LOGSTEP * (mels[log] - MIN_LOG_MEL))
    return hz


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """[n_mels, 1 + n_fft // 2] float32 triangular filters, area-normalised (Slaney)."""
    fft_hz = np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array([f_min]))[0], hz_to_mel(np.array([f_max]))[0], n_mels + 2))
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_hz)
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    for i in range(n_mels):
        weights[i] = np.maximum(0, np.minimum(-ramps[i] / widths[i], ramps[i + 2] / widths[i + 1]))
    weights *= (2.0 / (edges[2 : n_mels + 2] - edges[:n_mels]))[:, np.newaxis]
    return weights
