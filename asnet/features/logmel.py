"""Log-mel spectrogram in torch, equal (to float32 rounding) to librosa's on the same settings.

librosa.feature.melspectrogram(y, sr, n_fft, hop_length, win_length, window="hann", center=True,
pad_mode="constant", power=2.0, n_mels, fmin, fmax) followed by log(mel + floor). The mel matrix
is librosa's (Slaney scale and area normalisation; melbank.py), built once at construction.
"""
from __future__ import annotations

import torch
from torch import nn

from asnet.features.melbank import mel_filterbank


class LogMel(nn.Module):
    """wave [B, N] float -> natural-log mel power [B, T, n_mels], T = 1 + N // hop_length."""

    def __init__(self, sample_rate: int, n_fft: int, win_length: int, hop_length: int,
                 n_mels: int, f_min: float, f_max: float, floor: float):
        super().__init__()
        self.n_fft, self.win_length, self.hop_length, self.floor = n_fft, win_length, hop_length, floor
        mel = mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max)
        # Derived from params, so not part of the state dict (checkpoints hold learned weights only).
        self.register_buffer("mel_basis", torch.from_numpy(mel).T.contiguous(), persistent=False)
        self.register_buffer("window", torch.hann_window(win_length), persistent=False)

    def stft(self, wave: torch.Tensor) -> torch.Tensor:
        """Complex STFT [B, n_fft // 2 + 1, T]."""
        return torch.stft(wave, self.n_fft, self.hop_length, self.win_length, self.window,
                          center=True, pad_mode="constant", return_complex=True)

    @staticmethod
    def power(spec: torch.Tensor) -> torch.Tensor:
        """|STFT|^2 [B, K, T]: real^2 + imag^2 rather than abs()^2, whose gradient is undefined at 0."""
        return spec.real.square() + spec.imag.square()

    def from_power(self, power: torch.Tensor) -> torch.Tensor:
        return torch.log(power.transpose(1, 2) @ self.mel_basis + self.floor)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.from_power(self.power(self.stft(wave)))
