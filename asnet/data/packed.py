"""Clips packed into zip archives: a manifest path may run through one, as zipimport's paths do.

`audio/eval.zip/x.wav` names the member `x.wav` of the archive `audio/eval.zip`. The demo corpus
stores its ~7,000 clips this way, one archive per split: DVC checks every file of a stage's output
on every `dvc repro`, and 7,000 loose files cost 0.3 s of each no-op (docs/PIPELINE.md). Members
are stored uncompressed (WAV does not shrink, and a member then reads at file speed) and the
archives are written deterministically, so the same clips give the same archive bytes.

`clip_bytes` and `load_clip` read a member or a plain file alike; the manifest's sha256 is of the
member's bytes, as it would be of the file's.
"""
from __future__ import annotations

import functools
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from asnet.data.audio import AudioError, load_audio, resample, validate_wave
from asnet.utils import atomic_path

ARCHIVE_SUFFIX = ".zip"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: no build time in the archive bytes


def split_archive(path: str | os.PathLike) -> tuple[Path, str] | None:
    """(archive, member) when `path` runs through a zip archive, else None (a plain path)."""
    path = Path(path)
    for parent in path.parents:
        if parent.suffix == ARCHIVE_SUFFIX and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return None


@functools.lru_cache(maxsize=8)
def _open_archive(archive: Path, mtime_ns: int) -> zipfile.ZipFile:
    # reading the central directory of thousands of members costs more than a clip: once per archive
    # and process; the mtime in the key drops a handle on an archive that was rewritten since
    return zipfile.ZipFile(archive)


def clip_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of a clip, a member of an archive or a plain file. Raises OSError when missing."""
    archived = split_archive(path)
    if archived is None:
        return Path(path).read_bytes()
    archive, member = archived
    try:
        return _open_archive(archive, archive.stat().st_mtime_ns).read(member)
    except (KeyError, zipfile.BadZipFile) as err:
        raise FileNotFoundError(f"{member} in {archive}: {err}") from err


def load_clip(path: str | os.PathLike, sample_rate: int, data: bytes | None = None) -> np.ndarray:
    """load_audio for a path that may run through an archive (`data`: its bytes, when already read).
    An archive member is decoded exactly as load_audio decodes the same bytes as a file."""
    if split_archive(path) is None:
        return load_audio(path, sample_rate)
    import soundfile

    try:
        data = clip_bytes(path) if data is None else data
        frames, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as err:  # a missing member; libsndfile reports corrupt data with several exception types
        raise AudioError(f"unreadable ({type(err).__name__})", path) from err
    wave = validate_wave(frames.mean(axis=1, dtype=np.float32), path)
    return validate_wave(np.clip(resample(wave, int(rate), sample_rate), -1.0, 1.0), path)


def pack(members: list[tuple[str, Path]], archive: str | os.PathLike) -> None:
    """Write (member name, file) pairs, in the order given, into `archive` atomically."""
    with atomic_path(archive) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
        for name, source in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16  # a regular file, rw-r--r--, whatever the umask
            out.writestr(info, source.read_bytes())
