"""Training-time transforms: pseudo-outliers (energy stage) and the train shift pool (ood stage).

Convention for every transform: `transform(wave, rng) -> wave`, where `wave` is a float32 numpy
array [N] at the project rate (params base.sample_rate, each transform's `input_rate`) in [-1, 1]
and `rng` a `numpy.random.Generator`; the result is float32 [N] (same length, aligned, in
[-1, 1]). All randomness comes from `rng`, so a seeded trainer is deterministic. Each transform
also lists its `conditions()` (asnet.shift.conditions), which the tests use to prove that neither
pool shares a condition with any evaluation shift set.

Both pools are defined in params.yaml (`shift.pools.pseudo_outliers`, `shift.pools.train_shifts`):
name -> {family: <one of FAMILIES>, <settings>}. Build them with `pseudo_outliers(params)` and
`train_shifts(params)`, which return {name: transform}.

- pseudo-outliers (ARCHITECTURE §5, energy stage) are audio the detector should call unfamiliar:
  speech drowned in white/coloured noise, heavily low- or high-passed speech, time-reversed or
  segment-shuffled speech. Level is kept at the input RMS so loudness is not the cue.
- train shifts (ood stage) are mild channel changes the prediction should be invariant to:
  codecs of families no evaluation set uses (Vorbis, AC-3; the eval sets keep MP3, AAC, Opus,
  AMR, GSM, G.722 and mu-law, so the codec-shift OOD test stays unseen by family, not just by
  bitrate), a mild band-limit, resampling through 11.025 kHz, a synthetic room impulse response,
  gain + shelving EQ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from asnet.shift import dsp
from asnet.shift.codecs import Channel
from asnet.shift.conditions import Condition, band_condition

NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}  # noise power spectrum ∝ 1 / f**exponent
NOISE_FLOOR_HZ = 50.0  # coloured noise is flat below this


class Transform(Protocol):
    def __call__(self, wave: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...

    def conditions(self) -> frozenset[Condition]: ...


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


# ---------------------------------------------------------------- pseudo-outlier families
@dataclass(frozen=True)
class Noise:
    """Speech plus coloured noise at an SNR drawn from `snr_db`, returned at the input RMS."""

    color: str                      # white | pink | brown
    snr_db: tuple[float, float]
    input_rate: int                 # the project's rate (params base.sample_rate)

    def __call__(self, wave, rng):
        noise = coloured_noise(len(wave), NOISE_EXPONENTS[self.color], rng, self.input_rate)
        snr = _uniform(rng, self.snr_db)
        noise *= dsp.rms(wave) / max(dsp.rms(noise), 1e-12) * 10 ** (-snr / 20)
        return dsp.match_rms(wave + noise, dsp.rms(wave))

    def conditions(self):
        return frozenset({("noise", self.color)})


def coloured_noise(n: int, exponent: float, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Gaussian noise whose power spectrum falls as 1 / f**exponent above NOISE_FLOOR_HZ and is
    flat below it (so brown noise is audible rumble, not sub-sonic drift); DC removed."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1 / sample_rate), NOISE_FLOOR_HZ)
    spectrum /= freqs ** (exponent / 2)
    spectrum[0] = 0
    return np.fft.irfft(spectrum, n).astype(np.float32)


@dataclass(frozen=True)
class Filter:
    """A heavy band-limit (e.g. (0, 400): low-pass; (4000, 8000): high-pass), level restored."""

    band: tuple[float, float]
    input_rate: int
    order: int = 6

    def __call__(self, wave, rng):
        return dsp.match_rms(dsp.bandlimit(wave, self.input_rate, *self.band, order=self.order), dsp.rms(wave))

    def conditions(self):
        return frozenset({band_condition(*self.band)})


@dataclass(frozen=True)
class Reverse:
    """Time-reversed speech: the long-term spectrum is intact, the temporal structure is not."""

    def __call__(self, wave, rng):
        return np.ascontiguousarray(wave[::-1], dtype=np.float32)

    def conditions(self):
        return frozenset({("reverse",)})


@dataclass(frozen=True)
class Shuffle:
    """Speech cut into segments of a length drawn from `segment_ms`, put back in random order."""

    segment_ms: tuple[float, float]
    input_rate: int

    def __call__(self, wave, rng):
        segment = max(1, int(_uniform(rng, self.segment_ms) * self.input_rate / 1000))
        pieces = [wave[i : i + segment] for i in range(0, len(wave), segment)]
        return np.concatenate([pieces[i] for i in rng.permutation(len(pieces))]).astype(np.float32)

    def conditions(self):
        return frozenset({("shuffle",)})


# ---------------------------------------------------------------- train-shift families
@dataclass(frozen=True)
class ChannelShift:
    """A fixed channel (codec round trip, band-limit, resampling): see asnet.shift.codecs."""

    channel: Channel
    input_rate: int

    def __call__(self, wave, rng):
        return np.clip(self.channel(wave, self.input_rate), -1.0, 1.0)

    def conditions(self):
        return self.channel.conditions(self.input_rate)


@dataclass(frozen=True)
class Reverb:
    """Convolution with a synthetic room impulse response: a direct path at t = 0 (so the output
    stays aligned) plus an exponentially decaying noise tail with RT60 drawn from `rt60_s` and a
    direct-to-reverberant ratio drawn from `drr_db`; returned at the input RMS."""

    rt60_s: tuple[float, float]
    drr_db: tuple[float, float]
    input_rate: int
    predelay_ms: float = 2.5        # gap between the direct path and the first reflections

    def __call__(self, wave, rng):
        from scipy.signal import fftconvolve

        rt60 = _uniform(rng, self.rt60_s)
        start = int(self.predelay_ms * self.input_rate / 1000)
        t = np.arange(int(rt60 * self.input_rate)) / self.input_rate
        tail = rng.standard_normal(len(t)) * np.exp(-3 * np.log(10) * t / rt60)  # -60 dB at rt60
        tail *= 10 ** (-_uniform(rng, self.drr_db) / 20) / max(np.sqrt(np.sum(tail**2)), 1e-12)
        response = np.zeros(start + len(tail))
        response[0] = 1.0
        response[start:] += tail
        return dsp.match_rms(fftconvolve(wave, response)[: len(wave)], dsp.rms(wave))

    def conditions(self):
        return frozenset({("reverb",)})


@dataclass(frozen=True)
class GainEQ:
    """A gain drawn from `gain_db` and low/high shelving filters (RBJ biquads at `low_hz`,
    `high_hz`) with gains drawn from `shelf_db`: a different microphone / playback chain."""

    gain_db: tuple[float, float]
    shelf_db: tuple[float, float]
    input_rate: int
    low_hz: float = 250.0
    high_hz: float = 4000.0

    def __call__(self, wave, rng):
        from scipy.signal import lfilter

        out = wave.astype(np.float64)
        for kind, corner in (("low", self.low_hz), ("high", self.high_hz)):
            b, a = shelf_coefficients(kind, corner, _uniform(rng, self.shelf_db), self.input_rate)
            out = lfilter(b, a, out)
        gain = 10 ** (_uniform(rng, self.gain_db) / 20)
        return dsp.match_rms(out, dsp.rms(wave) * gain)

    def conditions(self):
        return frozenset({("gain_eq",)})


@dataclass(frozen=True)
class RawBoost:
    """RawBoost-style data boosting (Tak et al., ICASSP 2022), its three algorithms in series:
    1. linear and non-linear convolutive noise: sum over k = 1..nonlinear_orders of
       (random multi-band-stop FIR) * x**k, the k > 1 terms weighted down by a bias drawn from
       `nonlinear_bias_db` (a channel with mild non-linearity);
    2. impulsive signal-dependent noise: `impulse_fraction` of the samples x[i] get x[i] * g * u,
       u the product of two uniforms on [-1, 1] (clipping, bit errors);
    3. stationary signal-independent noise: white noise through another random band-stop FIR,
       added at an SNR drawn from `snr_db`.
    Each band-stop FIR has `bands` stop bands, centres uniform in (0, Nyquist), widths from
    `bandwidth_hz`, an odd tap count from `taps`. Level restored to the input RMS."""

    bands: int
    bandwidth_hz: tuple[float, float]
    taps: tuple[int, int]
    nonlinear_orders: int
    nonlinear_bias_db: tuple[float, float]
    impulse_fraction: float
    impulse_gain: float
    snr_db: tuple[float, float]
    input_rate: int

    def __call__(self, wave, rng):
        from scipy.signal import fftconvolve

        x = wave.astype(np.float64)
        y = sum(fftconvolve(x ** order, self.band_stop(rng), mode="same")
                * (1.0 if order == 1 else 10 ** (-_uniform(rng, self.nonlinear_bias_db) / 20))
                for order in range(1, self.nonlinear_orders + 1))
        hit = rng.random(len(y)) < self.impulse_fraction
        y[hit] += y[hit] * self.impulse_gain * rng.uniform(-1, 1, hit.sum()) * rng.uniform(-1, 1, hit.sum())
        noise = fftconvolve(rng.standard_normal(len(y)), self.band_stop(rng), mode="same")
        y += noise * dsp.rms(y) / max(dsp.rms(noise), 1e-12) * 10 ** (-_uniform(rng, self.snr_db) / 20)
        return dsp.match_rms(y, dsp.rms(wave))

    def band_stop(self, rng) -> np.ndarray:
        """A random FIR stopping `bands` bands (each kept inside (0, Nyquist))."""
        from scipy.signal import firwin

        nyquist, taps = self.input_rate / 2, np.ones(1)
        for _ in range(self.bands):
            width = _uniform(rng, self.bandwidth_hz)
            centre = rng.uniform(width / 2 + 1, nyquist - width / 2 - 1)
            length = int(rng.integers(self.taps[0], self.taps[1] + 1)) | 1  # odd: a band-stop needs it
            taps = np.convolve(taps, firwin(length, [centre - width / 2, centre + width / 2], fs=self.input_rate))
        return taps

    def conditions(self):
        return frozenset({("rawboost",)})


def shelf_coefficients(kind: str, corner_hz: float, gain_db: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """RBJ Audio-EQ-Cookbook shelving biquad (shelf slope 1), normalised so a[0] == 1."""
    amplitude = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * corner_hz / sample_rate
    alpha = np.sin(w0) / 2 * np.sqrt(2)
    cos, root = np.cos(w0), 2 * np.sqrt(amplitude) * alpha
    sign = 1 if kind == "low" else -1
    b = amplitude * np.array([
        (amplitude + 1) - sign * (amplitude - 1) * cos + root,
        2 * sign * ((amplitude - 1) - sign * (amplitude + 1) * cos),
        (amplitude + 1) - sign * (amplitude - 1) * cos - root,
    ])
    a = np.array([
        (amplitude + 1) + sign * (amplitude - 1) * cos + root,
        -2 * sign * ((amplitude - 1) + sign * (amplitude + 1) * cos),
        (amplitude + 1) + sign * (amplitude - 1) * cos - root,
    ])
    return b / a[0], a / a[0]


# ---------------------------------------------------------------- building pools from params
FAMILIES: dict[str, Callable[..., Transform]] = {
    "noise": Noise,
    "filter": Filter,
    "reverse": lambda input_rate: Reverse(),  # the rate does not matter to a reversal
    "shuffle": Shuffle,
    "channel": lambda input_rate, **settings: ChannelShift(Channel.from_params(settings), input_rate),
    "reverb": Reverb,
    "gain_eq": GainEQ,
    "rawboost": RawBoost,
}


def make_transform(spec: dict, input_rate: int) -> Transform:
    """{family: name, **settings} -> transform of waves at `input_rate` (lists become tuples so
    transforms are hashable)."""
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k != "family"}
    if spec["family"] not in FAMILIES:
        raise ValueError(f"unknown transform family {spec['family']!r} (one of {sorted(FAMILIES)})")
    return FAMILIES[spec["family"]](input_rate=input_rate, **settings)


def build_pool(entries: dict[str, dict], input_rate: int) -> dict[str, Transform]:
    return {name: make_transform(spec, input_rate) for name, spec in entries.items()}


def pseudo_outliers(params: dict) -> dict[str, Transform]:
    """The energy stage's pseudo-outlier transforms (params: the whole params.yaml dict)."""
    return build_pool(params["shift"]["pools"]["pseudo_outliers"], params["base"]["sample_rate"])


