"""Models. `build_model(params["model"])` builds ASNet from the `model:` section of params.yaml."""
from __future__ import annotations


def build_model(model_params: dict):
    """-> an ASNet nn.Module (torch is imported here, not when the package is imported)."""
    from asnet.models.asnet import ASNet

    return ASNet(model_params)


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
