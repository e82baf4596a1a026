"""Transmission channels: band-limits, resampling and in-memory codec round trips (PyAV, soundfile).

A `Channel` maps a waveform at the input rate (the project's, params base.sample_rate) to a
waveform of the SAME length, aligned sample for sample with the input:

    band-limit (zero-phase) -> resample to the codec rate -> encode + decode in memory
    -> resample back -> band-limit again (the receiving end of the band-limited channel)
    -> remove the channel's delay -> crop / zero-pad to the input length

Encoders add a delay (AAC's 1024-sample priming, AMR's and G.722's filter delays; MP3 and Opus
in their own containers carry gapless/pre-skip info that the demuxer already applies). The delay
is measured once per channel, end to end, by cross-correlating a fixed probe signal with its
transmitted copy, then removed from every clip; it is recorded in each set's sidecar.

No subprocess per clip: PyAV (bundled FFmpeg) and soundfile (libsndfile) work on BytesIO buffers.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from asnet.shift import dsp
from asnet.shift.conditions import Condition, band_condition, codec_condition, rate_condition

LIBRARIES = ("none", "pyav", "soundfile")
TAIL_SECONDS = 0.25   # zeros appended before encoding, so the last frame and the delay are flushed
PROBE_SECONDS = 1.0   # length of the delay-measurement probe
MAX_DELAY_SECONDS = 0.2


class ChannelError(ValueError):
    """A clip that a channel cannot process (empty, non-finite, or rejected by the codec)."""


@dataclass(frozen=True)
class Transmission:
    wave: np.ndarray        # float32 [N], aligned with the input
    encoded_bytes: int      # size of the encoded stream, container included (0 without a codec)
    encoded_seconds: float  # duration of the encoded stream (the clip plus the flushing tail)


@dataclass(frozen=True)
class Channel:
    """One channel condition (params: a `shift.codecs.<name>` entry).

    library:     "pyav" | "soundfile" | "none" (band-limit / resampling only)
    codec:       PyAV encoder name (mp3, aac, libopus, pcm_mulaw, libopencore_amrnb, g722, ...)
                 or soundfile subtype (GSM610, ...)
    container:   PyAV container format (mp3, adts, ogg, wav, amr) or soundfile format (WAV, ...)
    sample_rate: the rate the codec runs at; the input is resampled to it and back
    bitrate:     target bit/s handed to the encoder; None for fixed-rate codecs
    band:        (low_hz, high_hz) band-limit applied before encoding and after decoding
    """

    library: str = "none"
    codec: str | None = None
    container: str | None = None
    sample_rate: int = 16000
    bitrate: int | None = None
    band: tuple[float, float] | None = None

    def __post_init__(self):
        if self.library not in LIBRARIES:
            raise ValueError(f"unknown channel library {self.library!r} (one of {LIBRARIES})")
        if (self.library == "none") != (self.codec is None):
            raise ValueError("a channel has a codec exactly when its library is pyav or soundfile")

    @classmethod
    def from_params(cls, settings: dict) -> "Channel":
        settings = dict(settings)
        if settings.get("band") is not None:
            settings["band"] = tuple(float(f) for f in settings["band"])
        return cls(**settings)

    def conditions(self, input_rate: int) -> frozenset[Condition]:
        """What the channel does to audio at `input_rate` (the project's rate)."""
        found = set()
        if self.codec is not None:
            found.add(codec_condition(self.codec, self.bitrate))
        if self.band is not None:
            found.add(band_condition(*self.band))
        if self.sample_rate != input_rate:
            found.add(rate_condition(self.sample_rate))
        return frozenset(found)

    def __call__(self, wave: np.ndarray, input_rate: int) -> np.ndarray:
        return self.process(wave, input_rate).wave

    def process(self, wave: np.ndarray, input_rate: int) -> Transmission:
        if len(wave) == 0:
            raise ChannelError("empty clip")
        if not np.all(np.isfinite(wave)):
            raise ChannelError("non-finite samples")
        raw = self._transmit(np.asarray(wave, np.float32), input_rate)
        out = _shift(raw.wave, delay(self, input_rate), len(wave))
        if not np.all(np.isfinite(out)):
            raise ChannelError("codec returned non-finite samples")
        return Transmission(out, raw.encoded_bytes, raw.encoded_seconds)

    def _transmit(self, wave: np.ndarray, input_rate: int) -> Transmission:
        """The channel without delay compensation: output may be longer and shifted."""
        if self.band is not None:
            wave = dsp.bandlimit(wave, input_rate, *self.band)
        wave = dsp.resample(wave, input_rate, self.sample_rate)
        encoded_bytes, encoded_seconds = 0, 0.0
        if self.codec is not None:
            wave = np.pad(wave, (0, int(TAIL_SECONDS * self.sample_rate)))
            encoded_seconds = len(wave) / self.sample_rate
            roundtrip = _pyav_roundtrip if self.library == "pyav" else _soundfile_roundtrip
            wave, encoded_bytes = roundtrip(self, wave)
        wave = dsp.resample(wave, self.sample_rate, input_rate)
        if self.band is not None:
            wave = dsp.bandlimit(wave, input_rate, *self.band)
        return Transmission(wave.astype(np.float32), encoded_bytes, encoded_seconds)


@lru_cache(maxsize=None)
def delay(channel: Channel, input_rate: int) -> int:
    """The channel's end-to-end delay in input-rate samples, measured on a fixed probe.

    The probe is speech-band noise (300-3400 Hz, so every channel here passes it) with a
    syllable-rate envelope; its seed is a constant so the delay is a property of the channel."""
    n = int(PROBE_SECONDS * input_rate)
    noise = np.random.default_rng(20240607).standard_normal(n).astype(np.float32)
    envelope = 0.5 * (1 - np.cos(2 * np.pi * 4.0 * np.arange(n) / input_rate))
    probe = dsp.match_rms(dsp.bandlimit(noise, input_rate, 300, 3400) * envelope, 0.1)
    transmitted = channel._transmit(probe, input_rate).wave
    return dsp.best_lag(probe, transmitted, int(MAX_DELAY_SECONDS * input_rate))


def _shift(wave: np.ndarray, lag: int, n: int) -> np.ndarray:
    """Undo a delay of `lag` samples and return exactly n samples."""
    wave = wave[lag:] if lag >= 0 else np.pad(wave, (-lag, 0))
    return dsp.fit_length(wave, n).astype(np.float32)


def _pyav_roundtrip(channel: Channel, wave: np.ndarray) -> tuple[np.ndarray, int]:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format=channel.container) as output:
        stream = output.add_stream(channel.codec, rate=channel.sample_rate, layout="mono")
        if channel.bitrate is not None:
            stream.bit_rate = int(channel.bitrate)
        sample_format = stream.codec_context.codec.audio_formats[0].name
        stream.codec_context.format = sample_format
        frame = av.AudioFrame.from_ndarray(wave[None, :], format="flt", layout="mono")
        frame.sample_rate = channel.sample_rate
        converter = av.AudioResampler(format=sample_format, layout="mono", rate=channel.sample_rate)
        for converted in converter.resample(frame) + converter.resample(None):
            output.mux(stream.encode(converted))
        output.mux(stream.encode(None))
    encoded = buffer.getvalue()
    decoded = []
    with av.open(io.BytesIO(encoded), "r") as source:
        back = av.AudioResampler(format="flt", layout="mono", rate=channel.sample_rate)
        for frame in source.decode(audio=0):
            decoded += [f.to_ndarray()[0] for f in back.resample(frame)]
        decoded += [f.to_ndarray()[0] for f in back.resample(None)]
    if not decoded:
        raise ChannelError(f"{channel.codec} decoded to nothing")
    return np.concatenate(decoded), len(encoded)


def _soundfile_roundtrip(channel: Channel, wave: np.ndarray) -> tuple[np.ndarray, int]:
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, wave, channel.sample_rate, format=channel.container, subtype=channel.codec)
    encoded_bytes = buffer.tell()
    buffer.seek(0)
    decoded, _ = sf.read(buffer, dtype="float32")
    return decoded, encoded_bytes


def library_versions() -> dict[str, str]:
    """Versions of everything that shapes a channel's output (recorded in each sidecar)."""
    import av
    import scipy
    import soundfile

    libavcodec = av.library_versions["libavcodec"]
    return {
        "av": av.__version__,
        "libavcodec": ".".join(map(str, libavcodec)),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "soundfile": soundfile.__version__,
        "libsndfile": soundfile.__libsndfile_version__,
    }
