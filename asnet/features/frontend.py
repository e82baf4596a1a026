"""The differentiable front-end: waveform -> (spectral view, prosody), batched, on any device.

FrontEnd(params["features"])(wave [B, N] in [-1, 1], lengths [B] or None)
    -> spectral [B, T, n_mels, n_planes]  plane 0 the log-mel, per-utterance normalised
                                           (normalise.py); plane 1 the instantaneous-frequency
                                           deviation (phase.py)
       prosody  [B, T, n_prosody]          PROSODY_CHANNELS (`prosody_channels`), per-utterance normalised
with T = 1 + N // hop_length; frame t is centred on sample t * hop_length. `lengths` (valid
samples per row of a zero-padded batch) restricts the normalisation statistics to each clip's
own frames and zeroes the rest, so a clip's features do not depend on what it is batched with.
The feature cache stores exactly this output.

`phase_inputs: false` (the paper's inputs only, an ablation) drops our two phase-aware inputs,
the phase plane and the peakiness channel: n_planes = 1, n_prosody = 5, and neither is computed.

One STFT serves everything spectral: its power gives the mel bands and, with the phase inputs,
the autocorrelations the peakiness channel's linear prediction needs (excitation.py); the complex
STFT gives the phase plane.

It always computes in float32 (the peakiness channel's linear prediction in float64,
excitation.py), also inside an autocast region: a bf16 STFT and pitch tracker would lose the
precision the features are checked against; the encoders after it may use bf16.
On CPU the batch is processed `cpu_chunk` clips at a time (environment ASNET_CPU_CHUNK, default
CPU_CHUNK: an execution knob, never a params value): the pitch tracker's intermediates then stay in cache. Rows never interact, so chunking does not change the result. With several
intra-op threads the chunks run side by side, one Python thread each with one intra-op thread
(`map_chunks`): the front-end is hundreds of small ops per chunk, and under the PASSIVE OpenMP
wait policy (asnet/__init__.py) each parallel op pays a thread wake-up, so two threads on
intra-op parallelism ran no faster than one. It also gives the bytes of a one-thread run.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn

from asnet.features.excitation import autocorrelation_basis, residual_log_kurtosis
from asnet.features.framing import frame_mask, n_frames
from asnet.features.logmel import LogMel
from asnet.features.normalise import normalise_logmel, normalise_prosody
from asnet.features.phase import IFDeviation
from asnet.features.pitch import YinPitch
from asnet.features.prosody import PAPER_CHANNELS, PROSODY_CHANNELS, paper_prosody

# The spectral view's planes. The log-mel is the paper's; the phase plane is our addition (see
# docs/METHODS.md, "Beyond the paper"): without it WORLD copy-synthesis is the detector's weakest seen system.
PAPER_PLANES = ("logmel",)
SPECTRAL_PLANES = PAPER_PLANES + ("if_deviation",)
CPU_CHUNK = 4  # clips per front-end pass on CPU unless ASNET_CPU_CHUNK says otherwise


class FrontEnd(nn.Module):
    def __init__(self, params: dict, cpu_chunk: int | None = None):
        super().__init__()
        self.params = dict(params)
        self.hop_length = params["hop_length"]
        self.win_length = params["win_length"]
        self.n_mels = params["n_mels"]
        # Until params.yaml carries the key, a missing one means the full (phase-aware) front-end.
        self.phase_inputs = bool(params.get("phase_inputs", True))
        self.spectral_planes = SPECTRAL_PLANES if self.phase_inputs else PAPER_PLANES
        self.prosody_channels = PROSODY_CHANNELS if self.phase_inputs else PAPER_CHANNELS
        self.n_planes = len(self.spectral_planes)
        self.n_prosody = len(self.prosody_channels)
        self.power_floor = 10.0 ** (params["noise_floor_db"] / 10.0)
        self.zcr_surrogate_scale = params["zcr_surrogate_scale"]
        self.cpu_chunk = cpu_chunk or int(os.environ.get("ASNET_CPU_CHUNK", CPU_CHUNK))
        self.logmel = LogMel(params["sample_rate"], params["n_fft"], self.win_length, self.hop_length,
                             self.n_mels, params["f_min"], params["f_max"], params["mel_floor"])
        self.pitch = YinPitch(params["sample_rate"], self.hop_length, params["pitch_window"],
                              params["f0_min"], params["f0_max"], params["yin_threshold"],
                              params["voicing_threshold"], params["voicing_slope"],
                              params["noise_floor_db"], params["lag_surrogate_temperature"],
                              params["pitch_decimation"])
        if self.phase_inputs:
            n_fft, order = params["n_fft"], params["lpc_order"]
            if n_fft < self.win_length + order:
                raise ValueError(f"features: n_fft {n_fft} < win_length + lpc_order {self.win_length + order}: "
                                 "the STFT power cannot give the peakiness channel's autocorrelation")
            # float64 on purpose (excitation.py); derived from params, so not in the state dict
            self.register_buffer("autocorrelation_basis", autocorrelation_basis(n_fft, order), persistent=False)
            self.if_deviation = IFDeviation(self.logmel.mel_basis, self.hop_length, self.logmel.floor)
            # torch.stft centres the window in its n_fft frame: this many samples before the anchor
            self.window_left = n_fft // 2 - (n_fft - self.win_length) // 2

    def n_frames(self, n_samples: int) -> int:
        return n_frames(n_samples, self.hop_length)

    def frame_mask(self, lengths: torch.Tensor | None, n_samples: int) -> torch.Tensor | None:
        return frame_mask(lengths, n_samples, self.hop_length, device=self.logmel.window.device)

    def raw(self, wave: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Features before normalisation: the planes ([B, T, n_mels] each: log-mel in nats, then
        the phase plane) and prosody [B, T, n_prosody] in prosody_channels units."""
        spec = self.logmel.stft(wave)
        power = self.logmel.power(spec)
        logmel = self.logmel.from_power(power)
        prosody = paper_prosody(wave, logmel, self.pitch, self.win_length, self.hop_length,
                                self.power_floor, self.zcr_surrogate_scale)
        if not self.phase_inputs:
            return [logmel], torch.stack(prosody, -1)
        peakiness = residual_log_kurtosis(wave, power.transpose(1, 2), self.autocorrelation_basis, self.logmel.window,
                                          self.window_left, self.hop_length, self.power_floor)
        return [logmel, self.if_deviation(spec, power)], torch.stack(prosody + [peakiness], -1)

    def normalised(self, wave: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        (logmel, *phase), prosody = self.raw(wave)
        if mask is not None:
            phase = [plane * mask[..., None] for plane in phase]
        return torch.stack([normalise_logmel(logmel, mask), *phase], -1), normalise_prosody(prosody, mask)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None):
        with torch.autocast(wave.device.type, enabled=False):
            wave = wave.float()
            mask = self.frame_mask(lengths, wave.shape[-1])
            step = self.cpu_chunk if wave.device.type == "cpu" else max(len(wave), 1)
            chunks = [(wave[i : i + step], None if mask is None else mask[i : i + step])
                      for i in range(0, len(wave), step)]
            spectral, prosody = zip(*map_chunks(self.normalised, chunks))
            return torch.cat(spectral), torch.cat(prosody)


