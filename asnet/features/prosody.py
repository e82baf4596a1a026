"""Frame-level prosody: log-F0, voicing, log-RMS energy, zero-crossing rate, spectral flux, and
excitation peakiness (log-kurtosis of the LP residual, excitation.py: our addition to the paper's
list, the one cue of phase-rebuilding copy-synthesis that survives a magnitude spectrogram).

All on the shared time axis (framing.py). Channel order is PROSODY_CHANNELS. Units: log-F0 in
log-Hz, voicing in [0, 1], log-RMS in log-amplitude (natural log), ZCR as the fraction of
adjacent-sample pairs whose signs differ, flux as the mean rise of log-mel power over bands,
peakiness as log(kurtosis) (log 3 for Gaussian noise).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from asnet.features.bpda import needs_grad, straight_through
from asnet.features.excitation import residual_log_kurtosis
from asnet.features.framing import frame_signal

PROSODY_CHANNELS = ("log_f0", "voicing", "log_rms", "zcr", "flux", "peakiness")


def log_rms(frames: torch.Tensor, power_floor: float) -> torch.Tensor:
    """frames [B, T, L] -> log sqrt(mean square + floor) [B, T]."""
    return 0.5 * torch.log(frames.pow(2).mean(-1) + power_floor)


def zero_crossing_rate(frames: torch.Tensor, surrogate_scale: float) -> torch.Tensor:
    """Exact rate of sign changes (zero counts as positive, as in librosa); the backward pass is
    that of the same rate with sign(x) replaced by tanh(x / surrogate_scale)."""
    positive = frames >= 0
    exact = (positive[..., 1:] != positive[..., :-1]).to(frames.dtype).mean(-1)
    if not needs_grad(frames):
        return exact
    smooth = torch.tanh(frames / surrogate_scale)
    return straight_through(exact, (0.5 * (1 - smooth[..., 1:] * smooth[..., :-1])).mean(-1))


def spectral_flux(logmel: torch.Tensor) -> torch.Tensor:
    """Mean over bands of the positive change of log-mel power from the previous frame [B, T];
    the first frame has no predecessor and gets 0 (librosa's onset strength, in nats)."""
    rise = F.relu(logmel[:, 1:] - logmel[:, :-1]).mean(-1)
    return F.pad(rise, (1, 0))


def prosody_features(wave: torch.Tensor, logmel: torch.Tensor, pitch, win_length: int, hop_length: int,
                     power_floor: float, zcr_surrogate_scale: float, lpc_order: int) -> torch.Tensor:
    """wave [B, N], raw logmel [B, T, M], a YinPitch -> raw prosody [B, T, len(PROSODY_CHANNELS)]."""
    frames = frame_signal(wave, win_length, hop_length)
    f0, voicing = pitch(wave)
    return torch.stack([
        torch.log(f0), voicing, log_rms(frames, power_floor),
        zero_crossing_rate(frames, zcr_surrogate_scale), spectral_flux(logmel),
        residual_log_kurtosis(wave, win_length, hop_length, lpc_order, power_floor),
    ], dim=-1)
