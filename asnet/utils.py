"""Small helpers every stage shares: params, atomic writes, JSON, seeds, progress bars.

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
    """Read params.yaml (the only file holding experiment values); recording its reads when
    asked (asnet.params_log: the test that every value is read)."""
    from asnet.params_log import recorded

    with open(path) as f:
        return recorded(yaml.safe_load(f))


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


def progress(iterable=None, **kwargs):
    """A tqdm progress bar on stderr, quiet when ASNET_NO_PROGRESS is set (tests)."""
    from tqdm import tqdm

    kwargs.setdefault("disable", bool(os.environ.get("ASNET_NO_PROGRESS")))
    kwargs.setdefault("file", sys.stderr)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)