def map_chunks(function, chunks: list[tuple]) -> list:
    """[function(*chunk) for chunk in chunks]; on CPU with n > 1 intra-op threads, on n Python
    threads with one intra-op thread each (module docstring), restored afterwards.

    Not when autograd records the chunks (a wave that requires grad: the PGD of the adv stage):
    autograd orders a backward pass by per-thread sequence numbers, so which worker took which
    chunk decided the order in which the wave's gradient contributions were summed. The adv
    stage's weights then came out one way or another from run to run (1 run in 6 measured)."""
    threads = torch.get_num_threads()
    recorded = torch.is_grad_enabled() and any(t is not None and t.requires_grad for chunk in chunks for t in chunk)
    if len(chunks) < 2 or threads < 2 or chunks[0][0].device.type != "cpu" or recorded:
        return [function(*chunk) for chunk in chunks]
    # grad, inference and autocast modes are per thread: the workers take the caller's
    grad, inference = torch.is_grad_enabled(), torch.is_inference_mode_enabled()

    def run(chunk):
        with torch.inference_mode(inference), torch.set_grad_enabled(grad), torch.autocast("cpu", enabled=False):
            return function(*chunk)

    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(min(threads, len(chunks))) as pool:
            return list(pool.map(run, chunks))
    finally:
        torch.set_num_threads(threads)
