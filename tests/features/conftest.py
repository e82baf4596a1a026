from pathlib import Path

import numpy as np
import pytest

from asnet.utils import load_params

PARAMS_FILE = Path(__file__).parents[2] / "params.yaml"
SPEECH = Path("/usr/share/pocketsphinx/test/data")
KTUBERLING = Path("/usr/share/ktuberling/sounds")


@pytest.fixture(scope="session")
def features_params() -> dict:
    return load_params(PARAMS_FILE)["model"]["features"]


@pytest.fixture(scope="session")
def load_speech():
    return _load_speech


def _load_speech(relative: str) -> np.ndarray:
    """A real recording from the Debian packages the demo corpus uses, as float32 at 16 kHz
    (skips the test when the package is not installed)."""
    import soundfile

    for root in (SPEECH, KTUBERLING):
        path = root / relative
        if path.exists():
            break
    else:
        pytest.skip(f"{relative} not installed (pocketsphinx-testdata / ktuberling-data)")
    if path.suffix == ".raw":
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    wave, rate = soundfile.read(path, dtype="float32", always_2d=True)
    wave = wave.mean(axis=1)
    if rate != 16000:
        import soxr

        wave = soxr.resample(wave, rate, 16000).astype(np.float32)
    return wave
