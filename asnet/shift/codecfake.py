"""The CodecFake copy of a corpus: every clip of a manifest through every CodecFake channel.

The paper evaluates on a "CodecFake" set (MP3 16/24 kbps, AAC 32 kbps, Opus 64 kbps, a
300-3400 Hz telephone band) that its authors never released a generator for
(reference/upstream-asnet.md §6.5). This builds it from any manifest (ARCHITECTURE §3):

    DIR/audio/<utt_id>-<condition>.wav   16 kHz mono 16-bit, aligned with the source clip
    DIR/manifest.csv                     §3 schema; label, system, speaker, language and split of
                                         the source; corpus "<source corpus>_codecfake"
    DIR/rejects.csv                      sources that could not be decoded or encoded, with reason
    DIR/codecfake.json                   channels + settings, delays, per-channel distortion,
                                         library versions, sha256 of the source manifest

Same manifest and params -> byte-identical outputs (clips are processed in manifest order,
worker processes only change who computes what).
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from asnet.data.audio import AudioError, validate_wave, write_wav
from asnet.data.manifest import ManifestRow, read_manifest, write_manifest, write_rejects
from asnet.data.packed import load_clip
from asnet.shift import dsp
from asnet.shift.codecs import Channel, delay, library_versions
from asnet.shift.sets import Quality
from asnet.utils import progress

SIDECAR = "codecfake.json"

# The paper's CodecFake conditions, fixed by the paper rather than an experiment knob: this
# builds a corpus for users (`asnet shift codecfake`), outside the DAG, so they live here and
# not in params.yaml (whose every key a stage reads).
CODECFAKE_CHANNELS = {
    "mp3_16k": {"library": "pyav", "codec": "mp3", "container": "mp3", "sample_rate": 16000, "bitrate": 16000},
    "mp3_24k": {"library": "pyav", "codec": "mp3", "container": "mp3", "sample_rate": 16000, "bitrate": 24000},
    "aac_32k": {"library": "pyav", "codec": "aac", "container": "adts", "sample_rate": 16000, "bitrate": 32000},
    "opus_64k": {"library": "pyav", "codec": "libopus", "container": "ogg", "sample_rate": 16000, "bitrate": 64000},
    "band_300_3400": {"library": "none", "band": [300, 3400]},
}


def _process_row(job: tuple[ManifestRow, str, Path, dict[str, Channel], int]) -> tuple[list, list, dict]:
    """One source clip through every channel -> (manifest rows, rejects, {channel: (clean, out)})."""
    row, manifest, out_dir, channels, sample_rate = job
    try:
        clean = load_clip(row.audio_path(manifest), sample_rate)
    except AudioError as error:
        return [], [{"utt_id": row.utt_id, "path": row.path, "system": row.system, "reason": error.reason}], {}
    rows, rejects, measures = [], [], {}
    for name, channel in channels.items():
        utt_id = f"{row.utt_id}-{name}"
        try:
            out = validate_wave(channel(clean, sample_rate), utt_id)
        except Exception as error:  # codec failures come in library-specific types; name it, skip
            reason = f"{name}: {type(error).__name__}: {error}"
            rejects.append({"utt_id": row.utt_id, "path": row.path, "system": row.system, "reason": reason})
            continue
        path = f"audio/{utt_id}.wav"
        digest = write_wav(out_dir / path, out, sample_rate)
        rows.append(ManifestRow(
            utt_id=utt_id, path=path, label=row.label, system=row.system, speaker=row.speaker,
            language=row.language, split=row.split, corpus=f"{row.corpus}_codecfake",
            duration_s=len(out) / sample_rate, sample_rate=sample_rate, sha256=digest,
        ))
        measures[name] = dsp.distortion(clean, out, sample_rate)
    return rows, rejects, measures


def build_codecfake(
    manifest: str | os.PathLike,
    out_dir: str | os.PathLike,
    channels: dict[str, Channel],
    sample_rate: int,
    splits: tuple[str, ...] | None = None,
    workers: int = 1,
) -> dict:
    """Write the CodecFake copy of `manifest` (optionally only some splits); returns the sidecar."""
    manifest, out_dir = Path(manifest), Path(out_dir)
    sources = [r for r in read_manifest(manifest) if splits is None or r.split in splits]
    jobs = [(row, str(manifest), out_dir, channels, sample_rate) for row in sources]
    rows, rejects = [], []
    quality = {name: Quality() for name in channels}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(_process_row, jobs, chunksize=8) if workers > 1 else map(_process_row, jobs)
        for clip_rows, clip_rejects, measures in progress(results, total=len(jobs), desc="codecfake"):
            rows += clip_rows
            rejects += clip_rejects
            for name, measured in measures.items():
                quality[name].add(measured)
    for reject in rejects:
        print(f"rejected {reject['utt_id']} ({reject['path']}): {reject['reason']}")
    write_manifest(rows, out_dir / "manifest.csv")
    write_rejects(rejects, out_dir / "rejects.csv")
    return {
        "kind": "codecfake",
        "source_manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
        "splits": sorted({r.split for r in sources}),
        "channels": {
            name: {
                "settings": asdict(channel),
                "conditions": sorted(channel.conditions(sample_rate), key=repr),
                "delay_samples": delay(channel, sample_rate),
                "quality": quality[name].summary(),
            }
            for name, channel in channels.items()
        },
        "clips_in": len(sources),
        "clips_out": len(rows),
        "rejected": len(rejects),
        "versions": library_versions(),
    }
