"""ASNet (AudioShieldNet) as the paper describes it (ARCHITECTURE §4).

    wave [B, N] --FrontEnd--> log-mel + phase plane [B, T, 80, 2] --SpectralEncoder--> z_spec [B, d]
                          \\-> prosody [B, T, 6] --------------------ProsodyEncoder---> z_pros [B, d]
    each branch: auxiliary 2-class head -> branch logits, free energy E_b = -T logsumexp(logits_b / T)
    gate  alpha = softmax(MLP([z_spec, z_pros]) - w_e [E_spec, E_pros]);  z = alpha_s z_spec + alpha_p z_pros
    heads on z: detector logits (index 1 = bona fide), energy E(x), abstention logit, optional system logits
    CMRA projections h_s(z_spec), h_p(z_pros) for the cross-modal alignment loss (asnet/losses/cmra.py)

Conventions: score = logit_bona - logit_spoof (higher = bona fide); energies are higher for less
familiar inputs; `gate_energy_weight` (w_e) is a plain float attribute, settable at any time
(w_e = 0 is the "no energy in the gate" ablation).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from asnet.features.frontend import FrontEnd
from asnet.models.layers import AttentivePooling, ResBlock2d, TemporalBlock, apply_mask, downsample_mask
from asnet.models.output import BONAFIDE, free_energy


@dataclass
class ASNetOutput:
    logits: torch.Tensor  # [B, 2] detector, index 1 = bona fide
    score: torch.Tensor  # [B] logits[:, 1] - logits[:, 0]
    energy: torch.Tensor  # [B] free energy of the detector logits
    abstain: torch.Tensor  # [B] abstention logit (> 0: abstain)
    gate: torch.Tensor  # [B, 2] (alpha_spec, alpha_pros), rows sum to 1
    z: torch.Tensor  # [B, d] fused embedding
    z_spec: torch.Tensor | None  # [B, d]; None without the spectral branch
    z_pros: torch.Tensor | None  # [B, d]; None without the prosodic branch
    proj_spec: torch.Tensor | None  # [B, p] CMRA projection of z_spec
    proj_pros: torch.Tensor | None  # [B, p] CMRA projection of z_pros
    branch_logits: tuple[torch.Tensor, ...]  # (spectral [B, 2], prosodic [B, 2]), the branches present
    branch_energy: torch.Tensor  # [B, branches] (E_spec, E_pros)
    system_logits: torch.Tensor | None  # [B, n_systems], None when the attribution head is off


# Spectral encoder strides (freq, time) of the stem and each residual block: 80 mel bands -> 5,
# T frames -> T / 8 tokens (80 ms). Early downsampling keeps the whole model within its CPU budget.
SPECTRAL_STRIDES = ((2, 2), (2, 2), (2, 2), (2, 1))
PROSODY_STRIDE = 2  # prosody moves slowly: 20 ms steps after the stem double the TCN's reach


class SpectralEncoder(nn.Module):
    """spectral view [B, T, M, P] -> z_spec [B, d]: a 2-D residual stack over (band, time) with the
    P planes as input channels, bands folded into channels, a 1x1 projection to d channels,
    attentive statistics pooling over time, a linear layer."""

    def __init__(self, n_mels: int, n_planes: int, channels: list[int], embed_dim: int, attention_dim: int):
        super().__init__()
        if len(channels) != len(SPECTRAL_STRIDES):
            raise ValueError(f"spectral_channels needs {len(SPECTRAL_STRIDES)} widths (stem + blocks), got {channels}")
        stem_stride, *block_strides = SPECTRAL_STRIDES
        self.stem = nn.Sequential(nn.Conv2d(n_planes, channels[0], 3, stem_stride, 1, bias=False),
                                  nn.BatchNorm2d(channels[0]), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[ResBlock2d(c_in, c_out, stride) for c_in, c_out, stride
                                      in zip(channels[:-1], channels[1:], block_strides)])
        bands = n_mels
        for freq_stride, _ in SPECTRAL_STRIDES:
            bands = (bands - 1) // freq_stride + 1
        self.time_stride = math.prod(time_stride for _, time_stride in SPECTRAL_STRIDES)
        self.project = nn.Sequential(nn.Conv1d(channels[-1] * bands, embed_dim, 1, bias=False),
                                     nn.BatchNorm1d(embed_dim), nn.ReLU(inplace=True))
        self.pool = AttentivePooling(embed_dim, attention_dim)
        self.out = nn.Linear(2 * embed_dim, embed_dim)

    def forward(self, spectral: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """mask [B, T] True on each clip's frames (None = all): padded frames are zeroed after
        every layer (asnet.models.layers), so a padded clip gives the output of the clip alone."""
        stride = SPECTRAL_STRIDES[0][1]
        x = apply_mask(self.stem(spectral.permute(0, 3, 2, 1)), downsample_mask(mask, stride))
        for block, (_, time_stride) in zip(self.blocks, SPECTRAL_STRIDES[1:]):
            stride *= time_stride
            x = block(x, downsample_mask(mask, stride))  # [B, C, F', T']
        x = self.project(x.flatten(1, 2))  # [B, d, T']
        return self.out(self.pool(x, downsample_mask(mask, self.time_stride)))


class ProsodyEncoder(nn.Module):
    """prosody [B, T, P] -> z_pros [B, d]: input BatchNorm (the channels keep their own units),
    a kernel-5 strided stem, dilated temporal blocks (a TCN), attentive statistics pooling, a linear layer."""

    def __init__(self, n_prosody: int, channels: int, dilations: list[int], embed_dim: int, attention_dim: int):
        super().__init__()
        self.stem = nn.Sequential(nn.BatchNorm1d(n_prosody), nn.Conv1d(n_prosody, channels, 5, PROSODY_STRIDE, 2, bias=False),
                                  nn.BatchNorm1d(channels), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[TemporalBlock(channels, d) for d in dilations])
        self.pool = AttentivePooling(channels, attention_dim)
        self.out = nn.Linear(2 * channels, embed_dim)

    def forward(self, prosody: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """mask as in SpectralEncoder.forward; the input BatchNorm's shift is masked too."""
        strided = downsample_mask(mask, PROSODY_STRIDE)
        x = apply_mask(self.stem[0](prosody.transpose(1, 2)), mask)
        x = apply_mask(self.stem[1:](x), strided)
        for block in self.blocks:
            x = block(x, strided)
        return self.out(self.pool(x, strided))


