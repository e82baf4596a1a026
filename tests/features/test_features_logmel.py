import numpy as np
import pytest
import torch

from asnet.features.logmel import LogMel


def librosa_logmel(wave: np.ndarray, p: dict) -> np.ndarray:
    import librosa

    mel = librosa.feature.melspectrogram(
        y=wave, sr=p["sample_rate"], n_fft=p["n_fft"], hop_length=p["hop_length"], win_length=p["win_length"],
        window="hann", center=True, pad_mode="constant", power=2.0, n_mels=p["n_mels"], fmin=p["f_min"], fmax=p["f_max"])
    return np.log(mel + p["mel_floor"]).T


@pytest.mark.parametrize("clip", ["cards/001.wav", "cards/003.wav", "goforward.raw"])
def test_logmel_matches_librosa_on_real_speech(features_params, load_speech, clip):
    p = features_params
    wave = load_speech(clip)
    logmel = LogMel(p["sample_rate"], p["n_fft"], p["win_length"], p["hop_length"], p["n_mels"],
                    p["f_min"], p["f_max"], p["mel_floor"])
    ours = logmel(torch.from_numpy(wave)[None])[0].numpy()
    reference = librosa_logmel(wave, p)
    assert ours.shape == reference.shape == (1 + len(wave) // p["hop_length"], p["n_mels"])
    assert np.abs(ours - reference).max() < 1e-4


@pytest.mark.parametrize("sample_rate, n_fft, n_mels, f_min, f_max",
                         [(16000, 512, 80, 0.0, 8000.0), (16000, 1024, 64, 20.0, 7600.0), (8000, 256, 40, 300.0, 3400.0)])
def test_the_mel_basis_is_librosas_to_the_bit(sample_rate, n_fft, n_mels, f_min, f_max):
    import librosa

    from asnet.features.melbank import mel_filterbank

    expected = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=f_min, fmax=f_max)
    assert np.array_equal(mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max), expected)


def test_building_the_model_imports_neither_librosa_nor_scipy_signal():
    """Every score, train and attack stage builds one: those imports cost it ~1.25 CPU-s (numba etc.)."""
    import subprocess
    import sys
    from pathlib import Path

    params = Path(__file__).parents[2] / "params.yaml"
    code = ("import sys; from asnet.models import build_model; from asnet.utils import load_params; "
            f"build_model(load_params({str(params)!r})['model']); "
            "heavy = sorted({'librosa', 'scipy.signal'} & set(sys.modules)); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
