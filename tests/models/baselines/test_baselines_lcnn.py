"""LFCC-LCNN: the LFCC front-end against a numpy/scipy computation of the same definition, the
filterbank's shape, and the documented parameter count."""
import numpy as np
import pytest
import scipy.fft
import torch

from asnet.models import build_model, count_parameters
from asnet.models.baselines.lcnn import LFCC, linear_filterbank


def numpy_lfcc(wave: np.ndarray, config: dict) -> np.ndarray:
    """LFCC + deltas of one clip, framed by hand (centred frames, zero padding, Hamming window)."""
    n_fft, hop, win = config["n_fft"], config["hop_length"], config["win_length"]
    x = np.concatenate([wave[:1], wave[1:] - config["pre_emphasis"] * wave[:-1]]).astype(np.float64)
    x = np.pad(x, n_fft // 2)
    window = np.zeros(n_fft)
    window[(n_fft - win) // 2 : (n_fft - win) // 2 + win] = np.hamming(win + 1)[:-1]  # periodic Hamming
    frames = np.stack([x[t * hop : t * hop + n_fft] * window for t in range(1 + len(wave) // hop)])
    n_bins = int(config["max_freq"] * (n_fft // 2 + 1))
    power = np.abs(np.fft.rfft(frames, axis=1)[:, :n_bins]) ** 2
    bank = linear_filterbank(n_bins, config["sample_rate"] / n_fft, config["n_filters"])
    eps = np.finfo(np.float32).eps
    cepstra = scipy.fft.dct(np.log10(power @ bank + eps), type=2, norm="ortho", axis=1)[:, : config["n_coefficients"]]
    cepstra[:, 0] = np.log10(power.sum(1) / n_fft + eps)
    def delta(c):
        padded = np.concatenate([c[:1], c, c[-1:]])
        return padded[2:] - padded[:-2]
    return np.concatenate([cepstra, delta(cepstra), delta(delta(cepstra))], axis=1)


@pytest.mark.parametrize("n_fft, max_freq", [(512, 0.5), (1024, 1.0)])
def test_lfcc_equals_a_numpy_computation_of_the_same_definition(configs, n_fft, max_freq):
    config = {**configs["lcnn"], "n_fft": n_fft, "max_freq": max_freq}
    wave = np.random.default_rng(0).standard_normal(4000).astype(np.float32) * 0.1
    ours = LFCC(config)(torch.from_numpy(wave)[None])[0].numpy()
    assert ours.shape == (1 + 4000 // 160, 60)
    np.testing.assert_allclose(ours, numpy_lfcc(wave, config), atol=2e-4)


def test_filterbank_triangles_peak_at_their_centres_and_tile_the_band():
    bank = linear_filterbank(n_bins=128, bin_hz=31.25, n_filters=20)
    assert bank.shape == (128, 20) and bank.min() >= 0 and bank.max() <= 1
    centres = bank.argmax(0)
    assert list(centres) == sorted(centres)
    assert np.allclose(bank.sum(1)[centres[0] + 1 : centres[-1]], 1.0)  # neighbours overlap by halves


def test_parameter_count_is_the_documented_one(configs):
    assert count_parameters(build_model(configs["lcnn"])) == 269_729
