"""`asnet shift codecfake`: the codec-shifted copy of a corpus, as a §3 manifest."""
from pathlib import Path

import numpy as np
import pytest

from asnet.cli import main as cli_main
from asnet.data.audio import load_audio
from asnet.data.manifest import read_manifest, read_rejects
from asnet.shift.codecfake import CODECFAKE_CHANNELS
from asnet.utils import read_json

PARAMS = str(Path(__file__).resolve().parents[2] / "params.yaml")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, speech, make_corpus):
    root = tmp_path_factory.mktemp("corpus")
    make_corpus(root, [
        ("b1", "bonafide", "bonafide", speech[0], "eval"),
        ("s1", "spoof", "tts_x", speech[1], "eval"),
        ("s2", "spoof", "tts_x", speech[2], "train"),
        ("bad", "spoof", "tts_x", speech[2], "eval"),
    ], audio_dir="audio/")
    (root / "audio" / "bad.wav").write_bytes(b"\x00" * 64)
    return root


@pytest.fixture(scope="module")
def codecfake(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("codecfake")
    assert cli_main(["shift", "codecfake", "--manifest", str(corpus / "manifest.csv"), "--out", str(out),
                     "--splits", "eval", "--workers", "1", "--params", PARAMS]) == 0
    return out


def test_every_eval_clip_gets_every_condition(codecfake):
    rows = read_manifest(codecfake / "manifest.csv")
    conditions = sorted(CODECFAKE_CHANNELS)
    assert sorted(r.utt_id for r in rows) == sorted(f"{u}-{c}" for u in ("b1", "s1") for c in conditions)
    assert {(r.label, r.system, r.split, r.corpus) for r in rows if r.utt_id.startswith("s1-")} == {
        ("spoof", "tts_x", "eval", "toy_codecfake")}


def test_audio_is_aligned_with_the_source_and_changed(codecfake, corpus):
    source = load_audio(corpus / "audio" / "b1.wav", 16000)
    for row in read_manifest(codecfake / "manifest.csv"):
        if row.utt_id.startswith("b1-"):
            wave = load_audio(row.audio_path(codecfake / "manifest.csv"), 16000)
            assert len(wave) == len(source) and row.duration_s == pytest.approx(len(source) / 16000, abs=1e-4)
            assert not np.allclose(wave, source, atol=1e-3), row.utt_id


def test_rejects_and_sidecar(codecfake):
    rejects = read_rejects(codecfake / "rejects.csv")
    assert [r["utt_id"] for r in rejects] == ["bad"] and rejects[0]["reason"].startswith("unreadable")
    sidecar = read_json(codecfake / "codecfake.json")
    assert sidecar["splits"] == ["eval"] and (sidecar["clips_in"], sidecar["clips_out"], sidecar["rejected"]) == (3, 10, 1)
    assert sidecar["channels"]["aac_32k"]["delay_samples"] == 1024
    assert sidecar["channels"]["band_300_3400"]["conditions"] == [["band", 300.0, 3400.0]]
    assert sidecar["channels"]["mp3_16k"]["quality"]["snr_db"]["max"] < 40


def test_two_workers_give_the_same_corpus(codecfake, corpus, tmp_path):
    cli_main(["shift", "codecfake", "--manifest", str(corpus / "manifest.csv"), "--out", str(tmp_path),
              "--splits", "eval", "--workers", "2", "--params", PARAMS])
    for name in ("manifest.csv", "rejects.csv", "codecfake.json"):
        assert (tmp_path / name).read_bytes() == (codecfake / name).read_bytes(), name
