"""Small helpers every stage shares: params, atomic writes, JSON, seeds, the device, progress bars.

Nothing heavy is imported here (no torch): the CLI and the Snakefile import this module.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import yaml

DEFAULT_PARAMS = "params.yaml"


def load_params(path: str | os.PathLike = DEFAULT_PARAMS) -> dict:
    """Read params.yaml (the only file holding experiment values); one sample rate is checked, and
    its reads are recorded when asked (asnet.params_log: the test that every value is read)."""
    from asnet.params_log import recorded

    with open(path) as f:
        return check_sample_rates(recorded(yaml.safe_load(f)))


def model_sample_rate(config: dict) -> int | None:
    """The rate a model config expects its input at: its front-end's (ASNet: features.sample_rate)
    or its own (baselines: sample_rate). A checkpoint records its config, so this is also the
    rate `asnet detect` resamples to for that checkpoint."""
    rate = config.get("features", {}).get("sample_rate", config.get("sample_rate"))
    return None if rate is None else int(rate)


def check_sample_rates(params: dict) -> dict:
    """`params`, unless a model config (ASNet's front-end, a baseline's) disagrees with
    base.sample_rate: every clip is resampled to base.sample_rate (cache, shift sets, detect), so
    a front-end built for another rate would read the wrong frequencies without any error.
    params.yaml writes the rate once (base.sample_rate) and aliases it; an override of one alias
    (dvc exp run -S, a run's `set`) fails here, loudly, instead of splitting the rate."""
    rate = params.get("base", {}).get("sample_rate")
    if rate is None:
        return params
    configs = {"model": params.get("model", {}),
               **{f"baselines.{name}": config for name, config in params.get("baselines", {}).items()}}
    wrong = [f"{key} {found}" for key, config in configs.items()
             if (found := model_sample_rate(config)) is not None and found != rate]
    if wrong:
        raise ValueError(f"params: one sample rate everywhere: base.sample_rate is {rate}, but "
                         f"{', '.join(wrong)} (sample_rate)")
    return params


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only on success.

    A stage killed mid-write leaves the old file (or nothing), never half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, streamed (never the whole file in memory)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def _rounded(obj: Any, digits: int) -> Any:
    if isinstance(obj, float):
        if math.isnan(obj) or math.isinf(obj):
            return None
        return round(obj, digits)
    if isinstance(obj, dict):
        return {str(k): _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v, digits) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy / torch scalars
        return _rounded(obj.item(), digits)
    return obj


def write_json(path: str | os.PathLike, obj: Any, digits: int = 6) -> None:
    """Deterministic JSON: sorted keys, floats rounded, NaN/inf as null, atomic."""
    write_text(path, json.dumps(_rounded(obj, digits), indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path) as f:
        return json.load(f)


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and (if already imported) torch."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)


def resolve_device(name: str) -> str:
    """A --device value as torch names it: "auto" is CUDA when present, else CPU (torch is
    imported only here, when a command that runs a model asks)."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def progress(iterable=None, **kwargs):
    """A tqdm progress bar on stderr, quiet when ASNET_NO_PROGRESS is set (tests)."""
    from tqdm import tqdm

    kwargs.setdefault("disable", bool(os.environ.get("ASNET_NO_PROGRESS")))
    kwargs.setdefault("file", sys.stderr)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)
