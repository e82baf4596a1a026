"""The differentiable front-end: waveform -> (spectral view, prosody), batched, on any device.

FrontEnd(params["features"])(wave [B, N] in [-1, 1], lengths [B] or None)
    -> spectral [B, T, n_mels, len(SPECTRAL_PLANES)]  plane 0 the log-mel, per-utterance
                                                       normalised (normalise.py); plane 1 the
                                                       instantaneous-frequency deviation (phase.py)
       prosody  [B, T, len(PROSODY_CHANNELS)]          per-utterance normalised
with T = 1 + N // hop_length; frame t is centred on sample t * hop_length. `lengths` (valid
samples per row of a zero-padded batch) restricts the normalisation statistics to each clip's
own frames and zeroes the rest, so a clip's features do not depend on what it is batched with.
The feature cache stores exactly this output.

It always computes in float32, also inside an autocast region: a bf16 STFT and pitch tracker
would lose the precision the features are checked against; the encoders after it may use bf16.
On CPU the batch is processed `cpu_chunk` clips at a time: the pitch tracker's intermediates
(~1.3 MB per clip-second) then stay in cache: ~2.5x faster than one pass over 32 clips. Rows never
interact, so chunking does not change the result.
"""
from __future__ import annotations

import torch
from torch import nn

from asnet.features.framing import frame_mask, n_frames
from asnet.features.logmel import LogMel
from asnet.features.normalise import normalise_logmel, normalise_prosody
from asnet.features.phase import if_deviation
from asnet.features.pitch import YinPitch
from asnet.features.prosody import PROSODY_CHANNELS, prosody_features

# The spectral view's planes. The log-mel is the paper's; the phase plane is our addition (the
# README's "Beyond the paper"): without it WORLD copy-synthesis is the detector's weakest seen system.
SPECTRAL_PLANES = ("logmel", "if_deviation")


class FrontEnd(nn.Module):
    def __init__(self, params: dict):
        super().__init__()
        self.params = dict(params)
        self.hop_length = params["hop_length"]
        self.win_length = params["win_length"]
        self.n_mels = params["n_mels"]
        self.n_planes = len(SPECTRAL_PLANES)
        self.n_prosody = len(PROSODY_CHANNELS)
        self.power_floor = 10.0 ** (params["noise_floor_db"] / 10.0)
        self.zcr_surrogate_scale = params["zcr_surrogate_scale"]
        self.cpu_chunk = params["cpu_chunk"]
        self.lpc_order = params["lpc_order"]
        self.logmel = LogMel(params["sample_rate"], params["n_fft"], self.win_length, self.hop_length,
                             self.n_mels, params["f_min"], params["f_max"], params["mel_floor"])
        self.pitch = YinPitch(params["sample_rate"], self.hop_length, params["pitch_window"],
                              params["f0_min"], params["f0_max"], params["yin_threshold"],
                              params["voicing_threshold"], params["voicing_slope"],
                              params["noise_floor_db"], params["lag_surrogate_temperature"])

    def n_frames(self, n_samples: int) -> int:
        return n_frames(n_samples, self.hop_length)

    def frame_mask(self, lengths: torch.Tensor | None, n_samples: int) -> torch.Tensor | None:
        return frame_mask(lengths, n_samples, self.hop_length, device=self.logmel.window.device)

    def raw(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Features before normalisation: log-mel in nats, phase plane, prosody in PROSODY_CHANNELS units."""
        spec = self.logmel.stft(wave)
        power = self.logmel.power(spec)
        logmel = self.logmel.from_power(power)
        phase = if_deviation(spec, power, self.logmel.mel_basis, self.hop_length, self.logmel.floor)
        prosody = prosody_features(wave, logmel, self.pitch, self.win_length, self.hop_length,
                                   self.power_floor, self.zcr_surrogate_scale, self.lpc_order)
        return logmel, phase, prosody

    def normalised(self, wave: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        logmel, phase, prosody = self.raw(wave)
        if mask is not None:
            phase = phase * mask[..., None]
        return torch.stack([normalise_logmel(logmel, mask), phase], -1), normalise_prosody(prosody, mask)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None):
        with torch.autocast(wave.device.type, enabled=False):
            wave = wave.float()
            mask = self.frame_mask(lengths, wave.shape[-1])
            step = self.cpu_chunk if wave.device.type == "cpu" else max(len(wave), 1)
            parts = [self.normalised(wave[i : i + step], None if mask is None else mask[i : i + step])
                     for i in range(0, len(wave), step)]
            spectral, prosody = zip(*parts)
            return torch.cat(spectral), torch.cat(prosody)
