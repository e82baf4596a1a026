"""ASVspoof 2021 LA evaluation (181,566 trials): see asnet.data.adapters.asvspoof2021."""
from __future__ import annotations

from asnet.data.adapters.asvspoof2021 import prepare_track


def prepare(args, params: dict) -> int:
    return prepare_track("LA", args, params)
