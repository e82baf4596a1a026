"""AASIST and AASIST-L (Jung et al., "AASIST: Audio anti-spoofing using integrated spectro-temporal
graph attention networks", ICASSP 2022): one module, two configs (published/AASIST.conf and
published/AASIST-L.conf; 297,866 and 85,306 parameters).

    wave -> fixed sinc filterbank (70 bands, 129 taps) -> |.| -> 3x3 max-pool -> BN -> SELU
         -> 6 residual blocks (2-D, over bands x time; each max-pools time by 3)
         -> spectral nodes (max |.| over time, + positional embedding) -> graph attention -> pool
            temporal nodes (max |.| over bands)                         -> graph attention -> pool
         -> two parallel branches of heterogeneous stacking graph attention (HS-GAL) over the
            union of both node sets, each with its own learnable master node, two layers deep,
            with graph pooling between them
         -> element-wise max of the branches -> readout [max|T|, mean T, max|S|, mean S, master]
         -> linear -> 2 logits (index 1 = bona fide)

Module and parameter names follow the published implementation (clovaai/aasist, MIT) exactly, so
the published state dicts load with strict=True; the computation was re-derived from the paper
and checked against that code's outputs on fixed inputs (tests/models/baselines: logits within
8e-6 of the authors' code with the published weights, asserted to 1e-4). Where the
published code differs from the paper, we follow the code, because its weights are what we load:
  - residual blocks other than the first own a BatchNorm `bn1` whose output is never used (conv1
    reads the block input); bn1 stays in the module so the weights load and the count matches;
  - both HS-GAL pooling stages use pool_ratios[2], and all four HS-GAL layers temperatures[2];
    pool_ratios[3] and temperatures[3] are unused (kept so the published configs load as they are);
  - the first HS-GAL layer of each branch gets the master parameter itself (shape [1, 1, D]).
Eval mode is deterministic: dropout is the only random part (the published training option
`Freq_aug`, random zeroing of sinc bands, defaults to off and is not implemented here).

Input convention: clips shorter than `min_samples` (64,600 = 4.04 s for the published weights) are
repeated to that length (asnet.models.baselines.inputs); `lengths` only affects that repetition.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from asnet.models.baselines.inputs import repeat_to_length
from asnet.models.baselines.sinc import SincFilterbank
from asnet.models.output import DetectorOutput, detector_output


def pairwise_products(x: torch.Tensor) -> torch.Tensor:
    """[B, N, D] -> [B, N, N, D]: x_i * x_j, the input of every node-pair attention score."""
    return x[:, :, None, :] * x[:, None, :, :]


def node_batch_norm(bn: nn.BatchNorm1d, x: torch.Tensor) -> torch.Tensor:
    """BatchNorm over the feature axis of [B, N, D], statistics shared by all nodes."""
    return bn(x.reshape(-1, x.shape[-1])).reshape(x.shape)


def attention_weight(dim: int) -> nn.Parameter:
    weight = nn.Parameter(torch.empty(dim, 1))
    nn.init.xavier_normal_(weight)
    return weight


class GraphAttentionLayer(nn.Module):
    """GAT over one node set: nodes attend to each other by a score of their element-wise product."""

    def __init__(self, in_dim: int, out_dim: int, temperature: float):
        super().__init__()
        self.att_proj = nn.Linear(in_dim, out_dim)
        self.att_weight = attention_weight(out_dim)
        self.proj_with_att = nn.Linear(in_dim, out_dim)
        self.proj_without_att = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)
        self.input_drop = nn.Dropout(0.2)
        self.temperature = temperature

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_drop(x)
        scores = torch.tanh(self.att_proj(pairwise_products(x))) @ self.att_weight  # [B, N, N, 1]
        attention = torch.softmax(scores.squeeze(-1) / self.temperature, dim=-1)
        x = self.proj_with_att(attention @ x) + self.proj_without_att(x)
        return F.selu(node_batch_norm(self.bn, x))


class HtrgGraphAttentionLayer(nn.Module):
    """HS-GAL: attention over the union of two node types, with one score vector per type pair
    (type1-type1, type2-type2, and one shared by both cross pairs), plus a master node that attends
    to every node and is updated alongside them."""

    def __init__(self, in_dim: int, out_dim: int, temperature: float):
        super().__init__()
        self.proj_type1 = nn.Linear(in_dim, in_dim)
        self.proj_type2 = nn.Linear(in_dim, in_dim)
        self.att_proj = nn.Linear(in_dim, out_dim)
        self.att_projM = nn.Linear(in_dim, out_dim)
        self.att_weight11 = attention_weight(out_dim)
        self.att_weight22 = attention_weight(out_dim)
        self.att_weight12 = attention_weight(out_dim)
        self.att_weightM = attention_weight(out_dim)
        self.proj_with_att = nn.Linear(in_dim, out_dim)
        self.proj_without_att = nn.Linear(in_dim, out_dim)
        self.proj_with_attM = nn.Linear(in_dim, out_dim)
        self.proj_without_attM = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)
        self.input_drop = nn.Dropout(0.2)
        self.temperature = temperature

    def node_attention(self, x: torch.Tensor, n_type1: int) -> torch.Tensor:
        """[B, N, D] -> [B, N, N] attention, scored with the weight vector of each pair's types."""
        hidden = torch.tanh(self.att_proj(pairwise_products(x)))  # [B, N, N, out]
        first = torch.arange(x.shape[1], device=x.device) < n_type1
        same_type1 = first[:, None] & first[None, :]
        same_type2 = ~first[:, None] & ~first[None, :]
        scores = torch.where(same_type1, (hidden @ self.att_weight11).squeeze(-1),
                             torch.where(same_type2, (hidden @ self.att_weight22).squeeze(-1),
                                         (hidden @ self.att_weight12).squeeze(-1)))
        return torch.softmax(scores / self.temperature, dim=-1)

    def master_update(self, x: torch.Tensor, master: torch.Tensor) -> torch.Tensor:
        """The master node [B or 1, 1, D] attends to all nodes: -> new master [B, 1, out]."""
        scores = torch.tanh(self.att_projM(x * master)) @ self.att_weightM  # [B, N, 1]
        attention = torch.softmax(scores / self.temperature, dim=-2)
        return self.proj_with_attM(attention.transpose(1, 2) @ x) + self.proj_without_attM(master)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, master: torch.Tensor):
        n_type1 = x1.shape[1]
        x = self.input_drop(torch.cat([self.proj_type1(x1), self.proj_type2(x2)], dim=1))
        attention = self.node_attention(x, n_type1)
        master = self.master_update(x, master)
        x = self.proj_with_att(attention @ x) + self.proj_without_att(x)
        x = F.selu(node_batch_norm(self.bn, x))
        return x[:, :n_type1], x[:, n_type1:], master


