"""Models. `build_model(config)` builds the detector a config names by its `architecture` key:
params `model:` (ASNet) or one of `baselines:`; a checkpoint records the config it was built from.

Every architecture module exposes `build(config) -> nn.Module` whose forward follows
asnet.models.output (logits, score, energy, abstain[, gate]).
"""
from __future__ import annotations

import importlib

ARCHITECTURES = {
    "asnet": "asnet.models.asnet",
    "lcnn": "asnet.models.baselines.lcnn",
    "rawnet2": "asnet.models.baselines.rawnet2",
    "aasist": "asnet.models.baselines.aasist",
    "trivial": "asnet.models.baselines.trivial",
}


def architecture_module(config: dict) -> str:
    """The module that builds `config` (checkpoints written before baselines existed are ASNet's)."""
    name = config.get("architecture", "asnet")
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r} (one of {', '.join(ARCHITECTURES)})")
    return ARCHITECTURES[name]


def build_model(config: dict):
    """-> an nn.Module (torch is imported here, not when the package is imported)."""
    return importlib.import_module(architecture_module(config)).build(config)


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
