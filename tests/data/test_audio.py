import hashlib

import numpy as np
import pytest
import soundfile

from asnet.data.audio import AudioError, load_audio, read_audio, validate_wave, write_wav


def dominant_hz(wave: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave))
    return float(np.fft.rfftfreq(len(wave), 1 / rate)[np.argmax(spectrum)])


def test_raw_is_16k_s16le(audio_files, tone):
    wave, rate = read_audio(audio_files["good.raw"])
    assert rate == 16000 and wave.dtype == np.float32 and len(wave) == 8000
    np.testing.assert_allclose(wave, tone(0.5, 16000), atol=1 / 32768)


def test_stereo_is_mixed_down_and_resampled(audio_files):
    wave = load_audio(audio_files["stereo.ogg"], 16000)
    assert wave.ndim == 1 and abs(len(wave) - 8000) <= 1
    spectrum = np.abs(np.fft.rfft(wave))
    freqs = np.fft.rfftfreq(len(wave), 1 / 16000)
    assert spectrum[np.abs(freqs - 220).argmin()] > 0.3 * spectrum.max()  # both channels survive
    assert spectrum[np.abs(freqs - 330).argmin()] > 0.3 * spectrum.max()


def test_upsampling_keeps_pitch_and_is_deterministic(audio_files):
    wave = load_audio(audio_files["odd_rate.wav"], 16000)
    assert len(wave) == 8000 and np.abs(wave).max() <= 1.0
    assert dominant_hz(wave, 16000) == pytest.approx(220, abs=2)
    np.testing.assert_array_equal(wave, load_audio(audio_files["odd_rate.wav"], 16000))


@pytest.mark.parametrize("name, reason", [
    ("empty.wav", "empty"), ("silent.wav", "silent"), ("nan.wav", "non-finite"),
    ("corrupt.ogg", "unreadable"), ("odd.raw", "unreadable"),
])
def test_bad_files_raise_audio_error_with_reason(audio_files, name, reason):
    with pytest.raises(AudioError) as caught:
        load_audio(audio_files[name], 16000)
    assert caught.value.reason.startswith(reason) and name in str(caught.value)


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(AudioError, match="unreadable"):
        load_audio(tmp_path / "nope.wav", 16000)


def test_validate_wave_rejects_multichannel_and_returns_float32():
    with pytest.raises(AudioError):
        validate_wave(np.ones((2, 10)), "x")
    assert validate_wave(np.array([0.5, -0.5], dtype=np.float64)).dtype == np.float32


def test_write_wav_is_16bit_pcm_atomic_and_hashed(tmp_path, tone):
    wave = tone(0.25, 16000)
    wave[0] = 1.5  # beyond full scale: clipped, not wrapped
    path = tmp_path / "sub" / "a.wav"
    digest = write_wav(path, wave, 16000)
    info = soundfile.info(path)
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert write_wav(tmp_path / "b.wav", wave, 16000) == digest  # same samples, same bytes
    back = load_audio(path, 16000)
    assert back[0] == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(back[1:], wave[1:], atol=1e-4)
    assert [p.name for p in path.parent.iterdir()] == ["a.wav"]  # no temp file left behind
