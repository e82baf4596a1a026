"""What every public-corpus adapter shares: protocol entries -> manifest, rejects and stats.

An adapter reads its corpus's official protocol files into `Entry`s (one per clip: where the
audio is, label, system, speaker, language, split) and hands them to `prepare_corpus`, which
looks at each file without decoding it (sha256 streamed from disk, duration and sample rate
from the header by soundfile.info) on a bounded pool of processes, writes the manifest
(ARCHITECTURE §3; audio paths relative to the manifest's folder, audio never copied),
rejects.csv (missing, empty or unreadable files, by name) and stats.json (clips per split, label
and system). Per-corpus facts beyond the manifest's columns go to side tables beside it.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from asnet.data.manifest import BONAFIDE, LABELS, SPLITS, ManifestRow, write_manifest, write_rejects
from asnet.data.streaming import bounded_map
from asnet.utils import atomic_path, progress, write_json

DOWNLOAD_MARKER = ".asnet-download.json"  # asnet.data.download.MARKER (not imported: it pulls in urllib)


class PrepareError(ValueError):
    """Input an adapter cannot work from (no download marker, malformed protocol): a user error,
    which `asnet prepare` reports as one line, exit status 2 (asnet.cli.USER_ERRORS)."""


def prepare_from(corpus: str, entries: Callable) -> Callable[..., int]:
    """The prepare(args, params) of an adapter whose `entries(raw, config)` returns the chosen
    entries and the manifest's extra facts (the corpora that need a split of their own)."""

    def prepare(args, params: dict) -> int:
        config = settings(params, corpus, args.workers)
        chosen, extra = entries(require_download(corpus, args.raw), config)
        prepare_corpus(corpus, chosen, Path(args.out), config["workers"], extra)
        return 0

    return prepare


@dataclass(frozen=True)
class Entry:
    """One clip as the corpus's protocol describes it, before its audio is looked at."""

    utt_id: str
    path: str      # the audio file (absolute, or relative to the working directory)
    label: str
    system: str
    speaker: str
    language: str
    split: str


def settings(params: dict, corpus: str, workers: int | None) -> dict:
    """params.yaml `prepare_<corpus>` and the --workers of `asnet prepare` (an execution knob, not a params value)."""
    section = f"prepare_{corpus}"
    if section not in params:
        raise PrepareError(f"params has no `{section}` section (see asnet/data/adapters/{corpus}.py)")
    return {**(params[section] or {}), "workers": workers or 1}


def require_download(corpus: str, raw: str | os.PathLike) -> Path:
    """The raw folder, refused unless `asnet download` marked it complete (no half corpus is prepared)."""
    raw = Path(raw)
    if not (raw / DOWNLOAD_MARKER).is_file():
        raise PrepareError(f"{raw} is not a complete download of {corpus} (no {DOWNLOAD_MARKER}): run "
                           f"`asnet download {corpus} --out {raw}` (add `--from DIR` for archives fetched by hand, "
                           f"or `--extracted` for a corpus unpacked by hand)")
    return raw


def find_one(root: Path, pattern: str) -> Path:
    """The single path under root matching the glob pattern."""
    matches = sorted(root.glob(pattern))
    if len(matches) != 1:
        raise PrepareError(f"expected exactly one {pattern} under {root}, found {len(matches)}")
    return matches[0]


def protocol_lines(path: Path, columns: int | Sequence[int], sep: str | None = None) -> Iterator[list[str]]:
    """The fields of each non-empty line; PrepareError naming file and line on a wrong field count."""
    allowed = {columns} if isinstance(columns, int) else set(columns)
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split(sep)
            if len(fields) not in allowed:
                raise PrepareError(f"{path} line {number}: {len(fields)} fields, expected {sorted(allowed)}: {line.strip()!r}")
            yield fields


def check_key(key: str, where: str) -> str:
    if key not in LABELS:
        raise PrepareError(f"{where}: key {key!r} is neither {' nor '.join(LABELS)}")
    return key


def audio_facts(path: str, decode: bool = False) -> tuple[str, float, int] | str:
    """(sha256, duration_s, sample_rate) of an audio file from its bytes and header, or why not.
    With `decode`, from the decoded samples instead (asnet.data.audio.read_audio: FFmpeg when
    libsndfile cannot open it), so silent and non-finite files are rejects too: for protocols
    nobody has checked (custom corpora), at the price of reading every sample."""
    import soundfile

    from asnet.data.audio import AudioError, read_audio

    try:
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if os.path.getsize(path) == 0:
            return "empty (0 bytes)"
        if decode:
            wave, rate = read_audio(path)
            return digest, wave.size / rate, rate
        info = soundfile.info(path)
    except FileNotFoundError:
        return "missing"
    except AudioError as error:
        return error.reason
    except Exception as error:  # libsndfile reports bad headers with several exception types
        return f"unreadable ({type(error).__name__})"
    if info.frames <= 0 or info.samplerate <= 0:
        return "empty (no samples)"
    return digest, info.frames / info.samplerate, int(info.samplerate)


def relative(path: str, out_dir: str) -> str:
    """`path` relative to the (absolute) output folder, with '/' separators: outputs never hold absolute paths."""
    return Path(os.path.relpath(os.path.abspath(path), out_dir)).as_posix()


