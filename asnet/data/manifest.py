"""The corpus manifest (ARCHITECTURE §3) and the rejects list that goes with it.

`manifest.csv` has exactly the columns utt_id, path, label, system, speaker, language, split,
corpus, duration_s, sample_rate, sha256 (COLUMNS), one row per clip, sorted by utt_id:
- label is `bonafide` or `spoof`; system is the generator id, and `bonafide` exactly for real speech;
- language is a BCP 47 primary language subtag: the ISO 639-1 code where one exists (en, de, zh),
  else ISO 639-2 (the demo's Low German: nds); adapters map a corpus's own tags to it;
- split is `train`, `dev` or `eval`;
- path is relative to the manifest's directory (the corpus folder can move), never absolute;
- duration_s is written with 4 decimals, sample_rate as an integer, sha256 as 64 hex digits
  of the audio file's bytes.
Writing is atomic and deterministic: the same rows give the same bytes.

`rejects.csv` lists inputs that were skipped (unreadable, empty, silent, NaN, duplicate,
failed synthesis): utt_id (may be empty), path, system, reason; sorted.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable, Mapping

from asnet.utils import atomic_path

LABELS = ("bonafide", "spoof")
SPLITS = ("train", "dev", "eval")
BONAFIDE = "bonafide"
REJECT_COLUMNS = ["utt_id", "path", "system", "reason"]
SHA256 = re.compile(r"[0-9a-f]{64}")


class ManifestError(ValueError):
    """A manifest that breaks the schema; the message names the file and line."""


@dataclass(frozen=True)
class ManifestRow:
    utt_id: str
    path: str
    label: str
    system: str
    speaker: str
    language: str
    split: str
    corpus: str
    duration_s: float
    sample_rate: int
    sha256: str

    def __getitem__(self, column: str):
        """row["split"] works too, so code written against csv.DictReader rows keeps working."""
        if column not in COLUMNS:
            raise KeyError(column)
        return getattr(self, column)

    def audio_path(self, manifest_path: str | os.PathLike) -> Path:
        """Absolute location of the audio, given where the manifest lives."""
        return Path(manifest_path).parent / self.path


COLUMNS = [f.name for f in fields(ManifestRow)]  # the §3 column order


def _problem(row: ManifestRow) -> str | None:
    """What is wrong with one row, or None."""
    if not row.utt_id or not row.path or not row.speaker or not row.corpus:
        return "utt_id, path, speaker and corpus must not be empty"
    if row.label not in LABELS:
        return f"bad label {row.label!r} (expected one of {', '.join(LABELS)})"
    if row.split not in SPLITS:
        return f"bad split {row.split!r} (expected one of {', '.join(SPLITS)})"
    if (row.label == BONAFIDE) != (row.system == BONAFIDE):
        return f"system {row.system!r} does not match label {row.label!r} (system 'bonafide' iff label 'bonafide')"
    if os.path.isabs(row.path):
        return f"path {row.path!r} must be relative to the manifest's directory"
    if not row.duration_s > 0:
        return f"bad duration_s {row.duration_s!r}"
    if row.sample_rate <= 0:
        return f"bad sample_rate {row.sample_rate!r}"
    if not SHA256.fullmatch(row.sha256):
        return f"bad sha256 {row.sha256!r} (expected 64 lowercase hex digits)"
    return None


def validate_rows(rows: Iterable[ManifestRow], where: str = "manifest") -> list[ManifestRow]:
    """Raise ManifestError on the first bad row or duplicate utt_id; return rows as a list."""
    rows, seen = list(rows), set()
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        problem = _problem(row) or (f"duplicate utt_id {row.utt_id!r}" if row.utt_id in seen else None)
        if problem:
            raise ManifestError(f"{where} line {number}: {problem}")
        seen.add(row.utt_id)
    return rows


def _as_row(row: ManifestRow | Mapping) -> ManifestRow:
    return row if isinstance(row, ManifestRow) else ManifestRow(**{c: row[c] for c in COLUMNS})


def _formatted(row: ManifestRow) -> dict:
    record = asdict(row)
    record["duration_s"] = f"{row.duration_s:.4f}"
    record["sample_rate"] = str(int(row.sample_rate))
    return record


def write_manifest(rows: Iterable[ManifestRow | Mapping], path: str | os.PathLike) -> None:
    """Validate, sort by utt_id and write atomically."""
    rows = sorted((_as_row(r) for r in rows), key=lambda r: r.utt_id)
    validate_rows(rows, where=str(path))
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_formatted(r) for r in rows)


def _parsed(record: dict, where: str) -> ManifestRow:
    if None in record or None in record.values():
        raise ManifestError(f"{where}: wrong number of fields")
    try:
        duration, rate = float(record["duration_s"]), int(record["sample_rate"])
    except ValueError as err:
        raise ManifestError(f"{where}: {err}") from err
    return ManifestRow(**{**record, "duration_s": duration, "sample_rate": rate})


def read_manifest(path: str | os.PathLike) -> list[ManifestRow]:
    """Parse and validate a manifest; raises ManifestError naming the file and line."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing, extra = [c for c in COLUMNS if c not in header], [c for c in header if c not in COLUMNS]
        if missing or extra:
            raise ManifestError(f"{path}: missing column(s) {missing}, unexpected column(s) {extra}")
        rows = [_parsed(r, f"{path} line {i}") for i, r in enumerate(reader, start=2)]
    return validate_rows(rows, where=str(path))


def write_rejects(rows: Iterable[Mapping], path: str | os.PathLike) -> None:
    """Write the skipped inputs (dicts with path, reason and optionally utt_id, system), sorted."""
    records = sorted(
        ({c: str(r.get(c, "")) for c in REJECT_COLUMNS} for r in rows),
        key=lambda r: (r["path"], r["system"], r["utt_id"], r["reason"]),
    )
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=REJECT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def read_rejects(path: str | os.PathLike) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
