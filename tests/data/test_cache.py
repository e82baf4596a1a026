"""`asnet cache`: manifest -> per-split shards; bad audio is rejected by name, the rest goes on."""
import csv
import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from asnet.cli import main as cli_main
from asnet.data.audio import load_audio, write_wav
from asnet.data.manifest import ManifestRow, read_manifest, write_manifest
from asnet.data.packed import pack
from asnet.data.shards import WaveShards
from asnet.utils import load_params


@pytest.fixture
def corpus(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for i, split in enumerate(["train", "train", "dev", "eval", "eval", "eval"]):
        path = tmp_path / "audio" / f"c{i}.wav"
        rate = 22050 if i == 1 else 16000  # one clip needs resampling
        wave = 0.3 * np.sin(2 * np.pi * 180 * np.arange(rate // 2) / rate) + rng.normal(0, 0.01, rate // 2)
        sha = write_wav(path, wave.astype(np.float32), rate)
        rows.append(ManifestRow(f"c{i}", f"audio/c{i}.wav", "bonafide" if i % 2 else "spoof", "bonafide" if i % 2 else "tts",
                                f"spk{i}", "en", split, "toy", 0.5, rate, sha))
    corrupt = b"RIFF not really a wav"  # listed with its true hash, but undecodable
    (tmp_path / "audio" / "c4.wav").write_bytes(corrupt)
    rows[4] = dataclasses.replace(rows[4], sha256=hashlib.sha256(corrupt).hexdigest())
    write_manifest(rows, tmp_path / "manifest.csv")
    write_wav(tmp_path / "audio" / "c5.wav", np.zeros(800, np.float32) + 0.1, 16000)  # changed after the manifest
    params = tmp_path / "params.yaml"
    repo = load_params(Path(__file__).resolve().parents[2] / "params.yaml")
    params.write_text(yaml.safe_dump({"base": repo["base"]}))
    return tmp_path, params


def test_cache_writes_every_split_and_rejects_the_corrupt_clip(corpus):
    root, params = corpus
    assert cli_main(["cache", "--manifest", str(root / "manifest.csv"), "--out", str(root / "cache"), "--params", str(params)]) == 0
    assert [c.utt_id for c in WaveShards(root / "cache" / "train").clips] == ["c0", "c1"]
    assert [c.utt_id for c in WaveShards(root / "cache" / "eval").clips] == ["c3"]
    with open(root / "cache" / "eval" / "rejects.csv") as f:
        rejects = {r["utt_id"]: r["reason"] for r in csv.DictReader(f)}
    assert sorted(rejects) == ["c4", "c5"]
    assert "unreadable" in rejects["c4"] and "sha256" in rejects["c5"]
    resampled = WaveShards(root / "cache" / "train")[1]
    np.testing.assert_allclose(resampled, load_audio(root / "audio" / "c1.wav", 16000), atol=1 / 32767)
    # waveform shards only: no stage reads cached features (README "Measured")
    assert sorted(p.name for p in (root / "cache" / "train").iterdir()) == ["index.csv", "rejects.csv", "wave.npy"]


def test_clips_packed_into_archives_give_the_same_shards_and_rejects(corpus):
    root, params = corpus
    cache = lambda out: cli_main(["cache", "--manifest", str(root / "manifest.csv"), "--out", str(root / out),
                                  "--params", str(params)])
    assert cache("loose") == 0
    rows = read_manifest(root / "manifest.csv")
    for split in ("train", "dev", "eval"):
        pack([(Path(r.path).name, root / r.path) for r in rows if r.split == split], root / "audio" / f"{split}.zip")
    packed = [dataclasses.replace(r, path=f"audio/{r.split}.zip/{Path(r.path).name}") for r in rows]
    packed.append(dataclasses.replace(packed[3], utt_id="c6", path="audio/eval.zip/absent.wav"))
    for path in (root / "audio").glob("*.wav"):
        path.unlink()
    write_manifest(packed, root / "manifest.csv")
    assert cache("packed") == 0
    for split in ("train", "dev", "eval"):
        for name in ("wave.npy", "index.csv"):
            assert (root / "packed" / split / name).read_bytes() == (root / "loose" / split / name).read_bytes()
    with open(root / "packed" / "eval" / "rejects.csv") as f:
        rejects = {r["utt_id"]: r["reason"] for r in csv.DictReader(f)}
    assert sorted(rejects) == ["c4", "c5", "c6"]
    assert "unreadable" in rejects["c4"] and "sha256" in rejects["c5"] and "unreadable" in rejects["c6"]
