"""ASVspoof 2021 DF evaluation (611,829 trials): see asnet.data.adapters.asvspoof2021."""
from __future__ import annotations

from asnet.data.adapters.asvspoof2021 import prepare_track


def prepare(args, params: dict) -> int:
    return prepare_track("DF", args, params)
