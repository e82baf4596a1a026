import numpy as np
import pytest
import torch

from asnet.features.frontend import FrontEnd

# Real speech the demo corpus is made of: low male voices (pocketsphinx) and higher ktuberling voices.
CLIPS = ["cards/005.wav", "tidigits/dhd.2934z.raw", "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
         "da/tux-arrows.ogg", "ca/patata_corbati.ogg"]


@pytest.fixture(scope="module")
def pitch(features_params):
    return FrontEnd(features_params).pitch


def praat_f0(wave: np.ndarray, times: np.ndarray, p: dict) -> np.ndarray:
    """Praat's autocorrelation pitch (NaN = unvoiced) at `times` seconds."""
    import parselmouth

    track = parselmouth.Sound(wave.astype(np.float64), p["sample_rate"]).to_pitch(
        time_step=p["hop_length"] / p["sample_rate"], pitch_floor=p["f0_min"], pitch_ceiling=p["f0_max"])
    return np.array([track.get_value_at_time(t) for t in times])


def test_f0_agrees_with_praat_on_real_speech(pitch, features_params, load_speech):
    agree = total = 0
    for clip in CLIPS:
        wave = load_speech(clip)
        f0, voicing = (x[0].numpy() for x in pitch(torch.from_numpy(wave)[None]))
        reference = praat_f0(wave, np.arange(len(f0)) * features_params["hop_length"] / features_params["sample_rate"],
                             features_params)
        both = ~np.isnan(reference) & (voicing > 0.5)
        assert both.sum() >= 20, clip
        semitones = np.abs(12 * np.log2(f0[both] / reference[both]))
        agree += int((semitones < 1).sum())
        total += int(both.sum())
    assert agree / total >= 0.9


def test_f0_of_a_harmonic_tone_and_silence(pitch):
    t = torch.arange(8000) / 16000
    tone = sum(0.1 / k * torch.sin(2 * torch.pi * 180.0 * k * t) for k in range(1, 6))
    f0, voicing = pitch(torch.stack([tone, torch.zeros_like(tone)]))
    inner = slice(5, -5)  # frames whose analysis window lies inside the clip
    assert torch.allclose(f0[0, inner], torch.tensor(180.0), rtol=0.005)
    assert (voicing[0, inner] > 0.95).all()
    assert (voicing[1] < 0.01).all() and torch.isfinite(f0[1]).all()


def test_f0_forward_is_exact_and_its_gradient_is_finite(pitch):
    t = torch.arange(4000) / 16000
    wave = (0.2 * torch.sin(2 * torch.pi * 150.0 * t) + 0.05 * torch.sin(2 * torch.pi * 300.0 * t))[None]
    with torch.no_grad():
        f0_plain, _ = pitch(wave)
    wave.requires_grad_(True)
    f0, voicing = pitch(wave)
    assert torch.equal(f0.detach(), f0_plain)  # the BPDA surrogate leaves the forward value untouched
    (f0.log().sum() + voicing.sum()).backward()
    assert torch.isfinite(wave.grad).all() and wave.grad.abs().sum() > 0


def test_hiss_above_the_trackers_band_neither_aliases_nor_unvoices(pitch):
    """YIN runs at 8 kHz behind a low-pass: loud noise above 4.5 kHz leaves a 180 Hz voice voiced
    and its F0 exact (plain subsampling folds that noise into the band: voicing ~0, F0 off by 70 %)."""
    t = torch.arange(8000) / 16000
    tone = sum(0.1 / k * torch.sin(2 * torch.pi * 180.0 * k * t) for k in range(1, 6))
    spectrum = torch.fft.rfft(torch.randn(8000, generator=torch.Generator().manual_seed(0)))
    spectrum[: len(spectrum) * 4500 // 8000] = 0
    hiss = torch.fft.irfft(spectrum, 8000)
    f0, voicing = pitch((tone + 0.3 * hiss / hiss.std())[None])
    inner = slice(5, -5)
    assert (voicing[0, inner] > 0.95).all()
    assert torch.allclose(f0[0, inner], torch.tensor(180.0), rtol=0.005)


def test_the_pitch_rate_must_divide_the_frame_grid(features_params):
    with pytest.raises(ValueError, match="multiples of pitch_decimation"):
        FrontEnd({**features_params, "pitch_decimation": 3})
    with pytest.raises(ValueError, match="pass band"):
        FrontEnd({**features_params, "pitch_decimation": 4, "f0_max": 1700.0})


def test_a_clips_f0_does_not_depend_on_the_zeros_after_it(pitch, load_speech):
    """The decimation filter's tail past the clip's end is kept alone as in a zero-padded batch:
    else a clip's last frames (its silent tail, where d' is flat) move with the padding."""
    speech = torch.from_numpy(load_speech("en/coat.ogg"))[None]
    for clip in (speech, speech[:, : speech.shape[-1] - 37]):
        f0, voicing = pitch(clip)
        padded_f0, padded_voicing = pitch(torch.cat([clip, torch.zeros(1, 1234)], 1))
        frames = f0.shape[1]
        assert torch.allclose(padded_f0[:, :frames], f0, rtol=1e-5) and torch.allclose(padded_voicing[:, :frames], voicing, atol=1e-6)


@pytest.mark.parametrize("factor", [1, 2, 3, 4])
def test_decimation_taps_are_firwins(factor):
    import scipy.signal

    from asnet.features.pitch import DECIMATION_CUTOFF, DECIMATION_TAPS_PER_FACTOR, lowpass_taps

    expected = scipy.signal.firwin(DECIMATION_TAPS_PER_FACTOR * factor + 1, DECIMATION_CUTOFF / factor)
    assert torch.equal(lowpass_taps(factor), torch.from_numpy(expected).float())
