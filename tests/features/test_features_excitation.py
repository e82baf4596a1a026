"""Excitation peakiness: Levinson-Durbin, the noise-floor limits, and the cue it exists for."""
import math

import numpy as np
import torch
from scipy.linalg import solve_toeplitz

from asnet.features.excitation import autocorrelation_basis, levinson, residual_log_kurtosis
from asnet.features.framing import frame_signal
from asnet.features.logmel import LogMel
from asnet.models.bench import reference_peakiness

FLOOR = 1e-7  # -70 dBFS, the params' noise floor
STFT = LogMel(16000, 512, 400, 160, 80, 0.0, 8000.0, 1e-6)  # the params' STFT


def kurtosis(wave: torch.Tensor, floor: float = FLOOR) -> torch.Tensor:
    power = STFT.power(STFT.stft(wave)).transpose(1, 2)
    return residual_log_kurtosis(wave, power, autocorrelation_basis(512, 16), STFT.window, 200, 160, floor)


def test_the_stft_power_gives_the_exact_autocorrelation_of_the_windowed_frames():
    """Wiener-Khinchin with n_fft >= win_length + order: no circular wrap at lags 0..order."""
    wave = torch.randn(2, 4000, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    spec = torch.stft(wave, 512, 160, 400, STFT.window.double(), center=True, pad_mode="constant", return_complex=True)
    r = STFT.power(spec).transpose(1, 2) @ autocorrelation_basis(512, 16)
    frames = frame_signal(wave, 400, 160) * STFT.window.double()
    direct = torch.stack([(frames[..., : 400 - k] * frames[..., k:]).sum(-1) for k in range(17)], -1)
    assert torch.allclose(r, direct, rtol=1e-10, atol=1e-12)


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
    ours = kurtosis(torch.from_numpy(wave)[None], 10.0 ** (p["noise_floor_db"] / 10.0))[0].numpy()
    # float64 autocorrelations and recursion keep the ill-conditioned predictor of clean voiced
    # frames exact (a float32 pipeline was ~4e-3 off here)
    np.testing.assert_allclose(ours, reference_peakiness(wave, p), atol=1e-4)
