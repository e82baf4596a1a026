"""Waveform shards: a few large arrays + an index, never one file per clip.

Layout of one shard directory (`data/cache/<corpus>/<split>/`), ARCHITECTURE §3:

    wave.npy      int16 [total_samples]       all clips, 16 kHz mono, concatenated
    index.csv     utt_id, offset, length, label, system, speaker   (offset/length in samples)

Arrays are opened with mmap, so a reader costs no memory until clips are touched. ShardWriter
streams clips into a directory (the cache and every shift set write through it).
"""
from __future__ import annotations

import copy
import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asnet.data.manifest import write_rejects
from asnet.utils import atomic_path

INDEX_COLUMNS = ["utt_id", "offset", "length", "label", "system", "speaker"]
INT16_SCALE = 32767.0


def to_int16(wave: np.ndarray) -> np.ndarray:
    """Float waveform in [-1, 1] -> int16 (values beyond the range are clipped)."""
    return np.round(np.clip(wave, -1.0, 1.0) * INT16_SCALE).astype(np.int16)


def from_int16(wave: np.ndarray) -> np.ndarray:
    return wave.astype(np.float32) / INT16_SCALE


@dataclass(frozen=True)
class ClipInfo:
    utt_id: str
    offset: int
    length: int
    label: str
    system: str
    speaker: str


def write_index(path: Path, rows: list[ClipInfo] | list[dict], columns=INDEX_COLUMNS) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(row if isinstance(row, dict) else row.__dict__)


def npy_header(length: int, dtype=np.int16) -> bytes:
    """The exact header np.save writes for a 1-D C-order array of `length` items of `dtype`."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                  "fortran_order": False, "shape": (int(length),)})
    return buffer.getvalue()


def save_array(path: Path, array: np.ndarray) -> None:
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, array)


def read_index(path: Path) -> list[ClipInfo]:
    with open(path, newline="") as f:
        return [
            ClipInfo(r["utt_id"], int(r["offset"]), int(r["length"]), r["label"], r["system"], r["speaker"])
            for r in csv.DictReader(f)
        ]


def tile_to(wave: np.ndarray, n: int) -> np.ndarray:
    """Repeat a non-empty `wave` until it has n samples: how a clip shorter than a fixed length
    is read for training crops and attacks (the amount of padding never tells the class apart)."""
    return np.tile(wave, math.ceil(n / len(wave)))[:n]


class WaveShards:
    """Read access to one split's waveform shard: `shards[i]` -> float32 waveform."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.clips = read_index(self.directory / "index.csv")
        self.wave = np.load(self.directory / "wave.npy", mmap_mode="r")
        self.position = {c.utt_id: i for i, c in enumerate(self.clips)}

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> np.ndarray:
        c = self.clips[i]
        return from_int16(self.wave[c.offset : c.offset + c.length])

    def subset(self, indices) -> "WaveShards":
        """A view holding only the clips at `indices`, in that order (the memory map is shared)."""
        view = copy.copy(self)
        view.clips = [self.clips[i] for i in indices]
        view.position = {c.utt_id: i for i, c in enumerate(view.clips)}
        return view

    def by_id(self, utt_id: str) -> np.ndarray:
        return self[self.position[utt_id]]

    def crop(self, i: int, n: int, start: int) -> np.ndarray:
        """n samples of clip i from `start`, zero-padded at the end when the clip is shorter."""
        c = self.clips[i]
        start = max(0, min(start, max(c.length - n, 0)))
        piece = from_int16(self.wave[c.offset + start : c.offset + min(c.length, start + n)])
        return piece if len(piece) == n else np.pad(piece, (0, n - len(piece)))

    @property
    def labels(self) -> np.ndarray:
        """1 for bona fide, 0 for spoof (index 1 of the detector = bona fide)."""
        return np.array([c.label == "bonafide" for c in self.clips], dtype=np.int64)


class ShardWriter:
    """Streams clips into one shard directory: wave.npy + index.csv + rejects.csv."""

    def __init__(self, out_dir: str | os.PathLike):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.raw_path = self.out_dir / ".wave.raw"
        self.raw = open(self.raw_path, "wb")
        self.raw.write(b"\0" * len(npy_header(0)))  # room for the header, written once the length is known
        self.index: list[ClipInfo] = []
        self.rejects: list[dict] = []
        self.offset = 0
        self.ids: set[str] = set()

    def add(self, clip, wave: np.ndarray) -> None:
        """Append `wave` (float in [-1, 1]) for `clip` (anything with utt_id, label, system, speaker)."""
        if clip.utt_id in self.ids:
            raise ValueError(f"duplicate utt_id {clip.utt_id!r} in {self.out_dir}")
        self.ids.add(clip.utt_id)
        samples = to_int16(wave)
        self.raw.write(samples.tobytes())
        self.index.append(ClipInfo(clip.utt_id, self.offset, len(samples), clip.label, clip.system, clip.speaker))
        self.offset += len(samples)

    def reject(self, clip, reason: str) -> None:
        print(f"rejected {clip.utt_id}: {reason}")
        self.rejects.append({"utt_id": clip.utt_id, "path": getattr(clip, "path", ""), "system": clip.system, "reason": reason})

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        """Write the shard files on success; on an error leave nothing half-written behind."""
        try:
            if error_type is None:
                self._finish_wave()
                write_index(self.out_dir / "index.csv", self.index)
                write_rejects(self.rejects, self.out_dir / "rejects.csv")
        finally:
            self.raw.close()
            self.raw_path.unlink(missing_ok=True)

    def _finish_wave(self) -> None:
        """Turn the raw file into wave.npy in place: the .npy header for the final length goes into
        the room left at its start (a 1-D header has a fixed size), then one rename. The samples are
        never read back, so memory stays flat; the bytes equal np.save's."""
        header = npy_header(self.offset)
        if len(header) != len(npy_header(0)):  # numpy pads 1-D headers to a fixed size; guard against a change
            raise RuntimeError(f"the .npy header for {self.offset} samples no longer fits the room left for it")
        self.raw.seek(0)
        self.raw.write(header)
        self.raw.close()
        os.replace(self.raw_path, self.out_dir / "wave.npy")


def per_system_subset(clips: list, per_system: int, seed: int) -> list:
    """At most `per_system` clips of each system, drawn with numpy's Generator from `seed`, in
    their original order."""
    rng = np.random.default_rng(seed)
    keep: set[int] = set()
    for system in sorted({c.system for c in clips}):
        members = [i for i, c in enumerate(clips) if c.system == system]
        keep.update(int(i) for i in rng.permutation(members)[:per_system])
    return [c for i, c in enumerate(clips) if i in keep]
