"""Block-wise decoding (open_audio / stream_audio) and the FFmpeg fallback for what libsndfile cannot open."""
import numpy as np
import pytest
import soundfile

from asnet.data.audio import AudioError, load_audio, open_audio, read_audio, stream_audio
from tests.tiny_detector import encode


def tone(seconds, rate, hz=220.0):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def joined(blocks):
    return np.concatenate([np.zeros(0, np.float32), *blocks])


@pytest.mark.parametrize("name, rate, kwargs", [
    ("stereo.wav", 44100, {"subtype": "PCM_16"}), ("low.flac", 8000, {}), ("vorbis.ogg", 22050, {}),
    ("float.wav", 192000, {"subtype": "FLOAT"}),
])
def test_streamed_samples_equal_load_audio(tmp_path, name, rate, kwargs):
    wave = np.stack([tone(2.1, rate), tone(2.1, rate, 330)], 1) if name.startswith("stereo") else tone(2.1, rate)
    soundfile.write(tmp_path / name, wave, rate, **kwargs)
    info, blocks = stream_audio(tmp_path / name, 16000, block_frames=4096)
    assert (info.sample_rate, info.channels, info.decoder) == (rate, wave.ndim, "soundfile")
    np.testing.assert_array_equal(joined(blocks), load_audio(tmp_path / name, 16000))


def test_blocks_are_bounded_by_the_block_size(tmp_path):
    soundfile.write(tmp_path / "a.wav", tone(3.0, 16000), 16000)
    _, blocks = open_audio(tmp_path / "a.wav", block_frames=1000)
    sizes = [len(b) for b in blocks]
    assert max(sizes) == 1000 and sum(sizes) == 48000


@pytest.mark.parametrize("name, codec, container, codec_rate", [
    ("a.m4a", "aac", "mp4", 16000), ("a.webm", "libopus", "webm", 48000),
])
def test_formats_libsndfile_cannot_open_are_decoded_by_ffmpeg(tmp_path, name, codec, container, codec_rate):
    path = encode(tmp_path / name, tone(1.0, 16000), 16000, codec, container, codec_rate)
    with pytest.raises(soundfile.LibsndfileError):
        soundfile.info(path)
    wave, rate = read_audio(path)
    assert rate == codec_rate and len(wave) >= codec_rate
    info, blocks = stream_audio(path, 16000)
    assert info.decoder == "pyav" and info.sample_rate == codec_rate and info.channels == 1
    streamed = joined(blocks)
    np.testing.assert_array_equal(streamed, load_audio(path, 16000))
    spectrum = np.abs(np.fft.rfft(streamed))
    assert abs(np.fft.rfftfreq(len(streamed), 1 / 16000)[spectrum.argmax()] - 220) < 3


def test_mp3_streams_through_ffmpeg_whose_samples_do_not_depend_on_block_size(tmp_path):
    soundfile.write(tmp_path / "a.mp3", tone(1.5, 16000), 16000)
    info, blocks = stream_audio(tmp_path / "a.mp3", 16000)
    assert info.decoder == "pyav"
    np.testing.assert_allclose(joined(blocks), load_audio(tmp_path / "a.mp3", 16000), atol=0.05)


@pytest.mark.parametrize("content, reason", [
    (b"", "unreadable (LibsndfileError)"), (b"not audio at all\n" * 50, "unreadable (LibsndfileError)"),
    (b"OggS" + bytes(range(256)) * 4, "unreadable (LibsndfileError)"),
])
def test_files_neither_decoder_reads_keep_libsndfiles_reason(tmp_path, content, reason):
    (tmp_path / "x.wav").write_bytes(content)
    for call in (lambda p: read_audio(p), lambda p: open_audio(p)):
        with pytest.raises(AudioError) as caught:
            call(tmp_path / "x.wav")
        assert caught.value.reason == reason


def test_non_finite_samples_stop_the_stream(tmp_path):
    wave = tone(1.0, 44100)
    wave[30000] = np.inf
    soundfile.write(tmp_path / "inf.wav", wave, 44100, subtype="FLOAT")
    _, blocks = stream_audio(tmp_path / "inf.wav", 16000, block_frames=8192)
    with pytest.raises(AudioError, match="non-finite"):
        joined(blocks)


def test_missing_file_and_directory_are_unreadable(tmp_path):
    for path in (tmp_path / "nope.flac", tmp_path):
        with pytest.raises(AudioError, match="unreadable"):
            open_audio(path)
