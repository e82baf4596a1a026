"""Feature shards: the front-end's output for every clip of a waveform shard (ARCHITECTURE §3).

write_feature_shards(shard_dir, params["features"], batch_size) reads shard_dir's wave.npy +
index.csv and writes, beside them, in index order:
    spectral.npy float16 [total_frames, n_mels, len(SPECTRAL_PLANES)]   (log-mel, phase plane)
    prosody.npy  float16 [total_frames, len(PROSODY_CHANNELS)]
    frames.csv   utt_id, offset, length   (in frames; a clip of N samples has 1 + N // hop frames)
Each row is exactly FrontEnd(params)(clip) for the whole clip (normalised per utterance), so
cached and online features agree. Clips are batched by length (padding kept out of the
statistics by `lengths`), and the arrays are filled through memory maps of temporary files that
are renamed into place only when complete.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from asnet.data.shards import WaveShards, write_index
from asnet.utils import atomic_path, progress

FRAME_COLUMNS = ["utt_id", "offset", "length"]


def _length_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Clip indices sorted by length (ties by index), cut into batches: little padding, deterministic."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def write_feature_shards(shard_dir: str | os.PathLike, feature_params: dict, batch_size: int) -> None:
    import torch

    from asnet.features.frontend import FrontEnd

    shard_dir = Path(shard_dir)
    shards = WaveShards(shard_dir)
    frontend = FrontEnd(feature_params).eval()
    counts = [frontend.n_frames(c.length) for c in shards.clips]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    total = int(offsets[-1])
    with atomic_path(shard_dir / "spectral.npy") as spectral_tmp, atomic_path(shard_dir / "prosody.npy") as prosody_tmp:
        spectral = np.lib.format.open_memmap(spectral_tmp, "w+", np.float16, (total, frontend.n_mels, frontend.n_planes))
        prosody = np.lib.format.open_memmap(prosody_tmp, "w+", np.float16, (total, frontend.n_prosody))
        for batch in progress(_length_batches([c.length for c in shards.clips], batch_size),
                              desc=f"features {shard_dir}", unit="batch"):
            lengths = torch.tensor([shards.clips[i].length for i in batch])
            wave = torch.zeros(len(batch), int(lengths.max()))
            for row, i in enumerate(batch):
                wave[row, : lengths[row]] = torch.from_numpy(shards[i])
            with torch.inference_mode():
                batch_spectral, batch_prosody = frontend(wave, lengths)
            for row, i in enumerate(batch):
                frames = slice(offsets[i], offsets[i + 1])
                spectral[frames] = batch_spectral[row, : counts[i]].numpy()
                prosody[frames] = batch_prosody[row, : counts[i]].numpy()
        _check_finite(spectral, prosody, shards, offsets)
        spectral.flush()
        prosody.flush()
        del spectral, prosody  # close the maps before the files are renamed
    rows = [{"utt_id": c.utt_id, "offset": int(offsets[i]), "length": counts[i]} for i, c in enumerate(shards.clips)]
    write_index(shard_dir / "frames.csv", rows, columns=FRAME_COLUMNS)


def _check_finite(spectral: np.ndarray, prosody: np.ndarray, shards: WaveShards, offsets: np.ndarray) -> None:
    """The front-end is finite on any int16 waveform (silence included); a violation is a bug, and
    the clips it hit are named rather than cached."""
    bad_frames = ~(np.isfinite(spectral).all((1, 2)) & np.isfinite(prosody).all(1))
    if bad_frames.any():
        clips = np.unique(np.searchsorted(offsets, np.flatnonzero(bad_frames), side="right") - 1)
        names = ", ".join(shards.clips[i].utt_id for i in clips[:10])
        raise FloatingPointError(f"non-finite features for {len(clips)} clip(s) of {shards.directory}: {names}")
