"""The published AASIST / AASIST-L weights (vendored in published/), checked and loaded into our AASIST.

A file is opened only when its sha256 is one of the published table (published/SHA256SUMS) and
names the requested variant's file; anything else is refused with one line naming the file.
Only then is it read, with torch.load(weights_only=True) (a plain state dict; no code runs), and
loaded strictly into our AASIST built from the variant's published config. Calibrating the
loaded model and saving it as a checkpoint is the `asnet import` stage (asnet.train.importer).
"""
from __future__ import annotations

from pathlib import Path

from asnet.utils import file_sha256


class ImportRefused(ValueError):
    """A weights file that is not the published one it claims to be."""


def published_sums() -> dict[str, str]:
    """sha256 -> published file name, from published/SHA256SUMS."""
    from asnet.models.baselines.aasist import PUBLISHED

    rows = (line.split() for line in (PUBLISHED / "SHA256SUMS").read_text().splitlines() if line.strip())
    return {digest: name.lstrip("*") for digest, name in rows}


def verify(weights: Path, variant: str) -> str:
    """The file's sha256 if it is the published `variant` file; ImportRefused otherwise."""
    if not weights.is_file():
        raise ImportRefused(f"refused {weights}: no such file")
    digest = file_sha256(weights)
    published = published_sums().get(digest)
    if published is None:
        raise ImportRefused(f"refused {weights}: sha256 {digest} is not a published AASIST checkpoint "
                            f"(known: {', '.join(sorted(published_sums().values()))})")
    if published != f"{variant}.pth":
        raise ImportRefused(f"refused {weights}: it is the published {published}, not --variant {variant}")
    return digest


def published_model_config(variant: str, config: dict | None) -> dict:
    """The config the published weights load into: `config` (a params section) when it has the
    published sizes — refused otherwise — with the published input length (min_samples)."""
    from asnet.models.baselines.aasist import published_config

    published = published_config(variant)
    if config is None:
        return published
    differ = sorted(k for k, v in published.items() if k != "min_samples" and config.get(k) != v)
    if differ:
        raise ImportRefused(f"refused the model config: {', '.join(differ)} differ from the published {variant}.conf")
    return {**config, "min_samples": published["min_samples"]}


def load_published(weights: Path, variant: str, config: dict | None = None):
    """Our AASIST with the published weights, loaded strictly, in eval mode."""
    import torch

    from asnet.models.baselines.aasist import build

    model = build(published_model_config(variant, config))
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True), strict=True)
    return model.eval()
