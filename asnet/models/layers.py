"""Building blocks of the ASNet encoders. Tensors are channels-first: [B, C, F, T] or [B, C, T].

Padding: a block given `mask` [B, T_out] (True = frame of the clip, at its output's time
resolution) zeroes the padded frames of what its next convolution reads and of its output. Its
input must be zero there already. A clip alone is zero-padded by each convolution itself, and
BatchNorm's shift makes padded frames non-zero after every layer, so re-zeroing them is what makes
a clip zero-padded in a batch give the outputs of the clip alone (asnet.eval.inference batches on it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResBlock2d(nn.Module):
    """conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus a (1x1, strided) skip, then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: tuple[int, int]):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.skip = nn.Identity() if in_channels == out_channels and stride == (1, 1) else nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        hidden = apply_mask(self.body[:3](x), mask)
        return apply_mask(F.relu(self.body[3:](hidden) + self.skip(x)), mask)


class TemporalBlock(nn.Module):
    """Dilated conv (kernel 3, same length) - BN - ReLU - 1x1 conv - BN, residual, ReLU (a TCN layer)."""

    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
            nn.Conv1d(channels, channels, 1, bias=False),
            nn.BatchNorm1d(channels),
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return apply_mask(F.relu(x + self.body(x)), mask)


class AttentivePooling(nn.Module):
    """Attentive statistics pooling (Okabe et al., 2018): [B, C, T] -> [B, 2C] (weighted mean, std).

    `mask` [B, T] (True = frame of the clip) keeps padding out of the attention softmax.
    """

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.attention = nn.Sequential(nn.Conv1d(channels, hidden, 1), nn.Tanh(), nn.Conv1d(hidden, 1, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        scores = self.attention(x).float()
        if mask is not None:
            scores = scores.masked_fill(~mask[:, None, :], torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1)
        x = x.float()  # statistics in float32: the variance is a difference of two bf16-sized sums
        mean = (weights * x).sum(-1)
        var = (weights * x.pow(2)).sum(-1) - mean.pow(2)
        return torch.cat([mean, var.clamp_min(1e-6).sqrt()], dim=-1)


def apply_mask(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """x [B, C, (F,) T] with the frames outside `mask` [B, T] set to 0; x itself when mask is None."""
    return x if mask is None else x * mask.reshape(len(mask), *(1,) * (x.dim() - 2), -1).to(x.dtype)


def downsample_mask(mask: torch.Tensor | None, stride: int) -> torch.Tensor | None:
    """The frame mask after a time stride: a conv with kernel 2p + 1 and padding p centres
    output t on input stride * t, and a clip of n frames keeps ceil(n / stride) of them."""
    return None if mask is None else mask[:, ::stride]