class GraphPool(nn.Module):
    """Keeps the max(1, int(N * ratio)) nodes of highest sigmoid score, each scaled by its score."""

    def __init__(self, ratio: float, in_dim: int):
        super().__init__()
        self.ratio = ratio
        self.proj = nn.Linear(in_dim, 1)
        self.drop = nn.Dropout(0.3)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        scores = torch.sigmoid(self.proj(self.drop(h)))  # [B, N, 1]
        keep = max(int(h.shape[1] * self.ratio), 1)
        index = torch.topk(scores, keep, dim=1).indices.expand(-1, -1, h.shape[-1])
        return torch.gather(h * scores, 1, index)


class ResidualBlock(nn.Module):
    """conv(2x3) - BN - SELU - conv(2x3), plus a (1x3 conv) skip when the width changes, then a
    1x3 max-pool over time. Heights: (H + 1) after conv1, back to H after conv2."""

    def __init__(self, in_channels: int, out_channels: int, first: bool):
        super().__init__()
        if not first:
            self.bn1 = nn.BatchNorm2d(in_channels)  # in the published weights; its output is never used
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=(2, 3), padding=(1, 1))
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=(2, 3), padding=(0, 1))
        self.conv_downsample = (nn.Conv2d(in_channels, out_channels, kernel_size=(1, 3), padding=(0, 1))
                                if in_channels != out_channels else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(F.selu(self.bn2(self.conv1(x))))
        skip = x if self.conv_downsample is None else self.conv_downsample(x)
        return F.max_pool2d(out + skip, (1, 3))


class AASIST(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        filts, gat_dims = config["filts"], config["gat_dims"]
        pool_ratios, temperatures = config["pool_ratios"], config["temperatures"]
        self.min_samples = int(config["min_samples"])
        self.exact_padding = self.min_samples  # asnet.models.baselines.inputs
        encoder_dim, spectral_nodes = filts[-1][-1], filts[0] // 3  # 3x3 max-pool over the bands

        self.conv_time = SincFilterbank(filts[0], config["first_conv"], config["sample_rate"])
        self.first_bn = nn.BatchNorm2d(1)
        # blocks in single-module Sequentials: the published key layout is encoder.<i>.0.<layer>
        block_widths = [filts[1], filts[2], filts[3], filts[4], filts[4], filts[4]]
        self.encoder = nn.Sequential(*[nn.Sequential(ResidualBlock(c_in, c_out, first=i == 0))
                                       for i, (c_in, c_out) in enumerate(block_widths)])
        self.pos_S = nn.Parameter(torch.randn(1, spectral_nodes, encoder_dim))
        self.master1 = nn.Parameter(torch.randn(1, 1, gat_dims[0]))
        self.master2 = nn.Parameter(torch.randn(1, 1, gat_dims[0]))

        self.GAT_layer_S = GraphAttentionLayer(encoder_dim, gat_dims[0], temperatures[0])
        self.GAT_layer_T = GraphAttentionLayer(encoder_dim, gat_dims[0], temperatures[1])
        self.HtrgGAT_layer_ST11 = HtrgGraphAttentionLayer(gat_dims[0], gat_dims[1], temperatures[2])
        self.HtrgGAT_layer_ST12 = HtrgGraphAttentionLayer(gat_dims[1], gat_dims[1], temperatures[2])
        self.HtrgGAT_layer_ST21 = HtrgGraphAttentionLayer(gat_dims[0], gat_dims[1], temperatures[2])
        self.HtrgGAT_layer_ST22 = HtrgGraphAttentionLayer(gat_dims[1], gat_dims[1], temperatures[2])

        self.pool_S = GraphPool(pool_ratios[0], gat_dims[0])
        self.pool_T = GraphPool(pool_ratios[1], gat_dims[0])
        self.pool_hS1 = GraphPool(pool_ratios[2], gat_dims[1])
        self.pool_hT1 = GraphPool(pool_ratios[2], gat_dims[1])
        self.pool_hS2 = GraphPool(pool_ratios[2], gat_dims[1])
        self.pool_hT2 = GraphPool(pool_ratios[2], gat_dims[1])

        self.drop_way = nn.Dropout(0.2)
        self.drop = nn.Dropout(0.5)
        self.out_layer = nn.Linear(5 * gat_dims[1], 2)

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """[B, N] -> encoder output [B, C, bands // 3, frames]."""
        x = self.conv_time(wave).abs()[:, None]  # [B, 1, bands, N - taps + 1]
        x = F.selu(self.first_bn(F.max_pool2d(x, (3, 3))))
        return self.encoder(x)

    def branch(self, nodes_T, nodes_S, master, first, pool_S, pool_T, second):
        """One HS-GAL branch: layer, graph pooling, a second layer added as a residual."""
        out_T, out_S, master = first(nodes_T, nodes_S, master)
        out_S, out_T = pool_S(out_S), pool_T(out_T)
        aug_T, aug_S, aug_master = second(out_T, out_S, master)
        return out_T + aug_T, out_S + aug_S, master + aug_master

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> DetectorOutput:
        """wave [B, N] in [-1, 1] (N >= ~2,400 samples after repetition); lengths only set the repetition."""
        e = self.encode(repeat_to_length(wave, lengths, self.min_samples)).abs()
        nodes_S = self.pool_S(self.GAT_layer_S(e.amax(dim=3).transpose(1, 2) + self.pos_S))
        nodes_T = self.pool_T(self.GAT_layer_T(e.amax(dim=2).transpose(1, 2)))

        T1, S1, master1 = self.branch(nodes_T, nodes_S, self.master1, self.HtrgGAT_layer_ST11,
                                      self.pool_hS1, self.pool_hT1, self.HtrgGAT_layer_ST12)
        T2, S2, master2 = self.branch(nodes_T, nodes_S, self.master2, self.HtrgGAT_layer_ST21,
                                      self.pool_hS2, self.pool_hT2, self.HtrgGAT_layer_ST22)
        d = self.drop_way
        out_T = torch.maximum(d(T1), d(T2))
        out_S = torch.maximum(d(S1), d(S2))
        master = torch.maximum(d(master1), d(master2)).squeeze(1)

        readout = torch.cat([out_T.abs().amax(1), out_T.mean(1), out_S.abs().amax(1), out_S.mean(1), master], 1)
        return detector_output(self.out_layer(self.drop(readout)))


PUBLISHED = Path(__file__).parent / "published"  # the published weights and configs, vendored verbatim
VARIANTS = ("AASIST", "AASIST-L")  # published/<variant>.conf and .pth


def published_config(variant: str) -> dict:
    """Our config for a published variant: its .conf model_config, with the training crop length
    (nb_samp) as min_samples, so short clips are repeated to it as in the published pipeline, at
    the 16 kHz the weights were trained on."""
    published = json.loads((PUBLISHED / f"{variant}.conf").read_text())["model_config"]
    keys = ("first_conv", "filts", "gat_dims", "pool_ratios", "temperatures")
    return {"architecture": "aasist", "sample_rate": 16000, "min_samples": published["nb_samp"],
            **{k: published[k] for k in keys}}


def build(config: dict) -> AASIST:
    return AASIST(config)
