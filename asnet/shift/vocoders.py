"""Copy-synthesis vocoders for the unseen-vocoder shift sets.

Convention: `vocoder(wave, sample_rate, rng) -> wave`, float32 [N] in [-1, 1], same length as
the input and at the input's RMS (the demo corpus normalises every clip's loudness, so level must
not tell a vocoded clip from its source). `rng` seeds the random parts (Griffin-Lim's initial
phase, LPC's noise excitation and dither), so a set is reproducible.

Families (params `shift.vocoders.<name>`: {family, settings}):
- world:       WORLD analysis (F0 by `f0_method`: dio + StoneMask refinement, or harvest),
               CheapTrick envelope, D4C aperiodicity, then WORLD synthesis.
- griffin_lim: STFT magnitude at (n_fft, hop_length), phase rebuilt by fast Griffin-Lim.
- lpc:         frame-wise all-pole envelope (Burg, `order`) excited by a pulse train at the
               WORLD-dio F0 in voiced frames and white noise elsewhere, overlap-added, with each
               frame's energy matched to the source frame.
A vocoder's condition (asnet.shift.conditions.vocoder_condition) is its family plus only the
settings that make it a different vocoder (IDENTITY): the F0 tracker for WORLD, the STFT for
Griffin-Lim, the order for LPC. Frame periods or iteration counts alone do not make a vocoder
"unseen", so the disjointness test against a corpus's training systems is conservative.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from asnet.shift import dsp
from asnet.shift.conditions import Condition, vocoder_condition


def _pyworld():
    with warnings.catch_warnings():  # pyworld imports the deprecated pkg_resources
        warnings.simplefilter("ignore", UserWarning)
        import pyworld
    return pyworld


def _world_f0(x: np.ndarray, sample_rate: int, method: str, frame_period_ms: float):
    pyworld = _pyworld()
    if method == "dio":
        f0, times = pyworld.dio(x, sample_rate, frame_period=frame_period_ms)
        return pyworld.stonemask(x, f0, times, sample_rate), times
    if method == "harvest":
        return pyworld.harvest(x, sample_rate, frame_period=frame_period_ms)
    raise ValueError(f"unknown WORLD F0 method {method!r} (dio or harvest)")


class Vocoder:
    FAMILY: str = ""                  # the params `family` name
    IDENTITY: tuple[str, ...] = ()    # the settings that make it a different vocoder

    def conditions(self) -> frozenset[Condition]:
        return frozenset({vocoder_condition(self.FAMILY, {k: getattr(self, k) for k in self.IDENTITY})})


@dataclass(frozen=True)
class World(Vocoder):
    f0_method: str = "dio"            # dio (+ StoneMask) | harvest
    frame_period_ms: float = 5.0
    FAMILY, IDENTITY = "world", ("f0_method",)

    def __call__(self, wave, sample_rate, rng):
        pyworld = _pyworld()
        x = wave.astype(np.float64)
        f0, times = _world_f0(x, sample_rate, self.f0_method, self.frame_period_ms)
        envelope = pyworld.cheaptrick(x, f0, times, sample_rate)
        aperiodicity = pyworld.d4c(x, f0, times, sample_rate)
        y = pyworld.synthesize(f0, envelope, aperiodicity, sample_rate, frame_period=self.frame_period_ms)
        return _finish(y, wave)


@dataclass(frozen=True)
class GriffinLim(Vocoder):
    n_fft: int = 1024
    hop_length: int = 256
    n_iter: int = 32
    momentum: float = 0.99
    FAMILY, IDENTITY = "griffin_lim", ("n_fft", "hop_length")

    def __call__(self, wave, sample_rate, rng):
        import librosa

        magnitude = np.abs(librosa.stft(wave, n_fft=self.n_fft, hop_length=self.hop_length))
        y = librosa.griffinlim(
            magnitude, n_iter=self.n_iter, hop_length=self.hop_length, n_fft=self.n_fft,
            momentum=self.momentum, init="random", random_state=rng, length=len(wave),
        )
        return _finish(y, wave)


@dataclass(frozen=True)
class LPC(Vocoder):
    order: int = 24
    frame_ms: float = 25.0
    hop_ms: float = 10.0
    FAMILY, IDENTITY = "lpc", ("order",)

    def __call__(self, wave, sample_rate, rng):
        import librosa
        from scipy.signal import lfilter

        frame, hop = int(self.frame_ms * sample_rate / 1000), int(self.hop_ms * sample_rate / 1000)
        x = np.pad(wave.astype(np.float64), (0, frame))
        starts = np.arange(0, len(wave), hop)
        window = np.hanning(frame)
        frames = x[starts[:, None] + np.arange(frame)] * window
        dither = 1e-5 * rng.standard_normal(frames.shape)  # keeps Burg's recursion stable on silence
        coefficients = librosa.lpc(frames + dither, order=self.order, axis=-1)
        excitation = self._excitation(x, sample_rate, hop, len(starts), rng)
        y, weight = np.zeros(len(x)), np.zeros(len(x))
        for i, start in enumerate(starts):
            synthetic = lfilter([1.0], coefficients[i], excitation[start : start + frame] * window)
            gain = np.sqrt(np.sum(frames[i] ** 2) / max(np.sum(synthetic**2), 1e-20))
            y[start : start + frame] += gain * synthetic * window
            weight[start : start + frame] += window**2
        return _finish(y[: len(wave)] / np.maximum(weight[: len(wave)], 1e-3), wave)

    def _excitation(self, x, sample_rate, hop, n_frames, rng):
        """Unit-power pulses at F0 where voiced, unit-variance white noise elsewhere."""
        f0, times = _world_f0(x, sample_rate, "dio", 1000 * hop / sample_rate)
        f0 = dsp.fit_length(f0, n_frames)
        per_sample = np.repeat(f0, hop)[: len(x)]
        per_sample = dsp.fit_length(per_sample, len(x))
        phase = np.cumsum(per_sample / sample_rate)
        pulses = np.diff(np.floor(phase), prepend=0.0) > 0
        voiced = per_sample > 0
        period = sample_rate / np.maximum(per_sample, 1.0)
        excitation = np.where(pulses & voiced, np.sqrt(period), 0.0)
        return np.where(voiced, excitation, rng.standard_normal(len(x)))


def _finish(y: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Same length and RMS as the source, peak-safe, float32."""
    y = dsp.fit_length(np.asarray(y, np.float64), len(source))
    return dsp.match_rms(y, dsp.rms(source))


FAMILIES = {cls.FAMILY: cls for cls in (World, GriffinLim, LPC)}


def make_vocoder(spec: dict):
    """{family: name, **settings} -> vocoder."""
    if spec["family"] not in FAMILIES:
        raise ValueError(f"unknown vocoder family {spec['family']!r} (one of {sorted(FAMILIES)})")
    return FAMILIES[spec["family"]](**{k: v for k, v in spec.items() if k != "family"})


def vocoder_conditions(specs: dict[str, dict]) -> frozenset[Condition]:
    return frozenset().union(*(make_vocoder(s).conditions() for s in specs.values()))
