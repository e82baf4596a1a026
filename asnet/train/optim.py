"""Optimizer, learning-rate schedule and weight EMA shared by every training stage.

- AdamW; weight decay only on matrices and kernels (ndim > 1), never on biases or norm scales.
- LR: linear warm-up from 0 over the first `warmup_steps`, then cosine decay to
  `min_lr_ratio`·lr at `total_steps`; stepped once per optimizer step.
- EMA: an exponential moving average of every floating-point entry of the state dict
  (weights and BatchNorm statistics alike); integer buffers are copied.
"""
from __future__ import annotations

import math

import torch


def build_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    decayed = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    undecayed = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decayed, "weight_decay": weight_decay}, {"params": undecayed, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr)


def warmup_cosine(step: int, total_steps: int, warmup_steps: int, min_lr_ratio: float) -> float:
    """LR multiplier at optimizer step `step` (0-based)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def build_scheduler(optimizer, total_steps: int, warmup_fraction: float, min_lr_ratio: float):
    warmup_steps = max(1, round(warmup_fraction * total_steps))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_cosine(step, total_steps, warmup_steps, min_lr_ratio)
    )


class WeightEMA:
    """shadow <- decay·shadow + (1 - decay)·live after every optimizer step."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for name, value in model.state_dict().items():
            if value.is_floating_point():
                self.shadow[name].lerp_(value, 1.0 - self.decay)
            else:
                self.shadow[name].copy_(value)

    def state_dict(self) -> dict:
        return dict(self.shadow)

    def load_state_dict(self, state: dict) -> None:
        for name, value in state.items():
            self.shadow[name].copy_(value)
