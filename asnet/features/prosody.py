"""Frame-level prosody: the paper's log-F0, voicing, log-RMS energy, zero-crossing rate and
spectral flux (PAPER_CHANNELS), then our excitation peakiness (log-kurtosis of the LP residual,
excitation.py: the one cue of phase-rebuilding copy-synthesis that survives a magnitude
spectrogram; the front-end appends it unless `phase_inputs` is off).

All on the shared time axis (framing.py). Channel order is PROSODY_CHANNELS. Units: log-F0 in
log-Hz, voicing in [0, 1], log-RMS in log-amplitude (natural log), ZCR as the fraction of
adjacent-sample pairs whose signs differ, flux as the mean rise of log-mel power over bands,
peakiness as log(kurtosis) (log 3 for Gaussian noise).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from asnet.features.bpda import needs_grad, straight_through
from asnet.features.framing import frame_signal

PAPER_CHANNELS = ("log_f0", "voicing", "log_rms", "zcr", "flux")
PROSODY_CHANNELS = PAPER_CHANNELS + ("peakiness",)


def log_rms(frames: torch.Tensor, power_floor: float) -> torch.Tensor:
    """frames [B, T, L] -> log sqrt(mean square + floor) [B, T]."""
    return 0.5 * torch.log(frames.pow(2).mean(-1) + power_floor)


def zero_crossing_rate(wave: torch.Tensor, frame_length: int, hop: int, surrogate_scale: float) -> torch.Tensor:
    """Exact rate of sign changes per frame_signal frame [B, T] (zero counts as positive, as in
    librosa); the backward pass is that of the same rate with sign(x) replaced by tanh(x / scale).

    The exact count is taken once along the clip (a running count of sign changes, differenced
    at the frame edges) rather than per frame: frames overlap, and the count is an integer, so the
    result is the per-frame mean exactly.
    """
    left = frame_length // 2
    positive = F.pad(wave, (left, frame_length - left)) >= 0  # frame_signal's zero padding
    changes = F.pad((positive[..., 1:] != positive[..., :-1]).cumsum(-1, dtype=torch.int32), (1, 0))
    pairs = changes.unfold(-1, frame_length, hop)  # pairs[..., i]: sign changes before pair i of the frame
    exact = (pairs[..., -1] - pairs[..., 0]).to(wave.dtype) / (frame_length - 1)
    if not needs_grad(wave):
        return exact
    smooth = torch.tanh(frame_signal(wave, frame_length, hop) / surrogate_scale)
    return straight_through(exact, (0.5 * (1 - smooth[..., 1:] * smooth[..., :-1])).mean(-1))


def spectral_flux(logmel: torch.Tensor) -> torch.Tensor:
    """Mean over bands of the positive change of log-mel power from the previous frame [B, T];
    the first frame has no predecessor and gets 0 (librosa's onset strength, in nats)."""
    rise = F.relu(logmel[:, 1:] - logmel[:, :-1]).mean(-1)
    return F.pad(rise, (1, 0))


def paper_prosody(wave: torch.Tensor, logmel: torch.Tensor, pitch, win_length: int, hop_length: int,
                  power_floor: float, zcr_surrogate_scale: float) -> list[torch.Tensor]:
    """wave [B, N], raw logmel [B, T, M], a YinPitch -> the PAPER_CHANNELS, raw, each [B, T]."""
    f0, voicing = pitch(wave)
    return [torch.log(f0), voicing, log_rms(frame_signal(wave, win_length, hop_length), power_floor),
            zero_crossing_rate(wave, win_length, hop_length, zcr_surrogate_scale), spectral_flux(logmel)]
