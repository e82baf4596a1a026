"""Audio I/O: decode anything we ship, download or are handed into float32 mono, and write 16-bit WAV.

Conventions:
- Waveforms are 1-D float32 arrays in [-1, 1] (int16 full scale = 32767, as in asnet.data.shards).
- Multi-channel audio is mixed down to mono by averaging the channels.
- Resampling uses soxr (HQ), which is deterministic: the same input gives the same samples.
- Headerless `.raw` files are 16 kHz, mono, signed 16-bit little-endian (the pocketsphinx
  convention); everything else is decoded by libsndfile (wav, flac, ogg vorbis/opus, mp3, ...),
  and what libsndfile cannot open (m4a/aac, webm, opus in matroska, ...) by FFmpeg through PyAV.
  A file neither can read keeps libsndfile's error as its reason, so reject lists made before the
  FFmpeg fallback existed read the same.
- Bad input raises AudioError with a short reason ("unreadable", "empty", "silent",
  "non-finite", ...), which stages write to their rejects file instead of crashing.

Two ways in: `read_audio` / `load_audio` return the whole waveform (the corpus stages, whose clips
are short), and `open_audio` / `stream_audio` yield it block by block, so that a recording of any
length costs one block of memory (`asnet detect`). Both give the same samples: soxr's streaming
resampler is bit-identical to its one-shot call.
"""
from __future__ import annotations

import hashlib
import io
import os
import wave as wavemod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from asnet.data.shards import to_int16
from asnet.utils import atomic_path

RAW_SAMPLE_RATE = 16000
SILENCE_PEAK = 1e-4  # below ~3 LSB of 16-bit audio a clip carries no usable signal
# What a folder of recordings is searched for (asnet detect, custom-corpus protocols that name files by id)
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".webm",
                            ".mka", ".aif", ".aiff", ".au", ".caf", ".w64", ".wma", ".amr", ".raw"})
BLOCK_FRAMES = 1 << 16  # native frames per block of the streaming reader (~1.4 s at 48 kHz)
# libsndfile's MPEG and Opus decoders return different samples when a file is read in blocks
# (libsndfile 1.2.2: Opus loses its pre-skip, ~0.6 off at the start); FFmpeg streams these instead.
BLOCKWISE_BY_FFMPEG = frozenset({"MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III", "OPUS"})


class AudioError(ValueError):
    """An audio file or waveform that cannot be used; `reason` is a short machine-friendly tag."""

    def __init__(self, reason: str, name: str | os.PathLike = ""):
        self.reason = reason
        self.name = str(name)
        super().__init__(f"{self.name}: {reason}" if self.name else reason)


@dataclass(frozen=True)
class AudioInfo:
    """What a file is before it is mixed down and resampled."""

    sample_rate: int  # native rate, Hz
    channels: int  # native channel count
    decoder: str  # "raw", "soundfile" (libsndfile) or "pyav" (FFmpeg)
    format: str  # container/codec as the decoder names them, e.g. "WAV/PCM_16", "mov,mp4,m4a,3gp,3g2,mj2/aac"


def validate_wave(wave: np.ndarray, name: str | os.PathLike = "") -> np.ndarray:
    """Return `wave` as float32 if it is a usable 1-D signal, else raise AudioError."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise AudioError(f"expected mono 1-D audio, got shape {wave.shape}", name)
    if wave.size == 0:
        raise AudioError("empty", name)
    if not np.isfinite(wave).all():
        raise AudioError("non-finite", name)
    if np.abs(wave).max() < SILENCE_PEAK:
        raise AudioError("silent", name)
    return wave


def _read_raw(path: Path) -> np.ndarray:
    data = path.read_bytes()
    if len(data) % 2:
        raise AudioError("unreadable (odd byte count for s16le)", path)
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _read_decoded(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        frames, sample_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as libsndfile_error:  # libsndfile reports corrupt files with several exception types
        info, blocks = _ffmpeg_fallback(path, libsndfile_error)
        return np.concatenate([np.zeros(0, np.float32), *_reported(blocks, path)]), info.sample_rate
    return frames.mean(axis=1, dtype=np.float32), sample_rate


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Decode a file at its native rate -> (float32 mono wave, sample_rate); validated."""
    path = Path(path)
    try:
        wave, sample_rate = (_read_raw(path), RAW_SAMPLE_RATE) if path.suffix.lower() == ".raw" else _read_decoded(path)
    except AudioError:
        raise
    except Exception as err:  # a missing or unreadable .raw file
        raise AudioError(f"unreadable ({type(err).__name__})", path) from err
    return validate_wave(wave, path), int(sample_rate)


