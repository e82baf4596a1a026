"""`asnet cache`: a manifest -> per-split shards (ARCHITECTURE §3).

For each split, every clip is decoded, resampled to 16 kHz mono and stored as int16 in one
`wave.npy` with an `index.csv`; then the front-end's features are cached beside it
(`logmel.npy`, `prosody.npy`, `frames.csv`). A clip that cannot be decoded is listed in the
split's `rejects.csv` with the reason and skipped; the rest goes on.
"""
from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from asnet.data.manifest import read_manifest, write_rejects
from asnet.data.shards import ClipInfo, save_array, to_int16, write_index
from asnet.utils import load_params, progress

SPLITS = ("train", "dev", "eval")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", required=True, help="manifest.csv (ARCHITECTURE §3)")
    parser.add_argument("--out", required=True, help="cache directory: one sub-directory per split")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--workers", type=int, default=None, help="decoding processes (default: params cache.workers)")


def _decode(job: tuple[str, int]) -> tuple[np.ndarray | None, str]:
    from asnet.data.audio import AudioError, load_audio

    path, sample_rate = job
    try:
        return to_int16(load_audio(path, sample_rate)), ""
    except AudioError as error:
        return None, str(error)


def write_wave_shards(rows: list[dict], root: Path, out_dir: Path, sample_rate: int, workers: int) -> int:
    """Decode `rows` (one split) into out_dir/wave.npy + index.csv; returns the number of rejects."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(str(root / r["path"]), sample_rate) for r in rows]
    index, rejects, offset = [], [], 0
    raw_path = out_dir / ".wave.raw"
    with open(raw_path, "wb") as raw, ProcessPoolExecutor(max_workers=workers) as pool:
        decoded = pool.map(_decode, jobs, chunksize=16) if workers > 1 else map(_decode, jobs)
        for row, (wave, reason) in progress(zip(rows, decoded), total=len(rows), desc=f"cache {out_dir.name}"):
            if wave is None:
                rejects.append({"utt_id": row["utt_id"], "path": row["path"], "system": row["system"], "reason": reason})
                continue
            raw.write(wave.tobytes())
            index.append(ClipInfo(row["utt_id"], offset, len(wave), row["label"], row["system"], row["speaker"]))
            offset += len(wave)
    try:
        save_array(out_dir / "wave.npy", np.fromfile(raw_path, dtype=np.int16))
    finally:
        raw_path.unlink()
    write_index(out_dir / "index.csv", index)
    write_rejects(rejects, out_dir / "rejects.csv")
    for r in rejects:
        print(f"rejected {r['path']}: {r['reason']}")
    return len(rejects)


def main(args: argparse.Namespace) -> int:
    from asnet.features.cache import write_feature_shards

    params = load_params(args.params)
    workers = args.workers or params["cache"]["workers"]
    manifest = Path(args.manifest)
    rows = read_manifest(manifest)
    for split in SPLITS:
        split_rows = sorted((r for r in rows if r["split"] == split), key=lambda r: r["utt_id"])
        out_dir = Path(args.out) / split
        write_wave_shards(split_rows, manifest.parent, out_dir, params["base"]["sample_rate"], workers)
        write_feature_shards(out_dir, params["features"], params["cache"]["batch_size"])
    return 0
