"""The phase plane: instantaneous-frequency deviation per mel band."""
import numpy as np
import torch

from asnet.features.logmel import LogMel
from asnet.features.phase import IFDeviation
from asnet.models.bench import reference_phase_plane


def plane(wave: torch.Tensor, p: dict) -> torch.Tensor:
    logmel = LogMel(p["sample_rate"], p["n_fft"], p["win_length"], p["hop_length"], p["n_mels"],
                    p["f_min"], p["f_max"], p["mel_floor"])
    spec = logmel.stft(wave)
    return IFDeviation(logmel.mel_basis, p["hop_length"], p["mel_floor"])(spec, logmel.power(spec))


def test_the_plane_is_its_formula(features_params, load_speech):
    wave = load_speech("goforward.raw")[:16000]
    np.testing.assert_allclose(plane(torch.from_numpy(wave)[None], features_params)[0].numpy(),
                               reference_phase_plane(wave, features_params), atol=2e-3)


def test_a_steady_tone_is_steady_and_noise_is_not(features_params):
    p = features_params
    t = torch.arange(8000) / p["sample_rate"]
    tone = plane(torch.sin(2 * torch.pi * 1000.0 * t)[None], p)[0, 5:-5]
    noise = plane(0.1 * torch.randn(1, 8000, generator=torch.Generator().manual_seed(0)), p)[0, 5:-5]
    band = tone.abs().mean(0).argmax()
    assert tone[:, band].std() < 1e-3 and noise.std(0).mean() > 0.2


def test_silence_is_zero_and_the_first_frame_has_no_predecessor(features_params):
    assert (plane(torch.zeros(1, 4000), features_params) == 0).all()
    values = plane(0.1 * torch.randn(2, 4000, generator=torch.Generator().manual_seed(0)), features_params)
    assert (values[:, 0] == 0).all() and values.abs().max() <= 1.0