def _raw_blocks(path: Path, block_frames: int) -> Iterator[np.ndarray]:
    with open(path, "rb") as f:
        while data := f.read(2 * block_frames):
            yield np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _open_raw(path: Path, block_frames: int) -> tuple[AudioInfo, Iterator[np.ndarray]]:
    if path.stat().st_size % 2:
        raise AudioError("unreadable (odd byte count for s16le)", path)
    return AudioInfo(RAW_SAMPLE_RATE, 1, "raw", "RAW/PCM_16"), _raw_blocks(path, block_frames)


def _soundfile_blocks(sound_file, block_frames: int) -> Iterator[np.ndarray]:
    with sound_file:
        for block in sound_file.blocks(blocksize=block_frames, dtype="float32", always_2d=True):
            yield block.mean(axis=1, dtype=np.float32)


def _pyav_blocks(container, stream) -> Iterator[np.ndarray]:
    import av

    resampler = av.AudioResampler(format="fltp")  # planar float32 at the native layout and rate
    with container:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                yield out.to_ndarray().mean(axis=0, dtype=np.float32)
        for out in resampler.resample(None):
            yield out.to_ndarray().mean(axis=0, dtype=np.float32)


def _open_pyav(path: Path) -> tuple[AudioInfo, Iterator[np.ndarray]]:
    """FFmpeg decodes in its own frames (about a thousand samples each), so no block size applies."""
    import av

    container = av.open(str(path))
    if not container.streams.audio:
        container.close()
        raise AudioError("not audio (no audio stream)", path)
    stream = container.streams.audio[0]
    context = stream.codec_context
    if not context.sample_rate or not context.channels:
        container.close()
        raise AudioError("unreadable (no sample rate or channel count)", path)
    info = AudioInfo(int(context.sample_rate), int(context.channels), "pyav", f"{container.format.name}/{context.name}")
    return info, _pyav_blocks(container, stream)


def _ffmpeg_fallback(path: Path, libsndfile_error: Exception) -> tuple[AudioInfo, Iterator[np.ndarray]]:
    """PyAV's turn at a file libsndfile could not open; when FFmpeg fails too, libsndfile's reason stands."""
    try:
        return _open_pyav(path)
    except AudioError:
        raise
    except Exception:  # noqa: BLE001 - any FFmpeg failure means the same here
        raise AudioError(f"unreadable ({type(libsndfile_error).__name__})", path) from libsndfile_error


def _open_decoded(path: Path, block_frames: int) -> tuple[AudioInfo, Iterator[np.ndarray]]:
    import soundfile

    try:
        sound_file = soundfile.SoundFile(path)
    except Exception as libsndfile_error:  # noqa: BLE001 - FFmpeg gets its turn
        return _ffmpeg_fallback(path, libsndfile_error)
    if sound_file.subtype in BLOCKWISE_BY_FFMPEG:
        sound_file.close()
        return _open_pyav(path)
    info = AudioInfo(int(sound_file.samplerate), int(sound_file.channels), "soundfile",
                     f"{sound_file.format}/{sound_file.subtype}")
    return info, _soundfile_blocks(sound_file, block_frames)


def _reported(blocks: Iterator[np.ndarray], path: Path) -> Iterator[np.ndarray]:
    """`blocks`, with a decoder failure half-way through the file turned into an AudioError."""
    try:
        yield from blocks
    except AudioError:
        raise
    except Exception as err:  # noqa: BLE001 - any decoder exception means the same to the caller
        raise AudioError(f"unreadable ({type(err).__name__} while decoding)", path) from err


