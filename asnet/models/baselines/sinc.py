"""The fixed sinc filterbank front-end of RawNet2 and AASIST (Ravanelli & Bengio's SincNet filters,
in the form Tak et al. 2021 and Jung et al. 2022 use them): `channels` band-pass filters whose
band edges are equally spaced on the mel scale from 0 Hz to Nyquist, each the difference of two
ideal low-pass sinc kernels under a Hamming window. The filters are not learned.

The bank is a non-persistent buffer: it follows the model across devices but is not part of the
state dict (it is a pure function of the config), so the published AASIST weights load strictly.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


def sinc_bandpass_filters(channels: int, kernel_size: int, sample_rate: int) -> np.ndarray:
    """[channels, kernel_size] float64; band i passes mel-spaced edges i .. i + 1."""
    edges = mel_to_hz(np.linspace(0.0, hz_to_mel(sample_rate / 2), channels + 1))
    taps = np.arange(kernel_size) - (kernel_size - 1) / 2

    def lowpass(cutoff_hz):  # ideal low-pass impulse response with unit DC gain
        return 2 * cutoff_hz / sample_rate * np.sinc(2 * cutoff_hz * taps / sample_rate)

    bands = np.stack([lowpass(high) - lowpass(low) for low, high in zip(edges[:-1], edges[1:])])
    return bands * np.hamming(kernel_size)


class SincFilterbank(nn.Module):
    """wave [B, N] -> band-passed [B, channels, N - kernel + 1] (no padding, like the published models).

    An even kernel_size is made odd (+1) so every filter is symmetric, as both papers do
    (AASIST's 128 taps are 129, RawNet2's 1024 are 1025).
    """

    def __init__(self, channels: int, kernel_size: int, sample_rate: int = 16000):
        super().__init__()
        kernel_size += 1 - kernel_size % 2
        filters = torch.tensor(sinc_bandpass_filters(channels, kernel_size, sample_rate), dtype=torch.float32)
        self.register_buffer("filters", filters[:, None, :], persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return F.conv1d(wave[:, None, :], self.filters)
