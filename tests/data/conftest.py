"""Audio files for the data tests: good ones in odd formats and every kind of bad one."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile


def tone(seconds: float, rate: int, hz: float = 220.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.fixture(name="tone")
def tone_fixture():
    """The `tone(seconds, rate, hz=220, amplitude=0.3)` sine generator, for tests."""
    return tone


@pytest.fixture
def audio_files(tmp_path):
    """name -> path: stereo 44.1 kHz ogg, 8 kHz wav, 16 kHz raw; corrupt, empty, silent, NaN, odd-length raw."""
    files = {}

    def add(name, wave, rate, **kwargs):
        files[name] = tmp_path / name
        soundfile.write(files[name], wave, rate, **kwargs)

    add("stereo.ogg", np.stack([tone(0.5, 44100), tone(0.5, 44100, 330)], axis=1), 44100)
    add("odd_rate.wav", tone(0.5, 8000), 8000, subtype="PCM_16")
    add("empty.wav", np.zeros(0, np.float32), 16000, subtype="PCM_16")
    add("silent.wav", np.zeros(8000, np.float32), 16000, subtype="PCM_16")
    nan = tone(0.5, 16000)
    nan[100:200] = np.nan
    add("nan.wav", nan, 16000, subtype="FLOAT")
    files["good.raw"] = tmp_path / "good.raw"
    files["good.raw"].write_bytes((tone(0.5, 16000) * 32768).astype("<i2").tobytes())
    files["odd.raw"] = tmp_path / "odd.raw"
    files["odd.raw"].write_bytes(b"\x01\x02\x03")
    files["corrupt.ogg"] = tmp_path / "corrupt.ogg"
    files["corrupt.ogg"].write_bytes(b"OggS" + bytes(range(256)) * 4)
    return files


@pytest.fixture
def params():
    """The project's params.yaml (the demo reads prepare_demo and base)."""
    from pathlib import Path

    from asnet.utils import load_params

    return load_params(Path(__file__).resolve().parents[2] / "params.yaml")
