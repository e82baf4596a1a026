"""The differentiable front-end: waveform -> (log-mel, prosody), batched, on any device.

FrontEnd(params["features"])(wave [B, N] in [-1, 1], lengths [B] or None)
    -> logmel  [B, T, n_mels]                 per-utterance normalised (normalise.py)
       prosody [B, T, len(PROSODY_CHANNELS)]  per-utterance normalised
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
from asnet.features.pitch import YinPitch
from asnet.features.prosody import PROSODY_CHANNELS, prosody_features


class FrontEnd(nn.Module):
    def __init__(self, params: dict):
        super().__init__()
        self.params = dict(params)
        self.hop_length = params["hop_length"]
        self.win_length = params["win_length"]
        self.n_mels = params["n_mels"]
        self.n_prosody = len(PROSODY_CHANNELS)
        self.power_floor = 10.0 ** (params["noise_floor_db"] / 10.0)
        self.zcr_surrogate_scale = params["zcr_surrogate_scale"]
        self.cpu_chunk = params["cpu_chunk"]
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

    def raw(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features before normalisation (log-mel in nats, prosody in PROSODY_CHANNELS units)."""
        logmel = self.logmel(wave)
        prosody = prosody_features(wave, logmel, self.pitch, self.win_length, self.hop_length,
                                   self.power_floor, self.zcr_surrogate_scale)
        return logmel, prosody

    def normalised(self, wave: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        logmel, prosody = self.raw(wave)
        return normalise_logmel(logmel, mask), normalise_prosody(prosody, mask)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None):
        with torch.autocast(wave.device.type, enabled=False):
            wave = wave.float()
            mask = self.frame_mask(lengths, wave.shape[-1])
            step = self.cpu_chunk if wave.device.type == "cpu" else max(len(wave), 1)
            parts = [self.normalised(wave[i : i + step], None if mask is None else mask[i : i + step])
                     for i in range(0, len(wave), step)]
            logmel, prosody = zip(*parts)
            return torch.cat(logmel), torch.cat(prosody)
