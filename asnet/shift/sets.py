"""Build a shift set: source clips -> processed clips in a shard directory, with a sidecar.

A shift set directory has the waveform-shard layout of asnet.data.shards (wave.npy + index.csv,
16 kHz, readable by WaveShards), plus:

    rejects.csv   clips that could not be used (utt_id, path, system, reason), header always present
    shift.json    the sidecar: condition and its settings, library versions, clip counts, the
                  channel delay / measured bitrate (codecs) and the measured distortion against the
                  clean input: waveform SNR (dB) and log-spectral distance (dB, full band and 0-4 kHz)

Two kinds:
- codec set: every clip (bona fide and spoof alike) passes the channel; utt_id, label, system
  and speaker are unchanged, so scores pair with the clean eval clip by clip.
- vocoder set: each bona fide clip is kept unchanged AND copy-synthesised; the copy is a spoof
  with system = the condition name and utt_id = "<utt_id>-<name>". Spoof sources are skipped.
  Keeping the bona fide originals makes the set self-contained for EER/AUC.

A clip that is unreadable, empty, silent or non-finite, or that the condition fails on, is
listed in rejects.csv with the reason, and the set still completes. Outputs are deterministic:
clips keep the source order and random parts are seeded per clip from (seed, utt_id).
"""
from __future__ import annotations

import os
import zlib
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from asnet.data.audio import AudioError, validate_wave
from asnet.data.manifest import BONAFIDE, read_manifest
from asnet.data.packed import load_clip
from asnet.data.shards import ShardWriter, from_int16, per_system_subset, read_index, to_int16
from asnet.shift import dsp
from asnet.utils import progress

SIDECAR = "shift.json"  # written by the CLI beside the shards unless told otherwise


@dataclass(frozen=True)
class SourceClip:
    utt_id: str
    label: str
    system: str
    speaker: str
    wave: np.ndarray | None       # None when the source could not be decoded
    problem: str = ""             # why wave is None
    path: str = ""                # the source file, when there is one


def shard_clips(directory: str | os.PathLike, labels: tuple[str, ...] | None = None,
                per_system: int | None = None, seed: int = 0) -> Iterator[SourceClip]:
    """Clips of a waveform shard directory (data/cache/<corpus>/<split>), in index order; with
    `per_system`, only that many clips of each system (a seeded draw), so a shift set costs what
    the CPU budget allows while every generator stays represented."""
    directory = Path(directory)
    waves = np.load(directory / "wave.npy", mmap_mode="r")
    clips = [c for c in read_index(directory / "index.csv") if labels is None or c.label in labels]
    if per_system is not None:
        clips = per_system_subset(clips, per_system, seed)
    for c in clips:
        wave = from_int16(waves[c.offset : c.offset + c.length])
        yield SourceClip(c.utt_id, c.label, c.system, c.speaker, wave)


def manifest_clips(
    manifest: str | os.PathLike, split: str, sample_rate: int, labels: tuple[str, ...] | None = None
) -> Iterator[SourceClip]:
    """Clips of one split of a manifest (ARCHITECTURE §3), decoded to `sample_rate` mono and
    quantised to int16 exactly as `asnet cache` stores them, so a set built from a manifest is
    the set built from that manifest's cache."""
    for row in read_manifest(manifest):
        if row.split != split or (labels is not None and row.label not in labels):
            continue
        try:
            wave, problem = from_int16(to_int16(load_clip(row.audio_path(manifest), sample_rate))), ""
        except AudioError as error:
            wave, problem = None, error.reason
        yield SourceClip(row.utt_id, row.label, row.system, row.speaker, wave, problem, row.path)


class Quality:
    """Distortion measures (asnet.shift.dsp.distortion) of processed clips, summarised for the sidecar."""

    def __init__(self):
        self.values: dict[str, list[float]] = defaultdict(list)

    def add(self, measures: dict[str, float]) -> None:
        for name, value in measures.items():
            self.values[name].append(value)

    def summary(self) -> dict:
        return {name: _stats(values) for name, values in sorted(self.values.items())}


def _stats(values: list[float]) -> dict:
    if not values:
        return {}
    array = np.asarray(values)
    return {
        "mean": float(array.mean()),
        "median": float(np.median(array)),
        "min": float(array.min()),
        "max": float(array.max()),
    }


