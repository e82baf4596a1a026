"""Building blocks of the ASNet encoders. Tensors are channels-first: [B, C, F, T] or [B, C, T]."""
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


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


def downsample_mask(mask: torch.Tensor | None, stride: int) -> torch.Tensor | None:
    """The frame mask after a time stride: a conv with kernel 2p + 1 and padding p centres
    output t on input stride * t, and a clip of n frames keeps ceil(n / stride) of them."""
    return None if mask is None else mask[:, ::stride]
