"""`asnet cache`: a manifest -> per-split shards (ARCHITECTURE §3).

For each split, every clip is decoded, resampled to 16 kHz mono and stored as int16 in one
`wave.npy` with an `index.csv`. No features are cached: every stage computes them from the
waveform (training crops and perturbs it, and the front-end costs less than reading float16
features back would save; docs/BENCHMARKS.md). A clip that cannot be decoded, or whose bytes no
longer match the manifest's sha256, is listed in the split's `rejects.csv` with the reason and
skipped; the rest goes on. The hash check is what lets the manifest stand for the audio in the
DAG: the cache stage depends on manifest.csv alone, not on walking thousands of audio files.
A manifest path may run through a zip archive (asnet.data.packed), as the demo corpus's do.
"""
from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

import numpy as np

from asnet.data.manifest import read_manifest
from asnet.data.shards import ShardWriter
from asnet.data.streaming import bounded_map
from asnet.utils import load_params, progress

SPLITS = ("train", "dev", "eval")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", required=True, help="manifest.csv (ARCHITECTURE §3)")
    parser.add_argument("--out", required=True, help="cache directory: one sub-directory per split")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                        help="decoding processes (default: the CPUs this process may use); the shards do not depend on it")


def _decode(job: tuple[str, str, int]) -> tuple[np.ndarray | None, str]:
    from asnet.data.audio import AudioError, load_audio
    from asnet.data.packed import clip_bytes, load_clip, split_archive

    path, sha256, sample_rate = job
    try:
        if split_archive(path) is None:
            with open(path, "rb") as f:
                digest, data = hashlib.file_digest(f, "sha256").hexdigest(), None  # streamed, never the whole file
        else:  # a member of an archive (asnet.data.packed): a short clip, read once for both
            data = clip_bytes(path)
            digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            return None, "sha256 differs from the manifest (file changed after it was written)"
        return (load_audio(path, sample_rate) if data is None else load_clip(path, sample_rate, data)), ""
    except OSError as error:
        return None, f"unreadable ({type(error).__name__})"
    except AudioError as error:
        return None, str(error)


def write_wave_shards(rows: list, root: Path, out_dir: Path, sample_rate: int, workers: int) -> None:
    """Decode `rows` (one split) into out_dir/wave.npy + index.csv + rejects.csv.

    Decoding runs on `workers` processes with a bounded number of clips in flight, and each clip
    is written as soon as it is decoded, so memory does not grow with the split's size."""
    jobs = ((str(root / r.path), r.sha256, sample_rate) for r in rows)
    with ShardWriter(out_dir) as writer:
        decoded = bounded_map(_decode, jobs, workers, chunk_size=16)
        for row, (wave, reason) in progress(zip(rows, decoded), total=len(rows), desc=f"cache {out_dir.name}"):
            if wave is None:
                writer.reject(row, reason)
            else:
                writer.add(row, wave)


def main(args: argparse.Namespace) -> int:
    params = load_params(args.params)
    manifest = Path(args.manifest)
    rows = read_manifest(manifest)
    for split in SPLITS:
        split_rows = sorted((r for r in rows if r["split"] == split), key=lambda r: r["utt_id"])
        out_dir = Path(args.out) / split
        write_wave_shards(split_rows, manifest.parent, out_dir, params["base"]["sample_rate"], args.workers)
    return 0