def open_audio(path: str | os.PathLike, block_frames: int = BLOCK_FRAMES) -> tuple[AudioInfo, Iterator[np.ndarray]]:
    """Open a file for block-wise decoding -> (its AudioInfo, float32 mono blocks at the native rate).

    Memory is one block whatever the file's length. Blocks are not validated (the caller sees the
    whole signal only at the end); opening or decoding failures raise AudioError.
    """
    path = Path(path)
    try:
        info, blocks = (_open_raw if path.suffix.lower() == ".raw" else _open_decoded)(path, block_frames)
    except AudioError:
        raise
    except Exception as err:  # a missing file, a directory, no permission
        raise AudioError(f"unreadable ({type(err).__name__})", path) from err
    return info, _reported(blocks, path)


def _resampled(blocks: Iterator[np.ndarray], source_rate: int, target_rate: int, path: Path) -> Iterator[np.ndarray]:
    import soxr

    stream = None if source_rate == target_rate else soxr.ResampleStream(source_rate, target_rate, 1, dtype="float32",
                                                                          quality="HQ")
    for block in blocks:
        if not np.isfinite(block).all():
            raise AudioError("non-finite", path)  # soxr would spread a NaN over its filter length
        yield np.clip(block if stream is None else stream.resample_chunk(block), -1.0, 1.0)
    if stream is not None:
        yield np.clip(stream.resample_chunk(np.zeros(0, np.float32), last=True), -1.0, 1.0)


def stream_audio(path: str | os.PathLike, sample_rate: int,
                 block_frames: int = BLOCK_FRAMES) -> tuple[AudioInfo, Iterator[np.ndarray]]:
    """open_audio, mixed down and resampled to `sample_rate` on the fly, clipped to [-1, 1].

    The concatenated blocks equal load_audio(path, sample_rate) sample for sample, except for MPEG
    and Opus files, which FFmpeg decodes here and libsndfile there (BLOCKWISE_BY_FFMPEG). A non-finite
    sample raises AudioError("non-finite"); emptiness and silence are the caller's to judge.
    """
    info, blocks = open_audio(path, block_frames)
    return info, _resampled(blocks, info.sample_rate, sample_rate, Path(path))


def resample(wave: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Deterministic soxr resampling; a no-op at equal rates."""
    if source_rate == target_rate:
        return np.asarray(wave, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(wave, dtype=np.float32), source_rate, target_rate, quality="HQ")


def load_audio_and_rate(path: str | os.PathLike, sample_rate: int) -> tuple[np.ndarray, int]:
    """load_audio, plus the file's native sample rate."""
    wave, native_rate = read_audio(path)
    wave = np.clip(resample(wave, native_rate, sample_rate), -1.0, 1.0)
    return validate_wave(wave, path), native_rate


def load_audio(path: str | os.PathLike, sample_rate: int) -> np.ndarray:
    """Decode, mix down to mono and resample to `sample_rate`: float32 in [-1, 1].

    Resampling can overshoot full scale by a hair (Gibbs ripple); those samples are clipped.
    """
    return load_audio_and_rate(path, sample_rate)[0]


def wav_bytes(wave: np.ndarray, sample_rate: int) -> bytes:
    """The exact bytes of a 16-bit PCM mono WAV file (canonical 44-byte header, no metadata)."""
    buffer = io.BytesIO()
    with wavemod.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(to_int16(np.asarray(wave, dtype=np.float32)).astype("<i2").tobytes())
    return buffer.getvalue()


def write_wav(path: str | os.PathLike, wave: np.ndarray, sample_rate: int) -> str:
    """Atomically write 16-bit PCM mono WAV (values beyond [-1, 1] clip); returns its sha256 hex."""
    data = wav_bytes(wave, sample_rate)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return hashlib.sha256(data).hexdigest()
