"""LFCC-LCNN, the ASVspoof 2021 LA/DF baseline (Wang & Yamagishi; asvspoof-challenge/2021
Baseline-LFCC-LCNN, project/baseline_LA/model.py), re-implemented in torch and differentiable
from the waveform on, so attacks run through the front-end.

    wave -> pre-emphasis (0.97) -> STFT (Hamming window) -> power -> linear triangular filterbank
         -> log10 -> DCT-II (orthonormal) -> 20 LFCCs, c0 replaced by the log frame energy
         -> + delta + delta-delta = 60 dims per 10 ms frame
    [B, 1, frames, 60] -> LCNN: 9 convolutions, each followed by max-feature-map (MFM: the
         element-wise max of the two channel halves), 4 2x2 max-pools, BatchNorms without affine
         parameters, dropout 0.7 -> [B, 32, frames / 16, 60 / 16 = 3]
         -> per frame a 96-dim vector -> 2 bidirectional LSTM layers -> (LSTM output + its input)
         averaged over frames -> linear -> one logit f (f > 0: bona fide)
    logits = [-f / 2, f / 2], so score = f and a cross-entropy on the logits is the baseline's
    binary cross-entropy on f.

Front-end: 20 ms window, 10 ms shift at 16 kHz (320 / 160 samples), n_fft from the config (512 by
default; the 2021 package uses 1024 points on the same 20 ms frames); the filterbank spans
0 .. max_freq x Nyquist (the 2021 package keeps the lower half, 0-4 kHz: max_freq 0.5). This LFCC
matches the package's (sandbox/util_frontend.LFCC, with_energy=True) to 2e-6 on random input.
Parameters at the default sizes: 269,729 (157,504 in the convolutions, 112,128 in the LSTMs,
97 in the output layer); the BatchNorms only hold running statistics.

`lengths` only decides which samples repeat in place of padding (asnet.models.baselines.inputs);
clips shorter than `min_samples` are repeated to it. A clip needs >= 16 frames (0.15 s).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from asnet.models.baselines.inputs import repeat_to_length
from asnet.models.output import DetectorOutput, detector_output

LOG_FLOOR = float(np.finfo(np.float32).eps)  # added before log10, as the baseline does


def linear_filterbank(n_bins: int, bin_hz: float, n_filters: int) -> np.ndarray:
    """[n_bins, n_filters] triangles with edges equally spaced over the bins' 0 .. top frequency."""
    freqs = np.arange(n_bins) * bin_hz
    edges = np.linspace(0.0, freqs[-1], n_filters + 2)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising, falling = (freqs - low) / (centre - low), (high - freqs) / (high - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None).T


def dct_matrix(n: int) -> np.ndarray:
    """[n, n] orthonormal DCT-II: features @ dct_matrix(n) = the DCT of each row."""
    k, i = np.arange(n)[None, :], np.arange(n)[:, None]
    basis = np.cos(np.pi * k * (2 * i + 1) / (2 * n)) * math.sqrt(2.0 / n)
    basis[:, 0] /= math.sqrt(2.0)
    return basis


def delta(x: torch.Tensor) -> torch.Tensor:
    """[B, T, D] -> x[t + 1] - x[t - 1], edges replicated (the baseline's delta)."""
    padded = torch.cat([x[:, :1], x, x[:, -1:]], dim=1)
    return padded[:, 2:] - padded[:, :-2]


class LFCC(nn.Module):
    """wave [B, N] -> LFCC + delta + delta-delta [B, frames, 3 * n_coefficients]; frames = 1 + N // hop."""

    def __init__(self, config: dict):
        super().__init__()
        self.n_fft, self.hop, self.win = config["n_fft"], config["hop_length"], config["win_length"]
        self.n_bins = int(config["max_freq"] * (self.n_fft // 2 + 1))
        bank = linear_filterbank(self.n_bins, config["sample_rate"] / self.n_fft, config["n_filters"])
        dct = dct_matrix(config["n_filters"])[:, : config["n_coefficients"]]
        self.register_buffer("window", torch.hamming_window(self.win), persistent=False)
        self.register_buffer("filterbank", torch.tensor(bank, dtype=torch.float32), persistent=False)
        self.register_buffer("dct", torch.tensor(dct, dtype=torch.float32), persistent=False)
        self.pre_emphasis = config["pre_emphasis"]

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        wave = torch.cat([wave[:, :1], wave[:, 1:] - self.pre_emphasis * wave[:, :-1]], dim=1)
        spectrum = torch.stft(wave, self.n_fft, self.hop, self.win, self.window, center=True,
                              pad_mode="constant", return_complex=True)
        power = spectrum.abs().pow(2).transpose(1, 2)[..., : self.n_bins]  # [B, T, bins]
        cepstra = torch.log10(power @ self.filterbank + LOG_FLOOR) @ self.dct
        log_energy = torch.log10(power.sum(-1) / self.n_fft + LOG_FLOOR)
        cepstra = torch.cat([log_energy[..., None], cepstra[..., 1:]], dim=-1)
        deltas = delta(cepstra)
        return torch.cat([cepstra, deltas, delta(deltas)], dim=-1)


class MaxFeatureMap(nn.Module):
    """[B, 2C, ...] -> [B, C, ...]: max of the first and second channel halves (Wu et al., LCNN)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, second = x.chunk(2, dim=1)
        return torch.maximum(first, second)


def mfm_conv(in_channels: int, out_channels: int, kernel: int) -> list[nn.Module]:
    """A convolution producing 2 x out_channels, then MFM down to out_channels."""
    return [nn.Conv2d(in_channels, 2 * out_channels, kernel, padding=kernel // 2), MaxFeatureMap()]


def lcnn_body(dropout: float) -> nn.Sequential:
    """The baseline's LCNN: [B, 1, T, D] -> [B, 32, T // 16, D // 16]."""
    pool, norm = (lambda: nn.MaxPool2d(2, 2)), (lambda c: nn.BatchNorm2d(c, affine=False))
    return nn.Sequential(
        *mfm_conv(1, 32, 5), pool(),
        *mfm_conv(32, 32, 1), norm(32), *mfm_conv(32, 48, 3), pool(), norm(48),
        *mfm_conv(48, 48, 1), norm(48), *mfm_conv(48, 64, 3), pool(),
        *mfm_conv(64, 64, 1), norm(64), *mfm_conv(64, 32, 3), norm(32),
        *mfm_conv(32, 32, 1), norm(32), *mfm_conv(32, 32, 3), pool(),
        nn.Dropout(dropout),
    )


class LFCCLCNN(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        self.min_samples = int(config["min_samples"])
        self.exact_padding = self.min_samples  # asnet.models.baselines.inputs
        self.lfcc = LFCC(config)
        self.lcnn = lcnn_body(config["dropout"])
        width = 32 * (3 * config["n_coefficients"] // 16)
        self.lstm = nn.LSTM(width, width // 2, num_layers=2, batch_first=True, bidirectional=True)
        self.out = nn.Linear(width, 1)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> DetectorOutput:
        """wave [B, N] in [-1, 1]; lengths only set which samples repeat in place of padding."""
        features = self.lfcc(repeat_to_length(wave, lengths, self.min_samples))
        hidden = self.lcnn(features[:, None])  # [B, 32, T', D']
        hidden = hidden.permute(0, 2, 1, 3).flatten(2)  # [B, T', 32 D']
        pooled = (self.lstm(hidden)[0] + hidden).mean(dim=1)
        f = self.out(pooled)
        return detector_output(torch.cat([-f / 2, f / 2], dim=1))


def build(config: dict) -> LFCCLCNN:
    return LFCCLCNN(config)