class EnergyGate(nn.Module):
    """alpha = softmax(MLP([z_spec, z_pros]) - w_e [E_spec, E_pros]): a lower branch energy (a more
    familiar input for that branch) moves weight toward the branch."""

    def __init__(self, embed_dim: int, hidden: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * embed_dim, hidden), nn.GELU(), nn.Linear(hidden, 2))

    def forward(self, z_spec, z_pros, branch_energy, energy_weight: float) -> torch.Tensor:
        preference = self.mlp(torch.cat([z_spec, z_pros], dim=-1)).float()
        return torch.softmax(preference - energy_weight * branch_energy, dim=-1)


def mlp_head(in_dim: int, hidden: int, out_dim: int, dropout: float = 0.0) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, out_dim))


BRANCHES = ("spectral", "prosodic")
TWO_VIEW_TERMS = frozenset({"cmra", "ecrm_cmra"})  # need both views (asnet.train.stages)


class ASNet(nn.Module):
    """The whole detector. `branches` (params model.branches) keeps both views (the paper's model)
    or one of them: the single-branch ablations, where z is that branch's embedding, the gate is
    fixed to it and the two-view losses (CMRA) do not exist."""

    # zero padding with `lengths` never changes a clip's outputs (layers.py): batch any lengths
    exact_padding = math.inf

    def __init__(self, params: dict):
        super().__init__()
        d = params["embed_dim"]
        self.branches = tuple(params["branches"])
        if not self.branches or set(self.branches) - set(BRANCHES) or len(set(self.branches)) != len(self.branches):
            raise ValueError(f"model.branches must be a non-empty subset of {BRANCHES}, got {list(self.branches)}")
        spectral, prosodic = "spectral" in self.branches, "prosodic" in self.branches
        self.frontend = FrontEnd(params["features"])
        # (built in this order whatever the branches, so a seed gives the same initial weights)
        if spectral:
            self.spectral = SpectralEncoder(self.frontend.n_mels, self.frontend.n_planes, params["spectral_channels"],
                                            d, params["attention_dim"])
        if prosodic:
            self.prosodic = ProsodyEncoder(self.frontend.n_prosody, params["prosody_channels"],
                                           params["prosody_dilations"], d, params["attention_dim"])
        if spectral:
            self.spectral_head = nn.Linear(d, 2)
        if prosodic:
            self.prosodic_head = nn.Linear(d, 2)
        self.gate = EnergyGate(d, params["gate_hidden"]) if spectral and prosodic else None
        self.detector = mlp_head(d, params["head_hidden"], 2, params["dropout"])
        # The abstention head also sees the detector's energy: how unfamiliar the input looks is
        # the first sign of an error it should predict.
        self.abstainer = mlp_head(d + 1, params["head_hidden"], 1)
        self.system_head = nn.Linear(d, params["system_classes"]) if params["system_classes"] > 0 else None
        if spectral:
            self.project_spec = mlp_head(d, d, params["proj_dim"])
        if prosodic:
            self.project_pros = mlp_head(d, d, params["proj_dim"])
        self.energy_temperature = params["energy_temperature"]
        self.gate_energy_weight = float(params["gate_energy_weight"])
        # every curriculum term (asnet.train.stages); one view has no cross-modal alignment
        self.loss_terms = frozenset({"ce", "branch_ce", "cmra", "energy_margin", "abstain", "ood_kl", "ood_cos",
                                     "ood_energy", "ecrm_kl", "ecrm_hinge", "ecrm_cmra"})
        if len(self.branches) == 1:
            self.loss_terms -= TWO_VIEW_TERMS

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> ASNetOutput:
        """wave [B, N] in [-1, 1]; lengths [B] = valid samples per row of a zero-padded batch (None = all)."""
        spectral, prosody = self.frontend(wave, lengths)
        return self.forward_features(spectral, prosody, self.frontend.frame_mask(lengths, wave.shape[-1]))

    def forward_features(self, spectral: torch.Tensor, prosody: torch.Tensor,
                         mask: torch.Tensor | None = None) -> ASNetOutput:
        """The network after the front-end (e.g. on cached features); mask [B, T] marks real frames."""
        z_spec = self.spectral(spectral, mask) if "spectral" in self.branches else None
        z_pros = self.prosodic(prosody, mask) if "prosodic" in self.branches else None
        views = [(z_spec, "spectral_head"), (z_pros, "prosodic_head")]
        branch_logits = tuple(getattr(self, head)(z).float() for z, head in views if z is not None)
        branch_energy = torch.stack([free_energy(b, self.energy_temperature) for b in branch_logits], dim=-1)
        if self.gate is not None:
            gate = self.gate(z_spec, z_pros, branch_energy, self.gate_energy_weight)
            z = gate[:, :1] * z_spec.float() + gate[:, 1:] * z_pros.float()
        else:  # one branch: all weight on it, reported as (alpha_spec, alpha_pros) all the same
            only = z_spec if z_spec is not None else z_pros
            gate = torch.zeros(len(only), 2, device=only.device)
            gate[:, 0 if z_spec is not None else 1] = 1.0
            z = only.float()
        logits = self.detector(z).float()
        energy = free_energy(logits, self.energy_temperature)
        return ASNetOutput(
            logits=logits,
            score=logits[:, BONAFIDE] - logits[:, 1 - BONAFIDE],
            energy=energy,
            abstain=self.abstainer(torch.cat([z, energy[:, None]], dim=-1)).float().squeeze(-1),
            gate=gate,
            z=z,
            z_spec=z_spec,
            z_pros=z_pros,
            proj_spec=self.project_spec(z_spec) if z_spec is not None else None,
            proj_pros=self.project_pros(z_pros) if z_pros is not None else None,
            branch_logits=branch_logits,
            branch_energy=branch_energy,
            system_logits=None if self.system_head is None else self.system_head(z).float(),
        )


def build(config: dict) -> ASNet:
    return ASNet(config)