def _row(entry: Entry, facts: tuple[str, float, int], out_dir: str, corpus: str) -> ManifestRow:
    digest, duration, rate = facts
    return ManifestRow(
        utt_id=entry.utt_id, path=relative(entry.path, out_dir),
        label=entry.label, system=entry.system, speaker=entry.speaker, language=entry.language,
        split=entry.split, corpus=corpus, duration_s=duration, sample_rate=rate, sha256=digest,
    )


def describe(entries: Sequence[Entry], out_dir: Path, corpus: str, workers: int,
             decode: bool = False) -> tuple[list[ManifestRow], list[dict]]:
    """Look at every entry's audio (bounded parallelism; `decode`: see audio_facts) -> (manifest rows, rejects)."""
    out = os.path.abspath(out_dir)
    rows, rejects = [], []
    look = functools.partial(audio_facts, decode=decode)
    facts = bounded_map(look, (e.path for e in entries), workers, chunk_size=64)
    for entry, result in progress(zip(entries, facts), total=len(entries), desc=f"prepare {corpus}", unit="clip"):
        if isinstance(result, str):
            rejects.append({"utt_id": entry.utt_id, "path": relative(entry.path, out), "system": entry.system,
                            "reason": result})
        else:
            rows.append(_row(entry, result, out, corpus))
    return rows, rejects


def stats(rows: Sequence[ManifestRow], rejects: Sequence[dict]) -> dict:
    """Clips per split, per split and label, per system and split; speakers per split; rejects by reason."""
    split_label = Counter((r.split, r.label) for r in rows)
    system_split = Counter((r.system, r.split) for r in rows)
    speakers = {split: len({r.speaker for r in rows if r.split == split}) for split in SPLITS}
    return {
        "clips": len(rows),
        "per_split": {s: n for s in SPLITS if (n := sum(split_label[(s, label)] for label in LABELS))},
        "per_split_label": {s: {label: split_label[(s, label)] for label in LABELS if split_label[(s, label)]}
                            for s in SPLITS if any(split_label[(s, label)] for label in LABELS)},
        "per_system_split": {system: {s: system_split[(system, s)] for s in SPLITS if system_split[(system, s)]}
                             for system in sorted({system for system, _ in system_split})},
        "speakers": {s: n for s, n in speakers.items() if n},
        "hours": round(sum(r.duration_s for r in rows) / 3600, 3),
        "rejects": dict(sorted(Counter(re.split(r" \(|:", r["reason"])[0] for r in rejects).items())),
    }


def prepare_corpus(corpus: str, entries: Iterable[Entry], out_dir: str | os.PathLike, workers: int,
                   extra_stats: dict | None = None, decode: bool = False) -> dict:
    """Describe the entries' audio (`decode`: see audio_facts) and write manifest.csv, rejects.csv
    and stats.json; returns the stats."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = sorted(entries, key=lambda e: e.utt_id)
    duplicates = [u for u, n in Counter(e.utt_id for e in entries).items() if n > 1]
    if duplicates:
        raise PrepareError(f"{corpus}: the protocol lists {len(duplicates)} utt_id(s) twice, e.g. {duplicates[0]!r}")
    rows, rejects = describe(entries, out_dir, corpus, workers, decode)
    write_manifest(rows, out_dir / "manifest.csv")
    write_rejects(rejects, out_dir / "rejects.csv")
    summary = {"corpus": corpus, **stats(rows, rejects), **(extra_stats or {})}
    write_json(out_dir / "stats.json", summary)
    print(f"{corpus}: {summary['clips']} clips in {out_dir / 'manifest.csv'}, {len(rejects)} rejects; "
          + ", ".join(f"{split} {n}" for split, n in summary["per_split"].items()))
    return summary


def write_table(path: Path, columns: Sequence[str], records: Iterable[Sequence[str]]) -> None:
    """A side table (CSV, header, sorted by its first column), written atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(sorted(records, key=lambda record: record[0]))


def copy_file(source: Path, destination: Path) -> None:
    """Byte copy, atomic (an official file kept beside the manifest, e.g. ASV scores)."""
    with atomic_path(destination) as tmp:
        shutil.copyfile(source, tmp)


def group_split(groups: Iterable[str], fractions: Sequence[float], seed: int) -> dict[str, str]:
    """A seeded split of groups (speakers, source utterances): the sorted distinct groups are
    permuted by numpy's default_rng(seed) and cut at the cumulative fractions (train, dev, eval).
    Every member of a group lands in one split, so the split is disjoint in that unit."""
    if len(fractions) != len(SPLITS) or min(fractions) < 0 or sum(fractions) <= 0:
        raise PrepareError(f"split_fractions must be 3 non-negative numbers (train, dev, eval), got {list(fractions)}")
    unique = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(unique))
    bounds = np.round(np.cumsum(fractions) / sum(fractions) * len(unique)).astype(int)
    return {unique[index]: SPLITS[int(np.searchsorted(bounds, rank, side="right"))] for rank, index in enumerate(order)}


def spoof_or_bonafide(key: str, system: str) -> str:
    """The manifest's system: `bonafide` exactly for bona fide clips, the generator id otherwise."""
    return BONAFIDE if key == BONAFIDE else system
