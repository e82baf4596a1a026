from pathlib import Path

import numpy as np
import pytest

from asnet.data.audio import write_wav
from asnet.data.manifest import write_manifest
from asnet.data.shards import ClipInfo, ShardWriter
from asnet.utils import load_params

ROOT = Path(__file__).resolve().parents[2]
SPEECH_DIR = Path("/usr/share/pocketsphinx/test/data")  # Debian pocketsphinx-testdata (make setup)
SPEECH_FILES = ["cards/001.wav", "cards/003.wav", "librivox/sense_and_sensibility_01_austen_64kb-0880.wav"]


def synthetic_voice(seconds: float, f0: float, seed: int) -> np.ndarray:
    """A voiced harmonic signal with a falling spectrum, vibrato and a breath-noise floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))) / 16000
    wave = sum(np.sin(k * phase) / k for k in range(1, 40) if k * f0 < 7800)
    wave = wave * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)) + 0.02 * rng.standard_normal(len(t))
    return (0.1 * wave / np.sqrt(np.mean(wave**2))).astype(np.float32)


@pytest.fixture(scope="session")
def speech() -> list[np.ndarray]:
    """Three short 16 kHz speech clips (real recordings when installed, else synthetic voices)."""
    from asnet.data.audio import load_audio

    if all((SPEECH_DIR / f).exists() for f in SPEECH_FILES):
        return [load_audio(SPEECH_DIR / f, 16000)[:24000] for f in SPEECH_FILES]
    return [synthetic_voice(1.5, f0, seed) for seed, f0 in enumerate((110.0, 140.0, 210.0))]


@pytest.fixture(scope="session")
def params() -> dict:
    return load_params(ROOT / "params.yaml")


def write_shards(directory: Path, clips: list[tuple[str, str, str, np.ndarray]]) -> Path:
    """A waveform shard dir from (utt_id, label, system, wave) tuples."""
    with ShardWriter(directory) as writer:
        for utt_id, label, system, wave in clips:
            writer.add(ClipInfo(utt_id, 0, len(wave), label, system, "spk1"), wave)
    return directory


def write_corpus(root: Path, clips: list[tuple[str, str, str, np.ndarray, str]], audio_dir: str = "") -> Path:
    """A §3 manifest (+ 16 kHz wavs under root/audio_dir) from (utt_id, label, system, wave, split)."""
    rows = []
    for utt_id, label, system, wave, split in clips:
        path = f"{audio_dir}{utt_id}.wav"
        digest = write_wav(root / path, wave, 16000)
        rows.append(dict(utt_id=utt_id, path=path, label=label, system=system, speaker="spk", language="en",
                         split=split, corpus="toy", duration_s=len(wave) / 16000, sample_rate=16000, sha256=digest))
    write_manifest(rows, root / "manifest.csv")
    return root / "manifest.csv"


@pytest.fixture(scope="session")
def make_corpus():
    return write_corpus


@pytest.fixture(scope="session")
def make_shards():
    return write_shards