def train_shifts(params: dict) -> dict[str, Transform]:
    """The ood stage's training shift pool (params: the whole params.yaml dict)."""
    return training_pool("train_shifts", params)


def augmentations(params: dict) -> dict[str, Transform]:
    """The pool every training stage augments its clips from (train.common.augment_probability)."""
    return training_pool("augment", params)


def training_pool(name: str, params: dict) -> dict[str, Transform]:
    """A pool of shift.pools that training sees, refused when it shares a codec family with an
    evaluation set (the codec-shift test would not be unseen)."""
    pool = build_pool(params["shift"]["pools"][name], params["base"]["sample_rate"])
    if shared := shared_codec_families(pool, params):
        raise ValueError(f"shift.pools.{name} uses codec families of the eval sets ({', '.join(sorted(shared))}):"
                         " train on codecs no shift.codecs entry uses")
    return pool


def pool_conditions(pool: dict[str, Transform]) -> frozenset[Condition]:
    return frozenset().union(*(t.conditions() for t in pool.values()))


def shared_codec_families(pool: dict[str, Transform], params: dict) -> frozenset[str]:
    """Codec families both in `pool` and in the evaluation sets (must be empty for train shifts)."""
    from asnet.shift.conditions import codec_families

    return codec_families(pool_conditions(pool)) & codec_families(eval_conditions(params))


def eval_conditions(params: dict) -> frozenset[Condition]:
    """Every condition of the evaluation shift sets (codec sets and vocoder sets) in params."""
    from asnet.shift.vocoders import vocoder_conditions

    shift = params["shift"]
    rate = params["base"]["sample_rate"]
    channels = frozenset().union(*(Channel.from_params(s).conditions(rate) for s in shift["codecs"].values()))
    return channels | vocoder_conditions(shift["vocoders"])
