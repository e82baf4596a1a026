"""A batched YIN pitch tracker in torch (de Cheveigné & Kawahara, 2002), with BPDA gradients.

It runs at sample_rate / `decimation` (8 kHz for the demo's 16 kHz): F0 <= f0_max = 500 Hz needs
far less bandwidth than that, and every cost below (FFT length, lags, frames' samples) halves
with the rate. A linear-phase low-pass FIR (stop band from the new Nyquist up) precedes the
down-sampling, so content above the new Nyquist does not alias into the band as aperiodicity.
Window, hop and lags below are in samples at that rate; the frames keep the front-end's anchors
(frame t centred on input sample t * hop_length).

Per frame (integration window W centred on the frame's anchor, lags up to tau_max = sr / f0_min):
    d(tau)  = sum_{j<W} (x_j - x_{j+tau})^2 + 2 W sigma^2      (difference function, via FFT)
    d'(tau) = d(tau) * tau / sum_{k=1..tau} d(k),  d'(0) = 1    (cumulative mean normalised, CMNDF)
The added 2 W sigma^2 is the expected d(tau) of white noise at `noise_floor_db`: silence then
reads as aperiodic (d' = 1) instead of 0/0.
The lag is the first local minimum of d' below `threshold` within [sr / f0_max, sr / f0_min]
(else the global minimum there), refined by a parabola through its neighbours; F0 = sr / lag.
Voicing probability = sigmoid((voicing_threshold - d'(lag)) / voicing_slope).

Gradients: the lag choice is piecewise constant, so its backward pass is that of a soft-argmin of
d' over the few lags around the chosen one (straight-through; the forward value is the exact lag).
The voicing probability is differentiable as it stands.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F

from asnet.features.bpda import needs_grad, straight_through
from asnet.features.framing import frame_signal

SURROGATE_HALF_WIDTH = 2  # the soft-argmin covers lag ± 2 samples
# FIR of 16 * factor + 1 taps (Hamming window: ~53 dB stop band, transition 3.3 / length of the
# input rate wide) with its cut-off at 0.8 of the new Nyquist: the stop band starts at the new Nyquist
DECIMATION_TAPS_PER_FACTOR = 16
DECIMATION_CUTOFF = 0.8


def lowpass_taps(factor: int) -> torch.Tensor:
    """Symmetric (linear-phase) FIR taps for down-sampling by `factor` (float32, odd length):
    scipy.signal.firwin's windowed sinc with unit DC gain, written out because importing
    scipy.signal costs every stage that builds a front-end half a CPU-second (same float32 taps)."""
    length, cutoff = DECIMATION_TAPS_PER_FACTOR * factor + 1, DECIMATION_CUTOFF / factor
    taps = cutoff * np.sinc(cutoff * (np.arange(length) - (length - 1) / 2)) * np.hamming(length)
    return torch.from_numpy(taps / taps.sum()).float()


def decimate(wave: torch.Tensor, taps: torch.Tensor, factor: int) -> torch.Tensor:
    """wave [B, N] -> [B, ceil(N / factor)], sample k the low-passed input at sample k * factor
    (zeros outside the clip, as in framing.py)."""
    if factor == 1:
        return wave
    half = len(taps) // 2
    # a strided view times the taps: faster here than mkldnn's one-channel convolution
    return F.pad(wave, (half, half)).unfold(-1, len(taps), factor) @ taps.to(wave)


def window_energies(wave: torch.Tensor, window: int, tau_max: int, hop: int) -> torch.Tensor:
    """e_t(tau) = sum_{j<W} x_{s_t + tau + j}^2 for every frame t and lag 0..tau_max -> [B, T, tau_max + 1].

    One sliding sum of W squares over the clip, read at s_t + tau by a strided view (frames
    overlap ~5x, so this is far less work than a sum per frame and lag); float64 keeps the
    differences of a long running sum exact to float32 precision.
    """
    power = F.pad(wave.double().pow(2), (window // 2, window // 2 + tau_max))  # framing.frame_signal's padding
    running = F.pad(power.cumsum(-1), (1, 0))
    sliding = (running[..., window:] - running[..., :-window]).to(wave.dtype)  # sliding[n] = sum of power[n : n + W]
    return sliding.unfold(-1, tau_max + 1, hop)


def cmndf(frames: torch.Tensor, energy: torch.Tensor, window: int, noise_power: float, n_fft: int) -> torch.Tensor:
    """frames [..., window + tau_max], their window_energies [..., tau_max + 1] -> d' [..., tau_max]
    at lags 1..tau_max (d'(0) = 1 is never a candidate, so it is not stored: index = lag - 1).
    n_fft >= frames.shape[-1] keeps the circular correlation linear."""
    tau_max = energy.shape[-1] - 1
    # sum_{j<W} x_j x_{j+tau} as a convolution with the time-reversed head (sample W - 1 - j at j):
    # its output W - 1 + tau is the correlation at tau. The reversed head's spectrum is the head's
    # conjugate times a delay, so the product needs no conjugate, which torch would materialise
    # (a copy of the largest intermediate).
    reversed_head = torch.fft.rfft(frames[..., :window].flip(-1), n_fft)
    full = torch.fft.rfft(frames, n_fft)
    corr = torch.fft.irfft(full * reversed_head, n_fft)[..., window : window + tau_max]  # lags 1..tau_max
    # d + noise term >= noise term in exact arithmetic; the clamp only removes rounding below it
    noise = 2 * window * noise_power
    diff = torch.sub((energy[..., :1] + noise) + energy[..., 1:], corr, alpha=2).clamp_min(noise)
    lags = torch.arange(1, tau_max + 1, device=frames.device, dtype=frames.dtype)
    return diff * lags / diff.cumsum(-1)


# d' below is stored from lag 1 (cmndf): the value at lag tau is d[..., tau - 1].

@torch.no_grad()
def choose_lag(d: torch.Tensor, tau_min: int, threshold: float) -> torch.Tensor:
    """YIN's absolute-threshold rule on d' (lags 1..tau_max) -> integer lag in [tau_min, tau_max - 1]
    (every candidate has both neighbours, for the parabola)."""
    band = d[..., tau_min - 2 :]  # lags tau_min - 1 .. tau_max
    inner = band[..., 1:-1]  # lags tau_min .. tau_max - 1
    # a dip is <= both neighbours and < threshold, i.e. <= the largest value of d's dtype below
    # the threshold (as d sees it): one bound, one comparison
    below = torch.nextafter(torch.tensor(threshold, dtype=d.dtype), torch.tensor(-math.inf, dtype=d.dtype)).item()
    is_dip = inner <= torch.minimum(band[..., :-2], band[..., 2:]).clamp_max(below)
    any_dip, first = is_dip.view(torch.uint8).max(-1)  # the first maximal index; uint8 (a view): CUDA too
    return tau_min + torch.where(any_dip.bool(), first, inner.argmin(-1))


def _at_lag(d: torch.Tensor, lag: torch.Tensor) -> torch.Tensor:
    return d.gather(-1, (lag - 1).unsqueeze(-1)).squeeze(-1)


@torch.no_grad()
def refine_lag(d: torch.Tensor, lag: torch.Tensor) -> torch.Tensor:
    """Vertex of the parabola through d'(lag - 1), d'(lag), d'(lag + 1) (shift within ±1 sample)."""
    left, centre, right = (_at_lag(d, lag + k) for k in (-1, 0, 1))
    curvature = left - 2 * centre + right
    shift = 0.5 * (left - right) / torch.where(curvature > 0, curvature, 1.0)
    return lag + torch.where(curvature > 0, shift, 0.0).clamp(-1, 1)


def soft_lag(d: torch.Tensor, lag: torch.Tensor, temperature: float) -> torch.Tensor:
    """Soft-argmin of d' over lag ± SURROGATE_HALF_WIDTH: the lag's backward surrogate."""
    offsets = torch.arange(-SURROGATE_HALF_WIDTH, SURROGATE_HALF_WIDTH + 1, device=d.device)
    around = (lag.unsqueeze(-1) + offsets).clamp(1, d.shape[-1])
    weights = torch.softmax(-d.gather(-1, around - 1) / temperature, -1)
    return (weights * around.to(d.dtype)).sum(-1)


class YinPitch:
    """wave [B, N] -> (f0 in Hz [B, T], voicing probability [B, T]), T = 1 + N // hop_length.

    hop_length and window are given in input samples and must be multiples of `decimation`."""

    def __init__(self, sample_rate: int, hop_length: int, window: int, f0_min: float, f0_max: float,
                 threshold: float, voicing_threshold: float, voicing_slope: float,
                 noise_floor_db: float, surrogate_temperature: float, decimation: int):
        if hop_length % decimation or window % decimation:
            raise ValueError(f"features: hop_length {hop_length} and pitch_window {window} must be multiples "
                             f"of pitch_decimation {decimation}")
        if f0_max >= DECIMATION_CUTOFF * sample_rate / (2 * decimation):
            raise ValueError(f"features: f0_max {f0_max} Hz is not below the pitch tracker's pass band "
                             f"({DECIMATION_CUTOFF * sample_rate / (2 * decimation):g} Hz at pitch_decimation {decimation})")
        self.decimation = decimation
        self.taps = lowpass_taps(decimation)
        self.sample_rate = sample_rate / decimation  # the rate YIN runs at
        self.hop_length, self.window = hop_length // decimation, window // decimation
        self.tau_min = int(math.floor(self.sample_rate / f0_max))
        self.tau_max = int(math.ceil(self.sample_rate / f0_min)) + 1  # +1: a dip at sr/f0_min has a right neighbour
        self.threshold, self.voicing_threshold, self.voicing_slope = threshold, voicing_threshold, voicing_slope
        self.noise_power = 10.0 ** (noise_floor_db / 10.0)
        self.n_fft = scipy.fft.next_fast_len(self.window + self.tau_max, real=True)
        self.surrogate_temperature = surrogate_temperature

    @property
    def reach(self) -> int:
        """Input samples around a frame's anchor that its F0 can depend on (window, lags, filter)."""
        return (self.window + self.tau_max) * self.decimation + len(self.taps)

    def __call__(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n_frames = 1 + wave.shape[-1] // (self.hop_length * self.decimation)
        # The low-pass rings on for half its length past the clip's end; that tail is kept (as it
        # is when zeros follow the clip in a padded batch), so a clip's last F0 frames do not
        # depend on what follows it. The output may hold a frame more than the input.
        wave = decimate(F.pad(wave, (0, len(self.taps) // 2)), self.taps, self.decimation)
        frames = frame_signal(wave, self.window + self.tau_max, self.hop_length, left=self.window // 2)[:, :n_frames]
        energy = window_energies(wave, self.window, self.tau_max, self.hop_length)[:, :n_frames]
        d = cmndf(frames, energy, self.window, self.noise_power, self.n_fft)
        lag = choose_lag(d, self.tau_min, self.threshold)
        lag_value = refine_lag(d, lag)
        if needs_grad(d):
            lag_value = straight_through(lag_value, soft_lag(d, lag, self.surrogate_temperature))
        aperiodicity = _at_lag(d, lag)
        voicing = torch.sigmoid((self.voicing_threshold - aperiodicity) / self.voicing_slope)
        return self.sample_rate / lag_value, voicing
