"""RawNet2, the ASVspoof 2021 LA/DF baseline (Tak et al., "End-to-end anti-spoofing with RawNet2",
ICASSP 2021; asvspoof-challenge/2021 Baseline-RawNet2, model_config_RawNet.yaml).

    wave -> fixed sinc filterbank (mel-spaced band-pass, 20 bands x 1025 taps) -> |.| -> max-pool 3
         -> BN -> SELU
         -> 6 residual blocks (conv3 - BN - LeakyReLU(0.3) - conv3, 1x1 skip when the width
            changes, max-pool 3), each followed by filter-wise feature-map scaling (FMS):
            s = sigmoid(linear(mean over time)), x <- x * s + s
         -> BN -> SELU -> GRU (last step) -> linear -> linear -> 2 logits (index 1 = bona fide)

Published sizes (the defaults in params `baselines.rawnet2`): sinc_channels 20, sinc_kernel 1024,
block_channels [20, 20, 128, 128, 128, 128], gru_hidden 1024, gru_layers 3, fc_hidden 1024:
17,620,562 parameters, most in the GRU. The 2021 package defines a BatchNorm + LeakyReLU before
conv1 of blocks 2-6 but applies conv1 to the block input, so that BatchNorm never runs; we leave it
out (17,621,410 in the package: 848 more, same function). Its output layer ends in a
log-softmax; we return the logits before it (same score). A narrower config for slow CPUs:
sinc_kernel 256, block_channels [20, 20, 64, 64, 64, 64], gru_hidden 128, gru_layers 1,
fc_hidden 128 (206,098 parameters; 2.4x less CPU time per training step, asnet bench baselines).

`lengths` only decides which samples repeat in place of padding (asnet.models.baselines.inputs);
clips shorter than `min_samples` are repeated to it. Each block divides time by 3, so a clip needs
about sinc_kernel + 3^7 samples (~3,200 at the published sizes).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from asnet.models.baselines.inputs import repeat_to_length
from asnet.models.baselines.sinc import SincFilterbank
from asnet.models.output import DetectorOutput, detector_output


class ResidualBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(in_channels, out_channels, 3, padding=1),
            nn.BatchNorm1d(out_channels),
            nn.LeakyReLU(0.3),
            nn.Conv1d(out_channels, out_channels, 3, padding=1),
        )
        self.skip = nn.Conv1d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool1d(self.body(x) + self.skip(x), 3)


class FeatureMapScaling(nn.Module):
    """FMS: a per-filter gate from the time-averaged activations, applied as x * s + s."""

    def __init__(self, channels: int):
        super().__init__()
        self.fc = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.sigmoid(self.fc(x.mean(dim=-1)))[..., None]
        return x * scale + scale


class RawNet2(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        self.min_samples = int(config["min_samples"])
        self.exact_padding = self.min_samples  # asnet.models.baselines.inputs
        channels = [config["sinc_channels"], *config["block_channels"]]
        self.sinc = SincFilterbank(channels[0], config["sinc_kernel"], config["sample_rate"])
        self.sinc_norm = nn.BatchNorm1d(channels[0])
        self.blocks = nn.ModuleList(ResidualBlock(c_in, c_out) for c_in, c_out in zip(channels[:-1], channels[1:]))
        self.scalings = nn.ModuleList(FeatureMapScaling(c) for c in channels[1:])
        self.gru_norm = nn.BatchNorm1d(channels[-1])
        self.gru = nn.GRU(channels[-1], config["gru_hidden"], num_layers=config["gru_layers"], batch_first=True)
        self.fc = nn.Linear(config["gru_hidden"], config["fc_hidden"])
        self.out = nn.Linear(config["fc_hidden"], 2)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> DetectorOutput:
        """wave [B, N] in [-1, 1]; lengths only set which samples repeat in place of padding."""
        x = self.sinc(repeat_to_length(wave, lengths, self.min_samples))
        x = F.selu(self.sinc_norm(F.max_pool1d(x.abs(), 3)))
        for block, scaling in zip(self.blocks, self.scalings):
            x = scaling(block(x))
        x = F.selu(self.gru_norm(x)).transpose(1, 2)  # [B, T, C]
        last = self.gru(x)[0][:, -1]
        return detector_output(self.out(self.fc(last)))


def build(config: dict) -> RawNet2:
    return RawNet2(config)
