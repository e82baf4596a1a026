"""RawNet2: the documented parameter counts and the sinc filterbank's bands."""
import numpy as np
import torch

from asnet.models import build_model, count_parameters
from asnet.models.baselines.sinc import SincFilterbank, mel_to_hz, sinc_bandpass_filters


def test_parameter_counts_are_the_documented_ones(configs):
    # the ASVspoof 2021 package counts 17,621,410: 848 more, in the BatchNorms it never applies
    assert count_parameters(build_model(configs["rawnet2"])) == 17_620_562
    assert count_parameters(build_model(configs["rawnet2_narrow"])) == 206_098


def test_sinc_filters_pass_their_mel_band_and_are_not_parameters():
    filters = sinc_bandpass_filters(channels=20, kernel_size=1025, sample_rate=16000)
    response = np.abs(np.fft.rfft(filters, n=16384, axis=1))
    freqs = np.fft.rfftfreq(16384, 1 / 16000)
    edges = mel_to_hz(np.linspace(0, 2595 * np.log10(1 + 8000 / 700), 21))
    for band in (1, 10, 19):
        centre = np.argmin(np.abs(freqs - (edges[band] + edges[band + 1]) / 2))
        away = edges[band + 1] * 1.5 if band < 19 else edges[band] / 1.5  # well outside the band
        outside = np.argmin(np.abs(freqs - away))
        assert response[band, centre] > 0.9 and response[band, outside] < 0.05
    bank = SincFilterbank(20, 1024)
    assert bank.filters.shape == (20, 1, 1025) and not list(bank.parameters()) and not bank.state_dict()
    assert bank(torch.zeros(2, 2000)).shape == (2, 20, 2000 - 1024)
