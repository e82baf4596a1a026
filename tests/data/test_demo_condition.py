import numpy as np
import pytest

from asnet.data.audio import AudioError
from asnet.data.demo.condition import condition, highpass, normalize_loudness, through_rate, trim_silence

RATE = 16000
FLOOR = {"noise_floor_dbfs": -66.0, "rng": np.random.default_rng(0)}


def band_energy(wave: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(wave)) ** 2
    freqs = np.fft.rfftfreq(len(wave), 1 / RATE)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum() / spectrum.sum())


def test_trim_cuts_leading_and_trailing_silence_only(tone):
    speech = tone(0.5, RATE)
    padded = np.concatenate([np.zeros(8000, np.float32), speech, np.full(4000, 1e-5, np.float32)])
    trimmed = trim_silence(padded, RATE, top_db=40)
    assert len(speech) <= len(trimmed) <= len(speech) + 0.05 * RATE
    assert np.abs(trimmed).max() == np.abs(speech).max()


def test_loudness_target_and_peak_ceiling(tone):
    quiet = tone(0.5, RATE, amplitude=0.01)
    out = normalize_loudness(quiet, target_dbfs=-23, peak_dbfs=-1)
    assert 20 * np.log10(np.sqrt(np.mean(out.astype(np.float64) ** 2))) == pytest.approx(-23, abs=0.01)
    spiky = np.zeros(RATE, np.float32)
    spiky[::4000] = 0.5  # crest factor far above 22 dB: the RMS target would clip
    out = normalize_loudness(spiky, target_dbfs=-23, peak_dbfs=-1)
    assert np.abs(out).max() == pytest.approx(10 ** (-1 / 20), rel=1e-5)


def test_spoof_of_an_8k_recording_gets_its_bandwidth(tone):
    noise = np.random.default_rng(0).standard_normal(RATE).astype(np.float32) * 0.1
    assert band_energy(noise, 4200, 8000) > 0.4
    assert band_energy(through_rate(noise, RATE, 8000), 4200, 8000) < 1e-4
    np.testing.assert_array_equal(through_rate(noise, RATE, 44100), noise)


def test_condition_resamples_and_refuses_silence(tone):
    out = condition(tone(1.0, 22050), 22050, 22050, target_rate=RATE, highpass_hz=60, top_db=40, target_dbfs=-23, peak_dbfs=-1, **FLOOR)
    assert abs(len(out) - RATE) < 0.03 * RATE and out.dtype == np.float32
    with pytest.raises(AudioError, match="silent"):
        condition(np.zeros(RATE, np.float32), RATE, RATE, target_rate=RATE, highpass_hz=60, top_db=40, target_dbfs=-23, peak_dbfs=-1, **FLOOR)


def test_highpass_removes_dc_offset_and_rumble_but_not_speech(tone):
    speech = tone(1.0, RATE, hz=200)
    offset = speech + 0.2 + tone(1.0, RATE, hz=20, amplitude=0.2)
    out = highpass(offset, RATE, 60)
    assert abs(out.mean()) < 1e-3
    assert band_energy(out, 0, 60) < 1e-3 and band_energy(out, 150, 250) > 0.99
    np.testing.assert_allclose(out[2000:-2000], speech[2000:-2000], atol=0.01)  # zero phase: no delay


def test_too_short_clips_are_refused(tone):
    with pytest.raises(AudioError, match="too short"):
        condition(tone(0.05, RATE), RATE, RATE, target_rate=RATE, highpass_hz=60, top_db=40, target_dbfs=-23, peak_dbfs=-1, **FLOOR)


def test_digital_silence_leaves_no_exact_zeros(tone):
    """TTS-style output: words separated by exact digital silence. After conditioning and 16-bit
    quantisation no sample is exactly zero any more, so the share of zeros is no class cue."""
    from asnet.data.shards import to_int16

    word = tone(0.3, RATE)
    speech = np.concatenate([word, np.zeros(RATE // 2, np.float32), word])
    floor = {"noise_floor_dbfs": -66.0, "rng": np.random.default_rng(1)}
    out = to_int16(condition(speech, RATE, RATE, target_rate=RATE, highpass_hz=60, top_db=40, target_dbfs=-23,
                             peak_dbfs=-1, **floor))
    without = to_int16(condition(speech, RATE, RATE, target_rate=RATE, highpass_hz=60, top_db=40, target_dbfs=-23,
                                 peak_dbfs=-1, noise_floor_dbfs=-200.0, rng=np.random.default_rng(1)))
    assert np.mean(without == 0) > 0.2  # the cue the floor removes
    assert np.mean(out == 0) < 0.05
