"""The custom-corpus fixture: custom/protocol.csv (and the same clips as an ASVspoof-style
custom/protocol_asvspoof.txt) with audio written on demand: bona fide = a gliding harmonic voice,
spoof = a steady buzz or whistle (what the tiny tests need: two classes a model can tell apart),
and four bad files under bad/ (missing, 0 bytes, silent, text), which `asnet prepare custom`
must reject by name."""
from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_detector import tone, voice  # noqa: E402

FOLDER = Path(__file__).with_name("custom")
PROTOCOL, ASVSPOOF = FOLDER / "protocol.csv", FOLDER / "protocol_asvspoof.txt"
RATE = 16000
REJECTS = {"bad/missing.wav": "missing", "bad/empty.wav": "empty (0 bytes)", "bad/silent.wav": "silent",
           "bad/text.wav": "unreadable (LibsndfileError)"}


def clip(row: dict, index: int) -> np.ndarray:
    seconds = 0.8 + 0.05 * (index % 5)
    if row["label"].lower() in ("bonafide", "bona-fide", "real"):
        return voice(seconds, RATE, f0=100.0 + 7 * index, seed=index)
    hz = 220.0 + 15 * index if row["system"] == "whistle" else 90.0 + 5 * index
    buzz = sum(tone(seconds, RATE, hz * k) / k for k in range(1, 6 if row["system"] == "buzz" else 2))
    return (0.5 * buzz).astype(np.float32)


def write_custom_corpus(root: Path) -> Path:
    """Write the fixture's audio under `root`, copy both protocols there; returns root/protocol.csv."""
    root.mkdir(parents=True, exist_ok=True)
    with open(PROTOCOL, newline="") as f:
        rows = list(csv.DictReader(f))
    for index, row in enumerate(rows):
        path = root / row["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if row["path"] == "bad/missing.wav":
            continue
        if row["path"] == "bad/empty.wav":
            path.write_bytes(b"")
        elif row["path"] == "bad/silent.wav":
            soundfile.write(path, np.zeros(RATE, np.float32), RATE, subtype="PCM_16")
        elif row["path"] == "bad/text.wav":
            path.write_text("a transcript, not audio\n" * 20)
        else:
            soundfile.write(path, clip(row, index), RATE, subtype="PCM_16")
    for protocol in (PROTOCOL, ASVSPOOF):
        shutil.copyfile(protocol, root / protocol.name)
    return root / PROTOCOL.name
