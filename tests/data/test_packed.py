"""Clips packed into zip archives (asnet.data.packed): same bytes in, same archive out; a member
decodes exactly as the same bytes as a file; a missing or corrupt member is a clear AudioError."""
import os

import numpy as np
import pytest

from asnet.data.audio import AudioError, load_audio, write_wav
from asnet.data.packed import clip_bytes, load_clip, pack, split_archive


@pytest.fixture
def clips(tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for name, rate in (("a.wav", 16000), ("b.wav", 22050)):  # b needs resampling
        wave = 0.3 * np.sin(2 * np.pi * 220 * np.arange(rate // 4) / rate) + rng.normal(0, 0.01, rate // 4)
        write_wav(tmp_path / "loose" / name, wave.astype(np.float32), rate)
        files.append((name, tmp_path / "loose" / name))
    return files


def test_a_member_reads_and_decodes_as_its_file(tmp_path, clips):
    pack(clips, tmp_path / "audio" / "eval.zip")
    for name, source in clips:
        path = tmp_path / "audio" / "eval.zip" / name
        assert split_archive(path) == (tmp_path / "audio" / "eval.zip", name)
        assert clip_bytes(path) == source.read_bytes()
        np.testing.assert_array_equal(load_clip(path, 16000), load_audio(source, 16000))
    assert split_archive(clips[0][1]) is None and clip_bytes(clips[0][1]) == clips[0][1].read_bytes()


def test_the_same_clips_give_the_same_archive_bytes(tmp_path, clips):
    pack(clips, tmp_path / "one.zip")
    for _, source in clips:  # a later build: new file times, same bytes
        os.utime(source, (1e9, 1e9))
    pack(clips, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()


def test_a_missing_or_corrupt_member_is_an_audio_error_naming_it(tmp_path, clips):
    (tmp_path / "junk.wav").write_bytes(b"RIFF not really a wav")
    pack([*clips, ("junk.wav", tmp_path / "junk.wav")], tmp_path / "eval.zip")
    for name in ("absent.wav", "junk.wav"):
        with pytest.raises(AudioError, match=rf"eval.zip/{name}: unreadable"):
            load_clip(tmp_path / "eval.zip" / name, 16000)