def _checked(wave: np.ndarray, utt_id: str, what: str) -> np.ndarray:
    """validate_wave with the stage's wording ("input silent", "output non-finite", ...)."""
    try:
        return validate_wave(wave, utt_id)
    except AudioError as error:
        raise AudioError(f"{what} {error.reason}", utt_id) from None


def _apply(process: Callable[[np.ndarray], np.ndarray], clip: SourceClip) -> tuple[np.ndarray | None, str]:
    """(processed wave, "") or (None, reason): the one place a condition's failure is caught."""
    if clip.wave is None:
        return None, clip.problem
    try:
        clean = _checked(clip.wave, clip.utt_id, "input")
        out = _checked(process(clean), clip.utt_id, "output")
    except AudioError as error:
        return None, error.reason
    except Exception as error:  # codecs and vocoders fail in library-specific ways; name it, skip the clip
        return None, f"{type(error).__name__}: {error}".strip()
    if len(out) != len(clean):
        raise AssertionError(f"{clip.utt_id}: condition changed the length {len(clean)} -> {len(out)}")
    return out, ""


def build_codec_set(clips: Iterable[SourceClip], channel, out_dir: str | os.PathLike, sample_rate: int) -> dict:
    """Every clip through `channel` (asnet.shift.codecs.Channel); returns the sidecar's measured part."""
    from asnet.shift.codecs import delay, library_versions

    lag = delay(channel, sample_rate)  # a misconfigured channel fails here, before any clip
    quality, seen, encoded_bytes, encoded_seconds = Quality(), 0, 0, 0.0

    def transmit(wave: np.ndarray) -> np.ndarray:
        nonlocal encoded_bytes, encoded_seconds
        sent = channel.process(wave, sample_rate)
        encoded_bytes += sent.encoded_bytes
        encoded_seconds += sent.encoded_seconds
        return sent.wave

    with ShardWriter(out_dir) as writer:
        for clip in progress(clips, desc=f"codec {Path(out_dir).name}"):
            seen += 1
            out, reason = _apply(transmit, clip)
            if out is None:
                writer.reject(clip, reason)
                continue
            quality.add(dsp.distortion(clip.wave, out, sample_rate))
            writer.add(clip, out)
    measured = {
        "delay_samples": lag,
        "bitrate_measured_bps": 8 * encoded_bytes / encoded_seconds if encoded_bytes else None,
    }
    return {**_report(channel.conditions(sample_rate), writer, seen, quality, library_versions()), **measured}


def build_vocoder_set(
    clips: Iterable[SourceClip],
    vocoder,
    name: str,
    out_dir: str | os.PathLike,
    sample_rate: int,
    seed: int,
) -> dict:
    """Bona fide clips kept and copy-synthesised by `vocoder` (asnet.shift.vocoders); spoof
    sources skipped. Returns the sidecar's measured part."""
    from asnet.shift.codecs import library_versions

    quality, seen = Quality(), 0
    with ShardWriter(out_dir) as writer:
        for clip in progress(clips, desc=f"vocoder {name}"):
            if clip.label != BONAFIDE:
                continue
            seen += 1
            rng = np.random.default_rng([seed, zlib.crc32(clip.utt_id.encode())])
            out, reason = _apply(lambda wave: vocoder(wave, sample_rate, rng), clip)
            if out is None:
                writer.reject(clip, reason)
                continue
            quality.add(dsp.distortion(clip.wave, out, sample_rate))
            writer.add(clip, clip.wave)
            writer.add(replace(clip, utt_id=f"{clip.utt_id}-{name}", label="spoof", system=name), out)
    return _report(vocoder.conditions(), writer, seen, quality, {**library_versions(), **_vocoder_versions()})


def _vocoder_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {package: version(package) for package in ("librosa", "pyworld")}


def _report(conditions: frozenset, writer: ShardWriter, seen: int, quality: Quality, versions: dict) -> dict:
    return {
        "conditions": sorted(conditions, key=repr),
        "clips_in": seen,
        "clips_out": len(writer.index),
        "rejected": len(writer.rejects),
        "quality": quality.summary(),
        "versions": versions,
    }
