"""Audio I/O: decode anything we ship or download into float32 mono, and write 16-bit WAV.

Conventions:
- Waveforms are 1-D float32 arrays in [-1, 1] (int16 full scale = 32767, as in asnet.data.shards).
- Multi-channel audio is mixed down to mono by averaging the channels.
- Resampling uses soxr (HQ), which is deterministic: the same input gives the same samples.
- Headerless `.raw` files are 16 kHz, mono, signed 16-bit little-endian (the pocketsphinx
  convention); everything else is decoded by libsndfile (wav, flac, ogg vorbis/opus, mp3, ...).
- Bad input raises AudioError with a short reason ("unreadable", "empty", "silent",
  "non-finite", ...), which stages write to their rejects file instead of crashing.
"""
from __future__ import annotations

import hashlib
import io
import os
import wave as wavemod
from pathlib import Path

import numpy as np

from asnet.data.shards import to_int16
from asnet.utils import atomic_path

RAW_SAMPLE_RATE = 16000
SILENCE_PEAK = 1e-4  # below ~3 LSB of 16-bit audio a clip carries no usable signal


class AudioError(ValueError):
    """An audio file or waveform that cannot be used; `reason` is a short machine-friendly tag."""

    def __init__(self, reason: str, name: str | os.PathLike = ""):
        self.reason = reason
        self.name = str(name)
        super().__init__(f"{self.name}: {reason}" if self.name else reason)


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


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Decode a file at its native rate -> (float32 mono wave, sample_rate); validated."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".raw":
            data = path.read_bytes()
            if len(data) % 2:
                raise AudioError("unreadable (odd byte count for s16le)", path)
            wave, sample_rate = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, RAW_SAMPLE_RATE
        else:
            import soundfile

            frames, sample_rate = soundfile.read(path, dtype="float32", always_2d=True)
            wave = frames.mean(axis=1, dtype=np.float32)
    except AudioError:
        raise
    except Exception as err:  # libsndfile reports corrupt files with several exception types
        raise AudioError(f"unreadable ({type(err).__name__})", path) from err
    return validate_wave(wave, path), int(sample_rate)


def resample(wave: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Deterministic soxr resampling; a no-op at equal rates."""
    if source_rate == target_rate:
        return np.asarray(wave, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(wave, dtype=np.float32), source_rate, target_rate, quality="HQ")


def load_audio_and_rate(path: str | os.PathLike, sample_rate: int = 16000) -> tuple[np.ndarray, int]:
    """load_audio, plus the file's native sample rate."""
    wave, native_rate = read_audio(path)
    wave = np.clip(resample(wave, native_rate, sample_rate), -1.0, 1.0)
    return validate_wave(wave, path), native_rate


def load_audio(path: str | os.PathLike, sample_rate: int = 16000) -> np.ndarray:
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
