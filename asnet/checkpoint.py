"""Checkpoints: weights as safetensors (never pickle) + a JSON of everything needed to use them.

`results/models/<run>/<stage>/` holds
    model.safetensors   the state dict
    checkpoint.json     {"model": <model params>, "stage": ..., "temperature": T,
                         "abstain_threshold": tau or null, "train_corpora": [...], ...}
    dev_scores.tsv      the dev scores the calibration was fitted on (asnet.eval.calibrate)
    MODEL_CARD.md       what is known of the model at training time

A low-level module: training and the importer write checkpoints; scoring, evaluation, attacks,
detection, export and the report read them, and none of them needs asnet.train for it.
"""
from __future__ import annotations

import os
from pathlib import Path

from asnet.utils import atomic_path, read_json, write_json

WEIGHTS = "model.safetensors"
META = "checkpoint.json"
DEV_SCORES = "dev_scores.tsv"
MODEL_CARD = "MODEL_CARD.md"  # written beside every checkpoint (asnet.report.model_card)


def save_checkpoint(directory: str | os.PathLike, model, meta: dict) -> None:
    """Write weights then metadata, each atomically (the JSON last: its presence marks completion)."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(directory / WEIGHTS, suffix=".safetensors") as tmp:
        save_file(state, str(tmp))
    meta = {"temperature": 1.0, "abstain_threshold": None, "train_corpora": [], **meta}
    write_model_card(directory, model, meta)
    write_json(directory / META, meta, digits=10)


def write_model_card(directory: Path, model, meta: dict) -> None:
    """MODEL_CARD.md beside the weights: what is known at training time (the report stage renders
    the full card, with the test-set metrics and attack results, under results/paper/)."""
    from asnet.report.model_card import render_model_card

    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    card = render_model_card({**meta, "parameters": parameters, "path": str(directory)})
    with atomic_path(directory / MODEL_CARD, suffix=".md") as tmp:
        tmp.write_text(card)


def load_meta(directory: str | os.PathLike) -> dict:
    return read_json(Path(directory) / META)


def load_checkpoint(directory: str | os.PathLike, device: str = "cpu"):
    """Rebuild the model from its recorded config and load the safetensors weights: (model, meta)."""
    from safetensors.torch import load_file

    from asnet.models import build_model

    meta = load_meta(directory)
    model = build_model(meta["model"])
    model.load_state_dict(load_file(str(Path(directory) / WEIGHTS), device=device))
    return model.to(device).eval(), meta
