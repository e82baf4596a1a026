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
