"""Feature shards: the front-end's output for every clip of a waveform shard (ARCHITECTURE §3).

write_feature_shards(shard_dir, params["features"], batch_size, max_window_seconds) reads
shard_dir's wave.npy + index.csv and writes, beside them, in index order:
    spectral.npy float16 [total_frames, n_mels, n_planes]   (log-mel, phase plane)
    prosody.npy  float16 [total_frames, n_prosody]
    frames.csv   utt_id, offset, length   (in frames; a clip of N samples has 1 + N // hop frames)
Each row is exactly FrontEnd(params)(clip) for the whole clip (normalised per utterance), so
cached and online features agree. Clips are batched by length (padding kept out of the
statistics by `lengths`), and the arrays are filled through memory maps of temporary files that
are renamed into place only when complete.

Long recordings: the front-end's intermediates take ~10 MB per clip-second (the pitch tracker's
lag axis, the STFT), and batching by length used to pad a whole batch to its longest clip: one
20-minute recording in a corpus peaked at 11.8 GB. A clip longer than `max_window_seconds` is
therefore never batched; its raw (unnormalised) features are computed window by window, each
window read with enough context on both sides that every frame sees exactly the samples it sees
in the whole clip (every raw feature is local: STFT, pitch, LP residual, frame differences), and
only the per-utterance normalisation runs over the whole clip's raw features (~0.7 KB per frame,
~240 MB per hour). The result equals FrontEnd(clip) to float32 rounding, for every length.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from asnet.data.shards import WaveShards, from_int16, write_index
from asnet.utils import atomic_path, progress

FRAME_COLUMNS = ["utt_id", "offset", "length"]
MAX_WINDOW_SECONDS = 30.0  # default of cache.max_window_seconds: the front-end never sees more at once


def _length_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Clip indices sorted by length (ties by index), cut into batches: little padding, deterministic."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def context_samples(frontend) -> int:
    """Samples of context, on each side of a window, that cover the reach of every raw feature of
    a frame (the STFT frame, the previous frame for the phase plane and flux, the pitch tracker's
    window, longest lag and decimation filter, the LP filter's history), as a whole number of hops."""
    p = frontend.params
    reach = p["n_fft"] + frontend.pitch.reach + p["lpc_order"] + frontend.hop_length
    return math.ceil(reach / frontend.hop_length) * frontend.hop_length


def windowed_features(frontend, read, n_samples: int, window: int):
    """FrontEnd(clip) for a clip of n_samples that `read(lo, hi)` returns slices of (float32),
    computed `window` samples at a time -> (spectral [1, T, n_mels, n_planes], prosody [1, T, P])."""
    import torch

    from asnet.features.normalise import normalise_logmel, normalise_prosody

    hop, context = frontend.hop_length, context_samples(frontend)
    total = frontend.n_frames(n_samples)
    step = max(window // hop, 1)  # frames per window
    planes, prosody = [], []
    with torch.inference_mode():
        for first in range(0, total, step):
            lo, hi = max(0, first * hop - context), min(n_samples, (first + step) * hop + context)
            window_planes, window_prosody = frontend.raw(torch.from_numpy(read(lo, hi))[None])
            keep = slice(first - lo // hop, first - lo // hop + min(step, total - first))
            planes.append([plane[:, keep] for plane in window_planes])
            prosody.append(window_prosody[:, keep])
        logmel, *phase = (torch.cat(parts, 1) for parts in zip(*planes))
        # FrontEnd.normalised(), applied to the whole clip's raw features (no padding, so no mask)
        return torch.stack([normalise_logmel(logmel, None), *phase], -1), normalise_prosody(torch.cat(prosody, 1), None)


def _reader(shards: WaveShards, i: int):
    """read(lo, hi) -> samples lo..hi of clip i as float32, straight from the shard's memory map."""
    offset = shards.clips[i].offset

    def read(lo: int, hi: int) -> np.ndarray:
        return from_int16(shards.wave[offset + lo : offset + hi])

    return read


def write_feature_shards(shard_dir: str | os.PathLike, feature_params: dict, batch_size: int,
                         max_window_seconds: float = MAX_WINDOW_SECONDS) -> None:
    import torch

    from asnet.features.frontend import FrontEnd

    shard_dir = Path(shard_dir)
    shards = WaveShards(shard_dir)
    frontend = FrontEnd(feature_params).eval()
    max_window = round(max_window_seconds * feature_params["sample_rate"])
    counts = [frontend.n_frames(c.length) for c in shards.clips]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    total = int(offsets[-1])
    short = [i for i, c in enumerate(shards.clips) if c.length <= max_window]
    long = [i for i, c in enumerate(shards.clips) if c.length > max_window]
    with atomic_path(shard_dir / "spectral.npy") as spectral_tmp, atomic_path(shard_dir / "prosody.npy") as prosody_tmp:
        spectral = np.lib.format.open_memmap(spectral_tmp, "w+", np.float16, (total, frontend.n_mels, frontend.n_planes))
        prosody = np.lib.format.open_memmap(prosody_tmp, "w+", np.float16, (total, frontend.n_prosody))

        non_finite: list[int] = []

        def store(i: int, clip_spectral, clip_prosody) -> None:
            """Write clip i's frames, as float16; checked here, one clip at a time (a check over the
            whole memory map would allocate a mask as large as the corpus's features)."""
            frames = slice(offsets[i], offsets[i + 1])
            clip_spectral = clip_spectral[: counts[i]].numpy().astype(np.float16)
            clip_prosody = clip_prosody[: counts[i]].numpy().astype(np.float16)
            if not (np.isfinite(clip_spectral).all() and np.isfinite(clip_prosody).all()):
                non_finite.append(i)
            spectral[frames] = clip_spectral
            prosody[frames] = clip_prosody

        batches = [[short[j] for j in b] for b in _length_batches([shards.clips[i].length for i in short], batch_size)]
        for batch in progress(batches, desc=f"features {shard_dir}", unit="batch"):
            lengths = torch.tensor([shards.clips[i].length for i in batch])
            wave = torch.zeros(len(batch), int(lengths.max()))
            for row, i in enumerate(batch):
                wave[row, : lengths[row]] = torch.from_numpy(shards[i])
            with torch.inference_mode():
                batch_spectral, batch_prosody = frontend(wave, lengths)
            for row, i in enumerate(batch):
                store(i, batch_spectral[row], batch_prosody[row])
        for i in long:
            clip_spectral, clip_prosody = windowed_features(frontend, _reader(shards, i), shards.clips[i].length, max_window)
            store(i, clip_spectral[0], clip_prosody[0])
        if non_finite:  # the front-end is finite on any int16 waveform (silence included): a bug, named
            names = ", ".join(shards.clips[i].utt_id for i in sorted(non_finite)[:10])
            raise FloatingPointError(f"non-finite features for {len(non_finite)} clip(s) of {shards.directory}: {names}")
        spectral.flush()
        prosody.flush()
        del spectral, prosody  # close the maps before the files are renamed
    rows = [{"utt_id": c.utt_id, "offset": int(offsets[i]), "length": counts[i]} for i, c in enumerate(shards.clips)]
    write_index(shard_dir / "frames.csv", rows, columns=FRAME_COLUMNS)
