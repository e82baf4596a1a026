"""The identity of a shift condition, so that pools and evaluation sets can be proven disjoint.

A condition is a hashable tuple:

    ("codec", family, bitrate)      a codec family (aliases folded: libopus == opus) at a bitrate
                                    in bit/s (None for a fixed-rate codec such as GSM 6.10)
    ("band", low_hz, high_hz)       an explicit band-limit
    ("rate", hz)                    passing through a sample rate other than the project's
                                    (params base.sample_rate)
    ("vocoder", family, settings)   a copy-synthesis vocoder with its settings (sorted items)
    (kind, ...)                     anything else a transform does (noise colour, reversal, ...)

Two transforms share a condition when their condition sets intersect. The training shift pool
must also share no codec FAMILY with the evaluation sets (`codec_families`): a codec seen in
training at another bitrate is not an unseen codec.
"""
from __future__ import annotations

Condition = tuple

# encoder names of different libraries that are the same codec
CODEC_FAMILIES = {
    "libmp3lame": "mp3",
    "mp3": "mp3",
    "mp2": "mp3",  # MPEG-1 audio layers II and III: one family
    "libtwolame": "mp3",
    "libopus": "opus",
    "opus": "opus",
    "aac": "aac",
    "libfdk_aac": "aac",
    "pcm_mulaw": "mulaw",
    "ulaw": "mulaw",
    "pcm_alaw": "alaw",
    "alaw": "alaw",
    "gsm610": "gsm",
    "libgsm": "gsm",
    "libopencore_amrnb": "amr_nb",
    "g722": "g722",
    "g726": "g726",
    "vorbis": "vorbis",
    "libvorbis": "vorbis",
    "ac3": "ac3",
    "eac3": "ac3",
}


def codec_condition(codec: str, bitrate: int | None) -> Condition:
    name = codec.lower()
    return ("codec", CODEC_FAMILIES.get(name, name), None if bitrate is None else int(bitrate))


def codec_families(conditions) -> frozenset[str]:
    """The codec families among `conditions`."""
    return frozenset(c[1] for c in conditions if c[0] == "codec")


def band_condition(low_hz: float, high_hz: float) -> Condition:
    return ("band", float(low_hz), float(high_hz))


def rate_condition(sample_rate: float) -> Condition:
    return ("rate", float(sample_rate))


def vocoder_condition(family: str, settings: dict) -> Condition:
    return ("vocoder", family, tuple(sorted((k, _hashable(v)) for k, v in settings.items())))


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value
