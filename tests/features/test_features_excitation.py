"""Excitation peakiness: Levinson-Durbin, the noise-floor limits, and the cue it exists for."""
import math

import numpy as np
import torch
from scipy.linalg import solve_toeplitz

from asnet.features.excitation import levinson, residual_log_kurtosis
from asnet.models.bench import reference_peakiness

FLOOR = 1e-7  # -70 dBFS, the params' noise floor


def kurtosis(wave: torch.Tensor) -> torch.Tensor:
    return residual_log_kurtosis(wave, 400, 160, 16, FLOOR)


def test_levinson_solves_the_normal_equations():
    signal = torch.randn(4, 400, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    r = torch.stack([(signal[:, : 400 - k] * signal[:, k:]).sum(-1) for k in range(17)], -1)
    a = levinson(r)
    assert (a[:, 0] == 1).all()
    for row, coefficients in zip(r.numpy(), a.numpy()):
        np.testing.assert_allclose(coefficients[1:], solve_toeplitz(row[:16], -row[1:]), rtol=1e-8, atol=1e-10)


def test_silence_reads_as_noise_and_noise_near_log_3():
    assert torch.allclose(kurtosis(torch.zeros(1, 2000)), torch.full((1, 13), math.log(3.0)))
    noise = 0.1 * torch.randn(8, 16000, generator=torch.Generator().manual_seed(1))
    assert abs(kurtosis(noise)[:, 2:-2].mean().item() - math.log(3.0)) < 0.05


def test_a_pulse_train_is_peaky_and_losing_its_phase_makes_it_noise_like():
    """The Griffin-Lim cue: the same magnitude spectrum with random phases is no longer peaky."""
    pulses = torch.zeros(16000)
    pulses[::100] = 0.5  # 160 Hz glottal-like excitation
    spectrum = torch.fft.rfft(pulses)
    phases = torch.rand(spectrum.shape, generator=torch.Generator().manual_seed(2)) * 2 * torch.pi
    scrambled = torch.fft.irfft(spectrum.abs() * torch.exp(1j * phases), len(pulses))
    peaky, flat = kurtosis(pulses[None])[0, 5:-5], kurtosis(scrambled[None])[0, 5:-5]
    assert peaky.min() > 4.0 and flat.max() < 1.6


def test_gain_does_not_change_it_and_the_gradient_is_finite():
    wave = 0.05 * torch.randn(1, 8000, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(kurtosis(wave), kurtosis(4 * wave), atol=1e-3)
    wave.requires_grad_(True)
    kurtosis(wave).sum().backward()
    assert torch.isfinite(wave.grad).all() and wave.grad.abs().sum() > 0


def test_it_equals_a_frame_by_frame_numpy_implementation_on_speech(features_params, load_speech):
    p = features_params
    wave = load_speech("goforward.raw")[:16000]
    ours = residual_log_kurtosis(torch.from_numpy(wave)[None], p["win_length"], p["hop_length"], p["lpc_order"],
                                 10.0 ** (p["noise_floor_db"] / 10.0))[0].numpy()
    np.testing.assert_allclose(ours, reference_peakiness(wave, p), atol=2e-3)
